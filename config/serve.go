package config

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tokentop/tokentop/model"
)

// Serve is the [serve] table: `tokentop serve`, one tokentop on a remote
// box that serves the dashboard to every SSH session.
type Serve struct {
	// Listen is the SSH server's address, host:port; default ":2222".
	// Port 0 picks a free port (the start banner names it).
	Listen string
	// AuthorizedKeys is an OpenSSH authorized_keys file: the public keys
	// let in, each a user of its own. "" = <config dir>/authorized_keys
	// (AuthorizedKeysPath).
	AuthorizedKeys string
	// AllowAnonymous lets a client whose key is not listed (or who offers
	// none) in with a read-only dashboard: no user data, no forms.
	// Default false: such clients are refused.
	AllowAnonymous bool
	// MaxSessions is how many dashboards may be open at once; 1..10000;
	// default 200.
	MaxSessions int
	// MaxSessionsPerIP is how many of them may come from one address;
	// 1..10000; default 10.
	MaxSessionsPerIP int
	// IdleTimeout ends a session that typed nothing for this long; 0 =
	// never (default: a dashboard is watched, not typed into); else
	// 1m..720h.
	IdleTimeout time.Duration
	// HostKey is the server's private host key (OpenSSH format). ""
	// = <data dir>/ssh_host_ed25519_key, made at first start (HostKeyPath).
	HostKey string
	// WriteTimeout: a session whose client takes no output for this long
	// is dropped; 1s..10m; default 10s.
	WriteTimeout time.Duration
}

var serveKeys = []string{"listen", "authorized_keys", "allow_anonymous", "max_sessions", "max_sessions_per_ip",
	"idle_timeout", "host_key", "write_timeout"}

const (
	maxSessionsLimit                 = 10000
	minWriteTimeout, maxWriteTimeout = time.Second, 10 * time.Minute
	minIdleTimeout, maxIdleTimeout   = time.Minute, 720 * time.Hour
	maxListenLen                     = 255
)

func defaultServe() Serve {
	return Serve{Listen: ":2222", MaxSessions: 200, MaxSessionsPerIP: 10, WriteTimeout: 10 * time.Second}
}

// AuthorizedKeysPath is the authorized_keys file to use: the setting,
// taken from the directory of the config file at configPath when it is
// relative; by default authorized_keys beside the config file. "" when
// there is no config directory to put it in.
func (s Serve) AuthorizedKeysPath(configPath string) string {
	return besides(s.AuthorizedKeys, Dir(configPath), "authorized_keys")
}

// HostKeyPath is the host key file to use: the setting, taken from the
// data directory dataDir when it is relative; by default
// ssh_host_ed25519_key in the data directory.
func (s Serve) HostKeyPath(dataDir string) string {
	return besides(s.HostKey, dataDir, "ssh_host_ed25519_key")
}

// besides is path, or name, resolved against dir.
func besides(path, dir, name string) string {
	if path == "" {
		path = name
	}
	if filepath.IsAbs(path) {
		return path
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, path)
}

// checkListen accepts host:port with a port of 0..65535 (the host may be
// empty: every address).
func checkListen(s string) string {
	if len(s) > maxListenLen {
		return "is too long"
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return "must not contain spaces or control characters, got " + strconv.QuoteToASCII(s)
		}
	}
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return `must be host:port, e.g. ":2222" or "127.0.0.1:2222", got ` + strconv.QuoteToASCII(s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "the port must be a number 0..65535, got " + strconv.QuoteToASCII(port)
	}
	return ""
}

func checkIdleTimeout(d time.Duration) string {
	if d != 0 && (d < minIdleTimeout || d > maxIdleTimeout) {
		return fmt.Sprintf("must be 0s (never) or between %s and %s, got %s",
			model.FormatDuration(minIdleTimeout), model.FormatDuration(maxIdleTimeout), model.FormatDuration(d))
	}
	return ""
}

func checkWriteTimeout(d time.Duration) string {
	if d < minWriteTimeout || d > maxWriteTimeout {
		return fmt.Sprintf("must be between %s and %s, got %s", model.FormatDuration(minWriteTimeout), model.FormatDuration(maxWriteTimeout), model.FormatDuration(d))
	}
	return ""
}

// setServe stores one [serve] setting; key is the key inside the table.
func setServe(c *Serve, key string, v any) string {
	problem := ""
	switch key {
	case "listen":
		problem = setString(v, checkListen, &c.Listen)
	case "authorized_keys":
		problem = setString(v, checkDir, &c.AuthorizedKeys)
	case "host_key":
		problem = setString(v, checkDir, &c.HostKey)
	case "allow_anonymous":
		problem = setBool(v, &c.AllowAnonymous)
	case "max_sessions":
		problem = setInt(v, 1, maxSessionsLimit, &c.MaxSessions)
	case "max_sessions_per_ip":
		problem = setInt(v, 1, maxSessionsLimit, &c.MaxSessionsPerIP)
	case "idle_timeout":
		problem = setDuration(v, checkIdleTimeout, &c.IdleTimeout)
	case "write_timeout":
		problem = setDuration(v, checkWriteTimeout, &c.WriteTimeout)
	default:
		problem = "unknown key"
	}
	return problem
}

// setString stores a string setting that check accepts.
func setString(v any, check func(string) string, dst *string) string {
	s, problem := asString(v)
	if problem == "" {
		if problem = check(s); problem == "" {
			*dst = s
		}
	}
	return problem
}

// check is Validate's part for [serve].
func (s Serve) check() (key, problem string) {
	checks := [...]struct{ key, problem string }{
		{"serve.listen", checkListen(s.Listen)},
		{"serve.authorized_keys", checkDir(s.AuthorizedKeys)},
		{"serve.host_key", checkDir(s.HostKey)},
		{"serve.max_sessions", checkInt(int64(s.MaxSessions), 1, maxSessionsLimit)},
		{"serve.max_sessions_per_ip", checkInt(int64(s.MaxSessionsPerIP), 1, maxSessionsLimit)},
		{"serve.idle_timeout", checkIdleTimeout(s.IdleTimeout)},
		{"serve.write_timeout", checkWriteTimeout(s.WriteTimeout)},
	}
	for _, ch := range checks {
		if ch.problem != "" {
			return ch.key, ch.problem
		}
	}
	return "", ""
}

package config

import (
	"path/filepath"
	"testing"
	"time"
)

func TestServeSettings(t *testing.T) {
	d := Default().Serve
	if d != (Serve{Listen: ":2222", MaxSessions: 200, MaxSessionsPerIP: 10, WriteTimeout: 10 * time.Second}) {
		t.Fatalf("default [serve] = %+v", d)
	}
	body := `[serve]
listen = "127.0.0.1:0"
authorized_keys = "/etc/tokentop/keys"
allow_anonymous = true
max_sessions = 50
max_sessions_per_ip = 2
idle_timeout = "24h"
host_key = "host"
write_timeout = "30s"
`
	c, err := Parse("c.toml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := Serve{Listen: "127.0.0.1:0", AuthorizedKeys: "/etc/tokentop/keys", AllowAnonymous: true, MaxSessions: 50,
		MaxSessionsPerIP: 2, IdleTimeout: 24 * time.Hour, HostKey: "host", WriteTimeout: 30 * time.Second}
	if c.Serve != want {
		t.Errorf("serve = %+v, want %+v", c.Serve, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	// Paths: absolute as given, relative to the config's or the data's
	// directory, defaults beside them.
	if p := c.Serve.AuthorizedKeysPath("/home/me/.config/tokentop/config.toml"); p != "/etc/tokentop/keys" {
		t.Errorf("authorized keys path %q", p)
	}
	if p := c.Serve.HostKeyPath("/srv/tt"); p != filepath.Join("/srv/tt", "host") {
		t.Errorf("host key path %q", p)
	}
	if p := d.AuthorizedKeysPath("/home/me/.config/tokentop/config.toml"); p != "/home/me/.config/tokentop/authorized_keys" {
		t.Errorf("default authorized keys path %q", p)
	}
	if p := d.AuthorizedKeysPath(""); p != "" {
		t.Errorf("default authorized keys path with no config dir: %q", p)
	}
	if p := d.HostKeyPath("/srv/tt"); p != "/srv/tt/ssh_host_ed25519_key" {
		t.Errorf("default host key path %q", p)
	}
}

func TestServeSettingErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{"[serve]\nlisten = \"2222\"", `c.toml:2: serve.listen: must be host:port, e.g. ":2222" or "127.0.0.1:2222", got "2222"`},
		{"[serve]\nlisten = \":http\"", `c.toml:2: serve.listen: the port must be a number 0..65535, got "http"`},
		{"[serve]\nlisten = \":70000\"", `c.toml:2: serve.listen: the port must be a number 0..65535, got "70000"`},
		{"[serve]\nlisten = \"a b:1\"", `c.toml:2: serve.listen: must not contain spaces or control characters, got "a b:1"`},
		{"[serve]\nlisten = 2222", `c.toml:2: serve.listen: must be a string, got the integer 2222`},
		{"[serve]\nmax_sessions = 0", "c.toml:2: serve.max_sessions: must be between 1 and 10000, got 0"},
		{"[serve]\n\nmax_sessions_per_ip = 20000", "c.toml:3: serve.max_sessions_per_ip: must be between 1 and 10000, got 20000"},
		{"[serve]\nidle_timeout = \"30s\"", "c.toml:2: serve.idle_timeout: must be 0s (never) or between 1m and 30d, got 30s"},
		{"[serve]\nwrite_timeout = \"0s\"", "c.toml:2: serve.write_timeout: must be between 1s and 10m, got 0s"},
		{"[serve]\nallow_anonymous = 1", "c.toml:2: serve.allow_anonymous: must be true or false, got the integer 1"},
		{"[serve]\nhost_key = \"a\\u0007\"", "c.toml:2: serve.host_key: must not contain control characters"},
		{"[serve]\npassword = \"x\"", "c.toml:2: serve.password: unknown key ([serve] keys: listen, authorized_keys, allow_anonymous, max_sessions, max_sessions_per_ip, idle_timeout, host_key, write_timeout)"},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.body, err, c.want)
		}
	}
	d := Default()
	d.Serve.Listen = "nope"
	if err := d.Validate(); err == nil || err.Error() != `serve.listen: must be host:port, e.g. ":2222" or "127.0.0.1:2222", got "nope"` {
		t.Errorf("Validate = %v", err)
	}
}

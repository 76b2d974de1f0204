package serve

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gossh "golang.org/x/crypto/ssh"

	"github.com/tokentop/tokentop/internal/safetext"
)

// Limits on the files read here (they come from outside the process).
const (
	maxKeysFile    = 1 << 20 // an authorized_keys file
	maxKeys        = 10000   // keys in it
	maxHostKeyFile = 64 << 10
	maxLabelRunes  = 64
)

// Key is one authorized key: a user.
type Key struct {
	// User is the user's id: the key's SHA256 fingerprint as
	// ssh-keygen -l and ssh.FingerprintSHA256 print it.
	User string
	// Label names the user: the key's comment and its type,
	// "alice@laptop (ssh-ed25519)".
	Label string
}

// harmlessOptions are the authorized_keys options accepted: each only
// takes away something tokentop never offers. Any other option (from=,
// command=, expiry-time=, cert-authority, ...) is an error: it would be a
// restriction silently not applied.
var harmlessOptions = map[string]bool{
	"restrict": true, "no-port-forwarding": true, "no-agent-forwarding": true,
	"no-x11-forwarding": true, "no-user-rc": true,
}

// ParseAuthorizedKeys reads an OpenSSH authorized_keys file's contents:
// one public key a line, blank lines and # comments skipped. path is only
// used in errors, which name the line. The result maps each key's
// fingerprint to its user.
func ParseAuthorizedKeys(path string, data []byte) (map[string]Key, error) {
	if len(data) > maxKeysFile {
		return nil, fmt.Errorf("%s: the file is %d bytes, the limit is %d", path, len(data), maxKeysFile)
	}
	keys := make(map[string]Key)
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", path, n+1, fmt.Sprintf(format, args...))
		}
		if !utf8.Valid(line) {
			return nil, fail("not a public key (invalid UTF-8)")
		}
		key, comment, options, _, err := gossh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fail("not a public key (want e.g. ssh-ed25519 AAAA... comment, as ~/.ssh/id_ed25519.pub holds)")
		}
		for _, o := range options {
			name, _, _ := strings.Cut(o, "=")
			if !harmlessOptions[strings.ToLower(name)] {
				return nil, fail("option %s is not supported by tokentop serve (remove it, or the key)", quoted(name))
			}
		}
		if len(keys) == maxKeys {
			return nil, fail("more than %d keys", maxKeys)
		}
		fp := gossh.FingerprintSHA256(key)
		label := cleanLabel(comment)
		if label != "" {
			label += " "
		}
		keys[fp] = Key{User: fp, Label: label + "(" + key.Type() + ")"}
	}
	return keys, nil
}

// cleanLabel is a key's comment (or a client's TERM) as the logs and the
// store show it: one safe line (internal/safetext: escape sequences and
// controls go whole), at most maxLabelRunes runes.
func cleanLabel(s string) string { return strings.TrimSpace(safetext.Line(s, maxLabelRunes)) }

// quoted is outside text quoted for a message: printable ASCII, at most 40
// characters.
func quoted(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return fmt.Sprintf("%+q", s)
}

// AuthorizedKeys is the authorized_keys file as last read. Lookup reads
// the file again when it changed (size or modification time), so keys
// are added or removed without a restart; a file that became unreadable
// or invalid keeps the keys read before, and the problem is reported
// once per change.
type AuthorizedKeys struct {
	path string

	mu       sync.Mutex
	onReload func(n int, err error)
	keys     map[string]Key
	size     int64
	modTime  time.Time
	missing  bool
}

// LoadAuthorizedKeys reads the authorized_keys file at path. A missing
// file is an error unless mayBeMissing (anonymous sessions allowed: then
// every client is anonymous until it is made).
func LoadAuthorizedKeys(path string, mayBeMissing bool) (*AuthorizedKeys, error) {
	if path == "" {
		return nil, errors.New("no authorized_keys file: there is no config directory; set [serve] authorized_keys")
	}
	a := &AuthorizedKeys{path: path, keys: map[string]Key{}}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && mayBeMissing:
		a.missing = true
		return a, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s does not exist: put your public keys in it (one a line, e.g. cat ~/.ssh/id_ed25519.pub >> %s), or set [serve] allow_anonymous = true", path, path)
	case err != nil:
		return nil, fmt.Errorf("authorized keys: %w", err)
	}
	keys, err := readKeys(path, st)
	if err != nil {
		return nil, err
	}
	a.keys, a.size, a.modTime = keys, st.Size(), st.ModTime()
	return a, nil
}

func readKeys(path string, st fs.FileInfo) (map[string]Key, error) {
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("authorized keys: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeysFile+1))
	if err != nil {
		return nil, fmt.Errorf("authorized keys: %s: %w", path, err)
	}
	return ParseAuthorizedKeys(path, data)
}

// OnReload sets what is told each time the file is read again: how many
// keys it holds, or why it could not be read (the keys read before stay).
func (a *AuthorizedKeys) OnReload(f func(n int, err error)) {
	a.mu.Lock()
	a.onReload = f
	a.mu.Unlock()
}

// Path is the file's path.
func (a *AuthorizedKeys) Path() string { return a.path }

// Len is how many keys are authorized.
func (a *AuthorizedKeys) Len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.keys)
}

// Lookup finds the user of key, reading the file again first if it
// changed.
func (a *AuthorizedKeys) Lookup(key gossh.PublicKey) (Key, bool) {
	fp := gossh.FingerprintSHA256(key)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refresh()
	k, ok := a.keys[fp]
	return k, ok
}

// refresh reads the file again when it changed. Called with a.mu held.
func (a *AuthorizedKeys) refresh() {
	st, err := os.Stat(a.path)
	if errors.Is(err, fs.ErrNotExist) {
		if !a.missing {
			a.missing = true
			a.report(len(a.keys), fmt.Errorf("%s is gone; keeping the %d keys read before", a.path, len(a.keys)))
		}
		return
	}
	if err != nil {
		return
	}
	if !a.missing && st.Size() == a.size && st.ModTime().Equal(a.modTime) {
		return
	}
	a.missing = false
	a.size, a.modTime = st.Size(), st.ModTime()
	keys, err := readKeys(a.path, st)
	if err != nil {
		a.report(len(a.keys), fmt.Errorf("%w; keeping the %d keys read before", err, len(a.keys)))
		return
	}
	a.keys = keys
	a.report(len(keys), nil)
}

func (a *AuthorizedKeys) report(n int, err error) {
	if a.onReload != nil {
		a.onReload(n, err)
	}
}

// LoadHostKey reads the server's private host key at path, or, when there
// is none, makes an ed25519 key and writes it there (mode 0600, the
// directory made 0700 if needed); made says which. A key file that others
// may read is refused, as sshd does.
func LoadHostKey(path string) (signer gossh.Signer, made bool, err error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return makeHostKey(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, false, fmt.Errorf("host key %s: not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("host key %s: others may read it (mode %04o); chmod 600 %s", path, st.Mode().Perm(), path)
	}
	if st.Size() > maxHostKeyFile {
		return nil, false, fmt.Errorf("host key %s: %d bytes is not a key", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	signer, err = gossh.ParsePrivateKey(data)
	if err != nil {
		var pp *gossh.PassphraseMissingError
		if errors.As(err, &pp) {
			return nil, false, fmt.Errorf("host key %s: it has a passphrase; a server's host key must not", path)
		}
		return nil, false, fmt.Errorf("host key %s: not a private key in OpenSSH or PEM format", path)
	}
	return signer, false, nil
}

// makeHostKey makes an ed25519 host key and writes it to path, whole or
// not at all.
func makeHostKey(path string) (gossh.Signer, bool, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "tokentop serve host key")
	if err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	f, err := os.CreateTemp(dir, ".host-key-*")
	if err != nil {
		return nil, false, fmt.Errorf("host key: %w", err)
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(pem.EncodeToMemory(block))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Link, not rename: a key another process made meanwhile is never
		// replaced.
		err = os.Link(tmp, path)
	}
	os.Remove(tmp)
	if errors.Is(err, fs.ErrExist) {
		return LoadHostKey(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("host key: writing %s: %w", path, err)
	}
	return signer, true, nil
}

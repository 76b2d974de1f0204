package serve

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	gossh "golang.org/x/crypto/ssh"

	"github.com/tokentop/tokentop/internal/sshterm"
	"github.com/tokentop/tokentop/store"
)

func TestParseAuthorizedKeys(t *testing.T) {
	alice, bob := newUser(t, ""), newUser(t, "")
	body := "# team keys\n\n" +
		alice.line + " alice@laptop\n" +
		"  restrict,no-port-forwarding " + bob.line + " bob \x1b[31mred\x1b[0m\n"
	keys, err := ParseAuthorizedKeys("keys", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("%d keys", len(keys))
	}
	if k := keys[alice.id]; k.User != alice.id || k.Label != "alice@laptop (ssh-ed25519)" {
		t.Errorf("alice: %+v", k)
	}
	if k := keys[bob.id]; k.Label != "bob red (ssh-ed25519)" {
		t.Errorf("bob's label keeps (some of) an escape sequence: %q", k.Label)
	}

	cases := []struct{ body, want string }{
		{"ssh-ed25519 notbase64 x\n", "keys:1: not a public key (want e.g. ssh-ed25519 AAAA... comment, as ~/.ssh/id_ed25519.pub holds)"},
		{"\n" + `from="10.0.0.1" ` + alice.line, `keys:2: option "from" is not supported by tokentop serve (remove it, or the key)`},
		{`command="ls" ` + alice.line, `keys:1: option "command" is not supported by tokentop serve (remove it, or the key)`},
		{"cert-authority " + alice.line, `keys:1: option "cert-authority" is not supported by tokentop serve (remove it, or the key)`},
		{"\xff\xfe", "keys:1: not a public key (invalid UTF-8)"},
	}
	for _, c := range cases {
		if _, err := ParseAuthorizedKeys("keys", []byte(c.body)); err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.body, err, c.want)
		}
	}
	if _, err := ParseAuthorizedKeys("keys", make([]byte, maxKeysFile+1)); err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Errorf("a huge file: %v", err)
	}
}

// The file is read again when it changes: a key added gets in, a key
// removed is refused; a file made invalid keeps the keys read before.
func TestAuthorizedKeysReload(t *testing.T) {
	alice, bob := newUser(t, "alice"), newUser(t, "bob")
	path := filepath.Join(t.TempDir(), "authorized_keys")
	write := func(body string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		// A distinct modification time, as a later edit has.
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	write(alice.line+"\n", t0)
	a, err := LoadAuthorizedKeys(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var reports []string
	a.OnReload(func(n int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			reports = append(reports, err.Error())
		} else {
			reports = append(reports, "ok")
		}
	})
	if _, ok := a.Lookup(bob.key.PublicKey()); ok {
		t.Fatal("bob in before he was added")
	}
	write(alice.line+"\n"+bob.line+"\n", t0.Add(time.Second))
	if k, ok := a.Lookup(bob.key.PublicKey()); !ok || k.Label != "bob (ssh-ed25519)" {
		t.Fatalf("bob after he was added: %+v %v", k, ok)
	}
	write(bob.line+"\n", t0.Add(2*time.Second))
	if _, ok := a.Lookup(alice.key.PublicKey()); ok {
		t.Fatal("alice in after she was removed")
	}
	write("garbage\n", t0.Add(3*time.Second))
	if _, ok := a.Lookup(bob.key.PublicKey()); !ok {
		t.Fatal("an invalid file dropped the keys read before")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 3 || reports[0] != "ok" || reports[1] != "ok" || !strings.Contains(reports[2], "keeping the 1 keys read before") {
		t.Errorf("reports %q", reports)
	}
}

func TestLoadAuthorizedKeysMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authorized_keys")
	if _, err := LoadAuthorizedKeys(path, false); err == nil || !strings.Contains(err.Error(), "does not exist: put your public keys in it") {
		t.Errorf("missing file: %v", err)
	}
	a, err := LoadAuthorizedKeys(path, true)
	if err != nil || a.Len() != 0 {
		t.Fatalf("missing file with anonymous sessions: %v", err)
	}
	alice := newUser(t, "alice")
	if err := os.WriteFile(path, []byte(alice.line), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Lookup(alice.key.PublicKey()); !ok {
		t.Error("a file made later is not read")
	}
}

// The host key is made once (ed25519, 0600) and read back the same; one
// others may read, or that is not a key, is refused.
func TestHostKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "host_key")
	s1, made, err := LoadHostKey(path)
	if err != nil || !made || s1.PublicKey().Type() != gossh.KeyAlgoED25519 {
		t.Fatalf("made: %v %v", made, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	s2, made, err := LoadHostKey(path)
	if err != nil || made || gossh.FingerprintSHA256(s2.PublicKey()) != gossh.FingerprintSHA256(s1.PublicKey()) {
		t.Fatalf("read back: %v %v", made, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadHostKey(path); err == nil || !strings.Contains(err.Error(), "others may read it (mode 0644); chmod 600") {
		t.Errorf("open key: %v", err)
	}
	junk := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(junk, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadHostKey(junk); err == nil || !strings.Contains(err.Error(), "not a private key") {
		t.Errorf("junk: %v", err)
	}
	dir := t.TempDir()
	if _, _, err := LoadHostKey(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
}

func TestCleanLabel(t *testing.T) {
	if got := cleanLabel(strings.Repeat("é", 100)); utf8.RuneCountInString(got) != maxLabelRunes {
		t.Errorf("%d runes", utf8.RuneCountInString(got))
	}
	// Controls and invalid bytes go; an escape sequence goes whole (in its
	// 7-bit and 8-bit forms: ESC [ 31 m, and U+009B c, a device query).
	for in, want := range map[string]string{
		"a\x00b\xffd":         "abd",
		"a\u009bcd":           "ad",
		"\x1b[31mred\x1b[0m ": "red",
		" laptop\tkey ":       "laptop key",
	} {
		if got := cleanLabel(in); got != want {
			t.Errorf("cleanLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseAuthorizedKeys: any file gives keys or an error naming a line;
// never a panic, and every key's user is a fingerprint the store takes and
// its label is printable.
func FuzzParseAuthorizedKeys(f *testing.F) {
	_, line, err := sshterm.NewKey("seed")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(line + "\n"))
	f.Add([]byte("# c\n\n" + line + " comment with spaces\n"))
	f.Add([]byte(`restrict,command="x" ` + line))
	f.Add([]byte("ssh-rsa AAAA\n"))
	f.Add([]byte("\x00\xff\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseAuthorizedKeys("f", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f:") {
				t.Fatalf("error without the file: %v", err)
			}
			return
		}
		for fp, key := range keys {
			if fp != key.User || store.ValidUser(fp) != nil {
				t.Fatalf("user %q for %q", key.User, fp)
			}
			for _, r := range key.Label {
				if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
					t.Fatalf("label %q", key.Label)
				}
			}
		}
	})
}

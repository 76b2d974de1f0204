package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/tokentop/tokentop/internal/sshterm"
)

// startServe runs `tokentop serve --demo` with the authorized keys lines
// and returns the process and its address (from the start line).
func startServe(t *testing.T, data string, keys []string, extra ...string) (*exec.Cmd, string, string) {
	t.Helper()
	cfg := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfg, "tokentop"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "tokentop", "authorized_keys"), []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "serve.log")
	args := append([]string{"serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", data, "--log", logPath}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfg)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	var banner string
	select {
	case banner = <-line:
	case <-time.After(30 * time.Second):
		t.Fatal("no start line")
	}
	m := regexp.MustCompile(`^tokentop serve: listening on (127\.0\.0\.1:\d+) · host key (SHA256:[A-Za-z0-9+/]{43}) \(ssh-ed25519, new\) · \d+ keys in `).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("start line %q", banner)
	}
	return cmd, m[1], logPath
}

// SIGTERM with sessions open: each client sees its terminal restored and
// "tokentop is shutting down", the process exits 0, and what was saved is
// in the store.
func TestServeSIGTERM(t *testing.T) {
	alice, aliceLine, err := sshterm.NewKey("alice@laptop")
	if err != nil {
		t.Fatal(err)
	}
	bob, bobLine, err := sshterm.NewKey("bob")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	cmd, addr, logPath := startServe(t, data, []string{aliceLine, bobLine})
	const wait = 30 * time.Second
	var terms []*sshterm.Term
	for _, k := range []gossh.Signer{alice, bob, alice} {
		tm, err := sshterm.Dial(sshterm.Options{Addr: addr, Key: k, Width: 100, Height: 30})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(tm.Close)
		if s, err := tm.WaitText(wait, "BTC"); err != nil {
			t.Fatalf("no dashboard: %v\n%s", err, s)
		}
		terms = append(terms, tm)
	}
	terms[0].Type("*")
	if s, err := terms[0].WaitText(wait, "★ BTC added to Watchlist"); err != nil {
		t.Fatalf("not saved: %v\n%s", err, s)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, tm := range terms {
		s, err := tm.WaitText(wait, "tokentop is shutting down")
		if err != nil {
			t.Fatalf("client %d: %v\n%s", i, err, s)
		}
		if tm.AltScreen() || tm.CursorHidden() {
			t.Errorf("client %d: terminal not restored (alternate screen %v, cursor hidden %v)", i, tm.AltScreen(), tm.CursorHidden())
		}
		if code, err := tm.Wait(wait); err != nil || code != 0 {
			t.Errorf("client %d: exit status %d, %v", i, code, err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("tokentop serve exited with %v", err)
		}
	case <-time.After(wait):
		t.Fatal("tokentop serve did not exit")
	}
	out, errOut, code := runBinary(t, nil, "export", "--user", gossh.FingerprintSHA256(alice.PublicKey()), "--data-dir", data)
	if code != 0 || !strings.Contains(out, `"BTC"`) {
		t.Fatalf("export: %d %s\n%s", code, errOut, out)
	}
	log, _ := os.ReadFile(logPath)
	for _, want := range []string{`msg="ssh: shutting down" signal=terminated sessions=3`, `reason="server shutting down"`, `msg="tokentop stopped"`} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log has no %s:\n%s", want, log)
		}
	}
}

// Bad [serve] config exits 2 with file:line:key; a missing keys file
// exits 1 saying what to do; --help exits 0.
func TestServeStartProblems(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[serve]\nmax_sessions = 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runBinary(t, nil, "serve", "--config", bad)
	if code != 2 || errOut != "tokentop serve: "+bad+":2: serve.max_sessions: must be between 1 and 10000, got 0\n" {
		t.Errorf("bad config: %d %q", code, errOut)
	}
	_, errOut, code = runBinary(t, nil, "serve", "--listen", "nowhere")
	if code != 2 || !strings.Contains(errOut, "--listen: serve.listen: must be host:port") {
		t.Errorf("bad --listen: %d %q", code, errOut)
	}
	empty := filepath.Join(dir, "empty.toml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runBinary(t, nil, "serve", "--demo", "--config", empty, "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, filepath.Join(dir, "authorized_keys")+" does not exist: put your public keys in it") {
		t.Errorf("no keys file: %d %q", code, errOut)
	}
	out, _, code := runBinary(t, nil, "serve", "--help")
	if code != 0 || !strings.Contains(out, "tokentop serve - one tokentop on this box") {
		t.Errorf("--help: %d %q", code, out)
	}
}

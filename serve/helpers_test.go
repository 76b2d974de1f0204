package serve

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/engine"
	"github.com/tokentop/tokentop/internal/sshterm"
	"github.com/tokentop/tokentop/themes"
)

// wait is how long a test waits for a condition before failing.
const wait = 20 * time.Second

// logBuf is the server's log, for tests to read.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// user is a client key and the user it is.
type user struct {
	key  gossh.Signer
	line string // its authorized_keys line
	id   string // its fingerprint
}

func newUser(t *testing.T, comment string) user {
	t.Helper()
	k, line, err := sshterm.NewKey(comment)
	if err != nil {
		t.Fatal(err)
	}
	return user{key: k, line: line, id: gossh.FingerprintSHA256(k.PublicKey())}
}

// fixture is a server on the demo market, listening on 127.0.0.1.
type fixture struct {
	t       *testing.T
	rt      *engine.Runtime
	srv     *Server
	addr    string
	log     *logBuf
	dataDir string
	served  chan error
}

type setup struct {
	serve   func(*config.Serve) // changes to the [serve] defaults
	keys    []user              // in the authorized_keys file
	dataDir string              // "" = a temp dir
	now     func() time.Time
	idle    time.Duration // Options.IdleCheck
}

func startServer(t *testing.T, s setup) *fixture {
	t.Helper()
	cfg := config.Default()
	cfg.Serve.Listen = "127.0.0.1:0"
	if s.serve != nil {
		s.serve(&cfg.Serve)
	}
	dir := s.dataDir
	if dir == "" {
		dir = t.TempDir()
	}
	keysPath := filepath.Join(t.TempDir(), "authorized_keys")
	var lines []string
	for _, u := range s.keys {
		lines = append(lines, u.line)
	}
	if err := os.WriteFile(keysPath, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := LoadAuthorizedKeys(keysPath, cfg.Serve.AllowAnonymous)
	if err != nil {
		t.Fatal(err)
	}
	hostKey, _, err := LoadHostKey(filepath.Join(dir, "host_key"))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := engine.New(engine.Options{Config: cfg, Demo: true, DataDir: dir, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Start(); err != nil {
		rt.Close()
		t.Fatal(err)
	}
	th, err := themes.Load("dark", "")
	if err != nil {
		t.Fatal(err)
	}
	lb := &logBuf{}
	srv, err := New(Options{Runtime: rt, Config: cfg.Serve, Keys: keys, HostKey: hostKey, Theme: th, Mouse: true,
		Log: slog.New(slog.NewTextHandler(lb, nil)), Version: "test", Now: s.now, IdleCheck: s.idle})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Serve.Listen)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, rt: rt, srv: srv, addr: ln.Addr().String(), log: lb, dataDir: dir, served: make(chan error, 1)}
	go func() { f.served <- srv.Serve(ln) }()
	t.Cleanup(f.stop)
	return f
}

// stop shuts the server down and closes the runtime (once).
func (f *fixture) stop() {
	if f.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		f.t.Errorf("shutdown: %v", err)
	}
	if err := <-f.served; err != nil {
		f.t.Errorf("serve: %v", err)
	}
	f.rt.Close()
	f.srv = nil
}

// dial opens a session as u (nil key: none) and closes it at the end of
// the test.
func (f *fixture) dial(o sshterm.Options) (*sshterm.Term, error) {
	o.Addr = f.addr
	tm, err := sshterm.Dial(o)
	if err == nil {
		f.t.Cleanup(tm.Close)
	}
	return tm, err
}

func (f *fixture) open(u user, o sshterm.Options) *sshterm.Term {
	f.t.Helper()
	o.Key = u.key
	tm, err := f.dial(o)
	if err != nil {
		f.t.Fatalf("dial: %v", err)
	}
	return tm
}

// waitText waits until tm's screen shows text.
func waitText(t *testing.T, tm *sshterm.Term, text string) string {
	t.Helper()
	s, err := tm.WaitText(wait, text)
	if err != nil {
		t.Fatalf("waiting for %q: %v; the screen:\n%s", text, err, s)
	}
	return s
}

func waitScreen(t *testing.T, tm *sshterm.Term, what string, ok func(string) bool) string {
	t.Helper()
	s, err := tm.WaitFor(wait, ok)
	if err != nil {
		t.Fatalf("waiting for %s: %v; the screen:\n%s", what, err, s)
	}
	return s
}

// until waits for ok, polling, failing after wait.
func until(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// session finds the live session of user id ("" anonymous); nil if none.
func (f *fixture) session(id string) *session {
	f.srv.mu.Lock()
	defer f.srv.mu.Unlock()
	for ls := range f.srv.sessions {
		if ls.user == id {
			return ls
		}
	}
	return nil
}

// exitStatus waits for tm's session to end and returns its exit status.
func exitStatus(t *testing.T, tm *sshterm.Term) int {
	t.Helper()
	code, err := tm.Wait(wait)
	if err != nil {
		t.Fatalf("the session did not end: %v", err)
	}
	return code
}

// cursorRow is the row of the cursor marker ▸ in the table, -1 if none.
func cursorRow(screen string) int {
	for i, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "▸") {
			return i
		}
	}
	return -1
}

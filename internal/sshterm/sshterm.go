// Package sshterm is the far end of a `tokentop serve` session, for tests
// and the load tool: an SSH client (golang.org/x/crypto/ssh) that asks for
// a pty, types keys, sends window changes, and reads the screen back
// through a terminal emulator (github.com/charmbracelet/x/vt), so callers
// check what a person would see. It is never part of the tokentop binary.
package sshterm

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"
)

// Options describe a client.
type Options struct {
	Addr string // host:port of the server
	// Key is the client's key; nil offers none. Anonymous offers
	// keyboard-interactive (after the key, if any), the anonymous way in.
	Key       gossh.Signer
	Anonymous bool
	// HostKey, when set, must be the server's key.
	HostKey gossh.PublicKey
	// NoPty asks for no terminal.
	NoPty         bool
	Width, Height int               // default 120x40
	Term          string            // TERM; default xterm-256color
	Env           map[string]string // sent before the shell starts
	// KeepOutput keeps every byte received (Output); off, only the
	// screen is kept.
	KeepOutput bool
	// OnScreen, when set, is called after each piece of output is applied
	// to the screen, on the reading goroutine, with the emulator (its
	// lock held: read it, do not keep it).
	OnScreen func(e *vt.Emulator)
	// Timeout bounds the dial and handshake; default 10s.
	Timeout time.Duration
}

// NewKey makes an ed25519 key for a client, and its authorized_keys line
// with comment.
func NewKey(comment string) (gossh.Signer, string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, "", err
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey())))
	if comment != "" {
		line += " " + comment
	}
	return s, line, nil
}

// Term is one client session.
type Term struct {
	conn   net.Conn
	client *gossh.Client
	sess   *gossh.Session
	stdin  io.WriteCloser
	o      Options

	mu      sync.Mutex
	emu     *vt.Emulator
	out     bytes.Buffer
	n       int64 // bytes received
	changed chan struct{}
	stalled bool
	resume  chan struct{}

	readDone chan struct{} // the output reader ended
	waitDone chan struct{} // the session ended
	waitErr  error
}

// Dial connects, authenticates, asks for a pty (unless NoPty) and a shell.
func Dial(o Options) (*Term, error) {
	if o.Width <= 0 {
		o.Width = 120
	}
	if o.Height <= 0 {
		o.Height = 40
	}
	if o.Term == "" {
		o.Term = "xterm-256color"
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	var auth []gossh.AuthMethod
	if o.Key != nil {
		auth = append(auth, gossh.PublicKeys(o.Key))
	}
	if o.Anonymous {
		auth = append(auth, gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
			return nil, nil
		}))
	}
	hostKey := gossh.InsecureIgnoreHostKey() // tests and the load tool talk to their own server
	if o.HostKey != nil {
		hostKey = gossh.FixedHostKey(o.HostKey)
	}
	cfg := &gossh.ClientConfig{User: "trader", Auth: auth, HostKeyCallback: hostKey, Timeout: o.Timeout}
	c, err := net.DialTimeout("tcp", o.Addr, o.Timeout)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(o.Timeout))
	cc, chans, reqs, err := gossh.NewClientConn(c, o.Addr, cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	client := gossh.NewClient(cc, chans, reqs)
	t := &Term{conn: c, client: client, o: o, emu: vt.NewEmulator(o.Width, o.Height), changed: make(chan struct{}, 1),
		readDone: make(chan struct{}), waitDone: make(chan struct{})}
	// The emulator writes replies to queries (device attributes, cursor
	// position) into a pipe nobody reads; tokentop sends no query.
	t.emu.SetScrollbackSize(0)
	if err := t.start(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func (t *Term) start() error {
	sess, err := t.client.NewSession()
	if err != nil {
		return err
	}
	t.sess = sess
	for k, v := range t.o.Env {
		if err := sess.Setenv(k, v); err != nil {
			return fmt.Errorf("setenv %s: %w", k, err)
		}
	}
	if !t.o.NoPty {
		if err := sess.RequestPty(t.o.Term, t.o.Height, t.o.Width, gossh.TerminalModes{}); err != nil {
			return fmt.Errorf("pty: %w", err)
		}
	}
	if t.stdin, err = sess.StdinPipe(); err != nil {
		return err
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := sess.StderrPipe()
	if err != nil {
		return err
	}
	if err := sess.Shell(); err != nil {
		return fmt.Errorf("shell: %w", err)
	}
	go t.read(io.MultiReader(stdout, stderr))
	go func() {
		t.waitErr = sess.Wait()
		close(t.waitDone)
	}()
	return nil
}

// read applies the output to the screen until it ends. Stderr is read
// after stdout ends (a refusal's line).
func (t *Term) read(r io.Reader) {
	defer close(t.readDone)
	buf := make([]byte, 32<<10)
	for {
		t.mu.Lock()
		for t.stalled {
			resume := t.resume
			t.mu.Unlock()
			<-resume
			t.mu.Lock()
		}
		t.mu.Unlock()
		n, err := r.Read(buf)
		if n > 0 {
			t.mu.Lock()
			_, _ = t.emu.Write(buf[:n])
			t.n += int64(n)
			if t.o.KeepOutput {
				t.out.Write(buf[:n])
			}
			if t.o.OnScreen != nil {
				t.o.OnScreen(t.emu)
			}
			t.mu.Unlock()
			select {
			case t.changed <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// Type sends keys as a terminal would.
func (t *Term) Type(keys string) error {
	_, err := io.WriteString(t.stdin, keys)
	return err
}

// Resize sends a window change and resizes the screen.
func (t *Term) Resize(w, h int) error {
	t.mu.Lock()
	t.emu.Resize(w, h)
	t.mu.Unlock()
	return t.sess.WindowChange(h, w)
}

// StopReading stops taking output, as a stalled client does: the
// server's window on the channel runs out and its writes block. Resume
// takes output again.
func (t *Term) StopReading() {
	t.mu.Lock()
	if !t.stalled {
		t.stalled, t.resume = true, make(chan struct{})
	}
	t.mu.Unlock()
}

// Resume undoes StopReading.
func (t *Term) Resume() {
	t.mu.Lock()
	if t.stalled {
		t.stalled = false
		close(t.resume)
	}
	t.mu.Unlock()
}

// Screen is the text on the screen, one line per row, trailing spaces
// kept.
func (t *Term) Screen() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return ScreenText(t.emu)
}

// ScreenText is the emulator's screen as text, one line per row.
func ScreenText(e *vt.Emulator) string {
	var b strings.Builder
	for y := 0; y < e.Height(); y++ {
		if y > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(RowText(e, y))
	}
	return b.String()
}

// RowText is one row of the emulator's screen as text.
func RowText(e *vt.Emulator, y int) string {
	var b strings.Builder
	for x := 0; x < e.Width(); x++ {
		c := e.CellAt(x, y)
		switch {
		case c == nil:
			b.WriteByte(' ')
		case c.Content == "" && c.Width == 0:
			// the right half of a wide character
		case c.Content == "":
			b.WriteByte(' ')
		default:
			b.WriteString(c.Content)
		}
	}
	return b.String()
}

// AltScreen reports whether the client's terminal is on its alternate
// screen; CursorHidden whether its cursor is hidden.
func (t *Term) AltScreen() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.emu.IsAltScreen()
}

func (t *Term) CursorHidden() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.emu.CursorHidden()
}

// Output is every byte received (with KeepOutput).
func (t *Term) Output() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.out.String()
}

// Received is how many bytes were received.
func (t *Term) Received() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// ErrTimeout is WaitFor's error when the screen never matched.
var ErrTimeout = errors.New("timed out")

// WaitFor waits until ok accepts the screen, or the session ends, or
// timeout passes; it returns the last screen.
func (t *Term) WaitFor(timeout time.Duration, ok func(screen string) bool) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s := t.Screen()
		if ok(s) {
			return s, nil
		}
		select {
		case <-t.changed:
		case <-t.readDone:
			if s := t.Screen(); ok(s) {
				return s, nil
			}
			return t.Screen(), fmt.Errorf("the session ended: %w", ErrTimeout)
		case <-deadline.C:
			return t.Screen(), ErrTimeout
		}
	}
}

// WaitText waits until the screen shows text.
func (t *Term) WaitText(timeout time.Duration, text string) (string, error) {
	return t.WaitFor(timeout, func(s string) bool { return strings.Contains(s, text) })
}

// Wait waits for the session to end (the server closed it) and returns
// its exit status (-1 when there was none), or an error after timeout.
func (t *Term) Wait(timeout time.Duration) (int, error) {
	select {
	case <-t.waitDone:
	case <-time.After(timeout):
		return -1, ErrTimeout
	}
	<-t.readDone
	var ee *gossh.ExitError
	switch {
	case t.waitErr == nil:
		return 0, nil
	case errors.As(t.waitErr, &ee):
		return ee.ExitStatus(), nil
	}
	return -1, nil
}

// Ended is closed when the session has ended.
func (t *Term) Ended() <-chan struct{} { return t.waitDone }

// Close ends the client: the TCP connection is closed at once, as a
// client that vanishes mid-frame.
func (t *Term) Close() {
	t.Resume()
	if t.client != nil {
		_ = t.client.Close()
	}
	_ = t.conn.Close()
}

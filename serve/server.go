// Package serve is `tokentop serve`: an SSH server (charmbracelet/wish)
// that gives every SSH session its own dashboard, an engine.Session, on
// one shared market runtime. Each public key in the authorized_keys file
// is a user (its id is the key's SHA256 fingerprint); with
// allow_anonymous, a client whose key is not listed gets a read-only
// dashboard.
//
// A session draws on its SSH channel through its own terminal
// (ui/screen): the latest frame wins, one writer goroutine per session,
// a write timeout. So a client that stops reading costs only itself: it
// is dropped after the write timeout, and nothing upstream (the market
// hub, the store, the user services, other sessions) ever waits on it.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	wishrecover "github.com/charmbracelet/wish/recover"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/engine"
	"github.com/tokentop/tokentop/themes"
)

// Limits of a connection (they come from outside the process).
const (
	// handshakeTimeout: a connection must authenticate and open its
	// session within this time, or it is closed.
	handshakeTimeout = 30 * time.Second
	// preStartBytes: what a connection may send before its dashboard
	// starts (the handshake, auth, pty and env requests); more closes it.
	preStartBytes = 1 << 20
	// Terminal sizes are clamped to this (a client may claim any size;
	// the screen keeps a cell per position).
	maxWidth, maxHeight = 600, 300
)

// Options configure a server.
type Options struct {
	Runtime *engine.Runtime // started; the server never closes it
	Config  config.Serve
	Keys    *AuthorizedKeys
	HostKey gossh.Signer
	// Theme is the config's theme; ThemesDir holds the user themes a
	// client may name with TOKENTOP_THEME.
	Theme     themes.Theme
	ThemesDir string
	Mouse     bool // [ui] mouse
	Log       *slog.Logger
	Version   string
	// Now is the wall clock (session durations, idle time); default
	// time.Now.
	Now func() time.Time
	// IdleCheck is how often sessions are checked for idleness; default a
	// 60th of the idle timeout, at least a second.
	IdleCheck time.Duration
}

// Server serves the dashboard over SSH.
type Server struct {
	o   Options
	ssh *ssh.Server
	log *slog.Logger

	// ctx ends every session (with the cause) when the server shuts down.
	ctx  context.Context
	stop context.CancelCauseFunc

	handlers sync.WaitGroup // session handlers running

	mu         sync.Mutex
	closing    bool
	sessions   map[*session]struct{}
	perIP      map[string]int // sessions per address
	conns      int
	connsPerIP map[string]int
}

// errShutdown ends every session when the server stops.
var errShutdown = errors.New("tokentop is shutting down")

// New builds a server. Serve runs it.
func New(o Options) (*Server, error) {
	if o.Runtime == nil || o.Keys == nil || o.HostKey == nil {
		return nil, errors.New("serve: a server needs a runtime, authorized keys and a host key")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.IdleCheck <= 0 {
		o.IdleCheck = max(o.Config.IdleTimeout/60, time.Second)
	}
	s := &Server{o: o, log: o.Log, sessions: map[*session]struct{}{}, perIP: map[string]int{}, connsPerIP: map[string]int{}}
	s.ctx, s.stop = context.WithCancelCause(context.Background())

	opts := []ssh.Option{
		wish.WithPublicKeyAuth(s.publicKey),
		wish.WithMiddleware(wishrecover.MiddlewareWithLogger(panicLog{s.log}, s.dashboard)),
		wish.WithVersion("tokentop_" + versionWord(o.Version)),
		func(srv *ssh.Server) error {
			srv.PtyHandler = recordPty
			srv.ConnCallback = s.accept
			srv.ConnectionFailedCallback = s.failed
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.openSession}
			return nil
		},
	}
	if o.Config.AllowAnonymous {
		// Keyboard-interactive with no questions: the anonymous way in. Not
		// "none": clients try none first, so a listed key would never be
		// asked for. Clients try it after their keys were refused.
		opts = append(opts, wish.WithKeyboardInteractiveAuth(func(ssh.Context, gossh.KeyboardInteractiveChallenge) bool { return true }))
	}
	srv := &ssh.Server{}
	for _, op := range opts {
		if err := srv.SetOption(op); err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
	}
	srv.AddHostKey(o.HostKey)
	s.ssh = srv
	return s, nil
}

// versionWord is the version as an SSH version string may carry it.
func versionWord(v string) string {
	out := []byte{}
	for i := 0; i < len(v) && len(out) < 32; i++ {
		if c := v[i]; c > ' ' && c < 0x7f && c != '-' {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "dev"
	}
	return string(out)
}

// Serve accepts connections on l until Shutdown. It returns nil after
// Shutdown, else why it stopped.
func (s *Server) Serve(l net.Listener) error {
	go s.watchIdle()
	err := s.ssh.Serve(l)
	if errors.Is(err, ssh.ErrServerClosed) || s.isClosing() {
		return nil
	}
	return err
}

// Sessions is how many dashboards are open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Shutdown stops taking connections, tells every session "tokentop is
// shutting down" (after its terminal is restored) and closes it, waits for
// them (until ctx ends: a client that takes no output is cut off), and
// closes every connection. The runtime is the caller's to close after.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	// Close the listeners; with a context already ended this returns at
	// once instead of waiting for the connections.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.ssh.Shutdown(done)
	s.stop(errShutdown)
	finished := make(chan struct{})
	go func() { s.handlers.Wait(); close(finished) }()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = fmt.Errorf("serve: sessions still closing at shutdown: %w", ctx.Err())
	}
	if cerr := s.ssh.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// publicKey lets in a listed key. An unlisted one is refused here even
// with allow_anonymous: the client then tries its other keys, and only
// then keyboard-interactive, the anonymous way in.
func (s *Server) publicKey(ctx ssh.Context, key ssh.PublicKey) bool {
	if _, ok := s.o.Keys.Lookup(key); ok {
		return true
	}
	fp := gossh.FingerprintSHA256(key)
	ctx.SetValue(refusedKey{}, fp)
	s.log.Info("ssh: key refused", "addr", addrOf(ctx.RemoteAddr()), "key", fp, "type", key.Type(),
		"reason", "not in "+s.o.Keys.Path())
	return false
}

type refusedKey struct{}

// failed logs a connection that ended before it was served: refused
// keys, a client that gave up, a handshake that timed out.
func (s *Server) failed(conn net.Conn, err error) {
	attrs := []any{"addr", addrOf(conn.RemoteAddr()), "err", err.Error()}
	s.log.Info("ssh: connection not authenticated", attrs...)
}

// accept admits a connection (limits: twice the session limits, so a
// client one over them still hears why) and bounds its handshake.
func (s *Server) accept(ctx ssh.Context, c net.Conn) net.Conn {
	ip := hostOf(c.RemoteAddr())
	s.mu.Lock()
	full := s.closing || s.conns >= 2*s.o.Config.MaxSessions || s.connsPerIP[ip] >= 2*s.o.Config.MaxSessionsPerIP
	if !full {
		s.conns++
		s.connsPerIP[ip]++
	}
	n := s.conns
	s.mu.Unlock()
	if full {
		s.log.Warn("ssh: connection refused", "addr", addrOf(c.RemoteAddr()), "reason", "too many connections", "connections", n)
		return nil
	}
	tc := &conn{Conn: c, s: s, ip: ip, handshake: time.Now().Add(handshakeTimeout)}
	_ = tc.SetDeadline(time.Time{})
	ctx.SetValue(connKey{}, tc)
	return tc
}

// openSession is the "session" channel handler: the connection is
// authenticated, so its handshake deadline ends; then wish's handler.
func (s *Server) openSession(srv *ssh.Server, c *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
	if tc, ok := ctx.Value(connKey{}).(*conn); ok && !tc.open.Swap(true) {
		_ = tc.Conn.SetDeadline(time.Time{})
	}
	ssh.DefaultSessionHandler(srv, c, ch, ctx)
}

type connKey struct{}

// conn is one client's connection: counted while open, closed if it has
// not opened a session by its handshake deadline, and cut off if it sends
// more than preStartBytes before its dashboard starts.
type conn struct {
	net.Conn
	s         *Server
	ip        string
	handshake time.Time   // the deadline until a session channel opens
	open      atomic.Bool // a session channel opened
	read      atomic.Int64
	started   atomic.Bool // a dashboard started
	once      sync.Once
}

// SetDeadline keeps the handshake deadline until a session opens (wish's
// connection sets a deadline before every read and write).
func (c *conn) SetDeadline(t time.Time) error {
	if !c.open.Load() {
		t = c.handshake
	}
	return c.Conn.SetDeadline(t)
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.started.Load() && c.read.Add(int64(n)) > preStartBytes {
		return n, fmt.Errorf("more than %d bytes before the session started", preStartBytes)
	}
	return n, err
}

func (c *conn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		c.s.conns--
		if c.s.connsPerIP[c.ip]--; c.s.connsPerIP[c.ip] <= 0 {
			delete(c.s.connsPerIP, c.ip)
		}
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// recordPty is the server's pty handler: the session draws on its SSH
// channel itself (cursor moves, never a bare newline), so no pty is
// emulated (wish's emulation rewrites and copies every write); the request
// is kept for the session to read its TERM and size.
func recordPty(ctx ssh.Context, sess ssh.Session, p ssh.Pty) (func() error, error) {
	ctx.SetValue(ptyKey{sess}, p)
	return func() error { return nil }, nil
}

type ptyKey struct{ s ssh.Session }

// ptyOf is the pty the client asked for, if it did.
func ptyOf(sess ssh.Session) (ssh.Pty, bool) {
	p, ok := sess.Context().Value(ptyKey{sess}).(ssh.Pty)
	return p, ok
}

// panicLog logs a panic wish's recover middleware caught.
type panicLog struct{ log *slog.Logger }

func (p panicLog) Printf(format string, v ...any) {
	p.log.Error("ssh: session handler panicked", "panic", fmt.Sprintf(format, v...))
}

// addrOf and hostOf name a client's address, and its host alone.
func addrOf(a net.Addr) string {
	if a == nil {
		return "?"
	}
	return a.String()
}

func hostOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	h, _, err := net.SplitHostPort(addrOf(a))
	if err != nil {
		return addrOf(a)
	}
	return h
}

package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tokentop/tokentop/engine"
	"github.com/tokentop/tokentop/themes"
	"github.com/tokentop/tokentop/ui/screen"
)

// Exit statuses a client sees.
const (
	exitOK      = 0 // the user quit; the server shut down; idle
	exitRefused = 1 // no terminal, a limit, a key no longer listed, an error
)

// errIdle ends a session in which nothing was typed for the idle timeout.
var errIdle = errors.New("idle")

// ThemeEnv is the client environment variable that picks a session's
// theme (ssh -o SetEnv=TOKENTOP_THEME=light).
const ThemeEnv = "TOKENTOP_THEME"

// session is one dashboard being served.
type session struct {
	user    string // "" anonymous
	label   string
	key     string // the fingerprint of the key the client logged in with
	addr    string
	ip      string
	started time.Time
	out     *output
	// lastInput is when the client last typed (UnixNano of Options.Now).
	lastInput atomic.Int64
	end       context.CancelCauseFunc
}

// who names the session's user in the logs.
func (ls *session) who() string {
	if ls.user == "" {
		return "anonymous"
	}
	return ls.user
}

// dashboard is the middleware that serves a dashboard on each SSH
// session (wish's bubbletea middleware makes its own program and
// renderer; each session here is an engine.Session on the shared market).
func (s *Server) dashboard(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		s.serveSession(sess)
		next(sess)
	}
}

func (s *Server) serveSession(sess ssh.Session) {
	tc, _ := sess.Context().Value(connKey{}).(*conn)
	ls := &session{addr: addrOf(sess.RemoteAddr()), ip: hostOf(sess.RemoteAddr()), started: s.o.Now()}
	pty, hasPty := ptyOf(sess)
	var ok bool
	if ls.user, ls.label, ls.key, ok = s.identify(sess); !ok {
		s.refuse(sess, hasPty, "tokentop: your key is not authorized", "key no longer authorized", ls)
		return
	}
	if !hasPty {
		port := "2222"
		if a, ok := sess.LocalAddr().(*net.TCPAddr); ok {
			port = strconv.Itoa(a.Port)
		}
		s.refuse(sess, false, "tokentop needs a terminal: ssh -t -p "+port+" <host>", "no terminal (pty) requested", ls)
		return
	}
	if sess.RawCommand() != "" || sess.Subsystem() != "" {
		s.refuse(sess, true, "tokentop serve runs only the dashboard: connect with no command", "a command was given", ls)
		return
	}
	if why := s.admit(ls); why != "" {
		s.refuse(sess, true, "tokentop: "+why+"; try again later", why, ls)
		return
	}
	defer s.leave(ls)
	if tc != nil {
		tc.started.Store(true)
	}

	env := environ(sess.Environ())
	profile := termenv.NewOutput(io.Discard, termenv.WithEnvironment(env), termenv.WithTTY(true)).EnvColorProfile()
	theme, themeNote := s.themeFor(env)
	w, h := clampSize(pty.Window.Width, pty.Window.Height)
	ls.out = &output{w: sess}
	ls.lastInput.Store(s.o.Now().UnixNano())
	es, err := s.o.Runtime.NewSession(engine.SessionOptions{
		User:         ls.user,
		Label:        ls.label,
		In:           &input{r: sess, s: s, ls: ls},
		Out:          ls.out,
		Width:        w,
		Height:       h,
		Profile:      profile,
		Theme:        theme,
		Mouse:        s.o.Mouse,
		WriteTimeout: s.o.Config.WriteTimeout,
	})
	if err != nil {
		s.log.Error("ssh: dashboard not started", "user", ls.who(), "addr", ls.addr, "err", err)
		s.end(sess, true, "tokentop: the dashboard cannot start: "+err.Error(), exitRefused)
		return
	}

	ctx, cancel := context.WithCancelCause(sess.Context())
	defer cancel(nil)
	stop := context.AfterFunc(s.ctx, func() { cancel(context.Cause(s.ctx)) })
	defer stop()
	s.mu.Lock()
	ls.end = cancel
	s.mu.Unlock()

	// Window changes until the channel closes: wish's request loop waits
	// on each one being taken, so they are taken even after Run.
	_, winch, _ := sess.Pty()
	resized := make(chan struct{})
	go func() {
		defer close(resized)
		for win := range winch {
			es.Resize(clampSize(win.Width, win.Height))
		}
	}()

	attrs := []any{"user", ls.who(), "label", ls.label, "addr", ls.addr, "key", ls.key,
		"pty", fmt.Sprintf("%dx%d", w, h), "term", cleanLabel(pty.Term), "colors", profileName(profile), "theme", theme.Name,
		"sessions", s.Sessions()}
	if themeNote != "" {
		attrs = append(attrs, "theme_problem", themeNote)
	}
	s.log.Info("ssh: session started", attrs...)

	err = es.Run(ctx)
	cause := context.Cause(ctx)
	reason, line, code := "quit", "", exitOK
	switch {
	case errors.Is(err, screen.ErrWriteTimeout):
		reason, code = "client stopped reading: "+err.Error(), exitRefused
	case errors.Is(cause, errShutdown):
		reason, line = "server shutting down", errShutdown.Error()
	case errors.Is(cause, errIdle):
		reason = "idle for " + s.o.Config.IdleTimeout.String()
		line = "tokentop: closed after " + s.o.Config.IdleTimeout.String() + " with nothing typed"
	case sess.Context().Err() != nil || ls.out.failed.Load():
		// A write the channel refused: the client closed it or its
		// connection went (the connection's context may end just after).
		reason, code = "client disconnected", exitRefused
	case err != nil:
		reason, line, code = "error: "+err.Error(), "tokentop: "+err.Error(), exitRefused
	}
	if code == exitRefused && line == "" {
		// The client is gone or takes nothing: cut the connection, which
		// also ends a write still waiting on it.
		closeConn(sess)
	} else {
		s.end(sess, true, line, code)
	}
	// The window-change loop ends when the channel is closed; a client
	// that never answers the close loses its connection.
	select {
	case <-resized:
	case <-time.After(s.o.Config.WriteTimeout):
		closeConn(sess)
		<-resized
	}
	s.log.Info("ssh: session ended", "user", ls.who(), "addr", ls.addr, "reason", reason,
		"duration", s.o.Now().Sub(ls.started).Round(time.Millisecond).String(), "bytes", ls.out.sent.Load(),
		"sessions", s.Sessions()-1)
}

// identify is the session's user: the user of the key it logged in with,
// or anonymous (no key, or one not listed, with allow_anonymous). ok is
// false for a key that was removed from the file since it logged in.
func (s *Server) identify(sess ssh.Session) (user, label, key string, ok bool) {
	if pk := sess.PublicKey(); pk != nil {
		key = gossh.FingerprintSHA256(pk)
		k, found := s.o.Keys.Lookup(pk)
		return k.User, k.Label, key, found
	}
	if !s.o.Config.AllowAnonymous {
		return "", "", "", false
	}
	refused, _ := sess.Context().Value(refusedKey{}).(string)
	return "", "anonymous", refused, true
}

// admit counts a session in, or says why not: the server is full, or
// shutting down.
func (s *Server) admit(ls *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return "the server is shutting down"
	case len(s.sessions) >= s.o.Config.MaxSessions:
		return fmt.Sprintf("the server is full (%d sessions)", s.o.Config.MaxSessions)
	case s.perIP[ls.ip] >= s.o.Config.MaxSessionsPerIP:
		return fmt.Sprintf("too many sessions from your address (%d)", s.o.Config.MaxSessionsPerIP)
	}
	s.sessions[ls] = struct{}{}
	s.perIP[ls.ip]++
	s.handlers.Add(1)
	return ""
}

func (s *Server) leave(ls *session) {
	s.mu.Lock()
	delete(s.sessions, ls)
	if s.perIP[ls.ip]--; s.perIP[ls.ip] <= 0 {
		delete(s.perIP, ls.ip)
	}
	s.mu.Unlock()
	s.handlers.Done()
}

// refuse tells the client why it gets no dashboard, logs it, and closes
// the session with exit status 1.
func (s *Server) refuse(sess ssh.Session, pty bool, line, reason string, ls *session) {
	s.log.Info("ssh: session refused", "user", ls.who(), "addr", ls.addr, "key", ls.key, "reason", reason)
	s.end(sess, pty, line, exitRefused)
}

// end writes line (if any) to the client, sends the exit status and
// closes the session; a client that takes none of it within the write
// timeout loses its connection.
func (s *Server) end(sess ssh.Session, pty bool, line string, code int) {
	cut := time.AfterFunc(s.o.Config.WriteTimeout, func() { closeConn(sess) })
	defer cut.Stop()
	if line != "" {
		if pty {
			// The client's terminal, in raw mode, after the dashboard
			// restored it.
			_, _ = io.WriteString(sess, line+"\r\n")
		} else {
			_, _ = io.WriteString(sess.Stderr(), line+"\n")
		}
	}
	_ = sess.Exit(code)
}

// closeConn closes the session's whole connection.
func closeConn(sess ssh.Session) {
	if c, ok := sess.Context().Value(ssh.ContextKeyConn).(gossh.Conn); ok {
		_ = c.Close()
	}
}

// themeFor is the session's theme: the client's TOKENTOP_THEME when it
// names one, else mono when the client sends NO_COLOR, else the config's.
// note says why TOKENTOP_THEME was not used.
func (s *Server) themeFor(env environ) (th themes.Theme, note string) {
	if name := env.Getenv(ThemeEnv); name != "" {
		t, err := themes.Load(name, s.o.ThemesDir)
		if err == nil {
			return t, ""
		}
		note = err.Error()
	}
	if env.Getenv("NO_COLOR") != "" {
		if t, err := themes.Load("mono", ""); err == nil {
			return t, note
		}
	}
	return s.o.Theme, note
}

// watchIdle ends the sessions in which nothing was typed for the idle
// timeout, until the server shuts down.
func (s *Server) watchIdle() {
	if s.o.Config.IdleTimeout <= 0 {
		return
	}
	t := time.NewTicker(s.o.IdleCheck)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		limit := s.o.Now().Add(-s.o.Config.IdleTimeout).UnixNano()
		s.mu.Lock()
		for ls := range s.sessions {
			if ls.end != nil && ls.lastInput.Load() <= limit {
				ls.end(errIdle)
			}
		}
		s.mu.Unlock()
	}
}

// clampSize keeps a client's claimed size within what a session draws.
func clampSize(w, h int) (int, int) {
	return min(max(w, 0), maxWidth), min(max(h, 0), maxHeight)
}

func profileName(p termenv.Profile) string {
	switch p {
	case termenv.TrueColor:
		return "truecolor"
	case termenv.ANSI256:
		return "256"
	case termenv.ANSI:
		return "16"
	}
	return "none"
}

// environ is the client's environment (what it sent, and TERM from its
// pty request); never the server process's.
type environ []string

func (e environ) Environ() []string { return e }

func (e environ) Getenv(key string) string {
	v := ""
	for _, kv := range e {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val // the last one sent wins
		}
	}
	return v
}

// input is the session's keyboard: the SSH channel, noting when the
// client last typed.
type input struct {
	r  io.Reader
	s  *Server
	ls *session
}

func (in *input) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	if n > 0 {
		in.ls.lastInput.Store(in.s.o.Now().UnixNano())
	}
	return n, err
}

// output is the session's screen: the SSH channel, counting the bytes
// sent and the writes begun and finished. A write is sent in pieces of at
// most one SSH packet (as the channel sends it anyway), so sent is exact
// to a packet even while a write waits on a client that stopped reading.
type output struct {
	w               io.Writer
	sent            atomic.Uint64
	begun, finished atomic.Uint64
	failed          atomic.Bool // a write failed: the channel is closed
}

// packet is the SSH channel's largest data packet.
const packet = 32 << 10

func (o *output) Write(p []byte) (int, error) {
	o.begun.Add(1)
	defer o.finished.Add(1)
	n := 0
	for n < len(p) {
		m, err := o.w.Write(p[n:min(len(p), n+packet)])
		n += m
		o.sent.Add(uint64(max(m, 0)))
		if err != nil {
			o.failed.Store(true)
			return n, err
		}
	}
	return n, nil
}

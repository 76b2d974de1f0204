package engine

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/themes"
	"github.com/tokentop/tokentop/ui"
)

// SessionOptions describe one terminal. Everything a session decides
// comes from here, never from the process's environment or standard
// output: the local dashboard fills them from its own terminal and
// environment, an SSH server from the client's pty request and env.
type SessionOptions struct {
	// User is the user's id (LocalUser for the local dashboard); "" is an
	// anonymous session: read only, no watchlists, portfolio or alerts.
	User string
	// Label names the user in the store's list of users (an SSH key's
	// comment and type); "" keeps the one it has.
	Label string
	// Local says the terminal is on this machine: only then may alerts
	// show desktop notifications ([alerts] desktop).
	Local bool
	// In is the keyboard (and mouse). nil, for a local session only, is
	// the process's own terminal as Bubble Tea finds it (standard input,
	// or /dev/tty when standard input is not a terminal).
	In  io.Reader
	Out io.Writer // the screen
	// Width and Height are the terminal's size when the caller knows it
	// (an SSH pty request); 0 lets the program ask the terminal (local).
	Width, Height int
	// Profile is the terminal's colour profile (from its TERM, COLORTERM
	// and NO_COLOR); a mono theme always draws without colour.
	Profile termenv.Profile
	Theme   themes.Theme
	Mouse   bool // mouse reporting ([ui] mouse)
}

// Session is one terminal: a Bubble Tea program with its own renderer,
// subscribed to the market and to its user's service for as long as it
// runs.
type Session struct {
	rt   *Runtime
	o    SessionOptions
	user *User // nil: anonymous
	term terminal
	// probe, in tests, wraps the program's model to watch its views.
	probe func(tea.Model) tea.Model
}

// NewSession prepares a session of o.User (whose service starts if it
// was not running). Run runs it.
func (r *Runtime) NewSession(o SessionOptions) (*Session, error) {
	if o.Out == nil || (o.In == nil && !o.Local) {
		return nil, errors.New("engine: a session needs its terminal's input and output")
	}
	s := &Session{rt: r, o: o}
	if o.User != "" {
		u, err := r.User(o.User)
		if err != nil {
			return nil, err
		}
		s.user = u
		if r.users != nil {
			if err := r.users.TouchUser(o.User, o.Label, time.Now()); err != nil {
				r.log.Warn("store: user not marked as seen", "user", o.User, "err", err)
			}
		}
	}
	var opts []tea.ProgramOption
	opts = append(opts, tea.WithAltScreen())
	if o.Mouse {
		opts = append(opts, tea.WithMouseCellMotion())
	}
	if !o.Local {
		// The process's signals (SIGINT, SIGTERM, SIGWINCH) are not a
		// remote session's: its size comes from Resize.
		opts = append(opts, tea.WithoutSignalHandler())
	}
	s.term = newTeaTerminal(o.In, o.Out, o.Width, o.Height, opts)
	return s, nil
}

// Resize tells the session its terminal's new size (an SSH window-change
// request). It may wait until the program takes it.
func (s *Session) Resize(w, h int) { s.term.Resize(w, h) }

// Run runs the session until the user quits, ctx ends or the runtime
// closes. Its subscriptions end with it. It returns nil when it ended by
// the user quitting, ctx or the runtime.
func (s *Session) Run(ctx context.Context) error {
	rt := s.rt
	if !rt.addSession() {
		return errors.New("engine: the runtime is not running")
	}
	defer rt.sessions.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(rt.sessCtx, cancel)
	defer stop()

	cfg := rt.cfg
	var link ui.UserLink
	if s.user != nil {
		link = userLink{u: s.user, box: s.user.Subscribe(ctx)}
	}
	var bell func()
	if cfg.Alerts.Bell {
		bell = s.term.Bell
	}
	var notify func(title, body string)
	if s.o.Local {
		notify = rt.notifier(cfg.Alerts.Desktop, rt.log)
	}
	renderer := lipgloss.NewRenderer(s.term.Output())
	profile := s.o.Profile
	if s.o.Theme.Mono {
		profile = termenv.Ascii
	}
	renderer.SetColorProfile(profile)
	renderer.SetHasDarkBackground(true) // decided here, never by asking the terminal
	app := ui.New(ui.Options{
		Snapshots:  rt.market.Subscribe(ctx),
		History:    rt.market,
		Theme:      s.o.Theme,
		Renderer:   renderer,
		Clock:      rt.src.clock,
		RefreshHz:  cfg.UI.RefreshHz,
		Mouse:      s.o.Mouse,
		StaleAfter: cfg.UI.StaleAfter,
		Flash:      cfg.UI.Flash,
		Sort:       cfg.UI.Sort,
		SortDesc:   cfg.UI.SortDesc,
		DetailSide: cfg.UI.DetailSide,
		Demo:       rt.src.demo,
		Version:    rt.version,

		MoonshotMaxCap: cfg.RatingsOptions().MoonshotMaxCap,

		User:         link,
		HideBalances: cfg.Portfolio.HideBalances,
		Bell:         bell,
		Notify:       notify,
	})
	var m tea.Model = app
	if s.probe != nil {
		m = s.probe(m)
	}
	_, err := s.term.Run(ctx, m)
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // ended from outside (a signal, the runtime closing); the terminal is restored
	}
	return err
}

// userLink is a session's link to its user's service.
type userLink struct {
	u   *User
	box *model.Mailbox[*model.UserSnapshot]
}

func (l userLink) Updates() *model.Mailbox[*model.UserSnapshot] { return l.box }

func (l userLink) Apply(ch model.UserChange) func() error { return l.u.Apply(ch) }

// terminal is the one seam between a session and its screen: it runs the
// program and rings the bell between frames. (The cell renderer of
// ui/screen will be another terminal.)
type terminal interface {
	Run(ctx context.Context, m tea.Model) (tea.Model, error)
	Bell()
	Resize(w, h int)
	// Output is where the frames go (the lipgloss renderer is built on it).
	Output() io.Writer
}

// teaTerminal runs a Bubble Tea program on a reader and a writer. Every
// write to the writer holds one lock, so the bell never lands inside a
// frame.
type teaTerminal struct {
	in   io.Reader
	out  io.Writer // locked
	mu   *sync.Mutex
	w, h int
	opts []tea.ProgramOption

	pmu  sync.Mutex
	prog *tea.Program
}

func newTeaTerminal(in io.Reader, out io.Writer, w, h int, opts []tea.ProgramOption) *teaTerminal {
	mu := new(sync.Mutex)
	t := &teaTerminal{in: in, mu: mu, w: w, h: h, opts: opts}
	if f, ok := out.(*os.File); ok {
		t.out = ttyOut{File: f, mu: mu}
	} else {
		t.out = lockedWriter{w: out, mu: mu}
	}
	return t
}

func (t *teaTerminal) Output() io.Writer { return t.out }

func (t *teaTerminal) Run(ctx context.Context, m tea.Model) (tea.Model, error) {
	opts := append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithOutput(t.out)}, t.opts...)
	if t.in != nil {
		opts = append(opts, tea.WithInput(t.in))
	}
	t.pmu.Lock()
	if t.w > 0 && t.h > 0 {
		m = sizedStart{Model: m, size: tea.WindowSizeMsg{Width: t.w, Height: t.h}}
	}
	p := tea.NewProgram(m, opts...)
	t.prog = p
	t.pmu.Unlock()
	return p.Run()
}

// Bell rings the terminal bell between frames.
func (t *teaTerminal) Bell() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f, ok := t.out.(ttyOut); ok {
		_, _ = f.File.Write([]byte{'\a'})
		return
	}
	_, _ = t.out.(lockedWriter).w.Write([]byte{'\a'})
}

func (t *teaTerminal) Resize(w, h int) {
	t.pmu.Lock()
	p := t.prog
	if p == nil {
		t.w, t.h = w, h
	}
	t.pmu.Unlock()
	if p != nil {
		p.Send(tea.WindowSizeMsg{Width: w, Height: h})
	}
}

// sizedStart gives the program its terminal's size first, for a terminal
// Bubble Tea cannot ask (a remote one).
type sizedStart struct {
	tea.Model
	size tea.WindowSizeMsg
}

func (m sizedStart) Init() tea.Cmd {
	size := m.size
	return tea.Batch(func() tea.Msg { return size }, m.Model.Init())
}

// Update hands over to the model itself from the first message on.
func (m sizedStart) Update(msg tea.Msg) (tea.Model, tea.Cmd) { return m.Model.Update(msg) }

// ttyOut is a terminal the program draws on, with a lock around each
// write. It embeds *os.File so Bubble Tea still sees a terminal
// (term.File: raw mode, size, resize signals).
type ttyOut struct {
	*os.File
	mu *sync.Mutex
}

func (t ttyOut) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.File.Write(p)
}

// lockedWriter is any other output (an SSH channel, a test's pipe) with
// a lock around each write.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

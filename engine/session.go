package engine

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/themes"
	"github.com/tokentop/tokentop/ui"
	uiscreen "github.com/tokentop/tokentop/ui/screen"
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
	// WriteTimeout: a write to Out that takes longer ends the session
	// (an SSH client that stopped reading); 0 = none.
	WriteTimeout time.Duration
	// Opener opens an address in a browser in front of this session's
	// trader (the trade key); nil = none, and the detail pane shows the
	// link instead. The local dashboard finds one from its own desktop
	// (internal/browser); a remote session has none: a browser started
	// here would open on the server.
	Opener func(ctx context.Context, url string) error
	// NoOpener says why Opener is nil ("over SSH"), for the status line.
	NoOpener string
}

// Session is one terminal: a Bubble Tea program with its own renderer,
// subscribed to the market and to its user's service for as long as it
// runs.
type Session struct {
	rt   *Runtime
	o    SessionOptions
	user *User // nil: anonymous
	term *uiscreen.Terminal
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
	profile := o.Profile
	if o.Theme.Mono {
		profile = termenv.Ascii
	}
	// The process's signals (SIGINT, SIGTERM, SIGWINCH) reach the program
	// only when Out is the process's own terminal; a remote session's size
	// comes from Resize.
	s.term = uiscreen.New(o.Out, uiscreen.Options{
		Renderer:     r.cfg.UI.Renderer,
		Profile:      profile,
		AltScreen:    true,
		Mouse:        o.Mouse,
		Width:        o.Width,
		Height:       o.Height,
		WriteTimeout: o.WriteTimeout,
	})
	return s, nil
}

// Resize tells the session its terminal's new size (an SSH window-change
// request). It never waits for the program.
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
	profile := s.o.Profile
	if s.o.Theme.Mono {
		profile = termenv.Ascii
	}
	// The session's own renderer (the profile the screen reduces to as
	// well): decided here, never read from this process's environment or
	// asked of a terminal.
	renderer := ui.NewRenderer(s.o.Out, profile)
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
		Keys:       cfg.Keys,
		TradeURL:   rt.trade,
		Opener:     s.o.Opener,
		NoOpener:   s.o.NoOpener,

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
	in := s.o.In
	if in == nil {
		in = os.Stdin // local: this terminal (screen opens /dev/tty when stdin is not one)
	}
	_, err := s.term.Run(ctx, m, in)
	st := s.term.Stats()
	rt.log.Info("terminal", "user", s.o.User, "renderer", cfg.UI.Renderer,
		"frames", st.FramesWritten, "skipped", st.FramesSkipped, "bytes", st.BytesWritten)
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

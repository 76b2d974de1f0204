// Package engine is tokentop's market runtime. One Runtime per process
// runs the feeds and the market hub, owns the one store (the ratings
// journal and warm cache kept by the keeper), and runs a User service for
// each user: the one owner of that user's watchlists, lots and alerts,
// which checks the alerts on every market snapshot whether or not anyone
// is watching. A Session is one terminal: a Bubble Tea program with its
// own size, colour profile, theme and renderer, subscribed to the market
// and to its user's service. The local dashboard is one session of the
// user "local"; `tokentop serve` runs many.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"unicode/utf8"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/store"
)

// Options configure a runtime.
type Options struct {
	Config config.Config
	// Demo runs the built-in simulated market instead of the [feed]
	// sources.
	Demo bool
	// DataDir is where the store lives; "" is the default
	// ($XDG_DATA_HOME/tokentop).
	DataDir string
	// LogPath is the debug log (--log); "" discards it.
	LogPath string
	// Version is logged at start.
	Version string
	// Getenv reads the API keys the feeds may use (COINGECKO_API_KEY,
	// TOKENMETRICS_API_KEY); default os.Getenv.
	Getenv func(string) string
}

// Runtime is the market runtime of one process.
type Runtime struct {
	cfg     config.Config
	version string
	log     *slog.Logger
	logFile io.Closer
	src     sources
	market  *model.Market
	st      *store.Store // nil when nothing is saved
	users   userStore    // nil when nothing is saved
	// readOnly says why nothing is saved ("" when the store is open).
	readOnly string
	ns       string // journal and warm-cache namespace
	// trade answers the trade key: a token's trading page on the exchange
	// that streams it; nil for the simulated market.
	trade func(symbol string) (url, exchange string, err error)

	// Lifetimes, ended in this order by Close.
	sessCtx     context.Context // sessions
	endSessions context.CancelFunc
	sessions    sync.WaitGroup
	keepCancel  context.CancelFunc
	kept        chan struct{} // closed when the keeper made its last save
	usersCtx    context.Context
	endUsers    context.CancelFunc
	feedCancel  context.CancelFunc
	feedsDone   chan struct{} // one value per feed and the hub

	mu       sync.Mutex // guards services, started, closing
	services map[string]*User
	started  bool
	closing  bool
	closeErr error
	closed   chan struct{}

	// notifier makes a local session's desktop notifier (desktopNotify;
	// tests count the calls).
	notifier func(on bool, logger *slog.Logger) func(title, body string)
}

// New builds a runtime: it opens the log, builds the feeds the config
// asks for (or the simulated market), opens the store (or notes why it
// runs without one), and builds the market hub from the ratings journal
// and the warm cache. Nothing runs until Start. An error (a bad --log
// path, a feed that cannot be built, a damaged store) leaves nothing open.
func New(o Options) (*Runtime, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	logger, logFile, err := openLog(o.LogPath)
	if err != nil {
		return nil, err
	}
	var src sources
	if o.Demo {
		src = demoSources(o.Config, o.Getenv)
	} else if src, err = liveSources(o.Config, logger, o.Getenv); err != nil {
		logFile.Close()
		return nil, err
	}
	logger.Info("tokentop starting", "version", o.Version, "demo", src.demo, "feeds", len(src.feeds))
	dir := o.DataDir
	if dir == "" {
		dir = store.DefaultDir(o.Getenv)
	}
	op, err := openStore(o.Config, dir, src.demo, logger)
	if err != nil {
		logFile.Close()
		return nil, err
	}
	var users userStore
	if op.st != nil {
		users = perUser{op.st}
	}
	return newRuntime(runtimeParts{cfg: o.Config, version: o.Version, log: logger, logFile: logFile, src: src,
		st: op.st, users: users, readOnly: op.readOnly, journal: op.journal, warm: op.warm}), nil
}

// runtimeParts are what New gathered (tests bring their own feeds and
// user store).
type runtimeParts struct {
	cfg      config.Config
	version  string
	log      *slog.Logger
	logFile  io.Closer
	src      sources
	st       *store.Store // the keeper's; nil: no journal or warm cache saved
	users    userStore    // nil: read only, readOnly says why
	readOnly string
	journal  *model.Journal
	warm     *model.WarmStart
}

func newRuntime(p runtimeParts) *Runtime {
	r := &Runtime{cfg: p.cfg, version: p.version, log: p.log, logFile: p.logFile, src: p.src, st: p.st,
		users: p.users, readOnly: p.readOnly, ns: namespace(p.src.demo), services: make(map[string]*User),
		closed: make(chan struct{}), notifier: desktopNotify}
	if !p.src.demo {
		r.trade = tradeLinks(p.cfg.Feed)
	}
	r.market = model.NewMarket(model.MarketOptions{
		Clock:         p.src.clock,
		WhaleNotional: p.cfg.Market.WhaleUSD,
		MaxTrades:     p.cfg.Market.MaxTrades,
		Ratings:       p.cfg.RatingsOptions(),
		Journal:       p.journal,
		Warm:          p.warm,
		Logger:        p.log,
	})
	return r
}

// Market is the hub: sessions subscribe to it and ask it for candles.
func (r *Runtime) Market() *model.Market { return r.market }

// Clock is the market clock (the simulated one in demo mode).
func (r *Runtime) Clock() model.Clock { return r.src.clock }

// Demo reports whether the market is simulated.
func (r *Runtime) Demo() bool { return r.src.demo }

// Logger is the runtime's debug log.
func (r *Runtime) Logger() *slog.Logger { return r.log }

// Start runs the hub and the feeds, the keeper (journal and warm cache),
// and a service for every user the store knows, so their alerts are
// checked with no session open. An error (a user's records could not be
// read) means the runtime must be closed.
func (r *Runtime) Start() error {
	r.mu.Lock()
	if r.started || r.closing {
		r.mu.Unlock()
		return errors.New("engine: Start called twice, or after Close")
	}
	r.started = true
	r.mu.Unlock()

	var feedCtx context.Context
	feedCtx, r.feedCancel = context.WithCancel(context.Background())
	r.feedsDone = make(chan struct{}, 1+len(r.src.feeds))
	go func() { _ = r.market.Run(feedCtx); r.feedsDone <- struct{}{} }()
	for _, f := range r.src.feeds {
		go func() {
			if err := f.Run(feedCtx, r.market); err != nil && feedCtx.Err() == nil {
				r.log.Error("feed stopped", "feed", f.Name(), "err", err)
				r.market.Status(model.FeedStatus{Name: f.Name(), State: model.FeedStopped, Reason: err.Error(), Since: r.src.clock()})
			}
			r.feedsDone <- struct{}{}
		}()
	}

	var keepCtx context.Context
	keepCtx, r.keepCancel = context.WithCancel(context.Background())
	r.kept = r.keep(keepCtx)

	r.usersCtx, r.endUsers = context.WithCancel(context.Background())
	r.sessCtx, r.endSessions = context.WithCancel(context.Background())

	if r.users != nil {
		ids, err := r.users.Users()
		if err != nil {
			return fmt.Errorf("store: listing its users: %w", err)
		}
		for _, id := range ids {
			if _, err := r.User(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// keep runs the store's keeper (the ratings journal, and the warm cache
// for a live market) until ctx ends, then saves a last time while the hub
// still runs; the channel is closed when it has.
func (r *Runtime) keep(ctx context.Context) chan struct{} {
	done := make(chan struct{})
	if r.st == nil {
		close(done)
		return done
	}
	o := store.KeeperOptions{Namespace: r.ns, WarmEvery: r.cfg.Store.SaveEvery, History: r.market.History, Logger: r.log}
	if r.src.demo || !r.cfg.Store.WarmStart {
		o.WarmEvery, o.History = -1, nil
	}
	snaps := r.market.Subscribe(ctx)
	go func() {
		defer close(done)
		if err := r.st.Keep(ctx, snaps, o); err != nil {
			r.log.Error("store keeper", "err", err)
		}
	}()
	return done
}

// maxUserID bounds a user id (an SSH key's fingerprint fits).
const maxUserID = 128

// checkUserID accepts 1..128 printable characters.
func checkUserID(id string) error {
	if id == "" || len(id) > maxUserID || !utf8.ValidString(id) {
		return fmt.Errorf("user id %q: must be 1-%d printable characters", id, maxUserID)
	}
	for _, c := range id {
		if c < ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0) {
			return fmt.Errorf("user id %q: must be 1-%d printable characters", id, maxUserID)
		}
	}
	return nil
}

// User is the service of user id, started on first use with the user's
// records from the store (none, and read only, when the runtime runs
// without a store). Every session of a user shares its one service.
func (r *Runtime) User(id string) (*User, error) {
	if err := checkUserID(id); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started || r.closing {
		return nil, errors.New("engine: the runtime is not running")
	}
	if u := r.services[id]; u != nil {
		return u, nil
	}
	c := userConfig{id: id, st: r.users, readOnly: r.readOnly, kept: r.cfg.Alerts.History, clock: r.src.clock, log: r.log}
	if r.users != nil {
		data, rep, err := r.users.LoadUser(id)
		if err != nil {
			return nil, err
		}
		if rep.Skipped > 0 {
			r.log.Warn("store: records skipped", "user", id, "count", rep.Skipped, "reasons", rep.Reasons)
		}
		c.data = data
	}
	u := newUser(c)
	u.start(r.usersCtx, r.market)
	r.services[id] = u
	return u, nil
}

// Users is the ids of the running user services.
func (r *Runtime) Users() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.services))
	for id := range r.services {
		ids = append(ids, id)
	}
	return ids
}

// Close stops everything, in order: the sessions end; the keeper saves the
// journal and the warm cache a last time while the hub still runs; the
// user services commit the changes already sent to them and stop; the
// store closes; the feeds and the hub stop. It returns the store's close
// error, if any. Later calls wait for the first and return the same.
func (r *Runtime) Close() error {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		<-r.closed
		return r.closeErr
	}
	r.closing = true
	started := r.started
	services := make([]*User, 0, len(r.services))
	for _, u := range r.services {
		services = append(services, u)
	}
	r.mu.Unlock()

	if started {
		r.endSessions()
		r.sessions.Wait()
		r.keepCancel()
		<-r.kept
		r.endUsers()
		for _, u := range services {
			<-u.Done()
		}
	}
	if r.st != nil {
		if err := r.st.Close(); err != nil {
			r.log.Error("store", "err", err)
			r.closeErr = err
		}
	}
	if started {
		r.feedCancel()
		for range 1 + len(r.src.feeds) {
			<-r.feedsDone
		}
	}
	r.log.Info("tokentop stopped")
	r.logFile.Close()
	close(r.closed)
	return r.closeErr
}

// addSession counts a session that is starting; false once the runtime
// is closing (or not started).
func (r *Runtime) addSession() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started || r.closing {
		return false
	}
	r.sessions.Add(1)
	return true
}

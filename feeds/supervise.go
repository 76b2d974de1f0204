package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokentop/tokentop/model"
)

// Timer is a one-shot timer: C delivers once when it fires; Stop prevents
// that if it has not fired yet.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Clock tells the time and makes timers. Supervision and the exchange
// adapters take one so tests run without sleeping (feedtest.FakeClock).
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// NewTimer is time.NewTimer.
func (RealClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// Wait blocks for d on clock, returning ctx's error if ctx ends first.
func Wait(ctx context.Context, clock Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}

// ErrReconnectNow marks a session end that asks for an immediate reconnect
// without backoff: the server announced a shutdown, or the connection
// reached its maximum age. Adapters wrap it: fmt.Errorf("binance: server
// restarting: %w", feeds.ErrReconnectNow).
var ErrReconnectNow = errors.New("reconnecting at once")

// SuperviseOptions tune Supervise. Zero values take the defaults.
type SuperviseOptions struct {
	History      time.Duration // history fetched at start; default 24h
	StaleAfter   time.Duration // no Beat for this long = stale, reconnect; default 30s
	BackoffBase  time.Duration // first reconnect delay bound; default 1s
	BackoffMax   time.Duration // largest reconnect delay bound; default 60s
	HealthyAfter time.Duration // live this long resets the backoff; default 60s
	// BackfillRetry is how long to wait before fetching history again after
	// a backfill failed; default 1m.
	BackfillRetry time.Duration
	// QuietAfter: a live connection on which no frame arrived for this long
	// is reported FeedQuiet (the connection is kept; StaleAfter still
	// replaces it). Default: QuietRhythms times the exchange's Rhythm when
	// it is Rhythmic, else off; negative turns it off.
	QuietAfter time.Duration
	// ProbeEvery: while waiting out a backoff longer than this, check this
	// often whether the exchange's server answers again (an exchange that is
	// a Prober), and reconnect at once when a server that did not answer
	// does. Default 1s; negative turns probing off.
	ProbeEvery time.Duration
	Clock      Clock          // default RealClock
	Rand       func() float64 // uniform in [0,1); default math/rand/v2
	Logger     *slog.Logger   // nil = discard
}

// Defaults of SuperviseOptions.
const (
	DefaultHistory       = 24 * time.Hour
	DefaultStaleAfter    = 30 * time.Second
	DefaultBackoffBase   = time.Second
	DefaultBackoffMax    = 60 * time.Second
	DefaultHealthyAfter  = 60 * time.Second
	DefaultBackfillRetry = time.Minute
	DefaultProbeEvery    = time.Second
	// QuietRhythms is how many of an exchange's usual intervals between
	// frames may pass before a live connection is reported quiet.
	QuietRhythms = 3
	// probeTimeout bounds one probe (real time: it is network I/O).
	probeTimeout = 3 * time.Second
)

// Rhythmic is an Exchange that knows how often frames arrive on a healthy
// connection (tickers, heartbeats): Supervise reports a live connection
// that has been silent for QuietRhythms of them as quiet.
type Rhythmic interface {
	Rhythm() time.Duration
}

// Prober is an Exchange that can check cheaply, without subscribing,
// whether its server answers (DialProbe: a TCP connection to the websocket
// host, closed at once). Supervise probes while it waits to reconnect, so a
// server that comes back is used within ProbeEvery, not after the backoff.
type Prober interface {
	Probe(ctx context.Context) error
}

// DialProbe opens a TCP connection to the host and port of a ws, wss, http
// or https URL and closes it: the cheapest sign that the server is back.
// A proxy, a firewall or a CDN can make it fail or succeed whatever the
// exchange's state; Supervise uses it only to end a wait early.
func DialProbe(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "wss", "https":
			port = "443"
		case "ws", "http":
			port = "80"
		default:
			return fmt.Errorf("probe: unknown scheme %q", u.Scheme)
		}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return err
	}
	return c.Close()
}

func (o SuperviseOptions) withDefaults() SuperviseOptions {
	if o.History <= 0 {
		o.History = DefaultHistory
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax < o.BackoffBase {
		o.BackoffMax = max(DefaultBackoffMax, o.BackoffBase)
	}
	if o.HealthyAfter <= 0 {
		o.HealthyAfter = DefaultHealthyAfter
	}
	if o.BackfillRetry <= 0 {
		o.BackfillRetry = DefaultBackfillRetry
	}
	if o.ProbeEvery == 0 {
		o.ProbeEvery = DefaultProbeEvery
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = DiscardLogger()
	}
	return o
}

// DiscardLogger is a logger that writes nothing.
func DiscardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Supervise turns an exchange adapter into a Feed that reconnects with
// capped, jittered exponential backoff, detects stale connections, fetches
// history at start and after every reconnect, and reports its state.
//
// Status calls the Exchange makes on the sink it is given (from Session or
// Backfill) are notes: the supervisor keeps the state and the bad-frame
// count and shows the note's Reason ("rate limited by binance, retrying in
// 30s"); an empty Reason clears the note.
func Supervise(ex Exchange, opts SuperviseOptions) Feed {
	opts = opts.withDefaults()
	if rh, ok := ex.(Rhythmic); ok && opts.QuietAfter == 0 {
		opts.QuietAfter = QuietRhythms * rh.Rhythm()
	}
	return &supervised{ex: ex, opts: opts}
}

type supervised struct {
	ex   Exchange
	opts SuperviseOptions
	ran  atomic.Bool
}

func (s *supervised) Name() string { return s.ex.Name() }

// Run supervises the exchange until ctx ends and returns nil; it returns
// only after every goroutine it started has ended.
func (s *supervised) Run(ctx context.Context, sink Sink) error {
	if !s.ran.CompareAndSwap(false, true) {
		return fmt.Errorf("%s: feed already ran; build a new one", s.ex.Name())
	}
	r := &run{s: s, opts: s.opts, sink: sink, log: s.opts.Logger.With("feed", s.ex.Name())}
	return r.loop(ctx)
}

// run is the state of one Run.
type run struct {
	s    *supervised
	opts SuperviseOptions
	sink Sink
	log  *slog.Logger

	bad      atomic.Uint64
	lastBeat atomic.Int64 // clock ns of the last beat (or of the session's start)
	lastData atomic.Int64 // exchange ns of the newest event delivered
	quiet    atomic.Bool  // the session is reported quiet

	// mu guards the state and orders the reports: every Status call is made
	// holding it (Sink.Status never blocks), so the sink sees them in order.
	mu      sync.Mutex
	state   model.FeedState
	reason  string
	note    string // from the exchange (rate limits), shown in place of an empty reason
	since   time.Time
	retryAt time.Time // the next connection attempt, while waiting for it
	history string    // why the history fetch failed, while a retry is pending
	histAt  time.Time // when that retry is due; zero while it runs

	bfMu    sync.Mutex
	bfFrom  time.Time // pending history range; zero = none
	bfTo    time.Time
	bfWake  chan struct{}
	bfLive  chan struct{} // a session went live: a failed fetch is retried now
	badLogN atomic.Uint64
}

func (r *run) now() time.Time { return r.opts.Clock.Now() }

// report sets and publishes the state.
func (r *run) report(state model.FeedState, reason string) {
	r.reportRetry(state, reason, time.Time{})
}

// reportRetry sets and publishes the state with the time of the next
// connection attempt (zero: none pending).
func (r *run) reportRetry(state model.FeedState, reason string, retryAt time.Time) {
	r.mu.Lock()
	if state != r.state || r.since.IsZero() {
		r.since = r.now()
	}
	r.state, r.reason, r.retryAt = state, reason, retryAt
	if state != model.FeedQuiet {
		r.quiet.Store(false)
	}
	r.sink.Status(r.statusLocked()) // under mu: see republish
	r.mu.Unlock()
	r.log.Info("feed state", "state", state.String(), "reason", reason)
}

// setQuiet moves a live session to quiet (true) or back (false), if the
// last beat still says so; it reports whether the state changed.
func (r *run) setQuiet(quiet bool, quietAfter time.Duration) bool {
	r.mu.Lock()
	switch {
	case quiet && r.state == model.FeedLive:
		if r.now().Sub(time.Unix(0, r.lastBeat.Load())) < quietAfter {
			r.mu.Unlock()
			return false // a frame came in meanwhile
		}
		r.state = model.FeedQuiet
		r.quiet.Store(true)
	case !quiet && r.state == model.FeedQuiet:
		r.state = model.FeedLive
		r.quiet.Store(false)
	default:
		r.mu.Unlock()
		return false
	}
	r.since = r.now()
	r.sink.Status(r.statusLocked())
	r.mu.Unlock()
	return true
}

// setHistory publishes why history is incomplete and when it is fetched
// again (empty words: complete).
func (r *run) setHistory(words string, retryAt time.Time) {
	r.mu.Lock()
	changed := r.history != words || !r.histAt.Equal(retryAt)
	r.history, r.histAt = words, retryAt
	if changed {
		r.sink.Status(r.statusLocked())
	}
	r.mu.Unlock()
}

func (r *run) statusLocked() model.FeedStatus {
	reason := r.reason
	if r.note != "" {
		if reason == "" {
			reason = r.note
		} else {
			reason = reason + "; " + r.note
		}
	}
	st := model.FeedStatus{Name: r.s.ex.Name(), State: r.state, Reason: reason, Since: r.since, Bad: r.bad.Load(),
		RetryAt: r.retryAt, History: r.history, HistoryRetryAt: r.histAt}
	if r.state == model.FeedLive || r.state == model.FeedQuiet {
		st.LastFrame = time.Unix(0, r.lastBeat.Load())
	}
	return st
}

// republish sends the current state again (a new bad count or note).
// Statuses are sent while mu is held (Sink.Status never blocks), so they
// arrive in the order they were taken: a status taken before a bad frame
// was counted cannot arrive after the one that counts it.
func (r *run) republish() {
	r.mu.Lock()
	r.sink.Status(r.statusLocked())
	r.mu.Unlock()
}

func (r *run) setNote(note string) {
	r.mu.Lock()
	changed := r.note != note
	r.note = note
	if changed {
		r.sink.Status(r.statusLocked()) // under mu: see republish
	}
	r.mu.Unlock()
	if changed && note != "" {
		r.log.Warn("feed note", "note", note)
	}
}

func (r *run) badFrame(reason string) {
	n := r.bad.Add(1)
	// Log the first 100 bad frames, then one in every 1000, so a flood of
	// garbage cannot fill the disk.
	if n <= 100 || n%1000 == 0 {
		r.log.Warn("bad frame skipped", "reason", reason, "bad_total", n)
	}
	r.republish()
}

// noteSink is the sink handed to the exchange: events pass through (the
// newest event time is remembered for gap backfills); Status is a note.
type noteSink struct{ r *run }

func (n noteSink) Send(ctx context.Context, ev model.Event) bool {
	t := ev.Time
	if t == 0 && ev.Kind == model.EventCandle {
		t = ev.Candle.T * 1e9
	}
	if t > n.r.lastData.Load() {
		n.r.lastData.Store(t)
	}
	return n.r.sink.Send(ctx, ev)
}

func (n noteSink) Status(st model.FeedStatus) { n.r.setNote(st.Reason) }

// backfillSink passes events through but does not move lastData (history
// is not live data).
type backfillSink struct{ r *run }

func (b backfillSink) Send(ctx context.Context, ev model.Event) bool {
	return b.r.sink.Send(ctx, ev)
}
func (b backfillSink) Status(st model.FeedStatus) { b.r.setNote(st.Reason) }

func (r *run) loop(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		r.report(model.FeedStopped, "")
	}()

	start := r.now()
	r.lastData.Store(start.UnixNano())
	r.report(model.FeedConnecting, "")
	r.bfWake = make(chan struct{}, 1)
	r.bfLive = make(chan struct{}, 1)
	r.requestHistory(start.Add(-r.opts.History), start)
	wg.Go(func() { r.backfiller(ctx) })

	failures := 0 // consecutive sessions that ended before becoming healthy
	for ctx.Err() == nil {
		began := r.now()
		liveAt, err, stale := r.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if !liveAt.IsZero() && r.now().Sub(liveAt) >= r.opts.HealthyAfter {
			failures = 0
		}
		words := describe(err)
		if stale {
			words = fmt.Sprintf("no data for %s", roundDur(r.opts.StaleAfter))
		}
		var delay time.Duration
		if errors.Is(err, ErrReconnectNow) && !stale {
			r.log.Info("session ended, reconnecting at once", "reason", words)
		} else {
			failures++
			delay = r.backoff(failures)
		}
		r.log.Warn("session ended", "reason", words, "lived", r.now().Sub(began).String(), "attempt", failures, "delay", delay.String())
		if delay > 0 {
			t := r.opts.Clock.NewTimer(delay) // before the status: tests advance the clock on seeing it
			r.reportRetry(model.FeedReconnecting, fmt.Sprintf("attempt %d: %s", failures, words), r.now().Add(delay))
			early, ok := r.waitRetry(ctx, t, delay)
			if !ok {
				return nil
			}
			if early {
				r.log.Info("server answers again, reconnecting before the backoff ended")
				r.report(model.FeedReconnecting, "server answers again")
			}
		} else {
			r.report(model.FeedReconnecting, "reconnecting now: "+words)
		}
		// Fetch what the outage missed: from the last data (its minute) to now.
		// (An exchange clock ahead of ours still gets its last minute again.)
		now := r.now()
		from := time.Unix(0, r.lastData.Load()).Truncate(time.Minute)
		if !from.Before(now) {
			from = now.Add(-time.Minute)
		}
		r.requestHistory(from, now)
	}
	return nil
}

// waitRetry waits for the backoff timer t (of delay), probing the server
// meanwhile when the exchange can be probed and the wait is longer than
// ProbeEvery: once a probe failed, the first one that succeeds ends the
// wait early (early = true). A server that answers the first probe tells
// nothing (its websocket failed all the same), so probing then stops. ok
// is false when ctx ended.
func (r *run) waitRetry(ctx context.Context, t Timer, delay time.Duration) (early, ok bool) {
	defer t.Stop()
	p, canProbe := r.s.ex.(Prober)
	every := r.opts.ProbeEvery
	if canProbe && every > 0 && delay > every {
		down := false
		for {
			pt := r.opts.Clock.NewTimer(every)
			select {
			case <-ctx.Done():
				pt.Stop()
				return false, false
			case <-t.C():
				pt.Stop()
				return false, true
			case <-pt.C():
			}
			pctx, cancel := context.WithTimeout(ctx, probeTimeout)
			err := p.Probe(pctx)
			cancel()
			if ctx.Err() != nil {
				return false, false
			}
			if err != nil {
				down = true
				continue
			}
			if down {
				return true, true
			}
			break
		}
	}
	select {
	case <-ctx.Done():
		return false, false
	case <-t.C():
		return false, true
	}
}

// backoff is full jitter: uniform in [0, min(max, base*2^(k-1))).
func (r *run) backoff(k int) time.Duration {
	bound := float64(r.opts.BackoffBase) * math.Pow(2, float64(min(k-1, 62)))
	bound = min(bound, float64(r.opts.BackoffMax))
	d := time.Duration(r.opts.Rand() * bound)
	return max(d, 10*time.Millisecond)
}

// session runs one Session with a staleness watchdog. It returns when the
// session became live (zero if never), its error, and whether the
// watchdog ended it.
func (r *run) session(ctx context.Context) (liveAt time.Time, err error, stale bool) {
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	r.lastBeat.Store(r.now().UnixNano())
	quietAfter := max(r.opts.QuietAfter, 0)
	rearm := make(chan struct{}, 1) // live again after quiet: watch for the next silence
	var live atomic.Int64
	hooks := SessionHooks{
		Live: func() {
			if live.CompareAndSwap(0, r.now().UnixNano()) {
				r.report(model.FeedLive, "")
				select {
				case r.bfLive <- struct{}{}:
				default:
				}
			}
		},
		Beat: func() {
			r.lastBeat.Store(r.now().UnixNano())
			if r.quiet.Load() && r.setQuiet(false, quietAfter) {
				r.log.Info("feed state", "state", "live", "reason", "frames again")
				select {
				case rearm <- struct{}{}:
				default:
				}
			}
		},
		Bad: r.badFrame,
	}
	// The watchdog wakes when the connection would turn quiet, then when it
	// would turn stale, re-armed from the last beat each time.
	arm := func() Timer {
		idle := r.now().Sub(time.Unix(0, r.lastBeat.Load()))
		d := r.opts.StaleAfter - idle
		if quietAfter > 0 && !r.quiet.Load() {
			if q := quietAfter - idle; q > 0 {
				d = min(d, q)
			} else {
				d = min(d, quietAfter) // not live yet: look again later
			}
		}
		return r.opts.Clock.NewTimer(d)
	}
	watch := arm()
	defer func() { watch.Stop() }()
	done := make(chan error, 1)
	go func() { done <- r.s.ex.Session(sctx, noteSink{r}, hooks) }()
	liveTime := func() time.Time {
		if ns := live.Load(); ns != 0 {
			return time.Unix(0, ns)
		}
		return time.Time{}
	}
	for {
		select {
		case err = <-done:
			return liveTime(), err, false
		case <-rearm:
			watch.Stop()
			watch = arm()
		case <-watch.C():
			idle := r.now().Sub(time.Unix(0, r.lastBeat.Load()))
			if idle < r.opts.StaleAfter {
				if quietAfter > 0 && idle >= quietAfter && live.Load() != 0 && r.setQuiet(true, quietAfter) {
					r.log.Warn("feed state", "state", "quiet", "reason", fmt.Sprintf("no frame for %s", roundDur(idle.Truncate(time.Second))))
				}
				watch = arm()
				continue
			}
			r.report(model.FeedStale, fmt.Sprintf("no data for %s", roundDur(r.opts.StaleAfter)))
			scancel()
			err = <-done
			return liveTime(), err, ctx.Err() == nil
		}
	}
}

// requestHistory adds from..to to the pending history range and wakes the
// backfiller.
func (r *run) requestHistory(from, to time.Time) {
	if !from.Before(to) {
		return
	}
	r.bfMu.Lock()
	if r.bfFrom.IsZero() {
		r.bfFrom, r.bfTo = from, to
	} else {
		if from.Before(r.bfFrom) {
			r.bfFrom = from
		}
		if to.After(r.bfTo) {
			r.bfTo = to
		}
	}
	r.bfMu.Unlock()
	select {
	case r.bfWake <- struct{}{}:
	default:
	}
}

// backfiller fetches pending history one range at a time, never blocking
// the live session.
func (r *run) backfiller(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.bfWake:
		}
		r.bfMu.Lock()
		from, to := r.bfFrom, r.bfTo
		r.bfFrom, r.bfTo = time.Time{}, time.Time{}
		r.bfMu.Unlock()
		if from.IsZero() {
			continue
		}
		r.log.Info("fetching history", "from", from.UTC().Format(time.RFC3339), "to", to.UTC().Format(time.RFC3339))
		err := r.s.ex.Backfill(ctx, backfillSink{r}, from, to)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			r.setHistory("", time.Time{})
			r.log.Info("history fetched", "from", from.UTC().Format(time.RFC3339), "to", to.UTC().Format(time.RFC3339))
			continue
		}
		r.log.Warn("history fetch failed", "err", err.Error(), "retry_in", r.opts.BackfillRetry.String())
		words := strings.TrimPrefix(rootCause(err), r.s.ex.Name()+": ")
		r.setHistory(words, r.now().Add(r.opts.BackfillRetry))
		select { // a live session since the failure drained: the exchange is back
		case <-r.bfLive:
		default:
		}
		retry := r.opts.Clock.NewTimer(r.opts.BackfillRetry)
		select {
		case <-ctx.Done():
			retry.Stop()
			return
		case <-retry.C():
		case <-r.bfLive: // reconnected: the exchange answers again, retry at once
			retry.Stop()
		}
		r.setHistory(words, time.Time{}) // retrying now
		r.requestHistory(from, to)
	}
}

// rootCause is the innermost error's words ("binance answered HTTP 500"
// rather than "binance: history for 1 of 2 symbols failed: binance:
// history of BTCUSDT: binance answered HTTP 500"): short enough for the
// status bar; the log keeps the whole chain.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return describe(err)
		}
		err = next
	}
}

// describe puts an error in a trader's words.
func describe(err error) string {
	switch {
	case err == nil:
		return "connection closed"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	return err.Error()
}

// roundDur formats a delay the way the status bar shows it.
func roundDur(d time.Duration) string { return model.FormatWait(d) }

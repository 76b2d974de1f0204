package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
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
	Clock         Clock          // default RealClock
	Rand          func() float64 // uniform in [0,1); default math/rand/v2
	Logger        *slog.Logger   // nil = discard
}

// Defaults of SuperviseOptions.
const (
	DefaultHistory       = 24 * time.Hour
	DefaultStaleAfter    = 30 * time.Second
	DefaultBackoffBase   = time.Second
	DefaultBackoffMax    = 60 * time.Second
	DefaultHealthyAfter  = 60 * time.Second
	DefaultBackfillRetry = time.Minute
)

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
	return &supervised{ex: ex, opts: opts.withDefaults()}
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
	lastBeat atomic.Int64 // clock ns of the last beat
	lastData atomic.Int64 // exchange ns of the newest event delivered

	mu     sync.Mutex
	state  model.FeedState
	reason string
	note   string // from the exchange (rate limits), shown in place of an empty reason
	since  time.Time

	bfMu    sync.Mutex
	bfFrom  time.Time // pending history range; zero = none
	bfTo    time.Time
	bfWake  chan struct{}
	badLogN atomic.Uint64
}

func (r *run) now() time.Time { return r.opts.Clock.Now() }

// report sets and publishes the state.
func (r *run) report(state model.FeedState, reason string) {
	r.mu.Lock()
	if state != r.state || r.since.IsZero() {
		r.since = r.now()
	}
	r.state, r.reason = state, reason
	r.sink.Status(r.statusLocked()) // under mu: see republish
	r.mu.Unlock()
	r.log.Info("feed state", "state", state.String(), "reason", reason)
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
	return model.FeedStatus{Name: r.s.ex.Name(), State: r.state, Reason: reason, Since: r.since, Bad: r.bad.Load()}
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
			r.report(model.FeedReconnecting, fmt.Sprintf("reconnecting in %s (attempt %d): %s", roundDur(delay), failures, words))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C():
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
	var live atomic.Int64
	hooks := SessionHooks{
		Live: func() {
			if live.CompareAndSwap(0, r.now().UnixNano()) {
				r.report(model.FeedLive, "")
			}
		},
		Beat: func() { r.lastBeat.Store(r.now().UnixNano()) },
		Bad:  r.badFrame,
	}
	watch := r.opts.Clock.NewTimer(r.opts.StaleAfter)
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
		case <-watch.C():
			idle := r.now().Sub(time.Unix(0, r.lastBeat.Load()))
			if idle < r.opts.StaleAfter {
				watch = r.opts.Clock.NewTimer(r.opts.StaleAfter - idle)
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
			r.log.Info("history fetched", "from", from.UTC().Format(time.RFC3339), "to", to.UTC().Format(time.RFC3339))
			continue
		}
		r.log.Warn("history fetch failed", "err", err.Error())
		r.setNote("history incomplete: " + describe(err))
		if Wait(ctx, r.opts.Clock, r.opts.BackfillRetry) != nil {
			return
		}
		r.setNote("")
		r.requestHistory(from, to)
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

// roundDur formats a delay the way the status bar shows it: whole seconds
// (rounded up) from 0.95s, tenths below.
func roundDur(d time.Duration) string {
	if d < 950*time.Millisecond {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	s := (d + time.Second - 1) / time.Second
	if s >= 120 {
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%ds", s)
}

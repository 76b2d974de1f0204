package feeds_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

const wait = 5 * time.Second

var t0 = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

type span struct{ from, to time.Time }

// fakeExchange runs scripted sessions: session n (from 1) calls script(n).
type fakeExchange struct {
	script   func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error
	backfill func(n int, ctx context.Context, sink feeds.Sink, from, to time.Time) error

	mu        sync.Mutex
	sessions  int
	backfills []span
	changed   chan struct{}
}

func newFake() *fakeExchange { return &fakeExchange{changed: make(chan struct{})} }

func (f *fakeExchange) Name() string { return "fakex" }

func (f *fakeExchange) Session(ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
	f.mu.Lock()
	f.sessions++
	n := f.sessions
	f.signal()
	f.mu.Unlock()
	return f.script(n, ctx, sink, hooks)
}

func (f *fakeExchange) Backfill(ctx context.Context, sink feeds.Sink, from, to time.Time) error {
	f.mu.Lock()
	f.backfills = append(f.backfills, span{from, to})
	n := len(f.backfills)
	f.signal()
	f.mu.Unlock()
	if f.backfill != nil {
		return f.backfill(n, ctx, sink, from, to)
	}
	return nil
}

func (f *fakeExchange) signal() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeExchange) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		ok, ch := cond(), f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// start runs the supervised feed; stop cancels it and checks Run returned.
func start(t *testing.T, ex feeds.Exchange, opts feeds.SuperviseOptions) (*feedtest.Recorder, func()) {
	t.Helper()
	rec := feedtest.NewRecorder()
	f := feeds.Supervise(ex, opts)
	if f.Name() != ex.Name() {
		t.Fatalf("Name() = %q, want %q", f.Name(), ex.Name())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, rec) }()
	stop := func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-time.After(wait):
			t.Fatal("Run did not return after cancel")
		}
		if last := rec.Last(); last.State != model.FeedStopped {
			t.Errorf("last status %v, want stopped", last.State)
		}
	}
	t.Cleanup(cancel)
	return rec, stop
}

func mustStatus(t *testing.T, rec *feedtest.Recorder, state model.FeedState, substr string) model.FeedStatus {
	t.Helper()
	st, ok := rec.WaitStatus(wait, state, substr)
	if !ok {
		t.Fatalf("no status %v %q; got %s", state, substr, dump(rec.Statuses()))
	}
	return st
}

func dump(sts []model.FeedStatus) string {
	var b strings.Builder
	for _, s := range sts {
		fmt.Fprintf(&b, "\n  %v %q bad=%d", s.State, s.Reason, s.Bad)
	}
	return b.String()
}

func blockUntilDone(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

func TestSuperviseReconnectsAndBackfillsTheGap(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := newFake()
	lastTrade := t0.Add(90 * time.Second)
	drop := make(chan struct{})
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		if n == 1 {
			hooks.Live()
			hooks.Beat()
			sink.Send(ctx, model.Event{Kind: model.EventTrade, Symbol: "BTC", Time: lastTrade.UnixNano(), Price: 1, Qty: 1})
			<-drop
			return errors.New("connection reset by peer")
		}
		hooks.Live()
		return blockUntilDone(ctx)
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock, Rand: func() float64 { return 0.5 }, StaleAfter: time.Hour})

	mustStatus(t, rec, model.FeedConnecting, "")
	mustStatus(t, rec, model.FeedLive, "")
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool { return len(evs) == 1 }) {
		t.Fatal("the trade did not arrive")
	}
	clock.Advance(3 * time.Minute)
	close(drop)
	st := mustStatus(t, rec, model.FeedReconnecting, "attempt 1: connection reset by peer")
	if now := t0.Add(3 * time.Minute); !st.Since.Equal(now) {
		t.Errorf("Since = %v, want the fake clock's %v", st.Since, now)
	}
	if want := t0.Add(3*time.Minute + 500*time.Millisecond); !st.RetryAt.Equal(want) {
		t.Errorf("RetryAt = %v, want %v", st.RetryAt, want)
	}
	if got, want := st.Describe(t0.Add(3*time.Minute)), "reconnecting in 0.5s (attempt 1: connection reset by peer)"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	// The first history request is the last 24h, made at once.
	ex.waitFor(t, "the first backfill", func() bool { return len(ex.backfills) >= 1 })
	if b := ex.backfills[0]; !b.from.Equal(t0.Add(-24*time.Hour)) || !b.to.Equal(t0) {
		t.Errorf("first backfill %v..%v, want %v..%v", b.from, b.to, t0.Add(-24*time.Hour), t0)
	}
	clock.Advance(500 * time.Millisecond)
	ex.waitFor(t, "the second session", func() bool { return ex.sessions >= 2 })
	ex.waitFor(t, "the gap backfill", func() bool { return len(ex.backfills) >= 2 })
	gap := ex.backfills[1]
	end := t0.Add(3*time.Minute + 500*time.Millisecond)
	if want := lastTrade.Truncate(time.Minute); !gap.from.Equal(want) || !gap.to.Equal(end) {
		t.Errorf("gap backfill %v..%v, want %v..%v", gap.from, gap.to, want, end)
	}
	if evs := rec.Events(); len(evs) != 1 || evs[0].Kind != model.EventTrade {
		t.Errorf("events %+v, want the one trade", evs)
	}
	stop()
}

func TestSuperviseStaleConnectionIsReplaced(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := newFake()
	beat := make(chan func(), 1)
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		hooks.Live()
		if n == 1 {
			beat <- hooks.Beat
		}
		<-ctx.Done()
		return fmt.Errorf("read: %w", ctx.Err())
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock, Rand: func() float64 { return 0.5 }})
	mustStatus(t, rec, model.FeedLive, "")
	b := <-beat
	clock.Advance(20 * time.Second)
	b() // a beat at +20s: the connection is not stale at +30s
	clock.Advance(10 * time.Second)
	if !clock.WaitTimers(1, wait) { // the watchdog re-armed for the remaining 20s
		t.Fatal("watchdog not re-armed")
	}
	for _, st := range rec.Statuses() {
		if st.State == model.FeedStale {
			t.Fatalf("stale 10s after a beat: %s", dump(rec.Statuses()))
		}
	}
	clock.Advance(20 * time.Second)
	mustStatus(t, rec, model.FeedStale, "no data for 30s")
	mustStatus(t, rec, model.FeedReconnecting, "attempt 1: no data for 30s")
	clock.Advance(time.Second)
	ex.waitFor(t, "a new session", func() bool { return ex.sessions >= 2 })
	stop()
}

func TestSuperviseBackoffGrowsCapsAndResets(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := newFake()
	healthy := make(chan struct{})
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		switch {
		case n == 9:
			hooks.Live()
			select { // live until the test has moved the clock past HealthyAfter
			case <-healthy:
			case <-ctx.Done():
			}
			return errors.New("closed by the exchange")
		case n >= 10:
			hooks.Live()
			return blockUntilDone(ctx)
		}
		return errors.New("dial: connection refused")
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock, Rand: func() float64 { return 0.999 },
		StaleAfter: time.Hour})
	// Bounds 1,2,4,8,16,32,60,60 s (times 0.999, shown rounded up).
	want := []string{"1s", "2s", "4s", "8s", "16s", "32s", "60s", "60s"}
	for i, w := range want {
		reason := fmt.Sprintf("attempt %d: dial: connection refused", i+1)
		st := mustStatus(t, rec, model.FeedReconnecting, reason)
		if got, want := st.Describe(clock.Now()), "reconnecting in "+w+" ("+reason+")"; got != want {
			t.Errorf("Describe = %q, want %q", got, want)
		}
		clock.Advance(time.Minute)
	}
	ex.waitFor(t, "session 9", func() bool { return ex.sessions >= 9 })
	mustStatus(t, rec, model.FeedLive, "")
	clock.Advance(61 * time.Second)
	close(healthy)
	mustStatus(t, rec, model.FeedReconnecting, "attempt 1: closed by the exchange")
	clock.Advance(time.Second)
	ex.waitFor(t, "session 10", func() bool { return ex.sessions >= 10 })
	stop()
}

func TestSuperviseReconnectNowSkipsBackoff(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := newFake()
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		hooks.Live()
		if n == 1 {
			return fmt.Errorf("fakex: server is restarting: %w", feeds.ErrReconnectNow)
		}
		return blockUntilDone(ctx)
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock})
	mustStatus(t, rec, model.FeedReconnecting, "reconnecting now: fakex: server is restarting")
	ex.waitFor(t, "the second session without the clock moving", func() bool { return ex.sessions >= 2 })
	stop()
}

func TestSuperviseCountsBadFramesAndShowsNotes(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := newFake()
	// The first history fetch fails only once the session is live: a
	// session going live after the failure would (rightly) retry at once,
	// not after BackfillRetry, and this test follows the timer.
	wentLive := make(chan struct{})
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		hooks.Live()
		if n == 1 {
			close(wentLive)
		}
		hooks.Bad("truncated frame")
		hooks.Bad("unknown event fooEvent")
		hooks.Bad("price is not a number")
		return blockUntilDone(ctx)
	}
	ex.backfill = func(n int, ctx context.Context, sink feeds.Sink, from, to time.Time) error {
		if n == 1 {
			select {
			case <-wentLive:
			case <-ctx.Done():
				return ctx.Err()
			}
			sink.Status(model.FeedStatus{Reason: "rate limited by fakex, retrying in 30s"})
			return fmt.Errorf("fakex: history for 1 of 2 symbols failed: %w", errors.New("fakex: klines: HTTP 500"))
		}
		sink.Status(model.FeedStatus{})
		return nil
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock, StaleAfter: time.Hour})
	if !rec.WaitFor(wait, func(_ []model.Event, sts []model.FeedStatus) bool {
		return len(sts) > 0 && sts[len(sts)-1].Bad == 3 && sts[len(sts)-1].State == model.FeedLive
	}) {
		t.Fatalf("want a live status with Bad = 3: %s", dump(rec.Statuses()))
	}
	// The notes show whatever the state is at the time.
	for _, note := range []string{"rate limited by fakex, retrying in 30s"} {
		if !rec.WaitFor(wait, func(_ []model.Event, sts []model.FeedStatus) bool {
			for _, st := range sts {
				if st.Reason == note && st.Name == "fakex" {
					return true
				}
			}
			return false
		}) {
			t.Fatalf("no note %q: %s", note, dump(rec.Statuses()))
		}
	}
	// The failed history fetch is said while live, with its retry time.
	var failed model.FeedStatus
	if !rec.WaitFor(wait, func(_ []model.Event, sts []model.FeedStatus) bool {
		for _, st := range sts {
			if st.History != "" {
				failed = st
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no history failure: %s", dump(rec.Statuses()))
	}
	if failed.History != "klines: HTTP 500" || !failed.HistoryRetryAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("History %q retry at %v, want %q at %v", failed.History, failed.HistoryRetryAt, "klines: HTTP 500", t0.Add(time.Minute))
	}
	if got, want := failed.DescribeHistory(t0.Add(18*time.Second)), "history failed: klines: HTTP 500; retrying in 42s"; got != want {
		t.Errorf("DescribeHistory = %q, want %q", got, want)
	}
	if !clock.WaitTimers(2, wait) { // the watchdog and the backfill retry
		t.Fatal("no backfill retry timer")
	}
	clock.Advance(time.Minute)
	ex.waitFor(t, "the backfill retry", func() bool { return len(ex.backfills) >= 2 })
	if b := ex.backfills[1]; !b.from.Equal(t0.Add(-24*time.Hour)) || !b.to.Equal(t0) {
		t.Errorf("retry fetched %v..%v, want the same range", b.from, b.to)
	}
	if !rec.WaitFor(wait, func(_ []model.Event, sts []model.FeedStatus) bool {
		if len(sts) == 0 {
			return false
		}
		last := sts[len(sts)-1]
		return last.Reason == "" && last.History == "" && last.State == model.FeedLive
	}) {
		t.Errorf("the note was not cleared: %s", dump(rec.Statuses()))
	}
	stop()
}

// Statuses reach the sink in the order they were taken: with bad frames
// counted on several goroutines while the backfill changes its note, the
// bad count never goes down from one status to the next (the market keeps
// only the latest, so a late stale status would show a wrong count).
func TestSuperviseStatusesArriveInOrder(t *testing.T) {
	feedtest.NoLeaks(t)
	const goroutines, frames = 4, 300
	ex := newFake()
	counted := make(chan struct{})
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		hooks.Live()
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range frames {
					hooks.Bad("truncated frame")
				}
			})
		}
		wg.Wait()
		close(counted)
		return blockUntilDone(ctx)
	}
	ex.backfill = func(n int, ctx context.Context, sink feeds.Sink, from, to time.Time) error {
		for i := 0; ; i++ {
			select {
			case <-counted:
				return nil
			default:
			}
			sink.Status(model.FeedStatus{Reason: fmt.Sprintf("rate limited by fakex, retrying in %ds", i%2+1)})
		}
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: feedtest.NewFakeClock(t0), StaleAfter: time.Hour})
	if !rec.WaitFor(wait, func(_ []model.Event, sts []model.FeedStatus) bool {
		return len(sts) > 0 && sts[len(sts)-1].Bad == goroutines*frames
	}) {
		t.Fatalf("the last status does not count %d bad frames: last %+v", goroutines*frames, rec.Last())
	}
	stop()
	var prev uint64
	for i, st := range rec.Statuses() {
		if st.State != model.FeedStopped && st.Bad < prev {
			t.Fatalf("status %d counts %d bad frames after one that counted %d", i, st.Bad, prev)
		}
		prev = max(prev, st.Bad)
	}
}

func TestSuperviseBackfillNeverBlocksLiveData(t *testing.T) {
	feedtest.NoLeaks(t)
	ex := newFake()
	release := make(chan struct{})
	ex.backfill = func(n int, ctx context.Context, sink feeds.Sink, from, to time.Time) error {
		select { // history is slow
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		hooks.Live()
		sink.Send(ctx, model.Event{Kind: model.EventQuote, Symbol: "BTC", Price: 1})
		return blockUntilDone(ctx)
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{})
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool { return len(evs) == 1 }) {
		t.Fatal("live data waited for history")
	}
	close(release)
	stop()
}

func TestSuperviseRunsOnce(t *testing.T) {
	ex := newFake()
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		return blockUntilDone(ctx)
	}
	f := feeds.Supervise(ex, feeds.SuperviseOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Run(ctx, feedtest.NewRecorder()); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if err := f.Run(ctx, feedtest.NewRecorder()); err == nil {
		t.Fatal("second Run returned nil, want an error")
	}
}

// rhythmicFake is a fake exchange whose frames come every second and whose
// server can be probed (up says whether it answers).
type rhythmicFake struct {
	*fakeExchange
	up     atomic.Bool
	probes atomic.Int32
}

func (f *rhythmicFake) Rhythm() time.Duration { return time.Second }

func (f *rhythmicFake) Probe(ctx context.Context) error {
	f.probes.Add(1)
	f.fakeExchange.mu.Lock()
	f.fakeExchange.signal()
	f.fakeExchange.mu.Unlock()
	if f.up.Load() {
		return nil
	}
	return errors.New("connection refused")
}

func TestSuperviseSaysQuietThenLiveAgain(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := &rhythmicFake{fakeExchange: newFake()}
	beat := make(chan func(), 1)
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		hooks.Live()
		hooks.Beat()
		if n == 1 {
			beat <- hooks.Beat
		}
		<-ctx.Done()
		return fmt.Errorf("read: %w", ctx.Err())
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock, Rand: func() float64 { return 0.5 }})
	mustStatus(t, rec, model.FeedLive, "")
	b := <-beat
	clock.Advance(2900 * time.Millisecond) // under 3 rhythms: the watchdog (due at 3s) has not fired
	for _, st := range rec.Statuses() {
		if st.State == model.FeedQuiet {
			t.Fatalf("quiet after 2.9s: %s", dump(rec.Statuses()))
		}
	}
	clock.Advance(100 * time.Millisecond)
	q := mustStatus(t, rec, model.FeedQuiet, "")
	if !q.LastFrame.Equal(t0) {
		t.Errorf("LastFrame = %v, want the last beat %v", q.LastFrame, t0)
	}
	if got := q.Describe(t0.Add(5 * time.Second)); got != "quiet 5s" {
		t.Errorf("Describe 5s after the last frame = %q, want %q", got, "quiet 5s")
	}
	n := len(rec.Statuses())
	b() // a frame: live again at once
	if !rec.WaitFor(wait, func(_ []model.Event, sts []model.FeedStatus) bool {
		return len(sts) > n && sts[len(sts)-1].State == model.FeedLive
	}) {
		t.Fatalf("not live after a frame: %s", dump(rec.Statuses()))
	}
	// Silence again: quiet after 3s, stale (and replaced) after 30s as before.
	if !clock.WaitDeadline(t0.Add(6*time.Second), wait) {
		t.Fatal("watchdog not re-armed for the next silence")
	}
	clock.Advance(3 * time.Second)
	if !rec.WaitFor(wait, func(_ []model.Event, sts []model.FeedStatus) bool {
		return sts[len(sts)-1].State == model.FeedQuiet
	}) {
		t.Fatalf("not quiet again: %s", dump(rec.Statuses()))
	}
	if !clock.WaitDeadline(t0.Add(33*time.Second), wait) {
		t.Fatal("watchdog not re-armed for staleness")
	}
	clock.Advance(27 * time.Second)
	mustStatus(t, rec, model.FeedStale, "no data for 30s")
	stop()
}

func TestSuperviseQuietCanBeTurnedOff(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := &rhythmicFake{fakeExchange: newFake()}
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		hooks.Live()
		return blockUntilDone(ctx)
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock, QuietAfter: -1})
	mustStatus(t, rec, model.FeedLive, "")
	if !clock.WaitTimers(1, wait) {
		t.Fatal("no watchdog")
	}
	clock.Advance(29 * time.Second) // the only timer is the stale watchdog's, due at 30s
	for _, st := range rec.Statuses() {
		if st.State == model.FeedQuiet {
			t.Fatalf("quiet with QuietAfter < 0: %s", dump(rec.Statuses()))
		}
	}
	stop()
}

func TestSuperviseProbesEndTheWaitWhenTheServerIsBack(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := &rhythmicFake{fakeExchange: newFake()}
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		if n == 2 {
			hooks.Live()
			return blockUntilDone(ctx)
		}
		return errors.New("dial: connection refused")
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock, Rand: func() float64 { return 0.999 },
		BackoffBase: 40 * time.Second, StaleAfter: time.Hour})
	st := mustStatus(t, rec, model.FeedReconnecting, "attempt 1: dial: connection refused")
	if want := t0.Add(39960 * time.Millisecond); !st.RetryAt.Equal(want) {
		t.Fatalf("RetryAt %v, want %v", st.RetryAt, want)
	}
	for i := 1; i <= 5; i++ { // down: every probe fails, the wait goes on
		if !clock.WaitTimers(2, wait) { // the backoff and the next probe
			t.Fatalf("probe %d not armed", i)
		}
		clock.Advance(time.Second)
		ex.waitFor(t, fmt.Sprintf("probe %d", i), func() bool { return ex.probes.Load() >= int32(i) })
	}
	if !clock.WaitTimers(2, wait) {
		t.Fatal("probe 6 not armed")
	}
	ex.up.Store(true)
	clock.Advance(time.Second) // t0+6s: the probe answers, the wait ends 34 s early
	ex.waitFor(t, "the second session", func() bool { return ex.sessions >= 2 })
	mustStatus(t, rec, model.FeedReconnecting, "server answers again")
	mustStatus(t, rec, model.FeedLive, "")
	if got := clock.Now(); !got.Equal(t0.Add(6 * time.Second)) {
		t.Errorf("live at %v, want %v", got, t0.Add(6*time.Second))
	}
	stop()
}

func TestSuperviseProbeOfAReachableServerDoesNotCutTheWait(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := &rhythmicFake{fakeExchange: newFake()}
	ex.up.Store(true) // the server answers, its websocket fails (a CDN in front of a broken exchange)
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		if n >= 2 {
			hooks.Live()
			return blockUntilDone(ctx)
		}
		return errors.New("HTTP 503 at the upgrade")
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock, Rand: func() float64 { return 0.5 },
		BackoffBase: 20 * time.Second, StaleAfter: time.Hour})
	mustStatus(t, rec, model.FeedReconnecting, "attempt 1: HTTP 503 at the upgrade")
	if !clock.WaitTimers(2, wait) {
		t.Fatal("probe not armed")
	}
	clock.Advance(time.Second)
	ex.waitFor(t, "the probe", func() bool { return ex.probes.Load() >= 1 })
	if !clock.WaitTimers(1, wait) {
		t.Fatal("no backoff timer")
	}
	if n := clock.Pending(); n != 1 {
		t.Fatalf("%d timers pending after a probe that tells nothing, want only the backoff", n)
	}
	clock.Advance(8 * time.Second) // t0+9s: the backoff (10s) still runs
	ex.mu.Lock()
	sessions := ex.sessions
	ex.mu.Unlock()
	if sessions != 1 || ex.probes.Load() != 1 {
		t.Fatalf("sessions %d probes %d at t0+9s, want 1 and 1", sessions, ex.probes.Load())
	}
	clock.Advance(time.Second)
	ex.waitFor(t, "the second session", func() bool { return ex.sessions >= 2 })
	mustStatus(t, rec, model.FeedLive, "")
	stop()
}

// A history fetch that failed while the connection was down is retried as
// soon as a session is live again, not a minute later.
func TestSuperviseRetriesHistoryOnceLiveAgain(t *testing.T) {
	feedtest.NoLeaks(t)
	clock := feedtest.NewFakeClock(t0)
	ex := newFake()
	back := make(chan struct{})
	ex.script = func(n int, ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		if n == 1 {
			<-back // down: the dial hangs until the test brings the server back
		}
		hooks.Live()
		return blockUntilDone(ctx)
	}
	ex.backfill = func(n int, ctx context.Context, sink feeds.Sink, from, to time.Time) error {
		if n == 1 {
			return errors.New("fakex: dial tcp: connection refused")
		}
		return nil
	}
	rec, stop := start(t, ex, feeds.SuperviseOptions{Clock: clock, StaleAfter: time.Hour})
	if !rec.WaitFor(wait, func(_ []model.Event, sts []model.FeedStatus) bool {
		return len(sts) > 0 && sts[len(sts)-1].History != ""
	}) {
		t.Fatalf("no history failure: %s", dump(rec.Statuses()))
	}
	close(back)
	ex.waitFor(t, "the retry, without the clock moving", func() bool { return len(ex.backfills) >= 2 })
	if !rec.WaitFor(wait, func(_ []model.Event, sts []model.FeedStatus) bool {
		last := sts[len(sts)-1]
		return last.State == model.FeedLive && last.History == ""
	}) {
		t.Fatalf("the failure was not cleared: %s", dump(rec.Statuses()))
	}
	stop()
}

package demo

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
)

// fakeSink records what a feed delivers. It refuses events after
// refuseAfter of them when that is set, as a market shutting down would.
type fakeSink struct {
	refuseAfter int

	mu        sync.Mutex
	hash      eventHash // of every event accepted
	afterLive int       // events accepted after the Live status
	statuses  []model.FeedStatus
	liveTrade chan struct{} // closed at the first trade after Live
	closed    bool
}

func newFakeSink() *fakeSink { return &fakeSink{liveTrade: make(chan struct{})} }

func (s *fakeSink) Send(ctx context.Context, ev model.Event) bool {
	if ctx.Err() != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuseAfter > 0 && s.hash.count >= s.refuseAfter {
		return false
	}
	s.hash.add(ev)
	if n := len(s.statuses); n > 0 && s.statuses[n-1].State == model.FeedLive {
		s.afterLive++
		if ev.Kind == model.EventTrade && !s.closed {
			s.closed = true
			close(s.liveTrade)
		}
	}
	return true
}

func (s *fakeSink) Status(st model.FeedStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, st)
}

func (s *fakeSink) states() []model.FeedState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]model.FeedState, len(s.statuses))
	for i, st := range s.statuses {
		out[i] = st.State
		if st.Name != "demo" || !st.Demo {
			panic("status without the demo's name and flag")
		}
	}
	return out
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitLiveTrade(t *testing.T, sink *fakeSink) {
	t.Helper()
	select {
	case <-sink.liveTrade:
	case <-time.After(10 * time.Second):
		t.Fatal("no live trade within 10s")
	}
}

func startRun(t *testing.T, f *Feed, sink *fakeSink) (cancel func(), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- f.Run(ctx, sink) }()
	t.Cleanup(cancel)
	return cancel, ch
}

func waitDone(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s")
	}
}

func TestRunDeliversHistoryThenLiveAndStops(t *testing.T) {
	before := runtime.NumGoroutine()
	opts := Options{Seed: 1, Speed: 60, Tokens: 10, Start: testStart}
	var history eventHash
	NewGenerator(opts).HistoryBatched(1, func(ev model.Event) bool { history.add(ev); return true })

	f := New(opts)
	sink := newFakeSink()
	cancel, done := startRun(t, f, sink)
	waitLiveTrade(t, sink)
	cancel()
	waitDone(t, done)

	states := sink.states()
	want := []model.FeedState{model.FeedConnecting, model.FeedLive, model.FeedStopped}
	if len(states) != len(want) || states[0] != want[0] || states[1] != want[1] || states[2] != want[2] {
		t.Fatalf("states %v, want %v", states, want)
	}
	sink.mu.Lock()
	delivered, live := sink.hash.count, sink.afterLive
	sink.mu.Unlock()
	if delivered-live != history.count {
		t.Fatalf("%d events before Live, want the %d of the history", delivered-live, history.count)
	}
	if live == 0 {
		t.Fatal("nothing delivered after Live")
	}
	waitFor(t, "Run's goroutines to end", 2*time.Second, func() bool { return runtime.NumGoroutine() <= before })
}

func TestRunDeliversTheGeneratorsEvents(t *testing.T) {
	// Pacing is outside the determinism contract, the events are not: what
	// Run delivers is a prefix of what the Generator makes.
	opts := Options{Seed: 4, Speed: 120, Tokens: 5, Start: testStart}
	f := New(opts)
	sink := newFakeSink()
	cancel, done := startRun(t, f, sink)
	waitLiveTrade(t, sink)
	cancel()
	waitDone(t, done)

	steps := int(f.gen.Now().Sub(testStart) / time.Second)
	sink.mu.Lock()
	got := sink.hash
	sink.mu.Unlock()
	var want, prefix eventHash
	collect := func(ev model.Event) {
		want.add(ev)
		if want.count == got.count {
			prefix = want
		}
	}
	g := NewGenerator(opts)
	g.HistoryBatched(2, func(ev model.Event) bool { collect(ev); return true })
	beforeLast := 0
	for i := range steps {
		if i == steps-1 {
			beforeLast = want.count
		}
		g.Step(collect)
	}
	// The last step may be cut short: the sink refuses once ctx ends.
	if got != prefix || got.count < beforeLast {
		t.Fatalf("Run delivered %d events (hash %x), not a prefix of the generator's %d in %d steps",
			got.count, got.h, want.count, steps)
	}
}

func TestRunStopsWhenTheSinkRefuses(t *testing.T) {
	f := New(Options{Seed: 1, Tokens: 5, Start: testStart})
	sink := newFakeSink()
	sink.refuseAfter = 12 // inside the history: 5 tokens' info, history and 3-8 trades each
	_, done := startRun(t, f, sink)
	waitDone(t, done)
	states := sink.states()
	if len(states) != 2 || states[0] != model.FeedConnecting || states[1] != model.FeedStopped {
		t.Fatalf("states %v, want [connecting stopped]", states)
	}
	if got := f.Clock()(); !got.Equal(testStart) {
		t.Fatalf("clock %v after stopping in the history, want Start %v", got, testStart)
	}
}

func TestRunTwiceIsAnError(t *testing.T) {
	f := New(Options{Seed: 1, Tokens: 2, Start: testStart})
	sink := newFakeSink()
	sink.refuseAfter = 1
	if err := f.Run(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	if err := f.Run(context.Background(), sink); err == nil {
		t.Fatal("second Run returned nil")
	}
}

func TestClockRunsAtSpeed(t *testing.T) {
	const speed = 60
	f := New(Options{Seed: 1, Speed: speed, Tokens: 5, Start: testStart})
	clock := f.Clock()
	if got := clock(); !got.Equal(testStart) {
		t.Fatalf("clock before Run %v, want Start %v", got, testStart)
	}
	sink := newFakeSink()
	cancel, done := startRun(t, f, sink)
	waitLiveTrade(t, sink)

	a0 := time.Now()
	c0 := clock()
	b0 := time.Now()
	time.Sleep(200 * time.Millisecond) // the interval measured, not a wait for a condition
	a1 := time.Now()
	c1 := clock()
	b1 := time.Now()
	sim := c1.Sub(c0)
	lo, hi := a1.Sub(b0)*speed, b1.Sub(a0)*speed
	if sim < lo || sim > hi {
		t.Fatalf("simulated %v while the wall clock moved %v..%v: want Speed %d", sim, a1.Sub(b0), b1.Sub(a0), speed)
	}
	cancel()
	waitDone(t, done)
	if stopped := clock(); !stopped.Equal(f.gen.Now()) || !clock().Equal(stopped) {
		t.Fatalf("clock %v after Run, want it stopped at the last step %v", stopped, f.gen.Now())
	}
}

func TestRunCapsStepsAtHighSpeed(t *testing.T) {
	// At a million times real time no machine keeps up: Run must take at
	// most maxStepsPerTick steps a tick, hold the clock back and stay
	// responsive.
	f := New(Options{Seed: 1, Speed: 1e6, Tokens: 3, Start: testStart})
	sink := newFakeSink()
	cancel, done := startRun(t, f, sink)
	waitFor(t, "steps to be capped", 5*time.Second, func() bool { return f.held.Load() > 0 })
	cancel()
	waitDone(t, done)
	steps := f.gen.Now().Sub(testStart) / time.Second
	if steps <= 0 {
		t.Fatal("no steps taken")
	}
	if got := f.Clock()(); !got.Equal(f.gen.Now()) {
		t.Fatalf("clock %v after Run, want the last step %v", got, f.gen.Now())
	}
}

func TestNewDefaults(t *testing.T) {
	before := time.Now()
	f := New(Options{})
	start := f.Clock()()
	if start.Second() != 0 || start.Nanosecond() != 0 || start.After(time.Now()) || before.Sub(start) > time.Minute {
		t.Fatalf("default start %v, want wall now truncated to the minute", start)
	}
	if f.Name() != "demo" || len(f.Universe()) < 40 {
		t.Fatalf("name %q, %d tokens", f.Name(), len(f.Universe()))
	}
}

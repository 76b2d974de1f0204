package model

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// candlesMarket is a market (not yet running) with ten minute bars of SOL
// and a published snapshot: the cache has a version to key answers on.
func candlesMarket(t *testing.T, size int) (*Market, *fakeClock) {
	t.Helper()
	clk := newFakeClock(day0 + 600)
	m := NewMarket(MarketOptions{Clock: clk.Now, PublishEvery: time.Millisecond, CandlesCache: size})
	for i := range int64(10) {
		p := float64(i + 1)
		m.ApplyNow(Event{Kind: EventCandle, Symbol: "SOL", Res: Minute, Time: ns(day0 + i*60 + 59), Candle: bar(day0+i*60, p, p, p, p, 1)})
	}
	m.SnapshotNow()
	return m, clk
}

// eventually waits (up to 5 s) until ok holds.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// askAndWait starts a request for SOL's chart that waits (the market is
// not running yet) until cancel; its error arrives on the channel.
func askAndWait(t *testing.T, m *Market) (cancel context.CancelFunc, err <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	before := m.CandlesStats().Requests
	go func() {
		_, err := m.Candles(ctx, "SOL", 10*time.Minute, 5)
		errc <- err
	}()
	eventually(t, "the request", func() bool { return m.CandlesStats().Requests == before+1 })
	return cancel, errc
}

func sameArray(a, b ReadOnly[Candle]) bool {
	return a.Len() > 0 && a.Len() == b.Len() && &a.s[0] == &b.s[0]
}

// One hub request per (symbol, span, bars) and token version: repeats are
// answered from the cache with the same (read-only) bars; a new version of
// the token asks the hub again; other spans and widths are kept apart.
func TestCandlesCachedPerVersion(t *testing.T) {
	m, _ := candlesMarket(t, 0)
	runMarket(t, m)
	ctx := t.Context()
	first, err := m.Candles(ctx, "SOL", 10*time.Minute, 5)
	if err != nil || first.Len() != 5 {
		t.Fatalf("candles %v, %v", first, err)
	}
	for range 10 {
		again, err := m.Candles(ctx, "SOL", 10*time.Minute, 5)
		if err != nil || !sameArray(first, again) {
			t.Fatalf("a repeat was not the cached answer: %v, %v", again, err)
		}
	}
	if st := m.CandlesStats(); st.HubRequests != 1 || st.Hits != 10 || st.Requests != 11 {
		t.Fatalf("stats %+v, want 1 hub request and 10 hits", st)
	}
	other, _ := m.Candles(ctx, "SOL", 10*time.Minute, 0)
	wider, _ := m.Candles(ctx, "SOL", time.Hour, 5)
	if other.Len() != 10 || sameArray(other, first) || wider.Len() == 0 || m.CandlesStats().HubRequests != 3 {
		t.Errorf("other widths and spans: %d bars, %d bars, stats %+v", other.Len(), wider.Len(), m.CandlesStats())
	}

	// The token changes: the next snapshot has a new version, and the
	// next request sees the new bar.
	mb := m.Subscribe(ctx)
	m.Send(ctx, Event{Kind: EventCandle, Symbol: "SOL", Res: Minute, Time: ns(day0 + 659), Candle: bar(day0+600, 11, 11, 11, 11, 1)})
	waitFor(t, mb, "SOL at 11", func(s *Snapshot) bool { return s.Token("SOL").Price == 11 })
	fresh, err := m.Candles(ctx, "SOL", 10*time.Minute, 5)
	if err != nil || fresh.At(fresh.Len()-1).Close != 11 || m.CandlesStats().HubRequests != 4 {
		t.Errorf("after a change: %v, %v, stats %+v", fresh, err, m.CandlesStats())
	}
	if first.At(first.Len()-1).Close != 10 {
		t.Error("an answer already handed out changed")
	}
}

// Concurrent requests for the same chart share one hub request, even when
// the caller that started it gives up.
func TestCandlesConcurrentRequestsShareOne(t *testing.T) {
	m, _ := candlesMarket(t, 0)
	// The hub is not running yet, so every request waits: the first starts
	// the hub request, the others join it.
	const callers = 100
	quit, quitErr := askAndWait(t, m)
	var wg sync.WaitGroup
	got := make([]ReadOnly[Candle], callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { got[i], errs[i] = m.Candles(context.Background(), "SOL", 10*time.Minute, 5) })
	}
	eventually(t, "every caller waiting", func() bool { return m.CandlesStats().Shared == callers })
	quit() // the one that started it leaves: the others still get their answer
	if err := <-quitErr; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that gave up: %v", err)
	}
	runMarket(t, m)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || !sameArray(got[i], got[0]) || got[i].Len() != 5 {
			t.Fatalf("caller %d: %v, %v", i, got[i], errs[i])
		}
	}
	if st := m.CandlesStats(); st.HubRequests != 1 {
		t.Errorf("%d hub requests for %d concurrent callers, want 1 (%+v)", st.HubRequests, callers+1, st)
	}
}

// When every caller of a shared request has given up, it is dropped: a
// later caller starts a new one and gets its answer.
func TestCandlesAbandonedRequestStartsAfresh(t *testing.T) {
	m, _ := candlesMarket(t, 0)
	cancel, done := askAndWait(t, m)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	runMarket(t, m)
	bars, err := m.Candles(t.Context(), "SOL", 10*time.Minute, 5)
	if err != nil || bars.Len() != 5 {
		t.Fatalf("after an abandoned request: %v, %v", bars, err)
	}
}

// The cache keeps at most its size, dropping the least recently used.
func TestCandlesCacheBounded(t *testing.T) {
	m, _ := candlesMarket(t, 3)
	runMarket(t, m)
	ctx := t.Context()
	ask := func(bars int) {
		t.Helper()
		if _, err := m.Candles(ctx, "SOL", 10*time.Minute, bars); err != nil {
			t.Fatal(err)
		}
	}
	for bars := 1; bars <= 3; bars++ {
		ask(bars)
	}
	ask(1) // 1 is now the most recently used, 2 the least
	ask(4) // drops 2
	m.candlesCache.mu.Lock()
	n := len(m.candlesCache.entries)
	_, has1 := m.candlesCache.entries[candlesKey{"SOL", 10 * time.Minute, 1}]
	_, has2 := m.candlesCache.entries[candlesKey{"SOL", 10 * time.Minute, 2}]
	m.candlesCache.mu.Unlock()
	if n != 3 || !has1 || has2 {
		t.Errorf("%d entries (1 kept %v, 2 kept %v), want 3 with 2 dropped", n, has1, has2)
	}
	before := m.CandlesStats().HubRequests
	ask(1)
	ask(2)
	if got := m.CandlesStats().HubRequests - before; got != 1 {
		t.Errorf("%d hub requests for a kept and a dropped answer, want 1", got)
	}
}

// Errors are not cached; a token not yet in a snapshot goes to the hub;
// a negative size turns the cache off.
func TestCandlesUncachedCases(t *testing.T) {
	m, _ := candlesMarket(t, 0)
	runMarket(t, m)
	ctx := t.Context()
	for range 3 {
		if _, err := m.Candles(ctx, "NOPE", time.Hour, 10); err == nil {
			t.Fatal("unknown symbol gave no error")
		}
	}
	if _, err := m.Candles(ctx, "SOL\x1b[2J", 0, 10); err == nil || err.Error() != "candles SOL: span 0s is not positive" {
		t.Errorf("zero span: %v", err)
	}
	if st := m.CandlesStats(); st.HubRequests != 3 || st.Hits != 0 {
		t.Errorf("stats %+v, want every unknown-symbol request served by the hub", st)
	}

	off, _ := candlesMarket(t, -1)
	runMarket(t, off)
	for range 3 {
		if bars, err := off.Candles(ctx, "SOL", 10*time.Minute, 5); err != nil || bars.Len() != 5 {
			t.Fatalf("uncached: %v, %v", bars, err)
		}
	}
	if st := off.CandlesStats(); st.HubRequests != 3 {
		t.Errorf("cache off: stats %+v, want 3 hub requests", st)
	}
}

// After the market stops, requests fail with ErrMarketStopped (answers
// already cached for the last snapshot are still served).
func TestCandlesAfterStop(t *testing.T) {
	m, _ := candlesMarket(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	cached, err := m.Candles(t.Context(), "SOL", 10*time.Minute, 5)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if again, err := m.Candles(t.Context(), "SOL", 10*time.Minute, 5); err != nil || !sameArray(again, cached) {
		t.Errorf("cached answer after stop: %v, %v", again, err)
	}
	if _, err := m.Candles(t.Context(), "SOL", 10*time.Minute, 6); !errors.Is(err, ErrMarketStopped) {
		t.Errorf("new request after stop: %v", err)
	}
}

// BenchmarkCandles: one detail-chart request (24 h in 220 bars, from 1,440
// minute bars) served by the hub, and answered from the cache.
func BenchmarkCandles(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"hub", -1}, {"cached", 0}} {
		b.Run(c.name, func(b *testing.B) {
			clk := newFakeClock(day0 + 86400)
			m := NewMarket(MarketOptions{Clock: clk.Now, CandlesCache: c.size})
			for i := range int64(1440) {
				p := 100 + float64(i%50)
				m.ApplyNow(Event{Kind: EventCandle, Symbol: "SOL", Res: Minute, Time: ns(day0 + i*60 + 59),
					Candle: bar(day0+i*60, p, p+1, p-1, p, 1)})
			}
			m.SnapshotNow()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { _ = m.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			b.ReportAllocs()
			for b.Loop() {
				if bars, err := m.Candles(ctx, "SOL", 24*time.Hour, 220); err != nil || bars.Len() == 0 {
					b.Fatal(bars, err)
				}
			}
		})
	}
}

package model

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokentop/tokentop/internal/safetext"
)

// The candles cache sits in front of the hub's Candles requests. Every open
// detail pane asks for its token's chart every half second while the token
// changes; under `tokentop serve` N sessions with the pane open on the same
// token would cost the one hub goroutine N requests. The cache makes them
// cost one: answers are kept per (symbol, span, maxBars) for the token's
// published Version, and concurrent requests for the same key and version
// share one hub request (single flight). The bars change only when the
// token does, and every change bumps its Version in the next snapshot, so a
// cached answer for the version a snapshot shows is as fresh as that
// snapshot.

// DefaultCandlesCacheSize is how many answers the cache keeps: enough for
// every timeframe and chart mode of a few dozen tokens open at once.
const DefaultCandlesCacheSize = 256

// candlesFlightTimeout bounds one shared hub request, whoever waits on it.
const candlesFlightTimeout = 10 * time.Second

// CandlesStats counts the candles requests a Market has answered.
type CandlesStats struct {
	Requests    uint64 // Candles calls
	Hits        uint64 // answered from the cache
	Shared      uint64 // answered by a hub request another caller had started
	HubRequests uint64 // served by the hub goroutine
	// HubBusy is the time the hub goroutine spent answering them: time in
	// which it applied no event.
	HubBusy time.Duration
}

type candlesKey struct {
	symbol  string
	span    time.Duration
	maxBars int
}

type candlesEntry struct {
	version uint64
	candles ReadOnly[Candle]
	used    uint64 // the cache's use counter when last read (least recently used goes first)
}

// candlesFlight is one hub request that callers asking for the same key and
// version wait on.
type candlesFlight struct {
	done    chan struct{} // closed when candles and err are set
	candles ReadOnly[Candle]
	err     error
	waiters int
	cancel  context.CancelFunc
}

type flightKey struct {
	candlesKey
	version uint64
}

type candlesCache struct {
	size int // <= 0: no cache, every request goes to the hub

	mu      sync.Mutex
	entries map[candlesKey]*candlesEntry
	flights map[flightKey]*candlesFlight
	uses    uint64

	requests, hits, shared, hub atomic.Uint64
	busy                        atomic.Int64 // ns
}

func newCandlesCache(size int) *candlesCache {
	return &candlesCache{size: size, entries: make(map[candlesKey]*candlesEntry), flights: make(map[flightKey]*candlesFlight)}
}

// Candles returns up to maxBars bars (oldest first) covering span back from
// the token's last update, at the finest resolution whose window covers the
// span, consecutive bars merged when there are more than maxBars. maxBars
// <= 0 means no limit. The bars are shared with every other caller that
// asked for the same chart: read-only.
//
// Answers come from the candles cache when the token has not changed since
// (its Version in the latest snapshot); otherwise the hub goroutine serves
// the request, once for all callers asking at the same time. Safe for any
// number of goroutines (it is the history source of every session).
func (m *Market) Candles(ctx context.Context, symbol string, span time.Duration, maxBars int) (ReadOnly[Candle], error) {
	if span <= 0 {
		return ReadOnly[Candle]{}, fmt.Errorf("candles %s: span %v is not positive", strings.TrimSpace(safetext.Line(symbol, maxSymbolLen)), span)
	}
	c := m.candlesCache
	c.requests.Add(1)
	version, published := m.publishedVersion(symbol)
	if c.size <= 0 || !published {
		// Nothing to key the answer on (the token is not in a snapshot
		// yet, or the cache is off): ask the hub.
		return m.hubCandles(ctx, symbol, span, maxBars)
	}
	key := candlesKey{symbol: symbol, span: span, maxBars: max(maxBars, 0)}
	fk := flightKey{key, version}

	c.mu.Lock()
	if e, ok := c.entries[key]; ok && e.version == version {
		c.uses++
		e.used = c.uses
		bars := e.candles
		c.mu.Unlock()
		c.hits.Add(1)
		return bars, nil
	}
	f, ok := c.flights[fk]
	if ok {
		c.shared.Add(1)
	} else {
		f = m.startFlight(fk)
	}
	f.waiters++
	c.mu.Unlock()

	select {
	case <-f.done:
		return f.candles, f.err
	case <-ctx.Done():
		c.mu.Lock()
		f.waiters--
		if f.waiters == 0 && c.flights[fk] == f {
			// Nobody waits any more: stop asking the hub, and let the
			// next caller start afresh.
			delete(c.flights, fk)
			f.cancel()
		}
		c.mu.Unlock()
		return ReadOnly[Candle]{}, fmt.Errorf("candles %s: %w", strings.TrimSpace(safetext.Line(symbol, maxSymbolLen)), ctx.Err())
	}
}

// startFlight starts the hub request of fk (c.mu held).
func (m *Market) startFlight(fk flightKey) *candlesFlight {
	c := m.candlesCache
	ctx, cancel := context.WithTimeout(context.Background(), candlesFlightTimeout)
	f := &candlesFlight{done: make(chan struct{}), cancel: cancel}
	c.flights[fk] = f
	go func() {
		defer cancel()
		bars, err := m.hubCandles(ctx, fk.symbol, fk.span, fk.maxBars)
		c.mu.Lock()
		f.candles, f.err = bars, err
		if c.flights[fk] == f {
			delete(c.flights, fk)
		}
		if err == nil {
			c.store(fk, bars)
		}
		c.mu.Unlock()
		close(f.done)
	}()
	return f
}

// store keeps an answer unless a newer version's is already there, then
// drops the least recently used answers beyond the size (c.mu held).
func (c *candlesCache) store(fk flightKey, bars ReadOnly[Candle]) {
	if e, ok := c.entries[fk.candlesKey]; ok && e.version > fk.version {
		return
	}
	c.uses++
	c.entries[fk.candlesKey] = &candlesEntry{version: fk.version, candles: bars, used: c.uses}
	for len(c.entries) > c.size {
		var oldest candlesKey
		first := true
		var least uint64
		for k, e := range c.entries {
			if first || e.used < least {
				oldest, least, first = k, e.used, false
			}
		}
		delete(c.entries, oldest)
	}
}

// CandlesStats reports how the Candles requests so far were answered.
func (m *Market) CandlesStats() CandlesStats {
	c := m.candlesCache
	return CandlesStats{Requests: c.requests.Load(), Hits: c.hits.Load(), Shared: c.shared.Load(), HubRequests: c.hub.Load(),
		HubBusy: time.Duration(c.busy.Load())}
}

// publishedVersion is symbol's Version in the latest published snapshot.
func (m *Market) publishedVersion(symbol string) (uint64, bool) {
	m.subsMu.Lock()
	s := m.latest
	m.subsMu.Unlock()
	if v := s.Token(symbol); v != nil {
		return v.Version, true
	}
	return 0, false
}

// hubCandles asks the hub goroutine (Run) for candles.
func (m *Market) hubCandles(ctx context.Context, symbol string, span time.Duration, maxBars int) (ReadOnly[Candle], error) {
	req := candlesRequest{symbol: symbol, span: span, maxBars: maxBars, reply: make(chan candlesReply, 1)}
	shown := strings.TrimSpace(safetext.Line(symbol, maxSymbolLen))
	select {
	case m.requests <- req:
	case <-ctx.Done():
		return ReadOnly[Candle]{}, fmt.Errorf("candles %s: %w", shown, ctx.Err())
	case <-m.done:
		return ReadOnly[Candle]{}, fmt.Errorf("candles %s: %w", shown, ErrMarketStopped)
	}
	m.candlesCache.hub.Add(1)
	select {
	case r := <-req.reply:
		return frozen(r.candles), r.err
	case <-ctx.Done():
		return ReadOnly[Candle]{}, fmt.Errorf("candles %s: %w", shown, ctx.Err())
	}
}

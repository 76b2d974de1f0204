package model

import (
	"bytes"
	"log/slog"
	"math"
	"strings"
	"testing"
)

// Absurd numbers from a frame (issue 14: 1e59, 1e-61) are refused by the
// hub, counted and logged; the token keeps its price, trades and bars.
func TestImplausibleValuesAreRefused(t *testing.T) {
	now := day0 + 8*86400
	clk := newFakeClock(now + 60)
	var log bytes.Buffer
	m := NewMarket(MarketOptions{Clock: clk.Now, MaxTrades: 50, WhaleNotional: 1000,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	m.now = clk.Now().UnixNano()
	apply := func(ev Event) { m.apply(&ev) }

	apply(trade("BTC", now, 100, 1)) // the reference price
	refused := []Event{
		trade("BTC", now+1, 1e59, 1),
		trade("BTC", now+1, 1e-61, 1),
		{Kind: EventQuote, Symbol: "BTC", Time: ns(now + 1), Price: 1e59},
		{Kind: EventQuote, Symbol: "BTC", Time: ns(now + 1), Price: 5e-324},
		{Kind: EventQuote, Symbol: "BTC", Time: ns(now + 1), Price: math.MaxFloat64},
		trade("BTC", now+1, 1001, 1),    // more than 10x the current price
		trade("BTC", now+1, 9.9, 1),     // less than 1/10
		trade("BTC", now+1, 101, 2e8),   // $20B in one trade
		trade("ETH", now+1, 1e11, 1e-9), // a first price above MaxPrice
		{Kind: EventCandle, Symbol: "BTC", Res: Minute, Time: ns(now + 1), Candle: bar(now-now%60, 1e6, 1e6, 1e6, 1e6, 1)},             // 10,000x
		{Kind: EventCandle, Symbol: "BTC", Res: Minute, Time: ns(now + 1), Candle: bar(now-now%60, 100, 200000, 100, 100, 1)},          // high/low 2000
		{Kind: EventCandle, Symbol: "BTC", Res: Day, Candle: bar(day0, 100, 100, 100, 100, 1e11)},                                      // $1e13 in a day
		{Kind: EventCandle, Symbol: "BTC", Res: Day, Candle: bar(day0, 1e-61, 1e-61, 1e-61, 1e-61, 1)},                                 // below MinPrice
		{Kind: EventInfo, Symbol: "BTC", Info: &TokenInfo{MarketCap: 1e59}},                                                            // cap
		{Kind: EventInfo, Symbol: "BTC", Info: &TokenInfo{Supply: math.Inf(1)}},                                                        // supply
		{Kind: EventInfo, Symbol: "BTC", Info: &TokenInfo{MarketCap: -5}},                                                              // negative cap
		{Kind: EventCandle, Symbol: "BTC", Res: Day, Candle: Candle{T: day0, Open: 1, High: math.Inf(1), Low: 1, Close: 1, Volume: 1}}, // malformed: bad, not implausible
	}
	for _, ev := range refused {
		apply(ev)
	}
	// Still plausible: a 9x move, a daily bar from a week ago at 1/500 of
	// today's price, a cap of $2T.
	apply(trade("BTC", now+2, 900, 0.01))
	apply(Event{Kind: EventCandle, Symbol: "BTC", Res: Day, Candle: bar(day0+86400, 1.8, 2, 1.5, 1.8, 1000)})
	apply(Event{Kind: EventInfo, Symbol: "BTC", Info: &TokenInfo{MarketCap: 2e12}})

	s := m.buildSnapshot(clk.Now())
	if want := uint64(len(refused)); s.BadEvents != want || s.Implausible != want-1 {
		t.Errorf("BadEvents %d Implausible %d, want %d and %d", s.BadEvents, s.Implausible, want, want-1)
	}
	btc := s.Token("BTC")
	if btc == nil || btc.Price != 900 || btc.MarketCap != 2e12 {
		t.Fatalf("BTC %+v, want price 900 and cap 2e12", btc)
	}
	if s.Token("ETH") != nil {
		t.Error("a refused first price made a token")
	}
	for _, tr := range btc.Trades.All() {
		if tr.Price != 100 && tr.Price != 900 {
			t.Errorf("trade at %v kept", tr.Price)
		}
	}
	if hi, lo := btc.High24h, btc.Low24h; hi != 900 || lo != 100 {
		t.Errorf("24h range %v..%v, want 100..900", lo, hi)
	}
	if !strings.Contains(log.String(), "implausible value refused") || !strings.Contains(log.String(), "value=1e+59") {
		t.Errorf("log lacks the refusals:\n%s", log.String())
	}
}

// A real new level (or a wrong first price) is taken after ReanchorAfter
// prices in a row that agree with each other; scattered outliers never are.
func TestPriceReanchorsOnAConsistentNewLevel(t *testing.T) {
	now := day0 + 8*86400
	clk := newFakeClock(now + 60)
	m := hub(clk)
	apply := func(ev Event) { m.apply(&ev) }
	apply(trade("NEW", now, 1, 1))
	// Scattered: 50, 500, 20, 5000 (each more than 2x from the last).
	for i, p := range []float64{50, 500, 20, 5000, 50, 500, 20, 5000} {
		apply(trade("NEW", now+1+int64(i), p, 1))
	}
	if s := m.buildSnapshot(clk.Now()); s.Token("NEW").Price != 1 || s.Implausible != 8 {
		t.Fatalf("price %v implausible %d after scattered outliers, want 1 and 8", s.Token("NEW").Price, s.Implausible)
	}
	// A listing that opens at 1 and trades at 40..45 from then on.
	for i, p := range []float64{40, 42, 45, 41} {
		apply(trade("NEW", now+10+int64(i), p, 1))
		if got := m.tokens["NEW"].price; got != 1 {
			t.Fatalf("price %v after %d agreeing outliers, want still 1", got, i+1)
		}
	}
	apply(trade("NEW", now+14, 43, 1)) // the fifth in a row: a new level
	apply(trade("NEW", now+15, 44, 1)) // and from there, normal ticks
	s := m.buildSnapshot(clk.Now())
	if tok := s.Token("NEW"); tok.Price != 44 || s.Implausible != 12 {
		t.Fatalf("price %v implausible %d, want 44 and 12", tok.Price, s.Implausible)
	}
}

// FuzzApplyNeverTakesTheImplausible: whatever prices, quantities and bars
// arrive, what the hub shows stays within the plausible bounds.
func FuzzApplyNeverTakesTheImplausible(f *testing.F) {
	f.Add(100.0, 1e59, 1.0, 1e-61, 50.0, 1.0)
	f.Add(1.0, 5e-324, math.MaxFloat64, -0.0, math.Inf(1), math.NaN())
	f.Fuzz(func(t *testing.T, p1, p2, q, o, c, v float64) {
		now := day0 + 8*86400
		clk := newFakeClock(now + 60)
		m := hub(clk)
		for i, p := range []float64{p1, p2, p1, p2} {
			ev := trade("X", now+int64(i), p, q)
			m.apply(&ev)
			ev = Event{Kind: EventQuote, Symbol: "X", Time: ns(now + int64(i)), Price: p}
			m.apply(&ev)
		}
		hi, lo := max(o, c), min(o, c)
		ev := Event{Kind: EventCandle, Symbol: "X", Res: Minute, Time: ns(now), Candle: bar(now-now%60, o, hi, lo, c, v)}
		m.apply(&ev)
		s := m.buildSnapshot(clk.Now())
		x := s.Token("X")
		if x == nil {
			return
		}
		if !PlausiblePrice(x.Price) {
			t.Fatalf("price %v shown", x.Price)
		}
		for _, tr := range x.Trades.All() {
			if !PlausiblePrice(tr.Price) || !(tr.Qty >= 0) || tr.Price*tr.Qty > MaxNotional {
				t.Fatalf("trade %+v shown", tr)
			}
		}
		for _, sp := range x.Spark.All() {
			if !math.IsNaN(sp) && !PlausiblePrice(sp) {
				t.Fatalf("spark point %v", sp)
			}
		}
	})
}

package model_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/model"
)

// sameMarkets fails unless a and b (neither running) show the same
// tokens, counters and kept bars.
func sameMarkets(t *testing.T, when string, a, b *model.Market) {
	t.Helper()
	sa, sb := a.SnapshotNow(), b.SnapshotNow()
	if sa.BadEvents != sb.BadEvents || sa.Implausible != sb.Implausible || !sa.LastEvent.Equal(sb.LastEvent) {
		t.Fatalf("%s: bad %d/%d, implausible %d/%d, last event %v/%v", when,
			sa.BadEvents, sb.BadEvents, sa.Implausible, sb.Implausible, sa.LastEvent, sb.LastEvent)
	}
	if sa.Tokens.Len() != sb.Tokens.Len() || sa.Tokens.Len() == 0 {
		t.Fatalf("%s: %d tokens against %d", when, sa.Tokens.Len(), sb.Tokens.Len())
	}
	for i := range sa.Tokens.Len() {
		va, vb := sa.Tokens.At(i), sb.Tokens.At(i)
		a, b := *va, *vb
		a.Version, b.Version = 0, 0 // how often a view was rebuilt, not what it shows
		// %+v: grades hold NaN for "not known", which DeepEqual never equals.
		if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
			t.Fatalf("%s: token %d differs:\n%+v\n%+v", when, i, va, vb)
		}
	}
	ha, hb := keptBars(t, a), keptBars(t, b)
	if len(ha) == 0 || !reflect.DeepEqual(ha, hb) {
		for i := range min(len(ha), len(hb)) {
			if !reflect.DeepEqual(ha[i], hb[i]) {
				t.Fatalf("%s: %s's kept bars differ", when, ha[i].Info.Symbol)
			}
		}
		t.Fatalf("%s: %d tokens with bars against %d", when, len(ha), len(hb))
	}
}

// keptBars is every token's kept bars (Market.History), read by running m
// briefly.
func keptBars(t *testing.T, m *model.Market) []model.WarmToken {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	ctx2, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	h, err := m.History(ctx2)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestHistoryBatchedIsTheSameMarket: the demo's back history sent as one
// model.History a token, built on several goroutines, leaves the market
// exactly as the same bars sent one EventCandle at a time, and the live
// market carries on from it the same.
func TestHistoryBatchedIsTheSameMarket(t *testing.T) {
	opts := demo.Options{Seed: 7, Tokens: 60} // built-in and synthetic tokens
	ga, gb := demo.NewGenerator(opts), demo.NewGenerator(opts)
	a := model.NewMarket(model.MarketOptions{Clock: ga.Now})
	b := model.NewMarket(model.MarketOptions{Clock: gb.Now})
	ga.History(a.ApplyNow)
	histories := 0
	if !gb.HistoryBatched(3, func(ev model.Event) bool {
		if ev.Kind == model.EventHistory {
			histories++
		}
		b.ApplyNow(ev)
		return true
	}) {
		t.Fatal("HistoryBatched stopped though emit never refused")
	}
	if histories != opts.Tokens {
		t.Fatalf("%d histories for %d tokens", histories, opts.Tokens)
	}
	sameMarkets(t, "after the history", a, b)

	// A market that has run (keptBars) is done with ApplyNow: carry on
	// with fresh ones for the live part.
	a2 := model.NewMarket(model.MarketOptions{Clock: ga.Now})
	b2 := model.NewMarket(model.MarketOptions{Clock: gb.Now})
	ga2, gb2 := demo.NewGenerator(opts), demo.NewGenerator(opts)
	ga2.History(a2.ApplyNow)
	gb2.HistoryBatched(2, func(ev model.Event) bool { b2.ApplyNow(ev); return true })
	for range 900 {
		ga2.Step(a2.ApplyNow)
		gb2.Step(b2.ApplyNow)
	}
	sameMarkets(t, "after 15 live minutes", a2, b2)
}

// TestHistoryBatchedStops: once emit refuses, nothing more is emitted and
// HistoryBatched returns false with its goroutines done.
func TestHistoryBatchedStops(t *testing.T) {
	g := demo.NewGenerator(demo.Options{Seed: 1, Tokens: 40})
	calls := 0
	ok := g.HistoryBatched(4, func(model.Event) bool {
		calls++
		return calls < 30
	})
	if ok || calls != 30 {
		t.Fatalf("HistoryBatched returned %v after %d calls, want false after 30", ok, calls)
	}
}

// bar is one bar of a test history.
type bar struct {
	res model.Resolution
	c   model.Candle
	at  int64
}

// applyBoth applies bars to a as EventCandles and to b as one History.
func applyBoth(a, b *model.Market, sym string, bars []bar) *model.History {
	h := model.NewHistory()
	for _, x := range bars {
		a.ApplyNow(model.Event{Kind: model.EventCandle, Symbol: sym, Time: x.at, Res: x.res, Candle: x.c})
		h.Add(x.res, x.c, x.at)
	}
	b.ApplyNow(model.Event{Kind: model.EventHistory, Symbol: sym, History: h})
	return h
}

func TestHistoryChecksBarsAsTheHubDoes(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := model.NewMarket(model.MarketOptions{Clock: clock})
	b := model.NewMarket(model.MarketOptions{Clock: clock})
	h0 := now.Add(-48 * time.Hour).Unix()
	var bars []bar
	p := 100.0
	for i := range int64(40) {
		t0 := h0 + i*3600
		c := model.Candle{T: t0, Open: p, High: p * 1.01, Low: p * 0.99, Close: p * 1.002, Volume: 10}
		switch i {
		case 5:
			c.Close = math.NaN() // malformed: bad
		case 9:
			c.Open, c.High, c.Low, c.Close = p*1e5, p*1e5, p*1e5, p*1e5 // a jump beyond MaxBarJump: refused
		case 12:
			c.High = c.Low / 2 // high below low: bad
		}
		bars = append(bars, bar{model.Hour, c, (t0 + 3600) * 1e9})
		if i != 5 && i != 9 && i != 12 {
			p = c.Close
		}
	}
	bars = append(bars, bar{model.Resolution(99), bars[0].c, 0}) // no such resolution: bad
	h := applyBoth(a, b, "ABC", bars)
	if h.Len() != 37 {
		t.Fatalf("History took %d bars, want 37", h.Len())
	}
	sameMarkets(t, "after the bars", a, b)
	// The NaN close with a sane high and low counts as implausible, as
	// the hub counts it; the jump too; high below low and the unknown
	// resolution only as bad.
	if s := b.SnapshotNow(); s.BadEvents != 4 || s.Implausible != 2 {
		t.Fatalf("bad %d, implausible %d; want 4 and 2", s.BadEvents, s.Implausible)
	}
}

func TestHistoryAppliedOnceAndNotFromTheFuture(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	m := model.NewMarket(model.MarketOptions{Clock: func() time.Time { return now }, MaxFutureSkew: time.Minute})
	h := model.NewHistory()
	c := model.Candle{T: now.Add(-time.Hour).Unix(), Open: 1, High: 1, Low: 1, Close: 1, Volume: 1}
	h.Add(model.Hour, c, 0)
	m.ApplyNow(model.Event{Kind: model.EventHistory, Symbol: "ONE", History: h})
	m.ApplyNow(model.Event{Kind: model.EventHistory, Symbol: "ONE", History: h}) // again: bad
	m.ApplyNow(model.Event{Kind: model.EventHistory, Symbol: "NIL"})             // no History: bad

	future := model.NewHistory()
	future.Add(model.Hour, c, 0)
	c.T = now.Add(time.Hour).Unix() // starts an hour ahead: the whole history is refused
	future.Add(model.Hour, c, 0)
	m.ApplyNow(model.Event{Kind: model.EventHistory, Symbol: "TWO", History: future})

	s := m.SnapshotNow()
	if s.BadEvents != 3 {
		t.Fatalf("bad %d, want 3 (a History applied twice, one without a History, one from the future)", s.BadEvents)
	}
	if s.Token("ONE") == nil || s.Token("TWO") != nil || s.Token("NIL") != nil {
		t.Fatalf("tokens %v", s.Tokens.All())
	}
}

// TestHistoryMergesIntoATokenWithData: a History for a token that already
// has a newer price keeps that price and adds the bars.
func TestHistoryMergesIntoATokenWithData(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	m := model.NewMarket(model.MarketOptions{Clock: func() time.Time { return now }})
	m.ApplyNow(model.Event{Kind: model.EventTrade, Symbol: "ABC", Time: now.UnixNano(), Price: 105, Qty: 1, Side: model.SideBuy})
	h := model.NewHistory()
	var want []model.Candle
	for i := range int64(30) {
		t0 := now.Add(-48*time.Hour).Unix() + i*3600
		c := model.Candle{T: t0, Open: 100, High: 104, Low: 99, Close: 100 + float64(i)/10, Volume: 5}
		h.Add(model.Hour, c, (t0+3600)*1e9)
		want = append(want, c)
	}
	m.ApplyNow(model.Event{Kind: model.EventHistory, Symbol: "ABC", History: h})
	if v := m.SnapshotNow().Token("ABC"); v == nil || v.Price != 105 {
		t.Fatalf("token %+v, want the trade's price 105 kept", v)
	}
	kept := keptBars(t, m)
	if len(kept) != 1 {
		t.Fatalf("%d tokens with bars", len(kept))
	}
	got := map[int64]model.Candle{}
	for _, c := range kept[0].Hour {
		got[c.T] = c
	}
	for _, c := range want {
		// A kept bar's close is a float32 offset from its open (to ~1e-7).
		if g := got[c.T]; g.Open != c.Open || g.Volume != c.Volume || math.Abs(g.Close-c.Close) > 1e-6*c.Close {
			t.Fatalf("hour bar %d: %+v, want %+v", c.T, got[c.T], c)
		}
	}
}

// TestHistoryIsGradedAtOnce: a back history that arrives after the
// ratings ran is graded at the next snapshot, as its bars one by one
// would be, not when the ratings are next due.
func TestHistoryIsGradedAtOnce(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := model.NewMarket(model.MarketOptions{Clock: clock})
	b := model.NewMarket(model.MarketOptions{Clock: clock})
	for _, m := range []*model.Market{a, b} {
		m.ApplyNow(model.Event{Kind: model.EventTrade, Symbol: "ABC", Time: now.UnixNano(), Price: 5, Qty: 1, Side: model.SideBuy})
		m.SnapshotNow() // the ratings run: the next are due minutes away
	}
	// Grades compare tokens: five of them, each with 40 days of bars.
	for k := range 5 {
		var bars []bar
		p := 100.0
		for i := range int64(40 * 24) {
			t0 := now.Add(-40*24*time.Hour).Unix() + i*3600
			c := p * (1 + 0.003*math.Sin(float64(i)/float64(7+k)))
			bars = append(bars, bar{model.Hour, model.Candle{T: t0, Open: p, High: max(p, c) * 1.001, Low: min(p, c) * 0.999, Close: c, Volume: 50}, (t0 + 3600) * 1e9})
			p = c
		}
		applyBoth(a, b, fmt.Sprintf("XYZ%d", k), bars)
	}
	sameMarkets(t, "after the histories", a, b)
	if v := b.SnapshotNow().Token("XYZ0"); v == nil || math.IsNaN(v.InvestorGrade.Value) || math.IsNaN(v.TraderGrade.Value) {
		t.Fatalf("XYZ0 %+v: want grades from its 40 days of bars at once", v)
	}
}

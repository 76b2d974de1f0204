package model

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a market clock tests move by hand.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(sec int64) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(sec * 1e9)
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// hub returns a market whose state the test drives directly (no Run).
func hub(clock *fakeClock) *Market {
	m := NewMarket(MarketOptions{Clock: clock.Now, MaxTrades: 3, WhaleNotional: 1000})
	m.now = clock.Now().UnixNano()
	return m
}

func ns(sec int64) int64 { return sec * 1e9 }

func trade(sym string, sec int64, price, qty float64) Event {
	return Event{Kind: EventTrade, Symbol: sym, Time: ns(sec), Price: price, Qty: qty, Side: SideBuy}
}

// runMarket starts m.Run and stops it when the test ends.
func runMarket(t *testing.T, m *Market) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not stop")
		}
	})
}

// waitFor takes snapshots from mb until ok(snapshot) or the timeout.
func waitFor(t *testing.T, mb *Mailbox[*Snapshot], what string, ok func(*Snapshot) bool) *Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		s, got := mb.Take(ctx)
		if !got {
			t.Fatalf("no snapshot with %s before timeout", what)
		}
		if ok(s) {
			return s
		}
	}
}

func TestApplyAndViews(t *testing.T) {
	now := day0 + 8*86400
	clk := newFakeClock(now + 60)
	m := hub(clk)
	// 8 days of hourly backfill for BTC: close 100 + i.
	for i := int64(0); i < 8*24; i++ {
		p := 100 + float64(i)
		m.apply(&Event{Kind: EventCandle, Symbol: "BTC", Time: ns(day0 + i*3600 + 3599), Res: Hour,
			Candle: bar(day0+i*3600, p, p, p, p, 1)})
	}
	m.apply(&Event{Kind: EventInfo, Symbol: "BTC", Info: &TokenInfo{Name: "Bit\x1b[31mcoin\x07", Supply: 10}})
	m.apply(&Event{Kind: EventInfo, Symbol: "ETH", Info: &TokenInfo{MarketCap: 5, Supply: math.Inf(1)}})
	m.apply(&Event{Kind: EventInfo, Symbol: "DOGE", Info: &TokenInfo{MarketCap: math.NaN(), Supply: -3}})
	for i, q := range []float64{1, 20, 2, 3} {
		ev := trade("BTC", now+int64(i), 300, q)
		m.apply(&ev)
	}
	snap := m.buildSnapshot(clk.Now())
	if snap.Tokens.Len() != 3 {
		t.Fatalf("tokens = %d, want 3", snap.Tokens.Len())
	}
	btc := snap.Token("BTC")
	if btc == nil || snap.Tokens.At(0) != btc || btc.Rank != 1 {
		t.Fatalf("BTC should rank first by cap: %+v", snap.Tokens.At(0))
	}
	if btc.Name != "Bitcoin" {
		t.Errorf("name = %q, want sanitised Bitcoin", btc.Name)
	}
	if btc.Price != 300 || btc.MarketCap != 3000 || btc.Supply != 10 {
		t.Errorf("price/cap/supply = %v/%v/%v, want 300/3000/10", btc.Price, btc.MarketCap, btc.Supply)
	}
	// Last update is in hour 192 (minutes); 1h back is in given hour 191
	// (close 291), 24h back in hour 168, 7d back in hour 24.
	if want := 300/291.0 - 1; !near(btc.Change1h, want) {
		t.Errorf("Change1h = %v, want %v", btc.Change1h, want)
	}
	if want := 300/(291.0-23) - 1; !near(btc.Change24h, want) {
		t.Errorf("Change24h = %v, want %v", btc.Change24h, want)
	}
	if want := 300/(291.0-167) - 1; !near(btc.Change7d, want) {
		t.Errorf("Change7d = %v, want %v", btc.Change7d, want)
	}
	if btc.Trades.Len() != 3 || btc.Trades.At(0).Qty != 3 || btc.Trades.At(2).Qty != 20 || !btc.Trades.At(2).Whale || btc.Trades.At(0).Whale {
		t.Errorf("trades = %+v, want newest first, 3 kept, whale marked", btc.Trades)
	}
	if btc.Volume24h < 26*300 || btc.Spark.Len() != SparkPoints || math.IsNaN(btc.Volatility) {
		t.Errorf("vol24h=%v spark=%d volatility=%v", btc.Volume24h, btc.Spark.Len(), btc.Volatility)
	}
	eth, doge := snap.Token("ETH"), snap.Token("DOGE")
	if eth.MarketCap != 5 || eth.Supply != 0 || eth.Rank != 2 {
		t.Errorf("ETH cap/supply/rank = %v/%v/%v, want 5/0/2", eth.MarketCap, eth.Supply, eth.Rank)
	}
	if doge.MarketCap != 0 || doge.Rank != 0 || !math.IsNaN(doge.Change1h) || !math.IsNaN(doge.High24h) {
		t.Errorf("DOGE should be all unknown: %+v", doge)
	}
	// Counted: ETH's infinite supply, DOGE's NaN cap and negative supply.
	if snap.BadEvents != 3 || snap.Implausible != 3 || !snap.LastEvent.Equal(time.Unix(0, ns(now+3))) {
		t.Errorf("bad=%d implausible=%d lastEvent=%v", snap.BadEvents, snap.Implausible, snap.LastEvent)
	}
}

func TestBadEventsCounted(t *testing.T) {
	clk := newFakeClock(day0)
	m := hub(clk)
	bad := []Event{
		{Kind: 0, Symbol: "BTC", Price: 1},
		{Kind: 99, Symbol: "BTC", Price: 1},
		{Kind: EventQuote, Symbol: "", Price: 1},
		{Kind: EventQuote, Symbol: "BT C", Price: 1},
		{Kind: EventQuote, Symbol: "\x1b[2J", Price: 1},
		{Kind: EventQuote, Symbol: "BTC", Price: math.NaN()},
		{Kind: EventQuote, Symbol: "BTC", Price: -1},
		{Kind: EventQuote, Symbol: "BTC", Price: math.Inf(1)},
		{Kind: EventTrade, Symbol: "BTC", Price: 1, Qty: -1},
		{Kind: EventTrade, Symbol: "BTC", Price: 1, Qty: math.NaN()},
		{Kind: EventTrade, Symbol: "BTC", Price: 1, Time: ns(day0 + 86400)}, // from the future
		{Kind: EventCandle, Symbol: "BTC", Res: Minute, Candle: bar(day0, 1, 1, 2, 1, 1)},
		{Kind: EventCandle, Symbol: "BTC", Res: 9, Candle: bar(day0, 1, 1, 1, 1, 1)},
		{Kind: EventInfo, Symbol: "BTC"},
	}
	for i := range bad {
		m.apply(&bad[i])
	}
	if m.bad != uint64(len(bad)) {
		t.Errorf("bad = %d, want %d", m.bad, len(bad))
	}
	snap := m.buildSnapshot(clk.Now())
	if snap.Tokens.Len() != 0 || snap.BadEvents != uint64(len(bad)) {
		t.Errorf("bad events made %d tokens, counted %d", snap.Tokens.Len(), snap.BadEvents)
	}
	// A quote with no time takes the market clock; its qty is no volume.
	m.apply(&Event{Kind: EventQuote, Symbol: "BTC", Price: 5, Qty: 7})
	snap = m.buildSnapshot(clk.Now())
	if v := snap.Token("BTC"); v == nil || v.Price != 5 || v.Volume24h != 0 || !v.LastUpdate.Equal(clk.Now()) {
		t.Errorf("quote without time: %+v", v)
	}
}

func TestStructuralSharing(t *testing.T) {
	clk := newFakeClock(day0)
	m := hub(clk)
	for i := range 10 {
		ev := trade(fmt.Sprintf("T%02d", i), day0-60, 10+float64(i), 1)
		m.apply(&ev)
	}
	first := m.buildSnapshot(clk.Now())
	ev := trade("T03", day0-30, 11, 1)
	m.apply(&ev)
	second := m.buildSnapshot(clk.Now())
	if second.Seq != first.Seq+1 {
		t.Errorf("seq %d -> %d", first.Seq, second.Seq)
	}
	for _, v := range first.Tokens.All() {
		now := second.Token(v.Symbol)
		if v.Symbol == "T03" {
			if now == v || now.Version <= v.Version || now.Price != 11 {
				t.Errorf("changed token kept its view: %+v", now)
			}
			continue
		}
		if now != v || now.Version != v.Version {
			t.Errorf("%s: unchanged token got a new view", v.Symbol)
		}
	}
	// Nothing changed: publish sends nothing new.
	mb := m.Subscribe(t.Context())
	if s, ok := mb.TryTake(); ok {
		t.Fatalf("got snapshot before any publish: %d", s.Seq)
	}
	m.deliver(second)
	m.publish()
	if s, ok := mb.TryTake(); !ok || s != second {
		t.Errorf("idle publish replaced the snapshot")
	}
}

func TestRankMovesShareUnchangedRows(t *testing.T) {
	clk := newFakeClock(day0)
	m := hub(clk)
	for _, s := range []string{"AAA", "BBB", "CCC"} {
		m.apply(&Event{Kind: EventInfo, Symbol: s, Info: &TokenInfo{MarketCap: 10}})
	}
	m.apply(&Event{Kind: EventInfo, Symbol: "DDD"})
	ev := trade("DDD", day0, 1, 1)
	m.apply(&ev)
	s1 := m.buildSnapshot(clk.Now())
	order := func(s *Snapshot) (out string) {
		for _, v := range s.Tokens.All() {
			out += fmt.Sprintf("%s%d ", v.Symbol, v.Rank)
		}
		return out
	}
	if got := order(s1); got != "AAA1 BBB2 CCC3 DDD0 " {
		t.Fatalf("order = %q", got)
	}
	m.apply(&Event{Kind: EventInfo, Symbol: "CCC", Info: &TokenInfo{MarketCap: 20}})
	s2 := m.buildSnapshot(clk.Now())
	if got := order(s2); got != "CCC1 AAA2 BBB3 DDD0 " {
		t.Fatalf("order = %q", got)
	}
	if s2.Token("DDD") != s1.Token("DDD") {
		t.Error("DDD did not move but got a new view")
	}
	if a1, a2 := s1.Token("AAA"), s2.Token("AAA"); a2 == a1 || a2.Version != a1.Version+1 || a2.Rank != 2 {
		t.Errorf("AAA rank move: %+v -> %+v", a1, a2)
	}
}

func TestCandlesMerged(t *testing.T) {
	clk := newFakeClock(day0 + 86400)
	m := NewMarket(MarketOptions{Clock: clk.Now, PublishEvery: time.Millisecond})
	runMarket(t, m)
	ctx := context.Background()
	// 10 minutes: minute i has open=high=low=close=i+1 and volume 1,
	// except a gap at minute 4.
	for i := int64(0); i < 10; i++ {
		if i == 4 {
			continue
		}
		p := float64(i + 1)
		m.Send(ctx, Event{Kind: EventCandle, Symbol: "SOL", Res: Minute, Time: ns(day0 + i*60 + 59),
			Candle: bar(day0+i*60, p, p, p, p, 1)})
	}
	mb := m.Subscribe(t.Context())
	waitFor(t, mb, "SOL at 10", func(s *Snapshot) bool { v := s.Token("SOL"); return v != nil && v.Price == 10 })

	got, err := m.Candles(ctx, "SOL", 10*time.Minute, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Buckets of 4 minutes back from minute 9: [6..9], [2..5], [0..1].
	want := []Candle{
		bar(day0-2*60, 1, 2, 1, 2, 2),
		bar(day0+2*60, 3, 6, 3, 6, 3),
		bar(day0+6*60, 7, 10, 7, 10, 4),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("merged candles\n got %v\nwant %v", got, want)
	}
	all, err := m.Candles(ctx, "SOL", 10*time.Minute, 0)
	if err != nil || all.Len() != 9 || all.At(0).T != day0 || all.At(8).T != day0+540 {
		t.Errorf("unmerged = %v, %v", all, err)
	}
	// A 3-day span comes from hour bars (one, rolled up).
	hours, err := m.Candles(ctx, "SOL", 72*time.Hour, 100)
	if err != nil || hours.Len() != 1 || hours.At(0) != bar(day0, 1, 10, 1, 10, 9) {
		t.Errorf("hourly = %v, %v", hours, err)
	}
	// A 2-year span comes from day bars, merged 8 to a bar (730/100),
	// buckets counted back from the last day.
	days, err := m.Candles(ctx, "SOL", 2*365*24*time.Hour, 100)
	if err != nil || days.Len() != 1 || days.At(0).T != day0-7*86400 || days.At(0).Volume != 9 {
		t.Errorf("daily = %v, %v", days, err)
	}
	if _, err := m.Candles(ctx, "NOPE", time.Hour, 10); err == nil {
		t.Error("unknown symbol gave no error")
	}
	if _, err := m.Candles(ctx, "SOL", 0, 10); err == nil {
		t.Error("zero span gave no error")
	}
}

func TestSlowSubscriberNeverBlocks(t *testing.T) {
	clk := newFakeClock(day0)
	m := NewMarket(MarketOptions{Clock: clk.Now, PublishEvery: time.Millisecond, QueueSize: 64})
	runMarket(t, m)
	stuck := m.Subscribe(t.Context()) // never takes
	fast := m.Subscribe(t.Context())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	const rounds = 20
	for r := 1; r <= rounds; r++ {
		for i := range 500 {
			ev := trade("BTC", day0+int64(r), float64(r), 1)
			ev.Symbol = fmt.Sprintf("S%d", i%50)
			if !m.Send(ctx, ev) {
				t.Fatalf("Send blocked until timeout at round %d", r)
			}
		}
		want := float64(r)
		waitFor(t, fast, fmt.Sprintf("round %d", r), func(s *Snapshot) bool {
			v := s.Token("S49")
			return v != nil && v.Price == want
		})
	}
	puts, drops := stuck.Stats()
	if puts < rounds || drops != puts-1 {
		t.Errorf("stuck subscriber: puts=%d drops=%d, want >=%d puts, all but one dropped", puts, drops, rounds)
	}
	if s, ok := stuck.TryTake(); !ok || s.Token("S49").Price != rounds {
		t.Error("stuck subscriber does not hold the newest snapshot")
	}
	// Send returns false once ctx ends, even with a full queue.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if m.Send(cctx, trade("BTC", day0, 1, 1)) {
		t.Error("Send on a done ctx returned true")
	}
}

func TestSendUnblocksWhenMarketStops(t *testing.T) {
	m := NewMarket(MarketOptions{QueueSize: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err == nil {
		t.Error("second Run gave no error")
	}
	res := make(chan bool, 1)
	go func() {
		for range 3 { // the queue holds one; the rest would block forever
			if !m.Send(context.Background(), trade("BTC", day0, 1, 1)) {
				res <- false
				return
			}
		}
		res <- true
	}()
	select {
	case ok := <-res:
		if ok {
			t.Error("Send kept accepting after the market stopped")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send blocked after the market stopped")
	}
	if _, ok := m.Subscribe(t.Context()).Take(context.Background()); ok {
		t.Error("subscribing to a stopped market gave a snapshot")
	}
}

func TestStatusCoalescedInOrder(t *testing.T) {
	clk := newFakeClock(day0)
	m := NewMarket(MarketOptions{Clock: clk.Now, PublishEvery: time.Millisecond})
	// Before Run: never blocks, however many.
	for i := range 10000 {
		m.Status(FeedStatus{Name: "binance", State: FeedState(i % 3)})
	}
	m.Status(FeedStatus{Name: "binance", State: FeedLive, Reason: "ok\x1b[2J"})
	runMarket(t, m)
	mb := m.Subscribe(t.Context())
	waitFor(t, mb, "binance live", func(s *Snapshot) bool {
		return s.Feeds.Len() == 1 && s.Feeds.At(0).State == FeedLive && s.Feeds.At(0).Reason == "ok"
	})
	m.Status(FeedStatus{Name: "demo", State: FeedStale, Demo: true})
	waitFor(t, mb, "demo after binance", func(s *Snapshot) bool {
		return s.Feeds.Len() == 2 && s.Feeds.At(0).Name == "binance" && s.Feeds.At(1).Name == "demo"
	})
	m.Status(FeedStatus{Name: "binance", State: FeedReconnecting})
	waitFor(t, mb, "binance reconnecting in place", func(s *Snapshot) bool {
		return s.Feeds.Len() == 2 && s.Feeds.At(0).State == FeedReconnecting && s.Feeds.At(1).State == FeedStale
	})
}

func TestMsgPerSecOnMarketClock(t *testing.T) {
	clk := newFakeClock(day0)
	m := hub(clk)
	m.rateAt = clk.Now().UnixNano()
	// 600 events over one second of wall time in a demo running 60x: the
	// market clock moved a minute, so the market saw 10 events a second.
	for range 600 {
		ev := trade("BTC", day0, 1, 1)
		m.apply(&ev)
	}
	clk.Advance(time.Minute)
	m.publish()
	if got := m.latestRate(); math.Abs(got-10) > 1e-6 {
		t.Errorf("MsgPerSec = %v, want 10", got)
	}
	// Idle: the rate decays to zero and that is published.
	clk.Advance(time.Minute)
	m.publish()
	if got := m.latestRate(); got != 0 {
		t.Errorf("idle MsgPerSec = %v, want 0", got)
	}
}

func TestMsgPerSecIgnoresBackHistory(t *testing.T) {
	clk := newFakeClock(day0)
	m := hub(clk)
	m.now = clk.Now().UnixNano()
	m.rateAt = m.now
	// A backfill burst: 700 hourly bars ending a day ago, all at once...
	for i := range 700 {
		start := day0 - 86400 - int64(700-i)*3600
		ev := Event{Kind: EventCandle, Symbol: "BTC", Res: Hour,
			Candle: Candle{T: start, Open: 100, High: 101, Low: 99, Close: 100, Volume: 1}}
		m.apply(&ev)
	}
	// ...and 5 live trades.
	for range 5 {
		ev := trade("BTC", day0, 100, 1)
		m.apply(&ev)
	}
	clk.Advance(time.Second)
	m.publish()
	want := 5 * (1 - math.Exp(-1)) // one second of the 1 s average
	if got := m.latestRate(); math.Abs(got-want) > 1e-6 {
		t.Errorf("MsgPerSec = %v, want %v (history must not count)", got, want)
	}
}

// latestRate is MsgPerSec of the last snapshot published.
func (m *Market) latestRate() float64 {
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	if m.latest == nil {
		return math.NaN()
	}
	return m.latest.MsgPerSec
}

func TestManySubscribersConcurrent(t *testing.T) {
	clk := newFakeClock(day0)
	m := NewMarket(MarketOptions{Clock: clk.Now, PublishEvery: time.Millisecond})
	runMarket(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, unsubscribe := context.WithCancel(ctx)
			defer unsubscribe()
			mb := m.Subscribe(sctx)
			var seq uint64
			for {
				s, ok := mb.Take(ctx)
				if !ok {
					t.Error("subscriber timed out")
					return
				}
				if s.Seq <= seq {
					t.Errorf("seq went %d -> %d", seq, s.Seq)
				}
				seq = s.Seq
				if v := s.Token("ETH"); v != nil && v.Price == 100 {
					return
				}
			}
		}()
	}
	for i := 1; i <= 100; i++ {
		m.Send(ctx, Event{Kind: EventQuote, Symbol: "ETH", Time: ns(day0 + int64(i)), Price: float64(i)})
	}
	wg.Wait()
}

// benchMarket has n tokens with some history, ready for apply.
func benchMarket(n int) (*Market, []string) {
	clk := newFakeClock(day0 + 86400)
	m := NewMarket(MarketOptions{Clock: clk.Now})
	m.now = clk.Now().UnixNano()
	syms := make([]string, n)
	for i := range syms {
		syms[i] = fmt.Sprintf("TOK%03d", i)
		for k := int64(0); k < 120; k++ {
			ev := trade(syms[i], day0+86400-7200+k*60, 100+float64(k%7), 1)
			m.apply(&ev)
		}
		m.apply(&Event{Kind: EventInfo, Symbol: syms[i], Info: &TokenInfo{Supply: float64(1000 + i)}})
	}
	return m, syms
}

// benchApply applies a stream of events round-robin over 500 symbols, each
// symbol's stream moving forward in time like a live feed: mk gets the
// symbol and how many events that symbol has had before.
func benchApply(b *testing.B, mk func(sym string, u int) Event) {
	m, syms := benchMarket(500)
	m.skew = 0 // the stream runs ahead of the fixed bench clock
	bad := m.bad
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev := mk(syms[i%len(syms)], i/len(syms))
		m.apply(&ev)
	}
	b.StopTimer()
	if m.bad != bad {
		b.Fatalf("benchmark events counted bad: %d", m.bad-bad)
	}
}

// benchStart is when the benchmark streams begin (after benchMarket's history).
const benchStart = day0 + 86400

// Ten trades a minute per symbol, prices wandering.
func BenchmarkApplyTrade(b *testing.B) {
	benchApply(b, func(sym string, u int) Event {
		return trade(sym, benchStart+int64(u)*6, 100+float64(u%11), 0.5)
	})
}

func BenchmarkApplyQuote(b *testing.B) {
	benchApply(b, func(sym string, u int) Event {
		return Event{Kind: EventQuote, Symbol: sym, Time: ns(benchStart + int64(u)*6), Price: 100 + float64(u%11)}
	})
}

// Kline updates: ten per minute per symbol, each widening the current
// minute bar as an exchange's live kline does.
func BenchmarkApplyCandle(b *testing.B) {
	benchApply(b, func(sym string, u int) Event {
		t := benchStart + int64(u/10)*60
		j := float64(u % 10)
		return Event{Kind: EventCandle, Symbol: sym, Res: Minute, Time: ns(t + int64(u%10)*6),
			Candle: bar(t, 100, 100+j, 100-j/10, 100+j/2, 1+j)}
	})
}

func BenchmarkPublish500Changed50(b *testing.B) {
	m, syms := benchMarket(500)
	m.buildSnapshot(m.opts.Clock())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for k := range 50 {
			ev := trade(syms[(i*50+k)%len(syms)], day0+86400-10, 101, 1)
			m.apply(&ev)
		}
		m.buildSnapshot(m.opts.Clock())
	}
}

// A feed's status comes after the events it sent before it: a feed that
// says "live" once its back history is sent means all of it. The first
// snapshot showing it live has every token, graded at once.
func TestStatusAfterItsEvents(t *testing.T) {
	for range 20 { // the hub picks among ready channels at random: try many
		r := universe(t, RatingsOptions{})
		mb := r.m.Subscribe(t.Context())
		const n = 300 // queued before the hub runs (under QueueSize)
		for i := range n {
			r.m.Send(t.Context(), Event{Kind: EventTrade, Symbol: fmt.Sprintf("T%03d", i), Time: ns(rtEnd), Price: 1, Qty: 1})
		}
		r.m.Status(FeedStatus{Name: "demo", State: FeedLive})
		runMarket(t, r.m)
		s := waitFor(t, mb, "live", func(s *Snapshot) bool { return s.Feeds.Len() == 1 })
		if got := s.Tokens.Len(); got != n+8 {
			t.Fatalf("the first live snapshot has %d tokens, want %d", got, n+8)
		}
		if !s.Token("UP").TraderGrade.Present() {
			t.Fatal("the first live snapshot is not graded")
		}
	}
}

// benchSizes are the market sizes the sized benchmarks run at: the demo's
// built-in tokens, a mid-size market, the most the demo and Binance's
// `top` setting ask for.
var benchSizes = []int{46, 200, 500}

// BenchmarkPublish: one publish of a market of N tokens of which a tenth
// changed since the last (the demo moves about that many in 100 ms).
func BenchmarkPublish(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			m, syms := benchMarket(n)
			m.buildSnapshot(m.opts.Clock())
			changed := max(n/10, 1)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				for k := range changed {
					ev := trade(syms[(i*changed+k)%len(syms)], day0+86400-10, 100+float64(i%7), 1)
					m.apply(&ev)
				}
				m.buildSnapshot(m.opts.Clock())
			}
		})
	}
}

// A subscription lives as long as its context: when it ends, the hub stops
// delivering to the mailbox and closes it; nothing has to remember to
// unsubscribe.
func TestSubscriptionEndsWithItsContext(t *testing.T) {
	clk := newFakeClock(day0)
	m := NewMarket(MarketOptions{Clock: clk.Now, PublishEvery: time.Millisecond})
	runMarket(t, m)
	keep := m.Subscribe(t.Context())
	ctx, cancel := context.WithCancel(t.Context())
	mb := m.Subscribe(ctx)
	if n := m.Subscribers(); n != 2 {
		t.Fatalf("%d subscribers, want 2", n)
	}
	cancel()
	select {
	case <-mb.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the mailbox was not closed when its context ended")
	}
	if n := m.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers after one context ended, want 1", n)
	}
	// Deliveries go on to the other one only.
	mb.TryTake()
	m.Send(t.Context(), Event{Kind: EventQuote, Symbol: "ETH", Time: ns(day0 + 1), Price: 5})
	waitFor(t, keep, "ETH at 5", func(s *Snapshot) bool { v := s.Token("ETH"); return v != nil && v.Price == 5 })
	if s, ok := mb.TryTake(); ok && s != nil {
		t.Errorf("a snapshot was delivered after the subscription ended (seq %d)", s.Seq)
	}
	// A context already ended subscribes nothing.
	if m.Subscribe(ctx); m.Subscribers() != 1 {
		t.Errorf("a subscription with an ended context was kept")
	}
}

// A token's published trades are shared with the hub's list, which only
// writes before them: a list once published never changes, and each is the
// newest MaxTrades trades, newest first, through many reallocations.
func TestPublishedTradesNeverChange(t *testing.T) {
	for _, limit := range []int{1, 3, 50} {
		tk := &token{}
		type pub struct {
			list []Trade
			want []Trade
		}
		var pubs []pub
		var all []Trade
		for i := range 7 * limit {
			tr := Trade{Time: int64(i), Price: float64(i), Qty: 1}
			tk.addTrade(tr, limit)
			all = append(all, tr)
			got := tk.publishedTrades()
			want := make([]Trade, 0, limit)
			for j := len(all) - 1; j >= 0 && len(want) < limit; j-- {
				want = append(want, all[j])
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("limit %d, trade %d: published %v, want %v", limit, i, got, want)
			}
			pubs = append(pubs, pub{got, want})
		}
		for k, p := range pubs {
			if fmt.Sprint(p.list) != fmt.Sprint(p.want) {
				t.Fatalf("limit %d: the list published after trade %d changed: %v, was %v", limit, k, p.list, p.want)
			}
		}
	}
}

// Publishing a busy token allocates no trade copy: a new buffer every
// MaxTrades trades only.
func TestPublishedTradesAllocations(t *testing.T) {
	tk := &token{}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		tk.addTrade(Trade{Time: int64(i), Price: 1, Qty: 1}, DefaultMaxTrades)
		i++
		_ = tk.publishedTrades()
	})
	if allocs > 2.0/DefaultMaxTrades {
		t.Errorf("%.3f allocations a trade and publish, want at most one per %d trades", allocs, DefaultMaxTrades)
	}
}

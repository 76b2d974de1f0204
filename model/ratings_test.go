package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// pricePath gives a token's price and its volume per minute (base units)
// at a time in Unix seconds.
type pricePath func(sec int64) (price, volume float64)

// rtEnd is when constructed histories end: 31 days after day0.
const rtEnd = day0 + 31*86400

// rtMarket is a market driven like the `ratings` command drives one:
// ApplyNow and SnapshotNow on a market clock the test moves.
type rtMarket struct {
	t     *testing.T
	m     *Market
	clk   *fakeClock
	paths map[string]pricePath
}

func newRT(t *testing.T, opts RatingsOptions) *rtMarket {
	clk := newFakeClock(rtEnd)
	return &rtMarket{t: t, clk: clk, paths: map[string]pricePath{},
		m: NewMarket(MarketOptions{Clock: clk.Now, Ratings: opts})}
}

// add gives sym a history up to rtEnd: hourly bars from `from`, minute bars
// for the last 24 hours.
func (r *rtMarket) add(sym string, from int64, p pricePath) {
	r.paths[sym] = p
	for h := from; h < rtEnd-86400; h += 3600 {
		r.m.ApplyNow(Event{Kind: EventCandle, Symbol: sym, Res: Hour, Time: ns(h + 3600), Candle: pathBar(p, h, 3600)})
	}
	for t := max(from, rtEnd-86400); t < rtEnd; t += 60 {
		r.m.ApplyNow(Event{Kind: EventCandle, Symbol: sym, Res: Minute, Time: ns(t + 60), Candle: pathBar(p, t, 60)})
	}
}

// pathBar is the bar of width w starting at t: opens at p(t), closes at
// p(t+w-1), volume per minute times minutes.
func pathBar(p pricePath, t, w int64) Candle {
	o, v := p(t)
	c, _ := p(t + w - 1)
	return Candle{T: t, Open: o, High: max(o, c), Low: min(o, c), Close: c, Volume: v * float64(w) / 60}
}

// minute adds the minute bar starting at t for every token (their paths),
// moves the clock to its end and takes a snapshot.
func (r *rtMarket) minute(t int64) *Snapshot {
	r.clk.ns.Store(ns(t + 60))
	for sym, p := range r.paths {
		r.m.ApplyNow(Event{Kind: EventCandle, Symbol: sym, Res: Minute, Time: ns(t + 60), Candle: pathBar(p, t, 60)})
	}
	return r.m.SnapshotNow()
}

// wave is a filler token: a smooth deterministic wobble around base.
func wave(base, amp float64, k int) pricePath {
	ph := float64(k) * 1.7
	return func(sec int64) (float64, float64) {
		x := float64(sec)
		return base * math.Exp(amp*math.Sin(x/7000+ph)+amp/2*math.Sin(x/1300+2*ph)), 10 + 3*math.Sin(x/5000+ph)
	}
}

func trendPath(base, perHour, volGrowth float64) pricePath {
	return func(sec int64) (float64, float64) {
		h := float64(sec-day0) / 3600
		return base * math.Exp(perHour*h), 10 * (1 + volGrowth*h/24)
	}
}

// universe: UP rises 0.5%/h on rising volume, FLAT is flat, DOWN falls
// 0.5%/h, and five fillers wobble by about 0.5%.
func universe(t *testing.T, opts RatingsOptions) *rtMarket {
	r := newRT(t, opts)
	r.add("UP", day0, trendPath(100, 0.005, 0.2))
	r.add("FLAT", day0, func(int64) (float64, float64) { return 100, 10 })
	r.add("DOWN", day0, trendPath(100, -0.005, 0))
	for k := range 5 {
		r.add(fmt.Sprintf("W%d", k), day0, wave(50+float64(k), 0.005, k))
	}
	return r
}

// checkGrade fails on a present grade outside 0..100 or with a non-finite
// factor, or an absent one without a reason.
func checkGrade(t *testing.T, who string, g Grade) {
	t.Helper()
	if !g.Present() {
		if g.Reason == "" {
			t.Errorf("%s: absent grade without a reason", who)
		}
		return
	}
	if !(g.Value >= 0 && g.Value <= 100) || math.IsInf(g.Value, 0) {
		t.Errorf("%s: grade %v out of 0..100", who, g.Value)
	}
	if g.Band != BandOf(g.Value) {
		t.Errorf("%s: band %v for %v", who, g.Band, g.Value)
	}
	sum, wsum := 0.0, 0.0
	for _, f := range g.Factors.All() {
		if math.IsNaN(f.Score) {
			if f.Weight != 0 || f.Contribution != 0 {
				t.Errorf("%s: absent factor %s has weight %v", who, f.Name, f.Weight)
			}
			continue
		}
		for _, v := range []float64{f.Score, f.Weight, f.Contribution, f.Raw} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: present factor %s has %v: %+v", who, f.Name, v, f)
			}
		}
		if f.Score < 0 || f.Score > 100 {
			t.Errorf("%s: factor %s score %v", who, f.Name, f.Score)
		}
		sum += f.Contribution
		wsum += f.Weight
	}
	if math.Abs(sum-g.Value) > 1e-6 || math.Abs(wsum-1) > 1e-9 {
		t.Errorf("%s: contributions sum to %v (weights %v), grade %v", who, sum, wsum, g.Value)
	}
	for _, c := range []float64{g.Change24h, g.Change7d} {
		if math.IsInf(c, 0) || c < -100 || c > 100 {
			t.Errorf("%s: grade change %v", who, c)
		}
	}
}

func checkSnapshot(t *testing.T, s *Snapshot) {
	t.Helper()
	for _, v := range s.Tokens.All() {
		checkGrade(t, v.Symbol+" trader", v.TraderGrade)
		checkGrade(t, v.Symbol+" investor", v.InvestorGrade)
		for _, f := range v.Signals.All() {
			if math.IsInf(f.Return, 0) || math.IsNaN(f.Grade) || f.Grade < 0 || f.Grade > 100 {
				t.Errorf("%s: flip %+v", v.Symbol, f)
			}
		}
	}
	for _, p := range append(s.Moonshots.Clone(), s.PastMoonshots.Clone()...) {
		for _, x := range []float64{p.ROI, p.PeakROI, p.EntryPrice, p.Price, p.Grade, p.EntryGrade} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Errorf("moonshot %s: %+v", p.Symbol, p)
			}
		}
	}
}

func TestUptrendGradesAboveFlatAndFalling(t *testing.T) {
	r := universe(t, RatingsOptions{})
	s := r.m.SnapshotNow()
	checkSnapshot(t, s)
	up, flat, down := s.Token("UP"), s.Token("FLAT"), s.Token("DOWN")
	for _, v := range []*TokenView{up, flat, down} {
		if !v.TraderGrade.Present() || !v.InvestorGrade.Present() {
			t.Fatalf("%s: grades %+v / %+v", v.Symbol, v.TraderGrade, v.InvestorGrade)
		}
		t.Logf("%s trader %.1f investor %.1f", v.Symbol, v.TraderGrade.Value, v.InvestorGrade.Value)
	}
	if !(up.TraderGrade.Value > flat.TraderGrade.Value && flat.TraderGrade.Value > down.TraderGrade.Value) {
		t.Errorf("trader grades up %.1f flat %.1f down %.1f: want up > flat > down",
			up.TraderGrade.Value, flat.TraderGrade.Value, down.TraderGrade.Value)
	}
	if up.TraderGrade.Band < Bullish || down.TraderGrade.Band > Bearish {
		t.Errorf("bands: up %v, down %v", up.TraderGrade.Band, down.TraderGrade.Band)
	}
	if up.Signal != SignalBullish || down.Signal != SignalBearish {
		t.Errorf("signals: up %v, down %v", up.Signal, down.Signal)
	}
	if !(up.InvestorGrade.Value > down.InvestorGrade.Value) {
		t.Errorf("investor grades up %.1f down %.1f", up.InvestorGrade.Value, down.InvestorGrade.Value)
	}
	// Every configured factor is listed, in order; the 90d return is
	// unknown with 31 days of history and carries no weight.
	if n := up.TraderGrade.Factors.Len(); n != nTrader {
		t.Errorf("trader factors = %d", n)
	}
	f90 := up.InvestorGrade.Factors.At(1)
	if f90.Name != "return 90d" || !math.IsNaN(f90.Score) || f90.Weight != 0 {
		t.Errorf("90d factor %+v, want absent", f90)
	}
}

func TestTokenWithoutHistoryHasNoGrade(t *testing.T) {
	r := universe(t, RatingsOptions{})
	r.add("YOUNG", rtEnd-3*3600, wave(5, 0.01, 9))
	r.m.ApplyNow(Event{Kind: EventInfo, Symbol: "META", Info: &TokenInfo{Name: "Only metadata", MarketCap: 1e9}})
	s := r.m.SnapshotNow()
	checkSnapshot(t, s)
	young := s.Token("YOUNG")
	if young.TraderGrade.Present() || young.TraderGrade.Reason != "needs 24h of history, has 3h" {
		t.Errorf("young trader grade %+v", young.TraderGrade)
	}
	if young.InvestorGrade.Present() || young.InvestorGrade.Reason != "needs 30d of history, has 3h" {
		t.Errorf("young investor grade %+v", young.InvestorGrade)
	}
	if g := s.Token("META").TraderGrade; g.Present() || g.Reason != "no price yet" {
		t.Errorf("meta grade %+v", g)
	}
	// A token that stops trading loses its grade after an hour.
	r.clk.Advance(2 * time.Hour)
	r.m.ApplyNow(Event{Kind: EventTrade, Symbol: "UP", Price: 200, Qty: 1})
	s = r.m.SnapshotNow()
	if g := s.Token("FLAT").TraderGrade; g.Present() || g.Reason != "no price for 2h" {
		t.Errorf("stale grade %+v", g)
	}
}

func TestSmallUniverseHasNoGrade(t *testing.T) {
	r := newRT(t, RatingsOptions{})
	r.add("UP", day0, trendPath(100, 0.005, 0.2))
	r.add("FLAT", day0, func(int64) (float64, float64) { return 100, 10 })
	s := r.m.SnapshotNow()
	for _, v := range s.Tokens.All() {
		want := fmt.Sprintf("needs %d tokens with enough history to compare, has 2", minUniverse)
		if v.TraderGrade.Present() || v.TraderGrade.Reason != want {
			t.Errorf("%s: %+v, want absent: %s", v.Symbol, v.TraderGrade, want)
		}
	}
}

// The stated delay (docs/RATINGS.md): a crash flips the signal at the first
// Trader Grade recompute after the crash reaches the hub, at most
// TraderEvery later; never per event.
func TestCrashFlipsBullishToBearish(t *testing.T) {
	r := universe(t, RatingsOptions{})
	s := r.m.SnapshotNow()
	up := s.Token("UP")
	if up.Signal != SignalBullish || up.Signals.Len() != 1 {
		t.Fatalf("before the crash: signal %v flips %+v", up.Signal, up.Signals)
	}
	crash := up.Price * 0.7
	r.m.ApplyNow(Event{Kind: EventTrade, Symbol: "UP", Price: crash, Qty: 5, Side: SideSell})
	if s = r.m.SnapshotNow(); s.Token("UP").Signal != SignalBullish {
		t.Fatal("the signal moved before a recompute was due: ratings must run on the schedule")
	}
	r.clk.Advance(DefaultRatingsOptions().TraderEvery)
	s = r.m.SnapshotNow()
	checkSnapshot(t, s)
	up = s.Token("UP")
	if up.Signal != SignalBearish {
		t.Fatalf("one TraderEvery after a 30%% crash: signal %v, grade %.1f", up.Signal, up.TraderGrade.Value)
	}
	f := up.Signals.At(0)
	if up.Signals.Len() != 2 || f.From != SignalBullish || f.To != SignalBearish || f.Price != crash ||
		!f.Time.Equal(r.clk.Now()) || f.Grade > DefaultRatingsOptions().BearishEnter {
		t.Errorf("flip %+v (of %d)", f, up.Signals.Len())
	}
	// The older flip's outcome is frozen at the crash price; the latest
	// follows the price: a bearish call that fell further is a gain.
	if old := up.Signals.At(1); !near(old.Return, crash/old.Price-1) {
		t.Errorf("old flip return %v, want %v", old.Return, crash/old.Price-1)
	}
	r.m.ApplyNow(Event{Kind: EventTrade, Symbol: "UP", Price: crash * 0.9, Qty: 1, Side: SideSell})
	r.clk.Advance(time.Second)
	up = r.m.SnapshotNow().Token("UP")
	if !near(up.Signals.At(0).Return, 0.1) {
		t.Errorf("latest flip return %v, want +0.1", up.Signals.At(0).Return)
	}
}

func TestNoiseAroundThresholdDoesNotFlap(t *testing.T) {
	o := DefaultRatingsOptions()
	rng := rand.New(rand.NewPCG(7, 7))
	sig, flips, crossings := SignalNeutral, 0, 0
	prev := 0.0
	for i := range 10000 {
		g := o.BullishEnter - 1 + 5*rng.NormFloat64()*0.8 // around the threshold, within the band
		g = max(o.BullishExit+0.1, min(100, g))
		if i > 0 && (g >= o.BullishEnter) != (prev >= o.BullishEnter) {
			crossings++
		}
		prev = g
		if next := NextSignal(sig, g, o); next != sig {
			flips++
			sig = next
		}
	}
	if crossings < 1000 {
		t.Fatalf("the noise crossed the threshold only %d times; the test proves nothing", crossings)
	}
	if flips != 1 {
		t.Errorf("%d flips for noise that crossed the threshold %d times, want 1", flips, crossings)
	}
	// Absent grades keep the signal; the thresholds are honoured.
	for _, c := range []struct {
		cur  Signal
		g    float64
		want Signal
	}{
		{SignalBullish, math.NaN(), SignalBullish},
		{SignalBullish, 55, SignalBullish},
		{SignalBullish, 54.9, SignalNeutral},
		{SignalBullish, 35, SignalBearish},
		{SignalNeutral, 64.9, SignalNeutral},
		{SignalNeutral, 65, SignalBullish},
		{SignalBearish, 45, SignalBearish},
		{SignalBearish, 45.1, SignalNeutral},
		{SignalBearish, 80, SignalBullish},
	} {
		if got := NextSignal(c.cur, c.g, o); got != c.want {
			t.Errorf("NextSignal(%v, %v) = %v, want %v", c.cur, c.g, got, c.want)
		}
	}
}

// pumpMarket is the universe plus PUMP, a $10M cap (supply 1e8 at 0.10).
// It runs ten quiet minutes, then PUMP rises 3% a minute on ten times its
// volume until it is picked, and returns the snapshot of the pick and the
// next minute's start.
func pumpMarket(t *testing.T, opts RatingsOptions) (*rtMarket, *Snapshot, int64) {
	r := universe(t, opts)
	var pumpPrice, pumpVol float64 = 0.1, 10
	base := wave(0.1, 0.003, 11)
	r.add("PUMP", day0, base)
	r.m.ApplyNow(Event{Kind: EventInfo, Symbol: "PUMP", Info: &TokenInfo{Name: "Pump", Supply: 1e8}})
	r.m.SnapshotNow()
	tm := rtEnd
	for range 10 {
		r.minute(tm)
		tm += 60
	}
	pumpPrice, _ = base(tm)
	r.paths["PUMP"] = func(int64) (float64, float64) { return pumpPrice, pumpVol }
	for k := range 20 {
		pumpPrice *= 1.03
		pumpVol = 100
		s := r.minute(tm)
		tm += 60
		checkSnapshot(t, s)
		if s.Moonshots.Len() > 0 {
			t.Logf("picked after %d pump minutes", k+1)
			return r, s, tm
		}
	}
	t.Fatal("a small cap up 3% a minute for 20 minutes on 10x volume was never picked")
	return nil, nil, 0
}

// setPrice moves PUMP to p (volume back to normal) for the minute at tm.
func (r *rtMarket) setPrice(sym string, p float64) {
	r.paths[sym] = func(int64) (float64, float64) { return p, 10 }
}

func TestMoonshotEntryAndROI(t *testing.T) {
	r, s, tm := pumpMarket(t, RatingsOptions{})
	pk := s.Moonshots.At(0)
	v := s.Token("PUMP")
	if pk.Symbol != "PUMP" || pk.Name != "Pump" || pk.EntryPrice != v.Price || pk.ROI != 0 ||
		!pk.Entry.Equal(s.Time) || pk.EntryGrade != v.TraderGrade.Value || pk.EntryGrade < 75 || !pk.Active() {
		t.Errorf("pick %+v; token price %v grade %v", pk, v.Price, v.TraderGrade.Value)
	}
	if !near(pk.MarketCap, 1e8*v.Price) || pk.Volume24h <= 0 {
		t.Errorf("pick cap %v volume %v", pk.MarketCap, pk.Volume24h)
	}
	peak := 0.0
	for _, up := range []float64{1.1, 1.2, 1.15, 0.9} {
		r.setPrice("PUMP", pk.EntryPrice*up)
		s = r.minute(tm)
		tm += 60
		if s.Moonshots.Len() != 1 {
			t.Fatalf("pick left early: past %+v", s.PastMoonshots)
		}
		peak = max(peak, up-1)
		if got := s.Moonshots.At(0); !near(got.ROI, up-1) || !near(got.PeakROI, peak) || got.Price != pk.EntryPrice*up {
			t.Errorf("at %.2fx entry: ROI %v peak %v price %v", up, got.ROI, got.PeakROI, got.Price)
		}
	}
	if s.PastMoonshots.Len() != 0 || s.Track.Picks != 0 || !math.IsNaN(s.Track.HitRate) {
		t.Errorf("no pick has closed: %+v %+v", s.PastMoonshots, s.Track)
	}
}

func TestMoonshotExitsByStopLoss(t *testing.T) {
	r, s, tm := pumpMarket(t, RatingsOptions{})
	entry := s.Moonshots.At(0).EntryPrice
	r.setPrice("PUMP", entry*0.7)
	s = r.minute(tm)
	checkSnapshot(t, s)
	if s.Moonshots.Len() != 0 || s.PastMoonshots.Len() != 1 {
		t.Fatalf("open %d past %d", s.Moonshots.Len(), s.PastMoonshots.Len())
	}
	p := s.PastMoonshots.At(0)
	if !near(p.ROI, -0.3) || p.ExitReason != "stop loss -25%" || !p.Exit.Equal(s.Time) || p.Active() {
		t.Errorf("past pick %+v", p)
	}
	if tr := s.Track; tr.Picks != 1 || tr.Hits != 0 || tr.HitRate != 0 || !near(tr.MedianROI, -0.3) || !near(tr.MeanROI, -0.3) {
		t.Errorf("track %+v", tr)
	}
	// The cooldown: another pump right away is not picked again.
	p2 := entry * 0.7
	for range 15 {
		p2 *= 1.04
		r.paths["PUMP"] = func(int64) (float64, float64) { return p2, 100 }
		tm += 60
		if s = r.minute(tm); s.Moonshots.Len() != 0 {
			t.Fatalf("re-picked within the cooldown: %+v", s.Moonshots.At(0))
		}
	}
}

func TestMoonshotExitsByGrade(t *testing.T) {
	r, s, tm := pumpMarket(t, RatingsOptions{StopLoss: -0.9})
	entry := s.Moonshots.At(0).EntryPrice
	r.setPrice("PUMP", entry*0.5)
	s = r.minute(tm)
	if s.PastMoonshots.Len() != 1 {
		t.Fatalf("grade %.1f: no exit", s.Token("PUMP").TraderGrade.Value)
	}
	if p := s.PastMoonshots.At(0); !near(p.ROI, -0.5) || p.ExitReason != "grade fell below 45" || p.Grade >= 45 {
		t.Errorf("past pick %+v", p)
	}
}

func TestMoonshotExitsByAge(t *testing.T) {
	r, s, tm := pumpMarket(t, RatingsOptions{MaxAge: 30 * time.Minute, ExitGrade: 0.001})
	entry := s.Moonshots.At(0).EntryPrice
	r.setPrice("PUMP", entry*1.1)
	for k := 1; k <= 30; k++ {
		s = r.minute(tm)
		tm += 60
		if k < 29 && s.Moonshots.Len() != 1 {
			t.Fatalf("left after %d minutes: %+v", k, s.PastMoonshots)
		}
	}
	if s.PastMoonshots.Len() != 1 {
		t.Fatalf("still open after MaxAge")
	}
	if p := s.PastMoonshots.At(0); !near(p.ROI, 0.1) || p.ExitReason != "max age 30m" || p.Exit.Sub(p.Entry) < 30*time.Minute {
		t.Errorf("past pick %+v", p)
	}
	if tr := s.Track; tr.Picks != 1 || tr.Hits != 1 || tr.HitRate != 1 || !near(tr.MeanROI, 0.1) {
		t.Errorf("track %+v", tr)
	}
}

func TestTrackRecord(t *testing.T) {
	tr := summarise([]Moonshot{{ROI: 0.5}, {ROI: -0.2}, {ROI: 0.1}, {ROI: -0.1}})
	if tr.Picks != 4 || tr.Hits != 2 || tr.HitRate != 0.5 || !near(tr.MedianROI, 0) || !near(tr.MeanROI, 0.075) {
		t.Errorf("track %+v", tr)
	}
}

func TestOfficialRatingSanitised(t *testing.T) {
	r := universe(t, RatingsOptions{})
	r.m.ApplyNow(Event{Kind: EventOfficial, Symbol: "UP", Official: &OfficialRating{
		Provider: "Token\x1b[31m Metrics\x07", TMGrade: 71.5, TraderGrade: math.Inf(1), InvestorGrade: 140,
		Signal: 7, HasSignal: true,
	}})
	r.m.ApplyNow(Event{Kind: EventOfficial, Symbol: "FLAT"}) // no rating: bad
	s := r.m.SnapshotNow()
	o := s.Token("UP").Official
	if o == nil || o.Provider != "Token Metrics" || o.TMGrade != 71.5 || !math.IsNaN(o.TraderGrade) ||
		!math.IsNaN(o.InvestorGrade) || o.HasSignal || !o.Updated.Equal(r.clk.Now()) {
		t.Errorf("official %+v", o)
	}
	if s.BadEvents != 1 || s.Token("FLAT").Official != nil {
		t.Errorf("bad %d", s.BadEvents)
	}
}

func TestRatingsRunInTheHubOnSchedule(t *testing.T) {
	r := universe(t, RatingsOptions{})
	m := r.m
	mb := m.Subscribe(t.Context())
	runMarket(t, m)
	s := waitFor(t, mb, "graded tokens", func(s *Snapshot) bool {
		v := s.Token("UP")
		return v != nil && v.TraderGrade.Present()
	})
	g := s.Token("UP").TraderGrade.Value
	crash := s.Token("UP").Price * 0.7
	m.Send(t.Context(), Event{Kind: EventTrade, Symbol: "UP", Price: crash, Qty: 1})
	s = waitFor(t, mb, "the crash price", func(s *Snapshot) bool { return s.Token("UP").Price == crash })
	if v := s.Token("UP"); v.TraderGrade.Value != g {
		t.Fatalf("grade moved from %v to %v with the market clock standing still", g, v.TraderGrade.Value)
	}
	r.clk.Advance(time.Second)
	waitFor(t, mb, "a regraded crash", func(s *Snapshot) bool { return s.Token("UP").TraderGrade.Value < g-10 })
}

func TestRatingsOptionsDefaults(t *testing.T) {
	d := DefaultRatingsOptions()
	if got := (RatingsOptions{}).withDefaults(); got != d {
		t.Errorf("zero options -> %+v, want the defaults", got)
	}
	o := RatingsOptions{BullishEnter: 40, BullishExit: 60, Trader: TraderWeights{RSI: 1, Momentum1h: math.NaN()}}.withDefaults()
	if o.BullishEnter != 65 || o.BullishExit != 55 || o.Trader.RSI != 1 {
		t.Errorf("crossed hysteresis or partial weights: %+v", o)
	}
	e := newRatingsEngine(RatingsOptions{Trader: TraderWeights{RSI: 1, Momentum1h: math.NaN(), Trend: -1}})
	if e.traderW != [nTrader]float64{0, 0, 0, 0, 1, 0, 0} {
		t.Errorf("weights %v", e.traderW)
	}
}

// randomPath is a hostile series: flat, huge, tiny, jumpy or zero-volume.
func randomPath(rng *rand.Rand) pricePath {
	kind := rng.IntN(6)
	base := math.Pow(10, float64(rng.IntN(40)-20))
	switch kind {
	case 0:
		base = 1e300
	case 1:
		base = 1e-300
	}
	seed := rng.Uint64()
	return func(sec int64) (float64, float64) {
		h := rand.New(rand.NewPCG(seed, uint64(sec/60)))
		switch kind {
		case 2: // flat, no volume
			return base, 0
		case 3: // wild jumps
			return base * math.Exp(6*h.NormFloat64()), h.ExpFloat64() * 1e6
		default:
			return base * math.Exp(0.01*h.NormFloat64()), h.Float64() * 10
		}
	}
}

func TestRatingsPropertyRandomSeries(t *testing.T) {
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 1))
		r := newRT(t, RatingsOptions{})
		n := 2 + rng.IntN(9)
		for i := range n {
			r.add(fmt.Sprintf("R%d", i), rtEnd-int64(rng.IntN(40))*86400/8-86400, randomPath(rng))
			if rng.IntN(2) == 0 {
				r.m.ApplyNow(Event{Kind: EventInfo, Symbol: fmt.Sprintf("R%d", i), Info: &TokenInfo{Supply: rng.ExpFloat64() * 1e9}})
			}
		}
		tm := rtEnd
		for range 20 {
			s := r.minute(tm)
			tm += 60
			checkSnapshot(t, s)
		}
	}
}

// FuzzRatings drives a small market with arbitrary events (prices and
// quantities from raw bits: NaN, infinities, zeros, extremes) and checks no
// NaN or Inf reaches a present grade and nothing panics.
func FuzzRatings(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"))
	f.Add([]byte(strings.Repeat("\x7f\xf0\x00\x00\x00\x00\x00\x00\x01", 5)))
	f.Add([]byte(strings.Repeat("\x00\x00\x00\x00\x00\x00\x00\x00\x02\x41", 8)))
	f.Add([]byte(strings.Repeat("\xff\xef\xff\xff\xff\xff\xff\xff\x03", 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newRT(t, RatingsOptions{})
		for k := range 6 {
			r.add(fmt.Sprintf("W%d", k), rtEnd-2*86400, wave(1+float64(k), 0.01, k))
		}
		syms := []string{"W0", "W1", "W2", "W3", "W4", "W5"}
		for i := 0; i+9 <= len(data); i += 9 {
			bits := uint64(0)
			for _, b := range data[i : i+8] {
				bits = bits<<8 | uint64(b)
			}
			v := math.Float64frombits(bits)
			c := data[i+8]
			sym := syms[int(c)%len(syms)]
			switch c / 6 % 5 {
			case 0:
				r.m.ApplyNow(Event{Kind: EventTrade, Symbol: sym, Price: v, Qty: 1})
			case 1:
				r.m.ApplyNow(Event{Kind: EventTrade, Symbol: sym, Price: 1, Qty: v})
			case 2:
				r.m.ApplyNow(Event{Kind: EventInfo, Symbol: sym, Info: &TokenInfo{MarketCap: v, Supply: v}})
			case 3:
				r.m.ApplyNow(Event{Kind: EventCandle, Symbol: sym, Res: Hour, Candle: Candle{T: rtEnd - 3600*int64(c%30), Open: v, High: v, Low: v, Close: v, Volume: v}})
			default:
				r.clk.Advance(time.Duration(c) * time.Second)
				checkSnapshot(t, r.m.SnapshotNow())
			}
		}
		checkSnapshot(t, r.m.SnapshotNow())
	})
}

func benchRatings(b *testing.B, n int) *rtMarket {
	r := &rtMarket{clk: newFakeClock(rtEnd), paths: map[string]pricePath{}}
	r.m = NewMarket(MarketOptions{Clock: r.clk.Now})
	for i := range n {
		sym := fmt.Sprintf("T%03d", i)
		r.add(sym, rtEnd-31*86400, wave(1+float64(i%17), 0.01+0.001*float64(i%5), i))
		r.m.ApplyNow(Event{Kind: EventInfo, Symbol: sym, Info: &TokenInfo{Supply: float64(1e6 * (1 + i))}})
	}
	return r
}

// BenchmarkRecompute500 recomputes the grades of 500 tokens with 31 days of
// history, each token having ticked since the last recompute: all (Trader
// and Investor Grades, signals, moonshots), and each schedule alone.
func BenchmarkRecompute500(b *testing.B) {
	r := benchRatings(b, 500)
	m := r.m
	now := r.clk.ns.Load()
	m.rateDue(now)
	for _, c := range []struct {
		name             string
		trader, investor bool
	}{{"all", true, true}, {"trader", true, false}, {"investor", false, true}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				now += 1e9
				m.now = now
				for _, tk := range m.list {
					m.apply(&Event{Kind: EventTrade, Symbol: tk.sym, Time: now, Price: tk.price * (1 + 0.001*math.Sin(float64(i))), Qty: 1})
				}
				b.StartTimer()
				if c.trader {
					m.recomputeTrader(now)
				}
				if c.investor {
					m.recomputeInvestor(now)
				}
			}
		})
	}
}

func TestRecomputeAllocatesLittle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100 tokens of history")
	}
	r := benchRatings(nil, 100)
	now := r.clk.ns.Load()
	r.m.rateDue(now)
	allocs := testing.AllocsPerRun(5, func() {
		now += 1e9
		r.m.recomputeTrader(now)
		r.m.recomputeInvestor(now)
	})
	if allocs > 0 {
		t.Errorf("an unchanged market's recompute allocated %v times", allocs)
	}
}

package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// journalOf is what the store saves: the engine's record as a snapshot
// shows it.
func journalOf(s *Snapshot) *Journal {
	j := &Journal{Flips: map[string][]SignalFlip{}, Open: s.Moonshots.Clone(), Past: s.PastMoonshots.Clone()}
	for _, v := range s.Tokens.All() {
		if v.Signals.Len() > 0 {
			j.Flips[v.Symbol] = v.Signals.Clone()
		}
	}
	return j
}

func sameFlip(a, b SignalFlip) bool {
	return a.Time.Equal(b.Time) && a.From == b.From && a.To == b.To && a.Price == b.Price && a.Grade == b.Grade &&
		(a.Return == b.Return || math.IsNaN(a.Return) && math.IsNaN(b.Return))
}

func samePick(a, b Moonshot) bool {
	return a.Symbol == b.Symbol && a.Name == b.Name && a.Entry.Equal(b.Entry) && a.Exit.Equal(b.Exit) &&
		a.EntryPrice == b.EntryPrice && a.EntryGrade == b.EntryGrade && a.Price == b.Price && near(a.ROI, b.ROI) &&
		near(a.PeakROI, b.PeakROI) && a.Grade == b.Grade && a.ExitReason == b.ExitReason
}

func pastPick(sym string, entry, exit int64, entryPrice, price float64, reason string) Moonshot {
	return Moonshot{Symbol: sym, Name: sym + " coin", Entry: time.Unix(entry, 0), Exit: time.Unix(exit, 0),
		EntryPrice: entryPrice, EntryGrade: 80, Price: price, ROI: price/entryPrice - 1, PeakROI: max(price/entryPrice-1, 0.05),
		Grade: 50, ExitReason: reason}
}

// TestJournalRoundTrip: a market's record (flips, an open pick, past
// picks) saved as a Journal and restored into a new market, whose tokens
// appear only later, is the same record; the open pick keeps being
// tracked and is closed by its stop loss.
func TestJournalRoundTrip(t *testing.T) {
	r, s, tm := pumpMarket(t, RatingsOptions{})
	j := journalOf(s)
	j.Past = []Moonshot{
		pastPick("AAA", rtEnd-5*86400, rtEnd-4*86400, 1, 1.5, "max age 7d"),
		pastPick("BBB", rtEnd-3*86400, rtEnd-2*86400, 2, 1, "stop loss -25%"),
	}
	if len(j.Flips["UP"]) == 0 || len(j.Flips["DOWN"]) == 0 || len(j.Open) != 1 {
		t.Fatalf("the source market has no flips or pick to save: %v, %+v", j.Flips, j.Open)
	}
	clk := newFakeClock(0)
	clk.ns.Store(r.clk.ns.Load())
	m := NewMarket(MarketOptions{Clock: clk.Now, Journal: j})

	// Before any token appears: the picks show, no token does.
	s1 := m.SnapshotNow()
	checkSnapshot(t, s1)
	if s1.Tokens.Len() != 0 || s1.BadEvents != 0 {
		t.Errorf("tokens %d bad %d before any event", s1.Tokens.Len(), s1.BadEvents)
	}
	if s1.Moonshots.Len() != 1 || !samePick(s1.Moonshots.At(0), s.Moonshots.At(0)) {
		t.Errorf("open picks\n got %+v\nwant %+v", s1.Moonshots, s.Moonshots)
	}
	if s1.PastMoonshots.Len() != 2 || s1.PastMoonshots.At(0).Symbol != "BBB" || !samePick(s1.PastMoonshots.At(1), j.Past[0]) {
		t.Errorf("past picks %+v", s1.PastMoonshots)
	}
	if tr := s1.Track; tr.Picks != 2 || tr.Hits != 1 || tr.HitRate != 0.5 || !near(tr.MeanROI, 0) {
		t.Errorf("track %+v", tr)
	}

	// Tokens appear with a price: their flips and signal are back.
	for _, sym := range []string{"UP", "DOWN"} {
		m.ApplyNow(trade(sym, tm, s.Token(sym).Price, 1))
	}
	clk.Advance(time.Second)
	s2 := m.SnapshotNow()
	checkSnapshot(t, s2)
	for _, sym := range []string{"UP", "DOWN"} {
		got, want := s2.Token(sym), s.Token(sym)
		if got.Signal != want.Signal || got.Signal != want.Signals.At(0).To || got.Signals.Len() != want.Signals.Len() {
			t.Fatalf("%s: signal %v flips %d, want %v %d", sym, got.Signal, got.Signals.Len(), want.Signal, want.Signals.Len())
		}
		for i := range got.Signals.All() {
			if !sameFlip(got.Signals.At(i), want.Signals.At(i)) {
				t.Errorf("%s flip %d\n got %+v\nwant %+v", sym, i, got.Signals.At(i), want.Signals.At(i))
			}
		}
	}

	// The pick's token appears: tracked from its price, and not picked twice.
	pk := s.Moonshots.At(0)
	m.ApplyNow(trade("PUMP", tm, pk.EntryPrice*1.2, 1))
	m.ApplyNow(Event{Kind: EventInfo, Symbol: "PUMP", Info: &TokenInfo{Supply: 1e8}})
	clk.Advance(time.Second)
	s3 := m.SnapshotNow()
	checkSnapshot(t, s3)
	if s3.Moonshots.Len() != 1 {
		t.Fatalf("open picks %+v", s3.Moonshots)
	}
	if got := s3.Moonshots.At(0); !near(got.ROI, 0.2) || !near(got.PeakROI, max(pk.PeakROI, 0.2)) || got.Price != pk.EntryPrice*1.2 ||
		!got.Entry.Equal(pk.Entry) || !near(got.MarketCap, 1e8*got.Price) {
		t.Errorf("tracked pick %+v", got)
	}
	if !m.tokens["PUMP"].r.picked {
		t.Error("restored pick's token is not marked picked")
	}

	// A drop through the stop loss closes it.
	m.ApplyNow(trade("PUMP", tm+1, pk.EntryPrice*0.7, 1))
	clk.Advance(time.Second)
	s4 := m.SnapshotNow()
	checkSnapshot(t, s4)
	if s4.Moonshots.Len() != 0 || s4.PastMoonshots.Len() != 3 {
		t.Fatalf("open %+v past %d", s4.Moonshots, s4.PastMoonshots.Len())
	}
	if p := s4.PastMoonshots.At(0); p.Symbol != "PUMP" || p.ExitReason != "stop loss -25%" || !near(p.ROI, -0.3) || !p.Exit.Equal(clk.Now()) {
		t.Errorf("closed pick %+v", p)
	}
	if tr := s4.Track; tr.Picks != 3 || tr.Hits != 1 {
		t.Errorf("track %+v", tr)
	}
}

func TestJournalHostile(t *testing.T) {
	now := rtEnd
	clk := newFakeClock(now)
	at := func(sec int64) time.Time { return time.Unix(now+sec, 0) }
	good := SignalFlip{Time: at(-600), From: SignalNeutral, To: SignalBullish, Price: 10, Grade: 70, Return: 0.1}
	var many []SignalFlip // more than kept, unsorted: newest is 1h ago
	for i := range 60 {
		f := SignalFlip{Time: at(-int64((i*37)%60+1) * 3600), From: SignalNeutral, To: SignalBullish, Price: float64(1 + i), Grade: 50}
		if i%2 == 1 {
			f.From, f.To = SignalBullish, SignalNeutral
		}
		many = append(many, f)
	}
	badFlips := []SignalFlip{
		{Time: time.Time{}, From: 0, To: 1, Price: 1, Grade: 70},
		{Time: at(-1), From: 0, To: 1, Price: math.NaN(), Grade: 70},
		{Time: at(-1), From: 0, To: 1, Price: math.Inf(1), Grade: 70},
		{Time: at(-1), From: 0, To: 1, Price: 1, Grade: 170},
		{Time: at(-1), From: 0, To: 1, Price: 1, Grade: math.NaN()},
		{Time: at(-1), From: 1, To: 1, Price: 1, Grade: 70},
		{Time: at(-1), From: 0, To: 5, Price: 1, Grade: 70},
		{Time: at(86400), From: 0, To: 1, Price: 1, Grade: 70}, // future
	}
	openGood := Moonshot{Symbol: "OPEN", Name: "Open\x1b[31m Coin\x07", Entry: at(-3600), EntryPrice: 2, EntryGrade: 80,
		Price: math.Inf(1), ROI: math.NaN(), PeakROI: math.Inf(1), Grade: math.NaN(), Volume24h: -1, MarketCap: math.NaN()}
	j := &Journal{
		Flips: map[string][]SignalFlip{
			"GOOD":    append([]SignalFlip{good}, badFlips...),
			"MANY":    many,
			"BAD SYM": {good},
			"\x1b[2J": {good},
			"":        {good},
			"NONE":    nil,
		},
		Open: []Moonshot{
			openGood,
			{Symbol: "OPEN", Entry: at(-60), EntryPrice: 3, EntryGrade: 80},           // second pick of one token
			{Symbol: "X Y", Entry: at(-60), EntryPrice: 3, EntryGrade: 80},            // bad symbol
			{Symbol: "ZERO", EntryPrice: 3, EntryGrade: 80},                           // no entry time
			{Symbol: "NANP", Entry: at(-60), EntryPrice: math.NaN(), EntryGrade: 80},  // no entry price
			{Symbol: "GRADE", Entry: at(-60), EntryPrice: 1, EntryGrade: math.Inf(1)}, // no entry grade
			{Symbol: "EXITED", Entry: at(-60), EntryPrice: 1, EntryGrade: 80, Exit: at(-1)},
			{Symbol: "FUTURE", Entry: at(7200), EntryPrice: 1, EntryGrade: 80},
		},
		Past: []Moonshot{
			pastPick("OLD", now-9*86400, now-8*86400, 1, 2, "max age 7d"),
			pastPick("NEW", now-3*86400, now-2*86400, 1, 0.5, "stop\x1b]0;pwned\x07 loss"),
			pastPick("BACK", now-3*86400, now-4*86400, 1, 2, ""),         // exit before entry
			pastPick("NOEXIT", now-3*86400, 0, 1, 2, ""),                 // zero exit
			pastPick("NANPX", now-3*86400, now-86400, 1, math.NaN(), ""), // no exit price
			pastPick("HUGE", now-3*86400, now-86400, 1e-300, 1e300, ""),  // ROI overflows
		},
	}
	j.Past[3].Exit = time.Time{}
	m := NewMarket(MarketOptions{Clock: clk.Now, Journal: j})
	// Bad: GOOD's bad flips, the flips of 3 bad symbols (NONE is a valid
	// symbol with no flips), 7 open and 4 past picks.
	wantBad := uint64(len(badFlips) + 3 + 7 + 4)
	s := m.SnapshotNow()
	checkSnapshot(t, s)
	if s.BadEvents != wantBad {
		t.Errorf("bad = %d, want %d", s.BadEvents, wantBad)
	}
	if s.Moonshots.Len() != 1 {
		t.Fatalf("open %+v", s.Moonshots)
	}
	if o := s.Moonshots.At(0); o.Name != "Open Coin" || o.Price != 2 || o.ROI != 0 || o.PeakROI != 0 || o.Grade != 80 ||
		o.Volume24h != 0 || o.MarketCap != 0 {
		t.Errorf("open pick not cleaned: %+v", o)
	}
	if s.PastMoonshots.Len() != 2 || s.PastMoonshots.At(0).Symbol != "NEW" || s.PastMoonshots.At(0).ExitReason != "stop loss" {
		t.Errorf("past %+v", s.PastMoonshots)
	}
	// Tokens appear: GOOD has its one valid flip, MANY its newest 50.
	for _, sym := range []string{"GOOD", "MANY", "NONE", "OPEN", "OLD"} {
		m.ApplyNow(trade(sym, now, 10, 1))
	}
	clk.Advance(time.Second)
	s = m.SnapshotNow()
	checkSnapshot(t, s)
	good.Return = 0 // refreshed from the price now: 10 against 10 at the flip
	if g := s.Token("GOOD"); g.Signals.Len() != 1 || !sameFlip(g.Signals.At(0), good) || g.Signal != SignalBullish {
		t.Errorf("GOOD flips %+v", g.Signals)
	}
	mf := s.Token("MANY").Signals.Clone()
	if len(mf) != maxFlips {
		t.Fatalf("MANY kept %d flips, want %d", len(mf), maxFlips)
	}
	for i := 1; i < len(mf); i++ {
		if !mf[i].Time.Before(mf[i-1].Time) {
			t.Fatalf("MANY flips not newest first at %d", i)
		}
		if want := flipReturn(mf[i], mf[i-1].Price); !(mf[i].Return == want || math.IsNaN(want) && math.IsNaN(mf[i].Return)) {
			t.Errorf("MANY flip %d return %v, want %v", i, mf[i].Return, want)
		}
	}
	if !mf[0].Time.Equal(at(-3600)) {
		t.Errorf("newest MANY flip %v", mf[0].Time)
	}
	if v := s.Token("NONE"); v.Signals.Len() != 0 || v.Signal != SignalNeutral {
		t.Errorf("NONE %+v", v.Signals)
	}
	if tk := m.tokens["OLD"]; tk.r.lastExit != ns(now-8*86400) {
		t.Errorf("OLD's cooldown starts at %d, want its last exit", tk.r.lastExit)
	}
}

func TestJournalPastCappedAtMaxPast(t *testing.T) {
	var past []Moonshot
	for i := range 30 {
		past = append(past, pastPick(fmt.Sprintf("P%02d", i), rtEnd-int64(60-i)*3600, rtEnd-int64(30-i)*3600, 1, 1.1, "x"))
	}
	past[0], past[29] = past[29], past[0] // out of order
	m := NewMarket(MarketOptions{Clock: newFakeClock(rtEnd).Now, Ratings: RatingsOptions{MaxPast: 10}, Journal: &Journal{Past: past}})
	s := m.SnapshotNow()
	if s.PastMoonshots.Len() != 10 || s.PastMoonshots.At(0).Symbol != "P29" || s.PastMoonshots.At(9).Symbol != "P20" || s.Track.Picks != 10 {
		t.Errorf("past %d, first %s", s.PastMoonshots.Len(), s.PastMoonshots.At(0).Symbol)
	}
}

// warmSource is a market with the ratings universe's history (31 days of
// hours, a day of minutes), two tokens with live trades on top and
// metadata, and its first snapshot.
func warmSource(t *testing.T) (*rtMarket, *Snapshot) {
	r := universe(t, RatingsOptions{})
	r.m.ApplyNow(Event{Kind: EventInfo, Symbol: "UP", Info: &TokenInfo{Name: "Up Coin", MarketCap: 5e9, Supply: 1e7}})
	r.m.ApplyNow(Event{Kind: EventInfo, Symbol: "W1", Info: &TokenInfo{Name: "Wave One", MarketCap: 2e6}})
	for k := range 20 {
		r.m.ApplyNow(trade("UP", rtEnd-50+int64(k), 250+float64(k%3), 0.5))
		r.m.ApplyNow(trade("FLAT", rtEnd-50+int64(k), 100.5, 2))
	}
	r.m.ApplyNow(Event{Kind: EventInfo, Symbol: "META", Info: &TokenInfo{Name: "No price"}})
	return r, r.m.SnapshotNow()
}

func TestWarmStartRoundTrip(t *testing.T) {
	r, src := warmSource(t)
	checkSnapshot(t, src)
	runMarket(t, r.m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hist, err := r.m.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 8 {
		t.Fatalf("history of %d tokens, want the 8 with a price", len(hist))
	}
	for _, h := range hist {
		if len(h.Minute) != MinuteBars || len(h.Hour) != HourBars || len(h.Day) == 0 {
			t.Errorf("%s: %d/%d/%d bars", h.Info.Symbol, len(h.Minute), len(h.Hour), len(h.Day))
		}
		for _, bars := range [][]Candle{h.Minute, h.Hour, h.Day} {
			for i := 1; i < len(bars); i++ {
				if bars[i].T <= bars[i-1].T {
					t.Fatalf("%s: bars not oldest first", h.Info.Symbol)
				}
			}
		}
	}
	saved := time.Date(2025, 2, 1, 12, 0, 0, 0, time.UTC)
	clk := newFakeClock(0)
	clk.ns.Store(r.clk.ns.Load())
	m := NewMarket(MarketOptions{Clock: clk.Now, Warm: &WarmStart{Saved: saved, Tokens: hist}, Journal: journalOf(src)})
	got := m.SnapshotNow()
	checkSnapshot(t, got)
	if got.BadEvents != 0 || !got.WarmSaved.Equal(saved) || got.WarmTokens != 8 || got.Tokens.Len() != 8 {
		t.Errorf("bad %d saved %v warm tokens %d tokens %d", got.BadEvents, got.WarmSaved, got.WarmTokens, got.Tokens.Len())
	}
	for _, want := range src.Tokens.All() {
		if want.Symbol == "META" {
			continue
		}
		v := got.Token(want.Symbol)
		if v == nil {
			t.Errorf("%s missing", want.Symbol)
			continue
		}
		if v.Name != want.Name || v.Price != want.Price || v.MarketCap != want.MarketCap || v.Supply != want.Supply ||
			!v.LastUpdate.Equal(want.LastUpdate) || v.Rank != want.Rank {
			t.Errorf("%s: %q %v %v %v %v #%d, want %q %v %v %v %v #%d", v.Symbol, v.Name, v.Price, v.MarketCap, v.Supply,
				v.LastUpdate, v.Rank, want.Name, want.Price, want.MarketCap, want.Supply, want.LastUpdate, want.Rank)
		}
		if fmt.Sprint(v.Spark) != fmt.Sprint(want.Spark) {
			t.Errorf("%s spark\n got %v\nwant %v", v.Symbol, v.Spark, want.Spark)
		}
		for _, c := range [][3]any{
			{"1h", v.Change1h, want.Change1h}, {"24h", v.Change24h, want.Change24h}, {"7d", v.Change7d, want.Change7d},
			{"high", v.High24h, want.High24h}, {"low", v.Low24h, want.Low24h}, {"volume", v.Volume24h, want.Volume24h},
			{"volatility", v.Volatility, want.Volatility},
			{"trader", v.TraderGrade.Value, want.TraderGrade.Value}, {"investor", v.InvestorGrade.Value, want.InvestorGrade.Value},
		} {
			a, b := c[1].(float64), c[2].(float64)
			if math.IsNaN(b) || !near(a, b) {
				t.Errorf("%s %s = %v, want %v", v.Symbol, c[0], a, b)
			}
		}
		if v.Signals.Len() != want.Signals.Len() || v.Signal != want.Signal {
			t.Errorf("%s signal %v (%d flips), want %v (%d)", v.Symbol, v.Signal, v.Signals.Len(), want.Signal, want.Signals.Len())
		}
		wantCached := time.Unix(hist[0].Minute[len(hist[0].Minute)-1].T+60, 0)
		if !v.Cached.Equal(wantCached) {
			t.Errorf("%s cached until %v, want %v", v.Symbol, v.Cached, wantCached)
		}
	}
}

// TestWarmStartKnownChanges: a constructed cache shows exact changes and
// sparkline at once.
func TestWarmStartKnownChanges(t *testing.T) {
	// 8 days of hours (close 100+h), the last 24h also as minutes closing
	// at their hour's close; price 300 in the last minute.
	last := day0 + 192*3600 - 1
	w := WarmToken{Info: TokenInfo{Symbol: "BTC", Name: "Bitcoin", Supply: 10}, Price: 300, Last: time.Unix(last, 0)}
	for h := int64(0); h < 192; h++ {
		p := 100 + float64(h)
		w.Hour = append(w.Hour, bar(day0+h*3600, p, p, p, p, 60))
	}
	for tm := day0 + 168*3600; tm <= last; tm += 60 {
		p := 100 + float64((tm-day0)/3600)
		w.Minute = append(w.Minute, bar(tm, p, p, p, p, 1))
	}
	clk := newFakeClock(last + 30)
	m := NewMarket(MarketOptions{Clock: clk.Now, Warm: &WarmStart{Tokens: []WarmToken{w}}})
	v := m.SnapshotNow().Token("BTC")
	if v == nil || v.Price != 300 || v.MarketCap != 3000 || v.Name != "Bitcoin" {
		t.Fatalf("view %+v", v)
	}
	if want := 300/290.0 - 1; !near(v.Change1h, want) {
		t.Errorf("Change1h = %v, want %v", v.Change1h, want)
	}
	if want := 300/267.0 - 1; !near(v.Change24h, want) {
		t.Errorf("Change24h = %v, want %v", v.Change24h, want)
	}
	if want := 300/123.0 - 1; !near(v.Change7d, want) {
		t.Errorf("Change7d = %v, want %v", v.Change7d, want)
	}
	if v.Spark.Len() != SparkPoints {
		t.Fatalf("spark has %d points", v.Spark.Len())
	}
	for k := range SparkPoints {
		tm := last - int64(SparkPoints-1-k)*SparkStep
		if want := 100 + float64((tm-day0)/3600); v.Spark.At(k) != want {
			t.Errorf("spark[%d] = %v, want %v", k, v.Spark.At(k), want)
		}
	}
	if v.High24h != 291 || v.Low24h != 268 || !near(v.Volume24h, sumCloses(168, 191)*60) {
		t.Errorf("24h range %v..%v volume %v", v.Low24h, v.High24h, v.Volume24h)
	}
	if !v.Cached.Equal(time.Unix(last+1, 0)) {
		t.Errorf("cached until %v", v.Cached)
	}
}

// sumCloses is the sum of 100+h for hours from..to.
func sumCloses(from, to int64) float64 {
	s := 0.0
	for h := from; h <= to; h++ {
		s += 100 + float64(h)
	}
	return s
}

func TestWarmMarkClearsOnCoveringCandle(t *testing.T) {
	end := day0 + 86400 // the cache's newest minute bar ends here
	mk := func(sym string) WarmToken {
		w := WarmToken{Info: TokenInfo{Symbol: sym}, Price: 10, Last: time.Unix(end-1, 0)}
		for tm := end - 3600; tm < end; tm += 60 {
			w.Minute = append(w.Minute, bar(tm, 10, 10, 10, 10, 1))
		}
		return w
	}
	clk := newFakeClock(end + 600)
	m := NewMarket(MarketOptions{Clock: clk.Now, Warm: &WarmStart{Tokens: []WarmToken{mk("AAA"), mk("BBB"), mk("CCC")}}})
	m.now = clk.Now().UnixNano()
	s := m.SnapshotNow()
	if s.WarmTokens != 3 || !s.Token("AAA").Cached.Equal(time.Unix(end, 0)) {
		t.Fatalf("warm tokens %d, AAA cached %v", s.WarmTokens, s.Token("AAA").Cached)
	}
	// Neither a live trade nor an older bar nor a later bar fills the gap.
	m.ApplyNow(trade("AAA", end+5, 11, 1))
	m.ApplyNow(Event{Kind: EventCandle, Symbol: "AAA", Res: Minute, Candle: bar(end-120, 10, 10, 10, 10, 2)})
	m.ApplyNow(Event{Kind: EventCandle, Symbol: "AAA", Res: Minute, Candle: bar(end-60, 10, 10, 10, 10, 2)})
	m.ApplyNow(Event{Kind: EventCandle, Symbol: "AAA", Res: Minute, Candle: bar(end+60, 10, 10, 10, 10, 2)})
	m.ApplyNow(Event{Kind: EventCandle, Symbol: "AAA", Res: Hour, Candle: bar(end-3600, 9, 11, 9, 10, 2)})
	s2 := m.SnapshotNow()
	a := s2.Token("AAA")
	if s2.WarmTokens != 3 || !a.Cached.Equal(time.Unix(end, 0)) || a.LastUpdate.Unix() != end+60 {
		t.Fatalf("mark cleared too soon: warm %d cached %v last %v", s2.WarmTokens, a.Cached, a.LastUpdate)
	}
	// The minute bar starting at the boundary fills it, and so does an
	// hour bar covering it (BBB); CCC stays marked.
	m.ApplyNow(Event{Kind: EventCandle, Symbol: "AAA", Res: Minute, Candle: bar(end, 10, 12, 10, 12, 1)})
	m.ApplyNow(Event{Kind: EventCandle, Symbol: "BBB", Res: Hour, Candle: bar(end, 10, 12, 10, 12, 1)})
	s3 := m.SnapshotNow()
	a3 := s3.Token("AAA")
	if s3.WarmTokens != 1 || !a3.Cached.IsZero() || !s3.Token("BBB").Cached.IsZero() || s3.Token("CCC").Cached.IsZero() {
		t.Errorf("after covering bars: warm %d, AAA %v, BBB %v, CCC %v", s3.WarmTokens, a3.Cached, s3.Token("BBB").Cached, s3.Token("CCC").Cached)
	}
	if a3 == a || a3.Version <= a.Version {
		t.Error("clearing the mark did not publish a new view")
	}
}

func TestWarmStartHostile(t *testing.T) {
	now := day0 + 10*86400
	clk := newFakeClock(now)
	last := time.Unix(now-60, 0)
	okBar := bar(now-3600, 1, 2, 1, 2, 3)
	huge := make([]Candle, 1_000_000)
	for i := range huge {
		huge[i] = bar(now-int64(len(huge)-i)*60, 1, 1, 1, 1, 1)
	}
	w := &WarmStart{Tokens: []WarmToken{
		{Info: TokenInfo{Symbol: "GOOD", Name: "Go\x1b[2Jod\u202e", MarketCap: math.NaN(), Supply: math.Inf(1)}, Price: 2, Last: last,
			Minute: []Candle{
				okBar,
				bar(now-3600+30, 1, 2, 1, 2, 3),        // misaligned
				bar(now-1800, math.NaN(), 2, 1, 2, 3),  // NaN
				bar(now-1740, 1, 2, 1, 2, math.Inf(1)), // infinite volume
				bar(now-1680, 3, 2, 1, 2, 1),           // open above high
				bar(now+86400, 1, 2, 1, 2, 3),          // future
				bar(-60, 1, 2, 1, 2, 3),                // before 1970
				bar(now-30*86400, 1, 1, 1, 1, 1),       // too old: skipped, not bad
			},
			Hour: []Candle{bar(now-7200, 1, 2, 1, 2, 3), bar(now-5400, 1, 2, 1, 2, 3)}, // second misaligned
			Day:  []Candle{bar(day0, 1, 2, 1, 2, 3), bar(now+7*86400, 1, 2, 1, 2, 3)},  // second future
		},
		{Info: TokenInfo{Symbol: "HUGE"}, Price: 1, Last: last, Minute: huge},
		{Info: TokenInfo{Symbol: "GOOD"}, Price: 3, Last: last}, // repeated
		{Info: TokenInfo{Symbol: ""}, Price: 1, Last: last},
		{Info: TokenInfo{Symbol: "A B"}, Price: 1, Last: last},
		{Info: TokenInfo{Symbol: "\x1b[31mX"}, Price: 1, Last: last},
		{Info: TokenInfo{Symbol: "NANP"}, Price: math.NaN(), Last: last},
		{Info: TokenInfo{Symbol: "NEGP"}, Price: -1, Last: last},
		{Info: TokenInfo{Symbol: "NOLAST"}, Price: 1},
		{Info: TokenInfo{Symbol: "FUTURE"}, Price: 1, Last: time.Unix(now+86400, 0)},
		{Info: TokenInfo{Symbol: "ANCIENT"}, Price: 1, Last: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)},
	}}
	start := time.Now()
	m := NewMarket(MarketOptions{Clock: clk.Now, Warm: w})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("applying the hostile cache took %v", d)
	}
	s := m.SnapshotNow()
	checkSnapshot(t, s)
	// GOOD: 6 bad minute bars, 1 hour, 1 day; HUGE: all but 1440 bars;
	// 9 tokens skipped whole.
	wantBad := uint64(6 + 1 + 1 + (1_000_000 - MinuteBars) + 9)
	if s.BadEvents != wantBad {
		t.Errorf("bad = %d, want %d", s.BadEvents, wantBad)
	}
	if s.Tokens.Len() != 2 || s.WarmTokens != 2 {
		t.Fatalf("tokens %d, warm %d", s.Tokens.Len(), s.WarmTokens)
	}
	g := s.Token("GOOD")
	if g.Name != "Good" || g.MarketCap != 0 || g.Supply != 0 || g.Price != 2 || g.High24h != 2 || g.Low24h != 1 {
		t.Errorf("GOOD %+v", g)
	}
	if h := s.Token("HUGE"); h.Spark.Len() != SparkPoints || !h.Cached.Equal(time.Unix(now, 0)) {
		t.Errorf("HUGE spark %d cached %v", h.Spark.Len(), h.Cached)
	}
}

func TestHistoryNeedsRunAndStops(t *testing.T) {
	m := NewMarket(MarketOptions{Clock: newFakeClock(day0).Now, PublishEvery: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.History(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "history: ") {
		t.Errorf("History before Run: %v", err)
	}
	rctx, rcancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(rctx) }()
	m.Send(context.Background(), trade("BTC", day0, 5, 1))
	m.Send(context.Background(), Event{Kind: EventInfo, Symbol: "ETH", Info: &TokenInfo{Name: "No price"}})
	mb := m.Subscribe(t.Context())
	waitFor(t, mb, "ETH", func(s *Snapshot) bool { return s.Token("ETH") != nil && s.Token("BTC") != nil })
	h, err := m.History(context.Background())
	if err != nil || len(h) != 1 || h[0].Info.Symbol != "BTC" || h[0].Price != 5 || len(h[0].Minute) != 1 ||
		len(h[0].Hour) != 1 || len(h[0].Day) != 1 || !h[0].Last.Equal(time.Unix(day0, 0)) {
		t.Errorf("History = %+v, %v", h, err)
	}
	rcancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := m.History(context.Background()); !errors.Is(err, ErrMarketStopped) {
		t.Errorf("History after Run: %v", err)
	}
}

// warmBenchCache is 100 tokens with full rings.
func warmBenchCache() *WarmStart {
	end := day0 + 400*86400
	w := &WarmStart{}
	for i := range 100 {
		wt := WarmToken{Info: TokenInfo{Symbol: fmt.Sprintf("T%03d", i), Name: "Token", Supply: 1e6}, Price: 10, Last: time.Unix(end-1, 0)}
		for k := int64(DayBars); k > 0; k-- {
			wt.Day = append(wt.Day, bar(end-k*86400, 10, 11, 9, 10, 1000))
		}
		for k := int64(HourBars); k > 0; k-- {
			wt.Hour = append(wt.Hour, bar(end-k*3600, 10, 11, 9, 10, 100))
		}
		for k := int64(MinuteBars); k > 0; k-- {
			wt.Minute = append(wt.Minute, bar(end-k*60, 10, 10.5, 9.5, 10, 1))
		}
		w.Tokens = append(w.Tokens, wt)
	}
	return w
}

func BenchmarkWarmStart100(b *testing.B) {
	w := warmBenchCache()
	clk := newFakeClock(day0 + 400*86400)
	b.ReportAllocs()
	for b.Loop() {
		m := NewMarket(MarketOptions{Clock: clk.Now, Warm: w})
		if m.warmN != 100 || m.bad != 0 {
			b.Fatalf("warm %d bad %d", m.warmN, m.bad)
		}
	}
}

func BenchmarkHistory100(b *testing.B) {
	m := NewMarket(MarketOptions{Clock: newFakeClock(day0 + 400*86400).Now, Warm: warmBenchCache()})
	b.ReportAllocs()
	for b.Loop() {
		if h := m.history(); len(h) != 100 {
			b.Fatal(len(h))
		}
	}
}

// A coarse bar equal to the roll-up of finer cached bars is rebuilt from
// them, unless those bars lie outside the finer ring's window.
func TestWarmCoarseBarsKept(t *testing.T) {
	w := WarmToken{Info: TokenInfo{Symbol: "GAP"}, Price: 5, Last: time.Unix(day0+2*86400+59, 0)}
	for k := int64(0); k < 60; k++ {
		w.Minute = append(w.Minute, bar(day0+k*60, 5, 5, 5, 5, 1))
	}
	w.Minute = append(w.Minute, bar(day0+2*86400, 5, 5, 5, 5, 1)) // two days later
	w.Hour = []Candle{bar(day0, 5, 5, 5, 5, 60), bar(day0+2*86400, 5, 5, 5, 5, 1)}
	m := NewMarket(MarketOptions{Clock: newFakeClock(day0 + 3*86400).Now, Warm: &WarmStart{Tokens: []WarmToken{w}}})
	s := m.tokens["GAP"].series
	if got := s.Candles(Hour, day0, day0+2*86400, nil); len(got) != 2 || got[0] != w.Hour[0] || got[1] != w.Hour[1] {
		t.Errorf("hours %v, want %v", got, w.Hour)
	}
	if got := s.Candles(Minute, 0, math.MaxInt64, nil); len(got) != 1 {
		t.Errorf("minutes %v, want only the newest", got)
	}
	if i := s.rings[Hour].slot(day0 + 2*86400); !s.rings[Hour].notes[i].folded || s.rings[Hour].notes[i].given {
		t.Errorf("the hour rebuilt from its minute should be rolled up: %+v", s.rings[Hour].notes[i])
	}
	if m.bad != 0 {
		t.Errorf("bad = %d", m.bad)
	}
}

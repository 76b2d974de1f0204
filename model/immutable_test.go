package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Snapshots are shared by every subscriber (each SSH session of `tokentop
// serve`, the keeper, alert books), so once published nothing may change
// them: not the hub reusing a buffer, not a later event. These tests keep
// deep copies of old snapshots, drive the hub far enough to wrap every ring
// it keeps (trades, series, signal flips, open and past picks, the
// provider's lists, feed statuses), and compare.

// copySnapshot is a deep copy of s sharing no memory with it except strings
// and time zones (diffDeep checks that nothing else is shared, so a list
// added to the snapshot later and forgotten here makes the test fail).
func copySnapshot(s *Snapshot) *Snapshot {
	c := *s
	views := make([]*TokenView, 0, s.Tokens.Len())
	for _, v := range s.Tokens.All() {
		views = append(views, copyView(v))
	}
	c.Tokens = ReadOnlyOf(views...)
	c.Feeds = ReadOnlyOf(s.Feeds.Clone()...)
	c.Moonshots = ReadOnlyOf(s.Moonshots.Clone()...)
	c.PastMoonshots = ReadOnlyOf(s.PastMoonshots.Clone()...)
	if s.Official != nil {
		o := *s.Official
		o.Active, o.Past = ReadOnlyOf(o.Active.Clone()...), ReadOnlyOf(o.Past.Clone()...)
		c.Official = &o
	}
	return &c
}

func copyView(v *TokenView) *TokenView {
	if v == nil {
		return nil
	}
	c := *v
	c.Spark = ReadOnlyOf(v.Spark.Clone()...)
	c.Trades = ReadOnlyOf(v.Trades.Clone()...)
	c.Signals = ReadOnlyOf(v.Signals.Clone()...)
	c.TraderGrade.Factors = ReadOnlyOf(v.TraderGrade.Factors.Clone()...)
	c.InvestorGrade.Factors = ReadOnlyOf(v.InvestorGrade.Factors.Clone()...)
	if v.Official != nil {
		o := *v.Official
		c.Official = &o
	}
	return &c
}

var locationType = reflect.TypeFor[*time.Location]()

// diffDeep compares a and b field by field, following pointers and slices
// (unexported fields too), floats by their bits so NaN equals NaN. It also
// reports memory the two share (a pointer or a non-empty slice array), which
// a deep copy must not: only time zones may be shared. It returns the first
// differences, "" when none.
func diffDeep(path string, a, b reflect.Value, out *[]string) {
	if len(*out) >= 10 {
		return
	}
	if a.Type() != b.Type() {
		*out = append(*out, fmt.Sprintf("%s: type %v vs %v", path, a.Type(), b.Type()))
		return
	}
	switch a.Kind() {
	case reflect.Pointer:
		switch {
		case a.IsNil() || b.IsNil():
			if a.IsNil() != b.IsNil() {
				*out = append(*out, path+": nil vs not nil")
			}
			return
		case a.Type() == locationType:
			return
		case a.Pointer() == b.Pointer():
			*out = append(*out, path+": the copy shares this pointer")
			return
		}
		diffDeep(path, a.Elem(), b.Elem(), out)
	case reflect.Slice:
		if a.Len() != b.Len() {
			*out = append(*out, fmt.Sprintf("%s: len %d vs %d", path, a.Len(), b.Len()))
			return
		}
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			*out = append(*out, path+": the copy shares this array")
			return
		}
		for i := range a.Len() {
			diffDeep(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i), out)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			diffDeep(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i), out)
		}
	case reflect.Float32, reflect.Float64:
		if math.Float64bits(a.Float()) != math.Float64bits(b.Float()) {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, a.Float(), b.Float()))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, a.Int(), b.Int()))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, a.Uint(), b.Uint()))
		}
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, a.Bool(), b.Bool()))
		}
	case reflect.String:
		if a.String() != b.String() {
			*out = append(*out, fmt.Sprintf("%s: %q vs %q", path, a.String(), b.String()))
		}
	default:
		*out = append(*out, fmt.Sprintf("%s: cannot compare a %v (teach diffDeep)", path, a.Kind()))
	}
}

func snapshotDiff(a, b *Snapshot) string {
	var out []string
	diffDeep("snapshot", reflect.ValueOf(a), reflect.ValueOf(b), &out)
	return strings.Join(out, "\n")
}

// The checker itself: a copy equals its original, NaNs included; a write
// into the original's shared array is found; a copy that shares memory
// is refused.
func TestSnapshotDiffFindsChanges(t *testing.T) {
	v := &TokenView{Symbol: "BTC", Change7d: math.NaN(), Spark: ReadOnlyOf(1.0, 2, 3),
		Trades: ReadOnlyOf(Trade{Price: 5}), TraderGrade: NoGrade("needs 24h"),
		Official: &OfficialRating{Provider: "TM"}}
	s := &Snapshot{Time: time.Unix(day0, 0), Tokens: ReadOnlyOf(v), Feeds: ReadOnlyOf(FeedStatus{Name: "demo"}),
		Moonshots: ReadOnlyOf(Moonshot{Symbol: "X", ROI: math.NaN()}),
		Official:  &OfficialMoonshots{Active: ReadOnlyOf(Moonshot{Symbol: "Y"})}}
	c := copySnapshot(s)
	if d := snapshotDiff(s, c); d != "" {
		t.Fatalf("a copy differs from its original:\n%s", d)
	}
	v.Trades.s[0].Price++ // what a careless subscriber (or hub) could do
	if d := snapshotDiff(s, c); !strings.Contains(d, "Trades") {
		t.Errorf("a write into a shared array went unnoticed: %q", d)
	}
	v.Trades.s[0].Price--
	shallow := *c
	if d := snapshotDiff(c, &shallow); !strings.Contains(d, "shares") {
		t.Errorf("a shallow copy passed for a deep one: %q", d)
	}
}

// TestOldSnapshotsNeverChange drives a market for 25 hours of market time,
// one minute at a time, keeping a deep copy of every 25th snapshot, and
// checks at the end that each of those snapshots still equals its copy.
// The run is sized to wrap everything the hub keeps in rings or replaces:
// each token's trade ring (5 kept, 6 trades a minute), its 24 h of 1-minute
// bars (the sparkline's source), its signal-flip ring (50 kept; hysteresis
// narrowed so grades flip often), the open picks (a pumped small cap picked
// and stopped out again and again), the past picks (3 kept), the provider's
// ratings and moonshot lists, and the feed statuses. It checks that all of
// that really happened, so it cannot pass by driving too little.
func TestOldSnapshotsNeverChange(t *testing.T) {
	const (
		minutes   = 25 * 60
		maxTrades = 5
		maxPast   = 3
		keepEvery = 25
	)
	clk := newFakeClock(rtEnd)
	opts := RatingsOptions{
		BullishEnter: 53, BullishExit: 52, BearishEnter: 47, BearishExit: 48,
		MaxAge: 20 * time.Minute, Cooldown: time.Minute, MaxPast: maxPast,
	}
	// A journal too: restored flips and past picks are published as well.
	journal := &Journal{
		Flips: map[string][]SignalFlip{"W0": {
			{Time: time.Unix(rtEnd-7200, 0), From: SignalNeutral, To: SignalBullish, Price: 50, Grade: 70},
			{Time: time.Unix(rtEnd-9000, 0), From: SignalBearish, To: SignalNeutral, Price: 49, Grade: 40},
		}},
		Past: []Moonshot{pastPick("OLD", rtEnd-5*86400, rtEnd-4*86400, 1, 1.5, "max age 7d")},
	}
	r := &rtMarket{t: t, clk: clk, paths: map[string]pricePath{},
		m: NewMarket(MarketOptions{Clock: clk.Now, Ratings: opts, MaxTrades: maxTrades, Journal: journal})}
	m := r.m
	rng := rand.New(rand.NewPCG(12, 34))

	// Eight tokens on random walks (ranks move with their caps), and PUMP,
	// a $10M small cap.
	walkers := []string{"UP", "FLAT", "DOWN", "W0", "W1", "W2", "W3", "W4"}
	price := map[string]float64{}
	for k, sym := range walkers {
		r.add(sym, day0, wave(50+float64(k), 0.005, k))
		price[sym], _ = r.paths[sym](rtEnd)
		m.ApplyNow(Event{Kind: EventInfo, Symbol: sym, Info: &TokenInfo{Name: sym + " coin", Supply: 1e6 * float64(k+1)}})
	}
	base := wave(0.1, 0.003, 11)
	r.add("PUMP", day0, base)
	m.ApplyNow(Event{Kind: EventInfo, Symbol: "PUMP", Info: &TokenInfo{Name: "Pump", Supply: 1e8}})
	pumpStart, _ := base(rtEnd)
	pump := pumpStart

	type kept struct {
		snap, copy *Snapshot
	}
	var keep []kept
	var (
		lastFlip     = map[string]time.Time{}
		flips        = map[string]int{}
		lastOpen     = -1
		opened       int
		lastPast     time.Time
		closed       int
		feedChanges  int
		officialSets int
		nonEmpty     = map[string]bool{}
	)
	tm := rtEnd
	for k := range minutes {
		for _, sym := range walkers {
			p := price[sym] * math.Exp(0.02*rng.NormFloat64())
			price[sym] = p
			r.paths[sym] = func(int64) (float64, float64) { return p, 10 }
		}
		// PUMP: ten minutes up 4% a minute on ten times its volume, then
		// back to where it started (the stop loss closes the pick), twice
		// an hour.
		switch c := k % 30; {
		case c < 10:
			pump *= 1.04
			pp := pump
			r.paths["PUMP"] = func(int64) (float64, float64) { return pp, 100 }
		case c == 10:
			pump = pumpStart * 0.6
			pp := pump
			r.paths["PUMP"] = func(int64) (float64, float64) { return pp, 10 }
		case c == 20:
			pump = pumpStart
			pp := pump
			r.paths["PUMP"] = func(int64) (float64, float64) { return pp, 10 }
		}
		// Trades: more a minute than the ring keeps.
		clk.ns.Store(ns(tm + 30))
		for _, sym := range append(walkers, "PUMP") {
			p, _ := r.paths[sym](tm)
			for j := range maxTrades + 1 {
				m.ApplyNow(Event{Kind: EventTrade, Symbol: sym, Time: ns(tm+30) + int64(j), Price: p * (1 + 0.001*float64(j)),
					Qty: 1 + float64(j), Side: Side(j%2 + 1)})
			}
		}
		// Feed statuses: one feed changes every minute, a new one joins
		// every 100 minutes.
		m.Status(FeedStatus{Name: "binance", State: FeedState(k%3 + 1), Reason: fmt.Sprint("minute ", k), Since: clk.Now()})
		if k%100 == 0 {
			m.Status(FeedStatus{Name: fmt.Sprint("feed-", k), State: FeedLive, Since: clk.Now()})
		}
		m.takeStatuses() // Run does this when woken; this test drives the hub by hand
		feedChanges++
		// The provider: new ratings and moonshot lists every 10 minutes.
		if k%10 == 0 {
			for i, sym := range walkers {
				m.ApplyNow(Event{Kind: EventOfficial, Symbol: sym, Official: &OfficialRating{Provider: "Token Metrics",
					TMGrade: float64((k + i) % 100), TraderGrade: 50, InvestorGrade: math.NaN()}})
			}
			active := make([]Moonshot, 1+k%4)
			for i := range active {
				active[i] = Moonshot{Symbol: fmt.Sprint("TM", k, "-", i), Entry: clk.Now(), ROI: 0.01 * float64(i)}
			}
			m.ApplyNow(Event{Kind: EventOfficialMoonshots, OfficialMoonshots: &OfficialMoonshots{Provider: "Token Metrics",
				Active: ReadOnlyOf(active...), Past: ReadOnlyOf(Moonshot{Symbol: fmt.Sprint("TP", k), Exit: clk.Now()})}})
			officialSets++
		}
		s := r.minute(tm)
		tm += 60

		// What happened, to prove the run wrapped what it should.
		for _, v := range s.Tokens.All() {
			if v.Signals.Len() > 0 {
				if f := v.Signals.At(0).Time; !f.Equal(lastFlip[v.Symbol]) {
					lastFlip[v.Symbol] = f
					flips[v.Symbol]++
				}
			}
		}
		if s.Moonshots.Len() > 0 && lastOpen <= 0 {
			opened++
		}
		lastOpen = s.Moonshots.Len()
		if s.PastMoonshots.Len() > 0 && !s.PastMoonshots.At(0).Exit.Equal(lastPast) {
			lastPast = s.PastMoonshots.At(0).Exit
			closed++
		}
		if k%keepEvery == keepEvery-1 {
			keep = append(keep, kept{s, copySnapshot(s)})
			if btc := s.Token("W1"); btc != nil {
				nonEmpty["trades"] = nonEmpty["trades"] || btc.Trades.Len() == maxTrades
				nonEmpty["spark"] = nonEmpty["spark"] || btc.Spark.Len() == SparkPoints
				nonEmpty["factors"] = nonEmpty["factors"] || btc.TraderGrade.Factors.Len() > 0 && btc.InvestorGrade.Factors.Len() > 0
				nonEmpty["official rating"] = nonEmpty["official rating"] || btc.Official != nil
			}
			for _, v := range s.Tokens.All() {
				nonEmpty["signals"] = nonEmpty["signals"] || v.Signals.Len() == maxFlips
			}
			nonEmpty["open picks"] = nonEmpty["open picks"] || s.Moonshots.Len() > 0
			nonEmpty["past picks"] = nonEmpty["past picks"] || s.PastMoonshots.Len() == maxPast
			nonEmpty["feeds"] = nonEmpty["feeds"] || s.Feeds.Len() > 1
			nonEmpty["official picks"] = nonEmpty["official picks"] || s.Official != nil && s.Official.Active.Len() > 0
		}
	}

	most, who := 0, ""
	for sym, n := range flips {
		if n > most {
			most, who = n, sym
		}
	}
	t.Logf("%d snapshots kept; flips: most %d (%s); %d picks opened, %d closed; %d feed updates; %d provider lists",
		len(keep), most, who, opened, closed, feedChanges, officialSets)
	if most <= maxFlips {
		t.Errorf("no token flipped more than %d times (most: %d): the flip ring never wrapped", maxFlips, most)
	}
	if opened < 3 || closed <= maxPast {
		t.Errorf("%d picks opened and %d closed: the pick lists never rolled over", opened, closed)
	}
	for _, what := range []string{"trades", "spark", "factors", "official rating", "signals", "open picks",
		"past picks", "feeds", "official picks"} {
		if !nonEmpty[what] {
			t.Errorf("no kept snapshot had full %s: the test checks nothing there", what)
		}
	}
	for _, k := range keep {
		if d := snapshotDiff(k.snap, k.copy); d != "" {
			t.Errorf("snapshot %d changed after it was published:\n%s", k.snap.Seq, d)
		}
	}
}

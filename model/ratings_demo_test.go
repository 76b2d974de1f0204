package model_test

import (
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/model"
)

// TestDemoMarketRatingsMix drives the demo market (seed 1) through
// ApplyNow/SnapshotNow for three simulated hours, a snapshot every five
// simulated seconds: the grades are a believable mix at every hour, at
// least one small cap becomes a moonshot, and signals do not flap.
func TestDemoMarketRatingsMix(t *testing.T) {
	gen := demo.NewGenerator(demo.Options{Seed: 1})
	m := model.NewMarket(model.MarketOptions{Clock: gen.Now})
	gen.History(m.ApplyNow)
	snap := m.SnapshotNow()
	checkMix(t, "start", snap)
	startFlips := flipsBySymbol(snap)

	var first *model.Moonshot
	var firstAt time.Duration
	const hours = 3
	for s := 1; s <= hours*3600; s++ {
		gen.Step(m.ApplyNow)
		if s%5 != 0 {
			continue
		}
		snap = m.SnapshotNow()
		if first == nil && snap.Moonshots.Len() > 0 {
			p := snap.Moonshots.At(0)
			first, firstAt = &p, time.Duration(s)*time.Second
			v := snap.Token(p.Symbol)
			if p.EntryPrice != v.Price || p.MarketCap >= 50e6 || p.EntryGrade < 75 {
				t.Errorf("pick %+v: token price %v", p, v.Price)
			}
		}
		if s%3600 == 0 {
			checkMix(t, time.Duration(s*1e9).String(), snap)
		}
	}
	if first == nil {
		t.Fatalf("no moonshot in %d simulated hours", hours)
	}
	t.Logf("first moonshot %s after %v at %.6g (grade %.1f)", first.Symbol, firstAt, first.EntryPrice, first.EntryGrade)
	for _, p := range snap.PastMoonshots.All() {
		t.Logf("past %s entry %.6g ROI %+.3f peak %+.3f: %s", p.Symbol, p.EntryPrice, p.ROI, p.PeakROI, p.ExitReason)
	}
	// Flips in three hours: hysteresis keeps them rare.
	total, most, who := 0, 0, ""
	for sym, n := range flipsBySymbol(snap) {
		n -= startFlips[sym]
		total += n
		if n > most {
			most, who = n, sym
		}
	}
	t.Logf("%d signal flips in %dh over %d tokens; most %d (%s)", total, hours, snap.Tokens.Len(), most, who)
	if most > 10 {
		t.Errorf("%s flipped %d times in %d hours: the signal flaps", who, most, hours)
	}
}

func flipsBySymbol(s *model.Snapshot) map[string]int {
	out := map[string]int{}
	for _, v := range s.Tokens.All() {
		out[v.Symbol] = v.Signals.Len()
	}
	return out
}

// checkMix wants every demo token graded (they all have 31 days of
// history) and at least five bullish and five bearish Trader Grades.
func checkMix(t *testing.T, when string, s *model.Snapshot) {
	t.Helper()
	bull, bear, trader, investor := 0, 0, 0, 0
	for _, v := range s.Tokens.All() {
		if g := v.TraderGrade; g.Present() {
			trader++
			if !(g.Value >= 0 && g.Value <= 100) {
				t.Errorf("%s: grade %v", v.Symbol, g.Value)
			}
			switch {
			case g.Band >= model.Bullish:
				bull++
			case g.Band <= model.Bearish:
				bear++
			}
		}
		if v.InvestorGrade.Present() {
			investor++
		}
	}
	t.Logf("%s: trader %d/%d investor %d: bullish %d bearish %d; moonshots %d past %d",
		when, trader, s.Tokens.Len(), investor, bull, bear, s.Moonshots.Len(), s.PastMoonshots.Len())
	if trader != s.Tokens.Len() || investor != s.Tokens.Len() || bull < 5 || bear < 5 {
		t.Errorf("%s: not a believable mix", when)
	}
}

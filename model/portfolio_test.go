package model

import (
	"math"
	"testing"
	"time"
)

func snapOf(views ...*TokenView) *Snapshot { return &Snapshot{Tokens: ReadOnlyOf(views...)} }

func lotAt(id, sym string, qty, cost float64, opened time.Time) Lot {
	return Lot{ID: id, Symbol: sym, Quantity: qty, Cost: cost, Opened: opened}
}

// noInf fails on an infinity anywhere in the portfolio.
func noInf(t *testing.T, pf Portfolio) {
	t.Helper()
	check := func(what string, vs ...float64) {
		for _, v := range vs {
			if math.IsInf(v, 0) {
				t.Errorf("%s: infinity in %v", what, vs)
			}
		}
	}
	check("totals", pf.Cost, pf.Value, pf.PnL, pf.PnLPct)
	for _, p := range pf.Positions {
		check(p.Symbol, p.Quantity, p.Cost, p.AvgCost, p.Price, p.Value, p.PnL, p.PnLPct, p.Alloc)
		for _, l := range p.Lots {
			check(p.Symbol+" lot "+l.ID, l.Price, l.Value, l.PnL, l.PnLPct, l.Alloc)
		}
	}
}

func TestValuePortfolioKnownAnswers(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2025, 1, day, 0, 0, 0, 0, time.UTC) }
	lots := []Lot{
		lotAt("b2", "BTC", 1, 60000, d(5)),
		lotAt("e1", "ETH", 10, 2000, d(2)),
		lotAt("b1", "BTC", 0.5, 40000, d(1)),
		lotAt("x1", "XYZ", 100, 1, d(3)),          // not in the market
		lotAt("f1", "FREE", 1000, 0, time.Time{}), // an airdrop: cost 0
		lotAt("b3", "BTC", 0.5, 50000, time.Time{}),
		lotAt("n1", "NOPX", 5, 2, d(4)), // in the market, no price yet
	}
	snap := snapOf(
		&TokenView{Symbol: "ETH", Name: "Ethereum", Price: 2500},
		&TokenView{Symbol: "BTC", Name: "Bitcoin", Price: 70000},
		&TokenView{Symbol: "FREE", Name: "Free", Price: 0.5},
		&TokenView{Symbol: "NOPX", Name: "No Price"},
	)
	pf := ValuePortfolio(lots, snap)
	noInf(t, pf)
	order := ""
	for _, p := range pf.Positions {
		order += p.Symbol + " "
	}
	// BTC 140,000 > ETH 25,000 > FREE 500; then unpriced by symbol.
	if order != "BTC ETH FREE NOPX XYZ " {
		t.Fatalf("order = %q", order)
	}
	btc, eth, free, nopx, xyz := &pf.Positions[0], &pf.Positions[1], &pf.Positions[2], &pf.Positions[3], &pf.Positions[4]
	// BTC: 2 units costing 20,000 + 60,000 + 25,000 = 105,000.
	if btc.Name != "Bitcoin" || btc.Quantity != 2 || btc.Cost != 105000 || btc.AvgCost != 52500 ||
		btc.Price != 70000 || btc.Value != 140000 || btc.PnL != 35000 || !near(btc.PnLPct, 1.0/3) {
		t.Errorf("BTC position %+v", btc)
	}
	// Lots: oldest first, the undated one last.
	if ids := btc.Lots[0].ID + btc.Lots[1].ID + btc.Lots[2].ID; ids != "b1b2b3" {
		t.Errorf("BTC lots in order %s, want b1b2b3", ids)
	}
	if l := btc.Lots[0]; l.Value != 35000 || l.PnL != 15000 || !near(l.PnLPct, 0.75) || !near(l.Alloc, 35000.0/165500) {
		t.Errorf("lot b1 %+v", l)
	}
	if eth.Value != 25000 || eth.PnL != 5000 || !near(eth.PnLPct, 0.25) {
		t.Errorf("ETH %+v", eth)
	}
	if free.Cost != 0 || free.Value != 500 || free.PnL != 500 || !math.IsNaN(free.PnLPct) || !math.IsNaN(free.Lots[0].PnLPct) {
		t.Errorf("zero-cost position %+v: PnLPct must be NaN", free)
	}
	for _, p := range []*Position{nopx, xyz} {
		if p.Priced() || !math.IsNaN(p.Value) || !math.IsNaN(p.PnL) || !math.IsNaN(p.PnLPct) || !math.IsNaN(p.Alloc) ||
			!math.IsNaN(p.Lots[0].Value) || !math.IsNaN(p.Lots[0].Alloc) || !math.IsNaN(p.Lots[0].Price) {
			t.Errorf("unpriced %s: %+v", p.Symbol, p)
		}
	}
	if nopx.Name != "No Price" || xyz.Name != "" || xyz.Cost != 100 || xyz.AvgCost != 1 {
		t.Errorf("unpriced names/costs: %q %q %v %v", nopx.Name, xyz.Name, xyz.Cost, xyz.AvgCost)
	}
	// Totals over the priced positions only.
	if pf.Unpriced != 2 || pf.Cost != 125000 || pf.Value != 165500 || pf.PnL != 40500 || !near(pf.PnLPct, 40500.0/125000) {
		t.Errorf("totals cost %v value %v pnl %v pct %v unpriced %d", pf.Cost, pf.Value, pf.PnL, pf.PnLPct, pf.Unpriced)
	}
	sum := 0.0
	for _, p := range pf.Positions[:3] {
		sum += p.Alloc
		lots := 0.0
		for _, l := range p.Lots {
			lots += l.Alloc
		}
		if !near(lots, p.Alloc) {
			t.Errorf("%s: lot allocations sum to %v, position %v", p.Symbol, lots, p.Alloc)
		}
	}
	if !near(sum, 1) {
		t.Errorf("allocations sum to %v", sum)
	}
	if lots[0].ID != "b2" {
		t.Error("ValuePortfolio reordered the caller's lots")
	}
}

func TestValuePortfolioEdges(t *testing.T) {
	if pf := ValuePortfolio(nil, nil); len(pf.Positions) != 0 || pf.Value != 0 || !math.IsNaN(pf.PnLPct) {
		t.Errorf("empty portfolio %+v", pf)
	}
	lots := []Lot{lotAt("a", "AAA", 2, 3, time.Time{}), lotAt("b", "BBB", 1, 1, time.Time{})}
	pf := ValuePortfolio(lots, nil)
	if pf.Unpriced != 2 || pf.Cost != 0 || pf.Value != 0 || !math.IsNaN(pf.PnLPct) ||
		pf.Positions[0].Symbol != "AAA" || pf.Positions[0].Cost != 6 {
		t.Errorf("nil snapshot: %+v", pf)
	}
	// Equal values sort by symbol; hostile prices are unpriced.
	lots = []Lot{
		lotAt("1", "ZZZ", 1, 1, time.Time{}),
		lotAt("2", "AAA", 1, 1, time.Time{}),
		lotAt("3", "NAN", 1, 1, time.Time{}),
		lotAt("4", "INF", 1, 1, time.Time{}),
		lotAt("5", "NEG", 1, 1, time.Time{}),
		lotAt("6", "HUGE", MaxQuantity, MaxUnitCost, time.Time{}),
		// Lots that fail validation are left out.
		lotAt("7", "BAD", math.NaN(), 1, time.Time{}),
		lotAt("8", "BAD", 1, math.Inf(1), time.Time{}),
		lotAt("9", "BAD", -1, 1, time.Time{}),
		lotAt("10", "BAD", 2*MaxQuantity, 1, time.Time{}),
	}
	snap := snapOf(
		&TokenView{Symbol: "ZZZ", Price: 2}, &TokenView{Symbol: "AAA", Price: 2},
		&TokenView{Symbol: "NAN", Price: math.NaN()}, &TokenView{Symbol: "INF", Price: math.Inf(1)},
		&TokenView{Symbol: "NEG", Price: -5}, &TokenView{Symbol: "HUGE", Price: 1e300},
		&TokenView{Symbol: "BAD", Price: 1},
	)
	pf = ValuePortfolio(lots, snap)
	noInf(t, pf)
	order := ""
	for _, p := range pf.Positions {
		order += p.Symbol + " "
	}
	if order != "AAA ZZZ HUGE INF NAN NEG " {
		t.Errorf("order = %q", order)
	}
	if pf.Unpriced != 4 || pf.Value != 4 || pf.Cost != 2 || pf.Positions[0].Alloc != 0.5 {
		t.Errorf("totals %+v", pf)
	}
	if h := pf.Positions[2]; h.Priced() || h.Cost != MaxQuantity*MaxUnitCost {
		t.Errorf("overflowing position should be unpriced with its cost: %+v", h)
	}
}

func TestValuePortfolioTinyValues(t *testing.T) {
	// Every priced value underflows to 0: allocations are 0, not NaN.
	pf := ValuePortfolio([]Lot{lotAt("a", "DUST", 1e-300, 0, time.Time{})},
		snapOf(&TokenView{Symbol: "DUST", Price: 1e-300}))
	p := pf.Positions[0]
	if !p.Priced() || p.Value != 0 || p.Alloc != 0 || p.Lots[0].Alloc != 0 || !math.IsNaN(pf.PnLPct) {
		t.Errorf("dust %+v totals %+v", p, pf)
	}
}

func TestValuePortfolioManyPositions(t *testing.T) {
	// More positions than the linear search serves: the same answers.
	var lots []Lot
	var views []*TokenView
	for i := range 20 {
		sym := string(rune('A'+i)) + "X"
		lots = append(lots, lotAt(sym, sym, 1, 1, time.Time{}))
		if i%4 != 0 {
			views = append(views, &TokenView{Symbol: sym, Name: "n" + sym, Price: float64(i)})
		}
	}
	views = append(views, &TokenView{Symbol: "BX", Price: 999}) // a repeat: the first wins, as Snapshot.Token
	pf := ValuePortfolio(lots, snapOf(views...))
	noInf(t, pf)
	if pf.Unpriced != 5 || len(pf.Positions) != 20 {
		t.Fatalf("unpriced %d positions %d", pf.Unpriced, len(pf.Positions))
	}
	for i, p := range pf.Positions[:15] {
		v := snapOf(views...).Token(p.Symbol)
		if p.Price != v.Price || p.Name != v.Name || (i > 0 && p.Value > pf.Positions[i-1].Value) {
			t.Errorf("%s: price %v name %q, want %v %q (or out of order)", p.Symbol, p.Price, p.Name, v.Price, v.Name)
		}
	}
	if pf.Positions[0].Symbol != "TX" || pf.Positions[15].Symbol != "AX" {
		t.Errorf("first %s, first unpriced %s", pf.Positions[0].Symbol, pf.Positions[15].Symbol)
	}
}

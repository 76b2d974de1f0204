package model

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Portfolio valuation: pure arithmetic over the lots and a snapshot's
// prices. Amounts are USD.

// MaxPositionValue is the largest value (USD) a position may have and
// still count as priced. Lot.Validate caps a quantity at 1e15, but a
// broken price could still make Quantity*Price overflow to +Inf; such a
// position is shown as unpriced rather than poisoning the totals. The cap
// is far beyond any real holding, so totals over MaxLots positions stay
// finite.
const MaxPositionValue = 1e30

// LotValue is one lot valued at the current price.
type LotValue struct {
	Lot
	Price  float64 // current price; NaN when the token has no price
	Value  float64 // Quantity*Price; NaN when unpriced
	PnL    float64 // Value - Quantity*Cost; NaN when unpriced
	PnLPct float64 // PnL / (Quantity*Cost); NaN when unpriced or the cost is 0
	Alloc  float64 // Value / the portfolio's priced value; NaN when unpriced
}

// Position is all lots of one token.
type Position struct {
	Symbol string
	Name   string // from the snapshot; "" when unknown
	// Lots are oldest Opened first; lots with an unknown (zero) Opened
	// come after the dated ones; equal dates keep the order added.
	Lots     []LotValue
	Quantity float64
	Cost     float64 // total cost of the lots (sum of Quantity*Cost), priced or not
	AvgCost  float64 // Cost / Quantity
	Price    float64 // NaN when unpriced
	Value    float64 // NaN when unpriced
	PnL      float64 // NaN when unpriced
	PnLPct   float64 // NaN when unpriced or the cost is 0
	Alloc    float64 // Value / the portfolio's Value; NaN when unpriced
}

// Priced reports whether the position has a price.
func (p *Position) Priced() bool { return !math.IsNaN(p.Price) }

// Portfolio is every position, largest value first (ties by symbol;
// unpriced ones last, by symbol), and the totals over the priced
// positions.
type Portfolio struct {
	Positions []Position
	Cost      float64 // of the priced positions
	Value     float64 // of the priced positions
	PnL       float64 // Value - Cost
	PnLPct    float64 // PnL / Cost; NaN when Cost is 0
	Unpriced  int     // positions with no price (their token is not in the market)
}

// ValuePortfolio values lots at the prices in snap (nil snap: all
// unpriced). Lots are grouped by symbol. A token is priced when the
// snapshot has it with a finite price above 0 and the position's value
// stays within MaxPositionValue; otherwise the position is unpriced: its
// Price, Value, PnL, PnLPct and Alloc (and its lots') are NaN, it counts
// in Unpriced and not in the totals. Lots that would fail Lot.Validate's
// number checks (quantity in (0, MaxQuantity], unit cost in [0,
// MaxUnitCost], NaN in neither) are left out, so costs stay finite. The Alloc of a lot or position is its Value
// over the portfolio's Value (0 when that is 0). Never returns an
// infinity; the NaNs are the documented ones.
func ValuePortfolio(lots []Lot, snap *Snapshot) Portfolio {
	nan := math.NaN()
	pf := Portfolio{PnLPct: nan}
	if len(lots) == 0 {
		return pf
	}
	// Group: positions in order of first appearance, then sorted.
	index := make(map[string]int)
	for i := range lots {
		l := &lots[i]
		if !(l.Quantity > 0 && l.Quantity <= MaxQuantity) || !(l.Cost >= 0 && l.Cost <= MaxUnitCost) {
			continue
		}
		k, ok := index[l.Symbol]
		if !ok {
			k = len(pf.Positions)
			index[l.Symbol] = k
			pf.Positions = append(pf.Positions, Position{Symbol: l.Symbol})
		}
		p := &pf.Positions[k]
		p.Lots = append(p.Lots, LotValue{Lot: *l})
	}
	// Many positions: index the snapshot once rather than search it each time.
	lookup := snap.Token
	if snap != nil && len(pf.Positions) > 8 {
		bySym := make(map[string]*TokenView, snap.Tokens.Len())
		for _, v := range snap.Tokens.All() {
			if _, dup := bySym[v.Symbol]; !dup {
				bySym[v.Symbol] = v
			}
		}
		lookup = func(sym string) *TokenView { return bySym[sym] }
	}
	for i := range pf.Positions {
		p := &pf.Positions[i]
		slices.SortStableFunc(p.Lots, func(a, b LotValue) int {
			az, bz := a.Opened.IsZero(), b.Opened.IsZero()
			switch {
			case az && bz:
				return 0
			case az:
				return 1
			case bz:
				return -1
			}
			return a.Opened.Compare(b.Opened)
		})
		for j := range p.Lots {
			p.Quantity += p.Lots[j].Quantity
			p.Cost += p.Lots[j].Quantity * p.Lots[j].Cost
		}
		p.AvgCost = p.Cost / p.Quantity
		price := nan
		if v := lookup(p.Symbol); v != nil {
			p.Name = v.Name
			if v.Price > 0 && !math.IsInf(v.Price, 1) && p.Quantity*v.Price <= MaxPositionValue {
				price = v.Price
			}
		}
		p.Price = price
		p.Value, p.PnL, p.PnLPct, p.Alloc = nan, nan, nan, nan
		for j := range p.Lots {
			lv := &p.Lots[j]
			lv.Price, lv.Value, lv.PnL, lv.PnLPct, lv.Alloc = price, nan, nan, nan, nan
		}
		if math.IsNaN(price) {
			pf.Unpriced++
			continue
		}
		p.Value = p.Quantity * price
		p.PnL = p.Value - p.Cost
		p.PnLPct = pctOf(p.PnL, p.Cost)
		for j := range p.Lots {
			lv := &p.Lots[j]
			cost := lv.Quantity * lv.Cost
			lv.Value = lv.Quantity * price
			lv.PnL = lv.Value - cost
			lv.PnLPct = pctOf(lv.PnL, cost)
		}
		pf.Cost += p.Cost
		pf.Value += p.Value
	}
	pf.PnL = pf.Value - pf.Cost
	pf.PnLPct = pctOf(pf.PnL, pf.Cost)
	for i := range pf.Positions {
		p := &pf.Positions[i]
		if !p.Priced() {
			continue
		}
		p.Alloc = share(p.Value, pf.Value)
		for j := range p.Lots {
			p.Lots[j].Alloc = share(p.Lots[j].Value, pf.Value)
		}
	}
	slices.SortFunc(pf.Positions, func(a, b Position) int {
		ap, bp := a.Priced(), b.Priced()
		switch {
		case ap && !bp:
			return -1
		case bp && !ap:
			return 1
		case ap && a.Value != b.Value:
			return -cmp.Compare(a.Value, b.Value)
		}
		return strings.Compare(a.Symbol, b.Symbol)
	})
	return pf
}

// pctOf is pnl/cost, NaN when cost is 0.
func pctOf(pnl, cost float64) float64 {
	if cost == 0 {
		return math.NaN()
	}
	return pnl / cost
}

// share is v/total, 0 when total is 0 (every priced value rounded to 0).
func share(v, total float64) float64 {
	if total == 0 {
		return 0
	}
	return v / total
}

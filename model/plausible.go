package model

// What the hub takes as a plausible number. One rule for every source
// (exchange frames, REST history, the warm cache, metadata): ValidCandle
// and Market.apply use these, and a value outside them is refused and
// counted (Snapshot.BadEvents and Snapshot.Implausible, and the hub's log)
// instead of reaching a chart or a column. docs/RELIABILITY.md says why
// each bound is where it is.
const (
	// MinPrice and MaxPrice bound any price in the quote currency (USD):
	// the cheapest tokens listed on the exchanges we read trade around
	// 1e-8, the dearest around 1e5. The bounds leave four orders of
	// magnitude on either side, and refuse what a broken frame gives
	// (1e59, 1e-61).
	MinPrice = 1e-12
	MaxPrice = 1e10

	// MaxTickJump: a live quote or trade more than this many times above
	// (or below 1/this of) the token's current price is refused. Between
	// two ticks real markets do not move 10x; a new listing can over
	// minutes, tick by tick, and a true new level is taken after
	// ReanchorAfter ticks that agree with each other (below).
	MaxTickJump = 10

	// MaxBarJump: a candle whose close is more than this many times away
	// from the token's current price, or whose high is more than this many
	// times its low, is refused. Wider than MaxTickJump because history
	// reaches back a year, where a token can be a few hundred times
	// cheaper than today.
	MaxBarJump = 1000

	// ReanchorAfter: this many prices in a row refused for a jump, each
	// within a factor of 2 of the first, are a new level, not noise: the
	// last is taken and becomes the reference. So a wrong first price (or
	// a real 10x listing pump) cannot lock a token out for good.
	ReanchorAfter = 5

	// MaxNotional bounds one trade's value (price x quantity) in the
	// quote currency: the largest real trades are in the hundreds of
	// millions.
	MaxNotional = 1e10

	// MaxBarTurnover bounds a candle's volume x close: a whole day of the
	// busiest pair turns over some tens of billions.
	MaxBarTurnover = 1e12

	// MaxMarketCap and MaxSupply bound metadata: the largest caps are a
	// few trillion, the largest supplies around 1e18 units.
	MaxMarketCap = 1e14
	MaxSupply    = 1e21
)

// PlausiblePrice says whether p is a price any token could have: finite,
// within [MinPrice, MaxPrice]. NaN is refused.
func PlausiblePrice(p float64) bool { return p >= MinPrice && p <= MaxPrice }

// near says whether v is within a factor x of ref (both positive).
func withinFactor(v, ref, x float64) bool { return v <= ref*x && v*x >= ref }

// plausibleAgainst says whether price may be taken for tk, whose current
// price is the reference (none yet: any plausible price is taken). A price
// refused for its jump counts towards a new level (ReanchorAfter); the
// one that completes it is taken.
func (tk *token) plausibleAgainst(price, x float64) bool {
	if tk == nil || !(tk.price > 0) || withinFactor(price, tk.price, x) {
		if tk != nil {
			tk.outlierN = 0
		}
		return true
	}
	if tk.outlierN > 0 && withinFactor(price, tk.outlier, 2) {
		tk.outlierN++
	} else {
		tk.outlier, tk.outlierN = price, 1
	}
	if tk.outlierN >= ReanchorAfter {
		tk.outlierN = 0
		return true
	}
	return false
}

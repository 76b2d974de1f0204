// Package demo is tokentop's built-in simulated market: a deterministic
// generator of quotes, trades and candles with a market's character (a
// shared market factor, volatility clustering, fat tails, volume that rises
// with big moves, whale trades, small-cap pump and dump episodes), and a
// Feed that paces it against the wall clock.
package demo

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tokentop/tokentop/model"
)

// Options configures the simulated market.
type Options struct {
	Seed   int64         // deterministic: same Seed and Options, same events
	Speed  float64       // time multiplier for Feed: 60 = one simulated minute per wall second (default 1)
	Start  time.Time     // simulated "now" at start (Feed default: wall now truncated to the minute; Generator default: 2026-11-02 14:30 UTC)
	Tokens int           // how many tokens (default: the 46 built-in; fewer: the largest of them; more: synthetic ones added, up to MaxTokens)
	Step   time.Duration // simulated time per generator step (default 1s)
}

// generatorStart is the Generator's start when Options.Start is zero: the
// generator never reads the wall clock, so its default must be fixed.
var generatorStart = time.Date(2026, time.November, 2, 14, 30, 0, 0, time.UTC)

const (
	historyHours = 30 * 24 // hourly bars before the last day
	marketDayVol = 0.025   // daily stdev of the shared market factor

	// GARCH(1,1) weights by bar width: variance' = (1-a-b)*mean + a*shock² + b*variance.
	garchMinuteA, garchMinuteB = 0.05, 0.94
	garchHourA, garchHourB     = 0.10, 0.86

	maxStepReturn = 0.4  // no single step moves a log price further
	maxShock      = 25   // clamp on a standardised shock
	quoteRate     = 0.15 // quotes per token per simulated second
	maxTradesStep = 400  // per token per step, whatever the Step

	// Pump and dump episodes (small caps only).
	pumpCapLimit  = 200e6       // market cap below which a token can be pumped
	pumpPerSecond = 1.0 / 14400 // episode starts per eligible token per second (one per 4h)
	pumpVol       = 2.5         // volatility multiplier while pumping
	dumpVol       = 1.8         // ... while dumping
	pumpActivity  = 9           // trading activity multiplier while pumping
	dumpActivity  = 4           // ... while dumping
)

// Generator is the pure, deterministic engine of the simulated market. It
// has no goroutines and never reads the wall clock. Not safe for concurrent
// use.
type Generator struct {
	rng    *rand.Rand
	tokens []token

	start      time.Time
	stepNs     int64
	nowNs      int64 // simulated now, Unix ns
	originNs   int64 // first hourly bar, Unix ns: episode times are seconds since this
	anchorSec  int64 // Start truncated to the minute, Unix seconds: end of the back history
	minute0Sec int64 // first 1-minute bar of the back history, Unix seconds (hour aligned)

	marketVar    float64 // per-second variance of the market factor (GARCH)
	marketMean   float64
	marketNoise  float64 // market noise since marketBarEnd-60s
	marketNoiseT float64 // seconds of it
	marketBarEnd int64   // Unix ns

	seed        uint64
	initial     []token // the tokens as at the start of the back history
	historyDone bool    // the back history has set the live state
}

// token is one simulated token's parameters and state.
type token struct {
	info model.TokenInfo

	beta        float64 // sensitivity to the market factor
	meanVar     float64 // long-run per-second idiosyncratic variance
	variance    float64 // current per-second idiosyncratic variance (GARCH)
	tradeRate   float64 // trades per second at normal activity
	avgNotional float64 // mean trade size, USD
	whaleMin    float64 // smallest whale trade, USD
	whaleRate   float64 // whale trades per second
	pumpRate    float64 // pump episode starts per second; 0 = never
	impactUSD   float64 // notional that would move the price by 100% (linear impact scale)
	halfSpread  float64 // fraction of the mid a taker pays

	logPrice float64
	ep       episode

	// The live 1-minute bar.
	barStartNs int64
	bar        model.Candle
	noise      float64 // idiosyncratic noise since bar start
	noiseT     float64 // seconds of it
}

// episode is a pump followed by a dump. Times are seconds since the
// generator's origin; drift rates are log-price per second.
type episode struct {
	start, pumpEnd, end float64
	up, down            float64
}

func (e *episode) active(at float64) bool { return e.end > at }

// overlap is the length of [a,b) inside [lo,hi).
func overlap(a, b, lo, hi float64) float64 {
	return max(0, min(b, hi)-max(a, lo))
}

// drift is the episode's log-price drift accumulated over [a,b).
func (e *episode) drift(a, b float64) float64 {
	return e.up*overlap(a, b, e.start, e.pumpEnd) - e.down*overlap(a, b, e.pumpEnd, e.end)
}

// multipliers returns the average variance and activity multipliers of
// the episode over [a,b).
func (e *episode) multipliers(a, b float64) (varMult, actMult float64) {
	if b <= a || e.end <= a || e.start >= b {
		return 1, 1
	}
	fp := overlap(a, b, e.start, e.pumpEnd) / (b - a)
	fd := overlap(a, b, e.pumpEnd, e.end) / (b - a)
	varMult = 1 + fp*(pumpVol*pumpVol-1) + fd*(dumpVol*dumpVol-1)
	actMult = 1 + fp*(pumpActivity-1) + fd*(dumpActivity-1)
	return varMult, actMult
}

// NewGenerator builds the simulated market for opts. It does no simulation
// yet: the back history is simulated on the first History or Step.
func NewGenerator(opts Options) *Generator {
	opts = opts.withDefaults()
	if opts.Start.IsZero() {
		opts.Start = generatorStart
	}
	seed := uint64(opts.Seed)
	g := &Generator{
		seed:   seed,
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		start:  opts.Start,
		stepNs: int64(opts.Step),
		nowNs:  opts.Start.UnixNano(),
	}
	startSec := opts.Start.Unix()
	g.anchorSec = floorDiv(startSec, 60) * 60
	g.minute0Sec = floorDiv(g.anchorSec-86400, 3600) * 3600
	g.originNs = (g.minute0Sec - historyHours*3600) * 1e9
	g.marketMean = marketDayVol * marketDayVol / 86400
	g.marketVar = g.marketMean
	g.marketBarEnd = (g.anchorSec + 60) * 1e9

	list := slices.Clone(listings[:])
	byCap := func(a, b listing) int { return cmp.Compare(b.Supply*b.Price, a.Supply*a.Price) }
	slices.SortStableFunc(list, byCap)
	chars := map[string]character{}
	switch n := min(opts.Tokens, MaxTokens); {
	case n > len(list):
		for _, s := range syntheticListings(n - len(list)) {
			list = append(list, s.listing)
			chars[s.Symbol] = s.character
		}
		slices.SortStableFunc(list, byCap)
	case n > 0:
		list = list[:n]
	}
	g.tokens = make([]token, len(list))
	for i, l := range list {
		g.tokens[i] = newToken(l, chars[l.Symbol])
	}
	g.initial = slices.Clone(g.tokens)
	return g
}

func (o Options) withDefaults() Options {
	if !(o.Speed > 0) || math.IsInf(o.Speed, 0) {
		o.Speed = 1
	}
	if o.Step <= 0 {
		o.Step = time.Second
	}
	return o
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// newToken derives a token's market character from its size: the smaller
// the cap, the higher its beta and volatility, the fewer and smaller its
// trades.
func newToken(l listing, ch character) token {
	mcap := l.Supply * l.Price
	// size: 0 for a $10M token, 1 for a ~$3T one.
	size := min(1, max(0, (math.Log10(mcap)-7)/5.5))
	volMult, actMult := ch.vol, ch.activity
	if !(volMult > 0) {
		volMult = 1
	}
	if !(actMult > 0) {
		actMult = 1
	}
	idioDayVol := (0.09 - 0.082*size) * volMult
	t := token{
		info:        model.TokenInfo{Symbol: l.Symbol, Name: l.Name, MarketCap: mcap, Supply: l.Supply},
		beta:        1.9 - 0.9*size,
		meanVar:     idioDayVol * idioDayVol / 86400,
		tradeRate:   0.25 * math.Pow(10, 1.7*size) * actMult,
		avgNotional: 150 * math.Pow(10, 1.4*size),
		logPrice:    math.Log(l.Price),
	}
	t.variance = t.meanVar
	switch {
	case mcap >= 1e9:
		t.whaleMin = 100_000
	case mcap >= 100e6:
		t.whaleMin = 40_000
	default:
		t.whaleMin = 15_000
	}
	if mcap >= 10e9 {
		t.whaleRate = 4.0 / 3600
	} else {
		t.whaleRate = 2.0 / 3600
	}
	if mcap < pumpCapLimit {
		t.pumpRate = pumpPerSecond
	}
	// Price impact is linear and small: a whale worth 10% of an hour's
	// normal volume moves the price by 1% (capped at 2% in Step).
	t.impactUSD = t.tradeRate * t.avgNotional * 3600 * 10
	t.halfSpread = 0.00005 + 0.0025*(1-size)
	return t
}

// Universe is the simulated tokens' metadata at Start, largest first.
func (g *Generator) Universe() []model.TokenInfo {
	out := make([]model.TokenInfo, len(g.tokens))
	for i := range g.tokens {
		out[i] = g.tokens[i].info
	}
	return out
}

// Now is the simulated time: Start, plus Step for every Step taken.
func (g *Generator) Now() time.Time {
	return g.start.Add(time.Duration(g.nowNs - g.start.UnixNano()))
}

// secs is t (Unix ns) in seconds since the generator's origin.
func (g *Generator) secs(tNs int64) float64 { return float64(tNs-g.originNs) / 1e9 }

// shock is a fat-tailed standardised shock: Student-t with 6 degrees of
// freedom scaled to unit variance (kurtosis 6), clamped.
func (g *Generator) shock() float64 { return shock(g.rng) }

func shock(r *rand.Rand) float64 {
	u := (1 - r.Float64()) * (1 - r.Float64()) * (1 - r.Float64())
	chi2 := -2 * math.Log(u) // chi-squared, 6 degrees of freedom
	if chi2 < 1e-9 {
		chi2 = 1e-9
	}
	z := r.NormFloat64() * math.Sqrt(4/chi2)
	return max(-maxShock, min(maxShock, z))
}

// poisson draws a Poisson count with the given mean (normal approximation
// for large means).
func (g *Generator) poisson(mean float64) int {
	if !(mean > 0) {
		return 0
	}
	if mean > 30 {
		n := math.Round(mean + math.Sqrt(mean)*g.rng.NormFloat64())
		return int(max(0, n))
	}
	limit := math.Exp(-mean)
	n, p := 0, g.rng.Float64()
	for p > limit {
		n++
		p *= g.rng.Float64()
	}
	return n
}

// notional draws a trade size in USD: lognormal around avg.
func notional(r *rand.Rand, avg float64) float64 {
	const s = 1.0
	return avg * math.Exp(s*r.NormFloat64()-s*s/2)
}

// maybeStartEpisode starts a pump on t somewhere in [a,b) with the
// probability its rate gives, drawing from r.
func maybeStartEpisode(r *rand.Rand, t *token, a, b float64) {
	if t.pumpRate == 0 || t.ep.active(a) {
		return
	}
	if r.Float64() >= -math.Expm1(-t.pumpRate*(b-a)) {
		return
	}
	perMinute := 0.02 + 0.04*r.Float64() // +2% to +6% a minute
	pumpMin := 6 + 14*r.Float64()
	dumpMin := 20 + 70*r.Float64()
	giveBack := 0.7 + 0.4*r.Float64() // the dump may overshoot
	start := a + (b-a)*r.Float64()
	up := math.Log1p(perMinute) / 60
	t.ep = episode{
		start:   start,
		pumpEnd: start + pumpMin*60,
		end:     start + (pumpMin+dumpMin)*60,
		up:      up,
		down:    giveBack * up * pumpMin / dumpMin,
	}
}

// activity is how busy trading is, relative to normal: it rises with the
// volatility regime and with the size of the move (noise against its
// expected stdev).
func (t *token) activity(noise, stdev float64) float64 {
	z := 0.0
	if stdev > 0 {
		z = min(8, math.Abs(noise)/stdev)
	}
	return (0.4 + 0.6*math.Sqrt(t.variance/t.meanVar)) * (0.6 + 0.5*z)
}

// garch updates a per-second variance with the noise seen over dt seconds.
func garch(variance, mean, noise, dt, a, b float64) float64 {
	v := (1-a-b)*mean + a*noise*noise/dt + b*variance
	return min(mean*100, max(mean*0.05, v))
}

func clampReturn(r float64) float64 {
	if r != r { // NaN
		return 0
	}
	return max(-maxStepReturn, min(maxStepReturn, r))
}

package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tokentop/tokentop/internal/safetext"
)

// The ratings engine: tokentop's own transparent model (docs/RATINGS.md).
// It runs inside the hub goroutine, on the market clock, on a schedule
// (never per event): Trader Grades, signals and moonshots every
// RatingsOptions.TraderEvery, Investor Grades every InvestorEvery.

// Engine constants (docs/RATINGS.md explains each).
const (
	gradeHistoryHours  = 24*7 + 1 // hourly grade history per token: 7 days and the hour now
	maxFlips           = 50       // signal flips kept per token
	minUniverse        = 5        // tokens a factor needs to be compared across
	minTraderFactors   = 4        // of the 7 Trader Grade factors
	minInvestorFactors = 3        // of the 6 Investor Grade factors
	traderHistory      = 24 * 3600
	investorHistory    = 30 * 86400
	traderStaleAfter   = 3600  // seconds without a price before a Trader Grade is withdrawn
	investorStaleAfter = 86400 // ... an Investor Grade
	gradeEpsilon       = 0.05  // a published grade is replaced when it moves this much
	returnEpsilon      = 0.0005
	riseWindow         = 60 // minutes over which a moonshot's grade rise is measured

	// DefaultMoonshotCooldown is how long a token must wait after a pick
	// closes before it can be picked again.
	DefaultMoonshotCooldown = 24 * time.Hour
)

// DefaultRatingsOptions are the engine's documented defaults.
func DefaultRatingsOptions() RatingsOptions {
	return RatingsOptions{
		TraderEvery:   time.Second,
		InvestorEvery: time.Minute,
		Trader: TraderWeights{
			Momentum1h: 0.15, Momentum4h: 0.15, Momentum24h: 0.15,
			Trend: 0.15, RSI: 0.10, VolumeSurge: 0.10, RiskAdjusted: 0.20,
		},
		Investor: InvestorWeights{
			Return30d: 0.25, Return90d: 0.15, Drawdown: 0.15,
			Volatility: 0.15, Liquidity: 0.15, Size: 0.15,
		},
		BullishEnter: 65, BullishExit: 55,
		BearishEnter: 35, BearishExit: 45,
		MoonshotMaxCap:   50e6,
		MoonshotMinGrade: 75,
		MoonshotMinRise:  15,
		MoonshotMinSurge: 3,
		ExitGrade:        45,
		StopLoss:         -0.25,
		MaxAge:           7 * 24 * time.Hour,
		MaxPast:          200,
		Cooldown:         DefaultMoonshotCooldown,
	}
}

// withDefaults fills zero (and unusable) fields with the defaults. All-zero
// weights take the default weights; otherwise a zero weight drops its
// factor and a negative or non-finite one counts as zero. Hysteresis
// thresholds that are out of order (BearishEnter <= BearishExit <=
// BullishExit <= BullishEnter, all within 0..100) take the defaults.
func (o RatingsOptions) withDefaults() RatingsOptions {
	d := DefaultRatingsOptions()
	if o.TraderEvery <= 0 {
		o.TraderEvery = d.TraderEvery
	}
	if o.InvestorEvery <= 0 {
		o.InvestorEvery = d.InvestorEvery
	}
	tw := traderWeightList(o.Trader)
	if sumWeights(tw[:]) == 0 {
		o.Trader = d.Trader
	}
	iw := investorWeightList(o.Investor)
	if sumWeights(iw[:]) == 0 {
		o.Investor = d.Investor
	}
	if o.BullishEnter == 0 && o.BullishExit == 0 && o.BearishEnter == 0 && o.BearishExit == 0 {
		o.BullishEnter, o.BullishExit, o.BearishEnter, o.BearishExit = d.BullishEnter, d.BullishExit, d.BearishEnter, d.BearishExit
	}
	if !(0 <= o.BearishEnter && o.BearishEnter <= o.BearishExit && o.BearishExit <= o.BullishExit &&
		o.BullishExit <= o.BullishEnter && o.BullishEnter <= 100) {
		o.BullishEnter, o.BullishExit, o.BearishEnter, o.BearishExit = d.BullishEnter, d.BullishExit, d.BearishEnter, d.BearishExit
	}
	posOr := func(v *float64, def float64) {
		if !(*v > 0) || math.IsInf(*v, 0) {
			*v = def
		}
	}
	posOr(&o.MoonshotMaxCap, d.MoonshotMaxCap)
	posOr(&o.MoonshotMinGrade, d.MoonshotMinGrade)
	posOr(&o.MoonshotMinRise, d.MoonshotMinRise)
	posOr(&o.MoonshotMinSurge, d.MoonshotMinSurge)
	posOr(&o.ExitGrade, d.ExitGrade)
	if !(o.StopLoss < 0 && o.StopLoss > -1) {
		o.StopLoss = d.StopLoss
	}
	if o.MaxAge <= 0 {
		o.MaxAge = d.MaxAge
	}
	if o.MaxPast <= 0 {
		o.MaxPast = d.MaxPast
	}
	if o.Cooldown <= 0 {
		o.Cooldown = d.Cooldown
	}
	return o
}

func cleanWeight(w float64) float64 {
	if !(w > 0) || math.IsInf(w, 0) {
		return 0
	}
	return w
}

func sumWeights(ws []float64) float64 {
	s := 0.0
	for _, w := range ws {
		s += cleanWeight(w)
	}
	return s
}

func traderWeightList(w TraderWeights) [nTrader]float64 {
	return [nTrader]float64{w.Momentum1h, w.Momentum4h, w.Momentum24h, w.Trend, w.RSI, w.VolumeSurge, w.RiskAdjusted}
}

func investorWeightList(w InvestorWeights) [nInvestor]float64 {
	return [nInvestor]float64{w.Return30d, w.Return90d, w.Drawdown, w.Volatility, w.Liquidity, w.Size}
}

// BandOf is the label of a grade: Strong Bullish from 80, Bullish from 60,
// Neutral from 40, Bearish from 20, Strong Bearish below (and for NaN).
func BandOf(v float64) Band {
	switch {
	case v >= 80:
		return StrongBullish
	case v >= 60:
		return Bullish
	case v >= 40:
		return Neutral
	case v >= 20:
		return Bearish
	default:
		return StrongBearish
	}
}

// NextSignal is the signal after cur given a new Trader Grade g, with the
// hysteresis of o: a grade at or above BullishEnter is bullish, at or below
// BearishEnter bearish (from any state, so a crash flips bullish straight
// to bearish); a bullish signal falls back to neutral only below
// BullishExit, a bearish one only above BearishExit. An absent grade keeps
// the signal. o should have its defaults applied.
func NextSignal(cur Signal, g float64, o RatingsOptions) Signal {
	switch {
	case math.IsNaN(g):
		return cur
	case g >= o.BullishEnter:
		return SignalBullish
	case g <= o.BearishEnter:
		return SignalBearish
	case cur == SignalBullish && g < o.BullishExit:
		return SignalNeutral
	case cur == SignalBearish && g > o.BearishExit:
		return SignalNeutral
	}
	return cur
}

// whyKind says why a grade is absent (or that it is not).
type whyKind uint8

const (
	whyOK whyKind = iota
	whyNotYet
	whyNoPrice
	whyStale
	whyShortHistory
	whyFewTokens
	whyFewFactors
)

// why is a grade's state in numbers; its text is formatted only when it
// changes, so an unchanged absent grade costs no allocation.
type why struct {
	kind whyKind
	a, b int64
}

func (w why) String(needHistory int64) string {
	switch w.kind {
	case whyNotYet:
		return "not rated yet"
	case whyNoPrice:
		return "no price yet"
	case whyStale:
		return "no price for " + fmtSpan(w.a)
	case whyShortHistory:
		return fmt.Sprintf("needs %s of history, has %s", fmtSpan(needHistory), fmtSpan(w.a))
	case whyFewTokens:
		return fmt.Sprintf("needs %d tokens with enough history to compare, has %d", minUniverse, w.a)
	case whyFewFactors:
		return fmt.Sprintf("only %d of %d factors known, needs %d", w.a, w.b, minFactorsFor(int(w.b), needHistory))
	}
	return ""
}

func minFactorsFor(on int, needHistory int64) int {
	if needHistory == traderHistory {
		return min(minTraderFactors, on)
	}
	return min(minInvestorFactors, on)
}

// fmtSpan writes seconds as "40m", "3h" or "12d" (rounded down).
func fmtSpan(sec int64) string {
	switch {
	case sec < 3600:
		return fmt.Sprintf("%dm", max(sec, 0)/60)
	case sec < 48*3600:
		return fmt.Sprintf("%dh", sec/3600)
	default:
		return fmt.Sprintf("%dd", sec/86400)
	}
}

// gradeState is one grade of one token: what the engine computed last and
// what it published.
type gradeState struct {
	x      [nFactorsMax]float64 // transformed factor values; NaN = unknown
	raw    [nFactorsMax]float64 // raw factor values; NaN = unknown
	value  float64              // last computed grade, NaN if absent
	why    why                  // last computed state
	pub    Grade                // published
	pubWhy why
	hist   [gradeHistoryHours]float32 // hourly, by Unix hour mod len (histHead's window)
	// histHead is the newest Unix hour stored; older slots in the window
	// hold their hour's grade or NaN (cleared as the head moves on).
	histHead int32
}

// tokenRating is the ratings state of one token, owned by the hub.
type tokenRating struct {
	trader, investor gradeState

	// Trader Grade by minute over the last hour (for a moonshot's rise),
	// by Unix minute mod len, recentHead the newest minute stored.
	recent     [riseWindow]float32
	recentHead int32

	signal     Signal
	flips      []SignalFlip // oldest first, at most maxFlips; grown as flips come (most tokens flip a few times)
	signalsPub []SignalFlip // published, newest first

	picked   bool  // an open moonshot
	lastExit int64 // Unix ns of the last pick's exit; 0 = never

	official *OfficialRating
}

func (r *tokenRating) init() {
	for _, g := range []*gradeState{&r.trader, &r.investor} {
		g.value = math.NaN()
		g.why = why{kind: whyNotYet}
		g.pubWhy = g.why
		g.pub = NoGrade("not rated yet")
		for i := range g.x {
			g.x[i], g.raw[i] = math.NaN(), math.NaN()
		}
		clearTimeRing(g.hist[:], &g.histHead)
	}
	clearTimeRing(r.recent[:], &r.recentHead)
}

// A time ring keeps a float32 per unit of time (an hour, a minute) for the
// last len(vals) units up to its head, by unit mod len; NaN where nothing
// was stored. 4 bytes a value, no time stamps.
const noHead = math.MinInt32

func clearTimeRing(vals []float32, head *int32) {
	for i := range vals {
		vals[i] = float32(math.NaN())
	}
	*head = noHead
}

func timeSlot(at int32, n int) int {
	i := int(at) % n
	if i < 0 {
		i += n
	}
	return i
}

// putTimeRing stores v for unit at, moving the head on (and clearing the
// units skipped); a unit older than the window is dropped.
func putTimeRing(vals []float32, head *int32, at int32, v float32) {
	n := int32(len(vals))
	switch {
	case *head == noHead || at-*head >= n:
		clearTimeRing(vals, head)
		*head = at
	case at > *head:
		for u := *head + 1; u < at; u++ {
			vals[timeSlot(u, len(vals))] = float32(math.NaN())
		}
		*head = at
	case at <= *head-n:
		return
	}
	vals[timeSlot(at, len(vals))] = v
}

// timeRingAt is the value stored for unit at (NaN when none).
func timeRingAt(vals []float32, head int32, at int32) float32 {
	if head == noHead || at > head || at <= head-int32(len(vals)) {
		return float32(math.NaN())
	}
	return vals[timeSlot(at, len(vals))]
}

// factorDef describes one factor: its name and unit as shown, and the
// smallest spread its normalisation assumes (in transformed units), so a
// universe moving in lockstep does not blow rounding noise up into grades.
type factorDef struct {
	name     string
	unit     string
	minScale float64
}

const (
	nTrader     = 7
	nInvestor   = 6
	nFactorsMax = 7
)

var traderDefs = [nTrader]factorDef{
	{"momentum 1h", "%", 1e-4},
	{"momentum 4h", "%", 2e-4},
	{"momentum 24h", "%", 5e-4},
	{"trend 1h/24h", "%", 2e-4},
	{"RSI(14) 5m", "", 1},
	{"volume surge 15m", "x", 0.02},
	{"risk-adjusted 24h", "", 0.02},
}

var investorDefs = [nInvestor]factorDef{
	{"return 30d", "%", 1e-3},
	{"return 90d", "%", 1e-3},
	{"max drawdown 90d", "%", 1e-3},
	{"volatility 90d", "%", 1e-2},
	{"liquidity 24h", "$", 0.05},
	{"size", "$", 0.05},
}

// ratingsEngine is the Market's ratings state beyond the tokens.
type ratingsEngine struct {
	opts      RatingsOptions
	traderW   [nTrader]float64
	investorW [nInvestor]float64

	nextTrader, lastTrader     int64 // Unix ns, market clock
	nextInvestor, lastInvestor int64
	ran                        bool

	// Buffers reused by every recompute.
	vals, scratch []float64
	center, scale [nFactorsMax]float64
	usable        [nFactorsMax]bool
	factors       [nFactorsMax]Factor
	minBuf        [traderMinutes]float64
	hourBuf       [traderHours]float64
	invBuf        [investorDays]float64
	volBuf        [surgeHours]float64

	open    []Moonshot // open picks, oldest first
	openTok []*token
	openPub []Moonshot // published, newest first
	past    []Moonshot // published, newest exit first (a new slice per exit)
	track   TrackRecord

	// Restored from the journal (persist.go) for tokens not seen yet;
	// each token takes its part when it first appears (adoptJournal).
	pendingFlips map[string][]SignalFlip // newest first
	pendingExit  map[string]int64        // Unix ns of the latest exit
	pendingOpen  int                     // open picks whose openTok is still nil
}

func newRatingsEngine(o RatingsOptions) ratingsEngine {
	o = o.withDefaults()
	e := ratingsEngine{opts: o}
	tw, iw := traderWeightList(o.Trader), investorWeightList(o.Investor)
	for i := range tw {
		e.traderW[i] = cleanWeight(tw[i])
	}
	for i := range iw {
		e.investorW[i] = cleanWeight(iw[i])
	}
	e.track = summarise(nil)
	return e
}

// rateDue recomputes whatever ratings are due at now (Unix ns, market clock).
// A clock that went backwards makes everything due at once.
//
// Two things bend the schedule around a feed's back history. While every
// feed is still connecting (delivering its history) and none has gone live
// yet, nothing is graded (unless a warm-start cache was applied, or for at
// most maxHistoryWait publishes): grades of a half-loaded universe would be
// wrong, and a signal flip recorded from them would be false. And when
// back-history bars arrived since the last recompute, both grades are due
// at once (at most every historyRegrade publishes), so a backfill shows in
// the Investor Grade without waiting for its minute.
func (m *Market) rateDue(now int64) {
	if m.historyLoading() {
		return
	}
	e := &m.rt
	if m.histDirty && m.histWait <= 0 {
		e.nextInvestor, e.nextTrader = now, now
		m.histDirty, m.histWait = false, historyRegrade
	}
	if !e.ran || now >= e.nextInvestor || now < e.lastInvestor {
		m.recomputeInvestor(now)
		e.lastInvestor, e.nextInvestor = now, now+int64(e.opts.InvestorEvery)
	}
	if !e.ran || now >= e.nextTrader || now < e.lastTrader {
		m.recomputeTrader(now)
		e.lastTrader, e.nextTrader = now, now+int64(e.opts.TraderEvery)
	}
	e.ran = true
}

// Publishes ratings wait for a feed's back history, at most; and between
// recomputes brought forward by back-history bars, at least.
const (
	maxHistoryWait = 100 // 10 s at the default PublishEvery
	historyRegrade = 10  // 1 s
)

// historyLoading reports whether ratings should wait for the back history:
// feeds have reported, all are connecting, none has been live, no warm
// cache speaks for the market, and the wait is not over.
func (m *Market) historyLoading() bool {
	if m.everLive || len(m.feeds) == 0 || !m.warmSaved.IsZero() || m.historyWaited >= maxHistoryWait {
		return false
	}
	for _, f := range m.feeds {
		if f.State != FeedConnecting {
			return false
		}
	}
	return true
}

// historyStart is when the token's history begins: the start of the
// oldest bar stored, where a rolled-up bar counts from its earliest finer
// bar (a day bar rolled up from three hours of minutes speaks for three
// hours, not a day).
func historyStart(s *Series) (int64, bool) {
	start, ok := int64(0), false
	for res := range s.rings {
		r := &s.rings[res]
		if !r.has {
			continue
		}
		t := r.tail
		if _, i, in := r.get(t); in {
			t = s.effectiveStart(Resolution(res), i)
		}
		if !ok || t < start {
			start, ok = t, true
		}
	}
	return start, ok
}

// eligibility decides whether tk can be graded at all at now (Unix ns).
func eligibility(tk *token, now, needHistory, staleAfter int64) why {
	if !(tk.price > 0) || tk.last <= 0 {
		return why{kind: whyNoPrice}
	}
	if age := (now - tk.last) / 1e9; age > staleAfter {
		return why{kind: whyStale, a: age}
	}
	start, ok := historyStart(tk.series)
	if !ok {
		return why{kind: whyShortHistory}
	}
	if span := tk.last/1e9 - start; span < needHistory {
		return why{kind: whyShortHistory, a: span}
	}
	return why{kind: whyOK}
}

// recomputeTrader computes every token's Trader Grade, then its signal and
// the moonshots.
func (m *Market) recomputeTrader(now int64) {
	e := &m.rt
	for _, tk := range m.list {
		g := &tk.r.trader
		g.why = eligibility(tk, now, traderHistory, traderStaleAfter)
		if g.why.kind == whyOK {
			e.traderFactors(tk, &g.raw, &g.x)
		}
	}
	m.grade(now, e.traderW[:], traderDefs[:], traderHistory, func(tk *token) *gradeState { return &tk.r.trader })
	nowMin := int32(now / 60e9)
	for _, tk := range m.list {
		r := &tk.r
		v := r.trader.value
		putTimeRing(r.recent[:], &r.recentHead, nowMin, float32(v))
		m.updateSignal(tk, now)
	}
	m.updateMoonshots(now)
}

// recomputeInvestor computes every token's Investor Grade.
func (m *Market) recomputeInvestor(now int64) {
	e := &m.rt
	for _, tk := range m.list {
		g := &tk.r.investor
		g.why = eligibility(tk, now, investorHistory, investorStaleAfter)
		if g.why.kind == whyOK {
			e.investorFactors(tk, &g.raw, &g.x)
		}
	}
	m.grade(now, e.investorW[:], investorDefs[:], investorHistory, func(tk *token) *gradeState { return &tk.r.investor })
}

// grade normalises each factor across the eligible tokens, combines the
// scores into grades and publishes the ones that changed.
func (m *Market) grade(now int64, weights []float64, defs []factorDef, needHistory int64, state func(*token) *gradeState) {
	e := &m.rt
	nf := len(weights)
	on := 0
	for _, w := range weights {
		if w > 0 {
			on++
		}
	}
	eligible := 0
	for _, tk := range m.list {
		if state(tk).why.kind == whyOK {
			eligible++
		}
	}
	for f := 0; f < nf; f++ {
		e.usable[f] = false
		if weights[f] == 0 {
			continue
		}
		vals := e.vals[:0]
		for _, tk := range m.list {
			g := state(tk)
			if g.why.kind == whyOK && !math.IsNaN(g.x[f]) {
				vals = append(vals, g.x[f])
			}
		}
		e.vals = vals
		if len(vals) < minUniverse {
			continue
		}
		if cap(e.scratch) < len(vals) {
			e.scratch = make([]float64, len(vals), cap(vals))
		}
		e.center[f], e.scale[f] = robustCenterScale(vals, e.scratch[:len(vals)], defs[f].minScale)
		e.usable[f] = true
	}
	hour := int32(now / 3600e9)
	for _, tk := range m.list {
		g := state(tk)
		g.value = math.NaN()
		nfac := 0
		if g.why.kind == whyOK && eligible < minUniverse {
			g.why = why{kind: whyFewTokens, a: int64(eligible)}
		}
		if g.why.kind == whyOK {
			present, wsum := 0, 0.0
			for f := 0; f < nf; f++ {
				if weights[f] == 0 {
					continue
				}
				fa := &e.factors[nfac]
				nfac++
				*fa = Factor{Name: defs[f].name, Unit: defs[f].unit, Raw: g.raw[f], Score: math.NaN()}
				if !e.usable[f] || math.IsNaN(g.x[f]) {
					continue
				}
				fa.Score = scoreOf(g.x[f], e.center[f], e.scale[f])
				fa.Weight = weights[f]
				wsum += weights[f]
				present++
			}
			if present < min(on, minFactorsFor(on, needHistory)) || present == 0 {
				g.why = why{kind: whyFewFactors, a: int64(present), b: int64(on)}
			} else {
				v := 0.0
				for i := 0; i < nfac; i++ {
					fa := &e.factors[i]
					if math.IsNaN(fa.Score) {
						continue
					}
					fa.Weight /= wsum
					fa.Contribution = fa.Weight * fa.Score
					v += fa.Contribution
				}
				g.value = clampGrade(v)
			}
		}
		// Hourly history, then the published grade.
		putTimeRing(g.hist[:], &g.histHead, hour, float32(g.value))
		if m.publishGrade(g, hour, needHistory, nfac) {
			tk.changed, m.dirty = true, true
		}
	}
}

// publishGrade replaces g.pub when the grade moved enough to show; it
// reports whether it did. Factor slices are allocated only then.
func (m *Market) publishGrade(g *gradeState, hour int32, needHistory int64, nfac int) bool {
	if g.why.kind != whyOK {
		if g.pubWhy == g.why && !g.pub.Present() {
			return false
		}
		g.pub, g.pubWhy = NoGrade(g.why.String(needHistory)), g.why
		return true
	}
	ch24, ch7 := g.change(hour, 24), g.change(hour, 24*7)
	p := &g.pub
	if p.Present() && math.Abs(p.Value-g.value) < gradeEpsilon && BandOf(g.value) == p.Band &&
		sameish(p.Change24h, ch24) && sameish(p.Change7d, ch7) {
		return false
	}
	factors := make([]Factor, nfac)
	copy(factors, m.rt.factors[:nfac])
	g.pub = Grade{Value: g.value, Band: BandOf(g.value), Factors: frozen(factors), Change24h: ch24, Change7d: ch7}
	g.pubWhy = g.why
	return true
}

// change is the grade now minus the grade back hours ago (NaN if unknown).
func (g *gradeState) change(hour int32, back int32) float64 {
	then := float64(timeRingAt(g.hist[:], g.histHead, hour-back))
	if math.IsNaN(then) || math.IsNaN(g.value) {
		return math.NaN()
	}
	return g.value - then
}

func sameish(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) == math.IsNaN(b)
	}
	return math.Abs(a-b) < gradeEpsilon
}

func clampGrade(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return math.NaN()
	case v < 0:
		return 0
	case v > 100:
		return 100
	}
	return v
}

// robustCenterScale returns the median of vals and their spread: 1.4826 x
// the median absolute deviation (the standard deviation for normal data),
// else 1.2533 x the mean absolute deviation when more than half the values
// are equal, and never less than minScale. vals is reordered; scratch has
// len(vals).
func robustCenterScale(vals, scratch []float64, minScale float64) (center, scale float64) {
	slices.Sort(vals)
	center = median(vals)
	meanAD := 0.0
	for i, v := range vals {
		d := math.Abs(v - center)
		scratch[i] = d
		meanAD += d
	}
	meanAD /= float64(len(vals))
	slices.Sort(scratch)
	scale = 1.4826 * median(scratch)
	if !(scale >= minScale) {
		scale = max(1.2533*meanAD, minScale)
	}
	if math.IsInf(scale, 0) || math.IsNaN(scale) {
		scale = math.MaxFloat64
	}
	return center, scale
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return sorted[n/2-1]/2 + sorted[n/2]/2
}

// scoreOf maps a robust z-score to 0..100 through the normal distribution:
// the median scores 50, one spread above 84, two above 98.
func scoreOf(x, center, scale float64) float64 {
	z := (x - center) / scale
	if math.IsNaN(z) {
		return 50
	}
	z = max(-40, min(40, z))
	return clampGrade(50 * math.Erfc(-z/math.Sqrt2))
}

// updateSignal moves tk's signal by the hysteresis rule, records a flip and
// keeps the latest flip's return live.
func (m *Market) updateSignal(tk *token, now int64) {
	r := &tk.r
	g := r.trader.value
	next := NextSignal(r.signal, g, m.rt.opts)
	flipped := false
	if next != r.signal {
		if n := len(r.flips); n > 0 {
			prev := &r.flips[n-1]
			prev.Return = flipReturn(*prev, tk.price)
		}
		if len(r.flips) == maxFlips {
			copy(r.flips, r.flips[1:])
			r.flips = r.flips[:maxFlips-1]
		}
		r.flips = append(r.flips, SignalFlip{Time: time.Unix(0, now), From: r.signal, To: next, Price: tk.price, Grade: g})
		r.signal = next
		flipped = true
	}
	n := len(r.flips)
	if n == 0 {
		return
	}
	latest := &r.flips[n-1]
	latest.Return = flipReturn(*latest, tk.price)
	if !flipped {
		old := r.signalsPub[0].Return
		if math.IsNaN(latest.Return) || math.Abs(old-latest.Return) < returnEpsilon {
			return
		}
	}
	pub := make([]SignalFlip, n)
	for i := range pub {
		pub[i] = r.flips[n-1-i]
	}
	r.signalsPub = pub
	tk.changed, m.dirty = true, true
}

// flipReturn is the move from the flip's price to price, signed in the
// direction of the call; NaN for a flip to neutral.
func flipReturn(f SignalFlip, price float64) float64 {
	if f.To == SignalNeutral || !(f.Price > 0) || !(price > 0) {
		return math.NaN()
	}
	r := price/f.Price - 1
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return math.NaN()
	}
	if f.To == SignalBearish {
		r = -r
	}
	return r
}

// setOfficial stores an outside provider's rating for tk, cleaned: the
// provider's name sanitised, grades outside 0..100 (or not finite) dropped
// to NaN, an unknown signal dropped.
func (tk *token) setOfficial(o *OfficialRating, at int64) {
	c := *o
	c.Provider = strings.TrimSpace(safetext.Line(c.Provider, 40))
	c.TMGrade = cleanGrade(c.TMGrade)
	c.TraderGrade = cleanGrade(c.TraderGrade)
	c.InvestorGrade = cleanGrade(c.InvestorGrade)
	if c.Signal < SignalBearish || c.Signal > SignalBullish {
		c.Signal, c.HasSignal = SignalNeutral, false
	}
	if c.Updated.IsZero() && at > 0 {
		c.Updated = time.Unix(0, at)
	}
	tk.r.official = &c
}

func cleanGrade(v float64) float64 {
	if !(v >= 0 && v <= 100) {
		return math.NaN()
	}
	return v
}

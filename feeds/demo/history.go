package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/tokentop/tokentop/model"
)

// bar is one simulated bar in log prices relative to the token's starting
// point, and its volume in USD (converted to the base asset on emission,
// once the path's offset is known).
type bar struct{ o, h, l, c, usd float64 }

// The back history is emitted at the resolutions the market keeps (see
// model.Series): 4-hour bars up to 8 days before the last day, hourly bars
// for those 8 days, then the last day in 5-minute bars up to the minutes a
// Series keeps before Start and 1-minute bars for those. It is simulated at
// hourly and 1-minute steps, as before, and aggregated.
const (
	hourlyHours = 8 * 24               // hours before the last day sent as 1-hour bars; older ones as 4-hour bars
	minuteTail  = model.MinuteBars - 1 // minutes before Start sent as 1-minute bars (at least; from a 5-minute boundary)
)

// marketPath is the shared market factor over the back history: for each
// hourly and minute bar, its shock and the factor's variance before it.
type marketPath struct {
	hourShock, hourVar     []float64
	minuteShock, minuteVar []float64
	endVar                 float64
}

// histScratch is one token's simulated history, reused token to token.
type histScratch struct {
	hours, minutes []bar
}

// streamOf is the seed of a token's own random stream during the back
// history: from the generator's seed and the token's symbol, so a token's
// history does not depend on which other tokens are simulated.
func streamOf(seed uint64, symbol string) (uint64, uint64) {
	h := fnv.New64a()
	h.Write([]byte(symbol))
	return seed ^ 0x5851f42d4c957f2d, h.Sum64()
}

// ensureHistory runs the back history once, without emitting it, so the
// live market starts where the history ends (Step without History).
func (g *Generator) ensureHistory() {
	if !g.historyDone {
		g.simulateHistory(nil)
	}
}

// History emits the back history: for each token, largest first, an
// EventInfo, then its bars oldest first (4-hour, 1-hour, 5-minute, then
// 1-minute bars up to Start truncated to the minute, as described above),
// then a handful of recent trades (inside the last minute bar). Calling it
// again emits the same events; calling it after Step still emits the
// history as of Start. Nothing of it is kept: it is simulated again.
func (g *Generator) History(emit func(model.Event)) {
	g.simulateHistory(emit)
}

// simulateHistory simulates the back history by the same dynamics as the
// live market, forward from 31 days before Start: the market factor first,
// then each token on its own random stream, hourly steps and then minute
// steps. Each path is then shifted (log returns do not depend on the price
// level) so it ends exactly at the token's starting price and, when emit
// is set, emitted. The first time, the tokens' and the market's state
// (variances, episodes) carry on into the live market.
func (g *Generator) simulateHistory(emit func(model.Event)) {
	nMin := int((g.anchorSec - g.minute0Sec) / 60)
	mp := g.simulateMarket(nMin)
	sc := &histScratch{hours: make([]bar, historyHours), minutes: make([]bar, nMin)}
	var pcg rand.PCG
	r := rand.New(&pcg)
	for i := range g.initial {
		tk := g.initial[i]
		pcg.Seed(streamOf(g.seed, tk.info.Symbol))
		g.simulateToken(r, &tk, mp, sc)
		if emit != nil {
			info := tk.info
			emit(model.Event{Kind: model.EventInfo, Symbol: info.Symbol, Time: g.originNs, Info: &info})
			offset := tk.logPrice - sc.minutes[nMin-1].c
			g.emitToken(&tk, sc, offset, emit)
			g.emitRecentTrades(r, &tk, sc.minutes[nMin-1], offset, emit)
		}
		if !g.historyDone {
			// Live bars start where the history ends.
			p := math.Exp(tk.logPrice)
			tk.barStartNs = g.anchorSec * 1e9
			tk.bar = model.Candle{T: g.anchorSec, Open: p, High: p, Low: p, Close: p}
			g.tokens[i] = tk
		}
	}
	if !g.historyDone {
		g.marketVar = mp.endVar
		g.historyDone = true
	}
}

// simulateMarket simulates the market factor over the back history on its
// own random stream.
func (g *Generator) simulateMarket(nMin int) *marketPath {
	mp := &marketPath{
		hourShock: make([]float64, historyHours), hourVar: make([]float64, historyHours),
		minuteShock: make([]float64, nMin), minuteVar: make([]float64, nMin),
	}
	r := rand.New(rand.NewPCG(g.seed, 0x6d61726b6574)) // "market"
	v := g.marketMean
	step := func(dt, ga, gb float64, shocks, vars []float64) {
		for k := range shocks {
			m := math.Sqrt(v*dt) * shock(r)
			shocks[k], vars[k] = m, v
			v = garch(v, g.marketMean, m, dt, ga, gb)
		}
	}
	step(3600, garchHourA, garchHourB, mp.hourShock, mp.hourVar)
	step(60, garchMinuteA, garchMinuteB, mp.minuteShock, mp.minuteVar)
	mp.endVar = v
	return mp
}

// simulateToken simulates one token's back history into sc: hourly bars,
// then minute bars, in log prices relative to 0 at the start.
func (g *Generator) simulateToken(r *rand.Rand, t *token, mp *marketPath, sc *histScratch) {
	rel := 0.0
	for k := range sc.hours {
		a := float64(k) * 3600
		sc.hours[k], rel = simulateBar(r, t, rel, a, 3600, mp.hourShock[k], mp.hourVar[k], garchHourA, garchHourB)
	}
	base := float64(historyHours) * 3600
	for k := range sc.minutes {
		a := base + float64(k)*60
		sc.minutes[k], rel = simulateBar(r, t, rel, a, 60, mp.minuteShock[k], mp.minuteVar[k], garchMinuteA, garchMinuteB)
	}
}

// simulateBar advances t by one bar of dt seconds starting at a (seconds
// since origin) from relative log price o, given the market's shock m and
// variance over it; it returns the bar and its close.
func simulateBar(r *rand.Rand, t *token, o, a, dt, m, marketVar, ga, gb float64) (bar, float64) {
	b := a + dt
	maybeStartEpisode(r, t, a, b)
	vm, am := t.ep.multipliers(a, b)
	e := math.Sqrt(t.variance*dt*vm) * shock(r)
	noise := t.beta*m + e
	c := o + clampReturn(noise+t.ep.drift(a, b))
	hi, lo := max(o, c), min(o, c)
	if pe := t.ep.pumpEnd; pe > a && pe < b { // the top of a pump is inside this bar
		peak := o + t.ep.drift(a, pe) + noise*(pe-a)/dt
		hi = max(hi, peak)
	}
	sd := math.Sqrt((t.beta*t.beta*marketVar + t.variance*vm) * dt)
	hi += 0.5 * sd * math.Abs(r.NormFloat64())
	lo -= 0.5 * sd * math.Abs(r.NormFloat64())
	const noiseSD = 0.35
	act := t.activity(noise, sd) * am * math.Exp(noiseSD*r.NormFloat64()-noiseSD*noiseSD/2)
	t.variance = garch(t.variance, t.meanVar, e/math.Sqrt(vm), dt, ga, gb)
	return bar{o: o, h: hi, l: lo, c: c, usd: t.tradeRate * t.avgNotional * dt * act}, c
}

// emitToken emits one token's simulated bars, shifted by offset, at the
// resolutions described above, oldest first.
func (g *Generator) emitToken(t *token, sc *histScratch, offset float64, emit func(model.Event)) {
	sym := t.info.Symbol
	origin := g.minute0Sec - historyHours*3600
	hourlyFrom := historyHours - hourlyHours // first hour sent as a 1-hour bar
	for k := 0; k < historyHours; {
		start := origin + int64(k)*3600
		if start%14400 == 0 && k+4 <= hourlyFrom {
			emitBar(sym, start, model.Hour4, sc.hours[k:k+4], offset, emit)
			k += 4
			continue
		}
		emitBar(sym, start, model.Hour, sc.hours[k:k+1], offset, emit)
		k++
	}
	// The last day: 5-minute bars up to the 5-minute boundary at or
	// before minuteTail minutes before Start (minute0 is an hour
	// boundary), then 1-minute bars.
	cut := (len(sc.minutes) - minuteTail) / 5 * 5
	for k := 0; k < cut; k += 5 {
		emitBar(sym, g.minute0Sec+int64(k)*60, model.Minute5, sc.minutes[k:k+5], offset, emit)
	}
	for k := cut; k < len(sc.minutes); k++ {
		emitBar(sym, g.minute0Sec+int64(k)*60, model.Minute, sc.minutes[k:k+1], offset, emit)
	}
}

// emitBar emits the simulated bars fine (consecutive, oldest first) as one
// bar of res starting at start.
func emitBar(sym string, start int64, res model.Resolution, fine []bar, offset float64, emit func(model.Event)) {
	c := model.Candle{T: start, Open: math.Exp(fine[0].o + offset), Close: math.Exp(fine[len(fine)-1].c + offset)}
	h, l := fine[0].h, fine[0].l
	for _, b := range fine {
		h, l = max(h, b.h), min(l, b.l)
		// Volume in the base asset at the bar's mid, bar by bar.
		c.Volume += b.usd / ((math.Exp(b.o+offset) + math.Exp(b.c+offset)) / 2)
	}
	c.High, c.Low = math.Exp(h+offset), math.Exp(l+offset)
	// exp of the bounds may round past open or close: keep them inside.
	c.High = max(c.High, c.Open, c.Close)
	c.Low = min(c.Low, c.Open, c.Close)
	emit(model.Event{Kind: model.EventCandle, Symbol: sym, Time: (start + res.Seconds()) * 1e9, Res: res, Candle: c})
}

// emitRecentTrades emits a handful of trades in the last 30 seconds of the
// last minute bar b, inside its range, the last one at its close.
func (g *Generator) emitRecentTrades(r *rand.Rand, t *token, b bar, offset float64, emit func(model.Event)) {
	anchorNs := g.anchorSec * 1e9
	count := 3 + r.IntN(6)
	for j := 0; j < count; j++ {
		frac := (float64(j) + r.Float64()) / float64(count)
		at := anchorNs - 30e9 + int64(frac*30e9)
		logP := b.l + (b.h-b.l)*r.Float64()
		usd := notional(r, t.avgNotional)
		if j == count-1 {
			logP = b.c
		}
		side := model.SideBuy
		if r.IntN(2) == 0 {
			side = model.SideSell
		}
		price := math.Exp(logP + offset)
		emit(model.Event{Kind: model.EventTrade, Symbol: t.info.Symbol, Time: at, Price: price, Qty: usd / price, Side: side})
	}
}

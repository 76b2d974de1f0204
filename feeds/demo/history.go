package demo

import (
	"math"

	"github.com/tokentop/tokentop/model"
)

// bar is one simulated bar in log prices relative to the token's starting
// point, and its volume in USD (converted to the base asset on emission,
// once the path's offset is known).
type bar struct{ o, h, l, c, usd float64 }

// recentTrade is one back-history trade, in relative log price.
type recentTrade struct {
	token    int
	timeNs   int64
	logP     float64
	notional float64
	side     model.Side
}

// backHistory is the simulated past: hourly bars for 30 days, then
// 1-minute bars for the last day, then a few trades per token. Bars are
// stored time-major: bar k of token i at [k*len(tokens)+i].
type backHistory struct {
	hours   []bar
	minutes []bar
	offset  []float64 // per token: add to a relative log price to get the real one
	trades  []recentTrade
}

// ensureHistory simulates the back history once, by the same dynamics as
// the live market, forward from 31 days before Start: hourly steps, then
// minute steps. Each path is then shifted (log returns do not depend on the
// price level) so it ends exactly at the token's starting price, and the
// generator's state (variances, episodes) carries on into the live market.
func (g *Generator) ensureHistory() {
	if g.history != nil {
		return
	}
	n := len(g.tokens)
	nMin := int((g.anchorSec - g.minute0Sec) / 60)
	h := &backHistory{
		hours:   make([]bar, historyHours*n),
		minutes: make([]bar, nMin*n),
		offset:  make([]float64, n),
	}
	rel := make([]float64, n) // relative log prices, all starting at 0
	for k := 0; k < historyHours; k++ {
		a := float64(k) * 3600
		g.simulateBars(h.hours[k*n:(k+1)*n], rel, a, 3600, garchHourA, garchHourB)
	}
	base := float64(historyHours) * 3600
	for k := 0; k < nMin; k++ {
		a := base + float64(k)*60
		g.simulateBars(h.minutes[k*n:(k+1)*n], rel, a, 60, garchMinuteA, garchMinuteB)
	}
	for i := range g.tokens {
		h.offset[i] = g.tokens[i].logPrice - rel[i]
	}

	// A handful of trades per token in the last 30 seconds of the last
	// minute bar, inside its range, the last one at its close.
	anchorNs := g.anchorSec * 1e9
	if nMin > 0 {
		last := h.minutes[(nMin-1)*n:]
		for i := range g.tokens {
			t := &g.tokens[i]
			b := last[i]
			count := 3 + g.rng.IntN(6)
			for j := 0; j < count; j++ {
				frac := (float64(j) + g.rng.Float64()) / float64(count)
				tr := recentTrade{
					token:    i,
					timeNs:   anchorNs - 30e9 + int64(frac*30e9),
					logP:     b.l + (b.h-b.l)*g.rng.Float64(),
					notional: g.notional(t.avgNotional),
					side:     model.SideBuy,
				}
				if j == count-1 {
					tr.logP = b.c
				}
				if g.rng.IntN(2) == 0 {
					tr.side = model.SideSell
				}
				h.trades = append(h.trades, tr)
			}
		}
	}

	// Live bars start where the history ends.
	for i := range g.tokens {
		t := &g.tokens[i]
		p := math.Exp(t.logPrice)
		t.barStartNs = anchorNs
		t.bar = model.Candle{T: g.anchorSec, Open: p, High: p, Low: p, Close: p}
	}
	g.history = h
}

// simulateBars advances every token by one bar of dt seconds starting at a
// (seconds since origin), writing the bars into out and the closes into
// rel.
func (g *Generator) simulateBars(out []bar, rel []float64, a, dt, ga, gb float64) {
	b := a + dt
	marketVar := g.marketVar
	m := math.Sqrt(marketVar*dt) * g.shock()
	g.marketVar = garch(marketVar, g.marketMean, m, dt, ga, gb)
	for i := range g.tokens {
		t := &g.tokens[i]
		g.maybeStartEpisode(t, a, b)
		vm, am := t.ep.multipliers(a, b)
		e := math.Sqrt(t.variance*dt*vm) * g.shock()
		noise := t.beta*m + e
		o := rel[i]
		c := o + clampReturn(noise+t.ep.drift(a, b))
		hi, lo := max(o, c), min(o, c)
		if pe := t.ep.pumpEnd; pe > a && pe < b { // the top of a pump is inside this bar
			peak := o + t.ep.drift(a, pe) + noise*(pe-a)/dt
			hi = max(hi, peak)
		}
		sd := math.Sqrt((t.beta*t.beta*marketVar + t.variance*vm) * dt)
		hi += 0.5 * sd * math.Abs(g.rng.NormFloat64())
		lo -= 0.5 * sd * math.Abs(g.rng.NormFloat64())
		const noiseSD = 0.35
		act := t.activity(noise, sd) * am * math.Exp(noiseSD*g.rng.NormFloat64()-noiseSD*noiseSD/2)
		out[i] = bar{o: o, h: hi, l: lo, c: c, usd: t.tradeRate * t.avgNotional * dt * act}
		t.variance = garch(t.variance, t.meanVar, e/math.Sqrt(vm), dt, ga, gb)
		rel[i] = c
	}
}

// History emits the back history: an EventInfo for every token, then
// hourly candles for the 30 days before the last day, then 1-minute
// candles for the last day (up to Start truncated to the minute), then a
// handful of recent trades per token (inside the last minute bar). Calling
// it again emits the same events; calling it after Step still emits the
// history as of Start.
func (g *Generator) History(emit func(model.Event)) {
	g.ensureHistory()
	h := g.history
	n := len(g.tokens)

	infos := make([]model.TokenInfo, n)
	for i := range g.tokens {
		infos[i] = g.tokens[i].info
		emit(model.Event{Kind: model.EventInfo, Symbol: infos[i].Symbol, Time: g.originNs, Info: &infos[i]})
	}
	g.emitBars(h.hours, h.offset, g.minute0Sec-historyHours*3600, model.Hour, emit)
	g.emitBars(h.minutes, h.offset, g.minute0Sec, model.Minute, emit)
	for _, tr := range h.trades {
		price := math.Exp(tr.logP + h.offset[tr.token])
		emit(model.Event{
			Kind:   model.EventTrade,
			Symbol: g.tokens[tr.token].info.Symbol,
			Time:   tr.timeNs,
			Price:  price,
			Qty:    tr.notional / price,
			Side:   tr.side,
		})
	}
}

func (g *Generator) emitBars(bars []bar, offset []float64, firstSec int64, res model.Resolution, emit func(model.Event)) {
	n := len(g.tokens)
	width := res.Seconds()
	for k := 0; k*n < len(bars); k++ {
		t := firstSec + int64(k)*width
		for i := range g.tokens {
			b := bars[k*n+i]
			off := offset[i]
			c := model.Candle{
				T:     t,
				Open:  math.Exp(b.o + off),
				High:  math.Exp(b.h + off),
				Low:   math.Exp(b.l + off),
				Close: math.Exp(b.c + off),
			}
			c.Volume = b.usd / ((c.Open + c.Close) / 2)
			emit(model.Event{
				Kind:   model.EventCandle,
				Symbol: g.tokens[i].info.Symbol,
				Time:   (t + width) * 1e9,
				Res:    res,
				Candle: c,
			})
		}
	}
}

package demo

import (
	"math"

	"github.com/tokentop/tokentop/model"
)

const (
	minLogPrice = -27.6 // ~1e-12 USD
	maxLogPrice = 27.6  // ~1e12 USD
	minuteNs    = int64(60e9)
)

// Step advances simulated time by one Step. For every token it emits a
// Poisson number of trades (more for big caps, more when the price moves
// or a pump is on), now and then a whale trade and a quote, and the closed
// 1-minute candle whenever a minute ends. It allocates nothing.
func (g *Generator) Step(emit func(model.Event)) {
	g.ensureHistory()
	t0 := g.nowNs
	t1 := t0 + g.stepNs
	dt := float64(g.stepNs) / 1e9
	a, b := g.secs(t0), g.secs(t1)

	marketVar := g.marketVar
	m := math.Sqrt(marketVar*dt) * g.shock()
	g.marketNoise += m
	g.marketNoiseT += dt
	for i := range g.tokens {
		g.stepToken(&g.tokens[i], t0, t1, a, b, marketVar, m, emit)
	}
	g.nowNs = t1
	for g.marketBarEnd <= t1 {
		if g.marketNoiseT > 0 {
			g.marketVar = garch(g.marketVar, g.marketMean, g.marketNoise, g.marketNoiseT, garchMinuteA, garchMinuteB)
		}
		g.marketNoise, g.marketNoiseT = 0, 0
		g.marketBarEnd += minuteNs
	}
}

func (g *Generator) stepToken(t *token, t0, t1 int64, a, b, marketVar, m float64, emit func(model.Event)) {
	dt := b - a
	maybeStartEpisode(g.rng, t, a, b)
	vm, am := t.ep.multipliers(a, b)
	e := math.Sqrt(t.variance*dt*vm) * g.shock()
	noise := t.beta*m + e
	sd := math.Sqrt((t.beta*t.beta*marketVar + t.variance*vm) * dt)
	r := clampReturn(noise + t.ep.drift(a, b))

	// Who is taking liquidity: leaning with the move, heavily so in a pump
	// (buyers) or a dump (sellers).
	pBuy := 0.5
	if sd > 0 {
		pBuy += 0.2 * math.Tanh(noise/sd)
	}
	switch {
	case t.ep.start <= a && a < t.ep.pumpEnd:
		pBuy = 0.75
	case t.ep.pumpEnd <= a && a < t.ep.end:
		pBuy = 0.3
	}

	n := min(maxTradesStep, g.poisson(t.tradeRate*dt*t.activity(noise, sd)*am))
	whale := -1
	var whaleNotional float64
	whaleSide := model.SideSell
	if g.rng.Float64() < t.whaleRate*dt {
		n++
		whale = g.rng.IntN(n)
		// Pareto tail: most whales are near the minimum, a few are huge.
		whaleNotional = t.whaleMin * min(40, math.Pow(1-g.rng.Float64(), -1/1.6))
		if g.rng.Float64() < pBuy {
			whaleSide = model.SideBuy
		}
	}

	lp0 := t.logPrice
	impact := 0.0
	for k := 0; k < n; k++ {
		frac := (float64(k) + g.rng.Float64()) / float64(n)
		at := t0 + int64(frac*float64(t1-t0))
		side := model.SideSell
		if g.rng.Float64() < pBuy {
			side = model.SideBuy
		}
		notional := notional(g.rng, t.avgNotional)
		if k == whale {
			notional, side = whaleNotional, whaleSide
		}
		price := math.Exp(max(minLogPrice, min(maxLogPrice, lp0+r*frac+impact)))
		if side == model.SideBuy {
			price *= 1 + t.halfSpread
		} else {
			price *= 1 - t.halfSpread
		}
		if k == whale {
			move := min(0.02, notional/t.impactUSD)
			if side == model.SideSell {
				move = -move
			}
			impact += move
		}
		qty := notional / price
		t.closeBars(at, emit)
		t.bar.High = max(t.bar.High, price)
		t.bar.Low = min(t.bar.Low, price)
		t.bar.Close = price
		t.bar.Volume += qty
		emit(model.Event{Kind: model.EventTrade, Symbol: t.info.Symbol, Time: at, Price: price, Qty: qty, Side: side})
	}

	t.logPrice = max(minLogPrice, min(maxLogPrice, lp0+r+impact))
	t.noise += e / math.Sqrt(vm)
	t.noiseT += dt

	// The mid at the end of the step is the last price of the bar that
	// holds the step's last instant; a quote at t1 opens the next one.
	mid := math.Exp(t.logPrice)
	t.closeBars(t1-1, emit)
	t.bar.High = max(t.bar.High, mid)
	t.bar.Low = min(t.bar.Low, mid)
	t.bar.Close = mid
	t.closeBars(t1, emit)
	if g.rng.Float64() < quoteRate*dt {
		emit(model.Event{Kind: model.EventQuote, Symbol: t.info.Symbol, Time: t1, Price: mid})
	}
}

// closeBars emits every live 1-minute bar that has ended by at, updates the
// token's volatility with the minute's noise, and opens the next bar at the
// last close.
func (t *token) closeBars(at int64, emit func(model.Event)) {
	for t.barStartNs+minuteNs <= at {
		end := t.barStartNs + minuteNs
		emit(model.Event{Kind: model.EventCandle, Symbol: t.info.Symbol, Time: end, Res: model.Minute, Candle: t.bar})
		if t.noiseT > 0 {
			t.variance = garch(t.variance, t.meanVar, t.noise, t.noiseT, garchMinuteA, garchMinuteB)
		}
		t.noise, t.noiseT = 0, 0
		c := t.bar.Close
		t.barStartNs = end
		t.bar = model.Candle{T: end / 1e9, Open: c, High: c, Low: c, Close: c}
	}
}

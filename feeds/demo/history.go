package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/tokentop/tokentop/model"
)

// bar is one simulated bar in log prices relative to the token's starting
// point, and its volume in USD (converted to the base asset on emission,
// once the path's offset is known).
type bar struct{ o, h, l, c, usd float64 }

// The back history is simulated and sent at the resolutions the market
// keeps (see model.Series), each bar one step of the simulation with the
// GARCH weights of its width: 4-hour bars up to 7 days before the last day
// (1-hour bars until the first 4-hour boundary), 1-hour bars for those 7
// days, then the last day in 5-minute bars up to the minutes a Series
// keeps before Start and 1-minute bars for those.
const (
	hourlyHours = 7 * 24               // hours before the last day sent as 1-hour bars; older ones as 4-hour bars
	minuteTail  = model.MinuteBars - 1 // minutes before Start sent as 1-minute bars (at least; from a 5-minute boundary)
)

// segment is a run of back-history bars of one resolution.
type segment struct {
	res   model.Resolution
	start int64 // Unix seconds of the first bar
	n     int
	a, b  float64 // GARCH(1,1) weights for this width
}

// GARCH(1,1) weights of the 5-minute and 4-hour steps, between those of the
// 1-minute and 1-hour ones (the per-second variance makes the steps
// comparable).
const (
	garch5mA, garch5mB = 0.06, 0.925
	garch4hA, garch4hB = 0.12, 0.83
)

// segments lays out the back history from the origin (30 days before the
// last day's first hour) to Start truncated to the minute.
func (g *Generator) segments() []segment {
	origin := g.minute0Sec - historyHours*3600
	hourlyFrom := g.minute0Sec - hourlyHours*3600
	first4h := (origin + 14399) / 14400 * 14400
	n4 := int((hourlyFrom - first4h) / 14400)
	last4h := first4h + int64(n4)*14400
	tail := (g.anchorSec - minuteTail*60) / 300 * 300
	return []segment{
		{model.Hour, origin, int((first4h - origin) / 3600), garchHourA, garchHourB},
		{model.Hour4, first4h, n4, garch4hA, garch4hB},
		{model.Hour, last4h, int((g.minute0Sec - last4h) / 3600), garchHourA, garchHourB},
		{model.Minute5, g.minute0Sec, int((tail - g.minute0Sec) / 300), garch5mA, garch5mB},
		{model.Minute, tail, int((g.anchorSec - tail) / 60), garchMinuteA, garchMinuteB},
	}
}

// marketPath is the shared market factor over the back history: for each
// bar, its shock and the factor's variance before it.
type marketPath struct {
	shock, variance []float64
	endVar          float64
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
// then each token on its own random stream. Each path is then shifted
// (log returns do not depend on the price level) so it ends exactly at the
// token's starting price and, when emit is set, emitted. The first time,
// the tokens' and the market's state (variances, episodes) carry on into
// the live market.
func (g *Generator) simulateHistory(emit func(model.Event)) {
	segs := g.segments()
	mp := g.simulateMarket(segs)
	w := g.newHistoryWorker(segs, mp)
	for i := range g.initial {
		w.token(i, emit, nil)
	}
	g.finishHistory(mp)
}

// historyWorker simulates tokens' back histories; its buffers are reused
// from one token to the next. One per goroutine.
type historyWorker struct {
	g    *Generator
	segs []segment
	mp   *marketPath
	bars []bar
	pcg  rand.PCG
	r    *rand.Rand
}

func (g *Generator) newHistoryWorker(segs []segment, mp *marketPath) *historyWorker {
	w := &historyWorker{g: g, segs: segs, mp: mp, bars: make([]bar, len(mp.shock))}
	w.r = rand.New(&w.pcg)
	return w
}

// token simulates the back history of the i-th token and emits it: with
// h nil, its EventInfo, each bar as an EventCandle, its recent trades;
// otherwise the bars go into h, and emit gets h (an EventHistory, once
// full), the EventInfo and the recent trades. The first time, the
// token's state carries on into the live market (g.tokens[i]; each i is
// one token's, so workers on different tokens do not share it).
func (w *historyWorker) token(i int, emit func(model.Event), h *model.History) {
	g := w.g
	tk := g.initial[i]
	w.pcg.Seed(streamOf(g.seed, tk.info.Symbol))
	g.simulateToken(w.r, &tk, w.segs, w.mp, w.bars)
	last := w.bars[len(w.bars)-1]
	if emit != nil {
		sym := tk.info.Symbol
		offset := tk.logPrice - last.c
		if h != nil {
			// The bars into h, sent before the info: the hub makes the
			// token with them (not with an empty Series to throw away).
			emitToken(sym, w.segs, w.bars, offset, func(ev model.Event) { h.Add(ev.Res, ev.Candle, ev.Time) })
			emit(model.Event{Kind: model.EventHistory, Symbol: sym, Time: g.anchorSec * 1e9, History: h})
		}
		info := tk.info
		emit(model.Event{Kind: model.EventInfo, Symbol: sym, Time: g.originNs, Info: &info})
		if h == nil {
			emitToken(sym, w.segs, w.bars, offset, emit)
		}
		g.emitRecentTrades(w.r, &tk, last, offset, emit)
	}
	if !g.historyDone {
		// Live bars start where the history ends.
		p := math.Exp(tk.logPrice)
		tk.barStartNs = g.anchorSec * 1e9
		tk.bar = model.Candle{T: g.anchorSec, Open: p, High: p, Low: p, Close: p}
		g.tokens[i] = tk
	}
}

// finishHistory carries the market factor's state on into the live
// market, the first time.
func (g *Generator) finishHistory(mp *marketPath) {
	if !g.historyDone {
		g.marketVar = mp.endVar
		g.historyDone = true
	}
}

// HistoryBatched emits the same back history as History, in the same
// order of tokens, but each token's bars as one EventHistory (before its
// EventInfo and its recent trades) built by up to workers goroutines in
// parallel: the hub then takes each token's bars at once (model.History)
// instead of one event a bar. It stops early, without emitting more, when
// emit returns false, and returns once every goroutine it started is
// done. It reports whether it emitted everything.
func (g *Generator) HistoryBatched(workers int, emit func(model.Event) bool) bool {
	segs := g.segments()
	mp := g.simulateMarket(segs)
	n := len(g.initial)
	workers = max(1, min(workers, n))
	type result struct {
		events []model.Event
		done   chan struct{}
	}
	results := make([]result, n)
	for i := range results {
		results[i].done = make(chan struct{})
	}
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := g.newHistoryWorker(segs, mp)
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if !stop.Load() {
					h := model.NewHistory()
					var evs []model.Event
					w.token(i, func(ev model.Event) { evs = append(evs, ev) }, h)
					results[i].events = evs
				}
				close(results[i].done)
			}
		}()
	}
	ok := true
	for i := range results {
		<-results[i].done
		for _, ev := range results[i].events {
			if ok && !emit(ev) {
				ok = false
				stop.Store(true)
			}
		}
		results[i].events = nil
	}
	wg.Wait()
	if ok {
		g.finishHistory(mp)
	}
	return ok
}

// simulateMarket simulates the market factor over the back history on its
// own random stream.
func (g *Generator) simulateMarket(segs []segment) *marketPath {
	n := 0
	for _, s := range segs {
		n += s.n
	}
	mp := &marketPath{shock: make([]float64, 0, n), variance: make([]float64, 0, n)}
	r := rand.New(rand.NewPCG(g.seed, 0x6d61726b6574)) // "market"
	v := g.marketMean
	for _, s := range segs {
		dt := float64(s.res.Seconds())
		for range s.n {
			m := math.Sqrt(v*dt) * shock(r)
			mp.shock, mp.variance = append(mp.shock, m), append(mp.variance, v)
			v = garch(v, g.marketMean, m, dt, s.a, s.b)
		}
	}
	mp.endVar = v
	return mp
}

// simulateToken simulates one token's back history into bars, in log
// prices relative to 0 at the start.
func (g *Generator) simulateToken(r *rand.Rand, t *token, segs []segment, mp *marketPath, bars []bar) {
	rel := 0.0
	k := 0
	originSec := g.originNs / 1e9
	for _, s := range segs {
		dt := float64(s.res.Seconds())
		for j := range s.n {
			a := float64(s.start-originSec) + float64(j)*dt
			bars[k], rel = simulateBar(r, t, rel, a, dt, mp.shock[k], mp.variance[k], s.a, s.b)
			k++
		}
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

// emitToken emits one token's simulated bars, shifted by offset, oldest
// first.
func emitToken(sym string, segs []segment, bars []bar, offset float64, emit func(model.Event)) {
	k := 0
	for _, s := range segs {
		w := s.res.Seconds()
		for j := range s.n {
			start := s.start + int64(j)*w
			b := &bars[k]
			k++
			c := model.Candle{T: start, Open: math.Exp(b.o + offset), High: math.Exp(b.h + offset),
				Low: math.Exp(b.l + offset), Close: math.Exp(b.c + offset)}
			// exp of the bounds may round past open or close: keep them inside.
			c.High = max(c.High, c.Open, c.Close)
			c.Low = min(c.Low, c.Open, c.Close)
			c.Volume = b.usd / ((c.Open + c.Close) / 2) // in the base asset, at the bar's mid
			emit(model.Event{Kind: model.EventCandle, Symbol: sym, Time: (start + w) * 1e9, Res: s.res, Candle: c})
		}
	}
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

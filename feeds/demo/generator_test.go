package demo

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
)

var testStart = time.Date(2026, time.October, 14, 9, 45, 0, 0, time.UTC)

// eventHash folds every field of every event into one FNV-1a style hash.
type eventHash struct {
	h     uint64
	count int
}

func (e *eventHash) mix(u uint64) {
	for range 8 {
		e.h ^= u & 0xff
		e.h *= 1099511628211
		u >>= 8
	}
}

func (e *eventHash) text(s string) {
	for i := 0; i < len(s); i++ {
		e.h ^= uint64(s[i])
		e.h *= 1099511628211
	}
}

func (e *eventHash) add(ev model.Event) {
	e.mix(uint64(ev.Kind))
	e.text(ev.Symbol)
	e.mix(uint64(ev.Time))
	e.mix(math.Float64bits(ev.Price))
	e.mix(math.Float64bits(ev.Qty))
	e.mix(uint64(ev.Side))
	e.mix(uint64(ev.Res))
	if ev.History != nil {
		e.mix(ev.History.Len())
	}
	c := ev.Candle
	e.mix(uint64(c.T))
	e.mix(math.Float64bits(c.Open))
	e.mix(math.Float64bits(c.High))
	e.mix(math.Float64bits(c.Low))
	e.mix(math.Float64bits(c.Close))
	e.mix(math.Float64bits(c.Volume))
	if ev.Info != nil {
		e.text(ev.Info.Name)
		e.mix(math.Float64bits(ev.Info.MarketCap))
		e.mix(math.Float64bits(ev.Info.Supply))
	}
	e.count++
}

func runHash(opts Options, steps int) eventHash {
	var e eventHash
	g := NewGenerator(opts)
	g.History(e.add)
	for range steps {
		g.Step(e.add)
	}
	return e
}

func TestSameSeedSameEvents(t *testing.T) {
	for _, tokens := range []int{0, MaxTokens} {
		opts := Options{Seed: 7, Start: testStart, Tokens: tokens}
		steps := 900
		if tokens == MaxTokens {
			steps = 300
		}
		a := runHash(opts, steps)
		b := runHash(opts, steps)
		if a != b {
			t.Fatalf("%d tokens: same options gave different events: %+v vs %+v", tokens, a, b)
		}
		if a.count < 30_000 {
			t.Fatalf("%d tokens: only %d events", tokens, a.count)
		}
		opts.Seed = 8
		if c := runHash(opts, steps); c.h == a.h {
			t.Fatalf("%d tokens: seeds 7 and 8 gave the same events", tokens)
		}
	}
}

func TestStepWithoutHistoryContinuesTheSameMarket(t *testing.T) {
	// The live market must not depend on whether the history was emitted.
	opts := Options{Seed: 3, Start: testStart, Tokens: 10}
	var a, b eventHash
	g1, g2 := NewGenerator(opts), NewGenerator(opts)
	g1.History(func(model.Event) {})
	for range 300 {
		g1.Step(a.add)
		g2.Step(b.add)
	}
	if a != b {
		t.Fatal("live events differ with and without History")
	}
}

func TestUniverse(t *testing.T) {
	u := NewGenerator(Options{}).Universe()
	if len(u) < 40 {
		t.Fatalf("universe has %d tokens, want >= 40", len(u))
	}
	seen := map[string]bool{}
	small, large := 0, 0
	for i, tk := range u {
		if tk.Symbol == "" || tk.Name == "" || !(tk.Supply > 0) || !(tk.MarketCap > 0) || math.IsInf(tk.MarketCap, 0) {
			t.Errorf("token %d incomplete: %+v", i, tk)
		}
		if seen[tk.Symbol] {
			t.Errorf("symbol %s twice", tk.Symbol)
		}
		seen[tk.Symbol] = true
		if i > 0 && tk.MarketCap > u[i-1].MarketCap {
			t.Errorf("%s ($%.3g) ranked below %s ($%.3g)", tk.Symbol, tk.MarketCap, u[i-1].Symbol, u[i-1].MarketCap)
		}
		if tk.MarketCap < 50e6 {
			small++
		}
		if tk.MarketCap > 10e9 {
			large++
		}
	}
	if small < 5 || large < 5 {
		t.Fatalf("%d tokens under $50M and %d over $10B, want >= 5 each", small, large)
	}
	for _, sym := range []string{"BTC", "ETH", "SOL"} {
		if !seen[sym] {
			t.Errorf("%s missing", sym)
		}
	}
	if u10 := NewGenerator(Options{Tokens: 10}).Universe(); len(u10) != 10 || u10[0].Symbol != "BTC" {
		t.Fatalf("Tokens: 10 gave %d tokens starting %s", len(u10), u10[0].Symbol)
	}
}

// TestUniverse500: past the 46 built-in listings, synthetic tokens fill the
// universe up to MaxTokens: unique plausible symbols and names that are
// never a real ticker, valid for the market, caps from large to tiny, small
// caps that can be pumped, each with its own character.
func TestUniverse500(t *testing.T) {
	builtin := NewGenerator(Options{}).Universe()
	if len(builtin) != len(listings) {
		t.Fatalf("default universe %d tokens, want the %d built-in", len(builtin), len(listings))
	}
	if u := NewGenerator(Options{Tokens: len(listings)}).Universe(); !slices.Equal(u, builtin) {
		t.Fatal("Tokens = 46 is not the built-in universe")
	}
	g := NewGenerator(Options{Tokens: 10_000})
	u := g.Universe()
	if len(u) != MaxTokens {
		t.Fatalf("%d tokens, want at most %d", len(u), MaxTokens)
	}
	isBuiltin := map[string]bool{}
	for _, l := range listings {
		isBuiltin[l.Symbol] = true
	}
	symbols, names := map[string]bool{}, map[string]bool{}
	buckets := map[string]int{}
	for i, tk := range u {
		if symbols[tk.Symbol] || names[strings.ToLower(tk.Name)] {
			t.Errorf("%s (%s) repeats a symbol or a name", tk.Symbol, tk.Name)
		}
		symbols[tk.Symbol], names[strings.ToLower(tk.Name)] = true, true
		if i > 0 && tk.MarketCap > u[i-1].MarketCap {
			t.Errorf("%s ranked below a smaller cap", tk.Symbol)
		}
		if !isBuiltin[tk.Symbol] {
			if realSymbols[tk.Symbol] {
				t.Errorf("synthetic %s is a real ticker", tk.Symbol)
			}
			if len(tk.Symbol) < 3 || len(tk.Symbol) > 5 || strings.Trim(tk.Symbol, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				t.Errorf("synthetic symbol %q is not 3-5 capital letters", tk.Symbol)
			}
			if n := len(tk.Name); n < 4 || n > 30 {
				t.Errorf("synthetic name %q", tk.Name)
			}
		}
		if !model.ValidSymbol(tk.Symbol) || !(tk.Supply > 0) || !(tk.MarketCap > 0) || math.IsInf(tk.MarketCap, 0) {
			t.Errorf("token %d not valid for the market: %+v", i, tk)
		}
		switch c := tk.MarketCap; {
		case c >= 10e9:
			buckets["over $10B"]++
		case c >= 1e9:
			buckets["$1B-$10B"]++
		case c >= 100e6:
			buckets["$100M-$1B"]++
		case c >= 50e6:
			buckets["$50M-$100M"]++
		default:
			buckets["under $50M"]++
		}
	}
	t.Logf("caps: %v", buckets)
	for _, b := range []string{"over $10B", "$1B-$10B", "$100M-$1B", "$50M-$100M", "under $50M"} {
		if buckets[b] < 5 {
			t.Errorf("only %d tokens %s", buckets[b], b)
		}
	}
	if buckets["under $50M"] < 150 {
		t.Errorf("only %d small caps under $50M (moonshot candidates)", buckets["under $50M"])
	}
	// Small caps can be pumped; each synthetic token has its own
	// volatility and activity, not only its size's.
	pumpable, vols := 0, map[float64]bool{}
	for i := range g.tokens {
		tk := &g.tokens[i]
		if tk.pumpRate > 0 {
			pumpable++
		}
		vols[math.Round(tk.meanVar/1e-12)] = true
	}
	if pumpable < 200 || len(vols) < 400 {
		t.Errorf("%d pumpable tokens, %d distinct volatilities", pumpable, len(vols))
	}
	// The first N synthetic tokens are the same whatever N.
	a, b := syntheticListings(100), syntheticListings(MaxTokens-len(listings))
	if !slices.Equal(a, b[:100]) {
		t.Error("the synthetic list depends on its length")
	}
}

func finitePositive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

func checkCandle(t *testing.T, sym string, c model.Candle) {
	t.Helper()
	if !finitePositive(c.Open) || !finitePositive(c.High) || !finitePositive(c.Low) || !finitePositive(c.Close) ||
		c.Volume < 0 || math.IsInf(c.Volume, 0) || math.IsNaN(c.Volume) {
		t.Fatalf("%s: bad candle %+v", sym, c)
	}
	if c.Low > min(c.Open, c.Close)*(1+1e-12) || c.High < max(c.Open, c.Close)*(1-1e-12) {
		t.Fatalf("%s: candle range does not hold open and close: %+v", sym, c)
	}
}

func TestHistoryShape(t *testing.T) {
	for _, start := range []time.Time{testStart, testStart.Add(25*time.Minute + 17*time.Second)} {
		g := NewGenerator(Options{Seed: 1, Start: start})
		universe := g.Universe()
		anchor := start.Truncate(time.Minute).Unix()
		minute0 := (anchor - 86400) / 3600 * 3600
		origin := minute0 - 30*86400

		type tokenHistory struct {
			bars   []model.Event
			trades []model.Event
		}
		byToken := map[string]*tokenHistory{}
		var order []string
		cur := ""
		g.History(func(ev model.Event) {
			switch {
			case ev.Kind == model.EventInfo:
				if ev.Info == nil || ev.Info.Symbol != ev.Symbol {
					t.Fatalf("info event without matching Info: %+v", ev)
				}
				if byToken[ev.Symbol] != nil {
					t.Fatalf("%s: a second info event", ev.Symbol)
				}
				byToken[ev.Symbol] = &tokenHistory{}
				order = append(order, ev.Symbol)
				cur = ev.Symbol
			case ev.Symbol != cur:
				t.Fatalf("event of %s inside %s's history (tokens one after another): %+v", ev.Symbol, cur, ev)
			case ev.Kind == model.EventCandle:
				h := byToken[cur]
				if len(h.trades) > 0 {
					t.Fatalf("%s: a bar after the trades: %+v", cur, ev)
				}
				checkCandle(t, ev.Symbol, ev.Candle)
				if ev.Time != (ev.Candle.T+ev.Res.Seconds())*1e9 || ev.Candle.T%ev.Res.Seconds() != 0 {
					t.Fatalf("candle event time %d is not its bar's end, or the bar is not aligned: %+v", ev.Time, ev)
				}
				h.bars = append(h.bars, ev)
			case ev.Kind == model.EventTrade:
				byToken[cur].trades = append(byToken[cur].trades, ev)
			default:
				t.Fatalf("unexpected event in history: %+v", ev)
			}
		})
		if len(order) != len(universe) {
			t.Fatalf("%d tokens in the history for %d in the universe", len(order), len(universe))
		}
		for i, tk := range universe {
			sym := tk.Symbol
			if order[i] != sym {
				t.Fatalf("token %d in the history is %s, want %s (largest first)", i, order[i], sym)
			}
			h := byToken[sym]
			// Contiguous from the origin to Start's minute, at the
			// resolutions the market keeps: 4h, then 1h for the 7 days
			// before the last day, 5m, and 1m for the minutes a Series
			// keeps.
			next := origin
			count := map[model.Resolution]int{}
			last := model.Resolution(0)
			for _, ev := range h.bars {
				c := ev.Candle
				if c.T != next {
					t.Fatalf("%s: a %v bar at %d, want one at %d (no gaps, no overlaps)", sym, ev.Res, c.T, next)
				}
				next = c.T + ev.Res.Seconds()
				count[ev.Res]++
				switch ev.Res {
				case model.Hour4:
					if c.T+14400 > minute0-hourlyHours*3600 {
						t.Fatalf("%s: a 4h bar at %d inside the last %d hours before the last day", sym, c.T, hourlyHours)
					}
				case model.Hour:
					if c.T >= minute0 {
						t.Fatalf("%s: an hourly bar at %d inside the last day", sym, c.T)
					}
				case model.Minute5:
					if last == model.Minute || c.T < minute0 || c.T+300 > anchor-minuteTail*60 {
						t.Fatalf("%s: a 5m bar at %d outside the last day before its last %d minutes", sym, c.T, minuteTail)
					}
				case model.Minute:
					if c.T < anchor-minuteTail*60-300 {
						t.Fatalf("%s: a 1m bar at %d more than %d minutes before the start", sym, c.T, minuteTail+5)
					}
				}
				last = ev.Res
			}
			if next != anchor {
				t.Fatalf("%s: history ends at %d, want Start's minute %d", sym, next, anchor)
			}
			if count[model.Hour] < hourlyHours || count[model.Minute] < minuteTail || count[model.Minute] >= minuteTail+5 || count[model.Hour4] < 100 {
				t.Fatalf("%s: bars by resolution %v", sym, count)
			}
			lastBar := h.bars[len(h.bars)-1].Candle
			if want := tk.MarketCap / tk.Supply; math.Abs(lastBar.Close/want-1) > 1e-9 {
				t.Fatalf("%s: history ends at %g, want the starting price %g", sym, lastBar.Close, want)
			}
			trs := h.trades
			if len(trs) < 3 || len(trs) > 8 {
				t.Fatalf("%s: %d recent trades, want 3..8", sym, len(trs))
			}
			for i, tr := range trs {
				if tr.Time < (anchor-60)*1e9 || tr.Time >= anchor*1e9 || (i > 0 && tr.Time < trs[i-1].Time) {
					t.Fatalf("%s: recent trade %d at %d outside the last minute or out of order", sym, i, tr.Time)
				}
				if tr.Price < lastBar.Low*(1-1e-9) || tr.Price > lastBar.High*(1+1e-9) || !finitePositive(tr.Qty) {
					t.Fatalf("%s: recent trade %+v outside the last bar %+v", sym, tr, lastBar)
				}
			}
			if lt := trs[len(trs)-1]; math.Abs(lt.Price/lastBar.Close-1) > 1e-9 {
				t.Fatalf("%s: last recent trade at %g, want the close %g", sym, lt.Price, lastBar.Close)
			}
		}
	}
}

// A token's back history is its own: the same whichever other tokens are
// simulated with it (its random stream comes from the seed and its
// symbol; the market factor from the seed).
func TestHistoryOfATokenDoesNotDependOnTheOthers(t *testing.T) {
	hist := func(n int, sym string) eventHash {
		var e eventHash
		NewGenerator(Options{Seed: 3, Start: testStart, Tokens: n}).History(func(ev model.Event) {
			if ev.Symbol == sym {
				e.add(ev)
			}
		})
		return e
	}
	if a, b := hist(10, "BTC"), hist(MaxTokens, "BTC"); a != b || a.count == 0 {
		t.Fatalf("BTC's history differs with 10 and %d tokens", MaxTokens)
	}
}

func TestPricesStayPositiveAndFinite(t *testing.T) {
	// Three simulated days at a 20s step (one under the race detector,
	// which makes the ~20M trades of three days too slow).
	days := 3
	if raceEnabled {
		days = 1
	}
	g := NewGenerator(Options{Seed: 11, Start: testStart, Step: 20 * time.Second})
	start := map[string]float64{}
	for _, tk := range g.Universe() {
		start[tk.Symbol] = tk.MarketCap / tk.Supply
	}
	last := map[string]float64{}
	check := func(ev model.Event) {
		switch ev.Kind {
		case model.EventTrade, model.EventQuote:
			if !finitePositive(ev.Price) {
				t.Fatalf("bad price: %+v", ev)
			}
			if ev.Kind == model.EventTrade && !finitePositive(ev.Qty) {
				t.Fatalf("bad quantity: %+v", ev)
			}
			last[ev.Symbol] = ev.Price
		case model.EventCandle:
			checkCandle(t, ev.Symbol, ev.Candle)
		}
	}
	g.History(check)
	steps := days * 86400 / 20
	for range steps {
		g.Step(check)
	}
	if got, want := g.Now(), testStart.Add(time.Duration(days)*24*time.Hour); !got.Equal(want) {
		t.Fatalf("Now() = %v after %d days of steps, want %v", got, days, want)
	}
	for sym, p := range last {
		if r := p / start[sym]; r < 0.05 || r > 20 {
			t.Errorf("%s moved from %g to %g in %d days", sym, start[sym], p, days)
		}
	}
}

// minuteBars steps g through the given simulated seconds (at the default
// 1s Step), hands every trade to onTrade and returns each token's live
// 1-minute bars.
func minuteBars(g *Generator, seconds int, onTrade func(model.Event)) map[string][]model.Candle {
	bars := map[string][]model.Candle{}
	emit := func(ev model.Event) {
		switch ev.Kind {
		case model.EventCandle:
			bars[ev.Symbol] = append(bars[ev.Symbol], ev.Candle)
		case model.EventTrade:
			onTrade(ev)
		}
	}
	for range seconds {
		g.Step(emit)
	}
	return bars
}

func TestLiveMinuteBarsAddUpTheTrades(t *testing.T) {
	g := NewGenerator(Options{Seed: 5, Start: testStart, Tokens: 8})
	sum := map[string]map[int64]float64{}
	bars := minuteBars(g, 600, func(tr model.Event) {
		if sum[tr.Symbol] == nil {
			sum[tr.Symbol] = map[int64]float64{}
		}
		sum[tr.Symbol][tr.Time/60e9*60] += tr.Qty
	})
	for sym, bs := range bars {
		if len(bs) != 10 {
			t.Fatalf("%s: %d bars in 10 minutes", sym, len(bs))
		}
		for i, b := range bs {
			checkCandle(t, sym, b)
			if i > 0 && b.Open != bs[i-1].Close {
				t.Fatalf("%s: bar %d opens at %g, previous closed at %g", sym, i, b.Open, bs[i-1].Close)
			}
			if v := sum[sym][b.T]; math.Abs(v-b.Volume) > 1e-9*max(1, v) {
				t.Fatalf("%s: bar at %d has volume %g, its trades %g", sym, b.T, b.Volume, v)
			}
		}
	}
}

func TestWhalesAndPumpsWithinHours(t *testing.T) {
	g := NewGenerator(Options{Seed: 1, Start: testStart})
	caps := map[string]float64{}
	for _, tk := range g.Universe() {
		caps[tk.Symbol] = tk.MarketCap
	}
	g.History(func(model.Event) {})
	whales := 0
	bars := minuteBars(g, 4*3600, func(tr model.Event) {
		if caps[tr.Symbol] > 10e9 && tr.Price*tr.Qty >= 100_000 {
			whales++
		}
	})
	if whales < 5 {
		t.Errorf("%d whale trades (>= $100k on a large cap) in 4 hours", whales)
	}

	// A pump: a small cap up >= 10% within 20 minutes on at least 3x its
	// median minute volume, then giving back at least half of it within
	// the next two hours.
	pumps := 0
	for sym, bs := range bars {
		if caps[sym] >= pumpCapLimit {
			continue
		}
		vols := make([]float64, len(bs))
		for i, b := range bs {
			vols[i] = b.Volume
		}
		slices.Sort(vols)
		median := vols[len(vols)/2]
		for i := 0; i+20 < len(bs); i++ {
			lo, top := bs[i].Open, i
			vol := 0.0
			for j := i; j < i+20; j++ {
				vol += bs[j].Volume
				if bs[j].Close > bs[top].Close {
					top = j
				}
			}
			gain := bs[top].Close/lo - 1
			if gain < 0.10 || vol < 3*20*median {
				continue
			}
			after := bs[top].Close
			for j := top; j < min(len(bs), top+120); j++ {
				after = min(after, bs[j].Close)
			}
			if after <= lo+(bs[top].Close-lo)/2 {
				pumps++
				t.Logf("%s pumped %.0f%% from bar %d to %d, fell back to %.3g (from %.3g)", sym, gain*100, i, top, after, lo)
				break
			}
		}
	}
	if pumps == 0 {
		t.Error("no pump and dump in 4 hours")
	}
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy, sxx, syy, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		syy += y[i] * y[i]
		sxy += x[i] * y[i]
	}
	cov := sxy/n - sx/n*sy/n
	return cov / math.Sqrt((sxx/n-sx*sx/n/n)*(syy/n-sy*sy/n/n))
}

func TestVolumeRisesWithMoves(t *testing.T) {
	g := NewGenerator(Options{Seed: 2, Start: testStart})
	hist := map[string][]model.Candle{}
	g.History(func(ev model.Event) {
		if ev.Kind == model.EventCandle && ev.Res == model.Minute {
			hist[ev.Symbol] = append(hist[ev.Symbol], ev.Candle)
		}
	})
	live := minuteBars(g, 3*3600, func(model.Event) {})
	for name, set := range map[string]map[string][]model.Candle{"history": hist, "live": live} {
		total, weak := 0.0, 0
		for sym, bs := range set {
			moves, usd := make([]float64, len(bs)), make([]float64, len(bs))
			for i, b := range bs {
				moves[i] = math.Abs(math.Log(b.Close / b.Open))
				usd[i] = b.Volume * b.Close
			}
			c := pearson(moves, usd)
			total += c
			if c < 0.1 {
				weak++
				t.Logf("%s %s: correlation %.2f", name, sym, c)
			}
		}
		mean := total / float64(len(set))
		t.Logf("%s: mean correlation of |return| and volume %.2f", name, mean)
		if mean < 0.3 || weak > len(set)/10 {
			t.Errorf("%s: mean correlation %.2f, %d of %d tokens under 0.1", name, mean, weak, len(set))
		}
	}
}

func TestVolatilityClusters(t *testing.T) {
	// GARCH: a big hour tends to follow a big hour.
	g := NewGenerator(Options{Seed: 4, Start: testStart})
	hours := map[string][]float64{}
	g.History(func(ev model.Event) {
		if ev.Kind == model.EventCandle && ev.Res == model.Hour {
			hours[ev.Symbol] = append(hours[ev.Symbol], math.Abs(math.Log(ev.Candle.Close/ev.Candle.Open)))
		}
	})
	total := 0.0
	for _, rs := range hours {
		total += pearson(rs[1:], rs[:len(rs)-1])
	}
	if mean := total / float64(len(hours)); mean < 0.05 {
		t.Fatalf("mean lag-1 autocorrelation of |hourly return| %.3f, want clustering (> 0.05)", mean)
	} else {
		t.Logf("mean lag-1 autocorrelation of |hourly return| %.3f", mean)
	}
}

func TestShocksAreFatTailed(t *testing.T) {
	g := NewGenerator(Options{Seed: 9})
	const n = 200_000
	var s2, s4 float64
	for range n {
		z := g.shock()
		s2 += z * z
		s4 += z * z * z * z
	}
	variance := s2 / n
	kurtosis := s4 / n / (variance * variance)
	if math.Abs(variance-1) > 0.05 || kurtosis < 4.5 {
		t.Fatalf("shock variance %.3f (want 1), kurtosis %.2f (want fat tails, > 4.5)", variance, kurtosis)
	}
}

func TestEventRateIsModest(t *testing.T) {
	g := NewGenerator(Options{Seed: 1, Start: testStart})
	g.History(func(model.Event) {})
	const seconds = 1200
	n := 0
	for range seconds {
		g.Step(func(model.Event) { n++ })
	}
	rate := float64(n) / seconds
	if rate < 50 || rate > 300 {
		t.Fatalf("%.0f events per simulated second, want 50..300", rate)
	}
	t.Logf("%.0f events per simulated second", rate)
}

func TestStepAllocatesNothing(t *testing.T) {
	g := NewGenerator(Options{Seed: 1, Start: testStart})
	g.History(func(model.Event) {})
	n := 0
	emit := func(model.Event) { n++ }
	if a := testing.AllocsPerRun(200, func() { g.Step(emit) }); a != 0 {
		t.Fatalf("Step allocates %.1f times", a)
	}
}

func BenchmarkHistory(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		g := NewGenerator(Options{Seed: 1, Start: testStart, Tokens: 40})
		g.History(func(model.Event) { n++ })
	}
}

func BenchmarkStep(b *testing.B) {
	g := NewGenerator(Options{Seed: 1, Start: testStart, Tokens: 40})
	g.History(func(model.Event) {})
	n := 0
	emit := func(model.Event) { n++ }
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		g.Step(emit)
	}
	b.ReportMetric(float64(n)/float64(b.N), "events/step")
}

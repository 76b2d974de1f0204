package model

import "math"

// Factor inputs, read straight from a token's Series rings without
// allocating. Windows are counted back from the token's last update.

const (
	traderMinutes = 75 // 1-minute closes the Trader Grade reads: RSI(14) on 5-minute closes needs 71
	traderHours   = 25 // hourly closes: 24 returns and a 24-hour average
	investorDays  = 91 // daily closes: 90 days of returns

	fastMinutes  = 60 // trend: the fast average
	rsiPeriods   = 14
	rsiStep      = 5  // minutes per RSI candle
	surgeMinutes = 15 // volume surge: the recent window
	surgeHours   = 24 // ... against the median hour of the day before
	minSurgeHrs  = 12 // hours with a bar the typical volume needs

	minDailyReturns = 14    // daily returns the volatility and drawdown need
	riskFloor       = 0.001 // 24h volatility floor of the risk-adjusted return
)

// closesInto fills dst with the closes of the len(dst) bars of res ending
// with the bar covering end, oldest first. A missing bar repeats the
// previous close; bars before the first stored one take its close. It
// returns how many bars, counted back from the end, lie at or after the
// first stored bar in the window (0 when none).
func (s *Series) closesInto(res Resolution, end int64, dst []float64) int {
	r := &s.rings[res]
	n := len(dst)
	if !r.has || end <= 0 || n == 0 {
		return 0
	}
	last := align(res, end)
	first := last - int64(n-1)*r.width
	found := -1
	prev := 0.0
	// A slot holds the bar for x when its start is x and x lies inside
	// the window.
	lo, hi := max(r.oldest(), 1), r.head
	x := first
	for k := 0; k < n; k++ {
		if x >= lo && x <= hi {
			if bt, i := r.index(x); r.bars[i].t == bt {
				c := r.bars[i].close()
				if found < 0 {
					found = k
					for j := 0; j < k; j++ {
						dst[j] = c
					}
				}
				prev = c
			}
		}
		dst[k] = prev
		x += r.width
	}
	if found < 0 {
		return 0
	}
	return n - found
}

// quoteVolume is the quote-currency volume of the bar of res starting at t
// (aligned), and whether that bar is stored.
func (s *Series) quoteVolume(res Resolution, t int64) (float64, bool) {
	_, i, ok := s.rings[res].get(t)
	if !ok {
		return 0, false
	}
	return s.quoteOf(res, i), true
}

// typicalHourQuote is the median quote volume of the surgeHours hours
// before hour (those with a bar; ok needs minSurgeHrs of them), for the
// volume surge. The hours before the current one rarely change, so the
// median is kept while the hour and the 5-minute and hour rings' older
// bars stand (ring.gen; the newest bars change without it, so nothing is
// kept while one of them lies before hour). buf is scratch.
func (s *Series) typicalHourQuote(hour int64, buf *[surgeHours]float64) (float64, bool) {
	c := &s.surge
	fr, hr := &s.rings[Minute5], &s.rings[Hour]
	if fr.head < hour || hr.head < hour {
		c.hour = 0 // the newest bars are among those read
	}
	if g5, gh := fr.gen, hr.gen; c.hour != hour || c.gen5 != g5 || c.genH != gh {
		vols := buf[:0]
		for k := int64(1); k <= surgeHours; k++ {
			if v, ok := s.quoteVolume(Hour, hour-k*3600); ok {
				vols = append(vols, v)
			}
		}
		*c = surgeCache{hour: hour, gen5: g5, genH: gh, ok: len(vols) >= minSurgeHrs}
		if c.ok {
			insertionSort(vols)
			c.typical = median(vols)
		}
	}
	return c.typical, c.ok
}

var sqrtDaysPerYear = math.Sqrt(365)

// finite turns an infinity into NaN.
func finite(v float64) float64 {
	if math.IsInf(v, 0) {
		return math.NaN()
	}
	return v
}

// closeBefore is the price at t as the history knows it without looking
// past t: the close of the latest bar that ends at or before t, from the
// finest resolution whose window holds such a bar within reason (an hour of
// minutes, a day of hours, a week of days). Which resolution answers
// depends only on how far back t is, so the reference price does not jump
// between resolutions from one recompute to the next.
func (s *Series) closeBefore(t int64) (float64, bool) {
	if t <= 0 {
		return 0, false
	}
	for res := Minute; res <= Day; res++ {
		r := &s.rings[res]
		if !r.has {
			continue
		}
		at := align(res, t) - r.width // the bar ending at align(t) <= t
		lo := max(at-closeReach[res]*r.width, r.oldest(), 1)
		if at > r.head || at < lo {
			continue
		}
		n, i := r.index(at)
		for x := at; x >= lo; x -= r.width {
			if r.bars[i].t == n {
				return r.bars[i].close(), true
			}
			n--
			if i--; i < 0 {
				i = len(r.bars) - 1
			}
		}
	}
	return 0, false
}

// logReturn is price against the close back seconds before end
// (closeBefore): the raw fraction and its log. NaN when the history does
// not reach back.
func logReturn(s *Series, price float64, end, back int64) (raw, x float64) {
	then, ok := s.closeBefore(end - back)
	if !ok || !(then > 0) {
		return math.NaN(), math.NaN()
	}
	x = finite(math.Log(price) - math.Log(then))
	raw = finite(math.Expm1(x))
	if math.IsNaN(x) || math.IsNaN(raw) {
		return math.NaN(), math.NaN()
	}
	return raw, x
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// traderFactors measures tk's Trader Grade factors: raw values as shown and
// x, the values normalised across tokens. Unknown ones are NaN.
func (e *ratingsEngine) traderFactors(tk *token, raw, x *[nFactorsMax]float64) {
	for i := range raw {
		raw[i], x[i] = math.NaN(), math.NaN()
	}
	s, p := tk.series, tk.price
	end := tk.last / 1e9
	raw[0], x[0] = logReturn(s, p, end, 3600)
	raw[1], x[1] = logReturn(s, p, end, 4*3600)
	raw[2], x[2] = logReturn(s, p, end, 24*3600)

	mc := e.minBuf[:]
	haveM := s.closesInto(Minute, end, mc)
	hc := e.hourBuf[:]
	haveH := s.closesInto(Hour, end, hc)

	// Trend: the average close of the last hour of minutes against the
	// average of the last 24 hourly closes.
	if haveM >= fastMinutes && haveH >= traderHours-1 {
		fast, slow := mean(mc[len(mc)-fastMinutes:]), mean(hc[1:])
		if fast > 0 && slow > 0 {
			x[3] = finite(math.Log(fast) - math.Log(slow))
			raw[3] = finite(math.Expm1(x[3]))
		}
	}

	// RSI(14) on 5-minute closes (Cutler's: simple averages of gains and
	// losses over 14 changes); 50 when nothing moved.
	if haveM >= rsiPeriods*rsiStep+1 {
		gain, loss := 0.0, 0.0
		for k := 0; k < rsiPeriods; k++ {
			a := mc[len(mc)-1-(k+1)*rsiStep]
			b := mc[len(mc)-1-k*rsiStep]
			if d := b - a; d > 0 {
				gain += d / a
			} else {
				loss -= d / a
			}
		}
		rsi := 50.0
		if gain+loss > 0 {
			rsi = 100 * gain / (gain + loss)
		}
		if !math.IsNaN(rsi) && !math.IsInf(rsi, 0) {
			raw[4], x[4] = rsi, rsi
		}
	}

	// Volume surge: quote volume of the last 15 minutes, scaled to an
	// hour, against the median hourly quote volume of the 24 hours before
	// the current one.
	if haveM >= surgeMinutes {
		endMin := align(Minute, end)
		recent := 0.0
		for k := int64(0); k < surgeMinutes; k++ {
			if v, ok := s.quoteVolume(Minute, endMin-k*60); ok {
				recent += v
			}
		}
		recent *= 60 / float64(surgeMinutes)
		if typical, ok := s.typicalHourQuote(align(Hour, end), &e.volBuf); ok {
			if typical > 0 && !math.IsInf(typical, 0) && !math.IsInf(recent, 0) {
				ratio := recent / typical
				raw[5], x[5] = finite(ratio), finite(math.Log(max(ratio, 0.01)))
			}
		}
	}

	// Risk-adjusted return: the 24h log return over the 24h volatility
	// (stdev of the 24 hourly log returns x sqrt(24)), floored at 0.1%.
	if haveH >= traderHours && !math.IsNaN(x[2]) {
		var n int
		var mu, m2 float64
		for k := 1; k < len(hc); k++ {
			v := math.Log(hc[k]) - math.Log(hc[k-1])
			n++
			d := v - mu
			mu += d / float64(n)
			m2 += d * (v - mu)
		}
		vol := max(math.Sqrt(m2/float64(n-1))*math.Sqrt(24), riskFloor)
		if ra := finite(x[2] / vol); !math.IsNaN(ra) {
			raw[6], x[6] = ra, ra
		}
	}
}

// investorFactors measures tk's Investor Grade factors.
func (e *ratingsEngine) investorFactors(tk *token, raw, x *[nFactorsMax]float64) {
	for i := range raw {
		raw[i], x[i] = math.NaN(), math.NaN()
	}
	s, p := tk.series, tk.price
	end := tk.last / 1e9
	raw[0], x[0] = logReturn(s, p, end, 30*86400)
	raw[1], x[1] = logReturn(s, p, end, 90*86400)

	// Drawdown and volatility on daily closes over up to 90 days (the
	// current day's close is the price now).
	hc := e.invBuf[:]
	have := s.closesInto(Day, end, hc)
	if have > minDailyReturns {
		hc = hc[len(hc)-have:]
		// One pass: sums of simple returns and the lowest close against
		// the running peak.
		peak, worst := hc[0], 1.0
		n := len(hc) - 1
		var s1, s2 float64
		for k := 1; k < len(hc); k++ {
			c := hc[k]
			peak = max(peak, c)
			if c < worst*peak {
				worst = c / peak
			}
			v := c/hc[k-1] - 1
			s1 += v
			s2 += v * v
		}
		if dd := worst - 1; dd > -1 {
			raw[2], x[2] = dd, finite(math.Log1p(dd))
		}
		vol := math.Sqrt(max(0, s2-s1*s1/float64(n))/float64(n-1)) * sqrtDaysPerYear
		if !math.IsNaN(vol) && !math.IsInf(vol, 0) {
			raw[3], x[3] = vol, finite(-math.Log(vol+1e-6))
		}
	}

	if _, _, qv, ok := s.Range24h(end); ok && qv >= 0 && !math.IsInf(qv, 0) {
		raw[4], x[4] = qv, math.Log10(qv+1)
	}
	if c := tk.marketCap(); c > 0 && !math.IsInf(c, 0) {
		raw[5], x[5] = c, math.Log10(c)
	}
}

// insertionSort sorts a short slice in place without allocating.
func insertionSort(v []float64) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

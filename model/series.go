package model

import "math"

// Ring sizes of a Series: 24 hours of 1-minute bars, 30 days of 1-hour bars,
// a year (and a day) of 1-day bars.
const (
	MinuteBars = 1440
	HourBars   = 720
	DayBars    = 366
)

// How far back CloseAt looks through a gap in each resolution before it
// falls back to the next coarser one ("within reason").
var closeReach = [3]int64{60, 24, 7}

// minVolatilityReturns is the fewest hourly returns Volatility needs; fewer
// and the number says more about luck than about the token.
const minVolatilityReturns = 24

// hoursPerYear annualises the stdev of hourly returns.
var sqrtHoursPerYear = math.Sqrt(24 * 365)

// barNote records, for a 1h or 1d bar, where its values came from.
type barNote struct {
	given  bool  // stored as given by Add at this resolution (a backfill)
	folded bool  // at least one finer bar has been rolled into it
	first  uint8 // index of the earliest finer bar rolled in (minute of hour, hour of day)
	last   uint8 // index of the latest finer bar rolled in
}

// ring is a fixed window of bars of one width, indexed directly by time: the
// bar starting at T lives in slot (T/width) mod len. A slot is valid only if
// its T is the one the lookup asks for and lies inside the window, so stale
// slots need no clearing and gaps cost nothing.
type ring struct {
	res   Resolution
	width int64
	bars  []Candle
	notes []barNote // nil for the minute ring
	head  int64     // start of the newest bar
	tail  int64     // start of the oldest bar ever stored (may have left the window)
	has   bool      // any bar stored
}

// slot is where the bar starting at t (> 0) lives. The divisions are by
// constants, so they compile to multiplications.
func (r *ring) slot(t int64) int {
	u := uint64(t)
	switch r.res {
	case Minute:
		return int(u / 60 % MinuteBars)
	case Hour:
		return int(u / 3600 % HourBars)
	default:
		return int(u / 86400 % DayBars)
	}
}

// align is the start of the bar of res covering t (> 0).
func align(res Resolution, t int64) int64 {
	u := uint64(t)
	switch res {
	case Minute:
		return t - int64(u%60)
	case Hour:
		return t - int64(u%3600)
	default:
		return t - int64(u%86400)
	}
}

// oldest is the start of the oldest bar the window can hold.
func (r *ring) oldest() int64 { return r.head - int64(len(r.bars)-1)*r.width }

// get returns the bar starting at t (aligned), if stored and in the window.
func (r *ring) get(t int64) (*Candle, int, bool) {
	if !r.has || t > r.head || t < r.oldest() || t <= 0 {
		return nil, 0, false
	}
	i := r.slot(t)
	b := &r.bars[i]
	return b, i, b.T == t
}

// claim returns the slot for t (aligned), clearing it if it held another
// bar, and moves the head. ok is false when t is older than the window.
func (r *ring) claim(t int64) (b *Candle, i int, existed, ok bool) {
	if r.has && t < r.oldest() {
		return nil, 0, false, false
	}
	if !r.has || t < r.tail {
		r.tail = t
	}
	if !r.has || t > r.head {
		r.head, r.has = t, true
	}
	i = r.slot(t)
	b = &r.bars[i]
	if b.T == t {
		return b, i, true, true
	}
	*b = Candle{T: t}
	if r.notes != nil {
		r.notes[i] = barNote{}
	}
	return b, i, false, true
}

// Series is one token's bounded price history at three resolutions. Minute
// bars roll up into the hour and day bars covering them; hour bars roll up
// into day bars. Bars added at a resolution directly (backfill) are stored
// as given: finer bars later only extend their high, low and close.
//
// A Series is one allocation of 131,632 bytes (amd64) and never grows.
// It is not safe for concurrent use; the Market's goroutine owns it.
type Series struct {
	rings [3]ring

	minute    [MinuteBars]Candle
	hour      [HourBars]Candle
	day       [DayBars]Candle
	hourNotes [HourBars]barNote
	// hourQuote is, for each rolled-up hour, the sum of Close*Volume of
	// its minute bars, kept so Range24h reads hours, not 1440 minutes.
	hourQuote [HourBars]float64
	dayNotes  [DayBars]barNote

	rejected uint64 // bars or ticks refused as malformed
	tooOld   uint64 // valid but older than the window
}

// NewSeries returns an empty history.
func NewSeries() *Series {
	s := new(Series)
	s.rings[Minute] = ring{res: Minute, width: 60, bars: s.minute[:]}
	s.rings[Hour] = ring{res: Hour, width: 3600, bars: s.hour[:], notes: s.hourNotes[:]}
	s.rings[Day] = ring{res: Day, width: 86400, bars: s.day[:], notes: s.dayNotes[:]}
	return s
}

// Dropped reports how many bars or ticks were refused as malformed and how
// many were valid but too old for the window.
func (s *Series) Dropped() (rejected, tooOld uint64) { return s.rejected, s.tooOld }

// raise and lower keep a running high and low. Inputs are validated
// finite, so plain comparisons do (math.Max also handles NaN and -0).
func raise(hi *float64, v float64) {
	if v > *hi {
		*hi = v
	}
}

func lower(lo *float64, v float64) {
	if v < *lo {
		*lo = v
	}
}

func finitePositive(v float64) bool { return v > 0 && !math.IsInf(v, 1) }

// ValidCandle says whether c is a well-formed, plausible bar (plausible.go):
// a positive start time, prices within [MinPrice, MaxPrice] with Low <=
// Open, Close <= High and High at most MaxBarJump times Low, and a
// non-negative volume worth at most MaxBarTurnover at the close. NaN fails
// every comparison, so it is refused too.
func ValidCandle(c Candle) bool {
	if c.T <= 0 || !PlausiblePrice(c.Open) || !PlausiblePrice(c.High) ||
		!PlausiblePrice(c.Low) || !PlausiblePrice(c.Close) {
		return false
	}
	if !(c.Low <= c.High) || c.Open > c.High || c.Open < c.Low || c.Close > c.High || c.Close < c.Low ||
		c.High > c.Low*MaxBarJump {
		return false
	}
	return c.Volume >= 0 && c.Volume*c.Close <= MaxBarTurnover
}

// Add inserts or replaces the bar at res starting at c.T (aligned down to
// the resolution). It returns false, and counts it, when the bar is
// malformed or older than the window.
func (s *Series) Add(res Resolution, c Candle) bool {
	if res > Day || !ValidCandle(c) {
		s.rejected++
		return false
	}
	r := &s.rings[res]
	c.T = align(res, c.T)
	b, i, existed, ok := r.claim(c.T)
	if !ok {
		s.tooOld++
		return false
	}
	old := *b
	*b = c
	if r.notes != nil {
		r.notes[i] = barNote{given: true}
	}
	if res == Hour {
		s.hourQuote[i] = 0
	}
	if res < Day {
		s.rollUp(res, old, existed, c)
	}
	return true
}

// Tick applies a trade (qty > 0) or a quote (qty == 0) at tUnixSec to the
// 1-minute bar covering it, opening that bar at the previous close when
// there is one, and rolls it up. False (counted) when malformed or too old.
func (s *Series) Tick(tUnixSec int64, price, qty float64) bool {
	if tUnixSec <= 0 || !finitePositive(price) || !(qty >= 0) || math.IsInf(qty, 1) {
		s.rejected++
		return false
	}
	r := &s.rings[Minute]
	t := align(Minute, tUnixSec)
	if b, _, ok := r.get(t); ok {
		quote := price*(b.Volume+qty) - b.Close*b.Volume
		raise(&b.High, price)
		lower(&b.Low, price)
		b.Close = price
		b.Volume += qty
		if !s.tickUp(Hour, t, price, qty, quote) || !s.tickUp(Day, t, price, qty, 0) {
			// The covering bar was missing (cannot happen unless the
			// rings disagree); rebuild it the general way.
			s.rollUp(Minute, *b, false, *b)
		}
		return true
	}
	open := price
	if prev, ok := s.CloseAt(t - 1); ok {
		open = prev
	}
	b, _, _, ok := r.claim(t)
	if !ok {
		s.tooOld++
		return false
	}
	*b = Candle{T: t, Open: open, High: math.Max(open, price), Low: math.Min(open, price), Close: price, Volume: qty}
	s.rollUp(Minute, Candle{}, false, *b)
	return true
}

// tickUp applies a tick inside the existing minute bar at minuteT to the
// res bar covering it: the fast path of Tick. False if that bar is missing.
func (s *Series) tickUp(res Resolution, minuteT int64, price, qty, quote float64) bool {
	r := &s.rings[res]
	pt := align(res, minuteT)
	b, i, ok := r.get(pt)
	if !ok {
		return false
	}
	n := &r.notes[i]
	var k uint8
	if res == Hour {
		k = uint8((minuteT - pt) / 60)
	} else {
		k = uint8((minuteT - pt) / 3600)
	}
	raise(&b.High, price)
	lower(&b.Low, price)
	if !n.given {
		b.Volume += qty
		if res == Hour {
			s.hourQuote[i] += quote
		}
	}
	if !n.folded || k >= n.last {
		b.Close, n.last = price, k
		if !n.folded {
			n.first, n.folded = k, true
		}
	}
	return true
}

// rollUp folds the change of a bar at res (old, if it existed, to now) into
// the coarser bars covering it.
func (s *Series) rollUp(res Resolution, old Candle, existed bool, now Candle) {
	for res < Day {
		parent := res + 1
		pOld, pExisted, pNow, changed := s.fold(parent, res, old, existed, now)
		if !changed {
			return
		}
		res, old, existed, now = parent, pOld, pExisted, pNow
	}
}

// fold rolls the change of one child bar into its parent bar and returns the
// parent before and after.
func (s *Series) fold(pres, cres Resolution, old Candle, existed bool, c Candle) (pOld Candle, pExisted bool, pNow Candle, changed bool) {
	p := &s.rings[pres]
	cw := s.rings[cres].width
	pt := align(pres, c.T)
	b, i, pExisted, ok := p.claim(pt)
	if !ok {
		return Candle{}, false, Candle{}, false
	}
	pOld = *b
	n := &p.notes[i]
	k := uint8((c.T - pt) / cw)
	if !pExisted {
		*b = Candle{T: pt, Open: c.Open, High: c.High, Low: c.Low, Close: c.Close, Volume: c.Volume}
		*n = barNote{folded: true, first: k, last: k}
		if pres == Hour {
			s.hourQuote[i] = c.Close * c.Volume
		}
		return pOld, false, *b, true
	}
	if n.given {
		// A backfilled bar: finer bars extend it, they never rewrite it.
		raise(&b.High, c.High)
		lower(&b.Low, c.Low)
		if !n.folded || k >= n.last {
			b.Close = c.Close
			n.last = k
			if !n.folded {
				n.first = k
			}
			n.folded = true
		}
		return pOld, true, *b, *b != pOld
	}
	shrinks := existed && ((old.High >= b.High && c.High < old.High) || (old.Low <= b.Low && c.Low > old.Low))
	if shrinks && pt+int64(n.first)*cw >= s.rings[cres].oldest() {
		s.recompute(pres, cres, i)
		return pOld, true, *b, *b != pOld
	}
	raise(&b.High, c.High)
	lower(&b.Low, c.Low)
	quote := c.Close * c.Volume
	if existed {
		b.Volume += c.Volume - old.Volume
		quote -= old.Close * old.Volume
	} else {
		b.Volume += c.Volume
	}
	if pres == Hour {
		s.hourQuote[i] += quote
	}
	if k <= n.first {
		b.Open, n.first = c.Open, k
	}
	if k >= n.last {
		b.Close, n.last = c.Close, k
	}
	return pOld, true, *b, *b != pOld
}

// recompute rebuilds a rolled-up parent bar from the finer bars it covers.
func (s *Series) recompute(pres, cres Resolution, i int) {
	p, cr := &s.rings[pres], &s.rings[cres]
	b, n := &p.bars[i], &p.notes[i]
	per := p.width / cr.width
	out := Candle{T: b.T}
	note := barNote{}
	quote := 0.0
	for k := int64(0); k < per; k++ {
		c, _, ok := cr.get(b.T + k*cr.width)
		if !ok {
			continue
		}
		if !note.folded {
			out.Open, out.High, out.Low = c.Open, c.High, c.Low
			note = barNote{folded: true, first: uint8(k)}
		}
		raise(&out.High, c.High)
		lower(&out.Low, c.Low)
		out.Close = c.Close
		out.Volume += c.Volume
		quote += c.Close * c.Volume
		note.last = uint8(k)
	}
	if note.folded {
		*b, *n = out, note
		if pres == Hour {
			s.hourQuote[i] = quote
		}
	}
}

// effectiveStart is the earliest time a bar's close can speak for: its start
// for a given bar, the effective start of its earliest finer bar for a
// rolled-up one.
func (s *Series) effectiveStart(res Resolution, i int) int64 {
	r := &s.rings[res]
	t := r.bars[i].T
	for res > Minute {
		n := &r.notes[i]
		if n.given || !n.folded {
			return t
		}
		res--
		r = &s.rings[res]
		t += int64(n.first) * r.width
		var ok bool
		if _, i, ok = r.get(t); !ok {
			return t
		}
	}
	return t
}

// Last returns the newest bar at any resolution (the finest on a tie).
func (s *Series) Last() (Candle, bool) {
	best := -1
	for res := range s.rings {
		r := &s.rings[res]
		if r.has && (best < 0 || r.head > s.rings[best].head) {
			best = res
		}
	}
	if best < 0 {
		return Candle{}, false
	}
	r := &s.rings[best]
	return r.bars[r.slot(r.head)], true
}

// CloseAt returns the close of the latest bar starting at or before t, from
// the finest resolution that has one within reason (an hour of minute bars,
// a day of hour bars, a week of day bars). A rolled-up bar counts as
// starting at its earliest finer bar, so history never seems to reach
// further back than it does.
func (s *Series) CloseAt(t int64) (float64, bool) {
	for res := Minute; res <= Day; res++ {
		if v, ok := s.closeIn(res, t, 0); ok {
			return v, true
		}
	}
	return math.NaN(), false
}

// closeIn is CloseAt at one resolution, looking only at bars that start
// after floor.
func (s *Series) closeIn(res Resolution, t, floor int64) (float64, bool) {
	r := &s.rings[res]
	if !r.has || t <= 0 {
		return 0, false
	}
	at := min(align(res, t), r.head)
	lo := max(at-closeReach[res]*r.width, r.oldest(), r.tail, floor+1, 1)
	if at < lo {
		return 0, false
	}
	i := r.slot(at)
	for x := at; x >= lo; x -= r.width {
		// x is in the window, so T == x means the bar is stored.
		if r.bars[i].T == x && s.effectiveStart(res, i) <= t {
			return r.bars[i].Close, true
		}
		if i--; i < 0 {
			i = len(r.bars) - 1
		}
	}
	return 0, false
}

// Candles appends to dst the stored bars at res starting in [from, to],
// oldest first, and returns it.
func (s *Series) Candles(res Resolution, from, to int64, dst []Candle) []Candle {
	if res > Day {
		return dst
	}
	r := &s.rings[res]
	if !r.has {
		return dst
	}
	from = max(from, r.oldest(), r.width)
	from = align(res, from)
	to = min(to, r.head)
	for x := from; x <= to; x += r.width {
		if b, _, ok := r.get(x); ok {
			dst = append(dst, *b)
		}
	}
	return dst
}

// Range24h returns the high, the low and the volume in the quote currency
// (sum of Close*Volume) over the 24 hours ending with the minute of end,
// from 1-minute bars, and from 1-hour bars for whole hours that have no
// minute bars. ok is false when no bar falls in the window.
func (s *Series) Range24h(end int64) (high, low, quoteVolume float64, ok bool) {
	mr, hr := &s.rings[Minute], &s.rings[Hour]
	if end <= 0 {
		return math.NaN(), math.NaN(), 0, false
	}
	endMin := align(Minute, end)
	from := endMin - (MinuteBars-1)*60
	high, low = math.Inf(-1), math.Inf(1)
	mlo, mhi := max(from, mr.oldest(), mr.tail), min(endMin, mr.head)
	for h := align(Hour, max(from, 1)); h <= endMin; h += 3600 {
		whole := h >= from && h+3600-60 <= endMin
		hb, hi, hok := hr.get(h)
		if whole && hok {
			n := &hr.notes[hi]
			if !n.given || !n.folded {
				// Rolled up from exactly these minutes, or given
				// with no minutes: the hour bar speaks for them.
				ok = true
				raise(&high, hb.High)
				lower(&low, hb.Low)
				if n.given {
					quoteVolume += hb.Close * hb.Volume
				} else {
					quoteVolume += s.hourQuote[hi]
				}
				continue
			}
		}
		lo, top := max(h, mlo), min(h+3600-60, mhi)
		found := false
		i := 0
		if lo <= top {
			i = mr.slot(lo)
		}
		for x := lo; x <= top; x += 60 {
			b := &mr.bars[i]
			if i++; i == MinuteBars {
				i = 0
			}
			if b.T == x { // x is in the window, so the bar is stored
				found = true
				raise(&high, b.High)
				lower(&low, b.Low)
				quoteVolume += b.Close * b.Volume
			}
		}
		ok = ok || found
		if !found && whole && hok {
			ok = true
			raise(&high, hb.High)
			lower(&low, hb.Low)
			quoteVolume += hb.Close * hb.Volume
		}
	}
	if !ok {
		return math.NaN(), math.NaN(), 0, false
	}
	return high, low, quoteVolume, true
}

// SparkPoints is the number of points Spark returns with a full 24h.
const SparkPoints = 86400 / SparkStep

// Spark appends to dst the closes sampled every SparkStep seconds over the
// 24 hours ending at end, oldest first, the last point at end. A gap repeats
// the previous close; points before the history begins are left out, so a
// young token has a shorter line.
func (s *Series) Spark(end int64, dst []float64) []float64 {
	prev, have, fromMinutes := 0.0, false, false
	floor := int64(0)
	for k := SparkPoints - 1; k >= 0; k-- {
		t := end - int64(k)*SparkStep
		// Minute bars since the previous point; if none and the previous
		// point came from minutes, it still stands. Otherwise ask the
		// coarser rings.
		v, ok := s.closeIn(Minute, t, floor)
		floor = t
		switch {
		case ok:
			fromMinutes = true
		case fromMinutes:
		default:
			if v, ok = s.closeIn(Hour, t, 0); !ok {
				v, ok = s.closeIn(Day, t, 0)
			}
		}
		switch {
		case ok:
			prev, have = v, true
		case !have:
			continue
		}
		dst = append(dst, prev)
	}
	return dst
}

// Volatility is the annualised standard deviation of hourly log returns
// over the 7 days ending with the hour of end: stdev * sqrt(24*365). Only
// pairs of adjacent hours that both have a bar count; NaN with fewer than
// minVolatilityReturns returns.
func (s *Series) Volatility(end int64) float64 {
	r := &s.rings[Hour]
	if end <= 0 {
		return math.NaN()
	}
	endH := align(Hour, end)
	var n int
	var mean, m2 float64
	prev, havePrev := 0.0, false
	for x := endH - 7*24*3600; x <= endH; x += 3600 {
		b, _, ok := r.get(x)
		if !ok {
			havePrev = false
			continue
		}
		if havePrev {
			v := math.Log(b.Close / prev)
			n++
			d := v - mean
			mean += d / float64(n)
			m2 += d * (v - mean)
		}
		prev, havePrev = b.Close, true
	}
	if n < minVolatilityReturns {
		return math.NaN()
	}
	return math.Sqrt(m2/float64(n-1)) * sqrtHoursPerYear
}

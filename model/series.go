package model

import (
	"math"
	"math/bits"
)

// Ring sizes of a Series: what the screens and the ratings read, and no
// more. 1-minute bars for 76 minutes (the 1h chart; RSI, trend and volume
// surge read at most 75 minutes), 5-minute bars for 25 hours (the 24h
// chart, sparkline, 24h range, change and quote volume, the hourly volumes
// of the volume surge), 1-hour bars for 7 days and 2 hours (the 7d chart,
// 7-day volatility and change, hourly factors), 4-hour bars for 30 days
// and 4 hours (the 30d chart) and 1-day bars for 92 days (90-day investor
// factors).
const (
	MinuteBars  = 76
	Minute5Bars = 300
	HourBars    = 170
	Hour4Bars   = 181
	DayBars     = 92
)

// numRes is the number of resolutions a Series keeps (Minute..Day).
const numRes = int(Day) + 1

// ringLens are the ring sizes by resolution.
var ringLens = [numRes]int{MinuteBars, Minute5Bars, HourBars, Hour4Bars, DayBars}

// How far back, in bars, CloseAt looks through a gap in each resolution
// before it falls back to the next coarser one ("within reason"): an hour
// of minutes, 6 hours of 5 minutes, a day of hours, 3 days of 4 hours, a
// week of days.
var closeReach = [numRes]int64{60, 72, 24, 18, 7}

// maxBarTime is the latest bar start a Series stores (year 6325): bar
// starts are kept as 32-bit counts of bar widths.
const maxBarTime = 1 << 37

// validPrice says whether v is a price the Series can keep (NaN is not):
// within MinPrice..MaxPrice (plausible.go), which also keeps a bar's range
// within its float32 offsets.
func validPrice(v float64) bool { return v >= MinPrice && v <= MaxPrice }

// minVolatilityReturns is the fewest hourly returns Volatility needs; fewer
// and the number says more about luck than about the token.
const minVolatilityReturns = 24

// hoursPerYear annualises the stdev of hourly returns.
var sqrtHoursPerYear = math.Sqrt(24 * 365)

// packedBar is one stored bar in 32 bytes (a Candle is 48): the open and the
// volume exactly, the high, low and close as float32 offsets from the
// open, and the start as a count of bar widths (0: an empty slot). An
// offset keeps 24 bits of the move within the bar, so a price is kept to
// about 1e-7 of the bar's range (1e-9 of the price for a 1% bar); prices
// shown as "the price" come from the feed, not from bars.
type packedBar struct {
	open                float64
	volume              float64
	dHigh, dLow, dClose float32
	t                   uint32
}

// offset is d as a float32, held within float32's range (prices within
// MinPrice..MaxPrice always fit).
func offset(d float64) float32 {
	switch {
	case d > math.MaxFloat32:
		return math.MaxFloat32
	case d < -math.MaxFloat32:
		return -math.MaxFloat32
	}
	return float32(d)
}

// price is open plus an offset, never below the offsets' precision
// (2^-24 of the open): a low a billion times under its open would
// otherwise round to 0 or below.
func (b *packedBar) price(d float32) float64 {
	return max(b.open+float64(d), b.open*0x1p-24)
}

func (b *packedBar) high() float64  { return b.price(b.dHigh) }
func (b *packedBar) low() float64   { return b.price(b.dLow) }
func (b *packedBar) close() float64 { return b.price(b.dClose) }

// set stores c's prices and volume (not its start).
func (b *packedBar) set(c *Candle) {
	b.open, b.volume = c.Open, c.Volume
	b.dHigh, b.dLow, b.dClose = offset(c.High-c.Open), offset(c.Low-c.Open), offset(c.Close-c.Open)
}

// barNote records, for a bar coarser than a minute, where its values came
// from, in 16 bits: whether it was stored as given by Add at this
// resolution (a backfill), and which finer bars are rolled into it, by
// index within it (minute of the 5, 5 minutes of the hour, hour of the 4,
// 4 hours of the day: at most 12).
type barNote uint16

const noteGiven barNote = 1 << 15

func (n barNote) given() bool    { return n&noteGiven != 0 }
func (n barNote) mask() uint16   { return uint16(n &^ noteGiven) }
func (n barNote) folded() bool   { return n.mask() != 0 }
func (n barNote) has(k int) bool { return n.mask()&(1<<k) != 0 }

// fold marks finer bar k as rolled in.
func (n *barNote) fold(k int) { *n |= 1 << k }

// first and last are the indexes of the earliest and latest finer bar
// rolled in (first 16 and last -1 when none).
func (n barNote) first() int { return bits.TrailingZeros16(n.mask()) }
func (n barNote) last() int  { return 15 - bits.LeadingZeros16(n.mask()) }

// ring is a fixed window of bars of one width, indexed directly by time: the
// bar starting at T lives in slot (T/width) mod len. A slot is valid only if
// its start is the one the lookup asks for and lies inside the window, so
// stale slots need no clearing and gaps cost nothing.
type ring struct {
	res   Resolution
	width int64
	bars  []packedBar
	notes []barNote // nil for the minute ring
	head  int64     // start of the newest bar
	tail  int64     // start of the oldest bar ever stored (may have left the window)
	has   bool      // any bar stored
	// gen counts changes to bars other than the newest (and moves of the
	// head): what was read from the older bars is still right while it
	// stands (Volatility's cache).
	gen uint32
}

// index is the count of bar widths up to t (> 0), and its slot. The
// divisions are by constants, so they compile to multiplications.
func (r *ring) index(t int64) (uint32, int) {
	u := uint64(t)
	var n uint64
	switch r.res {
	case Minute:
		n = u / 60
		return uint32(n), int(n % MinuteBars)
	case Minute5:
		n = u / 300
		return uint32(n), int(n % Minute5Bars)
	case Hour:
		n = u / 3600
		return uint32(n), int(n % HourBars)
	case Hour4:
		n = u / 14400
		return uint32(n), int(n % Hour4Bars)
	default:
		n = u / 86400
		return uint32(n), int(n % DayBars)
	}
}

// slot is where the bar starting at t (> 0) lives.
func (r *ring) slot(t int64) int {
	_, i := r.index(t)
	return i
}

// align is the start of the bar of res covering t (> 0).
func align(res Resolution, t int64) int64 {
	u := uint64(t)
	switch res {
	case Minute:
		return t - int64(u%60)
	case Minute5:
		return t - int64(u%300)
	case Hour:
		return t - int64(u%3600)
	case Hour4:
		return t - int64(u%14400)
	default:
		return t - int64(u%86400)
	}
}

// oldest is the start of the oldest bar the window can hold.
func (r *ring) oldest() int64 { return r.head - int64(len(r.bars)-1)*r.width }

// get returns the bar starting at t (aligned), if stored and in the window.
func (r *ring) get(t int64) (*packedBar, int, bool) {
	if !r.has || t > r.head || t < r.oldest() || t <= 0 {
		return nil, 0, false
	}
	n, i := r.index(t)
	b := &r.bars[i]
	return b, i, b.t == n
}

// candle is the bar in slot i as a Candle.
func (r *ring) candle(i int) Candle {
	b := &r.bars[i]
	return Candle{T: int64(b.t) * r.width, Open: b.open, High: b.high(), Low: b.low(), Close: b.close(), Volume: b.volume}
}

// quoteOf is the quote-currency volume of the bar of res in slot i: its
// Close*Volume; for an hour rolled up from 5-minute bars, the sum of
// theirs (those still kept).
func (s *Series) quoteOf(res Resolution, i int) float64 {
	r := &s.rings[res]
	b := &r.bars[i]
	if res != Hour || r.notes[i].given() || !r.notes[i].folded() {
		return b.close() * b.volume
	}
	fr := &s.rings[Minute5]
	t := int64(b.t) * 3600
	q, found := 0.0, false
	if !fr.has {
		return b.close() * b.volume
	}
	lo, hi := fr.oldest(), fr.head
	n, j := fr.index(t)
	// The 12 slots of the hour's 5-minute bars, walked in order.
	for k, mask := int64(0), r.notes[i].mask(); mask != 0; k, mask = k+1, mask>>1 {
		if x := t + k*300; mask&1 != 0 && x >= lo && x <= hi {
			if f := &fr.bars[j]; f.t == n {
				q += f.close() * f.volume
				found = true
			}
		}
		n++
		if j++; j == Minute5Bars {
			j = 0
		}
	}
	if !found {
		return b.close() * b.volume
	}
	return q
}

// claim returns the slot for t (aligned), clearing it if it held another
// bar, and moves the head. ok is false when t is older than the window.
func (r *ring) claim(t int64) (b *packedBar, i int, existed, ok bool) {
	if r.has && t < r.oldest() {
		return nil, 0, false, false
	}
	if t != r.head {
		r.gen++
	}
	if !r.has || t < r.tail {
		r.tail = t
	}
	if !r.has || t > r.head {
		r.head, r.has = t, true
	}
	n, i := r.index(t)
	b = &r.bars[i]
	if b.t == n {
		return b, i, true, true
	}
	*b = packedBar{t: n}
	if r.notes != nil {
		r.notes[i] = 0
	}
	return b, i, false, true
}

// Series is one token's bounded price history at five resolutions. Minute
// bars roll up into the 5-minute bars covering them, those into hours,
// hours into 4 hours, 4 hours into days. Bars added at a resolution
// directly (backfill) are stored as given: finer bars later only extend
// their high, low and close. A bar older than its own ring is rolled into
// the coarser bars that still cover it (once: a bar already rolled in is
// not counted twice).
//
// A Series is one allocation of 28,160 bytes (amd64: just under Go's
// 28,672-byte size class; anything over 32 KB would be rounded up to whole
// 8 KB pages) and never grows.
// It is not safe for concurrent use; the Market's goroutine owns it.
type Series struct {
	rings [numRes]ring

	minute  [MinuteBars]packedBar
	minute5 [Minute5Bars]packedBar
	hour    [HourBars]packedBar
	hour4   [Hour4Bars]packedBar
	day     [DayBars]packedBar

	notes5  [Minute5Bars]barNote
	notesH  [HourBars]barNote
	notesH4 [Hour4Bars]barNote
	notesD  [DayBars]barNote

	rejected uint64 // bars or ticks refused as malformed
	tooOld   uint64 // valid but older than the window

	vol   volCache
	surge surgeCache
	r24   range24Cache
}

// surgeCache holds typicalHourQuote's median for an hour while the bars it
// was read from stand.
type surgeCache struct {
	hour       int64 // 0 = nothing cached
	gen5, genH uint32
	typical    float64
	ok         bool
}

// volCache holds Volatility's sums over the hourly returns before the hour
// it last ended in, while the hour ring's older bars stand (ring.gen):
// a view rebuilt on every tick then reads two bars, not 169.
type volCache struct {
	endH     int64 // the hour of end; 0 = nothing cached
	lim      int64 // the sums cover the bars before this hour
	gen      uint32
	n        int
	mean, m2 float64
	prev     float64 // the close of the last bar read
	havePrev bool
}

// NewSeries returns an empty history.
func NewSeries() *Series {
	s := new(Series)
	s.rings[Minute] = ring{res: Minute, width: 60, bars: s.minute[:]}
	s.rings[Minute5] = ring{res: Minute5, width: 300, bars: s.minute5[:], notes: s.notes5[:]}
	s.rings[Hour] = ring{res: Hour, width: 3600, bars: s.hour[:], notes: s.notesH[:]}
	s.rings[Hour4] = ring{res: Hour4, width: 14400, bars: s.hour4[:], notes: s.notesH4[:]}
	s.rings[Day] = ring{res: Day, width: 86400, bars: s.day[:], notes: s.notesD[:]}
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
// the resolution). A bar older than the res ring is rolled into the
// coarser bar covering it if that one is still kept and has not counted
// it yet. It returns false, and counts it, when the bar is malformed or
// too old to be kept anywhere.
func (s *Series) Add(res Resolution, c Candle) bool {
	if res > Day || !ValidCandle(c) || c.T > maxBarTime {
		s.rejected++
		return false
	}
	r := &s.rings[res]
	c.T = align(res, c.T)
	b, i, existed, ok := r.claim(c.T)
	if !ok {
		if res < Day && s.foldOld(res, c) {
			return true
		}
		s.tooOld++
		return false
	}
	var old Candle
	if existed {
		old = r.candle(i)
	}
	b.set(&c)
	if r.notes != nil {
		r.notes[i] = noteGiven
	}
	if res < Day {
		s.rollUp(res, old, existed, c)
	}
	return true
}

// foldOld rolls c, a bar of res too old for its ring, into the coarser bar
// covering it, unless that bar is gone or already holds it.
func (s *Series) foldOld(res Resolution, c Candle) bool {
	p := &s.rings[res+1]
	pt := align(res+1, c.T)
	_, pi, ok := p.get(pt)
	switch {
	case ok && p.notes[pi].has(int((c.T-pt)/s.rings[res].width)):
		return false // already rolled in
	case !ok && p.has && pt < p.oldest():
		return false // the coarser bar is gone too
	}
	pOld, pExisted, pNow, changed := s.fold(res+1, res, Candle{}, false, c)
	if changed {
		s.rollUp(res+1, pOld, pExisted, pNow)
	}
	return true
}

// Tick applies a trade (qty > 0) or a quote (qty == 0) at tUnixSec to the
// 1-minute bar covering it, opening that bar at the previous close when
// there is one, and rolls it up. False (counted) when malformed or too old.
func (s *Series) Tick(tUnixSec int64, price, qty float64) bool {
	if tUnixSec <= 0 || tUnixSec > maxBarTime || !validPrice(price) || !(qty >= 0) || math.IsInf(qty, 1) {
		s.rejected++
		return false
	}
	r := &s.rings[Minute]
	t := align(Minute, tUnixSec)
	if b, _, ok := r.get(t); ok {
		d := offset(price - b.open)
		b.dHigh = max(b.dHigh, d)
		b.dLow = min(b.dLow, d)
		b.dClose = d
		b.volume += qty
		for res := Minute5; res <= Day; res++ {
			if !s.tickUp(res, t, price, qty) {
				// The covering bar was missing (cannot happen unless
				// the rings disagree); rebuild it the general way.
				fr := &s.rings[res-1]
				if _, fi, ok := fr.get(align(res-1, t)); ok {
					s.rollUp(res-1, Candle{}, false, fr.candle(fi))
				}
				break
			}
		}
		return true
	}
	open := price
	if prev, ok := s.CloseAt(t - 1); ok {
		open = prev
	}
	nb := Candle{T: t, Open: open, High: math.Max(open, price), Low: math.Min(open, price), Close: price, Volume: qty}
	b, _, _, ok := r.claim(t)
	if !ok {
		s.tooOld++
		return false
	}
	b.set(&nb)
	s.rollUp(Minute, Candle{}, false, nb)
	return true
}

// tickUp applies a tick inside the existing minute bar at minuteT to the
// res bar covering it: the fast path of Tick. False if that bar is
// missing.
func (s *Series) tickUp(res Resolution, minuteT int64, price, qty float64) bool {
	r := &s.rings[res]
	pt := align(res, minuteT)
	b, i, ok := r.get(pt)
	if !ok {
		return false
	}
	if pt != r.head {
		r.gen++
	}
	n := &r.notes[i]
	k := int((minuteT - pt) / s.rings[res-1].width)
	d := offset(price - b.open)
	b.dHigh = max(b.dHigh, d)
	b.dLow = min(b.dLow, d)
	if !n.given() {
		b.volume += qty
	}
	if !n.folded() || k >= n.last() {
		b.dClose = d
	}
	n.fold(k)
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

// fold rolls the change of one child bar (old to c) into its parent bar and
// returns the parent before and after.
func (s *Series) fold(pres, cres Resolution, old Candle, existed bool, c Candle) (pOld Candle, pExisted bool, pNow Candle, changed bool) {
	p := &s.rings[pres]
	cw := s.rings[cres].width
	pt := align(pres, c.T)
	b, i, pExisted, ok := p.claim(pt)
	if !ok {
		return Candle{}, false, Candle{}, false
	}
	n := &p.notes[i]
	k := int((c.T - pt) / cw)
	if !pExisted {
		pNow = Candle{T: pt, Open: c.Open, High: c.High, Low: c.Low, Close: c.Close, Volume: c.Volume}
		b.set(&pNow)
		*n = 0
		n.fold(k)
		return Candle{}, false, p.candle(i), true
	}
	pOld = p.candle(i)
	cur := pOld
	if n.given() {
		// A backfilled bar: finer bars extend it, they never rewrite it.
		raise(&cur.High, c.High)
		lower(&cur.Low, c.Low)
		if !n.folded() || k >= n.last() {
			cur.Close = c.Close
		}
		n.fold(k)
		if cur != pOld {
			b.set(&cur)
		}
		pNow = p.candle(i)
		return pOld, true, pNow, pNow != pOld
	}
	shrinks := existed && ((old.High >= pOld.High && c.High < old.High) || (old.Low <= pOld.Low && c.Low > old.Low))
	if shrinks && pt+int64(n.first())*cw >= s.rings[cres].oldest() {
		s.recompute(pres, cres, i)
		pNow = p.candle(i)
		return pOld, true, pNow, pNow != pOld
	}
	raise(&cur.High, c.High)
	lower(&cur.Low, c.Low)
	if existed {
		cur.Volume += c.Volume - old.Volume
	} else {
		cur.Volume += c.Volume
	}
	if k <= n.first() {
		cur.Open = c.Open
	}
	if k >= n.last() {
		cur.Close = c.Close
	}
	n.fold(k)
	b.set(&cur)
	pNow = p.candle(i)
	return pOld, true, pNow, pNow != pOld
}

// recompute rebuilds a rolled-up parent bar from the finer bars it covers.
func (s *Series) recompute(pres, cres Resolution, i int) {
	p, cr := &s.rings[pres], &s.rings[cres]
	pt := int64(p.bars[i].t) * p.width
	per := p.width / cr.width
	out := Candle{T: pt}
	var note barNote
	for k := int64(0); k < per; k++ {
		_, ci, ok := cr.get(pt + k*cr.width)
		if !ok {
			continue
		}
		c := cr.candle(ci)
		if !note.folded() {
			out.Open, out.High, out.Low = c.Open, c.High, c.Low
		}
		raise(&out.High, c.High)
		lower(&out.Low, c.Low)
		out.Close = c.Close
		out.Volume += c.Volume
		note.fold(int(k))
	}
	if note.folded() {
		p.bars[i].set(&out)
		p.notes[i] = note
	}
}

// effectiveStart is the earliest time a bar's close can speak for: its start
// for a given bar, the effective start of its earliest finer bar for a
// rolled-up one.
func (s *Series) effectiveStart(res Resolution, i int) int64 {
	r := &s.rings[res]
	t := int64(r.bars[i].t) * r.width
	for res > Minute {
		n := r.notes[i]
		if n.given() || !n.folded() {
			return t
		}
		res--
		r = &s.rings[res]
		t += int64(n.first()) * r.width
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
	return r.candle(r.slot(r.head)), true
}

// CloseAt returns the close of the latest bar starting at or before t, from
// the finest resolution that has one within reason (an hour of minute bars,
// 6 hours of 5-minute bars, a day of hour bars, 3 days of 4-hour bars, a
// week of day bars). A rolled-up bar counts as starting at its earliest
// finer bar, so history never seems to reach further back than it does.
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
	v, ok, _ := s.closeInHead(res, t, floor)
	return v, ok
}

// closeInHead is closeIn, also saying whether it read the ring's newest
// bar.
func (s *Series) closeInHead(res Resolution, t, floor int64) (v float64, ok, head bool) {
	r := &s.rings[res]
	if !r.has || t <= 0 {
		return 0, false, false
	}
	at := min(align(res, t), r.head)
	lo := max(at-closeReach[res]*r.width, r.oldest(), r.tail, floor+1, 1)
	if at < lo {
		return 0, false, false
	}
	head = at == r.head
	n, i := r.index(at)
	for x := at; x >= lo; x -= r.width {
		// x is in the window, so a matching start means the bar is stored.
		if b := &r.bars[i]; b.t == n && s.effectiveStart(res, i) <= t {
			return b.close(), true, head
		}
		n--
		if i--; i < 0 {
			i = len(r.bars) - 1
		}
	}
	return 0, false, head
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
		if _, i, ok := r.get(x); ok {
			dst = append(dst, r.candle(i))
		}
	}
	return dst
}

// Range24h returns the high, the low and the volume in the quote currency
// (sum of Close*Volume of the 5-minute bars; of a backfilled hour's own)
// over the 24 hours ending with the minute of end: whole hours from 1-hour
// bars (a backfilled hour from its 5-minute bars only when they cover all
// of it), the rest from 5-minute bars (at the window's far end, those
// starting inside it). ok is false when no bar falls in the window.
func (s *Series) Range24h(end int64) (high, low, quoteVolume float64, ok bool) {
	fr, hr := &s.rings[Minute5], &s.rings[Hour]
	if end <= 0 {
		return math.NaN(), math.NaN(), 0, false
	}
	endMin := align(Minute, end)
	from := endMin - (24*60-1)*60
	w := range24{high: math.Inf(-1), low: math.Inf(1)}
	// Whole hours older than both rings' newest bars do not change while
	// the rings' older bars stand (ring.gen): their sums are kept.
	firstWhole := align(Hour, max(from, 1)+3599)
	lastStable := min(align(Hour, endMin-3540), align(Hour, min(hr.head, fr.head))-3600)
	c := &s.r24
	if c.first != firstWhole || c.last != lastStable || c.genH != hr.gen || c.gen5 != fr.gen {
		*c = range24Cache{first: firstWhole, last: lastStable, genH: hr.gen, gen5: fr.gen,
			sum: range24{high: math.Inf(-1), low: math.Inf(1)}}
		for h := firstWhole; h <= lastStable; h += 3600 {
			s.range24Hour(&c.sum, h, from, endMin)
		}
	}
	for h := align(Hour, max(from, 1)); h <= endMin; h += 3600 {
		if h == firstWhole && lastStable >= firstWhole {
			w.add(&c.sum)
			h = lastStable
			continue
		}
		s.range24Hour(&w, h, from, endMin)
	}
	if !w.ok {
		return math.NaN(), math.NaN(), 0, false
	}
	return w.high, w.low, w.quote, true
}

// range24 is Range24h's running result.
type range24 struct {
	high, low, quote float64
	ok               bool
}

func (w *range24) add(o *range24) {
	raise(&w.high, o.high)
	lower(&w.low, o.low)
	w.quote += o.quote
	w.ok = w.ok || o.ok
}

func (w *range24) bar(b *packedBar, quote float64) {
	raise(&w.high, b.high())
	lower(&w.low, b.low())
	w.quote += quote
	w.ok = true
}

// range24Cache holds Range24h's sums over the whole hours first..last while
// the hour and 5-minute rings' older bars stand.
type range24Cache struct {
	first, last int64 // 0, 0: nothing cached
	genH, gen5  uint32
	sum         range24
}

// range24Hour adds to w the part of the hour starting at h that lies in
// the window from..endMin (minute starts): the hour bar for a whole hour
// it speaks for, else the 5-minute bars starting in the window.
func (s *Series) range24Hour(w *range24, h, from, endMin int64) {
	fr, hr := &s.rings[Minute5], &s.rings[Hour]
	whole := h >= from && h+3600-60 <= endMin
	_, hi, hok := hr.get(h)
	if whole && hok {
		if n := hr.notes[hi]; !n.given() || n.mask() != 1<<12-1 {
			// Rolled up from exactly these bars, or given (a backfill,
			// its volume the exchange's whole hour) and not wholly
			// covered by finer bars: the hour bar speaks for them.
			w.bar(&hr.bars[hi], s.quoteOf(Hour, hi))
			return
		}
	}
	found := false
	if fr.has {
		x0 := max(align(Minute5, max(h, from)+299), fr.oldest(), fr.tail)
		x1 := min(h+3600-300, endMin, fr.head)
		if x0 <= x1 {
			n, i := fr.index(x0)
			for x := x0; x <= x1; x += 300 {
				b := &fr.bars[i]
				if i++; i == Minute5Bars {
					i = 0
				}
				if b.t == n { // x is in the window, so the bar is stored
					found = true
					w.bar(b, b.close()*b.volume)
				}
				n++
			}
		}
	}
	if !found && whole && hok {
		w.bar(&hr.bars[hi], s.quoteOf(Hour, hi))
	}
}

// SparkPoints is the number of points Spark returns with a full 24h.
const SparkPoints = 86400 / SparkStep

// Spark appends to dst the closes sampled every SparkStep seconds over the
// 24 hours ending at end, oldest first, the last point at end. A gap repeats
// the previous close; points before the history begins are left out, so a
// young token has a shorter line.
func (s *Series) Spark(end int64, dst []float64) []float64 {
	st := sparkState{k: SparkPoints - 1, prevRes: numRes}
	for st.k >= 0 {
		dst, _ = s.sparkStep(&st, end, dst)
	}
	return dst
}

// sparkState is where a Spark stands between points: a caller can keep the
// points up to it (sparkPrefix) and go on from there (sparkFrom).
type sparkState struct {
	k       int     // the next point, counted back from the last
	n       int     // points appended so far
	prev    float64 // the last point's close
	prevRes int     // the resolution it came from; numRes: none yet
	floor   int64   // the last point's time
}

// sparkPrefix appends to dst the first points of Spark(end) that stand
// while the Series' older bars do (sparkGens is unchanged): those that
// read neither 1-minute bars nor any ring's newest bar. It returns where
// it stopped; sparkFrom appends the rest.
func (s *Series) sparkPrefix(end int64, dst []float64) ([]float64, sparkState) {
	st := sparkState{k: SparkPoints - 1, prevRes: numRes}
	for st.k >= 0 {
		save, n := st, len(dst)
		var stable bool
		if dst, stable = s.sparkStep(&st, end, dst); !stable {
			return dst[:n], save
		}
	}
	return dst, st
}

// sparkFrom appends to dst the points of Spark(end) from st on.
func (s *Series) sparkFrom(end int64, st sparkState, dst []float64) []float64 {
	for st.k >= 0 {
		dst, _ = s.sparkStep(&st, end, dst)
	}
	return dst
}

// sparkGens identifies the Series' older bars: while it is unchanged, a
// sparkPrefix for the same end gives the same points.
func (s *Series) sparkGens() [numRes]uint32 {
	var g [numRes]uint32
	for i := range s.rings {
		g[i] = s.rings[i].gen
	}
	return g
}

// sparkStep appends the next point, if any; stable says it read neither
// 1-minute bars nor a ring's newest bar.
func (s *Series) sparkStep(st *sparkState, end int64, dst []float64) ([]float64, bool) {
	t := end - int64(st.k)*SparkStep
	st.k--
	stable := true
	if mr := &s.rings[Minute]; mr.has && t >= max(mr.oldest(), mr.tail) {
		stable = false // minutes may answer: they change every tick
	}
	// The finest bars since the previous point; if there are none at the
	// resolution the previous point came from, it still stands. Otherwise
	// ask the coarser rings.
	found := false
	for res := Minute; int(res) < numRes; res++ {
		fl := int64(0)
		if int(res) <= st.prevRes {
			fl = st.floor
		}
		v, ok, head := s.closeInHead(res, t, fl)
		stable = stable && !head
		if ok {
			st.prev, st.prevRes, found = v, int(res), true
			break
		}
		if int(res) == st.prevRes {
			found = true // nothing newer: the previous close stands
			break
		}
	}
	st.floor = t
	if !found {
		return dst, stable
	}
	st.n++
	return append(dst, st.prev), stable
}

// Volatility is the annualised standard deviation of hourly log returns
// over the 7 days ending with the hour of end: stdev * sqrt(24*365). Only
// pairs of adjacent hours that both have a bar count; NaN with fewer than
// minVolatilityReturns returns. The returns of the bars before the newest
// (and before the hour of end) are summed once and kept while those bars
// stand.
func (s *Series) Volatility(end int64) float64 {
	r := &s.rings[Hour]
	if end <= 0 {
		return math.NaN()
	}
	endH := align(Hour, end)
	lim := min(endH, r.head) // bars from lim on may change without a new gen
	c := &s.vol
	if c.endH != endH || c.lim != lim || c.gen != r.gen {
		*c = volCache{endH: endH, lim: lim, gen: r.gen}
		for x := endH - 7*24*3600; x < lim; x += 3600 {
			c.step(r, x)
		}
	}
	live := *c
	for x := max(lim, endH-7*24*3600); x <= endH; x += 3600 {
		live.step(r, x)
	}
	if live.n < minVolatilityReturns {
		return math.NaN()
	}
	return math.Sqrt(live.m2/float64(live.n-1)) * sqrtHoursPerYear
}

// step reads the hour bar at x: a return from the bar before, if there is
// one.
func (c *volCache) step(r *ring, x int64) {
	b, _, ok := r.get(x)
	if !ok {
		c.havePrev = false
		return
	}
	cl := b.close()
	if c.havePrev {
		c.add(math.Log(cl / c.prev))
	}
	c.prev, c.havePrev = cl, true
}

// add folds one return into the running mean and sum of squares (Welford).
func (c *volCache) add(v float64) {
	c.n++
	d := v - c.mean
	c.mean += d / float64(c.n)
	c.m2 += d * (v - c.mean)
}

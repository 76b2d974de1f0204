package model

import (
	"fmt"
	"math"
	"testing"
	"unsafe"
)

// day0 is 2025-01-01 00:00 UTC, a day boundary.
const day0 int64 = 1735689600

func bar(t int64, o, h, l, c, v float64) Candle {
	return Candle{T: t, Open: o, High: h, Low: l, Close: c, Volume: v}
}

func mustBar(t *testing.T, s *Series, res Resolution, at int64) Candle {
	t.Helper()
	got := s.Candles(res, at, at, nil)
	if len(got) != 1 {
		t.Fatalf("%v bar at %d: got %d bars, want 1", res, at, len(got))
	}
	return got[0]
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestSeriesMemoryIsFixed(t *testing.T) {
	const stored = 32
	// Stored bars and a 2-byte note per bar coarser than a minute.
	bars := MinuteBars + Minute5Bars + HourBars + Hour4Bars + DayBars
	want := uintptr(bars*stored + (bars-MinuteBars)*2)
	if got := unsafe.Sizeof(packedBar{}); got != stored {
		t.Fatalf("a stored bar is %d bytes, want %d", got, stored)
	}
	got := unsafe.Sizeof(Series{})
	// The arrays dominate; the five ring headers and counters are the rest.
	if got < want || got > want+640 {
		t.Fatalf("Series is %d bytes, want %d + small header", got, want)
	}
	// Go rounds an allocation up to its size class: 28,672 bytes is the
	// one a Series fits (32 KB the largest; over that, whole 8 KB pages:
	// a 33 KB Series would take 40 KB).
	if got > 28_672 {
		t.Fatalf("Series is %d bytes, more than the 28,672-byte size class", got)
	}
	t.Logf("Series: %d bytes per token (%d B of arrays)", got, want)
}

// Stored bars keep the open and volume exactly and the high, low and close
// to about 1e-7 of the bar's range.
func TestStoredBarPrecision(t *testing.T) {
	s := NewSeries()
	c := bar(day0, 112_400.12, 113_950.37, 110_001.01, 112_399.99, 12.345678901)
	s.Add(Minute, c)
	got := mustBar(t, s, Minute, day0)
	if got.Open != c.Open || got.Volume != c.Volume {
		t.Errorf("open and volume changed: %+v, want %+v", got, c)
	}
	rng := c.High - c.Low
	for _, p := range [][2]float64{{got.High, c.High}, {got.Low, c.Low}, {got.Close, c.Close}} {
		if math.Abs(p[0]-p[1]) > 1e-7*rng {
			t.Errorf("price %v stored as %v: more than 1e-7 of the range off", p[1], p[0])
		}
	}
	// Prices far outside any real token's are refused, as malformed.
	for _, p := range []float64{MaxPrice * 10, MinPrice / 10} {
		if s.Add(Minute, bar(day0+60, p, p, p, p, 1)) || s.Tick(day0+60, p, 1) {
			t.Errorf("price %g accepted", p)
		}
	}
	// A low a thousand times under the open (the widest bar the
	// plausibility rule takes, MaxBarJump) stays positive and ordered.
	s.Add(Minute, bar(day0+120, 1e6, 1e6, 1e6/MaxBarJump, 1e6/MaxBarJump, 1))
	if b := mustBar(t, s, Minute, day0+120); !ValidCandle(b) {
		t.Errorf("crash bar stored as %+v", b)
	}
}

// A minute bar older than the minute ring (a backfill arriving after the
// live bars) is rolled into the 5-minute bar covering it, once.
func TestOldMinutesRollIntoFiveMinutes(t *testing.T) {
	s := NewSeries()
	now := day0 + 10*3600
	s.Add(Minute, bar(now, 100, 101, 99, 100, 1))
	old := now - 5*3600
	for k := int64(0); k < 5; k++ {
		if !s.Add(Minute, bar(old+k*60, 90, 92, 89, 91, 2)) {
			t.Fatalf("old minute %d refused", k)
		}
	}
	if got, want := mustBar(t, s, Minute5, old), bar(old, 90, 92, 89, 91, 10); got != want {
		t.Errorf("5-minute bar = %+v, want %+v", got, want)
	}
	if got := mustBar(t, s, Hour, align(Hour, old)); got.Volume != 10 {
		t.Errorf("hour volume %v, want 10", got.Volume)
	}
	// Sent again (a gap backfill overlapping the first): not counted twice.
	if s.Add(Minute, bar(old+60, 90, 92, 89, 91, 2)) {
		t.Error("a minute already rolled in was accepted again")
	}
	if got := mustBar(t, s, Minute5, old); got.Volume != 10 {
		t.Errorf("5-minute volume after the repeat %v, want 10", got.Volume)
	}
	// Older than the 5-minute ring too: dropped.
	if s.Add(Minute, bar(now-30*3600, 90, 92, 89, 91, 2)) {
		t.Error("a minute older than the 5-minute ring was accepted")
	}
}

func TestMinutesRollUpIntoHourAndDay(t *testing.T) {
	s := NewSeries()
	h := day0 + 5*3600
	// Minutes 0, 1, 2 of hour 5 and minute 0 of hour 6, out of order.
	ok := s.Add(Minute, bar(h+60, 101, 105, 100, 104, 2)) &&
		s.Add(Minute, bar(h, 100, 102, 99, 101, 1)) &&
		s.Add(Minute, bar(h+120, 104, 104, 90, 95, 3)) &&
		s.Add(Minute, bar(h+3600, 95, 96, 94, 96, 4))
	if !ok {
		t.Fatal("valid minute bars refused")
	}
	if got, want := mustBar(t, s, Hour, h), bar(h, 100, 105, 90, 95, 6); got != want {
		t.Errorf("hour 5 = %+v, want %+v", got, want)
	}
	if got, want := mustBar(t, s, Hour, h+3600), bar(h+3600, 95, 96, 94, 96, 4); got != want {
		t.Errorf("hour 6 = %+v, want %+v", got, want)
	}
	if got, want := mustBar(t, s, Day, day0), bar(day0, 100, 105, 90, 96, 10); got != want {
		t.Errorf("day = %+v, want %+v", got, want)
	}
	// Replacing a minute with a narrower range shrinks the hour and day.
	s.Add(Minute, bar(h+120, 104, 104, 97, 98, 1))
	if got, want := mustBar(t, s, Hour, h), bar(h, 100, 105, 97, 98, 4); got != want {
		t.Errorf("hour 5 after replace = %+v, want %+v", got, want)
	}
	if got, want := mustBar(t, s, Day, day0), bar(day0, 100, 105, 94, 96, 8); got != want {
		t.Errorf("day after replace = %+v, want %+v", got, want)
	}
}

func TestGivenHoursAreKeptAndExtended(t *testing.T) {
	s := NewSeries()
	// Backfill: hours 0..2 as given; they roll up into the day.
	for i := int64(0); i < 3; i++ {
		p := 100 + float64(i)
		if !s.Add(Hour, bar(day0+i*3600, p, p+2, p-2, p+1, 10)) {
			t.Fatalf("hour %d refused", i)
		}
	}
	if got, want := mustBar(t, s, Day, day0), bar(day0, 100, 104, 98, 103, 30); got != want {
		t.Errorf("day from given hours = %+v, want %+v", got, want)
	}
	// A live minute inside given hour 2 extends high and close, keeps open
	// and volume as given.
	s.Add(Minute, bar(day0+2*3600+600, 103, 110, 103, 109, 5))
	if got, want := mustBar(t, s, Hour, day0+2*3600), bar(day0+2*3600, 102, 110, 100, 109, 10); got != want {
		t.Errorf("given hour after minute = %+v, want %+v", got, want)
	}
	if got, want := mustBar(t, s, Day, day0), bar(day0, 100, 110, 98, 109, 30); got != want {
		t.Errorf("day after minute = %+v, want %+v", got, want)
	}
	// An explicit hour replacing a rolled-up one is stored as given.
	s.Add(Minute, bar(day0+5*3600, 50, 51, 49, 50, 1))
	s.Add(Hour, bar(day0+5*3600, 60, 61, 59, 60, 7))
	if got, want := mustBar(t, s, Hour, day0+5*3600), bar(day0+5*3600, 60, 61, 59, 60, 7); got != want {
		t.Errorf("re-given hour = %+v, want %+v", got, want)
	}
	// A given day is stored as given and only extended.
	s.Add(Day, bar(day0-86400, 80, 90, 70, 85, 1000))
	s.Add(Hour, bar(day0-3600, 85, 95, 84, 86, 40))
	if got, want := mustBar(t, s, Day, day0-86400), bar(day0-86400, 80, 95, 70, 86, 1000); got != want {
		t.Errorf("given day = %+v, want %+v", got, want)
	}
}

func TestRingWrapsAndDropsTooOld(t *testing.T) {
	s := NewSeries()
	const n = MinuteBars + 100
	for i := int64(0); i < n; i++ {
		if !s.Add(Minute, bar(day0+i*60, 10, 11, 9, 10, 1)) {
			t.Fatalf("minute %d refused", i)
		}
	}
	got := s.Candles(Minute, 0, math.MaxInt64, nil)
	if len(got) != MinuteBars {
		t.Fatalf("kept %d minute bars, want %d", len(got), MinuteBars)
	}
	if first := day0 + 100*60; got[0].T != first || got[len(got)-1].T != day0+(n-1)*60 {
		t.Errorf("window = [%d, %d], want [%d, %d]", got[0].T, got[len(got)-1].T, first, day0+(n-1)*60)
	}
	for i := 1; i < len(got); i++ {
		if got[i].T != got[i-1].T+60 {
			t.Fatalf("bars out of order at %d", i)
		}
	}
	// Inside the window: replaced in place. Older: dropped.
	if !s.Add(Minute, bar(day0+100*60, 10, 20, 9, 15, 1)) {
		t.Error("oldest bar in window refused")
	}
	if s.Add(Minute, bar(day0+99*60, 10, 11, 9, 10, 1)) {
		t.Error("bar older than the window accepted")
	}
	if s.Tick(day0+99*60+5, 10, 1) {
		t.Error("tick older than the window accepted")
	}
	if _, old := s.Dropped(); old != 2 {
		t.Errorf("tooOld = %d, want 2", old)
	}
	// Hours rolled up from all minutes, including those that left the
	// minute ring.
	if got := mustBar(t, s, Hour, day0); got.Volume != 60 {
		t.Errorf("hour 0 volume = %v, want 60", got.Volume)
	}
}

func TestGapsAreMissingBars(t *testing.T) {
	s := NewSeries()
	s.Add(Minute, bar(day0, 10, 10, 10, 10, 1))
	s.Add(Minute, bar(day0+600, 12, 12, 12, 12, 1))
	got := s.Candles(Minute, day0, day0+600, nil)
	if len(got) != 2 || got[0].T != day0 || got[1].T != day0+600 {
		t.Fatalf("candles = %+v, want the two stored bars", got)
	}
	// CloseAt inside the gap gives the bar before it.
	if c, ok := s.CloseAt(day0 + 300); !ok || c != 10 {
		t.Errorf("CloseAt in gap = %v,%v, want 10,true", c, ok)
	}
}

func TestBadCandlesRefused(t *testing.T) {
	bad := []Candle{
		bar(0, 1, 1, 1, 1, 1),
		bar(day0, math.NaN(), 1, 1, 1, 1),
		bar(day0, 1, math.Inf(1), 1, 1, 1),
		bar(day0, 0, 1, 1, 1, 1),
		bar(day0, -1, 1, -1, 1, 1),
		bar(day0, 1, 1, 2, 1, 1),   // high < low
		bar(day0, 3, 2, 1, 1, 1),   // open above high
		bar(day0, 1, 2, 1, 0.5, 1), // close below low
		bar(day0, 1, 1, 1, 1, -1),
		bar(day0, 1, 1, 1, 1, math.NaN()),
		bar(day0, 1, 1, 1, 1, math.Inf(1)),
	}
	s := NewSeries()
	for i, c := range bad {
		if s.Add(Minute, c) {
			t.Errorf("bad candle %d accepted: %+v", i, c)
		}
	}
	if s.Add(Resolution(7), bar(day0, 1, 1, 1, 1, 1)) {
		t.Error("unknown resolution accepted")
	}
	for _, tk := range []struct{ p, q float64 }{{0, 1}, {-1, 1}, {math.NaN(), 1}, {math.Inf(1), 0}, {1, -1}, {1, math.NaN()}} {
		if s.Tick(day0, tk.p, tk.q) {
			t.Errorf("bad tick accepted: %+v", tk)
		}
	}
	if rej, _ := s.Dropped(); rej != uint64(len(bad)+1+6) {
		t.Errorf("rejected = %d, want %d", rej, len(bad)+7)
	}
	if _, ok := s.Last(); ok {
		t.Error("bad input left a bar behind")
	}
}

func TestTickBuildsMinuteBars(t *testing.T) {
	s := NewSeries()
	s.Tick(day0+5, 100, 1)
	s.Tick(day0+10, 103, 2)
	s.Tick(day0+20, 99, 0) // a quote: price, no volume
	if got, want := mustBar(t, s, Minute, day0), bar(day0, 100, 103, 99, 99, 3); got != want {
		t.Errorf("minute 0 = %+v, want %+v", got, want)
	}
	// The next minute opens at the previous close.
	s.Tick(day0+65, 101, 1)
	if got, want := mustBar(t, s, Minute, day0+60), bar(day0+60, 99, 101, 99, 101, 1); got != want {
		t.Errorf("minute 1 = %+v, want %+v", got, want)
	}
	if got, want := mustBar(t, s, Hour, day0), bar(day0, 100, 103, 99, 101, 4); got != want {
		t.Errorf("hour = %+v, want %+v", got, want)
	}
	if last, ok := s.Last(); !ok || last.T != day0+60 || last.Close != 101 {
		t.Errorf("Last = %+v,%v", last, ok)
	}
}

// hourlySeries stores given hourly bars whose close at hour i is close(i).
func hourlySeries(hours int64, close func(i int64) float64) *Series {
	s := NewSeries()
	for i := int64(0); i < hours; i++ {
		c := close(i)
		s.Add(Hour, bar(day0+i*3600, c, c, c, c, 1))
	}
	return s
}

func TestCloseAtAndChanges(t *testing.T) {
	// 8 days of hourly bars, close = 100 + hour index.
	s := hourlySeries(8*24, func(i int64) float64 { return 100 + float64(i) })
	last := day0 + (8*24-1)*3600
	price := 100 + float64(8*24-1)
	cases := []struct {
		name string
		back int64
		want float64
	}{
		{"1h", 3600, price/(price-1) - 1},
		{"24h", 86400, price/(price-24) - 1},
		{"7d", 7 * 86400, price/(price-168) - 1},
	}
	for _, c := range cases {
		if got := change(s, price, last-c.back); !near(got, c.want) {
			t.Errorf("change %s = %v, want %v", c.name, got, c.want)
		}
	}
	// A young token: 2 hours of minutes. 1h reachable, 24h and 7d not.
	y := NewSeries()
	start := day0 + 10*3600 + 1800
	for i := int64(0); i < 120; i++ {
		p := 50 + float64(i)
		y.Add(Minute, bar(start+i*60, p, p, p, p, 1))
	}
	end := start + 119*60
	if got, want := change(y, 169, end-3600), 169/(50.0+59)-1; !near(got, want) {
		t.Errorf("young 1h = %v, want %v", got, want)
	}
	for _, back := range []int64{86400, 7 * 86400} {
		if got := change(y, 169, end-back); !math.IsNaN(got) {
			t.Errorf("young change %ds back = %v, want NaN", back, got)
		}
	}
	// Before the first minute of a rolled-up hour is not reachable either.
	if v, ok := y.CloseAt(start - 60); ok {
		t.Errorf("CloseAt before history = %v, want none", v)
	}
	if got := change(NewSeries(), 1, day0); !math.IsNaN(got) {
		t.Errorf("empty series change = %v, want NaN", got)
	}
}

func TestRange24hSparkVolatility(t *testing.T) {
	s := NewSeries()
	// Hours 0..23 given as backfill (volume 10 at close 100), then 2 hours
	// of minutes at hours 24 and 25 (volume 1 at close 200, high 210).
	for i := int64(0); i < 24; i++ {
		s.Add(Hour, bar(day0+i*3600, 100, 120, 90, 100, 10))
	}
	for i := int64(0); i < 120; i++ {
		s.Add(Minute, bar(day0+24*3600+i*60, 200, 210, 195, 200, 1))
	}
	end := day0 + 24*3600 + 119*60
	hi, lo, qv, ok := s.Range24h(end)
	// Window: minutes (end-1439m, end]; hours 2..23 are whole, hour 1 is
	// partly outside, hours 24-25 have minutes.
	if !ok || hi != 210 || lo != 90 || !near(qv, 22*100*10+120*200) {
		t.Errorf("Range24h = %v %v %v %v, want 210 90 %v", hi, lo, qv, ok, 22*100*10+120*200)
	}
	spark := s.Spark(end, nil)
	if len(spark) != SparkPoints {
		t.Fatalf("spark has %d points, want %d", len(spark), SparkPoints)
	}
	if spark[0] != 100 || spark[len(spark)-1] != 200 {
		t.Errorf("spark ends = %v..%v, want 100..200", spark[0], spark[len(spark)-1])
	}
	// A young series has a shorter line.
	y := NewSeries()
	y.Tick(day0, 5, 1)
	y.Tick(day0+3*3600, 6, 1)
	if sp := y.Spark(day0+3*3600, nil); len(sp) != 7 || sp[0] != 5 || sp[6] != 6 {
		t.Errorf("young spark = %v, want 7 points 5..6", sp)
	}

	// Volatility: alternating +r, -r hourly log returns.
	r := 0.01
	v := hourlySeries(8*24, func(i int64) float64 { return 100 * math.Exp(r*float64(i%2)) })
	n := 168.0
	// mean ~0, every |return| = r, sample stdev = r*sqrt(n/(n-1)).
	want := r * math.Sqrt(n/(n-1)) * math.Sqrt(24*365)
	if got := v.Volatility(day0 + (8*24-1)*3600); math.Abs(got-want) > 1e-9 {
		t.Errorf("volatility = %v, want %v", got, want)
	}
	if got := hourlySeries(10, func(int64) float64 { return 1 }).Volatility(day0 + 9*3600); !math.IsNaN(got) {
		t.Errorf("volatility from 10 hours = %v, want NaN", got)
	}
}

func TestSeriesHotPathsDoNotAllocate(t *testing.T) {
	s := NewSeries()
	i := int64(0)
	if n := testing.AllocsPerRun(1000, func() {
		i++
		s.Tick(day0+i*7, 100+float64(i%13), 0.5)
	}); n != 0 {
		t.Errorf("Tick allocates %v times", n)
	}
	if n := testing.AllocsPerRun(1000, func() {
		i++
		s.Add(Minute, bar(day0+i*60, 100, 101, 99, 100, 1))
	}); n != 0 {
		t.Errorf("Add allocates %v times", n)
	}
	dst := make([]Candle, 0, MinuteBars)
	spark := make([]float64, 0, SparkPoints)
	end := day0 + i*60
	if n := testing.AllocsPerRun(100, func() {
		dst = s.Candles(Minute, 0, end, dst[:0])
		spark = s.Spark(end, spark[:0])
		s.Range24h(end)
		s.Volatility(end)
	}); n != 0 {
		t.Errorf("readers allocate %v times", n)
	}
}

// Range24h reads rolled-up hours where it can; it must agree with a plain
// scan of the 5-minute bars.
func TestRange24hMatchesFiveMinuteScan(t *testing.T) {
	s := NewSeries()
	seed := uint64(7)
	rnd := func() uint64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
	at := day0
	for range 20000 {
		at += int64(rnd() % 20)
		p := 50 + float64(rnd()%1000)/10
		if rnd()%50 == 0 {
			// A kline replacing a recent minute, sometimes narrower.
			mt := align(Minute, at) - int64(rnd()%5)*60
			s.Add(Minute, bar(mt, p, p+1, p-1, p, float64(rnd()%7)))
			continue
		}
		s.Tick(at, p, float64(rnd()%5)/4)
	}
	end := at
	from := align(Minute, end) - (24*60-1)*60
	hi, lo, qv, ok := s.Range24h(end)
	wantHi, wantLo, wantQV := math.Inf(-1), math.Inf(1), 0.0
	for _, b := range s.Candles(Minute5, align(Minute5, from+299), end, nil) {
		wantHi, wantLo = math.Max(wantHi, b.High), math.Min(wantLo, b.Low)
		wantQV += b.Close * b.Volume
	}
	// Hours re-store their 5-minute bars' prices as their own offsets:
	// equal to within 1e-7 of the range.
	if !ok || math.Abs(hi-wantHi) > 1e-5 || math.Abs(lo-wantLo) > 1e-5 || math.Abs(qv-wantQV) > 1e-6*wantQV {
		t.Errorf("Range24h = %v %v %v %v, 5-minute scan %v %v %v", hi, lo, qv, ok, wantHi, wantLo, wantQV)
	}
}

// Volatility keeps the sums of the older hours between calls; whatever
// changes (ticks in the newest hour, late ticks and backfilled bars in
// older ones, a new hour), it must equal a fresh count over the hour bars.
func TestVolatilityCacheFollowsChanges(t *testing.T) {
	fresh := func(s *Series, end int64) float64 {
		endH := align(Hour, end)
		var n int
		var mean, m2, prev float64
		have := false
		byT := map[int64]float64{}
		for _, c := range s.Candles(Hour, endH-7*86400, endH, nil) {
			byT[c.T] = c.Close
		}
		for x := endH - 7*86400; x <= endH; x += 3600 {
			cl, ok := byT[x]
			if !ok {
				have = false
				continue
			}
			if have {
				v := math.Log(cl / prev)
				n++
				d := v - mean
				mean += d / float64(n)
				m2 += d * (v - mean)
			}
			prev, have = cl, true
		}
		if n < minVolatilityReturns {
			return math.NaN()
		}
		return math.Sqrt(m2/float64(n-1)) * sqrtHoursPerYear
	}
	s := hourlySeries(8*24, func(i int64) float64 { return 100 * math.Exp(0.01*math.Sin(float64(i))) })
	seed := uint64(3)
	rnd := func() uint64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
	end := day0 + (8*24-1)*3600
	for i := range 3000 {
		p := 90 + float64(rnd()%200)/10
		switch rnd() % 6 {
		case 0: // the clock moves on, sometimes into a new hour
			end += int64(rnd() % 900)
			s.Tick(end, p, 1)
		case 1: // a late tick in an older hour (inside the minute ring)
			s.Tick(end-int64(rnd()%4000), p, 1)
		case 2: // a backfilled hour bar, replacing one
			h := align(Hour, end) - int64(1+rnd()%100)*3600
			s.Add(Hour, bar(h, p, p+1, p-1, p, 3))
		case 3: // a hole: the hour left empty by moving far on
			if rnd()%20 == 0 {
				end += 3 * 3600
				s.Tick(end, p, 1)
			}
		default:
			s.Tick(end, p, 0.5)
		}
		// Asked for the hour of the newest tick, and (every other
		// stretch of 100 steps) for an hour past the newest bar, as for a
		// token whose last event is a candle's end.
		at := end
		if i/100%2 == 1 {
			at = align(Hour, end) + 3600 + 5
		}
		if got, want := s.Volatility(at), fresh(s, at); !(math.IsNaN(got) && math.IsNaN(want)) && math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Fatalf("step %d: Volatility(%d) %v, fresh %v", i, at, got, want)
		}
	}
}

// The volume surge's typical hourly volume is kept between recomputes; it
// must equal a fresh median whatever changes.
func TestTypicalHourQuoteFollowsChanges(t *testing.T) {
	fresh := func(s *Series, hour int64) (float64, bool) {
		var vols []float64
		for k := int64(1); k <= surgeHours; k++ {
			if v, ok := s.quoteVolume(Hour, hour-k*3600); ok {
				vols = append(vols, v)
			}
		}
		if len(vols) < minSurgeHrs {
			return 0, false
		}
		insertionSort(vols)
		return median(vols), true
	}
	s := NewSeries()
	seed := uint64(9)
	rnd := func() uint64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
	end := day0
	var buf [surgeHours]float64
	for i := range 20000 {
		p := 90 + float64(rnd()%200)/10
		switch rnd() % 5 {
		case 0:
			end += int64(rnd() % 120)
			s.Tick(end, p, float64(rnd()%5))
		case 1: // a late tick
			s.Tick(end-int64(rnd()%3000), p, 1)
		case 2: // a backfilled hour
			s.Add(Hour, bar(align(Hour, end)-int64(1+rnd()%30)*3600, p, p+1, p-1, p, float64(rnd()%9)))
		case 3: // a kline closing a minute (its event time is the bar's end)
			s.Add(Minute, bar(align(Minute, end), p, p+1, p-1, p, float64(rnd()%9)))
		default:
			s.Tick(end, p, 0.5)
		}
		// The hour of the newest tick; every other stretch, the hour
		// after (as for a token whose last event is a candle's end).
		h := align(Hour, end)
		if i/200%2 == 1 {
			h += 3600
		}
		got, gok := s.typicalHourQuote(h, &buf)
		want, wok := fresh(s, h)
		if gok != wok || got != want {
			t.Fatalf("step %d hour %d: typical %v %v, fresh %v %v", i, h, got, gok, want, wok)
		}
	}
}

// Range24h keeps the sums of the whole hours older than the rings' newest
// bars; whatever changes, it must equal a fresh count.
func TestRange24hCacheFollowsChanges(t *testing.T) {
	s := NewSeries()
	seed := uint64(5)
	rnd := func() uint64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
	end := day0
	for i := range 30000 {
		p := 90 + float64(rnd()%200)/10
		switch rnd() % 6 {
		case 0:
			end += int64(rnd() % 200)
			s.Tick(end, p, float64(rnd()%5))
		case 1: // a late tick
			s.Tick(end-int64(rnd()%3000), p, 1)
		case 2: // a backfilled hour
			s.Add(Hour, bar(align(Hour, end)-int64(1+rnd()%30)*3600, p, p+1, p-1, p, float64(rnd()%9)))
		case 3: // a backfilled 5-minute bar
			s.Add(Minute5, bar(align(Minute5, end)-int64(1+rnd()%200)*300, p, p+1, p-1, p, float64(rnd()%9)))
		case 4: // a kline closing a minute (its event time is the bar's end)
			s.Add(Minute, bar(align(Minute, end), p, p+1, p-1, p, float64(rnd()%9)))
		default:
			s.Tick(end, p, 0.5)
		}
		at := end
		if i/300%2 == 1 {
			at = align(Hour, end) + 3600 + 5 // past the newest bars
		}
		h1, l1, q1, ok1 := s.Range24h(at)
		s.r24 = range24Cache{}
		h2, l2, q2, ok2 := s.Range24h(at)
		if ok1 != ok2 || ok1 && (h1 != h2 || l1 != l2 || math.Abs(q1-q2) > 1e-9*q2) {
			t.Fatalf("step %d: Range24h(%d) kept %v %v %v %v, fresh %v %v %v %v", i, at, h1, l1, q1, ok1, h2, l2, q2, ok2)
		}
	}
}

// A token's sparkline keeps the points that stand from its previous view
// (token.spark); whatever changes, it must equal a fresh Spark.
func TestTokenSparkFollowsChanges(t *testing.T) {
	tk := &token{series: NewSeries()}
	s := tk.series
	seed := uint64(9)
	rnd := func() uint64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
	end := day0 + 40*86400
	// A month of hours and a day of 5-minute bars behind end.
	for h := align(Hour, end) - 30*86400; h < align(Hour, end); h += 3600 {
		p := 90 + float64(rnd()%200)/10
		s.Add(Hour, bar(h, p, p+1, p-1, p, 5))
	}
	for m := align(Minute5, end) - 86400; m < align(Minute5, end); m += 300 {
		p := 90 + float64(rnd()%200)/10
		s.Add(Minute5, bar(m, p, p+1, p-1, p, 2))
	}
	for i := range 5000 {
		p := 90 + float64(rnd()%200)/10
		switch rnd() % 8 {
		case 0:
			end += int64(rnd() % 400)
			s.Tick(end, p, 1)
		case 1: // a late tick
			s.Tick(end-int64(rnd()%5000), p, 1)
		case 2: // a backfilled hour
			s.Add(Hour, bar(align(Hour, end)-int64(1+rnd()%48)*3600, p, p+1, p-1, p, 3))
		case 3: // a backfilled 5-minute bar
			s.Add(Minute5, bar(align(Minute5, end)-int64(1+rnd()%300)*300, p, p+1, p-1, p, 1))
		case 4: // a kline closing a minute
			s.Add(Minute, bar(align(Minute, end), p, p+1, p-1, p, 2))
		default: // the same second again: the common case of a busy token
			s.Tick(end, p, 0.5)
		}
		got := tk.spark(end)
		want := s.Spark(end, nil)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("step %d: kept sparkline\n%v\nfresh\n%v", i, got, want)
		}
		tk.view = &TokenView{Spark: frozen(got)}
	}
}

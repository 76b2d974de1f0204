package chart

import (
	"strconv"
	"time"
)

// drawPriceLabels writes the tick prices right of the axis and the last
// price, in reverse video, at its own row.
func (c *canvas) drawPriceLabels(lay layout, sc yScale, ticks []float64, labels []string, last float64, lastLabel string) {
	x := lay.plotW + 2
	lastRow := sc.row(last)
	for i, t := range ticks {
		r := sc.row(t)
		if r-lastRow < 2 && lastRow-r < 2 {
			continue // the last price wins the space
		}
		c.set(lay.plotW, r, '┤', clAxis)
		c.text(x, r, labels[i], clLabel)
	}
	c.set(lay.plotW, lastRow, '├', clAxis)
	c.set(lay.plotW+1, lastRow, ' ', clLast)
	c.text(x, lastRow, lastLabel, clLast)
	for i := x + len(lastLabel); i < c.w; i++ {
		c.set(i, lastRow, ' ', clLast)
	}
}

// formatPrice writes v with dec decimals and thousands separators.
func formatPrice(v float64, dec int) string {
	var buf [48]byte
	s := strconv.AppendFloat(buf[:0], v, 'f', dec, 64)
	start := 0
	if len(s) > 0 && s[0] == '-' {
		start = 1
	}
	intEnd := len(s)
	for i := start; i < len(s); i++ {
		if s[i] == '.' {
			intEnd = i
			break
		}
	}
	digits := intEnd - start
	if digits <= 3 {
		return string(s)
	}
	out := make([]byte, 0, len(s)+digits/3)
	out = append(out, s[:start]...)
	for i := start; i < intEnd; i++ {
		if i > start && (intEnd-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	out = append(out, s[intEnd:]...)
	return string(out)
}

// timeStep is a spacing of time labels: a number of seconds (from offset
// after the Unix epoch) or of calendar months.
type timeStep struct {
	secs, offset int64
	months       int64
}

const day = 86400

var (
	intradaySteps = []timeStep{{secs: 60}, {secs: 120}, {secs: 300}, {secs: 600}, {secs: 900},
		{secs: 1800}, {secs: 3600}, {secs: 7200}, {secs: 10800}, {secs: 14400}, {secs: 21600},
		{secs: 43200}, {secs: day}}
	// weeks start on Monday: the epoch was a Thursday
	dailySteps = []timeStep{{secs: day}, {secs: 2 * day}, {secs: 7 * day, offset: 4 * day},
		{secs: 14 * day, offset: 4 * day}, {months: 1}, {months: 2}, {months: 3}, {months: 6},
		{months: 12}, {months: 24}, {months: 60}, {months: 120}}
	yearlySteps = []timeStep{{months: 1}, {months: 2}, {months: 3}, {months: 6}, {months: 12},
		{months: 24}, {months: 60}, {months: 120}, {months: 1200}}
)

// bucket is the step period holding t.
func (s timeStep) bucket(t int64) int64 {
	if s.months > 0 {
		u := time.Unix(t, 0).UTC()
		return floorDiv(int64(u.Year())*12+int64(u.Month())-1, s.months)
	}
	return floorDiv(t-s.offset, s.secs)
}

// start is the first second of bucket k.
func (s timeStep) start(k int64) int64 {
	if s.months > 0 {
		m := k * s.months
		return time.Date(int(floorDiv(m, 12)), time.Month(m-floorDiv(m, 12)*12+1), 1, 0, 0, 0, 0, time.UTC).Unix()
	}
	return k*s.secs + s.offset
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// timeFormat is how labels read for a chart spanning span seconds:
// HH:MM within a day (a new day as "Jan 02"), "Jan 02" within a year, and
// "Jan 2006" beyond.
func timeFormat(span int64) (steps []timeStep, layout string, width int) {
	switch {
	case span <= day:
		return intradaySteps, "15:04", 6
	case span <= 366*day:
		return dailySteps, "Jan 02", 6
	default:
		return yearlySteps, "Jan 2006", 8
	}
}

func formatTime(t int64, layout string) string {
	u := time.Unix(t, 0).UTC()
	if layout == "15:04" && u.Hour() == 0 && u.Minute() == 0 {
		layout = "Jan 02"
	}
	return u.Format(layout)
}

// drawTimeLabels puts time labels under the axis where the bars cross round
// times, as many as fit with room between them.
func (c *canvas) drawTimeLabels(lay layout, cols []barCol) {
	if len(cols) == 0 {
		return
	}
	span := cols[len(cols)-1].t - cols[0].t
	if span < 0 {
		span = -span
	}
	steps, layout, lw := timeFormat(span)
	maxLabels := lay.plotW / (lw + 5)
	if maxLabels < 1 {
		maxLabels = 1
	}
	var step timeStep
	found := false
	for _, s := range steps {
		if n := countBoundaries(cols, s); n >= 1 && n <= maxLabels {
			step, found = s, true
			break
		}
	}
	row := lay.plotH + 1
	placed, prevEnd := 0, -2
	if found {
		for i := range cols {
			k := step.bucket(cols[i].t)
			if !isBoundary(cols, i, step, k) {
				continue
			}
			if c.timeLabel(lay, row, cols[i].col, formatTime(step.start(k), layout), &prevEnd) {
				placed++
			}
		}
	}
	if placed == 0 {
		c.timeLabel(lay, row, cols[0].col, formatTime(cols[0].t, layout), &prevEnd)
	}
}

func isBoundary(cols []barCol, i int, s timeStep, k int64) bool {
	if i == 0 {
		return s.start(k) == cols[0].t
	}
	return k != s.bucket(cols[i-1].t)
}

func countBoundaries(cols []barCol, s timeStep) int {
	n := 0
	prev := s.bucket(cols[0].t)
	if s.start(prev) == cols[0].t {
		n++
	}
	for i := 1; i < len(cols); i++ {
		k := s.bucket(cols[i].t)
		if k != prev {
			n++
		}
		prev = k
	}
	return n
}

// timeLabel centres text under column col with a tick on the axis, unless
// it would crowd the previous label or not fit.
func (c *canvas) timeLabel(lay layout, row, col int, text string, prevEnd *int) bool {
	x := col - len(text)/2
	if x+len(text) > c.w {
		x = c.w - len(text)
	}
	if x < 0 {
		x = 0
	}
	if x < *prevEnd+2 || x+len(text) > c.w {
		return false
	}
	if col >= 0 && col < lay.plotW {
		c.set(col, lay.plotH, '┴', clAxis)
	}
	c.text(x, row, text, clLabel)
	*prevEnd = x + len(text)
	return true
}

package ui

import "math"

// sparkBars are the eight block heights, three bytes each.
const sparkBars = "▁▂▃▄▅▆▇█"

// appendSpark draws points (oldest first) as exactly w block characters,
// scaled from the series' min to its max and resampled to the width: each
// cell shows the last point of its bucket (the close), so a series shorter
// than w is stretched and a longer one is thinned. Unknown points are
// blank. It allocates nothing when dst has room.
func appendSpark(dst []byte, pts []float64, w int) []byte {
	n := len(pts)
	if w <= 0 {
		return dst
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range pts {
		if bad(v) {
			continue
		}
		lo = min(lo, v)
		hi = max(hi, v)
	}
	if n == 0 || lo > hi {
		for range w {
			dst = append(dst, ' ')
		}
		return dst
	}
	span := hi - lo
	for i := range w {
		j := ((i+1)*n - 1) / w
		v := pts[j]
		if bad(v) {
			dst = append(dst, ' ')
			continue
		}
		level := 3
		if span > 0 {
			level = int((v-lo)/span*7 + 0.5)
			level = min(max(level, 0), 7)
		}
		dst = append(dst, sparkBars[level*3:level*3+3]...)
	}
	return dst
}

// sparkDirection is +1 when the series ends above where it starts, -1
// below, 0 otherwise.
func sparkDirection(pts []float64) int {
	first, last := math.NaN(), math.NaN()
	for _, v := range pts {
		if !bad(v) {
			first = v
			break
		}
	}
	for i := len(pts) - 1; i >= 0; i-- {
		if !bad(pts[i]) {
			last = pts[i]
			break
		}
	}
	switch {
	case bad(first) || bad(last) || last == first:
		return 0
	case last > first:
		return 1
	}
	return -1
}

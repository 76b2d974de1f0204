package ui

import (
	"math"
	"unicode/utf8"

	"github.com/tokentop/tokentop/model"
)

// sparkBars are the eight block heights, three bytes each.
const sparkBars = "▁▂▃▄▅▆▇█"

// appendSpark draws points (oldest first) as exactly w block characters,
// scaled from the series' min to its max and resampled to the width: each
// cell shows the last point of its bucket (the close), so a series shorter
// than w is stretched and a longer one is thinned. Unknown points are
// blank. It allocates nothing when dst has room.
func appendSpark(dst []byte, pts model.ReadOnly[float64], w int) []byte {
	n := pts.Len()
	if w <= 0 {
		return dst
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range n {
		v := pts.At(i)
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
		v := pts.At(j)
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
func sparkDirection(pts model.ReadOnly[float64]) int {
	first, last := math.NaN(), math.NaN()
	for i := range pts.Len() {
		if v := pts.At(i); !bad(v) {
			first = v
			break
		}
	}
	for i := pts.Len() - 1; i >= 0; i-- {
		if v := pts.At(i); !bad(v) {
			last = v
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

// cachedPoints is how many of tok's spark points (from the oldest) come
// from the warm-start cache: those at or before tok.Cached. The points end
// at the token's last update, one per model.SparkStep.
func cachedPoints(tok *model.TokenView) int {
	n := tok.Spark.Len()
	if tok.Cached.IsZero() || n == 0 {
		return 0
	}
	gap := tok.LastUpdate.Unix() - tok.Cached.Unix()
	if gap <= 0 {
		return n
	}
	live := int((gap + model.SparkStep - 1) / model.SparkStep) // points after the cache
	return max(n-live, 0)
}

// appendSparkSplit draws the spark like appendSpark, the cells showing the
// first cut points in the cached span and the rest in live.
func appendSparkSplit(dst []byte, pts model.ReadOnly[float64], w, cut int, cached, live span) []byte {
	n := pts.Len()
	if n == 0 || w <= 0 {
		return appendSpark(dst, pts, w)
	}
	// The cell showing point cut-1 is the last cached one: cell i shows
	// point ((i+1)*n-1)/w.
	cells := 0
	for cells < w && ((cells+1)*n-1)/w < cut {
		cells++
	}
	start := len(dst)
	dst = appendSpark(dst, pts, w)
	body := dst[start:]
	// Split the drawn cells (one rune each) at the byte offset of cell cells.
	off := 0
	for c := 0; c < cells && off < len(body); c++ {
		_, size := utf8.DecodeRune(body[off:])
		off += size
	}
	var tmp [512]byte
	drawn := append(tmp[:0], body...) // dst is rewritten below
	dst = dst[:start]
	dst = append(dst, cached.pre...)
	dst = append(dst, drawn[:off]...)
	dst = append(dst, cached.post...)
	dst = append(dst, live.pre...)
	dst = append(dst, drawn[off:]...)
	return append(dst, live.post...)
}

package ui

import "math"

// The shape every table view shares (the ratings table, the moonshots and
// past moonshots, the portfolio, the alerts): columns fitted into the
// width once per resize (fitColumns), a header drawn from them
// (appendHeader), and rows drawn from the values they show, cached by
// those values (rowCache).

// colSpec is one column a view can show: its title, the range of widths
// it is fitted in, and its alignment.
type colSpec[C ~uint8] struct {
	col        C
	title      string
	minW, maxW int
	right      bool
}

// growStep widens a column into the cells left over, up to upTo cells (0:
// its maxW).
type growStep[C ~uint8] struct {
	col  C
	upTo int
}

// fitRule is how a view fits its columns into a width: every column at its
// minimum width, the gutter before them and a gap between each two; the
// columns of drop are given up in that order until the rest fit (with the
// first gap, or with a later one if that keeps more columns); then the
// columns of grow are widened, in that order, into what is left; when even
// the columns kept do not fit, the columns of squeeze give cells back (down
// to one cell each).
type fitRule[C ~uint8] struct {
	gutter  int
	gaps    []int
	drop    []C
	grow    []growStep[C]
	squeeze []C
}

// fitCol is a shown column and its width.
type fitCol[C ~uint8] struct {
	colSpec[C]
	width int
}

// colLayout is the columns a view shows at one width, in display order.
type colLayout[C ~uint8] struct {
	cols        []fitCol[C]
	gutter, gap int
	used        int // cells used by the gutter, the columns and the gaps
}

// fitColumns fits specs (in display order) into width cells by rule. It
// allocates: call it when the width (or a column's range) changes, never
// per row.
func fitColumns[C ~uint8](specs []colSpec[C], width int, rule fitRule[C]) colLayout[C] {
	var best colLayout[C]
	for i, gap := range rule.gaps {
		show := make([]bool, len(specs))
		for k := range show {
			show[k] = true
		}
		sum := func() int {
			n, total := 0, rule.gutter
			for k, s := range specs {
				if show[k] {
					total += s.minW
					n++
				}
			}
			return total + gap*max(n-1, 0)
		}
		for _, c := range rule.drop {
			if sum() <= width {
				break
			}
			if k := specIndex(specs, c); k >= 0 {
				show[k] = false
			}
		}
		l := colLayout[C]{gutter: rule.gutter, gap: gap}
		for k, s := range specs {
			if show[k] {
				l.cols = append(l.cols, fitCol[C]{s, s.minW})
			}
		}
		if i == 0 || len(l.cols) > len(best.cols) {
			best = l
		}
	}
	best.used = best.gutter + best.gap*max(len(best.cols)-1, 0)
	for _, c := range best.cols {
		best.used += c.width
	}
	extra := width - best.used
	for _, g := range rule.grow {
		k := best.index(g.col)
		if k < 0 || extra <= 0 {
			continue
		}
		c := &best.cols[k]
		upTo := g.upTo
		if upTo == 0 {
			upTo = c.maxW
		}
		n := min(extra, max(upTo-c.width, 0))
		c.width += n
		extra -= n
	}
	for _, col := range rule.squeeze {
		k := best.index(col)
		if k < 0 || extra >= 0 {
			continue
		}
		c := &best.cols[k]
		n := min(-extra, max(c.width-1, 0))
		c.width -= n
		extra += n
	}
	best.used = width - extra
	return best
}

func specIndex[C ~uint8](specs []colSpec[C], c C) int {
	for k := range specs {
		if specs[k].col == c {
			return k
		}
	}
	return -1
}

// index is the position of column c among the shown ones, -1 when it is
// not shown.
func (l *colLayout[C]) index(c C) int {
	for k := range l.cols {
		if l.cols[k].col == c {
			return k
		}
	}
	return -1
}

// shows reports whether column c is shown.
func (l *colLayout[C]) shows(c C) bool { return l.index(c) >= 0 }

// width is column c's width, 0 when it is not shown.
func (l *colLayout[C]) width(c C) int {
	if k := l.index(c); k >= 0 {
		return l.cols[k].width
	}
	return 0
}

// appendHeader writes the column titles: the gutter, then each title
// aligned in its column, the gap between each two. title, when set, gives
// a column's title (a sort mark); otherwise the spec's title is written.
func (l *colLayout[C]) appendHeader(dst []byte, title func(c *fitCol[C]) string) []byte {
	dst = appendSpaces(dst, l.gutter)
	for k := range l.cols {
		c := &l.cols[k]
		if k > 0 {
			dst = appendSpaces(dst, l.gap)
		}
		t := c.title
		if title != nil {
			t = title(c)
		}
		dst = appendCellString(dst, span{}, t, c.width, c.right)
	}
	return dst
}

// fbits is a float a row shows, kept as its bits so that a row key holding
// it compares equal to itself when the value is NaN (unknown).
type fbits uint64

func fb(v float64) fbits { return fbits(math.Float64bits(v)) }

// f is the float.
func (b fbits) f() float64 { return math.Float64frombits(uint64(b)) }

// rowCache keeps one rendered line per row of a view, keyed by the row's
// ID and by V: the values the row shows. A view computes V for a row and
// draws the row from V alone, so a field the row shows is in the key by
// construction: when it changes, the row is drawn again. The layout (and
// anything else every row is drawn with) is not in V: the view calls reset
// when it changes. Rows not asked for between two calls of sweep are
// forgotten, so the cache holds the rows on screen.
type rowCache[K comparable, V comparable] struct {
	rows    map[K]*cachedRow[V]
	gen     uint64 // bumped by reset
	pass    uint64 // bumped by sweep
	renders int    // rows drawn since start, for tests and benchmarks
	buf     []byte
}

type cachedRow[V comparable] struct {
	vals V
	line string
	gen  uint64
	seen uint64
	ok   bool
}

// line is the line of row id showing v: the cached one when it was drawn
// from the same values since the last reset, else draw(v)'s, which is
// kept. Asking for a cached row allocates nothing.
func (c *rowCache[K, V]) line(id K, v *V, draw func(dst []byte, v *V) []byte) string {
	if c.rows == nil {
		c.rows = make(map[K]*cachedRow[V])
	}
	r := c.rows[id]
	if r == nil {
		r = new(cachedRow[V])
		c.rows[id] = r
	}
	r.seen = c.pass
	if r.ok && r.gen == c.gen && r.vals == *v {
		return r.line
	}
	// draw reads the kept copy: v itself never reaches draw (a function
	// value), so it does not escape and the caller's V stays on its stack.
	r.vals, r.ok = *v, false
	c.buf = draw(c.buf[:0], &r.vals)
	r.line, r.gen, r.ok = string(c.buf), c.gen, true
	c.renders++
	return r.line
}

// reset makes every row be drawn again (the layout or the styles changed).
func (c *rowCache[K, V]) reset() { c.gen++ }

// sweep forgets the rows not asked for since the last sweep.
func (c *rowCache[K, V]) sweep() {
	for id, r := range c.rows {
		if r.seen != c.pass {
			delete(c.rows, id)
		}
	}
	c.pass++
}

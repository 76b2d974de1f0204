package chart

import (
	"math"

	ntcanvas "github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/NimbleMarkets/ntcharts/canvas/graph"
	"github.com/NimbleMarkets/ntcharts/canvas/runes"
	"github.com/tokentop/tokentop/model"
)

// drawLine draws the closes as a braille line stretched over the plot's
// width (2 dots per column, 4 per row) and returns where each bar landed.
// Segments between closes are ntcharts' Bresenham lines; the dots are kept
// per cell and turned into braille runes by ntcharts.
func (c *canvas) drawLine(bars []model.Candle, lay layout, sc yScale) []barCol {
	gw := lay.plotW * 2
	cells := make([]runes.PatternDots, lay.plotW*lay.plotH)
	dot := func(x, y int) {
		cx, cy := x/2, y/4
		if x < 0 || y < 0 || cx >= lay.plotW || cy >= lay.plotH {
			return
		}
		cells[cy*lay.plotW+cx][brailleDot[x%2][y%4]] = true
	}
	n := len(bars)
	cols := make([]barCol, n)
	var prev ntcanvas.Point
	for i := range bars {
		x := 0
		if n > 1 && gw > 1 {
			x = int(math.Round(float64(i) * float64(gw-1) / float64(n-1)))
		}
		p := ntcanvas.Point{X: x, Y: sc.subRow(bars[i].Close)}
		if i == 0 || p == prev {
			dot(p.X, p.Y)
		} else {
			for _, q := range graph.GetLinePoints(prev, p) {
				dot(q.X, q.Y)
			}
		}
		prev = p
		cols[i] = barCol{col: x / 2, t: bars[i].T}
	}
	for i, d := range cells {
		if d != (runes.PatternDots{}) {
			c.set(i%lay.plotW, i/lay.plotW, runes.BraillePatternFromPatternDots(d), clLine)
		}
	}
	c.lastClass = clLine
	return cols
}

// brailleDot[x][y] is the braille dot number (as ntcharts counts them, from
// 0) of the dot in column x and row y of a cell.
var brailleDot = [2][4]int{{0, 1, 2, 6}, {3, 4, 5, 7}}

// drawCandles draws one candle per column, or per two columns when there
// is room, newest at the right; more bars than columns are merged.
func (c *canvas) drawCandles(bars []model.Candle, lay layout, sc yScale) []barCol {
	bars = mergeBars(bars, lay.plotW)
	slot := 1
	if 2*len(bars) <= lay.plotW {
		slot = 2
	}
	off := lay.plotW - slot*len(bars)
	cols := make([]barCol, len(bars))
	for i := range bars {
		x := off + i*slot
		c.drawCandle(x, &bars[i], sc)
		cols[i] = barCol{col: x, t: bars[i].T}
	}
	c.lastClass = clUp
	if b := bars[len(bars)-1]; b.Close < b.Open {
		c.lastClass = clDown
	}
	return cols
}

// mergeBars merges neighbouring bars so that at most max remain. Groups
// end at the newest bar, so the oldest group may hold fewer bars.
func mergeBars(bars []model.Candle, max int) []model.Candle {
	n := len(bars)
	if n <= max || max <= 0 {
		return bars
	}
	k := (n + max - 1) / max // bars per group
	g := (n + k - 1) / k     // groups
	out := make([]model.Candle, g)
	start := 0
	for j := 0; j < g; j++ {
		end := n - (g-1-j)*k
		m := bars[start]
		for _, b := range bars[start+1 : end] {
			m.High = math.Max(m.High, b.High)
			m.Low = math.Min(m.Low, b.Low)
			m.Close = b.Close
			m.Volume += b.Volume
		}
		out[j] = m
		start = end
	}
	return out
}

// what fills half a cell of a candle
const (
	halfNone = iota
	halfWick
	halfBody
)

// candleRunes[down][upper half][lower half]: up candles are hollow-looking
// heavy lines, down candles filled blocks, wicks thin lines.
var candleRunes = [2][3][3]rune{
	{ // up
		{' ', '╷', '╻'},
		{'╵', '│', '╽'},
		{'╹', '╿', '┃'},
	},
	{ // down
		{' ', '╷', '▄'},
		{'╵', '│', '▄'},
		{'▀', '▀', '█'},
	},
}

func (c *canvas) drawCandle(x int, b *model.Candle, sc yScale) {
	down, cl := 0, clUp
	if b.Close < b.Open {
		down, cl = 1, clDown
	}
	wickTop, wickBot := sc.subRow(b.High), sc.subRow(b.Low)
	bodyTop, bodyBot := sc.subRow(math.Max(b.Open, b.Close)), sc.subRow(math.Min(b.Open, b.Close))
	half := func(i int) int {
		switch {
		case i >= bodyTop && i <= bodyBot:
			return halfBody
		case i >= wickTop && i <= wickBot:
			return halfWick
		}
		return halfNone
	}
	for y := wickTop / 2; y <= wickBot/2; y++ {
		r := candleRunes[down][half(2*y)][half(2*y+1)]
		if r != ' ' {
			c.set(x, y, r, cl)
		}
	}
}

// Package chart draws price charts (a braille line, or candles) into a fixed
// grid of terminal cells.
//
// Layout: the plot fills the top-left; price labels sit on the right of a
// vertical axis and time labels under a horizontal axis. Axes are dropped
// when the size is too small for them (price axis below ~10 plot columns,
// time axis below 5 lines), and the output is always exactly h lines of
// exactly w cells.
//
// Line mode draws closes with braille dots (2x4 per cell). The dot
// rasterising is ntcharts' (runes.PatternDotsGrid for the dots and braille
// runes, graph.GetLinePoints for the Bresenham segments between closes);
// compositing and styling is ours, because the ntcharts canvas renders every
// cell through lipgloss separately, which is slow and allocation heavy.
//
// Candles mode draws one candle per column (per two columns when bars are
// few, merged when they are many) with half-cell vertical resolution. It is
// readable without colour: up candles are hollow-looking heavy lines
// (┃ ╹ ╻ ╿ ╽), down candles are filled blocks (█ ▀ ▄); wicks are thin
// lines (│ ╵ ╷). ntcharts' candlestick helper draws up and down candles
// with the same runes, so it is not used.
package chart

import (
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/tokentop/tokentop/model"
)

// Mode is how candles are drawn.
type Mode uint8

const (
	Line    Mode = iota // closes joined by a braille line
	Candles             // one OHLC candle per column
)

func (m Mode) String() string {
	if m == Candles {
		return "candles"
	}
	return "line"
}

// Style holds the chart's styles, built by the caller from a theme and the
// session's renderer (a zero lipgloss.Style would draw through lipgloss's
// process-wide renderer: never leave one unset). Only colours and text
// attributes are used: width, padding, margins and borders are ignored so
// the chart keeps its exact size.
type Style struct {
	Line, Up, Down, Axis, Label lipgloss.Style
}

// NoData is shown centred in the frame when there are fewer than two usable
// bars.
const NoData = "no data"

// Sizes below which parts of the chart are left out.
const (
	minPlotWForPriceAxis = 10 // plot columns left after the price axis
	minHForTimeAxis      = 5  // lines: plot + axis line + time labels
)

// Render draws candles (oldest first) into exactly h lines of exactly w
// cells, with price labels on the right and time labels at the bottom.
// Candles with a NaN, infinite, zero or negative price are skipped (in line
// mode only the close matters). Fewer than two usable bars draw the frame
// with NoData in the middle. Times are read as Unix seconds in UTC.
func Render(candles model.ReadOnly[model.Candle], w, h int, mode Mode, st Style) string {
	if h <= 0 {
		return ""
	}
	if w <= 0 {
		return strings.Repeat("\n", h-1)
	}
	c := newCanvas(w, h)
	bars := usableBars(candles, mode)
	c.draw(bars, mode)
	return c.String(&st)
}

// usableBars returns the bars worth drawing: in line mode those with a
// usable close, in candle mode those with four usable prices, with High and
// Low widened to cover Open and Close (outside data may disagree with
// itself).
func usableBars(candles model.ReadOnly[model.Candle], mode Mode) []model.Candle {
	n := 0
	for i := range candles.Len() {
		if b := candles.At(i); usable(&b, mode) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]model.Candle, 0, n)
	for i := range candles.Len() {
		b := candles.At(i)
		if !usable(&b, mode) {
			continue
		}
		if mode == Candles {
			b.High = math.Max(math.Max(b.High, b.Low), math.Max(b.Open, b.Close))
			b.Low = math.Min(math.Min(b.High, b.Low), math.Min(b.Open, b.Close))
		}
		out = append(out, b)
	}
	return out
}

func usable(b *model.Candle, mode Mode) bool {
	if mode == Candles {
		return price(b.Open) && price(b.High) && price(b.Low) && price(b.Close)
	}
	return price(b.Close)
}

// price says whether v can be drawn as a price.
func price(v float64) bool { return v > 0 && !math.IsInf(v, 1) }

// style classes of a cell
const (
	clPlain uint8 = iota
	clLine
	clUp
	clDown
	clAxis
	clLabel
	clLast // last price label on the axis
	nClasses
)

// canvas is a grid of runes with a style class per cell.
type canvas struct {
	w, h  int
	runes []rune
	class []uint8

	hasLast   bool  // the last price label is drawn
	lastClass uint8 // the style the last price label is reversed from
}

func newCanvas(w, h int) *canvas {
	c := &canvas{w: w, h: h, runes: make([]rune, w*h), class: make([]uint8, w*h)}
	for i := range c.runes {
		c.runes[i] = ' '
	}
	return c
}

func (c *canvas) set(x, y int, r rune, cl uint8) {
	if x < 0 || y < 0 || x >= c.w || y >= c.h {
		return
	}
	c.runes[y*c.w+x] = r
	c.class[y*c.w+x] = cl
}

// text writes s (ASCII) from (x, y), clipped to the canvas.
func (c *canvas) text(x, y int, s string, cl uint8) {
	for i := 0; i < len(s); i++ {
		c.set(x+i, y, rune(s[i]), cl)
	}
}

// layout is where things go.
type layout struct {
	plotW, plotH int
	priceAxis    bool // vertical axis at column plotW, labels from plotW+2
	timeAxis     bool // horizontal axis at row plotH, labels at row plotH+1
}

// yScale maps prices to plot rows.
type yScale struct {
	lo, hi float64 // price at the bottom and top edge of the plot
	sub    int     // sub-rows per cell: 4 for braille dots, 2 for half blocks
	rows   int     // plot rows
}

// subRow is the sub-row (0 = top) of price v.
func (s yScale) subRow(v float64) int {
	n := s.rows * s.sub
	f := (s.hi - v) / (s.hi - s.lo)
	if !(f >= 0) { // also NaN
		f = 0
	} else if f > 1 {
		f = 1
	}
	var r int
	if s.sub == 4 { // braille: dots are points, spread over 0..n-1
		r = int(math.Round(f * float64(n-1)))
	} else { // halves are bands
		r = int(math.Floor(f * float64(n)))
	}
	return clampInt(r, 0, n-1)
}

func (s yScale) row(v float64) int { return s.subRow(v) / s.sub }

func (c *canvas) draw(bars []model.Candle, mode Mode) {
	var lay layout
	lay.plotW, lay.plotH = c.w, c.h
	if c.h >= minHForTimeAxis {
		lay.timeAxis = true
		lay.plotH = c.h - 2
	}
	if len(bars) < 2 {
		c.drawNoData(lay)
		return
	}

	sc := yScale{sub: 4, rows: lay.plotH}
	if mode == Candles {
		sc.sub = 2
	}
	sc.lo, sc.hi = priceRange(bars, mode)

	ticks, dec := priceTicks(sc)
	last := bars[len(bars)-1].Close
	lastLabel := formatPrice(last, dec)
	labelW := len(lastLabel)
	labels := make([]string, len(ticks))
	for i, t := range ticks {
		labels[i] = formatPrice(t, dec)
		labelW = max(labelW, len(labels[i]))
	}
	if c.w-labelW-2 >= minPlotWForPriceAxis && lay.plotH >= 2 {
		lay.priceAxis = true
		lay.plotW = c.w - labelW - 2
	}

	var cols []barCol
	if mode == Candles {
		cols = c.drawCandles(bars, lay, sc)
	} else {
		cols = c.drawLine(bars, lay, sc)
	}
	c.drawAxes(lay)
	if lay.priceAxis {
		c.drawPriceLabels(lay, sc, ticks, labels, last, lastLabel)
		c.hasLast = true
	}
	if lay.timeAxis {
		c.drawTimeLabels(lay, cols)
	}
}

// barCol is the column where a drawn bar sits and the bar's time.
type barCol struct {
	col int
	t   int64
}

func (c *canvas) drawNoData(lay layout) {
	if lay.timeAxis && c.w >= minPlotWForPriceAxis+2 {
		lay.priceAxis = true
		lay.plotW = c.w - 2
	}
	c.drawAxes(lay)
	msg := NoData
	if len(msg) > lay.plotW {
		msg = msg[:lay.plotW]
	}
	c.text((lay.plotW-len(msg))/2, (lay.plotH-1)/2, msg, clLabel)
}

func (c *canvas) drawAxes(lay layout) {
	if lay.priceAxis {
		for y := 0; y < lay.plotH; y++ {
			c.set(lay.plotW, y, '│', clAxis)
		}
	}
	if lay.timeAxis {
		for x := 0; x < lay.plotW; x++ {
			c.set(x, lay.plotH, '─', clAxis)
		}
		if lay.priceAxis {
			c.set(lay.plotW, lay.plotH, '┘', clAxis)
		}
	}
}

// priceRange is the price at the bottom and top of the plot: the lowest
// and highest price drawn (closes in line mode, lows and highs in candle
// mode) with a little room above and below. A flat series gets a band
// around its price, so it is drawn in the middle.
func priceRange(bars []model.Candle, mode Mode) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for i := range bars {
		l, h := bars[i].Close, bars[i].Close
		if mode == Candles {
			l, h = bars[i].Low, bars[i].High
		}
		lo = math.Min(lo, l)
		hi = math.Max(hi, h)
	}
	span := hi - lo
	if !(span > hi*1e-12) { // flat: a band around the price
		mid := (lo + hi) / 2
		lo, hi = mid*(1-1e-3), mid*(1+1e-3)
	} else {
		pad := span * 0.05
		lo, hi = math.Max(lo-pad, 0), hi+pad
	}
	if math.IsInf(hi, 0) {
		hi = math.MaxFloat64
	}
	if !(hi > lo) { // denormal prices
		lo, hi = 0, math.Max(hi, math.SmallestNonzeroFloat64)*2
	}
	return lo, hi
}

// priceTicks picks 2-5 round prices inside the scale, no two on the same
// or adjacent rows, and the number of decimals to show them with.
func priceTicks(sc yScale) ([]float64, int) {
	maxTicks := clampInt((sc.rows+1)/3, 1, 5)
	span := sc.hi - sc.lo
	step := niceStep(span / float64(maxTicks))
	var ticks []float64
	for try := 0; try < 8; try++ {
		ticks = ticks[:0]
		first := math.Ceil(sc.lo / step)
		lastRow := -10
		for k := 0; k < 16; k++ {
			v := (first + float64(k)) * step
			if v > sc.hi || math.IsInf(v, 0) {
				break
			}
			r := sc.row(v)
			if r-lastRow < 2 && lastRow-r < 2 {
				continue
			}
			ticks = append(ticks, v)
			lastRow = r
		}
		if len(ticks) <= maxTicks {
			break
		}
		step = niceStep(step * 1.5)
	}
	return ticks, decimals(math.Max(math.Abs(sc.hi), math.Abs(sc.lo)), step)
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	switch m := x / p; {
	case m <= 1:
		return p
	case m <= 2:
		return 2 * p
	case m <= 5:
		return 5 * p
	default:
		return 10 * p
	}
}

// decimals is how many decimals to show prices near mag with ticks step
// apart: about five significant digits (67,012 / 3,456.8 / 1.2345 /
// 0.000012345), more if the ticks need them to differ.
func decimals(mag, step float64) int {
	d := 0
	if mag > 0 {
		d = 4 - int(math.Floor(math.Log10(mag)))
	}
	if step > 0 {
		if sd := -int(math.Floor(math.Log10(step) + 1e-9)); sd > d {
			d = sd
		}
	}
	return clampInt(d, 0, 12)
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

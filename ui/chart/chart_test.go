package chart

import (
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	goldenfile "github.com/tokentop/tokentop/internal/golden"
	"github.com/tokentop/tokentop/model"
)

// t0 is 2024-03-14 09:00 UTC.
const t0 = 1710406800

// walk is a seeded random walk of n bars of step seconds from price p.
func walk(seed uint64, n int, step int64, p float64) []model.Candle {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]model.Candle, n)
	for i := range out {
		open := p
		hi, lo := open, open
		for k := 0; k < 4; k++ {
			p *= 1 + rng.NormFloat64()*0.002
			hi, lo = math.Max(hi, p), math.Min(lo, p)
		}
		out[i] = model.Candle{T: t0 + int64(i)*step, Open: open, High: hi, Low: lo, Close: p, Volume: 1}
	}
	return out
}

// rising is n bars whose every price rises with i.
func rising(n int) []model.Candle {
	out := make([]model.Candle, n)
	for i := range out {
		p := 100 + float64(i)
		out[i] = model.Candle{T: t0 + int64(i)*60, Open: p, High: p + 0.5, Low: p - 0.5, Close: p + 0.4}
	}
	return out
}

func flat(n int) []model.Candle {
	out := make([]model.Candle, n)
	for i := range out {
		out[i] = model.Candle{T: t0 + int64(i)*60, Open: 42, High: 42, Low: 42, Close: 42}
	}
	return out
}

// asciiRenderer is a renderer with no colour, as on a mono terminal (never
// lipgloss's process-wide one: what it draws depends on where the tests
// run).
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// plain is a style with no colour, as on a mono terminal.
func plain() Style {
	s := asciiRenderer().NewStyle()
	return Style{Line: s, Up: s, Down: s, Axis: s, Label: s}
}

// colour is a true-colour style set, as a theme would build it.
func colour() Style {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	return Style{
		Line:  r.NewStyle().Foreground(lipgloss.Color("#4fc3f7")),
		Up:    r.NewStyle().Foreground(lipgloss.Color("#26a69a")),
		Down:  r.NewStyle().Foreground(lipgloss.Color("#ef5350")),
		Axis:  r.NewStyle().Foreground(lipgloss.Color("240")),
		Label: r.NewStyle().Foreground(lipgloss.Color("250")).Bold(true),
	}
}

// lines splits a chart into its lines and checks it has exactly h lines of
// exactly w cells.
func checkSize(t *testing.T, name, out string, w, h int) []string {
	t.Helper()
	if h == 0 {
		if out != "" {
			t.Fatalf("%s %dx%d: want empty output, got %q", name, w, h, out)
		}
		return nil
	}
	ls := strings.Split(out, "\n")
	if len(ls) != h {
		t.Fatalf("%s %dx%d: %d lines, want %d", name, w, h, len(ls), h)
	}
	for i, l := range ls {
		if got := lipgloss.Width(l); got != w {
			t.Fatalf("%s %dx%d: line %d is %d cells wide, want %d: %q", name, w, h, i, got, w, l)
		}
	}
	return ls
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, name, got)
}

func TestGoldenLine(t *testing.T) {
	golden(t, "line_60x15", Render(model.ReadOnlyOf(walk(1, 120, 60, 67012)...), 60, 15, Line, plain()))
}

func TestGoldenCandles(t *testing.T) {
	golden(t, "candles_60x15", Render(model.ReadOnlyOf(walk(2, 24, 3600, 3456.8)...), 60, 15, Candles, plain()))
}

func BenchmarkRenderLine(b *testing.B) {
	bars := model.ReadOnlyOf(walk(9, 240, 60, 67012)...)
	st := colour()
	b.ReportAllocs()
	for b.Loop() {
		Render(bars, 120, 30, Line, st)
	}
}

func BenchmarkRenderCandles(b *testing.B) {
	bars := model.ReadOnlyOf(walk(9, 120, 60, 67012)...)
	st := colour()
	b.ReportAllocs()
	for b.Loop() {
		Render(bars, 120, 30, Candles, st)
	}
}

// datasets are the inputs every size is tried with.
func datasets() map[string][]model.Candle {
	nan := walk(3, 60, 60, 100)
	nan[3].Close = math.NaN()
	nan[10].High = math.Inf(1)
	nan[20].Low = -5
	nan[30].Open = 0
	nan[40] = model.Candle{T: -1, Open: math.NaN(), High: math.NaN(), Low: math.NaN(), Close: math.NaN()}
	hostileTime := walk(4, 30, 60, 2)
	hostileTime[0].T = math.MinInt64
	hostileTime[29].T = math.MaxInt64
	hostileTime[15].T = 0
	extreme := []model.Candle{
		{T: t0, Open: math.MaxFloat64, High: math.MaxFloat64, Low: math.SmallestNonzeroFloat64, Close: math.SmallestNonzeroFloat64},
		{T: t0 + 60, Open: 1e-300, High: 1e300, Low: 1e-300, Close: 1e300},
		{T: t0 + 120, Open: 5e-324, High: 5e-324, Low: 5e-324, Close: 5e-324},
	}
	return map[string][]model.Candle{
		"empty":       nil,
		"one":         walk(1, 1, 60, 67012),
		"two":         walk(1, 2, 60, 67012),
		"flat":        flat(50),
		"rising":      rising(90),
		"random":      walk(5, 500, 60, 3456.8),
		"daily":       walk(6, 400, 86400, 0.000012345),
		"nan":         nan,
		"hostileTime": hostileTime,
		"extreme":     extreme,
		"tinyFlat":    {{T: t0, Open: 5e-324, High: 5e-324, Low: 5e-324, Close: 5e-324}, {T: t0 + 60, Open: 5e-324, High: 5e-324, Low: 5e-324, Close: 5e-324}},
		"hugeFlat":    {{T: t0, Open: math.MaxFloat64, High: math.MaxFloat64, Low: math.MaxFloat64, Close: math.MaxFloat64}, {T: t0 + 60, Open: math.MaxFloat64, High: math.MaxFloat64, Low: math.MaxFloat64, Close: math.MaxFloat64}},
	}
}

func TestExactSize(t *testing.T) {
	widths := []int{0, 1, 2, 3, 5, 8, 10, 12, 13, 19, 20, 21, 30, 40, 59, 60, 80, 121, 199, 200}
	heights := []int{0, 1, 2, 3, 4, 5, 6, 7, 10, 15, 30, 59, 60}
	styles := map[string]Style{"plain": plain(), "colour": colour()}
	for name, bars := range datasets() {
		for sname, st := range styles {
			for _, mode := range []Mode{Line, Candles} {
				for _, w := range widths {
					for _, h := range heights {
						checkSize(t, name+"/"+sname+"/"+mode.String(), Render(model.ReadOnlyOf(bars...), w, h, mode, st), w, h)
					}
				}
			}
		}
	}
}

func TestExactSizeRandomSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	bars := walk(7, 300, 300, 67012)
	for i := 0; i < 300; i++ {
		w, h := rng.IntN(201), rng.IntN(61)
		n := rng.IntN(len(bars) + 1)
		for _, mode := range []Mode{Line, Candles} {
			checkSize(t, "random/"+mode.String(), Render(model.ReadOnlyOf(bars[:n]...), w, h, mode, colour()), w, h)
		}
	}
}

// A style with layout of its own must not change the chart's size.
func TestStyleLayoutIgnored(t *testing.T) {
	s := asciiRenderer().NewStyle().Width(30).Padding(1, 2).Margin(1).Border(lipgloss.RoundedBorder()).MaxWidth(3)
	st := Style{Line: s, Up: s, Down: s, Axis: s, Label: s}
	for _, mode := range []Mode{Line, Candles} {
		checkSize(t, "layout/"+mode.String(), Render(model.ReadOnlyOf(walk(1, 80, 60, 100)...), 70, 20, mode, st), 70, 20)
	}
}

// plotCells returns the runes of the chart as a grid.
func plotCells(out string) [][]rune {
	var g [][]rune
	for _, l := range strings.Split(out, "\n") {
		g = append(g, []rune(l))
	}
	return g
}

func isBraille(r rune) bool { return r >= 0x2801 && r <= 0x28ff }

func TestRisingLineEndsHigh(t *testing.T) {
	const w, h = 50, 14
	g := plotCells(Render(model.ReadOnlyOf(rising(90)...), w, h, Line, plain()))
	plotH := h - 2
	first, last := -1, -1 // rows of the leftmost and rightmost braille columns
	firstCol, lastCol := w, -1
	for y := 0; y < plotH; y++ {
		for x, r := range g[y] {
			if !isBraille(r) {
				continue
			}
			if x < firstCol || (x == firstCol && y > first) {
				firstCol, first = x, y
			}
			if x > lastCol || (x == lastCol && y < last) {
				lastCol, last = x, y
			}
		}
	}
	if firstCol != 0 {
		t.Errorf("line starts at column %d, want 0", firstCol)
	}
	if first < plotH-2 {
		t.Errorf("first point on row %d, want one of the bottom two rows (%d rows)", first, plotH)
	}
	if last > 1 {
		t.Errorf("last point on row %d, want one of the top two rows", last)
	}
	if g[last][lastCol+1] != '│' && g[last][lastCol+1] != '├' && g[last][lastCol+1] != '┤' {
		t.Errorf("line should end next to the price axis, found %q after it", g[last][lastCol+1])
	}
}

func TestFlatSeriesCentred(t *testing.T) {
	for _, mode := range []Mode{Line, Candles} {
		const w, h = 40, 13
		g := plotCells(Render(model.ReadOnlyOf(flat(30)...), w, h, mode, plain()))
		plotH := h - 2
		rows := map[int]bool{}
		for y := 0; y < plotH; y++ {
			for _, r := range g[y][:20] {
				if r != ' ' {
					rows[y] = true
				}
			}
		}
		if len(rows) != 1 {
			t.Fatalf("%s: flat series drawn on rows %v, want one row", mode, rows)
		}
		for y := range rows {
			if mid := float64(plotH-1) / 2; math.Abs(float64(y)-mid) > 1 {
				t.Errorf("%s: flat series on row %d, want the middle (%.1f)", mode, y, mid)
			}
		}
	}
}

func TestCandlesUpAndDownDiffer(t *testing.T) {
	bars := []model.Candle{
		{T: t0, Open: 100, High: 112, Low: 96, Close: 110},        // up
		{T: t0 + 3600, Open: 110, High: 114, Low: 98, Close: 100}, // down
	}
	const w, h = 30, 12
	out := Render(model.ReadOnlyOf(bars...), w, h, Candles, plain())
	g := plotCells(out)
	column := func(x int) map[rune]bool {
		set := map[rune]bool{}
		for y := 0; y < h-2; y++ {
			if r := g[y][x]; r != ' ' {
				set[r] = true
			}
		}
		return set
	}
	plotW := strings.IndexRune(string(g[h-2]), '┘')
	plotW = utf8.RuneCountInString(string(g[h-2])[:plotW])
	var xs []int
	for x := 0; x < plotW; x++ {
		if len(column(x)) > 0 {
			xs = append(xs, x)
		}
	}
	if len(xs) != 2 {
		t.Fatalf("want 2 candle columns, got %v in\n%s", xs, out)
	}
	up, down := column(xs[0]), column(xs[1])
	if !up['┃'] || up['█'] {
		t.Errorf("up candle should have a hollow ┃ body, got %q", keys(up))
	}
	if !down['█'] || down['┃'] {
		t.Errorf("down candle should have a filled █ body, got %q", keys(down))
	}
	for _, set := range []map[rune]bool{up, down} {
		wick := false
		for _, r := range "│╵╷╽╿" {
			wick = wick || set[r]
		}
		if !wick {
			t.Errorf("candle without a wick: %q", keys(set))
		}
	}

	// with colour, each candle is drawn in its own style
	st := colour()
	colOut := Render(model.ReadOnlyOf(bars...), w, h, Candles, st)
	for name, s := range map[string]lipgloss.Style{"up": st.Up, "down": st.Down} {
		pre, _ := styleCodes(s)
		if pre == "" || !strings.Contains(colOut, pre+"┃") && !strings.Contains(colOut, pre+"█") {
			t.Errorf("%s candle not drawn in its style (%q)", name, pre)
		}
	}
}

func keys(m map[rune]bool) string {
	var b strings.Builder
	for r := range m {
		b.WriteRune(r)
	}
	return b.String()
}

func TestNoData(t *testing.T) {
	for name, bars := range map[string][]model.Candle{
		"nil":     nil,
		"one":     walk(1, 1, 60, 100),
		"allNaN":  {{T: t0, Close: math.NaN()}, {T: t0 + 60, Close: math.Inf(1)}, {T: t0 + 120, Close: -1}},
		"oneGood": {{T: t0, Close: math.NaN()}, {T: t0 + 60, Open: 1, High: 1, Low: 1, Close: 1}},
	} {
		for _, mode := range []Mode{Line, Candles} {
			out := Render(model.ReadOnlyOf(bars...), 40, 10, mode, plain())
			ls := checkSize(t, name, out, 40, 10)
			found := -1
			for y, l := range ls {
				if strings.Contains(l, NoData) {
					found = y
				}
			}
			if found < 3 || found > 5 {
				t.Errorf("%s/%s: %q on row %d, want the middle of the frame:\n%s", name, mode, NoData, found, out)
			}
		}
	}
}

// Unusable bars are skipped: the chart is as if they were not there.
func TestUnusableBarsSkipped(t *testing.T) {
	clean := walk(8, 50, 60, 100)
	dirty := make([]model.Candle, 0, len(clean)+3)
	dirty = append(dirty, clean[:10]...)
	dirty = append(dirty, model.Candle{T: clean[9].T + 1, Open: 1e9, High: 1e9, Low: 1e9, Close: math.NaN()})
	dirty = append(dirty, clean[10:30]...)
	dirty = append(dirty, model.Candle{T: clean[29].T + 1, Open: -1, High: math.Inf(1), Low: 0, Close: -3})
	dirty = append(dirty, clean[30:]...)
	for _, mode := range []Mode{Line, Candles} {
		if a, b := Render(model.ReadOnlyOf(clean...), 70, 20, mode, plain()), Render(model.ReadOnlyOf(dirty...), 70, 20, mode, plain()); a != b {
			t.Errorf("%s: unusable bars changed the chart:\n%s\nvs\n%s", mode, a, b)
		}
	}
}

func TestPriceLabels(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{67012.34, "67,012"},
		{3456.78, "3,456.8"},
		{1.23456, "1.2346"},
		{0.000012345, "0.000012345"},
		{123.456, "123.46"},
		{1234567.8, "1,234,568"},
	} {
		if got := formatPrice(c.v, decimals(c.v, 0)); got != c.want {
			t.Errorf("formatPrice(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	// ticks close together get the decimals they need to differ
	if got := formatPrice(67012.25, decimals(67012.25, 0.05)); got != "67,012.25" {
		t.Errorf("fine ticks: got %q", got)
	}

	out := Render(model.ReadOnlyOf(walk(1, 120, 60, 67012)...), 80, 20, Line, plain())
	labels := regexp.MustCompile(`[┤├] (\d{2},\d{3})\b`).FindAllStringSubmatch(out, -1)
	if len(labels) < 3 || len(labels) > 6 {
		t.Fatalf("want 3-5 tick labels and the last price, got %d:\n%s", len(labels), out)
	}
}

func TestTimeLabels(t *testing.T) {
	intraday := Render(model.ReadOnlyOf(walk(1, 120, 60, 100)...), 80, 20, Candles, plain())
	last := intraday[strings.LastIndex(intraday, "\n")+1:]
	if n := len(regexp.MustCompile(`\b\d\d:\d\d\b`).FindAllString(last, -1)); n < 2 {
		t.Errorf("want HH:MM labels for a 2h chart, got %q", last)
	}
	daily := Render(model.ReadOnlyOf(walk(1, 60, 86400, 100)...), 80, 20, Line, plain())
	last = daily[strings.LastIndex(daily, "\n")+1:]
	if n := len(regexp.MustCompile(`\b(Mar|Apr|May) \d\d\b`).FindAllString(last, -1)); n < 2 {
		t.Errorf("want \"Jan 02\" labels for a 60-day chart, got %q", last)
	}
	// every label sits under a tick on the axis
	ls := strings.Split(daily, "\n")
	axis := []rune(ls[len(ls)-2])
	ticks := 0
	for _, r := range axis {
		if r == '┴' {
			ticks++
		}
	}
	if labels := len(strings.Fields(last)) / 2; ticks != labels {
		t.Errorf("%d ticks for %d labels:\n%s", ticks, labels, daily)
	}
}

func TestMergeBars(t *testing.T) {
	bars := make([]model.Candle, 10)
	for i := range bars {
		p := float64(10 + i)
		bars[i] = model.Candle{T: int64(i), Open: p, High: p + 1, Low: p - 1, Close: p + 0.5, Volume: 1}
	}
	got := mergeBars(bars, 4) // groups of 3, ending at the newest: [0] [1-3] [4-6] [7-9]
	want := []model.Candle{
		{T: 0, Open: 10, High: 11, Low: 9, Close: 10.5, Volume: 1},
		{T: 1, Open: 11, High: 14, Low: 10, Close: 13.5, Volume: 3},
		{T: 4, Open: 14, High: 17, Low: 13, Close: 16.5, Volume: 3},
		{T: 7, Open: 17, High: 20, Low: 16, Close: 19.5, Volume: 3},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d bars, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bar %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got := mergeBars(bars, 10); len(got) != 10 {
		t.Errorf("bars that fit must not be merged")
	}
}

func TestOutputIsUTF8(t *testing.T) {
	for _, mode := range []Mode{Line, Candles} {
		if out := Render(model.ReadOnlyOf(walk(2, 100, 60, 5)...), 60, 15, mode, colour()); !utf8.ValidString(out) {
			t.Errorf("%s: invalid UTF-8", mode)
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add([]byte("\x01\x02\x03\x04\x05\x06\x07\x08"), 40, 10, false)
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x00\x00\x00\x00\x00\xf8\x7f"), 20, 5, true)
	f.Fuzz(func(t *testing.T, data []byte, w, h int, candles bool) {
		w, h = w%220, h%70
		if w < 0 {
			w = -w
		}
		if h < 0 {
			h = -h
		}
		var bars []model.Candle
		word := func(i int) uint64 {
			var v uint64
			for k := 0; k < 8; k++ {
				if j := i*8 + k; j < len(data) {
					v |= uint64(data[j]) << (8 * k)
				}
			}
			return v
		}
		for i := 0; i*40 < len(data); i++ {
			bars = append(bars, model.Candle{
				T:     int64(word(i * 5)),
				Open:  math.Float64frombits(word(i*5 + 1)),
				High:  math.Float64frombits(word(i*5 + 2)),
				Low:   math.Float64frombits(word(i*5 + 3)),
				Close: math.Float64frombits(word(i*5 + 4)),
			})
		}
		mode := Line
		if candles {
			mode = Candles
		}
		checkSize(t, "fuzz", Render(model.ReadOnlyOf(bars...), w, h, mode, plain()), w, h)
	})
}

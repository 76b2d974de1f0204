package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/ui/chart"

	"github.com/tokentop/tokentop/internal/safetext"
)

// timeframe is the span of the detail chart.
type timeframe uint8

const (
	tf1h timeframe = iota
	tf24h
	tf7d
	tf30d
	numTimeframes
)

func (tf timeframe) String() string { return [...]string{"1h", "24h", "7d", "30d"}[tf] }

func (tf timeframe) span() time.Duration {
	return [...]time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}[tf]
}

// candlesMsg is History's answer to one detail request. seq tells a reply to
// the latest request from a stale one.
type candlesMsg struct {
	symbol  string
	tf      timeframe
	seq     uint64
	candles model.ReadOnly[model.Candle]
	err     error
}

const (
	historyTimeout = 2 * time.Second
	chartLabelW    = 10 // cells the chart keeps for price labels
	statCellW      = 24 // label + value
	statGap        = 2
)

// detail is the pane for one token. Two sub-views, toggled by f: the chart
// (title, chart with timeframe tabs, stats, a ratings summary, recent
// trades) and the ratings (each grade broken into its factors, official
// grades, the signal history), which scrolls when taller than the pane.
type detail struct {
	ctx *programContext

	open   bool
	symbol string // raw symbol, as History knows it
	tok    *model.TokenView
	tf     timeframe
	mode   chart.Mode

	width, height int
	chartH        int
	statsLines    int
	statsCols     int
	tradeRows     int
	tradesOffset  int
	summaryLines  int // ratings summary lines under the stats (0..2)

	ratings       bool     // the ratings sub-view is shown
	ratingsOffset int      // first page line shown
	page          []string // the ratings page, each line width cells

	seq        uint64 // of the latest request
	fetchedVer uint64 // token version when it was sent
	pending    bool   // fetch at the next tick
	ticks      int    // ticks since the last fetch

	loaded     bool // candles answer the latest request
	candles    model.ReadOnly[model.Candle]
	candlesErr error

	// link is the last trade link shown (the trade key without a browser);
	// the pane's foot shows it while its token is the pane's.
	link tradeLink

	chartLines []string
	lines      []string // exactly height lines of width cells
	buf        []byte
	draws      int // chart draws, for tests
}

func newDetail(ctx *programContext) *detail {
	return &detail{ctx: ctx, tf: tf24h, mode: chart.Line}
}

// show opens the pane on tok and returns the history request.
func (d *detail) show(tok *model.TokenView, h HistorySource) tea.Cmd {
	d.open = true
	d.setToken(tok)
	return d.fetch(h)
}

func (d *detail) hide() {
	d.open = false
	d.symbol, d.tok, d.loaded, d.candles = "", nil, false, model.ReadOnly[model.Candle]{}
	d.seq++ // whatever is in flight is now stale
}

// setToken follows the table's cursor: a new symbol drops the old candles
// and asks for history at the next tick.
func (d *detail) setToken(tok *model.TokenView) {
	if !d.open {
		return
	}
	if tok == nil {
		if d.tok != nil {
			d.tok, d.symbol = nil, ""
			d.render()
		}
		return
	}
	if tok.Symbol != d.symbol {
		d.symbol = tok.Symbol
		d.loaded, d.candles, d.candlesErr = false, model.ReadOnly[model.Candle]{}, nil
		d.tradesOffset, d.ratingsOffset = 0, 0
		d.pending = true
		d.seq++
		d.tok = tok
		d.drawChart()
		d.render()
		return
	}
	if tok != d.tok {
		d.tok = tok
		d.render()
	}
}

func (d *detail) setSize(w, h int) {
	if w == d.width && h == d.height {
		return
	}
	oldW, oldH := d.width, d.chartH
	d.width, d.height = w, h
	d.layout()
	if d.open && (oldW != d.width || oldH != d.chartH) {
		d.pending = true // maxBars follows the plot width
	}
	d.drawChart()
	d.render()
}

func (d *detail) setTimeframe(tf timeframe, h HistorySource) tea.Cmd {
	if tf >= numTimeframes || tf == d.tf {
		return nil
	}
	d.tf = tf
	d.loaded, d.candles, d.candlesErr = false, model.ReadOnly[model.Candle]{}, nil
	d.drawChart()
	d.render()
	return d.fetch(h)
}

func (d *detail) toggleMode(h HistorySource) tea.Cmd {
	if d.mode == chart.Line {
		d.mode = chart.Candles
	} else {
		d.mode = chart.Line
	}
	d.drawChart()
	d.render()
	return d.fetch(h) // the bar count differs by mode
}

// maxBars is how many bars fill the plot: two per cell for a braille line,
// one per cell for candles; the 1h chart has sixty 1-minute bars at most.
func (d *detail) maxBars() int {
	plot := max(d.width-chartLabelW, 1)
	bars := plot
	if d.mode == chart.Line {
		bars = 2 * plot
	}
	if d.tf == tf1h {
		bars = min(bars, 60)
	}
	return bars
}

// fetch returns a command asking History for the chart's candles. Values
// are captured here: the command never reads the model.
func (d *detail) fetch(h HistorySource) tea.Cmd {
	if !d.open || d.symbol == "" {
		return nil
	}
	d.seq++
	d.pending, d.ticks = false, 0
	if d.tok != nil {
		d.fetchedVer = d.tok.Version
	}
	if h == nil {
		d.loaded, d.candlesErr = true, errNoHistory
		d.drawChart()
		d.render()
		return nil
	}
	seq, sym, tf, span, bars := d.seq, d.symbol, d.tf, d.tf.span(), d.maxBars()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), historyTimeout)
		defer cancel()
		c, err := h.Candles(ctx, sym, span, bars)
		return candlesMsg{symbol: sym, tf: tf, seq: seq, candles: c, err: err}
	}
}

type historyError string

func (e historyError) Error() string { return string(e) }

const errNoHistory = historyError("no history source")

// tick asks for fresh candles at most every half second while the token
// changes, or at once when the symbol or size changed.
func (d *detail) tick(h HistorySource) tea.Cmd {
	if !d.open {
		return nil
	}
	d.ticks++
	every := max(d.ctx.opts.RefreshHz/2, 1)
	if d.pending || d.tok != nil && d.tok.Version != d.fetchedVer && d.ticks >= every {
		return d.fetch(h)
	}
	return nil
}

// onCandles stores a reply to the latest request; stale replies are
// dropped. It reports whether the reply was taken.
func (d *detail) onCandles(m candlesMsg) bool {
	if !d.open || m.seq != d.seq || m.symbol != d.symbol || m.tf != d.tf {
		return false
	}
	d.loaded, d.candles, d.candlesErr = true, m.candles, m.err
	d.drawChart()
	d.render()
	return true
}

// toggleRatings switches between the chart and the ratings sub-views.
func (d *detail) toggleRatings() {
	d.ratings = !d.ratings
	d.render()
}

// scroll moves the focused pane's list: the ratings page, or the trades.
func (d *detail) scroll(delta int) {
	if !d.ratings {
		d.scrollTrades(delta)
		return
	}
	off := min(max(d.ratingsOffset+delta, 0), d.maxRatingsOffset())
	if off != d.ratingsOffset {
		d.ratingsOffset = off
		d.render()
	}
}

func (d *detail) maxRatingsOffset() int { return max(len(d.page)-(d.height-2), 0) }

func (d *detail) scrollTrades(delta int) {
	if d.tok == nil {
		return
	}
	maxOff := max(d.tok.Trades.Len()-d.tradeRows, 0)
	off := min(max(d.tradesOffset+delta, 0), maxOff)
	if off != d.tradesOffset {
		d.tradesOffset = off
		d.render()
	}
}

// layout shares the height between chart, stats, ratings summary and
// trades: the chart keeps at least six lines; when short, trades go first,
// then the summary's second line, the summary, then stats.
func (d *detail) layout() {
	d.statsCols = min(max((d.width+statGap)/(statCellW+statGap), 1), 5)
	d.statsLines = (numStats + d.statsCols - 1) / d.statsCols
	rest := d.height - 2 // title and tabs
	d.tradeRows = min(max(rest/5, 2), 15)
	d.summaryLines = 2
	const chartMin = 6
	statsH := 1 + d.statsLines
	tradesH := 2 + d.tradeRows
	summaryH := func() int {
		if d.summaryLines == 0 {
			return 0
		}
		return 1 + d.summaryLines
	}
	left := func() int { return rest - statsH - summaryH() - tradesH }
	if left() < chartMin {
		d.tradeRows = max(rest-statsH-summaryH()-chartMin-2, 0)
		tradesH = 2 + d.tradeRows
		if d.tradeRows == 0 {
			tradesH = 0
		}
	}
	for d.summaryLines > 0 && left() < chartMin {
		d.summaryLines--
	}
	if left() < chartMin {
		d.statsLines, statsH = 0, 0
	}
	d.chartH = max(left(), 0)
}

// drawChart redraws the chart into its cached lines (Update only).
func (d *detail) drawChart() {
	w, h := d.width, d.chartH
	if !d.open || w <= 0 || h <= 0 {
		d.chartLines = nil
		return
	}
	st := d.ctx.styles
	var msg string
	switch {
	case !d.loaded:
		msg = "loading " + d.tf.String() + " history…"
	case d.candlesErr != nil:
		msg = "history unavailable: " + safetext.Line(d.candlesErr.Error(), maxShown)
	case d.candles.Len() == 0:
		msg = "no " + d.tf.String() + " history yet"
	}
	if msg != "" {
		lines := make([]string, h)
		for i := range lines {
			lines[i] = strings.Repeat(" ", w)
		}
		lines[h/2] = fitLine(strings.Repeat(" ", max((w-textWidth(msg))/2, 0))+st.Muted.Render(msg), w)
		d.chartLines = lines
		return
	}
	d.chartLines = fitLines(chart.Render(d.candles, w, h, d.mode, st.Chart), w, h)
	d.draws++
}

const numStats = 10

// render rebuilds the pane's cached lines (Update only).
func (d *detail) render() {
	w, h := d.width, d.height
	if !d.open || w <= 0 || h <= 0 {
		d.lines = nil
		return
	}
	lines := make([]string, 0, h)
	if d.ratings {
		d.page = d.ratingsPage()
		d.ratingsOffset = min(d.ratingsOffset, d.maxRatingsOffset())
		lines = append(lines, d.titleLine(), d.ratingsTabsLine())
		lines = append(lines, d.page[d.ratingsOffset:]...)
		for i := range lines {
			lines[i] = fitLine(lines[i], w)
		}
		for len(lines) < h {
			lines = append(lines, strings.Repeat(" ", w))
		}
		d.lines = lines[:h]
		d.footLink()
		return
	}
	lines = append(lines, d.titleLine(), d.tabsLine())
	lines = append(lines, d.chartLines...)
	for len(lines) < 2+d.chartH {
		lines = append(lines, "")
	}
	if d.statsLines > 0 {
		lines = append(lines, d.section("Stats"))
		lines = append(lines, d.statsBlock()...)
	}
	if d.summaryLines > 0 {
		lines = append(lines, d.section("Ratings"))
		lines = append(lines, d.ratingsSummary()[:d.summaryLines]...)
	}
	if d.tradeRows > 0 {
		lines = append(lines, d.section("Recent trades"))
		lines = append(lines, d.tradesBlock()...)
	}
	for i := range lines {
		lines[i] = fitLine(lines[i], w)
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	d.lines = lines[:h]
	d.footLink()
}

// footLink puts the trade link on the pane's last line while the pane
// shows the link's token.
func (d *detail) footLink() {
	if d.link.url == "" || d.link.symbol != d.symbol || d.height < 4 {
		return
	}
	d.lines[d.height-1] = d.linkLine(d.width)
}

func (d *detail) titleLine() string {
	st := d.ctx.styles
	if d.tok == nil {
		return st.Muted.Render("no token selected")
	}
	tok := d.tok
	b := d.buf[:0]
	if tok.Rank > 0 {
		b = append(b, " #"...)
		b = strconv.AppendInt(b, int64(tok.Rank), 10)
	}
	left := st.Title.Render(safetext.Line(tok.Symbol, maxShown)) + "  " + st.Text.Render(safetext.Line(tok.Name, maxShown)) + " " + st.Muted.Render(string(b))
	b = appendPrice(b[:0], tok.Price)
	price := st.Text.Bold(true).Render(string(b))
	b = appendChange(b[:0], tok.Change24h)
	change := d.changeStyle(tok.Change24h).Render(string(b))
	d.buf = b
	return joinSides(left, price+"  "+change+st.Muted.Render(" 24h"), max(d.width, 0))
}

func (d *detail) changeStyle(frac float64) lipgloss.Style {
	st := d.ctx.styles
	switch direction(frac) {
	case 1:
		return st.Up
	case -1:
		return st.Down
	}
	return st.Flat
}

func (d *detail) tabsLine() string {
	st := d.ctx.styles
	var b strings.Builder
	for tf := range numTimeframes {
		if tf == d.tf {
			b.WriteString(st.TabActive.Render("[" + tf.String() + "]"))
		} else {
			b.WriteString(st.TabInactive.Render(" " + tf.String() + " "))
		}
		b.WriteByte(' ')
	}
	mode := "line"
	if d.mode == chart.Candles {
		mode = "candles"
	}
	right := st.Muted.Render(mode + " · " + strconv.Itoa(d.candles.Len()) + " bars")
	if d.tok != nil && !d.tok.Cached.IsZero() {
		// Warm start: the chart up to Cached is the cache's, until the
		// feeds fill the gap after it.
		right = st.Warning.Render("◷ cached to "+d.tok.Cached.Local().Format("Jan 2 15:04")) + st.Muted.Render(" · ") + right
	}
	return joinSides(b.String(), right, d.width)
}

func (d *detail) section(title string) string {
	st := d.ctx.styles
	head := "── " + title + " "
	return st.Section.Render(head + strings.Repeat("─", max(d.width-textWidth(head), 0)))
}

func (d *detail) statsBlock() []string {
	st := d.ctx.styles
	tok := d.tok
	type stat struct {
		label string
		value []byte
		style lipgloss.Style
	}
	var stats [numStats]stat
	if tok != nil {
		b := make([]byte, 0, 160)
		add := func(i int, label string, f func([]byte) []byte, style lipgloss.Style) {
			start := len(b)
			b = f(b)
			stats[i] = stat{label, b[start:len(b):len(b)], style}
		}
		add(0, "Price", func(x []byte) []byte { return appendPrice(x, tok.Price) }, st.Text)
		add(1, "1h", func(x []byte) []byte { return appendChange(x, tok.Change1h) }, d.changeStyle(tok.Change1h))
		add(2, "24h", func(x []byte) []byte { return appendChange(x, tok.Change24h) }, d.changeStyle(tok.Change24h))
		add(3, "7d", func(x []byte) []byte { return appendChange(x, tok.Change7d) }, d.changeStyle(tok.Change7d))
		add(4, "24h high", func(x []byte) []byte { return appendPrice(x, tok.High24h) }, st.Text)
		add(5, "24h low", func(x []byte) []byte { return appendPrice(x, tok.Low24h) }, st.Text)
		add(6, "Vol 24h", func(x []byte) []byte { return appendCompact(x, tok.Volume24h) }, st.Text)
		add(7, "Mkt cap", func(x []byte) []byte { return appendCapOrUnknown(x, tok.MarketCap) }, st.Text)
		add(8, "Supply", func(x []byte) []byte { return appendCapOrUnknown(x, tok.Supply) }, st.Text)
		add(9, "Volatility", func(x []byte) []byte { return appendPercent(x, tok.Volatility) }, st.Text)
	}
	out := make([]string, d.statsLines)
	for line := range out {
		var b strings.Builder
		for col := 0; col < d.statsCols; col++ {
			i := line*d.statsCols + col
			if i >= numStats || tok == nil {
				break
			}
			s := stats[i]
			if col > 0 {
				b.WriteString(strings.Repeat(" ", statGap))
			}
			v := string(s.value)
			pad := max(statCellW-textWidth(s.label)-cells(s.value), 1)
			b.WriteString(st.Label.Render(s.label))
			b.WriteString(strings.Repeat(" ", pad))
			b.WriteString(s.style.Render(v))
		}
		out[line] = b.String()
	}
	return out
}

func (d *detail) tradesBlock() []string {
	st := d.ctx.styles
	out := make([]string, 0, d.tradeRows+1)
	const (
		timeW, sideW, priceW, qtyW, notionalW = 8, 4, 14, 12, 10
	)
	b := d.buf[:0]
	b = appendCellString(b, span{}, "Time", timeW, false)
	b = append(b, "  "...)
	b = appendCellString(b, span{}, "Side", sideW, false)
	b = appendCellString(b, span{}, "Price", priceW, true)
	b = appendCellString(b, span{}, "Qty", qtyW, true)
	b = appendCellString(b, span{}, "Notional", notionalW, true)
	out = append(out, st.Label.Render(string(b)))
	if d.tok == nil || d.tok.Trades.Len() == 0 {
		out = append(out, st.Muted.Render("no trades yet"))
		d.buf = b
		return out
	}
	loc := d.ctx.now.Location()
	trades := d.tok.Trades.Slice(min(d.tradesOffset, d.tok.Trades.Len()), d.tok.Trades.Len())
	var num [32]byte
	for i := 0; i < d.tradeRows && i < trades.Len(); i++ {
		tr := trades.At(i)
		b = b[:0]
		b = time.Unix(0, tr.Time).In(loc).AppendFormat(b, "15:04:05")
		b = append(b, "  "...)
		side, sideStyle := "?", st.Flat
		switch tr.Side {
		case model.SideBuy:
			side, sideStyle = "BUY", st.Up
		case model.SideSell:
			side, sideStyle = "SELL", st.Down
		}
		head := string(b)
		b = b[:0]
		b = appendCellBytes(b, span{}, appendPrice(num[:0], tr.Price), priceW, true)
		b = appendCellBytes(b, span{}, appendQty(num[:0], tr.Qty), qtyW, true)
		b = appendCellBytes(b, span{}, appendCompact(num[:0], tr.Notional()), notionalW, true)
		nums := string(b)
		sideCell := string(appendCellString(num[:0], span{}, side, sideW, false))
		line := st.Muted.Render(head) + sideStyle.Render(sideCell)
		if tr.Whale {
			line += st.Whale.Render(nums + " ◆ whale")
		} else {
			line += st.Text.Render(nums)
		}
		out = append(out, line)
	}
	d.buf = b
	return out
}

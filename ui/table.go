package ui

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// column is one column of the ratings table, in display order.
type column uint8

const (
	colRank column = iota
	colSymbol
	colName
	colPrice
	colChange1h
	colChange24h
	colChange7d
	colTrader
	colInvestor
	colSignal
	colVolume
	colCap
	colSpark
	numColumns
)

// dropOrder is the order columns are given up in when the table is narrow.
// Symbol, price and 24h change are never dropped. The ratings outrank the
// name, volume, market cap and trend: they are what the table is for, and
// at 80 columns a trader sees rank, symbol, price, 1h/24h/7d and both grades
// with the signal; the Investor Grade (a slow number) goes before the
// Trader Grade and the signal, which are what move.
func dropOrder() [10]column {
	return [10]column{colName, colVolume, colCap, colSpark, colChange7d, colChange1h, colRank,
		colInvestor, colSignal, colTrader}
}

// columnSpec gives a column's title, width range and alignment.
func columnSpec(c column) (title string, minW, maxW int, right bool) {
	switch c {
	case colRank:
		return "#", 4, 4, true
	case colSymbol:
		return "Symbol", 8, 12, false
	case colName:
		return "Name", 10, 22, false
	case colPrice:
		return "Price", 15, 15, true // 13 digits, a space and the tick marker
	case colChange1h:
		return "1h", 8, 8, true
	case colChange24h:
		return "24h", 8, 8, true
	case colChange7d:
		return "7d", 8, 8, true
	case colVolume:
		return "Vol 24h", 9, 9, true
	case colCap:
		return "Mkt Cap", 9, 9, true
	case colTrader:
		return "Trader", 6, 6, true
	case colInvestor:
		return "Invest", 6, 6, true
	case colSignal:
		return "Signal", 6, 6, false
	default:
		return "24h trend", 10, 48, false
	}
}

// shortTitle is a column's title when the sort marker would not fit.
func shortTitle(c column) string {
	switch c {
	case colTrader:
		return "Trd"
	case colInvestor:
		return "Inv"
	case colSignal:
		return "Sig"
	}
	title, _, _, _ := columnSpec(c)
	return title
}

// gutterWidth is the cursor marker and one marker cell: ✦ highlight (a
// signal flip, a new moonshot), else ★ a watched token, else ◌ stale (a
// stale row is also drawn faint).
const gutterWidth = 2

// layout is the table's column widths for one window width, computed once
// per resize (or when the longest symbol changes), never per row.
type layout struct {
	cols  colLayout[column] // the shown columns in display order
	show  [numColumns]bool
	width [numColumns]int
	gap   int
	used  int // cells used by gutter, columns and gaps
}

func (l *layout) count() int { return len(l.cols.cols) }

// tableColumns are the table's columns in display order, the symbol
// column symW cells wide at least.
func tableColumns(symW int) []colSpec[column] {
	specs := make([]colSpec[column], 0, numColumns)
	for c := range numColumns {
		title, minW, maxW, right := columnSpec(c)
		if c == colSymbol {
			minW = symW
		}
		specs = append(specs, colSpec[column]{c, title, minW, maxW, right})
	}
	return specs
}

// computeLayout fits the columns into total cells: it drops columns in
// dropOrder until they fit (trying a two-cell gap first, then one cell if
// that keeps more columns), then widens name and trend into what is left.
func computeLayout(total, symW int) layout {
	drop := dropOrder()
	_, _, nameMax, _ := columnSpec(colName)
	cl := fitColumns(tableColumns(symW), total, fitRule[column]{
		gutter: gutterWidth, gaps: []int{2, 1}, drop: drop[:],
		// most names fit in 16; then the trend, then long names
		grow: []growStep[column]{{colName, 16}, {colSpark, 0}, {colName, nameMax}},
	})
	l := layout{cols: cl, gap: cl.gap, used: cl.used}
	for _, c := range cl.cols {
		l.show[c.col], l.width[c.col] = true, c.width
	}
	return l
}

// sortKey is what the table is sorted by; the names are Options.Sort's.
type sortKey uint8

const (
	sortRank sortKey = iota
	sortSymbol
	sortName
	sortPrice
	sortChange1h
	sortChange24h
	sortChange7d
	sortVolume
	sortCap
	sortTrader
	sortInvestor
	sortSignal
	numSortKeys
)

func (k sortKey) String() string {
	return [...]string{"rank", "symbol", "name", "price", "change_1h", "change_24h",
		"change_7d", "volume", "market_cap", "trader_grade", "investor_grade", "signal"}[k]
}

// SortKeys lists the names Options.Sort accepts, in the order s cycles.
func SortKeys() []string {
	out := make([]string, numSortKeys)
	for k := range numSortKeys {
		out[k] = k.String()
	}
	return out
}

func (k sortKey) column() column {
	return [...]column{colRank, colSymbol, colName, colPrice, colChange1h, colChange24h,
		colChange7d, colVolume, colCap, colTrader, colInvestor, colSignal}[k]
}

// naturalDesc: numbers sort biggest first when chosen, names A to Z.
func (k sortKey) naturalDesc() bool { return k >= sortPrice }

func parseSortKey(s string) (sortKey, bool) {
	for k := range numSortKeys {
		if k.String() == s {
			return k, true
		}
	}
	return sortRank, false
}

// row is one token's line in the table and its render cache.
type row struct {
	tok                *model.TokenView
	rawSymbol, rawName string
	symbol, name       string // sanitised
	lowSymbol, lowName string // for search

	flash      int8 // +1 ticked up, -1 ticked down, 0 none
	flashUntil time.Time
	hl         int8   // highlight: hlUp (turned up, new moonshot), hlDown, 0 none
	hlUntil    uint64 // render tick at which the highlight ends
	stale      bool
	seen       uint64 // the table's apply pass that last listed this token

	line string // rendered, exactly table-width cells

	// The trend as drawn from sparkTok at sparkW cells: a TokenView never
	// changes, so it is drawn again only for a new view or width.
	spark    sparkCells
	sparkTok *model.TokenView
	sparkW   int
}

// tableCells is everything one table row shows: the row is drawn from it
// alone (and the layout), and it is the row's cache key, so a field the
// row shows cannot be missing from the key.
type tableCells struct {
	sel, star, stale bool
	hl, flash        int8
	rank             int
	symbol, name     string // sanitised
	price            fbits
	change1h         fbits
	change24h        fbits
	change7d         fbits
	volume, cap      fbits
	trader, investor gradeCell
	signal           model.Signal
	spark            sparkCells
}

// gradeCell is what a grade's cell shows: its value and band.
type gradeCell struct {
	value fbits
	band  model.Band
}

func gradeCellOf(g model.Grade) gradeCell { return gradeCell{fb(g.Value), g.Band} }

func (g gradeCell) grade() model.Grade { return model.Grade{Value: g.value.f(), Band: g.band} }

// sparkMaxCells is the trend column's widest.
const sparkMaxCells = 48

// sparkCells is the trend as drawn: its block characters, its direction
// (its colour) and where the faint cached part ends.
type sparkCells struct {
	text [sparkMaxCells * 3]byte
	n    uint8 // bytes of text
	dir  int8
	cut  int16 // bytes of text drawn faint (warm-start cache); -1: not split
}

func (r *row) setToken(tok *model.TokenView) {
	r.tok = tok
	r.sparkTok = nil // holds no old view
	if tok.Symbol != r.rawSymbol || r.symbol == "" {
		r.rawSymbol = tok.Symbol
		r.symbol = safetext.Line(tok.Symbol, maxShown)
		r.lowSymbol = strings.ToLower(r.symbol)
	}
	if tok.Name != r.rawName {
		r.rawName = tok.Name
		r.name = safetext.Line(tok.Name, maxShown)
		r.lowName = strings.ToLower(r.name)
	}
}

// table is the ratings table: our own, over the visible rows only.
type table struct {
	ctx *programContext

	rows map[string]*row // by symbol
	all  []*row          // snapshot order
	view []*row          // filtered and sorted: what the table shows

	cursor, offset int
	selected       string // symbol under the cursor, kept across re-sorts

	width, height int // height includes the header line
	lay           layout
	symW          int

	sortBy sortKey
	desc   bool
	filter string // lower case

	header, blank string
	empty         string // shown when no row matches
	emptyMsg      string // the empty line without a filter; "" = "no tokens yet"
	emptyText     string // what empty was drawn from, and at which width
	emptyW        int
	buf, num      []byte

	// member, when set, restricts the table to the symbols it accepts
	// (the Watch view); starred marks a row with ★ (the active watchlist).
	member, starred func(sym string) bool

	lines   rowCache[string, tableCells] // the visible rows' lines by symbol
	cur     tableCells                   // the row being drawn
	renders int                          // rows rendered since start, for tests and benchmarks
	pass    uint64                       // apply passes since start: tells this pass's rows from older ones

	// flips are the signal changes found by the last apply, in snapshot
	// (rank) order; the root announces them.
	flips []signalFlip
}

// signalFlip is a signal change seen between two snapshots.
type signalFlip struct {
	symbol   string // sanitised
	from, to model.Signal
	price    float64
	grade    float64
}

// Row highlight kinds (index into Styles.rows).
const (
	hlNone = iota
	hlUp
	hlDown
	numHighlights
)

func newTable(ctx *programContext) *table {
	t := &table{ctx: ctx, rows: make(map[string]*row), symW: 8,
		buf: make([]byte, 0, 1024), num: make([]byte, 0, 64)}
	if k, ok := parseSortKey(ctx.opts.Sort); ok {
		t.sortBy = k
	}
	t.desc = ctx.opts.SortDesc
	return t
}

func (t *table) setSize(w, h int) {
	if w == t.width && h == t.height {
		return
	}
	t.width, t.height = w, h
	t.relayout()
	t.scroll()
}

func (t *table) relayout() {
	t.lay = computeLayout(t.width, t.symW)
	t.lines.reset()
	t.blank = strings.Repeat(" ", max(t.width, 0))
	t.renderHeader()
	t.renderEmpty()
}

// bodyRows is how many token rows fit under the header.
func (t *table) bodyRows() int { return max(t.height-1, 0) }

// apply takes a new snapshot: rows whose token changed take the new view,
// price changes start a flash, staleness is re-judged against the
// snapshot's time. Rows are re-rendered lazily, when visible.
func (t *table) apply(s *model.Snapshot, now time.Time) {
	t.applyTokens(s, nil, now)
}

// applyTokens takes the snapshot's tokens that are members, then extra
// (tokens the snapshot does not list, such as a watched token the market
// does not have yet).
func (t *table) applyTokens(s *model.Snapshot, extra []*model.TokenView, now time.Time) {
	opts := t.ctx.opts
	created := false
	t.pass++
	t.all = t.all[:0]
	t.flips = t.flips[:0]
	n := s.Tokens.Len()
	for k := range n + len(extra) {
		var tok *model.TokenView
		if k < n {
			tok = s.Tokens.At(k)
			if tok != nil && t.member != nil && !t.member(tok.Symbol) {
				continue
			}
		} else {
			tok = extra[k-n]
		}
		if tok == nil {
			continue
		}
		r := t.rows[tok.Symbol]
		if r == nil {
			r = &row{}
			t.rows[tok.Symbol] = r
			created = true
		}
		if r.seen == t.pass && r.tok != nil {
			continue // a duplicate symbol: first one wins
		}
		if r.tok != tok {
			if r.tok != nil && opts.Flash > 0 && tok.Price != r.tok.Price && !bad(tok.Price) && !bad(r.tok.Price) {
				r.flash = 1
				if tok.Price < r.tok.Price {
					r.flash = -1
				}
				r.flashUntil = now.Add(opts.Flash)
			}
			if old := r.tok; old != nil && old.Signal != tok.Signal && old.TraderGrade.Present() {
				f := signalFlip{from: old.Signal, to: tok.Signal, price: tok.Price, grade: tok.TraderGrade.Value}
				if tok.Signals.Len() > 0 && tok.Signals.At(0).To == tok.Signal {
					f.price, f.grade = tok.Signals.At(0).Price, tok.Signals.At(0).Grade
				}
				r.setToken(tok)
				f.symbol = r.symbol
				t.flips = append(t.flips, f)
				kind := int8(hlUp)
				if tok.Signal < old.Signal {
					kind = hlDown
				}
				t.highlight(r, kind)
			}
			r.setToken(tok)
		}
		r.stale = tok.LastUpdate.IsZero() || s.Time.Sub(tok.LastUpdate) > opts.StaleAfter
		r.seen = t.pass
		t.all = append(t.all, r)
	}
	if created || len(t.rows) != len(t.all) {
		symW := 8
		for sym, r := range t.rows {
			if r.seen != t.pass {
				delete(t.rows, sym)
				continue
			}
			symW = max(symW, min(ansi.StringWidth(r.symbol), 12))
		}
		if symW != t.symW {
			t.symW = symW
			t.relayout()
		}
	}
	t.rebuildView()
}

// expireFlashes ends flashes and highlights that are over.
func (t *table) expireFlashes(now time.Time) {
	for _, r := range t.all {
		if r.flash != 0 && !now.Before(r.flashUntil) {
			r.flash = 0
		}
		if r.hl != hlNone && t.ctx.ticks >= r.hlUntil {
			r.hl = hlNone
		}
	}
}

// highlight marks r for the highlight duration (counted in render ticks, so
// it lasts the same on a fast demo clock).
func (t *table) highlight(r *row, kind int8) {
	if n := t.ctx.highlightTicks(); n > 0 {
		r.hl, r.hlUntil = kind, t.ctx.ticks+n
	}
}

// highlightSymbol highlights the row of a raw symbol, if it is listed.
func (t *table) highlightSymbol(sym string, kind int8) {
	if r := t.rows[sym]; r != nil {
		t.highlight(r, kind)
	}
}

// rebuildView filters and sorts, keeping the cursor on the same token.
func (t *table) rebuildView() {
	t.view = t.view[:0]
	for _, r := range t.all {
		if t.filter == "" || strings.Contains(r.lowSymbol, t.filter) || strings.Contains(r.lowName, t.filter) {
			t.view = append(t.view, r)
		}
	}
	if len(t.view) > 1 { // the method value allocates: not for an empty Watch view
		slices.SortStableFunc(t.view, t.compare)
	}
	if len(t.view) == 0 {
		t.renderEmpty()
	}
	found := false
	if t.selected != "" {
		for i, r := range t.view {
			if r.tok.Symbol == t.selected {
				t.cursor, found = i, true
				break
			}
		}
	}
	if !found {
		t.cursor = min(max(t.cursor, 0), max(len(t.view)-1, 0))
		t.selected = ""
		if len(t.view) > 0 {
			t.selected = t.view[t.cursor].tok.Symbol
		}
	}
	t.scroll()
}

// renderEmpty draws the line shown when no row matches.
func (t *table) renderEmpty() {
	msg := "  no tokens yet"
	if t.emptyMsg != "" {
		msg = "  " + t.emptyMsg
	}
	if t.filter != "" {
		msg = "  no token matches \"" + t.filter + "\""
	}
	if msg == t.emptyText && t.width == t.emptyW && t.empty != "" {
		return // drawn already: an empty Watch view redraws nothing per snapshot
	}
	t.emptyText, t.emptyW = msg, t.width
	t.empty = fitLine(t.ctx.styles.Muted.Render(msg), t.width)
}

func cmpNum(x, y float64, desc, zeroUnknown bool) int {
	xb := bad(x) || zeroUnknown && x <= 0
	yb := bad(y) || zeroUnknown && y <= 0
	switch {
	case xb && yb:
		return 0
	case xb:
		return 1 // unknown last, whichever the direction
	case yb:
		return -1
	}
	if desc {
		return cmp.Compare(y, x)
	}
	return cmp.Compare(x, y)
}

func cmpText(x, y string, desc bool) int {
	switch {
	case x == "" && y == "":
		return 0
	case x == "":
		return 1
	case y == "":
		return -1
	}
	if desc {
		return strings.Compare(y, x)
	}
	return strings.Compare(x, y)
}

func (t *table) compare(a, b *row) int {
	x, y := a.tok, b.tok
	var c int
	switch t.sortBy {
	case sortRank:
		c = cmpNum(float64(x.Rank), float64(y.Rank), t.desc, true)
	case sortSymbol:
		c = cmpText(a.symbol, b.symbol, t.desc)
	case sortName:
		c = cmpText(a.lowName, b.lowName, t.desc)
	case sortPrice:
		c = cmpNum(x.Price, y.Price, t.desc, true)
	case sortChange1h:
		c = cmpNum(x.Change1h, y.Change1h, t.desc, false)
	case sortChange24h:
		c = cmpNum(x.Change24h, y.Change24h, t.desc, false)
	case sortChange7d:
		c = cmpNum(x.Change7d, y.Change7d, t.desc, false)
	case sortVolume:
		c = cmpNum(x.Volume24h, y.Volume24h, t.desc, false)
	case sortCap:
		c = cmpNum(x.MarketCap, y.MarketCap, t.desc, true)
	case sortTrader:
		c = cmpNum(x.TraderGrade.Value, y.TraderGrade.Value, t.desc, false)
	case sortInvestor:
		c = cmpNum(x.InvestorGrade.Value, y.InvestorGrade.Value, t.desc, false)
	case sortSignal: // bullish first (desc), then the stronger grade; no grade last
		c = cmpNum(signalKey(x), signalKey(y), t.desc, false)
	}
	if c != 0 {
		return c
	}
	if c = cmpNum(float64(x.Rank), float64(y.Rank), false, true); c != 0 {
		return c
	}
	return strings.Compare(x.Symbol, y.Symbol)
}

// signalKey orders by signal, then Trader Grade; NaN without a grade.
func signalKey(tok *model.TokenView) float64 {
	if !tok.TraderGrade.Present() {
		return math.NaN()
	}
	return float64(tok.Signal)*1000 + min(max(tok.TraderGrade.Value, 0), 100)
}

func (t *table) setSort(k sortKey, desc bool) {
	t.sortBy, t.desc = k, desc
	t.renderHeader()
	t.rebuildView()
}

// cycleSort moves to the next (step 1) or previous (-1) sort column, in its
// natural direction.
func (t *table) cycleSort(step int) {
	k := sortKey((int(t.sortBy) + step + int(numSortKeys)) % int(numSortKeys))
	t.setSort(k, k.naturalDesc())
}

func (t *table) reverse() { t.setSort(t.sortBy, !t.desc) }

func (t *table) setFilter(f string) {
	f = strings.ToLower(strings.TrimSpace(safetext.Line(f, maxShown)))
	if f == t.filter {
		return
	}
	t.filter = f
	t.rebuildView()
}

// moveTo puts the cursor on view index i (clamped).
func (t *table) moveTo(i int) {
	if len(t.view) == 0 {
		t.cursor, t.selected = 0, ""
		return
	}
	t.cursor = min(max(i, 0), len(t.view)-1)
	t.selected = t.view[t.cursor].tok.Symbol
	t.scroll()
}

func (t *table) move(delta int) { t.moveTo(t.cursor + delta) }

// scroll keeps the cursor inside the visible window.
func (t *table) scroll() { t.offset = scrollOffset(t.cursor, t.offset, t.bodyRows(), len(t.view)) }

// scrollOffset is the first visible row of a list of n rows shown h at a
// time, moved as little as possible so the cursor stays visible.
func scrollOffset(cursor, offset, h, n int) int {
	if h <= 0 {
		return 0
	}
	if cursor < offset {
		offset = cursor
	}
	if cursor >= offset+h {
		offset = cursor - h + 1
	}
	return min(max(offset, 0), max(n-h, 0))
}

// selectedRow is the row under the cursor, or nil.
func (t *table) selectedRow() *row {
	if t.cursor < 0 || t.cursor >= len(t.view) {
		return nil
	}
	return t.view[t.cursor]
}

// rowAt maps a body line (0 = first row under the header) to a view index.
func (t *table) rowAt(line int) (int, bool) {
	if line < 0 || line >= t.bodyRows() {
		return 0, false
	}
	i := t.offset + line
	return i, i < len(t.view)
}

// refresh renders the visible rows whose shown values changed.
func (t *table) refresh() {
	end := min(t.offset+t.bodyRows(), len(t.view))
	for i := t.offset; i < end; i++ {
		r := t.view[i]
		t.cells(&t.cur, r, i == t.cursor, t.starred != nil && t.starred(r.tok.Symbol))
		r.line = t.lines.line(r.tok.Symbol, &t.cur, t.drawRow)
	}
	t.lines.sweep()
	t.renders = t.lines.renders
}

// line is body line i of the table (0 = header), exactly width cells.
func (t *table) line(i int) string {
	if i == 0 {
		return t.header
	}
	if len(t.view) == 0 && i == 1 {
		return t.empty
	}
	j := t.offset + i - 1
	if j < len(t.view) && t.view[j].line != "" {
		return t.view[j].line
	}
	return t.blank
}

func appendSpan(dst []byte, sp span, s string) []byte {
	dst = append(dst, sp.pre...)
	dst = append(dst, s...)
	return append(dst, sp.post...)
}

func appendSpaces(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, ' ')
	}
	return dst
}

// appendCellBytes writes formatter output b (one cell per rune) padded or
// cut to w cells.
func appendCellBytes(dst []byte, sp span, b []byte, w int, right bool) []byte {
	if w <= 0 {
		return dst
	}
	n := cells(b)
	dst = append(dst, sp.pre...)
	if n > w { // cannot happen with the layout's widths; keep the lead digits
		k := 0
		for i := 0; i < w-1; i++ {
			_, sz := utf8.DecodeRune(b[k:])
			k += sz
		}
		dst = append(dst, b[:k]...)
		dst = append(dst, "…"...)
		return append(dst, sp.post...)
	}
	if right {
		dst = appendSpaces(dst, w-n)
	}
	dst = append(dst, b...)
	if !right {
		dst = appendSpaces(dst, w-n)
	}
	return append(dst, sp.post...)
}

// textWidth is the display width of a sanitised string.
func textWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// appendCellString writes a sanitised string padded or cut (with "…") to w
// cells.
func appendCellString(dst []byte, sp span, s string, w int, right bool) []byte {
	if w <= 0 {
		return dst
	}
	n := textWidth(s)
	if n > w {
		if n == len(s) { // ASCII
			s = s[:w-1]
		} else {
			s = ansi.Truncate(s, w-1, "")
		}
		s2w := textWidth(s)
		dst = append(dst, sp.pre...)
		dst = append(dst, s...)
		dst = append(dst, "…"...)
		dst = appendSpaces(dst, w-1-s2w)
		return append(dst, sp.post...)
	}
	dst = append(dst, sp.pre...)
	if right {
		dst = appendSpaces(dst, w-n)
	}
	dst = append(dst, s...)
	if !right {
		dst = appendSpaces(dst, w-n)
	}
	return append(dst, sp.post...)
}

func changeSpan(p *rowPalette, frac float64) span {
	switch direction(frac) {
	case 1:
		return p.up
	case -1:
		return p.down
	}
	return p.flat
}

// renderRow draws one row into dst: exactly t.width cells.
func (t *table) renderRow(dst []byte, r *row, sel, star bool) []byte {
	t.cells(&t.cur, r, sel, star)
	return t.drawRow(dst, &t.cur)
}

// cells fills c with what row r shows. It allocates nothing.
func (t *table) cells(c *tableCells, r *row, sel, star bool) {
	tok := r.tok
	*c = tableCells{sel: sel, star: star, stale: r.stale, hl: r.hl, flash: r.flash, rank: tok.Rank,
		symbol: r.symbol, name: r.name, price: fb(tok.Price),
		change1h: fb(tok.Change1h), change24h: fb(tok.Change24h), change7d: fb(tok.Change7d),
		volume: fb(tok.Volume24h), cap: fb(tok.MarketCap),
		trader: gradeCellOf(tok.TraderGrade), investor: gradeCellOf(tok.InvestorGrade), signal: tok.Signal}
	w := t.lay.width[colSpark]
	if !t.lay.show[colSpark] || w <= 0 {
		c.spark.cut = -1
		return
	}
	if r.sparkTok != tok || r.sparkW != w {
		r.spark, r.sparkTok, r.sparkW = drawSpark(tok, min(w, sparkMaxCells)), tok, w
	}
	c.spark = r.spark
}

// drawSpark is tok's trend drawn w cells wide.
func drawSpark(tok *model.TokenView, w int) sparkCells {
	sc := sparkCells{cut: -1, dir: int8(sparkDirection(tok.Spark))}
	text := appendSpark(sc.text[:0], tok.Spark, w)
	sc.n = uint8(len(text))
	if cut := cachedPoints(tok); cut > 0 {
		// The cached part of the history (warm start) is drawn faint
		// until the feeds fill the gap after it: the cell showing point
		// cut-1 is the last cached one (cell i shows point ((i+1)*n-1)/w).
		n := tok.Spark.Len()
		cells := 0
		for cells < w && ((cells+1)*n-1)/w < cut {
			cells++
		}
		off := 0
		for k := 0; k < cells && off < len(text); k++ {
			_, size := utf8.DecodeRune(text[off:])
			off += size
		}
		sc.cut = int16(off)
	}
	return sc
}

// drawRow draws a row from what it shows into dst: exactly t.width cells.
// It allocates nothing once dst and t.num have grown (non-ASCII names that
// need cutting aside).
func (t *table) drawRow(dst []byte, v *tableCells) []byte {
	state := 0
	if v.sel {
		state |= rowSelected
	}
	if v.stale {
		state |= rowStale
	}
	p := &t.ctx.styles.rows[min(max(int(v.hl), 0), numHighlights-1)][state]
	if v.sel {
		dst = appendSpan(dst, p.cursor, "▸")
	} else {
		dst = appendSpan(dst, p.base, " ")
	}
	switch {
	case v.hl != hlNone:
		dst = appendSpan(dst, p.hlMark, "✦")
	case v.star:
		dst = appendSpan(dst, p.star, "★")
	case v.stale:
		dst = appendSpan(dst, p.staleMark, "◌")
	default:
		dst = appendSpan(dst, p.base, " ")
	}
	for k, col := range t.lay.cols.cols {
		if k > 0 {
			dst = append(dst, p.base.pre...)
			dst = appendSpaces(dst, t.lay.gap)
			dst = append(dst, p.base.post...)
		}
		w := col.width
		num := t.num[:0]
		switch col.col {
		case colRank:
			if v.rank > 0 {
				num = strconv.AppendInt(num, int64(v.rank), 10)
			} else {
				num = append(num, unknown...)
			}
			dst = appendCellBytes(dst, p.rank, num, w, true)
		case colSymbol:
			dst = appendCellString(dst, p.symbol, v.symbol, w, false)
		case colName:
			dst = appendCellString(dst, p.name, v.name, w, false)
		case colPrice:
			sp, mark := p.price, " "
			switch v.flash {
			case 1:
				sp, mark = p.flashUp, "▲"
			case -1:
				sp, mark = p.flashDown, "▼"
			}
			num = appendPrice(num, v.price.f())
			num = append(num, ' ')
			num = append(num, mark...)
			dst = appendCellBytes(dst, sp, num, w, true)
		case colChange1h:
			dst = appendCellBytes(dst, changeSpan(p, v.change1h.f()), appendChange(num, v.change1h.f()), w, true)
		case colChange24h:
			dst = appendCellBytes(dst, changeSpan(p, v.change24h.f()), appendChange(num, v.change24h.f()), w, true)
		case colChange7d:
			dst = appendCellBytes(dst, changeSpan(p, v.change7d.f()), appendChange(num, v.change7d.f()), w, true)
		case colVolume:
			if vol := v.volume.f(); bad(vol) || vol < 0 {
				num = append(num, unknown...)
			} else {
				num = appendCompact(num, vol)
			}
			dst = appendCellBytes(dst, p.num, num, w, true)
		case colCap:
			dst = appendCellBytes(dst, p.num, appendCapOrUnknown(num, v.cap.f()), w, true)
		case colTrader:
			g := v.trader.grade()
			dst = appendCellBytes(dst, gradeSpan(p, g), appendGrade(num, g.Value), w, true)
		case colInvestor:
			g := v.investor.grade()
			dst = appendCellBytes(dst, gradeSpan(p, g), appendGrade(num, g.Value), w, true)
		case colSignal:
			if !v.trader.grade().Present() {
				dst = appendCellString(dst, p.flat, unknown, w, false)
				break
			}
			sp := p.flat
			switch v.signal {
			case model.SignalBullish:
				sp = p.up
			case model.SignalBearish:
				sp = p.down
			}
			dst = appendCellString(dst, sp, signalCell(v.signal), w, false)
		case colSpark:
			sp := p.flat
			switch v.spark.dir {
			case 1:
				sp = p.up
			case -1:
				sp = p.down
			}
			text := v.spark.text[:v.spark.n]
			if cut := v.spark.cut; cut >= 0 {
				dst = append(dst, p.cached.pre...)
				dst = append(dst, text[:cut]...)
				dst = append(dst, p.cached.post...)
				dst = append(dst, sp.pre...)
				dst = append(dst, text[cut:]...)
				dst = append(dst, sp.post...)
				break
			}
			dst = append(dst, sp.pre...)
			dst = append(dst, text...)
			dst = append(dst, sp.post...)
		}
		t.num = num[:0]
	}
	if pad := t.width - t.lay.used; pad > 0 {
		dst = append(dst, p.base.pre...)
		dst = appendSpaces(dst, pad)
		dst = append(dst, p.base.post...)
	}
	return dst
}

// renderHeader draws the header line, marking the sort column ▲ or ▼.
func (t *table) renderHeader() {
	b := t.lay.cols.appendHeader(t.buf[:0], func(c *fitCol[column]) string {
		title := c.title
		if c.col == colPrice {
			title += "  " // line up with the digits, not the tick marker
		}
		if t.sortBy.column() == c.col {
			if textWidth(title)+2 > c.width {
				title = shortTitle(c.col)
			}
			if t.desc {
				title += " ▼"
			} else {
				title += " ▲"
			}
		}
		return title
	})
	if pad := t.width - t.lay.used; pad > 0 {
		b = appendSpaces(b, pad)
	}
	t.buf = b
	t.header = fitLine(t.ctx.styles.Header.Render(string(b)), t.width)
}

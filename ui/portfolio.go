package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// masked replaces an amount while balances are hidden.
const masked = "•••••"

// portfolioView is the Portfolio view: one row per position (symbol,
// quantity, average cost, price, value, P&L in dollars and percent,
// allocation with a bar), its lots indented under it (date, quantity, cost
// per unit, value, P&L), and the total on the last line. The cursor moves
// over the lots. Positions are valued by model.ValuePortfolio whenever the
// snapshot or the lots change while the view is shown; the lines are
// rendered then, and View only joins them.
type portfolioView struct {
	ctx  *programContext
	user *userState
	host host // the root: changes, forms, questions, the status line

	snap *model.Snapshot
	port model.Portfolio
	rows []portRow // display order: a position, then its lots
	lots []int     // indices into rows of the lot rows: what the cursor moves over

	cursor, offset int
	selID          string // the lot under the cursor, kept across re-valuations

	width, height int
	lay           colLayout[portColumn]

	key      portKey // what lines were rendered from
	lines    []string
	blank    string
	buf, num []byte

	pal        [2]portPalette                 // normal and cursor rows
	rowLines   rowCache[portRowID, portCells] // the visible rows' lines
	totalLines rowCache[bool, totalCells]     // the total line (one)
	renders    int                            // rows drawn since start, for tests and benchmarks
	headerLine string                         // drawn once per layout
}

// portRowID tells the rows apart: a position by its symbol, a lot by its
// ID.
type portRowID struct {
	lot bool
	id  string
}

// portCells is everything one row shows (a position's or a lot's): the row
// is drawn from it alone (and the layout), and it is the row's cache key.
type portCells struct {
	sel, hide, lot bool
	symbol, note   string // as the records have them: sanitised when drawn
	opened         int64  // a lot's day (Unix seconds); dated: it has one
	dated          bool
	qty, cost      fbits // a position's quantity and average cost, or the lot's
	price          fbits // the position's price (a lot shows none, but is unpriced with it)
	value, pnl     fbits
	pct, alloc     fbits
}

// totalCells is what the total line shows.
type totalCells struct {
	hide                  bool
	value, cost, pnl, pct fbits
	unpriced              int
}

// portRow is one line of the list: a position (lot < 0) or one of its lots.
type portRow struct{ pos, lot int }

// portKey is what the view was rendered from.
type portKey struct {
	snap           *model.Snapshot
	ver            uint64
	hide           bool
	w, h           int
	cursor, offset int
	selID          string
}

type portColumn uint8

const (
	pfLabel portColumn = iota
	pfQty
	pfCost
	pfPrice
	pfValue
	pfPnL
	pfPct
	pfAlloc
	pfBar
	pfNote
	numPortColumns
)

// portColumnSpec: title, minimum and maximum width, right alignment.
func portColumnSpec(c portColumn) (title string, minW, maxW int, right bool) {
	switch c {
	case pfLabel:
		return "Token", 12, 14, false
	case pfQty:
		return "Quantity", 11, 14, true
	case pfCost:
		return "Cost/unit", 11, 13, true
	case pfPrice:
		return "Price", 11, 13, true
	case pfValue:
		return "Value", 12, 14, true
	case pfPnL:
		return "P&L", 12, 14, true
	case pfPct:
		return "P&L %", 8, 9, true
	case pfAlloc:
		return "Alloc", 6, 6, true
	case pfBar:
		return "", 8, 20, false
	}
	return "Note", 10, 40, false
}

// portDropOrder is the order columns are given up in when narrow: the
// token, value and P&L % always stay.
func portDropOrder() []portColumn {
	return []portColumn{pfNote, pfBar, pfPrice, pfCost, pfQty, pfAlloc, pfPnL}
}

func newPortfolioView(ctx *programContext, u *userState) *portfolioView {
	p := &portfolioView{ctx: ctx, user: u}
	p.pal = [2]portPalette{newPortPalette(&ctx.styles, false), newPortPalette(&ctx.styles, true)}
	return p
}

func (p *portfolioView) setSize(w, h int) {
	if w == p.width && h == p.height {
		return
	}
	p.width, p.height = w, h
	p.blank = strings.Repeat(" ", max(w, 0))
	p.relayout()
	p.headerLine = ""
}

// setSnapshot takes a new snapshot; it is valued when next shown.
func (p *portfolioView) setSnapshot(s *model.Snapshot) { p.snap = s }

// relayout fits the columns to the width: drop columns until they fit
// with a two-cell gap, or one cell if that keeps more, then widen.
func (p *portfolioView) relayout() {
	specs := make([]colSpec[portColumn], 0, numPortColumns)
	for c := range numPortColumns {
		title, minW, maxW, right := portColumnSpec(c)
		specs = append(specs, colSpec[portColumn]{c, title, minW, maxW, right})
	}
	var grow []growStep[portColumn]
	for _, c := range []portColumn{pfValue, pfPnL, pfQty, pfBar, pfLabel, pfNote} {
		grow = append(grow, growStep[portColumn]{c, 0})
	}
	p.lay = fitColumns(specs, p.width, fitRule[portColumn]{gutter: gutterWidth, gaps: []int{2, 1},
		drop: portDropOrder(), grow: grow})
	p.rowLines.reset()
	p.totalLines.reset()
}

// bodyRows is how many rows fit between the header and the total line.
func (p *portfolioView) bodyRows() int { return max(p.height-2, 0) }

// revalue values the lots at the snapshot's prices and lists the rows,
// keeping the cursor on the same lot (or the nearest one when it went).
func (p *portfolioView) revalue() {
	p.port = model.ValuePortfolio(p.user.data.Lots, p.snap)
	p.rows, p.lots = p.rows[:0], p.lots[:0]
	for i := range p.port.Positions {
		p.rows = append(p.rows, portRow{i, -1})
		for j := range p.port.Positions[i].Lots {
			p.lots = append(p.lots, len(p.rows))
			p.rows = append(p.rows, portRow{i, j})
		}
	}
	p.findSelected()
}

// findSelected puts the cursor on selID, or keeps its index.
func (p *portfolioView) findSelected() {
	for i, r := range p.lots {
		if p.lotAt(r).ID == p.selID {
			p.cursor = i
			p.scroll()
			return
		}
	}
	p.cursor = min(max(p.cursor, 0), max(len(p.lots)-1, 0))
	p.selID = ""
	if len(p.lots) > 0 {
		p.selID = p.lotAt(p.lots[p.cursor]).ID
	}
	p.scroll()
}

func (p *portfolioView) lotAt(row int) *model.LotValue {
	r := p.rows[row]
	return &p.port.Positions[r.pos].Lots[r.lot]
}

// scroll keeps the cursor's lot visible, and its position's row above it
// when the lot is the position's first.
func (p *portfolioView) scroll() {
	if len(p.lots) == 0 {
		p.offset = 0
		return
	}
	line := p.lots[p.cursor]
	p.offset = scrollOffset(line, p.offset, p.bodyRows(), len(p.rows))
	if top := line - 1; p.rows[line].lot == 0 && top < p.offset && p.bodyRows() >= 2 {
		p.offset = top
	}
}

// move moves the cursor over the lots.
func (p *portfolioView) move(delta int) {
	if len(p.lots) == 0 {
		return
	}
	p.cursor = min(max(p.cursor+delta, 0), len(p.lots)-1)
	p.selID = p.lotAt(p.lots[p.cursor]).ID
	p.scroll()
}

// selectLot puts the cursor on the lot with id once it is listed.
func (p *portfolioView) selectLot(id string) {
	p.selID = id
	p.key = portKey{} // re-find at the next refresh
}

// selectedLot is the lot under the cursor, or nil.
func (p *portfolioView) selectedLot() *model.Lot {
	if p.cursor < 0 || p.cursor >= len(p.lots) {
		return nil
	}
	return p.user.lot(p.lotAt(p.lots[p.cursor]).ID)
}

// selectedSymbol is the raw symbol of the lot under the cursor.
func (p *portfolioView) selectedSymbol() string {
	if l := p.selectedLot(); l != nil {
		return l.Symbol
	}
	return ""
}

// rowAt maps a line of the view to a lot index (a position's line selects
// its first lot).
func (p *portfolioView) rowAt(line int) (int, bool) {
	i := line - 1
	if i < 0 || i >= p.bodyRows() {
		return 0, false
	}
	i += p.offset
	if i >= len(p.rows) {
		return 0, false
	}
	if p.rows[i].lot < 0 {
		i++
	}
	for k, r := range p.lots {
		if r == i {
			return k, true
		}
	}
	return 0, false
}

// refresh re-values and re-renders when the snapshot, the lots, the
// hidden flag, the size or the cursor changed.
func (p *portfolioView) refresh() {
	k := portKey{snap: p.snap, ver: p.user.version, hide: p.user.hide, w: p.width, h: p.height,
		cursor: p.cursor, offset: p.offset, selID: p.selID}
	if k == p.key && len(p.lines) == p.height {
		return
	}
	if k.snap != p.key.snap || k.ver != p.key.ver || p.key == (portKey{}) {
		p.revalue()
	} else {
		p.findSelected()
	}
	p.key = portKey{snap: p.snap, ver: p.user.version, hide: p.user.hide, w: p.width, h: p.height,
		cursor: p.cursor, offset: p.offset, selID: p.selID}
	p.render()
}

func (p *portfolioView) line(i int) string {
	if i >= 0 && i < len(p.lines) {
		return p.lines[i]
	}
	return ""
}

// render draws the header, the visible rows and the total line.
func (p *portfolioView) render() {
	st := &p.ctx.styles
	w, h := p.width, p.height
	lines := p.lines[:0]
	blank := p.blank
	if len(p.user.data.Lots) == 0 {
		lines = append(lines, blank)
		for _, l := range flow(strings.Fields("No lots yet: "+pressHint(p.ctx.keys.AddLot, "add_lot")+" on a token to add what you hold."), " ", max(w-4, 10)) {
			lines = append(lines, fitLine(st.Muted.Render("  "+l), w))
		}
	} else {
		if p.headerLine == "" {
			p.headerLine = p.header()
		}
		lines = append(lines, p.headerLine)
		end := min(p.offset+p.bodyRows(), len(p.rows))
		for i := p.offset; i < end; i++ {
			lines = append(lines, p.row(i))
		}
		for len(lines) < h-1 {
			lines = append(lines, blank)
		}
		if h >= 2 {
			v := totalCells{hide: p.user.hide, value: fb(p.port.Value), cost: fb(p.port.Cost), pnl: fb(p.port.PnL),
				pct: fb(p.port.PnLPct), unpriced: p.port.Unpriced}
			lines = append(lines, p.totalLines.line(true, &v, p.drawTotal))
		}
	}
	for len(lines) < h {
		lines = append(lines, blank)
	}
	p.lines = lines[:max(h, 0)]
	p.rowLines.sweep()
	p.renders = p.rowLines.renders
}

func (p *portfolioView) header() string {
	b := p.lay.appendHeader(p.buf[:0], nil)
	p.buf = b
	return fitLine(p.ctx.styles.Header.Render(string(b)), p.width)
}

// appendMoney writes a USD amount with cents and thousands separators
// (compact from ten million: 12.35M); "—" when unknown.
func appendMoney(dst []byte, v float64) []byte {
	switch {
	case bad(v):
		return append(dst, unknown...)
	case math.Abs(v) >= 9_999_999.995: // would round to 10,000,000.00
		return appendCompact(dst, v)
	}
	return appendFixed(dst, v, 2)
}

// appendSignedMoney writes a P&L: "+1,234.56", "-0.50", "0.00", with a
// dollar sign after the sign when dollar is set.
func appendSignedMoney(dst []byte, v float64, dollar bool) []byte {
	if bad(v) {
		return append(dst, unknown...)
	}
	switch r := math.Round(v * 100); {
	case r > 0:
		dst = append(dst, '+')
	case r < 0:
		dst = append(dst, '-')
	}
	if dollar {
		dst = append(dst, '$')
	}
	return appendMoney(dst, math.Abs(v))
}

// appendPnL writes a P&L amount: "+1,234.56", "-0.50".
func appendPnL(dst []byte, v float64) []byte { return appendSignedMoney(dst, v, false) }

// appendSignedCompact writes a P&L amount compactly: "+1.80M".
func appendSignedCompact(dst []byte, v float64) []byte {
	if v > 0 {
		dst = append(dst, '+')
	}
	return appendCompact(dst, v)
}

// appendUnitCost writes a cost per unit: a price, but 0 is "0.00" (an
// airdrop), not unknown.
func appendUnitCost(dst []byte, v float64) []byte {
	if v == 0 {
		return append(dst, "0.00"...)
	}
	return appendPrice(dst, v)
}

// portPalette is the spans a row is drawn with; the cursor row draws
// every cell in the selection style.
type portPalette struct {
	text, bold, muted, up, down, flat, warn, accent span
	gap                                             span // gutter, gaps and padding
}

func newPortPalette(st *Styles, sel bool) portPalette {
	if sel {
		s := spanOf(st.Selected)
		return portPalette{s, s, s, s, s, s, s, s, s}
	}
	return portPalette{text: spanOf(st.Text), bold: spanOf(st.Text.Bold(true)), muted: spanOf(st.Muted),
		up: spanOf(st.Up), down: spanOf(st.Down), flat: spanOf(st.Flat), warn: spanOf(st.Warning),
		accent: spanOf(st.Accent)}
}

func (pp *portPalette) change(frac float64) span {
	switch direction(frac) {
	case 1:
		return pp.up
	case -1:
		return pp.down
	}
	return pp.flat
}

// row returns row i's line, from the cache when nothing it shows changed.
func (p *portfolioView) row(i int) string {
	r := p.rows[i]
	pos := &p.port.Positions[r.pos]
	sel := r.lot >= 0 && p.cursor < len(p.lots) && p.lots[p.cursor] == i
	v := portCells{sel: sel, hide: p.user.hide, symbol: pos.Symbol, price: fb(pos.Price)}
	id := portRowID{id: pos.Symbol}
	if r.lot >= 0 {
		lv := &pos.Lots[r.lot]
		v.lot, v.note = true, lv.Note
		if !lv.Opened.IsZero() {
			v.opened, v.dated = lv.Opened.Unix(), true
		}
		v.qty, v.cost = fb(lv.Quantity), fb(lv.Cost)
		v.value, v.pnl, v.pct = fb(lv.Value), fb(lv.PnL), fb(lv.PnLPct)
		id = portRowID{true, lv.ID}
	} else {
		v.qty, v.cost = fb(pos.Quantity), fb(pos.AvgCost)
		v.value, v.pnl, v.pct, v.alloc = fb(pos.Value), fb(pos.PnL), fb(pos.PnLPct), fb(pos.Alloc)
	}
	return p.rowLines.line(id, &v, p.drawRow)
}

// drawRow draws a row (a position or a lot) from what it shows into dst:
// exactly width cells. P&L is signed and coloured; amounts are masked
// while balances are hidden (percentages and the allocation stay).
func (p *portfolioView) drawRow(dst []byte, v *portCells) []byte {
	pal := &p.pal[0]
	if v.sel {
		pal = &p.pal[1]
	}
	hide := v.hide
	isLot := v.lot
	if v.sel {
		dst = appendSpan(dst, pal.gap, "▸ ")
	} else {
		dst = appendSpan(dst, pal.gap, "  ")
	}
	priced := !bad(v.price.f())
	used := gutterWidth
	for k, c := range p.lay.cols {
		if k > 0 {
			dst = append(dst, pal.gap.pre...)
			dst = appendSpaces(dst, p.lay.gap)
			dst = append(dst, pal.gap.post...)
			used += p.lay.gap
		}
		used += c.width
		right := c.right
		sp := pal.text
		num := p.num[:0]
		// amount writes an amount, compact (1.80M) when it would not
		// fit the column, masked while balances are hidden.
		amount := func(v float64, full, short func([]byte, float64) []byte) {
			if hide {
				num = append(num, masked...)
				sp = pal.muted
				return
			}
			num = full(num, v)
			if cells(num) > c.width && !bad(v) {
				num = short(num[:0], v)
			}
		}
		switch c.col {
		case pfLabel:
			if isLot {
				num = append(num, "  "...)
				if !v.dated {
					num = append(num, "no date"...)
				} else {
					num = time.Unix(v.opened, 0).UTC().AppendFormat(num, "2006-01-02")
				}
				dst = appendCellBytes(dst, pal.muted, num, c.width, false)
			} else {
				dst = appendCellString(dst, pal.bold, safetext.Line(v.symbol, maxShown), c.width, false)
			}
			p.num = num
			continue
		case pfNote:
			note := ""
			if isLot {
				note = safetext.Line(v.note, maxShown)
			}
			dst = appendCellString(dst, pal.muted, note, c.width, false)
			continue
		case pfQty:
			amount(v.qty.f(), appendQty, appendCompact)
		case pfCost:
			amount(v.cost.f(), appendUnitCost, appendCompact)
		case pfPrice:
			if !isLot {
				num = appendPrice(num, v.price.f())
			}
		case pfValue:
			amount(v.value.f(), appendMoney, appendCompact)
		case pfPnL:
			switch {
			case !priced && !isLot:
				num = append(num, "no price"...)
				sp = pal.warn
			case priced:
				sp = pal.change(v.pnl.f())
				amount(v.pnl.f(), appendPnL, appendSignedCompact)
			}
		case pfPct:
			num = appendChange(num, v.pct.f())
			sp = pal.change(v.pct.f())
		case pfAlloc:
			if !isLot && priced {
				num = appendPercent(num, v.alloc.f())
			}
			sp = pal.muted
		case pfBar:
			if !isLot && priced {
				num = appendBar(num, v.alloc.f()*100, c.width)
			}
			sp = pal.accent
		}
		dst = appendCellBytes(dst, sp, num, c.width, right)
		p.num = num
	}
	if pad := p.width - used; pad > 0 {
		dst = append(dst, pal.gap.pre...)
		dst = appendSpaces(dst, pad)
		dst = append(dst, pal.gap.post...)
	}
	return dst
}

// drawTotal draws the total line: "Total  value $12,345.67 · cost $10,000.00 · P&L
// +$2,345.67 (+23.46%) · 1 position without a price, not counted", in the
// longest form that fits: narrow windows drop the note, then the cost.
func (p *portfolioView) drawTotal(dst []byte, v *totalCells) []byte {
	st := &p.ctx.styles
	pf := &model.Portfolio{Value: v.value.f(), Cost: v.cost.f(), PnL: v.pnl.f(), PnLPct: v.pct.f(), Unpriced: v.unpriced}
	hide := v.hide
	pal := &p.pal[0]
	total := spanOf(st.Total)
	money := func(v float64) string {
		if hide {
			return masked
		}
		return "$" + string(appendMoney(nil, v))
	}
	pnl := masked
	if !hide {
		pnl = string(appendSignedMoney(nil, pf.PnL, true))
	}
	gain := pnl + " (" + string(appendChange(nil, pf.PnLPct)) + ")"
	type seg struct {
		sp   span
		text string
	}
	sep := seg{pal.muted, " · "}
	head := []seg{{total, " Total  "}, {pal.muted, "value "}, {pal.text, money(pf.Value)}}
	cost := []seg{sep, {pal.muted, "cost "}, {pal.text, money(pf.Cost)}}
	pl := []seg{sep, {pal.muted, "P&L "}, {pal.change(pf.PnL), gain}}
	var note, short []seg
	if n := pf.Unpriced; n > 0 {
		word := " positions"
		if n == 1 {
			word = " position"
		}
		note = []seg{sep, {pal.warn, strconv.Itoa(n) + word + " without a price, not counted"}}
		short = []seg{sep, {pal.warn, strconv.Itoa(n) + " unpriced"}}
	}
	join := func(parts ...[]seg) []seg {
		var out []seg
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	var line []seg
	w := 0
	for _, l := range [][]seg{
		join(head, cost, pl, note),
		join(head, cost, pl, short),
		join(head, pl, short),
		join(head, pl),
		{{total, " Σ "}, {pal.text, money(pf.Value)}, {pal.text, " "}, {pal.change(pf.PnL), gain}},
	} {
		line = l
		w = 0
		for _, sg := range l {
			w += textWidth(sg.text)
		}
		if w <= p.width {
			break
		}
	}
	if w > p.width { // not even the shortest form fits: cut it
		b := p.buf[:0]
		for _, sg := range line {
			b = appendSpan(b, sg.sp, sg.text)
		}
		p.buf = b
		return append(dst, fitLine(string(b), p.width)...)
	}
	for _, sg := range line {
		dst = appendSpan(dst, sg.sp, sg.text)
	}
	return appendSpaces(dst, p.width-w)
}

package ui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// pickTable is the Moonshots view (open picks) or the Past Moonshots view
// (closed picks under the track record). Picks are few (the engine keeps at
// most a few hundred), so the visible lines are rendered in Update whenever
// the picks, the cursor, the sort or the size change, and View only joins
// them. When an outside provider's moonshots are in the snapshot, its
// picks for the view (active or past) are listed below ours, in the same
// columns, in the provider's order; they take at most the space our picks
// do not need, or half of it.
type pickTable struct {
	ctx  *programContext
	past bool

	picks model.ReadOnly[model.Moonshot] // from the snapshot
	track model.TrackRecord
	order []int // picks indices, sorted

	official *model.OfficialMoonshots // from the snapshot: shared, read-only; nil = none
	offAge   string                   // the "updated … ago" the section was drawn with

	cursor, offset int
	selected       pickID // kept across re-sorts

	sortBy pickSort
	desc   bool

	width, height int
	lay           colLayout[pickColumn] // visible columns and widths

	hl map[pickID]uint64 // highlighted pick -> render tick it ends

	dirty  bool
	top    []string // lines above the header: the track record (past view)
	header string
	lines  []string // exactly height lines of width cells
	buf    []byte
	rows   rowCache[pickRow, pickCells] // the visible picks' lines
}

// pickRow tells the rows of a pick table apart: our picks and the
// provider's.
type pickRow struct {
	pickID
	official bool
}

// pickCells is everything one pick's row shows: the row is drawn from it
// alone (and the layout), and it is the row's cache key.
type pickCells struct {
	sel, hl              bool
	symbol, name, reason string // as the pick has them: sanitised when drawn
	entry, exit          time.Time
	loc                  *time.Location // the times are shown in
	entryPrice, price    fbits
	roi, peak, grade     fbits
	volume, cap          fbits
}

// pickSort is what a pick table is sorted by.
type pickSort uint8

const (
	pickByEntry pickSort = iota
	pickByExit           // past view only
	pickByROI
	pickByPeak
	pickByGrade // open view only
	pickBySymbol
	numPickSorts
)

func (k pickSort) String() string {
	return [...]string{"entry", "exit", "roi", "peak_roi", "grade", "symbol"}[k]
}

// pickColumn is one column of a pick table.
type pickColumn uint8

const (
	pcSymbol pickColumn = iota
	pcName
	pcEntry
	pcEntryPrice
	pcExit
	pcExitPrice
	pcPrice
	pcROI
	pcPeak
	pcGrade
	pcVolume
	pcCap
	pcReason
)

// pickColumnSpec: title, minimum and maximum width, right alignment, and
// the sort key it shows (numPickSorts for none).
func pickColumnSpec(c pickColumn) (title string, minW, maxW int, right bool, sort pickSort) {
	switch c {
	case pcSymbol:
		return "Symbol", 8, 12, false, pickBySymbol
	case pcName:
		return "Name", 10, 20, false, numPickSorts
	case pcEntry:
		return "Entry", 12, 12, false, pickByEntry
	case pcEntryPrice:
		return "Entry price", 13, 13, true, numPickSorts
	case pcExit:
		return "Exit", 12, 12, false, pickByExit
	case pcExitPrice:
		return "Exit price", 13, 13, true, numPickSorts
	case pcPrice:
		return "Price now", 13, 13, true, numPickSorts
	case pcROI:
		return "ROI", 9, 9, true, pickByROI
	case pcPeak:
		return "Peak ROI", 10, 10, true, pickByPeak
	case pcGrade:
		return "Grade", 7, 7, true, pickByGrade
	case pcVolume:
		return "Vol 24h", 9, 9, true, numPickSorts
	case pcCap:
		return "Mkt Cap", 9, 9, true, numPickSorts
	}
	return "Exit reason", 12, 40, false, numPickSorts
}

// pickColumns lists a view's columns in display order, and the order they
// are given up in when narrow (symbol, price now / exit and ROI stay).
func pickColumns(past bool) (cols, drop []pickColumn) {
	if past {
		return []pickColumn{pcSymbol, pcEntry, pcEntryPrice, pcExit, pcExitPrice, pcROI, pcPeak, pcReason},
			[]pickColumn{pcEntryPrice, pcPeak, pcEntry, pcReason, pcExitPrice}
	}
	return []pickColumn{pcSymbol, pcName, pcEntry, pcEntryPrice, pcPrice, pcROI, pcPeak, pcGrade, pcVolume, pcCap},
		[]pickColumn{pcName, pcCap, pcVolume, pcPeak, pcEntryPrice, pcGrade, pcEntry}
}

func (t *pickTable) sortKeys() []pickSort {
	if t.past {
		return []pickSort{pickByExit, pickByEntry, pickByROI, pickByPeak, pickBySymbol}
	}
	return []pickSort{pickByEntry, pickByROI, pickByPeak, pickByGrade, pickBySymbol}
}

func newPickTable(ctx *programContext, past bool) *pickTable {
	t := &pickTable{ctx: ctx, past: past, desc: true, hl: make(map[pickID]uint64), dirty: true}
	t.sortBy = t.sortKeys()[0] // newest first
	return t
}

func idOf(m *model.Moonshot) pickID { return pickID{m.Symbol, m.Entry.UnixNano()} }

// apply takes the picks of a new snapshot and the provider's (nil when
// none).
func (t *pickTable) apply(picks model.ReadOnly[model.Moonshot], track model.TrackRecord, official *model.OfficialMoonshots) {
	t.picks, t.track, t.official = picks, track, official
	t.rebuild()
}

// officialPicks are the provider's picks this view lists.
func (t *pickTable) officialPicks() model.ReadOnly[model.Moonshot] {
	switch {
	case t.official == nil:
		return model.ReadOnly[model.Moonshot]{}
	case t.past:
		return t.official.Past
	}
	return t.official.Active
}

// officialHeight is how many lines the provider's section takes: a blank
// line, its title, then the column titles and its picks (none of those when
// it has no picks). It takes what our picks leave, but our picks keep at
// least half the space when they need it; it is dropped when too little is
// left to show one pick.
func (t *pickTable) officialHeight() int {
	if t.official == nil {
		return 0
	}
	avail := max(t.height-t.topLines()-1, 0)
	n := t.officialPicks().Len()
	need := 2
	if n > 0 {
		need = 3 + n
	}
	ours := len(t.order)
	if ours == 0 {
		ours = len(t.emptyText())
	}
	h := min(need, avail-min(ours, avail/2))
	if h < min(need, 4) {
		return 0
	}
	return h
}

// officialAge is "updated 12m ago", or "" when the provider gave no time.
func (t *pickTable) officialAge() string {
	if t.official == nil || t.official.Updated.IsZero() {
		return ""
	}
	return "updated " + string(appendAge(nil, t.ctx.now.Sub(t.official.Updated))) + " ago"
}

// highlight marks a pick for the highlight duration.
func (t *pickTable) highlight(id pickID) {
	if n := t.ctx.highlightTicks(); n > 0 {
		t.hl[id] = t.ctx.ticks + n
		t.dirty = true
	}
}

// expire ends highlights that are over.
func (t *pickTable) expire() {
	for id, until := range t.hl {
		if t.ctx.ticks >= until {
			delete(t.hl, id)
			t.dirty = true
		}
	}
}

func (t *pickTable) setSize(w, h int) {
	if w == t.width && h == t.height {
		return
	}
	t.width, t.height = w, h
	t.relayout()
	t.dirty = true
	t.scroll()
}

// relayout fits the columns into the width, as the markets table does:
// drop columns until they fit with a two-cell gap, or with one cell if that
// keeps more, then widen the name or the exit reason.
func (t *pickTable) relayout() {
	cols, drop := pickColumns(t.past)
	specs := make([]colSpec[pickColumn], 0, len(cols))
	for _, c := range cols {
		title, minW, maxW, right, _ := pickColumnSpec(c)
		specs = append(specs, colSpec[pickColumn]{c, title, minW, maxW, right})
	}
	t.lay = fitColumns(specs, t.width, fitRule[pickColumn]{gutter: gutterWidth, gaps: []int{2, 1}, drop: drop,
		grow: []growStep[pickColumn]{{pcName, 0}, {pcReason, 0}}})
	t.rows.reset()
	t.renderHeader()
}

// rebuild sorts the picks, keeping the cursor on the same pick.
func (t *pickTable) rebuild() {
	t.order = t.order[:0]
	for i := range t.picks.All() {
		t.order = append(t.order, i)
	}
	slices.SortStableFunc(t.order, func(i, j int) int {
		a, b := t.picks.At(i), t.picks.At(j)
		return t.compare(&a, &b)
	})
	found := false
	for i, k := range t.order {
		if m := t.picks.At(k); idOf(&m) == t.selected {
			t.cursor, found = i, true
			break
		}
	}
	if !found {
		t.cursor = min(max(t.cursor, 0), max(len(t.order)-1, 0))
		t.selected = pickID{}
		if len(t.order) > 0 {
			m := t.picks.At(t.order[t.cursor])
			t.selected = idOf(&m)
		}
	}
	t.scroll()
	t.dirty = true
}

func (t *pickTable) compare(x, y *model.Moonshot) int {
	var c int
	switch t.sortBy {
	case pickByEntry:
		c = cmp.Compare(x.Entry.UnixNano(), y.Entry.UnixNano())
		if t.desc {
			c = -c
		}
	case pickByExit:
		c = cmp.Compare(x.Exit.UnixNano(), y.Exit.UnixNano())
		if t.desc {
			c = -c
		}
	case pickByROI:
		c = cmpNum(x.ROI, y.ROI, t.desc, false)
	case pickByPeak:
		c = cmpNum(x.PeakROI, y.PeakROI, t.desc, false)
	case pickByGrade:
		c = cmpNum(x.Grade, y.Grade, t.desc, false)
	case pickBySymbol:
		c = cmpText(x.Symbol, y.Symbol, t.desc)
	}
	if c != 0 {
		return c
	}
	if c = cmp.Compare(y.Entry.UnixNano(), x.Entry.UnixNano()); c != 0 {
		return c
	}
	return strings.Compare(x.Symbol, y.Symbol)
}

// cycleSort moves to the next (1) or previous (-1) sort key: dates and
// returns biggest (newest) first, symbols A to Z.
func (t *pickTable) cycleSort(step int) {
	keys := t.sortKeys()
	i := slices.Index(keys, t.sortBy)
	i = (i + step + len(keys)) % len(keys)
	t.sortBy, t.desc = keys[i], keys[i] != pickBySymbol
	t.renderHeader()
	t.rebuild()
}

func (t *pickTable) reverse() {
	t.desc = !t.desc
	t.renderHeader()
	t.rebuild()
}

// topLines is how many lines the view keeps above its header.
func (t *pickTable) topLines() int { return len(t.top) }

// bodyRows is how many of our picks fit under the header (above the
// provider's section).
func (t *pickTable) bodyRows() int { return max(t.height-t.topLines()-1-t.officialHeight(), 0) }

func (t *pickTable) scroll() { t.offset = scrollOffset(t.cursor, t.offset, t.bodyRows(), len(t.order)) }

func (t *pickTable) move(delta int) {
	if len(t.order) == 0 {
		return
	}
	t.cursor = min(max(t.cursor+delta, 0), len(t.order)-1)
	m := t.picks.At(t.order[t.cursor])
	t.selected = idOf(&m)
	t.scroll()
	t.dirty = true
}

// rowAt maps a line of the view to a pick index in sort order.
func (t *pickTable) rowAt(line int) (int, bool) {
	i := line - t.topLines() - 1
	if i < 0 || i >= t.bodyRows() {
		return 0, false
	}
	i += t.offset
	return i, i < len(t.order)
}

// selectedSymbol is the raw symbol of the pick under the cursor.
func (t *pickTable) selectedSymbol() string {
	if t.cursor < 0 || t.cursor >= len(t.order) {
		return ""
	}
	return t.picks.At(t.order[t.cursor]).Symbol
}

func (t *pickTable) line(i int) string {
	if i >= 0 && i < len(t.lines) {
		return t.lines[i]
	}
	return ""
}

// renderHeader draws the column titles, marking the sort column.
func (t *pickTable) renderHeader() {
	t.header = t.headerLine(true)
}

// headerLine draws the column titles, with the sort mark when marked.
func (t *pickTable) headerLine(marked bool) string {
	b := t.lay.appendHeader(t.buf[:0], func(c *fitCol[pickColumn]) string {
		title, _, _, _, sort := pickColumnSpec(c.col)
		if marked && sort == t.sortBy {
			if t.desc {
				title += " ▼"
			} else {
				title += " ▲"
			}
		}
		return title
	})
	t.buf = b
	return fitLine(t.ctx.styles.Header.Render(string(b)), t.width)
}

// refresh re-renders the view's lines if anything changed (the provider's
// "updated … ago" included).
func (t *pickTable) refresh() {
	if t.official != nil && t.officialAge() != t.offAge {
		t.dirty = true
	}
	if !t.dirty && len(t.lines) == t.height {
		return
	}
	t.dirty = false
	t.renderTop()
	t.scroll()
	st := &t.ctx.styles
	w := t.width
	lines := t.lines[:0]
	for _, l := range t.top {
		lines = append(lines, fitLine(l, w))
	}
	lines = append(lines, t.header)
	end := len(lines) + t.bodyRows() // our picks end here
	if len(t.order) == 0 {
		for _, l := range t.emptyText() {
			if len(lines) >= end {
				break
			}
			lines = append(lines, fitLine(st.Muted.Render(l), w))
		}
	}
	for i := t.offset; i < len(t.order) && len(lines) < end; i++ {
		m := t.picks.At(t.order[i])
		_, hl := t.hl[idOf(&m)]
		lines = append(lines, t.renderRow(&m, false, i == t.cursor, hl))
	}
	lines = t.appendOfficial(lines)
	t.rows.sweep()
	blank := strings.Repeat(" ", max(w, 0))
	for len(lines) < t.height {
		lines = append(lines, blank)
	}
	t.lines = lines[:max(t.height, 0)]
}

// appendOfficial adds the provider's section (officialHeight lines) under
// our picks: "── Token Metrics moonshots (updated 12m ago) ───", the column
// titles without a sort mark, and the picks, with "—" for what the provider
// does not serve.
func (t *pickTable) appendOfficial(lines []string) []string {
	t.offAge = t.officialAge()
	h := t.officialHeight()
	if h == 0 {
		return lines
	}
	o := t.official
	picks := t.officialPicks()
	name := safetext.Line(o.Provider, maxShown)
	if name == "" {
		name = "Official"
	}
	title := name + " moonshots"
	if t.past {
		title = name + " past moonshots"
	}
	var notes []string
	if t.offAge != "" {
		notes = append(notes, t.offAge)
	}
	shown := min(picks.Len(), max(h-3, 0))
	switch {
	case picks.Len() == 0 && t.past:
		notes = append(notes, "none listed")
	case picks.Len() == 0:
		notes = append(notes, "none active")
	case shown < picks.Len():
		notes = append(notes, strconv.Itoa(shown)+" of "+strconv.Itoa(picks.Len())+" shown")
	}
	if len(notes) > 0 {
		title += " (" + strings.Join(notes, ", ") + ")"
	}
	head := "── " + title + " "
	lines = append(lines, strings.Repeat(" ", max(t.width, 0)), fitLine(t.ctx.styles.Section.Render(head+strings.Repeat("─", max(t.width-textWidth(head), 0))), t.width))
	if picks.Len() == 0 {
		return lines
	}
	lines = append(lines, t.headerLine(false))
	for i := range shown {
		m := picks.At(i)
		lines = append(lines, t.renderRow(&m, true, false, false))
	}
	return lines
}

// renderTop draws the track record above the past picks.
func (t *pickTable) renderTop() {
	t.top = t.top[:0]
	if !t.past || t.height < 4 {
		return
	}
	st := &t.ctx.styles
	tr := t.track
	if tr.Picks <= 0 {
		t.top = append(t.top, st.Title.Render(" Track record")+st.Muted.Render("  no closed picks yet"), "")
		return
	}
	var b []byte
	items := []string{st.Title.Render("Track record")}
	b = strconv.AppendInt(b[:0], int64(tr.Picks), 10)
	items = append(items, st.Text.Render(string(b))+st.Muted.Render(" picks"))
	b = appendPercent(b[:0], tr.HitRate)
	hits := string(b) + " (" + strconv.Itoa(tr.Hits) + "/" + strconv.Itoa(tr.Picks) + ")"
	items = append(items, st.Muted.Render("hit rate ")+st.Text.Render(hits))
	b = appendROI(b[:0], tr.MedianROI)
	items = append(items, st.Muted.Render("median ROI ")+changeStyle(st, tr.MedianROI).Render(string(b)))
	b = appendROI(b[:0], tr.MeanROI)
	items = append(items, st.Muted.Render("mean ROI ")+changeStyle(st, tr.MeanROI).Render(string(b)))
	for _, l := range flow(items, st.Muted.Render(" · "), max(t.width-2, 1)) {
		t.top = append(t.top, " "+l)
	}
	t.top = append(t.top, "")
	if len(t.top) > t.height/2 { // never crowd out the picks
		t.top = t.top[:max(t.height/2, 0)]
	}
}

// emptyText explains an empty view in words, wrapped to the width.
func (t *pickTable) emptyText() []string {
	var msg string
	if t.past {
		msg = "No past moonshots yet. A pick leaves when its Trader Grade falls, it hits its stop loss " +
			"or it grows too old; it then lands here with its final ROI."
	} else {
		msg = "No open moonshots. The model flags small caps (< $" + capLimit(t.ctx.opts.MoonshotMaxCap) +
			") whose Trader Grade rises fast on a volume surge."
	}
	lines := []string{""}
	for _, l := range flow(strings.Fields(msg), " ", max(t.width-4, 10)) {
		lines = append(lines, "  "+l)
	}
	return lines
}

// capLimit writes a round market-cap limit the way a trader says it: 50M,
// 1.5B.
func capLimit(v float64) string {
	b := appendCompact(nil, v)
	if n := len(b); n > 3 && string(b[n-3:n-1]) == ".0" {
		b = append(b[:n-3], b[n-1])
	} else if n > 4 && string(b[n-4:n-1]) == ".00" {
		b = append(b[:n-4], b[n-1])
	}
	return string(b)
}

// changeStyle colours a signed fraction.
func changeStyle(st *Styles, frac float64) lipgloss.Style {
	switch direction(frac) {
	case 1:
		return st.Up
	case -1:
		return st.Down
	}
	return st.Flat
}

// renderRow is one pick's line (ours, or the provider's when official),
// from the cache when nothing it shows changed.
func (t *pickTable) renderRow(m *model.Moonshot, official, sel, hl bool) string {
	v := pickCells{sel: sel, hl: hl, symbol: m.Symbol, name: m.Name, reason: m.ExitReason,
		entry: m.Entry, exit: m.Exit, loc: t.ctx.now.Location(),
		entryPrice: fb(m.EntryPrice), price: fb(m.Price), roi: fb(m.ROI), peak: fb(m.PeakROI), grade: fb(m.Grade),
		volume: fb(m.Volume24h), cap: fb(m.MarketCap)}
	return t.rows.line(pickRow{idOf(m), official}, &v, t.drawRow)
}

// drawRow draws one pick from what it shows: exactly width cells. The
// cursor row is drawn in the selection style, a highlighted row (a new
// pick) in the highlight style with a ✦ marker; other rows colour their
// returns.
func (t *pickTable) drawRow(dst []byte, v *pickCells) []byte {
	st := &t.ctx.styles
	var sb strings.Builder
	mark := " "
	if v.sel {
		mark = "▸"
	}
	if v.hl {
		mark += "✦"
	} else {
		mark += " "
	}
	plainRow := v.sel || v.hl
	sb.WriteString(mark)
	var num []byte
	for i, c := range t.lay.cols {
		if i > 0 {
			sb.WriteString(strings.Repeat(" ", t.lay.gap))
		}
		style := st.Text
		num = num[:0]
		switch c.col {
		case pcSymbol:
			num = append(num, safetext.Line(v.symbol, maxShown)...)
			style = st.Text.Bold(true)
		case pcName:
			num = append(num, safetext.Line(v.name, maxShown)...)
			style = st.Muted
		case pcEntry:
			num = appendWhen(num, v.entry, v.loc)
			style = st.Muted
		case pcExit:
			num = appendWhen(num, v.exit, v.loc)
			style = st.Muted
		case pcEntryPrice:
			num = appendPrice(num, v.entryPrice.f())
		case pcExitPrice, pcPrice:
			num = appendPrice(num, v.price.f())
		case pcROI:
			num = appendROI(num, v.roi.f())
			style = changeStyle(st, v.roi.f())
		case pcPeak:
			num = appendROI(num, v.peak.f())
			style = changeStyle(st, v.peak.f())
		case pcGrade:
			num = appendGrade(num, v.grade.f())
			style = gradeValueStyle(st, v.grade.f())
		case pcVolume:
			num = appendCompact(num, v.volume.f())
		case pcCap:
			num = appendCapOrUnknown(num, v.cap.f())
		case pcReason:
			num = append(num, safetext.Line(v.reason, maxShown)...)
			style = st.Muted
		}
		cell := string(appendCellString(nil, span{}, string(num), c.width, c.right))
		if plainRow {
			sb.WriteString(cell)
		} else {
			sb.WriteString(style.Render(cell))
		}
	}
	line := sb.String()
	switch {
	case v.sel:
		line = st.Selected.Render(line)
	case v.hl:
		line = st.HighlightUp.Render(line)
	}
	return append(dst, fitLine(line, t.width)...)
}

// appendWhen writes a market time as "Mar 14 15:09"; "—" when zero.
func appendWhen(dst []byte, tm time.Time, loc *time.Location) []byte {
	if tm.IsZero() {
		return append(dst, unknown...)
	}
	return tm.In(loc).AppendFormat(dst, "Jan 02 15:04")
}

// Package ui is tokentop's terminal dashboard: a Bubble Tea program showing
// a live ratings table, a detail pane per token with a chart, a status bar
// and help. It reads the market only through snapshots taken from a
// mailbox at a fixed render tick, so a busy market never floods the
// terminal.
package ui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/themes"
)

// HistorySource answers the detail chart's questions. model.Market
// satisfies it.
type HistorySource interface {
	Candles(ctx context.Context, symbol string, span time.Duration, maxBars int) ([]model.Candle, error)
}

// Options configure one program (one terminal or SSH session).
type Options struct {
	Snapshots  *model.Mailbox[*model.Snapshot] // from Market.Subscribe()
	History    HistorySource                   // model.Market satisfies it
	Theme      themes.Theme
	Renderer   *lipgloss.Renderer // all styles built from this (per-session styles)
	Clock      model.Clock
	RefreshHz  int           // render tick, default 10
	Mouse      bool          // main enables tea.WithMouseCellMotion when true; ui handles tea.MouseMsg
	StaleAfter time.Duration // default 60s
	Flash      time.Duration // default 700ms; 0 = off
	Sort       string        // rank|symbol|name|price|change_1h|change_24h|change_7d|volume|market_cap
	SortDesc   bool
	DetailSide int  // min width for detail beside the table (default 140); narrower => full screen detail
	Demo       bool // show a clear DEMO label
	Version    string
}

// Smallest usable window; below it the screen says so.
const (
	minWidth  = 40
	minHeight = 8
	wheelStep = 3
)

// Model is the dashboard. It implements tea.Model with value receivers; it
// holds a pointer to its state, so copies share it and only the program's
// event loop may use it.
type Model struct{ a *app }

var _ tea.Model = Model{}

type tickMsg struct{}

// app is the root: it routes keys to the focused child first (the search
// box), then handles global keys, and composes the children's cached lines.
type app struct {
	ctx    *programContext
	table  *table
	detail *detail
	search *search
	status *statusBar
	help   *helpView

	snap        *model.Snapshot
	sized       bool
	tooSmall    bool
	showHelp    bool
	focusDetail bool
	beside      bool // the window is wide enough for detail beside the table
	bodyH       int
	tableW      int

	small    []string // "too small" screen
	loading  []string // before the first snapshot
	sep      string   // between table and detail
	sepFocus string
	out      []byte

	tickCmd func() tea.Cmd // the next render tick; tests make it instant
}

// New builds the dashboard. Zero options get their documented defaults.
func New(opts Options) Model {
	if opts.RefreshHz <= 0 {
		opts.RefreshHz = 10
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 60 * time.Second
	}
	if opts.Flash < 0 {
		opts.Flash = 0
	}
	if opts.DetailSide <= 0 {
		opts.DetailSide = 140
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Renderer == nil {
		opts.Renderer = lipgloss.DefaultRenderer()
	}
	ctx := &programContext{opts: opts, styles: NewStyles(opts.Theme, opts.Renderer), keys: NewKeyMap()}
	ctx.keys.setDetail(false)
	a := &app{ctx: ctx}
	a.table = newTable(ctx)
	a.detail = newDetail(ctx)
	a.search = newSearch(ctx)
	a.status = &statusBar{ctx: ctx}
	a.help = newHelpView(ctx)
	every := time.Second / time.Duration(opts.RefreshHz)
	a.tickCmd = func() tea.Cmd {
		return tea.Tick(every, func(time.Time) tea.Msg { return tickMsg{} })
	}
	return Model{a: a}
}

// Init starts the render tick; the first tick is immediate.
func (m Model) Init() tea.Cmd {
	return func() tea.Msg { return tickMsg{} }
}

// Update applies one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	a := m.a
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.resize(msg.Width, msg.Height)
	case tickMsg:
		cmd = tea.Batch(a.tickCmd(), a.onTick())
	case candlesMsg:
		a.detail.onCandles(msg)
	case tea.KeyMsg:
		cmd = a.onKey(msg)
	case tea.MouseMsg:
		cmd = a.onMouse(msg)
	}
	a.sync()
	return m, cmd
}

// View joins cached lines: exactly the window, nothing formatted here.
func (m Model) View() string {
	a := m.a
	if !a.sized {
		return ""
	}
	if a.tooSmall {
		return strings.Join(a.small, "\n")
	}
	out := a.out[:0]
	for i := 0; i < a.bodyH; i++ {
		out = a.appendBodyLine(out, i)
		out = append(out, '\n')
	}
	if a.search.active {
		out = append(out, a.search.line...)
	} else {
		out = append(out, a.help.short...)
	}
	out = append(out, '\n')
	out = append(out, a.status.line...)
	a.out = out
	return string(out)
}

func (a *app) appendBodyLine(out []byte, i int) []byte {
	switch {
	case a.showHelp:
		return append(out, a.help.page[i]...)
	case a.snap == nil:
		return append(out, a.loading[i]...)
	case a.detail.open && !a.beside && a.focusDetail:
		return append(out, a.detail.lines[i]...)
	case a.detail.open && a.beside:
		out = append(out, a.table.line(i)...)
		if a.focusDetail {
			out = append(out, a.sepFocus...)
		} else {
			out = append(out, a.sep...)
		}
		return append(out, a.detail.lines[i]...)
	}
	return append(out, a.table.line(i)...)
}

// resize lays the screen out for a new window size.
func (a *app) resize(w, h int) {
	ctx := a.ctx
	ctx.width, ctx.height = max(w, 0), max(h, 0)
	a.sized = true
	a.tooSmall = w < minWidth || h < minHeight
	if a.tooSmall {
		a.small = fitLines(ctx.styles.Muted.Render("terminal too small"), ctx.width, ctx.height)
		if ctx.width > 0 && ctx.height > 1 {
			a.small[1] = fitLine(ctx.styles.Muted.Render("need 40×8"), ctx.width)
		}
		return
	}
	a.bodyH = h - 2
	a.layout()
	a.loading = fitLines("\n"+ctx.styles.Muted.Render("  connecting… loading market"), w, a.bodyH)
	a.help.render(w, a.bodyH)
	a.search.render()
	a.updateStatus()
}

// layout splits the body between the table and the detail pane.
func (a *app) layout() {
	w := a.ctx.width
	detailW := min(max(w*45/100, 56), 110)
	a.beside = w >= a.ctx.opts.DetailSide && w-detailW-1 >= 60
	st := a.ctx.styles
	a.sep = st.Border.Render("│")
	a.sepFocus = st.BorderFocus.Render("┃")
	if a.detail.open && a.beside {
		a.tableW = w - detailW - 1
		a.detail.setSize(detailW, a.bodyH)
	} else {
		a.tableW = w
		a.detail.setSize(w, a.bodyH)
	}
	a.table.setSize(a.tableW, a.bodyH)
}

func (a *app) onTick() tea.Cmd {
	ctx := a.ctx
	ctx.now = ctx.opts.Clock()
	if box := ctx.opts.Snapshots; box != nil {
		if s, ok := box.TryTake(); ok && s != nil && (a.snap == nil || s.Seq != a.snap.Seq || s != a.snap) {
			a.snap = s
			a.table.apply(s, ctx.now)
		}
	}
	a.table.expireFlashes(ctx.now)
	a.sync()
	cmd := a.detail.tick(ctx.opts.History)
	a.updateStatus()
	return cmd
}

func (a *app) updateStatus() {
	t := a.table
	a.status.update(a.snap, statusInfo{filter: t.filter, shown: len(t.view), total: len(t.all),
		sortBy: t.sortBy, desc: t.desc})
}

// sync brings the cached lines up to date after any change: visible rows,
// the detail pane's token.
func (a *app) sync() {
	if !a.sized || a.tooSmall {
		return
	}
	a.table.refresh()
	if a.detail.open {
		var tok *model.TokenView
		if r := a.table.selectedRow(); r != nil {
			tok = r.tok
		}
		a.detail.setToken(tok)
	}
}

func (a *app) onKey(msg tea.KeyMsg) tea.Cmd {
	k := &a.ctx.keys
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	if a.search.active { // the focused child gets the key first
		done := a.search.update(msg)
		a.table.setFilter(a.search.value())
		if done {
			a.refreshChrome()
		}
		a.updateStatus()
		return nil
	}
	if a.showHelp {
		switch {
		case key.Matches(msg, k.Quit):
			return tea.Quit
		case key.Matches(msg, k.Help), msg.Type == tea.KeyEsc:
			a.showHelp = false
		}
		return nil
	}
	h := a.ctx.opts.History
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		a.showHelp = true
	case key.Matches(msg, k.Search):
		a.search.open()
		a.updateStatus()
	case key.Matches(msg, k.Sort):
		a.table.cycleSort(1)
	case key.Matches(msg, k.SortBack):
		a.table.cycleSort(-1)
	case key.Matches(msg, k.Reverse):
		a.table.reverse()
	case key.Matches(msg, k.Open):
		return a.openDetail()
	case key.Matches(msg, k.Close):
		a.closeDetail()
	case key.Matches(msg, k.Focus):
		a.focusDetail = !a.focusDetail
		a.detail.focused = a.focusDetail
	case key.Matches(msg, k.Timeframe1h):
		return a.detail.setTimeframe(tf1h, h)
	case key.Matches(msg, k.Timeframe24h):
		return a.detail.setTimeframe(tf24h, h)
	case key.Matches(msg, k.Timeframe7d):
		return a.detail.setTimeframe(tf7d, h)
	case key.Matches(msg, k.Timeframe30d):
		return a.detail.setTimeframe(tf30d, h)
	case key.Matches(msg, k.TimeframePrev):
		if a.detail.tf > 0 {
			return a.detail.setTimeframe(a.detail.tf-1, h)
		}
	case key.Matches(msg, k.TimeframeNext):
		return a.detail.setTimeframe(a.detail.tf+1, h)
	case key.Matches(msg, k.ChartMode):
		return a.detail.toggleMode(h)
	case msg.Type == tea.KeyEsc && a.table.filter != "":
		a.search.close(false)
		a.table.setFilter("")
		a.updateStatus()
	default:
		a.navigate(msg)
	}
	return nil
}

// navigate moves the cursor of the focused pane: the table, or the detail
// pane's trade list.
func (a *app) navigate(msg tea.KeyMsg) {
	k := &a.ctx.keys
	page := max(a.table.bodyRows(), 1)
	var delta int
	switch {
	case key.Matches(msg, k.Up):
		delta = -1
	case key.Matches(msg, k.Down):
		delta = 1
	case key.Matches(msg, k.HalfDown):
		delta = page / 2
	case key.Matches(msg, k.HalfUp):
		delta = -page / 2
	case key.Matches(msg, k.PageDown):
		delta = page
	case key.Matches(msg, k.PageUp):
		delta = -page
	case key.Matches(msg, k.Top):
		delta = -1 << 30
	case key.Matches(msg, k.Bottom):
		delta = 1 << 30
	default:
		return
	}
	if a.detail.open && a.focusDetail {
		a.detail.scrollTrades(delta)
		return
	}
	a.table.move(delta)
}

func (a *app) openDetail() tea.Cmd {
	r := a.table.selectedRow()
	if r == nil {
		return nil
	}
	if a.detail.open {
		a.focusDetail = true
		a.detail.focused = true
		return nil
	}
	a.detail.open = true
	a.focusDetail = !a.beside // beside: keep browsing the table; narrow: show the pane
	a.detail.focused = a.focusDetail
	a.layout()
	a.refreshChrome()
	return a.detail.show(r.tok, a.ctx.opts.History)
}

func (a *app) closeDetail() {
	if !a.detail.open {
		return
	}
	a.detail.hide()
	a.focusDetail = false
	a.layout()
	a.refreshChrome()
}

// refreshChrome re-renders the help line after the set of live keys changed.
func (a *app) refreshChrome() {
	a.ctx.keys.setDetail(a.detail.open)
	if a.sized && !a.tooSmall {
		a.help.render(a.ctx.width, a.bodyH)
	}
}

// onMouse: the wheel scrolls, a click selects a row, a click on the
// selected row opens its detail.
func (a *app) onMouse(msg tea.MouseMsg) tea.Cmd {
	if !a.sized || a.tooSmall || a.showHelp || a.snap == nil {
		return nil
	}
	overDetail := a.detail.open && (a.beside && msg.X > a.tableW || !a.beside && a.focusDetail)
	switch {
	case msg.Button == tea.MouseButtonWheelUp, msg.Button == tea.MouseButtonWheelDown:
		step := wheelStep
		if msg.Button == tea.MouseButtonWheelUp {
			step = -step
		}
		if overDetail {
			a.detail.scrollTrades(step)
		} else {
			a.table.move(step)
		}
	case msg.Button == tea.MouseButtonLeft && msg.Action == tea.MouseActionPress:
		if overDetail {
			if a.beside {
				a.focusDetail, a.detail.focused = true, true
			}
			return nil
		}
		i, ok := a.table.rowAt(msg.Y - 1) // line 0 is the header
		if !ok {
			return nil
		}
		a.focusDetail, a.detail.focused = false, false
		if i == a.table.cursor {
			return a.openDetail()
		}
		a.table.moveTo(i)
	}
	return nil
}

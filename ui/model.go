// Package ui is tokentop's terminal dashboard: a Bubble Tea program showing
// a live ratings table, a detail pane per token with a chart, a status bar
// and help. It reads the market only through snapshots taken from a
// mailbox at a fixed render tick, so a busy market never floods the
// terminal.
package ui

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/themes"

	"github.com/tokentop/tokentop/internal/safetext"
	"github.com/tokentop/tokentop/ui/keymap"
)

// HistorySource answers the detail chart's questions. model.Market
// satisfies it (through its candles cache, shared by every session); the
// bars it returns may be shared with other sessions, so they are read-only.
type HistorySource interface {
	Candles(ctx context.Context, symbol string, span time.Duration, maxBars int) (model.ReadOnly[model.Candle], error)
}

// Options configure one program (one terminal or SSH session).
type Options struct {
	Snapshots *model.Mailbox[*model.Snapshot] // from Market.Subscribe()
	History   HistorySource                   // model.Market satisfies it
	Theme     themes.Theme
	// Renderer draws every style of this program. Required, one per
	// session: built on the session's output with the client's colour
	// profile (tests: on a buffer with a fixed profile). Nothing in ui
	// falls back to lipgloss's process-wide renderer, which would read the
	// server's own terminal and environment.
	Renderer   *lipgloss.Renderer
	Clock      model.Clock
	RefreshHz  int           // render tick, default 10
	Mouse      bool          // main enables tea.WithMouseCellMotion when true; ui handles tea.MouseMsg
	StaleAfter time.Duration // default 60s
	Flash      time.Duration // default 700ms; 0 = off
	// Highlight is how long a signal flip or a new moonshot highlights its
	// row, in wall time (render ticks); default 3s, negative = off.
	Highlight time.Duration
	// Announce is how long such news stays in the status line; default 5s.
	Announce time.Duration
	// MoonshotMaxCap is the moonshot rule's market-cap limit (USD), quoted
	// by the empty Moonshots view; default 50e6.
	MoonshotMaxCap float64
	Sort           string // one of SortKeys(): rank|symbol|…|trader_grade|investor_grade|signal
	SortDesc       bool
	DetailSide     int  // min width for detail beside the table (default 140); narrower => full screen detail
	Demo           bool // show a clear DEMO label
	Version        string
	// Keys are the key bindings in effect ([keys]: action -> keys, checked
	// by config); actions left out keep their defaults, nil is all
	// defaults.
	Keys keymap.Bindings

	// User links the session to its user's service (the records, and the
	// changes sent to it); nil is an anonymous session: read only, with no
	// watchlists, portfolio or alerts, and the status bar says so.
	User UserLink
	// HideBalances starts with portfolio amounts hidden (key b toggles).
	HideBalances bool
	// Bell rings the terminal bell when the user's service records an
	// alert firing; nil = no bell. It is called from a tea.Cmd, never from
	// Update or View.
	Bell func()
	// TradeURL gives the spot trading page of a token on the exchange that
	// streams it, and the exchange's name ("Binance"); an error says why
	// there is none. nil: no token has one (the simulated market). What it
	// returns is checked again before use (internal/tradelink).
	TradeURL func(symbol string) (url, exchange string, err error)
	// Opener opens an address in the browser in front of this session's
	// trader; nil = none (a remote session, no desktop), and the trade key
	// shows the link in the detail pane instead. It is the session's
	// option, decided by whoever starts the session from that session's
	// own situation, never inside ui. Called from a tea.Cmd with a
	// deadline (openTimeout); it must not write to the terminal.
	Opener func(ctx context.Context, url string) error
	// NoOpener says why Opener is nil, for the status line ("over SSH").
	NoOpener string
	// Notify shows a desktop notification when an alert fires; nil = none
	// (always nil for a remote session). Called from a tea.Cmd; it must not
	// block for long and its failure is never an error on screen.
	Notify func(title, body string)
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

// loadingTick is the render tick while the market is loading (no feed
// live yet): a 10 Hz tick would show the first full market up to 100 ms
// after it is there.
const loadingTick = 20 * time.Millisecond

// pickID tells one moonshot pick from another (a token can be picked again).
type pickID struct {
	symbol string
	entry  int64
}

// app is the root: it routes keys to the focused child first (a form, a
// y/n question, the search box), then handles global keys, and composes
// the children's cached lines.
type app struct {
	ctx    *programContext
	detail *detail
	search *search
	status *statusBar
	help   *helpView

	// views are the top-level views, in tab order (newViews); view is the
	// active one. The root routes to it and knows the others only where it
	// must: the markets table (search, the status bar's counts, the stars
	// of watched rows) and the picks (news).
	views   []tabView
	view    view
	table   *table // the Markets view's table
	markets marketsView
	moon    *pickView // open moonshots
	past    *pickView // past moonshots and the track record

	// The user's records and their views.
	user    *userState
	watch   *watchView
	port    *portfolioView
	alerts  *alertsView
	form    *form            // the open form (nil: none); it takes every key
	drafts  map[string]*form // cancelled forms by id: reopening restores what was typed
	confirm *confirmPrompt   // the open y/n question (nil: none)

	tabBar    string
	tabEnds   []int // column after each tab's label, for clicks
	tabKey    tabKey
	tabCounts []int // the counts the tab bar was drawn with
	counts    []int // scratch: the counts now
	tabLabels []string
	snap      *model.Snapshot
	sized     bool
	tooSmall  bool
	showHelp  bool
	// focusDetail: the keys move the detail pane rather than the view.
	// Only setFocus changes it.
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
	// marketLive is set by the first snapshot with a live feed; until
	// then the render tick is at most loadingTick.
	marketLive bool

	// news: announcements in the status line and the picks already seen.
	announce      string
	announceDir   int
	announceMark  string // the glyph before it: "✦ " news, "✗ " refused, "" when announce has its own
	announceUntil uint64
	picksSeen     map[pickID]uint64 // open pick -> Seq that last listed it
	picksInit     bool
	newPicks      []model.Moonshot
}

// tabKey is what the tab bar was rendered from.
type tabKey struct {
	view             view
	shown, total     int
	width            int
	filter           string
	hasSnap, focused bool
}

// New builds the dashboard. Zero options get their documented defaults;
// Options.Renderer has none: New panics without one (a wiring mistake, not
// a user's).
func New(opts Options) Model {
	if opts.Renderer == nil {
		panic("ui.New: Options.Renderer is required (one per session, on its own output)")
	}
	if opts.RefreshHz <= 0 {
		opts.RefreshHz = 10
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 60 * time.Second
	}
	if opts.Flash < 0 {
		opts.Flash = 0
	}
	if opts.Highlight == 0 {
		opts.Highlight = 3 * time.Second
	}
	if opts.Announce <= 0 {
		opts.Announce = 5 * time.Second
	}
	if opts.MoonshotMaxCap <= 0 || bad(opts.MoonshotMaxCap) {
		opts.MoonshotMaxCap = 50e6
	}
	if opts.DetailSide <= 0 {
		opts.DetailSide = 140
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	ctx := &programContext{opts: opts, styles: NewStyles(opts.Theme, opts.Renderer), keys: NewKeyMap(opts.Keys)}
	ctx.keys.setDetail(false)
	a := &app{ctx: ctx}
	a.table = newTable(ctx)
	a.markets = marketsView{a.table}
	a.detail = newDetail(ctx)
	a.search = newSearch(ctx)
	a.status = &statusBar{ctx: ctx}
	a.help = newHelpView(ctx)
	a.moon = newPickView(ctx, false)
	a.past = newPickView(ctx, true)
	a.picksSeen = make(map[pickID]uint64)
	a.user = newUserState(opts)
	a.watch = newWatchView(ctx, a.user)
	a.watch.host = a
	a.table.starred = a.watch.isMember
	a.port = newPortfolioView(ctx, a.user)
	a.port.host = a
	a.alerts = newAlertsView(ctx, a.user)
	a.alerts.host = a
	a.drafts = make(map[string]*form)
	a.setViews(a.newViews())
	a.tickCmd = func() tea.Cmd {
		return tea.Tick(a.tickEvery(), func(time.Time) tea.Msg { return tickMsg{} })
	}
	return Model{a: a}
}

// tickEvery is the render tick: RefreshHz, but until a feed is live (its
// back history in) at most loadingTick, so the first full market is shown
// as soon as it is there, not up to a render tick later.
func (a *app) tickEvery() time.Duration {
	d := time.Second / time.Duration(a.ctx.opts.RefreshHz)
	if !a.marketLive {
		d = min(d, loadingTick)
	}
	return d
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
	case savedMsg:
		cmd = a.onSaved(msg)
	case openedMsg:
		cmd = a.onOpened(msg)
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
	switch {
	case a.confirm != nil:
		out = append(out, a.confirm.line...)
	case a.form != nil:
		out = append(out, a.help.form...)
	case a.search.active:
		out = append(out, a.search.line...)
	default:
		out = append(out, a.help.short...)
	}
	out = append(out, '\n')
	out = append(out, a.status.line...)
	a.out = out
	return string(out)
}

// appendBodyLine writes body line i: the tab bar on line 0, then the
// active view (and the detail pane beside it or instead of it).
func (a *app) appendBodyLine(out []byte, i int) []byte {
	switch {
	case a.showHelp:
		return append(out, a.help.page[i]...)
	case a.form != nil && i == 0:
		return append(out, a.tabBar...)
	case a.form != nil:
		return append(out, a.form.line(i-1)...)
	case a.snap == nil || a.snap.Tokens.Len() == 0:
		return append(out, a.loading[i]...)
	case i == 0:
		return append(out, a.tabBar...)
	}
	i--
	switch {
	case a.detail.open && !a.beside && a.focusDetail:
		return append(out, a.detail.lines[i]...)
	case a.detail.open && a.beside:
		out = append(out, a.viewLine(i)...)
		if a.focusDetail {
			out = append(out, a.sepFocus...)
		} else {
			out = append(out, a.sep...)
		}
		return append(out, a.detail.lines[i]...)
	}
	return append(out, a.viewLine(i)...)
}

// viewLine is line i under the tab bar of the active view.
func (a *app) viewLine(i int) string { return a.views[a.view].line(i) }

// contentH is the height under the tab bar.
func (a *app) contentH() int { return max(a.bodyH-1, 0) }

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
	a.renderWaiting()
	a.help.render(w, a.bodyH)
	a.search.render()
	if a.form != nil {
		a.form.render(w, a.contentH())
	}
	if a.confirm != nil {
		a.confirm.render(a.ctx)
	}
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
	h := a.contentH()
	if a.detail.open && a.beside {
		a.tableW = w - detailW - 1
		a.detail.setSize(detailW, h)
	} else {
		a.tableW = w
		a.detail.setSize(w, h)
	}
	for _, v := range a.views {
		v.setSize(a.tableW, h)
	}
}

func (a *app) onTick() tea.Cmd {
	ctx := a.ctx
	ctx.now = ctx.opts.Clock()
	ctx.ticks++
	if box := ctx.opts.Snapshots; box != nil {
		if s, ok := box.TryTake(); ok && s != nil && (a.snap == nil || s.Seq != a.snap.Seq || s != a.snap) {
			a.snap = s
			for _, f := range s.Feeds.All() {
				a.marketLive = a.marketLive || f.State == model.FeedLive
			}
			for _, v := range a.views {
				v.apply(s, ctx.now)
			}
			a.findNewPicks(s)
			a.announceNews()
		}
	}
	if a.snap != nil && a.snap.Tokens.Len() == 0 {
		a.renderWaiting() // every tick: its waits count down
	}
	alertCmd := a.takeUser() // after the market's news: the trader's own alert outranks it
	a.table.expireFlashes(ctx.now)
	a.moon.expire()
	if a.announce != "" && ctx.ticks >= a.announceUntil {
		a.announce = ""
	}
	a.sync()
	cmd := a.detail.tick(ctx.opts.History)
	a.updateStatus()
	if alertCmd != nil {
		return tea.Batch(cmd, alertCmd)
	}
	return cmd
}

func (a *app) updateStatus() {
	t := a.table
	a.status.update(a.snap, statusInfo{filter: t.filter, shown: len(t.view), total: len(t.all),
		sortBy: t.sortBy, desc: t.desc, announce: a.announce, announceDir: a.announceDir,
		announceMark: a.announceMark, readOnly: a.user.readOnly, anonymous: a.user.anonymous, hidden: a.user.hide})
}

// say puts msg (sanitised by the caller) in the status line for the
// announcement time: dir > 0 good news, < 0 bad (a refusal, a failed
// save), 0 neither; mark is the glyph before it ("" when msg has one).
func (a *app) say(msg string, dir int, mark string) {
	a.announce, a.announceDir, a.announceMark = msg, dir, mark
	a.announceUntil = a.ctx.ticks + a.ctx.announceTicks()
	a.updateStatus()
}

// refuse announces why a change was not made.
func (a *app) refuse(err error) {
	if err != nil {
		a.say(safetext.Line(err.Error(), maxShown), -1, "✗ ")
	}
}

// onSaved takes the service's answer to a change: the snapshot holding
// it is already in the mailbox, so it is shown at once, then the change's
// own follow-up runs (announce it, select the new lot; or say why it was
// not saved).
func (a *app) onSaved(m savedMsg) tea.Cmd {
	cmd := a.takeUser()
	p, ok := a.user.answered(m.id)
	if !ok {
		return cmd
	}
	if p.done != nil {
		p.done(m.err)
	} else if m.err != nil {
		a.notSaved(p.what, m.err)
	}
	a.sync()
	return cmd
}

// notSaved says that a change was refused or failed.
func (a *app) notSaved(what string, err error) {
	a.say("not saved: "+safetext.Line(what, maxShown)+": "+safetext.Line(err.Error(), maxShown), -1, "✗ ")
}

// takeUser shows the newest snapshot of the user's records, if one came,
// and announces the alert firings it recorded (returning the Cmd that
// rings the bell and sends the notifications).
func (a *app) takeUser() tea.Cmd {
	fired := a.user.pull()
	if len(fired) == 0 {
		return nil
	}
	cmd, msg := a.alerts.announce(fired)
	a.say(msg, 0, "")
	return cmd
}

// change is one change a key or a form makes to the user's records.
type change struct {
	ch   model.UserChange
	what string // "lot added": "saving… lot added", "not saved: lot added: disk full"
	// saved is announced once the service committed the change ("Lot
	// added: 0.5 BTC at $60,000.00"), with mark ("✓ ") and dir; "" says
	// nothing.
	saved string
	mark  string
	dir   int
	then  func() // after the commit, before the announcement
	// form, when the change comes from one, is kept as its draft with the
	// refusal beside the field when the service refuses the change: the
	// same key opens it again with everything typed.
	form *form
}

// sendChange sends a change to the user's service and says "saving…
// <what>" until it answers; then c.then runs and c.saved is announced, or
// the refusal is. A change refused at once (read only, invalid, what it
// names is gone) returns the error and sends nothing.
func (a *app) sendChange(c change) (tea.Cmd, error) {
	cmd, err := a.user.send(c.ch, c.what, func(err error) {
		if err != nil {
			if f := c.form; f != nil {
				setFormErr(f, err)
				f.focusError()
				f.rerender()
				a.drafts[f.id] = f
			}
			a.notSaved(c.what, err)
			return
		}
		if c.then != nil {
			c.then()
		}
		if c.saved != "" {
			a.say(c.saved, c.dir, c.mark)
		}
	})
	if err != nil {
		return nil, err
	}
	a.say("saving… "+safetext.Line(c.what, maxShown), 0, "")
	return cmd, nil
}

// now is the market clock of the last tick (the program's clock before
// the first one).
func (a *app) now() time.Time {
	if a.ctx.now.IsZero() {
		return a.ctx.opts.Clock()
	}
	return a.ctx.now
}

// findNewPicks lists the open picks not in the previous snapshot. The first
// snapshot announces nothing: its picks are not news to this session.
func (a *app) findNewPicks(s *model.Snapshot) {
	a.newPicks = a.newPicks[:0]
	for _, m := range s.Moonshots.All() {
		id := pickID{m.Symbol, m.Entry.UnixNano()}
		if _, ok := a.picksSeen[id]; !ok && a.picksInit {
			a.newPicks = append(a.newPicks, m)
		}
		a.picksSeen[id] = s.Seq
	}
	for id, seq := range a.picksSeen {
		if seq != s.Seq {
			delete(a.picksSeen, id)
		}
	}
	a.picksInit = true
}

// announceNews highlights the rows of new picks and signal flips and puts
// the first piece of news in the status line (new moonshots first), with a
// count of the rest.
func (a *app) announceNews() {
	flips := a.table.flips
	n := len(a.newPicks) + len(flips)
	if n == 0 {
		return
	}
	for _, m := range a.newPicks {
		a.table.highlightSymbol(m.Symbol, hlUp)
		a.moon.highlight(pickID{m.Symbol, m.Entry.UnixNano()})
	}
	var b []byte
	dir := 1
	if len(a.newPicks) > 0 {
		m := a.newPicks[0]
		b = append(b, "New moonshot: "...)
		b = append(b, safetext.Line(m.Symbol, maxShown)...)
		b = append(b, " at "...)
		b = appendPrice(b, m.EntryPrice)
	} else {
		f := flips[0]
		b = append(b, f.symbol...)
		b = append(b, " turned "...)
		b = append(b, f.to.String()...)
		b = append(b, " at "...)
		b = appendPrice(b, f.price)
		b = append(b, " (grade "...)
		b = appendGrade(b, f.grade)
		b = append(b, ')')
		dir = int(f.to) - int(f.from)
	}
	if n > 1 {
		b = append(b, " (+"...)
		b = strconv.AppendInt(b, int64(n-1), 10)
		b = append(b, " more)"...)
	}
	a.announce, a.announceDir, a.announceMark = string(b), dir, "✦ "
	a.announceUntil = a.ctx.ticks + a.ctx.announceTicks()
}

// sync brings the cached lines up to date after any change: visible rows,
// the detail pane's token.
func (a *app) sync() {
	if !a.sized || a.tooSmall {
		return
	}
	a.watch.sync(false) // first: the markets table stars the watched rows
	a.table.refresh()   // always, whichever view is shown
	if a.view != viewMarkets {
		a.active().refresh()
	}
	if a.detail.open {
		a.detail.setToken(a.selectedToken())
	}
	a.renderTabs()
}

// selectedToken is the token under the active view's cursor, or nil (a past
// pick whose token the market no longer lists).
func (a *app) selectedToken() *model.TokenView { return a.active().selectedToken() }

// selectedSymbol is the raw symbol under the active view's cursor, listed
// by the market or not (a watched token it lacks, a lot, an alert); ""
// when none.
func (a *app) selectedSymbol() string { return a.active().selectedSymbol() }

// renderTabs redraws the tab bar when what it shows changed:
// "[Markets] · Watch (3) · Portfolio (4) · Moonshots (3) · Past (12) ·
// Alerts (2)", the active view bracketed and bold, and the token count on
// the right. Narrower windows drop the count, then the tabs' counts, then
// shorten the labels ("Mkts · Watch · Port · Moon · Past · Alrt"), so the
// bar fits from 40 columns; clicks follow the labels drawn.
func (a *app) renderTabs() {
	k := tabKey{view: a.view, width: a.ctx.width, filter: a.table.filter, hasSnap: a.snap != nil,
		shown: len(a.table.view), total: len(a.table.all), focused: a.focusDetail}
	for v, tv := range a.views {
		_, _, a.counts[v] = tv.tab()
	}
	if k == a.tabKey && a.tabBar != "" && slices.Equal(a.counts, a.tabCounts) {
		return
	}
	a.tabKey = k
	copy(a.tabCounts, a.counts)
	st := a.ctx.styles
	n := len(a.views)
	right := strconv.Itoa(k.total) + " tokens "
	if k.filter != "" {
		right = strconv.Itoa(k.shown) + "/" + right
	}
	labels := a.tabLabels
	sep := " · "
	level := 0
	for ; level < 5; level++ {
		sep = " · "
		if level == 4 {
			sep = "·"
		}
		width := 1 + textWidth(sep)*(n-1) + 2 // the brackets of the active tab
		for v, tv := range a.views {
			full, short, count := tv.tab()
			labels[v] = full
			if level >= 3 {
				labels[v] = short
			}
			if level <= 1 && count >= 0 {
				labels[v] += " (" + strconv.Itoa(count) + ")"
			}
			width += len(labels[v])
		}
		if level == 0 {
			width += len(right) + 1
		}
		if width <= a.ctx.width {
			break
		}
	}
	var b strings.Builder
	b.WriteByte(' ')
	x := 1
	for i := range n {
		if i > 0 {
			b.WriteString(st.Muted.Render(sep))
			x += textWidth(sep)
		}
		label := labels[i]
		if view(i) == a.view {
			label = "[" + label + "]"
			b.WriteString(st.TabActive.Render(label))
		} else {
			b.WriteString(st.TabInactive.Render(label))
		}
		a.tabEnds[i] = x + len(label)
		x += len(label)
	}
	if level == 0 {
		a.tabBar = joinSides(b.String(), st.Muted.Render(right), a.ctx.width)
	} else {
		a.tabBar = fitLine(b.String(), a.ctx.width)
	}
}

// setView switches the top-level view; the detail pane, if open, follows
// the new view's cursor.
func (a *app) setView(v view) {
	if int(v) >= len(a.views) || v == a.view {
		return
	}
	a.view = v
	if a.detail.open && !a.beside {
		a.setFocus(false)
	}
	a.refreshChrome()
}

// setFocus moves the keys to the detail pane (true) or to the active view.
// It is the only writer of focusDetail.
func (a *app) setFocus(onDetail bool) { a.focusDetail = onDetail }

func (a *app) onKey(msg tea.KeyMsg) tea.Cmd {
	k := &a.ctx.keys
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	// Bubble Tea v1 reports every printable key of one read as one KeyMsg
	// ("jj"): a fast typist, a slow link or a busy machine sends bursts.
	// Each is its own key, handled by whoever has the focus by then ("/sol"
	// opens search and types sol). A paste stays whole.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
		cmds := make([]tea.Cmd, 0, len(msg.Runes))
		for _, r := range msg.Runes {
			cmds = append(cmds, a.onKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
		}
		return tea.Batch(cmds...)
	}
	switch { // the focused child gets the key first
	case a.form != nil:
		return a.formKey(msg)
	case a.confirm != nil:
		return a.confirmKey(msg)
	}
	if a.search.active {
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
	if cmd, ok := a.dataKey(msg); ok {
		return cmd
	}
	if key.Matches(msg, k.Trade) {
		return a.trade()
	}
	h := a.ctx.opts.History
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		a.showHelp = true
	case key.Matches(msg, k.Search):
		a.setView(viewMarkets) // the filter is the markets table's
		a.search.open()
		a.updateStatus()
	case key.Matches(msg, k.NextView):
		a.setView(view((int(a.view) + 1) % len(a.views)))
	case key.Matches(msg, k.PrevView):
		a.setView(view((int(a.view) + len(a.views) - 1) % len(a.views)))
	case key.Matches(msg, k.Moonshots):
		if a.view == viewMoonshots {
			a.setView(viewMarkets)
		} else {
			a.setView(viewMoonshots)
		}
	case key.Matches(msg, k.Sort):
		if s, ok := a.active().(sorter); ok {
			s.cycleSort(1)
		}
	case key.Matches(msg, k.SortBack):
		if s, ok := a.active().(sorter); ok {
			s.cycleSort(-1)
		}
	case key.Matches(msg, k.Reverse):
		if s, ok := a.active().(sorter); ok {
			s.reverse()
		}
	case key.Matches(msg, k.Factors):
		a.detail.toggleRatings()
	case key.Matches(msg, k.Open):
		return a.openDetail()
	case key.Matches(msg, k.Close):
		a.closeDetail()
	case key.Matches(msg, k.Focus):
		a.setFocus(!a.focusDetail)
		a.detail.render()
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

// dataKey handles the keys that change the user's records from any view
// (watch, add a lot or an alert, hidden balances), then the active view's
// own keys. ok reports the key was one of them.
func (a *app) dataKey(msg tea.KeyMsg) (cmd tea.Cmd, ok bool) {
	k := &a.ctx.keys
	switch {
	case key.Matches(msg, k.Star):
		return a.watch.toggleStar(a.selectedSymbol()), true
	case key.Matches(msg, k.AddLot):
		a.openForm(a.port.lotForm(a.selectedSymbol(), nil))
	case key.Matches(msg, k.AddAlert):
		a.openForm(a.alerts.newForm(a.selectedToken(), a.now()))
	case key.Matches(msg, k.HideBalances): // the status bar says "balances hidden" while they are
		a.user.hide = !a.user.hide
		a.updateStatus()
	default:
		return a.active().onKey(msg)
	}
	return nil, true
}

// openForm shows f, or the draft of the same form when the trader left
// one with esc, so nothing typed is lost. A read-only store refuses at
// once rather than after the typing.
func (a *app) openForm(f *form) {
	if f == nil {
		return
	}
	if a.user.readOnly != "" {
		a.refuse(a.user.errReadOnly())
		return
	}
	if d := a.drafts[f.id]; d != nil {
		f = d
	}
	a.form = f
	f.render(a.ctx.width, a.contentH())
	a.refreshChrome()
}

// formKey gives the key to the open form; when it closes, a cancelled
// form is kept as a draft and a saved one's draft dropped.
func (a *app) formKey(msg tea.KeyMsg) tea.Cmd {
	f := a.form
	done, cmd := f.update(msg)
	if done {
		if f.cancelled() {
			a.drafts[f.id] = f
		} else {
			delete(a.drafts, f.id)
		}
		a.form = nil
		a.refreshChrome()
	}
	return cmd
}

// confirmPrompt is a y/n question shown in place of the help line.
type confirmPrompt struct {
	question string // "Delete lot 0.5 BTC bought 2024-01-05? y/n", sanitised
	yes      func() (tea.Cmd, error)
	line     string
}

// render draws the question, and what the keys do when there is room.
func (c *confirmPrompt) render(ctx *programContext) {
	st := ctx.styles
	q := st.Confirm.Render(" " + c.question)
	hint := st.Muted.Render("y yes · any other key cancels ")
	if lipgloss.Width(q)+lipgloss.Width(hint)+1 > ctx.width {
		c.line = fitLine(q, ctx.width)
		return
	}
	c.line = joinSides(q, hint, ctx.width)
}

// ask shows a y/n question; y runs yes, any other key cancels.
func (a *app) ask(question string, yes func() (tea.Cmd, error)) {
	a.confirm = &confirmPrompt{question: question, yes: yes}
	a.confirm.render(a.ctx)
}

func (a *app) confirmKey(msg tea.KeyMsg) tea.Cmd {
	c := a.confirm
	a.confirm = nil
	if !key.Matches(msg, a.ctx.keys.ConfirmYes) {
		a.say("cancelled", 0, "")
		return nil
	}
	cmd, err := c.yes()
	a.refuse(err)
	return cmd
}

// moveCursor moves the active view's cursor.
func (a *app) moveCursor(delta int) { a.active().move(delta) }

// navigate moves the cursor of the focused pane: the active view, or the
// detail pane (its trade list, or its ratings page).
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
		a.detail.scroll(delta)
		return
	}
	a.moveCursor(delta)
}

func (a *app) openDetail() tea.Cmd {
	tok := a.selectedToken()
	if tok == nil {
		return nil
	}
	if a.detail.open {
		a.setFocus(true)
		return nil
	}
	a.detail.open = true
	a.setFocus(!a.beside) // beside: keep browsing the table; narrow: show the pane
	a.layout()
	a.refreshChrome()
	return a.detail.show(tok, a.ctx.opts.History)
}

func (a *app) closeDetail() {
	if !a.detail.open {
		return
	}
	a.detail.hide()
	a.setFocus(false)
	a.layout()
	a.refreshChrome()
}

// refreshChrome re-renders the help line after the set of live keys changed.
func (a *app) refreshChrome() {
	a.ctx.keys.setDetail(a.detail.open)
	a.ctx.keys.setView(a.active())
	if a.sized && !a.tooSmall {
		a.help.render(a.ctx.width, a.bodyH)
	}
}

// onMouse: the wheel scrolls, a click selects a row, a click on the
// selected row opens its detail. An open form or question takes no
// clicks.
func (a *app) onMouse(msg tea.MouseMsg) tea.Cmd {
	if !a.sized || a.tooSmall || a.showHelp || a.snap == nil || a.form != nil || a.confirm != nil {
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
			a.detail.scroll(step)
		} else {
			a.moveCursor(step)
		}
	case msg.Button == tea.MouseButtonLeft && msg.Action == tea.MouseActionPress:
		if msg.Y == 0 { // the tab bar
			a.clickTab(msg.X)
			return nil
		}
		if overDetail {
			if a.beside {
				a.setFocus(true)
			}
			return nil
		}
		v := a.active()
		i, ok := v.rowAt(msg.Y - 1) // under the tab bar
		cursor := v.cursorRow()
		if !ok {
			return nil
		}
		a.setFocus(false)
		if i == cursor {
			return a.openDetail()
		}
		a.moveCursor(i - cursor)
	}
	return nil
}

// clickTab switches to the view whose tab label is under column x.
func (a *app) clickTab(x int) {
	for v, end := range a.tabEnds {
		if x < end+1 { // a click on the separator counts for the tab before it
			a.setView(view(v))
			return
		}
	}
}

// renderWaiting draws the body shown while the market has no tokens yet:
// what each feed is doing, in words, and what to try when none can connect.
func (a *app) renderWaiting() {
	ctx := a.ctx
	st := ctx.styles
	if a.bodyH <= 0 {
		return
	}
	var b strings.Builder
	b.WriteString("\n")
	if a.snap == nil || a.snap.Feeds.Len() == 0 {
		b.WriteString(st.Muted.Render("  connecting… loading market"))
		a.loading = fitLines(b.String(), ctx.width, a.bodyH)
		return
	}
	b.WriteString(st.Muted.Render("  waiting for market data") + "\n\n")
	failing := ""
	for _, f := range a.snap.Feeds.All() {
		line := "  " + safetext.Line(f.Name, maxShown) + ": " + f.StateWords(ctx.now)
		if f.Reason != "" && f.State != model.FeedLive && f.State != model.FeedQuiet {
			line += " — " + safetext.Line(f.Reason, maxShown)
		}
		if f.History != "" {
			line += " — " + safetext.Line(f.DescribeHistory(ctx.now), maxShown)
		}
		style := st.Muted
		switch f.State {
		case model.FeedQuiet:
			style = st.Warning
		case model.FeedReconnecting, model.FeedStale:
			style = st.Warning
			if failing == "" {
				failing = safetext.Line(f.Name, maxShown)
			}
		case model.FeedStopped:
			style = st.Error
			if failing == "" {
				failing = safetext.Line(f.Name, maxShown)
			}
		}
		b.WriteString(style.Render(line) + "\n")
	}
	if failing != "" {
		b.WriteString("\n" + st.Text.Render("  Cannot get market data from "+failing+". Check the network and the [feed] settings,") + "\n")
		b.WriteString(st.Text.Render("  or run `tokentop --demo` for the built-in simulated market.") + "\n")
	}
	a.loading = fitLines(b.String(), ctx.width, a.bodyH)
}

package ui

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
	"github.com/tokentop/tokentop/ui/keymap"
)

// The Alerts view: the trader's alert rules (status, condition, mode, how
// often and when each fired) over the history of firings, newest first;
// the alert form (new and edit); and the announcement of the firings the
// user's service recorded (it checks the alerts on every market snapshot,
// whether or not a session is open): the status line, the bell and the
// desktop notifications, from a tea.Cmd.

// notifyTitle is the title of every desktop notification.
const notifyTitle = "tokentop alert"

// maxNotifications is how many notifications one check sends before a
// single "+N more".
const maxNotifications = 3

// alertsView is the Alerts view. It reads the alerts and firings from the
// user's records and renders its lines in Update (refresh); View only
// joins them.
type alertsView struct {
	ctx  *programContext
	u    *userState
	host host // the root: changes, forms, questions, the status line

	snap *model.Snapshot // the last snapshot checked: the form checks tokens against it

	cursor, offset int
	width, height  int

	key   alertsKey
	listH int      // lines of the alert list (header and rows)
	lines []string // exactly height lines of width cells
	lay   colLayout[alertColumn]
	layW  int                          // the width lay was fitted to; -1 before the first
	rows  rowCache[string, alertCells] // the visible alerts' lines by ID
}

// alertCells is everything one alert's row shows: the row is drawn from it
// alone (and the layout), and it is the row's cache key.
type alertCells struct {
	sel        bool
	disabled   bool
	done       bool
	cond, mode string // sanitised
	fired      int
	last       string // "3m ago", or "—"
}

// alertsKey is what the lines were rendered from.
type alertsKey struct {
	version               uint64
	width, height         int
	cursor, offset        int
	alerts, firings       int
	now                   int64 // ages are shown to the second
	rendered              bool
	firstAlert, firstFire string
	firstFireAt           int64
}

func newAlertsView(ctx *programContext, u *userState) *alertsView {
	return &alertsView{ctx: ctx, u: u, layW: -1}
}

func (v *alertsView) setSize(w, h int) {
	v.width, v.height = max(w, 0), max(h, 0)
}

// alerts is the rules, in the order they were created.
func (v *alertsView) alerts() []model.Alert { return v.u.data.Alerts }

// selected is the alert under the cursor, or nil.
func (v *alertsView) selected() *model.Alert {
	as := v.alerts()
	if v.cursor < 0 || v.cursor >= len(as) {
		return nil
	}
	return &as[v.cursor]
}

func (v *alertsView) indexOf(id string) int { return v.u.data.AlertIndex(id) }

// armed counts the alerts that can still fire.
func (v *alertsView) armed() int {
	n := 0
	for i := range v.u.data.Alerts {
		if v.u.data.Alerts[i].Armed() {
			n++
		}
	}
	return n
}

// selectedSymbol is the selected alert's token ("" for "any token" or
// none).
func (v *alertsView) selectedSymbol() string {
	if a := v.selected(); a != nil {
		return a.Symbol
	}
	return ""
}

// move moves the cursor over the alerts.
func (v *alertsView) move(delta int) {
	n := len(v.alerts())
	if n == 0 {
		v.cursor = 0
		return
	}
	v.cursor = min(max(v.cursor+delta, 0), n-1)
	v.offset = scrollOffset(v.cursor, v.offset, v.listRows(), n)
}

// listRows is how many alert rows the list shows under its header.
func (v *alertsView) listRows() int { return max(v.listH-1, 0) }

// rowAt maps a body line to an alert index.
func (v *alertsView) rowAt(line int) (int, bool) {
	if line < 1 || line > v.listRows() {
		return 0, false
	}
	i := v.offset + line - 1
	return i, i < len(v.alerts())
}

// line is body line i (under the tab bar).
func (v *alertsView) line(i int) string {
	if i >= 0 && i < len(v.lines) {
		return v.lines[i]
	}
	return ""
}

// layoutList splits the height between the alert list and the history:
// the list gets what it needs when both fit, otherwise at least half, and
// the history keeps three lines when it can.
func (v *alertsView) layoutList() {
	h := v.height
	need := 1 + max(len(v.alerts()), 1)
	histNeed := 2 + max(len(v.u.data.Firings), 1)
	listH := need
	if need+histNeed > h {
		listH = min(need, max(h-3, (h+1)/2))
	}
	v.listH = min(max(listH, 0), h)
}

// refresh re-renders the lines when the records, the size, the cursor or
// the second changed.
func (v *alertsView) refresh() {
	as, fs := v.alerts(), v.u.data.Firings
	v.cursor = min(max(v.cursor, 0), max(len(as)-1, 0))
	v.layoutList()
	v.offset = scrollOffset(v.cursor, v.offset, v.listRows(), len(as))
	k := alertsKey{version: v.u.version, width: v.width, height: v.height,
		cursor: v.cursor, offset: v.offset, alerts: len(as), firings: len(fs),
		now: v.ctx.now.Unix(), rendered: true}
	if len(as) > 0 {
		k.firstAlert = as[0].ID
	}
	if len(fs) > 0 {
		k.firstFire, k.firstFireAt = fs[0].AlertID, fs[0].Time.UnixNano()
	}
	if k == v.key && len(v.lines) == v.height {
		return
	}
	v.key = k
	v.render()
}

// alertColumn is one column of the alert list.
type alertColumn uint8

const (
	acCond alertColumn = iota
	acModeCol
	acFiredCol
	acLastCol
)

// Alert list columns.
const (
	acGutter  = 2 // "▸ "
	acGlyph   = 2 // "● "
	acCondMin = 22
	acCondMax = 48
	acMode    = 15 // "repeat ≤1/1h30m"
	acFired   = 5
	acLast    = 10
	acGap     = 2
)

// alertLayout fits the list's columns: the condition always, then mode,
// fired count and last firing while they fit (the last firing goes first);
// the condition takes what is left, up to acCondMax, and gives cells back
// when even it does not fit.
func alertLayout(w int) colLayout[alertColumn] {
	specs := []colSpec[alertColumn]{
		{acCond, "Condition", acCondMin, acCondMax, false},
		{acModeCol, "Mode", acMode, acMode, false},
		{acFiredCol, "Fired", acFired, acFired, true},
		{acLastCol, "Last fired", acLast, acLast, false},
	}
	return fitColumns(specs, w, fitRule[alertColumn]{gutter: acGutter + acGlyph, gaps: []int{acGap},
		drop: []alertColumn{acLastCol, acFiredCol, acModeCol}, grow: []growStep[alertColumn]{{acCond, 0}},
		squeeze: []alertColumn{acCond}})
}

func (v *alertsView) render() {
	st := &v.ctx.styles
	w, h := v.width, v.height
	as := v.alerts()
	if w != v.layW {
		v.lay, v.layW = alertLayout(w), w
		v.rows.reset()
	}
	lines := make([]string, 0, h)

	if h > 0 {
		lines = append(lines, fitLine(st.Header.Render(string(v.lay.appendHeader(nil, nil))), w))
	}
	rows := v.listRows()
	if len(as) == 0 && rows > 0 {
		lines = append(lines, fitLine(st.Muted.Render("  No alerts: select a token and "+pressHint(v.ctx.keys.AddAlert, "add_alert")), w))
	}
	for i := v.offset; i < len(as) && i < v.offset+rows; i++ {
		lines = append(lines, v.renderRow(&as[i], i == v.cursor))
	}
	v.rows.sweep()
	blank := strings.Repeat(" ", w)
	for len(lines) < v.listH {
		lines = append(lines, blank)
	}
	lines = v.appendHistory(lines)
	for len(lines) < h {
		lines = append(lines, blank)
	}
	v.lines = lines[:h]
}

// renderRow is one alert's line, from the cache when nothing it shows
// changed.
func (v *alertsView) renderRow(a *model.Alert, sel bool) string {
	c := alertCells{sel: sel, disabled: a.Disabled, done: a.Done, cond: safetext.Line(a.Describe(), maxShown),
		mode: alertMode(a), fired: a.Fired, last: unknown}
	if !a.LastFired.IsZero() {
		c.last = string(appendAge(nil, v.ctx.now.Sub(a.LastFired))) + " ago"
	}
	return v.rows.line(a.ID, &c, v.drawRow)
}

// drawRow draws one alert from what it shows: its status glyph (●
// armed, ✓ done, ○ disabled), condition, mode, fired count and when it
// last fired.
func (v *alertsView) drawRow(dst []byte, a *alertCells) []byte {
	st := &v.ctx.styles
	glyph, glyphStyle, text := "●", st.Up, st.Text
	switch {
	case a.disabled:
		glyph, glyphStyle, text = "○", st.Muted, st.Muted
	case a.done:
		glyph, glyphStyle, text = "✓", st.Muted, st.Muted
	}
	mark := "  "
	if a.sel {
		mark = "▸ "
	}
	type cell struct {
		s     string
		style lipgloss.Style
	}
	cells := []cell{
		{mark, st.Accent},
		{glyph + " ", glyphStyle},
		{string(appendCellString(nil, span{}, a.cond, v.lay.width(acCond), false)), text},
	}
	gap := strings.Repeat(" ", v.lay.gap)
	if v.lay.shows(acModeCol) {
		cells = append(cells, cell{gap + fitLine(a.mode, acMode), st.Muted})
	}
	if v.lay.shows(acFiredCol) {
		cells = append(cells, cell{gap + fitLine(padLeft(strconv.Itoa(a.fired), acFired), acFired), text})
	}
	if v.lay.shows(acLastCol) {
		cells = append(cells, cell{gap + fitLine(a.last, acLast), st.Muted})
	}
	var b strings.Builder
	for _, c := range cells {
		if a.sel {
			b.WriteString(c.s)
		} else {
			b.WriteString(c.style.Render(c.s))
		}
	}
	line := b.String()
	if a.sel {
		line = st.Selected.Render(fitLine(line, v.width))
	}
	return append(dst, fitLine(line, v.width)...)
}

// appendHistory adds the history under the list: a blank line, the
// section title and the firings that fit, newest first.
func (v *alertsView) appendHistory(lines []string) []string {
	st := &v.ctx.styles
	w := v.width
	room := v.height - len(lines)
	if room < 2 {
		return lines
	}
	fs := v.u.data.Firings
	shown := min(len(fs), room-2)
	title := "History"
	switch {
	case len(fs) == 0:
	case shown < len(fs):
		title += " (" + strconv.Itoa(shown) + " of " + strconv.Itoa(len(fs)) + ", newest first)"
	default:
		title += " (" + strconv.Itoa(len(fs)) + ", newest first)"
	}
	head := "── " + title + " "
	lines = append(lines, strings.Repeat(" ", w),
		fitLine(st.Section.Render(head+strings.Repeat("─", max(w-textWidth(head), 0))), w))
	if len(fs) == 0 {
		return append(lines, fitLine(st.Muted.Render("  No alert has fired yet"), w))
	}
	loc := v.ctx.now.Location()
	var tb []byte
	for i := range shown {
		f := &fs[i]
		tb = appendWhen(tb[:0], f.Time, loc)
		lines = append(lines, fitLine("  "+st.Muted.Render(string(tb))+"  "+st.Text.Render(safetext.Line(f.Message, maxShown)), w))
	}
	return lines
}

// alertMode is "once" or "repeat ≤1/30m".
func alertMode(a *model.Alert) string {
	if !a.Repeat {
		return "once"
	}
	if a.Cooldown <= 0 {
		return "repeat"
	}
	return "repeat ≤1/" + model.FormatDuration(time.Duration(a.Cooldown))
}

// announce is what the session does with firings the user's service
// recorded (fired: newest first, as in the history): the status line
// names the first that fired ("🔔 " and its message, "(+N more)"), and the
// returned Cmd rings the bell once and sends a desktop notification for
// each of the first three, then one "+N more".
func (v *alertsView) announce(fired []model.AlertFiring) (cmd tea.Cmd, announce string) {
	if len(fired) == 0 {
		return nil, ""
	}
	n := len(fired)
	first := fired[n-1] // oldest first: the order they fired in
	msgs := make([]string, 0, min(n, maxNotifications)+1)
	for i := range min(n, maxNotifications) {
		msgs = append(msgs, safetext.Line(fired[n-1-i].Message, maxShown))
	}
	if more := n - maxNotifications; more > 0 {
		msgs = append(msgs, "+"+strconv.Itoa(more)+" more")
	}
	announce = "🔔 " + safetext.Line(first.Message, maxShown)
	if n > 1 {
		announce += " (+" + strconv.Itoa(n-1) + " more)"
	}
	return ringCmd(v.ctx.opts.Bell, v.ctx.opts.Notify, msgs), announce
}

// ringCmd rings the bell once and sends one notification per message. A
// bell or notifier that panics is ignored: its failure is never the
// dashboard's.
func ringCmd(bell func(), notify func(title, body string), msgs []string) tea.Cmd {
	if bell == nil && notify == nil {
		return nil
	}
	return func() tea.Msg {
		if bell != nil {
			safely(bell)
		}
		if notify != nil {
			for _, m := range msgs {
				safely(func() { notify(notifyTitle, m) })
			}
		}
		return nil
	}
}

func safely(f func()) {
	defer func() { _ = recover() }()
	f()
}

// confirmDelete is the question the root asks before deleteSelected.
func (v *alertsView) confirmDelete() string {
	a := v.selected()
	if a == nil {
		return ""
	}
	return "Delete alert " + safetext.Line(a.Describe(), maxShown) + "? y/n"
}

var errNoAlert = errors.New("no alert selected")

// deleteSelected deletes the selected alert (its firings stay in the
// history).
func (v *alertsView) deleteSelected() (tea.Cmd, error) {
	a := v.selected()
	if a == nil {
		return nil, errNoAlert
	}
	return v.host.sendChange(change{ch: model.UserChange{DeleteAlert: a.ID}, what: "alert deleted", saved: "Alert deleted", mark: "✓ ",
		then: func() { v.cursor = min(v.cursor, max(len(v.alerts())-1, 0)) }})
}

// toggleSelected disables an armed alert, enables a disabled one and
// re-arms one that is done.
func (v *alertsView) toggleSelected() (tea.Cmd, error) {
	sel := v.selected()
	if sel == nil {
		return nil, errNoAlert
	}
	a := *sel
	what, saved := "alert disabled", "Alert disabled: "
	switch {
	case a.Done:
		a.Done, a.Disabled = false, false
		what, saved = "alert re-armed", "Alert re-armed: "
	case a.Disabled:
		a.Disabled = false
		what, saved = "alert enabled", "Alert enabled: "
	default:
		a.Disabled = true
	}
	return v.host.sendChange(change{ch: model.UserChange{PutAlert: &a}, what: what, saved: saved + safetext.Line(a.Describe(), maxShown), mark: "✓ "})
}

// The alert form's choices.
var (
	alertRepeatChoices = []string{"once", "repeat"}
	alertWindowChoices = []string{"1h", "24h", "7d"} // model.AlertWindows
)

// alertDraft is what the alert form starts with.
type alertDraft struct {
	symbol, price, percent, cooldown string
	kind, window                     int
	repeat                           bool
}

// newForm is the form for a new alert on tok (nil: any token), its price
// prefilled with the current one.
func (v *alertsView) newForm(tok *model.TokenView, now time.Time) *form {
	d := alertDraft{percent: "5", cooldown: "30m", window: 1}
	sym := "*"
	if tok != nil {
		d.symbol, d.price, sym = tok.Symbol, priceText(tok.Price), tok.Symbol
	}
	title := "New alert — " + sym
	if tok == nil {
		title = "New alert"
	}
	return v.alertForm("alert:new:"+sym, title, d, "", now)
}

// editForm is the form for the selected alert; nil when there is none.
func (v *alertsView) editForm() *form {
	a := v.selected()
	if a == nil {
		return nil
	}
	d := alertDraft{symbol: a.Symbol, price: priceText(a.Price), percent: "5", cooldown: "30m", window: 1, repeat: a.Repeat}
	if d.symbol == "" {
		d.symbol = "*"
	}
	if d.price == "" && v.snap != nil {
		if t := v.snap.Token(a.Symbol); t != nil {
			d.price = priceText(t.Price)
		}
	}
	for i, k := range model.AlertKinds {
		if k == a.Kind {
			d.kind = i
		}
	}
	if a.Kind == model.AlertMove {
		d.percent = strconv.FormatFloat(math.Round(a.Percent*1e6)/1e4, 'f', -1, 64)
		for i, w := range model.AlertWindows {
			if time.Duration(a.Window) == w {
				d.window = i
			}
		}
	}
	if a.Repeat {
		d.cooldown = model.FormatDuration(time.Duration(a.Cooldown))
	}
	return v.alertForm("alert:edit:"+a.ID, "Edit alert — "+safetext.Line(a.Describe(), maxShown), d, a.ID, v.ctx.now)
}

func (v *alertsView) alertForm(id, title string, d alertDraft, editID string, now time.Time) *form {
	kinds := make([]string, len(model.AlertKinds))
	for i, k := range model.AlertKinds {
		kinds[i] = k.Label()
	}
	repeat := 0
	if d.repeat {
		repeat = 1
	}
	fields := []formField{
		{Label: "Token", Key: "symbol", Value: d.symbol, MaxLen: 32},
		{Label: "Kind", Key: "kind", Kind: fieldChoice, Choices: kinds, Choice: d.kind},
		{Label: "Price", Key: "price", Value: d.price, Hint: "USD", MaxLen: 24},
		{Label: "Percent", Key: "percent", Value: d.percent, Hint: "move up or down, e.g. 5 = 5%", MaxLen: 12},
		{Label: "Window", Key: "window", Kind: fieldChoice, Choices: alertWindowChoices, Choice: d.window},
		{Label: "Repeat", Key: "repeat", Kind: fieldChoice, Choices: alertRepeatChoices, Choice: repeat},
		{Label: "Cooldown", Key: "cooldown", Value: d.cooldown, Hint: "at most once per, e.g. 30m", MaxLen: 12},
	}
	f := newForm(v.ctx, id, title, fields, v.submitAlert(editID, now))
	f.onChange = alertFormShow
	alertFormShow(f)
	return f
}

// alertKindOf is the kind the form's Kind choice names.
func alertKindOf(f *form) model.AlertKind {
	if fd := f.field("kind"); fd != nil && fd.Choice >= 0 && fd.Choice < len(model.AlertKinds) {
		return model.AlertKinds[fd.Choice]
	}
	return model.AlertPriceAbove
}

// alertFormShow shows the fields the kind and mode use.
func alertFormShow(f *form) {
	k := alertKindOf(f)
	price := k == model.AlertPriceAbove || k == model.AlertPriceBelow
	f.field("price").Hidden = !price
	f.field("percent").Hidden = k != model.AlertMove
	f.field("window").Hidden = k != model.AlertMove
	f.field("cooldown").Hidden = f.value("repeat") != "repeat"
	tok := f.field("symbol")
	if k == model.AlertSignalFlip || k == model.AlertMoonshot {
		tok.Hint = "symbol, or * for any token"
	} else {
		tok.Hint = "symbol, e.g. BTC"
	}
	f.fixFocus()
}

// readAlert reads the form's rule into a (every bad field gets its error).
func (v *alertsView) readAlert(f *form) (a model.Alert, ok bool) {
	ok = true
	fail := func(key, msg string) {
		f.setErr(key, msg)
		ok = false
	}
	a.Kind = alertKindOf(f)
	anyOK := a.Kind == model.AlertSignalFlip || a.Kind == model.AlertMoonshot
	sym := strings.ToUpper(f.value("symbol"))
	switch {
	case (sym == "" || sym == "*") && anyOK:
		// any token
	case sym == "":
		fail("symbol", "is required")
	case sym == "*":
		fail("symbol", "* (any token) is for signal flip and new moonshot")
	case !model.ValidSymbol(sym):
		fail("symbol", "is not a token symbol (A-Z, 0-9, . - _)")
	case v.snap == nil:
		fail("symbol", "no market data yet to check it")
	default:
		if err := model.CheckKnownToken(sym, v.snap.Knows); err != nil {
			fail("symbol", err.Error())
		} else {
			a.Symbol = sym
		}
	}
	switch a.Kind {
	case model.AlertPriceAbove, model.AlertPriceBelow:
		p, msg := formNumber(f.value("price"), true)
		if msg == "" && p > model.MaxUnitCost {
			msg = "is too large"
		}
		if msg != "" {
			fail("price", msg)
		}
		a.Price = p
	case model.AlertMove:
		p, msg := formNumber(strings.TrimSuffix(f.value("percent"), "%"), true)
		if msg == "" && p > 10000 {
			msg = "must be at most 10000"
		}
		if msg != "" {
			fail("percent", msg)
		}
		a.Percent = p / 100
		if fd := f.field("window"); fd.Choice >= 0 && fd.Choice < len(model.AlertWindows) {
			a.Window = model.Duration(model.AlertWindows[fd.Choice])
		}
	}
	a.Repeat = f.value("repeat") == "repeat"
	if a.Repeat {
		const most = 30 * 24 * time.Hour
		d, err := model.ParseDuration(f.value("cooldown"))
		switch {
		case err != nil:
			fail("cooldown", "must be a duration like 30m")
		case d < 0:
			fail("cooldown", "must be 0 or more")
		case d > most:
			fail("cooldown", "must be at most "+model.FormatDuration(most))
		}
		a.Cooldown = model.Duration(d)
	}
	return a, ok
}

// sameRule reports whether two alerts watch the same thing the same way.
func sameRule(a, b *model.Alert) bool {
	return a.Symbol == b.Symbol && a.Kind == b.Kind && a.Price == b.Price && a.Percent == b.Percent &&
		a.Window == b.Window && a.Repeat == b.Repeat && a.Cooldown == b.Cooldown
}

// submitAlert validates the form and saves the alert: a new one (editID
// "") or the edited one, keeping its ID and state (Done is reset when the
// rule changed, so the new rule can fire).
func (v *alertsView) submitAlert(editID string, opened time.Time) func(*form) (tea.Cmd, bool) {
	return func(f *form) (tea.Cmd, bool) {
		a, ok := v.readAlert(f)
		if !ok {
			return nil, false
		}
		now := v.ctx.now
		if now.IsZero() {
			now = opened
		}
		what := "alert added"
		if editID == "" {
			a.ID, a.Created = model.NewID(now), now
		} else {
			k := v.indexOf(editID)
			if k < 0 {
				f.setErr("", "this alert was deleted; esc to close")
				return nil, false
			}
			old := &v.u.data.Alerts[k]
			a.ID, a.Created, a.Disabled = old.ID, old.Created, old.Disabled
			a.LastFired, a.Fired, a.Done = old.LastFired, old.Fired, old.Done
			if !sameRule(&a, old) {
				a.Done = false
			}
			what = "alert changed"
		}
		if err := a.Validate(); err != nil {
			setFormErr(f, err)
			return nil, false
		}
		saved := "Alert saved: "
		if editID != "" {
			saved = "Alert changed: "
		}
		cmd, err := v.host.sendChange(change{ch: model.UserChange{PutAlert: &a}, what: what, saved: saved + safetext.Line(a.Describe(), maxShown), mark: "✓ ", form: f})
		if err != nil {
			setFormErr(f, err)
			return nil, false
		}
		return cmd, true
	}
}

// setFormErr shows a validation error beside its field when the form
// shows that field, else as the form's message.
func setFormErr(f *form, err error) {
	var fe *model.FieldError
	if errors.As(err, &fe) {
		if fd := f.field(fe.Field); fd != nil && !fd.Hidden {
			f.setErr(fe.Field, fe.Msg)
			return
		}
	}
	f.setErr("", err.Error())
}

// priceText is a price as the form prefills it: plain digits a trader
// can edit ("67,012.50", "0.000012345"); "" when unknown.
func priceText(p float64) string {
	switch {
	case bad(p) || p <= 0:
		return ""
	case p >= 1e7:
		return string(appendFixed(nil, p, 0))
	}
	b := appendPrice(nil, p)
	for _, c := range b {
		if c >= 0x80 { // the subscript form of tiny prices
			return strconv.FormatFloat(p, 'g', 5, 64)
		}
	}
	return string(b)
}

// The Alerts view in the list of views (view.go).

var _ tabView = (*alertsView)(nil)

func (v *alertsView) tab() (full, short string, count int) { return "Alerts", "Alrt", v.armed() }
func (v *alertsView) keyView() keymap.View                 { return keymap.Alerts }

func (v *alertsView) hints(k *KeyMap) []key.Binding {
	relabel(&k.Edit, "edit alert")
	relabel(&k.Delete, "delete alert")
	return []key.Binding{k.AddAlert, k.Edit, k.Delete, k.Toggle, k.NextView}
}

// apply keeps the snapshot the alert form checks tokens against.
func (v *alertsView) apply(s *model.Snapshot, _ time.Time) { v.snap = s }
func (v *alertsView) cursorRow() int                       { return v.cursor }
func (v *alertsView) selectedToken() *model.TokenView      { return v.snap.Token(v.selectedSymbol()) }

// onKey: e edits the selected alert, x deletes it (asking first), space
// turns it off or on.
func (v *alertsView) onKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := &v.ctx.keys
	h := v.host
	switch {
	case key.Matches(msg, k.Edit):
		if f := v.editForm(); f != nil {
			h.openForm(f)
		} else {
			h.say("no alert selected", -1, "✗ ")
		}
	case key.Matches(msg, k.Delete):
		q := v.confirmDelete()
		if q == "" {
			h.say("no alert selected", -1, "✗ ")
			break
		}
		h.ask(q, func() (tea.Cmd, error) {
			cmd, err := v.deleteSelected()
			if err == nil {
				h.say("Alert deleted", 0, "✓ ")
			}
			return cmd, err
		})
	case key.Matches(msg, k.Toggle):
		cmd, err := v.toggleSelected()
		h.refuse(err)
		return cmd, true
	default:
		return nil, false
	}
	return nil, true
}

package ui

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
	"github.com/tokentop/tokentop/ui/keymap"
)

// notListed is the name shown for a watched token the market does not
// list (yet): its row has no price, no change and no grade.
const notListed = "not in the market yet"

// watchView is the Watch view: the markets table restricted to the active
// watchlist (a second table with a membership predicate), under a title
// line "★ Watchlist 1/3: Main". A watched symbol the market does not list
// shows as a row of "—" named "not in the market yet", and a line at the
// bottom names them, so a list never silently loses a token.
type watchView struct {
	ctx   *programContext
	user  *userState
	host  host // the root: changes, forms, questions, the status line
	table *table

	members map[string]uint64           // symbols of the active list -> snapshot Seq that listed it
	holders map[string]*model.TokenView // placeholder rows of listed symbols the market lacks
	missing []*model.TokenView          // placeholders in list order, for the last snapshot
	snap    *model.Snapshot
	now     time.Time

	ver     uint64 // user version the members were built from
	list    int    // the list index they were built from
	built   bool
	title   string
	foot    string
	missKey string // the missing symbols the foot names

	width, height int
	blank         string
}

func newWatchView(ctx *programContext, u *userState) *watchView {
	w := &watchView{ctx: ctx, user: u, table: newTable(ctx),
		members: make(map[string]uint64), holders: make(map[string]*model.TokenView)}
	w.table.member = w.isMember
	w.table.starred = w.isMember
	return w
}

// isMember reports whether sym is in the active list (as last built).
func (w *watchView) isMember(sym string) bool {
	_, ok := w.members[sym]
	return ok
}

func (w *watchView) setSize(width, h int) {
	w.width, w.height = width, h
	w.blank = strings.Repeat(" ", max(width, 0))
	w.drawFoot()
	w.layoutTable()
	w.renderTitle()
}

// layoutTable gives the table the lines under the title, less the foot.
func (w *watchView) layoutTable() {
	h := max(w.height-1, 0)
	if w.foot != "" && h > 2 {
		h--
	}
	w.table.setSize(w.width, h)
}

// apply takes a new snapshot.
func (w *watchView) apply(s *model.Snapshot, now time.Time) {
	w.snap, w.now = s, now
	w.sync(true)
}

// sync rebuilds the members when the list changed (a star, a switch, a
// rename) and re-applies the snapshot when either changed.
func (w *watchView) sync(snapChanged bool) {
	u := w.user
	listChanged := !w.built || u.version != w.ver || u.list != w.list
	if listChanged {
		w.built, w.ver, w.list = true, u.version, u.list
		l := u.activeList()
		clear(w.members)
		for _, sym := range l.Symbols {
			w.members[sym] = 0
		}
		for sym := range w.holders {
			if !w.isMember(sym) {
				delete(w.holders, sym)
			}
		}
		if len(l.Symbols) == 0 {
			w.table.emptyMsg = "No tokens yet: " + pressHint(w.ctx.keys.Star, "watch") + " on a token in Markets to watch it"
		} else {
			w.table.emptyMsg = "none of these tokens is in the market yet"
		}
		w.renderTitle()
	}
	if !listChanged && !snapChanged {
		return
	}
	s := w.snap
	if s == nil {
		s = &model.Snapshot{}
	}
	seq := s.Seq + 1 // never 0, the "not seen" mark
	for _, tok := range s.Tokens.All() {
		if tok == nil {
			continue
		}
		if _, ok := w.members[tok.Symbol]; ok {
			w.members[tok.Symbol] = seq
		}
	}
	w.missing = w.missing[:0]
	for _, sym := range u.activeList().Symbols {
		if w.members[sym] == seq {
			continue
		}
		ph := w.holders[sym]
		if ph == nil {
			ph = placeholder(sym)
			w.holders[sym] = ph
		}
		w.missing = append(w.missing, ph)
	}
	w.table.applyTokens(s, w.missing, w.now)
	w.renderFoot()
}

// placeholder is the row of a watched symbol the market does not list.
func placeholder(sym string) *model.TokenView {
	nan := math.NaN()
	return &model.TokenView{Symbol: sym, Name: notListed, Price: nan, Change1h: nan, Change24h: nan, Change7d: nan,
		High24h: nan, Low24h: nan, Volume24h: nan, Volatility: nan,
		TraderGrade: model.NoGrade(notListed), InvestorGrade: model.NoGrade(notListed)}
}

// renderFoot names the listed symbols the market lacks, on the last line
// (and gives the table its height back when there are none).
func (w *watchView) renderFoot() {
	var b strings.Builder
	for i, ph := range w.missing {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(safetext.Line(ph.Symbol, maxShown))
	}
	w.missKey = b.String()
	w.drawFoot()
}

func (w *watchView) drawFoot() {
	hadFoot := w.foot != ""
	w.foot = ""
	if w.missKey != "" {
		w.foot = fitLine(w.ctx.styles.Muted.Render("  "+notListed+": "+w.missKey), w.width)
	}
	if hadFoot != (w.foot != "") {
		w.layoutTable()
	}
}

// renderTitle draws "★ Watchlist 1/3: Main" and the token count.
func (w *watchView) renderTitle() {
	u := w.user
	st := w.ctx.styles
	l := u.activeList()
	left := st.Star.Render(" ★ ") + st.Title.Render("Watchlist "+strconv.Itoa(u.list+1)+"/"+
		strconv.Itoa(len(u.data.Watchlists))+": ") + st.Text.Render(safetext.Line(l.Name, maxShown))
	n := len(l.Symbols)
	count := strconv.Itoa(n) + " tokens"
	if n == 1 {
		count = "1 token"
	}
	left += st.Muted.Render("  " + count)
	right := ""
	if len(u.data.Watchlists) > 1 {
		right = st.Hint.Render("< > switch list ")
	}
	w.title = joinSides(left, right, w.width)
}

func (w *watchView) refresh() { w.table.refresh() }

// line is line i of the view: the title, the table, the foot.
func (w *watchView) line(i int) string {
	switch {
	case i == 0:
		return w.title
	case w.foot != "" && i == w.height-1 && w.height > 3:
		return w.foot
	case i-1 < w.table.height:
		return w.table.line(i - 1)
	}
	return w.blank
}

// rowAt maps a line of the view to a row index of the table.
func (w *watchView) rowAt(line int) (int, bool) { return w.table.rowAt(line - 2) }

// selectedSymbol is the raw symbol under the cursor ("" when none).
func (w *watchView) selectedSymbol() string {
	if r := w.table.selectedRow(); r != nil {
		return r.tok.Symbol
	}
	return ""
}

// selectedToken is the token under the cursor, or nil for none or for a
// symbol the market does not list.
func (w *watchView) selectedToken() *model.TokenView {
	r := w.table.selectedRow()
	if r == nil || w.holders[r.tok.Symbol] == r.tok {
		return nil
	}
	return r.tok
}

// toggleStar watches or unwatches the selected token in the active list,
// saved at once. It works from the list as it will be once this session's
// pending changes are saved, so quick stars all stay.
func (w *watchView) toggleStar(sym string) tea.Cmd {
	h := w.host
	if sym == "" {
		h.say("no token selected", -1, "✗ ")
		return nil
	}
	if w.user.readOnly != "" {
		h.refuse(w.user.errReadOnly())
		return nil
	}
	name := w.user.activeList().Name
	cur := w.user.current()
	var from []string
	if i := cur.WatchlistIndex(name); i >= 0 {
		from = cur.Watchlists[i].Symbols
	}
	syms := make([]string, 0, len(from)+1)
	added := true
	for _, s := range from {
		if s == sym {
			added = false
			continue
		}
		syms = append(syms, s)
	}
	shown := safetext.Line(name, maxShown)
	what, msg, mark := safetext.Line(sym, maxShown)+" unwatched", safetext.Line(sym, maxShown)+" removed from "+shown, "☆ "
	if added {
		syms = append(syms, sym)
		what, msg, mark = safetext.Line(sym, maxShown)+" watched", safetext.Line(sym, maxShown)+" added to "+shown, "★ "
	}
	cmd, err := h.sendChange(change{ch: model.UserChange{PutWatchlist: &model.Watchlist{Name: name, Symbols: syms}},
		what: what, saved: msg, mark: mark})
	if err != nil {
		h.refuse(err)
		return nil
	}
	return cmd
}

// switchList makes the next (1) or previous (-1) watchlist the active one.
func (w *watchView) switchList(step int) {
	n := len(w.user.data.Watchlists)
	if n < 2 {
		w.host.say("only one watchlist: n makes another", 0, "")
		return
	}
	w.user.list = ((w.user.list+step)%n + n) % n
	w.user.activeList() // its name is the active list's from now on
	w.sync(false)
}

// listForm is the one-field form that names a new watchlist (rename "")
// or renames the list named rename.
func (w *watchView) listForm(rename string) *form {
	fields := []formField{{Label: "Name", Key: "name", Value: rename, Hint: "e.g. Majors, DeFi",
		MaxLen: model.MaxWatchlistName}}
	if rename == "" {
		return newForm(w.ctx, "list:new", "New watchlist", fields, w.submitList(""))
	}
	return newForm(w.ctx, "list:rename:"+rename, "Rename watchlist — "+rename, fields, w.submitList(rename))
}

func (w *watchView) submitList(rename string) func(*form) (tea.Cmd, bool) {
	return func(f *form) (tea.Cmd, bool) {
		name := f.value("name")
		switch {
		case name == "":
			f.setErr("name", "is required")
			return nil, false
		case name == rename:
			return nil, true // unchanged
		case w.user.listIndex(name) >= 0:
			f.setErr("name", "a watchlist with that name exists")
			return nil, false
		}
		var ch model.UserChange
		what := "watchlist " + name + " created"
		if rename == "" {
			ch.PutWatchlist = &model.Watchlist{Name: name, Symbols: []string{}}
		} else {
			if w.user.listIndex(rename) < 0 {
				f.setErr("", "this watchlist was deleted; esc to close")
				return nil, false
			}
			ch.RenameWatchlist = &[2]string{rename, name}
			what = "watchlist " + rename + " renamed " + name
		}
		cmd, err := w.host.sendChange(change{ch: ch, what: what, saved: "★ " + safetext.Line(what, maxShown), form: f,
			then: func() { w.user.selectList(name); w.sync(false) }})
		if err != nil {
			setFormErr(f, err)
			return nil, false
		}
		return cmd, true
	}
}

// deleteListPrompt asks before deleting the active watchlist; the last
// one cannot go.
func (w *watchView) deleteListPrompt() {
	h := w.host
	if w.user.readOnly != "" {
		h.refuse(w.user.errReadOnly())
		return
	}
	if len(w.user.data.Watchlists) < 2 {
		h.say("the last watchlist cannot be deleted", -1, "✗ ")
		return
	}
	l := w.user.activeList()
	name := l.Name
	n := len(l.Symbols)
	count := strconv.Itoa(n) + " tokens"
	if n == 1 {
		count = "1 token"
	}
	h.ask("Delete watchlist "+safetext.Line(name, maxShown)+" ("+count+")? y/n", func() (tea.Cmd, error) {
		return h.sendChange(change{ch: model.UserChange{DeleteWatchlist: name}, what: "watchlist " + name + " deleted",
			saved: "Watchlist " + safetext.Line(name, maxShown) + " deleted", mark: "✓ ", then: func() { w.sync(false) }})
	})
}

// The Watch view in the list of views (view.go).

var _ tabView = (*watchView)(nil)

func (w *watchView) tab() (full, short string, count int) {
	return "Watch", "Watch", len(w.user.activeList().Symbols)
}
func (w *watchView) keyView() keymap.View { return keymap.Watch }

func (w *watchView) hints(k *KeyMap) []key.Binding {
	relabel(&k.Star, "unwatch")
	out := k.lists()
	out = append(out, k.Star, k.ListNew, k.ListRename, k.ListDelete, k.NextView, k.AddLot, k.AddAlert)
	out = append(out, k.sorting()...)
	return append(out, k.Reverse)
}

func (w *watchView) move(delta int)     { w.table.move(delta) }
func (w *watchView) cycleSort(step int) { w.table.cycleSort(step) }
func (w *watchView) reverse()           { w.table.reverse() }
func (w *watchView) cursorRow() int     { return w.table.cursor }

// onKey: the watchlist keys (switch, new, rename, delete).
func (w *watchView) onKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := &w.ctx.keys
	switch {
	case key.Matches(msg, k.ListPrev):
		w.switchList(-1)
	case key.Matches(msg, k.ListNext):
		w.switchList(1)
	case key.Matches(msg, k.ListNew):
		w.host.openForm(w.listForm(""))
	case key.Matches(msg, k.ListRename):
		w.host.openForm(w.listForm(w.user.activeList().Name))
	case key.Matches(msg, k.ListDelete):
		w.deleteListPrompt()
	default:
		return nil, false
	}
	return nil, true
}

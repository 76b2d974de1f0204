package ui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/ui/keymap"
)

// tabView is the one shape of a top-level view (a tab: Markets, Watch,
// Portfolio, Moonshots, Past, Alerts). The root holds them in a list
// indexed by their view id and routes to the active one; it composes the
// body from the active view's lines (appendBodyLine), beside or under the
// detail pane, so a view never draws the tab bar, the help or the status
// bar: the root draws those from the list.
//
// A view renders in Update (apply, refresh, setSize) and caches its lines;
// line must hand out a cached string and never allocate, because View
// calls it for every body line of every frame.
//
// Adding a view: a file with its type and these methods, and one entry in
// app.newViews. Its tab label and count, its keys' help and its place in
// the tab order all come from that entry.
type tabView interface {
	// tab is the view's label in the tab bar, its short form for narrow
	// windows, and the count shown after it ("Watch (3)"); count < 0
	// shows none.
	tab() (full, short string, count int)
	// keyView is the view as ui/keymap knows it: the actions whose Views
	// hold it are live while the view is active.
	keyView() keymap.View
	// hints labels the view's keys for it (relabel) and returns its part
	// of the one-line help, which goes between the detail pane's keys and
	// the common ones.
	hints(k *KeyMap) []key.Binding

	// setSize gives the view w x h cells under the tab bar.
	setSize(w, h int)
	// apply takes a new market snapshot (every view gets every snapshot,
	// so counts in the tab bar stay right); now is the market clock.
	apply(s *model.Snapshot, now time.Time)
	// refresh brings the cached lines up to date; called after every
	// message while the view is active.
	refresh()
	// line is line i under the tab bar: exactly the width, cached.
	line(i int) string

	// onKey handles the view's own keys (live only while it is active);
	// ok is false when the key is not one of them and the root goes on.
	onKey(msg tea.KeyMsg) (cmd tea.Cmd, ok bool)
	// move moves the cursor by delta rows (clamped).
	move(delta int)
	// rowAt maps a line under the tab bar to a row index; ok is false off
	// the rows.
	rowAt(line int) (row int, ok bool)
	// cursorRow is the row index of the cursor (what rowAt returns for it).
	cursorRow() int
	// selectedSymbol is the raw symbol under the cursor, listed by the
	// market or not; "" when none.
	selectedSymbol() string
	// selectedToken is the market's token under the cursor, or nil (none,
	// or a symbol the market does not list).
	selectedToken() *model.TokenView
}

// sorter is a view whose rows the sort keys order.
type sorter interface {
	cycleSort(step int)
	reverse()
}

// host is what a view may ask of the root: the status line, the y/n
// question, forms, and changes to the user's records. *app is the only
// one.
type host interface {
	say(msg string, dir int, mark string)
	refuse(err error)
	ask(question string, yes func() (tea.Cmd, error))
	openForm(f *form)
	sendChange(c change) (tea.Cmd, error)
	now() time.Time
}

var _ host = (*app)(nil)

// view is the index of a top-level view in app.views; the ids the root
// names itself (the search box's Markets, the m key's Moonshots) and the
// tests use are below, in tab order.
type view uint8

const (
	viewMarkets view = iota
	viewWatch
	viewPortfolio
	viewMoonshots
	viewPast
	viewAlerts
)

// newViews is the list of views, in tab order: the one place that names
// them all.
func (a *app) newViews() []tabView {
	return []tabView{
		viewMarkets:   a.markets,
		viewWatch:     a.watch,
		viewPortfolio: a.port,
		viewMoonshots: a.moon,
		viewPast:      a.past,
		viewAlerts:    a.alerts,
	}
}

// setViews makes vs the list of views, the first one active.
func (a *app) setViews(vs []tabView) {
	a.views, a.view = vs, 0
	n := len(vs)
	a.tabEnds, a.tabCounts, a.counts, a.tabLabels = make([]int, n), make([]int, n), make([]int, n), make([]string, n)
	a.tabBar = ""
	a.ctx.keys.setView(a.active())
	if a.sized && !a.tooSmall {
		a.layout()
		a.refreshChrome()
	}
}

// active is the active view.
func (a *app) active() tabView { return a.views[a.view] }

package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key the dashboard answers to. One is made per program by
// NewKeyMap, so a session can be rebound without touching another.
type KeyMap struct {
	Up, Down, Top, Bottom        key.Binding
	HalfDown, HalfUp             key.Binding
	PageDown, PageUp             key.Binding
	Open, Close, Focus           key.Binding
	Search, Sort, SortBack       key.Binding
	Reverse                      key.Binding
	Timeframe1h, Timeframe24h    key.Binding
	Timeframe7d, Timeframe30d    key.Binding
	TimeframePrev, TimeframeNext key.Binding
	ChartMode, Factors           key.Binding
	NextView, PrevView           key.Binding
	Moonshots                    key.Binding
	Help, Quit                   key.Binding

	// Your data: the watchlists, the portfolio and the alerts.
	Star                            key.Binding // watch / unwatch the selected token
	ListPrev, ListNext              key.Binding // Watch view: switch lists
	ListNew, ListRename, ListDelete key.Binding // Watch view
	AddLot, AddAlert                key.Binding // any view, for the selected token
	Edit, Delete                    key.Binding // Portfolio and Alerts views
	Toggle                          key.Binding // Alerts view: enable / disable
	HideBalances                    key.Binding
	ConfirmYes, ConfirmNo           key.Binding // the y/n question
	FormNext, FormPrev, FormSave    key.Binding // an open form (the form reads the keys itself)
	FormCancel                      key.Binding
	ListSwitch                      key.Binding // labels "</>" in the help

	// Timeframes and Sorting only label the one-line help ("1-4",
	// "s/S"); the bindings above are what match.
	Timeframes, Sorting key.Binding
	// Search box keys.
	SearchAccept, SearchClear key.Binding

	view view // the active view: which keys are live and how they read
}

// NewKeyMap returns the default bindings.
func NewKeyMap() KeyMap {
	b := key.NewBinding
	k, h := key.WithKeys, key.WithHelp
	return KeyMap{
		Up:            b(k("up", "k"), h("↑/k", "up")),
		Down:          b(k("down", "j"), h("↓/j", "down")),
		Top:           b(k("g", "home"), h("g/home", "top")),
		Bottom:        b(k("G", "end"), h("G/end", "bottom")),
		HalfDown:      b(k("ctrl+d"), h("ctrl+d", "half page down")),
		HalfUp:        b(k("ctrl+u"), h("ctrl+u", "half page up")),
		PageDown:      b(k("pgdown"), h("pgdn", "page down")),
		PageUp:        b(k("pgup"), h("pgup", "page up")),
		Open:          b(k("enter", "l"), h("enter/l", "detail")),
		Close:         b(k("esc", "h"), h("esc/h", "close")),
		Focus:         b(k("w"), h("w", "switch pane")),
		Factors:       b(k("f"), h("f", "chart/ratings")),
		NextView:      b(k("tab"), h("tab", "next view")),
		PrevView:      b(k("shift+tab"), h("shift+tab", "previous view")),
		Moonshots:     b(k("m"), h("m", "moonshots")),
		Search:        b(k("/"), h("/", "search")),
		Sort:          b(k("s"), h("s", "sort by next")),
		SortBack:      b(k("S"), h("S", "sort by previous")),
		Reverse:       b(k("r"), h("r", "reverse")),
		Timeframe1h:   b(k("1"), h("1", "1h chart")),
		Timeframe24h:  b(k("2"), h("2", "24h chart")),
		Timeframe7d:   b(k("3"), h("3", "7d chart")),
		Timeframe30d:  b(k("4"), h("4", "30d chart")),
		TimeframePrev: b(k("["), h("[", "shorter chart")),
		TimeframeNext: b(k("]"), h("]", "longer chart")),
		ChartMode:     b(k("c"), h("c", "line/candles")),
		Help:          b(k("?"), h("?", "help")),
		Quit:          b(k("q", "ctrl+c"), h("q", "quit")),

		Star:         b(k("*"), h("*", "watch/unwatch")),
		ListPrev:     b(k("<"), h("<", "previous list")),
		ListNext:     b(k(">"), h(">", "next list")),
		ListSwitch:   b(k("<", ">"), h("</>", "switch list")),
		ListNew:      b(k("n"), h("n", "new list")),
		ListRename:   b(k("R"), h("R", "rename list")),
		ListDelete:   b(k("X"), h("X", "delete list")),
		AddLot:       b(k("a"), h("a", "add lot")),
		AddAlert:     b(k("A"), h("A", "add alert")),
		Edit:         b(k("e"), h("e", "edit lot/alert")),
		Delete:       b(k("x"), h("x", "delete lot/alert")),
		Toggle:       b(k(" "), h("space", "alert on/off")),
		HideBalances: b(k("b"), h("b", "hide balances")),
		ConfirmYes:   b(k("y", "Y"), h("y", "yes")),
		ConfirmNo:    b(k("n", "esc"), h("n/esc", "no")),
		FormNext:     b(k("enter", "tab"), h("enter/tab", "next field")),
		FormPrev:     b(k("shift+tab", "up"), h("shift+tab", "previous field")),
		FormSave:     b(k("ctrl+s"), h("ctrl+s", "save")),
		FormCancel:   b(k("esc"), h("esc", "cancel (kept as a draft)")),

		Timeframes:   b(k("1", "2", "3", "4"), h("1-4", "timeframe")),
		Sorting:      b(k("s", "S"), h("s/S", "sort")),
		SearchAccept: b(k("enter"), h("enter", "keep filter")),
		SearchClear:  b(k("esc"), h("esc", "clear filter")),
	}
}

// setDetail enables the detail pane's keys only while it is open, so they
// neither match nor show in the help when it is closed.
func (k *KeyMap) setDetail(open bool) {
	for _, b := range []*key.Binding{
		&k.Close, &k.Focus, &k.Timeframe1h, &k.Timeframe24h, &k.Timeframe7d,
		&k.Timeframe30d, &k.TimeframePrev, &k.TimeframeNext, &k.ChartMode, &k.Timeframes,
		&k.Factors,
	} {
		b.SetEnabled(open)
	}
}

// setView enables the keys of the active view and labels them for it: the
// moonshot views sort their own columns, e and x edit and delete a lot in
// the Portfolio view and an alert in the Alerts view.
func (k *KeyMap) setView(v view) {
	k.view = v
	switch v {
	case viewMoonshots, viewPast:
		k.Sorting.SetHelp("s/S", "sort picks")
	default:
		k.Sorting.SetHelp("s/S", "sort")
	}
	watch := v == viewWatch
	for _, b := range []*key.Binding{&k.ListPrev, &k.ListNext, &k.ListSwitch, &k.ListNew, &k.ListRename, &k.ListDelete} {
		b.SetEnabled(watch)
	}
	k.Star.SetEnabled(v == viewMarkets || v == viewWatch || v == viewMoonshots || v == viewPast)
	k.Edit.SetEnabled(v == viewPortfolio || v == viewAlerts)
	k.Delete.SetEnabled(v == viewPortfolio || v == viewAlerts)
	k.Toggle.SetEnabled(v == viewAlerts)
	switch v {
	case viewPortfolio:
		k.Edit.SetHelp("e", "edit lot")
		k.Delete.SetHelp("x", "delete lot")
	case viewAlerts:
		k.Edit.SetHelp("e", "edit alert")
		k.Delete.SetHelp("x", "delete alert")
	}
	if v == viewWatch {
		k.Star.SetHelp("*", "unwatch")
	} else {
		k.Star.SetHelp("*", "watch/unwatch")
	}
}

// allEnabled is the map with every key live and generic labels, for the
// help page, which lists every key whatever the view.
func (k KeyMap) allEnabled() KeyMap {
	k.setDetail(true)
	k.setView(viewMarkets)
	for _, b := range []*key.Binding{&k.ListPrev, &k.ListNext, &k.ListSwitch, &k.ListNew, &k.ListRename,
		&k.ListDelete, &k.Edit, &k.Delete, &k.Toggle} {
		b.SetEnabled(true)
	}
	return k
}

// ShortHelp is the one-line help under the view: the active view's own
// keys first, then the common ones. Keys of a closed pane are disabled and
// left out.
func (k KeyMap) ShortHelp() []key.Binding {
	detail := []key.Binding{k.Open, k.Close, k.Factors, k.Focus, k.Timeframes, k.ChartMode}
	var out []key.Binding
	switch k.view {
	case viewWatch:
		out = append(detail, k.ListSwitch, k.Star, k.ListNew, k.ListRename, k.ListDelete, k.NextView,
			k.AddLot, k.AddAlert, k.Sorting, k.Reverse)
	case viewPortfolio:
		out = append(detail, k.AddLot, k.Edit, k.Delete, k.HideBalances, k.NextView, k.AddAlert)
	case viewAlerts:
		out = append(detail, k.AddAlert, k.Edit, k.Delete, k.Toggle, k.NextView)
	default:
		out = append(detail, k.NextView, k.Search, k.Star, k.AddLot, k.AddAlert, k.Sorting, k.Reverse)
	}
	return append(out, k.Help, k.Quit, k.Moonshots, k.HideBalances, k.Up, k.Down)
}

// FullHelp is the help page, one column per group; the last is "Your
// data" (helpGroupTitles names them).
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.HalfDown, k.HalfUp, k.PageDown, k.PageUp},
		{k.Open, k.Close, k.Focus, k.Factors, k.Timeframes, k.TimeframePrev, k.TimeframeNext, k.ChartMode},
		{k.NextView, k.PrevView, k.Moonshots, k.Search, k.Sort, k.SortBack, k.Reverse, k.Help, k.Quit},
		{k.Star, k.ListSwitch, k.ListNew, k.ListRename, k.ListDelete, k.HideBalances},
		{k.AddLot, k.AddAlert, k.Edit, k.Delete, k.Toggle},
	}
}

// helpGroupTitles name FullHelp's groups on the help page; "Your data"
// spans its two columns.
func helpGroupTitles() []string {
	return []string{"Move", "Detail pane", "Views", "Your data", "Your data"}
}

// FormHelp is the one-line help while a form is open.
func (k KeyMap) FormHelp() []key.Binding {
	return []key.Binding{k.FormNext, k.FormPrev, k.FormSave, k.FormCancel}
}

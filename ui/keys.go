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

	// Timeframes and Sorting only label the one-line help ("1-4",
	// "s/S"); the bindings above are what match.
	Timeframes, Sorting key.Binding
	// Search box keys.
	SearchAccept, SearchClear key.Binding
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
		Sort:          b(k("s"), h("s", "next sort column")),
		SortBack:      b(k("S"), h("S", "previous sort column")),
		Reverse:       b(k("r"), h("r", "reverse")),
		Timeframe1h:   b(k("1"), h("1", "1h chart")),
		Timeframe24h:  b(k("2"), h("2", "24h chart")),
		Timeframe7d:   b(k("3"), h("3", "7d chart")),
		Timeframe30d:  b(k("4"), h("4", "30d chart")),
		TimeframePrev: b(k("["), h("[", "shorter timeframe")),
		TimeframeNext: b(k("]"), h("]", "longer timeframe")),
		ChartMode:     b(k("c"), h("c", "line/candles")),
		Help:          b(k("?"), h("?", "help")),
		Quit:          b(k("q", "ctrl+c"), h("q", "quit")),
		Timeframes:    b(k("1", "2", "3", "4"), h("1-4", "timeframe")),
		Sorting:       b(k("s", "S"), h("s/S", "sort")),
		SearchAccept:  b(k("enter"), h("enter", "keep filter")),
		SearchClear:   b(k("esc"), h("esc", "clear filter")),
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

// setView labels the sort keys for the active view: the moonshot views sort
// their own columns.
func (k *KeyMap) setView(v view) {
	switch v {
	case viewMoonshots, viewPast:
		k.Sorting.SetHelp("s/S", "sort picks")
	default:
		k.Sorting.SetHelp("s/S", "sort")
	}
}

// ShortHelp is the one-line help under the table.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{
		k.Open, k.Close, k.Factors, k.Focus, k.Timeframes, k.ChartMode, k.NextView,
		k.Search, k.Sorting, k.Reverse, k.Help, k.Quit, k.Moonshots, k.Up, k.Down,
	}
}

// FullHelp is the help page, one column per group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.HalfDown, k.HalfUp, k.PageDown, k.PageUp},
		{k.Open, k.Close, k.Focus, k.Factors, k.Timeframes, k.TimeframePrev, k.TimeframeNext, k.ChartMode},
		{k.NextView, k.PrevView, k.Moonshots, k.Search, k.Sort, k.SortBack, k.Reverse, k.Help, k.Quit},
	}
}

package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/tokentop/tokentop/ui/keymap"
)

// KeyMap is every key the dashboard answers to. One is made per program by
// NewKeyMap from the bindings in effect (the config's [keys] over the
// defaults, ui/keymap), so a session can be rebound without touching
// another, and the help line, the help page and the README all read the
// same bindings.
//
// bubbles/key fits: a Binding carries its keys and its help words, Matches
// compares with tea.KeyMsg.String() (the names keymap checks against), and
// bubbles/help lays out ShortHelp and FullHelp; disabled bindings (a closed
// pane's, another view's, an unbound action's) neither match nor show.
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
	Trade                        key.Binding // open the token's market on its exchange

	// Your data: the watchlists, the portfolio and the alerts.
	Star                            key.Binding // watch / unwatch the selected token
	ListPrev, ListNext              key.Binding // Watch view: switch lists
	ListNew, ListRename, ListDelete key.Binding // Watch view
	AddLot, AddAlert                key.Binding // any view, for the selected token
	Edit, Delete                    key.Binding // Portfolio and Alerts views
	Toggle                          key.Binding // Alerts view: enable / disable
	HideBalances                    key.Binding
	// The y/n question, forms and the search box keep their own keys
	// (text entry); these only label them.
	ConfirmYes, ConfirmNo        key.Binding
	FormNext, FormPrev, FormSave key.Binding
	FormCancel                   key.Binding
	SearchAccept, SearchClear    key.Binding

	// Timeframes, Sorting and ListSwitch label several bindings at once in
	// the help ("1-4", "s/S", "</>") when each of those has one key;
	// otherwise they are disabled and the help lists the bindings one by
	// one (compact says which).
	Timeframes, Sorting, ListSwitch key.Binding
	compactTimeframes               bool
	compactSorting, compactLists    bool

	// viewHints are the active view's part of the help line (setView).
	viewHints []key.Binding
}

// NewKeyMap returns the bindings of b over the defaults (nil: the
// defaults). Unknown actions and key names in b are left out: the config
// reports them before this.
func NewKeyMap(b keymap.Bindings) KeyMap {
	r := keymap.Resolve(b)
	bind := func(name string) key.Binding {
		a, ok := keymap.Lookup(name)
		if !ok {
			panic("ui: no action " + name) // a typo here, caught by every test
		}
		keys := r[name]
		teaKeys := make([]string, len(keys))
		for i, k := range keys {
			teaKeys[i] = keymap.Tea(k)
		}
		if len(teaKeys) == 0 {
			teaKeys = nil // no keys: disabled, never matches or shows
		}
		return key.NewBinding(key.WithKeys(teaKeys...), key.WithHelp(keymap.Labels(keys), a.Help))
	}
	b2, k, h := key.NewBinding, key.WithKeys, key.WithHelp
	m := KeyMap{
		Up:            bind("up"),
		Down:          bind("down"),
		Top:           bind("top"),
		Bottom:        bind("bottom"),
		HalfDown:      bind("half_page_down"),
		HalfUp:        bind("half_page_up"),
		PageDown:      bind("page_down"),
		PageUp:        bind("page_up"),
		Open:          bind("detail"),
		Close:         bind("close"),
		Focus:         bind("switch_pane"),
		Factors:       bind("ratings_page"),
		NextView:      bind("next_view"),
		PrevView:      bind("previous_view"),
		Moonshots:     bind("moonshots"),
		Search:        bind("search"),
		Sort:          bind("sort_next"),
		SortBack:      bind("sort_previous"),
		Reverse:       bind("reverse"),
		Timeframe1h:   bind("chart_1h"),
		Timeframe24h:  bind("chart_24h"),
		Timeframe7d:   bind("chart_7d"),
		Timeframe30d:  bind("chart_30d"),
		TimeframePrev: bind("chart_shorter"),
		TimeframeNext: bind("chart_longer"),
		ChartMode:     bind("chart_mode"),
		Trade:         bind("trade"),
		Help:          bind("help"),
		Quit:          bind("quit"),

		Star:         bind("watch"),
		ListPrev:     bind("previous_list"),
		ListNext:     bind("next_list"),
		ListNew:      bind("new_list"),
		ListRename:   bind("rename_list"),
		ListDelete:   bind("delete_list"),
		AddLot:       bind("add_lot"),
		AddAlert:     bind("add_alert"),
		Edit:         bind("edit"),
		Delete:       bind("delete"),
		Toggle:       bind("alert_on_off"),
		HideBalances: bind("hide_balances"),

		ConfirmYes:   b2(k("y", "Y"), h("y", "yes")),
		ConfirmNo:    b2(k("n", "esc"), h("n/esc", "no")),
		FormNext:     b2(k("enter", "tab"), h("enter/tab", "next field")),
		FormPrev:     b2(k("shift+tab", "up"), h("shift+tab", "previous field")),
		FormSave:     b2(k("ctrl+s"), h("ctrl+s", "save")),
		FormCancel:   b2(k("esc"), h("esc", "cancel (kept as a draft)")),
		SearchAccept: b2(k("enter"), h("enter", "keep filter")),
		SearchClear:  b2(k("esc"), h("esc", "clear filter")),
	}
	var ok bool
	m.Timeframes, ok = combine("timeframe", m.Timeframe1h, m.Timeframe24h, m.Timeframe7d, m.Timeframe30d)
	m.compactTimeframes = ok
	m.Sorting, m.compactSorting = combine("sort", m.Sort, m.SortBack)
	m.ListSwitch, m.compactLists = combine("switch list", m.ListPrev, m.ListNext)
	return m
}

// combine is one help entry for several bindings of one key each: their
// keys joined by "/", or "1-4" for a run of digits. ok is false (and the
// binding disabled) when one of them has no key or more than one.
func combine(desc string, bs ...key.Binding) (b key.Binding, ok bool) {
	var keys, labels []string
	for _, x := range bs {
		if len(x.Keys()) != 1 {
			return key.NewBinding(key.WithHelp("", desc)), false
		}
		keys = append(keys, x.Keys()[0])
		labels = append(labels, x.Help().Key)
	}
	label := strings.Join(labels, "/")
	if len(keys) > 2 && isDigitRun(keys) {
		label = keys[0] + "-" + keys[len(keys)-1]
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, desc)), true
}

// isDigitRun reports whether keys are consecutive digits: "1", "2", "3".
func isDigitRun(keys []string) bool {
	for i, k := range keys {
		if len(k) != 1 || k[0] < '0' || k[0] > '9' || i > 0 && k[0] != keys[i-1][0]+1 {
			return false
		}
	}
	return true
}

// relabel changes what b's help says it does, keeping its keys' label.
func relabel(b *key.Binding, desc string) { b.SetHelp(b.Help().Key, desc) }

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

// setView makes v the active view for the keys: the actions ui/keymap
// scopes to some views are live only where keymap says they are (in
// v.keyView()), every label goes back to its own words, and v labels its
// keys for itself and gives its part of the help line (hints).
func (k *KeyMap) setView(v tabView) {
	kv := v.keyView()
	for _, s := range scopedKeys {
		s.binding(k).SetEnabled(s.views&kv != 0)
	}
	k.ListSwitch.SetEnabled(k.ListPrev.Enabled() || k.ListNext.Enabled())
	k.resetLabels()
	k.viewHints = v.hints(k)
}

// scopedKey is a binding whose action ui/keymap makes live in some views
// only (watch, the list keys, edit, delete, alert on/off).
type scopedKey struct {
	binding func(*KeyMap) *key.Binding
	views   keymap.View
}

// scopedKeys are read from ui/keymap, so a view's keys are where keymap
// (and the README, and the config's clash check) say they are.
var scopedKeys = func() []scopedKey {
	fields := map[string]func(*KeyMap) *key.Binding{
		"watch":         func(k *KeyMap) *key.Binding { return &k.Star },
		"previous_list": func(k *KeyMap) *key.Binding { return &k.ListPrev },
		"next_list":     func(k *KeyMap) *key.Binding { return &k.ListNext },
		"new_list":      func(k *KeyMap) *key.Binding { return &k.ListNew },
		"rename_list":   func(k *KeyMap) *key.Binding { return &k.ListRename },
		"delete_list":   func(k *KeyMap) *key.Binding { return &k.ListDelete },
		"edit":          func(k *KeyMap) *key.Binding { return &k.Edit },
		"delete":        func(k *KeyMap) *key.Binding { return &k.Delete },
		"alert_on_off":  func(k *KeyMap) *key.Binding { return &k.Toggle },
	}
	var out []scopedKey
	for _, a := range keymap.Actions() {
		if a.Views == keymap.AllViews {
			continue
		}
		f, ok := fields[a.Name]
		if !ok {
			panic("ui: keymap scopes " + a.Name + " to some views; give it a binding in scopedKeys")
		}
		out = append(out, scopedKey{f, a.Views})
	}
	return out
}()

// resetLabels gives the bindings a view may relabel their own words back.
func (k *KeyMap) resetLabels() {
	relabel(&k.Sorting, "sort")
	for _, s := range []struct {
		b    *key.Binding
		name string
	}{{&k.Star, "watch"}, {&k.Edit, "edit"}, {&k.Delete, "delete"}} {
		a, _ := keymap.Lookup(s.name)
		relabel(s.b, a.Help)
	}
}

// allEnabled is the map with every key live and generic labels, for the
// help page, which lists every key whatever the view.
func (k KeyMap) allEnabled() KeyMap {
	k.setDetail(true)
	for _, s := range scopedKeys {
		s.binding(&k).SetEnabled(true)
	}
	k.ListSwitch.SetEnabled(true)
	k.resetLabels()
	return k
}

// timeframes is the help's entry for the four timeframe keys: "1-4", or
// the four one by one when they do not fit one label.
func (k KeyMap) timeframes() []key.Binding {
	if k.compactTimeframes {
		return []key.Binding{k.Timeframes}
	}
	return []key.Binding{k.Timeframe1h, k.Timeframe24h, k.Timeframe7d, k.Timeframe30d}
}

// sorting is "s/S sort", or the two keys one by one.
func (k KeyMap) sorting() []key.Binding {
	if k.compactSorting {
		return []key.Binding{k.Sorting}
	}
	return []key.Binding{k.Sort, k.SortBack}
}

// lists is "</> switch list", or the two keys one by one.
func (k KeyMap) lists() []key.Binding {
	if k.compactLists {
		return []key.Binding{k.ListSwitch}
	}
	return []key.Binding{k.ListPrev, k.ListNext}
}

// ShortHelp is the one-line help under the view: the detail pane's keys,
// the active view's own (its hints), then the common ones. Keys of a
// closed pane are disabled and left out.
func (k KeyMap) ShortHelp() []key.Binding {
	out := []key.Binding{k.Open, k.Trade, k.Close, k.Factors, k.Focus}
	out = append(out, k.timeframes()...)
	out = append(out, k.ChartMode)
	out = append(out, k.viewHints...)
	return append(out, k.Help, k.Quit, k.Moonshots, k.HideBalances, k.Up, k.Down)
}

// tableHints is the help of a view that lists tokens or picks (Markets,
// Moonshots, Past): switch views, search, watch, add, sort.
func (k *KeyMap) tableHints() []key.Binding {
	out := []key.Binding{k.NextView, k.Search, k.Star, k.AddLot, k.AddAlert}
	out = append(out, k.sorting()...)
	return append(out, k.Reverse)
}

// FullHelp is the help page, one column per group; the last is "Your
// data" (helpGroupTitles names them). Every action of ui/keymap is in it
// (TestHelpListsEveryAction).
func (k KeyMap) FullHelp() [][]key.Binding {
	detail := []key.Binding{k.Open, k.Close, k.Focus, k.Factors}
	detail = append(detail, k.timeframes()...)
	detail = append(detail, k.TimeframePrev, k.TimeframeNext, k.ChartMode, k.Trade)
	data := append([]key.Binding{k.Star}, k.lists()...)
	data = append(data, k.ListNew, k.ListRename, k.ListDelete, k.HideBalances)
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.HalfDown, k.HalfUp, k.PageDown, k.PageUp},
		detail,
		{k.NextView, k.PrevView, k.Moonshots, k.Search, k.Sort, k.SortBack, k.Reverse, k.Help, k.Quit},
		data,
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

// firstKey is how the help shows b's first key ("A", "space", "↓"); ""
// when b has none.
func firstKey(b key.Binding) string {
	if len(b.Keys()) == 0 {
		return ""
	}
	k := b.Keys()[0]
	switch k {
	case " ":
		k = "space"
	case "alt+ ":
		k = "alt+space"
	}
	return keymap.Label(k)
}

// pressHint is "press A" for a hint in the screen's own words, or, when the
// action has no key, where to give it one.
func pressHint(b key.Binding, action string) string {
	if k := firstKey(b); k != "" {
		return "press " + k
	}
	return "give " + action + " a key in [keys]"
}

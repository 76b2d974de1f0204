// Package keymap names every action of the dashboard that a key can be
// bound to, with its default keys, the views where it is live and the
// words the help uses for it. The config's [keys] table is checked against
// it (config), the dashboard builds its bubbles/key bindings from it (ui),
// and the README's key table is generated from it, so the three never
// disagree.
//
// Keys are named as Bubble Tea v1 names them ("j", "G", "ctrl+d", "down",
// "pgdown", "shift+tab", "alt+x"), except the space bar, which is "space"
// here (Bubble Tea calls it " ").
package keymap

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
)

// View is one of the dashboard's top-level views, as a bit, so an action
// can be live in several.
type View uint8

// The views, in tab order.
const (
	Markets View = 1 << iota
	Watch
	Portfolio
	Moonshots
	Past
	Alerts

	AllViews = Markets | Watch | Portfolio | Moonshots | Past | Alerts
)

var viewNames = []struct {
	v    View
	name string
}{{Markets, "Markets"}, {Watch, "Watch"}, {Portfolio, "Portfolio"}, {Moonshots, "Moonshots"}, {Past, "Past"}, {Alerts, "Alerts"}}

// String names the views in v: "Portfolio and Alerts", "every view".
func (v View) String() string {
	if v&AllViews == AllViews {
		return "every view"
	}
	var names []string
	for _, n := range viewNames {
		if v&n.v != 0 {
			names = append(names, n.name)
		}
	}
	switch len(names) {
	case 0:
		return "no view"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Action is one thing a key does.
type Action struct {
	Name  string   // the [keys] setting: "down", "sort_next"
	Keys  []string // default keys, in the order the help shows them
	Help  string   // what the help line and page say: "down", "sort by next"
	What  string   // the README's longer words for it
	Group string   // the help page's column: "Move", "Detail pane", "Views", "Your data"
	// Views are where the action is live; two actions live in a common
	// view cannot share a key. Detail-pane keys are live in every view
	// while the pane is open.
	Views View
}

// Groups are the help page's groups, in order.
var Groups = []string{"Move", "Detail pane", "Views", "Your data"}

// actions is every action, in the order of the help page and the README.
var actions = []Action{
	{Name: "up", Keys: []string{"up", "k"}, Help: "up", What: "move the cursor up (in the detail pane: scroll)", Group: "Move"},
	{Name: "down", Keys: []string{"down", "j"}, Help: "down", What: "move the cursor down (in the detail pane: scroll)", Group: "Move"},
	{Name: "top", Keys: []string{"g", "home"}, Help: "top", What: "first row", Group: "Move"},
	{Name: "bottom", Keys: []string{"G", "end"}, Help: "bottom", What: "last row", Group: "Move"},
	{Name: "half_page_down", Keys: []string{"ctrl+d"}, Help: "half page down", What: "half a page down", Group: "Move"},
	{Name: "half_page_up", Keys: []string{"ctrl+u"}, Help: "half page up", What: "half a page up", Group: "Move"},
	{Name: "page_down", Keys: []string{"pgdown"}, Help: "page down", What: "a page down", Group: "Move"},
	{Name: "page_up", Keys: []string{"pgup"}, Help: "page up", What: "a page up", Group: "Move"},

	{Name: "detail", Keys: []string{"enter", "l"}, Help: "detail", What: "open the selected token's detail pane (when open: move the focus to it)", Group: "Detail pane"},
	{Name: "close", Keys: []string{"esc", "h"}, Help: "close", What: "close the detail pane", Group: "Detail pane"},
	{Name: "switch_pane", Keys: []string{"w"}, Help: "switch pane", What: "move the focus between the table and the detail pane beside it (the arrows then scroll the trades)", Group: "Detail pane"},
	{Name: "ratings_page", Keys: []string{"f"}, Help: "chart/ratings", What: "in the detail pane: the chart, or the ratings page (each grade's factors, the signal history)", Group: "Detail pane"},
	{Name: "chart_1h", Keys: []string{"1"}, Help: "1h chart", What: "chart timeframe 1h", Group: "Detail pane"},
	{Name: "chart_24h", Keys: []string{"2"}, Help: "24h chart", What: "chart timeframe 24h", Group: "Detail pane"},
	{Name: "chart_7d", Keys: []string{"3"}, Help: "7d chart", What: "chart timeframe 7d", Group: "Detail pane"},
	{Name: "chart_30d", Keys: []string{"4"}, Help: "30d chart", What: "chart timeframe 30d", Group: "Detail pane"},
	{Name: "chart_shorter", Keys: []string{"["}, Help: "shorter chart", What: "a shorter chart timeframe", Group: "Detail pane"},
	{Name: "chart_longer", Keys: []string{"]"}, Help: "longer chart", What: "a longer chart timeframe", Group: "Detail pane"},
	{Name: "chart_mode", Keys: []string{"c"}, Help: "line/candles", What: "line or candle chart", Group: "Detail pane"},
	{Name: "trade", Keys: []string{"o"}, Help: "trade", What: "open the selected token's spot market on the exchange it is streamed from, in the browser; without one (over SSH), the detail pane shows the link", Group: "Detail pane"},

	{Name: "next_view", Keys: []string{"tab"}, Help: "next view", What: "next view: Markets, Watch, Portfolio, Moonshots, Past, Alerts (or click a tab)", Group: "Views"},
	{Name: "previous_view", Keys: []string{"shift+tab"}, Help: "previous view", What: "previous view", Group: "Views"},
	{Name: "moonshots", Keys: []string{"m"}, Help: "moonshots", What: "the Moonshots view, and back", Group: "Views"},
	{Name: "search", Keys: []string{"/"}, Help: "search", What: "search by symbol or name; the table filters as you type; `enter` keeps the filter, `esc` clears it", Group: "Views"},
	{Name: "sort_next", Keys: []string{"s"}, Help: "sort by next", What: "sort by the next column (rank, symbol, name, price, 1h, 24h, 7d, volume, market cap, trader grade, investor grade, signal; in Moonshots: entry, ROI, peak ROI, grade, symbol)", Group: "Views"},
	{Name: "sort_previous", Keys: []string{"S"}, Help: "sort by previous", What: "sort by the previous column", Group: "Views"},
	{Name: "reverse", Keys: []string{"r"}, Help: "reverse", What: "reverse the sort", Group: "Views"},
	{Name: "help", Keys: []string{"?"}, Help: "help", What: "all keys and what the markers mean", Group: "Views"},
	{Name: "quit", Keys: []string{"q"}, Help: "quit", What: "quit (`ctrl+c` always quits too)", Group: "Views"},

	{Name: "watch", Keys: []string{"*"}, Help: "watch/unwatch", What: "watch / unwatch the selected token (in the active watchlist)", Group: "Your data", Views: Markets | Watch | Moonshots | Past},
	{Name: "previous_list", Keys: []string{"<"}, Help: "previous list", What: "in Watch: the previous watchlist", Group: "Your data", Views: Watch},
	{Name: "next_list", Keys: []string{">"}, Help: "next list", What: "in Watch: the next watchlist", Group: "Your data", Views: Watch},
	{Name: "new_list", Keys: []string{"n"}, Help: "new list", What: "in Watch: a new watchlist", Group: "Your data", Views: Watch},
	{Name: "rename_list", Keys: []string{"R"}, Help: "rename list", What: "in Watch: rename the watchlist", Group: "Your data", Views: Watch},
	{Name: "delete_list", Keys: []string{"X"}, Help: "delete list", What: "in Watch: delete the watchlist (asks y/n)", Group: "Your data", Views: Watch},
	{Name: "hide_balances", Keys: []string{"b"}, Help: "hide balances", What: "hide / show balances (quantities, costs, values, P&L amounts; percentages stay)", Group: "Your data"},
	{Name: "add_lot", Keys: []string{"a"}, Help: "add lot", What: "add a portfolio lot for the selected token (a form: quantity, cost per unit, date, note)", Group: "Your data"},
	{Name: "add_alert", Keys: []string{"A"}, Help: "add alert", What: "add an alert for the selected token (a form: kind, level or move and window, once or repeat, cooldown)", Group: "Your data"},
	{Name: "edit", Keys: []string{"e"}, Help: "edit lot/alert", What: "in Portfolio / Alerts: edit the selected lot or alert", Group: "Your data", Views: Portfolio | Alerts},
	{Name: "delete", Keys: []string{"x"}, Help: "delete lot/alert", What: "in Portfolio / Alerts: delete the selected lot or alert (asks y/n)", Group: "Your data", Views: Portfolio | Alerts},
	{Name: "alert_on_off", Keys: []string{"space"}, Help: "alert on/off", What: "in Alerts: turn the alert off / on (re-arms one that fired)", Group: "Your data", Views: Alerts},
}

func init() {
	for i := range actions {
		if actions[i].Views == 0 {
			actions[i].Views = AllViews
		}
	}
}

// Actions returns every action, in help order (a copy: callers may keep it).
func Actions() []Action {
	out := make([]Action, len(actions))
	for i, a := range actions {
		a.Keys = slices.Clone(a.Keys)
		out[i] = a
	}
	return out
}

// Names lists the actions' names, in help order.
func Names() []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = a.Name
	}
	return out
}

// Lookup finds an action by name.
func Lookup(name string) (Action, bool) {
	for _, a := range actions {
		if a.Name == name {
			a.Keys = slices.Clone(a.Keys)
			return a, true
		}
	}
	return Action{}, false
}

// Bindings maps action names to their keys. An action with an empty list
// has no key (it is off); an action left out has its default keys.
type Bindings map[string][]string

// Defaults is every action with its default keys.
func Defaults() Bindings {
	b := make(Bindings, len(actions))
	for _, a := range actions {
		b[a.Name] = slices.Clone(a.Keys)
	}
	return b
}

// Resolve is b over the defaults: every action, with b's keys where b
// names it. Unknown actions and keys in b are left out (check b with
// CheckKeys and Conflict first to report them).
func Resolve(b Bindings) Bindings {
	out := Defaults()
	for name, keys := range b {
		if _, ok := out[name]; !ok {
			continue
		}
		var ok []string
		for _, k := range keys {
			if CheckKey(k) == "" {
				ok = append(ok, k)
			}
		}
		out[name] = ok
	}
	return out
}

// Quit is the key that always quits, whatever [keys] says.
const Quit = "ctrl+c"

// MaxKeys is the most keys one action may have.
const MaxKeys = 8

// named is every key name Bubble Tea v1 gives a key that is not text
// ("down", "ctrl+d", "f5"), read from Bubble Tea itself, less the space
// bar (written "space" here) and ctrl+c (always quits).
var named = func() map[string]bool {
	m := map[string]bool{"space": true}
	for t := tea.KeyType(-200); t < 256; t++ {
		if s := t.String(); s != "" && s != "runes" && s != " " {
			m[s] = true
		}
	}
	delete(m, Quit)
	return m
}()

// CheckKey returns "" when k names a key, else the problem in words: a
// single character ("j", "G", "*"), a named key ("down", "pgdown",
// "ctrl+n", "shift+tab", "f5", "space"), or either after "alt+".
func CheckKey(k string) string {
	base := strings.TrimPrefix(k, "alt+")
	switch {
	case k == Quit:
		return "ctrl+c always quits and cannot be bound"
	case k == "":
		return "a key name cannot be empty"
	case len(k) > 32:
		return "is not a key name (too long)"
	case named[base]:
		return ""
	case utf8.RuneCountInString(base) == 1:
		r, _ := utf8.DecodeRuneInString(base)
		if r == utf8.RuneError || !unicode.IsGraphic(r) || unicode.IsSpace(r) {
			return fmt.Sprintf("is not a key name: %q (a space is \"space\")", base)
		}
		return ""
	case strings.HasPrefix(base, "shift+") && utf8.RuneCountInString(base) == len("shift+")+1:
		return fmt.Sprintf("is not a key name: write the character itself, e.g. %q", strings.ToUpper(base[len("shift+"):]))
	}
	return "is not a key name: one character (\"j\", \"G\", \"?\"), or one of " + namedHint
}

const namedHint = "up, down, left, right, home, end, pgup, pgdown, enter, esc, tab, shift+tab, space, backspace, delete, insert, f1..f20, ctrl+a..ctrl+z (not ctrl+c), optionally after alt+"

// Tea is the name Bubble Tea gives key k (a name CheckKey accepts): the
// same, but " " for "space".
func Tea(k string) string {
	switch k {
	case "space":
		return " "
	case "alt+space":
		return "alt+ "
	}
	return k
}

// Label is how the help shows key k: arrows for the arrow keys, "pgdn"
// for pgdown; other names as they are.
func Label(k string) string {
	switch k {
	case "up":
		return "↑"
	case "down":
		return "↓"
	case "left":
		return "←"
	case "right":
		return "→"
	case "pgdown":
		return "pgdn"
	}
	return k
}

// Labels is the help's label for a list of keys: "↑/k"; "" for none.
func Labels(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = Label(k)
	}
	return strings.Join(parts, "/")
}

// Clash is one key bound to two actions live in a common view.
type Clash struct {
	Key     string
	A, B    string // the two actions, A before B in help order
	InViews View   // where both are live
}

func (c Clash) Error() string {
	return fmt.Sprintf("%s is bound to both %s and %s (both live in %s)", c.Key, c.A, c.B, c.InViews)
}

// Conflicts lists every key that b (resolved: see Resolve) binds to two
// actions live in a common view, ordered by action then key.
func Conflicts(b Bindings) []Clash {
	var out []Clash
	for i, a := range actions {
		for _, o := range actions[i+1:] {
			common := a.Views & o.Views
			if common == 0 {
				continue
			}
			for _, k := range b[a.Name] {
				if slices.Contains(b[o.Name], k) {
					out = append(out, Clash{Key: k, A: a.Name, B: o.Name, InViews: common})
				}
			}
		}
	}
	return out
}

// Table is the README's key table for b (resolved): one row per action,
// its keys in backticks, its [keys] name and what it does. Markdown, with
// a final newline.
func Table(b Bindings) string {
	var sb strings.Builder
	sb.WriteString("| keys | `[keys]` name | what |\n|---|---|---|\n")
	for _, a := range actions {
		keys := b[a.Name]
		cell := "(none)"
		if len(keys) > 0 {
			q := make([]string, len(keys))
			for i, k := range keys {
				q[i] = "`" + k + "`"
			}
			cell = strings.Join(q, " ")
		}
		fmt.Fprintf(&sb, "| %s | `%s` | %s |\n", cell, a.Name, a.What)
	}
	return sb.String()
}

// TOML is the body of config.example.toml's [keys] table for b
// (resolved): every action with its keys, each under a comment saying what
// it does, grouped as the help page groups them.
func TOML(b Bindings) string {
	var sb strings.Builder
	for i, a := range actions {
		if i == 0 || actions[i-1].Group != a.Group {
			if i > 0 {
				sb.WriteString("\n")
			}
			fmt.Fprintf(&sb, "# -- %s --\n", a.Group)
		}
		q := make([]string, len(b[a.Name]))
		for j, k := range b[a.Name] {
			q[j] = fmt.Sprintf("%q", k)
		}
		for _, line := range wrap(strings.ReplaceAll(a.What, "`", "")+".", 76) {
			sb.WriteString("# " + line + "\n")
		}
		fmt.Fprintf(&sb, "%s = [%s]\n", a.Name, strings.Join(q, ", "))
	}
	return sb.String()
}

// wrap breaks text into lines of at most width bytes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(text) {
		if cur != "" && len(cur)+1+len(w) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	return append(lines, cur)
}

// sortedNames is Names sorted, for error messages.
func sortedNames() []string {
	n := Names()
	sort.Strings(n)
	return n
}

// UnknownAction is the problem with an action name that is not one.
func UnknownAction() string {
	return "unknown action ([keys] actions: " + strings.Join(sortedNames(), ", ") + ")"
}

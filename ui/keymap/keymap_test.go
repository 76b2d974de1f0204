package keymap

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func TestDefaultsAreValidAndDoNotClash(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range Actions() {
		if seen[a.Name] {
			t.Errorf("action %s twice", a.Name)
		}
		seen[a.Name] = true
		if a.Help == "" || a.What == "" || a.Views == 0 || len(a.Keys) == 0 {
			t.Errorf("action %+v is missing words, views or keys", a)
		}
		found := false
		for _, g := range Groups {
			found = found || g == a.Group
		}
		if !found {
			t.Errorf("action %s: unknown group %q", a.Name, a.Group)
		}
		for _, k := range a.Keys {
			if p := CheckKey(k); p != "" {
				t.Errorf("action %s: default key %q: %s", a.Name, k, p)
			}
		}
	}
	if c := Conflicts(Defaults()); len(c) > 0 {
		t.Fatalf("the defaults clash: %v", c)
	}
}

func TestCheckKey(t *testing.T) {
	for _, k := range []string{"j", "G", "?", "*", "<", "é", "down", "pgdown", "shift+tab", "ctrl+n", "ctrl+@", "f12",
		"space", "alt+j", "alt+space", "alt+down", "enter", "esc", "tab", "backspace", "delete", "home"} {
		if p := CheckKey(k); p != "" {
			t.Errorf("CheckKey(%q) = %s", k, p)
		}
	}
	for _, k := range []string{"", " ", "jj", "ctrl+c", "ctrl+i", "ctrl+m", "shift+a", "runes", "\x1b", "\t", "alt+",
		"\u200b", "\xff", "f21", "Down", strings.Repeat("a", 40)} {
		if CheckKey(k) == "" {
			t.Errorf("CheckKey(%q) accepted", k)
		}
	}
}

// Bubble Tea names the keys we match: Tea(k) is what tea.KeyMsg.String()
// gives for that key.
func TestTeaNamesMatchBubbleTea(t *testing.T) {
	cases := []struct {
		k   string
		msg tea.KeyMsg
	}{
		{"space", tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}},
		{"alt+space", tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}, Alt: true}},
		{"j", tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'j'}}},
		{"alt+j", tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'j'}, Alt: true}},
		{"down", tea.KeyMsg{Type: tea.KeyDown}},
		{"pgdown", tea.KeyMsg{Type: tea.KeyPgDown}},
		{"ctrl+n", tea.KeyMsg{Type: tea.KeyCtrlN}},
		{"shift+tab", tea.KeyMsg{Type: tea.KeyShiftTab}},
		{"enter", tea.KeyMsg{Type: tea.KeyEnter}},
	}
	for _, c := range cases {
		if got := c.msg.String(); got != Tea(c.k) {
			t.Errorf("Tea(%q) = %q, Bubble Tea says %q", c.k, Tea(c.k), got)
		}
	}
}

func TestConflictsOnlyInCommonViews(t *testing.T) {
	b := Defaults()
	b["edit"] = []string{"n"} // Portfolio, Alerts; n is Watch's new_list
	if c := Conflicts(b); len(c) > 0 {
		t.Fatalf("edit=n clashes: %v", c)
	}
	b["watch"] = []string{"n"} // Markets, Watch, Moonshots, Past: meets new_list in Watch
	c := Conflicts(b)
	if len(c) != 1 || c[0].Key != "n" || c[0].A != "watch" || c[0].B != "new_list" || c[0].InViews != Watch {
		t.Fatalf("Conflicts = %+v", c)
	}
	if got := c[0].Error(); got != "n is bound to both watch and new_list (both live in Watch)" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestResolve(t *testing.T) {
	r := Resolve(Bindings{"down": {"ctrl+n", "bogus", "ctrl+c"}, "nope": {"x"}, "help": nil})
	if strings.Join(r["down"], ",") != "ctrl+n" || len(r["help"]) != 0 || r["nope"] != nil || strings.Join(r["up"], ",") != "up,k" {
		t.Fatalf("Resolve = %v", r)
	}
}

func TestLabelsAndViews(t *testing.T) {
	if got := Labels([]string{"up", "k", "pgdown", "space"}); got != "↑/k/pgdn/space" {
		t.Errorf("Labels = %q", got)
	}
	if got := (Portfolio | Alerts).String(); got != "Portfolio and Alerts" {
		t.Errorf("View.String = %q", got)
	}
	if got := AllViews.String(); got != "every view" {
		t.Errorf("View.String = %q", got)
	}
}

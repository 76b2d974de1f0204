package ui

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/internal/golden"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/ui/keymap"
)

func withKeys(b keymap.Bindings) harnessOpt { return func(o *Options) { o.Keys = b } }

func TestReboundKeysWorkAndShow(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30,
		withKeys(keymap.Bindings{"down": {"ctrl+n", "J"}, "help": {"f1"}, "reverse": {}}))
	hs.put(makeSnapshot(10, 1))
	hs.key("j")
	if hs.selected() != "BTC" {
		t.Fatal("j still moves down after down = [\"ctrl+n\", \"J\"]")
	}
	hs.key("ctrl+n")
	hs.key("J")
	if got := cursorRank(hs) - 1; got != 2 {
		t.Fatalf("ctrl+n and J moved the cursor to %d, want 2", got)
	}
	line := strings.Split(plain(hs), "\n")[28]
	if !strings.Contains(line, "f1 help") || strings.Contains(line, "? help") || strings.Contains(line, "reverse") {
		t.Fatalf("the key hints do not show the bindings in effect: %q", line)
	}
	hs.key("?")
	if helpShown(hs) {
		t.Fatal("? opens the help after help = [\"f1\"]")
	}
	mark := sortMark(hs)
	hs.key("r")
	if sortMark(hs) != mark {
		t.Fatal("r reverses the sort after reverse = []")
	}
	hs.key("f1")
	if !helpShown(hs) {
		t.Fatal("f1 does not open the help")
	}
	page := plain(hs)
	for _, want := range []string{`ctrl\+n/J +down`, `f1 +help`, `f1 or esc closes this page`} {
		if !regexp.MustCompile(want).MatchString(page) {
			t.Errorf("help page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "reverse") {
		t.Errorf("help page shows the unbound reverse:\n%s", page)
	}
	hs.key("f1")
	if helpShown(hs) {
		t.Fatal("f1 does not close the help")
	}
	if !isQuit(hs.key("ctrl+c")) {
		t.Fatal("ctrl+c does not quit")
	}
}

// Every action is on the help page, by its keys: bind each to a key of
// its own and look for every one of them.
func TestHelpListsEveryAction(t *testing.T) {
	b := keymap.Bindings{}
	var unique []string
	for i, name := range keymap.Names() {
		k := fmt.Sprintf("f%d", i+1)
		if i >= 20 {
			k = "alt+" + string(rune('a'+i-20))
		}
		b[name] = []string{k}
		unique = append(unique, k)
	}
	if c := keymap.Conflicts(keymap.Resolve(b)); len(c) > 0 {
		t.Fatal(c)
	}
	hs := newHarness(t, "mono", termenv.Ascii, 200, 60, withKeys(b))
	hs.put(makeSnapshot(10, 1))
	hs.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(strings.TrimPrefix(b["help"][0], "alt+")), Alt: true})
	if !helpShown(hs) {
		t.Fatal("the help key did not open the help")
	}
	page := plain(hs)
	for i, k := range unique {
		if !regexp.MustCompile(`(^|[\s/])` + regexp.QuoteMeta(k) + `([\s/]|$)`).MatchString(page) {
			t.Errorf("help page does not show %s (%s):\n%s", k, keymap.Names()[i], page)
		}
	}
}

// The README's key table is the one generated from the defaults. To
// regenerate it: go test ./ui -run TestREADMEKeys -update
func TestREADMEKeys(t *testing.T) {
	const (
		begin = "<!-- keys: generated from ui/keymap by `go test ./ui -run TestREADMEKeys -update` -->\n"
		end   = "<!-- end of keys -->\n"
	)
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(begin))
	j := bytes.Index(data, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("README.md has no key table between\n%s and\n%s", begin, end)
	}
	want := keymap.Table(keymap.Defaults())
	got := string(data[i+len(begin) : j])
	if got == want {
		return
	}
	if golden.Updating() {
		out := append(append(append([]byte{}, data[:i+len(begin)]...), want...), data[j:]...)
		if err := os.WriteFile("../README.md", out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's key table is not the generated one (go test ./ui -run TestREADMEKeys -update rewrites it); want:\n%s", want)
}

// The keys ui/keymap scopes to some views are live there and nowhere
// else: in any other view they change nothing, open nothing, ask nothing.
func TestScopedKeysOnlyWhereKeymapSays(t *testing.T) {
	d := sampleUser()
	d.Alerts = []model.Alert{{ID: "al-btc", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 90000, Created: t0}}
	views := []string{"Markets", "Watch", "Portfolio", "Moonshots", "Past", "Alerts"}
	for _, a := range keymap.Actions() {
		if a.Views == keymap.AllViews {
			continue
		}
		for i, v := range views {
			if a.Views&(keymap.View(1)<<i) != 0 {
				continue
			}
			hs := newHarness(t, "mono", termenv.Ascii, 140, 30, withUser(d))
			hs.put(makeSnapshot(60, 1))
			for activeTab(hs) != v {
				hs.key("tab")
			}
			before := plain(hs)
			hs.runCmd(hs.key(a.Keys[0]))
			if n := len(hs.user.all()); n != 0 || formTitle(hs) != "" || strings.Contains(helpLine(hs), "y/n") {
				t.Errorf("%s (%s) did something in %s: %d changes, form %q, help %q", a.Name, a.Keys[0], v, n, formTitle(hs), helpLine(hs))
			}
			if after := plain(hs); after != before {
				t.Errorf("%s (%s) changed the %s view:\n%s", a.Name, a.Keys[0], v, after)
			}
		}
	}
}

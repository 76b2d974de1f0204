package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/internal/golden"
	"github.com/tokentop/tokentop/model"
)

func profileFor(theme string) termenv.Profile {
	if theme == "mono" {
		return termenv.Ascii
	}
	return termenv.TrueColor
}

// goldenScreen builds a fixed market (60 tokens, two just ticked, a sort
// and a cursor move), types keys and returns the screen.
func goldenScreen(t *testing.T, theme string, w, h int, keys ...string) string {
	hs := newHarness(t, theme, profileFor(theme), w, h)
	hs.put(makeSnapshot(60, 1))
	hs.put(nextSnapshot(hs.snap, 1, 4))
	hs.key("j")
	for _, k := range keys {
		hs.runCmd(hs.key(k))
	}
	v := hs.m.View()
	checkSize(t, v, w, h)
	return v
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, name, got)
}

func TestGoldenTable(t *testing.T) {
	for _, theme := range []string{"dark", "mono"} {
		for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
			name := fmt.Sprintf("table_%s_%dx%d", theme, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				checkGolden(t, name, goldenScreen(t, theme, sz[0], sz[1]))
			})
		}
	}
}

func TestGoldenDetail(t *testing.T) {
	for _, theme := range []string{"dark", "mono"} {
		for _, sz := range [][2]int{{80, 24}, {200, 60}} {
			name := fmt.Sprintf("detail_%s_%dx%d", theme, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				checkGolden(t, name, goldenScreen(t, theme, sz[0], sz[1], "enter"))
			})
		}
	}
}

// TestGoldenRatings: the detail's ratings page (f), the Moonshots view and
// the Past Moonshots view with the track record.
func TestGoldenRatings(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		size [][2]int
	}{
		{"factors", []string{"enter", "f"}, [][2]int{{120, 40}, {200, 60}}},
		{"moonshots", []string{"m"}, [][2]int{{120, 40}}},
		{"past", []string{"m", "tab"}, [][2]int{{120, 40}}},
	}
	for _, c := range cases {
		for _, theme := range []string{"dark", "mono"} {
			for _, sz := range c.size {
				name := fmt.Sprintf("%s_%s_%dx%d", c.name, theme, sz[0], sz[1])
				t.Run(name, func(t *testing.T) {
					checkGolden(t, name, goldenScreen(t, theme, sz[0], sz[1], c.keys...))
				})
			}
		}
	}
}

// dataScreen is goldenScreen with the sample records (watchlists, lots).
func dataScreen(t *testing.T, theme string, w, h int, keys ...string) string {
	hs := newHarness(t, theme, profileFor(theme), w, h, withUser(sampleUser()))
	hs.put(makeSnapshot(60, 1))
	hs.put(nextSnapshot(hs.snap, 1, 4))
	for _, k := range keys {
		hs.runCmd(hs.key(k))
	}
	v := hs.m.View()
	checkSize(t, v, w, h)
	return v
}

// TestGoldenYourData: the Watch view (with a token the market lacks), the
// Portfolio view (and with balances hidden), the lot form with errors.
func TestGoldenYourData(t *testing.T) {
	lotErr := []string{"j", "a", "a", "b", "c", "tab", "ctrl+u", "-", "5", "ctrl+s"} // quantity "abc", cost "-5"
	cases := []struct {
		name string
		keys []string
		size [][2]int
	}{
		{"watch", []string{"tab", "j"}, [][2]int{{80, 24}, {120, 40}}},
		{"portfolio", []string{"tab", "tab", "j"}, [][2]int{{80, 24}, {120, 40}, {200, 60}}},
		{"portfolio_hidden", []string{"tab", "tab", "b"}, [][2]int{{80, 24}, {120, 40}, {200, 60}}},
		{"lotform_error", lotErr, [][2]int{{80, 24}, {120, 40}}},
	}
	for _, c := range cases {
		for _, theme := range []string{"dark", "mono"} {
			for _, sz := range c.size {
				name := fmt.Sprintf("%s_%s_%dx%d", c.name, theme, sz[0], sz[1])
				t.Run(name, func(t *testing.T) {
					checkGolden(t, name, dataScreen(t, theme, sz[0], sz[1], c.keys...))
				})
			}
		}
	}
}

// TestGoldenHelp: the help page, and at 80x24 every key still on it.
func TestGoldenHelp(t *testing.T) {
	for _, sz := range [][2]int{{100, 30}, {80, 24}} {
		name := fmt.Sprintf("help_mono_%dx%d", sz[0], sz[1])
		t.Run(name, func(t *testing.T) {
			hs := newHarness(t, "mono", termenv.Ascii, sz[0], sz[1])
			hs.put(makeSnapshot(10, 1))
			hs.key("?")
			v := hs.m.View()
			checkSize(t, v, sz[0], sz[1])
			checkGolden(t, name, v)
			page := ansi.Strip(v)
			all := NewKeyMap(nil).allEnabled() // the default keys: the harness binds none
			for _, g := range all.FullHelp() {
				for _, b := range g {
					if h := b.Help(); !strings.Contains(page, h.Key+" ") || !strings.Contains(page, h.Desc) {
						t.Errorf("%s: key %q %q not on the help page", name, h.Key, h.Desc)
					}
				}
			}
			if !strings.Contains(page, "Your data") || !strings.Contains(page, "? or esc closes this page") {
				t.Errorf("%s: help page lacks its group or closing line:\n%s", name, page)
			}
		})
	}
}

// TestViewAlwaysFitsWindow: at every sampled size and in every screen
// (table, detail, help, search, loading), View is exactly the window.
func TestViewAlwaysFitsWindow(t *testing.T) {
	hs := newHarness(t, "dark", termenv.TrueColor, 120, 40)
	loading := newHarness(t, "mono", termenv.Ascii, 120, 40)
	hs.put(makeSnapshot(80, 1))
	screens := []func(){
		func() {},
		func() { hs.runCmd(hs.key("enter")) },
		func() { hs.key("w") },
		func() { hs.key("f") },                             // ratings page
		func() { hs.key("w"); hs.key("G") },                // scrolled to its end
		func() { hs.key("f"); hs.key("w"); hs.key("tab") }, // moonshots with the detail
		func() { hs.key("esc"); hs.key("tab") },            // past moonshots
		func() { hs.runCmd(hs.key("enter")); hs.key("f") },
		func() { hs.key("esc"); hs.key("shift+tab"); hs.key("shift+tab") },
		func() { hs.key("esc"); hs.key("?") },
		func() { hs.key("?"); hs.key("/"); hs.typeText("tk0") },
		func() { hs.key("esc") },
		func() { hs.put(&model.Snapshot{Seq: 99, Time: t0}); hs.key("m") }, // empty market, no picks
		func() { hs.key("tab") },
	}
	sizes := 0
	for w := 1; w <= 300; w += 13 {
		for h := 1; h <= 100; h += 7 {
			loading.send(tea.WindowSizeMsg{Width: w, Height: h})
			checkSize(t, loading.m.View(), w, h)
		}
	}
	for n, screen := range screens {
		screen()
		// every screen at a spread of sizes; the offset varies the sample
		for w := 1 + n%5; w <= 300; w += 23 {
			for h := 1 + n%3; h <= 100; h += 11 {
				hs.send(tea.WindowSizeMsg{Width: w, Height: h})
				checkSize(t, hs.m.View(), w, h)
				sizes++
			}
		}
		for _, sz := range [][2]int{{20, 5}, {40, 8}, {39, 8}, {300, 100}, {140, 40}, {139, 40}} {
			hs.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			checkSize(t, hs.m.View(), sz[0], sz[1])
		}
	}
	// the user's records: the Watch and Portfolio views, forms, a question
	data := newHarness(t, "dark", termenv.TrueColor, 120, 40, withUser(sampleUser()))
	data.put(makeSnapshot(80, 1))
	dataScreens := []func(){
		func() { data.key("tab") },                                               // Watch
		func() { data.runCmd(data.key("enter")) },                                // with the detail
		func() { data.key("esc"); data.key("tab") },                              // Portfolio
		func() { data.runCmd(data.key("enter")); data.key("b") },                 // detail, balances hidden
		func() { data.key("esc"); data.key("a") },                                // the lot form
		func() { data.typeText("abc"); data.key("ctrl+s") },                      // with an error
		func() { data.key("esc"); data.key("x") },                                // a y/n question
		func() { data.key("n"); data.key("tab"); data.key("tab") },               // Past
		func() { data.key("tab") },                                               // Alerts
		func() { data.key("A") },                                                 // the alert form
		func() { data.key("esc"); data.key("tab"); data.key("tab") },             // Watch
		func() { data.key("n") },                                                 // the new-list form
		func() { data.key("esc"); data.put(&model.Snapshot{Seq: 99, Time: t0}) }, // no market
	}
	for n, screen := range dataScreens {
		screen()
		for w := 1 + n%7; w <= 300; w += 19 {
			for h := 1 + n%4; h <= 100; h += 9 {
				data.send(tea.WindowSizeMsg{Width: w, Height: h})
				checkSize(t, data.m.View(), w, h)
				sizes++
			}
		}
		for _, sz := range [][2]int{{40, 8}, {41, 9}, {80, 24}, {139, 40}} {
			data.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			checkSize(t, data.m.View(), sz[0], sz[1])
		}
	}
	if sizes < 1000 {
		t.Fatalf("only %d sizes checked", sizes)
	}
}

// The tab bar fits every width from 40 columns, shortening its labels,
// and a click on a label selects that view.
func TestTabBarFitsAndClicks(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 200, 30, withUser(sampleUser()))
	hs.put(makeSnapshot(60, 1))
	names := [][]string{{"Markets", "Mkts"}, {"Watch"}, {"Portfolio", "Port"}, {"Moonshots", "Moon"},
		{"Past"}, {"Alerts", "Alrt"}}
	for w := 40; w <= 200; w++ {
		hs.send(tea.WindowSizeMsg{Width: w, Height: 30})
		bar := screenLines(hs)[0]
		if lipgloss.Width(bar) != w || strings.Contains(bar, "…") {
			t.Fatalf("%d: tab bar %q", w, bar)
		}
		for v := range len(names) {
			bar := screenLines(hs)[0] // the brackets move with the view
			col := -1
			for _, n := range names[v] {
				if i := strings.Index(bar, n); i >= 0 {
					col = lipgloss.Width(bar[:i]) + 1
					break
				}
			}
			if col < 0 {
				t.Fatalf("%d: tab bar lacks view %d: %q", w, v, bar)
			}
			hs.send(tea.MouseMsg{X: col, Y: 0, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
			if got := activeTab(hs); !slices.Contains(names[v], got) {
				t.Fatalf("%d: a click at %d on %q selected view %s, want %s", w, col, bar, got, names[v][0])
			}
		}
		hs.key("tab") // back to Markets
	}
	hs.send(tea.WindowSizeMsg{Width: 200, Height: 30})
	if bar := screenLines(hs)[0]; !strings.Contains(bar, "[Markets] · Watch (4) · Portfolio (5) · Moonshots (3) · Past (12) · Alerts (0)") ||
		!strings.Contains(bar, "60 tokens") {
		t.Fatalf("wide tab bar %q", bar)
	}
}

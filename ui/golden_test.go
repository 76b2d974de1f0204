package ui

import (
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
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
		{"moonshots", []string{"tab"}, [][2]int{{120, 40}}},
		{"past", []string{"tab", "tab"}, [][2]int{{120, 40}}},
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

func TestGoldenHelp(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 100, 30)
	hs.put(makeSnapshot(10, 1))
	hs.key("?")
	v := hs.m.View()
	checkSize(t, v, 100, 30)
	checkGolden(t, "help_mono_100x30", v)
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
	if sizes < 500 {
		t.Fatalf("only %d sizes checked", sizes)
	}
}

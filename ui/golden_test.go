package ui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func profileFor(theme string) termenv.Profile {
	if theme == "mono" {
		return termenv.Ascii
	}
	return termenv.TrueColor
}

// goldenScreen builds a fixed market (60 tokens, two just ticked, a sort
// and a cursor move) and returns the screen.
func goldenScreen(t *testing.T, theme string, w, h int, openDetail bool) string {
	hs := newHarness(t, theme, profileFor(theme), w, h)
	hs.put(makeSnapshot(60, 1))
	hs.put(nextSnapshot(hs.snap, 1, 4))
	hs.key("j")
	if openDetail {
		hs.runCmd(hs.key("enter"))
	}
	v := hs.m.View()
	checkSize(t, v, w, h)
	return v
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -update)", err)
	}
	if string(want) != got {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
		for i := range max(len(wl), len(gl)) {
			var a, b string
			if i < len(wl) {
				a = wl[i]
			}
			if i < len(gl) {
				b = gl[i]
			}
			if a != b {
				t.Fatalf("%s differs at line %d:\nwant %q\ngot  %q", path, i+1, ansi.Strip(a), ansi.Strip(b))
			}
		}
	}
}

func TestGoldenTable(t *testing.T) {
	for _, theme := range []string{"dark", "mono"} {
		for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
			name := fmt.Sprintf("table_%s_%dx%d", theme, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				checkGolden(t, name, goldenScreen(t, theme, sz[0], sz[1], false))
			})
		}
	}
}

func TestGoldenDetail(t *testing.T) {
	for _, theme := range []string{"dark", "mono"} {
		for _, sz := range [][2]int{{80, 24}, {200, 60}} {
			name := fmt.Sprintf("detail_%s_%dx%d", theme, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				checkGolden(t, name, goldenScreen(t, theme, sz[0], sz[1], true))
			})
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
		func() { hs.key("tab") },
		func() { hs.key("esc"); hs.key("?") },
		func() { hs.key("?"); hs.key("/"); hs.typeText("tk0") },
		func() { hs.key("esc") },
	}
	sizes := 0
	for _, screen := range screens {
		screen()
		for w := 1; w <= 300; w += 13 {
			for h := 1; h <= 100; h += 7 {
				for _, m := range []*harness{hs, loading} {
					m.send(tea.WindowSizeMsg{Width: w, Height: h})
					checkSize(t, m.m.View(), w, h)
				}
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

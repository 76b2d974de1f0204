package ui

import (
	"reflect"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/themes"
)

// forProfile changes how a colour is written, never which colour is
// drawn: every colour of every built-in theme renders the same, as a
// foreground and as a background, at every profile.
func TestForProfileDrawsTheSameColours(t *testing.T) {
	for _, name := range themes.Names() {
		th, err := themes.Load(name, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
			r := testRenderer(p)
			reduced := forProfile(th, p)
			was, now := reflect.ValueOf(th), reflect.ValueOf(reduced)
			for i := range was.NumField() {
				field := was.Type().Field(i).Name
				if was.Field(i).Kind() != reflect.String || field == "Name" {
					continue
				}
				a, b := was.Field(i).String(), now.Field(i).String()
				if p == termenv.ANSI256 && len(a) > 0 && a[0] == '#' && a == b {
					t.Errorf("%s %s: %q not reduced for 256 colours", name, field, a)
				}
				fa := r.NewStyle().Foreground(lipgloss.Color(a)).Render("x")
				fb := r.NewStyle().Foreground(lipgloss.Color(b)).Render("x")
				ba := r.NewStyle().Background(lipgloss.Color(a)).Render("x")
				bb := r.NewStyle().Background(lipgloss.Color(b)).Render("x")
				if fa != fb || ba != bb {
					t.Errorf("%s %s at profile %d: %q became %q: %q %q, was %q %q", name, field, p, a, b, fb, bb, fa, ba)
				}
			}
		}
	}
}

// BenchmarkStatusBarColours is the status bar's cost per render tick in a
// 256-colour session (what most SSH clients' TERM says).
func BenchmarkStatusBarColours(b *testing.B) {
	th, err := themes.Load("dark", "")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		t    themes.Theme
	}{{"reduced", th}, {"hex", th}} {
		b.Run(c.name, func(b *testing.B) {
			r := testRenderer(termenv.ANSI256)
			st := r.NewStyle().Foreground(lipgloss.Color(th.Good)).Background(lipgloss.Color(th.BarBg))
			if c.name == "reduced" {
				rt := forProfile(th, termenv.ANSI256)
				st = r.NewStyle().Foreground(lipgloss.Color(rt.Good)).Background(lipgloss.Color(rt.BarBg))
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = st.Render("● demo live")
			}
		})
	}
}

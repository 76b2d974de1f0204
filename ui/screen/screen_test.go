package screen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	"github.com/muesli/termenv"
)

// TestRandomFramesMatchEmulator: random frames, edits and resizes go
// through the screen into a terminal emulator; after every frame the
// emulator shows exactly what the oracle shows for that frame drawn whole.
func TestRandomFramesMatchEmulator(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		g := frameGen{r: rand.New(rand.NewPCG(seed, 7))}
		w, h := 10+g.r.IntN(70), 2+g.r.IntN(25)
		s := newScreen(w, h, termenv.TrueColor)
		term := vt.NewEmulator(w, h)
		var lines []string
		var prev string
		var want oracle
		for i := 0; i < 300; i++ {
			switch g.r.IntN(40) {
			case 0:
				w, h = 1+g.r.IntN(90), 1+g.r.IntN(30)
				s.resize(w, h)
				term.Resize(w, h)
			}
			if g.r.IntN(3) == 0 {
				lines = g.tweak(lines)
			} else {
				lines = g.next(lines, w, h)
			}
			frame := strings.Join(lines, "\n")
			out := s.render(frame)
			_, _ = term.Write(out)
			if !sameScreen(t, term, want.show(w, h, frame), fmt.Sprintf("seed %d frame %d", seed, i)) {
				t.Logf("previous frame %+q\nframe %+q\nwrote %+q", prev, frame, out)
				return
			}
			prev = frame
		}
	}
}

// TestGoldenViewsMatchEmulator: the views' golden frames (ui/testdata),
// fed in sequence at each size and theme (table, then every other view,
// then the table again, with price ticks in between), show on the
// emulator exactly as drawn whole.
func TestGoldenViewsMatchEmulator(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "*.golden"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden frames in ../testdata (%v)", err)
	}
	groups := map[string][]string{} // "dark_200x60" -> frames, the table first
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".golden")
		i := strings.LastIndex(name, "_")
		j := strings.LastIndex(name[:i], "_")
		key := name[j+1:]
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(name, "table_") {
			groups[key] = append([]string{string(b)}, groups[key]...)
		} else {
			groups[key] = append(groups[key], string(b))
		}
	}
	for key, frames := range groups {
		var w, h int
		if _, err := fmt.Sscanf(key[strings.LastIndex(key, "_")+1:], "%dx%d", &w, &h); err != nil {
			t.Fatalf("golden size in %q: %v", key, err)
		}
		g := frameGen{r: rand.New(rand.NewPCG(uint64(w), uint64(h)))}
		seq := append(frames, frames[0])
		s := newScreen(w, h, termenv.TrueColor)
		term := vt.NewEmulator(w, h)
		var want oracle
		for i, frame := range seq {
			for tick := 0; tick < 3; tick++ {
				_, _ = term.Write(s.render(frame))
				if !sameScreen(t, term, want.show(w, h, frame), fmt.Sprintf("%s frame %d tick %d", key, i, tick)) {
					return
				}
				frame = strings.Join(g.tweak(strings.Split(frame, "\n")), "\n")
			}
		}
	}
}

// TestColoursKeepTheirProfile: colours reach the terminal in the form the
// frame gave them when the profile allows it (never raised), and are
// reduced when it does not; attributes stay.
func TestColoursKeepTheirProfile(t *testing.T) {
	frame := "\x1b[31ma\x1b[38;5;100mb\x1b[38;2;255;0;0;1mc\x1b[0;7md\x1b[0m"
	cases := []struct {
		profile termenv.Profile
		want    [3]string // the Go type of the foreground of a, b and c on the emulator
	}{
		{termenv.TrueColor, [3]string{"ansi.BasicColor", "ansi.IndexedColor", "color.RGBA"}},
		{termenv.ANSI256, [3]string{"ansi.BasicColor", "ansi.IndexedColor", "ansi.IndexedColor"}},
		{termenv.ANSI, [3]string{"ansi.BasicColor", "ansi.BasicColor", "ansi.BasicColor"}},
		{termenv.Ascii, [3]string{"<nil>", "<nil>", "<nil>"}},
	}
	for _, c := range cases {
		s := newScreen(10, 1, c.profile)
		e := vt.NewEmulator(10, 1)
		_, _ = e.Write(s.render(frame))
		for x, want := range c.want {
			if got := fmt.Sprintf("%T", e.CellAt(x, 0).Style.Fg); got != want {
				t.Errorf("profile %v: cell %d has a %s foreground, want %s", c.profile, x, got, want)
			}
		}
		if st := e.CellAt(2, 0).Style; st.Attrs&1 == 0 { // bold
			t.Errorf("profile %v: bold lost: %+v", c.profile, st)
		}
		if st := e.CellAt(3, 0).Style; st.Attrs == 0 { // reverse
			t.Errorf("profile %v: reverse lost: %+v", c.profile, st)
		}
	}
	// The nearest colours are termenv's.
	s := newScreen(10, 1, termenv.ANSI256)
	e := vt.NewEmulator(10, 1)
	_, _ = e.Write(s.render("\x1b[38;2;255;0;0mc"))
	if got, want := fmt.Sprint(e.CellAt(0, 0).Style.Fg), fmt.Sprint(int(termenv.ANSI256.Convert(termenv.RGBColor("#ff0000")).(termenv.ANSI256Color))); got != want {
		t.Errorf("#ff0000 in 256 colours is %s, want %s", got, want)
	}
}

// TestOnlyChangedCellsAreWritten: a price tick in one row of a 200x60
// table costs a few dozen bytes, an unchanged frame nothing.
func TestOnlyChangedCellsAreWritten(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "table_dark_200x60.golden"))
	if err != nil {
		t.Fatal(err)
	}
	frame := string(b)
	s := newScreen(200, 60, termenv.TrueColor)
	full := len(s.render(frame))
	if out := s.render(frame); out != nil {
		t.Errorf("an unchanged frame wrote %q", out)
	}
	lines := strings.Split(frame, "\n")
	i := strings.Index(lines[10], "1.")
	if i < 0 {
		t.Fatalf("no digit to change in %q", lines[10])
	}
	lines[10] = lines[10][:i] + "7" + lines[10][i+1:]
	out := s.render(strings.Join(lines, "\n"))
	if len(out) > 64 {
		t.Errorf("one changed cell wrote %d bytes (a whole frame is %d): %q", len(out), full, out)
	}
	if !strings.Contains(string(out), "7") {
		t.Errorf("the changed cell is not in %q", out)
	}
}

// TestUncertainWidthsRewriteTheRestOfTheLine: after an emoji (whose width
// terminals may disagree on) a change rewrites the line from the emoji
// on, so the terminal lays it out itself; after characters every
// terminal draws alike (narrow symbols, East Asian wide), only the change
// is written.
func TestUncertainWidthsRewriteTheRestOfTheLine(t *testing.T) {
	for _, c := range []struct {
		lead      string
		rewritten bool
	}{{"🔔", true}, {"👍🏽", true}, {"★", false}, {"中", false}} {
		s := newScreen(40, 2, termenv.TrueColor)
		s.render(c.lead + " BTC rose above 100\nx")
		out := string(s.render(c.lead + " BTC rose above 101\nx"))
		if got := strings.Contains(out, c.lead); got != c.rewritten {
			t.Errorf("%s: rewritten from it = %v, want %v: %q", c.lead, got, c.rewritten, out)
		}
		if !strings.Contains(out, "1") {
			t.Errorf("%s: the change is not written: %q", c.lead, out)
		}
	}
}

// FuzzRender: any frame, however hostile, renders without a panic, and
// nothing reaches the terminal but text, colours, hyperlinks (OSC 8 to
// printable addresses) and the screen's own cursor moves and erases: no
// other control character or escape sequence from the frame gets through.
func FuzzRender(f *testing.F) {
	f.Add("plain\nlines", "second\nframe", uint8(20), uint8(3))
	f.Add("\x1b[31;1mred\x1b[0m 中文 🔔\x1b[38;2;1;2;3m x", "\x1b]8;;http://x\x07link\x1b]8;;\x07\x1b[2J\x1b[5;5H", uint8(30), uint8(2))
	f.Add("e\u0301\u0301\u0301\x07\x08\x00\x1bP+q\x1b\\", "\x9b31m\x9d0;t\x07\xff\xfe", uint8(5), uint8(5))
	f.Add("\x1b[38:2::1:2:3m\x1b[58:5:9m\x1b[4:3m\x1b[;;;m", "\t\ttab", uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, a, b string, w, h uint8) {
		s := newScreen(int(w%120), int(h%40), termenv.TrueColor)
		for _, frame := range []string{a, b, a} {
			checkOutput(t, s.render(frame))
		}
		s.resize(int(h%50), int(w%30))
		checkOutput(t, s.render(b))
	})
}

// checkOutput fails the test when out holds anything the screen does not
// write itself.
func checkOutput(t *testing.T, out []byte) {
	t.Helper()
	var state byte
	for len(out) > 0 {
		seq, width, n, st := ansi.DecodeSequence(out, state, nil)
		state = st
		if n == 0 {
			t.Fatalf("undecodable output %q", out)
		}
		switch {
		case width > 0:
		case seq[0] >= utf8.RuneSelf && utf8.Valid(seq) && !bytes.ContainsFunc(seq, unicode.IsControl):
			// combining marks after an ASCII letter (the decoder returns
			// ASCII alone); never C1 controls
		case len(seq) == 1 && (seq[0] == '\r' || seq[0] == '\n' || seq[0] == '\b'):
		case bytes.HasPrefix(seq, []byte("\x1b]8;")) && bytes.HasSuffix(seq, []byte("\x1b\\")):
			for _, c := range seq[4 : len(seq)-2] {
				if c <= ' ' || c >= 0x7f {
					t.Fatalf("unexpected byte %q in hyperlink %q", c, seq)
				}
			}
		case len(seq) >= 3 && seq[0] == '\x1b' && seq[1] == '[':
			body, final := string(seq[2:len(seq)-1]), seq[len(seq)-1]
			switch {
			case body == "?2026" && (final == 'h' || final == 'l'):
			case strings.IndexFunc(body, func(r rune) bool { return !(r >= '0' && r <= '9' || r == ';' || r == ':') }) >= 0:
				t.Fatalf("unexpected sequence %q", seq)
			case !strings.ContainsRune("HJKABCDGm", rune(final)):
				t.Fatalf("unexpected sequence %q", seq)
			}
		default:
			t.Fatalf("unexpected output %q", seq)
		}
		out = out[n:]
	}
}

// A hyperlink (OSC 8) in a frame reaches the terminal on exactly the
// cells it covers, and goes when the frame drops it or points it
// elsewhere, though the text stays the same.
func TestHyperlinksReachTheTerminal(t *testing.T) {
	const a, b = "https://www.binance.com/en/trade/BTC_USDT?type=spot", "https://pro.kraken.com/app/trade/btc-usd"
	link := func(url, text string) string { return "\x1b]8;;" + url + "\x07" + text + "\x1b]8;;\x07" }
	s := newScreen(30, 3, termenv.TrueColor)
	term := vt.NewEmulator(30, 3)
	check := func(frame string, want map[int]string) {
		t.Helper()
		out := s.render(frame)
		checkOutput(t, out)
		_, _ = term.Write(out)
		for x := 0; x < 30; x++ {
			got := term.CellAt(x, 1).Link.URL
			if got != want[x] {
				t.Fatalf("frame %q: column %d links to %q, want %q (wrote %q)", frame, x, got, want[x], out)
			}
			if u := term.CellAt(x, 0).Link.URL + term.CellAt(x, 2).Link.URL; u != "" {
				t.Fatalf("frame %q: a link leaked to another row at column %d: %q", frame, x, u)
			}
		}
	}
	span := func(from, to int, url string) map[int]string {
		m := map[int]string{}
		for x := from; x < to; x++ {
			m[x] = url
		}
		return m
	}
	check("top\nTrade: "+link(a, "open BTC")+" now\nbottom", span(7, 15, a))
	check("top\nTrade: "+link(b, "open BTC")+" now\nbottom", span(7, 15, b)) // same text, another address
	check("top\nTrade: open BTC now\nbottom", nil)                           // the link goes
	// An unterminated link ends with its line; a control character or a
	// space in the address makes it plain text.
	check("top\nTrade: \x1b]8;;"+a+"\x07open BTC\nbottom", span(7, 15, a))
	check("top\nTrade: \x1b]8;;https://x.example/a b\x07open BTC\nbottom", nil)
}

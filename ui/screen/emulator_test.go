package screen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// oracle is the reference: a terminal emulator given each frame whole on
// a cleared screen, each line written at its row by the emulator's own
// parser (cut to the width by ansi.Truncate, as Bubble Tea's renderer cuts
// it). It shares no code with the screen under test. One emulator is
// reused (a new one allocates megabytes).
type oracle struct{ e *vt.Emulator }

func (o *oracle) show(w, h int, frame string) *vt.Emulator {
	if o.e == nil {
		o.e = vt.NewEmulator(w, h)
		o.e.SetScrollbackSize(0)
	} else if o.e.Width() != w || o.e.Height() != h {
		o.e.Resize(w, h)
	}
	_, _ = o.e.WriteString("\x1b[0m\x1b[H\x1b[2J")
	lines := strings.Split(frame, "\n")
	if len(lines) > h {
		lines = lines[len(lines)-h:]
	}
	for y, l := range lines {
		fmt.Fprintf(o.e, "\x1b[%d;1H\x1b[0m\x1b]8;;\x07", y+1) // each line starts with no pen and no link
		_, _ = o.e.WriteString(ansi.Truncate(l, w, ""))
	}
	return o.e
}

// sameScreen fails the test when the emulator got (fed by the screen
// under test) differs from want in any cell: text, width, colours or
// attributes.
func sameScreen(t testing.TB, got, want *vt.Emulator, what string) bool {
	t.Helper()
	w, h := want.Width(), want.Height()
	if got.Width() != w || got.Height() != h {
		t.Errorf("%s: emulator is %dx%d, want %dx%d", what, got.Width(), got.Height(), w, h)
		return false
	}
	bad := 0
	var first string
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g, e := got.CellAt(x, y), want.CellAt(x, y)
			if g == nil && e == nil {
				continue
			}
			if g == nil || e == nil || !g.Equal(e) {
				if bad == 0 {
					first = fmt.Sprintf("first at column %d row %d: got %s, want %s\ngot row:  %q\nwant row: %q",
						x, y, describe(g), describe(e), rowText(got, y), rowText(want, y))
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d cells differ; %s", what, bad, first)
		return false
	}
	return true
}

func describe(c interface{ String() string }) string {
	if c == nil {
		return "nothing"
	}
	return fmt.Sprintf("%+v", c)
}

func rowText(e *vt.Emulator, y int) string {
	var b strings.Builder
	for x := 0; x < e.Width(); x++ {
		if c := e.CellAt(x, y); c != nil {
			b.WriteString(c.Content)
		}
	}
	return b.String()
}

// frameGen makes random frames: text in 16, 256 and true colours, bold,
// faint, italic, underline styles, blink, reverse, strikethrough, wide
// characters, emoji, combining marks, empty lines and lines shorter or
// longer than the width.
type frameGen struct {
	r *rand.Rand
}

var genLinks = []string{"https://www.binance.com/en/trade/BTC_USDT?type=spot", "https://pro.kraken.com/app/trade/btc-usd",
	"https://example.test/a", "https://example.test/b"}

var genGraphemes = []string{
	"a", "b", "Z", "0", "9", " ", " ", ".", "─", "▲", "▼", "█", "▁", "·", "★", "₁",
	"中", "文", "한", "ｱ", // wide, certain
	"🔔", "🚀", "👍🏽", "❤️", "🇯🇵", "👨‍👩‍👧", // emoji: uncertain
	"é", "e\u0301", "a\u0308\u0323", // combining marks
}

func (g frameGen) sgr() string {
	r := g.r
	var p []string
	if r.IntN(10) == 0 {
		p = append(p, "0")
	}
	// A foreground and a background colour, each sometimes: basic, bright,
	// 256 or true colour (the background's in the colon form).
	for _, c := range [...]struct {
		base int
		rgb  string
		odds int
	}{{30, "38;2;%d;%d;%d", 5}, {40, "48:2::%d:%d:%d", 6}} {
		switch r.IntN(c.odds) {
		case 0:
			p = append(p, strconv.Itoa(c.base+r.IntN(8)))
		case 1:
			p = append(p, strconv.Itoa(c.base+60+r.IntN(8)))
		case 2:
			p = append(p, strconv.Itoa(c.base+8)+";5;"+strconv.Itoa(r.IntN(256)))
		case 3:
			p = append(p, fmt.Sprintf(c.rgb, r.IntN(256), r.IntN(256), r.IntN(256)))
		}
	}
	for _, a := range []string{"1", "2", "3", "4", "4:3", "4:0", "5", "7", "9", "22", "24", "27", "39", "49", "58;5;9", "59"} {
		if r.IntN(12) == 0 {
			p = append(p, a)
		}
	}
	return "\x1b[" + strings.Join(p, ";") + "m"
}

func (g frameGen) line(w int) string {
	r := g.r
	if r.IntN(8) == 0 {
		return ""
	}
	target := r.IntN(w + 4)
	if r.IntN(3) == 0 {
		target = w
	}
	var b strings.Builder
	width := 0
	for width < target {
		if r.IntN(5) == 0 {
			b.WriteString(g.sgr())
		}
		switch r.IntN(16) { // hyperlinks (OSC 8), opened and closed anywhere, BEL or ST
		case 0:
			b.WriteString("\x1b]8;;" + genLinks[r.IntN(len(genLinks))] + "\x07")
		case 1:
			b.WriteString("\x1b]8;id=1;" + genLinks[r.IntN(len(genLinks))] + "\x1b\\")
		case 2:
			b.WriteString("\x1b]8;;\x07")
		}
		s := genGraphemes[r.IntN(8)]
		if r.IntN(4) == 0 {
			s = genGraphemes[r.IntN(len(genGraphemes))]
		}
		b.WriteString(s)
		width += ansi.StringWidth(s)
		if r.IntN(10) == 0 {
			b.WriteString("\x1b[0m")
		}
	}
	b.WriteString("\x1b[0m")
	return b.String()
}

// next changes some lines of frame (or all, or none) and sometimes its
// number of lines.
func (g frameGen) next(lines []string, w, h int) []string {
	r := g.r
	out := append([]string(nil), lines...)
	for len(out) < h {
		out = append(out, "")
	}
	out = out[:h]
	switch r.IntN(6) {
	case 0: // every line
		for i := range out {
			out[i] = g.line(w)
		}
	case 1: // nothing
	default:
		for n := r.IntN(4) + 1; n > 0; n-- {
			out[r.IntN(h)] = g.line(w)
		}
	}
	switch r.IntN(12) {
	case 0:
		out = out[:r.IntN(h+1)]
	case 1:
		out = append(out, g.line(w), g.line(w)) // more lines than rows: the top is cut
	}
	return out
}

// tweak makes small edits inside lines: one cell's text, as a price tick
// does (escape sequences are left alone).
func (g frameGen) tweak(lines []string) []string {
	out := append([]string(nil), lines...)
	for n := g.r.IntN(6) + 1; n > 0 && len(out) > 0; n-- {
		y := g.r.IntN(len(out))
		b := []byte(out[y])
		var text []int // offsets of ASCII letters and digits outside escape sequences
		inEsc, inOSC := false, false
		for i, c := range b {
			switch {
			case inOSC: // a hyperlink's address is left alone too
				inOSC = c != '\a' && c != '\\'
			case c == '\x1b' && i+1 < len(b) && b[i+1] == ']':
				inOSC = true
			case c == '\x1b':
				inEsc = true
			case inEsc:
				if c >= '@' && c <= '~' && c != '[' {
					inEsc = false
				}
			case c >= '0' && c <= '9', c >= 'a' && c <= 'z':
				text = append(text, i)
			}
		}
		if len(text) == 0 {
			continue
		}
		i := text[g.r.IntN(len(text))]
		if b[i] <= '9' {
			b[i] = '0' + byte(g.r.IntN(10))
		} else {
			b[i] = 'a' + byte(g.r.IntN(26))
		}
		out[y] = string(b)
	}
	return out
}

package screen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/cellbuf"
	"github.com/muesli/termenv"
)

// tickFrames returns the 200x60 table golden frame and two frames after
// it in which 15 rows changed a digit each (a price tick), alternating.
func tickFrames(b *testing.B) (base string, ticks [2]string) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "table_dark_200x60.golden"))
	if err != nil {
		b.Fatal(err)
	}
	base = string(raw)
	for k := range ticks {
		lines := strings.Split(base, "\n")
		for i := 0; i < 15; i++ {
			y := 3 + i*3
			// the last digit of the row's price: find "." and change the digit after it
			j := strings.Index(lines[y], ".")
			if j < 0 || j+1 >= len(lines[y]) {
				b.Fatalf("row %d has no price: %q", y, lines[y])
			}
			d := lines[y][j+1]
			lines[y] = lines[y][:j+1] + string('0'+(d-'0'+byte(k)+1)%10) + lines[y][j+2:]
		}
		ticks[k] = strings.Join(lines, "\n")
	}
	return base, ticks
}

// BenchmarkRender200x60Changed15: one frame at 200x60 in which 15 rows
// changed a digit: compare lines, parse the 15, diff, encode.
func BenchmarkRender200x60Changed15(b *testing.B) {
	base, ticks := tickFrames(b)
	s := newScreen(200, 60, termenv.TrueColor)
	s.render(base)
	written := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		written += len(s.render(ticks[i%2]))
	}
	b.ReportMetric(float64(written)/float64(b.N), "bytes/frame")
}

// BenchmarkRender200x60Full: the same frame drawn whole (start, resize).
func BenchmarkRender200x60Full(b *testing.B) {
	base, _ := tickFrames(b)
	s := newScreen(200, 60, termenv.TrueColor)
	written := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.redraw()
		written += len(s.render(base))
	}
	b.ReportMetric(float64(written)/float64(b.N), "bytes/frame")
}

// BenchmarkLines200x60Changed15: what Bubble Tea's line renderer writes
// for the same frames: every changed line whole (for comparison; the
// bytes are the line's, the time is only the line comparison).
func BenchmarkLines200x60Changed15(b *testing.B) {
	base, ticks := tickFrames(b)
	prev := strings.Split(base, "\n")
	next := [2][]string{strings.Split(ticks[0], "\n"), strings.Split(ticks[1], "\n")}
	written := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		lines := next[i%2]
		for y := range lines {
			if lines[y] != prev[y] {
				written += len(lines[y]) + len("\x1b[K\r\n")
			}
		}
		prev = lines
	}
	b.ReportMetric(float64(written)/float64(b.N), "bytes/frame")
}

// BenchmarkCellbuf200x60Changed15: the same frames through
// github.com/charmbracelet/x/cellbuf's Screen (changed lines only), the
// library evaluated first (docs/PERFORMANCE.md says why it is not used).
func BenchmarkCellbuf200x60Changed15(b *testing.B) {
	base, ticks := tickFrames(b)
	var out bytes.Buffer
	s := cellbuf.NewScreen(&out, 200, 60, &cellbuf.ScreenOptions{Term: "xterm-256color", Profile: colorprofile.TrueColor, AltScreen: true})
	w := cellbuf.NewScreenWriter(s)
	w.SetContent(base)
	s.Render()
	_ = s.Flush()
	prev := strings.Split(base, "\n")
	next := [2][]string{strings.Split(ticks[0], "\n"), strings.Split(ticks[1], "\n")}
	written := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		lines := next[i%2]
		for y := range lines {
			if lines[y] != prev[y] {
				w.SetContentRect(lines[y], cellbuf.Rect(0, y, 200, 1))
			}
		}
		prev = lines
		s.Render()
		out.Reset()
		_ = s.Flush()
		written += out.Len()
	}
	b.ReportMetric(float64(written)/float64(b.N), "bytes/frame")
}

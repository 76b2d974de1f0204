package ui

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

func TestAppendPrice(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{67012.5, "67,012.50"}, {3456.78, "3,456.78"}, {1.2345, "1.2345"}, {145.23456, "145.23"}, {46.25912, "46.259"}, {3.0928e-07, "0.00000030928"}, {9.99999e-8, "0.00000010000"}, {9.99999e-13, "0.0₁₁10000"},
		{0.012345, "0.012345"}, {0.000012345, "0.000012345"}, {0.52345, "0.52345"},
		{1234567.891, "1,234,567.89"}, {2.5e7, "25.0M"}, {1.23e-12, "0.0₁₁12300"}, {1.2345e-9, "0.0₈12345"},
		{0, "—"}, {-1, "—"}, {math.NaN(), "—"}, {math.Inf(1), "—"},
	} {
		if got := string(appendPrice(nil, c.v)); got != c.want {
			t.Errorf("price %v = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestAppendCompact(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{1.23e12, "1.23T"}, {45.6e9, "45.6B"}, {789.0e6, "789.0M"}, {12.3e3, "12.3K"},
		{999.96e6, "1.00B"}, {950, "950"}, {1.5, "1.50"}, {0, "0"}, {math.NaN(), "—"}, {-2.5e6, "-2.50M"},
	} {
		if got := string(appendCompact(nil, c.v)); got != c.want {
			t.Errorf("compact %v = %q, want %q", c.v, got, c.want)
		}
	}
	if got := string(appendCapOrUnknown(nil, 0)); got != "—" {
		t.Errorf("unknown cap = %q", got)
	}
}

func TestAppendChange(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
		dir  int
	}{
		{0.0123, "+1.23%", 1}, {-0.0045, "-0.45%", -1}, {0, "0.00%", 0}, {0.00001, "0.00%", 0},
		{math.NaN(), "—", 0}, {1.234, "+123.4%", 1}, {25, "+2500%", 1}, {-5000, "-99999%", -1},
	} {
		if got := string(appendChange(nil, c.v)); got != c.want {
			t.Errorf("change %v = %q, want %q", c.v, got, c.want)
		}
		if d := direction(c.v); d != c.dir {
			t.Errorf("direction %v = %d, want %d", c.v, d, c.dir)
		}
		if n := cells(appendChange(nil, c.v)); n > 8 {
			t.Errorf("change %v is %d cells, wider than its column", c.v, n)
		}
	}
}

func TestAppendAge(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{400 * time.Millisecond, "0.4s"}, {12 * time.Second, "12s"}, {3 * time.Minute, "3m"}, {5 * time.Hour, "5h"}, {72 * time.Hour, "3d"}, {-time.Second, "0.0s"}} {
		if got := string(appendAge(nil, c.d)); got != c.want {
			t.Errorf("age %v = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestFormattersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	n := testing.AllocsPerRun(100, func() {
		b := appendPrice(buf[:0], 67012.5)
		b = appendPrice(b, 0.000012345)
		b = appendCompact(b, 45.6e9)
		b = appendChange(b, -0.0045)
		_ = b
	})
	if n != 0 {
		t.Fatalf("formatters allocate %v times", n)
	}
}

// FuzzShownWidth: whatever safetext.Line lets through, the width the ui
// measures (textWidth) is the width lipgloss measures, so layouts line up.
// (The sanitizer itself is fuzzed in internal/safetext.)
func FuzzShownWidth(f *testing.F) {
	for _, s := range []string{"a\x1b[31mb", "\u009b1;2m", "\x1b]0;x\x07", "\u202e", "ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := safetext.Line(s, maxShown)
		if ansi.StringWidth(out) != textWidth(out) {
			t.Fatalf("width mismatch for %q", out)
		}
	})
}

func TestSpark(t *testing.T) {
	pts := model.ReadOnlyOf[float64](1, 2, 3, 4, 5, 6, 7, 8)
	if got := string(appendSpark(nil, pts, 8)); got != "▁▂▃▄▅▆▇█" {
		t.Errorf("spark = %q", got)
	}
	if got := string(appendSpark(nil, pts, 4)); got != "▂▄▆█" { // last of each bucket
		t.Errorf("thinned spark = %q", got)
	}
	if got := string(appendSpark(nil, model.ReadOnlyOf[float64](1, 8), 4)); got != "▁▁██" {
		t.Errorf("stretched spark = %q", got)
	}
	if got := string(appendSpark(nil, model.ReadOnlyOf[float64](5, 5, 5), 3)); got != "▄▄▄" {
		t.Errorf("flat spark = %q", got)
	}
	if got := string(appendSpark(nil, model.ReadOnlyOf(1, math.NaN(), 3), 3)); got != "▁ █" {
		t.Errorf("gap spark = %q", got)
	}
	if got := string(appendSpark(nil, model.ReadOnly[float64]{}, 3)); got != "   " {
		t.Errorf("empty spark = %q", got)
	}
	if sparkDirection(pts) != 1 || sparkDirection(model.ReadOnlyOf[float64](3, 1)) != -1 || sparkDirection(model.ReadOnly[float64]{}) != 0 {
		t.Error("spark direction")
	}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { _ = appendSpark(buf[:0], pts, 40) }); n != 0 {
		t.Errorf("spark allocates %v", n)
	}
}

func TestLayoutDropsColumnsInOrder(t *testing.T) {
	all := computeLayout(200, 8)
	if all.count() != int(numColumns) || all.used > 200 {
		t.Fatalf("wide layout: %d columns, %d cells", all.count(), all.used)
	}
	prev := all.count()
	for w := 199; w >= 30; w-- {
		l := computeLayout(w, 8)
		if l.used > w && w >= 40 {
			t.Fatalf("width %d: layout uses %d", w, l.used)
		}
		if !l.show[colSymbol] || !l.show[colPrice] || !l.show[colChange24h] {
			t.Fatalf("width %d dropped symbol, price or 24h", w)
		}
		if l.count() > prev {
			t.Fatalf("width %d shows more columns (%d) than width %d (%d)", w, l.count(), w+1, prev)
		}
		prev = l.count()
		// dropped columns are a prefix of dropOrder
		order := dropOrder()
		seenShown := false
		for _, c := range order {
			if l.show[c] {
				seenShown = true
			} else if seenShown {
				t.Fatalf("width %d dropped %v before an earlier column", w, c)
			}
		}
	}
	l := computeLayout(80, 8)
	if l.show[colName] || l.show[colSpark] || !l.show[colTrader] || !l.show[colInvestor] || !l.show[colSignal] || !l.show[colChange7d] {
		t.Fatalf("80 columns: name %v spark %v trader %v investor %v signal %v 7d %v", l.show[colName], l.show[colSpark],
			l.show[colTrader], l.show[colInvestor], l.show[colSignal], l.show[colChange7d])
	}
	if l = computeLayout(200, 8); l.count() != int(numColumns) {
		t.Fatalf("200 columns show %d of %d columns", l.count(), numColumns)
	}
}

func TestFlowKeepsItemsWhole(t *testing.T) {
	got := flow([]string{"aa", "bbb", "cc"}, " ", 6)
	want := []string{"aa bbb", "cc"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("flow = %q, want %q", got, want)
	}
	if got := flow([]string{"toolongitem", "x"}, " ", 4); len(got) != 2 || got[0] != "toolongitem" {
		t.Errorf("an item wider than the line goes on its own line: %q", got)
	}
}

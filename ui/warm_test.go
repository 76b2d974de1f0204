package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

func TestCachedPoints(t *testing.T) {
	end := time.Unix(1_800_000_000, 0)
	tok := &model.TokenView{Spark: model.ReadOnlyOf(make([]float64, 48)...), LastUpdate: end}
	if got := cachedPoints(tok); got != 0 {
		t.Errorf("no cache: %d", got)
	}
	tok.Cached = end
	if got := cachedPoints(tok); got != 48 {
		t.Errorf("cache up to the last update: %d, want all 48", got)
	}
	tok.Cached = end.Add(-2 * time.Hour) // 4 points of 30 min after it
	if got := cachedPoints(tok); got != 44 {
		t.Errorf("2h after the cache: %d, want 44", got)
	}
	tok.Cached = end.Add(-2*time.Hour - time.Minute)
	if got := cachedPoints(tok); got != 43 {
		t.Errorf("2h01m after the cache: %d, want 43", got)
	}
	tok.Cached = end.Add(-48 * time.Hour)
	if got := cachedPoints(tok); got != 0 {
		t.Errorf("old cache: %d", got)
	}
}

// The split spark draws the same cells as the plain one, the cached ones
// inside the cached span.
func TestSparkSplit(t *testing.T) {
	pts := model.ReadOnlyOf[float64](1, 2, 3, 4, 5, 6, 7, 8)
	plain := string(appendSpark(nil, pts, 8))
	cached, live := span{"<c>", "</c>"}, span{"<l>", "</l>"}
	got := string(appendSparkSplit(nil, pts, 8, 3, cached, live))
	want := "<c>" + string([]rune(plain)[:3]) + "</c><l>" + string([]rune(plain)[3:]) + "</l>"
	if got != want {
		t.Errorf("split:\n%q\nwant\n%q", got, want)
	}
	// Stretched (fewer points than cells) and thinned (more).
	for _, w := range []int{3, 8, 20} {
		for cut := 0; cut <= pts.Len(); cut++ {
			s := appendSparkSplit([]byte("prefix"), pts, w, cut, cached, live)
			clean := strings.NewReplacer("<c>", "", "</c>", "", "<l>", "", "</l>", "").Replace(string(s))
			if clean != "prefix"+string(appendSpark(nil, pts, w)) {
				t.Errorf("w=%d cut=%d: %q", w, cut, s)
			}
		}
	}
}

// A warm-started market says so in the status bar, with the cache's age.
func TestWarmStartStatus(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 160, 30)
	s := makeSnapshot(5, 1)
	s.WarmTokens = 5
	s.WarmSaved = hs.now.Add(-2 * time.Hour)
	for _, tok := range s.Tokens.All() {
		tok.Cached = tok.LastUpdate
	}
	hs.put(s)
	if v := hs.m.View(); !strings.Contains(v, "◷ 5 from cache 2h old") {
		t.Errorf("no warm-start note:\n%s", v)
	}
	next := nextSnapshot(s)
	next.WarmTokens = 0
	hs.put(next)
	if v := hs.m.View(); strings.Contains(v, "from cache") {
		t.Errorf("the note stayed after the gap was filled:\n%s", v)
	}
}

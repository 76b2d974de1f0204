package ui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

// tmPick is a provider pick as the Token Metrics feed parses it: no entry
// price, price now or peak ROI (NaN).
func tmPick(sym, name string, entry time.Time, roi, grade, vol, cap float64) model.Moonshot {
	return model.Moonshot{Symbol: sym, Name: name, Entry: entry, EntryPrice: math.NaN(), EntryGrade: math.NaN(),
		Price: math.NaN(), ROI: roi, PeakROI: math.NaN(), Grade: grade, Volume24h: vol, MarketCap: cap}
}

// tmMoonshots are the provider's lists of the fixtures (feeds/tokenmetrics/
// testdata/v2/moonshot-tokens-*.json), moved next to the test market's
// clock, fetched 12 minutes before t0.
func tmMoonshots() *model.OfficialMoonshots {
	o := &model.OfficialMoonshots{Provider: "Token Metrics", Updated: t0.Add(-12 * time.Minute)}
	o.Active = model.ReadOnlyOf(
		tmPick("AMSH", "Aurora Mesh", t0.Add(-4*24*time.Hour), 0.2387, 82.15, 2210934.18, 18422310.55),
		tmPick("QFN", "Quillfinch", t0.Add(-30*time.Hour), -0.0412, 76.03, 903344.71, 7351902.40),
	)
	drft := tmPick("DRFT", "Driftwood Labs", t0.Add(-40*24*time.Hour), 0.4137, 58.44, 1844921.33, 26730418.02)
	drft.Exit, drft.ExitReason = t0.Add(-18*24*time.Hour), "closed by Token Metrics"
	lmpk := tmPick("LMPK", "Lumenpeak", t0.Add(-32*24*time.Hour), -0.1255, 41.90, 412330.05, 5120077.91)
	lmpk.Exit, lmpk.ExitReason = t0.Add(-22*24*time.Hour), "closed by Token Metrics"
	o.Past = model.ReadOnlyOf(drft, lmpk)
	return o
}

// withOfficial is the golden market (60 tokens, our picks) plus the
// provider's moonshots.
func withOfficial(o *model.OfficialMoonshots) *model.Snapshot {
	s := makeSnapshot(60, 1)
	s.Official = o
	return s
}

// lineWith is the first line of the screen holding want, or "".
func lineWith(screen, want string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, want) {
			return l
		}
	}
	return ""
}

func TestOfficialMoonshotsShownBelowOurs(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 40)
	hs.put(withOfficial(tmMoonshots()))
	hs.key("m")
	v := plain(hs)
	checkSize(t, hs.m.View(), 120, 40)
	title := lineWith(v, "── Token Metrics moonshots (updated 12m ago) ──")
	if title == "" {
		t.Fatalf("no provider section:\n%s", v)
	}
	lines := strings.Split(v, "\n")
	at := func(s string) int {
		for i, l := range lines {
			if strings.Contains(l, s) {
				return i
			}
		}
		return -1
	}
	// below our picks (TK041, TK047, TK055), with its own column titles
	if at("TK055") < 0 || at("TK055") > at("── Token Metrics") || at("AMSH") < at("── Token Metrics") {
		t.Fatalf("the section is not below our picks:\n%s", v)
	}
	if h := lines[at("── Token Metrics")+1]; !strings.Contains(h, "Entry price") || strings.Contains(h, "▼") {
		t.Errorf("provider column titles %q", h)
	}
	amsh := lineWith(v, "AMSH")
	for _, want := range []string{"Aurora Me", "Mar 10 15:09", "+23.87%", "82", "2.21M", "18.4M"} {
		if !strings.Contains(amsh, want) {
			t.Errorf("AMSH row lacks %q: %q", want, amsh)
		}
	}
	// entry price, price now and peak ROI are not served: "—"
	if n := strings.Count(amsh, "—"); n != 3 {
		t.Errorf("AMSH row has %d dashes, want 3: %q", n, amsh)
	}
	if qfn := lineWith(v, "QFN"); !strings.Contains(qfn, "-4.12%") {
		t.Errorf("QFN row %q", qfn)
	}
	if lineWith(v, "DRFT") != "" {
		t.Error("a past provider pick in the Moonshots view")
	}
	// our table is untouched: the cursor stays on our picks, and a click
	// on a provider row selects nothing
	ours := pickSymbols(hs)
	if !slices.Equal(ours, []string{"TK041", "TK047", "TK055"}) {
		t.Fatalf("our picks: %v", ours)
	}
	hs.key("G")
	if l := screenLines(hs)[at("TK055")]; !strings.HasPrefix(l, "▸") {
		t.Errorf("G did not move the cursor to our last pick (%q):\n%s", l, plain(hs))
	}
	before := plain(hs)
	hs.send(tea.MouseMsg{X: 5, Y: at("AMSH"), Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if plain(hs) != before || detailOpen(hs) {
		t.Errorf("a click on a provider row changed the view:\n%s", plain(hs))
	}

	// the age follows the clock without a new snapshot
	hs.now = hs.now.Add(10 * time.Minute)
	hs.send(tickMsg{})
	if !strings.Contains(plain(hs), "Token Metrics moonshots (updated 22m ago)") {
		t.Fatalf("age not refreshed:\n%s", plain(hs))
	}

	// Past: the provider's past picks below ours, with their exits
	hs.key("tab")
	v = plain(hs)
	if lineWith(v, "── Token Metrics past moonshots (updated 22m ago) ──") == "" {
		t.Fatalf("no provider section in Past:\n%s", v)
	}
	drft := lineWith(v, "DRFT")
	for _, want := range []string{"Feb 02 15:09", "Feb 24 15:09", "+41.37%", "closed by Token Metrics"} {
		if !strings.Contains(drft, want) {
			t.Errorf("DRFT row lacks %q: %q", want, drft)
		}
	}
	if lineWith(v, "AMSH") != "" || !strings.Contains(lineWith(v, "LMPK"), "-12.55%") {
		t.Errorf("Past view provider rows:\n%s", v)
	}
	if !strings.Contains(v, "Track record") || !strings.Contains(v, "12 picks") {
		t.Errorf("our track record is gone:\n%s", v)
	}

	// a snapshot without the provider's moonshots drops the section
	s := *hs.snap
	s.Seq++
	s.Official = nil
	hs.put(&s)
	if strings.Contains(plain(hs), "Token Metrics") {
		t.Fatalf("section without provider moonshots:\n%s", plain(hs))
	}
}

// TestOfficialMoonshotsCrowded: our picks keep half the space; the
// provider's section shows what fits and says how many it left out; empty
// lists say so; hostile text never reaches the screen.
func TestOfficialMoonshotsCrowded(t *testing.T) {
	o := tmMoonshots()
	var active []model.Moonshot
	for i := range 40 {
		active = append(active, tmPick(fmt.Sprintf("TM%02d", i), "Pick\x1b[2J\x1b]0;x\x07 "+fmt.Sprint(i),
			t0.Add(-time.Duration(i)*time.Hour), 0.01*float64(i), 70, 1e6, 1e7))
	}
	o.Active = model.ReadOnlyOf(active...)
	o.Past = model.ReadOnly[model.Moonshot]{}
	hs := newHarness(t, "dark", termenv.TrueColor, 120, 30)
	hs.put(withOfficial(o))
	hs.key("m")
	view := hs.m.View()
	checkSize(t, view, 120, 30)
	if strings.Contains(view, "\x1b[2J") || strings.Contains(view, "\x1b]0;") {
		t.Fatal("hostile text reached the screen")
	}
	v := plain(hs)
	// 30 lines: tab bar, status, header, 3 picks, then the section
	if lineWith(v, "TK041") == "" || lineWith(v, "TM00") == "" {
		t.Fatalf("both lists should show:\n%s", v)
	}
	title := lineWith(v, "── Token Metrics moonshots (updated 12m ago, ")
	if !strings.Contains(title, " of 40 shown)") {
		t.Fatalf("truncation not said:\n%s", v)
	}
	var shown int
	fmt.Sscanf(title[strings.Index(title, "12m ago, ")+len("12m ago, "):], "%d", &shown)
	if got := strings.Count(v, " TM"); got != shown || shown < 10 {
		t.Errorf("%d provider rows on screen, title says %d", got, shown)
	}
	// Past: no provider past picks
	hs.key("tab")
	if lineWith(plain(hs), "── Token Metrics past moonshots (updated 12m ago, none listed) ──") == "" {
		t.Fatalf("empty provider list:\n%s", plain(hs))
	}
	// too little room: the section goes, our picks stay
	hs.key("m")
	hs.send(tea.WindowSizeMsg{Width: 120, Height: 9})
	v = plain(hs)
	checkSize(t, hs.m.View(), 120, 9)
	if strings.Contains(v, "Token Metrics") || lineWith(v, "TK041") == "" {
		t.Fatalf("small window:\n%s", v)
	}
}

// TestOfficialMoonshotsFitWindow: both views with the provider's section
// (and our lists empty or not) are exactly the window at every size.
func TestOfficialMoonshotsFitWindow(t *testing.T) {
	many := tmMoonshots()
	past := many.Past.Clone()
	for i := range 30 {
		past = append(past, past[i%2])
	}
	many.Past = model.ReadOnlyOf(past...)
	for _, c := range []struct {
		name string
		snap *model.Snapshot
	}{
		{"ours and theirs", withOfficial(many)},
		{"theirs only", func() *model.Snapshot { s := makeSnapshot(20, 1); s.Official = tmMoonshots(); return s }()},
		{"empty lists", withOfficial(&model.OfficialMoonshots{})},
	} {
		hs := newHarness(t, "dark", termenv.TrueColor, 120, 40)
		hs.put(c.snap)
		for _, keys := range [][]string{{"m"}, {"tab"}, {"w"}} {
			for _, k := range keys {
				hs.key(k)
			}
			for w := 1; w <= 300; w += 17 {
				for h := 1; h <= 100; h += 9 {
					hs.send(tea.WindowSizeMsg{Width: w, Height: h})
					checkSize(t, hs.m.View(), w, h)
				}
			}
		}
	}
}

func TestGoldenOfficialMoonshots(t *testing.T) {
	for _, c := range []struct {
		name string
		keys []string
	}{{"moonshots_official", []string{"m"}}, {"past_official", []string{"m", "tab"}}} {
		for _, theme := range []string{"dark", "mono"} {
			name := fmt.Sprintf("%s_%s_120x40", c.name, theme)
			t.Run(name, func(t *testing.T) {
				hs := newHarness(t, theme, profileFor(theme), 120, 40)
				hs.put(withOfficial(tmMoonshots()))
				hs.put(nextSnapshot(hs.snap, 1, 4))
				hs.key("j")
				for _, k := range c.keys {
					hs.runCmd(hs.key(k))
				}
				v := hs.m.View()
				checkSize(t, v, 120, 40)
				checkGolden(t, name, v)
			})
		}
	}
}

package ui

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

// withToken copies prev with token i replaced by an edited copy (new
// version), keeping every other pointer.
func withToken(prev *model.Snapshot, i int, edit func(*model.TokenView)) *model.Snapshot {
	s := *prev
	s.Seq++
	tok := *prev.Tokens.At(i)
	tok.Version++
	edit(&tok)
	editTokens(&s, func(tokens []*model.TokenView) { tokens[i] = &tok })
	return &s
}

func indexOf(s *model.Snapshot, sym string) int {
	for i, t := range s.Tokens.All() {
		if t.Symbol == sym {
			return i
		}
	}
	return -1
}

func TestRatingsColumnsSortAndAbsentLast(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 50) // every one of the 40 rows on the screen
	hs.put(makeSnapshot(40, 1))
	// rows are the tokens the screen lists, top to bottom
	rows := func() []*model.TokenView {
		var out []*model.TokenView
		for _, sym := range tableSymbols(hs) {
			out = append(out, hs.snap.Token(sym))
		}
		if len(out) != 40 {
			t.Fatalf("%d rows on the screen, want 40", len(out))
		}
		return out
	}
	for range int(sortTrader) { // rank -> ... -> trader_grade
		hs.key("s")
	}
	if got := sortMark(hs); got != "Trd ▼" {
		t.Fatalf("header does not mark the trader grade, biggest first (%q):\n%s", got, plain(hs))
	}
	seenAbsent := false
	view := rows()
	for i, tok := range view {
		g := tok.TraderGrade
		if !g.Present() {
			seenAbsent = true
			continue
		}
		if seenAbsent {
			t.Fatalf("a graded token (%s) after an ungraded one", tok.Symbol)
		}
		if i > 0 && view[i-1].TraderGrade.Value < g.Value {
			t.Fatalf("not sorted by Trader Grade at %d", i)
		}
	}
	if !seenAbsent {
		t.Fatal("test data has no ungraded token")
	}
	hs.key("s")
	if got := sortMark(hs); got != "Inv ▼" {
		t.Fatalf("after trader_grade comes %q", got)
	}
	view = rows()
	for i := 1; i < len(view); i++ {
		a, b := view[i-1].InvestorGrade.Value, view[i].InvestorGrade.Value
		if !math.IsNaN(b) && (math.IsNaN(a) || a < b) {
			t.Fatalf("not sorted by Investor Grade at %d: %v then %v", i, a, b)
		}
	}
	hs.key("s")
	if got := sortMark(hs); got != "Sig ▼" {
		t.Fatalf("after investor_grade comes %q", got)
	}
	last := model.SignalBullish + 1
	view = rows()
	for _, tok := range view {
		if !tok.TraderGrade.Present() {
			last = model.SignalBearish - 1
			continue
		}
		if tok.Signal > last {
			t.Fatalf("signal sort: %s (%v) after %v", tok.Symbol, tok.Signal, last)
		}
		last = tok.Signal
	}
	if view[0].Signal != model.SignalBullish {
		t.Fatal("signal sort does not start with bullish")
	}
	hs.key("s") // wraps to rank
	if got := sortMark(hs); got != "# ▲" {
		t.Fatalf("sort cycle does not wrap: %q", got)
	}
	// the option names work
	for name, mark := range map[string]string{"trader_grade": "Trd ▼", "investor_grade": "Inv ▼", "signal": "Sig ▼"} {
		o := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.Sort = name; o.SortDesc = true })
		o.put(makeSnapshot(10, 1))
		if got := sortMark(o); got != mark {
			t.Fatalf("Sort %q ignored: %q", name, got)
		}
	}
	if got := SortKeys(); len(got) != int(numSortKeys) || got[len(got)-1] != "signal" {
		t.Fatalf("SortKeys = %v", got)
	}
}

func TestGradeAndSignalCellsReadableInMono(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(20, 1))
	syms := tableSymbols(hs)
	if len(syms) != 20 {
		t.Fatalf("%d rows shown, want 20", len(syms))
	}
	for _, sym := range syms {
		line := ansi.Strip(rowOf(hs, sym))
		tok := hs.snap.Token(sym)
		switch {
		case !tok.TraderGrade.Present():
			if strings.Contains(line, "▲ bull") || strings.Contains(line, "▼ bear") || strings.Contains(line, "■ neut") {
				t.Fatalf("%s has no grade but shows a signal: %q", tok.Symbol, line)
			}
		case tok.Signal == model.SignalBullish && !strings.Contains(line, "▲ bull"),
			tok.Signal == model.SignalBearish && !strings.Contains(line, "▼ bear"),
			tok.Signal == model.SignalNeutral && !strings.Contains(line, "■ neut"):
			t.Fatalf("%s signal %v not shown: %q", tok.Symbol, tok.Signal, line)
		}
		if !tok.InvestorGrade.Present() && !strings.Contains(line, " — ") {
			t.Fatalf("%s absent investor grade not shown as —: %q", tok.Symbol, line)
		}
	}
	// in colour, bullish and bearish grades differ
	st := NewStyles(testTheme(t, "dark"), testRenderer(termenv.TrueColor))
	p := &st.rows[0][0]
	bull := makeGrade([]string{"x"}, []string{""}, []float64{1}, []float64{70}, []float64{1})
	bear := makeGrade([]string{"x"}, []string{""}, []float64{1}, []float64{30}, []float64{1})
	if gradeSpan(p, bull) == gradeSpan(p, bear) || gradeSpan(p, bull) != p.up || gradeSpan(p, bear) != p.down {
		t.Fatal("grade cells are not coloured by band")
	}
}

func TestSignalFlipHighlightsAndAnnounces(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30) // RefreshHz 10: 3s = 30 ticks, 5s = 50 ticks
	hs.put(makeSnapshot(20, 1))
	if strings.Contains(statusLine(hs), "✦") {
		t.Fatal("the first snapshot announced something")
	}
	i := indexOf(hs.snap, "SOL")
	if hs.snap.Tokens.At(i).Signal != model.SignalBullish {
		t.Fatal("test data: SOL should start bullish")
	}
	hs.put(withToken(hs.snap, i, func(tok *model.TokenView) {
		tok.Signal = model.SignalBearish
		tok.TraderGrade.Value = 31.6
		tok.Price = 212.19
		tok.Signals = model.ReadOnlyOf(append([]model.SignalFlip{{Time: t0, From: model.SignalBullish, To: model.SignalBearish,
			Price: 212.19, Grade: 31.6, Return: math.NaN()}}, tok.Signals.Clone()...)...)
	}))
	marked := func(hs *harness, sym string) bool { return strings.Contains(ansi.Strip(rowOf(hs, sym)), "✦") }
	v := plain(hs)
	if !strings.Contains(v, "SOL turned bearish at 212.19 (grade 32)") {
		t.Fatalf("no announcement:\n%s", v)
	}
	if !marked(hs, "SOL") {
		t.Fatalf("highlighted row has no marker: %q", ansi.Strip(rowOf(hs, "SOL")))
	}
	for range 29 {
		hs.send(tickMsg{})
	}
	if !marked(hs, "SOL") {
		t.Fatal("highlight ended before 3s")
	}
	hs.send(tickMsg{})
	if marked(hs, "SOL") {
		t.Fatal("highlight did not end after 3s")
	}
	if !strings.Contains(plain(hs), "turned bearish") {
		t.Fatal("announcement ended before 5s")
	}
	for range 20 {
		hs.send(tickMsg{})
	}
	if strings.Contains(plain(hs), "turned bearish") {
		t.Fatal("announcement did not end after 5s")
	}
	// back up to neutral is an upward flip; two flips at once: "+1 more"
	j := indexOf(hs.snap, "BTC")
	s := withToken(hs.snap, i, func(tok *model.TokenView) { tok.Signal = model.SignalNeutral })
	s = withToken(s, j, func(tok *model.TokenView) { tok.Signal = model.SignalNeutral })
	s.Seq = hs.snap.Seq + 1
	hs.put(s)
	if !marked(hs, "SOL") || !marked(hs, "BTC") {
		t.Fatal("two flips: not both rows highlighted")
	}
	if !strings.Contains(plain(hs), "BTC turned neutral at") || !strings.Contains(plain(hs), "(+1 more)") {
		t.Fatalf("two flips: %s", statusLine(hs))
	}
	// a token whose grade was absent gets its first signal: not news
	k := indexOf(hs.snap, "XRP")
	if hs.snap.Tokens.At(k).TraderGrade.Present() {
		t.Fatal("test data: XRP should have no grade")
	}
	hs.put(withToken(hs.snap, k, func(tok *model.TokenView) {
		tok.Signal = model.SignalBullish
		tok.TraderGrade = bullGrade()
	}))
	if marked(hs, "XRP") {
		t.Fatal("a first grade was announced as a flip")
	}
	// in colour the highlighted row has its own background, one for a
	// flip down (bullish to neutral), another for a flip up
	dark := newHarness(t, "dark", termenv.TrueColor, 120, 30)
	dark.put(makeSnapshot(20, 1))
	st := NewStyles(testTheme(t, "dark"), testRenderer(termenv.TrueColor))
	down, up := st.rows[hlDown][0].base.pre, st.rows[hlUp][0].base.pre
	before := rowOf(dark, "SOL")
	dark.put(withToken(dark.snap, i, func(tok *model.TokenView) { tok.Signal = model.SignalNeutral }))
	after := rowOf(dark, "SOL")
	if !strings.Contains(after, down) || strings.Contains(before, down) || strings.Contains(after, up) {
		t.Fatal("a flip down not drawn with its highlight background")
	}
	dark.put(withToken(dark.snap, i, func(tok *model.TokenView) { tok.Signal = model.SignalBullish }))
	if after := rowOf(dark, "SOL"); !strings.Contains(after, up) || strings.Contains(after, down) {
		t.Fatal("a flip up not drawn with its highlight background")
	}
	// highlights off
	off := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.Highlight = -1 })
	off.put(makeSnapshot(20, 1))
	off.put(withToken(off.snap, i, func(tok *model.TokenView) { tok.Signal = model.SignalBearish }))
	if marked(off, "SOL") || !strings.Contains(plain(off), "SOL turned bearish") {
		t.Fatal("Highlight < 0 must turn row highlights off and keep the announcement")
	}
}

func bullGrade() model.Grade {
	return makeGrade([]string{"x"}, []string{""}, []float64{1}, []float64{80}, []float64{1})
}

func TestNewMoonshotHighlightsAndAnnounces(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 140, 40)
	hs.put(makeSnapshot(60, 1))
	if strings.Contains(statusLine(hs), "✦") {
		t.Fatal("picks already open at start were announced")
	}
	s := *hs.snap
	s.Seq++
	pick := makePick(s.Tokens.At(50), 9, false)
	pick.Entry = t0
	pick.EntryPrice = 0.0481
	s.Moonshots = model.ReadOnlyOf(append([]model.Moonshot{pick}, s.Moonshots.Clone()...)...)
	hs.put(&s)
	if !strings.Contains(plain(hs), "New moonshot: TK050 at 0.048100") {
		t.Fatalf("no announcement: %q", statusLine(hs))
	}
	hs.key("G") // TK050's row into the window
	if !strings.Contains(ansi.Strip(rowOf(hs, "TK050")), "✦") {
		t.Fatal("the new pick's token row is not highlighted")
	}
	if bar := screenLines(hs)[0]; !strings.Contains(bar, "Moonshots (4)") {
		t.Fatalf("tab bar count: %q", bar)
	}
	hs.key("m")
	if activeTab(hs) != "Moonshots" {
		t.Fatal("m did not open the Moonshots view")
	}
	found := false
	for _, l := range strings.Split(plain(hs), "\n") {
		if strings.Contains(l, "TK050") {
			found = strings.Contains(l, "✦")
		}
	}
	if !found {
		t.Fatalf("the new pick is not highlighted in the Moonshots view:\n%s", plain(hs))
	}
	// the same picks again: nothing new
	again := *hs.snap
	again.Seq++
	hs.put(&again)
	for range 60 {
		hs.send(tickMsg{})
	}
	if strings.Contains(plain(hs), "✦") {
		t.Fatal("announcement or highlight did not end")
	}
}

func TestViewsCycleAndMoonshotTables(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 40)
	hs.put(makeSnapshot(60, 1))
	if !strings.Contains(plain(hs), "[Markets] · Watch (0) · Portfolio (0) · Moonshots (3) · Past (12) · Alerts (0)") {
		t.Fatalf("tab bar:\n%s", plain(hs))
	}
	for _, step := range []struct {
		key, want string
	}{{"tab", "Watch"}, {"tab", "Portfolio"}, {"tab", "Moonshots"}, {"tab", "Past"}, {"tab", "Alerts"},
		{"tab", "Markets"}, {"shift+tab", "Alerts"}, {"shift+tab", "Past"},
		{"m", "Moonshots"}, {"m", "Markets"}} {
		hs.key(step.key)
		if got := activeTab(hs); got != step.want {
			t.Fatalf("after %s view %s, want %s", step.key, got, step.want)
		}
	}
	// Moonshots: newest entry first; s sorts by ROI, biggest first
	hs.key("m")
	v := plain(hs)
	for _, want := range []string{"[Moonshots (3)]", "Entry ▼", "Entry price", "Price now", "ROI", "Peak ROI", "Grade", "Mkt Cap"} {
		if !strings.Contains(v, want) {
			t.Fatalf("Moonshots view lacks %q:\n%s", want, v)
		}
	}
	// pick finds a pick of the snapshot by symbol
	pick := func(list model.ReadOnly[model.Moonshot], sym string) model.Moonshot {
		for _, m := range list.All() {
			if m.Symbol == sym {
				return m
			}
		}
		t.Fatalf("no pick %s", sym)
		return model.Moonshot{}
	}
	picks := pickSymbols(hs)
	if len(picks) != 3 || picks[0] != "TK041" {
		t.Fatalf("picks %v, want 3, the newest (TK041) first", picks)
	}
	hs.key("s")
	if !strings.Contains(plain(hs), "ROI ▼") {
		t.Fatal("s did not sort picks by ROI")
	}
	picks = pickSymbols(hs)
	for i := 1; i < len(picks); i++ {
		if pick(hs.snap.Moonshots, picks[i-1]).ROI < pick(hs.snap.Moonshots, picks[i]).ROI {
			t.Fatalf("picks not sorted by ROI: %v", picks)
		}
	}
	// the cursor and enter open the pick's token
	hs.key("j")
	sym := strings.Fields(strings.TrimPrefix(cursorLine(hs), "▸"))[0]
	hs.runCmd(hs.key("enter"))
	if !detailOpen(hs) {
		t.Fatalf("enter on a pick did not open %s", sym)
	}
	if !strings.Contains(plain(hs), sym+"  Token number") {
		t.Fatalf("detail of the pick not shown:\n%s", plain(hs))
	}
	hs.key("esc")
	// Past: track record on top, exit columns
	hs.key("tab")
	v = plain(hs)
	for _, want := range []string{"Track record", "12 picks", "hit rate 66.7% (8/12)", "median ROI +7.26%", "mean ROI +9.57%",
		"Exit ▼", "Exit price", "Exit reason", "stop loss -25%"} {
		if !strings.Contains(v, want) {
			t.Fatalf("Past view lacks %q:\n%s", want, v)
		}
	}
	past := pickSymbols(hs)
	if len(past) != 12 {
		t.Fatalf("past picks shown: %v", past)
	}
	for i := 1; i < len(past); i++ {
		if pick(hs.snap.PastMoonshots, past[i-1]).Exit.Before(pick(hs.snap.PastMoonshots, past[i]).Exit) {
			t.Fatal("past picks not newest exit first")
		}
	}
	hs.key("r")
	past = pickSymbols(hs)
	if !strings.Contains(plain(hs), "Exit ▲") || pick(hs.snap.PastMoonshots, past[0]).Exit.After(pick(hs.snap.PastMoonshots, past[1]).Exit) {
		t.Fatal("r did not reverse the past picks")
	}
	// the mouse: a click on a tab switches views
	hs.send(tea.MouseMsg{X: 3, Y: 0, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if activeTab(hs) != "Markets" {
		t.Fatal("click on the Markets tab")
	}
	if sortMark(hs) != "# ▲" {
		t.Fatal("s in the Moonshots view changed the markets sort")
	}
	hs.send(tea.MouseMsg{X: 45, Y: 0, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}) // " [Markets] · Watch (0) · Portfolio (0) · Moonshots (3)"
	if activeTab(hs) != "Moonshots" {
		t.Fatal("click on the Moonshots tab")
	}
	// a click on a pick row selects it (tab bar, header, rows); a click on
	// the selected row opens its token
	picks = pickSymbols(hs)
	for _, y := range []int{2, 4} {
		hs.send(tea.MouseMsg{X: 5, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
		if l := screenLines(hs)[y]; !strings.HasPrefix(l, "▸") || detailOpen(hs) {
			t.Fatalf("a click on line %d did not select its pick:\n%s", y, plain(hs))
		}
	}
	hs.send(tea.MouseMsg{X: 5, Y: 4, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if !detailFullScreen(hs) || !strings.HasPrefix(screenLines(hs)[1], picks[2]+"  Token number") {
		t.Fatalf("click on the selected third pick (%s) did not open it:\n%s", picks[2], plain(hs))
	}
	// search belongs to the markets table: / goes back there
	hs.key("/")
	if activeTab(hs) != "Markets" || !strings.Contains(helpLine(hs), "esc clear") {
		t.Fatal("/ did not open the markets search")
	}
}

func TestEmptyMoonshotViewsExplain(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24)
	hs.put(makeSnapshot(20, 1)) // fewer than 60 tokens: no picks
	hs.key("m")
	v := plain(hs)
	checkSize(t, hs.m.View(), 80, 24)
	if !strings.Contains(strings.Join(strings.Fields(v), " "),
		"No open moonshots. The model flags small caps (< $50M) whose Trader Grade rises fast on a volume surge.") {
		t.Fatalf("empty Moonshots view:\n%s", v)
	}
	hs.key("tab")
	v = plain(hs)
	if !strings.Contains(v, "No past moonshots yet.") || !strings.Contains(v, "no closed picks yet") {
		t.Fatalf("empty Past view:\n%s", v)
	}
	if cmd := hs.key("enter"); cmd != nil || detailOpen(hs) {
		t.Fatal("enter on an empty view opened something")
	}
	o := newHarness(t, "mono", termenv.Ascii, 120, 24, func(o *Options) { o.MoonshotMaxCap = 1.5e9 })
	o.put(makeSnapshot(5, 1))
	o.key("m")
	if !strings.Contains(plain(o), "(< $1.50B)") {
		t.Fatalf("cap limit option not quoted:\n%s", plain(o))
	}
}

func TestDetailRatingsPage(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24)
	hs.put(makeSnapshot(20, 1))
	before := plain(hs)
	if hs.key("f"); plain(hs) != before {
		t.Fatal("f works with the detail closed")
	}
	hs.key("j") // ETH: graded, official rating, flips
	hs.runCmd(hs.key("enter"))
	v := plain(hs)
	if !strings.Contains(v, "── Ratings") || !strings.Contains(v, "▲ bullish · Trader 93 Strong Bullish") ||
		!strings.Contains(v, "Token Metrics: TM Grade 62 · Trader 64 · ▲ bullish · updated 2h ago") {
		t.Fatalf("ratings summary in the chart view:\n%s", v)
	}
	if strings.Contains(v, "[ratings]") {
		t.Fatalf("f with the detail closed turned the ratings page on:\n%s", v)
	}
	hs.key("f")
	v = plain(hs)
	checkSize(t, hs.m.View(), 80, 24)
	for _, want := range []string{"[ratings]", "Trader Grade    93  Strong Bullish", "momentum 1h", "+1.62%", "15%", "█"} {
		if !strings.Contains(v, want) {
			t.Fatalf("ratings page lacks %q:\n%s", want, v)
		}
	}
	if !strings.Contains(v, "lines 1-19 of 29 ↓") {
		t.Fatalf("a page taller than the pane does not say so:\n%s", v)
	}
	for range 40 { // the pane is focused (full screen): j scrolls
		hs.key("j")
	}
	v = plain(hs)
	for _, want := range []string{"Signal history", "neutral → bullish", "+2.04%", "bearish → neutral"} {
		if !strings.Contains(v, want) {
			t.Fatalf("scrolled page lacks %q:\n%s", want, v)
		}
	}
	// the page says which of its lines show: "lines 11-29 of 29"
	linesShown := func() (first, last, total int) {
		m := regexp.MustCompile(`lines (\d+)-(\d+) of (\d+)`).FindStringSubmatch(plain(hs))
		if m == nil {
			t.Fatalf("the page does not say which lines show:\n%s", plain(hs))
		}
		first, _ = strconv.Atoi(m[1])
		last, _ = strconv.Atoi(m[2])
		total, _ = strconv.Atoi(m[3])
		return first, last, total
	}
	if first, last, total := linesShown(); first == 1 || last != total {
		t.Fatalf("scroll stopped at lines %d-%d of %d", first, last, total)
	}
	hs.key("g")
	if first, _, _ := linesShown(); first != 1 {
		t.Fatal("g did not scroll to the top")
	}
	// a token without grades shows "—" and the reason
	hs.key("f")
	hs.key("w") // back to the table
	for hs.selected() != "XRP" {
		hs.key("j")
	}
	hs.key("w")
	hs.key("f")
	v = plain(hs)
	if !strings.Contains(v, "Trader Grade     —  needs 24h of history, has 3h") {
		t.Fatalf("absent grade:\n%s", v)
	}
}

func TestContributionBars(t *testing.T) {
	for _, c := range []struct {
		score float64
		w     int
		want  string
	}{{0, 4, "    "}, {100, 4, "████"}, {50, 4, "██  "}, {56.25, 4, "██▎ "}, {math.NaN(), 3, "   "},
		{math.Inf(1), 3, "   "}, {-5, 2, "  "}, {250, 2, "██"}} {
		if got := string(appendBar(nil, c.score, c.w)); got != c.want {
			t.Errorf("bar(%v, %d) = %q, want %q", c.score, c.w, got, c.want)
		}
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{72.4, "72"}, {math.NaN(), "—"}, {-3, "0"}, {1e9, "100"}, {math.Inf(-1), "—"}} {
		if got := string(appendGrade(nil, c.v)); got != c.want {
			t.Errorf("grade(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		f    model.Factor
		want string
	}{{model.Factor{Raw: 0.0123, Unit: "%"}, "+1.23%"}, {model.Factor{Raw: 3.4, Unit: "x"}, "3.40x"},
		{model.Factor{Raw: 61.24}, "61.2"}, {model.Factor{Raw: math.NaN(), Unit: "%"}, "—"},
		{model.Factor{Raw: 2.5e9}, "2.50B"}, {model.Factor{Raw: 1, Unit: "\x1b[31m"}, "1.0"}, {model.Factor{Raw: 1, Unit: "pts"}, "1.0pts"},
		{model.Factor{Raw: 2.5e9, Unit: "$"}, "$2.50B"}, {model.Factor{Raw: 950, Unit: "$"}, "$950"}} {
		if got := string(appendFactorRaw(nil, c.f)); got != c.want {
			t.Errorf("raw(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
	if capLimit(50e6) != "50M" || capLimit(1.5e9) != "1.50B" || capLimit(2e9) != "2B" {
		t.Errorf("capLimit: %s %s %s", capLimit(50e6), capLimit(1.5e9), capLimit(2e9))
	}
}

// TestHostileRatingsData: escape sequences in factor names, exit reasons,
// provider names and grade reasons never reach the screen; NaN and Inf
// never print.
func TestHostileRatingsData(t *testing.T) {
	hs := newHarness(t, "dark", termenv.TrueColor, 200, 60)
	s := makeSnapshot(60, 1)
	evil := "\x1b]52;c;cGFzdGU=\x07x\x1b[2J\u202e"
	tok := s.Tokens.At(1)
	tok.TraderGrade.Factors = model.ReadOnlyOf(append([]model.Factor{{Name: "evil" + evil, Raw: math.Inf(1), Unit: evil,
		Score: math.NaN(), Weight: math.Inf(1), Contribution: math.NaN()}}, tok.TraderGrade.Factors.Clone()...)...)
	tok.TraderGrade.Change24h = math.Inf(-1)
	tok.InvestorGrade = model.NoGrade("reason" + evil)
	tok.Official = &model.OfficialRating{Provider: "TM" + evil, TMGrade: math.Inf(1), TraderGrade: math.NaN(),
		InvestorGrade: 1e300, HasSignal: true, Signal: 7}
	tok.Signals = model.ReadOnlyOf(append(tok.Signals.Clone(), model.SignalFlip{Price: math.NaN(), Grade: math.Inf(1), Return: math.Inf(1), From: 9, To: -9})...)
	editPicks(s, func(open, past []model.Moonshot) ([]model.Moonshot, []model.Moonshot) {
		open[0].ExitReason = "x" + evil
		open[0].Symbol = "TK041" + evil
		open[1].ROI, open[1].EntryPrice, open[1].Grade = math.NaN(), math.Inf(1), math.Inf(-1)
		past[0].ExitReason = "reason" + evil
		return open, past
	})
	s.Track.MeanROI, s.Track.HitRate = math.NaN(), math.Inf(1)
	hs.put(s)
	hs.key("j")
	hs.runCmd(hs.key("enter"))
	screens := []string{hs.m.View()}
	hs.key("f")
	screens = append(screens, hs.m.View())
	hs.key("w")
	hs.key("G")
	screens = append(screens, hs.m.View())
	hs.key("esc")
	hs.key("m")
	screens = append(screens, hs.m.View())
	hs.key("tab")
	screens = append(screens, hs.m.View())
	for _, v := range screens {
		checkSize(t, v, 200, 60)
		stripped := ansi.Strip(v)
		if strings.ContainsAny(stripped, "\x1b\x07\u202e") || strings.Contains(stripped, "NaN") ||
			strings.Contains(stripped, "Inf") || strings.Contains(stripped, "]52;") {
			t.Fatalf("hostile data reached the screen:\n%s", stripped)
		}
	}
}

func TestHighlightLastsWallTime(t *testing.T) {
	// 3s at 20 Hz is 60 ticks, whatever the market clock does
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.RefreshHz = 20 })
	hs.put(makeSnapshot(20, 1))
	i := indexOf(hs.snap, "SOL")
	hs.put(withToken(hs.snap, i, func(tok *model.TokenView) { tok.Signal = model.SignalNeutral }))
	marked := func() bool { return strings.Contains(ansi.Strip(rowOf(hs, "SOL")), "✦") }
	if !marked() {
		t.Fatal("the flip is not highlighted")
	}
	hs.now = hs.now.Add(time.Hour) // a fast demo clock
	for range 59 {
		hs.send(tickMsg{})
	}
	if !marked() {
		t.Fatal("highlight followed the market clock, not render ticks")
	}
	hs.send(tickMsg{})
	if marked() {
		t.Fatal("highlight outlived 60 ticks")
	}
}

package ui

import (
	"math"
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
	hs := newHarness(t, "mono", termenv.Ascii, 120, 40)
	hs.put(makeSnapshot(40, 1))
	tb := hs.m.a.table
	for range int(sortTrader) { // rank -> ... -> trader_grade
		hs.key("s")
	}
	if tb.sortBy != sortTrader || !tb.desc {
		t.Fatalf("sort %v desc=%v, want trader_grade desc", tb.sortBy, tb.desc)
	}
	if !strings.Contains(plain(hs), "Trd ▼") {
		t.Fatalf("header does not mark the grade sort:\n%s", plain(hs))
	}
	seenAbsent := false
	for i, r := range tb.view {
		g := r.tok.TraderGrade
		if !g.Present() {
			seenAbsent = true
			continue
		}
		if seenAbsent {
			t.Fatalf("a graded token (%s) after an ungraded one", r.tok.Symbol)
		}
		if i > 0 && tb.view[i-1].tok.TraderGrade.Value < g.Value {
			t.Fatalf("not sorted by Trader Grade at %d", i)
		}
	}
	if !seenAbsent {
		t.Fatal("test data has no ungraded token")
	}
	hs.key("s")
	if tb.sortBy != sortInvestor {
		t.Fatalf("after trader_grade comes %v", tb.sortBy)
	}
	for i := 1; i < len(tb.view); i++ {
		a, b := tb.view[i-1].tok.InvestorGrade.Value, tb.view[i].tok.InvestorGrade.Value
		if !math.IsNaN(b) && (math.IsNaN(a) || a < b) {
			t.Fatalf("not sorted by Investor Grade at %d: %v then %v", i, a, b)
		}
	}
	hs.key("s")
	if tb.sortBy != sortSignal {
		t.Fatalf("after investor_grade comes %v", tb.sortBy)
	}
	last := model.SignalBullish + 1
	for _, r := range tb.view {
		if !r.tok.TraderGrade.Present() {
			last = model.SignalBearish - 1
			continue
		}
		if r.tok.Signal > last {
			t.Fatalf("signal sort: %s (%v) after %v", r.tok.Symbol, r.tok.Signal, last)
		}
		last = r.tok.Signal
	}
	if tb.view[0].tok.Signal != model.SignalBullish {
		t.Fatal("signal sort does not start with bullish")
	}
	hs.key("s") // wraps to rank
	if tb.sortBy != sortRank {
		t.Fatalf("sort cycle does not wrap: %v", tb.sortBy)
	}
	// the option names work
	for _, name := range []string{"trader_grade", "investor_grade", "signal"} {
		o := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.Sort = name; o.SortDesc = true })
		o.put(makeSnapshot(10, 1))
		if o.m.a.table.sortBy.String() != name {
			t.Fatalf("Sort %q ignored", name)
		}
	}
	if got := SortKeys(); len(got) != int(numSortKeys) || got[len(got)-1] != "signal" {
		t.Fatalf("SortKeys = %v", got)
	}
}

func TestGradeAndSignalCellsReadableInMono(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(20, 1))
	tb := hs.m.a.table
	for _, r := range tb.view {
		line := ansi.Strip(r.line)
		tok := r.tok
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
	dark := newHarness(t, "dark", termenv.TrueColor, 120, 30)
	dark.put(makeSnapshot(20, 1))
	p := &dark.m.a.ctx.styles.rows[0][0]
	bull := makeGrade([]string{"x"}, []string{""}, []float64{1}, []float64{70}, []float64{1})
	bear := makeGrade([]string{"x"}, []string{""}, []float64{1}, []float64{30}, []float64{1})
	if gradeSpan(p, bull) == gradeSpan(p, bear) || gradeSpan(p, bull) != p.up || gradeSpan(p, bear) != p.down {
		t.Fatal("grade cells are not coloured by band")
	}
}

func TestSignalFlipHighlightsAndAnnounces(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30) // RefreshHz 10: 3s = 30 ticks, 5s = 50 ticks
	hs.put(makeSnapshot(20, 1))
	if hs.m.a.announce != "" {
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
	r := hs.m.a.table.rows["SOL"]
	if r.hl != hlDown {
		t.Fatalf("flip to bearish: highlight %d, want down", r.hl)
	}
	v := plain(hs)
	if !strings.Contains(v, "SOL turned bearish at 212.19 (grade 32)") {
		t.Fatalf("no announcement:\n%s", v)
	}
	if !strings.Contains(ansi.Strip(r.line), "✦") {
		t.Fatalf("highlighted row has no marker: %q", ansi.Strip(r.line))
	}
	for range 29 {
		hs.send(tickMsg{})
	}
	if r.hl == hlNone {
		t.Fatal("highlight ended before 3s")
	}
	hs.send(tickMsg{})
	if r.hl != hlNone || strings.Contains(ansi.Strip(r.line), "✦") {
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
	if hs.m.a.table.rows["SOL"].hl != hlUp || hs.m.a.table.rows["BTC"].hl != hlDown {
		t.Fatal("flip directions wrong")
	}
	if !strings.Contains(plain(hs), "BTC turned neutral at") || !strings.Contains(plain(hs), "(+1 more)") {
		t.Fatalf("two flips: %s", hs.m.a.announce)
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
	if hs.m.a.table.rows["XRP"].hl != hlNone {
		t.Fatal("a first grade was announced as a flip")
	}
	// in colour the highlighted row has its own background
	dark := newHarness(t, "dark", termenv.TrueColor, 120, 30)
	dark.put(makeSnapshot(20, 1))
	before := dark.m.a.table.rows["SOL"].line
	dark.put(withToken(dark.snap, i, func(tok *model.TokenView) { tok.Signal = model.SignalNeutral }))
	after := dark.m.a.table.rows["SOL"].line
	if want := dark.m.a.ctx.styles.rows[hlDown][0].base.pre; !strings.Contains(after, want) || strings.Contains(before, want) {
		t.Fatal("highlighted row not drawn with the highlight background")
	}
	// highlights off
	off := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.Highlight = -1 })
	off.put(makeSnapshot(20, 1))
	off.put(withToken(off.snap, i, func(tok *model.TokenView) { tok.Signal = model.SignalBearish }))
	if off.m.a.table.rows["SOL"].hl != hlNone || !strings.Contains(plain(off), "SOL turned bearish") {
		t.Fatal("Highlight < 0 must turn row highlights off and keep the announcement")
	}
}

func bullGrade() model.Grade {
	return makeGrade([]string{"x"}, []string{""}, []float64{1}, []float64{80}, []float64{1})
}

func TestNewMoonshotHighlightsAndAnnounces(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 140, 40)
	hs.put(makeSnapshot(60, 1))
	if hs.m.a.announce != "" {
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
		t.Fatalf("no announcement: %q", hs.m.a.announce)
	}
	if hs.m.a.table.rows["TK050"].hl != hlUp {
		t.Fatal("the new pick's token row is not highlighted")
	}
	if !strings.Contains(hs.m.a.tabBar, "Moonshots (4)") {
		t.Fatalf("tab bar count: %q", ansi.Strip(hs.m.a.tabBar))
	}
	hs.key("m")
	if hs.m.a.view != viewMoonshots {
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
	if hs.m.a.announce != "" || len(hs.m.a.moon.hl) != 0 {
		t.Fatal("announcement or highlight did not end")
	}
}

func TestViewsCycleAndMoonshotTables(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 40)
	hs.put(makeSnapshot(60, 1))
	a := hs.m.a
	if !strings.Contains(plain(hs), "[Markets] · Watch (0) · Portfolio (0) · Moonshots (3) · Past (12) · Alerts (0)") {
		t.Fatalf("tab bar:\n%s", plain(hs))
	}
	for _, step := range []struct {
		key  string
		want view
	}{{"tab", viewWatch}, {"tab", viewPortfolio}, {"tab", viewMoonshots}, {"tab", viewPast}, {"tab", viewAlerts},
		{"tab", viewMarkets}, {"shift+tab", viewAlerts}, {"shift+tab", viewPast},
		{"m", viewMoonshots}, {"m", viewMarkets}} {
		hs.key(step.key)
		if a.view != step.want {
			t.Fatalf("after %s view %d, want %d", step.key, a.view, step.want)
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
	m := a.moon
	if m.picks.At(m.order[0]).Symbol != "TK041" {
		t.Fatalf("first pick %s, want the newest (TK041)", m.picks.At(m.order[0]).Symbol)
	}
	hs.key("s")
	if m.sortBy != pickByROI || !m.desc || !strings.Contains(plain(hs), "ROI ▼") {
		t.Fatal("s did not sort picks by ROI")
	}
	for i := 1; i < len(m.order); i++ {
		if m.picks.At(m.order[i-1]).ROI < m.picks.At(m.order[i]).ROI {
			t.Fatal("picks not sorted by ROI")
		}
	}
	if a.table.sortBy != sortRank {
		t.Fatal("s in the Moonshots view changed the markets sort")
	}
	// the cursor and enter open the pick's token
	hs.key("j")
	sym := m.selectedSymbol()
	hs.runCmd(hs.key("enter"))
	if !a.detail.open || a.detail.symbol != sym {
		t.Fatalf("enter on a pick opened %q, want %q", a.detail.symbol, sym)
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
	p := a.past
	for i := 1; i < len(p.order); i++ {
		if p.picks.At(p.order[i-1]).Exit.Before(p.picks.At(p.order[i]).Exit) {
			t.Fatal("past picks not newest exit first")
		}
	}
	hs.key("r")
	if p.desc || p.picks.At(p.order[0]).Exit.After(p.picks.At(p.order[1]).Exit) {
		t.Fatal("r did not reverse the past picks")
	}
	// the mouse: a click on a tab switches views
	hs.send(tea.MouseMsg{X: 3, Y: 0, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if a.view != viewMarkets {
		t.Fatal("click on the Markets tab")
	}
	hs.send(tea.MouseMsg{X: 45, Y: 0, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}) // " [Markets] · Watch (0) · Portfolio (0) · Moonshots (3)"
	if a.view != viewMoonshots {
		t.Fatal("click on the Moonshots tab")
	}
	// a click on a pick row selects it (tab bar, header, rows)
	hs.send(tea.MouseMsg{X: 5, Y: 4, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if m.cursor != 2 {
		t.Fatalf("click on the third pick: cursor %d", m.cursor)
	}
	// search belongs to the markets table: / goes back there
	hs.key("/")
	if a.view != viewMarkets || !a.search.active {
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
	if cmd := hs.key("enter"); cmd != nil || hs.m.a.detail.open {
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
	if hs.key("f"); hs.m.a.detail.ratings {
		t.Fatal("f works with the detail closed")
	}
	hs.key("j") // ETH: graded, official rating, flips
	hs.runCmd(hs.key("enter"))
	v := plain(hs)
	if !strings.Contains(v, "── Ratings") || !strings.Contains(v, "▲ bullish · Trader 93 Strong Bullish") ||
		!strings.Contains(v, "Token Metrics: TM Grade 62 · Trader 64 · ▲ bullish · updated 2h ago") {
		t.Fatalf("ratings summary in the chart view:\n%s", v)
	}
	hs.key("f")
	d := hs.m.a.detail
	if !d.ratings {
		t.Fatal("f did not show the ratings")
	}
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
	if d.ratingsOffset != d.maxRatingsOffset() || d.ratingsOffset == 0 {
		t.Fatalf("scroll stopped at %d of %d", d.ratingsOffset, d.maxRatingsOffset())
	}
	hs.key("g")
	if d.ratingsOffset != 0 {
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
	r := hs.m.a.table.rows["SOL"]
	hs.now = hs.now.Add(time.Hour) // a fast demo clock
	for range 59 {
		hs.send(tickMsg{})
	}
	if r.hl == hlNone {
		t.Fatal("highlight followed the market clock, not render ticks")
	}
	hs.send(tickMsg{})
	if r.hl != hlNone {
		t.Fatal("highlight outlived 60 ticks")
	}
}

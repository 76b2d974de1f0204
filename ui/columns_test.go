package ui

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

type testCol uint8

const (
	tcA testCol = iota
	tcB
	tcC
	tcD
)

func testSpecs() []colSpec[testCol] {
	return []colSpec[testCol]{
		{tcA, "A", 6, 6, false},
		{tcB, "B", 10, 20, false},
		{tcC, "C", 8, 8, true},
		{tcD, "D", 5, 12, true},
	}
}

func shownCols(l colLayout[testCol]) (cols []testCol, widths []int) {
	for _, c := range l.cols {
		cols = append(cols, c.col)
		widths = append(widths, c.width)
	}
	return cols, widths
}

func TestFitColumns(t *testing.T) {
	rule := fitRule[testCol]{gutter: 2, gaps: []int{2, 1}, drop: []testCol{tcB, tcD},
		grow: []growStep[testCol]{{tcB, 14}, {tcD, 0}, {tcB, 0}}}
	cases := []struct {
		width  int
		cols   []testCol
		widths []int
		gap    int
	}{
		// all at their minimum: 2 + 6+10+8+5 + 3*2 = 37
		{37, []testCol{tcA, tcB, tcC, tcD}, []int{6, 10, 8, 5}, 2},
		// one cell short with two-cell gaps: one-cell gaps keep every column
		{34, []testCol{tcA, tcB, tcC, tcD}, []int{6, 10, 8, 5}, 1},
		{36, []testCol{tcA, tcB, tcC, tcD}, []int{6, 12, 8, 5}, 1},
		// B goes first (with either gap: the first is kept), then D; A and
		// C stay even when they do not fit
		{33, []testCol{tcA, tcC, tcD}, []int{6, 8, 12}, 2},
		{25, []testCol{tcA, tcC, tcD}, []int{6, 8, 5}, 2},
		{24, []testCol{tcA, tcC, tcD}, []int{6, 8, 6}, 1},
		{22, []testCol{tcA, tcC}, []int{6, 8}, 2},
		{5, []testCol{tcA, tcC}, []int{6, 8}, 2},
		// grown in order: B to 14, then D to its maximum, then B to its
		{41, []testCol{tcA, tcB, tcC, tcD}, []int{6, 14, 8, 5}, 2},
		{48, []testCol{tcA, tcB, tcC, tcD}, []int{6, 14, 8, 12}, 2},
		{60, []testCol{tcA, tcB, tcC, tcD}, []int{6, 20, 8, 12}, 2},
		{200, []testCol{tcA, tcB, tcC, tcD}, []int{6, 20, 8, 12}, 2},
	}
	for _, c := range cases {
		l := fitColumns(testSpecs(), c.width, rule)
		cols, widths := shownCols(l)
		if !slices.Equal(cols, c.cols) || !slices.Equal(widths, c.widths) || l.gap != c.gap {
			t.Errorf("width %d: columns %v widths %v gap %d, want %v %v %d", c.width, cols, widths, l.gap,
				c.cols, c.widths, c.gap)
		}
		used := l.gutter + l.gap*(len(l.cols)-1)
		for _, w := range widths {
			used += w
		}
		if l.used != used {
			t.Errorf("width %d: used %d, want %d", c.width, l.used, used)
		}
	}
	// A squeezed column gives cells back, down to one.
	sq := fitRule[testCol]{gutter: 2, gaps: []int{2}, drop: []testCol{tcD, tcC}, squeeze: []testCol{tcB}}
	for _, c := range []struct{ width, b int }{{20, 10}, {19, 9}, {12, 2}, {11, 1}, {3, 1}} {
		l := fitColumns(testSpecs()[:3], c.width, sq)
		if l.width(tcB) != c.b || l.shows(tcC) || !l.shows(tcA) {
			t.Errorf("width %d: B is %d cells (want %d), C shown %v", c.width, l.width(tcB), c.b, l.shows(tcC))
		}
	}
}

func TestAppendHeader(t *testing.T) {
	l := fitColumns(testSpecs(), 37, fitRule[testCol]{gutter: 2, gaps: []int{2}})
	got := string(l.appendHeader(nil, nil))
	want := "  " + "A     " + "  " + "B         " + "  " + "       C" + "  " + "    D"
	if got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	got = string(l.appendHeader(nil, func(c *fitCol[testCol]) string {
		if c.col == tcB {
			return "a title too long"
		}
		return c.title
	}))
	if !strings.Contains(got, "  a title t…  ") || ansi.StringWidth(got) != 37 {
		t.Errorf("a long title is not cut to its column: %q", got)
	}
}

type testCells struct {
	n int
	s string
	f fbits
}

func TestRowCache(t *testing.T) {
	var c rowCache[string, testCells]
	draws := 0
	draw := func(dst []byte, v *testCells) []byte {
		draws++
		return append(append(dst, v.s...), byte('0'+v.n))
	}
	v := testCells{1, "a", fb(math.NaN())}
	if got := c.line("x", &v, draw); got != "a1" || draws != 1 {
		t.Fatalf("first line %q after %d draws", got, draws)
	}
	if got := c.line("x", &v, draw); got != "a1" || draws != 1 {
		t.Fatalf("same values (an unknown float among them) drawn again: %q, %d draws", got, draws)
	}
	v.n = 2
	if got := c.line("x", &v, draw); got != "a2" || draws != 2 {
		t.Fatalf("changed values: %q, %d draws", got, draws)
	}
	if got := c.line("y", &v, draw); got != "a2" || draws != 3 {
		t.Fatalf("another row: %q, %d draws", got, draws)
	}
	c.reset()
	c.line("x", &v, draw)
	if draws != 4 || c.renders != 4 {
		t.Fatalf("after reset: %d draws, %d renders", draws, c.renders)
	}
	c.sweep() // x and y were asked for
	c.line("x", &v, draw)
	c.sweep() // y was not
	if _, ok := c.rows["y"]; ok || len(c.rows) != 1 {
		t.Fatalf("sweep kept %d rows", len(c.rows))
	}
	if n := testing.AllocsPerRun(100, func() { _ = c.line("x", &v, draw) }); n != 0 {
		t.Fatalf("a cached row allocates %v times", n)
	}
}

// shownField is one change of a value a row shows.
type shownField struct {
	name   string
	change func() // makes the change and lets the view take it
	find   string // finds the row after the change (default: the test's)
	want   string // the row shows this after the change ("" when only its style changes)
	gone   string // and no longer shows this
}

// rowLine is the screen line (with its escape sequences) whose text holds
// find, "" when none does.
func rowLine(hs *harness, find string) string {
	for _, l := range strings.Split(hs.m.View(), "\n") {
		if strings.Contains(ansi.Strip(l), find) {
			return l
		}
	}
	return ""
}

// checkRowRedrawn makes each change in turn and checks that the row is
// drawn again, showing the new value: a value missing from the row's cache
// key would leave the old line on screen.
func checkRowRedrawn(t *testing.T, hs *harness, find string, fields []shownField) {
	t.Helper()
	for _, f := range fields {
		before := rowLine(hs, find)
		if before == "" {
			t.Fatalf("%s: no row holds %q before the change:\n%s", f.name, find, plain(hs))
		}
		f.change()
		if f.find != "" {
			find = f.find
		}
		after := rowLine(hs, find)
		switch text := ansi.Strip(after); {
		case after == "":
			t.Errorf("%s: no row holds %q after the change:\n%s", f.name, find, plain(hs))
		case after == before:
			t.Errorf("%s: the row was not redrawn: %q", f.name, text)
		case f.want != "" && !strings.Contains(text, f.want):
			t.Errorf("%s: the row %q lacks %q", f.name, text, f.want)
		case f.gone != "" && strings.Contains(text, f.gone):
			t.Errorf("%s: the row %q still shows %q", f.name, text, f.gone)
		}
	}
}

// tick advances the harness clock and runs one render tick.
func (hs *harness) tickAfter(d time.Duration) {
	hs.now = hs.now.Add(d)
	hs.send(tickMsg{})
}

func TestTableRowRedrawsEachShownField(t *testing.T) {
	hs := newHarness(t, "dark", termenv.TrueColor, 200, 40)
	hs.put(makeSnapshot(20, 1))
	const sym = "SOL"
	edit := func(f func(tok *model.TokenView)) func() {
		return func() {
			s := *hs.snap
			s.Seq++
			s.Time = hs.now
			editTokens(&s, func(tokens []*model.TokenView) {
				for i, tok := range tokens {
					if tok.Symbol == sym {
						c := *tok
						c.Version++
						c.LastUpdate = hs.now
						f(&c)
						tokens[i] = &c
					}
				}
			})
			hs.put(&s)
		}
	}
	tok := hs.snap.Token(sym)
	otherSignal := model.SignalBullish
	if tok.Signal == model.SignalBullish {
		otherSignal = model.SignalBearish
	}
	reversed := tok.Spark.Clone()
	slices.Reverse(reversed)
	text := func(b []byte) string { return string(b) }
	later := func(d time.Duration) func() { // the market's clock moves on, the token does not
		return func() {
			hs.now = hs.now.Add(d)
			s := *hs.snap
			s.Seq++
			s.Time = hs.now
			hs.put(&s)
		}
	}
	fields := []shownField{
		{name: "rank", change: edit(func(c *model.TokenView) { c.Rank = 88 }), want: " 88 "},
		{name: "name", change: edit(func(c *model.TokenView) { c.Name = "Solana Renamed" }), want: "Solana Renamed"},
		{name: "price (and its flash)", change: edit(func(c *model.TokenView) { c.Price = 151.625 }),
			want: text(appendPrice(nil, 151.625)) + " ▲"},
		{name: "flash ends", change: func() { hs.tickAfter(time.Second) }, gone: text(appendPrice(nil, 151.625)) + " ▲"},
		{name: "change 1h", change: edit(func(c *model.TokenView) { c.Change1h = -0.0321 }), want: text(appendChange(nil, -0.0321))},
		{name: "change 24h", change: edit(func(c *model.TokenView) { c.Change24h = 0.4567 }), want: text(appendChange(nil, 0.4567))},
		{name: "change 7d", change: edit(func(c *model.TokenView) { c.Change7d = -0.2345 }), want: text(appendChange(nil, -0.2345))},
		{name: "change 7d unknown", change: edit(func(c *model.TokenView) { c.Change7d = math.NaN() }), gone: text(appendChange(nil, -0.2345))},
		{name: "volume", change: edit(func(c *model.TokenView) { c.Volume24h = 7.654e6 }), want: text(appendCompact(nil, 7.654e6))},
		{name: "market cap", change: edit(func(c *model.TokenView) { c.MarketCap = 4.321e9 }), want: text(appendCapOrUnknown(nil, 4.321e9))},
		{name: "trader grade", change: edit(func(c *model.TokenView) { c.TraderGrade.Value = 93 }), want: " 93 "},
		{name: "trader grade band", change: edit(func(c *model.TokenView) { c.TraderGrade.Band = model.StrongBearish })},
		{name: "investor grade", change: edit(func(c *model.TokenView) { c.InvestorGrade.Value = 7 }), want: " 7 "},
		{name: "investor grade band", change: edit(func(c *model.TokenView) { c.InvestorGrade.Band = model.Bearish })},
		{name: "trend", change: edit(func(c *model.TokenView) { c.Spark = model.ReadOnlyOf(reversed...) })},
		{name: "trend from the cache", change: edit(func(c *model.TokenView) { c.Cached = c.LastUpdate.Add(-6 * time.Hour) })},
		{name: "stale", change: later(time.Hour), want: "◌"},
		{name: "fresh", change: edit(func(c *model.TokenView) {}), gone: "◌"},
		{name: "selection", change: func() { hs.key("G") }, want: "▸"}, // rank 88: the last row
		{name: "watched", change: func() { hs.runCmd(hs.key("*")) }, want: "★"},
		{name: "signal (and its highlight)", change: edit(func(c *model.TokenView) { c.Signal = otherSignal }),
			want: signalCell(otherSignal)},
		{name: "highlight ends", change: func() {
			for range 10000 {
				hs.tickAfter(100 * time.Millisecond)
				if !strings.Contains(ansi.Strip(rowLine(hs, sym)), "✦") {
					return
				}
			}
		}, gone: "✦"},
		{name: "trader grade unknown", change: edit(func(c *model.TokenView) { c.TraderGrade = model.NoGrade("no history") }),
			gone: signalCell(otherSignal)},
	}
	checkRowRedrawn(t, hs, " "+sym+" ", fields)
	// and a resize draws it again at the new width
	before := rowLine(hs, " "+sym+" ")
	hs.send(tea.WindowSizeMsg{Width: 150, Height: 40})
	if after := rowLine(hs, " "+sym+" "); after == before || ansi.StringWidth(after) != 150 {
		t.Errorf("after a resize the row is %q", ansi.Strip(after))
	}
}

// changedToken is the next snapshot with the token sym changed by f, or
// without it when f returns false.
func changedToken(prev *model.Snapshot, sym string, f func(c *model.TokenView) bool) *model.Snapshot {
	s := *prev
	s.Seq++
	var tokens []*model.TokenView
	for _, tok := range prev.Tokens.All() {
		if tok.Symbol == sym {
			c := *tok
			c.Version++
			if !f(&c) {
				continue
			}
			tok = &c
		}
		tokens = append(tokens, tok)
	}
	s.Tokens = model.ReadOnlyOf(tokens...)
	return &s
}

// setRecords changes the user's records as another session would, and
// runs the tick that takes them.
func (hs *harness) setRecords(f func(d *model.UserData)) {
	d := hs.user.records()
	f(&d)
	hs.user.set(d)
	hs.send(tickMsg{})
}

func lotOf(d *model.UserData, id string) *model.Lot {
	for i := range d.Lots {
		if d.Lots[i].ID == id {
			return &d.Lots[i]
		}
	}
	panic("no lot " + id)
}

func TestPortfolioRowsRedrawEachShownField(t *testing.T) {
	hs := newHarness(t, "dark", termenv.TrueColor, 200, 40, withUser(sampleUser()))
	hs.put(makeSnapshot(60, 1))
	hs.key("tab")
	hs.key("tab") // Portfolio
	btc := hs.snap.Token("BTC")
	price := func(sym string, p float64) func() {
		return func() { hs.put(changedToken(hs.snap, sym, func(c *model.TokenView) bool { c.Price = p; return true })) }
	}
	lot := func(f func(l *model.Lot)) func() {
		return func() { hs.setRecords(func(d *model.UserData) { f(lotOf(d, "lot-btc-1")) }) }
	}
	text := func(b []byte) string { return string(b) }
	t.Run("position", func(t *testing.T) {
		checkRowRedrawn(t, hs, "  BTC   ", []shownField{
			{name: "price (value, P&L)", change: price("BTC", 71234.5), want: text(appendPrice(nil, 71234.5))},
			{name: "quantity", change: lot(func(l *model.Lot) { l.Quantity = 1.5 }), want: text(appendQty(nil, 1.75))},
			{name: "average cost", change: lot(func(l *model.Lot) { l.Cost = 30000 })},
			{name: "allocation (another position's price)", change: price("ETH", 9999)},
			{name: "hidden balances", change: func() { hs.key("b") }, want: masked},
			{name: "shown balances", change: func() { hs.key("b") }, gone: masked},
			{name: "no price", change: func() {
				hs.put(changedToken(hs.snap, "BTC", func(*model.TokenView) bool { return false }))
			}, want: "no price"},
			{name: "priced again", change: func() {
				s := *hs.snap
				s.Seq++
				s.Tokens = model.ReadOnlyOf(append(hs.snap.Tokens.Clone(), btc)...)
				hs.put(&s)
			}, gone: "no price"},
		})
	})
	t.Run("lot", func(t *testing.T) {
		checkRowRedrawn(t, hs, "first buy", []shownField{
			{name: "price (value, P&L)", change: price("BTC", 80000), want: text(appendMoney(nil, 1.5*80000))},
			{name: "quantity", change: lot(func(l *model.Lot) { l.Quantity = 2.5 }), want: text(appendQty(nil, 2.5))},
			{name: "cost", change: lot(func(l *model.Lot) { l.Cost = 12345.5 }), want: text(appendUnitCost(nil, 12345.5))},
			{name: "opened", change: lot(func(l *model.Lot) { l.Opened = day(2024, 2, 7) }), want: "2024-02-07"},
			{name: "no date", change: lot(func(l *model.Lot) { l.Opened = time.Time{} }), want: "no date"},
			{name: "note", change: lot(func(l *model.Lot) { l.Note = "first buy, then more" }), want: "first buy, then more"},
			{name: "hidden balances", change: func() { hs.key("b") }, want: masked},
			{name: "selection", change: func() { hs.key("j") }, gone: "▸"},
			{name: "selection back", change: func() { hs.key("k") }, want: "▸"},
		})
	})
	// the total line
	checkRowRedrawn(t, hs, "Total", []shownField{
		{name: "shown balances", change: func() { hs.key("b") }, gone: masked},
		{name: "value", change: price("BTC", 90000)},
		{name: "unpriced", change: func() {
			hs.put(changedToken(hs.snap, "ETH", func(*model.TokenView) bool { return false }))
		}, want: "2 positions without a price"},
	})
}

func TestMoonshotRowsRedrawEachShownField(t *testing.T) {
	hs := newHarness(t, "dark", termenv.TrueColor, 200, 40)
	hs.put(makeSnapshot(60, 1))
	hs.key("m") // Moonshots
	sym := hs.snap.Moonshots.At(1).Symbol
	pick := func(past bool, f func(m *model.Moonshot)) func() {
		return func() {
			s := *hs.snap
			s.Seq++
			editPicks(&s, func(open, closed []model.Moonshot) ([]model.Moonshot, []model.Moonshot) {
				list := open
				if past {
					list = closed
				}
				for i := range list {
					if list[i].Symbol == sym {
						f(&list[i])
					}
				}
				return open, closed
			})
			hs.put(&s)
		}
	}
	open := func(f func(m *model.Moonshot)) func() { return pick(false, f) }
	text := func(b []byte) string { return string(b) }
	entry := hs.snap.Moonshots.At(1).Entry.Add(-90 * time.Minute)
	checkRowRedrawn(t, hs, sym+" ", []shownField{
		{name: "name", change: open(func(m *model.Moonshot) { m.Name = "Renamed Pick" }), want: "Renamed Pick"},
		{name: "entry price", change: open(func(m *model.Moonshot) { m.EntryPrice = 0.123456 }), want: text(appendPrice(nil, 0.123456))},
		{name: "price", change: open(func(m *model.Moonshot) { m.Price = 98.7654 }), want: text(appendPrice(nil, 98.7654))},
		{name: "ROI", change: open(func(m *model.Moonshot) { m.ROI = 3.21 }), want: text(appendROI(nil, 3.21))},
		{name: "ROI falls", change: open(func(m *model.Moonshot) { m.ROI = -0.4321 }), want: text(appendROI(nil, -0.4321))},
		{name: "peak ROI", change: open(func(m *model.Moonshot) { m.PeakROI = 5.4321 }), want: text(appendROI(nil, 5.4321))},
		{name: "grade", change: open(func(m *model.Moonshot) { m.Grade = 12 }), want: " 12 "},
		{name: "volume", change: open(func(m *model.Moonshot) { m.Volume24h = 4.56e6 }), want: text(appendCompact(nil, 4.56e6))},
		{name: "cap", change: open(func(m *model.Moonshot) { m.MarketCap = 7.89e7 }), want: text(appendCapOrUnknown(nil, 7.89e7))},
		{name: "entry (a new pick, highlighted)", change: open(func(m *model.Moonshot) { m.Entry = entry }),
			want: text(appendWhen(nil, entry, hs.now.Location())), find: "✦"},
		{name: "selection", change: func() { hs.key("j") }, want: "▸", find: sym + " "},
	})

	hs.key("tab") // Past Moonshots
	sym = hs.snap.PastMoonshots.At(2).Symbol
	past := func(f func(m *model.Moonshot)) func() { return pick(true, f) }
	exit := hs.snap.PastMoonshots.At(2).Exit.Add(3 * time.Hour)
	checkRowRedrawn(t, hs, sym+" ", []shownField{
		{name: "exit", change: past(func(m *model.Moonshot) { m.Exit = exit }), want: text(appendWhen(nil, exit, hs.now.Location()))},
		{name: "exit price", change: past(func(m *model.Moonshot) { m.Price = 4.5678 }), want: text(appendPrice(nil, 4.5678))},
		{name: "exit reason", change: past(func(m *model.Moonshot) { m.ExitReason = "a reason of its own" }), want: "a reason of its own"},
		{name: "entry price", change: past(func(m *model.Moonshot) { m.EntryPrice = 2.3456 }), want: text(appendPrice(nil, 2.3456))},
		{name: "ROI", change: past(func(m *model.Moonshot) { m.ROI = 0.987 }), want: text(appendROI(nil, 0.987))},
		{name: "peak ROI", change: past(func(m *model.Moonshot) { m.PeakROI = 1.987 }), want: text(appendROI(nil, 1.987))},
	})
}

func TestAlertRowsRedrawEachShownField(t *testing.T) {
	hs := newHarness(t, "dark", termenv.TrueColor, 200, 40, withUser(alertsSample()))
	hs.put(makeSnapshot(60, 1))
	toAlerts(t, hs)
	alert := func(id string, f func(a *model.Alert)) func() {
		return func() {
			hs.setRecords(func(d *model.UserData) {
				for i := range d.Alerts {
					if d.Alerts[i].ID == id {
						f(&d.Alerts[i])
					}
				}
			})
		}
	}
	a2 := func(f func(a *model.Alert)) func() { return alert("a2", f) }
	checkRowRedrawn(t, hs, "ETH moves", []shownField{
		{name: "percent", change: a2(func(a *model.Alert) { a.Percent = 0.07 }), want: "ETH moves 7% within 1h"},
		{name: "window", change: a2(func(a *model.Alert) { a.Window = model.Duration(24 * time.Hour) }), want: "within 24h"},
		{name: "cooldown", change: a2(func(a *model.Alert) { a.Cooldown = model.Duration(2 * time.Hour) }), want: "repeat ≤1/2h"},
		{name: "once", change: a2(func(a *model.Alert) { a.Repeat = false }), want: "once"},
		{name: "fired", change: a2(func(a *model.Alert) { a.Fired = 9 }), want: "  9  "},
		{name: "last fired", change: a2(func(a *model.Alert) { a.LastFired = hs.now.Add(-17 * time.Minute) }), want: "17m ago"},
		{name: "time passes", change: func() { hs.tickAfter(2 * time.Minute) }, want: "19m ago"},
		{name: "disabled", change: a2(func(a *model.Alert) { a.Disabled = true }), want: "○"},
		{name: "done", change: a2(func(a *model.Alert) { a.Disabled, a.Done = false, true }), want: "✓"},
		{name: "armed", change: a2(func(a *model.Alert) { a.Done = false }), want: "●"},
		{name: "selection", change: func() { hs.key("j") }, want: "▸"},
		{name: "kind", change: a2(func(a *model.Alert) { a.Kind, a.Price = model.AlertPriceAbove, 4000 }),
			want: "ETH price above", find: "ETH price"},
	})
}

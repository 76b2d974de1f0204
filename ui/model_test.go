package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

// checkSize fails unless view is exactly h lines of exactly w cells.
func checkSize(tb testing.TB, view string, w, h int) {
	tb.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		tb.Fatalf("%dx%d: got %d lines, want %d", w, h, len(lines), h)
	}
	for i, l := range lines {
		if got := lipgloss.Width(l); got != w {
			tb.Fatalf("%dx%d: line %d is %d cells, want %d: %q", w, h, i, got, w, ansi.Strip(l))
		}
	}
}

func plain(hs *harness) string { return ansi.Strip(hs.m.View()) }

func TestViewBeforeSizeAndSnapshot(t *testing.T) {
	m := New(Options{Theme: testTheme(t, "mono"), Renderer: testRenderer(termenv.Ascii)})
	if v := m.View(); v != "" {
		t.Fatalf("View before the first WindowSizeMsg = %q, want empty", v)
	}
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24)
	v := hs.m.View()
	checkSize(t, v, 80, 24)
	if !strings.Contains(v, "connecting… loading market") {
		t.Fatalf("no loading text before the first snapshot:\n%s", v)
	}
	if !strings.Contains(v, "DEMO") {
		t.Fatal("no DEMO label in demo mode")
	}
}

func TestInitStartsTick(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24)
	msgs := cmdMsgs(hs.m.Init())
	if len(msgs) != 1 {
		t.Fatalf("Init produced %v", msgs)
	}
	if _, ok := msgs[0].(tickMsg); !ok {
		t.Fatalf("Init produced %T, want tickMsg", msgs[0])
	}
	hs.box.Put(makeSnapshot(5, 1))
	cmd := hs.send(tickMsg{})
	if cmd == nil {
		t.Fatal("a tick must schedule the next tick")
	}
	if hs.m.a.snap == nil || len(hs.m.a.table.view) != 5 {
		t.Fatal("tick did not take the snapshot from the mailbox")
	}
	// idle ticks keep the same snapshot and still tick
	if cmd := hs.send(tickMsg{}); cmd == nil || hs.m.a.snap.Seq != 1 {
		t.Fatal("idle tick lost the snapshot or stopped ticking")
	}
}

func TestNavigation(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 24) // 20 rows visible under the tab bar and header
	hs.put(makeSnapshot(100, 1))
	tb := hs.m.a.table
	steps := []struct {
		key  string
		want int
	}{
		{"j", 1}, {"down", 2}, {"k", 1}, {"up", 0}, {"up", 0},
		{"G", 99}, {"g", 0}, {"ctrl+d", 10}, {"ctrl+u", 0},
		{"pgdown", 20}, {"pgup", 0}, {"end", 99}, {"home", 0},
	}
	for _, s := range steps {
		hs.key(s.key)
		if tb.cursor != s.want {
			t.Fatalf("after %q cursor = %d, want %d", s.key, tb.cursor, s.want)
		}
		if tb.cursor < tb.offset || tb.cursor >= tb.offset+tb.bodyRows() {
			t.Fatalf("after %q cursor %d outside window at %d", s.key, tb.cursor, tb.offset)
		}
	}
	hs.key("G")
	if !strings.Contains(plain(hs), "▸ ") || !strings.Contains(plain(hs), "TK099") {
		t.Fatal("bottom row not shown with the cursor")
	}
}

// Keys typed faster than the program reads arrive as one KeyMsg of several
// runes; each must count, and go to whoever has the focus by then.
func TestKeyBurstIsEachKey(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(30, 1))
	hs.key("jj")
	if hs.selected() != "SOL" {
		t.Fatalf("after a burst \"jj\" selected %q, want SOL (two rows down)", hs.selected())
	}
	hs.key("/eth")
	if tb := hs.m.a.table; !hs.m.a.search.active || len(tb.view) != 1 || tb.view[0].tok.Symbol != "ETH" {
		t.Fatalf("a burst \"/eth\" should open search and filter to ETH: active=%v, %d rows", hs.m.a.search.active, len(tb.view))
	}
	hs.key("esc")
	before := hs.selected()
	hs.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jj"), Paste: true})
	if hs.selected() != before {
		t.Fatalf("a paste of \"jj\" moved the cursor from %q to %q", before, hs.selected())
	}
}

func TestSortKeepsCursorOnToken(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(30, 1))
	hs.key("j")
	hs.key("j")
	if hs.selected() != "SOL" {
		t.Fatalf("selected %q, want SOL", hs.selected())
	}
	tb := hs.m.a.table
	hs.key("s") // rank -> symbol, ascending
	if tb.sortBy != sortSymbol || tb.desc {
		t.Fatalf("sort = %v desc=%v, want symbol asc", tb.sortBy, tb.desc)
	}
	if hs.selected() != "SOL" {
		t.Fatalf("cursor moved to %q after sort", hs.selected())
	}
	if tb.view[0].tok.Symbol != "ADA" {
		t.Fatalf("first by symbol = %s, want ADA", tb.view[0].tok.Symbol)
	}
	if !strings.Contains(plain(hs), "Symbol ▲") {
		t.Fatal("header does not mark the sort column")
	}
	hs.key("r")
	if !tb.desc || hs.selected() != "SOL" || tb.view[0].tok.Symbol != "XRP" {
		t.Fatalf("reverse: desc=%v selected=%s first=%s", tb.desc, hs.selected(), tb.view[0].tok.Symbol)
	}
	if !strings.Contains(plain(hs), "Symbol ▼") {
		t.Fatal("header does not show ▼ after reverse")
	}
	hs.key("S") // back to rank, ascending
	if tb.sortBy != sortRank || tb.desc || hs.selected() != "SOL" || tb.cursor != 2 {
		t.Fatalf("S: sort=%v desc=%v selected=%s cursor=%d", tb.sortBy, tb.desc, hs.selected(), tb.cursor)
	}
	for range 5 { // rank -> symbol -> name -> price -> 1h -> 24h, biggest first
		hs.key("s")
	}
	if tb.sortBy != sortChange24h || !tb.desc {
		t.Fatalf("sort = %v desc=%v, want change_24h desc", tb.sortBy, tb.desc)
	}
	for i := 1; i < len(tb.view); i++ {
		if tb.view[i-1].tok.Change24h < tb.view[i].tok.Change24h {
			t.Fatalf("not sorted by 24h change at %d", i)
		}
	}
	if hs.selected() != "SOL" {
		t.Fatal("cursor left SOL")
	}
	// a new snapshot re-sorts and keeps the cursor
	hs.put(nextSnapshot(hs.snap, 2, 5))
	if hs.selected() != "SOL" {
		t.Fatal("cursor left SOL on a new snapshot")
	}
}

func TestSortOption(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.Sort = "market_cap"; o.SortDesc = false })
	hs.put(makeSnapshot(10, 1))
	tb := hs.m.a.table
	if tb.sortBy != sortCap || tb.view[0].tok.Symbol != "LINK" { // smallest cap of the ten
		t.Fatalf("sort option ignored: %v, first %s", tb.sortBy, tb.view[0].tok.Symbol)
	}
}

func TestSearchFiltersLiveAndEscClears(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(30, 1))
	tb := hs.m.a.table
	hs.key("/")
	if !hs.m.a.search.active {
		t.Fatal("/ did not open search")
	}
	hs.key("E")
	if len(tb.view) == 30 {
		t.Fatal("typing did not filter")
	}
	hs.typeText("th")
	if len(tb.view) != 1 || tb.view[0].tok.Symbol != "ETH" {
		t.Fatalf("filter \"eth\" shows %d rows", len(tb.view))
	}
	if !strings.Contains(plain(hs), "/Eth") {
		t.Fatal("search line not shown")
	}
	hs.key("q") // text, not quit
	if len(tb.view) != 0 || !strings.Contains(plain(hs), "no token matches") {
		t.Fatal("typing q into the search box should filter, not quit")
	}
	hs.key("backspace")
	hs.key("enter")
	if hs.m.a.search.active || len(tb.view) != 1 {
		t.Fatal("enter must keep the filter and leave the box")
	}
	if !strings.Contains(plain(hs), `filter "eth" 1/30`) {
		t.Fatalf("status line does not show the filter:\n%s", plain(hs))
	}
	// by name, case-insensitive
	hs.key("/")
	hs.key("ctrl+u")
	hs.typeText("DOGEC")
	if len(tb.view) != 1 || tb.view[0].tok.Symbol != "DOGE" {
		t.Fatalf("name search: %d rows", len(tb.view))
	}
	hs.key("esc")
	if hs.m.a.search.active || len(tb.view) != 30 || strings.Contains(plain(hs), "filter") {
		t.Fatal("esc must clear the filter")
	}
	// esc on the table clears a kept filter; esc never quits
	hs.key("/")
	hs.typeText("sol")
	hs.key("enter")
	if cmd := hs.key("esc"); isQuit(cmd) {
		t.Fatal("esc quit")
	}
	if len(tb.view) != 30 {
		t.Fatal("esc on the table did not clear the kept filter")
	}
}

func TestQuitKeys(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24)
	hs.put(makeSnapshot(5, 1))
	if !isQuit(hs.key("q")) {
		t.Fatal("q does not quit")
	}
	if !isQuit(hs.key("ctrl+c")) {
		t.Fatal("ctrl+c does not quit")
	}
	hs.key("/")
	if !isQuit(hs.key("ctrl+c")) {
		t.Fatal("ctrl+c does not quit from the search box")
	}
}

func TestHelpToggle(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 100, 30)
	hs.put(makeSnapshot(5, 1))
	hs.key("?")
	v := plain(hs)
	checkSize(t, hs.m.View(), 100, 30)
	if !strings.Contains(v, "tokentop keys") || !strings.Contains(v, "line/candles") || !strings.Contains(v, "half page down") {
		t.Fatalf("full help missing:\n%s", v)
	}
	hs.key("j") // ignored while help is up
	if hs.m.a.table.cursor != 0 {
		t.Fatal("keys leak through the help page")
	}
	hs.key("?")
	if strings.Contains(plain(hs), "tokentop keys") {
		t.Fatal("? did not close help")
	}
	hs.key("?")
	hs.key("esc")
	if hs.m.a.showHelp {
		t.Fatal("esc did not close help")
	}
}

func TestDetailOpenFetchCloseAndFocus(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 200, 50)
	hs.put(makeSnapshot(20, 1))
	hs.key("j")
	cmd := hs.key("enter")
	d := hs.m.a.detail
	if !d.open || !hs.m.a.beside {
		t.Fatal("enter did not open the detail beside the table")
	}
	msgs := cmdMsgs(cmd)
	if len(msgs) != 1 {
		t.Fatalf("open issued %d messages", len(msgs))
	}
	cm, ok := msgs[0].(candlesMsg)
	if !ok || cm.symbol != "ETH" || cm.tf != tf24h || cm.seq != d.seq || cm.candles.Len() == 0 {
		t.Fatalf("fetch reply %+v", msgs[0])
	}
	call := hs.hist.calls[0]
	if call.symbol != "ETH" || call.span != 24*time.Hour || call.maxBars != 2*(d.width-chartLabelW) {
		t.Fatalf("history call %+v (width %d)", call, d.width)
	}
	hs.send(cm)
	if !d.loaded || d.draws != 1 {
		t.Fatal("candles reply not drawn")
	}
	v := plain(hs)
	checkSize(t, hs.m.View(), 200, 50)
	if !strings.Contains(v, "ETH  Ethereum  #2") || !strings.Contains(v, "Recent trades") || !strings.Contains(v, "◆ whale") {
		t.Fatalf("detail pane incomplete:\n%s", v)
	}
	// the cursor still moves the table; the detail follows
	hs.key("j")
	if d.symbol != "SOL" || !d.pending {
		t.Fatalf("detail did not follow the cursor: %s pending=%v", d.symbol, d.pending)
	}
	var fetched []string
	for _, m := range cmdMsgs(hs.send(tickMsg{})) {
		if cm, ok := m.(candlesMsg); ok {
			fetched = append(fetched, cm.symbol)
		}
	}
	if len(fetched) != 1 || fetched[0] != "SOL" {
		t.Fatalf("tick after a cursor move should fetch SOL, fetched %v", fetched)
	}
	// w focuses the detail: up/down scroll trades, not the table
	hs.key("w")
	if !hs.m.a.focusDetail {
		t.Fatal("w did not focus the detail")
	}
	hs.key("j")
	if hs.selected() != "SOL" || d.tradesOffset != 1 {
		t.Fatalf("focused detail: selected %s, trades offset %d", hs.selected(), d.tradesOffset)
	}
	if !strings.Contains(hs.m.View(), "┃") {
		t.Fatal("focused detail not marked")
	}
	hs.key("w")
	if hs.m.a.focusDetail {
		t.Fatal("w did not return focus to the table")
	}
	hs.key("esc")
	if d.open || strings.Contains(plain(hs), "Recent trades") {
		t.Fatal("esc did not close the detail")
	}
	if hs.m.a.tableW != 200 {
		t.Fatal("table did not take the full width back")
	}
	hs.key("l")
	if !d.open {
		t.Fatal("l did not open the detail")
	}
	hs.key("h")
	if d.open {
		t.Fatal("h did not close the detail")
	}
}

func TestDetailFullScreenWhenNarrow(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 100, 30)
	hs.put(makeSnapshot(10, 1))
	hs.runCmd(hs.key("enter"))
	if hs.m.a.beside || !hs.m.a.focusDetail {
		t.Fatal("narrow window: detail should be full screen and focused")
	}
	v := plain(hs)
	if !strings.Contains(v, "BTC  Bitcoin  #1") || strings.Contains(v, "Mkt Cap") {
		t.Fatalf("full-screen detail not shown:\n%s", v)
	}
	hs.key("w")
	if v := plain(hs); !strings.Contains(v, "Mkt Cap") {
		t.Fatal("w did not show the table")
	}
	hs.key("j")
	hs.key("w")
	if v := plain(hs); !strings.Contains(v, "ETH  Ethereum  #2") {
		t.Fatalf("detail did not follow the cursor:\n%s", v)
	}
}

func TestTimeframeAndModeKeys(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 200, 50)
	hs.put(makeSnapshot(10, 1))
	if cmd := hs.key("1"); cmd != nil {
		t.Fatal("timeframe keys must do nothing with the detail closed")
	}
	hs.runCmd(hs.key("enter"))
	d := hs.m.a.detail
	for _, c := range []struct {
		key  string
		want timeframe
		span time.Duration
	}{{"1", tf1h, time.Hour}, {"4", tf30d, 30 * 24 * time.Hour}, {"[", tf7d, 7 * 24 * time.Hour}, {"]", tf30d, 30 * 24 * time.Hour}, {"2", tf24h, 24 * time.Hour}} {
		hs.runCmd(hs.key(c.key))
		last := hs.hist.calls[len(hs.hist.calls)-1]
		if d.tf != c.want || last.span != c.span || !d.loaded {
			t.Fatalf("key %s: tf=%v span=%v loaded=%v", c.key, d.tf, last.span, d.loaded)
		}
		if c.want == tf1h && last.maxBars != 60 {
			t.Fatalf("1h asks for %d bars, want 60", last.maxBars)
		}
	}
	if !strings.Contains(plain(hs), "[24h]") {
		t.Fatal("active tab not marked")
	}
	hs.runCmd(hs.key("c"))
	last := hs.hist.calls[len(hs.hist.calls)-1]
	if last.maxBars != d.width-chartLabelW || !strings.Contains(plain(hs), "candles") {
		t.Fatalf("candles mode: maxBars %d", last.maxBars)
	}
}

func TestStaleCandleRepliesDropped(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 200, 50)
	hs.put(makeSnapshot(10, 1))
	first := cmdMsgs(hs.key("enter"))[0].(candlesMsg)
	second := cmdMsgs(hs.key("3"))[0].(candlesMsg)
	d := hs.m.a.detail
	hs.send(first) // an old request for the 24h chart
	if d.loaded || d.draws != 0 {
		t.Fatal("a stale reply was drawn")
	}
	hs.send(second)
	if !d.loaded || d.draws != 1 || d.tf != tf7d {
		t.Fatal("the current reply was not drawn")
	}
	// after closing, late replies are dropped too
	third := cmdMsgs(hs.key("4"))[0].(candlesMsg)
	hs.key("esc")
	hs.send(third)
	if d.open || d.draws != 1 {
		t.Fatal("a reply after close changed the pane")
	}
}

func TestDetailRefetchAtMostTwiceASecond(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 200, 50) // RefreshHz 10: every 5 ticks
	hs.put(makeSnapshot(10, 1))
	hs.runCmd(hs.key("enter"))
	fetches := 0
	for range 20 {
		hs.snap = nextSnapshot(hs.snap, 0) // BTC changes at every tick
		hs.box.Put(hs.snap)
		for _, m := range cmdMsgs(hs.send(tickMsg{})) {
			if _, ok := m.(candlesMsg); ok {
				fetches++
			}
		}
	}
	if fetches != 4 {
		t.Fatalf("20 ticks of changes fetched %d times, want 4 (2 Hz at 10 ticks/s)", fetches)
	}
	// no change, no fetch
	before := len(hs.hist.calls)
	for range 10 {
		hs.send(tickMsg{})
	}
	if len(hs.hist.calls) != before {
		t.Fatal("fetched with no change")
	}
}

func TestOnlyChangedRowsRebuilt(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30) // 26 visible rows
	hs.put(makeSnapshot(100, 1))
	tb := hs.m.a.table
	if tb.renders != 26 {
		t.Fatalf("first snapshot rendered %d rows, want the 26 visible", tb.renders)
	}
	before := tb.renders
	hs.put(nextSnapshot(hs.snap, 3, 7, 20, 80)) // 80 is not visible
	if got := tb.renders - before; got != 3 {
		t.Fatalf("rebuilt %d rows, want 3", got)
	}
	before = tb.renders
	hs.send(tickMsg{}) // idle tick
	if tb.renders != before {
		t.Fatal("idle tick re-rendered rows")
	}
	hs.key("j") // cursor moves: old and new cursor rows
	if got := tb.renders - before; got != 2 {
		t.Fatalf("cursor move rebuilt %d rows, want 2", got)
	}
	before = tb.renders
	hs.send(tea.WindowSizeMsg{Width: 130, Height: 30})
	if got := tb.renders - before; got != 26 {
		t.Fatalf("resize rebuilt %d rows, want all 26 visible", got)
	}
}

func TestFlashStartsAndExpires(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(10, 1))
	up := nextSnapshot(hs.snap, 1) // ETH price rises (version 2)
	hs.put(up)
	r := hs.m.a.table.rows["ETH"]
	if r.flash != 1 || !strings.Contains(r.line, "▲") {
		t.Fatalf("no up flash: %d %q", r.flash, ansi.Strip(r.line))
	}
	down := *up
	down.Seq++
	editTokens(&down, func(tokens []*model.TokenView) {
		tokens[1] = makeToken(1, 1) // back down
		tokens[1].Version = 3
	})
	hs.put(&down)
	if r.flash != -1 || !strings.Contains(r.line, "▼") {
		t.Fatal("no down flash")
	}
	hs.now = hs.now.Add(699 * time.Millisecond)
	hs.send(tickMsg{})
	if r.flash != -1 {
		t.Fatal("flash ended early")
	}
	hs.now = hs.now.Add(time.Millisecond)
	hs.send(tickMsg{})
	if r.flash != 0 || strings.Contains(r.line, "▼") {
		t.Fatal("flash did not expire")
	}
	if other := hs.m.a.table.rows["BTC"]; other.flash != 0 {
		t.Fatal("unchanged token flashed")
	}

	off := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.Flash = 0 })
	off.put(makeSnapshot(10, 1))
	off.put(nextSnapshot(off.snap, 1))
	if off.m.a.table.rows["ETH"].flash != 0 {
		t.Fatal("Flash 0 must turn flashing off")
	}
}

func TestStaleRowsMarked(t *testing.T) {
	hs := newHarness(t, "dark", termenv.TrueColor, 120, 30)
	hs.put(makeSnapshot(15, 1))
	tb := hs.m.a.table
	link, btc := tb.rows["LINK"], tb.rows["BTC"] // LINK (i=9) last updated 5m ago
	if !link.stale || btc.stale {
		t.Fatalf("stale: LINK=%v BTC=%v", link.stale, btc.stale)
	}
	if !strings.Contains(ansi.Strip(link.line), "◌") || strings.Contains(ansi.Strip(btc.line), "◌") {
		t.Fatal("stale marker wrong")
	}
	if link.line[:40] == btc.line[:40] {
		t.Fatal("stale row not drawn differently")
	}
	// a longer StaleAfter un-stales it
	hs2 := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.StaleAfter = 10 * time.Minute })
	hs2.put(makeSnapshot(15, 1))
	if hs2.m.a.table.rows["LINK"].stale {
		t.Fatal("StaleAfter ignored")
	}
}

func TestMouse(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(50, 1))
	tb := hs.m.a.table
	hs.send(tea.MouseMsg{X: 10, Y: 5, Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if tb.cursor != wheelStep {
		t.Fatalf("wheel down: cursor %d", tb.cursor)
	}
	hs.send(tea.MouseMsg{X: 10, Y: 5, Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress})
	if tb.cursor != 0 {
		t.Fatalf("wheel up: cursor %d", tb.cursor)
	}
	hs.send(tea.MouseMsg{X: 10, Y: 7, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}) // tab bar, header, rows
	if tb.cursor != 5 || hs.selected() != "DOGE" {
		t.Fatalf("click: cursor %d %s", tb.cursor, hs.selected())
	}
	hs.send(tea.MouseMsg{X: 10, Y: 1, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}) // header
	if tb.cursor != 5 || hs.m.a.detail.open {
		t.Fatal("click on the header changed the selection")
	}
	cmd := hs.send(tea.MouseMsg{X: 10, Y: 7, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if !hs.m.a.detail.open || cmd == nil {
		t.Fatal("click on the selected row did not open its detail")
	}
}

func TestTooSmallAndResize(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 30, 6)
	hs.put(makeSnapshot(10, 1))
	v := hs.m.View()
	checkSize(t, v, 30, 6)
	if !strings.Contains(v, "terminal too small") {
		t.Fatalf("no too-small message:\n%s", v)
	}
	hs.send(tea.WindowSizeMsg{Width: 90, Height: 20})
	checkSize(t, hs.m.View(), 90, 20)
	if !strings.Contains(plain(hs), "BTC") {
		t.Fatal("table not back after growing")
	}
}

func TestHostileNamesSanitised(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 200, 50)
	s := makeSnapshot(15, 1)
	s.Feeds = model.ReadOnlyOf(append(s.Feeds.Clone(), model.FeedStatus{Name: "bin\x1b[2Jance", State: model.FeedReconnecting,
		Reason: "dial: \x1b]52;c;cGFzdGU=\x07refused", Bad: 3})...)
	hs.put(s)
	hs.key("G")
	for range 3 {
		hs.key("k")
	}
	hs.runCmd(hs.key("enter")) // EVIL
	v := hs.m.View()
	if strings.ContainsAny(v, "\x1b\x07\u202e") {
		t.Fatalf("control characters reached the screen: %q", v)
	}
	for _, want := range []string{"EvilCoin", "binance reconnecting", "(dial: refused)", "3 bad frames"} {
		if !strings.Contains(v, want) {
			t.Fatalf("missing %q:\n%s", want, v)
		}
	}
}

// With no tokens yet, the body says what each feed is doing and, when one
// cannot connect, what to try; never an empty screen with no explanation.
func TestWaitingScreenExplainsFeeds(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 100, 20)
	hs.put(&model.Snapshot{Seq: 1, Feeds: model.ReadOnlyOf(
		model.FeedStatus{Name: "binance", State: model.FeedReconnecting, Reason: "reconnecting in 4s (attempt 3): dial tcp: connection refused\x1b[2J"},
		model.FeedStatus{Name: "coingecko", State: model.FeedLive},
	)})
	v := hs.m.View()
	for _, want := range []string{"waiting for market data", "binance: reconnecting", "connection refused",
		"Cannot get market data from binance", "tokentop --demo", "coingecko: live"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "\x1b[2J") {
		t.Error("an escape sequence from a feed reason reached the screen")
	}
	checkSize(t, v, 100, 20)
	// Once tokens arrive, the table replaces it.
	hs.put(makeSnapshot(5, 2))
	if v := hs.m.View(); strings.Contains(v, "waiting for market data") {
		t.Errorf("still waiting after tokens arrived:\n%s", v)
	}
}

func TestStatusBarCutKeepsTheClockApart(t *testing.T) {
	bar := testRenderer(termenv.Ascii).NewStyle()
	got := barJoin(bar, "updated 68s ago and more text", "15:16:08 ", 30)
	if lipgloss.Width(got) != 30 {
		t.Fatalf("width %d, want 30: %q", lipgloss.Width(got), got)
	}
	if !strings.HasSuffix(got, "… 15:16:08 ") {
		t.Errorf("cut status bar = %q, want an ellipsis and a space before the clock", got)
	}
}

// At 80 columns the full help wraps its key groups instead of cutting any
// key off.
func TestFullHelpShowsEveryKeyAt80Columns(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 80, 40)
	hs.put(makeSnapshot(5, 1))
	hs.key("?")
	v := hs.m.View()
	for _, want := range []string{"search", "quit", "reverse", "next view", "moonshots", "line/candles", "page up"} {
		if !strings.Contains(v, want) {
			t.Errorf("full help at 80x40 lacks %q:\n%s", want, v)
		}
	}
	lines := strings.Split(v, "\n")
	page := strings.Join(lines[:len(lines)-2], "\n") // not the one-line help and status bar
	if strings.Contains(page, "…") {
		t.Errorf("full help cut something off:\n%s", page)
	}
}

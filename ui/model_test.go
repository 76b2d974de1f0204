package ui

import (
	"cmp"
	"slices"
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
	if !slices.Equal(tableSymbols(hs), []string{"BTC", "ETH", "SOL", "BNB", "XRP"}) {
		t.Fatalf("tick did not take the snapshot from the mailbox:\n%s", plain(hs))
	}
	// idle ticks keep the same snapshot and still tick
	before := plain(hs)
	if cmd := hs.send(tickMsg{}); cmd == nil || plain(hs) != before {
		t.Fatal("idle tick lost the snapshot or stopped ticking")
	}
}

// Until a feed is live the render tick is fast (the first full market is
// shown as soon as it is there); then it is RefreshHz.
func TestTickFastWhileLoading(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24)
	if got := hs.tickEvery(); got != loadingTick {
		t.Fatalf("tick before any snapshot %v, want %v", got, loadingTick)
	}
	loading := makeSnapshot(5, 1)
	f := loading.Feeds.At(0)
	f.State = model.FeedConnecting
	loading.Feeds = model.ReadOnlyOf(f)
	hs.box.Put(loading)
	hs.send(tickMsg{})
	if got := hs.tickEvery(); got != loadingTick {
		t.Fatalf("tick while the feed connects %v, want %v", got, loadingTick)
	}
	hs.box.Put(makeSnapshot(5, 2)) // the feed is live
	hs.send(tickMsg{})
	if got := hs.tickEvery(); got != 100*time.Millisecond {
		t.Fatalf("tick once live %v, want 100ms (10 Hz)", got)
	}
}

func TestNavigation(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 24) // 20 rows visible under the tab bar and header
	hs.put(makeSnapshot(100, 1))
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
		// the cursor's row is on the screen (inside the window) and is
		// the row want (the rank is the row: sorted by rank)
		if got := cursorRank(hs); got != s.want+1 {
			t.Fatalf("after %q the cursor is on rank %d, want %d:\n%s", s.key, got, s.want+1, plain(hs))
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
	if shown, _ := tokenCount(hs); !strings.Contains(helpLine(hs), "/eth") || shown != 1 || !slices.Equal(tableSymbols(hs), []string{"ETH"}) {
		t.Fatalf("a burst \"/eth\" should open search and filter to ETH:\n%s", plain(hs))
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
	hs.key("s") // rank -> symbol, ascending
	if got := sortMark(hs); got != "Symbol ▲" {
		t.Fatalf("sort mark %q, want symbol ascending (Symbol ▲)", got)
	}
	if hs.selected() != "SOL" {
		t.Fatalf("cursor moved to %q after sort", hs.selected())
	}
	if first := tableSymbols(hs)[0]; first != "ADA" {
		t.Fatalf("first by symbol = %s, want ADA", first)
	}
	hs.key("r")
	if got, first := sortMark(hs), tableSymbols(hs)[0]; got != "Symbol ▼" || hs.selected() != "SOL" || first != "XRP" {
		t.Fatalf("reverse: mark %q selected=%s first=%s", got, hs.selected(), first)
	}
	hs.key("S") // back to rank, ascending
	if got := sortMark(hs); got != "# ▲" || hs.selected() != "SOL" || cursorRank(hs) != 3 || tableSymbols(hs)[2] != "SOL" {
		t.Fatalf("S: mark %q selected=%s rank=%d", got, hs.selected(), cursorRank(hs))
	}
	for range 5 { // rank -> symbol -> name -> price -> 1h -> 24h, biggest first
		hs.key("s")
	}
	if got := sortMark(hs); got != "24h ▼" {
		t.Fatalf("sort mark %q, want 24h descending", got)
	}
	byChange := hs.snap.Tokens.Clone()
	slices.SortStableFunc(byChange, func(x, y *model.TokenView) int { return cmp.Compare(y.Change24h, x.Change24h) })
	shown := tableSymbols(hs)
	for i, sym := range shown {
		if sym != byChange[i].Symbol {
			t.Fatalf("row %d is %s, want %s (by 24h change, biggest first): %v", i, sym, byChange[i].Symbol, shown)
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
	if got, first := sortMark(hs), tableSymbols(hs)[0]; got != "Cap ▲" || first != "LINK" { // smallest cap of the ten
		t.Fatalf("sort option ignored: %q, first %s", got, first)
	}
}

func TestSearchFiltersLiveAndEscClears(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(30, 1))
	searching := func() bool { return strings.Contains(helpLine(hs), "esc clear") }
	hs.key("/")
	if !searching() {
		t.Fatal("/ did not open search")
	}
	hs.key("E")
	if shown, _ := tokenCount(hs); shown == 30 {
		t.Fatal("typing did not filter")
	}
	hs.typeText("th")
	if shown, _ := tokenCount(hs); shown != 1 || !slices.Equal(tableSymbols(hs), []string{"ETH"}) {
		t.Fatalf("filter \"eth\" shows %d rows", shown)
	}
	if !strings.Contains(plain(hs), "/Eth") {
		t.Fatal("search line not shown")
	}
	hs.key("q") // text, not quit
	if shown, _ := tokenCount(hs); shown != 0 || !strings.Contains(plain(hs), "no token matches") {
		t.Fatal("typing q into the search box should filter, not quit")
	}
	hs.key("backspace")
	hs.key("enter")
	if shown, _ := tokenCount(hs); searching() || shown != 1 {
		t.Fatal("enter must keep the filter and leave the box")
	}
	if !strings.Contains(plain(hs), `filter "eth" 1/30`) {
		t.Fatalf("status line does not show the filter:\n%s", plain(hs))
	}
	// by name, case-insensitive
	hs.key("/")
	hs.key("ctrl+u")
	hs.typeText("DOGEC")
	if !slices.Equal(tableSymbols(hs), []string{"DOGE"}) {
		t.Fatalf("name search: %v", tableSymbols(hs))
	}
	hs.key("esc")
	if shown, _ := tokenCount(hs); searching() || shown != 30 || strings.Contains(plain(hs), "filter") {
		t.Fatal("esc must clear the filter")
	}
	// esc on the table clears a kept filter; esc never quits
	hs.key("/")
	hs.typeText("sol")
	hs.key("enter")
	if cmd := hs.key("esc"); isQuit(cmd) {
		t.Fatal("esc quit")
	}
	if shown, _ := tokenCount(hs); shown != 30 {
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
	hs.key("?")
	if hs.selected() != "BTC" {
		t.Fatal("keys leak through the help page")
	}
	hs.key("?")
	hs.key("?")
	if strings.Contains(plain(hs), "tokentop keys") {
		t.Fatal("? did not close help")
	}
	hs.key("?")
	hs.key("esc")
	if helpShown(hs) {
		t.Fatal("esc did not close help")
	}
}

func TestDetailOpenFetchCloseAndFocus(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 200, 50)
	hs.put(makeSnapshot(20, 1))
	hs.key("j")
	cmd := hs.key("enter")
	if l := screenLines(hs)[1]; !detailOpen(hs) || !strings.Contains(l, "Mkt Cap") || !strings.Contains(l, "│ETH  Ethereum  #2") {
		t.Fatalf("enter did not open the detail beside the table:\n%s", plain(hs))
	}
	msgs := cmdMsgs(cmd)
	if len(msgs) != 1 {
		t.Fatalf("open issued %d messages", len(msgs))
	}
	cm, ok := msgs[0].(candlesMsg)
	if !ok || cm.symbol != "ETH" || cm.tf != tf24h || cm.candles.Len() == 0 {
		t.Fatalf("fetch reply %+v", msgs[0])
	}
	call := hs.hist.calls[0]
	if w := paneWidth(hs); call.symbol != "ETH" || call.span != 24*time.Hour || call.maxBars != 2*(w-chartLabelW) {
		t.Fatalf("history call %+v (pane width %d)", call, w)
	}
	hs.send(cm)
	if hs.chartDraws() != 1 {
		t.Fatal("candles reply not drawn")
	}
	v := plain(hs)
	checkSize(t, hs.m.View(), 200, 50)
	if !strings.Contains(v, "ETH  Ethereum  #2") || !strings.Contains(v, "Recent trades") || !strings.Contains(v, "◆ whale") {
		t.Fatalf("detail pane incomplete:\n%s", v)
	}
	// the cursor still moves the table; the detail follows
	hs.key("j")
	if !strings.Contains(screenLines(hs)[1], "│SOL  Solana  #3") {
		t.Fatalf("detail did not follow the cursor:\n%s", plain(hs))
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
	trades := tradesShown(hs)
	hs.key("w")
	if !strings.Contains(plain(hs), "┃") {
		t.Fatal("w did not focus the detail (marked ┃)")
	}
	hs.key("j")
	if got := tradesShown(hs); hs.selected() != "SOL" || len(trades) < 2 || len(got) == 0 || got[0] != trades[1] {
		t.Fatalf("focused detail: selected %s, trades did not scroll one row:\n%s", hs.selected(), plain(hs))
	}
	hs.key("w")
	if strings.Contains(plain(hs), "┃") {
		t.Fatal("w did not return focus to the table")
	}
	hs.key("esc")
	if detailOpen(hs) || strings.Contains(plain(hs), "Recent trades") {
		t.Fatal("esc did not close the detail")
	}
	if paneWidth(hs) != 0 || !strings.Contains(screenLines(hs)[1], "Name") { // the wide table's column

		t.Fatalf("table did not take the full width back:\n%s", plain(hs))
	}
	hs.key("l")
	if !detailOpen(hs) {
		t.Fatal("l did not open the detail")
	}
	hs.key("h")
	if detailOpen(hs) {
		t.Fatal("h did not close the detail")
	}
}

func TestDetailFullScreenWhenNarrow(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 100, 30)
	hs.put(makeSnapshot(10, 1))
	hs.runCmd(hs.key("enter"))
	if !detailOpen(hs) || paneWidth(hs) != 0 {
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
	for _, c := range []struct {
		key  string
		want timeframe
		span time.Duration
	}{{"1", tf1h, time.Hour}, {"4", tf30d, 30 * 24 * time.Hour}, {"[", tf7d, 7 * 24 * time.Hour}, {"]", tf30d, 30 * 24 * time.Hour}, {"2", tf24h, 24 * time.Hour}} {
		draws := hs.chartDraws()
		hs.runCmd(hs.key(c.key))
		last := hs.hist.calls[len(hs.hist.calls)-1]
		if !strings.Contains(plain(hs), "["+c.want.String()+"]") || last.span != c.span || hs.chartDraws() != draws+1 {
			t.Fatalf("key %s: span=%v, drawn %d times:\n%s", c.key, last.span, hs.chartDraws()-draws, plain(hs))
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
	if last.maxBars != paneWidth(hs)-chartLabelW || !strings.Contains(plain(hs), "candles") {
		t.Fatalf("candles mode: maxBars %d", last.maxBars)
	}
}

func TestStaleCandleRepliesDropped(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 200, 50)
	hs.put(makeSnapshot(10, 1))
	first := cmdMsgs(hs.key("enter"))[0].(candlesMsg)
	second := cmdMsgs(hs.key("3"))[0].(candlesMsg)
	hs.send(first) // an old request for the 24h chart
	if hs.chartDraws() != 0 {
		t.Fatal("a stale reply was drawn")
	}
	hs.send(second)
	if hs.chartDraws() != 1 || !strings.Contains(plain(hs), "[7d]") {
		t.Fatal("the current reply was not drawn")
	}
	// after closing, late replies are dropped too
	third := cmdMsgs(hs.key("4"))[0].(candlesMsg)
	hs.key("esc")
	hs.send(third)
	if detailOpen(hs) || hs.chartDraws() != 1 {
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
	if hs.rowRenders() != 26 {
		t.Fatalf("first snapshot rendered %d rows, want the 26 visible", hs.rowRenders())
	}
	before := hs.rowRenders()
	hs.put(nextSnapshot(hs.snap, 3, 7, 20, 80)) // 80 is not visible
	if got := hs.rowRenders() - before; got != 3 {
		t.Fatalf("rebuilt %d rows, want 3", got)
	}
	before = hs.rowRenders()
	hs.send(tickMsg{}) // idle tick
	if hs.rowRenders() != before {
		t.Fatal("idle tick re-rendered rows")
	}
	hs.key("j") // cursor moves: old and new cursor rows
	if got := hs.rowRenders() - before; got != 2 {
		t.Fatalf("cursor move rebuilt %d rows, want 2", got)
	}
	before = hs.rowRenders()
	hs.send(tea.WindowSizeMsg{Width: 130, Height: 30})
	if got := hs.rowRenders() - before; got != 26 {
		t.Fatalf("resize rebuilt %d rows, want all 26 visible", got)
	}
}

func TestFlashStartsAndExpires(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(10, 1))
	up := nextSnapshot(hs.snap, 1) // ETH price rises (version 2)
	hs.put(up)
	if got := flashMark(hs, "ETH"); got != "▲" {
		t.Fatalf("no up flash: %q", ansi.Strip(rowOf(hs, "ETH")))
	}
	down := *up
	down.Seq++
	editTokens(&down, func(tokens []*model.TokenView) {
		tokens[1] = makeToken(1, 1) // back down
		tokens[1].Version = 3
	})
	hs.put(&down)
	if flashMark(hs, "ETH") != "▼" {
		t.Fatal("no down flash")
	}
	hs.now = hs.now.Add(699 * time.Millisecond)
	hs.send(tickMsg{})
	if flashMark(hs, "ETH") != "▼" {
		t.Fatal("flash ended early")
	}
	hs.now = hs.now.Add(time.Millisecond)
	hs.send(tickMsg{})
	if flashMark(hs, "ETH") != "" {
		t.Fatal("flash did not expire")
	}
	if flashMark(hs, "BTC") != "" {
		t.Fatal("unchanged token flashed")
	}

	off := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.Flash = 0 })
	off.put(makeSnapshot(10, 1))
	off.put(nextSnapshot(off.snap, 1))
	if flashMark(off, "ETH") != "" {
		t.Fatal("Flash 0 must turn flashing off")
	}
}

func TestStaleRowsMarked(t *testing.T) {
	hs := newHarness(t, "dark", termenv.TrueColor, 120, 30)
	hs.put(makeSnapshot(15, 1))
	link, btc := rowOf(hs, "LINK"), rowOf(hs, "BTC") // LINK (i=9) last updated 5m ago
	if !strings.Contains(ansi.Strip(link), "◌") || strings.Contains(ansi.Strip(btc), "◌") {
		t.Fatalf("stale marker wrong: LINK %q, BTC %q", ansi.Strip(link), ansi.Strip(btc))
	}
	if link[:40] == btc[:40] {
		t.Fatal("stale row not drawn differently")
	}
	// a longer StaleAfter un-stales it
	hs2 := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.StaleAfter = 10 * time.Minute })
	hs2.put(makeSnapshot(15, 1))
	if strings.Contains(ansi.Strip(rowOf(hs2, "LINK")), "◌") {
		t.Fatal("StaleAfter ignored")
	}
}

func TestMouse(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(50, 1))
	hs.send(tea.MouseMsg{X: 10, Y: 5, Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if got := cursorRank(hs) - 1; got != wheelStep {
		t.Fatalf("wheel down: cursor %d", got)
	}
	hs.send(tea.MouseMsg{X: 10, Y: 5, Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress})
	if got := cursorRank(hs) - 1; got != 0 {
		t.Fatalf("wheel up: cursor %d", got)
	}
	hs.send(tea.MouseMsg{X: 10, Y: 7, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}) // tab bar, header, rows
	if got := cursorRank(hs) - 1; got != 5 || hs.selected() != "DOGE" || !strings.HasPrefix(screenLines(hs)[7], "▸") {
		t.Fatalf("click: cursor %d %s", got, hs.selected())
	}
	hs.send(tea.MouseMsg{X: 10, Y: 1, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}) // header
	if hs.selected() != "DOGE" || detailOpen(hs) {
		t.Fatal("click on the header changed the selection")
	}
	cmd := hs.send(tea.MouseMsg{X: 10, Y: 7, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if !detailOpen(hs) || cmd == nil {
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

package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

// portfolioHarness opens the Portfolio view over sampleUser at w x h.
func portfolioHarness(t *testing.T, theme string, w, h int) *harness {
	t.Helper()
	hs := newHarness(t, theme, profileFor(theme), w, h, withUser(sampleUser()))
	hs.put(makeSnapshot(60, 1))
	hs.key("tab")
	hs.key("tab")
	if activeTab(hs) != "Portfolio" {
		t.Fatal("two tabs from Markets is not the Portfolio view")
	}
	return hs
}

func TestPortfolioRowsAndTotals(t *testing.T) {
	hs := portfolioHarness(t, "mono", 140, 30)
	// BTC at 67,079.5125: 0.5 at 60,000 and 0.25 at 70,000
	btc := screenLineWith(hs, "  BTC  ")
	for _, want := range []string{"0.75000", "63,333.33", "67,079.51", "50,309.63", "+2,809.63", "+5.92%", "63.9%", "█"} {
		if !strings.Contains(btc, want) {
			t.Errorf("BTC position %q lacks %q", btc, want)
		}
	}
	lot2 := screenLineWith(hs, "2024-06-01")
	for _, want := range []string{"0.25000", "70,000.00", "16,769.88", "-730.12", "-4.17%"} {
		if !strings.Contains(lot2, want) {
			t.Errorf("BTC's second lot %q lacks %q", lot2, want)
		}
	}
	// an airdrop (cost 0) has no P&L %; a token the market lacks says so
	if sol := screenLineWith(hs, "airdrop"); !strings.Contains(sol, "no date") || !strings.Contains(sol, "+14,537.97") || !strings.Contains(sol, "—") {
		t.Errorf("cost-0 lot %q", sol)
	}
	if gone := screenLineWith(hs, "  GONE  "); !strings.Contains(gone, "no price") {
		t.Errorf("unpriced position %q", gone)
	}
	total := screenLineWith(hs, "Total")
	for _, want := range []string{"value $78,688.55", "cost $62,700.00", "P&L +$15,988.55 (+25.50%)", "1 position without a price, not counted"} {
		if !strings.Contains(total, want) {
			t.Errorf("total %q lacks %q", total, want)
		}
	}
	if !strings.Contains(plain(hs), "[Portfolio (5)]") {
		t.Error("the tab does not count the lots")
	}
	// P&L is coloured as well as signed
	dark := portfolioHarness(t, "dark", 140, 30)
	st := NewStyles(testTheme(t, "dark"), testRenderer(termenv.TrueColor)) // the session's styles, built apart
	if v := dark.m.View(); !strings.Contains(v, spanOf(st.Down).pre) || !strings.Contains(v, spanOf(st.Up).pre) {
		t.Error("P&L not coloured")
	}
}

func TestPortfolioCursorMovesOverLots(t *testing.T) {
	hs := portfolioHarness(t, "mono", 120, 30)
	// the selected lot, by what its row shows (sampleUser's lots)
	lotOf := map[string]string{"2024-01-05": "lot-btc-1", "2024-06-01": "lot-btc-2", "airdrop": "lot-sol-1",
		"2024-03-10": "lot-eth-1", "2023-01-01": "lot-gone-1"}
	selected := func() string {
		for mark, id := range lotOf {
			if strings.Contains(cursorLine(hs), mark) {
				return id
			}
		}
		return ""
	}
	var got []string
	for range 6 {
		got = append(got, selected())
		hs.key("j")
	}
	want := "lot-btc-1 lot-btc-2 lot-sol-1 lot-eth-1 lot-gone-1 lot-gone-1"
	if strings.Join(got, " ") != want {
		t.Fatalf("cursor went %v, want %s", got, want)
	}
	if !strings.HasPrefix(screenLineWith(hs, "2023-01-01"), "▸") {
		t.Fatal("the cursor is not drawn on the lot")
	}
	// a click on a position's line selects its first lot; on the tab bar, a view
	hs.send(tea.MouseMsg{X: 5, Y: 2, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}) // tab bar, header, BTC
	if selected() != "lot-btc-1" {
		t.Fatalf("click on BTC selected %s", selected())
	}
	// a new snapshot that reorders the positions keeps the cursor on its lot
	hs.key("j")
	hs.key("j") // lot-sol-1
	s := nextSnapshot(hs.snap)
	sol := *s.Tokens.At(2)
	sol.Price *= 10
	sol.Version++
	editTokens(s, func(tokens []*model.TokenView) { tokens[2] = &sol })
	hs.put(s)
	if selected() != "lot-sol-1" || !strings.HasPrefix(screenLines(hs)[2], "  SOL") {
		t.Fatalf("after a re-sort: %s selected\n%s", selected(), plain(hs))
	}
	// a from the Portfolio view adds a lot of the selected lot's token
	hs.key("a")
	if formTitle(hs) != "Add lot — SOL" {
		t.Fatal("a did not open a lot form for SOL")
	}
}

// b hides every amount of the portfolio; percentages and the allocation
// stay, and the status bar says so.
func TestHideBalancesMasksAmounts(t *testing.T) {
	hs := portfolioHarness(t, "mono", 140, 30)
	amounts := []string{"0.75000", "63,333.33", "50,309.63", "2,809.63", "0.50000", "60,000.00", "33,539.76", "3,539.76",
		"16,769.88", "730.12", "14,537.97", "1,359.05", "13,840.95", "3,800.00", "78,688.55", "62,700.00", "15,988.55",
		"1,000.00", "100.00"}
	v := plain(hs)
	for _, a := range amounts {
		if !strings.Contains(v, a) {
			t.Fatalf("%s not shown before hiding", a)
		}
	}
	hs.key("b")
	v = plain(hs)
	for _, a := range amounts {
		if strings.Contains(v, a) {
			t.Errorf("%s shown with balances hidden", a)
		}
	}
	for _, want := range []string{"•••••", "+5.92%", "-4.17%", "63.9%", "(+25.50%)", "67,079.51"} {
		if !strings.Contains(v, want) {
			t.Errorf("hidden view lacks %q", want)
		}
	}
	if !strings.Contains(statusLine(hs), "balances hidden") {
		t.Error("status bar does not say balances are hidden")
	}
	hs.key("x") // the question does not show the quantity either
	if h := helpLine(hs); !strings.Contains(h, "Delete lot of BTC bought 2024-01-05? y/n") {
		t.Errorf("question with balances hidden: %q", h)
	}
	hs.key("n")
	hs.key("b")
	if !strings.Contains(plain(hs), "50,309.63") || strings.Contains(statusLine(hs), "balances hidden") {
		t.Error("b did not show the balances again")
	}
	// HideBalances starts hidden
	hs2 := newHarness(t, "mono", termenv.Ascii, 140, 30, withUser(sampleUser()), func(o *Options) { o.HideBalances = true })
	hs2.put(makeSnapshot(60, 1))
	hs2.key("tab")
	hs2.key("tab")
	if strings.Contains(plain(hs2), "50,309.63") || !strings.Contains(plain(hs2), "•••••") {
		t.Error("Options.HideBalances ignored")
	}
}

func TestEmptyPortfolioExplains(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24)
	hs.put(makeSnapshot(20, 1))
	hs.key("tab")
	hs.key("tab")
	if v := strings.Join(strings.Fields(plain(hs)), " "); !strings.Contains(v, "No lots yet: press a on a token to add what you hold") {
		t.Fatalf("empty portfolio:\n%s", plain(hs))
	}
	for _, k := range []string{"e", "x", "j"} { // nothing to edit, delete or move to
		hs.key(k)
		if formTitle(hs) != "" || strings.Contains(helpLine(hs), "y/n") {
			t.Fatalf("%s on an empty portfolio opened something", k)
		}
	}
}

// The Alerts view is reached by tab and its keys reach the alerts
// component: A adds, space toggles, x deletes after y.
func TestAlertsViewIntegration(t *testing.T) {
	d := sampleUser()
	d.Alerts = []model.Alert{{ID: "al-btc", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 90000, Created: t0}}
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, withUser(d))
	hs.put(makeSnapshot(60, 1))
	if !strings.Contains(plain(hs), "Alerts (1)") {
		t.Fatalf("tab bar does not count armed alerts:\n%s", plain(hs))
	}
	hs.key("shift+tab")
	if activeTab(hs) != "Alerts" || !strings.Contains(plain(hs), "BTC price above") {
		t.Fatalf("shift+tab from Markets: view %s\n%s", activeTab(hs), plain(hs))
	}
	hs.runCmd(hs.key(" "))
	if ch := lastChange(t, hs); ch.PutAlert == nil || !ch.PutAlert.Disabled || !strings.Contains(plain(hs), "Alerts (0)") {
		t.Fatalf("space saved %+v", ch)
	}
	hs.key("A")
	if formTitle(hs) != "New alert — BTC" {
		t.Fatal("A in the Alerts view did not open a form for the alert's token")
	}
	hs.key("esc")
	hs.key("x")
	if !strings.Contains(helpLine(hs), "Delete alert BTC price above") {
		t.Fatalf("question: %q", helpLine(hs))
	}
	hs.runCmd(hs.key("y"))
	if ch := lastChange(t, hs); ch.DeleteAlert != "al-btc" || strings.Contains(plain(hs), "BTC price above") {
		t.Fatalf("delete saved %+v", ch)
	}
	// a firing the user's service recorded is announced with the bell
	bells := 0
	hs2 := newHarness(t, "mono", termenv.Ascii, 140, 30, withUser(model.UserData{Alerts: []model.Alert{
		{ID: "al-eth", Symbol: "ETH", Kind: model.AlertPriceAbove, Price: 3000, Created: t0}}}),
		func(o *Options) { o.Bell = func() { bells++ } })
	hs2.put(makeSnapshot(30, 1))
	hs2.user.fire(model.AlertFiring{AlertID: "al-eth", Symbol: "ETH", Time: t0, Message: "ETH rose above $3,000.00 (now $3,100.00)"})
	hs2.runCmd(hs2.send(tickMsg{}))
	if st := statusLine(hs2); !strings.Contains(st, "🔔 ETH rose above") {
		t.Fatalf("firing not announced: %s", st)
	}
	if bells != 1 {
		t.Fatalf("bell rang %d times", bells)
	}
}

// BenchmarkPortfolioTick: one render tick with the Portfolio view shown,
// 50 lots over 25 tokens, a snapshot of 500 tokens in which 50 changed
// (valuation and the view's lines redrawn).
func BenchmarkPortfolioTick(b *testing.B) {
	var d model.UserData
	for i := range 50 {
		d.Lots = append(d.Lots, model.Lot{ID: "lot-" + string(rune('a'+i%26)) + string(rune('a'+i/26)),
			Symbol: makeToken(i%25, 1).Symbol, Quantity: float64(i + 1), Cost: float64(10 + i), Opened: day(2024, 1, 1+i%28)})
	}
	hs := newHarness(b, "dark", termenv.TrueColor, 200, 60, withUser(d))
	base := makeSnapshot(500, 1)
	hs.put(base)
	hs.key("tab")
	hs.key("tab")
	changed := make([]int, 50)
	for i := range changed {
		changed[i] = i * 10
	}
	x := nextSnapshot(base, changed...)
	y := nextSnapshot(x, changed...)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s := x
		if i%2 == 1 {
			s = y
		}
		s.Seq = uint64(i + 10)
		i++
		hs.box.Put(s)
		hs.send(tickMsg{})
	}
}

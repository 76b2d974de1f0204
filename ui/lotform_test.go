package ui

import (
	"math"
	"strings"
	"testing"

	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

// setField moves the open form's focus to the field key (tab), clears it
// and types v.
func setField(t *testing.T, hs *harness, key, v string) {
	t.Helper()
	if formTitle(hs) == "" {
		t.Fatal("no form open")
	}
	for range len(fieldLabels) {
		if f, ok := screenFieldOf(hs, key); ok && f.Focused {
			hs.key("ctrl+u")
			hs.typeText(v)
			return
		}
		hs.key("tab")
	}
	t.Fatalf("form has no field %q:\n%s", key, plain(hs))
}

// fieldOf is the open form's field key as the screen shows it.
func fieldOf(t *testing.T, hs *harness, key string) screenField {
	t.Helper()
	if formTitle(hs) == "" {
		t.Fatal("no form open")
	}
	f, ok := screenFieldOf(hs, key)
	if !ok {
		t.Fatalf("form has no field %q:\n%s", key, plain(hs))
	}
	return f
}

func TestLotFormErrorsBesideFieldsKeepTyping(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(30, 1))
	hs.key("a") // on BTC
	if formTitle(hs) != "Add lot — BTC" || !fieldOf(t, hs, "quantity").Focused {
		t.Fatal("a did not open the lot form for BTC at the quantity")
	}
	if v := fieldOf(t, hs, "cost").Value; v != "67,079.51" {
		t.Fatalf("cost prefilled with %q, want the price", v)
	}
	if v := fieldOf(t, hs, "opened").Value; v != "2025-03-14" {
		t.Fatalf("date prefilled with %q, want today", v)
	}
	cases := []struct {
		key, value, want string
	}{
		{"quantity", "abc", "must be a number"},
		{"quantity", "-1", "must be greater than 0"},
		{"quantity", "0", "must be greater than 0"},
		{"quantity", "NaN", "must be a number"},
		{"quantity", "Inf", "must be a number"},
		{"quantity", "1e400", "must be a number"},
		{"cost", "abc", "must be a number"},
		{"cost", "-5", "must be 0 or more"},
		{"cost", "", "is required"},
		{"opened", "2025-13-45", "must be YYYY-MM-DD"},
		{"opened", "14/03/2025", "must be YYYY-MM-DD"},
		{"opened", "2031-01-01", "must not be in the future"},
		{"symbol", "zzz", "unknown token ZZZ"},
		{"symbol", "b t c", "use A-Z, 0-9, . - _"},
		{"symbol", "", "is required"},
	}
	for _, c := range cases {
		setField(t, hs, c.key, c.value)
		hs.key("ctrl+s")
		if formTitle(hs) == "" {
			t.Fatalf("%s %q: the form closed", c.key, c.value)
		}
		fd := fieldOf(t, hs, c.key)
		if fd.Err != c.want || fd.Value != c.value {
			t.Fatalf("%s %q: error %q value %q, want %q", c.key, c.value, fd.Err, fd.Value, c.want)
		}
		if !strings.Contains(plain(hs), "✗ "+c.want) {
			t.Fatalf("%s %q: the error is not on screen:\n%s", c.key, c.value, plain(hs))
		}
		// put a good value back for the next case
		good := map[string]string{"quantity": "1", "cost": "2", "opened": "2025-01-02", "symbol": "BTC"}[c.key]
		setField(t, hs, c.key, good)
	}
	// several bad fields at once: each keeps its own message and text
	setField(t, hs, "quantity", "lots")
	setField(t, hs, "cost", "free")
	setField(t, hs, "symbol", "NOPE")
	hs.key("ctrl+s")
	for key, want := range map[string][2]string{"quantity": {"lots", "must be a number"}, "cost": {"free", "must be a number"},
		"symbol": {"NOPE", "unknown token NOPE"}} {
		if fd := fieldOf(t, hs, key); fd.Value != want[0] || fd.Err != want[1] {
			t.Errorf("%s: %q / %q, want %q / %q", key, fd.Value, fd.Err, want[0], want[1])
		}
	}
	if n := len(hs.user.all()); n != 0 || !strings.Contains(screenLines(hs)[0], "Portfolio (0)") {
		t.Fatalf("a bad form saved %d changes", n)
	}
}

func TestLotFormDraftAndSave(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(30, 1))
	hs.key("j") // ETH
	hs.key("a")
	hs.typeText("1,234.5")
	setField(t, hs, "cost", "$2,000")
	setField(t, hs, "note", "dip buy")
	hs.key("esc")
	if formTitle(hs) != "" {
		t.Fatal("esc did not close the form")
	}
	hs.key("k") // another token, another form
	hs.key("a")
	if formTitle(hs) != "Add lot — BTC" || fieldOf(t, hs, "quantity").Value != "" {
		t.Fatal("BTC's form is not a fresh one")
	}
	hs.key("esc")
	hs.key("j")
	hs.key("a")
	if q, c, n := fieldOf(t, hs, "quantity").Value, fieldOf(t, hs, "cost").Value, fieldOf(t, hs, "note").Value; q != "1,234.5" || c != "$2,000" || n != "dip buy" {
		t.Fatalf("esc did not keep a draft: %q %q %q", q, c, n)
	}
	setField(t, hs, "opened", "2025-01-02")
	hs.runCmd(hs.key("ctrl+s"))
	if formTitle(hs) != "" {
		t.Fatalf("good input left the form open:\n%s", plain(hs))
	}
	ch := lastChange(t, hs)
	l := ch.PutLot
	if l == nil || l.Symbol != "ETH" || l.Quantity != 1234.5 || l.Cost != 2000 || !l.Opened.Equal(day(2025, 1, 2)) ||
		l.Note != "dip buy" || l.ID == "" {
		t.Fatalf("saved %+v", l)
	}
	if s := statusLine(hs); !strings.Contains(s, "Lot added: 1,234.50 ETH at $2,000.00") {
		t.Fatalf("status: %s", s)
	}
	hs.key("a") // the saved form's draft is gone: a fresh form
	if fieldOf(t, hs, "quantity").Value != "" || fieldOf(t, hs, "note").Value != "" {
		t.Fatal("the draft of a saved form was kept")
	}
	hs.key("esc")
	// the Portfolio view shows it with the right P&L
	hs.key("tab")
	hs.key("tab")
	price := hs.snap.Token("ETH").Price
	value, pnl := 1234.5*price, 1234.5*(price-2000)
	row := screenLineWith(hs, "2025-01-02")
	for _, want := range []string{string(appendMoney(nil, value)), string(appendSignedMoney(nil, pnl, false)),
		string(appendChange(nil, (price-2000)/2000)), "dip buy"} {
		if !strings.Contains(row, want) {
			t.Fatalf("lot row %q lacks %q", row, want)
		}
	}
	if math.Abs(pnl-1802662.3) > 1 { // the numbers the test checks are the ones a trader expects
		t.Fatalf("test arithmetic: %f", pnl)
	}
	// a leading "$", "1e3" and spaces are numbers too
	hs.key("a")
	if got := formTitle(hs); got != "Add lot — ETH" {
		t.Fatalf("a in Portfolio opened %q, want the selected lot's token", got)
	}
	hs.typeText(" 1e3 ")
	setField(t, hs, "opened", "")
	hs.runCmd(hs.key("ctrl+s"))
	if l := lastChange(t, hs).PutLot; l == nil || l.Quantity != 1000 || !l.Opened.IsZero() {
		t.Fatalf("1e3 without a date saved %+v", l)
	}
}

func TestEditAndDeleteLot(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, withUser(sampleUser()))
	hs.put(makeSnapshot(30, 1))
	hs.key("tab")
	hs.key("tab")
	if activeTab(hs) != "Portfolio" || !strings.Contains(cursorLine(hs), "2024-01-05") { // lot-btc-1
		t.Fatalf("view %s, cursor on %q", activeTab(hs), cursorLine(hs))
	}
	hs.key("e")
	if formTitle(hs) != "Edit lot — BTC" {
		t.Fatal("e did not open the lot's form")
	}
	for key, want := range map[string]string{"symbol": "BTC", "quantity": "0.5", "cost": "60000", "opened": "2024-01-05", "note": "first buy"} {
		if v := fieldOf(t, hs, key).Value; v != want {
			t.Fatalf("%s prefilled %q, want %q", key, v, want)
		}
	}
	setField(t, hs, "quantity", "0.6")
	hs.runCmd(hs.key("ctrl+s"))
	l := lastChange(t, hs).PutLot
	want := model.Lot{ID: "lot-btc-1", Symbol: "BTC", Quantity: 0.6, Cost: 60000, Opened: day(2024, 1, 5), Note: "first buy"}
	if l == nil || *l != want {
		t.Fatalf("edit saved %+v", l)
	}
	if !strings.Contains(screenLines(hs)[0], "Portfolio (5)") || !strings.Contains(screenLineWith(hs, "2024-01-05"), "0.60000") {
		t.Fatalf("edit did not replace the lot:\n%s", plain(hs))
	}
	// a lot whose token the market no longer lists can still be edited
	hs.key("G")
	if !strings.Contains(cursorLine(hs), "2023-01-01") { // lot-gone-1
		t.Fatalf("G selected %q", cursorLine(hs))
	}
	hs.key("e")
	setField(t, hs, "note", "delisted")
	hs.runCmd(hs.key("ctrl+s"))
	if l := lastChange(t, hs).PutLot; l == nil || l.Symbol != "GONE" || l.Note != "delisted" {
		t.Fatalf("edit of an unlisted token's lot saved %+v", l)
	}
	// x asks, y deletes
	hs.key("g")
	hs.key("x")
	if h := helpLine(hs); !strings.Contains(h, "Delete lot 0.60000 BTC bought 2024-01-05? y/n") {
		t.Fatalf("question: %q", h)
	}
	saved := len(hs.user.all())
	hs.key("esc")
	if strings.Contains(helpLine(hs), "y/n") || len(hs.user.all()) != saved || !strings.Contains(screenLines(hs)[0], "Portfolio (5)") {
		t.Fatal("esc did not cancel")
	}
	hs.key("x")
	hs.runCmd(hs.key("y"))
	if ch := lastChange(t, hs); ch.DeleteLot != "lot-btc-1" || !strings.Contains(screenLines(hs)[0], "Portfolio (4)") {
		t.Fatalf("delete saved %+v", ch)
	}
	if strings.Contains(plain(hs), "2024-01-05") {
		t.Fatal("the deleted lot is still shown")
	}
	if cursorLine(hs) == "" {
		t.Fatal("no lot selected after a delete")
	}
}

package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

// screenLines is the plain screen, line by line.
func screenLines(hs *harness) []string { return strings.Split(plain(hs), "\n") }

// statusLine is the bottom line; helpLine the one above it.
func statusLine(hs *harness) string { l := screenLines(hs); return l[len(l)-1] }
func helpLine(hs *harness) string   { l := screenLines(hs); return l[len(l)-2] }

// lineWith is the first screen line containing s ("" when none).
func screenLineWith(hs *harness, s string) string {
	for _, l := range screenLines(hs) {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// lastChange is the last change the fake store received.
func lastChange(t *testing.T, hs *harness) model.UserChange {
	t.Helper()
	all := hs.user.all()
	if len(all) == 0 {
		t.Fatal("nothing was saved")
	}
	return all[len(all)-1]
}

func TestStarSavesAndShowsInWatch(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(60, 1)) // with moonshot picks
	hs.key("j")                 // ETH
	hs.runCmd(hs.key("*"))
	ch := lastChange(t, hs)
	if ch.PutWatchlist == nil || ch.PutWatchlist.Name != model.DefaultWatchlist || !slices.Equal(ch.PutWatchlist.Symbols, []string{"ETH"}) {
		t.Fatalf("star saved %+v", ch)
	}
	if s := statusLine(hs); !strings.Contains(s, "★ ETH added to Watchlist") {
		t.Fatalf("status: %s", s)
	}
	if row := screenLineWith(hs, " ETH "); !strings.Contains(row, "★") {
		t.Fatalf("the markets row of a watched token has no ★: %q", row)
	}
	if row := screenLineWith(hs, " BTC "); strings.Contains(row, "★") {
		t.Fatalf("an unwatched row has a ★: %q", row)
	}
	// a second token from the Moonshots view, then the Watch view lists both
	hs.key("m")
	pick := strings.Fields(strings.TrimPrefix(cursorLine(hs), "▸"))[0]
	hs.runCmd(hs.key("*"))
	if ch := lastChange(t, hs); !slices.Equal(ch.PutWatchlist.Symbols, []string{"ETH", pick}) {
		t.Fatalf("star from Moonshots saved %v", ch.PutWatchlist.Symbols)
	}
	hs.key("m") // back to Markets
	hs.key("tab")
	if got := activeTab(hs); got != "Watch" {
		t.Fatalf("tab from Markets went to view %s", got)
	}
	v := plain(hs)
	for _, want := range []string{"[Watch (2)]", "★ Watchlist 1/1: Watchlist", "ETH", pick, "Signal"} {
		if !strings.Contains(v, want) {
			t.Fatalf("Watch view lacks %q:\n%s", want, v)
		}
	}
	if got := tableSymbols(hs); strings.Contains(v, " BTC ") || len(got) != 2 {
		t.Fatalf("Watch view shows unwatched tokens:\n%s", v)
	}
	// * in the Watch view unwatches the token under the cursor
	sel := hs.selected()
	hs.runCmd(hs.key("*"))
	if ch := lastChange(t, hs); len(ch.PutWatchlist.Symbols) != 1 || slices.Contains(ch.PutWatchlist.Symbols, sel) {
		t.Fatalf("unstar saved %v", ch.PutWatchlist.Symbols)
	}
	if s := statusLine(hs); !strings.Contains(s, "☆ "+sel+" removed from Watchlist") {
		t.Fatalf("status: %s", s)
	}
	hs.runCmd(hs.key("*"))
	if v := plain(hs); !strings.Contains(v, "No tokens yet: press * on a token in Markets to watch it") {
		t.Fatalf("empty Watch view:\n%s", v)
	}
	if n := len(hs.user.all()); n != 4 {
		t.Fatalf("%d changes saved, want 4", n)
	}
}

func TestWatchShowsTokensTheMarketLacks(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, withUser(sampleUser()))
	hs.put(makeSnapshot(30, 1))
	hs.key("tab")
	v := plain(hs)
	if !strings.Contains(v, "★ Watchlist 1/2: Main") || !strings.Contains(v, "not in the market yet: NEWCOIN") {
		t.Fatalf("Watch view:\n%s", v)
	}
	row := screenLineWith(hs, "NEWCOIN  ")
	if !strings.Contains(row, "—") {
		t.Fatalf("the missing token's row: %q", row)
	}
	hs.key("G") // rank sort: the unlisted token last
	if hs.selected() != "NEWCOIN" {
		t.Fatalf("selected %q", hs.selected())
	}
	if cmd := hs.key("enter"); cmd != nil || detailOpen(hs) { // no token to show
		t.Fatal("enter on a token the market does not list opened a detail pane")
	}
	// it can be unwatched although the market does not list it
	hs.runCmd(hs.key("*"))
	if ch := lastChange(t, hs); slices.Contains(ch.PutWatchlist.Symbols, "NEWCOIN") || len(ch.PutWatchlist.Symbols) != 3 {
		t.Fatalf("unwatch of an unlisted token saved %v", ch.PutWatchlist.Symbols)
	}
	if len(tableSymbols(hs)) != 3 || strings.Contains(plain(hs), "not in the market yet") || screenLineWith(hs, "NEWCOIN  ") != "" {
		t.Fatalf("the unwatched token is still shown:\n%s", plain(hs))
	}
	// when the market lists it, its row takes the real token
	d := sampleUser()
	hs2 := newHarness(t, "mono", termenv.Ascii, 120, 30, withUser(d))
	s := makeSnapshot(30, 1)
	hs2.put(s)
	next := nextSnapshot(s)
	tok := *makeToken(3, 1)
	tok.Symbol, tok.Name = "NEWCOIN", "New Coin"
	next.Tokens = model.ReadOnlyOf(append(next.Tokens.Clone(), &tok)...)
	hs2.put(next)
	hs2.key("tab")
	if v := plain(hs2); strings.Contains(v, "not in the market yet") || !strings.Contains(screenLineWith(hs2, "NEWCOIN"), "589") {
		t.Fatalf("a listed token still shown as missing:\n%s", v)
	}
}

func TestWatchlistsCreateSwitchRenameDelete(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, withUser(sampleUser()))
	hs.put(makeSnapshot(30, 1))
	hs.key("tab")
	hs.key(">")
	if v := plain(hs); !strings.Contains(v, "★ Watchlist 2/2: DeFi") || !strings.Contains(v, "UNI") || strings.Contains(v, " ETH ") {
		t.Fatalf("> did not switch to DeFi:\n%s", v)
	}
	hs.key(">") // wraps
	if !strings.Contains(plain(hs), "★ Watchlist 1/2: Main") {
		t.Fatal("> did not wrap to the first list")
	}
	hs.key("<")
	if !strings.Contains(plain(hs), "★ Watchlist 2/2: DeFi") {
		t.Fatalf("< did not go back to DeFi (wrapping):\n%s", plain(hs))
	}

	// n: a new list; an empty or taken name is refused beside the field
	hs.key("n")
	if formTitle(hs) != "New watchlist" {
		t.Fatal("n did not open the new-list form")
	}
	hs.key("enter")
	if f := fieldOf(t, hs, "name"); f.Err != "is required" {
		t.Fatalf("empty name: %+v", f)
	}
	hs.typeText("DeFi")
	hs.key("enter")
	if f := fieldOf(t, hs, "name"); f.Err != "a watchlist with that name exists" || f.Value != "DeFi" {
		t.Fatalf("taken name: %+v", f)
	}
	if !strings.Contains(plain(hs), "✗ a watchlist with that name exists") {
		t.Fatalf("the error is not beside the field:\n%s", plain(hs))
	}
	hs.key("ctrl+u")
	hs.typeText("Majors")
	hs.runCmd(hs.key("enter"))
	if formTitle(hs) != "" {
		t.Fatal("the form stayed open after a good name")
	}
	if ch := lastChange(t, hs); ch.PutWatchlist == nil || ch.PutWatchlist.Name != "Majors" || len(ch.PutWatchlist.Symbols) != 0 {
		t.Fatalf("new list saved %+v", ch)
	}
	if v := plain(hs); !strings.Contains(v, "★ Watchlist 3/3: Majors") || !strings.Contains(v, "No tokens yet") {
		t.Fatalf("new list not active:\n%s", v)
	}

	// R renames the active list
	hs.key("R")
	if formTitle(hs) != "Rename watchlist — Majors" || fieldOf(t, hs, "name").Value != "Majors" {
		t.Fatal("R did not open the rename form with the name")
	}
	hs.key("ctrl+u")
	hs.typeText("Big caps")
	hs.runCmd(hs.key("enter"))
	if ch := lastChange(t, hs); ch.RenameWatchlist == nil || *ch.RenameWatchlist != [2]string{"Majors", "Big caps"} {
		t.Fatalf("rename saved %+v", ch)
	}
	if !strings.Contains(plain(hs), "★ Watchlist 3/3: Big caps") {
		t.Fatal("rename not shown")
	}

	// X asks first; anything but y cancels
	saved := len(hs.user.all())
	hs.key("X")
	if h := helpLine(hs); !strings.Contains(h, "Delete watchlist Big caps (0 tokens)? y/n") {
		t.Fatalf("no question: %q", h)
	}
	hs.key("n")
	if len(hs.user.all()) != saved || !strings.Contains(plain(hs), "★ Watchlist 3/3: Big caps") || strings.Contains(helpLine(hs), "y/n") {
		t.Fatal("n did not cancel the delete")
	}
	hs.key("X")
	hs.runCmd(hs.key("y"))
	if ch := lastChange(t, hs); ch.DeleteWatchlist != "Big caps" {
		t.Fatalf("delete saved %+v", ch)
	}
	if v := plain(hs); !strings.Contains(v, "★ Watchlist 2/2: DeFi") {
		t.Fatalf("after delete:\n%s", v)
	}
	hs.key("X")
	hs.runCmd(hs.key("y"))
	hs.key("X")
	if strings.Contains(helpLine(hs), "y/n") || !strings.Contains(statusLine(hs), "the last watchlist cannot be deleted") {
		t.Fatalf("deleting the last list: %s", statusLine(hs))
	}
	if !strings.Contains(plain(hs), "★ Watchlist 1/1: ") {
		t.Fatal("the last list went")
	}
}

func TestReadOnlyStoreRefusesChanges(t *testing.T) {
	reason := "the store is in use by another tokentop (pid 4242)"
	hs := newHarness(t, "mono", termenv.Ascii, 140, 30, withUser(sampleUser()), readOnlyStore(reason))
	hs.put(makeSnapshot(30, 1))
	if s := statusLine(hs); !strings.Contains(s, "not saving: "+reason) {
		t.Fatalf("status does not say changes are not saved: %s", s)
	}
	hs.key("G") // TK029, in no list
	if cmd := hs.key("*"); cmd != nil {
		t.Fatal("a refused star returned a save")
	}
	if s := statusLine(hs); !strings.Contains(s, "not saved: "+reason) {
		t.Fatalf("star: %s", s)
	}
	if strings.Contains(screenLineWith(hs, " TK029 "), "★") || !strings.Contains(screenLines(hs)[0], "Watch (4)") {
		t.Fatal("a refused star shows as kept")
	}
	for _, k := range []string{"a", "A"} {
		hs.key(k)
		if formTitle(hs) != "" || !strings.Contains(statusLine(hs), "not saved: "+reason) {
			t.Fatalf("%s opened a form on a read-only store", k)
		}
	}
	hs.key("tab")
	hs.key("n")
	hs.key("X")
	if formTitle(hs) != "" || strings.Contains(helpLine(hs), "y/n") || !strings.Contains(statusLine(hs), "not saved: ") {
		t.Fatal("list keys not refused")
	}
	hs.key("tab") // Portfolio
	hs.key("x")
	hs.runCmd(hs.key("y"))
	if !strings.Contains(screenLines(hs)[0], "Portfolio (5)") || !strings.Contains(statusLine(hs), "not saved: "+reason) {
		t.Fatalf("lot delete on a read-only store:\n%s", plain(hs))
	}
}

func TestSaveErrorIsShown(t *testing.T) {
	hs := newHarness(t, "dark", termenv.TrueColor, 120, 30)
	hs.put(makeSnapshot(30, 1))
	hs.user.fail(errors.New("write /home/x/.local/share/tokentop/data.db: no space left on device"))
	hs.key("j")
	hs.runCmd(hs.key("*"))
	s := statusLine(hs)
	if !strings.Contains(s, "✗ not saved: ETH watched: write /home/x/.local/share/tokentop/data.db: no space left on device") {
		t.Fatalf("status: %s", s)
	}
	st := NewStyles(testTheme(t, "dark"), testRenderer(termenv.TrueColor)) // the session's styles, built apart
	if !strings.Contains(hs.m.View(), spanOf(st.BarError).pre+"✗ not saved") {
		t.Fatal("a failed save is not in the error style")
	}
}

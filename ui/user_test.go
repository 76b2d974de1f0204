package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

func newTestUser(d model.UserData) (*userState, *fakeUser) {
	f := newFakeUser(d)
	return newUserState(Options{User: f}), f
}

// sendOK sends ch, fails the test on a refusal, runs the wait and takes
// the answer as the root does.
func sendOK(t *testing.T, u *userState, ch model.UserChange, what string) error {
	t.Helper()
	var got error
	answered := false
	cmd, err := u.send(ch, what, func(err error) { got, answered = err, true })
	if err != nil {
		t.Fatalf("send %s: %v", what, err)
	}
	msg, ok := cmd().(savedMsg)
	if !ok {
		t.Fatalf("send %s: the Cmd did not report a savedMsg", what)
	}
	u.pull()
	p, ok := u.answered(msg.id)
	if !ok {
		t.Fatalf("send %s: no pending change %d", what, msg.id)
	}
	p.done(msg.err)
	if !answered {
		t.Fatal("done was not called")
	}
	return got
}

// The session shows only what the service committed: a sent change is
// pending (and not in the records shown) until its answer, then the
// snapshot holding it is shown.
func TestUserChangesShowOnlyOnceCommitted(t *testing.T) {
	u, f := newTestUser(sampleUser())
	f.hold()
	lot := model.Lot{ID: "new-1", Symbol: "DOGE", Quantity: 1000, Cost: 0.1}
	cmd, err := u.send(model.UserChange{PutLot: &lot}, "lot added", nil)
	if err != nil {
		t.Fatal(err)
	}
	u.pull()
	if u.lot("new-1") != nil || len(u.pending) != 1 {
		t.Fatalf("a pending lot is shown as saved (pending %d)", len(u.pending))
	}
	// The next change is computed from the records with the pending ones.
	if cur := u.current(); cur.LotIndex("new-1") < 0 {
		t.Fatal("current() lacks the pending lot")
	}
	f.release()
	msg := cmd().(savedMsg)
	if msg.err != nil {
		t.Fatal(msg.err)
	}
	u.pull()
	if l := u.lot("new-1"); l == nil || l.Quantity != 1000 {
		t.Fatal("the committed lot is not shown")
	}
	if _, ok := u.answered(msg.id); !ok || len(u.pending) != 0 {
		t.Fatal("the answered change is still pending")
	}
	if _, ok := u.answered(msg.id); ok {
		t.Fatal("a change was answered twice")
	}
}

// A change the records refuse is refused at once: nothing is sent.
func TestUserSendRefusesBadChangesAtOnce(t *testing.T) {
	for _, c := range []struct {
		name string
		ch   model.UserChange
		want string
	}{
		{"zero quantity", model.UserChange{PutLot: &model.Lot{ID: "x", Symbol: "BTC", Quantity: 0}}, "quantity: must be greater than 0"},
		{"rename onto another", model.UserChange{RenameWatchlist: &[2]string{"Main", "DeFi"}}, "exists"},
		{"delete missing lot", model.UserChange{DeleteLot: "nope"}, "already gone"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, f := newTestUser(sampleUser())
			v := u.version
			cmd, err := u.send(c.ch, "x", nil)
			if err == nil || cmd != nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v (cmd %v), want %q", err, cmd != nil, c.want)
			}
			if u.version != v || len(f.all()) != 0 || len(u.pending) != 0 {
				t.Fatal("a refused change was sent or counted")
			}
		})
	}
}

func TestUserReadOnlyAndAnonymousRefuseEverything(t *testing.T) {
	f := newFakeUser(sampleUser())
	f.readOnly = "the store is in use by another tokentop"
	f.publish()
	u := newUserState(Options{User: f})
	lot := model.Lot{ID: "n", Symbol: "BTC", Quantity: 1}
	cmd, err := u.send(model.UserChange{PutLot: &lot}, "lot added", nil)
	if cmd != nil || err == nil || err.Error() != "not saved: the store is in use by another tokentop" {
		t.Fatalf("read-only send: %v", err)
	}
	if len(u.data.Lots) != 5 || len(f.all()) != 0 {
		t.Fatal("read-only send changed or sent the records")
	}
	// No user at all: read only, with no records but the default list.
	none := newUserState(Options{})
	if _, err := none.send(model.UserChange{PutLot: &lot}, "x", nil); err == nil || !strings.Contains(err.Error(), "read-only: anonymous") {
		t.Fatalf("anonymous: %v", err)
	}
	if !none.anonymous || len(none.data.Watchlists) != 1 || none.data.Watchlists[0].Name != model.DefaultWatchlist || len(none.data.Lots) != 0 {
		t.Fatalf("anonymous records: %+v", none.data)
	}
}

// The session never changes the snapshot's records (the user's other
// sessions share them), nor shares memory with what it sent.
func TestUserNeverChangesTheSharedRecords(t *testing.T) {
	u, f := newTestUser(sampleUser())
	shown := u.snap
	w := &model.Watchlist{Name: "Main", Symbols: []string{"BTC", "ETH"}}
	if err := sendOK(t, u, model.UserChange{PutWatchlist: w}, "list"); err != nil {
		t.Fatal(err)
	}
	w.Symbols[0] = "XRP"
	if got := f.all()[0].PutWatchlist.Symbols[0]; got != "BTC" {
		t.Fatalf("the sent change was changed through the caller: %s", got)
	}
	if shown.Data.Watchlists[0].Symbols[0] != "ETH" || len(shown.Data.Watchlists[0].Symbols) != 4 {
		t.Fatal("an older snapshot's records were changed")
	}
	// A refusal comes back to done.
	f.fail(errors.New("disk full"))
	if err := sendOK(t, u, model.UserChange{DeleteLot: "lot-btc-1"}, "lot deleted"); err == nil || err.Error() != "disk full" {
		t.Fatalf("refusal: %v", err)
	}
	if u.lot("lot-btc-1") == nil {
		t.Fatal("a refused delete removed the lot")
	}
}

// The active watchlist is followed by name when another session adds or
// deletes lists before it; deleting it moves to its neighbour.
func TestUserActiveListFollowsItsName(t *testing.T) {
	u, f := newTestUser(sampleUser())
	u.selectList("DeFi")
	d := f.records()
	d.Watchlists = append([]model.Watchlist{{Name: "First", Symbols: []string{}}}, d.Watchlists...)
	f.set(d)
	u.pull()
	if got := u.activeList().Name; got != "DeFi" || u.list != 2 {
		t.Fatalf("active list %q at %d, want DeFi at 2", got, u.list)
	}
	d.Watchlists = d.Watchlists[:2]
	f.set(d)
	u.pull()
	if got := u.activeList().Name; got != "Main" {
		t.Fatalf("after its deletion the active list is %q, want its neighbour Main", got)
	}
}

// A lot is "saving…" until the service committed it: no "✓ Lot added"
// and no row before that; then both.
func TestLotShowsAsSavedOnlyOnceCommitted(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(30, 1))
	hs.key("k") // BTC
	hs.user.hold()
	hs.key("a")
	hs.typeText("0.5")
	cmd := hs.key("ctrl+s")
	if formTitle(hs) != "" {
		t.Fatal("the form stayed open")
	}
	if s := statusLine(hs); !strings.Contains(s, "saving… lot added") || strings.Contains(s, "✓") {
		t.Fatalf("pending lot: %s", s)
	}
	hs.key("tab")
	hs.key("tab") // Portfolio
	hs.send(tickMsg{})
	if s := plain(hs); !strings.Contains(s, "Portfolio (0)") || strings.Contains(s, "0.50000") {
		t.Fatalf("a lot not yet committed is shown:\n%s", s)
	}
	hs.user.release()
	hs.runCmd(cmd)
	if s := statusLine(hs); !strings.Contains(s, "✓ Lot added: 0.50000 BTC") {
		t.Fatalf("committed lot: %s", s)
	}
	if s := plain(hs); !strings.Contains(s, "Portfolio (1)") || !strings.Contains(s, "0.50000") {
		t.Fatalf("the committed lot is not shown:\n%s", s)
	}
}

// When the service refuses a form's change (here: the store is full),
// the entry comes back as the form's draft with the reason beside its
// field, and the status line says it was not saved.
func TestRefusedFormComesBackAsItsDraft(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(30, 1))
	hs.key("k") // BTC
	hs.key("a")
	hs.typeText("0.5")
	hs.user.fail(&model.FieldError{Field: "quantity", Msg: "you have the most portfolio lots allowed (10000)"})
	hs.runCmd(hs.key("ctrl+s"))
	if s := statusLine(hs); !strings.Contains(s, "✗ not saved: lot added: quantity: you have the most") {
		t.Fatalf("status: %s", s)
	}
	hs.key("a")
	f := fieldOf(t, hs, "quantity")
	if f.Value != "0.5" || !strings.HasPrefix(f.Err, "you have the most") { // the error is cut to the box
		t.Fatalf("the refused entry did not come back: %+v\n%s", f, plain(hs))
	}
	if !f.Focused {
		t.Fatalf("the focus is not on the field with the error:\n%s", plain(hs))
	}
}

// Two stars in a row, before the first is committed, both stay: the
// second is computed from the list with the first pending change.
func TestQuickStarsAllStay(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(30, 1))
	hs.user.hold()
	c1 := hs.key("*") // BTC
	hs.key("j")
	c2 := hs.key("*") // ETH
	hs.user.release()
	hs.runCmd(c1)
	hs.runCmd(c2)
	d := hs.user.records()
	if got := d.Watchlists[0].Symbols; !slices.Equal(got, []string{"BTC", "ETH"}) {
		t.Fatalf("watchlist %v, want both stars", got)
	}
	hs.send(tickMsg{})
	if !strings.Contains(rowOf(hs, "BTC"), "★") || !strings.Contains(rowOf(hs, "ETH"), "★") || !strings.Contains(screenLines(hs)[0], "Watch (2)") {
		t.Fatalf("the session does not show both stars:\n%s", plain(hs))
	}
}

// An anonymous session (serve's allow_anonymous) sees the market, has no
// records, opens no form and says it is read-only.
func TestAnonymousSessionIsReadOnly(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, anonymous())
	hs.put(makeSnapshot(30, 1))
	if s := statusLine(hs); !strings.Contains(s, "read-only: anonymous session") {
		t.Fatalf("status: %s", s)
	}
	for _, k := range []string{"a", "A", "*"} {
		if cmd := hs.key(k); cmd != nil || formTitle(hs) != "" {
			t.Fatalf("%s: a change or a form in an anonymous session", k)
		}
		if s := statusLine(hs); !strings.Contains(s, "read-only: anonymous session") {
			t.Fatalf("%s refused without saying why: %s", k, s)
		}
	}
	if s := plain(hs); !strings.Contains(s, "Watch (0)") || !strings.Contains(s, "Portfolio (0)") || !strings.Contains(s, "Alerts (0)") {
		t.Fatalf("records in an anonymous session:\n%s", s)
	}
}

// Firings recorded before the session started are history, not news.
func TestNewSessionDoesNotReplayFirings(t *testing.T) {
	f := newFakeUser(model.UserData{})
	f.fire(model.AlertFiring{AlertID: "a1", Symbol: "BTC", Time: t0, Message: "BTC rose above $1.00"})
	bells := 0
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, func(o *Options) { o.User = f; o.Bell = func() { bells++ } })
	hs.put(makeSnapshot(30, 1))
	hs.runCmd(hs.send(tickMsg{}))
	if strings.Contains(statusLine(hs), "🔔") || bells != 0 {
		t.Fatalf("an old firing was announced: %s", statusLine(hs))
	}
	f.fire(model.AlertFiring{AlertID: "a1", Symbol: "BTC", Time: t0, Message: "BTC rose above $2.00"})
	hs.runCmd(hs.send(tickMsg{}))
	if !strings.Contains(statusLine(hs), "🔔 BTC rose above $2.00") || bells != 1 {
		t.Fatalf("a new firing was not announced: %s (bells %d)", statusLine(hs), bells)
	}
}

package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tokentop/tokentop/model"
)

func newTestUser(d model.UserData) (*userState, *fakePersister) {
	p := &fakePersister{}
	return newUserState(Options{User: d, Persist: p}), p
}

// applyOK applies ch, fails the test on a refusal, and runs the save.
func applyOK(t *testing.T, u *userState, ch model.UserChange, what string) savedMsg {
	t.Helper()
	cmd, err := u.apply(ch, what)
	if err != nil {
		t.Fatalf("apply %s: %v", what, err)
	}
	msg, ok := cmd().(savedMsg)
	if !ok {
		t.Fatalf("apply %s: the Cmd did not report a savedMsg", what)
	}
	return msg
}

func TestApplyEveryKindOfChange(t *testing.T) {
	u, p := newTestUser(sampleUser())
	v0 := u.version

	// watchlists: insert, replace, rename, delete
	applyOK(t, u, model.UserChange{PutWatchlist: &model.Watchlist{Name: "Majors", Symbols: []string{"BTC"}}}, "list")
	applyOK(t, u, model.UserChange{PutWatchlist: &model.Watchlist{Name: "Majors", Symbols: []string{"BTC", "ETH"}}}, "list")
	if i := u.listIndex("Majors"); i != 2 || !slices.Equal(u.data.Watchlists[i].Symbols, []string{"BTC", "ETH"}) {
		t.Fatalf("put watchlist: %+v", u.data.Watchlists)
	}
	applyOK(t, u, model.UserChange{RenameWatchlist: &[2]string{"Majors", "Big"}}, "rename")
	if u.listIndex("Majors") >= 0 || u.listIndex("Big") != 2 {
		t.Fatalf("rename: %+v", u.data.Watchlists)
	}
	u.list = 2
	applyOK(t, u, model.UserChange{DeleteWatchlist: "Big"}, "delete")
	if len(u.data.Watchlists) != 2 || u.list != 1 {
		t.Fatalf("delete: %d lists, active %d", len(u.data.Watchlists), u.list)
	}

	// lots: insert, replace by ID, delete
	lot := model.Lot{ID: "new-1", Symbol: "DOGE", Quantity: 1000, Cost: 0.1}
	applyOK(t, u, model.UserChange{PutLot: &lot}, "lot")
	lot.Quantity = 2000
	applyOK(t, u, model.UserChange{PutLot: &lot}, "lot")
	if l := u.lot("new-1"); l == nil || l.Quantity != 2000 || len(u.data.Lots) != 6 {
		t.Fatalf("put lot: %+v", u.data.Lots)
	}
	applyOK(t, u, model.UserChange{DeleteLot: "lot-eth-1"}, "lot")
	if u.lot("lot-eth-1") != nil || len(u.data.Lots) != 5 {
		t.Fatal("delete lot")
	}

	// alerts
	al := model.Alert{ID: "al-1", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 70000, Created: t0}
	applyOK(t, u, model.UserChange{PutAlert: &al}, "alert")
	if len(u.data.Alerts) != 1 {
		t.Fatal("put alert")
	}
	applyOK(t, u, model.UserChange{DeleteAlert: "al-1"}, "alert")
	if len(u.data.Alerts) != 0 {
		t.Fatal("delete alert")
	}

	// firings: newest first, trimmed to the history kept
	for i := range model.DefaultFiringsKept + 3 {
		f := model.AlertFiring{AlertID: "al-1", Symbol: "BTC", Time: t0, Message: "fired", Price: float64(i)}
		applyOK(t, u, model.UserChange{AddFiring: &f}, "firing")
	}
	fs := u.data.Firings
	if len(fs) != model.DefaultFiringsKept || fs[0].Price != float64(model.DefaultFiringsKept+2) || fs[1].Price != fs[0].Price-1 {
		t.Fatalf("firings: %d kept, newest %v", len(fs), fs[0].Price)
	}

	changes := p.all()
	if n := 9 + model.DefaultFiringsKept + 3; len(changes) != n || u.version != v0+uint64(n) {
		t.Fatalf("%d changes saved, version %d, want %d", len(changes), u.version-v0, n)
	}
	if changes[0].PutWatchlist == nil || changes[0].PutWatchlist.Name != "Majors" || changes[len(changes)-1].AddFiring == nil {
		t.Fatal("changes saved out of order")
	}
}

// A refused change changes nothing and saves nothing.
func TestApplyRefusesBadChanges(t *testing.T) {
	for _, c := range []struct {
		name string
		ch   model.UserChange
		want string
	}{
		{"empty", model.UserChange{}, "empty change"},
		{"two fields", model.UserChange{DeleteLot: "lot-btc-1", DeleteAlert: "x"}, "exactly one"},
		{"zero quantity", model.UserChange{PutLot: &model.Lot{ID: "x", Symbol: "BTC", Quantity: 0}}, "quantity: must be greater than 0"},
		{"bad symbol", model.UserChange{PutLot: &model.Lot{ID: "x", Symbol: "btc", Quantity: 1}}, "not a token symbol"},
		{"bad list name", model.UserChange{PutWatchlist: &model.Watchlist{Name: " Main"}}, "spaces"},
		{"repeated symbol", model.UserChange{PutWatchlist: &model.Watchlist{Name: "Main", Symbols: []string{"BTC", "BTC"}}}, "twice"},
		{"rename onto another", model.UserChange{RenameWatchlist: &[2]string{"Main", "DeFi"}}, "exists"},
		{"rename missing", model.UserChange{RenameWatchlist: &[2]string{"Nope", "X"}}, "no watchlist"},
		{"delete missing list", model.UserChange{DeleteWatchlist: "Nope"}, "no watchlist"},
		{"delete missing lot", model.UserChange{DeleteLot: "nope"}, "already gone"},
		{"bad alert", model.UserChange{PutAlert: &model.Alert{ID: "a", Symbol: "BTC", Kind: model.AlertPriceAbove}}, "price"},
		{"bad firing", model.UserChange{AddFiring: &model.AlertFiring{AlertID: "bad id!"}}, "alert_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, p := newTestUser(sampleUser())
			before := sampleUser()
			cmd, err := u.apply(c.ch, "x")
			if err == nil || cmd != nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v (cmd %v), want %q", err, cmd != nil, c.want)
			}
			if u.version != 0 || len(p.all()) != 0 {
				t.Fatal("a refused change was counted or saved")
			}
			if !slices.EqualFunc(u.data.Lots, before.Lots, func(a, b model.Lot) bool { return a == b }) ||
				len(u.data.Watchlists) != 2 || u.data.Watchlists[0].Name != "Main" || u.data.Watchlists[1].Name != "DeFi" {
				t.Fatal("a refused change changed the records")
			}
		})
	}
	u, _ := newTestUser(model.UserData{Watchlists: []model.Watchlist{{Name: "Only"}}})
	if _, err := u.apply(model.UserChange{DeleteWatchlist: "Only"}, "x"); err == nil || !strings.Contains(err.Error(), "last watchlist") {
		t.Fatalf("deleting the last list: %v", err)
	}
}

func TestApplyReadOnlyRefusesEverything(t *testing.T) {
	u := newUserState(Options{User: sampleUser(), ReadOnly: "the store is in use by another tokentop"})
	lot := model.Lot{ID: "n", Symbol: "BTC", Quantity: 1}
	cmd, err := u.apply(model.UserChange{PutLot: &lot}, "lot added")
	if cmd != nil || err == nil || err.Error() != "not saved: the store is in use by another tokentop" {
		t.Fatalf("read-only apply: %v", err)
	}
	if len(u.data.Lots) != 5 || u.version != 0 {
		t.Fatal("read-only apply changed the records")
	}
	// no store at all: refused with a reason too
	none := newUserState(Options{})
	if _, err := none.apply(model.UserChange{PutLot: &lot}, "x"); err == nil || !strings.Contains(err.Error(), "not saved: no data store") {
		t.Fatalf("no store: %v", err)
	}
	if len(none.data.Watchlists) != 1 || none.data.Watchlists[0].Name != model.DefaultWatchlist {
		t.Fatalf("no watchlist loaded: want the default, got %+v", none.data.Watchlists)
	}
}

// The records in memory never share memory with the change handed to the
// Persister (which reads it on its own goroutine) or with Options.User.
func TestApplyCopiesRecords(t *testing.T) {
	d := sampleUser()
	u, p := newTestUser(d)
	d.Watchlists[0].Symbols[0] = "CHANGED"
	if u.data.Watchlists[0].Symbols[0] != "ETH" {
		t.Fatal("the loaded records share memory with Options.User")
	}
	w := &model.Watchlist{Name: "Main", Symbols: []string{"BTC", "ETH"}}
	applyOK(t, u, model.UserChange{PutWatchlist: w}, "list")
	u.data.Watchlists[0].Symbols[0] = "XRP"
	if got := p.all()[0].PutWatchlist.Symbols[0]; got != "BTC" {
		t.Fatalf("the saved change was changed through memory: %s", got)
	}
	// a failed save is reported with what it was
	p.fail(errors.New("disk full"))
	msg := applyOK(t, u, model.UserChange{DeleteLot: "lot-btc-1"}, "lot deleted")
	if msg.err == nil || msg.what != "lot deleted" {
		t.Fatalf("failed save reported %+v", msg)
	}
}

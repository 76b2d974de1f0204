package model

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func sampleRecords() UserData {
	return UserData{
		Watchlists: []Watchlist{
			{Name: "Main", Symbols: []string{"ETH", "SOL", "BTC"}},
			{Name: "DeFi", Symbols: []string{"UNI", "LINK"}},
		},
		Lots: []Lot{
			{ID: "lot-btc-1", Symbol: "BTC", Quantity: 0.5, Cost: 60000},
			{ID: "lot-eth-1", Symbol: "ETH", Quantity: 4, Cost: 3800},
		},
	}
}

func applyOK(t *testing.T, d *UserData, ch UserChange) {
	t.Helper()
	if err := d.Apply(ch, 0); err != nil {
		t.Fatalf("apply %+v: %v", ch, err)
	}
}

func TestUserDataApplyEveryKindOfChange(t *testing.T) {
	d := sampleRecords()
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

	// watchlists: insert, replace, rename, delete
	applyOK(t, &d, UserChange{PutWatchlist: &Watchlist{Name: "Majors", Symbols: []string{"BTC"}}})
	applyOK(t, &d, UserChange{PutWatchlist: &Watchlist{Name: "Majors", Symbols: []string{"BTC", "ETH"}}})
	if i := d.WatchlistIndex("Majors"); i != 2 || !slices.Equal(d.Watchlists[i].Symbols, []string{"BTC", "ETH"}) {
		t.Fatalf("put watchlist: %+v", d.Watchlists)
	}
	applyOK(t, &d, UserChange{RenameWatchlist: &[2]string{"Majors", "Big"}})
	if d.WatchlistIndex("Majors") >= 0 || d.WatchlistIndex("Big") != 2 {
		t.Fatalf("rename: %+v", d.Watchlists)
	}
	applyOK(t, &d, UserChange{DeleteWatchlist: "Big"})
	if len(d.Watchlists) != 2 {
		t.Fatalf("delete: %d lists", len(d.Watchlists))
	}

	// lots: insert, replace by ID (keeping its place), delete
	lot := Lot{ID: "new-1", Symbol: "DOGE", Quantity: 1000, Cost: 0.1}
	applyOK(t, &d, UserChange{PutLot: &lot})
	lot.Quantity = 2000
	applyOK(t, &d, UserChange{PutLot: &lot})
	if i := d.LotIndex("new-1"); i != 2 || d.Lots[i].Quantity != 2000 || len(d.Lots) != 3 {
		t.Fatalf("put lot: %+v", d.Lots)
	}
	applyOK(t, &d, UserChange{DeleteLot: "lot-eth-1"})
	if d.LotIndex("lot-eth-1") >= 0 || len(d.Lots) != 2 {
		t.Fatal("delete lot")
	}

	// alerts
	al := Alert{ID: "al-1", Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000, Created: t0}
	applyOK(t, &d, UserChange{PutAlert: &al})
	if len(d.Alerts) != 1 {
		t.Fatal("put alert")
	}
	applyOK(t, &d, UserChange{DeleteAlert: "al-1"})
	if len(d.Alerts) != 0 {
		t.Fatal("delete alert")
	}

	// firings: newest first, trimmed to the history kept
	for i := range DefaultFiringsKept + 3 {
		f := AlertFiring{AlertID: "al-1", Symbol: "BTC", Time: t0, Message: "fired", Price: float64(i)}
		applyOK(t, &d, UserChange{AddFiring: &f})
	}
	fs := d.Firings
	if len(fs) != DefaultFiringsKept || fs[0].Price != float64(DefaultFiringsKept+2) || fs[1].Price != fs[0].Price-1 {
		t.Fatalf("firings: %d kept, newest %v", len(fs), fs[0].Price)
	}
	f := AlertFiring{AlertID: "al-1", Symbol: "BTC", Time: t0, Message: "fired"}
	if err := d.Apply(UserChange{AddFiring: &f}, 3); err != nil || len(d.Firings) != 3 {
		t.Fatalf("a smaller history kept: %d firings (%v)", len(d.Firings), err)
	}
}

// A refused change changes nothing.
func TestUserDataRefusesBadChanges(t *testing.T) {
	for _, c := range []struct {
		name string
		ch   UserChange
		want string
	}{
		{"empty", UserChange{}, "empty change"},
		{"two fields", UserChange{DeleteLot: "lot-btc-1", DeleteAlert: "x"}, "exactly one"},
		{"zero quantity", UserChange{PutLot: &Lot{ID: "x", Symbol: "BTC", Quantity: 0}}, "quantity: must be greater than 0"},
		{"bad symbol", UserChange{PutLot: &Lot{ID: "x", Symbol: "btc", Quantity: 1}}, "not a token symbol"},
		{"bad list name", UserChange{PutWatchlist: &Watchlist{Name: " Main"}}, "spaces"},
		{"repeated symbol", UserChange{PutWatchlist: &Watchlist{Name: "Main", Symbols: []string{"BTC", "BTC"}}}, "twice"},
		{"rename onto another", UserChange{RenameWatchlist: &[2]string{"Main", "DeFi"}}, "exists"},
		{"rename missing", UserChange{RenameWatchlist: &[2]string{"Nope", "X"}}, "no watchlist"},
		{"rename to a bad name", UserChange{RenameWatchlist: &[2]string{"Main", ""}}, "name: is required"},
		{"delete missing list", UserChange{DeleteWatchlist: "Nope\x1b[2J"}, `no watchlist named "Nope\x1b[2J"`},
		{"delete missing lot", UserChange{DeleteLot: "nope"}, "already gone"},
		{"delete missing alert", UserChange{DeleteAlert: "nope"}, "already gone"},
		{"bad alert", UserChange{PutAlert: &Alert{ID: "a", Symbol: "BTC", Kind: AlertPriceAbove}}, "price"},
		{"bad firing", UserChange{AddFiring: &AlertFiring{AlertID: "bad id!"}}, "alert_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := sampleRecords()
			err := d.Apply(c.ch, 0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if check := d.Check(c.ch); check == nil || check.Error() != err.Error() {
				t.Errorf("Check says %v, Apply %v", check, err)
			}
			before := sampleRecords()
			if !slices.Equal(d.Lots, before.Lots) || len(d.Watchlists) != 2 || d.Watchlists[0].Name != "Main" ||
				d.Watchlists[1].Name != "DeFi" || len(d.Alerts) != 0 || len(d.Firings) != 0 {
				t.Fatal("a refused change changed the records")
			}
		})
	}
	d := UserData{Watchlists: []Watchlist{{Name: "Only"}}}
	if err := d.Apply(UserChange{DeleteWatchlist: "Only"}, 0); err == nil || !strings.Contains(err.Error(), "last watchlist") {
		t.Fatalf("deleting the last list: %v", err)
	}
	// The limits: a new record past one is refused, a replaced one is not.
	full := UserData{Lots: make([]Lot, MaxLots)}
	for i := range full.Lots {
		full.Lots[i] = Lot{ID: "l" + strings.Repeat("x", i%7) + string(rune('a'+i%26)), Symbol: "BTC", Quantity: 1}
	}
	if err := full.Check(UserChange{PutLot: &Lot{ID: "another", Symbol: "BTC", Quantity: 1}}); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("a lot past the limit: %v", err)
	}
	if err := full.Check(UserChange{PutLot: &full.Lots[3]}); err != nil {
		t.Fatalf("replacing a lot at the limit: %v", err)
	}
}

// The records applied never share memory with the change, and a clone
// never shares memory with its original.
func TestUserDataCopies(t *testing.T) {
	d := sampleRecords()
	w := &Watchlist{Name: "Main", Symbols: []string{"BTC", "ETH"}}
	applyOK(t, &d, UserChange{PutWatchlist: w})
	w.Symbols[0] = "XRP"
	if d.Watchlists[0].Symbols[0] != "BTC" {
		t.Fatal("the records share memory with the change")
	}
	c := d.Clone()
	c.Watchlists[0].Symbols[0] = "CHANGED"
	c.Lots[0].Quantity = 99
	if d.Watchlists[0].Symbols[0] != "BTC" || d.Lots[0].Quantity != 0.5 {
		t.Fatal("a clone shares memory with its original")
	}
}

func TestUserSnapshotNewFirings(t *testing.T) {
	s := &UserSnapshot{FiringsAdded: 5, Data: UserData{Firings: []AlertFiring{{AlertID: "e"}, {AlertID: "d"}, {AlertID: "c"}}}}
	for _, c := range []struct {
		seen uint64
		want int
	}{{5, 0}, {6, 0}, {4, 1}, {3, 2}, {0, 3}} {
		if got := s.NewFirings(c.seen); len(got) != c.want || (c.want > 0 && got[0].AlertID != "e") {
			t.Errorf("seen %d: %d new (%+v), want %d newest first", c.seen, len(got), got, c.want)
		}
	}
	var none *UserSnapshot
	if none.NewFirings(0) != nil {
		t.Error("a nil snapshot has new firings")
	}
}

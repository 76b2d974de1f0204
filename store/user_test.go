package store

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"
)

// Every kind of user record goes through Close and a new Open intact:
// watchlists (with upsert, rename and delete, in creation order), lots,
// alerts of every kind with their durations, firings trimmed to the
// newest FiringsKept.
func TestUserRecordsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)

	d, rep, err := s.Load(LocalUser)
	if err != nil || rep.Skipped != 0 {
		t.Fatal(err, rep)
	}
	if want := []model.Watchlist{{Name: model.DefaultWatchlist, Symbols: []string{}}}; !reflect.DeepEqual(d.Watchlists, want) {
		t.Fatalf("empty store watchlists = %#v, want %#v", d.Watchlists, want)
	}
	id := txid(t, s)
	s.Load(LocalUser)
	if txid(t, s) != id {
		t.Fatal("Load wrote to the store")
	}

	wl := func(name string, syms ...string) model.UserChange {
		return model.UserChange{PutWatchlist: &model.Watchlist{Name: name, Symbols: syms}}
	}
	for _, ch := range []model.UserChange{
		wl(model.DefaultWatchlist, "BTC", "ETH"),
		wl("Alts", "SOL", "ADA"),
		wl("Memes", "DOGE"),
		wl("Later", "TON"),
		{RenameWatchlist: &[2]string{"Alts", "Layer 1"}},
		{DeleteWatchlist: "Memes"},
		{DeleteWatchlist: "never existed"},
		wl(model.DefaultWatchlist, "BTC", "ETH", "XRP"), // upsert keeps its place
	} {
		applyT(t, s, ch)
	}
	lots := []model.Lot{sampleLot("l1"), sampleLot("l2"), sampleLot("l3")}
	lots[1].Symbol, lots[1].Quantity, lots[1].Opened, lots[1].Note = "ETH", 12, time.Time{}, ""
	for i := range lots {
		applyT(t, s, model.UserChange{PutLot: &lots[i]})
	}
	lots[0].Quantity = 0.75
	applyT(t, s, model.UserChange{PutLot: &lots[0]}) // keeps its place
	applyT(t, s, model.UserChange{DeleteLot: "l3"})
	alerts := sampleAlerts()
	for i := range alerts {
		applyT(t, s, model.UserChange{PutAlert: &alerts[i]})
	}
	applyT(t, s, model.UserChange{DeleteAlert: "a-moon"})
	s.SetFiringsKept(5)
	var firings []model.AlertFiring
	for i := range 8 {
		f := model.AlertFiring{AlertID: "a-above", Symbol: "BTC", Time: t0.Add(time.Duration(i) * time.Minute),
			Message: fmt.Sprintf("BTC rose above $70,000 (now $70,0%02d)", i), Price: 70000 + float64(i)}
		firings = append(firings, f)
		applyT(t, s, model.UserChange{AddFiring: &f})
	}
	checkDB(t, s)
	s.Close()

	s = openT(t, dir)
	d, rep, err = s.Load(LocalUser)
	if err != nil || rep.Skipped != 0 {
		t.Fatal(err, rep)
	}
	want := model.UserData{
		Watchlists: []model.Watchlist{
			{Name: model.DefaultWatchlist, Symbols: []string{"BTC", "ETH", "XRP"}},
			{Name: "Layer 1", Symbols: []string{"SOL", "ADA"}},
			{Name: "Later", Symbols: []string{"TON"}},
		},
		Lots:   lots[:2],
		Alerts: alerts[:4],
	}
	for i := 7; i >= 3; i-- {
		want.Firings = append(want.Firings, firings[i])
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("after reopen:\n got %+v\nwant %+v", d, want)
	}
	if d.Alerts[2].Window != model.Duration(24*time.Hour) || d.Alerts[1].Cooldown != model.Duration(30*time.Minute) {
		t.Errorf("durations lost: %+v", d.Alerts)
	}
	// The store kept only 5 firings (trimmed on write, not on load).
	s.db.View(func(tx *bolt.Tx) error {
		if b, _ := bucketAt(tx, "users", LocalUser, "firings"); b.Stats().KeyN != 5+1 { // and the tally
			t.Errorf("%d firings stored, want 5", b.Stats().KeyN-1)
		}
		return nil
	})
}

func TestApplyRefusals(t *testing.T) {
	s := openT(t, t.TempDir())
	if err := s.Apply(LocalUser, model.UserChange{}); !errors.Is(err, model.ErrNoChange) {
		t.Errorf("empty change: %v", err)
	}
	two := model.UserChange{DeleteLot: "a", DeleteAlert: "b"}
	if err := s.Apply(LocalUser, two); !errors.Is(err, model.ErrNoChange) || !strings.Contains(err.Error(), "sets 2") {
		t.Errorf("two fields: %v", err)
	}
	bad := sampleLot("l1")
	bad.Quantity = 0
	if err := s.Apply(LocalUser, model.UserChange{PutLot: &bad}); err == nil || err.Error() != `saving lot "l1": quantity: must be greater than 0` {
		t.Errorf("bad lot: %v", err)
	}
	var fe *model.FieldError
	if err := s.Apply(LocalUser, model.UserChange{PutLot: &bad}); !errors.As(err, &fe) || fe.Field != "quantity" {
		t.Errorf("bad lot error does not carry the field: %v", err)
	}
	applyT(t, s, model.UserChange{PutWatchlist: &model.Watchlist{Name: "A"}})
	applyT(t, s, model.UserChange{PutWatchlist: &model.Watchlist{Name: "B"}})
	if err := s.Apply(LocalUser, model.UserChange{RenameWatchlist: &[2]string{"A", "B"}}); err == nil || !strings.Contains(err.Error(), `a watchlist named "B" already exists`) {
		t.Errorf("rename onto an existing list: %v", err)
	}
	if err := s.Apply(LocalUser, model.UserChange{RenameWatchlist: &[2]string{"Z", "Y"}}); err == nil || !strings.Contains(err.Error(), `no watchlist named "Z"`) {
		t.Errorf("rename of a missing list: %v", err)
	}
	if err := s.Apply(LocalUser, model.UserChange{RenameWatchlist: &[2]string{"A", " bad"}}); err == nil || !strings.Contains(err.Error(), "name: must not start or end with spaces") {
		t.Errorf("rename to a bad name: %v", err)
	}
	// The lazily made default list can be renamed before it was saved.
	applyT(t, s, model.UserChange{RenameWatchlist: &[2]string{model.DefaultWatchlist, "Mine"}})
	for i := range model.MaxWatchlists - 3 {
		applyT(t, s, model.UserChange{PutWatchlist: &model.Watchlist{Name: fmt.Sprint("L", i)}})
	}
	if err := s.Apply(LocalUser, model.UserChange{PutWatchlist: &model.Watchlist{Name: "one too many"}}); err == nil || !strings.Contains(err.Error(), "most watchlists allowed (64)") {
		t.Errorf("65th list: %v", err)
	}
	applyT(t, s, model.UserChange{PutWatchlist: &model.Watchlist{Name: "A", Symbols: []string{"BTC"}}}) // an update is not an insert
	d, _, _ := s.Load(LocalUser)
	if len(d.Watchlists) != model.MaxWatchlists || d.Watchlists[2].Name != "Mine" {
		t.Errorf("%d lists, third %q", len(d.Watchlists), d.Watchlists[2].Name)
	}
}

// A record that does not read or validate is skipped and counted, and
// stays in the database; the good ones load.
func TestLoadSkipsBadRecordsAndKeepsThem(t *testing.T) {
	s := openT(t, t.TempDir())
	applyT(t, s, model.UserChange{PutLot: ptr(sampleLot("good"))})
	bad := map[string][2]string{ // bucket -> key, value
		"lots/abc":         {"lots", `{"seq":9,"lot":{"id":"abc","symbol":"BTC","quantity":0}}`},
		"lots/other":       {"lots", `{"seq":9,"lot":{"id":"mismatch","symbol":"BTC","quantity":1}}`},
		"lots/junk":        {"lots", "\x00\x01not json"},
		"alerts/k":         {"alerts", `{"seq":1,"alert":{"id":"k","kind":"nope"}}`},
		"watchlists/W":     {"watchlists", `{"seq":1,"watchlist":{"name":"W","symbols":["BTC","BTC"]}}`},
		"firings/whatever": {"firings", `{"alert_id":"bad id!"}`},
	}
	for name, kv := range bad {
		pokeRecord(t, s, strings.TrimPrefix(name, kv[0]+"/"), kv[1], "users", LocalUser, kv[0])
	}
	d, rep, err := s.Load(LocalUser)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Lots) != 1 || d.Lots[0].ID != "good" {
		t.Errorf("lots = %+v", d.Lots)
	}
	if rep.Skipped != len(bad) {
		t.Errorf("skipped %d, want %d: %q", rep.Skipped, len(bad), rep.Reasons)
	}
	for _, want := range []string{
		"lots/abc: quantity: must be greater than 0",
		"lots/other: its id does not match its key",
		"lots/junk: unreadable (not JSON)",
		"watchlists/W: symbols: BTC is listed twice",
	} {
		found := false
		for _, r := range rep.Reasons {
			found = found || r == want
		}
		if !found {
			t.Errorf("no reason %q in %q", want, rep.Reasons)
		}
	}
	for name, kv := range bad {
		if got := rawValue(t, s, strings.TrimPrefix(name, kv[0]+"/"), "users", LocalUser, kv[0]); payloadOf(got) != kv[1] {
			t.Errorf("%s was changed or deleted: %q", name, got)
		}
	}
	if rep.Damaged != 0 {
		t.Errorf("%d damaged: records that pass their checksum are not damage", rep.Damaged)
	}
}

func TestReportKeepsTenReasons(t *testing.T) {
	var r LoadReport
	for i := range 25 {
		r.skip(fmt.Sprint("lots/", i), "bad\x1b[31m")
	}
	if r.Skipped != 25 || len(r.Reasons) != 10 || strings.ContainsRune(r.Reasons[0], 0x1b) {
		t.Errorf("%+v", r)
	}
}

// FuzzLoadRecords puts one hostile value, sealed (as if our own writer
// had written it) or raw (damage, another program), into one of a user's
// buckets and loads the user: never a panic; every record loaded is
// valid and under its own key; a raw value is never loaded; the records
// that were there load as before. The change is rolled back after each
// input, so one store serves them all.
func FuzzLoadRecords(f *testing.F) {
	s := openT(f, f.TempDir())
	for _, ch := range []model.UserChange{
		{PutWatchlist: &model.Watchlist{Name: "W", Symbols: []string{"BTC"}}},
		{PutLot: ptr(sampleLot("l1"))},
		{PutAlert: &sampleAlerts()[1]},
		{AddFiring: &model.AlertFiring{AlertID: "a-below", Symbol: "ETH", Time: t0, Message: "ETH fell below $2,500.50"}},
	} {
		if err := s.Apply(LocalUser, ch); err != nil {
			f.Fatal(err)
		}
	}
	base, rep, err := s.Load(LocalUser)
	if err != nil || rep.Skipped != 0 {
		f.Fatal(err, rep)
	}
	f.Add(uint8(1), []byte("l2"), []byte(`{"seq":5,"lot":{"id":"l2","symbol":"ETH","quantity":1,"cost":2}}`), true)
	f.Add(uint8(1), []byte("l1"), []byte(`{"seq":1,"lot":{"id":"l1","symbol":"ETH","quantity":-1}}`), true)
	f.Add(uint8(0), []byte("W"), []byte(`{"seq":1,"watchlist":{"name":"W","symbols":["\u001b[2J"]}}`), true)
	f.Add(uint8(2), []byte("a9"), []byte(`{"seq":9,"alert":{"id":"a9","kind":"move","symbol":"BTC","percent":1e308,"window":"1h"}}`), false)
	f.Add(uint8(3), append(firingKey(&model.AlertFiring{AlertID: "x", Time: t0}), 0xff), []byte(`{"alert_id":"x","time":"2025-03-01T12:00:00Z"}`), true)
	f.Add(uint8(4), []byte{0}, []byte{0, 0, 0, 0}, false)
	f.Add(uint8(5), []byte("info"), []byte(`{"label":"\u001b]0;x\u0007"}`), true)
	buckets := []string{"watchlists", "lots", "alerts", "firings"}
	f.Fuzz(func(t *testing.T, which uint8, key, value []byte, sealed bool) {
		if len(key) == 0 || len(key) > bolt.MaxKeySize || len(value) > 1<<20 {
			return
		}
		path := []string{"users", LocalUser}
		if int(which)%6 < len(buckets) {
			path = append(path, buckets[int(which)%6])
		}
		rollback := errors.New("rollback")
		err := s.db.Update(func(tx *bolt.Tx) error {
			b, p := bucketAt(tx, path...)
			if sealed {
				if err := (wbucket{b, p}).put(key, value); err != nil {
					return rollback // the tally's key, or a key that is a bucket
				}
			} else if err := b.Put(key, value); err != nil {
				return rollback
			}
			var rep LoadReport
			d := loadUser(tx, LocalUser, 500, &rep)
			for _, w := range d.Watchlists {
				if w.Validate() != nil {
					t.Fatalf("loaded an invalid watchlist %+v", w)
				}
			}
			for _, l := range d.Lots {
				if l.Validate() != nil {
					t.Fatalf("loaded an invalid lot %+v", l)
				}
			}
			for _, a := range d.Alerts {
				if a.Validate() != nil {
					t.Fatalf("loaded an invalid alert %+v", a)
				}
			}
			for _, fi := range d.Firings {
				if fi.Validate() != nil {
					t.Fatalf("loaded an invalid firing %+v", fi)
				}
			}
			if !sealed || len(path) == 2 {
				// Nothing new can load: each kind is what it was, less
				// what the poke replaced (and reported).
				for _, pair := range [][2]any{{d.Watchlists, base.Watchlists}, {d.Lots, base.Lots}, {d.Alerts, base.Alerts}, {d.Firings, base.Firings}} {
					got, want := reflect.ValueOf(pair[0]), reflect.ValueOf(pair[1])
					if got.Len() > want.Len() || got.Len() < want.Len() && rep.Skipped == 0 {
						t.Fatalf("loaded %v, had %v (report %+v)", pair[0], pair[1], rep)
					}
					for i := range got.Len() {
						found := false
						for j := range want.Len() {
							found = found || reflect.DeepEqual(got.Index(i).Interface(), want.Index(j).Interface())
						}
						if !found {
							t.Fatalf("loaded %+v, which was never stored", got.Index(i).Interface())
						}
					}
				}
			}
			for _, r := range rep.Reasons {
				if strings.ContainsAny(r, "\x1b\n\r\x07") {
					t.Fatalf("a reason that is not one clean line: %q", r)
				}
			}
			return rollback
		})
		if err != rollback {
			t.Fatal(err)
		}
	})
}

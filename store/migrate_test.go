package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"
)

// buildV1 writes a schema 1 store exactly as SCHEMA.md describes it, with
// raw bbolt calls: one watchlist as keys of a flat bucket (one key not a
// symbol), plain JSON lots (one unreadable), alerts without repeat or
// cooldown, and firings.
func buildV1(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		put := func(bucket, k, v string) {
			b, err := tx.CreateBucketIfNotExists([]byte(bucket))
			if err == nil {
				err = b.Put([]byte(k), []byte(v))
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		put("meta", "magic", "tokentop")
		put("meta", "version", string(u64(1)))
		put("meta", "created", "2024-06-01T10:00:00Z")
		for _, sym := range []string{"SOL", "BTC", "ETH", "not a symbol"} {
			put("watchlist", sym, "")
		}
		put("lots", "l1", `{"id":"l1","symbol":"BTC","quantity":0.5,"cost":30000,"opened":"2024-01-02T00:00:00Z","note":"first"}`)
		put("lots", "l2", `{"id":"l2","symbol":"ETH","quantity":3,"cost":2000,"opened":"0001-01-01T00:00:00Z"}`)
		put("lots", "l9", `{broken`)
		put("alerts", "a1", `{"id":"a1","symbol":"BTC","kind":"price_above","price":100000,"created":"2024-06-01T10:00:00Z"}`)
		put("alerts", "a2", `{"id":"a2","symbol":"ETH","kind":"move","percent":0.1,"window":"1h0m0s","created":"2024-06-01T10:00:00Z","fired":2,"last_fired":"2024-06-02T10:00:00Z"}`)
		f := model.AlertFiring{AlertID: "a2", Symbol: "ETH", Time: time.Date(2024, 6, 2, 10, 0, 0, 0, time.UTC), Message: "ETH moved 10% within 1h"}
		put("firings", string(firingKey(&f)), `{"alert_id":"a2","symbol":"ETH","time":"2024-06-02T10:00:00Z","message":"ETH moved 10% within 1h"}`)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return path
}

func wantV1Data(t *testing.T, s *Store) {
	t.Helper()
	d, rep, err := s.Load(LocalUser)
	if err != nil {
		t.Fatal(err)
	}
	want := model.UserData{
		Watchlists: []model.Watchlist{{Name: model.DefaultWatchlist, Symbols: []string{"BTC", "ETH", "SOL"}}},
		Lots: []model.Lot{
			{ID: "l1", Symbol: "BTC", Quantity: 0.5, Cost: 30000, Opened: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Note: "first"},
			{ID: "l2", Symbol: "ETH", Quantity: 3, Cost: 2000},
		},
		Alerts: []model.Alert{
			{ID: "a1", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 100000, Created: time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)},
			{ID: "a2", Symbol: "ETH", Kind: model.AlertMove, Percent: 0.1, Window: model.Duration(time.Hour),
				Created: time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC), Fired: 2, LastFired: time.Date(2024, 6, 2, 10, 0, 0, 0, time.UTC)},
		},
		Firings: []model.AlertFiring{{AlertID: "a2", Symbol: "ETH", Time: time.Date(2024, 6, 2, 10, 0, 0, 0, time.UTC), Message: "ETH moved 10% within 1h"}},
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("migrated:\n got %+v\nwant %+v", d, want)
	}
	if rep.Skipped != 1 || rep.Reasons[0] != "lots/l9: unreadable (not JSON)" {
		t.Errorf("report %+v", rep)
	}
}

func TestMigrateV1(t *testing.T) {
	dir := t.TempDir()
	buildV1(t, dir)
	s := openT(t, dir)
	wantV1Data(t, s)
	checkDB(t, s)
	s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyVersion); string(v) != string(u64(SchemaVersion)) {
			t.Errorf("version %x", v)
		}
		if v := meta.Get(keyCreated); string(v) != "2024-06-01T10:00:00Z" {
			t.Errorf("created changed to %q", v)
		}
		if v := meta.Get(keyMigrated); !strings.HasPrefix(string(v), "from 1 at ") {
			t.Errorf("migrated = %q", v)
		}
		// Nothing of the user's is left at the top.
		for _, name := range [][]byte{bucketV1Watchlist, bucketWatchlists, bucketLots, bucketAlerts, bucketFirings} {
			if tx.Bucket(name) != nil {
				t.Errorf("top-level bucket %s is still there", name)
			}
		}
		return nil
	})
	// The key that could not be migrated keeps the old bucket (now the
	// local user's); the unreadable lot is left as it was (with a
	// checksum: it is the user's, as it was).
	if v := rawValue(t, s, "not a symbol", "users", LocalUser, "watchlist"); v == nil {
		t.Error("the v1 watchlist with an unmigrated key was deleted")
	}
	if v := rawValue(t, s, "l9", "users", LocalUser, "lots"); payloadOf(v) != "{broken" {
		t.Errorf("unreadable lot changed to %q", v)
	}
	// New records go after the migrated ones.
	applyT(t, s, model.UserChange{PutLot: ptr(sampleLot("l0"))})
	d, _, _ := s.Load(LocalUser)
	if len(d.Lots) != 3 || d.Lots[2].ID != "l0" {
		t.Errorf("lots after a new one: %+v", d.Lots)
	}
	s.Close()
	s = openT(t, dir) // and it opens as schema 3 from now on
	if d2, _, _ := s.Load(LocalUser); !reflect.DeepEqual(d2, d) {
		t.Errorf("second open differs")
	}
}

// A clean v1 watchlist bucket is removed by the migration.
func TestMigrateV1DropsMigratedWatchlist(t *testing.T) {
	dir := t.TempDir()
	path := buildV1(t, dir)
	rawBolt(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bucketV1Watchlist).Delete([]byte("not a symbol")) })
	s := openT(t, dir)
	s.db.View(func(tx *bolt.Tx) error {
		if b, _ := bucketAt(tx, "users", LocalUser, string(bucketV1Watchlist)); b != nil || tx.Bucket(bucketV1Watchlist) != nil {
			t.Error("the v1 watchlist bucket is still there")
		}
		return nil
	})
}

// A migration that fails part way leaves the v1 file byte for byte as it
// was, and a later Open migrates it.
func TestMigrationFailureLeavesFile(t *testing.T) {
	migrationFailureLeavesFile(t, buildV1, 1, []string{"watchlist", "lots", "alerts", "users", "journal", "warm", "meta"}, wantV1Data)
}

// migrationFailureLeavesFile fails the migration of a store of schema
// from at each step in turn: Open fails saying so, the file is byte for
// byte as it was, and a later Open migrates it (check reads it).
func migrationFailureLeavesFile(t *testing.T, build func(*testing.T, string) string, from int, steps []string, check func(*testing.T, *Store)) {
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			path := build(t, dir)
			before := freezeFile(t, path)
			migrateFault = func(s string) error {
				if s == step {
					return errors.New("disk on fire")
				}
				return nil
			}
			_, err := Open(Options{Dir: dir})
			migrateFault = nil
			want := fmt.Sprintf("upgrading it from schema %d to %d failed, so it was left as it was: disk on fire", from, SchemaVersion)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Open: %v", err)
			}
			before.mustEqual(t, path)
			if _, err := os.Stat(path + ownerSuffix); err == nil {
				t.Error("owner file left behind")
			}
			s := openT(t, dir)
			check(t, s)
		})
	}
}

// ReadOnly reads a v1 store through a migrated private copy; the store
// itself is not touched and the copy is removed on Close.
func TestReadOnlyV1(t *testing.T) {
	dir := t.TempDir()
	path := buildV1(t, dir)
	before := freezeFile(t, path)
	s, err := Open(Options{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	wantV1Data(t, s)
	if err := s.Apply(LocalUser, model.UserChange{DeleteLot: "l1"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Apply: %v", err)
	}
	tmp := s.temp
	if tmp == "" {
		t.Fatal("no temporary copy")
	}
	s.Close()
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary copy %s not removed", tmp)
	}
	before.mustEqual(t, path)
}

// v2Records is what buildV2 writes into the user buckets: bucket, key,
// value, exactly as schema 2 stored them.
func v2Records() [][3]string {
	recs := [][3]string{
		{"watchlists", "Main", `{"seq":1,"watchlist":{"name":"Main","symbols":["BTC","ETH"]}}`},
		{"watchlists", "Alts", `{"seq":2,"watchlist":{"name":"Alts","symbols":["SOL"]}}`},
		{"lots", "l1", `{"seq":1,"lot":{"id":"l1","symbol":"BTC","quantity":0.5,"cost":30000,"opened":"2024-01-02T00:00:00Z","note":"first"}}`},
		{"lots", "l2", `{"seq":2,"lot":{"id":"l2","symbol":"ETH","quantity":3,"cost":2000,"opened":"0001-01-01T00:00:00Z"}}`},
		{"lots", "junk", `not json`},
		{"alerts", "a1", `{"seq":1,"alert":{"id":"a1","symbol":"BTC","kind":"price_above","price":100000,"created":"2024-06-01T10:00:00Z","repeat":true,"cooldown":"1h0m0s"}}`},
	}
	f := model.AlertFiring{AlertID: "a1", Symbol: "BTC", Time: time.Date(2024, 6, 2, 10, 0, 0, 0, time.UTC)}
	recs = append(recs, [3]string{"firings", string(firingKey(&f)), `{"alert_id":"a1","symbol":"BTC","time":"2024-06-02T10:00:00Z","message":"BTC rose above $100,000"}`})
	return recs
}

// buildV2 writes a schema 2 store as SCHEMA.md described it, with raw
// bbolt calls: user buckets at the top level, a journal and a warm cache.
func buildV2(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	snap := journalSnap(2, 3, 2)
	err = db.Update(func(tx *bolt.Tx) error {
		put := func(b *bolt.Bucket, k string, v []byte) {
			if err := b.Put([]byte(k), v); err != nil {
				t.Fatal(err)
			}
		}
		top := func(name string) *bolt.Bucket {
			b, err := tx.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		sub := func(b *bolt.Bucket, name string) *bolt.Bucket {
			c, err := b.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		meta := top("meta")
		put(meta, "magic", []byte("tokentop"))
		put(meta, "version", u64(2))
		put(meta, "created", []byte("2025-01-05T08:00:00Z"))
		for _, r := range v2Records() {
			put(top(r[0]), r[1], []byte(r[2]))
		}
		top("watchlists").SetSequence(2)
		top("lots").SetSequence(2)
		top("alerts").SetSequence(1)
		live := sub(top("journal"), "live")
		for _, tv := range snap.Tokens.All() {
			var recs []flipRec
			for _, f := range tv.Signals.All() {
				recs = append(recs, flipRec{Time: f.Time, From: int8(f.From), To: int8(f.To), Price: nf(f.Price), Grade: nf(f.Grade), Return: nf(f.Return)})
			}
			data, _ := json.Marshal(recs)
			put(sub(live, "flips"), tv.Symbol, data)
		}
		open := snap.Moonshots.At(0)
		data, _ := json.Marshal([]pickRec{toPickRec(&open)})
		put(live, "open", data)
		for _, pk := range snap.PastMoonshots.All() {
			m := &pk
			data, _ := json.Marshal(toPickRec(m))
			put(sub(live, "past"), string(pastKey(m)), data)
		}
		warm := sub(top("warm"), "live")
		put(warm, "saved", timeKey(nil, t0))
		for _, tok := range warmTokens(3, 30) {
			put(sub(warm, "tokens"), tok.Info.Symbol, encodeWarmToken(nil, &tok))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return path
}

// wantV2Data checks a store migrated from buildV2's: the local user's
// records, each payload byte for byte, the journal and the warm cache.
func wantV2Data(t *testing.T, s *Store) {
	t.Helper()
	d, rep, err := s.Load(LocalUser)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped != 1 || rep.Damaged != 0 || rep.Reasons[0] != "lots/junk: unreadable (not JSON)" {
		t.Errorf("report %+v", rep)
	}
	if len(d.Watchlists) != 2 || d.Watchlists[0].Name != "Main" || len(d.Lots) != 2 || d.Lots[1].ID != "l2" ||
		len(d.Alerts) != 1 || !d.Alerts[0].Repeat || len(d.Firings) != 1 {
		t.Errorf("migrated records: %+v", d)
	}
	for _, r := range v2Records() {
		if got := payloadOf(rawValue(t, s, r[1], "users", LocalUser, r[0])); got != r[2] {
			t.Errorf("%s/%s: %q, want it byte for byte: %q", r[0], r[1], got, r[2])
		}
	}
	j, jrep, err := s.LoadJournal("live")
	snap := journalSnap(2, 3, 2)
	if err != nil || jrep.Skipped != 0 || len(j.Flips) != 2 || len(j.Open) != 1 || len(j.Past) != 2 ||
		show(j.Flips["T1"]) != show(snap.Tokens.At(1).Signals) {
		t.Errorf("journal: %+v %+v %v", j, jrep, err)
	}
	w, err := s.LoadWarm("live", 0, t0)
	if err != nil || w == nil || len(w.Tokens) != 3 || !reflect.DeepEqual(w.Tokens[2], warmTokens(3, 30)[2]) {
		t.Errorf("warm cache: %v %v", w, err)
	}
	us, err := s.Users()
	if err != nil || len(us) != 1 || us[0].ID != LocalUser || us[0].Label != "local" ||
		!us[0].Created.Equal(time.Date(2025, 1, 5, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("users: %+v %v", us, err)
	}
	// New records go after the migrated ones.
	if err := s.Apply(LocalUser, model.UserChange{PutWatchlist: &model.Watchlist{Name: "New"}}); err != nil && !errors.Is(err, ErrReadOnly) {
		t.Fatal(err)
	} else if err == nil {
		if d, _, _ := s.Load(LocalUser); len(d.Watchlists) != 3 || d.Watchlists[2].Name != "New" {
			t.Errorf("a new list: %+v", d.Watchlists)
		}
	}
}

func TestMigrateV2(t *testing.T) {
	dir := t.TempDir()
	buildV2(t, dir)
	s := openT(t, dir)
	wantV2Data(t, s)
	checkDB(t, s)
	s.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketWatchlists, bucketLots, bucketAlerts, bucketFirings} {
			if tx.Bucket(name) != nil {
				t.Errorf("top-level bucket %s is still there", name)
			}
		}
		if v := tx.Bucket(bucketMeta).Get(keyMigrated); !strings.HasPrefix(string(v), "from 2 at ") {
			t.Errorf("migrated = %q", v)
		}
		return nil
	})
	s.Close()
	s = openT(t, dir) // schema 3 from now on
	if d, rep, _ := s.Load(LocalUser); len(d.Watchlists) != 3 || rep.Skipped != 1 {
		t.Errorf("reopened: %+v %+v", d.Watchlists, rep)
	}
}

// A failure at each step of 2 -> 3 leaves the v2 file byte for byte as
// it was.
func TestMigrationV2FailureLeavesFile(t *testing.T) {
	migrationFailureLeavesFile(t, buildV2, 2, []string{"users", "journal", "warm", "meta"}, wantV2Data)
}

// ReadOnly (export) reads a v2 store through a migrated private copy.
func TestReadOnlyV2(t *testing.T) {
	dir := t.TempDir()
	path := buildV2(t, dir)
	before := freezeFile(t, path)
	s, err := Open(Options{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	wantV2Data(t, s)
	if x, err := s.Export(LocalUser, t0); err != nil || len(x.Lots) != 2 {
		t.Errorf("export: %+v %v", x, err)
	}
	s.Close()
	before.mustEqual(t, path)
}

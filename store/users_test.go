package store

import (
	"crypto/sha256"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"
)

// fingerprint is an SSH user id as ssh.FingerprintSHA256 prints it.
func fingerprint(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return fingerprintPrefix + base64.RawStdEncoding.EncodeToString(sum[:])
}

func TestValidUser(t *testing.T) {
	good := fingerprint("alice")
	for _, id := range []string{LocalUser, good, fingerprint("bob"), "SHA256:" + strings.Repeat("A", 43)} {
		if err := ValidUser(id); err != nil {
			t.Errorf("ValidUser(%q): %v", id, err)
		}
	}
	rest := good[len(fingerprintPrefix):]
	for _, id := range []string{
		"", "Local", "local ", "LOCAL", "users", "\x00",
		"SHA256:", "SHA256:" + rest[:42], good + "A", good + "=", rest,
		"sha256:" + rest, "MD5:" + rest,
		"SHA256:" + rest[:42] + "B",              // the last character carries bits a digest does not have
		"SHA256:" + rest[:20] + "\n" + rest[21:], // base64 decoders skip newlines; ids may not hold them
		"SHA256:" + rest[:20] + "-" + rest[21:],  // URL alphabet
		"SHA256:../../../../../../etc/passwd/aaaaaaa",
		"SHA256:" + strings.Repeat("\x1b", 43),
	} {
		err := ValidUser(id)
		if err == nil {
			t.Errorf("ValidUser(%q) accepted it", id)
			continue
		}
		if strings.ContainsAny(err.Error(), "\n\x1b\x00") {
			t.Errorf("error not on one clean line: %q", err)
		}
	}
}

// FuzzValidUser: whatever ValidUser accepts is "local" or the canonical
// base64 of a 32-byte digest.
func FuzzValidUser(f *testing.F) {
	f.Add(LocalUser)
	f.Add(fingerprint("x"))
	f.Add("SHA256:" + strings.Repeat("/", 43))
	f.Fuzz(func(t *testing.T, id string) {
		if ValidUser(id) != nil || id == LocalUser {
			return
		}
		raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(id, fingerprintPrefix))
		if !strings.HasPrefix(id, fingerprintPrefix) || err != nil || len(raw) != 32 ||
			fingerprintPrefix+base64.RawStdEncoding.EncodeToString(raw) != id {
			t.Fatalf("accepted %q", id)
		}
	})
}

// Two users never see each other's records: not in Load, not in an
// export, not through a delete or an import.
func TestUsersAreApart(t *testing.T) {
	s := openT(t, t.TempDir())
	a, b := fingerprint("alice"), fingerprint("bob")
	for _, ch := range []model.UserChange{
		{PutWatchlist: &model.Watchlist{Name: "Alice's", Symbols: []string{"BTC"}}},
		{PutLot: ptr(sampleLot("lot-a"))},
		{PutAlert: &sampleAlerts()[0]},
		{AddFiring: &model.AlertFiring{AlertID: "a-above", Symbol: "BTC", Time: t0, Message: "BTC rose above $70,000"}},
	} {
		if err := s.Apply(a, ch); err != nil {
			t.Fatal(err)
		}
	}
	before, rep, err := s.Load(a)
	if err != nil || rep.Skipped != 0 || len(before.Lots) != 1 || len(before.Firings) != 1 {
		t.Fatalf("A: %+v %+v %v", before, rep, err)
	}
	for _, user := range []string{b, LocalUser} {
		d, rep, err := s.Load(user)
		if err != nil || rep.Skipped != 0 {
			t.Fatalf("%s: %v %+v", user, err, rep)
		}
		want := model.UserData{Watchlists: []model.Watchlist{{Name: model.DefaultWatchlist, Symbols: []string{}}}}
		if !reflect.DeepEqual(d, want) {
			t.Errorf("%s sees %+v", user, d)
		}
		x, err := s.Export(user, t0)
		if err != nil || len(x.Watchlists)+len(x.Lots)+len(x.Alerts) != 0 {
			t.Errorf("export of %s: %+v %v", user, x, err)
		}
	}
	// B deletes A's lot by its ID, imports over A's watchlist name, replaces everything.
	for _, ch := range []model.UserChange{{DeleteLot: "lot-a"}, {DeleteWatchlist: "Alice's"}, {DeleteAlert: "a-above"}} {
		if err := s.Apply(b, ch); err != nil {
			t.Fatal(err)
		}
	}
	x := Export{Watchlists: []model.Watchlist{{Name: "Alice's", Symbols: []string{"ETH"}}}, Lots: []model.Lot{sampleLot("lot-b")}}
	if _, err := s.Import(b, x, true); err != nil {
		t.Fatal(err)
	}
	after, rep, err := s.Load(a)
	if err != nil || rep.Skipped != 0 || !reflect.DeepEqual(after, before) {
		t.Fatalf("A changed through B:\n%+v\n%+v\n%+v %v", before, after, rep, err)
	}
	if d, _, _ := s.Load(b); len(d.Lots) != 1 || d.Lots[0].ID != "lot-b" || d.Watchlists[0].Symbols[0] != "ETH" {
		t.Errorf("B: %+v", d)
	}
	// A user id is checked before it reaches a bucket name.
	bad := "SHA256:../" + strings.Repeat("a", 40)
	if err := s.Apply(bad, model.UserChange{PutLot: ptr(sampleLot("x"))}); err == nil {
		t.Error("Apply accepted a bad user id")
	}
	if _, _, err := s.Load(bad); err == nil {
		t.Error("Load accepted a bad user id")
	}
	if _, err := s.Export("", t0); err == nil {
		t.Error("Export accepted an empty user id")
	}
	if _, err := s.Import("x", x, false); err == nil {
		t.Error("Import accepted a bad user id")
	}
	if err := s.TouchUser("x", "", t0); err == nil {
		t.Error("TouchUser accepted a bad user id")
	}
	checkDB(t, s)
}

// A record copied from one user's bucket into another's fails its
// checksum there (the checksum covers the path): it is never shown as
// the other user's.
func TestRecordMovedToAnotherUserIsDamaged(t *testing.T) {
	s := openT(t, t.TempDir())
	a, b := fingerprint("alice"), fingerprint("bob")
	if err := s.Apply(a, model.UserChange{PutLot: ptr(sampleLot("lot-a"))}); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchUser(b, "", t0); err != nil {
		t.Fatal(err)
	}
	v := rawValue(t, s, "lot-a", "users", a, "lots")
	pokeRaw(t, s, "lot-a", string(v), "users", b, "lots")
	d, rep, err := s.Load(b)
	if err != nil || len(d.Lots) != 0 || rep.Damaged != 2 ||
		strings.Join(rep.Reasons, "|") != "lots/lot-a: damaged (checksum mismatch)|lots: damaged (1 record more than it counted)" {
		t.Fatalf("B: %+v %+v %v", d.Lots, rep, err)
	}
}

func TestTouchUserAndUsers(t *testing.T) {
	clock := t0.Add(-time.Hour)
	s, err := Open(Options{Dir: t.TempDir(), Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if us, err := s.Users(); err != nil || len(us) != 0 {
		t.Fatalf("a new store's users: %+v %v", us, err)
	}
	a, b := fingerprint("alice"), fingerprint("bob")
	t1, t2 := t0, t0.Add(time.Hour)
	if err := s.TouchUser(a, "alice@laptop\x1b]0;owned\x07 ssh-ed25519", t1); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchUser(a, "", t2); err != nil { // no label: keeps the one it has
		t.Fatal(err)
	}
	if err := s.TouchUser(LocalUser, "", t2); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(b, model.UserChange{PutLot: ptr(sampleLot("l"))}); err != nil { // made by its first change
		t.Fatal(err)
	}
	us, err := s.Users()
	if err != nil {
		t.Fatal(err)
	}
	want := []UserInfo{
		{ID: a, Label: "alice@laptop]0;owned ssh-ed25519", Created: t1, LastSeen: t2},
		{ID: b, Created: clock, LastSeen: clock},
		{ID: LocalUser, Label: "local", Created: t2, LastSeen: t2},
	}
	if a > b {
		want[0], want[1] = want[1], want[0]
	}
	if !reflect.DeepEqual(us, want) {
		t.Fatalf("users:\n got %+v\nwant %+v", us, want)
	}
	if err := s.TouchUser(a, "alice@desk", t2.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	us, _ = s.Users()
	for _, u := range us {
		if u.ID == a && (u.Label != "alice@desk" || !u.Created.Equal(t1) || !u.LastSeen.Equal(t2.Add(time.Minute))) {
			t.Errorf("after a second touch: %+v", u)
		}
	}
	// Touching does not change the records.
	if d, rep, _ := s.Load(b); len(d.Lots) != 1 || rep.Skipped != 0 {
		t.Errorf("B: %+v %+v", d, rep)
	}
	checkDB(t, s)
}

// Damage that takes a user's bucket away (a flipped name, a lost entry)
// is reported to the Load that finds no bucket; a renamed bucket is not
// listed by Users.
func TestDamagedUserBucketIsReported(t *testing.T) {
	s := openT(t, t.TempDir())
	a := fingerprint("alice")
	if err := s.Apply(a, model.UserChange{PutLot: ptr(sampleLot("lot-a"))}); err != nil {
		t.Fatal(err)
	}
	if d, rep, _ := s.Load(LocalUser); rep.Skipped != 0 || len(d.Lots) != 0 {
		t.Fatalf("before: %+v", rep)
	}
	// A one-bit flip in the last character of A's id: still a valid id.
	flipped := []byte(a)
	flipped[len(flipped)-1] ^= 0x01
	if ValidUser(string(flipped)) != nil {
		flipped[len(flipped)-1] ^= 0x01 ^ 0x04
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		nb, err := users.CreateBucket(flipped)
		if err != nil {
			return err
		}
		if err := copyBucket(users.Bucket([]byte(a)), nb); err != nil {
			return err
		}
		return users.DeleteBucket([]byte(a))
	})
	if err != nil {
		t.Fatal(err)
	}
	d, rep, err := s.Load(a)
	if err != nil || len(d.Lots) != 0 || rep.Damaged != 1 || !strings.Contains(rep.Reasons[0], "its record count is unreadable (checksum mismatch)") {
		t.Fatalf("A: %+v %+v %v", d, rep, err)
	}
	if us, _ := s.Users(); len(us) != 0 {
		t.Errorf("a renamed user is listed: %+v", us)
	}
	// The renamed bucket's own records fail their checksums too.
	if _, rep, _ := s.Load(string(flipped)); rep.Damaged == 0 {
		t.Errorf("the renamed user loads without damage: %+v", rep)
	}
	// A user bucket lost from its page: the users tally says so.
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketUsers).DeleteBucket(flipped) })
	if err != nil {
		t.Fatal(err)
	}
	if _, rep, _ := s.Load(a); rep.Damaged != 1 || rep.Reasons[0] != "users: damaged (1 record missing)" {
		t.Errorf("after a lost user bucket: %+v", rep)
	}
}

// A damaged record is named, counted, logged, not loaded, and kept byte
// for byte, through later changes; a record lost from its page is
// counted as missing.
func TestDamagedRecordsAreKept(t *testing.T) {
	var logged strings.Builder
	s, err := Open(Options{Dir: t.TempDir(), Logger: newTextLogger(&logged)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"lot-1", "lot-2", "lot-3", "lot-4"} {
		applyT(t, s, model.UserChange{PutLot: ptr(sampleLot(id))})
	}
	v := rawValue(t, s, "lot-3", "users", LocalUser, "lots")
	v[20] ^= 0x04 // one bit of the payload
	pokeRaw(t, s, "lot-3", string(v), "users", LocalUser, "lots")
	err = s.db.Update(func(tx *bolt.Tx) error { // lot-4 vanishes, its tally does not know
		b, _ := bucketAt(tx, "users", LocalUser, "lots")
		return b.Delete([]byte("lot-4"))
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		d, rep, err := s.Load(LocalUser)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range d.Lots {
			ids = append(ids, l.ID)
		}
		if strings.Join(ids, ",") != "lot-1,lot-2" || rep.Damaged != 2 || rep.Skipped != 2 ||
			strings.Join(rep.Reasons, "|") != "lots/lot-3: damaged (checksum mismatch)|lots: damaged (1 record missing)" {
			t.Errorf("%s: lots %v, report %+v", when, ids, rep)
		}
		if got := rawValue(t, s, "lot-3", "users", LocalUser, "lots"); string(got) != string(v) {
			t.Errorf("%s: the damaged record changed", when)
		}
	}
	check("at first")
	applyT(t, s, model.UserChange{PutLot: ptr(sampleLot("lot-1"))})
	applyT(t, s, model.UserChange{DeleteLot: "lot-2"})
	applyT(t, s, model.UserChange{PutLot: ptr(sampleLot("lot-2"))})
	check("after changes")
	if x, _ := s.Export(LocalUser, t0); len(x.Lots) != 2 {
		t.Errorf("export: %+v", x.Lots)
	}
	if !strings.Contains(logged.String(), "lots/lot-3: damaged (checksum mismatch)") {
		t.Errorf("not logged:\n%s", logged.String())
	}
	// A key of one zero byte is the tally's: never a record to delete.
	applyT(t, s, model.UserChange{DeleteLot: "\x00"})
	check("after deleting the tally's key")
	// An import that replaces every lot keeps the damaged one.
	if _, err := s.Import(LocalUser, Export{Lots: []model.Lot{sampleLot("lot-9")}}, true); err != nil {
		t.Fatal(err)
	}
	d, rep, _ := s.Load(LocalUser)
	if len(d.Lots) != 1 || d.Lots[0].ID != "lot-9" || rep.Damaged != 2 || rep.Reasons[0] != "lots/lot-3: damaged (checksum mismatch)" {
		t.Errorf("after import --replace: %+v %+v", d.Lots, rep)
	}
	if got := rawValue(t, s, "lot-3", "users", LocalUser, "lots"); string(got) != string(v) {
		t.Error("import --replace changed the damaged record")
	}
}

package store

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// maxRecordSize bounds one stored JSON record; anything larger is not
// ours and is skipped unread.
const maxRecordSize = 256 << 10

// maxReasons is how many reasons a LoadReport keeps.
const maxReasons = 10

// LoadReport says what a load skipped. Skipped records stay in the
// database: data the user owns is never deleted for being unreadable.
type LoadReport struct {
	// Skipped counts the records not loaded: unreadable, invalid or
	// damaged.
	Skipped int
	// Damaged counts what of it was damaged in the file: a record whose
	// checksum fails, or a bucket whose tally, layout or name does not
	// check (SCHEMA.md, "Damage").
	Damaged int
	Reasons []string // at most 10: "lots/abc: quantity: must be greater than 0", "lots/lot-3: damaged (checksum mismatch)"
}

func (r *LoadReport) skip(where, why string) {
	r.Skipped++
	if len(r.Reasons) < maxReasons {
		r.Reasons = append(r.Reasons, where+": "+safetext.Line(why, 200))
	}
}

// damage reports damage in the file: "lots/lot-3: damaged (checksum
// mismatch)".
func (r *LoadReport) damage(where, why string) {
	r.Damaged++
	r.skip(where, "damaged ("+why+")")
}

// recordError is why a stored record could not be used.
func recordError(v []byte, err error) string {
	switch {
	case v == nil:
		return "is a bucket, not a record"
	case len(v) > maxRecordSize:
		return fmt.Sprintf("is %d bytes, too large to be a record", len(v))
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "unreadable (not JSON)"
	case errors.As(err, &te):
		return fmt.Sprintf("unreadable (%s has the wrong type)", te.Field)
	}
	return "unreadable (" + err.Error() + ")"
}

func decodeRecord(v []byte, into any) error {
	if v == nil || len(v) > maxRecordSize {
		return errors.New("not a record")
	}
	return json.Unmarshal(v, into)
}

// Load reads user's records. It never fails on a bad record: it skips
// it, counts it in the report and leaves it in the database; damage
// (SCHEMA.md) is reported and logged the same way. A user without
// records yet loads as empty. A store with no watchlist loads with one
// empty model.DefaultWatchlist (not written until it is changed).
// Firings are newest first, at most the number set by SetFiringsKept.
func (s *Store) Load(user string) (model.UserData, LoadReport, error) {
	var d model.UserData
	var rep LoadReport
	if err := ValidUser(user); err != nil {
		return d, rep, fmt.Errorf("store: %w", err)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		d = loadUser(tx, user, int(s.firingsKept.Load()), &rep)
		return nil
	})
	if err != nil {
		return model.UserData{}, rep, fmt.Errorf("store %s: loading your records: %w", safetext.Quoted(s.path), err)
	}
	if len(d.Watchlists) == 0 {
		d.Watchlists = []model.Watchlist{{Name: model.DefaultWatchlist, Symbols: []string{}}}
	}
	s.logDamage("loading", user, rep)
	return d, rep, nil
}

// loadUser reads user's records in tx.
func loadUser(tx *bolt.Tx, user string, firingsKept int, rep *LoadReport) model.UserData {
	var d model.UserData
	b, p := userRO(tx, user, rep)
	if b == nil {
		return d
	}
	d.Watchlists = loadWatchlists(b.Bucket(bucketWatchlists), p.child(bucketWatchlists), rep)
	d.Lots = loadLots(b.Bucket(bucketLots), p.child(bucketLots), rep)
	d.Alerts = loadAlerts(b.Bucket(bucketAlerts), p.child(bucketAlerts), rep)
	d.Firings = loadFirings(b.Bucket(bucketFirings), firingsPath(p), firingsKept, rep)
	return d
}

type seqd[T any] struct {
	seq uint64
	rec T
}

// inSeqOrder returns the records by creation sequence (key order for
// ties).
func inSeqOrder[T any](recs []seqd[T]) []T {
	slices.SortStableFunc(recs, func(a, b seqd[T]) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]T, len(recs))
	for i, r := range recs {
		out[i] = r.rec
	}
	return out
}

func loadWatchlists(b *bolt.Bucket, p bpath, rep *LoadReport) []model.Watchlist {
	if b == nil {
		return nil
	}
	var recs []seqd[model.Watchlist]
	eachRecord(b, p, false, rep, func(k, v []byte) bool {
		var r watchlistRec
		if err := decodeRecord(v, &r); err != nil {
			rep.skip(p.at(k), recordError(v, err))
			return true
		}
		if r.Watchlist.Name != string(k) {
			rep.skip(p.at(k), "its name does not match its key")
			return true
		}
		if err := r.Watchlist.Validate(); err != nil {
			rep.skip(p.at(k), err.Error())
			return true
		}
		if r.Watchlist.Symbols == nil {
			r.Watchlist.Symbols = []string{}
		}
		recs = append(recs, seqd[model.Watchlist]{r.Seq, r.Watchlist})
		return true
	})
	return inSeqOrder(recs)
}

func loadLots(b *bolt.Bucket, p bpath, rep *LoadReport) []model.Lot {
	if b == nil {
		return nil
	}
	var recs []seqd[model.Lot]
	eachRecord(b, p, false, rep, func(k, v []byte) bool {
		var r lotRec
		if err := decodeRecord(v, &r); err != nil {
			rep.skip(p.at(k), recordError(v, err))
			return true
		}
		if r.Lot.ID != string(k) {
			rep.skip(p.at(k), "its id does not match its key")
			return true
		}
		if err := r.Lot.Validate(); err != nil {
			rep.skip(p.at(k), err.Error())
			return true
		}
		recs = append(recs, seqd[model.Lot]{r.Seq, r.Lot})
		return true
	})
	return inSeqOrder(recs)
}

func loadAlerts(b *bolt.Bucket, p bpath, rep *LoadReport) []model.Alert {
	if b == nil {
		return nil
	}
	var recs []seqd[model.Alert]
	eachRecord(b, p, false, rep, func(k, v []byte) bool {
		var r alertRec
		if err := decodeRecord(v, &r); err != nil {
			rep.skip(p.at(k), recordError(v, err))
			return true
		}
		if r.Alert.ID != string(k) {
			rep.skip(p.at(k), "its id does not match its key")
			return true
		}
		if err := r.Alert.Validate(); err != nil {
			rep.skip(p.at(k), err.Error())
			return true
		}
		recs = append(recs, seqd[model.Alert]{r.Seq, r.Alert})
		return true
	})
	return inSeqOrder(recs)
}

// firingKey is the firing's time (timeKey) and its alert's ID, so keys
// sort by time.
func firingKey(f *model.AlertFiring) []byte {
	k := timeKey(make([]byte, 0, timeKeyLen+len(f.AlertID)), f.Time)
	return append(k, f.AlertID...)
}

// timeKeyLen is the length of a time in a key.
const timeKeyLen = 12

// timeKey appends t as 12 big-endian bytes that sort as times do: Unix
// seconds with the sign bit flipped, then nanoseconds.
func timeKey(b []byte, t time.Time) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Unix())^(1<<63))
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

// keyTime reads a timeKey; ok is false when k is too short.
func keyTime(k []byte) (time.Time, bool) {
	if len(k) < timeKeyLen {
		return time.Time{}, false
	}
	sec := int64(binary.BigEndian.Uint64(k) ^ (1 << 63))
	ns := binary.BigEndian.Uint32(k[8:])
	if ns >= 1e9 {
		return time.Time{}, false
	}
	return time.Unix(sec, int64(ns)).UTC(), true
}

// shownTimeKey is a time-prefixed key as a report shows it.
func shownTimeKey(k []byte) string {
	t, ok := keyTime(k)
	if !ok {
		return shownKey(k)
	}
	return t.Format(time.RFC3339) + "/" + shownKey(k[timeKeyLen:])
}

// firingsPath is the path of a user's firings, whose keys a report shows
// as times.
func firingsPath(user bpath) bpath {
	p := user.child(bucketFirings)
	p.keys = shownTimeKey
	return p
}

func loadFirings(b *bolt.Bucket, p bpath, kept int, rep *LoadReport) []model.AlertFiring {
	if b == nil {
		return nil
	}
	var out []model.AlertFiring
	eachRecord(b, p, true, rep, func(k, v []byte) bool {
		var f model.AlertFiring
		if err := decodeRecord(v, &f); err != nil {
			rep.skip(p.at(k), recordError(v, err))
			return true
		}
		if err := f.Validate(); err != nil {
			rep.skip(p.at(k), err.Error())
			return true
		}
		out = append(out, f)
		return len(out) < kept
	})
	return out
}

// changeFields counts the fields set in ch.
func changeFields(ch model.UserChange) int {
	n := 0
	for _, set := range []bool{
		ch.PutWatchlist != nil, ch.DeleteWatchlist != "", ch.RenameWatchlist != nil,
		ch.PutLot != nil, ch.DeleteLot != "", ch.PutAlert != nil, ch.DeleteAlert != "",
		ch.AddFiring != nil,
	} {
		if set {
			n++
		}
	}
	return n
}

// Apply makes one change to user's records in one transaction, and
// returns once it is committed. A user's first change makes their
// buckets. The change must set exactly one field (else
// model.ErrNoChange). Records are validated first. Puts upsert (a list,
// lot or alert keeps its place in the order); deletes of something that
// is not there succeed; a rename fails if the new name is taken. An added
// firing trims the history to the newest SetFiringsKept.
func (s *Store) Apply(user string, ch model.UserChange) error {
	if err := ValidUser(user); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	switch n := changeFields(ch); {
	case n == 0:
		return model.ErrNoChange
	case n > 1:
		return fmt.Errorf("%w: a change must set exactly one thing, this one sets %d", model.ErrNoChange, n)
	}
	var err error
	switch {
	case ch.PutWatchlist != nil:
		w := *ch.PutWatchlist
		if err = w.Validate(); err == nil {
			err = s.change(user, bucketWatchlists, func(b wbucket) error { return putWatchlist(b, w, true) })
		}
		err = wrapChange(err, "saving watchlist %q", w.Name)
	case ch.DeleteWatchlist != "":
		err = s.change(user, bucketWatchlists, func(b wbucket) error { return b.del([]byte(ch.DeleteWatchlist)) })
		err = wrapChange(err, "deleting watchlist %q", ch.DeleteWatchlist)
	case ch.RenameWatchlist != nil:
		from, to := ch.RenameWatchlist[0], ch.RenameWatchlist[1]
		err = s.change(user, bucketWatchlists, func(b wbucket) error { return renameWatchlist(b, from, to) })
		err = wrapChange(err, "renaming watchlist %q to %q", from, to)
	case ch.PutLot != nil:
		l := *ch.PutLot
		if err = l.Validate(); err == nil {
			err = s.change(user, bucketLots, func(b wbucket) error { return putLot(b, l, true) })
		}
		err = wrapChange(err, "saving lot %q", l.ID)
	case ch.DeleteLot != "":
		err = s.change(user, bucketLots, func(b wbucket) error { return b.del([]byte(ch.DeleteLot)) })
		err = wrapChange(err, "deleting lot %q", ch.DeleteLot)
	case ch.PutAlert != nil:
		a := *ch.PutAlert
		if err = a.Validate(); err == nil {
			err = s.change(user, bucketAlerts, func(b wbucket) error { return putAlert(b, a, true) })
		}
		err = wrapChange(err, "saving alert %q", a.ID)
	case ch.DeleteAlert != "":
		err = s.change(user, bucketAlerts, func(b wbucket) error { return b.del([]byte(ch.DeleteAlert)) })
		err = wrapChange(err, "deleting alert %q", ch.DeleteAlert)
	case ch.AddFiring != nil:
		f := *ch.AddFiring
		if err = f.Validate(); err == nil {
			kept := int(s.firingsKept.Load())
			err = s.change(user, bucketFirings, func(b wbucket) error { return addFiring(b, f, kept) })
		}
		err = wrapChange(err, "saving the firing of alert %q", f.AlertID)
	}
	return err
}

// change runs fn on one of user's record buckets in a write transaction,
// making the user's buckets first when they are new.
func (s *Store) change(user string, bucket []byte, fn func(b wbucket) error) error {
	return s.update(func(tx *bolt.Tx) error {
		u, _, err := userRW(tx, user, defaultLabel(user), s.now())
		if err != nil {
			return err
		}
		b, err := u.sub(bucket)
		if err != nil {
			return err
		}
		return fn(b)
	})
}

func wrapChange(err error, format string, args ...any) error {
	if err == nil || errors.Is(err, ErrReadOnly) {
		return err
	}
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = truncate(s, 40)
		}
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// seqFor is the record's place in the order: the one it has when it
// exists (and is readable), else the next one. isNew says it did not
// exist.
func seqFor(b wbucket, k []byte) (seq uint64, isNew bool, err error) {
	isNew = b.b.Get(k) == nil
	if payload, err := b.get(k); err == nil && payload != nil {
		var env struct {
			Seq uint64 `json:"seq"`
		}
		if decodeRecord(payload, &env) == nil && env.Seq > 0 {
			return env.Seq, false, nil
		}
	}
	seq, err = b.nextSequence()
	return seq, isNew, err
}

// full checks a bucket's record count before an insert.
func full(b wbucket, limit int, what string) error {
	if b.records() >= limit {
		return tooMany(what, limit)
	}
	return nil
}

func tooMany(what string, limit int) error {
	return fmt.Errorf("you have the most %s allowed (%d)", what, limit)
}

func putWatchlist(b wbucket, w model.Watchlist, limit bool) error {
	seq, isNew, err := seqFor(b, []byte(w.Name))
	if err != nil {
		return err
	}
	if isNew && limit {
		if err := full(b, model.MaxWatchlists, "watchlists"); err != nil {
			return err
		}
	}
	if w.Symbols == nil {
		w.Symbols = []string{}
	}
	return b.putJSON([]byte(w.Name), watchlistRec{Seq: seq, Watchlist: w})
}

func renameWatchlist(b wbucket, from, to string) error {
	nw := model.Watchlist{Name: to}
	if err := nw.Validate(); err != nil {
		return err
	}
	if from == to {
		return nil
	}
	if b.b.Get([]byte(to)) != nil {
		return fmt.Errorf("a watchlist named %q already exists", truncate(to, 40))
	}
	v, err := b.get([]byte(from))
	switch {
	case err != nil:
		return fmt.Errorf("the stored watchlist is damaged (%w)", err)
	case v == nil:
		if from != model.DefaultWatchlist {
			return fmt.Errorf("there is no watchlist named %q", truncate(from, 40))
		}
		// The default list exists before it is first saved (Load makes
		// it): renaming it saves it under its new name.
		return putWatchlist(b, nw, true)
	}
	var r watchlistRec
	if err := decodeRecord(v, &r); err != nil {
		return fmt.Errorf("the stored watchlist is unreadable: %s", recordError(v, err))
	}
	r.Watchlist.Name = to
	if err := b.putJSON([]byte(to), r); err != nil {
		return err
	}
	return b.del([]byte(from))
}

func putLot(b wbucket, l model.Lot, limit bool) error {
	seq, isNew, err := seqFor(b, []byte(l.ID))
	if err != nil {
		return err
	}
	if isNew && limit {
		if err := full(b, model.MaxLots, "portfolio lots"); err != nil {
			return err
		}
	}
	return b.putJSON([]byte(l.ID), lotRec{Seq: seq, Lot: l})
}

func putAlert(b wbucket, a model.Alert, limit bool) error {
	seq, isNew, err := seqFor(b, []byte(a.ID))
	if err != nil {
		return err
	}
	if isNew && limit {
		if err := full(b, model.MaxAlerts, "alerts"); err != nil {
			return err
		}
	}
	return b.putJSON([]byte(a.ID), alertRec{Seq: seq, Alert: a})
}

func addFiring(b wbucket, f model.AlertFiring, kept int) error {
	if err := b.putJSON(firingKey(&f), f); err != nil {
		return err
	}
	return b.trimOldest(kept)
}

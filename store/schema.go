package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// The layout is described in SCHEMA.md; keep the two in step.

const magic = "tokentop"

var (
	bucketMeta       = []byte("meta")
	bucketWatchlists = []byte("watchlists")
	bucketLots       = []byte("lots")
	bucketAlerts     = []byte("alerts")
	bucketFirings    = []byte("firings")
	bucketJournal    = []byte("journal")
	bucketWarm       = []byte("warm")

	bucketV1Watchlist = []byte("watchlist") // schema 1's single watchlist

	keyMagic    = []byte("magic")
	keyVersion  = []byte("version")
	keyCreated  = []byte("created")
	keyMigrated = []byte("migrated")
	keyCheck    = []byte("check")
)

// Schema 2 records: the model's record in an envelope with its creation
// sequence (bucket.NextSequence), which orders lists, lots and alerts.

type watchlistRec struct {
	Seq       uint64          `json:"seq"`
	Watchlist model.Watchlist `json:"watchlist"`
}

type lotRec struct {
	Seq uint64    `json:"seq"`
	Lot model.Lot `json:"lot"`
}

type alertRec struct {
	Seq   uint64      `json:"seq"`
	Alert model.Alert `json:"alert"`
}

// v1Alert is an alert as schema 1 stored it: no repeat, no cooldown.
type v1Alert struct {
	ID        string          `json:"id"`
	Symbol    string          `json:"symbol"`
	Kind      model.AlertKind `json:"kind"`
	Price     float64         `json:"price,omitempty"`
	Percent   float64         `json:"percent,omitempty"`
	Window    model.Duration  `json:"window,omitempty"`
	Created   time.Time       `json:"created"`
	Disabled  bool            `json:"disabled,omitempty"`
	LastFired time.Time       `json:"last_fired,omitzero"`
	Fired     int             `json:"fired,omitempty"`
	Done      bool            `json:"done,omitempty"`
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// initSchema makes a new store: the meta bucket and the (empty) users,
// journal and warm buckets.
func initSchema(tx *bolt.Tx, now time.Time) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	for _, kv := range [][2][]byte{
		{keyMagic, []byte(magic)},
		{keyVersion, u64(SchemaVersion)},
		{keyCreated, []byte(now.UTC().Format(time.RFC3339))},
	} {
		if err := meta.Put(kv[0], kv[1]); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{bucketUsers, bucketJournal, bucketWarm} {
		if _, err := topBucket(tx, name); err != nil {
			return err
		}
	}
	return putMetaSum(meta)
}

// createUserBuckets makes schema 2's top-level user buckets (the 1 -> 2
// migration).
func createUserBuckets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketWatchlists, bucketLots, bucketAlerts, bucketFirings} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// The meta bucket's checksum, meta/check: CRC-32C of every other plain
// key and value in key order, so a flip in the version, the magic or a
// time is seen at Open, before anything is migrated or written.

var tagValue = []byte{3}

// metaSum is the checksum of the meta records in m (besides check).
func metaSum(m map[string][]byte) uint32 {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != string(keyCheck) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var sum uint32
	for _, k := range keys {
		sum = sumBytes(sum, tagKey, []byte(k))
		sum = sumBytes(sum, tagValue, m[k])
	}
	return sum
}

// putMetaSum writes meta/check for what meta holds now.
func putMetaSum(meta *bolt.Bucket) error {
	m := map[string][]byte{}
	err := meta.ForEach(func(k, v []byte) error {
		if v != nil {
			m[string(k)] = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	return meta.Put(keyCheck, binary.BigEndian.AppendUint32(nil, metaSum(m)))
}

// migrateFault, when set (tests), is called after each step of a
// migration; an error from it aborts the migration.
var migrateFault func(step string) error

// migrate brings the store from schema `from` to SchemaVersion in one
// transaction: if anything fails, nothing is written.
func (s *Store) migrate(from int) error {
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if from == 1 {
			if err := migrateV1(tx); err != nil {
				return err
			}
		}
		if err := migrateV2(tx, now); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyVersion, u64(SchemaVersion)); err != nil {
			return err
		}
		if err := meta.Put(keyMigrated, []byte(fmt.Sprintf("from %d at %s", from, now.UTC().Format(time.RFC3339)))); err != nil {
			return err
		}
		if err := putMetaSum(meta); err != nil {
			return err
		}
		return fault("meta")
	})
	if err != nil {
		return fmt.Errorf("store %s: upgrading it from schema %d to %d failed, so it was left as it was: %w",
			safetext.Quoted(s.path), from, SchemaVersion, err)
	}
	s.log.Info("store upgraded", "path", s.path, "from", from, "to", SchemaVersion)
	return nil
}

// migrateV2 takes a schema 2 store to schema 3: the top-level user
// buckets move to users/local, and every value, there and in the journal
// and the warm cache, is sealed with its checksum and every bucket gets
// its tally. Payloads are kept byte for byte.
func migrateV2(tx *bolt.Tx, now time.Time) error {
	users, err := topBucket(tx, bucketUsers)
	if err != nil {
		return err
	}
	if users.b.Bucket([]byte(LocalUser)) != nil {
		return fmt.Errorf("a schema 2 store already holds %s", shownUserBucket(LocalUser))
	}
	local, err := users.sub([]byte(LocalUser))
	if err != nil {
		return err
	}
	local.p = local.p.rooted()
	for _, name := range [][]byte{bucketWatchlists, bucketLots, bucketAlerts, bucketFirings, bucketV1Watchlist} {
		src := tx.Bucket(name)
		if src == nil {
			if !bytes.Equal(name, bucketV1Watchlist) {
				if _, err := local.sub(name); err != nil {
					return err
				}
			}
			continue
		}
		dst, err := local.sub(name)
		if err != nil {
			return err
		}
		if err := copyBucket(src, dst.b); err != nil {
			return err
		}
		if err := sealTree(dst.b, dst.p); err != nil {
			return err
		}
		if err := tx.DeleteBucket(name); err != nil {
			return err
		}
	}
	created := now
	if t, err := time.Parse(time.RFC3339, string(tx.Bucket(bucketMeta).Get(keyCreated))); err == nil {
		created = t
	}
	if err := local.putJSON(keyInfo, infoRec{Label: LocalUser, Created: created, LastSeen: now}); err != nil {
		return err
	}
	if err := fault("users"); err != nil {
		return err
	}
	for _, name := range [][]byte{bucketJournal, bucketWarm} {
		if b := tx.Bucket(name); b != nil {
			err = sealTree(b, topPath(name))
		} else {
			_, err = topBucket(tx, name)
		}
		if err != nil {
			return err
		}
		if err := fault(string(name)); err != nil {
			return err
		}
	}
	return nil
}

// copyBucket copies src's keys, values, nested buckets and sequence into
// dst, as they are.
func copyBucket(src, dst *bolt.Bucket) error {
	err := src.ForEach(func(k, v []byte) error {
		if v != nil {
			return dst.Put(bytes.Clone(k), bytes.Clone(v))
		}
		sub, err := dst.CreateBucketIfNotExists(bytes.Clone(k))
		if err != nil {
			return err
		}
		return copyBucket(src.Bucket(k), sub)
	})
	if err != nil {
		return err
	}
	return dst.SetSequence(src.Sequence())
}

// sealTree seals every value of b (the bucket at p) and of the buckets
// inside it, and writes each one's tally.
func sealTree(b *bolt.Bucket, p bpath) error {
	type kv struct{ k, v []byte }
	var vals []kv
	var subs [][]byte
	n := eachEntry(b, func(k, v []byte) {
		if v == nil {
			subs = append(subs, bytes.Clone(k))
		} else {
			vals = append(vals, kv{bytes.Clone(k), appendSealed(make([]byte, 0, len(v)+sumLen), p, k, v)})
		}
	})
	for _, e := range vals {
		if err := b.Put(e.k, e.v); err != nil {
			return err
		}
	}
	for _, k := range subs {
		if err := sealTree(b.Bucket(k), p.child(k)); err != nil {
			return err
		}
	}
	return writeTally(b, p, tally{count: n, seq: b.Sequence()})
}

func fault(step string) error {
	if migrateFault != nil {
		return migrateFault(step)
	}
	return nil
}

// migrateV1: the flat "watchlist" bucket becomes the named list
// model.DefaultWatchlist; lots and alerts get their envelopes (alerts
// without repeat or cooldown, which schema 1 did not have). A record that
// cannot be read is kept as it was (Load counts it and leaves it); a
// watchlist symbol that cannot be migrated keeps the old bucket.
func migrateV1(tx *bolt.Tx) error {
	if err := createUserBuckets(tx); err != nil {
		return err
	}
	if old := tx.Bucket(bucketV1Watchlist); old != nil {
		wl := model.Watchlist{Name: model.DefaultWatchlist}
		left := 0
		err := old.ForEach(func(k, v []byte) error {
			if v != nil && model.ValidSymbol(string(k)) && len(wl.Symbols) < model.MaxWatchlistLen {
				wl.Symbols = append(wl.Symbols, string(k))
			} else {
				left++
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(wl.Symbols) > 0 {
			b := tx.Bucket(bucketWatchlists)
			seq, _ := b.NextSequence()
			if err := putJSON(b, []byte(wl.Name), watchlistRec{Seq: seq, Watchlist: wl}); err != nil {
				return err
			}
		}
		if left == 0 {
			if err := tx.DeleteBucket(bucketV1Watchlist); err != nil {
				return err
			}
		}
	}
	if err := fault("watchlist"); err != nil {
		return err
	}
	err := rewrap(tx.Bucket(bucketLots), func(seq uint64, v []byte) (any, bool) {
		var l model.Lot
		if json.Unmarshal(v, &l) != nil {
			return nil, false
		}
		return lotRec{Seq: seq, Lot: l}, true
	})
	if err != nil {
		return err
	}
	if err := fault("lots"); err != nil {
		return err
	}
	err = rewrap(tx.Bucket(bucketAlerts), func(seq uint64, v []byte) (any, bool) {
		var a v1Alert
		if json.Unmarshal(v, &a) != nil {
			return nil, false
		}
		return alertRec{Seq: seq, Alert: model.Alert{
			ID: a.ID, Symbol: a.Symbol, Kind: a.Kind, Price: a.Price, Percent: a.Percent,
			Window: a.Window, Created: a.Created, Disabled: a.Disabled,
			LastFired: a.LastFired, Fired: a.Fired, Done: a.Done,
		}}, true
	})
	if err != nil {
		return err
	}
	return fault("alerts")
}

// rewrap replaces each readable value of b by its envelope, in key order
// (which is the order schema 1 listed them in).
func rewrap(b *bolt.Bucket, wrap func(seq uint64, v []byte) (any, bool)) error {
	type kv struct {
		k []byte
		v any
	}
	var out []kv
	seq := b.Sequence()
	err := b.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil
		}
		if rec, ok := wrap(seq+1, v); ok {
			seq++
			out = append(out, kv{append([]byte(nil), k...), rec})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range out {
		if err := putJSON(b, e.k, e.v); err != nil {
			return err
		}
	}
	return b.SetSequence(seq)
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"
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

// initSchema makes a new store: the meta bucket and the user buckets.
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
	return createUserBuckets(tx)
}

func createUserBuckets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketWatchlists, bucketLots, bucketAlerts, bucketFirings} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// migrateFault, when set (tests), is called after each step of a
// migration; an error from it aborts the migration.
var migrateFault func(step string) error

// migrate brings the store from schema `from` to SchemaVersion in one
// transaction: if anything fails, nothing is written.
func (s *Store) migrate(from int) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if from == 1 {
			if err := migrateV1(tx); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyVersion, u64(SchemaVersion)); err != nil {
			return err
		}
		return meta.Put(keyMigrated, []byte(fmt.Sprintf("from %d at %s", from, time.Now().UTC().Format(time.RFC3339))))
	})
	if err != nil {
		return fmt.Errorf("store %s: upgrading it from schema %d to %d failed, so it was left as it was: %w",
			shownPath(s.path), from, SchemaVersion, err)
	}
	s.log.Info("store upgraded", "path", s.path, "from", from, "to", SchemaVersion)
	return nil
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

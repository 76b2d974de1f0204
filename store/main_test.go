package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"
)

// The tests re-execute their own binary as child processes (a writer to
// kill, a second tokentop): TestMain runs the child's part instead of the
// tests when this variable says so.
const (
	childEnv = "TOKENTOP_STORE_TEST_CHILD"
	dirEnv   = "TOKENTOP_STORE_TEST_DIR"
	roundEnv = "TOKENTOP_STORE_TEST_ROUND"
	roEnv    = "TOKENTOP_STORE_TEST_READONLY"
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "writer":
		os.Exit(childWriter())
	case "open":
		os.Exit(childOpen())
	}
	os.Exit(m.Run())
}

// childWriter opens the store and applies changes forever, printing each
// lot's ID once Apply has returned (committed). Every few changes it also
// rewrites the warm cache, a large write to be killed in the middle of.
func childWriter() int {
	s, err := Open(Options{Dir: os.Getenv(dirEnv), Timeout: 5 * time.Second})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	round := os.Getenv(roundEnv)
	tokens := warmTokens(20, 120)
	for i := 0; ; i++ {
		id := fmt.Sprintf("r%s-%d", round, i)
		if err := s.Apply(LocalUser, model.UserChange{PutLot: ptr(sampleLot(id))}); err != nil {
			fmt.Println("ERR", err)
			return 1
		}
		fmt.Println(id)
		if i%5 == 4 {
			if err := s.SaveWarm("live", model.WarmStart{Saved: time.Now(), Tokens: tokens}); err != nil {
				fmt.Println("ERR", err)
				return 1
			}
		}
	}
}

// childResult is what childOpen prints.
type childResult struct {
	Kind string `json:"kind"` // "inuse", "ok", "err"
	PID  int    `json:"pid"`
	Msg  string `json:"msg"`
}

func childOpen() int {
	s, err := Open(Options{Dir: os.Getenv(dirEnv), ReadOnly: os.Getenv(roEnv) == "1", Timeout: 100 * time.Millisecond})
	var r childResult
	var inUse *InUseError
	switch {
	case errors.As(err, &inUse):
		r = childResult{Kind: "inuse", PID: inUse.PID, Msg: err.Error()}
	case err != nil:
		r = childResult{Kind: "err", Msg: err.Error()}
	default:
		r = childResult{Kind: "ok"}
		s.Close()
	}
	json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

func ptr[T any](v T) *T { return &v }

// openT opens a store in dir and closes it at the end of the test.
func openT(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func applyT(t testing.TB, s *Store, ch model.UserChange) {
	t.Helper()
	if err := s.Apply(LocalUser, ch); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// checkDB runs bbolt's own consistency check on the store.
func checkDB(t testing.TB, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("bbolt Check: %v", err)
	}
}

// txid is the store's last committed write transaction.
func txid(t testing.TB, s *Store) int {
	t.Helper()
	var id int
	s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
	return id
}

// fileState is a file's bytes and times, to prove it was not touched.
type fileState struct {
	data  []byte
	mtime time.Time
	size  int64
}

// freezeFile sets the file's mtime in the past (so any write shows) and
// records its state.
func freezeFile(t testing.TB, path string) fileState {
	t.Helper()
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	return stateOf(t, path)
}

func stateOf(t testing.TB, path string) fileState {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{data: data, mtime: fi.ModTime(), size: fi.Size()}
}

func (a fileState) mustEqual(t testing.TB, path string) {
	t.Helper()
	b := stateOf(t, path)
	if !bytes.Equal(a.data, b.data) || a.size != b.size {
		t.Fatalf("%s was modified (%d bytes before, %d after)", path, a.size, b.size)
	}
	if !a.mtime.Equal(b.mtime) {
		t.Fatalf("%s mtime changed: %v -> %v", path, a.mtime, b.mtime)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Sample records.

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func sampleLot(id string) model.Lot {
	return model.Lot{ID: id, Symbol: "BTC", Quantity: 0.25, Cost: 61234.5, Opened: t0, Note: "cold wallet"}
}

// sampleAlerts is one alert of every kind, with durations.
func sampleAlerts() []model.Alert {
	return []model.Alert{
		{ID: "a-above", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 70000, Created: t0},
		{ID: "a-below", Symbol: "ETH", Kind: model.AlertPriceBelow, Price: 2500.5, Created: t0, Repeat: true, Cooldown: model.Duration(30 * time.Minute)},
		{ID: "a-move", Symbol: "SOL", Kind: model.AlertMove, Percent: 0.05, Window: model.Duration(24 * time.Hour), Created: t0, Repeat: true, Cooldown: model.Duration(2 * time.Hour)},
		{ID: "a-flip", Kind: model.AlertSignalFlip, Created: t0, LastFired: t0.Add(time.Hour), Fired: 3},
		{ID: "a-moon", Symbol: "TIDE", Kind: model.AlertMoonshot, Created: t0, Done: true, Fired: 1, Disabled: true},
	}
}

// warmTokens makes n tokens with bars of history in each resolution.
func warmTokens(n, bars int) []model.WarmToken {
	out := make([]model.WarmToken, n)
	end := int64(1_740_000_000) / 86400 * 86400
	for i := range out {
		sym := "T" + strconv.Itoa(i)
		t := model.WarmToken{
			Info:  model.TokenInfo{Symbol: sym, Name: "Token " + sym, MarketCap: 1e9 + float64(i), Supply: 1e6},
			Price: 100 + float64(i),
			Last:  time.Unix(end, 0).UTC(),
		}
		for ri, res := range warmRes {
			w := res.Seconds()
			k := min(bars, warmCaps[ri])
			cs := make([]model.Candle, k)
			for j := range cs {
				p := 100 + float64(i) + 10*math.Sin(float64(j)/7)
				cs[j] = model.Candle{T: end - int64(k-j)*w, Open: p, High: p + 1, Low: p - 1, Close: p + 0.5, Volume: float64(j)}
			}
			switch ri {
			case 0:
				t.Minute = cs
			case 1:
				t.Hour = cs
			default:
				t.Day = cs
			}
		}
		out[i] = t
	}
	return out
}

// bucketAt walks path (bucket names from the top) in tx; nil when some
// bucket is missing. p is its path for checksums.
func bucketAt(tx *bolt.Tx, path ...string) (b *bolt.Bucket, p bpath) {
	for i, name := range path {
		if i == 0 {
			b = tx.Bucket([]byte(name))
		} else if b != nil {
			b = b.Bucket([]byte(name))
		}
		p = p.child([]byte(name))
	}
	return b, p
}

// pokeRecord stores value under key in the bucket at path as the store's
// own writes do (sealed, counted), so a load judges what the value says.
func pokeRecord(t testing.TB, s *Store, key, value string, path ...string) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, p := bucketAt(tx, path...)
		if b == nil {
			return fmt.Errorf("no bucket %v", path)
		}
		return wbucket{b, p}.put([]byte(key), []byte(value))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pokeRaw stores value under key in the bucket at path as it is: no
// checksum, no tally: what damage (or another program) would leave.
func pokeRaw(t testing.TB, s *Store, key, value string, path ...string) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, _ := bucketAt(tx, path...)
		if b == nil {
			return fmt.Errorf("no bucket %v", path)
		}
		return b.Put([]byte(key), []byte(value))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rawValue is the value stored under key at path, with its checksum;
// nil when absent.
func rawValue(t testing.TB, s *Store, key string, path ...string) []byte {
	t.Helper()
	var v []byte
	s.db.View(func(tx *bolt.Tx) error {
		if b, _ := bucketAt(tx, path...); b != nil {
			v = bytes.Clone(b.Get([]byte(key)))
		}
		return nil
	})
	return v
}

// payloadOf is a sealed value without its checksum.
func payloadOf(v []byte) string {
	if len(v) < sumLen {
		return ""
	}
	return string(v[:len(v)-sumLen])
}

// newTextLogger logs as text into w.
func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

package store

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"
)

func TestDefaultDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_DATA_HOME": "/x/data", "HOME": "/home/u"}, "/x/data/tokentop"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/tokentop"},
		{map[string]string{"XDG_DATA_HOME": "relative", "HOME": "/home/u"}, "/home/u/.local/share/tokentop"},
		{map[string]string{}, ""},
	}
	for _, c := range cases {
		if got := DefaultDir(env(c.env)); got != c.want {
			t.Errorf("DefaultDir(%v) = %q, want %q", c.env, got, c.want)
		}
	}
	if _, err := Open(Options{}); err == nil || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("Open with no Dir: %v, want an error saying what to do", err)
	}
}

// makeStore creates a store with some of everything in it, closed.
func makeStore(t *testing.T, dir string) string {
	t.Helper()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		applyT(t, s, model.UserChange{PutLot: ptr(sampleLot("lot-" + strconv.Itoa(i)))})
	}
	applyT(t, s, model.UserChange{PutWatchlist: &model.Watchlist{Name: "Main", Symbols: []string{"BTC", "ETH"}}})
	if err := s.SaveWarm("live", model.WarmStart{Saved: time.Now(), Tokens: warmTokens(5, 200)}); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawBolt edits a bbolt file directly (to build foreign or odd files).
func rawBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// Files Open must refuse, each with a clear error, never modified, in
// both modes.
func TestRefusedFilesAreUntouched(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name  string
		make  func(t *testing.T, path string)
		check func(t *testing.T, err error)
	}{
		{"random bytes", func(t *testing.T, path string) {
			b := make([]byte, 16<<10)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			os.WriteFile(path, b, 0o600)
		}, wantForeign},
		{"a text file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("my notes\n"), 0o600)
		}, wantForeign},
		{"a foreign bbolt file", func(t *testing.T, path string) {
			rawBolt(t, path, func(tx *bolt.Tx) error {
				b, _ := tx.CreateBucket([]byte("other"))
				return b.Put([]byte("k"), []byte("v"))
			})
		}, wantForeign},
		{"a bbolt file with a meta bucket of another program", func(t *testing.T, path string) {
			rawBolt(t, path, func(tx *bolt.Tx) error {
				b, _ := tx.CreateBucket([]byte("meta"))
				return b.Put([]byte("magic"), []byte("someone-else"))
			})
		}, wantForeign},
		{"a truncated store", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, wantCorrupt("cut short")},
		{"a store cut to its first page", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			os.Truncate(path, 100)
		}, wantCorrupt("cut short")},
		{"both headers damaged", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			defer f.Close()
			for _, off := range []int64{0, int64(os.Getpagesize())} {
				f.WriteAt([]byte("XXXXXXXX"), off+pageHeaderSize+24) // inside the meta, magic kept
			}
		}, wantCorrupt("header")},
		{"a damaged page", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			root := metaRoot(t, path)
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			defer f.Close()
			f.WriteAt(make([]byte, 64), int64(root)*int64(os.Getpagesize())) // the root page's header and first entries
		}, wantCorrupt("page")},
		{"one header damaged", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			defer f.Close()
			f.WriteAt([]byte{0xff}, int64(os.Getpagesize())+pageHeaderSize+48) // meta 1's transaction id
		}, wantCorrupt("one of the two copies of the database header is damaged")},
		{"a newer store", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			rawBolt(t, path, func(tx *bolt.Tx) error {
				meta := tx.Bucket(bucketMeta)
				meta.Put(keyVersion, u64(SchemaVersion+1))
				return putMetaSum(meta)
			})
		}, func(t *testing.T, err error) {
			var ne *NewerError
			if !errors.As(err, &ne) || ne.Version != SchemaVersion+1 || ne.Supported != SchemaVersion {
				t.Fatalf("err = %v, want NewerError %d/%d", err, SchemaVersion+1, SchemaVersion)
			}
			if !strings.Contains(err.Error(), "newer tokentop (schema 4; this one reads up to 3): it was left untouched") {
				t.Errorf("message: %s", err)
			}
		}},
		{"an unreadable schema version", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			rawBolt(t, path, func(tx *bolt.Tx) error {
				meta := tx.Bucket(bucketMeta)
				meta.Put(keyVersion, []byte("two"))
				return putMetaSum(meta)
			})
		}, wantCorrupt("schema version")},
		// A flip in the version (3 -> 1 would migrate a schema 3 store as
		// a schema 1 one) is caught by the meta checksum.
		{"a changed schema version", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			rawBolt(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(keyVersion, u64(1))
			})
		}, wantCorrupt("its meta records do not match their checksum")},
		{"no meta checksum", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			rawBolt(t, path, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Delete(keyCheck)
			})
		}, wantCorrupt("its meta checksum is missing")},
		{"a renamed meta bucket", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			rawBolt(t, path, func(tx *bolt.Tx) error {
				nb, _ := tx.CreateBucket([]byte("mete"))
				copyBucket(tx.Bucket(bucketMeta), nb)
				return tx.DeleteBucket(bucketMeta)
			})
		}, wantCorrupt("its meta bucket is missing")},
		{"a renamed users bucket", func(t *testing.T, path string) {
			makeStore(t, filepath.Dir(path))
			rawBolt(t, path, func(tx *bolt.Tx) error {
				nb, _ := tx.CreateBucket([]byte("usevs"))
				copyBucket(tx.Bucket(bucketUsers), nb)
				return tx.DeleteBucket(bucketUsers)
			})
		}, wantCorrupt("its users bucket is missing")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			c.make(t, path)
			before := freezeFile(t, path)
			for _, ro := range []bool{false, true} {
				s, err := Open(Options{Dir: dir, ReadOnly: ro})
				if err == nil {
					s.Close()
					t.Fatalf("ReadOnly=%v: Open succeeded", ro)
				}
				c.check(t, err)
				t.Logf("ReadOnly=%v: %v", ro, err)
				msg := err.Error()
				if !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
					t.Errorf("message %q should name %s on one line", msg, path)
				}
				before.mustEqual(t, path)
				if _, err := os.Stat(path + ownerSuffix); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("owner file left behind")
				}
			}
		})
	}
}

func wantForeign(t *testing.T, err error) {
	t.Helper()
	var fe *ForeignError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want ForeignError", err)
	}
	if !strings.Contains(err.Error(), "is not a tokentop store: it was left untouched") {
		t.Errorf("message: %s", err)
	}
}

func wantCorrupt(why string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v, want CorruptError", err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "is damaged (") || !strings.Contains(msg, why) ||
			!strings.Contains(msg, "it was left untouched; move it aside to start a new store, or restore a backup") {
			t.Errorf("message %q should say %q", msg, why)
		}
	}
}

// metaRoot reads the root page id from a store's first meta page.
func metaRoot(t *testing.T, path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 80 {
		t.Fatal("cannot read meta")
	}
	return binary.NativeEndian.Uint64(b[pageHeaderSize+16:])
}

// A zero-length file and a bbolt file with no bucket at all are new
// stores (nothing in them to lose); ReadOnly refuses them.
func TestEmptyFilesBecomeStores(t *testing.T) {
	for _, name := range []string{"zero bytes", "empty bbolt"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if name == "zero bytes" {
				os.WriteFile(path, nil, 0o600)
			} else {
				rawBolt(t, path, func(*bolt.Tx) error { return nil })
			}
			if _, err := Open(Options{Dir: dir, ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadOnly Open: %v, want ErrNotExist", err)
			}
			s := openT(t, dir)
			applyT(t, s, model.UserChange{PutLot: ptr(sampleLot("x"))})
			s.Close()
			s = openT(t, dir)
			d, _, err := s.Load(LocalUser)
			if err != nil || len(d.Lots) != 1 {
				t.Fatalf("Load: %v %v", d.Lots, err)
			}
		})
	}
	if _, err := Open(Options{Dir: t.TempDir(), ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "does not exist yet") {
		t.Errorf("ReadOnly Open of a missing store: %v", err)
	}
}

func TestNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, FileName), 0o700)
	_, err := Open(Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Open with a directory as the file: %v", err)
	}
}

// ReadOnly writes nothing: every write method is refused and the file is
// unchanged.
func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := makeStore(t, dir)
	before := freezeFile(t, path)
	s, err := Open(Options{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := s.Load(LocalUser)
	if err != nil || len(d.Lots) != 30 {
		t.Fatalf("Load: %d lots, %v", len(d.Lots), err)
	}
	for name, err := range map[string]error{
		"Apply":       s.Apply(LocalUser, model.UserChange{DeleteLot: "lot-1"}),
		"SaveJournal": s.SaveJournal("live", &model.Snapshot{}),
		"SaveWarm":    s.SaveWarm("live", model.WarmStart{}),
	} {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s: %v, want ErrReadOnly", name, err)
		}
	}
	if _, err := s.Import(LocalUser, Export{}, true); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Import: %v, want ErrReadOnly", err)
	}
	if _, err := os.Stat(path + ownerSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a read-only open wrote the owner file")
	}
	// A reader holds the store too: a writer waits, then is told.
	var iu *InUseError
	if _, err := Open(Options{Dir: dir, Timeout: 20 * time.Millisecond}); !errors.As(err, &iu) || iu.PID != 0 {
		t.Errorf("Open for writing beside a reader: %v", err)
	}
	s.Close()
	before.mustEqual(t, path)
}

// A second Open in the same process is refused too (flock locks belong to
// the open file, not the process), naming this process.
func TestInUseInProcess(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	for _, ro := range []bool{false, true} {
		start := time.Now()
		_, err := Open(Options{Dir: dir, ReadOnly: ro, Timeout: 50 * time.Millisecond})
		var iu *InUseError
		if !errors.As(err, &iu) {
			t.Fatalf("ReadOnly=%v: second Open: %v, want InUseError", ro, err)
		}
		if iu.PID != os.Getpid() || iu.Path != s.Path() || time.Since(iu.Since) > time.Minute {
			t.Errorf("InUseError = %+v", iu)
		}
		if waited := time.Since(start); waited < 40*time.Millisecond {
			t.Errorf("gave up after %v, before the timeout", waited)
		}
	}
	applyT(t, s, model.UserChange{PutLot: ptr(sampleLot("still-works"))})
	s.Close()
	s2 := openT(t, dir) // the lock is released on Close
	d, _, _ := s2.Load(LocalUser)
	if len(d.Lots) != 1 {
		t.Errorf("lots after reopen: %v", d.Lots)
	}
}

// A second tokentop (a child process) is told the store is in use, by
// whom; the first keeps working and the file stays sound.
func TestInUseByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	applyT(t, s, model.UserChange{PutLot: ptr(sampleLot("before"))})
	for _, ro := range []string{"0", "1"} {
		r := runChildOpen(t, dir, ro)
		if r.Kind != "inuse" || r.PID != os.Getpid() {
			t.Fatalf("readonly=%s: child got %+v, want inuse by pid %d", ro, r, os.Getpid())
		}
		want := "store " + s.Path() + " is in use by another tokentop (pid " + strconv.Itoa(os.Getpid()) + ", since "
		if !strings.HasPrefix(r.Msg, want) || !strings.HasSuffix(r.Msg, "; quit it, or start this one with --data-dir DIR") {
			t.Errorf("message %q", r.Msg)
		}
	}
	applyT(t, s, model.UserChange{PutLot: ptr(sampleLot("after"))})
	d, rep, err := s.Load(LocalUser)
	if err != nil || len(d.Lots) != 2 || rep.Skipped != 0 {
		t.Fatalf("Load after the child: %v %+v %v", d.Lots, rep, err)
	}
	checkDB(t, s)
	s.Close()
	if r := runChildOpen(t, dir, "0"); r.Kind != "ok" {
		t.Fatalf("child after Close: %+v", r)
	}
}

func runChildOpen(t *testing.T, dir, readOnly string) childResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=open", dirEnv+"="+dir, roEnv+"="+readOnly)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	var r childResult
	if err := json.NewDecoder(bufio.NewReader(strings.NewReader(string(out)))).Decode(&r); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	return r
}

func TestErrorMessages(t *testing.T) {
	since := time.Date(2025, 1, 2, 14, 2, 0, 0, time.Local)
	e := &InUseError{Path: "/x/tokentop.db", PID: 1234, Since: since}
	if got, want := e.Error(), "store /x/tokentop.db is in use by another tokentop (pid 1234, since Jan 2 14:02); quit it, or start this one with --data-dir DIR"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := clockTime(since, since.Add(time.Hour)); got != "14:02" {
		t.Errorf("clockTime same day = %q", got)
	}
	e = &InUseError{Path: "/x/\x1b[2Jtokentop.db"}
	if got := e.Error(); strings.ContainsRune(got, 0x1b) || !strings.Contains(got, "(pid unknown)") {
		t.Errorf("got %q", got)
	}
	c := &CorruptError{Path: "/x/tokentop.db", Err: errors.New("page 7\nis\x1b[1m bad")}
	if got := c.Error(); strings.ContainsAny(got, "\n\x1b") || !strings.Contains(got, "damaged (page 7 is bad)") {
		t.Errorf("got %q", got)
	}
	if !errors.Is(c, c.Err) {
		t.Error("CorruptError does not unwrap")
	}
}

// Package store is tokentop's embedded database: the user's watchlists,
// portfolio lots, alerts and alert history, the ratings journal and the
// warm-start cache, kept in one bbolt file (FileName) in the data
// directory. SCHEMA.md describes every bucket and key.
//
// One process at a time: Open takes the file's lock and a second tokentop
// gets an InUseError naming the first. A file Open does not recognise as a
// sound tokentop store of a schema it reads is never written to:
// CorruptError, ForeignError and NewerError leave it byte for byte as it
// was.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// FileName is the database file's name in the data directory.
const FileName = "tokentop.db"

// SchemaVersion is the layout this build writes (SCHEMA.md). Open
// migrates older stores to it and refuses newer ones.
const SchemaVersion = 3

// DefaultTimeout is how long Open waits for another process's lock.
const DefaultTimeout = 250 * time.Millisecond

// ownerSuffix names the sidecar file that says who holds the store.
const ownerSuffix = ".owner"

// DefaultDir is $XDG_DATA_HOME/tokentop, else $HOME/.local/share/tokentop;
// "" when neither is set (an XDG_DATA_HOME that is not absolute is
// ignored, as the XDG spec says).
func DefaultDir(getenv func(string) string) string {
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "tokentop")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "tokentop")
	}
	return ""
}

// Options configure Open.
type Options struct {
	// Dir is the data directory, created with mode 0700 (parents too) when
	// missing.
	Dir string
	// ReadOnly opens the store without writing anything to it (export).
	// Another tokentop holding the store still makes Open fail with
	// InUseError. A store of an older schema is migrated in a private
	// temporary copy (removed on Close), never in place. A store that does
	// not exist yet, or is empty, is an error wrapping fs.ErrNotExist.
	// Every write method returns ErrReadOnly.
	ReadOnly bool
	// Timeout is how long to wait for another process's lock; default
	// 250ms.
	Timeout time.Duration
	// Logger gets what the store did (opened, migrated, skipped and
	// damaged records); nil discards.
	Logger *slog.Logger
	// Now is the clock for the times the store writes on its own (when it
	// was created or migrated, when a user's records were made by their
	// first change); default time.Now.
	Now func() time.Time
}

// Store is an open tokentop store. Its methods are safe for concurrent
// use.
type Store struct {
	path     string
	db       *bolt.DB
	log      *slog.Logger
	now      func() time.Time
	readOnly bool
	owner    string // sidecar written by this Store; "" when none
	temp     string // read-only migrated copy, removed on Close

	firingsKept atomic.Int64

	jmu      sync.Mutex
	journals map[string]*journalState // what SaveJournal last wrote, per namespace

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating when missing, unless ReadOnly) the store in
// o.Dir, checks it and migrates it to SchemaVersion.
func Open(o Options) (*Store, error) {
	if o.Dir == "" {
		return nil, errors.New("store: no data directory (set $XDG_DATA_HOME or $HOME, or start tokentop with --data-dir DIR)")
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(o.Dir, FileName)
	if !o.ReadOnly {
		if err := makeDir(o.Dir); err != nil {
			return nil, err
		}
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("store %s is not a regular file: it was left untouched; move it aside, or start tokentop with --data-dir DIR", safetext.Quoted(path))
	}
	f, err := openFile(path, o.ReadOnly)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f, !o.ReadOnly, o.Timeout); err != nil {
		f.Close()
		if errors.Is(err, errLockTimeout) {
			return nil, inUse(path)
		}
		return nil, fmt.Errorf("store %s cannot be locked: %w", safetext.Quoted(path), err)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	s := &Store{path: path, log: logger, now: now, readOnly: o.ReadOnly, journals: map[string]*journalState{}}
	s.firingsKept.Store(model.DefaultFiringsKept)
	if err := s.open(f, o); err != nil {
		return nil, err
	}
	if !o.ReadOnly {
		s.owner = path + ownerSuffix
		writeOwner(s.owner, logger)
	}
	return s, nil
}

// makeDir creates the data directory with mode 0700 when missing.
func makeDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("store: data directory %s is not a directory", safetext.Quoted(dir))
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: data directory %s: %w", safetext.Quoted(dir), err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: cannot create the data directory %s: %w", safetext.Quoted(dir), err)
	}
	if err := os.Chmod(dir, 0o700); err != nil { // whatever the umask
		return fmt.Errorf("store: data directory %s: %w", safetext.Quoted(dir), err)
	}
	return nil
}

// openFile opens the store file: read-write and created (0600) when
// missing, or read-only.
func openFile(path string, readOnly bool) (*os.File, error) {
	flag := os.O_RDWR | os.O_CREATE
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0o600)
	switch {
	case err == nil:
		return f, nil
	case readOnly && errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("store %s does not exist yet (tokentop creates it on its first run): %w", safetext.Quoted(path), fs.ErrNotExist)
	}
	return nil, fmt.Errorf("store %s cannot be opened: %w", safetext.Quoted(path), unwrapPathError(err))
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// open checks the locked file f and opens it with bbolt. f is closed on
// error.
func (s *Store) open(f *os.File, o Options) error {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("store %s: %w", safetext.Quoted(s.path), err)
	}
	version := 0 // 0: a new store
	if fi.Size() > 0 {
		in, err := inspect(f, fi.Size())
		var d *damage
		switch {
		case errors.Is(err, errNotBolt):
			f.Close()
			return &ForeignError{Path: s.path}
		case errors.As(err, &d):
			f.Close()
			return &CorruptError{Path: s.path, Err: err}
		case err != nil:
			f.Close()
			return fmt.Errorf("store %s cannot be read: %w", safetext.Quoted(s.path), err)
		}
		if version, err = s.classify(in); err != nil {
			f.Close()
			return err
		}
	}
	if o.ReadOnly {
		switch version {
		case 0:
			f.Close()
			return fmt.Errorf("store %s is empty: %w", safetext.Quoted(s.path), fs.ErrNotExist)
		case SchemaVersion:
			s.db, err = openBolt(f, true, o.Timeout, s.path)
			return err
		}
		return s.openMigratedCopy(f, fi.Size(), version, o.Timeout)
	}
	if s.db, err = openBolt(f, false, o.Timeout, s.path); err != nil {
		return err
	}
	if fi.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			s.log.Warn("store: cannot make the file private (mode 0600)", "path", s.path, "err", err)
		}
	}
	switch version {
	case 0:
		err = s.db.Update(func(tx *bolt.Tx) error { return initSchema(tx, s.now()) })
		if err == nil {
			s.log.Info("store created", "path", s.path, "schema", SchemaVersion)
		}
	case SchemaVersion:
		s.log.Info("store opened", "path", s.path, "schema", version)
	default:
		err = s.migrate(version)
	}
	if err != nil {
		s.db.Close()
		return err
	}
	return nil
}

// classify reads the meta bucket that inspect found: 0 for a bbolt file
// without any bucket (a store whose creation was interrupted: nothing to
// lose), else the schema version, or the error that says why not.
func (s *Store) classify(in inspection) (int, error) {
	if in.buckets == 0 {
		return 0, nil
	}
	corrupt := func(why string) error { return &CorruptError{Path: s.path, Err: errors.New(why)} }
	if !in.hasMeta {
		// Our buckets without our meta: damage renamed the meta bucket.
		for _, name := range [][]byte{bucketUsers, bucketJournal, bucketWarm, bucketWatchlists, bucketLots, bucketAlerts, bucketFirings} {
			if in.tops[string(name)] {
				return 0, corrupt("its meta bucket is missing")
			}
		}
		return 0, &ForeignError{Path: s.path}
	}
	sum, hasSum := in.meta[string(keyCheck)]
	if hasSum && (len(sum) != sumLen || binary.BigEndian.Uint32(sum) != metaSum(in.meta)) {
		return 0, corrupt("its meta records do not match their checksum")
	}
	if string(in.meta[string(keyMagic)]) != magic {
		return 0, &ForeignError{Path: s.path}
	}
	v, ok := in.meta[string(keyVersion)]
	if !ok || len(v) != 8 {
		return 0, corrupt("its schema version is unreadable")
	}
	n := binary.BigEndian.Uint64(v)
	switch {
	case n == 0:
		return 0, corrupt("its schema version is 0")
	case n > SchemaVersion:
		sv := int(min(n, 1<<31))
		return 0, &NewerError{Path: s.path, Version: sv, Supported: SchemaVersion}
	case n == SchemaVersion && !hasSum:
		return 0, corrupt("its meta checksum is missing")
	case n == SchemaVersion:
		for _, name := range [][]byte{bucketUsers, bucketJournal, bucketWarm} {
			if !in.tops[string(name)] {
				return 0, corrupt(fmt.Sprintf("its %s bucket is missing", name))
			}
		}
	}
	return int(n), nil
}

// openBolt hands the checked, locked file f to bbolt (which takes the
// same lock again on it: a no-op). f is closed on error.
func openBolt(f *os.File, readOnly bool, timeout time.Duration, path string) (db *bolt.DB, err error) {
	opts := &bolt.Options{
		ReadOnly: readOnly,
		Timeout:  timeout,
		OpenFile: func(string, int, os.FileMode) (*os.File, error) { return f, nil },
	}
	// inspect has checked every page; should bbolt still fault on the
	// file, that is a damaged file, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			f.Close()
			db, err = nil, &CorruptError{Path: path, Err: fmt.Errorf("bbolt: %v", r)}
		}
	}()
	db, err = bolt.Open(f.Name(), 0o600, opts)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, inUse(path)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, &CorruptError{Path: path, Err: err}
	}
	return nil, fmt.Errorf("store %s cannot be opened: %w", safetext.Quoted(path), err)
}

// openMigratedCopy serves a read-only open of an older schema: it copies
// the file (under the shared lock, so the copy is consistent) to a private
// temporary file and migrates that. The store itself is not touched.
func (s *Store) openMigratedCopy(f *os.File, size int64, version int, timeout time.Duration) error {
	defer f.Close()
	tmp, err := os.CreateTemp("", "tokentop-readonly-*.db")
	if err != nil {
		return fmt.Errorf("store %s: a temporary copy to read it: %w", safetext.Quoted(s.path), err)
	}
	s.temp = tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(s.temp)
		s.temp = ""
		return err
	}
	if _, err := io.Copy(tmp, io.NewSectionReader(f, 0, size)); err != nil {
		return fail(fmt.Errorf("store %s: copying it to read it: %w", safetext.Quoted(s.path), err))
	}
	if s.db, err = openBolt(tmp, false, timeout, s.temp); err != nil {
		return fail(err)
	}
	if err := s.migrate(version); err != nil {
		s.db.Close()
		return fail(err)
	}
	return nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the store and releases its lock. Safe to call twice.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.owner != "" {
			os.Remove(s.owner) // before the lock is released
		}
		s.closeErr = s.db.Close()
		if s.temp != "" {
			os.Remove(s.temp)
		}
	})
	return s.closeErr
}

// SetFiringsKept sets how many alert firings the store keeps (newest);
// n <= 0 means model.DefaultFiringsKept.
func (s *Store) SetFiringsKept(n int) {
	if n <= 0 {
		n = model.DefaultFiringsKept
	}
	s.firingsKept.Store(int64(n))
}

// update runs fn in a write transaction, refusing on a read-only store.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if s.readOnly {
		return ErrReadOnly
	}
	return s.db.Update(fn)
}

// The owner sidecar: "pid=1234 since=2006-01-02T15:04:05Z" on one line.

func writeOwner(path string, logger *slog.Logger) {
	line := fmt.Sprintf("pid=%d since=%s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	err := os.WriteFile(tmp, []byte(line), 0o600)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		logger.Warn("store: cannot write the owner file (informational only)", "path", path, "err", err)
	}
}

// readOwner reads the sidecar; pid 0 when it is missing, unreadable, or
// names a process that no longer exists.
func readOwner(path string) (pid int, since time.Time) {
	f, err := os.Open(path)
	if err != nil {
		return 0, time.Time{}
	}
	defer f.Close()
	var buf [128]byte
	n, _ := io.ReadFull(f, buf[:])
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	p, t, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(p, "pid=") || !strings.HasPrefix(t, "since=") {
		return 0, time.Time{}
	}
	pid, err = strconv.Atoi(p[len("pid="):])
	if err != nil || pid <= 0 || !processAlive(pid) {
		return 0, time.Time{}
	}
	since, _ = time.Parse(time.RFC3339, t[len("since="):])
	return pid, since
}

func inUse(path string) error {
	pid, since := readOwner(path + ownerSuffix)
	return &InUseError{Path: path, PID: pid, Since: since}
}

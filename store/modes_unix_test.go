//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A new store: directory 0700 (parents too), file and owner sidecar 0600,
// even under a permissive umask; the sidecar names this process and goes
// away on Close.
func TestNewStoreModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "a", "b")
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mode := func(p string) fs.FileMode {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if m := mode(dir); m != 0o700 {
		t.Errorf("dir mode %v, want 0700", m)
	}
	if m := mode(filepath.Dir(dir)); m != 0o700 {
		t.Errorf("parent dir mode %v, want 0700", m)
	}
	if m := mode(s.Path()); m != 0o600 {
		t.Errorf("file mode %v, want 0600", m)
	}
	owner := s.Path() + ownerSuffix
	if m := mode(owner); m != 0o600 {
		t.Errorf("owner file mode %v, want 0600", m)
	}
	if pid, since := readOwner(owner); pid != os.Getpid() || time.Since(since) > time.Minute {
		t.Errorf("owner file says pid %d since %v, want %d now", pid, since, os.Getpid())
	}
	if s.Path() != filepath.Join(dir, FileName) {
		t.Errorf("Path = %q", s.Path())
	}
	s.Close()
	if _, err := os.Stat(owner); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("owner file still there after Close: %v", err)
	}
	// An existing store of ours with loose permissions is made private.
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir)
	if m := mode(s.Path()); m != 0o600 {
		t.Errorf("reopened file mode %v, want 0600", m)
	}
}

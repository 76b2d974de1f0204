//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// errLockTimeout means another open file description holds a conflicting
// lock on the store for longer than the timeout.
var errLockTimeout = errors.New("lock timeout")

// lockFile takes an advisory flock on f: exclusive for writing, shared for
// reading, the same lock bbolt takes, so tokentops and other bbolt readers
// exclude each other. It retries until timeout. Locks belong to the open
// file description, so a second Open in the same process conflicts too.
func lockFile(f *os.File, exclusive bool, timeout time.Duration) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	deadline := time.Now().Add(timeout)
	wait := 5 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return errLockTimeout
		}
		time.Sleep(min(wait, left))
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// processAlive reports whether a process with this id exists (one of
// another user counts).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

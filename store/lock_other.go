//go:build !unix

package store

import (
	"errors"
	"os"
	"time"
)

var errLockTimeout = errors.New("lock timeout")

// lockFile is a no-op where flock does not exist: bbolt takes its own lock
// when it opens the file (Options.Timeout), and a timeout there is
// reported as InUseError too.
func lockFile(f *os.File, exclusive bool, timeout time.Duration) error { return nil }

func processAlive(pid int) bool { return pid > 0 }

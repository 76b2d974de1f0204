package feedtest

import (
	"runtime"
	"testing"
	"time"
)

// NoLeaks records the goroutine count now and, when the test ends (after
// every cleanup registered later, such as the servers' shutdown), waits up
// to 5 s for the count to come back down, failing the test with every
// goroutine's stack if it does not. Call it first in a test that is not
// parallel.
func NoLeaks(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d goroutines before, %d after\n%s", before, n, buf)
				return
			}
			// Goroutines end on their own schedule; yield and poll (the
			// condition is the goroutine count, not a guess at timing).
			runtime.Gosched()
			time.Sleep(5 * time.Millisecond)
		}
	})
}

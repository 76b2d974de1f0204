// Package feedtest holds what feed tests and benchmarks share: local
// websocket and HTTP servers (127.0.0.1 only) that replay the exchange
// fixtures in testdata/ (embedded; see fixtures.go) and inject faults, a
// recording Sink, a fake clock, and a goroutine leak check. Nothing here
// touches the internet or reads files outside the repository.
package feedtest

import (
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/tokentop/tokentop/feeds"
)

// FakeClock is a feeds.Clock that moves only when Advance is called.
// Timers fire (in deadline order) when the clock passes their deadline.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	wake   chan struct{} // closed and replaced whenever a timer is added
}

// NewFakeClock returns a clock standing at t.
func NewFakeClock(t time.Time) *FakeClock {
	return &FakeClock{now: t, wake: make(chan struct{})}
}

// Now is the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer makes a timer that fires once the clock reaches now+d.
func (c *FakeClock) NewTimer(d time.Duration) feeds.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		t.fired = true
		return t
	}
	c.timers = append(c.timers, t)
	close(c.wake)
	c.wake = make(chan struct{})
	return t
}

// Advance moves the clock forward by d, firing every timer due; it returns
// how many fired.
func (c *FakeClock) Advance(d time.Duration) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	keep := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.fired = true
			t.ch <- t.at
			continue
		}
		keep = append(keep, t)
	}
	fired := len(c.timers) - len(keep)
	clear(c.timers[len(keep):])
	c.timers = keep
	return fired
}

// Drive moves the clock forward in steps of step until done holds or limit
// has passed, and returns the fake time that took: err is nil when done
// held, ErrDriveLimit when limit passed first. After every step it waits
// (real time, at most settle) until idle or done holds: idle says the code
// under test is waiting on the clock again (not in the middle of I/O), so
// the clock never runs ahead of it. A step after which neither holds
// within settle ends the drive with ErrDriveStuck.
func (c *FakeClock) Drive(step, limit, settle time.Duration, done, idle func() bool) (time.Duration, error) {
	var took time.Duration
	for !done() {
		if took >= limit {
			return took, ErrDriveLimit
		}
		c.Advance(step)
		took += step
		if !c.settle(settle, func() bool { return done() || idle() }) {
			return took, ErrDriveStuck
		}
	}
	return took, nil
}

// Drive's errors.
var (
	ErrDriveLimit = errors.New("the limit passed first")
	ErrDriveStuck = errors.New("the code under test did not settle after a step")
)

// settle waits until cond holds, at most timeout; it looks again whenever
// a timer is made and every millisecond.
func (c *FakeClock) settle(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for {
		c.mu.Lock()
		wake := c.wake
		c.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-wake:
		case <-poll.C:
		case <-deadline.C:
			return cond()
		}
	}
}

// Pending is the number of timers not yet fired or stopped.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Deadlines is when each pending timer fires, soonest first.
func (c *FakeClock) Deadlines() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Time, len(c.timers))
	for i, t := range c.timers {
		out[i] = t.at
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// WaitDeadline waits until a pending timer fires at exactly at; false on
// timeout.
func (c *FakeClock) WaitDeadline(at time.Time, timeout time.Duration) bool {
	return c.waitLocked(timeout, func() bool {
		for _, t := range c.timers {
			if t.at.Equal(at) {
				return true
			}
		}
		return false
	})
}

// WaitTimers waits until at least n timers are pending; false on timeout.
func (c *FakeClock) WaitTimers(n int, timeout time.Duration) bool {
	return c.waitLocked(timeout, func() bool { return len(c.timers) >= n })
}

// waitLocked waits until cond (called with c.mu held) holds, looking again
// whenever a timer is made; false on timeout.
func (c *FakeClock) waitLocked(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok, wake := cond(), c.wake
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-wake:
		case <-deadline.C:
			return false
		}
	}
}

type fakeTimer struct {
	c     *FakeClock
	at    time.Time
	ch    chan time.Time
	fired bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.fired {
		return false
	}
	for i, x := range t.c.timers {
		if x == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return true
		}
	}
	return false
}

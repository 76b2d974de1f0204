package feedtest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
)

// Hooks records what a session reported through its feeds.SessionHooks:
// how often it went live, every beat and every bad frame's reason.
type Hooks struct {
	mu      sync.Mutex
	live    int
	beats   int
	bad     []string
	changed chan struct{} // closed and replaced on every report
}

// SessionHooks are the hooks to hand to a Session; they record into h.
func (h *Hooks) SessionHooks() feeds.SessionHooks {
	return feeds.SessionHooks{
		Live: func() { h.record(func() { h.live++ }) },
		Beat: func() { h.record(func() { h.beats++ }) },
		Bad:  func(r string) { h.record(func() { h.bad = append(h.bad, r) }) },
	}
}

func (h *Hooks) record(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
	if h.changed != nil {
		close(h.changed)
		h.changed = nil
	}
}

// Live is how many times the session said it was live.
func (h *Hooks) Live() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.live
}

// Beats is how many beats (frames) the session reported.
func (h *Hooks) Beats() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.beats
}

// Bads is a copy of the bad frames' reasons, in order.
func (h *Hooks) Bads() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.bad)
}

// WaitBeats waits until at least n beats came, or timeout passes; it
// reports whether they came.
func (h *Hooks) WaitBeats(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		if h.beats >= n {
			h.mu.Unlock()
			return true
		}
		if h.changed == nil {
			h.changed = make(chan struct{})
		}
		ch := h.changed
		h.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// Session is one adapter's Session running in the background (StartSession).
type Session struct {
	cancel   context.CancelFunc
	finished chan struct{}
	timeout  time.Duration
	err      error
}

// StartSession runs ex.Session into rec and h on its own goroutine until
// it ends or is stopped; the test's end stops it. timeout bounds every
// wait for it to end.
func StartSession(t testing.TB, ex feeds.Exchange, rec *Recorder, h *Hooks, timeout time.Duration) *Session {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Session{cancel: cancel, finished: make(chan struct{}), timeout: timeout}
	go func() {
		s.err = ex.Session(ctx, rec, h.SessionHooks())
		close(s.finished)
	}()
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Done waits for the session to end by itself and returns its error; the
// test fails when it does not end within the timeout.
func (s *Session) Done(t testing.TB) error {
	t.Helper()
	return s.wait(t, "session did not end")
}

// Running says whether the session is still running.
func (s *Session) Running() bool {
	select {
	case <-s.finished:
		return false
	default:
		return true
	}
}

// Err is the session's error once it has ended (nil while it runs).
func (s *Session) Err() error {
	if s.Running() {
		return nil
	}
	return s.err
}

// Stop cancels the session and returns its error; the test fails when it
// does not end within the timeout.
func (s *Session) Stop(t testing.TB) error {
	t.Helper()
	s.cancel()
	return s.wait(t, "session did not end after its context was cancelled")
}

// wait waits for the session to end and returns its error; the test fails
// with why when it does not end within the timeout.
func (s *Session) wait(t testing.TB, why string) error {
	t.Helper()
	select {
	case <-s.finished:
		return s.err
	case <-time.After(s.timeout):
		t.Fatal(why)
		return nil
	}
}

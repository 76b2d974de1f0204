package feedtest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tokentop/tokentop/model"
)

// Recorder is a feeds.Sink that records every event and status, for tests.
type Recorder struct {
	mu       sync.Mutex
	events   []model.Event
	statuses []model.FeedStatus
	changed  chan struct{} // closed and replaced on every record
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{changed: make(chan struct{})} }

// Send records ev (a copy; Info is copied too) and returns true unless ctx
// has ended.
func (r *Recorder) Send(ctx context.Context, ev model.Event) bool {
	if ctx.Err() != nil {
		return false
	}
	ev.Symbol = strings.Clone(ev.Symbol)
	if ev.Info != nil {
		info := *ev.Info
		ev.Info = &info
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.signalLocked()
	r.mu.Unlock()
	return true
}

// Status records st.
func (r *Recorder) Status(st model.FeedStatus) {
	r.mu.Lock()
	r.statuses = append(r.statuses, st)
	r.signalLocked()
	r.mu.Unlock()
}

func (r *Recorder) signalLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Events is a copy of the events recorded so far.
func (r *Recorder) Events() []model.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Statuses is a copy of the statuses recorded so far.
func (r *Recorder) Statuses() []model.FeedStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.statuses)
}

// Last is the latest status (zero if none).
func (r *Recorder) Last() model.FeedStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.statuses) == 0 {
		return model.FeedStatus{}
	}
	return r.statuses[len(r.statuses)-1]
}

// WaitFor waits until cond (called under no lock, with copies) holds, or
// timeout passes; it reports whether cond held.
func (r *Recorder) WaitFor(timeout time.Duration, cond func(evs []model.Event, sts []model.FeedStatus) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		evs, sts, changed := slices.Clone(r.events), slices.Clone(r.statuses), r.changed
		r.mu.Unlock()
		if cond(evs, sts) {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// WaitStatus waits for a status report matching want (state, and a reason
// containing substr) and returns it.
func (r *Recorder) WaitStatus(timeout time.Duration, state model.FeedState, substr string) (model.FeedStatus, bool) {
	var got model.FeedStatus
	ok := r.WaitFor(timeout, func(_ []model.Event, sts []model.FeedStatus) bool {
		for _, st := range sts {
			if st.State == state && strings.Contains(st.Reason, substr) {
				got = st
				return true
			}
		}
		return false
	})
	return got, ok
}

// CountKind is how many recorded events have kind k.
func CountKind(evs []model.Event, k model.EventKind) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == k {
			n++
		}
	}
	return n
}

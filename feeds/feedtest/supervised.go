package feedtest

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/model"
)

// Supervised is an adapter run the way the program runs it, under
// feeds.Supervise, delivering into a Recorder (Supervise).
type Supervised struct {
	Rec  *Recorder
	Wait time.Duration // bounds every wait on a condition
	stop func()
}

// Supervise runs feeds.Supervise(ex, opts) into a new Recorder until the
// test ends or Stop; wait bounds every wait on a condition (and Stop's
// wait for Run to return). Call it after starting the servers ex talks
// to, so that it stops before they close (cleanups run last first).
func Supervise(t testing.TB, ex feeds.Exchange, opts feeds.SuperviseOptions, wait time.Duration) *Supervised {
	t.Helper()
	s := &Supervised{Rec: NewRecorder(), Wait: wait}
	feed := feeds.Supervise(ex, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx, s.Rec) }()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(wait):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

// Stop ends the feed and waits for Run to return (once; later calls do
// nothing).
func (s *Supervised) Stop() { s.stop() }

// WaitStatusFrom waits for a status at index from or later with state and
// a reason containing substr, and returns its index; the test fails when
// none comes within Wait.
func (s *Supervised) WaitStatusFrom(t testing.TB, from int, state model.FeedState, substr string) int {
	t.Helper()
	at := -1
	if !s.Rec.WaitFor(s.Wait, func(_ []model.Event, sts []model.FeedStatus) bool {
		for i := from; i < len(sts); i++ {
			if sts[i].State == state && strings.Contains(sts[i].Reason, substr) {
				at = i
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no status %v %q after #%d:%s", state, substr, from, StatusLines(s.Rec.Statuses()))
	}
	return at
}

// WaitEvents waits until cond holds for the events; the test fails, naming
// what it waited for, when it does not within Wait.
func (s *Supervised) WaitEvents(t testing.TB, what string, cond func(evs []model.Event) bool) {
	t.Helper()
	if !s.Rec.WaitFor(s.Wait, func(evs []model.Event, _ []model.FeedStatus) bool { return cond(evs) }) {
		t.Fatalf("timed out waiting for %s; events: %+v", what, s.Rec.Events())
	}
}

// StatusLines lists statuses, one "state reason" a line, for a failure
// message.
func StatusLines(sts []model.FeedStatus) string {
	var b strings.Builder
	for _, s := range sts {
		b.WriteString("\n  " + s.State.String() + " " + s.Reason)
	}
	return b.String()
}

// NoReconnects fails the test for every status that says the connection
// was replaced (reconnecting or stale).
func NoReconnects(t testing.TB, sts []model.FeedStatus) {
	t.Helper()
	for _, st := range sts {
		if st.State == model.FeedReconnecting || st.State == model.FeedStale {
			t.Errorf("unexpected %v: %s", st.State, st.Reason)
		}
	}
}

// LiveEvents are the events from the websocket: backfilled candles carry
// no event time.
func LiveEvents(evs []model.Event) []model.Event {
	var out []model.Event
	for _, ev := range evs {
		if ev.Time != 0 {
			out = append(out, ev)
		}
	}
	return out
}

// History is the backfilled candles of sym (no event time), oldest first.
func History(evs []model.Event, sym string) []model.Event {
	var out []model.Event
	for _, ev := range evs {
		if ev.Time == 0 && ev.Kind == model.EventCandle && ev.Symbol == sym {
			out = append(out, ev)
		}
	}
	slices.SortStableFunc(out, func(a, b model.Event) int { return cmp.Compare(a.Candle.T, b.Candle.T) })
	return out
}

// CheckHistory checks that the backfilled candles of each of syms are
// want, oldest first, all of resolution res.
func CheckHistory(t testing.TB, evs []model.Event, syms []string, res model.Resolution, want []model.Candle) {
	t.Helper()
	for _, sym := range syms {
		got := History(evs, sym)
		if len(got) != len(want) {
			t.Errorf("%s: %d history candles, want %d", sym, len(got), len(want))
		}
		for i, ev := range got[:min(len(got), len(want))] {
			if ev.Res != res || ev.Candle != want[i] {
				t.Errorf("%s history[%d] = %+v, want %v bar %+v", sym, i, ev, res, want[i])
			}
		}
	}
}

// CheckRateLimitWaitedOut checks a backfill whose first request (reqs[0])
// was rate limited by exchange with a Retry-After of least: the same
// request was made again, no sooner than least after; while it waited the
// status said "rate limited by <exchange>, retrying in …", and once
// requests went through a later status cleared the note; no status spoke
// of the history failing, and the connection was never replaced.
func (s *Supervised) CheckRateLimitWaitedOut(t testing.TB, exchange string, reqs []RESTRequest, least time.Duration) {
	t.Helper()
	retried := false
	for _, q := range reqs[1:] {
		if q.URL.String() == reqs[0].URL.String() {
			retried = true
			if d := q.At.Sub(reqs[0].At); d < least {
				t.Errorf("retried %v after the rate limit, want at least %v", d, least)
			}
		}
	}
	if !retried {
		t.Errorf("the refused request %v was not made again: %+v", reqs[0].URL, reqs)
	}
	for _, st := range s.Rec.Statuses() {
		if strings.Contains(st.Reason, "history") {
			t.Errorf("status %v %q: the history completed", st.State, st.Reason)
		}
	}
	// The supervisor relays notes on its own goroutine, so wait for the
	// clearing status rather than expecting it already.
	note := "rate limited by " + exchange + ", retrying in"
	noteThenClear := func(_ []model.Event, sts []model.FeedStatus) bool {
		noted := false
		for _, st := range sts {
			if strings.Contains(st.Reason, note) {
				noted = true
			} else if noted && !strings.Contains(st.Reason, "rate limited") {
				return true
			}
		}
		return false
	}
	if !s.Rec.WaitFor(s.Wait, noteThenClear) {
		t.Errorf("want a note %q, then a status without it; statuses: %+v", note, s.Rec.Statuses())
	}
	NoReconnects(t, s.Rec.Statuses())
}

// RESTRequest is one request a RESTLog saw.
type RESTRequest struct {
	URL    *url.URL
	At     time.Time // wall clock
	Status int       // the status it was answered with
}

// RESTLog is an http.Handler for one or more routes: it answers with a
// sequence of responses (the last repeats), shared by every route it
// serves, and records every request.
type RESTLog struct {
	mu      sync.Mutex
	seq     []Response
	n       int
	reqs    []RESTRequest
	changed chan struct{}
}

// NewRESTLog answers with seq, in order; the last repeats.
func NewRESTLog(seq ...Response) *RESTLog {
	return &RESTLog{seq: seq, changed: make(chan struct{})}
}

// ServeHTTP answers with the next response (no Delay) and records the
// request.
func (l *RESTLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	var resp Response
	if len(l.seq) > 0 {
		resp = l.seq[min(l.n, len(l.seq)-1)]
	}
	l.n++
	status := cmp.Or(resp.Status, http.StatusOK)
	u := *r.URL
	l.reqs = append(l.reqs, RESTRequest{URL: &u, At: time.Now(), Status: status})
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(resp.Body)
}

// Requests is every request so far, in order.
func (l *RESTLog) Requests() []RESTRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// WaitRequests waits until at least n requests came and returns them all;
// the test fails when they do not within timeout.
func (l *RESTLog) WaitRequests(t testing.TB, n int, timeout time.Duration) []RESTRequest {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		reqs, ch := slices.Clone(l.reqs), l.changed
		l.mu.Unlock()
		if len(reqs) >= n {
			return reqs
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("%d REST requests, want %d: %v", len(reqs), n, reqs)
		}
	}
}

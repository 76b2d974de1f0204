package httpx

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/feedtest"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, "junk": 0, "-5": 0, "7200": 2 * time.Hour, "99999999999999999": 24 * time.Hour,
		now.Add(7 * time.Second).Format(http.TimeFormat): 7 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):      0,
		now.Add(48 * time.Hour).Format(http.TimeFormat):  24 * time.Hour,
	} {
		if got := RetryAfter(h, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", h, got, want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for try, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		for range 50 {
			got := Backoff(time.Second, 10*time.Second, try)
			if got < want*8/10 || got > want*12/10 {
				t.Fatalf("try %d: %v, want %v ±20%%", try, got, want)
			}
		}
	}
	if got := Backoff(time.Second, 10*time.Second, 200); got < 8*time.Second || got > 12*time.Second {
		t.Fatalf("a huge try is not capped: %v", got)
	}
}

// The pacer spaces starts on its clock and holds every start back after
// a Delay; a cancelled wait returns at once.
func TestPacer(t *testing.T) {
	t0 := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	clock := feedtest.NewFakeClock(t0)
	p := NewPacer(clock, time.Second)
	if err := p.Wait(context.Background()); err != nil { // the first starts at once
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Wait(context.Background()) }()
	if !clock.WaitTimers(1, wait) {
		t.Fatal("the second start did not wait")
	}
	clock.Advance(999 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("started before its second")
	default:
	}
	clock.Advance(time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.Delay(30 * time.Second)
	if h := p.Held(); h != 30*time.Second {
		t.Fatalf("held %v after a 30s delay", h)
	}
	p.Delay(time.Second) // a shorter delay does not shorten a longer one
	if h := p.Held(); h != 30*time.Second {
		t.Fatalf("held %v after a shorter delay", h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx); err != context.Canceled {
		t.Fatalf("cancelled wait: %v", err)
	}
	clock.Advance(time.Hour)
	if h := p.Held(); h != 0 {
		t.Fatalf("held %v after the delay passed", h)
	}
}

func TestGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "tokentop" || r.Header.Get("Accept") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/big" {
			w.Write([]byte(strings.Repeat("x", 11)))
			return
		}
		w.Header().Set("Retry-After", "4")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"message":"slow down"}`))
	}))
	defer srv.Close()
	a, err := Get(context.Background(), srv.Client(), srv.URL+"/x", 100)
	if err != nil || a.Status != http.StatusTooManyRequests || string(a.Body) != `{"message":"slow down"}` || a.Header.Get("Retry-After") != "4" {
		t.Fatalf("got %+v %v", a, err)
	}
	if _, err := Get(context.Background(), srv.Client(), srv.URL+"/big", 10); err == nil || err.Error() != "answer larger than 10 bytes" {
		t.Fatalf("an 11-byte answer capped at 10: %v", err)
	}
	if a, err := Get(context.Background(), srv.Client(), srv.URL+"/big", 11); err != nil || len(a.Body) != 11 {
		t.Fatalf("an answer at the cap: %q %v", a.Body, err)
	}
}

// wait bounds every wait on a condition.
const wait = 10 * time.Second

// rig is a Requester against a local server answering from a script, on a
// fake clock, with the notes it shows.
type rig struct {
	srv   *feedtest.RESTServer
	clock *feedtest.FakeClock
	req   *Requester
	mu    sync.Mutex
	notes []string
}

func newRig(t *testing.T, answers ...feedtest.Response) *rig {
	r := &rig{srv: feedtest.NewRESTServer(t), clock: feedtest.NewFakeClock(time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC))}
	r.srv.Route("/x", answers...)
	r.req = &Requester{Exchange: "kraken", HTTP: r.srv.Client(), Pace: NewPacer(r.clock, 0), Clock: r.clock, MaxBody: 1 << 10,
		Tries: 3, RetryBase: time.Second, RetryMax: 4 * time.Second,
		Note: func(s string) { r.mu.Lock(); r.notes = append(r.notes, s); r.mu.Unlock() }}
	return r
}

func (r *rig) noteList() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.notes, "|")
}

// check is an adapter's verdict: 200 done, 429/418 limited, 5xx retry,
// the rest refused.
func check(a Answer) (Verdict, error) {
	switch {
	case a.Status == http.StatusOK:
		return Done, nil
	case a.Status == http.StatusTooManyRequests || a.Status == http.StatusTeapot:
		return Limited, fmt.Errorf("limited %d", a.Status)
	case a.Status >= 500:
		return Retry, fmt.Errorf("HTTP %d", a.Status)
	}
	return Refused, fmt.Errorf("refused %d", a.Status)
}

// do runs one request in the background.
func (r *rig) do() <-chan error {
	done := make(chan error, 1)
	go func() { done <- r.req.Do(context.Background(), r.srv.URL+"/x", check) }()
	return done
}

// A rate limit waits Retry-After on the clock (seconds or an HTTP date),
// says so in the status, and clears the note when a request succeeds.
func TestRequesterWaitsOutRateLimits(t *testing.T) {
	feedtest.NoLeaks(t)
	for _, ra := range []string{"30", "date"} {
		r := newRig(t)
		h := ra
		if ra == "date" {
			h = r.clock.Now().Add(30 * time.Second).Format(http.TimeFormat)
		}
		r.srv.Route("/x", feedtest.Response{Status: 429, Header: map[string]string{"Retry-After": h}}, feedtest.Response{Body: []byte("{}")})
		done := r.do()
		if !r.clock.WaitTimers(1, wait) {
			t.Fatalf("Retry-After %s: not waiting", ra)
		}
		r.clock.Advance(29 * time.Second)
		if n := r.srv.Hits("/x"); n != 1 {
			t.Fatalf("Retry-After %s: %d requests before the wait was over", ra, n)
		}
		r.clock.Advance(time.Second)
		if err := <-done; err != nil {
			t.Fatalf("Retry-After %s: %v", ra, err)
		}
		if got := r.noteList(); got != "rate limited by kraken, retrying in 30s|" {
			t.Errorf("Retry-After %s: notes %q", ra, got)
		}
	}
}

// 5xx and broken answers back off and try again; a refusal stops at once;
// tries run out in words; a ban longer than MaxRateWait gives up with it.
func TestRequesterRetriesAndGivesUp(t *testing.T) {
	feedtest.NoLeaks(t)
	r := newRig(t, feedtest.Response{Status: 503}, feedtest.Response{Status: 502}, feedtest.Response{Body: []byte("{}")})
	done := r.do()
	for i := range 2 {
		if !r.clock.WaitTimers(1, wait) {
			t.Fatalf("backoff %d: not waiting", i)
		}
		r.clock.Advance(5 * time.Second)
	}
	if err := <-done; err != nil || r.srv.Hits("/x") != 3 {
		t.Fatalf("%v after %d requests", err, r.srv.Hits("/x"))
	}

	r = newRig(t, feedtest.Response{Status: 503})
	done = r.do()
	for range 2 {
		if !r.clock.WaitTimers(1, wait) {
			t.Fatal("not waiting")
		}
		r.clock.Advance(5 * time.Second)
	}
	if err := <-done; err == nil || err.Error() != "HTTP 503 (gave up after 3 tries)" || r.srv.Hits("/x") != 3 {
		t.Fatalf("%v after %d requests", err, r.srv.Hits("/x"))
	}

	r = newRig(t, feedtest.Response{Status: 400})
	if err := <-r.do(); err == nil || err.Error() != "refused 400" || r.srv.Hits("/x") != 1 {
		t.Fatalf("refused: %v after %d requests", err, r.srv.Hits("/x"))
	}

	r = newRig(t, feedtest.RetryAfter(418, 7200, nil))
	if err := <-r.do(); err == nil || err.Error() != "kraken has banned this IP for too many requests for 2h; history is unavailable until then" {
		t.Fatalf("ban: %v", err)
	}
	if r.req.Pace.Held() != 0 {
		t.Error("a ban given up on holds the pacer back")
	}
}

// RateTries waits out rate limits without counting them as tries.
func TestRequesterRateTries(t *testing.T) {
	feedtest.NoLeaks(t)
	r := newRig(t, feedtest.RetryAfter(429, 1, nil), feedtest.RetryAfter(429, 1, nil), feedtest.RetryAfter(429, 1, nil),
		feedtest.Response{Body: []byte("{}")})
	r.req.Tries, r.req.RateTries = 1, 3
	done := r.do()
	for i := range 3 {
		if !r.clock.WaitTimers(1, wait) {
			t.Fatalf("rate limit %d: not waiting", i)
		}
		r.clock.Advance(time.Second)
	}
	if err := <-done; err != nil || r.srv.Hits("/x") != 4 {
		t.Fatalf("%v after %d requests", err, r.srv.Hits("/x"))
	}
}

func TestBackfillSkipsAFailedSymbol(t *testing.T) {
	type req struct{ sym, n int }
	var (
		mu      sync.Mutex
		ran     []req
		logged  int
		workers int
	)
	b := Backfill[req]{
		Exchange: "kraken", Symbols: 3, Workers: 1,
		Symbol: func(r req) int { return r.sym },
		Worker: func() func(req) error {
			workers++
			return func(r req) error {
				mu.Lock()
				ran = append(ran, r)
				mu.Unlock()
				if r.sym == 1 {
					return fmt.Errorf("refused %d", r.n)
				}
				return nil
			}
		},
		Failed: func(req, error) { logged++ },
	}
	err := b.Run(context.Background(), []req{{0, 0}, {1, 0}, {1, 1}, {2, 0}, {1, 2}})
	if err == nil || err.Error() != "kraken: history for 1 of 3 symbols failed: refused 0" {
		t.Fatalf("err = %v", err)
	}
	// {1 1} may already be handed over when {1 0} fails; {1 2} comes after
	// the worker took {2 0}, so it is skipped.
	if s := fmt.Sprint(ran); s != "[{0 0} {1 0} {2 0}]" && s != "[{0 0} {1 0} {1 1} {2 0}]" || logged != len(ran)-2 || workers != 1 {
		t.Fatalf("ran %v, logged %d, workers %d", ran, logged, workers)
	}
	b.Workers = 0 // at least one worker
	if err := b.Run(context.Background(), []req{{0, 0}, {2, 1}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	logged = 0
	if err := b.Run(ctx, []req{{1, 0}, {1, 1}}); err != context.Canceled || logged != 0 {
		t.Fatalf("cancelled: %v, %d failures logged", err, logged)
	}
}

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
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, "junk": 0, "-5": 0, "99999": 10 * time.Minute,
		now.Add(7 * time.Second).Format(http.TimeFormat): 7 * time.Second,
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

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("cancelled sleep: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("a cancelled sleep did not return at once")
	}
}

func TestPacer(t *testing.T) {
	var (
		mu    sync.Mutex
		notes []string
	)
	p := NewPacer(20*time.Millisecond, func(r string) { mu.Lock(); notes = append(notes, r); mu.Unlock() })
	start := time.Now()
	for range 4 {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("4 starts 20 ms apart took %v", d)
	}
	p.Delay(50 * time.Millisecond)
	start = time.Now()
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("a delayed start came after %v", d)
	}
	p.OK() // nothing showing: no note
	p.Limited("kraken", 3*time.Second)
	p.OK()
	p.OK()
	mu.Lock()
	got := strings.Join(notes, "|")
	mu.Unlock()
	if got != "rate limited by kraken, retrying in 3s|" {
		t.Fatalf("notes %q", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Delay(time.Hour)
	if err := p.Wait(ctx); err != context.Canceled {
		t.Fatalf("cancelled wait: %v", err)
	}
	NewPacer(0, nil).Limited("coinbase", time.Second) // no note func: no panic
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
	status, body, ra, err := Get(context.Background(), srv.Client(), srv.URL+"/x", 100)
	if err != nil || status != http.StatusTooManyRequests || string(body) != `{"message":"slow down"}` || ra != 4*time.Second {
		t.Fatalf("got %d %q %v %v", status, body, ra, err)
	}
	if _, _, _, err := Get(context.Background(), srv.Client(), srv.URL+"/big", 10); err == nil || err.Error() != "answer too large" {
		t.Fatalf("an 11-byte answer capped at 10: %v", err)
	}
	if _, body, _, err := Get(context.Background(), srv.Client(), srv.URL+"/big", 11); err != nil || len(body) != 11 {
		t.Fatalf("an answer at the cap: %q %v", body, err)
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

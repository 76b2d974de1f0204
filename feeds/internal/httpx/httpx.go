// Package httpx is the REST plumbing the exchange adapters share for
// history backfill: a request pacer shared by all workers, the capped GET,
// Retry-After reading, backoff with jitter and a sleep that ends with its
// context.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Get performs one GET of u and returns the status, the body (at most
// maxBody bytes; a longer answer is an error) and the server's Retry-After,
// if any.
func Get(ctx context.Context, client *http.Client, u string, maxBody int64) (int, []byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("User-Agent", "tokentop") // Kraken requires one
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("reading the answer: %w", err)
	}
	if int64(len(body)) > maxBody {
		return 0, nil, 0, errors.New("answer too large")
	}
	return resp.StatusCode, body, RetryAfter(resp.Header.Get("Retry-After"), time.Now()), nil
}

// RetryAfter reads a Retry-After header: seconds or an HTTP date. Zero
// when absent or unreadable; capped at 10 minutes.
func RetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(h); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, 10*time.Minute)
}

// Backoff is base*2^try with ±20% jitter, capped at most.
func Backoff(base, most time.Duration, try int) time.Duration {
	d := base << min(try, 20)
	if d > most || d <= 0 {
		d = most
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Sleep waits d, or less if ctx ends first (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pacer spaces request starts at least every apart, shared by all workers.
type Pacer struct {
	mu    sync.Mutex
	next  time.Time
	every time.Duration
	// note tells the supervisor (and so the status bar) what the backfill
	// is waiting for; "" clears it. noted says a note is showing.
	note  func(reason string)
	noted bool
}

// NewPacer returns a Pacer that starts requests at least every apart and
// reports rate-limit waits through note (nil: no reports).
func NewPacer(every time.Duration, note func(reason string)) *Pacer {
	return &Pacer{every: every, note: note}
}

// Limited shows "rate limited by <exchange>, retrying in N s" while the
// backfill waits out a rate limit.
func (p *Pacer) Limited(exchange string, wait time.Duration) {
	if p.note == nil {
		return
	}
	// The note is made under the lock, so a worker's OK cannot overtake
	// another's Limited and leave a note showing for good.
	p.mu.Lock()
	defer p.mu.Unlock()
	p.noted = true
	p.note(fmt.Sprintf("rate limited by %s, retrying in %s", exchange, wait.Round(time.Second)))
}

// OK clears a rate-limit note once requests succeed again.
func (p *Pacer) OK() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.noted && p.note != nil {
		p.note("")
	}
	p.noted = false
}

// Wait blocks until the next request may start (or ctx ends).
func (p *Pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	t := p.next
	if t.Before(now) {
		t = now
	}
	p.next = t.Add(p.every)
	p.mu.Unlock()
	if d := time.Until(t); d > 0 {
		return Sleep(ctx, d)
	}
	return ctx.Err()
}

// Delay holds every request back for at least d from now.
func (p *Pacer) Delay(d time.Duration) {
	p.mu.Lock()
	if t := time.Now().Add(d); t.After(p.next) {
		p.next = t
	}
	p.mu.Unlock()
}

// Backfill runs the requests of a history backfill on a few workers. Each
// request belongs to a symbol; once one of a symbol's requests fails, the
// symbol's later requests are skipped and the others carry on.
type Backfill[R any] struct {
	Exchange string               // names the exchange in the error: "coinbase"
	Symbols  int                  // how many symbols the requests cover
	Workers  int                  // requests in flight at once (at least 1)
	Symbol   func(R) int          // the position of a request's symbol
	Worker   func() func(R) error // makes one worker's request runner (it may keep buffers)
	Failed   func(R, error)       // told of each failure while ctx is live (for the log)
}

// Run runs reqs in order and returns once every started request is done:
// ctx's error when ctx ended, else, when symbols failed,
// "<exchange>: history for N of M symbols failed: <first reason>".
func (b Backfill[R]) Run(ctx context.Context, reqs []R) error {
	jobs := make(chan R)
	var (
		mu       sync.Mutex
		failed   = make(map[int]bool)
		firstErr error
		wg       sync.WaitGroup
	)
	for w := 0; w < max(1, b.Workers); w++ {
		wg.Add(1)
		run := b.Worker()
		go func() {
			defer wg.Done()
			for rq := range jobs {
				if err := run(rq); err != nil && ctx.Err() == nil {
					b.Failed(rq, err)
					mu.Lock()
					if sym := b.Symbol(rq); !failed[sym] {
						failed[sym] = true
						if firstErr == nil {
							firstErr = err
						}
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for _, rq := range reqs {
		mu.Lock()
		skip := failed[b.Symbol(rq)]
		mu.Unlock()
		if skip {
			continue
		}
		select {
		case jobs <- rq:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	if firstErr != nil {
		return fmt.Errorf("%s: history for %d of %d symbols failed: %w", b.Exchange, len(failed), b.Symbols, firstErr)
	}
	return nil
}

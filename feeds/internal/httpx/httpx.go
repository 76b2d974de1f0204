// Package httpx is the REST plumbing the exchange adapters share for
// history backfill: a request pacer shared by all workers, the capped GET,
// Retry-After reading (seconds or an HTTP date), backoff with jitter, and
// a Requester that retries a request the same way for every exchange. Its
// waits run on the adapter's feeds.Clock, so tests advance time instead of
// sleeping.
package httpx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/model"
)

// Answer is one HTTP answer: its status, headers and body.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Get performs one GET of u and returns the answer, its body at most
// maxBody bytes (a longer answer is an error).
func Get(ctx context.Context, client *http.Client, u string, maxBody int64) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("User-Agent", "tokentop") // Kraken requires one
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return Answer{}, fmt.Errorf("reading the answer: %w", err)
	}
	if int64(len(body)) > maxBody {
		return Answer{}, fmt.Errorf("answer larger than %d bytes", maxBody)
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// maxRetryAfter bounds what RetryAfter returns: a server asking for more
// is, for a trader, a server that will not answer today.
const maxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After header: seconds or an HTTP date. Zero
// when absent, unreadable or past; at most a day.
func RetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}

// Backoff is base*2^try with ±20% jitter, capped at most.
func Backoff(base, most time.Duration, try int) time.Duration {
	d := base << min(try, 20)
	if d > most || d <= 0 {
		d = most
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Pacer spaces request starts at least every apart, shared by all
// workers, and holds them all back after a rate limit.
type Pacer struct {
	clock feeds.Clock
	every time.Duration
	mu    sync.Mutex
	next  time.Time
}

// NewPacer returns a Pacer that starts requests at least every apart on
// clock (nil: the wall clock).
func NewPacer(clock feeds.Clock, every time.Duration) *Pacer {
	if clock == nil {
		clock = feeds.RealClock{}
	}
	return &Pacer{clock: clock, every: every}
}

// Wait blocks until the next request may start (or ctx ends).
func (p *Pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	now := p.clock.Now()
	t := p.next
	if t.Before(now) {
		t = now
	}
	p.next = t.Add(p.every)
	p.mu.Unlock()
	return feeds.Wait(ctx, p.clock, t.Sub(now))
}

// Delay holds every request back for at least d from now.
func (p *Pacer) Delay(d time.Duration) {
	p.mu.Lock()
	if t := p.clock.Now().Add(d); t.After(p.next) {
		p.next = t
	}
	p.mu.Unlock()
}

// Held is how long from now the next request must wait (0: none).
func (p *Pacer) Held() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.next.Sub(p.clock.Now()), 0)
}

// Verdict is what an adapter makes of an answer.
type Verdict int

const (
	Done    Verdict = iota // the answer is used: stop
	Retry                  // a passing failure (5xx, a broken connection): try again after a backoff
	Limited                // the exchange is rate limiting: every request waits, then this one tries again
	Refused                // the exchange refused the request itself: trying again would not help
)

// Requester makes an exchange's history requests: paced, retried with
// backoff, waiting out rate limits (Retry-After, seconds or a date) for
// every worker at once and saying so in the status bar. One Requester
// serves one backfill; its Pace may be shared wider.
type Requester struct {
	Exchange  string       // "binance": in notes and errors
	HTTP      *http.Client // required
	Pace      *Pacer       // required
	Clock     feeds.Clock  // nil: the wall clock
	MaxBody   int64        // largest answer read
	Tries     int          // tries of one request (rate limits included unless RateTries), at least 1
	RateTries int          // extra tries for rate limits, not counted in Tries
	RetryBase time.Duration
	RetryMax  time.Duration
	// RateWait is the wait after a rate limit without Retry-After; 0
	// backs off like any retry.
	RateWait time.Duration
	// MaxRateWait: a rate limit asking for longer gives up on the request
	// with the wait in words; default 10 minutes.
	MaxRateWait time.Duration
	Note        func(reason string) // the feed's status note; nil: none
	Log         *slog.Logger        // nil: none

	// noteMu orders the notes: a worker's ok cannot overtake another's
	// note and leave a rate-limit note showing for good.
	noteMu sync.Mutex
	noted  bool
}

// defaultMaxRateWait is Requester.MaxRateWait's default.
const defaultMaxRateWait = 10 * time.Minute

// Do GETs u until check says Done or Refused (Do returns check's error,
// nil when Done) or the tries run out (the last failure, "(gave up after
// N tries)"). check sees every answer that came; a failed connection is a
// Retry without asking it. A 418 (an IP ban) or 429 that check calls
// Limited reads "<exchange> has banned this IP for too many requests" or
// "rate limited by <exchange>".
func (r *Requester) Do(ctx context.Context, u string, check func(Answer) (Verdict, error)) error {
	clock := r.Clock
	if clock == nil {
		clock = feeds.RealClock{}
	}
	tries, limited := max(1, r.Tries), 0
	var lastErr error
	for try := 0; try < tries; try++ {
		if err := r.Pace.Wait(ctx); err != nil {
			return err
		}
		ans, err := Get(ctx, r.HTTP, u, r.MaxBody)
		verdict := Retry
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			lastErr = err
		} else {
			verdict, err = check(ans)
			switch verdict {
			case Done:
				r.ok()
				return nil
			case Refused:
				return err
			}
			lastErr = err
		}
		wait := RetryAfter(ans.Header.Get("Retry-After"), clock.Now())
		if verdict == Limited {
			words := "rate limited by " + r.Exchange
			if ans.Status == http.StatusTeapot {
				words = r.Exchange + " has banned this IP for too many requests"
			}
			if wait <= 0 {
				wait = r.RateWait
			}
			if wait <= 0 {
				wait = Backoff(r.RetryBase, r.RetryMax, try)
			}
			if most := cmp.Or(r.MaxRateWait, defaultMaxRateWait); wait > most {
				return fmt.Errorf("%s for %s; history is unavailable until then", words, model.FormatWait(wait))
			}
			r.Pace.Delay(wait) // every worker waits, not just this one
			r.note(words + ", retrying in " + model.FormatWait(wait))
			if r.Log != nil {
				r.Log.Warn(words, "status", ans.Status, "wait", wait.String())
			}
			if limited++; limited <= r.RateTries {
				try-- // the wait is the cost, not a try
			}
			continue // the next try's Pace.Wait waits out the delay
		}
		if wait <= 0 {
			wait = Backoff(r.RetryBase, r.RetryMax, try)
		}
		if try+1 < tries {
			if err := feeds.Wait(ctx, clock, wait); err != nil {
				return err
			}
		}
	}
	if lastErr == nil {
		lastErr = errors.New("no answer")
	}
	return fmt.Errorf("%w (gave up after %d tries)", lastErr, tries)
}

// note shows reason in the feed's status.
func (r *Requester) note(reason string) {
	if r.Note != nil {
		r.noteMu.Lock()
		defer r.noteMu.Unlock()
		r.noted = true
		r.Note(reason)
	}
}

// ok clears a rate-limit note once a request succeeds again.
func (r *Requester) ok() {
	r.noteMu.Lock()
	defer r.noteMu.Unlock()
	if r.noted {
		r.noted = false
		r.Note("")
	}
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

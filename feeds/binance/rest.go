package binance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/model"
)

const (
	klinesLimit    = 1000 // rows per request (Binance's maximum)
	maxBody        = 8 << 20
	maxRetries     = 4
	maxRateRetries = 8
	maxRateWait    = 10 * time.Minute // a longer ban gives up on history
	defaultRetry   = 60 * time.Second // when a 429/418 has no Retry-After
)

// span is one interval's share of a backfill.
type span struct {
	res      model.Resolution
	interval string
	from, to int64 // ms
}

// plan splits from..to: 1-minute bars for the last 24 h, hourly bars for the
// last 30 days before that, daily bars beyond.
func plan(from, to time.Time) []span {
	var out []span
	add := func(res model.Resolution, interval string, a, b time.Time) {
		if a.Before(b) {
			out = append(out, span{res, interval, a.UnixMilli(), b.UnixMilli()})
		}
	}
	dayAgo, monthAgo := to.Add(-24*time.Hour), to.Add(-30*24*time.Hour)
	add(model.Day, "1d", from, minTime(monthAgo, to))
	add(model.Hour, "1h", maxTime(from, monthAgo), minTime(dayAgo, to))
	add(model.Minute, "1m", maxTime(from, dayAgo), to)
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Backfill fetches klines covering from..to for every symbol, at most
// Concurrency requests at a time, honouring 429/418 Retry-After and the
// used-weight header.
func (x *Exchange) Backfill(ctx context.Context, sink feeds.Sink, from, to time.Time) error {
	bases, _, err := x.watchlist(ctx, sink, -1) // with Top: the list the session picked (waits for it)
	if err != nil {
		return err
	}
	spans := plan(from, to)
	sem := make(chan struct{}, x.opts.Concurrency)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, base := range bases {
		for _, sp := range spans {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return ctx.Err()
			}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := x.fetch(ctx, sink, base, sp); err != nil && ctx.Err() == nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(errs) > 0 {
		if len(errs) > 1 {
			return fmt.Errorf("%w (and %d more)", errs[0], len(errs)-1)
		}
		return errs[0]
	}
	return nil
}

// fetch pages through one symbol's span.
func (x *Exchange) fetch(ctx context.Context, sink feeds.Sink, base string, sp span) error {
	pair := x.Pair(base)
	step := sp.res.Seconds() * 1000
	for start := sp.from - sp.from%step; start <= sp.to; {
		q := url.Values{}
		q.Set("symbol", pair)
		q.Set("interval", sp.interval)
		q.Set("startTime", strconv.FormatInt(start, 10))
		q.Set("endTime", strconv.FormatInt(sp.to, 10))
		q.Set("limit", strconv.Itoa(klinesLimit))
		body, err := x.get(ctx, sink, "/api/v3/klines?"+q.Encode())
		if err != nil {
			return fmt.Errorf("binance: history of %s: %w", pair, err)
		}
		rows, bad, err := ParseKlines(body, sp.res)
		if err != nil {
			return fmt.Errorf("binance: history of %s: %w", pair, err)
		}
		if bad > 0 {
			x.log.Warn("bad kline rows skipped", "pair", pair, "bad", bad)
		}
		last := int64(-1)
		for _, c := range rows {
			if !sink.Send(ctx, model.Event{Kind: model.EventCandle, Symbol: base, Res: sp.res, Candle: c}) {
				return ctx.Err()
			}
			last = max(last, c.T*1000)
		}
		if len(rows)+bad < klinesLimit || last < start {
			return nil
		}
		start = last + step
	}
	return nil
}

// get makes one GET with the rate-limit rules: wait out any pause, retry
// 429/418 after Retry-After (telling the trader), retry network errors and
// 5xx with backoff, and pause at the next minute when the used weight
// nears the budget.
func (x *Exchange) get(ctx context.Context, sink feeds.Sink, path string) ([]byte, error) {
	var lastErr error
	limited := 0
	for attempt := 0; attempt <= maxRetries; attempt++ {
		if err := x.waitPause(ctx); err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, x.opts.RESTURL+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := x.opts.HTTPClient.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			lastErr = fmt.Errorf("request failed: %w", err)
			if err := feeds.Wait(ctx, x.opts.Clock, time.Second<<attempt); err != nil {
				return nil, err
			}
			continue
		}
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			if rerr != nil {
				lastErr = fmt.Errorf("reading the answer: %w", rerr)
				continue
			}
			x.clearNote(sink)
			x.watchWeight(resp.Header)
			return body, nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusTeapot:
			wait := retryAfter(resp.Header)
			what := "rate limited by binance"
			if resp.StatusCode == http.StatusTeapot {
				what = "binance has banned this IP for too many requests"
			}
			if wait > maxRateWait {
				return nil, fmt.Errorf("%s for %s; history is unavailable until then", what, wait.Round(time.Minute))
			}
			x.pause(wait)
			x.noted.Store(true)
			sink.Status(model.FeedStatus{Reason: fmt.Sprintf("%s, retrying in %s", what, secs(wait))})
			x.log.Warn("rate limited", "status", resp.StatusCode, "retry_after", wait.String())
			lastErr = errors.New(what)
			if limited++; limited <= maxRateRetries {
				attempt-- // a rate limit is not the request failing; the wait is the cost
			}
			continue
		case resp.StatusCode >= 500:
			lastErr = fmt.Errorf("binance answered HTTP %d", resp.StatusCode)
			if err := feeds.Wait(ctx, x.opts.Clock, time.Second<<attempt); err != nil {
				return nil, err
			}
			continue
		default:
			return nil, restError(resp.StatusCode, body)
		}
	}
	return nil, lastErr
}

func secs(d time.Duration) string {
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10) + "s"
}

func (x *Exchange) clearNote(sink feeds.Sink) {
	if x.noted.CompareAndSwap(true, false) {
		sink.Status(model.FeedStatus{})
	}
}

func (x *Exchange) pause(d time.Duration) {
	until := x.opts.Clock.Now().Add(d)
	x.pauseMu.Lock()
	if until.After(x.pauseUntil) {
		x.pauseUntil = until
	}
	x.pauseMu.Unlock()
}

func (x *Exchange) waitPause(ctx context.Context) error {
	x.pauseMu.Lock()
	until := x.pauseUntil
	x.pauseMu.Unlock()
	return feeds.Wait(ctx, x.opts.Clock, until.Sub(x.opts.Clock.Now()))
}

// watchWeight pauses requests until the next minute when the weight used
// this minute is near the budget.
func (x *Exchange) watchWeight(h http.Header) {
	used, err := strconv.Atoi(h.Get("X-Mbx-Used-Weight-1m"))
	if err != nil || used < x.opts.WeightBudget {
		return
	}
	now := x.opts.Clock.Now()
	x.log.Info("request weight near the limit, pausing history", "used", used)
	x.pause(now.Truncate(time.Minute).Add(time.Minute).Sub(now))
}

// retryAfter reads Retry-After in seconds (default 60 s).
func retryAfter(h http.Header) time.Duration {
	s, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || s < 0 {
		return defaultRetry
	}
	return time.Duration(s) * time.Second
}

// restError words a Binance error answer: {"code":-1121,"msg":"Invalid symbol."}.
func restError(status int, body []byte) error {
	var e struct {
		Code *int   `json:"code"`
		Msg  string `json:"msg"`
	}
	if json.Unmarshal(body, &e) == nil && e.Code != nil && e.Msg != "" {
		return fmt.Errorf("binance refused: %s (code %d)", clip([]byte(e.Msg)), *e.Code)
	}
	return fmt.Errorf("binance answered HTTP %d", status)
}

// ParseKlines reads a /api/v3/klines answer: rows of [openTime, open, high,
// low, close, volume, ...] with prices as decimal strings. Rows that are
// malformed or inconsistent are skipped and counted in bad; an answer that
// is not an array of rows is an error.
func ParseKlines(body []byte, res model.Resolution) (rows []model.Candle, bad int, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '[' {
		if restErr := restError(http.StatusOK, body); len(body) > 0 && body[0] == '{' {
			return nil, 0, restErr
		}
		return nil, 0, errors.New("unexpected answer (not a list of klines)")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, 0, errors.New("unreadable answer (not valid JSON)")
	}
	step := res.Seconds() * 1000
	rows = make([]model.Candle, 0, len(raw))
	for _, r := range raw {
		c, ok := klineRow(r, step)
		if !ok {
			bad++
			continue
		}
		rows = append(rows, c)
	}
	return rows, bad, nil
}

func klineRow(r json.RawMessage, step int64) (model.Candle, bool) {
	var cells []json.RawMessage
	if json.Unmarshal(r, &cells) != nil || len(cells) < 6 {
		return model.Candle{}, false
	}
	open, ok := millis(val{Raw: cells[0], Kind: kNumber})
	if !ok || open%step != 0 {
		return model.Candle{}, false
	}
	var f [5]float64
	for i := range f {
		s := cells[i+1]
		if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
			return model.Candle{}, false
		}
		v, ok := decimal(val{Raw: s[1 : len(s)-1], Kind: kString, Esc: bytes.IndexByte(s, '\\') >= 0})
		if !ok {
			return model.Candle{}, false
		}
		f[i] = v
	}
	o, h, l, c, v := f[0], f[1], f[2], f[3], f[4]
	if !(l > 0) || h < l || o < l || o > h || c < l || c > h || v < 0 || math.IsInf(h, 0) {
		return model.Candle{}, false
	}
	return model.Candle{T: open / 1000, Open: o, High: h, Low: l, Close: c, Volume: v}, true
}

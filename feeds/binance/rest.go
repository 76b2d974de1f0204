package binance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/httpx"
	"github.com/tokentop/tokentop/model"
)

const (
	klinesLimit    = 1000 // rows per request (Binance's maximum)
	maxBody        = 8 << 20
	maxRetries     = 5                // tries of one request (network errors, 5xx)
	maxRateRetries = 8                // rate limits waited out per request, on top
	defaultRetry   = 60 * time.Second // when a 429/418 has no Retry-After
)

// page is one klines request: bars of one resolution from..to (ms, bar
// open times), at most klinesLimit of them.
type page struct {
	symbol   int // position in the backfill's bases
	res      model.Resolution
	interval string
	from, to int64 // ms
}

// plan splits from..to into pages: 1-minute bars for the last 24 h, hourly
// bars for the last 30 days before that, daily bars beyond.
func plan(symbol int, from, to time.Time) []page {
	var out []page
	add := func(res model.Resolution, interval string, a, b time.Time) {
		if !a.Before(b) {
			return
		}
		step := res.Seconds() * 1000
		first, last := a.UnixMilli()-a.UnixMilli()%step, b.UnixMilli()
		for s := first; s <= last; s += klinesLimit * step {
			out = append(out, page{symbol, res, interval, s, min(s+(klinesLimit-1)*step, last)})
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
// Concurrency requests at a time (httpx.Backfill and Requester: 429/418
// waited out after Retry-After for every request, the used-weight header
// heeded). A symbol whose request fails skips its other requests; the
// others carry on.
func (x *Exchange) Backfill(ctx context.Context, sink feeds.Sink, from, to time.Time) error {
	bases, _, err := x.watchlist(ctx, sink, -1) // with Top: the list the session picked (waits for it)
	if err != nil {
		return err
	}
	var pages []page
	for i := range bases {
		pages = append(pages, plan(i, from, to)...)
	}
	if len(pages) == 0 {
		return nil
	}
	req := &httpx.Requester{
		Exchange: "binance", HTTP: x.opts.HTTPClient, Pace: x.pace, Clock: x.opts.Clock, MaxBody: maxBody,
		Tries: maxRetries, RateTries: maxRateRetries, RetryBase: time.Second, RetryMax: 16 * time.Second, RateWait: defaultRetry,
		Note: func(reason string) { sink.Status(model.FeedStatus{Reason: reason}) }, Log: x.log,
	}
	return httpx.Backfill[page]{
		Exchange: "binance",
		Symbols:  len(bases),
		Workers:  x.opts.Concurrency,
		Symbol:   func(pg page) int { return pg.symbol },
		Worker: func() func(page) error {
			return func(pg page) error { return x.fetch(ctx, req, sink, bases[pg.symbol], pg) }
		},
		Failed: func(pg page, err error) {
			x.log.Warn("history request failed", "pair", x.Pair(bases[pg.symbol]), "err", err)
		},
	}.Run(ctx, pages)
}

// fetch requests one page and sends its bars.
func (x *Exchange) fetch(ctx context.Context, req *httpx.Requester, sink feeds.Sink, base string, pg page) error {
	pair := x.Pair(base)
	q := url.Values{}
	q.Set("symbol", pair)
	q.Set("interval", pg.interval)
	q.Set("startTime", strconv.FormatInt(pg.from, 10))
	q.Set("endTime", strconv.FormatInt(pg.to, 10))
	q.Set("limit", strconv.Itoa(klinesLimit))
	var rows []model.Candle
	err := req.Do(ctx, x.opts.RESTURL+"/api/v3/klines?"+q.Encode(), func(a httpx.Answer) (httpx.Verdict, error) {
		switch {
		case a.Status == http.StatusOK:
			x.watchWeight(a.Header)
			var bad int
			var err error
			if rows, bad, err = ParseKlines(a.Body, pg.res); err != nil {
				return httpx.Refused, err
			}
			if bad > 0 {
				x.log.Warn("bad kline rows skipped", "pair", pair, "bad", bad)
			}
			return httpx.Done, nil
		case a.Status == http.StatusTooManyRequests:
			return httpx.Limited, errors.New("rate limited by binance")
		case a.Status == http.StatusTeapot:
			return httpx.Limited, errors.New("binance has banned this IP for too many requests")
		case a.Status >= 500:
			return httpx.Retry, fmt.Errorf("binance answered HTTP %d", a.Status)
		}
		return httpx.Refused, restError(a.Status, a.Body)
	})
	if err != nil {
		return fmt.Errorf("history of %s: %w", pair, err)
	}
	for _, c := range rows {
		if !sink.Send(ctx, model.Event{Kind: model.EventCandle, Symbol: base, Res: pg.res, Candle: c}) {
			return ctx.Err()
		}
	}
	return nil
}

// watchWeight holds requests back until the next minute when the weight
// used this minute is near the budget.
func (x *Exchange) watchWeight(h http.Header) {
	used, err := strconv.Atoi(h.Get("X-Mbx-Used-Weight-1m"))
	if err != nil || used < x.opts.WeightBudget {
		return
	}
	now := x.opts.Clock.Now()
	x.log.Info("request weight near the limit, pausing history", "used", used)
	x.pace.Delay(now.Truncate(time.Minute).Add(time.Minute).Sub(now))
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

package coinbase

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/httpx"
	"github.com/tokentop/tokentop/feeds/internal/jsonscan"
	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// maxCandles is the most candles Coinbase returns for one request.
const maxCandles = 300

// maxBody caps a REST answer (300 rows are about 25 KB).
const maxBody = 4 << 20

// page is one candles request: bars of gran seconds starting in
// [start, end] (both bucket starts, Unix seconds).
type page struct {
	product    int
	gran       int64
	start, end int64
}

// planPages splits from..to into requests of at most maxCandles bars:
// 1-minute bars for the last 24 hours, hourly bars for the 30 days before,
// daily bars before that (the market keeps no finer history that old).
func planPages(product int, from, to time.Time) []page {
	f, t := from.Unix(), to.Unix()
	if t <= f {
		return nil
	}
	if f < t-366*86400 {
		f = t - 366*86400
	}
	minuteFrom := max(f, t-86400)
	hourFrom := max(f, t-30*86400)
	var out []page
	add := func(gran, a, b int64) { // bars starting in [a, b)
		if b <= a {
			return
		}
		first := a - a%gran
		last := (b - 1) - (b-1)%gran
		for s := first; s <= last; s += maxCandles * gran {
			out = append(out, page{product, gran, s, min(s+(maxCandles-1)*gran, last)})
		}
	}
	add(86400, f, hourFrom)
	add(3600, hourFrom, minuteFrom)
	add(60, minuteFrom, t+1)
	return out
}

func resolution(gran int64) model.Resolution {
	switch gran {
	case 60:
		return model.Minute
	case 3600:
		return model.Hour
	}
	return model.Day
}

// Backfill fetches the candles covering from..to for every product (see
// planPages) and sends them to sink, oldest first per request. It keeps
// under Coinbase's public limit (10 requests/s): at most 3 requests in
// flight, started at least 150 ms apart, and on HTTP 429 every worker waits
// (Retry-After when given, else exponential backoff with jitter). A bar
// that has not closed yet (the current minute) is not sent: the live feed
// builds it. Failing products do not stop the others; the error names how
// many failed and the first reason.
func (e *Exchange) Backfill(ctx context.Context, sink feeds.Sink, from, to time.Time) error {
	return venue.Backfill(ctx, &e.base, sink, from, to, venue.Candles[page]{
		Plan:   planPages,
		Symbol: func(pg page) int { return pg.product },
		Fetch:  e.fetchPage,
		Res:    func(pg page) model.Resolution { return resolution(pg.gran) },
		Keep: func(pg page) func(model.Candle) bool {
			now := e.now().Unix()
			return func(c model.Candle) bool { // inside what was asked, and closed
				return c.T >= pg.start && c.T <= pg.end && c.T+pg.gran <= now
			}
		},
		Failed: func(pg page, err error) {
			e.base.Log.Warn("coinbase: history request failed", "product", e.products[pg.product], "err", err)
		},
	})
}

// fetchPage requests one page.
func (e *Exchange) fetchPage(ctx context.Context, req *httpx.Requester, pg page, dst []model.Candle) ([]model.Candle, error) {
	product := e.products[pg.product]
	u := fmt.Sprintf("%s/products/%s/candles?granularity=%d&start=%s&end=%s", e.base.RESTURL, url.PathEscape(product), pg.gran,
		url.QueryEscape(time.Unix(pg.start, 0).UTC().Format(time.RFC3339)),
		url.QueryEscape(time.Unix(pg.end, 0).UTC().Format(time.RFC3339)))
	rows := dst
	err := req.Do(ctx, u, func(a httpx.Answer) (httpx.Verdict, error) {
		switch {
		case a.Status == http.StatusOK:
			var bad int
			var reason string
			var err error
			rows, bad, reason, err = parseCandles(a.Body, dst)
			if err != nil {
				return httpx.Refused, err
			}
			if bad > 0 {
				e.base.Log.Warn("coinbase: bad candle rows skipped", "product", product, "count", bad, "reason", reason)
			}
			return httpx.Done, nil
		case a.Status == http.StatusTooManyRequests:
			return httpx.Limited, errors.New(restErrorWords(a.Status, a.Body))
		case a.Status >= 500:
			return httpx.Retry, errors.New(restErrorWords(a.Status, a.Body))
		}
		return httpx.Refused, errors.New(restErrorWords(a.Status, a.Body))
	})
	if err != nil {
		return dst, fmt.Errorf("candles for %s: %w", product, err)
	}
	return rows, nil
}

// restErrorWords describes a failed REST answer: Coinbase's
// {"message":"..."} when there is one, else the HTTP status.
func restErrorWords(status int, body []byte) string {
	var s jsonscan.Scanner
	s.Reset(body)
	msg := ""
	if s.Peek() == '{' && s.BeginObject() {
		for first := true; ; first = false {
			k, ok := s.Key(first)
			if !ok {
				break
			}
			if string(k) == "message" && s.Peek() == '"' {
				v, ok := s.Str()
				if !ok {
					break
				}
				msg = strings.TrimSpace(safetext.Line(string(v), venue.MaxText))
				continue
			}
			if !s.Skip() {
				break
			}
		}
	}
	if !s.End() {
		msg = ""
	}
	switch {
	case status == http.StatusTooManyRequests:
		return "rate limited by Coinbase (HTTP 429)"
	case msg != "":
		return fmt.Sprintf("%s (HTTP %d)", msg, status)
	}
	return fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
}

// parseCandles reads a candles answer: an array of rows
// [time, low, high, open, close, volume], newest first. It returns the
// valid rows oldest first (appended to dst), how many rows were bad and the
// first bad row's reason. err is set when the body is not a candles array
// at all.
func parseCandles(body []byte, dst []model.Candle) (rows []model.Candle, bad int, reason string, err error) {
	var s jsonscan.Scanner
	s.Reset(body)
	rows = dst
	if c := s.Peek(); c != '[' {
		if c == '{' {
			return rows, 0, "", fmt.Errorf("unexpected answer: %s", restErrorWords(http.StatusOK, body))
		}
		if c == 0 {
			return rows, 0, "", errors.New("empty answer")
		}
		return rows, 0, "", errors.New("the answer is not a list of candles")
	}
	s.BeginArray()
	for first := true; s.Elem(first); first = false {
		c, why, ok := candleRow(&s)
		if !s.OK() {
			break
		}
		if !ok {
			if bad == 0 {
				reason = why
			}
			bad++
			continue
		}
		rows = append(rows, c)
	}
	if !s.End() {
		return dst, 0, "", fmt.Errorf("malformed answer: %s", s.Err())
	}
	added := rows[len(dst):]
	slices.Reverse(added) // newest first -> oldest first
	if !slices.IsSortedFunc(added, func(a, b model.Candle) int { return cmp.Compare(a.T, b.T) }) {
		slices.SortStableFunc(added, func(a, b model.Candle) int { return cmp.Compare(a.T, b.T) })
	}
	return rows, bad, reason, nil
}

// candleRow reads one row. ok=false with a reason when the row is well
// formed JSON but not a usable candle; a JSON error is left in s.Err().
func candleRow(s *jsonscan.Scanner) (c model.Candle, why string, ok bool) {
	if s.Peek() != '[' {
		if !s.Skip() {
			return c, "", false
		}
		return c, "a row that is not a list", false
	}
	s.BeginArray()
	var v [6]float64
	n := 0
	valid := true
	for first := true; s.Elem(first); first = false {
		if n >= len(v) {
			n++
			if !s.Skip() {
				return c, "", false
			}
			continue
		}
		if ch := s.Peek(); ch == '-' || ch >= '0' && ch <= '9' {
			if n == 0 {
				b, ok := s.Num()
				if !ok {
					return c, "", false
				}
				t, ok := jsonscan.ParseUint(b)
				if !ok || t == 0 || t > 1<<40 {
					valid = false
				}
				v[0] = float64(t)
			} else {
				b, ok := s.Num()
				if !ok {
					return c, "", false
				}
				f, ok := jsonscan.ParseFloat(b)
				if !ok {
					valid = false
				}
				v[n] = f
			}
		} else {
			valid = false
			if !s.Skip() {
				return c, "", false
			}
		}
		n++
	}
	if !s.OK() {
		return c, "", false
	}
	if n != 6 {
		return c, fmt.Sprintf("a row of %d values (want 6)", n), false
	}
	if !valid {
		return c, "a row with a value that is not a number in range", false
	}
	c = model.Candle{T: int64(v[0]), Low: v[1], High: v[2], Open: v[3], Close: v[4], Volume: v[5]}
	if !model.ValidCandle(c) {
		return c, "a candle with impossible prices", false
	}
	return c, "", true
}

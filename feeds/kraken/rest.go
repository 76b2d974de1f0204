package kraken

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/httpx"
	"github.com/tokentop/tokentop/feeds/internal/jsonscan"
	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// maxBody caps a REST answer (720 rows are about 60 KB).
const maxBody = 4 << 20

// request is one OHLC request: bars of interval minutes starting in
// [start, end) (Unix seconds).
type request struct {
	symbol     int
	interval   int64 // minutes: 1, 60 or 1440
	start, end int64
}

// planRequests covers from..to: 1-minute bars for the last 12 hours (Kraken
// serves only the latest 720 rows of any interval), hourly bars for the 30
// days before, daily bars before that.
func planRequests(symbol int, from, to time.Time) []request {
	f, t := from.Unix(), to.Unix()
	if t <= f {
		return nil
	}
	if f < t-366*86400 {
		f = t - 366*86400
	}
	minuteFrom := max(f, t-12*3600)
	hourFrom := max(f, t-30*86400)
	var out []request
	if f < hourFrom {
		out = append(out, request{symbol, 1440, f, hourFrom})
	}
	if hourFrom < minuteFrom {
		out = append(out, request{symbol, 60, hourFrom, minuteFrom})
	}
	return append(out, request{symbol, 1, minuteFrom, t + 1})
}

func resolution(interval int64) model.Resolution {
	switch interval {
	case 1:
		return model.Minute
	case 60:
		return model.Hour
	}
	return model.Day
}

// Backfill fetches OHLC covering from..to for every symbol (see
// planRequests) and sends the committed bars to sink, oldest first. Each
// answer's last row is the unfinished current bar and is dropped. Requests
// are paced a second apart (Kraken's guidance for public REST) with at
// most 2 in flight; "Too many requests" and "Rate limit exceeded" errors
// (which Kraken sends with HTTP 200), HTTP 429 and 5xx are retried with
// backoff. A failing symbol does not stop the others.
func (e *Exchange) Backfill(ctx context.Context, sink feeds.Sink, from, to time.Time) error {
	return venue.Backfill(ctx, &e.base, sink, from, to, venue.Candles[request]{
		Plan:   planRequests,
		Symbol: func(rq request) int { return rq.symbol },
		Fetch:  e.fetch,
		Res:    func(rq request) model.Resolution { return resolution(rq.interval) },
		Keep: func(rq request) func(model.Candle) bool {
			return func(c model.Candle) bool { return c.T >= rq.start && c.T < rq.end }
		},
		Failed: func(rq request, err error) {
			e.base.Log.Warn("kraken: history request failed", "pair", e.pairs[rq.symbol], "err", err)
		},
	})
}

// errRateLimited marks Kraken's throttling errors.
var errRateLimited = errors.New("rate limited by Kraken")

// fetch requests one OHLC interval. Kraken throttles with HTTP 429 or with
// "EGeneral:Too many requests" in a 200 answer; both wait and try again.
func (e *Exchange) fetch(ctx context.Context, req *httpx.Requester, rq request, dst []model.Candle) ([]model.Candle, error) {
	pair := e.pairs[rq.symbol]
	since := rq.start - rq.interval*60 // Kraken returns bars after since
	u := fmt.Sprintf("%s/0/public/OHLC?pair=%s&interval=%d&since=%d", e.base.RESTURL, url.QueryEscape(pair), rq.interval, since)
	rows := dst
	err := req.Do(ctx, u, func(a httpx.Answer) (httpx.Verdict, error) {
		switch {
		case a.Status == http.StatusTooManyRequests:
			return httpx.Limited, fmt.Errorf("%w (HTTP 429)", errRateLimited)
		case a.Status >= 500:
			return httpx.Retry, fmt.Errorf("HTTP %d %s", a.Status, http.StatusText(a.Status))
		case a.Status != http.StatusOK:
			var ae *apiError
			if _, perr := parseOHLC(a.Body, nil); errors.As(perr, &ae) {
				return httpx.Refused, fmt.Errorf("%s (HTTP %d)", ae.words, a.Status)
			}
			return httpx.Refused, fmt.Errorf("HTTP %d %s", a.Status, http.StatusText(a.Status))
		}
		ans, err := parseOHLC(a.Body, dst)
		if errors.Is(err, errRateLimited) {
			return httpx.Limited, err
		}
		if err != nil {
			return httpx.Refused, err
		}
		if ans.bad > 0 {
			e.base.Log.Warn("kraken: bad OHLC rows skipped", "pair", pair, "count", ans.bad, "reason", ans.reason)
		}
		rows = ans.rows
		return httpx.Done, nil
	})
	if err != nil {
		return dst, fmt.Errorf("history for %s (%s): %w", e.base.Symbols[rq.symbol], pair, err)
	}
	return rows, nil
}

// ohlcAnswer is a parsed OHLC answer.
type ohlcAnswer struct {
	rows       []model.Candle // committed bars, oldest first
	unfinished model.Candle   // the last row: the current bar, not final
	hasCurrent bool
	last       int64 // Kraken's "last" (the since for the next poll)
	bad        int   // rows refused
	reason     string
}

// parseOHLC reads {"error":[...],"result":{"<PAIR>":[[time, open, high,
// low, close, vwap, volume, count], ...],"last":N}}. A non-empty error array
// is an error (errRateLimited for throttling) even with HTTP 200. The last
// row is kept apart as unfinished.
func parseOHLC(body []byte, dst []model.Candle) (ans ohlcAnswer, err error) {
	var s jsonscan.Scanner
	s.Reset(body)
	ans.rows = dst
	if c := s.Peek(); c != '{' {
		if c == 0 {
			return ans, errors.New("empty answer")
		}
		return ans, errors.New("the answer is not a Kraken reply")
	}
	s.BeginObject()
	var msgs []string
	hasResult, hasPair := false, false
	lastRaw := -1 // index in rows of the last raw row, if it was valid
	for first := true; ; first = false {
		k, ok := s.Key(first)
		if !ok {
			break
		}
		switch string(k) {
		case "error":
			if msgs, ok = errorArray(&s); !ok {
				return ans, fmt.Errorf("malformed answer: %s", s.Err())
			}
		case "result":
			hasResult = true
			if s.Peek() != '{' {
				if !s.Skip() {
					return ans, fmt.Errorf("malformed answer: %s", s.Err())
				}
				return ans, errors.New("unexpected answer: result is not an object")
			}
			s.BeginObject()
			for first := true; ; first = false {
				k, ok := s.Key(first)
				if !ok {
					break
				}
				switch {
				case string(k) == "last":
					v, ok := s.Num()
					if !ok {
						return ans, fmt.Errorf("malformed answer: %s", s.Err())
					}
					if n, ok := jsonscan.ParseUint(v); ok && n < 1<<40 {
						ans.last = int64(n)
					}
				case !hasPair && s.Peek() == '[':
					hasPair = true
					s.BeginArray()
					for first := true; s.Elem(first); first = false {
						c, why, ok := ohlcRow(&s)
						if !s.OK() {
							break
						}
						if !ok {
							if ans.bad == 0 {
								ans.reason = why
							}
							ans.bad++
							lastRaw = -1
							continue
						}
						ans.rows = append(ans.rows, c)
						lastRaw = len(ans.rows) - 1
					}
					if !s.OK() {
						return ans, fmt.Errorf("malformed answer: %s", s.Err())
					}
				default:
					if !s.Skip() {
						return ans, fmt.Errorf("malformed answer: %s", s.Err())
					}
				}
			}
		default:
			if !s.Skip() {
				return ans, fmt.Errorf("malformed answer: %s", s.Err())
			}
		}
	}
	if !s.End() {
		ans.rows = dst
		return ans, fmt.Errorf("malformed answer: %s", s.Err())
	}
	if len(msgs) > 0 {
		ans.rows = dst
		ae := &apiError{words: errorWords(msgs)}
		for _, m := range msgs {
			if strings.Contains(m, "Too many requests") || strings.Contains(m, "Rate limit") {
				ae.rateLimited = true
			}
		}
		return ans, ae
	}
	if !hasResult || !hasPair {
		ans.rows = dst
		return ans, errors.New("unexpected answer: no OHLC rows for the pair")
	}
	added := ans.rows[len(dst):]
	for i := 1; i < len(added); i++ {
		if added[i].T <= added[i-1].T {
			ans.rows = dst
			return ans, errors.New("unexpected answer: rows out of time order")
		}
	}
	if lastRaw >= 0 && lastRaw == len(ans.rows)-1 && len(added) > 0 {
		ans.unfinished, ans.hasCurrent = ans.rows[lastRaw], true
		ans.rows = ans.rows[:lastRaw]
	}
	return ans, nil
}

// errorArray reads Kraken's "error" array of strings.
func errorArray(s *jsonscan.Scanner) ([]string, bool) {
	if s.Peek() != '[' {
		return nil, s.Fail("error is not a list")
	}
	s.BeginArray()
	var out []string
	for first := true; s.Elem(first); first = false {
		if s.Peek() != '"' {
			return nil, s.Fail("error list holds a non-string")
		}
		v, ok := s.Str()
		if !ok {
			return nil, false
		}
		out = append(out, strings.TrimSpace(safetext.Line(string(v), venue.MaxText)))
	}
	return out, s.OK()
}

// apiError is Kraken's non-empty "error" array, in words.
type apiError struct {
	words       string
	rateLimited bool
}

func (e *apiError) Error() string { return e.words }

func (e *apiError) Unwrap() error {
	if e.rateLimited {
		return errRateLimited
	}
	return nil
}

// errorWords turns Kraken's codes into words a trader reads.
func errorWords(msgs []string) string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		switch m {
		case "EQuery:Unknown asset pair":
			m = "unknown pair on Kraken (EQuery:Unknown asset pair)"
		case "EGeneral:Invalid arguments":
			m = "Kraken refused the request (EGeneral:Invalid arguments)"
		case "EGeneral:Too many requests", "EAPI:Rate limit exceeded":
			m = "too many requests to Kraken (" + m + ")"
		}
		out = append(out, m)
	}
	return strings.Join(out, "; ")
}

// ohlcRow reads [time, "open", "high", "low", "close", "vwap", "volume",
// count]. ok=false with a reason for a well-formed row that is not a usable
// candle; a JSON error is left in s.Err().
func ohlcRow(s *jsonscan.Scanner) (c model.Candle, why string, ok bool) {
	if s.Peek() != '[' {
		if !s.Skip() {
			return c, "", false
		}
		return c, "a row that is not a list", false
	}
	s.BeginArray()
	var v [7]float64
	var t int64
	n, valid := 0, true
	for first := true; s.Elem(first); first = false {
		switch ch := s.Peek(); {
		case n == 0 || n == 7: // time and count: whole numbers
			if ch != '-' && (ch < '0' || ch > '9') {
				valid = false
				if !s.Skip() {
					return c, "", false
				}
				break
			}
			b, ok := s.Num()
			if !ok {
				return c, "", false
			}
			u, ok := jsonscan.ParseUint(b)
			if !ok || u > 1<<40 || n == 0 && u == 0 {
				valid = false
			}
			if n == 0 {
				t = int64(u)
			}
		case n < 7: // decimals in strings
			if ch != '"' {
				valid = false
				if !s.Skip() {
					return c, "", false
				}
				break
			}
			b, ok := s.Str()
			if !ok {
				return c, "", false
			}
			f, ok := jsonscan.ParseFloat(b)
			if len(b) == 0 || jsonscan.NumberLen(b) != len(b) || !ok {
				valid = false
			}
			v[n] = f
		default:
			if !s.Skip() {
				return c, "", false
			}
		}
		n++
	}
	if !s.OK() {
		return c, "", false
	}
	if n != 8 {
		return c, fmt.Sprintf("a row of %d values (want 8)", n), false
	}
	if !valid {
		return c, "a row with a value of the wrong type or out of range", false
	}
	c = model.Candle{T: t, Open: v[1], High: v[2], Low: v[3], Close: v[4], Volume: v[6]}
	if !model.ValidCandle(c) {
		return c, "a candle with impossible prices", false
	}
	return c, "", true
}

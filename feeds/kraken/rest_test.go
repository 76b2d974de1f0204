package kraken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/feeds/internal/jsonscan"
	"github.com/tokentop/tokentop/model"
)

// fixtureOHLC reads an OHLC answer's rows with encoding/json.
func fixtureOHLC(t testing.TB, b []byte) []model.Candle {
	t.Helper()
	var ans struct {
		Result map[string]json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		t.Fatal(err)
	}
	var out []model.Candle
	for k, raw := range ans.Result {
		if k == "last" {
			continue
		}
		var rows [][]any
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			f := func(i int) float64 { v, _ := strconv.ParseFloat(r[i].(string), 64); return v }
			out = append(out, model.Candle{T: int64(r[0].(float64)), Open: f(1), High: f(2), Low: f(3), Close: f(4), Volume: f(6)})
		}
	}
	return out
}

func TestParseOHLC(t *testing.T) {
	for _, name := range []string{"kraken/ohlc_rest.json", "kraken/doc_examples/ohlc_rest.json"} {
		b := feedtest.Fixture(t, name)
		ans, err := parseOHLC(b, nil)
		if err != nil || ans.bad != 0 {
			t.Fatalf("%s: %v %d", name, err, ans.bad)
		}
		all := fixtureOHLC(t, b)
		// The last row is the unfinished current bar: kept apart.
		if !slices.Equal(ans.rows, all[:len(all)-1]) || !ans.hasCurrent || ans.unfinished != all[len(all)-1] {
			t.Fatalf("%s:\n got %+v / %+v\nwant %+v", name, ans.rows, ans.unfinished, all)
		}
	}
	if ans, _ := parseOHLC(feedtest.Fixture(t, "kraken/ohlc_rest.json"), nil); ans.last != 1748862000 {
		t.Fatalf("last %d", ans.last)
	}
	if ans, err := parseOHLC(feedtest.Fixture(t, "bad/empty_kraken_ohlc_rest.json"), nil); err != nil || len(ans.rows) != 0 || ans.hasCurrent {
		t.Fatalf("empty: %+v %v", ans, err)
	}
	for _, c := range []struct {
		name, want string
		limited    bool
	}{
		{"bad/error_kraken_rest_http200.json", "unknown pair", false},
		{"kraken/error_rest_unknown_pair.json", "EQuery:Unknown asset pair", false},
		{"kraken/error_rest_invalid_arguments.json", "Invalid arguments", false},
		{"kraken/error_rest_rate_limited.json", "too many requests", true},
		{"bad/wrong_types_kraken_ohlc_rest_result_array.json", "result is not an object", false},
		{"bad/html_error_page.html", "not a Kraken reply", false},
		{"bad/truncated_kraken_ticker.json", "malformed", false},
		{"bad/json_null.json", "not a Kraken reply", false},
	} {
		_, err := parseOHLC(feedtest.Fixture(t, c.name), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, errRateLimited) != c.limited {
			t.Errorf("%s: err %v, want %q (rate limited %v)", c.name, err, c.want, c.limited)
		}
	}
	// Bad rows are skipped and counted; a bad last row does not eat a good one.
	ans, err := parseOHLC([]byte(`{"error":[],"result":{"XXBTZUSD":[
		[1748844000,"1","2","0.5","1.5","1.2","3",10],
		[1748844060,"NaN","2","0.5","1.5","1.2","3",10],
		[1748844120,"1","2","0.5","1.5","1.2","3"],
		[1748844180,1,2,0.5,1.5,1.2,3,10]],"last":1748844000}}`), nil)
	if err != nil || ans.bad != 3 || len(ans.rows) != 1 || ans.hasCurrent {
		t.Fatalf("bad rows: %+v %v", ans, err)
	}
}

func FuzzParseOHLC(f *testing.F) {
	for _, n := range []string{"kraken/ohlc_rest.json", "kraken/doc_examples/ohlc_rest.json", "kraken/error_rest_rate_limited.json",
		"bad/empty_kraken_ohlc_rest.json", "bad/wrong_types_kraken_ohlc_rest_result_array.json"} {
		f.Add(feedtest.Fixture(f, n))
	}
	for _, nf := range feedtest.BadFrames(f) {
		f.Add(nf.Frame)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ans, err := parseOHLC(b, nil)
		if err != nil {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		for i, c := range ans.rows {
			if !model.ValidCandle(c) || i > 0 && c.T <= ans.rows[i-1].T {
				t.Fatalf("row %+v in %q", c, b)
			}
		}
		// Without duplicate keys, the rows are what encoding/json reads.
		var m struct {
			Error  []string                   `json:"error"`
			Result map[string]json.RawMessage `json:"result"`
		}
		if json.Unmarshal(b, &m) != nil || len(m.Result) != 1 && len(m.Result) != 2 {
			return
		}
		for k, raw := range m.Result {
			var rows [][]any
			if k == "last" || json.Unmarshal(raw, &rows) != nil {
				continue
			}
			var want []model.Candle
			for _, r := range rows {
				if len(r) != 8 {
					continue
				}
				ts, ok0 := r[0].(float64)
				var v [7]float64
				ok := ok0
				for i := 1; i < 7; i++ {
					s, isStr := r[i].(string)
					x, err := strconv.ParseFloat(s, 64)
					ok = ok && isStr && err == nil && jsonscan.NumberLen([]byte(s)) == len(s) && s != ""
					v[i] = x
				}
				c := model.Candle{T: int64(ts), Open: v[1], High: v[2], Low: v[3], Close: v[4], Volume: v[6]}
				if ok && model.ValidCandle(c) {
					want = append(want, c)
				}
			}
			for _, c := range ans.rows {
				if !slices.Contains(want, c) {
					t.Fatalf("row %+v not what encoding/json reads in %q", c, b)
				}
			}
		}
	})
}

func TestPlanRequests(t *testing.T) {
	to := time.Unix(1748865600, 0)
	got := planRequests(0, to.Add(-40*24*time.Hour), to)
	want := []request{
		{0, 1440, to.Unix() - 40*86400, to.Unix() - 30*86400},
		{0, 60, to.Unix() - 30*86400, to.Unix() - 12*3600},
		{0, 1, to.Unix() - 12*3600, to.Unix() + 1},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%+v", got)
	}
	if got := planRequests(0, to.Add(-time.Hour), to); len(got) != 1 || got[0].interval != 1 {
		t.Fatalf("%+v", got)
	}
}

func restExchange(srv *feedtest.RESTServer, symbols ...string) *Exchange {
	e := New(Options{Symbols: symbols, RESTURL: srv.URL, HTTPClient: srv.Client()})
	e.base.REST.Interval = 0
	e.base.REST.RetryBase = 5 * time.Millisecond
	e.base.REST.RetryMax = 20 * time.Millisecond
	return e
}

func TestBackfillSendsCommittedBars(t *testing.T) {
	feedtest.NoLeaks(t)
	body := feedtest.Fixture(t, "kraken/ohlc_rest.json")
	srv := feedtest.NewRESTServer(t)
	srv.Route("/0/public/OHLC", feedtest.Response{Body: body})
	e := restExchange(srv, "BTC")
	all := fixtureOHLC(t, body)
	from, to := time.Unix(all[0].T, 0), time.Unix(all[len(all)-1].T+60, 0)
	rec := feedtest.NewRecorder()
	if err := e.Backfill(context.Background(), rec, from, to); err != nil {
		t.Fatal(err)
	}
	evs := rec.Events()
	if len(evs) != len(all)-1 {
		t.Fatalf("%d candles, want %d (the unfinished one dropped)", len(evs), len(all)-1)
	}
	for i, ev := range evs {
		if ev.Kind != model.EventCandle || ev.Symbol != "BTC" || ev.Res != model.Minute || ev.Candle != all[i] {
			t.Fatalf("event %d = %+v, want %+v", i, ev, all[i])
		}
	}
	reqs := srv.Requests()
	q := reqs[0].Query()
	if len(reqs) != 1 || q.Get("pair") != "XBTUSD" || q.Get("interval") != "1" || q.Get("since") != strconv.FormatInt(from.Unix()-60, 10) {
		t.Fatalf("requests %v", reqs)
	}
}

func TestBackfillRetriesThrottling(t *testing.T) {
	feedtest.NoLeaks(t)
	body := feedtest.Fixture(t, "kraken/ohlc_rest.json")
	srv := feedtest.NewRESTServer(t)
	srv.Route("/0/public/OHLC",
		feedtest.Response{Body: feedtest.Fixture(t, "kraken/error_rest_rate_limited.json")}, // HTTP 200
		feedtest.RetryAfter(429, 1, nil),
		feedtest.Response{Body: body})
	e := restExchange(srv, "BTC")
	all := fixtureOHLC(t, body)
	clock := feedtest.NewFakeClock(time.Unix(all[len(all)-1].T, 0))
	e.base.Clock = clock
	rec := feedtest.NewRecorder()
	// First "EGeneral:Too many requests" in a 200 (a backoff of about
	// base.REST.RetryBase), then a 429 with Retry-After: 1.
	if err := feedtest.StepRateLimits(t, clock, rec, "kraken", func() int { return srv.Hits("/0/public/OHLC") }, 10*time.Second,
		func() error {
			return e.Backfill(context.Background(), rec, time.Unix(all[0].T, 0), time.Unix(all[len(all)-1].T, 0))
		}); err != nil {
		t.Fatal(err)
	}
	if srv.Hits("/0/public/OHLC") != 3 || len(rec.Events()) != len(all)-1 {
		t.Fatalf("hits %d events %d", srv.Hits("/0/public/OHLC"), len(rec.Events()))
	}
	// Always throttled: give up, in words.
	srv2 := feedtest.NewRESTServer(t)
	srv2.Route("/0/public/OHLC", feedtest.Response{Body: feedtest.Fixture(t, "kraken/error_rest_rate_limited.json")})
	e2 := restExchange(srv2, "BTC")
	e2.base.REST.Tries = 3
	err := e2.Backfill(context.Background(), feedtest.NewRecorder(), time.Unix(all[0].T, 0), time.Unix(all[len(all)-1].T, 0))
	if err == nil || !strings.Contains(err.Error(), "too many requests") || !strings.Contains(err.Error(), "gave up after 3 tries") ||
		srv2.Hits("/0/public/OHLC") != 3 {
		t.Fatalf("err = %v, hits %d", err, srv2.Hits("/0/public/OHLC"))
	}
}

func TestBackfillErrorsAndPacing(t *testing.T) {
	feedtest.NoLeaks(t)
	srv := feedtest.NewRESTServer(t)
	var (
		mu     sync.Mutex
		starts []time.Time
	)
	srv.Handle("/0/public/OHLC", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		q := r.URL.Query()
		if q.Get("pair") == "NOPEUSD" {
			w.Write(feedtest.Fixture(t, "kraken/error_rest_unknown_pair.json"))
			return
		}
		since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
		iv, _ := strconv.ParseInt(q.Get("interval"), 10, 64)
		var sb strings.Builder
		for ts := since + iv*60; ts <= since+iv*60*5; ts += iv * 60 {
			if sb.Len() > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `[%d,"100","101","99","100.5","100.2","2",7]`, ts)
		}
		fmt.Fprintf(w, `{"error":[],"result":{"X%sZUSD":[%s],"last":%d}}`, q.Get("pair"), sb.String(), since)
	})
	e := restExchange(srv, "NOPE", "ETH")
	e.base.REST.Concurrency = 1
	e.base.REST.Interval = 50 * time.Millisecond
	to := time.Unix(1748865600, 0)
	rec := feedtest.NewRecorder()
	begin := time.Now()
	err := e.Backfill(context.Background(), rec, to.Add(-2*24*time.Hour), to)
	if err == nil || !strings.Contains(err.Error(), "unknown pair") || !strings.Contains(err.Error(), "1 of 2") {
		t.Fatalf("err = %v", err)
	}
	// ETH: an hourly and a minute request, 4 committed bars each.
	if n := len(rec.Events()); n != 8 {
		t.Fatalf("%d events", n)
	}
	// The pacer schedules the n-th request no earlier than (n-1) x 50ms
	// after the first could start, so the last one cannot arrive sooner.
	// (The gap between two arrivals is not checked: a late wake-up of one
	// request shortens the next gap, as it should, and a busy machine
	// makes that happen.)
	mu.Lock()
	defer mu.Unlock()
	if len(starts) < 3 {
		t.Fatalf("%d requests, want NOPE's and ETH's two", len(starts))
	}
	if span, least := starts[len(starts)-1].Sub(begin), time.Duration(len(starts)-1)*e.base.REST.Interval; span < least {
		t.Fatalf("%d requests within %v, pacing is %v: want at least %v", len(starts), span, e.base.REST.Interval, least)
	}
}

package coinbase

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

// fixtureCandles reads a candles body with encoding/json, oldest first.
func fixtureCandles(t testing.TB, b []byte) []model.Candle {
	t.Helper()
	var rows [][6]float64
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	var out []model.Candle
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		out = append(out, model.Candle{T: int64(r[0]), Low: r[1], High: r[2], Open: r[3], Close: r[4], Volume: r[5]})
	}
	return out
}

func TestParseCandles(t *testing.T) {
	for _, name := range []string{"coinbase/candles_rest.json", "coinbase/doc_examples/candles_legacy_example.json"} {
		b := feedtest.Fixture(t, name)
		got, bad, _, err := parseCandles(b, nil)
		if err != nil || bad != 0 {
			t.Fatalf("%s: %v, %d bad", name, err, bad)
		}
		want := fixtureCandles(t, b)
		if !slices.Equal(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", name, got, want)
		}
		if !slices.IsSortedFunc(got, func(a, b model.Candle) int { return cmp.Compare(a.T, b.T) }) {
			t.Fatalf("%s: not oldest first", name)
		}
	}
	if got, bad, _, err := parseCandles(feedtest.Fixture(t, "coinbase/candles_rest_empty.json"), nil); err != nil || bad != 0 || len(got) != 0 {
		t.Fatalf("empty: %v %d %v", got, bad, err)
	}
	// Huge numbers: the first row is refused, the second kept.
	got, bad, reason, err := parseCandles(feedtest.Fixture(t, "bad/huge_numbers_coinbase_candles.json"), nil)
	if err != nil || bad != 1 || len(got) != 1 || got[0].T != 1748865600 || got[0].Close != 105231.17 || reason == "" {
		t.Fatalf("huge: %+v %d %q %v", got, bad, reason, err)
	}
	// Strings instead of numbers, and a row without volume: both refused.
	got, bad, _, err = parseCandles(feedtest.Fixture(t, "bad/wrong_types_coinbase_candles_strings.json"), nil)
	if err != nil || bad != 2 || len(got) != 0 {
		t.Fatalf("wrong types: %+v %d %v", got, bad, err)
	}
	// Impossible prices (low above high) are refused.
	if got, bad, _, _ := parseCandles([]byte(`[[1748865600,200,100,150,150,1]]`), nil); bad != 1 || len(got) != 0 {
		t.Fatalf("inverted: %+v %d", got, bad)
	}
	for _, c := range []struct{ body, want string }{
		{string(feedtest.Fixture(t, "coinbase/error_rest_too_many_candles.json")), "exceeds 300"},
		{string(feedtest.Fixture(t, "bad/html_error_page.html")), "not a list"},
		{string(feedtest.Fixture(t, "bad/truncated_coinbase_ticker.json")), "unexpected answer"},
		{`[[1748865600,1,2,1,2,3]`, "truncated"},
		{``, "empty"},
		{`null`, "not a list"},
	} {
		if _, _, _, err := parseCandles([]byte(c.body), nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.40q: err %v, want %q", c.body, err, c.want)
		}
	}
}

func FuzzParseCandles(f *testing.F) {
	for _, n := range []string{"coinbase/candles_rest.json", "coinbase/candles_rest_empty.json",
		"coinbase/doc_examples/candles_legacy_example.json", "coinbase/error_rest_too_many_candles.json",
		"bad/huge_numbers_coinbase_candles.json", "bad/wrong_types_coinbase_candles_strings.json"} {
		f.Add(feedtest.Fixture(f, n))
	}
	for _, nf := range feedtest.BadFrames(f) {
		f.Add(nf.Frame)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, bad, _, err := parseCandles(b, nil)
		if err != nil {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		var raw []json.RawMessage
		if json.Unmarshal(b, &raw) != nil {
			t.Fatalf("accepted %q, which is not an array", b)
		}
		if len(rows)+bad != len(raw) {
			t.Fatalf("%d rows + %d bad != %d elements", len(rows), bad, len(raw))
		}
		// Every kept row reads the same with encoding/json.
		var want []model.Candle
		for _, r := range raw {
			var v []float64
			if json.Unmarshal(r, &v) != nil || len(v) != 6 {
				continue
			}
			c := model.Candle{T: int64(v[0]), Low: v[1], High: v[2], Open: v[3], Close: v[4], Volume: v[5]}
			if model.ValidCandle(c) && float64(c.T) == v[0] {
				want = append(want, c)
			}
		}
		slices.SortStableFunc(want, func(a, b model.Candle) int { return cmp.Compare(a.T, b.T) })
		for _, c := range rows {
			if !model.ValidCandle(c) || !slices.Contains(want, c) {
				t.Fatalf("row %+v not what encoding/json reads in %q", c, b)
			}
		}
	})
}

func TestPlanPages(t *testing.T) {
	to := time.Unix(1748865600+37, 0)
	check := func(from time.Time, wantMin, wantHour, wantDay int) {
		t.Helper()
		pages := planPages(0, from, to)
		count := map[int64]int{}
		next := map[int64]int64{}
		for _, p := range pages {
			n := int((p.end-p.start)/p.gran) + 1
			if n > maxCandles || n < 1 || p.start%p.gran != 0 || p.end%p.gran != 0 {
				t.Fatalf("page %+v has %d bars", p, n)
			}
			if nx, ok := next[p.gran]; ok && p.start != nx {
				t.Fatalf("pages of %d s not contiguous at %d (want %d)", p.gran, p.start, nx)
			}
			next[p.gran] = p.end + p.gran
			count[p.gran] += n
		}
		if count[60] != wantMin || count[3600] != wantHour || count[86400] != wantDay {
			t.Fatalf("from %v: bars %v, want %d/%d/%d", to.Sub(from), count, wantMin, wantHour, wantDay)
		}
	}
	check(to.Add(-10*time.Minute), 11, 0, 0)
	check(to.Add(-24*time.Hour), 1441, 0, 0)
	check(to.Add(-48*time.Hour), 1441, 25, 0)
	check(to.Add(-40*24*time.Hour), 1441, 697, 11)
	if planPages(0, to, to) != nil {
		t.Fatal("empty range planned")
	}
}

func restExchange(srv *feedtest.RESTServer, symbols ...string) *Exchange {
	e := New(Options{Symbols: symbols, RESTURL: srv.URL, HTTPClient: srv.Client()})
	e.base.REST.Interval = 0
	e.base.REST.RetryBase = 5 * time.Millisecond
	e.base.REST.RetryMax = 20 * time.Millisecond
	return e
}

func TestBackfillSendsFixtureCandlesInOrder(t *testing.T) {
	feedtest.NoLeaks(t)
	body := feedtest.Fixture(t, "coinbase/candles_rest.json")
	srv := feedtest.NewRESTServer(t)
	srv.Route("/products/BTC-USD/candles", feedtest.Response{Body: body})
	e := restExchange(srv, "BTC")
	e.base.REST.Concurrency = 1
	from, to := time.Unix(1748844000, 0), time.Unix(1748862000+60, 0)
	e.now = func() time.Time { return to.Add(time.Hour) }
	rec := feedtest.NewRecorder()
	if err := e.Backfill(context.Background(), rec, from, to); err != nil {
		t.Fatal(err)
	}
	want := fixtureCandles(t, body)
	evs := rec.Events()
	if len(evs) != len(want) {
		t.Fatalf("%d candles, want %d: %+v", len(evs), len(want), evs)
	}
	for i, ev := range evs {
		if ev.Kind != model.EventCandle || ev.Symbol != "BTC" || ev.Res != model.Minute || ev.Candle != want[i] {
			t.Fatalf("event %d = %+v, want candle %+v", i, ev, want[i])
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	q := reqs[0].Query()
	if q.Get("granularity") != "60" || q.Get("start") != "2025-06-02T06:00:00Z" || q.Get("end") != "2025-06-02T10:59:00Z" {
		t.Fatalf("query %v", q)
	}
}

// candleServer answers every candles request with one bar per bucket in
// [start, end], newest first, and checks the request is within limits.
func candleServer(t *testing.T, srv *feedtest.RESTServer, path string, inFlight *int, most *int, mu *sync.Mutex) {
	srv.Handle(path, func(w http.ResponseWriter, r *http.Request) {
		if mu != nil {
			mu.Lock()
			*inFlight++
			*most = max(*most, *inFlight)
			mu.Unlock()
			defer func() { mu.Lock(); *inFlight--; mu.Unlock() }()
			time.Sleep(2 * time.Millisecond) // hold the request open so overlap can show
		}
		q := r.URL.Query()
		g, _ := strconv.ParseInt(q.Get("granularity"), 10, 64)
		start, err1 := time.Parse(time.RFC3339, q.Get("start"))
		end, err2 := time.Parse(time.RFC3339, q.Get("end"))
		if err1 != nil || err2 != nil || (g != 60 && g != 3600 && g != 86400) {
			http.Error(w, `{"message":"bad request"}`, 400)
			return
		}
		n := (end.Unix()-start.Unix())/g + 1
		if n > maxCandles {
			w.WriteHeader(400)
			w.Write(feedtest.Fixture(t, "coinbase/error_rest_too_many_candles.json"))
			return
		}
		var sb strings.Builder
		sb.WriteString("[")
		for ts := end.Unix(); ts >= start.Unix(); ts -= g {
			if sb.Len() > 1 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "[%d,99,101,100,100.5,%d]", ts, g)
		}
		sb.WriteString("]")
		w.Write([]byte(sb.String()))
	})
}

func TestBackfillPagesAndBoundsConcurrency(t *testing.T) {
	feedtest.NoLeaks(t)
	srv := feedtest.NewRESTServer(t)
	var mu sync.Mutex
	var inFlight, most int
	candleServer(t, srv, "/products/BTC-USD/candles", &inFlight, &most, &mu)
	candleServer(t, srv, "/products/ETH-USD/candles", &inFlight, &most, &mu)
	e := restExchange(srv, "BTC", "ETH")
	e.base.REST.Concurrency = 2
	to := time.Unix(1748865600+30, 0) // half-way into a minute
	e.now = func() time.Time { return to }
	from := to.Add(-40 * 24 * time.Hour)
	rec := feedtest.NewRecorder()
	if err := e.Backfill(context.Background(), rec, from, to); err != nil {
		t.Fatal(err)
	}
	if most > 2 {
		t.Fatalf("%d requests in flight at once, bound is 2", most)
	}
	for _, sym := range []string{"BTC", "ETH"} {
		seen := map[model.Resolution]map[int64]bool{}
		for _, ev := range rec.Events() {
			if ev.Symbol != sym {
				continue
			}
			if seen[ev.Res] == nil {
				seen[ev.Res] = map[int64]bool{}
			}
			if seen[ev.Res][ev.Candle.T] {
				t.Fatalf("%s: bar %d at %v sent twice", sym, ev.Candle.T, ev.Res)
			}
			seen[ev.Res][ev.Candle.T] = true
		}
		// 1441 minute buckets up to the one holding `to`, which has not
		// closed yet and is not sent.
		if len(seen[model.Minute]) != 1440 || len(seen[model.Hour]) != 697 || len(seen[model.Day]) != 11 {
			t.Fatalf("%s: %d minute, %d hour, %d day bars", sym, len(seen[model.Minute]), len(seen[model.Hour]), len(seen[model.Day]))
		}
		if seen[model.Minute][to.Unix()-30] {
			t.Fatalf("%s: the unfinished minute was sent", sym)
		}
	}
	if n := len(srv.Requests()); n != 2*(5+3+1) {
		t.Fatalf("%d requests, want %d", n, 2*(5+3+1))
	}
}

func TestBackfillRetriesRateLimit(t *testing.T) {
	feedtest.NoLeaks(t)
	body := feedtest.Fixture(t, "coinbase/candles_rest.json")
	srv := feedtest.NewRESTServer(t)
	srv.Route("/products/BTC-USD/candles",
		feedtest.Response{Status: 429, Body: []byte(`{"message":"Slow down"}`)},
		feedtest.RetryAfter(429, 1, []byte(`{"message":"Slow down"}`)),
		feedtest.Response{Body: body})
	e := restExchange(srv, "BTC")
	e.base.REST.Concurrency = 1
	from, to := time.Unix(1748844000, 0), time.Unix(1748844000+60*100, 0)
	e.now = func() time.Time { return to.Add(time.Hour) }
	clock := feedtest.NewFakeClock(to.Add(time.Hour))
	e.base.Clock = clock
	rec := feedtest.NewRecorder()
	// First a 429 without Retry-After (a backoff of about
	// base.REST.RetryBase), then a 429 with Retry-After: 1.
	if err := feedtest.StepRateLimits(t, clock, rec, "coinbase", func() int { return srv.Hits("/products/BTC-USD/candles") }, 10*time.Second,
		func() error { return e.Backfill(context.Background(), rec, from, to) }); err != nil {
		t.Fatal(err)
	}
	inRange := 0
	for _, c := range fixtureCandles(t, body) {
		if c.T >= from.Unix() && c.T <= to.Unix() {
			inRange++
		}
	}
	if srv.Hits("/products/BTC-USD/candles") != 3 || len(rec.Events()) != inRange || inRange == 0 {
		t.Fatalf("hits %d, events %d", srv.Hits("/products/BTC-USD/candles"), len(rec.Events()))
	}

	// Always 429: give up after the configured tries, in words.
	srv2 := feedtest.NewRESTServer(t)
	srv2.Route("/products/BTC-USD/candles", feedtest.Response{Status: 429})
	e2 := restExchange(srv2, "BTC")
	e2.base.REST.Tries = 3
	err := e2.Backfill(context.Background(), feedtest.NewRecorder(), from, to)
	if err == nil || !strings.Contains(err.Error(), "rate limited") || !strings.Contains(err.Error(), "gave up after 3 tries") {
		t.Fatalf("err = %v", err)
	}
	if n := srv2.Hits("/products/BTC-USD/candles"); n != 3 {
		t.Fatalf("%d tries, want 3", n)
	}
}

func TestBackfillErrorsDoNotStopOtherSymbols(t *testing.T) {
	feedtest.NoLeaks(t)
	srv := feedtest.NewRESTServer(t)
	srv.Route("/products/BTC-USD/candles", feedtest.Response{Status: 400,
		Body: feedtest.Fixture(t, "coinbase/error_rest_unsupported_granularity.json")})
	candleServer(t, srv, "/products/ETH-USD/candles", nil, nil, nil)
	e := restExchange(srv, "BTC", "ETH")
	to := time.Unix(1748865600, 0)
	e.now = func() time.Time { return to.Add(time.Hour) }
	rec := feedtest.NewRecorder()
	err := e.Backfill(context.Background(), rec, to.Add(-10*time.Hour), to)
	if err == nil || !strings.Contains(err.Error(), "Unsupported granularity (HTTP 400)") || !strings.Contains(err.Error(), "1 of 2") {
		t.Fatalf("err = %v", err)
	}
	if n := len(rec.Events()); n != 601 {
		t.Fatalf("ETH got %d candles, want 601", n)
	}
	// A cancelled backfill returns promptly with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Backfill(ctx, rec, to.Add(-10*time.Hour), to); err != context.Canceled {
		t.Fatalf("cancelled: %v", err)
	}
}

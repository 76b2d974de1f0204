package binance

import (
	"context"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/model"
)

func tickerFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/ticker_24hr.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseTicker24hrAndPickTheTop(t *testing.T) {
	rows, bad, err := ParseTicker24hr(tickerFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 16 || bad != 6 {
		t.Fatalf("%d rows, %d bad; want 16 and 6", len(rows), bad)
	}
	if rows[0] != (Ticker24h{"BTCUSDT", 2154367890.12345678}) {
		t.Errorf("first row %+v", rows[0])
	}
	cases := []struct {
		quote string
		n     int
		want  []string
	}{
		{"USDT", 5, []string{"BTC", "ETH", "SOL", "XRP", "DOGE"}},
		// JUP ends in UP but is no leveraged token (there is no J); the
		// stablecoins, EUR, BTCUP, ETHDOWN and the zero-volume LUNC are left out.
		{"USDT", 100, []string{"BTC", "ETH", "SOL", "XRP", "DOGE", "JUP", "PEPE", "ADA"}},
		{"FDUSD", 20, []string{"BTC"}},
		{"BTC", 20, []string{"ETH"}},
		{"EUR", 20, []string{}},
	}
	for _, c := range cases {
		if got := TopBases(rows, c.quote, c.n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("top %d %s = %v, want %v", c.n, c.quote, got, c.want)
		}
	}
	// Ties are broken by name; a pair listed twice counts once.
	tie := []Ticker24h{{"BBUSDT", 5}, {"AAUSDT", 5}, {"AAUSDT", 1}, {"CCUSDT", 6}}
	if got := TopBases(tie, "USDT", 3); !reflect.DeepEqual(got, []string{"CC", "AA", "BB"}) {
		t.Errorf("ties: %v", got)
	}
}

func TestParseTicker24hrRefusesWhatIsNotAList(t *testing.T) {
	cases := map[string]string{
		`{"code":-1003,"msg":"Too many requests."}`: "binance refused: Too many requests. (code -1003)",
		`{"symbol":"BTCUSDT"}`:                      "unexpected answer (an object, not a list of tickers)",
		`<html>503</html>`:                          "unexpected answer (not a list of tickers)",
		``:                                          "unexpected answer (not a list of tickers)",
		`[{"symbol":"BTCUSDT","quoteVolume":"1"}`: "unreadable answer (not valid JSON)",
		`[{"symbol":"BTCUSDT",}]`:                 "unreadable answer (not valid JSON)",
		`[] []`:                                   "unreadable answer (not valid JSON)",
	}
	for body, want := range cases {
		if _, _, err := ParseTicker24hr([]byte(body)); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	if rows, bad, err := ParseTicker24hr([]byte(" [ ] ")); err != nil || len(rows) != 0 || bad != 0 {
		t.Errorf("empty list: %v %d %v", rows, bad, err)
	}
}

func FuzzParseTicker24hr(f *testing.F) {
	f.Add(tickerFixture(f))
	f.Add([]byte(`[{"symbol":"BTCUPUSDT","quoteVolume":"1"},{"symbol":"BTCUSDT","quoteVolume":"0.5"}]`))
	f.Add([]byte(`[{"symbol":"BTC\u0055SDT","quoteVolume":"1e9"},{"symbol":"ETHUSDT","quoteVolume":"-1"}]`))
	f.Add([]byte(`{"code":-1121,"msg":"Invalid symbol."}`))
	for _, b := range feedtest.BadFrames(f) {
		f.Add(b.Frame)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, bad, err := ParseTicker24hr(body)
		if err != nil && (rows != nil || bad != 0) {
			t.Fatalf("error %v with %d rows, %d bad", err, len(rows), bad)
		}
		for _, r := range rows {
			if !venue.PlainSymbol(r.Symbol) || r.QuoteVolume < 0 || math.IsInf(r.QuoteVolume, 0) || math.IsNaN(r.QuoteVolume) {
				t.Fatalf("row %+v", r)
			}
		}
		top := TopBases(rows, "USDT", 3)
		seen := map[string]bool{}
		for _, b := range top {
			if b == "" || seen[b] || stableBases[b] {
				t.Fatalf("top %v", top)
			}
			seen[b] = true
		}
		if len(top) > 3 {
			t.Fatalf("top %v", top)
		}
	})
}

// topRig is an adapter with Top n against a local REST server answering the
// fixture, on a fake clock.
func topRig(t *testing.T, n int) (*Exchange, *feedtest.RESTServer, *feedtest.FakeClock) {
	t.Helper()
	rest := feedtest.NewRESTServer(t)
	rest.Route(TopPath, feedtest.Response{Body: tickerFixture(t)})
	clock := feedtest.NewFakeClock(time.Unix(1748865600, 0))
	ex, err := New(Options{Top: n, RESTURL: rest.URL, HTTPClient: rest.Client(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return ex, rest, clock
}

func TestTopResolvesOnceAndRefreshes(t *testing.T) {
	feedtest.NoLeaks(t)
	ex, rest, clock := topRig(t, 3)
	if urls := ex.StreamURLs(); urls != nil {
		t.Errorf("streams before the first pick: %v", urls)
	}
	ctx := context.Background()
	rec := feedtest.NewRecorder()
	// History waits for the session's pick (here, until its context ends).
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	if _, _, err := ex.watchlist(cctx, rec, -1); err != context.DeadlineExceeded || rest.Hits(TopPath) != 0 {
		t.Fatalf("history before the pick: %v, %d requests", err, rest.Hits(TopPath))
	}
	cancel()
	bases, syms, err := ex.watchlist(ctx, rec, ex.opts.TopRefresh)
	if err != nil || !reflect.DeepEqual(bases, []string{"BTC", "ETH", "SOL"}) || syms["SOLUSDT"] != "SOL" || len(syms) != 3 {
		t.Fatalf("%v %v %v", bases, syms, err)
	}
	if q := rest.Requests()[0]; q.Path != TopPath || q.RawQuery != "" {
		t.Errorf("request %v (want every symbol: no parameters)", q)
	}
	// Backfill and sessions within the hour reuse it.
	clock.Advance(59 * time.Minute)
	ex.watchlist(ctx, rec, ex.opts.TopRefresh)
	ex.watchlist(ctx, rec, -1)
	if n := rest.Hits(TopPath); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	// Older than TopRefresh: picked again at the next session.
	rest.Route(TopPath, feedtest.Response{Body: []byte(`[{"symbol":"ADAUSDT","quoteVolume":"9"},{"symbol":"BTCUSDT","quoteVolume":"8"}]`)})
	clock.Advance(time.Minute)
	bases, syms, err = ex.watchlist(ctx, rec, ex.opts.TopRefresh)
	if err != nil || !reflect.DeepEqual(bases, []string{"ADA", "BTC"}) || len(syms) != 2 {
		t.Fatalf("refresh: %v %v %v", bases, syms, err)
	}
	// A failed refresh keeps the list it has.
	rest.Route(TopPath, feedtest.Response{Status: 503})
	clock.Advance(2 * time.Hour)
	bases, _, err = ex.watchlist(ctx, rec, ex.opts.TopRefresh)
	if err != nil || !reflect.DeepEqual(bases, []string{"ADA", "BTC"}) || len(rest.Requests()) != 3 {
		t.Fatalf("failed refresh: %v %v (%d requests)", bases, err, len(rest.Requests()))
	}
}

func TestTopFailuresAreInWords(t *testing.T) {
	feedtest.NoLeaks(t)
	ctx := context.Background()
	cases := []struct {
		resp feedtest.Response
		want string
	}{
		{feedtest.Response{Status: 503, Body: []byte("<html>")}, "binance: top 20 by volume: HTTP 503"},
		{feedtest.Response{Status: 400, Body: feedtest.Fixture(t, "binance/error_rest_invalid_symbol.json")},
			"binance: top 20 by volume: binance refused: Invalid symbol. (code -1121)"},
		{feedtest.Response{Body: []byte(`[{"symbol":"BTCUSDT","quoteVolume":"1"`)}, "binance: top 20 by volume: unreadable answer (not valid JSON)"},
		{feedtest.Response{Body: []byte(`[{"symbol":"ETHBTC","quoteVolume":"1"}]`)}, "binance: top 20 by volume: no USDT pairs with volume in the answer"},
		{feedtest.RetryAfter(418, 120, nil), "binance: top 20 by volume: binance has banned this IP for too many requests, for 2m"},
	}
	for _, c := range cases {
		ex, rest, _ := topRig(t, 20)
		rest.Route(TopPath, c.resp)
		if _, _, err := ex.watchlist(ctx, feedtest.NewRecorder(), time.Hour); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}

	// A 429 pauses every request, this one included, for Retry-After.
	ex, rest, clock := topRig(t, 20)
	rest.Route(TopPath, feedtest.RetryAfter(429, 30, feedtest.Fixture(t, "binance/error_rest_rate_limited.json")),
		feedtest.Response{Body: tickerFixture(t)})
	want := "binance: top 20 by volume: rate limited by binance, retrying in 30s"
	for range 2 {
		if _, _, err := ex.watchlist(ctx, feedtest.NewRecorder(), time.Hour); err == nil || err.Error() != want {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	if n := rest.Hits(TopPath); n != 1 {
		t.Errorf("%d requests during the pause, want 1", n)
	}
	clock.Advance(30 * time.Second)
	if bases, _, err := ex.watchlist(ctx, feedtest.NewRecorder(), time.Hour); err != nil || len(bases) != 8 {
		t.Errorf("after the pause: %v %v", bases, err)
	}
}

func TestTopWeightCountsAgainstTheBudget(t *testing.T) {
	feedtest.NoLeaks(t)
	ex, rest, clock := topRig(t, 5)
	rest.Route(TopPath, feedtest.Response{Body: tickerFixture(t), Header: map[string]string{"X-Mbx-Used-Weight-1m": "4880"}})
	if _, _, err := ex.watchlist(context.Background(), feedtest.NewRecorder(), time.Hour); err != nil {
		t.Fatal(err)
	}
	until := clock.Now().Add(ex.pace.Held())
	if want := clock.Now().Truncate(time.Minute).Add(time.Minute); !until.Equal(want) {
		t.Errorf("history paused until %v, want %v (the next minute)", until, want)
	}
}

func TestNewTopOptions(t *testing.T) {
	for _, o := range []Options{{Top: -1}, {Top: MaxTop + 1}, {Top: 5, Symbols: []string{"BTC"}}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	x, err := New(Options{Top: 5})
	if err != nil || x.opts.TopRefresh != DefaultTopRefresh || x.bases != nil {
		t.Errorf("%v %v", x, err)
	}
}

func TestSessionStreamsTheTopN(t *testing.T) {
	feedtest.NoLeaks(t)
	r := newRig(t, func(ctx context.Context, c *feedtest.WSConn) { c.Stall(ctx) },
		func(o *Options) { o.Symbols, o.Top = nil, 3 })
	// The first pick fails: the session says why and the supervisor retries.
	r.rest.Route(TopPath, feedtest.Response{Status: 503}, feedtest.Response{Body: tickerFixture(t)})
	rec, stop := r.run(t, feeds.SuperviseOptions{})
	waitStatus(t, rec, model.FeedReconnecting, "binance: top 3 by volume: HTTP 503")
	waitStatus(t, rec, model.FeedLive, "")
	if !r.ws.WaitConns(1, wait) {
		t.Fatal("no connection")
	}
	var want []string
	for _, p := range []string{"btcusdt", "ethusdt", "solusdt"} {
		want = append(want, p+"@miniTicker", p+"@kline_1m", p+"@aggTrade")
	}
	if got := r.ws.Conns()[0].Streams(); !reflect.DeepEqual(got, want) {
		t.Errorf("streams %v, want %v", got, want)
	}
	// History is fetched for the same three pairs, and only for them. (Wait
	// for candles of each: the first pages of two pairs alone may already
	// hold 3*6 candles.)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool {
		bases := map[string]bool{}
		for _, ev := range evs {
			if ev.Kind == model.EventCandle {
				bases[ev.Symbol] = true
			}
		}
		return feedtest.CountKind(evs, model.EventCandle) >= 3*6 && bases["BTC"] && bases["ETH"] && bases["SOL"]
	}) {
		t.Fatalf("history: %d candles", feedtest.CountKind(rec.Events(), model.EventCandle))
	}
	got := map[string]bool{}
	for _, u := range r.rest.Requests() {
		if u.Path == "/api/v3/klines" {
			got[u.Query().Get("symbol")] = true
		}
	}
	if !reflect.DeepEqual(got, map[string]bool{"BTCUSDT": true, "ETHUSDT": true, "SOLUSDT": true}) {
		t.Errorf("history of %v", got)
	}
	if n := r.rest.Hits(TopPath); n != 2 {
		t.Errorf("%d top requests, want 2 (the failure, then one shared by session and history)", n)
	}
	for _, c := range r.ws.Conns() {
		if strings.Contains(c.Request.URL.RawQuery, "bnbusdt") {
			t.Errorf("fixed symbols streamed: %s", c.Request.URL.RawQuery)
		}
	}
	stop()
}

package venue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/feeds/internal/httpx"
	"github.com/tokentop/tokentop/model"
)

var testDefaults = Defaults{
	Name: "venue", WSURL: "wss://ws.example", RESTURL: "https://rest.example", Quote: "USD",
	Alias:     func(s string) string { return strings.Replace(s, "XBT", "BTC", 1) },
	AckWithin: 7 * time.Second,
	REST:      REST{Concurrency: 2, Interval: time.Second, RetryBase: 2 * time.Second, RetryMax: time.Minute, Tries: 6, MaxBody: 1 << 20},
}

func TestNewBaseFillsInTheDefaults(t *testing.T) {
	b := NewBase(Config{Symbols: []string{"BTC"}}, testDefaults)
	if b.Name != "venue" || b.Quote != "USD" || b.WSURL != "wss://ws.example" || b.RESTURL != "https://rest.example" ||
		b.AckWithin != 7*time.Second || b.REST != testDefaults.REST || b.Log == nil || b.Clock != (feeds.RealClock{}) {
		t.Fatalf("base %+v", b)
	}
	if b.HTTP == nil || b.HTTP.Timeout != 20*time.Second {
		t.Fatalf("client %+v", b.HTTP)
	}
	client := &http.Client{}
	b = NewBase(Config{Quote: " eur ", WSURL: "ws://x", RESTURL: "http://y//", HTTPClient: client}, testDefaults)
	if b.Quote != "EUR" || b.WSURL != "ws://x" || b.RESTURL != "http://y" || b.HTTP != client {
		t.Fatalf("base %+v", b)
	}
	for q, want := range map[string]string{"xbt": "BTC", "": "USD", "U/SD": "USD", "usdt": "USDT"} {
		if got := NewBase(Config{Quote: q}, testDefaults).Quote; got != want {
			t.Errorf("quote %q: %q, want %q", q, got, want)
		}
	}
	// No alias: symbols as they are.
	d := testDefaults
	d.Alias = nil
	if got := NewBase(Config{Symbols: []string{"xbt", "btc"}}, d).Symbols; !slices.Equal(got, []string{"XBT", "BTC"}) {
		t.Errorf("symbols without an alias %v", got)
	}
}

func TestNewBaseReadsTheSymbols(t *testing.T) {
	var log bytes.Buffer
	b := NewBase(Config{Symbols: []string{" btc ", "ETH", "eth", "xbt", "bad sym", "", "1inch"},
		Logger: slog.New(slog.NewTextHandler(&log, nil))}, testDefaults)
	if !slices.Equal(b.Symbols, []string{"BTC", "ETH", "1INCH"}) {
		t.Errorf("symbols %v", b.Symbols)
	}
	if !slices.Equal(b.Refused, []string{"bad sym", ""}) {
		t.Errorf("refused %q", b.Refused)
	}
	if n := strings.Count(log.String(), `msg="venue: symbol skipped"`); n != 2 || !strings.Contains(log.String(), `symbol="bad sym" reason="not letters and digits"`) {
		t.Errorf("log:\n%s", log.String())
	}
	if err := b.CheckSymbols(); err != nil {
		t.Fatal(err)
	}
	refused, none := NewBase(Config{Symbols: []string{"b/c"}}, testDefaults), NewBase(Config{}, testDefaults)
	if err := refused.CheckSymbols(); err == nil ||
		err.Error() != "venue: no usable symbols (refused: b/c)" {
		t.Fatalf("err = %v", err)
	}
	if err := none.CheckSymbols(); err == nil || err.Error() != "venue: no symbols configured" {
		t.Fatalf("err = %v", err)
	}
}

func TestRequesterTakesTheBasesNumbers(t *testing.T) {
	b := NewBase(Config{Symbols: []string{"BTC"}}, testDefaults)
	rec := feedtest.NewRecorder()
	r := b.Requester(rec)
	if r.Exchange != "venue" || r.HTTP != b.HTTP || r.Clock != b.Clock || r.MaxBody != 1<<20 || r.Tries != 6 ||
		r.RetryBase != 2*time.Second || r.RetryMax != time.Minute || r.Log != b.Log || r.Pace == nil {
		t.Fatalf("requester %+v", r)
	}
	r.Note("rate limited")
	if st := rec.Last(); st.Reason != "rate limited" {
		t.Fatalf("note went to %+v", st)
	}
}

// req is a test request: a symbol's bars from t0 to t1.
type req struct {
	symbol int
	t0, t1 int64
}

func TestBackfillFetchesKeepsAndSends(t *testing.T) {
	b := NewBase(Config{Symbols: []string{"BTC", "ETH", "SOL"}}, testDefaults)
	b.REST.Concurrency = 1 // in order
	bar := func(t int64) model.Candle { return model.Candle{T: t, Open: 1, High: 2, Low: 1, Close: 2, Volume: 1} }
	var (
		mu      sync.Mutex
		fetched []req
		failed  []string
		reqSeen *httpx.Requester
	)
	rec := feedtest.NewRecorder()
	err := Backfill(context.Background(), &b, rec, time.Unix(0, 0), time.Unix(240, 0), Candles[req]{
		Plan: func(symbol int, from, to time.Time) []req {
			f := from.Unix()
			return []req{{symbol, f, f + 120}, {symbol, f + 120, f + 180}, {symbol, f + 180, to.Unix()}}
		},
		Symbol: func(r req) int { return r.symbol },
		Fetch: func(_ context.Context, rq *httpx.Requester, r req, dst []model.Candle) ([]model.Candle, error) {
			mu.Lock()
			defer mu.Unlock()
			if reqSeen != nil && reqSeen != rq {
				t.Error("a backfill's requests do not share one Requester")
			}
			reqSeen = rq
			fetched = append(fetched, r)
			if len(dst) != 0 {
				t.Errorf("the buffer came back with %d rows", len(dst))
			}
			if r.symbol == 1 { // ETH fails: its later requests are skipped
				return dst, errors.New("no such pair")
			}
			for at := r.t0 - 60; at <= r.t1; at += 60 { // one before and one past the span
				dst = append(dst, bar(at))
			}
			return dst, nil
		},
		Res: func(r req) model.Resolution { return model.Minute },
		Keep: func(r req) func(model.Candle) bool {
			return func(c model.Candle) bool { return c.T >= r.t0 && c.T < r.t1 }
		},
		Failed: func(r req, err error) {
			mu.Lock()
			defer mu.Unlock()
			failed = append(failed, fmt.Sprint(r.symbol, err))
		},
	})
	if err == nil || err.Error() != "venue: history for 1 of 3 symbols failed: no such pair" {
		t.Fatalf("err = %v", err)
	}
	// One worker: ETH's second request may have been handed over before its
	// first failed (httpx.Backfill); its third never is.
	eth := []req{{1, 0, 120}}
	if len(fetched) == 8 {
		eth = append(eth, req{1, 120, 180})
	}
	wantReqs := append(append([]req{{0, 0, 120}, {0, 120, 180}, {0, 180, 240}}, eth...), req{2, 0, 120}, req{2, 120, 180}, req{2, 180, 240})
	if !slices.Equal(fetched, wantReqs) {
		t.Errorf("requests %v, want %v", fetched, wantReqs)
	}
	if len(failed) != len(eth) || failed[0] != "1 no such pair" || failed[len(failed)-1] != "1 no such pair" {
		t.Errorf("failed %q", failed)
	}
	var want []model.Event
	for _, sym := range []string{"BTC", "SOL"} {
		for at := int64(0); at < 240; at += 60 {
			want = append(want, model.Event{Kind: model.EventCandle, Symbol: sym, Res: model.Minute, Candle: bar(at)})
		}
	}
	if got := rec.Events(); !slices.Equal(got, want) {
		t.Errorf("events\n got %+v\nwant %+v", got, want)
	}
	if reqSeen == nil || reqSeen.Exchange != "venue" {
		t.Errorf("requester %+v", reqSeen)
	}

	// Nothing to ask: no request. No usable symbol: the reason.
	fetch := func(context.Context, *httpx.Requester, req, []model.Candle) ([]model.Candle, error) {
		t.Error("a request with nothing to ask")
		return nil, nil
	}
	none := Candles[req]{Plan: func(int, time.Time, time.Time) []req { return nil }, Fetch: fetch}
	if err := Backfill(context.Background(), &b, rec, time.Unix(0, 0), time.Unix(0, 0), none); err != nil {
		t.Fatal(err)
	}
	bad := NewBase(Config{Symbols: []string{"b/c"}}, testDefaults)
	if err := Backfill(context.Background(), &bad, rec, time.Unix(0, 0), time.Unix(60, 0), none); err == nil ||
		!strings.Contains(err.Error(), "no usable symbols") {
		t.Fatalf("err = %v", err)
	}
}

// A sink that no longer takes events (its context ended) stops the
// sending with the context's error.
func TestBackfillStopsWithTheContext(t *testing.T) {
	b := NewBase(Config{Symbols: []string{"BTC"}}, testDefaults)
	ctx, cancel := context.WithCancel(context.Background())
	rec := feedtest.NewRecorder()
	err := Backfill(ctx, &b, rec, time.Unix(0, 0), time.Unix(60, 0), Candles[req]{
		Plan:   func(symbol int, _, _ time.Time) []req { return []req{{symbol, 0, 60}} },
		Symbol: func(r req) int { return r.symbol },
		Fetch: func(_ context.Context, _ *httpx.Requester, _ req, dst []model.Candle) ([]model.Candle, error) {
			cancel()
			return append(dst, model.Candle{T: 0, Open: 1, High: 1, Low: 1, Close: 1}), nil
		},
		Res:    func(req) model.Resolution { return model.Minute },
		Keep:   func(req) func(model.Candle) bool { return func(model.Candle) bool { return true } },
		Failed: func(req, error) {},
	})
	if !errors.Is(err, context.Canceled) || len(rec.Events()) != 0 {
		t.Fatalf("err = %v, events %+v", err, rec.Events())
	}
}

// Probe asks the websocket server's address.
func TestProbe(t *testing.T) {
	feedtest.NoLeaks(t)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) { c.Stall(ctx) })
	up := NewBase(Config{WSURL: srv.URL}, testDefaults)
	if err := up.Probe(context.Background()); err != nil {
		t.Fatalf("a server that answers: %v", err)
	}
	down := NewBase(Config{WSURL: "ws://" + feedtest.RefusedAddr(t)}, testDefaults)
	if err := down.Probe(context.Background()); err == nil {
		t.Fatal("a server that is not there answered")
	}
}

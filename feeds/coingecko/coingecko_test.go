package coingecko

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

const wait = 10 * time.Second

func TestParseMarkets(t *testing.T) {
	coins, bad, err := ParseMarkets(feedtest.Fixture(t, "coingecko/coins_markets.json"))
	if err != nil || bad != 0 || len(coins) == 0 {
		t.Fatalf("%d coins, %d bad, %v", len(coins), bad, err)
	}
	want := Coin{ID: "bitcoin", Symbol: "BTC", Name: "Bitcoin", MarketCap: 2092183419266, Supply: 19874328, Rank: 1}
	if coins[0] != want {
		t.Errorf("coin 0 = %+v, want %+v", coins[0], want)
	}
	// Nulls and zeros are unknown.
	coins, _, err = ParseMarkets(feedtest.Fixture(t, "bad/coingecko_markets_nulls.json"))
	if err != nil || len(coins) != 1 || coins[0] != (Coin{ID: "some-new-token", Symbol: "SNT", Name: "Some New Token"}) {
		t.Errorf("nulls: %+v %v", coins, err)
	}
	// Wrong types (numbers as strings) are unknown, not guessed.
	coins, _, err = ParseMarkets(feedtest.Fixture(t, "bad/wrong_types_coingecko_markets.json"))
	if err != nil || len(coins) != 1 || coins[0].MarketCap != 0 || coins[0].Supply != 0 || coins[0].Rank != 1 {
		t.Errorf("wrong types: %+v %v", coins, err)
	}
	// Implausible numbers are unknown, plausible ones kept.
	coins, _, err = ParseMarkets(feedtest.Fixture(t, "bad/huge_numbers_coingecko_markets.json"))
	if err != nil || len(coins) != 1 || coins[0].MarketCap != 0 || coins[0].Rank != 0 || coins[0].Supply != 589264883040203.5 {
		t.Errorf("huge numbers: %+v %v", coins, err)
	}
	for _, name := range []string{"truncated_coingecko_markets.json", "error_coingecko_429_body.json", "html_error_page.html", "json_null.json", "json_string.json"} {
		if _, _, err := ParseMarkets(feedtest.Fixture(t, "bad/"+name)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if coins, bad, err := ParseMarkets(feedtest.Fixture(t, "bad/not_an_object_array_of_numbers.json")); err != nil || bad != 3 || len(coins) != 0 {
		t.Errorf("array of numbers: %v %d %v", coins, bad, err)
	}
	if coins, bad, err := ParseMarkets([]byte(`[{"symbol":"\u001b[2J","name":"x"},{"symbol":"eth","name":"Ethereum","market_cap":-5,"circulating_supply":1e400}]`)); err != nil || bad != 1 || len(coins) != 1 || coins[0].MarketCap != 0 || coins[0].Supply != 0 {
		t.Errorf("hostile rows: %+v %d %v", coins, bad, err)
	}
}

func FuzzParseMarkets(f *testing.F) {
	for _, name := range []string{"coingecko/coins_markets.json", "coingecko/coins_markets_plain.json", "coingecko/coins_markets_empty.json",
		"coingecko/error_rate_limited.json", "coingecko/error_invalid_vs_currency.json", "coingecko/doc_examples/coins_markets.json"} {
		f.Add(feedtest.Fixture(f, name))
	}
	for _, bf := range feedtest.BadFrames(f) {
		f.Add(bf.Frame)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		coins, bad, err := ParseMarkets(body)
		if err != nil && (coins != nil || bad != 0) {
			t.Fatal("error with rows")
		}
		for _, c := range coins {
			if !validSymbol(c.Symbol) || !(c.MarketCap >= 0 && c.MarketCap <= maxMarketCap) ||
				!(c.Supply >= 0 && c.Supply <= maxSupply) || c.Rank < 0 || c.Rank > maxRank {
				t.Fatalf("bad coin %+v", c)
			}
		}
	})
}

func TestFeedRefreshesAndBacksOff(t *testing.T) {
	feedtest.NoLeaks(t)
	srv := feedtest.NewRESTServer(t)
	var (
		mu   sync.Mutex
		keys []string
	)
	srv.Handle("/coins/markets", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("x-cg-demo-api-key"))
		n := len(keys)
		mu.Unlock()
		switch n {
		case 2:
			w.Header().Set("Retry-After", "90")
			w.WriteHeader(429)
			w.Write(feedtest.Fixture(t, "coingecko/error_rate_limited.json"))
		case 3:
			w.WriteHeader(429) // no Retry-After: doubling from a minute
		default:
			w.Write(feedtest.Fixture(t, "coingecko/coins_markets_plain.json"))
		}
	})
	clock := feedtest.NewFakeClock(time.Unix(1748865600, 0))
	f := New(Options{URL: srv.URL, APIKey: "demo-key", HTTPClient: srv.Client(), Clock: clock, Symbols: []string{"BTC", "ETH"}})
	if f.Name() != "coingecko" {
		t.Fatal(f.Name())
	}
	rec := feedtest.NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, rec) }()

	st, ok := rec.WaitStatus(wait, model.FeedLive, "2 coins")
	if !ok {
		t.Fatalf("statuses %+v", rec.Statuses())
	}
	evs := rec.Events()
	if len(evs) != 2 || evs[0].Kind != model.EventInfo || evs[0].Symbol != "BTC" || evs[0].Info.Name != "Bitcoin" ||
		evs[0].Info.MarketCap != 2092183419266 || evs[1].Symbol != "ETH" || st.Name != "coingecko" {
		t.Fatalf("events %+v", evs)
	}
	if c, ok := f.Coin("ETH"); !ok || c.Rank != 2 {
		t.Errorf("cache: %+v %v", c, ok)
	}
	clock.WaitTimers(1, wait)
	clock.Advance(5 * time.Minute)
	if _, ok := rec.WaitStatus(wait, model.FeedReconnecting, "rate limited by coingecko, retrying in 90s"); !ok {
		t.Fatalf("statuses %+v", rec.Statuses())
	}
	if c, ok := f.Coin("BTC"); !ok || c.Name != "Bitcoin" {
		t.Error("the cache was dropped on a rate limit")
	}
	clock.WaitTimers(1, wait)
	clock.Advance(90 * time.Second)
	if _, ok := rec.WaitStatus(wait, model.FeedReconnecting, "rate limited by coingecko, retrying in 3m"); !ok {
		t.Fatalf("statuses %+v", rec.Statuses())
	}
	clock.WaitTimers(1, wait)
	clock.Advance(3 * time.Minute)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool { return len(evs) == 4 }) {
		t.Fatalf("no refresh after the back-off: %d events", len(rec.Events()))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, k := range keys {
		if k != "demo-key" {
			t.Errorf("request %d key %q", i, k)
		}
	}
	if rec.Last().State != model.FeedStopped {
		t.Errorf("last %+v", rec.Last())
	}
}

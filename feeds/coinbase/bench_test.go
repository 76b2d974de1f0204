package coinbase

import (
	"context"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/feeds/internal/wsx"
)

func newBenchSession() *sessionState {
	e := New(Options{Symbols: []string{"BTC", "ETH"}})
	return &sessionState{e: e, sink: feedtest.Discard{}, link: wsx.NewLink("coinbase", feeds.SessionHooks{}, e.base.Log), p: newParser(e.index),
		products: make([]productState, 2)}
}

// Parse and apply (sequence checks, event to the sink): the hot path.
func BenchmarkTicker(b *testing.B) {
	st := newBenchSession()
	ctx := context.Background()
	feedtest.BenchFrame(b, "coinbase/ticker.json", func(f []byte) {
		st.products[0] = productState{} // the same frame again is not "out of order"
		if st.handle(ctx, f) != nil {
			b.Fatal("error")
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	st := newBenchSession()
	ctx := context.Background()
	feedtest.BenchFrame(b, "coinbase/match.json", func(f []byte) {
		st.products[0] = productState{}
		if st.handle(ctx, f) != nil {
			b.Fatal("error")
		}
	})
}

// The same frames decoded with encoding/json into plain structs.
type jsonTicker struct {
	Type      string    `json:"type"`
	Sequence  uint64    `json:"sequence"`
	ProductID string    `json:"product_id"`
	Price     string    `json:"price"`
	Open24h   string    `json:"open_24h"`
	Volume24h string    `json:"volume_24h"`
	Low24h    string    `json:"low_24h"`
	High24h   string    `json:"high_24h"`
	Volume30d string    `json:"volume_30d"`
	BestBid   string    `json:"best_bid"`
	BestBidSz string    `json:"best_bid_size"`
	BestAsk   string    `json:"best_ask"`
	BestAskSz string    `json:"best_ask_size"`
	Side      string    `json:"side"`
	Time      time.Time `json:"time"`
	TradeID   uint64    `json:"trade_id"`
	LastSize  string    `json:"last_size"`
}

type jsonMatch struct {
	Type         string    `json:"type"`
	TradeID      uint64    `json:"trade_id"`
	Sequence     uint64    `json:"sequence"`
	MakerOrderID string    `json:"maker_order_id"`
	TakerOrderID string    `json:"taker_order_id"`
	Time         time.Time `json:"time"`
	ProductID    string    `json:"product_id"`
	Size         string    `json:"size"`
	Price        string    `json:"price"`
	Side         string    `json:"side"`
}

func BenchmarkTickerEncodingJSON(b *testing.B) {
	feedtest.BenchJSON[jsonTicker](b, "coinbase/ticker.json")
}

func BenchmarkMatchEncodingJSON(b *testing.B) {
	feedtest.BenchJSON[jsonMatch](b, "coinbase/match.json")
}

func TestHandleAllocatesNothing(t *testing.T) {
	st := newBenchSession()
	ctx := context.Background()
	feedtest.NoAllocs(t, []string{"coinbase/ticker.json", "coinbase/match.json", "coinbase/heartbeat.json"}, func(f []byte) {
		st.products[0] = productState{} // the same frame again is not "out of order"
		if st.handle(ctx, f) != nil {
			t.Fatal("error")
		}
	})
}

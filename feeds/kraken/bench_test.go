package kraken

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
	return &sessionState{e: e, sink: feedtest.Discard{}, link: wsx.NewLink("kraken", feeds.SessionHooks{}, e.base.Log),
		p: newParser(e.index, e.base.Symbols), expected: 6}
}

func benchHandle(b *testing.B, name string) {
	st := newBenchSession()
	ctx := context.Background()
	feedtest.BenchFrame(b, name, func(f []byte) {
		if st.handle(ctx, f) != nil {
			b.Fatal("error")
		}
	})
}

// Parse and apply (events to the sink): the hot path.
func BenchmarkTicker(b *testing.B) { benchHandle(b, "kraken/ticker_update.json") }
func BenchmarkTrade(b *testing.B)  { benchHandle(b, "kraken/trade.json") }
func BenchmarkOHLC(b *testing.B)   { benchHandle(b, "kraken/ohlc_update.json") }

// The same frames decoded with encoding/json into plain structs.
type jsonTicker struct {
	Channel string `json:"channel"`
	Type    string `json:"type"`
	Data    []struct {
		Symbol    string    `json:"symbol"`
		Bid       float64   `json:"bid"`
		BidQty    float64   `json:"bid_qty"`
		Ask       float64   `json:"ask"`
		AskQty    float64   `json:"ask_qty"`
		Last      float64   `json:"last"`
		Volume    float64   `json:"volume"`
		VWAP      float64   `json:"vwap"`
		Low       float64   `json:"low"`
		High      float64   `json:"high"`
		Change    float64   `json:"change"`
		ChangePct float64   `json:"change_pct"`
		Timestamp time.Time `json:"timestamp"`
	} `json:"data"`
}

type jsonTrade struct {
	Channel string `json:"channel"`
	Type    string `json:"type"`
	Data    []struct {
		Symbol    string    `json:"symbol"`
		Side      string    `json:"side"`
		Price     float64   `json:"price"`
		Qty       float64   `json:"qty"`
		OrdType   string    `json:"ord_type"`
		TradeID   uint64    `json:"trade_id"`
		Timestamp time.Time `json:"timestamp"`
	} `json:"data"`
}

func BenchmarkTickerEncodingJSON(b *testing.B) {
	feedtest.BenchJSON[jsonTicker](b, "kraken/ticker_update.json")
}

func BenchmarkTradeEncodingJSON(b *testing.B) { feedtest.BenchJSON[jsonTrade](b, "kraken/trade.json") }

func TestHandleAllocatesNothing(t *testing.T) {
	st := newBenchSession()
	ctx := context.Background()
	feedtest.NoAllocs(t, []string{"kraken/ticker_update.json", "kraken/trade_snapshot.json", "kraken/ohlc.json", "kraken/heartbeat.json"}, func(f []byte) {
		if st.handle(ctx, f) != nil {
			t.Fatal("error")
		}
	})
}

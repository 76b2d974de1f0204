// Package model is tokentop's domain: tokens, quotes, trades, candles, the
// bounded price history of each token, and the Market hub that owns all of
// it. It imports neither the terminal nor the network.
package model

import "time"

// Clock tells the time. Injected everywhere so demos can run faster than
// the wall clock and tests are deterministic.
type Clock func() time.Time

// Resolution is the width of a candle.
type Resolution uint8

// Resolutions, finest first: each is a whole number of the one before.
const (
	Minute  Resolution = iota // 1-minute bars
	Minute5                   // 5-minute bars
	Hour                      // 1-hour bars
	Hour4                     // 4-hour bars (UTC 00:00, 04:00, ...)
	Day                       // 1-day bars (UTC days)
)

// Seconds is the width of one bar of this resolution in seconds.
func (r Resolution) Seconds() int64 {
	switch r {
	case Minute:
		return 60
	case Minute5:
		return 300
	case Hour:
		return 3600
	case Hour4:
		return 14400
	default:
		return 86400
	}
}

func (r Resolution) String() string {
	switch r {
	case Minute:
		return "1m"
	case Minute5:
		return "5m"
	case Hour:
		return "1h"
	case Hour4:
		return "4h"
	default:
		return "1d"
	}
}

// Candle is one OHLCV bar. T is the bar's start in Unix seconds, aligned to
// its resolution. Volume is in the base asset (BTC for BTC/USD).
type Candle struct {
	T                      int64
	Open, High, Low, Close float64
	Volume                 float64
}

// Side says who took liquidity in a trade.
type Side uint8

const (
	SideUnknown Side = iota
	SideBuy
	SideSell
)

// Trade is one executed trade. Time is Unix nanoseconds.
type Trade struct {
	Time  int64
	Price float64
	Qty   float64
	Side  Side
	Whale bool // notional at or above the market's whale threshold
}

// Notional is the trade's value in the quote currency.
func (t Trade) Notional() float64 { return t.Price * t.Qty }

// TokenInfo is a token's metadata. Zero values mean "unknown".
type TokenInfo struct {
	Symbol    string  // base asset, upper case: "BTC"
	Name      string  // "Bitcoin"
	MarketCap float64 // quote currency (USD)
	Supply    float64 // circulating supply
}

// EventKind says which fields of an Event are meaningful.
type EventKind uint8

const (
	EventQuote    EventKind = iota + 1 // Price at Time (a ticker)
	EventTrade                         // Price, Qty, Side at Time
	EventCandle                        // Candle at Res: inserts or replaces that bar
	EventInfo                          // Info: metadata for Symbol
	EventOfficial                      // Official: an outside provider's rating for Symbol
	// EventOfficialMoonshots: OfficialMoonshots, an outside provider's
	// moonshot lists (not tied to one token: Symbol is ignored). Each
	// event replaces the previous lists.
	EventOfficialMoonshots
)

// Event is what feeds deliver to the Market. One flat value type, so the
// event queue carries values and applying one allocates nothing.
type Event struct {
	Kind   EventKind
	Symbol string // base asset, upper case: "BTC"
	Time   int64  // Unix nanoseconds, the exchange's event time
	Price  float64
	Qty    float64
	Side   Side
	Res    Resolution
	Candle Candle
	Info   *TokenInfo
	// Official is set for EventOfficial.
	Official *OfficialRating
	// OfficialMoonshots is set for EventOfficialMoonshots. The hub copies
	// it; the feed must not change it after sending.
	OfficialMoonshots *OfficialMoonshots
}

// FeedState is what a feed is doing, in the words the status bar shows.
type FeedState uint8

const (
	FeedConnecting FeedState = iota
	FeedLive
	FeedStale
	FeedReconnecting
	FeedStopped
)

func (s FeedState) String() string {
	switch s {
	case FeedConnecting:
		return "connecting"
	case FeedLive:
		return "live"
	case FeedStale:
		return "stale"
	case FeedReconnecting:
		return "reconnecting"
	default:
		return "stopped"
	}
}

// FeedStatus is a feed's report of its own state.
type FeedStatus struct {
	Name   string    // "demo", "binance"
	State  FeedState //
	Reason string    // in words: "no data for 30s", "dial: connection refused"
	Since  time.Time // when State began
	Demo   bool      // a simulated market
	Bad    uint64    // frames counted bad and skipped
}

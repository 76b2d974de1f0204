// Package model is tokentop's domain: tokens, quotes, trades, candles, the
// bounded price history of each token, and the Market hub that owns all of
// it. It imports neither the terminal nor the network.
package model

import (
	"strconv"
	"time"
)

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
	// EventHistory: History, a token's back history built off the hub
	// (see History). The feed must not use it after sending.
	EventHistory
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
	// History is set for EventHistory.
	History *History
}

// FeedState is what a feed is doing, in the words the status bar shows.
type FeedState uint8

const (
	FeedConnecting FeedState = iota
	FeedLive
	FeedStale
	FeedReconnecting
	FeedStopped
	// FeedQuiet: connected, but nothing has arrived for longer than the
	// exchange's usual rhythm (FeedStatus.LastFrame says since when). Not
	// yet stale: the connection is kept.
	FeedQuiet
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
	case FeedQuiet:
		return "quiet"
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
	// RetryAt is when the next connection attempt is due (FeedReconnecting
	// with a wait); zero otherwise. The status bar counts down to it.
	RetryAt time.Time
	// LastFrame is when the last frame arrived on the connection (for
	// FeedQuiet: "quiet 5s" is the time since); zero before the first.
	LastFrame time.Time
	// History is why fetching history failed, in words, while a retry is
	// pending ("HTTP 500 for BTC"); empty when history is complete or
	// being fetched. HistoryRetryAt is when the retry is due.
	History        string
	HistoryRetryAt time.Time
}

// Describe says what the feed is doing at now, in the status bar's words:
// "live", "quiet 5s", "reconnecting in 4s (attempt 3: connection
// refused)", "stale (no data for 30s)". Waits count down and quiet counts
// up as now moves.
func (s FeedStatus) Describe(now time.Time) string {
	words := s.StateWords(now)
	if s.State != FeedLive && s.State != FeedQuiet && s.Reason != "" {
		words += " (" + s.Reason + ")"
	}
	return words
}

// StateWords is Describe without the reason: "reconnecting in 4s",
// "quiet 5s", "live".
func (s FeedStatus) StateWords(now time.Time) string {
	words := s.State.String()
	switch {
	case s.State == FeedQuiet && !s.LastFrame.IsZero():
		words += " " + FormatWait(now.Sub(s.LastFrame))
	case s.State == FeedReconnecting && !s.RetryAt.IsZero():
		if left := s.RetryAt.Sub(now); left > 0 {
			words += " in " + FormatWait(left)
		} else {
			words += " now"
		}
	}
	return words
}

// DescribeHistory says why the feed's history is incomplete and when it is
// fetched again ("history failed: HTTP 500; retrying in 42s"); "" when
// nothing failed.
func (s FeedStatus) DescribeHistory(now time.Time) string {
	if s.History == "" {
		return ""
	}
	words := "history failed: " + s.History + "; retrying "
	if left := s.HistoryRetryAt.Sub(now); !s.HistoryRetryAt.IsZero() && left > 0 {
		return words + "in " + FormatWait(left)
	}
	return words + "now"
}

// FormatWait formats a wait or an age the way the status bar shows it:
// whole seconds (rounded up) from 0.95s, tenths below, FormatDuration's
// form from two minutes; negative counts as zero.
func FormatWait(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < 950*time.Millisecond {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	up := (d + time.Second - 1).Truncate(time.Second)
	if up >= 2*time.Minute {
		return FormatDuration(up) // "2m30s", "2h"
	}
	return strconv.FormatInt(int64(up/time.Second), 10) + "s" // a countdown reads 90s, 89s, …
}

// String names the kind for logs: "quote", "trade", "candle", "info",
// "official", "official moonshots".
func (k EventKind) String() string {
	switch k {
	case EventQuote:
		return "quote"
	case EventTrade:
		return "trade"
	case EventCandle:
		return "candle"
	case EventInfo:
		return "info"
	case EventOfficial:
		return "official"
	case EventOfficialMoonshots:
		return "official moonshots"
	case EventHistory:
		return "history"
	}
	return "unknown"
}

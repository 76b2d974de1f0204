// Package coinbase is the Coinbase Exchange adapter: the public ws-feed
// (ticker, matches and heartbeat channels) for live prices and trades, and
// the REST candles endpoint for history. It implements feeds.Exchange; the
// supervisor in feeds turns it into a Feed that reconnects.
//
// Symbols are base assets ("BTC"); with the configured quote ("USD") they
// become Coinbase product ids ("BTC-USD") inside this package only.
//
// Sequence numbers: Coinbase's `sequence` is the product's sequence on its
// full order feed, so the ticker, matches and heartbeat channels skip
// numbers as a matter of course; a jump there is not a loss. A message whose
// sequence is LOWER than the last one seen on the same channel for the same
// product arrived out of order: it is counted bad (hooks.Bad) and skipped,
// so an old price never overwrites a newer one. Lost trades are detected
// the way Coinbase documents it, from trade ids: a match whose trade_id
// jumps, or a heartbeat whose last_trade_id the matches had still not
// reached one heartbeat later, adds to MissedTrades and is logged. Missed
// trades are not re-fetched: the candles the market needs are backfilled
// over REST by the supervisor after every reconnect.
package coinbase

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/tokentop/tokentop/feeds/internal/venue"
)

// Default endpoints.
const (
	DefaultWSURL   = "wss://ws-feed.exchange.coinbase.com"
	DefaultRESTURL = "https://api.exchange.coinbase.com"
	DefaultQuote   = "USD"
)

// Options configure an Exchange. Zero values take the defaults.
type Options struct {
	Symbols    []string // base assets: "BTC", "ETH"
	Quote      string   // quote currency: "USD" (default)
	WSURL      string   // default DefaultWSURL
	RESTURL    string   // default DefaultRESTURL
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Exchange is the Coinbase Exchange adapter (feeds.Exchange).
type Exchange struct {
	base     venue.Base     // symbols ("BTC"; interned), endpoints, client, logger, REST pacing
	products []string       // Coinbase product ids, in base.Symbols' order ("BTC-USD")
	index    map[string]int // product id -> position

	missed atomic.Uint64 // trades known to be lost on the matches channel

	// Tunables; tests shorten them.
	subscribeWithin time.Duration // write the subscribe within this (Coinbase: 5 s)
	now             func() time.Time
}

// New returns a Coinbase adapter for opts. Symbols that are not plain
// letters and digits are dropped (and logged); Session and Backfill then
// report them.
func New(opts Options) *Exchange {
	e := &Exchange{
		base: venue.NewBase(venue.Config(opts), venue.Defaults{
			Name: "coinbase", WSURL: DefaultWSURL, RESTURL: DefaultRESTURL, Quote: DefaultQuote,
			AckWithin: 10 * time.Second, // the subscriptions ack must arrive within this
			REST: venue.REST{
				Concurrency: 3,
				Interval:    150 * time.Millisecond, // under 10 requests/s
				RetryBase:   time.Second,
				RetryMax:    30 * time.Second,
				Tries:       6,
				MaxBody:     maxBody,
			},
		}),
		index:           make(map[string]int),
		subscribeWithin: 5 * time.Second,
		now:             time.Now,
	}
	for i, sym := range e.base.Symbols {
		p := sym + "-" + e.base.Quote
		e.index[p] = i
		e.products = append(e.products, p)
	}
	return e
}

// Name is "coinbase".
func (e *Exchange) Name() string { return "coinbase" }

// Products are the Coinbase product ids this adapter follows.
func (e *Exchange) Products() []string { return append([]string(nil), e.products...) }

// MissedTrades is how many trades the matches channel is known to have
// lost since the adapter was made.
func (e *Exchange) MissedTrades() uint64 { return e.missed.Load() }

// Rhythm is how often frames arrive on a healthy connection (feeds.Rhythmic):
// the heartbeat channel beats once a second per product.
func (e *Exchange) Rhythm() time.Duration { return time.Second }

// Probe checks cheaply whether the websocket server answers (feeds.Prober).
func (e *Exchange) Probe(ctx context.Context) error { return e.base.Probe(ctx) }

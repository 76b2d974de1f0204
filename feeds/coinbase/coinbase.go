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
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tokentop/tokentop/feeds"
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
	symbols  []string       // internal symbols, upper case ("BTC"); interned
	products []string       // Coinbase product ids, same order ("BTC-USD")
	index    map[string]int // product id -> position
	quote    string
	wsURL    string
	restURL  string
	http     *http.Client
	log      *slog.Logger
	badSyms  []string // configured symbols that could not be used

	missed atomic.Uint64 // trades known to be lost on the matches channel

	// Tunables; tests shorten them.
	subscribeWithin time.Duration // write the subscribe within this (Coinbase: 5 s)
	ackWithin       time.Duration // the subscriptions ack must arrive within this
	readLimit       int64         // largest frame accepted
	restConcurrency int           // REST requests in flight at once
	restInterval    time.Duration // least time between two REST request starts
	retryBase       time.Duration // first wait after a 429 without Retry-After
	retryMax        time.Duration // longest wait between tries
	retries         int           // tries per page before giving up
	clock           feeds.Clock   // REST waits
	now             func() time.Time
}

// New returns a Coinbase adapter for opts. Symbols that are not plain
// letters and digits are dropped (and logged); Session and Backfill then
// report them.
func New(opts Options) *Exchange {
	e := &Exchange{
		quote:           strings.ToUpper(strings.TrimSpace(opts.Quote)),
		wsURL:           opts.WSURL,
		restURL:         strings.TrimRight(opts.RESTURL, "/"),
		http:            opts.HTTPClient,
		log:             opts.Logger,
		index:           make(map[string]int),
		subscribeWithin: 5 * time.Second,
		ackWithin:       10 * time.Second,
		readLimit:       1 << 20,
		restConcurrency: 3,
		restInterval:    150 * time.Millisecond, // under 10 requests/s
		retryBase:       time.Second,
		retryMax:        30 * time.Second,
		retries:         6,
		clock:           feeds.RealClock{},
		now:             time.Now,
	}
	if e.quote == "" || !venue.PlainSymbol(e.quote) {
		e.quote = DefaultQuote
	}
	if e.wsURL == "" {
		e.wsURL = DefaultWSURL
	}
	if e.restURL == "" {
		e.restURL = DefaultRESTURL
	}
	if e.http == nil {
		e.http = &http.Client{Timeout: 20 * time.Second}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	for _, s := range opts.Symbols {
		sym := strings.ToUpper(strings.TrimSpace(s))
		if !venue.PlainSymbol(sym) {
			e.badSyms = append(e.badSyms, s)
			e.log.Warn("coinbase: symbol skipped", "symbol", s, "reason", "not letters and digits")
			continue
		}
		p := sym + "-" + e.quote
		if _, dup := e.index[p]; dup {
			continue
		}
		e.index[p] = len(e.products)
		e.symbols = append(e.symbols, sym)
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

func (e *Exchange) checkSymbols() error {
	return venue.CheckSymbols("coinbase", len(e.products), e.badSyms)
}

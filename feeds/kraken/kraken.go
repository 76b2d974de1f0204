// Package kraken is the Kraken Spot adapter: WebSocket v2 (ticker, 1-minute
// ohlc and trade channels) for live data and REST OHLC for history. It
// implements feeds.Exchange; the supervisor in feeds turns it into a Feed
// that reconnects.
//
// Symbols are base assets ("BTC"). Kraken's naming stays inside this
// package: the v2 websocket uses "BTC/USD" (frames that say "XBT/USD", the
// v1 name, are accepted too), REST takes "XBTUSD" (XBT for BTC, XDG for
// DOGE) and answers under its own key ("XXBTZUSD"), which is read as
// whatever single pair the answer holds.
//
// REST OHLC: the last row of every answer is the current, unfinished
// candle; it is dropped, never stored as final. The live ohlc channel sends
// the current bar within a second of subscribing, and keeps it up to date.
package kraken

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/venue"
)

// Default endpoints.
const (
	DefaultWSURL   = "wss://ws.kraken.com/v2"
	DefaultRESTURL = "https://api.kraken.com"
	DefaultQuote   = "USD"
)

// Options configure an Exchange. Zero values take the defaults.
type Options struct {
	Symbols    []string // base assets: "BTC", "ETH" ("XBT" is read as BTC)
	Quote      string   // quote currency: "USD" (default)
	WSURL      string   // default DefaultWSURL
	RESTURL    string   // default DefaultRESTURL
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Exchange is the Kraken adapter (feeds.Exchange).
type Exchange struct {
	symbols []string       // internal symbols ("BTC"); interned
	wsNames []string       // v2 websocket names ("BTC/USD")
	pairs   []string       // REST pair names ("XBTUSD")
	index   map[string]int // websocket name (v2 and v1 spellings) -> position
	quote   string
	wsURL   string
	restURL string
	http    *http.Client
	log     *slog.Logger
	badSyms []string

	// Tunables; tests shorten them.
	ackWithin       time.Duration // the first subscribe ack must arrive within this
	pingEvery       time.Duration // application-level ping (Kraken drops idle clients after ~1 min)
	readLimit       int64
	restConcurrency int
	restInterval    time.Duration // least time between REST request starts (~1/s guidance)
	retryBase       time.Duration
	retryMax        time.Duration
	retries         int
	clock           feeds.Clock // REST waits
}

// New returns a Kraken adapter for opts. Symbols that are not plain letters
// and digits are dropped (and logged).
func New(opts Options) *Exchange {
	e := &Exchange{
		quote:           strings.ToUpper(strings.TrimSpace(opts.Quote)),
		wsURL:           opts.WSURL,
		restURL:         strings.TrimRight(opts.RESTURL, "/"),
		http:            opts.HTTPClient,
		log:             opts.Logger,
		index:           make(map[string]int),
		ackWithin:       10 * time.Second,
		pingEvery:       30 * time.Second,
		readLimit:       1 << 20,
		restConcurrency: 2,
		restInterval:    time.Second,
		retryBase:       2 * time.Second,
		retryMax:        60 * time.Second,
		retries:         6,
		clock:           feeds.RealClock{},
	}
	if e.quote == "" || !venue.PlainSymbol(e.quote) {
		e.quote = DefaultQuote
	}
	if e.quote == "XBT" {
		e.quote = "BTC"
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
			e.log.Warn("kraken: symbol skipped", "symbol", s, "reason", "not letters and digits")
			continue
		}
		if sym == "XBT" {
			sym = "BTC"
		}
		ws := sym + "/" + e.quote
		if _, dup := e.index[ws]; dup {
			continue
		}
		i := len(e.symbols)
		e.index[ws] = i
		if v1 := v1Name(sym) + "/" + v1Name(e.quote); v1 != ws {
			e.index[v1] = i
		}
		e.symbols = append(e.symbols, sym)
		e.wsNames = append(e.wsNames, ws)
		e.pairs = append(e.pairs, restName(sym)+restName(e.quote))
	}
	return e
}

// v1Name is an asset's name in Kraken's older websocket API.
func v1Name(a string) string {
	switch a {
	case "BTC":
		return "XBT"
	case "DOGE":
		return "XDG"
	}
	return a
}

// restName is an asset's name in a REST pair ("XBTUSD", "XDGUSD").
func restName(a string) string { return v1Name(a) }

// Name is "kraken".
func (e *Exchange) Name() string { return "kraken" }

// Pairs are the websocket names this adapter follows ("BTC/USD").
func (e *Exchange) Pairs() []string { return append([]string(nil), e.wsNames...) }

func (e *Exchange) checkSymbols() error {
	return venue.CheckSymbols("kraken", len(e.symbols), e.badSyms)
}

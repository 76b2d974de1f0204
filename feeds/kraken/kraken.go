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
	"context"
	"log/slog"
	"net/http"
	"time"

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
	base    venue.Base     // symbols ("BTC"; interned), endpoints, client, logger, REST pacing
	wsNames []string       // v2 websocket names, in base.Symbols' order ("BTC/USD")
	pairs   []string       // REST pair names ("XBTUSD")
	index   map[string]int // websocket name (v2 and v1 spellings) -> position

	// Tunables; tests shorten them.
	pingEvery time.Duration // application-level ping (Kraken drops idle clients after ~1 min)
}

// New returns a Kraken adapter for opts. Symbols that are not plain letters
// and digits are dropped (and logged).
func New(opts Options) *Exchange {
	e := &Exchange{
		base: venue.NewBase(venue.Config(opts), venue.Defaults{
			Name: "kraken", WSURL: DefaultWSURL, RESTURL: DefaultRESTURL, Quote: DefaultQuote,
			Alias:     fromV1,
			AckWithin: 10 * time.Second, // the first subscribe ack must arrive within this
			REST: venue.REST{
				Concurrency: 2,
				Interval:    time.Second, // Kraken's guidance: about one request a second
				RetryBase:   2 * time.Second,
				RetryMax:    60 * time.Second,
				Tries:       6,
				MaxBody:     maxBody,
			},
		}),
		index:     make(map[string]int),
		pingEvery: 30 * time.Second,
	}
	quote := e.base.Quote
	for i, sym := range e.base.Symbols {
		ws := sym + "/" + quote
		e.index[ws] = i
		if v1 := v1Name(sym) + "/" + v1Name(quote); v1 != ws {
			e.index[v1] = i
		}
		e.wsNames = append(e.wsNames, ws)
		e.pairs = append(e.pairs, restName(sym)+restName(quote))
	}
	return e
}

// fromV1 reads "XBT", the older name of BTC, as BTC.
func fromV1(a string) string {
	if a == "XBT" {
		return "BTC"
	}
	return a
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

// Rhythm is how often frames arrive on a healthy connection (feeds.Rhythmic):
// Kraken sends a heartbeat about once a second when nothing else moves.
func (e *Exchange) Rhythm() time.Duration { return time.Second }

// Probe checks cheaply whether the websocket server answers (feeds.Prober).
func (e *Exchange) Probe(ctx context.Context) error { return e.base.Probe(ctx) }

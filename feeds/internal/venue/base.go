package venue

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/httpx"
	"github.com/tokentop/tokentop/model"
)

// Config is what an adapter is configured with: its Options, field for
// field (coinbase.Options and kraken.Options convert to it). Zero values
// take the Defaults.
type Config struct {
	Symbols    []string // base assets: "BTC", "ETH"
	Quote      string   // quote currency
	WSURL      string
	RESTURL    string
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Defaults are an exchange's own numbers: its name, endpoints, quote, the
// symbols it knows by another name, and how its REST history is paced.
type Defaults struct {
	Name    string // "coinbase": the source's name, in words and the log
	WSURL   string
	RESTURL string
	Quote   string
	// Alias maps a configured symbol (upper case) to the one the market
	// knows ("XBT" -> "BTC"); nil: none.
	Alias     func(string) string
	AckWithin time.Duration // the subscription's acknowledgement must come within this
	REST      REST
}

// REST is how an exchange's history requests are paced and retried.
type REST struct {
	Concurrency int           // requests in flight at once
	Interval    time.Duration // least time between two request starts
	RetryBase   time.Duration // first wait after a failure or a 429 without Retry-After
	RetryMax    time.Duration // longest wait between tries
	Tries       int           // tries per request before giving up
	MaxBody     int64         // the largest answer read
}

// Base is what an adapter that subscribes over one websocket and backfills
// over REST (Coinbase, Kraken) holds alike: its symbols, endpoints, client,
// logger and pacing. Tests shorten AckWithin and REST.
type Base struct {
	Name      string
	Symbols   []string // the usable symbols, upper case, aliases applied, each once, in the configured order
	Refused   []string // configured symbols that are not letters and digits, as configured
	Quote     string   // upper case, alias applied
	WSURL     string
	RESTURL   string // without a trailing slash
	HTTP      *http.Client
	Log       *slog.Logger
	AckWithin time.Duration
	REST      REST
	Clock     feeds.Clock // REST waits
}

// NewBase fills cfg in with d: the quote (trimmed, upper case, aliased; d's
// when empty or not letters and digits), the endpoints, a 20 s HTTP client,
// a discarding logger, and the symbols (Symbols: a symbol that is not
// letters and digits is refused and logged).
func NewBase(cfg Config, d Defaults) Base {
	alias := d.Alias
	if alias == nil {
		alias = func(s string) string { return s }
	}
	b := Base{
		Name:      d.Name,
		Quote:     alias(strings.ToUpper(strings.TrimSpace(cfg.Quote))),
		WSURL:     cfg.WSURL,
		RESTURL:   strings.TrimRight(cfg.RESTURL, "/"),
		HTTP:      cfg.HTTPClient,
		Log:       cfg.Logger,
		AckWithin: d.AckWithin,
		REST:      d.REST,
		Clock:     feeds.RealClock{},
	}
	if !PlainSymbol(b.Quote) {
		b.Quote = d.Quote
	}
	if b.WSURL == "" {
		b.WSURL = d.WSURL
	}
	if b.RESTURL == "" {
		b.RESTURL = d.RESTURL
	}
	if b.HTTP == nil {
		b.HTTP = &http.Client{Timeout: 20 * time.Second}
	}
	if b.Log == nil {
		b.Log = feeds.DiscardLogger()
	}
	seen := make(map[string]bool)
	for _, s := range cfg.Symbols {
		sym := strings.ToUpper(strings.TrimSpace(s))
		if !PlainSymbol(sym) {
			b.Refused = append(b.Refused, s)
			b.Log.Warn(b.Name+": symbol skipped", "symbol", s, "reason", "not letters and digits")
			continue
		}
		sym = alias(sym)
		if seen[sym] {
			continue
		}
		seen[sym] = true
		b.Symbols = append(b.Symbols, sym)
	}
	return b
}

// CheckSymbols is the error a Session or Backfill returns when no
// configured symbol was usable (CheckSymbols).
func (b *Base) CheckSymbols() error { return CheckSymbols(b.Name, len(b.Symbols), b.Refused) }

// Probe checks cheaply whether the websocket server answers (feeds.Prober).
func (b *Base) Probe(ctx context.Context) error { return feeds.DialProbe(ctx, b.WSURL) }

// Requester makes one backfill's requests, paced and retried by b.REST,
// rate limits noted in sink's status.
func (b *Base) Requester(sink feeds.Sink) *httpx.Requester {
	return &httpx.Requester{
		Exchange: b.Name, HTTP: b.HTTP, Pace: httpx.NewPacer(b.Clock, b.REST.Interval), Clock: b.Clock,
		MaxBody: b.REST.MaxBody, Tries: b.REST.Tries, RetryBase: b.REST.RetryBase, RetryMax: b.REST.RetryMax,
		Note: func(reason string) { sink.Status(model.FeedStatus{Reason: reason}) }, Log: b.Log,
	}
}

// Candles says how an exchange's candle requests (R) are planned, made and
// sent, for Base.Backfill.
type Candles[R any] struct {
	// Plan is the requests covering from..to for the symbol at position
	// symbol, oldest first.
	Plan func(symbol int, from, to time.Time) []R
	// Symbol is the position of a request's symbol.
	Symbol func(R) int
	// Fetch makes one request and returns its candles appended to dst.
	Fetch func(ctx context.Context, req *httpx.Requester, r R, dst []model.Candle) ([]model.Candle, error)
	// Res is the resolution of a request's candles.
	Res func(R) model.Resolution
	// Keep is, for one answer, which of its candles are sent: those inside
	// what was asked, and closed.
	Keep func(R) func(model.Candle) bool
	// Failed logs a failed request (the exchange's name for its symbol).
	Failed func(r R, err error)
}

// Backfill fetches the candles covering from..to for every symbol and
// sends the ones c keeps to sink, in the order of each answer: at most
// REST.Concurrency requests in flight (each worker reuses one buffer), paced
// and retried by Requester. A failing symbol's later requests are skipped;
// the others carry on, and the error names how many failed and the first
// reason (httpx.Backfill).
func Backfill[R any](ctx context.Context, b *Base, sink feeds.Sink, from, to time.Time, c Candles[R]) error {
	if err := b.CheckSymbols(); err != nil {
		return err
	}
	var reqs []R
	for i := range b.Symbols {
		reqs = append(reqs, c.Plan(i, from, to)...)
	}
	if len(reqs) == 0 {
		return nil
	}
	req := b.Requester(sink)
	return httpx.Backfill[R]{
		Exchange: b.Name,
		Symbols:  len(b.Symbols),
		Workers:  b.REST.Concurrency,
		Symbol:   c.Symbol,
		Worker: func() func(R) error {
			var rows []model.Candle
			return func(r R) error {
				var err error
				rows, err = c.Fetch(ctx, req, r, rows[:0])
				if err == nil {
					err = sendCandles(ctx, sink, b.Symbols[c.Symbol(r)], c.Res(r), rows, c.Keep(r))
				}
				return err
			}
		},
		Failed: c.Failed,
	}.Run(ctx, reqs)
}

// sendCandles sends the rows keep keeps as sym's candles of res.
func sendCandles(ctx context.Context, sink feeds.Sink, sym string, res model.Resolution, rows []model.Candle, keep func(model.Candle) bool) error {
	for _, k := range rows {
		if !keep(k) {
			continue
		}
		if !sink.Send(ctx, model.Event{Kind: model.EventCandle, Symbol: sym, Res: res, Candle: k}) {
			return ctx.Err()
		}
	}
	return nil
}

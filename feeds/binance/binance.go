// Package binance is the Binance Spot adapter: live miniTicker, 1-minute
// kline and aggTrade streams over combined-stream websockets, and kline
// history over REST, within Binance's connection and weight limits. Wrap it
// with feeds.Supervise to get a Feed.
package binance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/httpx"
	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/feeds/internal/wsx"
	"github.com/tokentop/tokentop/model"
)

// Defaults of Options.
const (
	DefaultWSURL       = "wss://stream.binance.com:9443"
	DefaultRESTURL     = "https://api.binance.com"
	DefaultQuote       = "USDT"
	DefaultMaxStreams  = 1024                          // Binance's limit per connection
	DefaultMaxConnAge  = 23*time.Hour + 30*time.Minute // Binance drops connections at 24 h
	DefaultConcurrency = 4
	DefaultDialTimeout = 15 * time.Second
	// DefaultWeightBudget is the used weight per minute (of Binance's 6000)
	// above which history requests pause until the next minute.
	DefaultWeightBudget = 4800
)

// streamsPerSymbol: miniTicker, kline_1m, aggTrade.
const streamsPerSymbol = 3

// Options configure the adapter. Zero values take the defaults.
type Options struct {
	Symbols      []string      // base assets, "BTC", "ETH"; ignored (must be empty) when Top > 0
	Top          int           // > 0: watch the exchange's top N bases by 24 h quote volume (top.go); 0 = Symbols
	TopRefresh   time.Duration // re-pick the top N at a session start when older than this, default 1h
	Quote        string        // quote asset, default "USDT"
	WSURL        string        // default DefaultWSURL (a testnet: "wss://stream.testnet.binance.vision")
	RESTURL      string        // default DefaultRESTURL (a testnet: "https://testnet.binance.vision")
	HTTPClient   *http.Client  // default: 30 s timeout
	Logger       *slog.Logger  // nil = discard
	Clock        feeds.Clock   // default feeds.RealClock
	MaxStreams   int           // streams per connection, default 1024
	MaxConnAge   time.Duration // reconnect before Binance's 24 h cut, default 23h30m
	Concurrency  int           // history requests in flight, default 4
	DialTimeout  time.Duration // default 15s
	WeightBudget int           // default DefaultWeightBudget
}

// Exchange is the Binance adapter (a feeds.Exchange).
type Exchange struct {
	opts    Options
	bases   []string
	symbols map[string]string // "BTCUSDT" -> "BTC"
	log     *slog.Logger

	pace *httpx.Pacer // every REST request's; held back by rate limits and the weight budget

	top topList // the resolved list when Top > 0 (top.go)
}

var _ feeds.Exchange = (*Exchange)(nil)

// New checks the options and returns the adapter.
func New(opts Options) (*Exchange, error) {
	if opts.Quote == "" {
		opts.Quote = DefaultQuote
	}
	opts.Quote = strings.ToUpper(opts.Quote)
	if !venue.PlainSymbol(opts.Quote) {
		return nil, fmt.Errorf("binance: quote %q is not an asset name (letters and digits)", opts.Quote)
	}
	if err := checkTop(&opts); err != nil {
		return nil, err
	}
	if len(opts.Symbols) == 0 && opts.Top == 0 {
		return nil, errors.New("binance: no symbols to watch")
	}
	if opts.WSURL == "" {
		opts.WSURL = DefaultWSURL
	}
	if opts.RESTURL == "" {
		opts.RESTURL = DefaultRESTURL
	}
	opts.WSURL = strings.TrimRight(opts.WSURL, "/")
	opts.RESTURL = strings.TrimRight(opts.RESTURL, "/")
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = feeds.DiscardLogger()
	}
	if opts.Clock == nil {
		opts.Clock = feeds.RealClock{}
	}
	if opts.MaxStreams < streamsPerSymbol {
		opts.MaxStreams = DefaultMaxStreams
	}
	if opts.MaxConnAge <= 0 {
		opts.MaxConnAge = DefaultMaxConnAge
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.WeightBudget <= 0 {
		opts.WeightBudget = DefaultWeightBudget
	}
	x := &Exchange{opts: opts, symbols: map[string]string{}, log: opts.Logger.With("feed", "binance"), top: newTopList(),
		pace: httpx.NewPacer(opts.Clock, 0)}
	for _, s := range opts.Symbols {
		b := strings.ToUpper(strings.TrimSpace(s))
		if !venue.PlainSymbol(b) {
			return nil, fmt.Errorf("binance: symbol %q is not an asset name (letters and digits, like BTC)", s)
		}
		if _, dup := x.symbols[b+opts.Quote]; dup {
			continue
		}
		x.symbols[b+opts.Quote] = b
		x.bases = append(x.bases, b)
	}
	return x, nil
}

// Name is "binance".
func (x *Exchange) Name() string { return "binance" }

// Pair is Binance's name for a base symbol: "BTC" -> "BTCUSDT".
func (x *Exchange) Pair(base string) string { return base + x.opts.Quote }

// StreamURLs is one combined-stream URL per connection: each symbol's
// miniTicker, kline_1m and aggTrade streams, at most MaxStreams per URL.
// With Top it is the last resolved list's (none before the first session).
func (x *Exchange) StreamURLs() []string {
	bases, _ := x.currentList()
	return x.streamURLs(bases)
}

func (x *Exchange) streamURLs(bases []string) []string {
	per := max(1, x.opts.MaxStreams/streamsPerSymbol)
	var urls []string
	for i := 0; i < len(bases); i += per {
		var b strings.Builder
		b.WriteString(x.opts.WSURL)
		b.WriteString("/stream?streams=")
		for j, base := range bases[i:min(i+per, len(bases))] {
			p := strings.ToLower(x.Pair(base))
			if j > 0 {
				b.WriteByte('/')
			}
			b.WriteString(p + "@miniTicker/" + p + "@kline_1m/" + p + "@aggTrade")
		}
		urls = append(urls, b.String())
	}
	return urls
}

// Session connects every stream group, reads until one connection fails,
// the server announces a shutdown, the connections reach MaxConnAge, or
// ctx ends (then it returns nil). With Top it first picks the top N
// (again when the list is older than TopRefresh) and fails in words when
// it cannot.
func (x *Exchange) Session(ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bases, symbols, err := x.watchlist(ctx, sink, x.opts.TopRefresh)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		x.log.Warn("session ended", "err", err)
		return err
	}
	urls := x.streamURLs(bases)
	conns := make([]*websocket.Conn, 0, len(urls))
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	for _, u := range urls {
		dctx, dcancel := context.WithTimeout(ctx, x.opts.DialTimeout)
		c, resp, err := websocket.Dial(dctx, u, &websocket.DialOptions{
			HTTPClient: x.opts.HTTPClient, CompressionMode: websocket.CompressionDisabled})
		dcancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return dialError(err, resp)
		}
		c.SetReadLimit(1 << 20)
		conns = append(conns, c)
		x.log.Info("connected", "url", u)
	}
	hooks.Live()

	age := x.opts.Clock.NewTimer(x.opts.MaxConnAge)
	defer age.Stop()
	errs := make(chan error, len(conns))
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { errs <- x.read(ctx, c, symbols, sink, hooks) })
	}
	select {
	case err = <-errs:
	case <-ctx.Done():
	case <-age.C():
		err = fmt.Errorf("binance: renewing the connection before its 24-hour limit: %w", feeds.ErrReconnectNow)
	}
	cancel()
	for _, c := range conns {
		c.CloseNow()
	}
	wg.Wait()
	if ctx.Err() != nil && err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	x.log.Warn("session ended", "err", err)
	return err
}

// read reads one connection's frames until it fails.
func (x *Exchange) read(ctx context.Context, c *websocket.Conn, symbols map[string]string, sink feeds.Sink, hooks feeds.SessionHooks) error {
	p := &Parser{symbols: symbols, evs: make([]model.Event, 0, 64)}
	buf := make([]byte, 0, 8192)
	for {
		typ, b, err := wsx.ReadMessage(ctx, c, buf)
		buf = b
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return readError(err)
		}
		hooks.Beat()
		if typ != websocket.MessageText {
			hooks.Bad("binary frame")
			continue
		}
		evs, shutdown, perr := p.Parse(buf)
		if perr != nil {
			hooks.Bad(perr.Error())
			x.log.Debug("bad frame", "reason", perr.Error(), "frame", clip(buf))
			continue
		}
		if shutdown {
			return fmt.Errorf("binance: server is shutting down: %w", feeds.ErrReconnectNow)
		}
		for i := range evs {
			if !sink.Send(ctx, evs[i]) {
				return ctx.Err()
			}
		}
	}
}

func dialError(err error, resp *http.Response) error {
	if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusTeapot:
			return fmt.Errorf("binance: too many connections, refused with HTTP %d", resp.StatusCode)
		case http.StatusForbidden, 451:
			return fmt.Errorf("binance: refused the connection (HTTP %d; not available from this location?)", resp.StatusCode)
		}
		return fmt.Errorf("binance: cannot connect: HTTP %d", resp.StatusCode)
	}
	return fmt.Errorf("binance: cannot connect: %w", err)
}

func readError(err error) error {
	if code := websocket.CloseStatus(err); code != -1 {
		var ce websocket.CloseError
		if errors.As(err, &ce) && ce.Reason != "" {
			return fmt.Errorf("binance closed the connection (%d: %s)", code, clip([]byte(ce.Reason)))
		}
		return fmt.Errorf("binance closed the connection (%d)", code)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("binance: connection dropped")
	}
	return fmt.Errorf("binance: connection lost: %w", err)
}

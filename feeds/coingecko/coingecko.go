// Package coingecko fetches token metadata (names, market cap, circulating
// supply, rank) from CoinGecko's /coins/markets, refreshed every few
// minutes within the free tier and cached. Missing or garbled values
// degrade to unknown (0), never to a wrong number.
package coingecko

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/model"
)

// Defaults of Options.
const (
	DefaultURL      = "https://api.coingecko.com/api/v3"
	DefaultEvery    = 5 * time.Minute
	DefaultCurrency = "usd"
	DefaultPages    = 1 // 250 coins per page
	// APIKeyEnv is the environment variable read when Options.APIKey is empty.
	APIKeyEnv = "COINGECKO_API_KEY"
	// apiKeyHeader is the Demo plan's key header (CoinGecko's API docs).
	apiKeyHeader = "x-cg-demo-api-key"
	perPage      = 250
	maxBody      = 16 << 20
)

// Plausibility bounds: beyond these a number is garbage, shown as unknown.
const (
	maxMarketCap = 1e14 // USD 100 trillion
	maxSupply    = 1e18
	maxRank      = 1_000_000
)

// Options configure the feed. Zero values take the defaults.
type Options struct {
	URL        string        // API base, default DefaultURL (Pro: https://pro-api.coingecko.com/api/v3)
	APIKey     string        // optional Demo key; default $COINGECKO_API_KEY
	Every      time.Duration // refresh period, default 5m (minimum 1m)
	Currency   string        // vs_currency, default "usd"
	Pages      int           // pages of 250 coins by market cap, default 1
	Symbols    []string      // when set, only these symbols are sent
	HTTPClient *http.Client  // default: 30 s timeout
	Logger     *slog.Logger  // nil = discard
	Clock      feeds.Clock   // default feeds.RealClock
}

// Coin is one row of /coins/markets, with unknown values as 0.
type Coin struct {
	ID        string
	Symbol    string // upper case, "BTC"
	Name      string
	MarketCap float64
	Supply    float64 // circulating
	Rank      int
}

// Feed is the CoinGecko metadata feed (a feeds.Feed named "coingecko").
type Feed struct {
	opts Options
	only map[string]bool
	log  *slog.Logger
	ran  atomic.Bool

	mu    sync.Mutex
	coins map[string]Coin // the cache, by symbol
}

var _ feeds.Feed = (*Feed)(nil)

// New returns the feed.
func New(opts Options) *Feed {
	if opts.URL == "" {
		opts.URL = DefaultURL
	}
	opts.URL = strings.TrimRight(opts.URL, "/")
	if opts.APIKey == "" {
		opts.APIKey = os.Getenv(APIKeyEnv)
	}
	if opts.Every <= 0 {
		opts.Every = DefaultEvery
	}
	opts.Every = max(opts.Every, time.Minute)
	if opts.Currency == "" {
		opts.Currency = DefaultCurrency
	}
	if opts.Pages <= 0 {
		opts.Pages = DefaultPages
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = feeds.DiscardLogger()
	}
	if opts.Clock == nil {
		opts.Clock = feeds.RealClock{}
	}
	f := &Feed{opts: opts, log: opts.Logger.With("feed", "coingecko"), coins: map[string]Coin{}}
	if len(opts.Symbols) > 0 {
		f.only = map[string]bool{}
		for _, s := range opts.Symbols {
			f.only[strings.ToUpper(s)] = true
		}
	}
	return f
}

// Name is "coingecko".
func (f *Feed) Name() string { return "coingecko" }

// Coin is the cached metadata of symbol ("BTC").
func (f *Feed) Coin(symbol string) (Coin, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.coins[symbol]
	return c, ok
}

// Run refreshes every Options.Every until ctx ends, sending an EventInfo
// per coin. A 429 backs off (Retry-After, else doubling from one minute,
// up to 30 minutes); other failures retry at the next period. The cache
// keeps the last good answer meanwhile.
func (f *Feed) Run(ctx context.Context, sink feeds.Sink) error {
	if !f.ran.CompareAndSwap(false, true) {
		return errors.New("coingecko: feed already ran; build a new one")
	}
	var since time.Time
	state := model.FeedState(255)
	report := func(s model.FeedState, reason string) {
		if s != state {
			since = f.opts.Clock.Now()
			state = s
		}
		sink.Status(model.FeedStatus{Name: f.Name(), State: s, Reason: reason, Since: since})
	}
	defer report(model.FeedStopped, "")
	report(model.FeedConnecting, "")
	limited := time.Duration(0)
	for {
		n, err := f.refresh(ctx, sink)
		if ctx.Err() != nil {
			return nil
		}
		delay := f.opts.Every
		var rl *rateLimited
		switch {
		case err == nil:
			limited = 0
			report(model.FeedLive, fmt.Sprintf("%d coins", n))
		case errors.As(err, &rl):
			limited = min(max(2*limited, time.Minute), 30*time.Minute)
			if rl.after > 0 {
				limited = rl.after
			}
			delay = limited
			report(model.FeedReconnecting, fmt.Sprintf("rate limited by coingecko, retrying in %s", words(delay)))
			f.log.Warn("rate limited", "retry_in", delay.String())
		default:
			report(model.FeedReconnecting, fmt.Sprintf("%v; retrying in %s", err, words(delay)))
			f.log.Warn("refresh failed", "err", err)
		}
		if feeds.Wait(ctx, f.opts.Clock, delay) != nil {
			return nil
		}
	}
}

func words(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int((d+time.Second-1)/time.Second)) + "s"
}

type rateLimited struct{ after time.Duration }

func (r *rateLimited) Error() string { return "rate limited by coingecko" }

// refresh fetches every page, updates the cache and sends the events.
func (f *Feed) refresh(ctx context.Context, sink feeds.Sink) (int, error) {
	var all []Coin
	for page := 1; page <= f.opts.Pages; page++ {
		coins, bad, err := f.page(ctx, page)
		if err != nil {
			return 0, err
		}
		if bad > 0 {
			f.log.Warn("bad coin rows skipped", "bad", bad, "page", page)
		}
		all = append(all, coins...)
		if len(coins)+bad < perPage {
			break
		}
	}
	f.mu.Lock()
	fresh := make(map[string]Coin, len(all))
	for _, c := range all {
		if _, dup := fresh[c.Symbol]; dup {
			continue // symbols are not unique; the larger coin (listed first) wins
		}
		fresh[c.Symbol] = c
	}
	f.coins = fresh
	f.mu.Unlock()
	n := 0
	for _, c := range all {
		if f.only != nil && !f.only[c.Symbol] || fresh[c.Symbol].ID != c.ID {
			continue
		}
		info := &model.TokenInfo{Symbol: c.Symbol, Name: c.Name, MarketCap: c.MarketCap, Supply: c.Supply}
		if !sink.Send(ctx, model.Event{Kind: model.EventInfo, Symbol: c.Symbol, Info: info}) {
			return n, ctx.Err()
		}
		n++
	}
	return n, nil
}

func (f *Feed) page(ctx context.Context, page int) ([]Coin, int, error) {
	q := url.Values{}
	q.Set("vs_currency", f.opts.Currency)
	q.Set("order", "market_cap_desc")
	q.Set("per_page", strconv.Itoa(perPage))
	q.Set("page", strconv.Itoa(page))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.opts.URL+"/coins/markets?"+q.Encode(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("coingecko: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if f.opts.APIKey != "" {
		req.Header.Set(apiKeyHeader, f.opts.APIKey)
	}
	resp, err := f.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("coingecko: request failed: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, 0, fmt.Errorf("coingecko: reading the answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		s, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return nil, 0, &rateLimited{after: time.Duration(max(s, 0)) * time.Second}
	case resp.StatusCode != http.StatusOK:
		return nil, 0, fmt.Errorf("coingecko answered HTTP %d%s", resp.StatusCode, errorText(body))
	}
	coins, bad, err := ParseMarkets(body)
	if err != nil {
		return nil, 0, fmt.Errorf("coingecko: %w", err)
	}
	return coins, bad, nil
}

// errorText pulls {"error":"..."} out of an error answer.
func errorText(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		if len(e.Error) > 100 {
			e.Error = e.Error[:100]
		}
		return ": " + e.Error
	}
	return ""
}

// ParseMarkets reads a /coins/markets answer. Rows without a usable symbol
// are skipped and counted in bad; numbers that are null, of the wrong type,
// negative, non-finite or implausible become 0 (unknown).
func ParseMarkets(body []byte) (coins []Coin, bad int, err error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '[' {
		return nil, 0, errors.New("unexpected answer (not a list of coins)")
	}
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		var raw []json.RawMessage
		if json.Unmarshal(body, &raw) != nil {
			return nil, 0, errors.New("unreadable answer (not valid JSON)")
		}
		// Valid JSON, but some rows are not objects: take the rest.
		rows = rows[:0]
		for _, r := range raw {
			var m map[string]json.RawMessage
			if json.Unmarshal(r, &m) != nil || m == nil {
				bad++
				continue
			}
			rows = append(rows, m)
		}
	}
	for _, m := range rows {
		if m == nil {
			bad++
			continue
		}
		sym := strings.ToUpper(text(m["symbol"]))
		if !validSymbol(sym) {
			bad++
			continue
		}
		c := Coin{ID: text(m["id"]), Symbol: sym, Name: text(m["name"])}
		c.MarketCap = number(m["market_cap"], maxMarketCap)
		c.Supply = number(m["circulating_supply"], maxSupply)
		if r := number(m["market_cap_rank"], maxRank); r >= 1 && r == math.Trunc(r) {
			c.Rank = int(r)
		}
		coins = append(coins, c)
	}
	return coins, bad, nil
}

// text is a JSON string's value, or "" for anything else.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// number is a JSON number in [0, limit], else 0 (unknown).
func number(raw json.RawMessage, limit float64) float64 {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return 0 // null, a string, an object...
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > limit {
		return 0
	}
	return v
}

// validSymbol: 1..32 printable ASCII bytes, no spaces (as the model wants).
func validSymbol(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

package binance

// Top N by volume: with Options.Top > 0 the adapter watches the bases with
// the largest 24-hour quote volume against Options.Quote instead of a fixed
// list.
//
// When: the list is picked by the first Session, and picked again at the
// start of a later Session when it is older than TopRefresh (default 1 h). Sessions
// are renewed before Binance's 24-hour connection limit, so the list is at
// most about a day old, and a reconnect storm costs at most one request an
// hour. If a refresh fails, the previous list is kept; if the first pick
// fails, the Session returns the reason in words and the supervisor retries
// with backoff. Backfill uses the list the sessions picked; before the
// first pick it waits for it (Supervise runs the two side by side).
//
// Cost: GET /api/v3/ticker/24hr without a symbol weighs 80 (of Binance's
// 6000 a minute). It is one attempt (no retries inside the Session, which
// would starve the staleness watchdog): it waits for no pause but fails
// while a 429/418 pause is on, sets that pause on a 429/418, and its
// X-MBX-USED-WEIGHT-1M (which includes its 80) goes through watchWeight like
// any klines answer, so the history requests after it pause at the budget.
// The default budget (4800) leaves 1200 of headroom, so this request can
// never be the one that crosses Binance's limit.
//
// Which: pairs BASE+Quote with a positive quote volume, leaving out
// stablecoins and fiat (stableBases) and leveraged tokens (a base ending in
// UP, DOWN, BULL or BEAR whose remainder is itself a base with this quote:
// BTCUP and ETHBEAR go, JUP and SYRUP stay), sorted by quote volume,
// largest first (ties by name), the first Top kept.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/httpx"
	"github.com/tokentop/tokentop/feeds/internal/jsonscan"
	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/model"
)

const (
	// TopPath is Binance's 24-hour ticker statistics; without parameters it
	// answers every symbol.
	TopPath = "/api/v3/ticker/24hr"
	// TopWeight is that request's weight without a symbol.
	TopWeight = 80
	// MaxTop is the largest Options.Top.
	MaxTop = 1000
	// DefaultTopRefresh is the default Options.TopRefresh.
	DefaultTopRefresh = time.Hour
	// maxTopBody bounds the answer (all ~3,000 symbols are about 2 MB).
	maxTopBody = 16 << 20
)

// stableBases are bases that are not tokens to watch: US-dollar
// stablecoins, euro and gold stablecoins, and fiat currencies Binance lists
// against USDT.
var stableBases = map[string]bool{
	"USDT": true, "USDC": true, "FDUSD": true, "TUSD": true, "DAI": true, "USDP": true, "BUSD": true,
	"PAX": true, "USDS": true, "USDE": true, "PYUSD": true, "USD1": true, "UST": true, "USTC": true,
	"SUSD": true, "BFUSD": true, "XUSD": true, "EUR": true, "EURI": true, "AEUR": true, "GBP": true,
	"AUD": true, "TRY": true, "BRL": true, "BIDR": true, "IDRT": true, "UAH": true, "ZAR": true,
	"RUB": true, "NGN": true, "ARS": true, "JPY": true, "MXN": true, "PLN": true, "RON": true,
	"COP": true, "CZK": true, "PAXG": true, "XAUT": true,
}

// leveragedSuffixes mark Binance's leveraged tokens (BTCUP, ETHDOWN, ...).
var leveragedSuffixes = []string{"UP", "DOWN", "BULL", "BEAR"}

// Ticker24h is one row of /api/v3/ticker/24hr that the top N needs.
type Ticker24h struct {
	Symbol      string  // "BTCUSDT"
	QuoteVolume float64 // 24-hour volume in the quote asset
}

// ParseTicker24hr reads a /api/v3/ticker/24hr answer: a JSON array of
// objects whose "symbol" and "quoteVolume" are strings (keys matched
// exactly). Rows that are not objects, lack either field, have a symbol
// that is not upper-case letters and digits, or a volume that is not a
// non-negative decimal string are skipped and counted in bad. An answer
// that is not a readable array is an error ({"code":..,"msg":..} in words).
func ParseTicker24hr(body []byte) (rows []Ticker24h, bad int, err error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '{' {
		if err := restError(http.StatusOK, body); strings.HasPrefix(err.Error(), "binance refused") {
			return nil, 0, err
		}
		return nil, 0, errors.New("unexpected answer (an object, not a list of tickers)")
	}
	var s jsonscan.Scanner
	s.Reset(body)
	s.SetMaxDepth(maxDepth)
	if !s.BeginArray() {
		return nil, 0, errors.New("unexpected answer (not a list of tickers)")
	}
	for first := true; s.Elem(first); first = false {
		if s.Peek() != '{' {
			if !s.Skip() {
				break
			}
			bad++
			continue
		}
		var sym, qv val
		if !s.BeginObject() {
			break
		}
		for kfirst := true; ; kfirst = false {
			key, esc, ok := s.RawKey(kfirst)
			if !ok {
				break
			}
			v, ok := s.Value()
			if !ok {
				break
			}
			if esc {
				continue
			}
			switch string(key) {
			case "symbol":
				sym = v
			case "quoteVolume":
				qv = v
			}
		}
		if !s.OK() {
			break
		}
		vol, ok := decimal(qv)
		if sym.Kind != kString || sym.Esc || !venue.PlainSymbol(string(sym.Raw)) || !ok || vol < 0 {
			bad++
			continue
		}
		rows = append(rows, Ticker24h{Symbol: string(sym.Raw), QuoteVolume: vol})
	}
	if !s.OK() || !s.End() {
		return nil, 0, errors.New("unreadable answer (not valid JSON)")
	}
	return rows, bad, nil
}

// TopBases picks the n bases with the largest quote volume against quote
// (upper case), leaving out stablecoins, fiat and leveraged tokens.
func TopBases(rows []Ticker24h, quote string, n int) []string {
	vol := map[string]float64{} // base -> volume (the largest, if listed twice)
	for _, r := range rows {
		base, ok := strings.CutSuffix(r.Symbol, quote)
		if !ok || base == "" || !(r.QuoteVolume > 0) || stableBases[base] {
			continue
		}
		if v, seen := vol[base]; !seen || r.QuoteVolume > v {
			vol[base] = r.QuoteVolume
		}
	}
	bases := make([]string, 0, len(vol))
	for b := range vol {
		if !leveraged(b, vol) {
			bases = append(bases, b)
		}
	}
	sort.Slice(bases, func(i, j int) bool {
		if vol[bases[i]] != vol[bases[j]] {
			return vol[bases[i]] > vol[bases[j]]
		}
		return bases[i] < bases[j]
	})
	return bases[:min(n, len(bases))]
}

// leveraged: base is an underlying listed base plus a leveraged suffix.
func leveraged(base string, listed map[string]float64) bool {
	for _, suf := range leveragedSuffixes {
		if u, ok := strings.CutSuffix(base, suf); ok && u != "" {
			if _, ok := listed[u]; ok {
				return true
			}
		}
	}
	return false
}

// topList is the resolved list, shared by Session and Backfill.
type topList struct {
	lock    chan struct{} // held (cap 1) while resolving
	ready   chan struct{} // closed at the first pick
	mu      sync.Mutex
	bases   []string          // never modified once stored
	symbols map[string]string // likewise
	at      time.Time
}

func newTopList() topList { return topList{lock: make(chan struct{}, 1), ready: make(chan struct{})} }

// checkTop checks and defaults the Top options (from New).
func checkTop(o *Options) error {
	switch {
	case o.Top < 0 || o.Top > MaxTop:
		return fmt.Errorf("binance: top must be 0 (use symbols) to %d, got %d", MaxTop, o.Top)
	case o.Top > 0 && len(o.Symbols) > 0:
		return errors.New("binance: give either symbols or top, not both")
	}
	if o.TopRefresh <= 0 {
		o.TopRefresh = DefaultTopRefresh
	}
	return nil
}

// currentList is the list now: Symbols, or the last resolved top N (nil
// before the first).
func (x *Exchange) currentList() ([]string, map[string]string) {
	if x.opts.Top == 0 {
		return x.bases, x.symbols
	}
	x.top.mu.Lock()
	defer x.top.mu.Unlock()
	return x.top.bases, x.top.symbols
}

// watchlist is the bases to watch and their pair map. With Top it resolves
// the list when there is none or it is older than maxAge; a failed refresh
// keeps the previous list. maxAge < 0 (Backfill) never resolves: it waits
// for the first pick and then takes the list as it is.
func (x *Exchange) watchlist(ctx context.Context, sink feeds.Sink, maxAge time.Duration) ([]string, map[string]string, error) {
	if x.opts.Top == 0 {
		return x.bases, x.symbols, nil
	}
	if maxAge < 0 {
		select {
		case <-x.top.ready:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		bases, symbols := x.currentList()
		return bases, symbols, nil
	}
	select {
	case x.top.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-x.top.lock }()
	x.top.mu.Lock()
	bases, symbols, at := x.top.bases, x.top.symbols, x.top.at
	x.top.mu.Unlock()
	now := x.opts.Clock.Now()
	if bases != nil && now.Sub(at) < maxAge {
		return bases, symbols, nil
	}
	fresh, err := x.resolveTop(ctx, sink)
	if err != nil {
		if bases != nil && ctx.Err() == nil {
			x.log.Warn("keeping the previous top list", "err", err)
			return bases, symbols, nil
		}
		return nil, nil, err
	}
	symbols = make(map[string]string, len(fresh))
	for _, b := range fresh {
		symbols[b+x.opts.Quote] = b
	}
	x.top.mu.Lock()
	x.top.bases, x.top.symbols, x.top.at = fresh, symbols, now
	x.top.mu.Unlock()
	if bases == nil {
		close(x.top.ready)
	}
	x.log.Info("top by volume", "n", len(fresh), "bases", strings.Join(fresh, ","))
	return fresh, symbols, nil
}

// resolveTop makes one /api/v3/ticker/24hr request and picks the top N.
// Errors read "binance: top 20 by volume: HTTP 503".
func (x *Exchange) resolveTop(ctx context.Context, sink feeds.Sink) ([]string, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("binance: top %d by volume: %s", x.opts.Top, fmt.Sprintf(format, args...))
	}
	if wait := x.pace.Held(); wait > 0 {
		return nil, fail("rate limited by binance, retrying in %s", model.FormatWait(wait))
	}
	ans, err := httpx.Get(ctx, x.opts.HTTPClient, x.opts.RESTURL+TopPath, maxTopBody)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fail("%v", err)
	}
	switch {
	case ans.Status == http.StatusTooManyRequests || ans.Status == http.StatusTeapot:
		wait := httpx.RetryAfter(ans.Header.Get("Retry-After"), x.opts.Clock.Now())
		if wait <= 0 {
			wait = defaultRetry
		}
		x.pace.Delay(wait)
		if ans.Status == http.StatusTeapot {
			return nil, fail("binance has banned this IP for too many requests, for %s", model.FormatWait(wait))
		}
		return nil, fail("rate limited by binance, retrying in %s", model.FormatWait(wait))
	case ans.Status >= 400 && ans.Status < 500:
		return nil, fail("%v", restError(ans.Status, ans.Body))
	case ans.Status != http.StatusOK:
		return nil, fail("HTTP %d", ans.Status)
	}
	x.watchWeight(ans.Header)
	rows, bad, err := ParseTicker24hr(ans.Body)
	if err != nil {
		return nil, fail("%v", err)
	}
	if bad > 0 {
		x.log.Warn("bad ticker rows skipped", "bad", bad)
	}
	bases := TopBases(rows, x.opts.Quote, x.opts.Top)
	if len(bases) == 0 {
		return nil, fail("no %s pairs with volume in the answer", x.opts.Quote)
	}
	return bases, nil
}

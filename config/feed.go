package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/tokentop/tokentop/internal/tomlfile"
	"github.com/tokentop/tokentop/internal/tradelink"
	"github.com/tokentop/tokentop/model"
)

// Sources are the exchanges tokentop can stream from.
var Sources = []string{"binance", "coinbase", "kraken"}

// DefaultSymbols is the watchlist used when the config names none: large,
// liquid tokens listed on all three exchanges.
var DefaultSymbols = []string{"BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "AVAX", "LINK", "DOT", "LTC",
	"BCH", "XLM", "UNI", "AAVE", "ATOM", "NEAR", "FIL", "ALGO", "ARB", "OP"}

// Exchange is one source's settings. The defaults are the exchanges' public
// endpoints and usual quotes (USDT on Binance, USD on Coinbase and Kraken).
type Exchange struct {
	Quote   string
	WSURL   string
	RESTURL string
	Symbols []string // this source's own list; empty = the [feed] symbols
	// TradeURL is the spot trading page the trade key opens: an https
	// address with one {pair} (internal/tradelink); the exchange's own by
	// default, another for a testnet or another region.
	TradeURL string
}

// Feed is the [feed] table: where live market data comes from.
type Feed struct {
	Sources    []string      // in order of preference
	Symbols    []string      // base assets, upper case
	Top        int           // > 0: Binance watches its top N by volume instead of symbols; 0 = symbols
	StaleAfter time.Duration // no data or heartbeat for this long: reconnect
	History    time.Duration // backfill at start
	Metadata   bool          // CoinGecko names, caps, supply
	Exchanges  map[string]*Exchange
	CoinGecko  struct {
		URL    string
		APIKey string
	}
}

// Limits of [feed].
const (
	maxSymbols = 500
	maxSymLen  = 16
	maxTop     = 500
)

func defaultFeed() Feed {
	f := Feed{
		Sources:    []string{"binance"},
		Symbols:    append([]string(nil), DefaultSymbols...),
		StaleAfter: 30 * time.Second,
		History:    90 * 24 * time.Hour,
		Metadata:   true,
		Exchanges:  map[string]*Exchange{},
	}
	f.Exchanges["binance"] = &Exchange{Quote: "USDT", WSURL: "wss://stream.binance.com:9443", RESTURL: "https://api.binance.com",
		TradeURL: tradelink.Defaults["binance"]}
	f.Exchanges["coinbase"] = &Exchange{Quote: "USD", WSURL: "wss://ws-feed.exchange.coinbase.com", RESTURL: "https://api.exchange.coinbase.com",
		TradeURL: tradelink.Defaults["coinbase"]}
	f.Exchanges["kraken"] = &Exchange{Quote: "USD", WSURL: "wss://ws.kraken.com/v2", RESTURL: "https://api.kraken.com",
		TradeURL: tradelink.Defaults["kraken"]}
	f.CoinGecko.URL = "https://api.coingecko.com/api/v3"
	return f
}

// Assignment says which source streams which token: each token goes to
// the first source in Sources that lists it (its own symbols, or the
// [feed] symbols), so every token has one preferred source. With Top,
// Binance picks its own list at run time and is left out here.
func (f Feed) Assignment() map[string][]string {
	taken := map[string]bool{}
	out := map[string][]string{}
	for _, src := range f.Sources {
		if src == "binance" && f.Top > 0 {
			continue
		}
		list := f.Symbols
		if ex := f.Exchanges[src]; ex != nil && len(ex.Symbols) > 0 {
			list = ex.Symbols
		}
		for _, sym := range list {
			if !taken[sym] {
				taken[sym] = true
				out[src] = append(out[src], sym)
			}
		}
	}
	return out
}

var (
	feedKeys     = []string{"sources", "symbols", "top", "stale_after", "history", "metadata", "binance", "coinbase", "kraken", "coingecko"}
	exchangeKeys = []string{"quote", "ws_url", "rest_url", "symbols", "trade_url"}
	geckoKeys    = []string{"url", "api_key"}
)

// setFeed type-checks, range-checks and stores one [feed] setting; name is
// the key below "feed." ("sources", "binance.ws_url").
func setFeed(f *Feed, name string, v any) string {
	switch name {
	case "sources":
		list, problem := asStrings(v, checkSource)
		if problem == "" && len(list) == 0 {
			problem = "must name at least one source (" + strings.Join(Sources, ", ") + ")"
		}
		if problem == "" {
			f.Sources = list
		}
		return problem
	case "symbols":
		list, problem := asSymbols(v)
		if problem == "" && len(list) == 0 {
			problem = "must name at least one token, e.g. [\"BTC\", \"ETH\"]"
		}
		if problem == "" {
			f.Symbols = list
		}
		return problem
	case "top":
		return setInt(v, 0, maxTop, &f.Top)
	case "stale_after":
		return setDuration(v, func(d time.Duration) string {
			if d < 5*time.Second || d > 10*time.Minute {
				return fmt.Sprintf("must be between 5s and 10m, got %s", model.FormatDuration(d))
			}
			return ""
		}, &f.StaleAfter)
	case "history":
		return setDuration(v, func(d time.Duration) string {
			if d < time.Minute || d > 365*24*time.Hour {
				return fmt.Sprintf("must be between 1m and 8760h (a year), got %s", model.FormatDuration(d))
			}
			return ""
		}, &f.History)
	case "metadata":
		return setBool(v, &f.Metadata)
	case "coingecko.url":
		s, problem := asString(v)
		if problem == "" {
			if problem = checkURL(s, "https", "http"); problem == "" {
				f.CoinGecko.URL = s
			}
		}
		return problem
	case "coingecko.api_key":
		s, ok := v.(string)
		if !ok {
			return "must be a string" // never echo what might be a key
		}
		f.CoinGecko.APIKey = s
		return ""
	}
	src, key, ok := strings.Cut(name, ".")
	ex := f.Exchanges[src]
	if !ok || ex == nil {
		return "unknown key"
	}
	switch key {
	case "quote":
		s, problem := asString(v)
		if problem == "" {
			if problem = checkSymbol(s); problem == "" {
				ex.Quote = strings.ToUpper(s)
			}
		}
		return problem
	case "ws_url":
		s, problem := asString(v)
		if problem == "" {
			if problem = checkURL(s, "wss", "ws"); problem == "" {
				ex.WSURL = s
			}
		}
		return problem
	case "rest_url":
		s, problem := asString(v)
		if problem == "" {
			if problem = checkURL(s, "https", "http"); problem == "" {
				ex.RESTURL = s
			}
		}
		return problem
	case "symbols":
		list, problem := asSymbols(v)
		if problem == "" && len(list) > 0 {
			ex.Symbols = list
		}
		return problem
	case "trade_url":
		s, problem := asString(v)
		if problem == "" {
			if problem = tradelink.CheckPattern(s); problem == "" {
				ex.TradeURL = s
			} else {
				problem += ", got " + tomlfile.QuoteValue(s)
			}
		}
		return problem
	}
	return "unknown key"
}

func asStrings(v any, check func(string) string) ([]string, string) {
	arr, ok := v.([]any)
	if !ok {
		return nil, "must be a list of strings, got " + tomlfile.Describe(v)
	}
	out := make([]string, 0, len(arr))
	seen := map[string]bool{}
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Sprintf("item %d must be a string, got %s", i+1, tomlfile.Describe(e))
		}
		if p := check(s); p != "" {
			return nil, fmt.Sprintf("item %d: %s", i+1, p)
		}
		if seen[s] {
			return nil, fmt.Sprintf("item %d: %s is listed twice", i+1, s)
		}
		seen[s] = true
		out = append(out, s)
	}
	return out, ""
}

func asSymbols(v any) ([]string, string) {
	list, problem := asStrings(v, checkSymbol)
	if problem != "" {
		return nil, problem
	}
	if len(list) > maxSymbols {
		return nil, fmt.Sprintf("at most %d tokens, got %d", maxSymbols, len(list))
	}
	for i := range list {
		list[i] = strings.ToUpper(list[i])
	}
	return list, ""
}

func checkSource(s string) string {
	for _, src := range Sources {
		if s == src {
			return ""
		}
	}
	return fmt.Sprintf("must be one of %s, got %s", strings.Join(Sources, ", "), tomlfile.QuoteValue(s))
}

// checkSymbol accepts a base asset or quote: 1..16 ASCII letters and digits.
func checkSymbol(s string) string {
	if s == "" || len(s) > maxSymLen {
		return fmt.Sprintf("must be 1 to %d letters and digits, got %s", maxSymLen, tomlfile.QuoteValue(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return fmt.Sprintf("must be letters and digits only, got %s", tomlfile.QuoteValue(s))
		}
	}
	return ""
}

// checkTop is the cross-key check of [feed] top: only Binance can pick its
// top tokens, so every other source needs its own symbols, and Binance
// must not have its own list too. It returns the keys involved (the first
// is blamed when the file does not set the others) and the problem.
func (f Feed) checkTop() (keys []string, problem string) {
	if f.Top <= 0 {
		return nil, ""
	}
	binance := false
	for _, src := range f.Sources {
		ex := f.Exchanges[src]
		switch {
		case src == "binance":
			binance = true
			if ex != nil && len(ex.Symbols) > 0 {
				return []string{"feed.top", "feed.binance.symbols"}, "Binance picks its top tokens itself; leave [feed.binance] symbols empty or set top = 0"
			}
		case ex == nil || len(ex.Symbols) == 0:
			return []string{"feed.top", "feed.sources"}, fmt.Sprintf("only binance can pick its top tokens; give [feed.%s] its own symbols", src)
		}
	}
	if !binance {
		return []string{"feed.top", "feed.sources"}, "only binance can pick its top tokens, and sources does not list binance"
	}
	return nil, ""
}

// checkFeed runs the [feed] checks across keys after the file is read,
// blaming [feed] top (its line) when the file sets it.
func (p *parser) checkFeed() error {
	keys, problem := p.cfg.Feed.checkTop()
	return p.failFirstSet(keys, problem)
}

package engine

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/binance"
	"github.com/tokentop/tokentop/feeds/coinbase"
	"github.com/tokentop/tokentop/feeds/coingecko"
	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/feeds/kraken"
	"github.com/tokentop/tokentop/feeds/tokenmetrics"
	"github.com/tokentop/tokentop/model"
)

// sources are the feeds of one runtime, the clock they keep, and whether
// the market is simulated.
type sources struct {
	feeds []feeds.Feed
	clock model.Clock
	demo  bool
}

// liveSources builds the exchange feeds the config asks for (each token
// from its preferred source), CoinGecko metadata, and the Token Metrics
// provider when configured.
func liveSources(cfg config.Config, logger *slog.Logger, getenv func(string) string) (sources, error) {
	var out sources
	out.clock = time.Now
	sup := feeds.SuperviseOptions{History: cfg.Feed.History, StaleAfter: cfg.Feed.StaleAfter, Logger: logger}
	assigned := cfg.Feed.Assignment()
	var all []string
	for _, src := range cfg.Feed.Sources {
		syms := assigned[src]
		top := src == "binance" && cfg.Feed.Top > 0 // Binance picks its top N itself
		if len(syms) == 0 && !top {
			continue
		}
		all = append(all, syms...)
		ex := cfg.Feed.Exchanges[src]
		var adapter feeds.Exchange
		switch src {
		case "binance":
			opts := binance.Options{Symbols: syms, Quote: ex.Quote, WSURL: ex.WSURL, RESTURL: ex.RESTURL, Logger: logger}
			if top {
				opts.Symbols, opts.Top = nil, cfg.Feed.Top
			}
			b, err := binance.New(opts)
			if err != nil {
				return out, fmt.Errorf("binance: %w", err)
			}
			adapter = b
		case "coinbase":
			adapter = coinbase.New(coinbase.Options{Symbols: syms, Quote: ex.Quote, WSURL: ex.WSURL, RESTURL: ex.RESTURL, Logger: logger})
		case "kraken":
			adapter = kraken.New(kraken.Options{Symbols: syms, Quote: ex.Quote, WSURL: ex.WSURL, RESTURL: ex.RESTURL, Logger: logger})
		default:
			return out, fmt.Errorf("feed.sources: unknown source %q", src)
		}
		out.feeds = append(out.feeds, feeds.Supervise(adapter, sup))
	}
	if cfg.Feed.Top > 0 {
		all = nil // Binance's tokens are known only at run time: CoinGecko (and Token Metrics) serve their top coins
	}
	if cfg.Feed.Metadata {
		out.feeds = append(out.feeds, coingecko.New(coingecko.Options{
			URL: cfg.Feed.CoinGecko.URL, APIKey: firstNonEmpty(getenv("COINGECKO_API_KEY"), cfg.Feed.CoinGecko.APIKey),
			Symbols: all, Logger: logger,
		}))
	}
	if tm := tokenMetrics(cfg, all, getenv); tm != nil {
		out.feeds = append(out.feeds, tm)
	}
	return out, nil
}

// tokenMetrics is the official-ratings feed when [ratings] provider says
// so; nil otherwise.
func tokenMetrics(cfg config.Config, symbols []string, getenv func(string) string) feeds.Feed {
	if cfg.Ratings.Provider != config.ProviderTokenMetrics {
		return nil
	}
	return tokenmetrics.New(tokenmetrics.Options{
		APIKey:  cfg.TokenMetricsAPIKey(getenv),
		URL:     cfg.Ratings.TokenMetrics.URL,
		Every:   cfg.Ratings.TokenMetrics.Every,
		Symbols: symbols,
	})
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// demoSources is the simulated market (and Token Metrics, if configured,
// for the demo's symbols).
func demoSources(cfg config.Config, getenv func(string) string) sources {
	feed := demo.New(demo.Options{Seed: cfg.Demo.Seed, Speed: cfg.Demo.Speed, Tokens: cfg.Demo.Tokens})
	out := sources{feeds: []feeds.Feed{feed}, clock: feed.Clock(), demo: true}
	var syms []string
	for _, t := range feed.Universe() {
		syms = append(syms, t.Symbol)
	}
	if tm := tokenMetrics(cfg, syms, getenv); tm != nil {
		out.feeds = append(out.feeds, tm)
	}
	return out
}

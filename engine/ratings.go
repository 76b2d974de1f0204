package engine

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/model"
)

// This file is the engine side of `tokentop ratings`: run a market for a
// while and return its last snapshot (the command prints it).

// RateDemo drives the simulated market directly into a Market, with the
// generator's simulated clock as the market clock: the back history, then
// run of simulated time in one-second steps, recomputing ratings every
// TraderEvery of simulated time. Nothing reads the wall clock, so the same
// config, seed and run give the same snapshot.
func RateDemo(cfg config.Config, run time.Duration) *model.Snapshot {
	g := demo.NewGenerator(demo.Options{Seed: cfg.Demo.Seed, Tokens: cfg.Demo.Tokens, Step: time.Second})
	m := model.NewMarket(model.MarketOptions{
		Clock:         g.Now,
		WhaleNotional: cfg.Market.WhaleUSD,
		MaxTrades:     cfg.Market.MaxTrades,
		Ratings:       cfg.RatingsOptions(),
	})
	// The back history built on every core, each token's taken whole (the
	// same market as one event a bar: model's TestHistoryBatchedIsTheSameMarket).
	g.HistoryBatched(runtime.GOMAXPROCS(0), func(ev model.Event) bool { m.ApplyNow(ev); return true })
	// Recompute on the engine's own schedule, as the dashboard's hub does:
	// signals, grade history and moonshots depend on the grades' path, not
	// only on where they end.
	every := cfg.RatingsOptions().TraderEvery
	if every <= 0 {
		every = model.DefaultRatingsOptions().TraderEvery
	}
	m.SnapshotNow()
	var since time.Duration
	for range int64(run / time.Second) {
		g.Step(m.ApplyNow)
		if since += time.Second; since >= every {
			m.SnapshotNow()
			since = 0
		}
	}
	return m.SnapshotNow()
}

// RateLive runs the configured live feeds into a Market for run of real
// time (or until ctx ends) and returns the latest snapshot. It fails when
// no token arrived, saying what each feed was doing.
func RateLive(ctx context.Context, cfg config.Config, run time.Duration, getenv func(string) string) (*model.Snapshot, error) {
	src, err := liveSources(cfg, slog.New(slog.DiscardHandler), getenv)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithTimeout(ctx, run)
	defer stop()
	market := model.NewMarket(model.MarketOptions{
		Clock: src.clock, WhaleNotional: cfg.Market.WhaleUSD, MaxTrades: cfg.Market.MaxTrades,
		Ratings: cfg.RatingsOptions(),
	})
	box := market.Subscribe(ctx)
	var wg sync.WaitGroup
	wg.Add(1 + len(src.feeds))
	go func() { defer wg.Done(); _ = market.Run(ctx) }()
	for _, f := range src.feeds {
		go func() { defer wg.Done(); _ = f.Run(ctx, market) }()
	}
	var last *model.Snapshot
	for {
		s, ok := box.Take(ctx)
		if !ok {
			break
		}
		last = s
	}
	wg.Wait()
	if s, ok := box.TryTake(); ok && s != nil {
		last = s
	}
	if last == nil || last.Tokens.Len() == 0 {
		var states []string
		if last != nil {
			for _, f := range last.Feeds.All() {
				states = append(states, f.Name+" "+f.State.String()+" "+f.Reason)
			}
		}
		if len(states) == 0 {
			states = []string{"no feed reported"}
		}
		return nil, fmt.Errorf("no market data in %s (%s); try --demo", run, strings.Join(states, "; "))
	}
	return last, nil
}

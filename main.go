// Command tokentop is a fast, keyboard-driven terminal dashboard for crypto
// markets.
//
// main.go parses flags, loads the config and theme, wires feeds to the
// market hub and the hub to the UI; nothing else.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/binance"
	"github.com/tokentop/tokentop/feeds/coinbase"
	"github.com/tokentop/tokentop/feeds/coingecko"
	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/feeds/kraken"
	"github.com/tokentop/tokentop/feeds/tokenmetrics"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/store"
	"github.com/tokentop/tokentop/themes"
	"github.com/tokentop/tokentop/ui"
	"github.com/tokentop/tokentop/ui/screen"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build info.
var version = ""

// exitUsage is the exit code for a bad flag, config or theme.
const exitUsage = 2

const usage = `tokentop - a live terminal dashboard for crypto markets

Usage:
  tokentop [flags]            the dashboard: live exchange data ([feed] in the config), or --demo
  tokentop ratings [flags]    print the ratings table once (see tokentop ratings --help)
  tokentop export [-o FILE]   write your watchlists, portfolio and alerts as JSON
  tokentop import FILE        read them back (every record checked; see tokentop import --help)

Flags:
  --demo            run on the built-in simulated market (no network)
  --seed N          demo: random seed; the same seed gives the same market (default from config, 1)
  --demo-speed X    demo: time multiplier, e.g. 60 = one simulated minute per second (0.1..3600)
  --config PATH     config file (default %s)
  --theme NAME      colour theme: %s, or a user theme in <config dir>/themes/NAME.toml
  --data-dir DIR    where your data lives (default [store] dir in the config, else %s)
  --log FILE        write a debug log (connections, reconnects, errors, bad frames) to FILE
  --version         print the version and exit
  --help            show this help

Keys: arrows or j/k move, enter opens a token, / searches, s sorts, ? shows all keys, q quits.
`

// options are the parsed command line.
type options struct {
	demo       bool
	seed       int64
	seedSet    bool
	speed      float64
	speedSet   bool
	configPath string
	configSet  bool
	theme      string
	themeSet   bool
	logPath    string
	dataDir    string
	version    bool
	help       bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("tokentop", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.demo, "demo", false, "")
	fs.Int64Var(&o.seed, "seed", 1, "")
	fs.Float64Var(&o.speed, "demo-speed", 1, "")
	fs.StringVar(&o.configPath, "config", config.DefaultPath(), "")
	fs.StringVar(&o.theme, "theme", "", "")
	fs.StringVar(&o.logPath, "log", "", "")
	fs.StringVar(&o.dataDir, "data-dir", "", "")
	fs.BoolVar(&o.version, "version", false, "")
	fs.BoolVar(&o.help, "help", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			o.help = true
			return o, nil
		}
		return o, fmt.Errorf("%v (see tokentop --help)", err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (see tokentop --help)", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "seed":
			o.seedSet = true
		case "demo-speed":
			o.speedSet = true
		case "config":
			o.configSet = true
		case "theme":
			o.themeSet = true
		}
	})
	if o.speedSet && !(o.speed >= 0.1 && o.speed <= 3600) {
		return o, fmt.Errorf("--demo-speed: must be between 0.1 and 3600, got %v", o.speed)
	}
	return o, nil
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// settings is everything main needs after flags, config and theme are
// resolved.
type settings struct {
	opts  options
	cfg   config.Config
	theme themes.Theme
}

func resolve(args []string, getenv func(string) string) (settings, error) {
	o, err := parseFlags(args)
	if err != nil || o.help || o.version {
		return settings{opts: o}, err
	}
	cfg, err := config.Load(o.configPath, o.configSet)
	if err != nil {
		return settings{}, err
	}
	if o.seedSet {
		cfg.Demo.Seed = o.seed
	}
	if o.speedSet {
		cfg.Demo.Speed = o.speed
	}
	name := cfg.Theme
	if o.themeSet {
		name = o.theme
	} else if getenv("NO_COLOR") != "" {
		// https://no-color.org: no colour unless the user asked for a theme.
		name = "mono"
	}
	th, err := themes.Load(name, config.ThemesDir(o.configPath))
	if err != nil {
		return settings{}, err
	}
	return settings{opts: o, cfg: cfg, theme: th}, nil
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "ratings":
			return runRatings(args[1:])
		case "export":
			return runExport(args[1:])
		case "import":
			return runImport(args[1:])
		}
	}
	s, err := resolve(args, os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tokentop: %v\n", err)
		return exitUsage
	}
	switch {
	case s.opts.help:
		fmt.Printf(usage, config.DefaultPath(), joinNames(themes.Names()), store.DefaultDir(os.Getenv))
		return 0
	case s.opts.version:
		fmt.Println("tokentop", versionString())
		return 0
	}
	if err := dashboard(s); err != nil {
		fmt.Fprintf(os.Stderr, "tokentop: %v\n", err)
		var crash *screen.PanicError
		if errors.As(err, &crash) {
			_, _ = os.Stderr.Write(crash.Stack) // the terminal is restored by now
		}
		return 1
	}
	return 0
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}

// sources are the feeds of one run, the clock they keep, and whether the
// market is simulated.
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

// openLog opens the --log file (appending, mode 0600); with no path the
// log is discarded. Nothing is ever logged to the terminal.
func openLog(path string) (*slog.Logger, io.Closer, error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), io.NopCloser(nil), nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--log: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), f, nil
}

// dashboard wires the feeds to the market hub and the hub to the UI, and
// runs until the user quits or a signal arrives.
func dashboard(s settings) error {
	logger, logFile, err := openLog(s.opts.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()

	var src sources
	if s.opts.demo {
		src = demoSources(s.cfg, os.Getenv)
	} else if src, err = liveSources(s.cfg, logger, os.Getenv); err != nil {
		return err
	}
	logger.Info("tokentop starting", "version", versionString(), "demo", src.demo, "feeds", len(src.feeds))

	user, err := openUserStore(s, src.demo, logger)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	market := model.NewMarket(model.MarketOptions{
		Clock:         src.clock,
		WhaleNotional: s.cfg.Market.WhaleUSD,
		MaxTrades:     s.cfg.Market.MaxTrades,
		Ratings:       s.cfg.RatingsOptions(),
		Journal:       user.journal,
		Warm:          user.warm,
	})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{}, 1+len(src.feeds))
	go func() { _ = market.Run(ctx); done <- struct{}{} }()
	for _, f := range src.feeds {
		go func() {
			if err := f.Run(ctx, market); err != nil && ctx.Err() == nil {
				logger.Error("feed stopped", "feed", f.Name(), "err", err)
				market.Status(model.FeedStatus{Name: f.Name(), State: model.FeedStopped, Reason: err.Error(), Since: src.clock()})
			}
			done <- struct{}{}
		}()
	}

	keepCtx, stopKeeper := context.WithCancel(context.Background())
	defer stopKeeper()
	kept := user.keep(keepCtx, s, market, src.demo, logger)

	renderer := lipgloss.NewRenderer(os.Stdout)
	if s.theme.Mono {
		renderer.SetColorProfile(termenv.Ascii)
	}
	term := screen.New(os.Stdout, screen.Options{
		Renderer:  s.cfg.UI.Renderer,
		Profile:   renderer.ColorProfile(),
		AltScreen: true,
		Mouse:     s.cfg.UI.Mouse,
	})
	var bell func()
	if s.cfg.Alerts.Bell {
		bell = term.Bell
	}
	snaps := market.Subscribe()
	app := ui.New(ui.Options{
		Snapshots:  snaps,
		History:    market,
		Theme:      s.theme,
		Renderer:   renderer,
		Clock:      src.clock,
		RefreshHz:  s.cfg.UI.RefreshHz,
		Mouse:      s.cfg.UI.Mouse,
		StaleAfter: s.cfg.UI.StaleAfter,
		Flash:      s.cfg.UI.Flash,
		Sort:       s.cfg.UI.Sort,
		SortDesc:   s.cfg.UI.SortDesc,
		DetailSide: s.cfg.UI.DetailSide,
		Demo:       src.demo,
		Version:    versionString(),

		MoonshotMaxCap: s.cfg.RatingsOptions().MoonshotMaxCap,

		User:         user.data,
		Persist:      user.persister(),
		ReadOnly:     user.readOnly,
		HideBalances: s.cfg.Portfolio.HideBalances,
		Bell:         bell,
		Notify:       desktopNotify(s.cfg.Alerts.Desktop, logger),
	})
	_, err = term.Run(ctx, app, os.Stdin)
	st := term.Stats()
	logger.Info("terminal", "renderer", s.cfg.UI.Renderer, "frames", st.FramesWritten, "skipped", st.FramesSkipped, "bytes", st.BytesWritten)
	// The keeper saves a last time while the market still runs (it asks
	// the hub for the warm cache), then the feeds and the hub stop.
	stopKeeper()
	<-kept
	if cerr := user.close(logger); cerr != nil {
		logger.Error("store", "err", cerr)
		if err == nil {
			err = cerr
		}
	}
	cancel()
	market.Unsubscribe(snaps)
	for range 1 + len(src.feeds) {
		<-done
	}
	logger.Info("tokentop stopped")
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // a signal ended us; the terminal is restored
	}
	return err
}

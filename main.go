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
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/themes"
	"github.com/tokentop/tokentop/ui"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build info.
var version = ""

// exitUsage is the exit code for a bad flag, config or theme.
const exitUsage = 2

const usage = `tokentop - a live terminal dashboard for crypto markets

Usage:
  tokentop [flags]

Flags:
  --demo            run on the built-in simulated market (no network)
  --seed N          demo: random seed; the same seed gives the same market (default from config, 1)
  --demo-speed X    demo: time multiplier, e.g. 60 = one simulated minute per second (0.1..3600)
  --config PATH     config file (default %s)
  --theme NAME      colour theme: %s, or a user theme in <config dir>/themes/NAME.toml
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
	if len(args) > 0 && args[0] == "ratings" {
		return runRatings(args[1:])
	}
	s, err := resolve(args, os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tokentop: %v\n", err)
		return exitUsage
	}
	switch {
	case s.opts.help:
		fmt.Printf(usage, config.DefaultPath(), joinNames(themes.Names()))
		return 0
	case s.opts.version:
		fmt.Println("tokentop", versionString())
		return 0
	}
	if !s.opts.demo {
		fmt.Fprintln(os.Stderr, "tokentop: live exchange feeds are not available in this build yet; run `tokentop --demo` for the simulated market")
		return 1
	}
	if err := dashboard(s); err != nil {
		fmt.Fprintf(os.Stderr, "tokentop: %v\n", err)
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

// dashboard wires the demo feed to the market hub and the hub to the UI,
// and runs until the user quits or a signal arrives.
func dashboard(s settings) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	feed := demo.New(demo.Options{Seed: s.cfg.Demo.Seed, Speed: s.cfg.Demo.Speed, Tokens: s.cfg.Demo.Tokens})
	market := model.NewMarket(model.MarketOptions{
		Clock:         feed.Clock(),
		WhaleNotional: s.cfg.Market.WhaleUSD,
		MaxTrades:     s.cfg.Market.MaxTrades,
		Ratings:       s.cfg.RatingsOptions(),
	})
	feedList := []feeds.Feed{feed}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{}, 1+len(feedList))
	go func() { _ = market.Run(ctx); done <- struct{}{} }()
	for _, f := range feedList {
		go func() { _ = f.Run(ctx, market); done <- struct{}{} }()
	}

	renderer := lipgloss.NewRenderer(os.Stdout)
	if s.theme.Mono {
		renderer.SetColorProfile(termenv.Ascii)
	}
	snaps := market.Subscribe()
	app := ui.New(ui.Options{
		Snapshots:  snaps,
		History:    market,
		Theme:      s.theme,
		Renderer:   renderer,
		Clock:      feed.Clock(),
		RefreshHz:  s.cfg.UI.RefreshHz,
		Mouse:      s.cfg.UI.Mouse,
		StaleAfter: s.cfg.UI.StaleAfter,
		Flash:      s.cfg.UI.Flash,
		Sort:       s.cfg.UI.Sort,
		SortDesc:   s.cfg.UI.SortDesc,
		DetailSide: s.cfg.UI.DetailSide,
		Demo:       true,
		Version:    versionString(),

		MoonshotMaxCap: s.cfg.RatingsOptions().MoonshotMaxCap,
	})
	progOpts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}
	if s.cfg.UI.Mouse {
		progOpts = append(progOpts, tea.WithMouseCellMotion())
	}
	_, err := tea.NewProgram(app, progOpts...).Run()
	cancel()
	market.Unsubscribe(snaps)
	for range 1 + len(feedList) {
		<-done
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // a signal ended us; the terminal is restored
	}
	return err
}

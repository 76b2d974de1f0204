// Command tokentop is a fast, keyboard-driven terminal dashboard for crypto
// markets.
//
// Package main keeps only the command line: flags, config and theme
// resolution, and dispatch to the commands; the market runtime, the user
// services and the sessions are package engine's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/engine"
	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/internal/browser"
	"github.com/tokentop/tokentop/store"
	"github.com/tokentop/tokentop/themes"
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
  tokentop serve [flags]      serve the dashboard to every SSH session (see tokentop serve --help)

Flags:
  --demo            run on the built-in simulated market (no network)
  --seed N          demo: random seed; the same seed gives the same market (default from config, 1)
  --demo-speed X    demo: time multiplier, e.g. 60 = one simulated minute per second (0.1..3600)
  --demo-tokens N   demo: how many tokens, 1..500; past the 46 built-in ones, synthetic tokens
                    (made-up names) are added (default from config: the 46 built-in)
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
	tokens     int
	tokensSet  bool
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
	fs.IntVar(&o.tokens, "demo-tokens", 0, "")
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
		case "demo-tokens":
			o.tokensSet = true
		case "config":
			o.configSet = true
		case "theme":
			o.themeSet = true
		}
	})
	if o.speedSet && !(o.speed >= 0.1 && o.speed <= 3600) {
		return o, fmt.Errorf("--demo-speed: must be between 0.1 and 3600, got %v", o.speed)
	}
	if o.tokensSet && (o.tokens < 1 || o.tokens > demo.MaxTokens) {
		return o, fmt.Errorf("--demo-tokens: must be between 1 and %d, got %d", demo.MaxTokens, o.tokens)
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
	if o.tokensSet {
		cfg.Demo.Tokens = o.tokens
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
	tuneGC(os.Getenv)
	stop := startProfiling(os.Getenv)
	code := run(os.Args[1:])
	stop()
	os.Exit(code)
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
		case "serve":
			return runServe(args[1:])
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

// dataDir is --data-dir, else the config's [store] dir, else the default.
func dataDir(flagDir string, cfg config.Config) string {
	switch {
	case flagDir != "":
		return flagDir
	case cfg.Store.Dir != "":
		return cfg.Store.Dir
	}
	return store.DefaultDir(os.Getenv)
}

// dashboard is the local dashboard: one session of the user "local" on a
// market runtime, on this terminal, until the user quits or a signal
// arrives.
func dashboard(s settings) error {
	rt, err := engine.New(engine.Options{
		Config:  s.cfg,
		Demo:    s.opts.demo,
		DataDir: dataDir(s.opts.dataDir, s.cfg),
		LogPath: s.opts.logPath,
		Version: versionString(),
		Getenv:  os.Getenv,
	})
	if err != nil {
		return err
	}
	if err := rt.Start(); err != nil {
		rt.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// This terminal and this environment are the local session's to
	// describe: its colour profile comes from them (NO_COLOR, TERM,
	// COLORTERM), as the theme did in resolve.
	// The trade key opens the browser only on this desktop: not over SSH,
	// not without a display (internal/browser says why not).
	var open func(ctx context.Context, url string) error
	opener, noOpener := browser.Find(runtime.GOOS, os.Getenv, exec.LookPath)
	if opener != nil {
		open = opener.Open
	}
	sess, err := rt.NewSession(engine.SessionOptions{
		User:     engine.LocalUser,
		Local:    true,
		In:       nil, // this terminal, as Bubble Tea finds it
		Out:      os.Stdout,
		Profile:  termenv.NewOutput(os.Stdout).EnvColorProfile(),
		Theme:    s.theme,
		Mouse:    s.cfg.UI.Mouse,
		Opener:   open,
		NoOpener: noOpener,
	})
	if err == nil {
		err = sess.Run(ctx)
	}
	if cerr := rt.Close(); err == nil {
		err = cerr
	}
	return err
}

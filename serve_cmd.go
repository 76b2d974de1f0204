package main

// serve_cmd.go is `tokentop serve`: one always-on tokentop that serves the
// dashboard to every SSH session (package serve).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/engine"
	"github.com/tokentop/tokentop/internal/safetext"
	"github.com/tokentop/tokentop/serve"
	"github.com/tokentop/tokentop/store"
	"github.com/tokentop/tokentop/themes"
)

const serveUsage = `tokentop serve - one tokentop on this box, the dashboard for every SSH session

Usage:
  tokentop serve [flags]
  ssh -p 2222 HOST            from anywhere: the dashboard, with its full history

One process streams the market all day, keeps history and ratings warm,
checks everyone's alerts while nobody watches, and serves the dashboard to
any number of SSH sessions. Each public key in the authorized_keys file is a
user with their own watchlists, portfolio and alerts.

Flags:
  --listen ADDR     the address to listen on, host:port (default [serve] listen, ":2222")
  --demo            serve the built-in simulated market (no network)
  --seed N          demo: random seed (default from config, 1)
  --demo-speed X    demo: time multiplier (0.1..3600)
  --config PATH     config file (default %s);
                    its [serve] table sets the keys file, limits and timeouts
  --data-dir DIR    everyone's data and the host key (default [store] dir, else %s)
  --log FILE        log connections, refusals, disconnects and errors to FILE
  --cpuprofile FILE write a CPU profile of the whole run to FILE (go tool pprof), for diagnosis
  --help            show this help

Keys: one public key a line (as ~/.ssh/id_ed25519.pub holds) in
%s ([serve] authorized_keys).
SIGINT or SIGTERM: every session is told and closed, the data is saved, exit 0.
Exit codes: 0 stopped by a signal, 1 could not start or run, 2 bad flags or config.
`

type serveFlags struct {
	demo       bool
	seed       int64
	speed      float64
	listen     string
	configPath string
	dataDir    string
	logPath    string
	cpuProfile string
	help       bool
	set        map[string]bool
}

func parseServe(args []string) (serveFlags, error) {
	f := serveFlags{set: map[string]bool{}}
	fs := flag.NewFlagSet("tokentop serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&f.demo, "demo", false, "")
	fs.Int64Var(&f.seed, "seed", 1, "")
	fs.Float64Var(&f.speed, "demo-speed", 1, "")
	fs.StringVar(&f.listen, "listen", "", "")
	fs.StringVar(&f.configPath, "config", config.DefaultPath(), "")
	fs.StringVar(&f.dataDir, "data-dir", "", "")
	fs.StringVar(&f.logPath, "log", "", "")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "")
	fs.BoolVar(&f.help, "help", false, "")
	fs.BoolVar(&f.help, "h", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.help = true
			return f, nil
		}
		return f, fmt.Errorf("%s (see tokentop serve --help)", safetext.Quoted(err.Error()))
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %s (see tokentop serve --help)", strconv.QuoteToASCII(fs.Arg(0)))
	}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if f.set["demo-speed"] && !(f.speed >= 0.1 && f.speed <= 3600) {
		return f, fmt.Errorf("--demo-speed: must be between 0.1 and 3600, got %v", f.speed)
	}
	return f, nil
}

func runServe(args []string) int { return serveMain(args, os.Stdout, os.Stderr) }

func serveMain(args []string, stdout, stderr io.Writer) int {
	f, err := parseServe(args)
	if err != nil {
		fmt.Fprintf(stderr, "tokentop serve: %v\n", err)
		return exitUsage
	}
	cfg, err := config.Load(f.configPath, f.set["config"])
	if err == nil && f.set["listen"] {
		cfg.Serve.Listen = f.listen
		err = cfg.Validate()
		if err != nil {
			err = fmt.Errorf("--listen: %w", err)
		}
	}
	var theme themes.Theme
	if err == nil {
		theme, err = themes.Load(cfg.Theme, config.ThemesDir(f.configPath))
	}
	if err != nil {
		fmt.Fprintf(stderr, "tokentop serve: %s\n", safetext.Quoted(err.Error()))
		return exitUsage
	}
	if f.help {
		fmt.Fprintf(stdout, serveUsage, config.DefaultPath(), store.DefaultDir(os.Getenv), cfg.Serve.AuthorizedKeysPath(f.configPath))
		return 0
	}
	if f.set["seed"] {
		cfg.Demo.Seed = f.seed
	}
	if f.set["demo-speed"] {
		cfg.Demo.Speed = f.speed
	}
	if err := serveRun(f, cfg, theme, stdout); err != nil {
		fmt.Fprintf(stderr, "tokentop serve: %s\n", safetext.Quoted(err.Error()))
		return 1
	}
	return 0
}

// serveRun starts everything, serves until SIGINT or SIGTERM, and stops
// in order: the sessions (each told), then the runtime (the store
// flushed).
func serveRun(f serveFlags, cfg config.Config, theme themes.Theme, stdout io.Writer) error {
	if f.cpuProfile != "" {
		out, err := os.OpenFile(f.cpuProfile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	dir := dataDir(f.dataDir, cfg)
	keys, err := serve.LoadAuthorizedKeys(cfg.Serve.AuthorizedKeysPath(f.configPath), cfg.Serve.AllowAnonymous)
	if err != nil {
		return err
	}
	hostKey, made, err := serve.LoadHostKey(cfg.Serve.HostKeyPath(dir))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Serve.Listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.Serve.Listen, err)
	}
	defer ln.Close()
	rt, err := engine.New(engine.Options{Config: cfg, Demo: f.demo, DataDir: dir, LogPath: f.logPath, Version: versionString(), Getenv: os.Getenv})
	if err != nil {
		return err
	}
	if err := rt.Start(); err != nil {
		rt.Close()
		return err
	}
	log := rt.Logger()
	keys.OnReload(func(n int, err error) {
		if err != nil {
			log.Warn("ssh: authorized keys not read again", "err", err)
			return
		}
		log.Info("ssh: authorized keys read again", "path", keys.Path(), "keys", n)
	})
	srv, err := serve.New(serve.Options{Runtime: rt, Config: cfg.Serve, Keys: keys, HostKey: hostKey, Theme: theme,
		ThemesDir: config.ThemesDir(f.configPath), Mouse: cfg.UI.Mouse, Log: log, Version: versionString()})
	if err != nil {
		rt.Close()
		return err
	}
	fp := gossh.FingerprintSHA256(hostKey.PublicKey())
	banner := fmt.Sprintf("tokentop serve: listening on %s · host key %s (%s", ln.Addr(), fp, hostKey.PublicKey().Type())
	if made {
		banner += ", new"
	}
	banner += fmt.Sprintf(") · %d keys in %s", keys.Len(), keys.Path())
	if cfg.Serve.AllowAnonymous {
		banner += " · anonymous read-only sessions allowed"
	}
	if f.demo {
		banner += " · demo market"
	}
	fmt.Fprintln(stdout, banner)
	log.Info("ssh: listening", "addr", ln.Addr().String(), "host_key", fp, "new_host_key", made, "keys", keys.Len(),
		"authorized_keys", keys.Path(), "anonymous", cfg.Serve.AllowAnonymous, "max_sessions", cfg.Serve.MaxSessions,
		"max_sessions_per_ip", cfg.Serve.MaxSessionsPerIP)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var serveErr error
	select {
	case s := <-sig:
		log.Info("ssh: shutting down", "signal", s.String(), "sessions", srv.Sessions())
	case serveErr = <-served:
		log.Error("ssh: server stopped", "err", serveErr)
	}
	// Each session restores its terminal and hears why; one whose client
	// takes no output is cut off after the write timeout.
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Serve.WriteTimeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("ssh: shutdown", "err", err)
	}
	if err := rt.Close(); err != nil && serveErr == nil {
		serveErr = err
	}
	return serveErr
}

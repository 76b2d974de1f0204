package main

// ratings_cmd.go is `tokentop ratings`: run the market for a while and
// print the ratings table as text, JSON or CSV, for scripts and cron jobs.

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/engine"
	"github.com/tokentop/tokentop/model"
)

const ratingsUsage = `tokentop ratings - print the ratings table once, for scripts and cron jobs

Usage:
  tokentop ratings [flags]          live: the [feed] sources in the config
  tokentop ratings --demo [flags]   the built-in simulated market

Flags:
  --demo            rate the built-in simulated market (no network); the
                    same flags and config give byte-identical output
                    Without --demo, the live feeds run for --for of real
                    time (default 1m; history is fetched at start, so grades
                    are ready within seconds) and the latest ratings print.
  --seed N          demo: random seed (default from config, 1)
  --for D           demo: simulated market time to run after the 30 days of
                    back history, e.g. 30m, 6h (0s..%s; default %s). The run
                    is not paced: it takes as long as the computing does.
                    live: how long to listen (default 1m)
  --demo-speed X    accepted for symmetry with the dashboard; it does not
                    change the output, which depends only on --for
  --config PATH     config file (default %s)
  --json            print JSON: every token with its grades, their factors,
                    and official ratings when present; moonshots and the
                    track record (unknown numbers are null)
  --csv             print CSV with a header row (unknown numbers are empty)
  --sort COLUMN     %s
                    (names ascending, numbers largest first; unknown last;
                    default rank)
  --limit N         print at most N tokens (default 0: all)
  --help            show this help

Changes and ROI are fractions in JSON and CSV (0.0123 = +1.23%%) and
percentages in the text table. Exit codes: 0 done, 1 could not run, 2 bad
flags or config.
`

const (
	defaultRatingsFor = time.Hour
	defaultLiveFor    = time.Minute
	maxRatingsFor     = 24 * time.Hour
)

type ratingsOptions struct {
	demo       bool
	seed       int64
	seedSet    bool
	speed      float64
	run        time.Duration
	runSet     bool
	configPath string
	configSet  bool
	json, csv  bool
	sort       string
	limit      int
	help       bool
}

func parseRatingsFlags(args []string) (ratingsOptions, error) {
	var o ratingsOptions
	fs := flag.NewFlagSet("tokentop ratings", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.demo, "demo", false, "")
	fs.Int64Var(&o.seed, "seed", 1, "")
	fs.Float64Var(&o.speed, "demo-speed", 1, "")
	fs.DurationVar(&o.run, "for", defaultRatingsFor, "")
	fs.StringVar(&o.configPath, "config", config.DefaultPath(), "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.BoolVar(&o.csv, "csv", false, "")
	fs.StringVar(&o.sort, "sort", "rank", "")
	fs.IntVar(&o.limit, "limit", 0, "")
	fs.BoolVar(&o.help, "help", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			o.help = true
			return o, nil
		}
		return o, fmt.Errorf("%s (see tokentop ratings --help)", engine.SafeLine(err.Error()))
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %s (see tokentop ratings --help)", strconv.QuoteToASCII(fs.Arg(0)))
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "seed":
			o.seedSet = true
		case "for":
			o.runSet = true
		case "config":
			o.configSet = true
		}
	})
	switch {
	case !(o.speed >= 0.1 && o.speed <= 3600):
		return o, fmt.Errorf("--demo-speed: must be between 0.1 and 3600, got %v", o.speed)
	case o.run < 0 || o.run > maxRatingsFor:
		return o, fmt.Errorf("--for: must be between 0s and %s, got %s", model.FormatDuration(maxRatingsFor), o.run)
	case o.json && o.csv:
		return o, errors.New("--json and --csv: choose one")
	case o.limit < 0:
		return o, fmt.Errorf("--limit: must be 0 (all) or more, got %d", o.limit)
	case !slices.Contains(engine.RatingsSortColumns, o.sort):
		return o, fmt.Errorf("--sort: must be one of %s, got %s", strings.Join(engine.RatingsSortColumns, ", "), strconv.QuoteToASCII(o.sort))
	}
	return o, nil
}

// runRatings is `tokentop ratings`.
func runRatings(args []string) int {
	return ratingsMain(args, os.Stdout, os.Stderr)
}

func ratingsMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseRatingsFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "tokentop ratings: %v\n", err)
		return exitUsage
	}
	if o.help {
		fmt.Fprintf(stdout, ratingsUsage, model.FormatDuration(maxRatingsFor), model.FormatDuration(defaultRatingsFor), config.DefaultPath(), strings.Join(engine.RatingsSortColumns, ", "))
		return 0
	}
	cfg, err := config.Load(o.configPath, o.configSet)
	if err != nil {
		fmt.Fprintf(stderr, "tokentop ratings: %v\n", err)
		return exitUsage
	}
	if o.seedSet {
		cfg.Demo.Seed = o.seed
	}
	var snap *model.Snapshot
	if o.demo {
		if snap = engine.RateDemo(cfg, o.run); snap == nil {
			fmt.Fprintln(stderr, "tokentop ratings: the simulated market produced no snapshot")
			return 1
		}
	} else {
		run := o.run
		if !o.runSet {
			run = defaultLiveFor
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		snap, err = engine.RateLive(ctx, cfg, run, os.Getenv)
		stop()
		if err != nil {
			fmt.Fprintf(stderr, "tokentop ratings: %s\n", engine.SafeLine(err.Error()))
			return 1
		}
	}
	rep := engine.BuildRatingsReport(snap, engine.ReportOptions{Demo: o.demo, Seed: cfg.Demo.Seed, Sort: o.sort, Limit: o.limit})
	w := bufio.NewWriter(stdout)
	switch {
	case o.json:
		err = rep.WriteJSON(w)
	case o.csv:
		err = rep.WriteCSV(w)
	default:
		err = rep.WriteText(w)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintf(stderr, "tokentop ratings: writing the table: %s\n", engine.SafeLine(err.Error()))
		return 1
	}
	return 0
}

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/engine"
	"github.com/tokentop/tokentop/store"
)

const exportUsage = `tokentop export - write your watchlists, portfolio lots and alerts as JSON

Usage:
  tokentop export [flags]

Flags:
  -o FILE           write to FILE (mode 0600, replaced only once complete) instead of standard output
  --user ID         whose records: local (default; the dashboard's), or an SSH user's key fingerprint (SHA256:...)
  --data-dir DIR    the data directory (default [store] dir in the config, else %s)
  --config PATH     config file (default %s)

The store is opened read-only; a running dashboard on the same directory must be quit first.
Records that cannot be read (damaged or invalid) are left out, named on standard error, and stay in the store.
`

const importUsage = `tokentop import - read watchlists, portfolio lots and alerts from a tokentop export file

Usage:
  tokentop import [flags] FILE      FILE may be - for standard input

Every record is checked before anything is written; one bad record and nothing is imported.
By default records are merged: watchlists by name (symbols added), lots and alerts by id (replaced).

Flags:
  --replace         replace all watchlists, lots and alerts with the file's (alert history is kept)
  --user ID         whose records: local (default; the dashboard's), or an SSH user's key fingerprint (SHA256:...)
  --data-dir DIR    the data directory (default [store] dir in the config, else %s)
  --config PATH     config file (default %s)
`

// dataFlags are the flags export and import share.
type dataFlags struct {
	user       string
	dataDir    string
	configPath string
	configSet  bool
	help       bool
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.user, "user", store.LocalUser, "")
	fs.StringVar(&d.dataDir, "data-dir", "", "")
	fs.StringVar(&d.configPath, "config", config.DefaultPath(), "")
	fs.BoolVar(&d.help, "help", false, "")
	fs.BoolVar(&d.help, "h", false, "")
}

// parseData parses a subcommand's flags, noting whether --config was given.
func parseData(fs *flag.FlagSet, d *dataFlags, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			d.help = true
			return nil
		}
		return fmt.Errorf("%s (see %s --help)", engine.SafeLine(err.Error()), fs.Name())
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			d.configSet = true
		}
	})
	if err := store.ValidUser(d.user); err != nil {
		return fmt.Errorf("--user: %s", engine.SafeLine(strings.TrimPrefix(err.Error(), "store: ")))
	}
	return nil
}

func runExport(args []string) int { return exportMain(args, os.Stdout, os.Stderr) }

func exportMain(args []string, stdout, stderr io.Writer) int {
	var d dataFlags
	var out string
	fs := flag.NewFlagSet("tokentop export", flag.ContinueOnError)
	d.register(fs)
	fs.StringVar(&out, "o", "", "")
	if err := parseData(fs, &d, args); err != nil {
		fmt.Fprintf(stderr, "tokentop export: %v\n", err)
		return exitUsage
	}
	if d.help {
		fmt.Fprintf(stdout, exportUsage, store.DefaultDir(os.Getenv), config.DefaultPath())
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tokentop export: unexpected argument %s (see tokentop export --help)\n", strconv.QuoteToASCII(fs.Arg(0)))
		return exitUsage
	}
	cfg, err := config.Load(d.configPath, d.configSet)
	if err != nil {
		fmt.Fprintf(stderr, "tokentop export: %v\n", err)
		return exitUsage
	}
	x, rep, err := engine.Export(dataDir(d.dataDir, cfg), d.user, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "tokentop export: %s\n", engine.SafeLine(err.Error()))
		return 1
	}
	if rep.Skipped > 0 {
		what := strconv.Itoa(rep.Skipped) + " records"
		if rep.Skipped == 1 {
			what = "1 record"
		}
		fmt.Fprintf(stderr, "tokentop export: warning: %s could not be read (%d damaged) and left out; they stay in the store: %s\n",
			what, rep.Damaged, engine.SafeLine(strings.Join(rep.Reasons, "; ")))
	}
	data, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "tokentop export: %s\n", engine.SafeLine(err.Error()))
		return 1
	}
	data = append(data, '\n')
	if out == "" || out == "-" {
		w := bufio.NewWriter(stdout)
		_, err = w.Write(data)
		if err == nil {
			err = w.Flush()
		}
	} else {
		err = writeFileAtomic(out, data)
	}
	if err != nil {
		fmt.Fprintf(stderr, "tokentop export: writing %s\n", engine.SafeLine(err.Error()))
		return 1
	}
	if out != "" && out != "-" {
		fmt.Fprintf(stderr, "tokentop export: wrote %d watchlists, %d lots and %d alerts to %s\n",
			len(x.Watchlists), len(x.Lots), len(x.Alerts), out)
	}
	return 0
}

// writeFileAtomic writes data to a temporary file beside path (mode 0600)
// and renames it over path, so path is either the old file or the whole
// new one.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func runImport(args []string) int { return importMain(args, os.Stdin, os.Stdout, os.Stderr) }

func importMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var d dataFlags
	var replace bool
	fs := flag.NewFlagSet("tokentop import", flag.ContinueOnError)
	d.register(fs)
	fs.BoolVar(&replace, "replace", false, "")
	if err := parseData(fs, &d, args); err != nil {
		fmt.Fprintf(stderr, "tokentop import: %v\n", err)
		return exitUsage
	}
	if d.help {
		fmt.Fprintf(stdout, importUsage, store.DefaultDir(os.Getenv), config.DefaultPath())
		return 0
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "tokentop import: name one file to import (see tokentop import --help)")
		return exitUsage
	}
	cfg, err := config.Load(d.configPath, d.configSet)
	if err != nil {
		fmt.Fprintf(stderr, "tokentop import: %v\n", err)
		return exitUsage
	}
	name := fs.Arg(0)
	var in io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "tokentop import: %s\n", engine.SafeLine(err.Error()))
			return 1
		}
		defer f.Close()
		in = f
	} else {
		name = "standard input"
	}
	x, err := store.ParseExport(in)
	if err != nil {
		fmt.Fprintf(stderr, "tokentop import: %s: %s (nothing was imported)\n", engine.SafeLine(name), engine.SafeLine(err.Error()))
		return 1
	}
	stats, path, err := engine.Import(dataDir(d.dataDir, cfg), d.user, x, replace)
	if err != nil {
		fmt.Fprintf(stderr, "tokentop import: %s (nothing was imported)\n", engine.SafeLine(err.Error()))
		return 1
	}
	verb := "merged"
	if replace {
		verb = "replaced with"
	}
	fmt.Fprintf(stdout, "tokentop import: %s %d watchlists, %d lots and %d alerts from %s into %s\n",
		verb, stats.Watchlists, stats.Lots, stats.Alerts, engine.SafeLine(name), path)
	return 0
}

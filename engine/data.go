package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/store"
)

// This file is the engine side of `tokentop export` and `tokentop import`:
// the store opened for one job and closed again (the command parses
// flags and files and prints the outcome).

// Export reads one user's watchlists, lots and alerts from the store in
// dir, opened read-only (a running dashboard holds it: the error says
// so). The report names the records that could not be read (damaged or
// invalid): they are left out of the export and stay in the store.
func Export(dir, user string, now time.Time) (store.Export, store.LoadReport, error) {
	st, err := store.Open(store.Options{Dir: dir, ReadOnly: true})
	if err != nil {
		return store.Export{}, store.LoadReport{}, err
	}
	defer st.Close()
	_, rep, err := st.Load(user)
	if err != nil {
		return store.Export{}, rep, err
	}
	x, err := st.Export(user, now)
	return x, rep, err
}

// ImportResult is what Import did.
type ImportResult struct {
	Stats store.ImportStats
	Path  string // the store file
	// NotYetKnown are the tokens lots and alerts name that tokentop cannot
	// list before it runs ([feed] top = N: Binance picks its tokens at
	// start). Those records were imported; the command warns about them.
	NotYetKnown []string
}

// Import writes x into one user's records in the store in dir, all or
// nothing: merged by list name and record id, or replacing every
// watchlist, lot and alert.
//
// Lots and alerts follow the forms' rule (model.CheckKnownToken): the
// token they name must be one tokentop knows, here the union of the
// [feed] symbols (every source's), the demo market's tokens and the
// tokens in the warm-start cache (those of the last live run). A record
// naming another token refuses the whole import, unless [feed] top = N
// makes the market's tokens known only at run time: then it is imported
// and named in NotYetKnown.
func Import(cfg config.Config, dir, user string, x store.Export, replace bool) (ImportResult, error) {
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Path: st.Path()}
	known := importUniverse(cfg, st)
	if unknown := model.UnknownTokens(x.Lots, x.Alerts, func(sym string) bool { return known[sym] }); len(unknown) > 0 {
		if cfg.Feed.Top <= 0 {
			st.Close()
			return res, fmt.Errorf("%s: %s; tokentop knows the [feed] symbols, the demo market's tokens and those of its last live run: add %s to [feed] symbols to import these records",
				unknownWords(unknown), listShort(unknown), them(len(unknown)))
		}
		res.NotYetKnown = unknown
	}
	res.Stats, err = st.Import(user, x, replace)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return res, err
}

// importUniverse is every token import can know of: the configured
// symbols, the demo market's, and the warm-start cache's.
func importUniverse(cfg config.Config, st *store.Store) map[string]bool {
	known := map[string]bool{}
	for _, sym := range cfg.Feed.Symbols {
		known[sym] = true
	}
	for _, syms := range cfg.Feed.Assignment() {
		for _, sym := range syms {
			known[sym] = true
		}
	}
	for _, t := range demo.NewGenerator(demo.Options{Seed: cfg.Demo.Seed, Tokens: cfg.Demo.Tokens}).Universe() {
		known[t.Symbol] = true
	}
	if w, err := st.LoadWarm(namespace(false), 0, time.Now()); err == nil && w != nil {
		for _, t := range w.Tokens {
			known[t.Info.Symbol] = true
		}
	}
	return known
}

func unknownWords(unknown []string) string {
	if len(unknown) == 1 {
		return "unknown token"
	}
	return "unknown tokens"
}

// listShort joins at most 10 symbols, then says how many more.
func listShort(syms []string) string {
	if len(syms) <= 10 {
		return strings.Join(syms, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(syms[:10], ", "), len(syms)-10)
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

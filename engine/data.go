package engine

import (
	"time"

	"github.com/tokentop/tokentop/store"
)

// This file is the engine side of `tokentop export` and `tokentop import`:
// the store opened for one job and closed again (the command parses
// flags and files and prints the outcome).

// Export reads the local user's watchlists, lots and alerts from the store
// in dir, opened read-only (a running dashboard holds it: the error says
// so).
func Export(dir string, now time.Time) (store.Export, error) {
	st, err := store.Open(store.Options{Dir: dir, ReadOnly: true})
	if err != nil {
		return store.Export{}, err
	}
	defer st.Close()
	return st.Export(now)
}

// Import writes x into the store in dir, all or nothing: merged by list
// name and record id, or replacing every watchlist, lot and alert. It
// returns what was imported and the store file's path.
func Import(dir string, x store.Export, replace bool) (stats store.ImportStats, path string, err error) {
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		return stats, "", err
	}
	stats, err = st.Import(x, replace)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return stats, st.Path(), err
}

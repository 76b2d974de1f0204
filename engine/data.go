package engine

import (
	"time"

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

// Import writes x into one user's records in the store in dir, all or
// nothing: merged by list name and record id, or replacing every
// watchlist, lot and alert. It returns what was imported and the store
// file's path.
func Import(dir, user string, x store.Export, replace bool) (stats store.ImportStats, path string, err error) {
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		return stats, "", err
	}
	stats, err = st.Import(user, x, replace)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return stats, st.Path(), err
}

package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/store"
)

// userStore is what the user services need of the store: each user's
// records, loaded once and changed one committed change at a time, and
// the users it knows.
type userStore interface {
	LoadUser(user string) (model.UserData, store.LoadReport, error)
	ApplyUser(user string, ch model.UserChange) error
	Users() ([]string, error)
}

// localStore is the store of schema 2, which keeps one set of records:
// the local user's. Any other user is refused (until the store keeps
// records per user).
type localStore struct{ st *store.Store }

// errOneUser refuses a user the store cannot keep records for.
func errOneUser(user string) error {
	return fmt.Errorf("user %q: this data store keeps only the %s user's records", user, LocalUser)
}

func (l localStore) LoadUser(user string) (model.UserData, store.LoadReport, error) {
	if user != LocalUser {
		return model.UserData{}, store.LoadReport{}, errOneUser(user)
	}
	return l.st.Load()
}

func (l localStore) ApplyUser(user string, ch model.UserChange) error {
	if user != LocalUser {
		return errOneUser(user)
	}
	return l.st.Apply(ch)
}

func (l localStore) Users() ([]string, error) { return []string{LocalUser}, nil }

// opened is what the runtime got from the data directory: the store (nil
// when nothing is saved, and readOnly says why), and the ratings journal
// and warm cache the market starts from.
type opened struct {
	st       *store.Store
	readOnly string
	journal  *model.Journal
	warm     *model.WarmStart
}

// namespace is the journal's and the warm cache's: a simulated market
// never mixes with a real one.
func namespace(demo bool) string {
	if demo {
		return "demo"
	}
	return "live"
}

// openStore opens the store in dir for the runtime. Another tokentop
// holding it is not fatal: the runtime runs and says it is not saving. A
// damaged, foreign or newer file is: it is left untouched and the error
// says what to do.
func openStore(cfg config.Config, dir string, demo bool, logger *slog.Logger) (opened, error) {
	var o opened
	if !cfg.Store.Enabled {
		o.readOnly = "the store is off ([store] enabled = false)"
		return o, nil
	}
	st, err := store.Open(store.Options{Dir: dir, Logger: logger})
	var inUse *store.InUseError
	switch {
	case errors.As(err, &inUse):
		logger.Warn("store in use", "path", inUse.Path, "pid", inUse.PID)
		o.readOnly = "store in use by another tokentop"
		if inUse.PID > 0 {
			o.readOnly += " (pid " + strconv.Itoa(inUse.PID) + ")"
		}
		return o, nil
	case err != nil:
		return o, err
	}
	st.SetFiringsKept(cfg.Alerts.History)
	ns := namespace(demo)
	j, jrep, err := st.LoadJournal(ns)
	if err != nil {
		logger.Warn("store: journal not loaded", "err", err)
	} else {
		o.journal = &j
		if jrep.Skipped > 0 {
			logger.Warn("store: journal records skipped", "count", jrep.Skipped, "reasons", jrep.Reasons)
		}
	}
	if !demo && cfg.Store.WarmStart {
		w, err := st.LoadWarm(ns, cfg.Store.WarmMaxAge, time.Now())
		if err != nil {
			logger.Warn("store: warm cache not loaded", "err", err)
		}
		o.warm = w
	}
	o.st = st
	return o, nil
}

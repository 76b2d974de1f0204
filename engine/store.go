package engine

import (
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/store"
)

// userStore is what the user services need of the store: each user's
// records, loaded once and changed one committed change at a time, the
// users it knows, and when each was last seen.
type userStore interface {
	LoadUser(user string) (model.UserData, store.LoadReport, error)
	ApplyUser(user string, ch model.UserChange) error
	Users() ([]string, error)
	TouchUser(user, label string, now time.Time) error
}

// perUser is the store of schema 3, which keeps each user's records under
// their own bucket.
type perUser struct{ st *store.Store }

func (p perUser) LoadUser(user string) (model.UserData, store.LoadReport, error) {
	return p.st.Load(user)
}

func (p perUser) ApplyUser(user string, ch model.UserChange) error { return p.st.Apply(user, ch) }

func (p perUser) TouchUser(user, label string, now time.Time) error {
	return p.st.TouchUser(user, label, now)
}

func (p perUser) Users() ([]string, error) {
	infos, err := p.st.Users()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(infos))
	for i, u := range infos {
		ids[i] = u.ID
	}
	return ids, nil
}

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

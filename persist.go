package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"github.com/tokentop/tokentop/internal/notify"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/store"
	"github.com/tokentop/tokentop/ui"
)

// userStore is the dashboard's side of the store: what was loaded at
// start, the writer the UI saves through, and why nothing is saved when
// the store could not be used.
type userStore struct {
	st       *store.Store // nil when not saving
	writer   *store.Writer
	data     model.UserData
	journal  *model.Journal
	warm     *model.WarmStart
	readOnly string // why changes are not saved; "" when they are
	ns       string // journal namespace: "live" or "demo"
}

// openUserStore opens the store for the dashboard. Another tokentop
// holding it is not fatal: the dashboard runs and says it is not saving.
// A damaged, foreign or newer file is: it is left untouched and the user
// is told what to do.
func openUserStore(s settings, demo bool, logger *slog.Logger) (*userStore, error) {
	u := &userStore{ns: "live"}
	if demo {
		u.ns = "demo"
	}
	if !s.cfg.Store.Enabled {
		u.readOnly = "the store is off ([store] enabled = false)"
		return u, nil
	}
	dir := dataDir(s.opts.dataDir, s.cfg)
	st, err := store.Open(store.Options{Dir: dir, Logger: logger})
	var inUse *store.InUseError
	switch {
	case errors.As(err, &inUse):
		logger.Warn("store in use", "path", inUse.Path, "pid", inUse.PID)
		u.readOnly = "store in use by another tokentop"
		if inUse.PID > 0 {
			u.readOnly += " (pid " + strconv.Itoa(inUse.PID) + ")"
		}
		return u, nil
	case err != nil:
		return nil, err
	}
	st.SetFiringsKept(s.cfg.Alerts.History)
	data, rep, err := st.Load()
	if err != nil {
		st.Close()
		return nil, err
	}
	if rep.Skipped > 0 {
		logger.Warn("store: records skipped", "count", rep.Skipped, "reasons", rep.Reasons)
	}
	j, jrep, err := st.LoadJournal(u.ns)
	if err != nil {
		logger.Warn("store: journal not loaded", "err", err)
	} else {
		u.journal = &j
		if jrep.Skipped > 0 {
			logger.Warn("store: journal records skipped", "count", jrep.Skipped, "reasons", jrep.Reasons)
		}
	}
	if !demo && s.cfg.Store.WarmStart {
		w, err := st.LoadWarm(u.ns, s.cfg.Store.WarmMaxAge, time.Now())
		if err != nil {
			logger.Warn("store: warm cache not loaded", "err", err)
		}
		u.warm = w
	}
	u.st, u.data = st, data
	u.writer = store.NewWriter(st, 0)
	return u, nil
}

// persister is the UI's Persister, or nil when nothing is saved.
func (u *userStore) persister() ui.Persister {
	if u.writer == nil {
		return nil
	}
	return u.writer
}

// keep runs the keeper (journal and warm cache) until ctx ends, then
// saves a last time; done is closed when it has.
func (u *userStore) keep(ctx context.Context, s settings, market *model.Market, demo bool, logger *slog.Logger) (done <-chan struct{}) {
	ch := make(chan struct{})
	if u.st == nil {
		close(ch)
		return ch
	}
	o := store.KeeperOptions{Namespace: u.ns, WarmEvery: s.cfg.Store.SaveEvery, History: market.History, Logger: logger}
	if demo || !s.cfg.Store.WarmStart {
		o.WarmEvery, o.History = -1, nil
	}
	snaps := market.Subscribe()
	go func() {
		defer close(ch)
		defer market.Unsubscribe(snaps)
		if err := u.st.Keep(ctx, snaps, o); err != nil {
			logger.Error("store keeper", "err", err)
		}
	}()
	return ch
}

// close flushes the writer and closes the store.
func (u *userStore) close(logger *slog.Logger) error {
	if u.st == nil {
		return nil
	}
	var err error
	if werr := u.writer.Close(); werr != nil {
		logger.Error("store: saving", "err", werr)
		err = fmt.Errorf("some changes were not saved: %w", werr)
	}
	if cerr := u.st.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// desktopNotify is the Notify option: the system's notifier when asked
// for and present, else nil.
func desktopNotify(on bool, logger *slog.Logger) func(title, body string) {
	if !on {
		return nil
	}
	n := notify.Find(runtime.GOOS, exec.LookPath)
	if n == nil {
		logger.Info("desktop notifications: no notifier on this system")
		return nil
	}
	return func(title, body string) {
		if err := n.Notify(context.Background(), title, body); err != nil {
			logger.Warn("desktop notification failed", "err", err)
		}
	}
}

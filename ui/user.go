package ui

import (
	"errors"
	"fmt"
	"slices"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/tokentop/tokentop/model"
)

// Persister saves the user's changes. store.Writer satisfies it: Apply
// queues the change without blocking and returns a func that waits for
// the result, which the UI calls only inside a tea.Cmd.
type Persister interface {
	Apply(ch model.UserChange) (wait func() error)
}

// savedMsg reports the result of one saved change. what is the change in
// words ("lot added", "BTC starred") for the status line on failure.
type savedMsg struct {
	what string
	err  error
}

// userState is the user's records as this program holds them: loaded at
// start (Options.User), changed only in Update, saved through the
// Persister in order. Views read it; only its methods change it.
type userState struct {
	data    model.UserData
	list    int // the active watchlist, an index into data.Watchlists
	persist Persister
	// readOnly explains why changes cannot be saved (the store is in use
	// by another tokentop, or could not be opened); "" when saving works.
	// While set, every change is refused with this message and nothing is
	// changed in memory either: the screen never shows unsaved data as kept.
	readOnly string
	hide     bool // balances hidden (screen sharing)
	book     *model.AlertBook
	version  uint64 // increases with every change, so views know to redraw
}

// noStore is the read-only reason when the program was given no store.
const noStore = "no data store is open in this session"

// newUserState takes the records loaded at start. The loaded records are
// copied, so the caller's slices are never changed; a load without any
// watchlist gets the default one (in memory only: it is saved with the
// first change to it).
func newUserState(opts Options) *userState {
	u := &userState{persist: opts.Persist, readOnly: opts.ReadOnly, hide: opts.HideBalances}
	if u.persist == nil && u.readOnly == "" {
		u.readOnly = noStore
	}
	d := opts.User
	for _, w := range d.Watchlists {
		u.data.Watchlists = append(u.data.Watchlists, model.Watchlist{Name: w.Name, Symbols: slices.Clone(w.Symbols)})
	}
	if len(u.data.Watchlists) == 0 {
		u.data.Watchlists = []model.Watchlist{{Name: model.DefaultWatchlist, Symbols: []string{}}}
	}
	u.data.Lots = slices.Clone(d.Lots)
	u.data.Alerts = slices.Clone(d.Alerts)
	u.data.Firings = slices.Clone(d.Firings)
	return u
}

// activeList is the watchlist the Watch view shows and * edits.
func (u *userState) activeList() *model.Watchlist {
	if len(u.data.Watchlists) == 0 {
		u.data.Watchlists = []model.Watchlist{{Name: model.DefaultWatchlist, Symbols: []string{}}}
	}
	u.list = min(max(u.list, 0), len(u.data.Watchlists)-1)
	return &u.data.Watchlists[u.list]
}

// listIndex is the index of the watchlist named name, or -1.
func (u *userState) listIndex(name string) int {
	for i := range u.data.Watchlists {
		if u.data.Watchlists[i].Name == name {
			return i
		}
	}
	return -1
}

// lotIndex is the index of the lot with id, or -1.
// putByID replaces (*list)[i] with v, or appends v when i < 0 and the list
// is below its limit.
func putByID[T any](list *[]T, v T, i, limit int, what string) error {
	switch {
	case i >= 0:
		(*list)[i] = v
	case len(*list) >= limit:
		return fmt.Errorf("at most %d %s", limit, what)
	default:
		*list = append(*list, v)
	}
	return nil
}

// deleteAt removes (*list)[i]; i < 0 (the record is gone) is the error gone.
func deleteAt[T any](list *[]T, i int, gone string) error {
	if i < 0 {
		return errors.New(gone)
	}
	*list = slices.Delete(*list, i, i+1)
	return nil
}

func (u *userState) lotIndex(id string) int {
	for i := range u.data.Lots {
		if u.data.Lots[i].ID == id {
			return i
		}
	}
	return -1
}

func (u *userState) alertIndex(id string) int {
	for i := range u.data.Alerts {
		if u.data.Alerts[i].ID == id {
			return i
		}
	}
	return -1
}

// lot returns the lot with id, or nil.
func (u *userState) lot(id string) *model.Lot {
	if i := u.lotIndex(id); i >= 0 {
		return &u.data.Lots[i]
	}
	return nil
}

// watched reports whether sym is in the active watchlist.
func (u *userState) watched(sym string) bool {
	return slices.Contains(u.activeList().Symbols, sym)
}

// errReadOnly is the refusal of a change that cannot be saved.
func (u *userState) errReadOnly() error { return errors.New("not saved: " + u.readOnly) }

// apply makes one change in memory and queues it for saving. It returns
// the Cmd that waits for the save and reports a savedMsg, or an error in
// words when the change is refused (read-only store, invalid record).
//
// The change is checked first (the record's Validate, the limits, that
// what it names exists); a refused change changes nothing. The records
// in memory are copies of the change's, so the Persister may read ch on
// its own goroutine while the UI goes on changing its data.
func (u *userState) apply(ch model.UserChange, what string) (tea.Cmd, error) {
	if u.readOnly != "" || u.persist == nil {
		if u.readOnly == "" {
			u.readOnly = noStore
		}
		return nil, u.errReadOnly()
	}
	if err := u.change(ch); err != nil {
		return nil, err
	}
	u.version++
	wait := u.persist.Apply(ch) // never blocks
	return func() tea.Msg { return savedMsg{what: what, err: wait()} }, nil
}

// fields counts the fields set in ch.
func fields(ch *model.UserChange) int {
	n := 0
	for _, set := range []bool{ch.PutWatchlist != nil, ch.DeleteWatchlist != "", ch.RenameWatchlist != nil,
		ch.PutLot != nil, ch.DeleteLot != "", ch.PutAlert != nil, ch.DeleteAlert != "", ch.AddFiring != nil} {
		if set {
			n++
		}
	}
	return n
}

// change validates ch and applies it to u.data.
func (u *userState) change(ch model.UserChange) error {
	switch n := fields(&ch); {
	case n == 0:
		return model.ErrNoChange
	case n > 1:
		return errors.New("a change must set exactly one record")
	}
	d := &u.data
	switch {
	case ch.PutWatchlist != nil:
		w := model.Watchlist{Name: ch.PutWatchlist.Name, Symbols: slices.Clone(ch.PutWatchlist.Symbols)}
		if w.Symbols == nil {
			w.Symbols = []string{}
		}
		if err := w.Validate(); err != nil {
			return err
		}
		if i := u.listIndex(w.Name); i >= 0 {
			d.Watchlists[i] = w
			return nil
		}
		if len(d.Watchlists) >= model.MaxWatchlists {
			return fmt.Errorf("at most %d watchlists", model.MaxWatchlists)
		}
		d.Watchlists = append(d.Watchlists, w)
	case ch.DeleteWatchlist != "":
		i := u.listIndex(ch.DeleteWatchlist)
		switch {
		case i < 0:
			return fmt.Errorf("no watchlist named %q", Sanitize(ch.DeleteWatchlist))
		case len(d.Watchlists) == 1:
			return errors.New("the last watchlist cannot be deleted")
		}
		d.Watchlists = slices.Delete(d.Watchlists, i, i+1)
		if u.list > i || u.list >= len(d.Watchlists) {
			u.list = max(u.list-1, 0)
		}
	case ch.RenameWatchlist != nil:
		from, to := ch.RenameWatchlist[0], ch.RenameWatchlist[1]
		i := u.listIndex(from)
		if i < 0 {
			return fmt.Errorf("no watchlist named %q", Sanitize(from))
		}
		if u.listIndex(to) >= 0 {
			return &model.FieldError{Field: "name", Msg: "a watchlist with that name exists"}
		}
		if err := (&model.Watchlist{Name: to}).Validate(); err != nil {
			return err
		}
		d.Watchlists[i].Name = to
	case ch.PutLot != nil:
		if err := ch.PutLot.Validate(); err != nil {
			return err
		}
		return putByID(&d.Lots, *ch.PutLot, u.lotIndex(ch.PutLot.ID), model.MaxLots, "lots")
	case ch.DeleteLot != "":
		return deleteAt(&d.Lots, u.lotIndex(ch.DeleteLot), "that lot is already gone")
	case ch.PutAlert != nil:
		if err := ch.PutAlert.Validate(); err != nil {
			return err
		}
		return putByID(&d.Alerts, *ch.PutAlert, u.alertIndex(ch.PutAlert.ID), model.MaxAlerts, "alerts")
	case ch.DeleteAlert != "":
		return deleteAt(&d.Alerts, u.alertIndex(ch.DeleteAlert), "that alert is already gone")
	case ch.AddFiring != nil:
		f := *ch.AddFiring
		if err := f.Validate(); err != nil {
			return err
		}
		fs := d.Firings
		if len(fs) > model.DefaultFiringsKept-1 {
			fs = fs[:model.DefaultFiringsKept-1]
		}
		fs = append(fs, model.AlertFiring{})
		copy(fs[1:], fs[:len(fs)-1])
		fs[0] = f
		d.Firings = fs
	}
	return nil
}

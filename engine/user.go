package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/tokentop/tokentop/store"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tokentop/tokentop/model"
)

// LocalUser is the user of the local dashboard.
const LocalUser = store.LocalUser

// userQueue is how many changes may wait for a user's service before more
// are refused (a session sends one per key or form, so only a stalled
// disk fills it).
const userQueue = 256

// Errors of a user service.
var (
	// ErrBehind refuses a change when the service's queue is full.
	ErrBehind = errors.New("saving is behind; change not saved")
	// ErrUserClosed refuses a change sent after the runtime closed.
	ErrUserClosed = errors.New("tokentop is shutting down; change not saved")
	// errFiring refuses a firing sent by a session: only the service
	// records firings.
	errFiring = errors.New("alert firings are recorded by the alert service, not sent by a session")
)

// User is one user's service: the one owner of that user's watchlists,
// lots, alerts and alert history. It runs on its own goroutine, whether or
// not a session is open: it takes every market snapshot through its own
// mailbox and checks the user's alerts (a firing is committed to the
// store, then published); it takes changes from the user's sessions,
// checks them, commits them to the store first, then changes its records
// and publishes an immutable model.UserSnapshot to every subscribed
// session. So a session shows a change as saved only once it is on disk,
// and every session of the user sees every change.
type User struct {
	id       string
	st       userStore // nil: nothing is saved (readOnly says why)
	readOnly string
	kept     int // alert history kept
	clock    model.Clock
	log      *slog.Logger

	reqs chan userRequest
	done chan struct{} // closed when the service goroutine ended

	mu     sync.Mutex // guards closed, subs and latest
	closed bool
	subs   []*model.Mailbox[*model.UserSnapshot]
	latest *model.UserSnapshot

	// checked is the Seq of the last market snapshot checked (tests wait
	// on it).
	checked atomic.Uint64

	// Owned by the service goroutine (and by newUser before it starts).
	data    model.UserData
	book    *model.AlertBook
	seq     uint64
	firings uint64 // firings recorded since the service started
}

type userRequest struct {
	ch  model.UserChange
	res chan error // capacity 1
}

// userConfig is what a user service is built from.
type userConfig struct {
	id       string
	data     model.UserData
	st       userStore
	readOnly string
	kept     int
	clock    model.Clock
	log      *slog.Logger
}

// newUser builds the service of one user with the records loaded from the
// store and publishes them as its first snapshot. start runs it.
func newUser(c userConfig) *User {
	u := &User{id: c.id, st: c.st, readOnly: c.readOnly, kept: c.kept, clock: c.clock, log: c.log,
		reqs: make(chan userRequest, userQueue), done: make(chan struct{}), data: c.data.Clone(),
		book: model.NewAlertBook()}
	if u.st == nil && u.readOnly == "" {
		u.readOnly = "no data store is open"
	}
	if u.kept <= 0 {
		u.kept = model.DefaultFiringsKept
	}
	if len(u.data.Firings) > u.kept {
		u.data.Firings = u.data.Firings[:u.kept]
	}
	u.data.WithDefaultWatchlist()
	u.publish()
	return u
}

// start runs the service until ctx ends: it subscribes to the market (the
// subscription ends with ctx) and serves changes. When ctx ends it refuses
// new changes, commits the ones already queued, and closes every
// subscriber's mailbox; Done is closed then.
func (u *User) start(ctx context.Context, market *model.Market) {
	snaps := market.Subscribe(ctx)
	go u.run(ctx, snaps)
}

// ID is the user's id.
func (u *User) ID() string { return u.id }

// Done is closed when the service has stopped.
func (u *User) Done() <-chan struct{} { return u.done }

// Latest is the newest snapshot published.
func (u *User) Latest() *model.UserSnapshot {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.latest
}

// Subscribe returns a mailbox that receives every snapshot of the user's
// records published from now on (coalesced); the latest is in it at once.
// When ctx ends the subscription ends and the mailbox is closed, so a
// session cannot leave a mailbox behind. The service stopping closes it
// too.
func (u *User) Subscribe(ctx context.Context) *model.Mailbox[*model.UserSnapshot] {
	mb := model.NewMailbox[*model.UserSnapshot]()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.latest != nil {
		mb.Put(u.latest)
	}
	if u.closed || ctx.Err() != nil {
		mb.Close()
		return mb
	}
	u.subs = append(u.subs, mb)
	context.AfterFunc(ctx, func() {
		u.mu.Lock()
		u.subs = slices.DeleteFunc(u.subs, func(x *model.Mailbox[*model.UserSnapshot]) bool { return x == mb })
		u.mu.Unlock()
		mb.Close()
	})
	return mb
}

// Subscribers is how many mailboxes the service delivers to now.
func (u *User) Subscribers() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.subs)
}

// Apply sends ch to the service and returns at once (the records ch
// points to are copied first). wait returns nil once the change is
// committed to the store and the snapshot holding it is published, or why
// it was refused (invalid, read only, the store failed, ErrBehind when
// the queue is full, ErrUserClosed after the runtime closed). wait may be
// called more than once, or never.
func (u *User) Apply(ch model.UserChange) (wait func() error) {
	ch = copyChange(ch)
	res := make(chan error, 1)
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return func() error { return ErrUserClosed }
	}
	select {
	case u.reqs <- userRequest{ch: ch, res: res}:
	default:
		u.mu.Unlock()
		return func() error { return ErrBehind }
	}
	u.mu.Unlock()
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() { err = <-res })
		return err
	}
}

// copyChange copies the records ch points to, so the sender may reuse
// its own.
func copyChange(ch model.UserChange) model.UserChange {
	if ch.PutWatchlist != nil {
		w := model.Watchlist{Name: ch.PutWatchlist.Name, Symbols: slices.Clone(ch.PutWatchlist.Symbols)}
		ch.PutWatchlist = &w
	}
	if ch.RenameWatchlist != nil {
		r := *ch.RenameWatchlist
		ch.RenameWatchlist = &r
	}
	if ch.PutLot != nil {
		l := *ch.PutLot
		ch.PutLot = &l
	}
	if ch.PutAlert != nil {
		a := *ch.PutAlert
		ch.PutAlert = &a
	}
	if ch.AddFiring != nil {
		f := *ch.AddFiring
		ch.AddFiring = &f
	}
	return ch
}

// run is the service goroutine.
func (u *User) run(ctx context.Context, snaps *model.Mailbox[*model.Snapshot]) {
	defer close(u.done)
	for {
		select {
		case r := <-u.reqs:
			r.res <- u.change(r.ch)
		case <-snaps.Ready():
			if s, ok := snaps.TryTake(); ok && s != nil {
				u.check(s)
			}
		case <-ctx.Done():
			u.drain()
			return
		}
	}
}

// drain refuses new changes, commits the queued ones and closes the
// subscribers' mailboxes.
func (u *User) drain() {
	u.mu.Lock()
	u.closed = true
	u.mu.Unlock()
	for {
		select {
		case r := <-u.reqs:
			r.res <- u.change(r.ch)
		default:
			u.mu.Lock()
			for _, mb := range u.subs {
				mb.Close()
			}
			u.subs = nil
			u.mu.Unlock()
			return
		}
	}
}

// change serves one change from a session: checked against the records,
// committed to the store, and only then made in memory and published.
// A refused change changes nothing.
func (u *User) change(ch model.UserChange) error {
	if u.readOnly != "" || u.st == nil {
		return errors.New("not saved: " + u.readOnly)
	}
	if ch.AddFiring != nil {
		return errFiring
	}
	if ch.PutAlert != nil {
		// When and how often an alert fired is the service's to say: a
		// session's copy may be older than a firing it has not seen yet.
		if i := u.data.AlertIndex(ch.PutAlert.ID); i >= 0 {
			old := &u.data.Alerts[i]
			ch.PutAlert.LastFired, ch.PutAlert.Fired = old.LastFired, old.Fired
		}
	}
	if err := u.data.Check(ch); err != nil {
		return err
	}
	if err := u.st.ApplyUser(u.id, ch); err != nil {
		return err
	}
	if err := u.data.Apply(ch, u.kept); err != nil { // Check passed: only a bug gets here
		return fmt.Errorf("saved, but not applied: %w", err)
	}
	if ch.PutAlert != nil {
		u.book.Forget(ch.PutAlert.ID) // a changed rule already true fires at the next check
	}
	u.publish()
	return nil
}

// check evaluates the alerts on a market snapshot. Each firing is
// committed to the store (the firing, then the alert's new state) before
// the snapshot that announces it is published. A read-only user's alerts
// still fire (the sessions announce them) but nothing is saved; a failed
// save is logged and the firing is still announced: it happened.
func (u *User) check(s *model.Snapshot) {
	defer u.checked.Store(s.Seq)
	fired := u.book.Check(u.data.Alerts, s, u.clock())
	if len(fired) == 0 {
		return
	}
	for i := range fired {
		f := fired[i]
		if u.st != nil && u.readOnly == "" {
			if err := u.st.ApplyUser(u.id, model.UserChange{AddFiring: &f}); err != nil {
				u.log.Error("alert firing not saved", "user", u.id, "alert", f.AlertID, "err", err)
			}
			if k := u.data.AlertIndex(f.AlertID); k >= 0 {
				a := u.data.Alerts[k]
				if err := u.st.ApplyUser(u.id, model.UserChange{PutAlert: &a}); err != nil {
					u.log.Error("alert state not saved", "user", u.id, "alert", f.AlertID, "err", err)
				}
			}
		}
		if err := u.data.Apply(model.UserChange{AddFiring: &f}, u.kept); err != nil {
			u.log.Error("alert firing refused", "user", u.id, "alert", f.AlertID, "err", err)
			continue
		}
		u.firings++
	}
	u.publish()
}

// publish makes the records the latest snapshot and puts it in every
// subscriber's mailbox. The snapshot holds a copy: the service goes on
// changing its own records (the alert book marks fired alerts in place).
func (u *User) publish() {
	u.seq++
	snap := &model.UserSnapshot{Seq: u.seq, User: u.id, Data: u.data.Clone(), ReadOnly: u.readOnly, FiringsAdded: u.firings}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.latest = snap
	for _, mb := range u.subs {
		mb.Put(snap)
	}
}

package ui

import (
	"errors"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/tokentop/tokentop/model"
)

// UserLink connects a session to its user's service, the one owner of the
// user's watchlists, lots, alerts and alert history (engine.User satisfies
// it through the session). ui never writes the store: it sends changes and
// shows what the service published.
type UserLink interface {
	// Updates delivers the user's latest snapshot, coalesced: the one
	// current when the session subscribed is waiting in it at once.
	Updates() *model.Mailbox[*model.UserSnapshot]
	// Apply sends ch to the service and returns at once. wait returns nil
	// once the service has committed the change to the store (and put the
	// snapshot holding it in Updates), or why it refused; the UI calls it
	// only inside a tea.Cmd.
	Apply(ch model.UserChange) (wait func() error)
}

// savedMsg is the service's answer to one change sent by this session.
type savedMsg struct {
	id  uint64 // the pending change
	err error
}

// pendingChange is a change sent to the service and not answered yet.
// While it waits the status line says "saving… <what>"; done runs in
// Update with the answer.
type pendingChange struct {
	id   uint64
	ch   model.UserChange
	what string // "lot added", "BTC watched": in "saving… " and "not saved: …"
	done func(err error)
}

// userState is this session's view of the user's records: the latest
// snapshot the user's service published, and the changes this session
// sent that the service has not answered yet. The records shown are only
// the committed ones: a change shows as saved ("✓ Lot added") only after
// the store has it, and as "saving…" until then. The snapshot's records
// are shared with the user's other sessions: nothing here changes them.
type userState struct {
	link UserLink
	snap *model.UserSnapshot
	data model.UserData // snap.Data (read only), with a default watchlist when it has none
	// readOnly explains why changes cannot be saved (the store is in use
	// by another tokentop, the session is anonymous); "" when saving
	// works. While set, every change is refused with this message.
	readOnly  string
	anonymous bool

	list     int    // the active watchlist, an index into data.Watchlists
	listName string // its name: the active list stays when others come and go
	hide     bool   // balances hidden (screen sharing)
	version  uint64 // increases whenever data changes, so views know to redraw

	pending []pendingChange
	nextID  uint64

	firingsSeen uint64 // the FiringsAdded of the last snapshot taken
	firingsInit bool
}

// anonymousReason is why a session with no user saves nothing.
const anonymousReason = "anonymous session"

// defaultLists is the watchlist shown when the records have none.
var defaultLists = []model.Watchlist{{Name: model.DefaultWatchlist, Symbols: []string{}}}

// newUserState links the session to its user. With no link the session
// is anonymous: read only, with no records. The snapshot waiting in the
// link's mailbox is taken at once: its firings are not news to this
// session, only later ones are announced.
func newUserState(opts Options) *userState {
	u := &userState{link: opts.User, hide: opts.HideBalances}
	u.data.Watchlists = defaultLists
	if u.link == nil {
		u.readOnly, u.anonymous = anonymousReason, true
		return u
	}
	u.pull()
	return u
}

// pull takes the newest snapshot from the service, if one came, and
// returns the firings recorded since the last one taken (newest first).
func (u *userState) pull() []model.AlertFiring {
	if u.link == nil {
		return nil
	}
	box := u.link.Updates()
	if box == nil {
		return nil
	}
	s, ok := box.TryTake()
	if !ok {
		return nil
	}
	return u.adopt(s)
}

// adopt makes s the records shown (an older or repeated snapshot is
// ignored) and returns the firings it added since the last one.
func (u *userState) adopt(s *model.UserSnapshot) []model.AlertFiring {
	if s == nil || (u.snap != nil && s.Seq <= u.snap.Seq) {
		return nil
	}
	u.snap, u.data, u.readOnly = s, s.Data, s.ReadOnly
	if len(u.data.Watchlists) == 0 {
		u.data.Watchlists = defaultLists
	}
	u.version++
	if i := u.data.WatchlistIndex(u.listName); i >= 0 {
		u.list = i
	}
	u.activeList() // the active list was deleted: its neighbour
	var fired []model.AlertFiring
	if u.firingsInit {
		fired = s.NewFirings(u.firingsSeen)
	}
	u.firingsSeen, u.firingsInit = s.FiringsAdded, true
	return fired
}

// activeList is the watchlist the Watch view shows and * edits. It is
// the snapshot's: read it, never change it.
func (u *userState) activeList() *model.Watchlist {
	u.list = min(max(u.list, 0), len(u.data.Watchlists)-1)
	l := &u.data.Watchlists[u.list]
	u.listName = l.Name
	return l
}

// selectList makes the watchlist named name the active one (when it is
// there).
func (u *userState) selectList(name string) {
	if i := u.data.WatchlistIndex(name); i >= 0 {
		u.list, u.listName = i, name
	}
}

// listIndex is the index of the watchlist named name, or -1.
func (u *userState) listIndex(name string) int { return u.data.WatchlistIndex(name) }

// lot returns the lot with id, or nil. Read it, never change it.
func (u *userState) lot(id string) *model.Lot {
	if i := u.data.LotIndex(id); i >= 0 {
		return &u.data.Lots[i]
	}
	return nil
}

// errReadOnly is the refusal of a change that cannot be saved.
func (u *userState) errReadOnly() error {
	if u.anonymous {
		return errors.New("read-only: " + anonymousReason + " (no watchlists, portfolio or alerts)")
	}
	return errors.New("not saved: " + u.readOnly)
}

// current is the records as they will be once the pending changes are
// committed: what the next change is computed from (so two quick stars
// both stay). It is a copy when anything is pending.
func (u *userState) current() model.UserData {
	if len(u.pending) == 0 {
		return u.data
	}
	d := u.data.Clone()
	for _, p := range u.pending {
		_ = d.Apply(p.ch, 0) // a change the service will refuse is reported then
	}
	return d
}

// send checks ch against the records (with the pending changes) and sends
// it to the user's service. It returns the Cmd that waits for the answer
// (a savedMsg; done then runs in Update), or why the change is refused at
// once (read only, an invalid record, something it names is gone).
func (u *userState) send(ch model.UserChange, what string, done func(err error)) (tea.Cmd, error) {
	if u.readOnly != "" { // always so without a link (anonymous)
		return nil, u.errReadOnly()
	}
	cur := u.current()
	if err := cur.Check(ch); err != nil {
		return nil, err
	}
	u.nextID++
	id := u.nextID
	wait := u.link.Apply(ch) // never blocks
	u.pending = append(u.pending, pendingChange{id: id, ch: ch, what: what, done: done})
	return func() tea.Msg { return savedMsg{id: id, err: wait()} }, nil
}

// answered removes the pending change id and returns it (ok false when
// it is not pending: a second answer).
func (u *userState) answered(id uint64) (pendingChange, bool) {
	for i, p := range u.pending {
		if p.id == id {
			u.pending = append(u.pending[:i], u.pending[i+1:]...)
			return p, true
		}
	}
	return pendingChange{}, false
}

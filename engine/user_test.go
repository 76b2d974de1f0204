package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/store"
)

// A change is committed to the store before anyone sees it: while the
// store holds it, the user's snapshot does not have it and wait has not
// returned; once wait returns, the published snapshot has it.
func TestUserCommitsBeforeItShows(t *testing.T) {
	st := newMemStore()
	r, _ := testRuntime(t, st, "")
	u, err := r.User("alice")
	if err != nil {
		t.Fatal(err)
	}
	box := u.Subscribe(t.Context())
	first := takeUser(t, box, "the first snapshot", func(*model.UserSnapshot) bool { return true })

	st.mu.Lock()
	st.block = make(chan struct{})
	block := st.block
	st.mu.Unlock()
	wait := u.Apply(model.UserChange{PutLot: &model.Lot{ID: "lot-1", Symbol: "BTC", Quantity: 0.5, Cost: 60000}})
	answered := make(chan error, 1)
	go func() { answered <- wait() }()
	// The service takes the change and waits inside the store's commit.
	until(t, "the commit to start", func() bool { st.mu.Lock(); defer st.mu.Unlock(); return st.waiting > 0 })
	select {
	case err := <-answered:
		t.Fatalf("wait returned (%v) before the store committed", err)
	default:
	}
	if s, ok := box.TryTake(); ok && s.Data.LotIndex("lot-1") >= 0 {
		t.Fatal("a lot not yet committed was published")
	}
	close(block)
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if got := st.records("alice"); got.LotIndex("lot-1") < 0 {
		t.Fatal("wait returned but the store lacks the lot")
	}
	if l := u.Latest(); l.Seq <= first.Seq || l.Data.LotIndex("lot-1") < 0 {
		t.Fatal("wait returned before the snapshot holding the change was published")
	}
}

// A change the records or the store refuse changes nothing, and says why.
func TestUserRefusedChangeChangesNothing(t *testing.T) {
	st := newMemStore()
	r, _ := testRuntime(t, st, "")
	u, _ := r.User("alice")
	seq := u.Latest().Seq
	if err := u.Apply(model.UserChange{PutLot: &model.Lot{ID: "x", Symbol: "BTC", Quantity: -1}})(); err == nil ||
		!strings.Contains(err.Error(), "quantity") {
		t.Fatalf("an invalid lot: %v", err)
	}
	if err := u.Apply(model.UserChange{AddFiring: &model.AlertFiring{AlertID: "a", Message: "fake"}})(); !errors.Is(err, errFiring) {
		t.Fatalf("a firing from a session: %v", err)
	}
	st.mu.Lock()
	st.fail = errors.New("write tokentop.db: no space left on device")
	st.mu.Unlock()
	if err := u.Apply(model.UserChange{PutLot: &model.Lot{ID: "x", Symbol: "BTC", Quantity: 1}})(); err == nil ||
		!strings.Contains(err.Error(), "no space left") {
		t.Fatalf("a failed commit: %v", err)
	}
	if l := u.Latest(); l.Seq != seq || len(l.Data.Lots) != 0 {
		t.Fatalf("a refused change was published (seq %d -> %d, %d lots)", seq, l.Seq, len(l.Data.Lots))
	}
	if n := len(st.commits()); n != 0 {
		t.Fatalf("%d commits", n)
	}
}

// Each user's records are theirs alone: the services, their snapshots
// and the store keep them apart.
func TestUsersAreIsolated(t *testing.T) {
	st := newMemStore()
	st.users["bob"] = &model.UserData{Lots: []model.Lot{{ID: "bob-1", Symbol: "ETH", Quantity: 2}}}
	r, _ := testRuntime(t, st, "")
	alice, _ := r.User("alice")
	bob, _ := r.User("bob")
	if alice == bob {
		t.Fatal("two users share a service")
	}
	aliceBox, bobBox := alice.Subscribe(t.Context()), bob.Subscribe(t.Context())
	bobBox.TryTake()
	if err := alice.Apply(model.UserChange{PutLot: &model.Lot{ID: "alice-1", Symbol: "BTC", Quantity: 1}})(); err != nil {
		t.Fatal(err)
	}
	if err := alice.Apply(model.UserChange{PutWatchlist: &model.Watchlist{Name: "Mine", Symbols: []string{"SOL"}}})(); err != nil {
		t.Fatal(err)
	}
	takeUser(t, aliceBox, "alice's lot", func(s *model.UserSnapshot) bool { return s.Data.LotIndex("alice-1") >= 0 })
	if s, ok := bobBox.TryTake(); ok {
		t.Fatalf("bob's sessions got a snapshot for alice's change (seq %d)", s.Seq)
	}
	b := bob.Latest()
	if b.User != "bob" || b.Data.LotIndex("alice-1") >= 0 || b.Data.WatchlistIndex("Mine") >= 0 || b.Data.LotIndex("bob-1") < 0 {
		t.Fatalf("bob sees %+v", b.Data)
	}
	if d := st.records("bob"); d.LotIndex("alice-1") >= 0 || d.LotIndex("bob-1") < 0 {
		t.Fatalf("bob's stored records: %+v", d)
	}
	if d := st.records("alice"); d.LotIndex("alice-1") < 0 || d.LotIndex("bob-1") >= 0 {
		t.Fatalf("alice's stored records: %+v", d)
	}
	// Asking again gives the same service; at start every stored user has one.
	if again, _ := r.User("alice"); again != alice {
		t.Fatal("a second service for alice")
	}
	if _, err := r.User(""); err == nil {
		t.Fatal("an empty user id was accepted")
	}
	if _, err := r.User("bad\x1b[2J"); err == nil {
		t.Fatal("a user id with an escape sequence was accepted")
	}
}

// The services of every user the store knows start with the runtime, so
// their alerts fire with no session open; a firing is committed (the
// firing, then the alert's new state) and published.
func TestAlertsFireWithNoSessionOpen(t *testing.T) {
	st := newMemStore()
	alert := model.Alert{ID: "al-1", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 100, Created: t0}
	st.users["alice"] = &model.UserData{Alerts: []model.Alert{alert}}
	r, feed := testRuntime(t, st, "")
	if ids := r.Users(); len(ids) != 1 || ids[0] != "alice" {
		t.Fatalf("services at start: %v", ids)
	}
	u, _ := r.User("alice")
	feed.price("BTC", 90)
	waitMarket(t, r, "BTC at 90", func(s *model.Snapshot) bool { v := s.Token("BTC"); return v != nil && v.Price == 90 })
	feed.price("BTC", 110)
	until(t, "the firing to be committed", func() bool { return len(st.records("alice").Firings) == 1 })
	d := st.records("alice")
	if f := d.Firings[0]; f.AlertID != "al-1" || f.Symbol != "BTC" || !strings.Contains(f.Message, "BTC rose above $100") {
		t.Fatalf("stored firing %+v", f)
	}
	until(t, "the alert's state to be committed", func() bool { a := st.records("alice").Alerts[0]; return a.Done && a.Fired == 1 })
	until(t, "the firing to be published", func() bool { return u.Latest().FiringsAdded == 1 })
	s := u.Latest()
	if len(s.Data.Firings) != 1 || !s.Data.Alerts[0].Done || !s.Data.Alerts[0].LastFired.Equal(t0) {
		t.Fatalf("published %+v", s.Data)
	}
	commits := st.commits()
	if len(commits) != 2 || commits[0] != "alice: firing al-1" || commits[1] != "alice: alert al-1" {
		t.Fatalf("commits %v, want the firing then the alert's state", commits)
	}
	// Once: it does not fire again on the next crossing.
	feed.price("BTC", 90)
	waitMarket(t, r, "BTC back at 90", func(s *model.Snapshot) bool { return s.Token("BTC").Price == 90 })
	feed.price("BTC", 120)
	at := waitMarket(t, r, "BTC at 120", func(s *model.Snapshot) bool { return s.Token("BTC").Price == 120 })
	until(t, "the service to check that snapshot", func() bool { return u.checked.Load() >= at.Seq })
	if n := u.Latest().FiringsAdded; n != 1 {
		t.Fatalf("a one-shot alert fired %d times", n)
	}
}

// A session's copy of an alert may be older than a firing it has not
// seen: when it sends the alert back (disabled), the service keeps how
// often and when the alert fired.
func TestUserKeepsFiringStateOfAnAlertSentBack(t *testing.T) {
	st := newMemStore()
	alert := model.Alert{ID: "al-1", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 100, Repeat: true, Created: t0}
	st.users["alice"] = &model.UserData{Alerts: []model.Alert{alert}}
	r, feed := testRuntime(t, st, "")
	u, _ := r.User("alice")
	feed.price("BTC", 110)
	until(t, "the firing", func() bool { return u.Latest().FiringsAdded == 1 })
	stale := alert
	stale.Disabled = true
	if err := u.Apply(model.UserChange{PutAlert: &stale})(); err != nil {
		t.Fatal(err)
	}
	a := st.records("alice").Alerts[0]
	if !a.Disabled || a.Fired != 1 || !a.LastFired.Equal(t0) {
		t.Fatalf("stored %+v", a)
	}
}

// A user with no store (another tokentop holds it) is read only: every
// change is refused with the reason; alerts cannot be made, so none fire.
func TestReadOnlyUserRefusesChanges(t *testing.T) {
	r, _ := testRuntime(t, nil, "store in use by another tokentop (pid 42)")
	u, err := r.User(LocalUser)
	if err != nil {
		t.Fatal(err)
	}
	if s := u.Latest(); s.ReadOnly != "store in use by another tokentop (pid 42)" || len(s.Data.Watchlists) != 1 {
		t.Fatalf("read-only snapshot %+v", s)
	}
	err = u.Apply(model.UserChange{PutLot: &model.Lot{ID: "x", Symbol: "BTC", Quantity: 1}})()
	if err == nil || err.Error() != "not saved: store in use by another tokentop (pid 42)" {
		t.Fatalf("read-only change: %v", err)
	}
}

// Close ends the services after committing the changes already sent;
// later changes are refused.
func TestCloseCommitsQueuedChanges(t *testing.T) {
	st := newMemStore()
	r, _ := testRuntime(t, st, "")
	u, _ := r.User("alice")
	st.mu.Lock()
	st.block = make(chan struct{})
	block := st.block
	st.mu.Unlock()
	var waits []func() error
	for i := range 3 {
		waits = append(waits, u.Apply(model.UserChange{PutLot: &model.Lot{ID: fmt.Sprintf("lot-%d", i), Symbol: "BTC", Quantity: 1}}))
	}
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	close(block)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for i, w := range waits {
		if err := w(); err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
	}
	if n := len(st.records("alice").Lots); n != 3 {
		t.Fatalf("%d of 3 queued lots committed", n)
	}
	if err := u.Apply(model.UserChange{DeleteLot: "lot-0"})(); !errors.Is(err, ErrUserClosed) {
		t.Fatalf("a change after Close: %v", err)
	}
	select {
	case <-u.Done():
	default:
		t.Fatal("the service still runs after Close")
	}
}

// quietAlerts are n armed alerts that do not fire on a market of small
// prices.
func quietAlerts(n int) model.UserData {
	var d model.UserData
	for i := range n {
		a := model.Alert{ID: fmt.Sprintf("q%d", i), Symbol: fmt.Sprintf("TK%03d", i%20), Kind: model.AlertPriceAbove, Price: 1e9}
		switch i % 3 {
		case 1:
			a.Kind, a.Percent, a.Window = model.AlertMove, 0.9, model.Duration(time.Hour)
		case 2:
			a.Symbol, a.Kind = "", model.AlertSignalFlip
		}
		d.Alerts = append(d.Alerts, a)
	}
	return d
}

// quietMarket is a snapshot of n tokens at small prices, version v.
func quietMarket(n int, v uint64) *model.Snapshot {
	s := &model.Snapshot{Seq: v, Time: t0}
	tokens := make([]*model.TokenView, n)
	for i := range n {
		tokens[i] = &model.TokenView{Symbol: fmt.Sprintf("TK%03d", i), Price: float64(i + 1), Version: v,
			Change1h: 0.01, Change24h: 0.02, Change7d: 0.03}
	}
	s.Tokens = model.ReadOnlyOf(tokens...)
	return s
}

func quietUser(tb testing.TB) *User {
	return newUser(userConfig{id: "alice", data: quietAlerts(100), st: newMemStore(), clock: func() time.Time { return t0 },
		log: slog.New(slog.DiscardHandler)})
}

// The service checks the alerts on every market snapshot: when nothing
// fires it allocates nothing and publishes nothing.
func TestUserCheckWithoutFiringAllocatesNothing(t *testing.T) {
	u := quietUser(t)
	u.check(quietMarket(20, 1)) // the baseline
	next := quietMarket(20, 2)
	seq := u.seq
	if allocs := testing.AllocsPerRun(100, func() { u.check(next) }); allocs != 0 {
		t.Fatalf("a check without a firing allocates %v times", allocs)
	}
	if u.seq != seq {
		t.Fatal("a check without a firing published a snapshot")
	}
}

// BenchmarkUserCheck: one user's 100 alerts checked against a snapshot
// of 500 tokens, nothing fires (what every user service does per
// snapshot).
func BenchmarkUserCheck(b *testing.B) {
	u := quietUser(b)
	u.check(quietMarket(500, 1))
	next := quietMarket(500, 2)
	b.ReportAllocs()
	for b.Loop() {
		u.check(next)
	}
}

// BenchmarkUserChange: one change through the service (checked,
// committed to an in-memory store, published to a subscriber), with 100
// lots and 100 alerts held.
func BenchmarkUserChange(b *testing.B) {
	d := quietAlerts(100)
	for i := range 100 {
		d.Lots = append(d.Lots, model.Lot{ID: fmt.Sprintf("l%d", i), Symbol: "BTC", Quantity: 1})
	}
	benchChanges(b, newMemStore(), d)
}

// BenchmarkUserChangeOnDisk: the same with the real store (one bbolt
// transaction with fsync per change) and no records: how long "saving…"
// shows before "✓".
func BenchmarkUserChangeOnDisk(b *testing.B) {
	st, err := store.Open(store.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchChanges(b, perUser{st}, model.UserData{})
}

// benchChanges times a lot changed through a running service of the user
// local with records d, a session subscribed.
func benchChanges(b *testing.B, st userStore, d model.UserData) {
	u := newUser(userConfig{id: LocalUser, data: d, st: st, clock: func() time.Time { return t0 }, log: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go u.run(ctx, model.NewMailbox[*model.Snapshot]())
	box := u.Subscribe(ctx)
	lot := model.Lot{ID: "l0", Symbol: "BTC", Quantity: 1}
	b.ReportAllocs()
	for b.Loop() {
		lot.Quantity++
		if err := u.Apply(model.UserChange{PutLot: &lot})(); err != nil {
			b.Fatal(err)
		}
		box.TryTake()
	}
}

// The same on disk: two users' changes, made through their services on
// one runtime, land in their own buckets of the one store, and a reopened
// store gives each user back exactly their records.
// Two SSH users, named as the store names them: by key fingerprint.
const (
	aliceID = "SHA256:" + "aliceAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	bobID   = "SHA256:" + "bobBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA"
)

func TestUsersAreIsolatedInTheStore(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := testRuntime(t, perUser{st}, "")
	alice, err := r.User(aliceID)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := r.User(bobID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []struct {
		u  *User
		ch model.UserChange
	}{
		{alice, model.UserChange{PutLot: &model.Lot{ID: "alice-1", Symbol: "BTC", Quantity: 1}}},
		{bob, model.UserChange{PutLot: &model.Lot{ID: "bob-1", Symbol: "ETH", Quantity: 2}}},
		{alice, model.UserChange{PutWatchlist: &model.Watchlist{Name: "Alice's", Symbols: []string{"SOL"}}}},
		{bob, model.UserChange{PutAlert: &model.Alert{ID: "bob-a", Symbol: "ETH", Kind: model.AlertPriceAbove, Price: 5000, Created: t0}}},
	} {
		if err := ch.u.Apply(ch.ch)(); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = store.Open(store.Options{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, rep, err := st.Load(aliceID)
	if err != nil || rep.Skipped != 0 {
		t.Fatalf("alice: %v %+v", err, rep)
	}
	b, rep, err := st.Load(bobID)
	if err != nil || rep.Skipped != 0 {
		t.Fatalf("bob: %v %+v", err, rep)
	}
	if a.LotIndex("alice-1") < 0 || a.WatchlistIndex("Alice's") < 0 || a.LotIndex("bob-1") >= 0 || len(a.Alerts) != 0 {
		t.Errorf("alice's stored records: %+v", a)
	}
	if b.LotIndex("bob-1") < 0 || len(b.Alerts) != 1 || b.LotIndex("alice-1") >= 0 || b.WatchlistIndex("Alice's") >= 0 {
		t.Errorf("bob's stored records: %+v", b)
	}
	l, _, err := st.Load(store.LocalUser)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Lots) != 0 || len(l.Alerts) != 0 {
		t.Errorf("the local user got records: %+v", l)
	}
}

package engine

import (
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tokentop/tokentop/model"
)

// Keys as a terminal sends them.
const (
	keyTab      = "\t"
	keyCtrlS    = "\x13"
	keyCtrlU    = "\x15"
	keyShiftTab = "\x1b[Z"
)

// market gives the scripted market a few tokens and waits until sessions
// can show them.
func market(t *testing.T, r *Runtime, feed *scriptFeed) {
	t.Helper()
	feed.price("BTC", 100)
	feed.price("ETH", 10)
	feed.price("SOL", 1)
	waitMarket(t, r, "three tokens", func(s *model.Snapshot) bool { return s.Tokens.Len() == 3 })
}

// One user with two sessions (a laptop and a phone): a change made in
// one shows in the other, live, and both show only what was committed.
func TestTwoSessionsOfOneUserSeeOneSetOfData(t *testing.T) {
	st := newMemStore()
	r, feed := testRuntime(t, st, "")
	market(t, r, feed)
	laptop := openTerm(t, r, "alice", true)
	phone := openTerm(t, r, "alice", false)
	laptop.screen.waitText(t, "BTC")
	phone.screen.waitText(t, "BTC")

	laptop.typeKeys("*") // the selected token, BTC
	laptop.screen.waitText(t, "★ BTC added to Watchlist")
	phone.screen.waitText(t, "Watch (1)")
	if d := st.records("alice"); len(d.Watchlists) != 1 || len(d.Watchlists[0].Symbols) != 1 || d.Watchlists[0].Symbols[0] != "BTC" {
		t.Fatalf("stored watchlists %+v", d.Watchlists)
	}

	phone.typeKeys("a")
	phone.screen.waitText(t, "Add lot — BTC")
	phone.typeKeys("0.5" + keyCtrlS)
	phone.screen.waitText(t, "✓ Lot added: 0.50000 BTC")
	laptop.screen.waitText(t, "Portfolio (1)")
	if d := st.records("alice"); len(d.Lots) != 1 || d.Lots[0].Quantity != 0.5 {
		t.Fatalf("stored lots %+v", d.Lots)
	}
	// A third session of another user sees none of it.
	bob := openTerm(t, r, "bob", false)
	s := bob.screen.waitText(t, "BTC")
	if !strings.Contains(s, "Watch (0)") || !strings.Contains(s, "Portfolio (0)") {
		t.Fatalf("bob sees alice's records:\n%s", s)
	}
}

// An alert fires with no session open; its firing is in the history, and
// it is announced and belled in the sessions open when it fires (not in
// one opened later); only a local session shows a desktop notification.
func TestFiringAnnouncedInOpenSessions(t *testing.T) {
	st := newMemStore()
	st.users["alice"] = &model.UserData{Alerts: []model.Alert{
		{ID: "early", Symbol: "ETH", Kind: model.AlertPriceBelow, Price: 5, Created: t0},
		{ID: "late", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 150, Created: t0},
	}}
	r, feed := testRuntime(t, st, "")
	var notes atomic.Int32
	r.notifier = func(on bool, _ *slog.Logger) func(string, string) {
		if !on {
			return nil
		}
		return func(string, string) { notes.Add(1) }
	}
	market(t, r, feed)
	// No session: ETH falls below 5 and the alert fires all the same.
	feed.price("ETH", 4)
	until(t, "the firing with no session open", func() bool { return len(st.records("alice").Firings) == 1 })

	local := openTerm(t, r, "alice", true)
	remote := openTerm(t, r, "alice", false)
	for _, tm := range []*term{local, remote} {
		tm.screen.waitText(t, "BTC")
		tm.typeKeys(keyShiftTab) // to the Alerts view, left of Markets
		tm.screen.waitText(t, "ETH fell below $5")
	}
	if strings.Contains(local.screen.text(), "🔔") || local.out.count('\a') != 0 {
		t.Fatal("a firing from before the session was announced")
	}
	feed.price("BTC", 160)
	for _, tm := range []*term{local, remote} {
		tm.screen.waitText(t, "🔔 BTC rose above $150")
		until(t, "the bell", func() bool { return tm.out.count('\a') == 1 })
	}
	until(t, "the local notification", func() bool { return notes.Load() == 1 })
	if d := st.records("alice"); len(d.Firings) != 2 {
		t.Fatalf("%d firings stored, want 2", len(d.Firings))
	}
	// The remote session never notified: one notification in all.
	local.close()
	remote.close()
	if n := notes.Load(); n != 1 {
		t.Fatalf("%d desktop notifications, want 1 (the local session's)", n)
	}
}

// An anonymous session sees the market but no records, opens no form and
// says it is read-only; it starts no user service.
func TestAnonymousSessionIsReadOnly(t *testing.T) {
	r, feed := testRuntime(t, newMemStore(), "")
	market(t, r, feed)
	anon := openTerm(t, r, "", false)
	anon.screen.waitText(t, "BTC")
	anon.screen.waitText(t, "read-only: anonymous session")
	anon.typeKeys("a")
	anon.screen.waitText(t, "read-only: anonymous session (no watchlists, portfolio or alerts)")
	if strings.Contains(anon.screen.text(), "Add lot") {
		t.Fatal("an anonymous session opened a form")
	}
	if ids := r.Users(); len(ids) != 0 {
		t.Fatalf("user services %v for an anonymous session", ids)
	}
}

// Sessions that end leave nothing behind: no mailbox the market or a user
// service still feeds, no goroutine.
func TestSessionsLeaveNothingBehind(t *testing.T) {
	st := newMemStore()
	st.users["alice"] = &model.UserData{}
	r, feed := testRuntime(t, st, "")
	market(t, r, feed)
	alice, _ := r.User("alice")
	// Before any session: the market feeds alice's service only (the
	// mailbox market() waited on is gone once its context ended).
	until(t, "only the service's subscription", func() bool { return r.Market().Subscribers() == 1 })
	subs, userSubs := 1, alice.Subscribers()
	goroutines := runtime.NumGoroutine()

	terms := []*term{openTerm(t, r, "alice", true), openTerm(t, r, "alice", false), openTerm(t, r, "bob", false), openTerm(t, r, "", false)}
	for _, tm := range terms {
		tm.screen.waitText(t, "BTC")
	}
	if n := r.Market().Subscribers(); n != subs+5 {
		t.Fatalf("%d market subscribers with 4 sessions and bob's service, want %d", n, subs+5)
	}
	if n := alice.Subscribers(); n != userSubs+2 {
		t.Fatalf("%d subscribers to alice's service with 2 sessions, want %d", n, userSubs+2)
	}
	bob, _ := r.User("bob")
	for _, tm := range terms {
		if err := tm.close(); err != nil {
			t.Fatalf("session ended with %v", err)
		}
	}
	// bob's service started with his session and keeps running (his
	// alerts); its goroutine is not the session's.
	goroutines++
	until(t, "the subscriptions to end", func() bool {
		return r.Market().Subscribers() == subs+1 && alice.Subscribers() == userSubs && bob.Subscribers() == 0
	})
	until(t, "the sessions' goroutines to end", func() bool { return runtime.NumGoroutine() <= goroutines })
}

// q quits a session; the runtime and the other sessions go on.
func TestQuitEndsOnlyThatSession(t *testing.T) {
	r, feed := testRuntime(t, newMemStore(), "")
	market(t, r, feed)
	a, b := openTerm(t, r, "alice", false), openTerm(t, r, "alice", false)
	a.screen.waitText(t, "BTC")
	b.screen.waitText(t, "BTC")
	a.typeKeys("q")
	select {
	case err := <-a.done:
		a.done <- err
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait):
		t.Fatal("q did not end the session")
	}
	b.typeKeys("*")
	b.screen.waitText(t, "★ BTC added to Watchlist")
}

// A remote session's size comes from its client: the first size from the
// options, later ones from Resize (an SSH window-change).
func TestSessionSizeFromItsClient(t *testing.T) {
	r, feed := testRuntime(t, newMemStore(), "")
	market(t, r, feed)
	tm := openTerm(t, r, "alice", false)
	size := func(w, h int) func(string) bool {
		return func(s string) bool {
			lines := strings.Split(s, "\n")
			return len(lines) == h && ansi.StringWidth(lines[0]) == w && strings.Contains(s, "BTC")
		}
	}
	tm.screen.waitFor(t, "160x40", size(160, 40))
	tm.sess.Resize(90, 25)
	tm.screen.waitFor(t, "90x25", size(90, 25))
}

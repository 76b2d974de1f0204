package serve

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/internal/sshterm"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/store"
)

const (
	keyShiftTab = "\x1b[Z"
	keyDown     = "\x1b[B"
	// windowSize is the window x/crypto/ssh's client gives a channel.
	windowSize = 64 * packet
)

// A listed key gets its own dashboard; an unlisted key, or none, is
// refused (and logged with the key) when anonymous sessions are off.
func TestKeysAcceptedAndRefused(t *testing.T) {
	alice, mallory := newUser(t, "alice@laptop"), newUser(t, "mallory")
	f := startServer(t, setup{keys: []user{alice}})

	tm := f.open(alice, sshterm.Options{})
	s := waitText(t, tm, "BTC")
	if !strings.Contains(s, "BTC") || strings.Contains(s, "read-only") {
		t.Fatalf("alice's dashboard:\n%s", s)
	}
	if _, err := f.dial(sshterm.Options{Key: mallory.key}); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("an unlisted key: %v", err)
	}
	if _, err := f.dial(sshterm.Options{Anonymous: true}); err == nil {
		t.Fatal("a client with no key got in with anonymous sessions off")
	}
	log := f.log.String()
	if !strings.Contains(log, `msg="ssh: key refused"`) || !strings.Contains(log, "key="+mallory.id) {
		t.Errorf("the refusal is not logged with the key:\n%s", log)
	}
	if !strings.Contains(log, `msg="ssh: session started" user=`+alice.id+` label="alice@laptop (ssh-ed25519)"`) ||
		!strings.Contains(log, "pty=120x40 term=xterm-256color colors=256") {
		t.Errorf("the connect is not logged with user, label, pty and TERM:\n%s", log)
	}
}

// With allow_anonymous, an unlisted key or none gets a read-only
// dashboard: the market, no user data, no forms; a listed key still gets
// its user (its key is tried before keyboard-interactive).
func TestAnonymousIsReadOnly(t *testing.T) {
	alice, stranger := newUser(t, "alice"), newUser(t, "stranger")
	f := startServer(t, setup{keys: []user{alice}, serve: func(s *config.Serve) { s.AllowAnonymous = true }})

	a := f.open(alice, sshterm.Options{Anonymous: true})
	waitText(t, a, "BTC")
	a.Type("*")
	waitText(t, a, "Watch (1)")

	for _, o := range []sshterm.Options{{Key: stranger.key, Anonymous: true}, {Anonymous: true}} {
		anon, err := f.dial(o)
		if err != nil {
			t.Fatalf("anonymous: %v", err)
		}
		waitText(t, anon, "BTC")
		s := waitText(t, anon, "read-only: anonymous session")
		if !strings.Contains(s, "BTC") || strings.Contains(s, "Watch (1)") {
			t.Fatalf("the anonymous dashboard shows alice's data or no market:\n%s", s)
		}
		anon.Type("a")
		s = waitText(t, anon, "read-only: anonymous session (no watchlists, portfolio or alerts)")
		// A form would take the j that follows A; the cursor moving says
		// both keys were handled and no form opened.
		row := cursorRow(anon.Screen())
		anon.Type("A" + keyDown)
		s = waitScreen(t, anon, "the cursor to move", func(s string) bool { return cursorRow(s) == row+1 })
		if strings.Contains(s, "Add lot") || strings.Contains(s, "Add alert") {
			t.Fatalf("an anonymous session opened a form:\n%s", s)
		}
	}
	if ids := f.rt.Users(); len(ids) != 1 || ids[0] != alice.id {
		t.Errorf("user services %v; want alice's only", ids)
	}
	if !strings.Contains(f.log.String(), `msg="ssh: session started" user=anonymous label=anonymous`) ||
		!strings.Contains(f.log.String(), "key="+stranger.id) {
		t.Errorf("anonymous sessions not logged with the refused key:\n%s", f.log.String())
	}
}

// Two users see only their own data; one user twice sees a change made in
// the other session.
func TestUsersIsolatedSessionsShared(t *testing.T) {
	alice, bob := newUser(t, "alice"), newUser(t, "bob")
	f := startServer(t, setup{keys: []user{alice, bob}})
	laptop, phone := f.open(alice, sshterm.Options{}), f.open(alice, sshterm.Options{Width: 80, Height: 24})
	b := f.open(bob, sshterm.Options{})
	for _, tm := range []*sshterm.Term{laptop, phone, b} {
		waitText(t, tm, "BTC")
	}
	laptop.Type("*")
	waitText(t, laptop, "★ BTC added to Watchlist")
	waitText(t, phone, "Watch (1)")
	b.Type("j") // bob watches ETH
	waitScreen(t, b, "the cursor on ETH", func(s string) bool { return strings.Contains(s, "▸    2 ETH") })
	b.Type("*")
	waitText(t, b, "★ ETH added to Watchlist")
	waitText(t, laptop, "Watch (1)")
	waitText(t, phone, "Watch (1)")
	b.Type("\t") // bob's Watch view
	s := waitText(t, b, "[Watch (1)]")
	if !strings.Contains(s, "ETH") || strings.Contains(s, "BTC ") {
		t.Fatalf("bob's watchlist:\n%s", s)
	}
	phone.Type("\t")
	s = waitText(t, phone, "[Watch (1)]")
	if !strings.Contains(s, "BTC") || strings.Contains(s, "ETH ") {
		t.Fatalf("alice's watchlist on her phone:\n%s", s)
	}
}

// The size comes from the pty request, and follows window changes.
func TestResize(t *testing.T) {
	alice := newUser(t, "alice")
	f := startServer(t, setup{keys: []user{alice}})
	tm := f.open(alice, sshterm.Options{Width: 120, Height: 40})
	statusAt := func(row int) func(string) bool {
		return func(s string) bool {
			lines := strings.Split(s, "\n")
			return len(lines) > row && strings.Contains(lines[row], "DEMO")
		}
	}
	waitScreen(t, tm, "the status bar on row 40", statusAt(39))
	if err := tm.Resize(90, 25); err != nil {
		t.Fatal(err)
	}
	s := waitScreen(t, tm, "the status bar on row 25 of 90x25", statusAt(24))
	for i, l := range strings.Split(s, "\n") {
		if strings.TrimRight(l, " ") != "" && i > 24 {
			t.Fatalf("row %d drawn on a 25-row screen:\n%s", i+1, s)
		}
	}
	if !strings.Contains(f.log.String(), "pty=120x40") {
		t.Errorf("the pty size is not logged")
	}
}

// A client with no pty hears why, and its session ends with status 1.
func TestNoPtyIsRefused(t *testing.T) {
	alice := newUser(t, "alice")
	f := startServer(t, setup{keys: []user{alice}})
	tm := f.open(alice, sshterm.Options{NoPty: true, KeepOutput: true})
	if code := exitStatus(t, tm); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if out := tm.Output(); !strings.HasPrefix(out, "tokentop needs a terminal: ssh -t -p ") {
		t.Errorf("the client saw %q", out)
	}
	if !strings.Contains(f.log.String(), `reason="no terminal (pty) requested"`) {
		t.Errorf("not logged:\n%s", f.log.String())
	}
	if n := f.srv.Sessions(); n != 0 {
		t.Errorf("%d sessions counted", n)
	}
}

// max_sessions and max_sessions_per_ip: one more hears why and ends with
// status 1; a place freed is taken again.
func TestSessionLimits(t *testing.T) {
	alice := newUser(t, "alice")
	for _, c := range []struct {
		name  string
		serve func(*config.Serve)
		why   string
	}{
		{"server", func(s *config.Serve) { s.MaxSessions = 2 }, "tokentop: the server is full (2 sessions); try again later"},
		{"address", func(s *config.Serve) { s.MaxSessionsPerIP = 2 }, "tokentop: too many sessions from your address (2); try again later"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := startServer(t, setup{keys: []user{alice}, serve: c.serve})
			one, two := f.open(alice, sshterm.Options{}), f.open(alice, sshterm.Options{})
			waitText(t, one, "BTC")
			waitText(t, two, "BTC")
			three := f.open(alice, sshterm.Options{KeepOutput: true})
			if code := exitStatus(t, three); code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			if out := three.Output(); !strings.Contains(out, c.why+"\r\n") {
				t.Errorf("the client saw %q, want %q", out, c.why)
			}
			one.Type("q")
			if code := exitStatus(t, one); code != 0 {
				t.Errorf("quit: exit status %d", code)
			}
			until(t, "the place freed", func() bool { return f.srv.Sessions() == 1 })
			waitText(t, f.open(alice, sshterm.Options{}), "BTC")
		})
	}
}

// A client that vanishes mid-frame leaves nothing behind: no session, no
// subscription, no goroutine.
func TestVanishingClientLeavesNothing(t *testing.T) {
	alice, bob := newUser(t, "alice"), newUser(t, "bob")
	f := startServer(t, setup{keys: []user{alice, bob}})
	// First sessions start the users' services (they stay: alerts).
	for _, u := range []user{alice, bob} {
		tm := f.open(u, sshterm.Options{})
		waitText(t, tm, "BTC")
		tm.Type("q")
		exitStatus(t, tm)
	}
	until(t, "no session", func() bool { return f.srv.Sessions() == 0 })
	subs := f.rt.Market().Subscribers()
	base := runtime.NumGoroutine()

	var terms []*sshterm.Term
	for i := range 6 {
		u := alice
		if i%2 == 1 {
			u = bob
		}
		tm := f.open(u, sshterm.Options{})
		waitText(t, tm, "BTC")
		terms = append(terms, tm)
	}
	for i, tm := range terms {
		// A full redraw in flight when the connection goes.
		_ = tm.Resize(200+i, 60)
		tm.Close()
	}
	until(t, "the sessions to end", func() bool { return f.srv.Sessions() == 0 })
	until(t, "the subscriptions to end", func() bool { return f.rt.Market().Subscribers() == subs })
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the sessions:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(f.log.String(), `reason="client disconnected"`) {
		t.Errorf("the disconnect is not logged with its reason:\n%s", f.log.String())
	}
}

// keyLatency presses j and k in turn n times on tm, each time timing
// until the cursor marker shows on the row it moved to.
func keyLatency(t *testing.T, tm *sshterm.Term, n int) []time.Duration {
	t.Helper()
	row := cursorRow(waitScreen(t, tm, "the cursor", func(s string) bool { return cursorRow(s) >= 0 }))
	out := make([]time.Duration, 0, n)
	for i := range n {
		key, want := "j", row+1
		if i%2 == 1 {
			key, want = "k", row-1
		}
		start := time.Now()
		if err := tm.Type(key); err != nil {
			t.Fatal(err)
		}
		waitScreen(t, tm, fmt.Sprintf("the cursor on row %d", want+1), func(s string) bool { return cursorRow(s) == want })
		out = append(out, time.Since(start))
		row = want
	}
	return out
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// redraw makes the server redraw tm's whole screen at the largest size
// and waits until that redraw's write has begun (or the session ended).
// A client that stopped reading has its channel's window (2 MB) used up
// this way in a few redraws; then the server's write waits on it for
// good.
func redraw(t *testing.T, f *fixture, tm *sshterm.Term, ls *session, i int) {
	t.Helper()
	begun := ls.out.begun.Load()
	_ = tm.Resize(maxWidth-i%2, maxHeight)
	until(t, "the redraw", func() bool { return ls.out.begun.Load() > begun || f.session(ls.user) == nil })
}

// A client that stops reading delays no one: another session's keys show
// while the stalled session's write is blocked the whole time, and its
// latency is logged beside the latency without the stalled one.
func TestStalledClientDelaysNoOne(t *testing.T) {
	alice, bob := newUser(t, "alice"), newUser(t, "bob")
	f := startServer(t, setup{keys: []user{alice, bob}, serve: func(s *config.Serve) { s.WriteTimeout = time.Hour }})
	b := f.open(bob, sshterm.Options{})
	waitText(t, b, "BTC")
	before := keyLatency(t, b, 20)

	stalled := f.open(alice, sshterm.Options{})
	waitText(t, stalled, "BTC")
	ls := f.session(alice.id)
	stalled.StopReading()
	// Whole redraws at the largest size use up the channel's window (2 MB)
	// fast; then the server's write waits on the client for good.
	// Stalled: a write under way, nothing sent while the other session
	// makes round trips (a write that is only slow sends a packet within
	// them), and the client's window (2 MB past what it read, less an
	// adjustment it has not sent, at most 3 packets) used up.
	blocked := func() bool { return ls.out.begun.Load() > ls.out.finished.Load() }
	read := stalled.Received()
	var sent uint64
	for i := 0; ; i++ {
		if i > 200 {
			t.Fatal("the stalled client's window never ran out")
		}
		// A write already waiting takes no new frame: redraw only when
		// the last one finished.
		if !blocked() {
			redraw(t, f, stalled, ls, i)
		}
		sent = ls.out.sent.Load()
		keyLatency(t, b, 2)
		if blocked() && ls.out.sent.Load() == sent && sent+5*packet >= uint64(read)+windowSize {
			break
		}
	}
	during := keyLatency(t, b, 20)
	if !blocked() || ls.out.sent.Load() != sent {
		t.Fatal("the stalled session's write did not stay blocked while the other session was measured")
	}
	if f.session(alice.id) == nil {
		t.Fatal("the stalled session was dropped before its write timeout")
	}
	t.Logf("key to screen of another session: p50 %v p99 %v alone; p50 %v p99 %v with a stalled client",
		percentile(before, 0.5), percentile(before, 0.99), percentile(during, 0.5), percentile(during, 0.99))
	stalled.Close()
	until(t, "the stalled session to end once its client is gone", func() bool { return f.session(alice.id) == nil })
}

// A client that stops reading is dropped after the write timeout, logged
// with the reason; the others go on.
func TestStalledClientDroppedAfterWriteTimeout(t *testing.T) {
	alice, bob := newUser(t, "alice"), newUser(t, "bob")
	f := startServer(t, setup{keys: []user{alice, bob}, serve: func(s *config.Serve) { s.WriteTimeout = 500 * time.Millisecond }})
	b := f.open(bob, sshterm.Options{})
	stalled := f.open(alice, sshterm.Options{})
	waitText(t, b, "BTC")
	waitText(t, stalled, "BTC")
	ls := f.session(alice.id)
	stalled.StopReading()
	for i := 0; f.session(alice.id) != nil; i++ {
		if i > 400 {
			t.Fatal("the stalled session was never dropped")
		}
		redraw(t, f, stalled, ls, i)
	}
	if !strings.Contains(f.log.String(), `reason="client stopped reading: the terminal stopped taking output: a write took longer than 500ms"`) {
		t.Errorf("the drop is not logged with its reason:\n%s", f.log.String())
	}
	select {
	case <-stalled.Ended():
	case <-time.After(wait):
		t.Fatal("the stalled client's connection was not closed")
	}
	keyLatency(t, b, 4)
}

// An alert fires with no session open: it is in the user's history, a
// session opened later shows it (and announces nothing old); a firing
// while a session is open shows in its status line and rings its bell.
func TestAlertsRunWithNoSession(t *testing.T) {
	alice := newUser(t, "alice")
	dir := t.TempDir()
	st, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.TouchUser(alice.id, "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	early := model.Alert{ID: "early", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 1, Created: time.Now()}
	if err := st.Apply(alice.id, model.UserChange{PutAlert: &early}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	f := startServer(t, setup{keys: []user{alice}, dataDir: dir})
	u, err := f.rt.User(alice.id)
	if err != nil {
		t.Fatal(err)
	}
	until(t, "the firing with no session", func() bool {
		us := u.Latest()
		return us != nil && len(us.Data.Firings) == 1
	})
	if f.srv.Sessions() != 0 {
		t.Fatal("a session was open")
	}

	tm := f.open(alice, sshterm.Options{KeepOutput: true})
	waitText(t, tm, "BTC")
	tm.Type(keyShiftTab) // the Alerts view
	s := waitText(t, tm, "BTC rose above $1")
	if strings.Contains(s, "🔔") || strings.Contains(tm.Output(), "\a") {
		t.Fatalf("a firing from before the session was announced:\n%s", s)
	}
	late := model.Alert{ID: "late", Symbol: "ETH", Kind: model.AlertPriceAbove, Price: 1, Created: time.Now()}
	if err := u.Apply(model.UserChange{PutAlert: &late})(); err != nil {
		t.Fatal(err)
	}
	waitText(t, tm, "🔔 ETH rose above $1")
	until(t, "the bell", func() bool { return strings.Contains(tm.Output(), "\a") })
}

// Everything a session decides comes from its client: the colour profile
// from its TERM and COLORTERM, none with its NO_COLOR (and the mono
// theme), its theme from TOKENTOP_THEME; a theme that does not exist is
// logged and the config's used. Never the server process's environment.
func TestClientEnvironment(t *testing.T) {
	alice := newUser(t, "alice")
	f := startServer(t, setup{keys: []user{alice}})
	t.Setenv("NO_COLOR", "1") // the server's own: it must change nothing
	for _, c := range []struct {
		name     string
		o        sshterm.Options
		log      string
		coloured bool
	}{
		{"256 colours", sshterm.Options{Term: "xterm-256color"}, "term=xterm-256color colors=256 theme=dark", true},
		{"true colour", sshterm.Options{Term: "xterm-256color", Env: map[string]string{"COLORTERM": "truecolor"}},
			"term=xterm-256color colors=truecolor theme=dark", true},
		{"light theme", sshterm.Options{Env: map[string]string{ThemeEnv: "light"}}, "colors=256 theme=light", true},
		{"no colour", sshterm.Options{Env: map[string]string{"NO_COLOR": "1"}}, "colors=none theme=mono", false},
		{"unknown theme", sshterm.Options{Env: map[string]string{ThemeEnv: "no-such-theme"}}, "theme=dark sessions=", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.o.KeepOutput = true
			before := strings.Count(f.log.String(), `msg="ssh: session started"`)
			tm := f.open(alice, c.o)
			waitText(t, tm, "BTC")
			var line string
			until(t, "the session logged", func() bool {
				lines := strings.Split(f.log.String(), "\n")
				n := 0
				for _, l := range lines {
					if strings.Contains(l, `msg="ssh: session started"`) {
						if n++; n == before+1 {
							line = l
						}
					}
				}
				return line != ""
			})
			if !strings.Contains(line, c.log) || strings.Contains(line, "theme_problem=") != (c.name == "unknown theme") {
				t.Errorf("logged %s\nwant %q in it", line, c.log)
			}
			// An SGR with a colour: 38;5;N (256), 38;2;R;G;B (true colour).
			out := tm.Output()
			coloured := strings.Contains(out, "38;5;") || strings.Contains(out, "38;2;")
			if coloured != c.coloured {
				t.Errorf("colours drawn: %v, want %v", coloured, c.coloured)
			}
			if c.name == "true colour" && !strings.Contains(out, "38;2;") {
				t.Errorf("no true colour drawn")
			}
			tm.Type("q")
			exitStatus(t, tm)
		})
	}
}

// fakeClock is a wall clock the test moves; it counts its reads.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	reads int
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) readCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// idle_timeout closes a session in which nothing was typed for that long,
// counted from the last key; the client hears why, exit status 0.
func TestIdleTimeout(t *testing.T) {
	alice := newUser(t, "alice")
	clock := &fakeClock{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	f := startServer(t, setup{keys: []user{alice}, now: clock.Now, idle: 5 * time.Millisecond,
		serve: func(s *config.Serve) { s.IdleTimeout = time.Minute }})
	tm := f.open(alice, sshterm.Options{KeepOutput: true})
	waitText(t, tm, "BTC")
	clock.add(50 * time.Second)
	row := cursorRow(tm.Screen())
	tm.Type("j")
	waitScreen(t, tm, "the cursor to move", func(s string) bool { return cursorRow(s) == row+1 })
	// 100 s since the start, 50 s since the key: open, after at least two
	// idle checks (each reads the clock once; nothing else reads it now).
	clock.add(50 * time.Second)
	reads := clock.readCount()
	until(t, "two idle checks", func() bool { return clock.readCount() >= reads+2 })
	if f.session(alice.id) == nil {
		t.Fatal("closed 50s after a key with a 1m idle timeout")
	}
	clock.add(15 * time.Second)
	if code := exitStatus(t, tm); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	if out := tm.Output(); !strings.Contains(out, "tokentop: closed after 1m0s with nothing typed\r\n") {
		t.Errorf("the client was not told why: %q", out[max(0, len(out)-200):])
	}
	until(t, "the end logged with its reason", func() bool { return strings.Contains(f.log.String(), `reason="idle for 1m0s"`) })
}

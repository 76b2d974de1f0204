package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/store"
	"github.com/tokentop/tokentop/themes"
)

// t0 is the market clock of the tests.
var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// wait is how long a test waits for a condition before failing.
const wait = 10 * time.Second

// memStore is a user store in memory that keeps every user's records
// apart, as the store of schema 3 does. fail, when set, refuses every
// change; block, when set, holds every change until it is closed.
type memStore struct {
	mu      sync.Mutex
	users   map[string]*model.UserData
	applied []string // "user: change" in commit order
	fail    error
	block   chan struct{}
	waiting int // commits waiting on block
}

func newMemStore() *memStore { return &memStore{users: map[string]*model.UserData{}} }

func (m *memStore) LoadUser(user string) (model.UserData, store.LoadReport, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d := m.users[user]; d != nil {
		return d.Clone(), store.LoadReport{}, nil
	}
	return model.UserData{}, store.LoadReport{}, nil
}

func (m *memStore) ApplyUser(user string, ch model.UserChange) error {
	m.mu.Lock()
	block := m.block
	if block != nil {
		m.waiting++
	}
	m.mu.Unlock()
	if block != nil {
		<-block
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	d := m.users[user]
	if d == nil {
		d = &model.UserData{}
		d.WithDefaultWatchlist()
		m.users[user] = d
	}
	if err := d.Apply(ch, 0); err != nil {
		return err
	}
	m.applied = append(m.applied, user+": "+describeChange(ch))
	return nil
}

func (m *memStore) Users() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.users))
	for id := range m.users {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// records is a copy of user's records as committed.
func (m *memStore) records(user string) model.UserData {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d := m.users[user]; d != nil {
		return d.Clone()
	}
	return model.UserData{}
}

func (m *memStore) commits() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.applied)
}

func describeChange(ch model.UserChange) string {
	switch {
	case ch.PutWatchlist != nil:
		return "watchlist " + ch.PutWatchlist.Name
	case ch.PutLot != nil:
		return "lot " + ch.PutLot.ID
	case ch.DeleteLot != "":
		return "delete lot " + ch.DeleteLot
	case ch.PutAlert != nil:
		return "alert " + ch.PutAlert.ID
	case ch.AddFiring != nil:
		return "firing " + ch.AddFiring.AlertID
	}
	return "other"
}

// scriptFeed delivers the events a test sends it.
type scriptFeed struct{ events chan model.Event }

func newScriptFeed() *scriptFeed { return &scriptFeed{events: make(chan model.Event, 64)} }

func (f *scriptFeed) Name() string { return "script" }

func (f *scriptFeed) Run(ctx context.Context, sink feeds.Sink) error {
	sink.Status(model.FeedStatus{Name: "script", State: model.FeedLive})
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-f.events:
			sink.Send(ctx, ev)
		}
	}
}

// price sends a quote of sym at p, a second after the last one.
func (f *scriptFeed) price(sym string, p float64) {
	f.events <- model.Event{Kind: model.EventQuote, Symbol: sym, Time: t0.UnixNano(), Price: p}
}

// testRuntime is a started runtime on a scripted market, with the user
// store users (nil: read only) and a fixed market clock.
func testRuntime(t *testing.T, users userStore, readOnly string) (*Runtime, *scriptFeed) {
	t.Helper()
	feed := newScriptFeed()
	cfg := config.Default()
	cfg.Alerts.Desktop = true
	r := newRuntime(runtimeParts{cfg: cfg, version: "test", log: slog.New(slog.DiscardHandler), logFile: io.NopCloser(nil),
		src: sources{feeds: []feeds.Feed{feed}, clock: func() time.Time { return t0 }}, users: users, readOnly: readOnly})
	r.notifier = func(bool, *slog.Logger) func(string, string) { return nil }
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, feed
}

// until waits for ok, failing the test with what after the timeout. It
// polls a condition (a goroutine count, a record), never a guess at
// timing.
func until(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitMarket waits for a market snapshot satisfying ok.
func waitMarket(t *testing.T, r *Runtime, what string, ok func(*model.Snapshot) bool) *model.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return takeUntil(t, r.Market().Subscribe(ctx), what, ok)
}

// takeUser waits for a user snapshot satisfying ok.
func takeUser(t *testing.T, box *model.Mailbox[*model.UserSnapshot], what string, ok func(*model.UserSnapshot) bool) *model.UserSnapshot {
	t.Helper()
	return takeUntil(t, box, what, ok)
}

// takeUntil takes values from box until one satisfies ok.
func takeUntil[T comparable](t *testing.T, box *model.Mailbox[T], what string, ok func(T) bool) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var zero T
	for {
		v, got := box.Take(ctx)
		if !got {
			t.Fatalf("timed out waiting for %s", what)
		}
		if v != zero && ok(v) {
			return v
		}
	}
}

// screen records what a session's program shows: every View, as the
// user would see it (before the renderer diffs it onto the terminal).
type screen struct {
	mu    sync.Mutex
	last  string
	views int
	wake  chan struct{}
}

func newScreen() *screen { return &screen{wake: make(chan struct{}, 1)} }

func (s *screen) set(v string) {
	s.mu.Lock()
	s.last, s.views = v, s.views+1
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *screen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.Strip(s.last)
}

// waitFor waits until the screen satisfies ok and returns it.
func (s *screen) waitFor(t *testing.T, what string, ok func(string) bool) string {
	t.Helper()
	timeout := time.After(wait)
	for {
		if v := s.text(); ok(v) {
			return v
		}
		select {
		case <-s.wake:
		case <-timeout:
			t.Fatalf("timed out waiting for %s; the screen:\n%s", what, s.text())
		}
	}
}

func (s *screen) waitText(t *testing.T, text string) string {
	t.Helper()
	return s.waitFor(t, text, func(v string) bool { return strings.Contains(v, text) })
}

// probe is the model as the session runs it, recording each View.
type probe struct {
	tea.Model
	s *screen
}

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := p.Model.Update(msg)
	return probe{m, p.s}, cmd
}

func (p probe) View() string {
	v := p.Model.View()
	p.s.set(v)
	return v
}

// recorder is a session's output: it keeps every byte written.
type recorder struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.Write(p)
}

func (r *recorder) count(b byte) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Count(r.b.Bytes(), []byte{b})
}

// term is a session run on a pipe (the keyboard) and a recorder (the
// screen), the way an SSH server runs one.
type term struct {
	t      *testing.T
	sess   *Session
	keys   *io.PipeWriter
	out    *recorder
	screen *screen
	cancel context.CancelFunc
	done   chan error
}

// openTerm starts a session of user ("" anonymous) at 160x40.
func openTerm(t *testing.T, r *Runtime, user string, local bool) *term {
	t.Helper()
	th, err := themes.Load("mono", "")
	if err != nil {
		t.Fatal(err)
	}
	in, keys := io.Pipe()
	out := &recorder{}
	sess, err := r.NewSession(SessionOptions{User: user, Local: local, In: in, Out: out, Width: 160, Height: 40,
		Profile: termenv.Ascii, Theme: th})
	if err != nil {
		t.Fatal(err)
	}
	tm := &term{t: t, sess: sess, keys: keys, out: out, screen: newScreen(), done: make(chan error, 1)}
	sess.probe = func(m tea.Model) tea.Model { return probe{m, tm.screen} }
	ctx, cancel := context.WithCancel(context.Background())
	tm.cancel = cancel
	go func() { tm.done <- sess.Run(ctx) }()
	t.Cleanup(func() { tm.close() })
	return tm
}

// typeKeys writes keys as a terminal would send them.
func (tm *term) typeKeys(s string) {
	tm.t.Helper()
	if _, err := tm.keys.Write([]byte(s)); err != nil {
		tm.t.Fatalf("typing %q: %v", s, err)
	}
}

// close ends the session (its context) and its keyboard, and waits for it.
func (tm *term) close() error {
	tm.cancel()
	tm.keys.Close()
	select {
	case err := <-tm.done:
		tm.done <- err
		return err
	case <-time.After(wait):
		tm.t.Fatal("the session did not end")
		return errors.New("did not end")
	}
}

func (m *memStore) TouchUser(user, label string, now time.Time) error { return nil }

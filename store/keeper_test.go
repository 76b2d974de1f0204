package store

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
)

// fakeHistory serves warm tokens and counts its calls; it fails while
// failing is set, and records whether its context was alive.
type fakeHistory struct {
	calls   atomic.Int64
	failing atomic.Bool
	deadCtx atomic.Int64
	tokens  []model.WarmToken
}

func (h *fakeHistory) History(ctx context.Context) ([]model.WarmToken, error) {
	h.calls.Add(1)
	if ctx.Err() != nil {
		h.deadCtx.Add(1)
	}
	if h.failing.Load() {
		return nil, model.ErrMarketStopped
	}
	return h.tokens, nil
}

// runKeep starts Keep and returns its cancel and a channel closed when it
// has returned (nil).
func runKeep(t *testing.T, s *Store, mb *model.Mailbox[*model.Snapshot], o KeeperOptions) (context.CancelFunc, <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Keep(ctx, mb, o); err != nil {
			t.Errorf("Keep: %v", err)
		}
	}()
	return cancel, done
}

func waitDone(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Keep did not return after cancel")
	}
}

func flipsSaved(s *Store, sym string) bool {
	j, _, err := s.LoadJournal("live")
	return err == nil && len(j.Flips[sym]) > 0
}

func TestKeeperSavesWhileRunning(t *testing.T) {
	s := openT(t, t.TempDir())
	mb := model.NewMailbox[*model.Snapshot]()
	h := &fakeHistory{tokens: warmTokens(3, 10)}
	saved := time.Date(2025, 5, 5, 5, 5, 5, 0, time.UTC)
	cancel, done := runKeep(t, s, mb, KeeperOptions{Namespace: "live", JournalEvery: time.Millisecond, WarmEvery: 5 * time.Millisecond,
		History: h.History, Now: func() time.Time { return saved }})
	defer cancel()

	snap := journalSnap(1, 2, 0)
	mb.Put(snap)
	waitFor(t, "the first journal save", func() bool { return flipsSaved(s, "T0") })
	// A later snapshot with another token is saved too.
	snap2 := journalSnap(2, 2, 1)
	mb.Put(snap2)
	waitFor(t, "the second journal save", func() bool { return flipsSaved(s, "T1") })
	waitFor(t, "a warm save", func() bool {
		w, _ := s.LoadWarm("live", 0, time.Now())
		return w != nil && len(w.Tokens) == 3 && w.Saved.Equal(saved)
	})
	cancel()
	waitDone(t, done)
	if h.deadCtx.Load() != 0 {
		t.Error("History was called with a dead context")
	}
}

// On cancel Keep saves the newest snapshot and the warm cache a last
// time, History with a live context of its own.
func TestKeeperFinalSave(t *testing.T) {
	s := openT(t, t.TempDir())
	mb := model.NewMailbox[*model.Snapshot]()
	h := &fakeHistory{tokens: warmTokens(2, 10)}
	cancel, done := runKeep(t, s, mb, KeeperOptions{Namespace: "live", JournalEvery: time.Hour, WarmEvery: time.Hour, History: h.History})
	mb.Put(journalSnap(1, 2, 0))
	waitFor(t, "the first save", func() bool { return flipsSaved(s, "T0") })
	mb.Put(journalSnap(3, 2, 0)) // within JournalEvery: held back
	if h.calls.Load() != 0 {
		t.Fatal("warm cache saved before WarmEvery")
	}
	cancel()
	waitDone(t, done)
	if !flipsSaved(s, "T2") {
		t.Error("the newest snapshot was not saved on the way out")
	}
	if h.calls.Load() != 1 || h.deadCtx.Load() != 0 {
		t.Errorf("History called %d times, %d with a dead context", h.calls.Load(), h.deadCtx.Load())
	}
	if w, _ := s.LoadWarm("live", 0, time.Now()); w == nil || len(w.Tokens) != 2 {
		t.Errorf("warm cache after the final save: %+v", w)
	}
}

// Failures are logged and counted, never fatal; a closed mailbox leaves
// Keep waiting for its context; WarmEvery < 0 never saves the cache.
func TestKeeperSurvivesFailures(t *testing.T) {
	s := openT(t, t.TempDir())
	var mu sync.Mutex
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	mb := model.NewMailbox[*model.Snapshot]()
	h := &fakeHistory{}
	h.failing.Store(true)
	cancel, done := runKeep(t, s, mb, KeeperOptions{Namespace: "live", JournalEvery: time.Millisecond, WarmEvery: time.Millisecond, History: h.History, Logger: logger})
	waitFor(t, "two failed warm saves", func() bool { return h.calls.Load() >= 2 })
	h.failing.Store(false)
	mb.Put(journalSnap(1, 1, 0))
	mb.Close()
	waitFor(t, "the journal save after the failures", func() bool { return flipsSaved(s, "T0") })
	calls := h.calls.Load()
	waitFor(t, "more warm saves with the mailbox closed", func() bool { return h.calls.Load() > calls+2 })
	cancel()
	waitDone(t, done)
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if !strings.Contains(out, "warm cache not saved") || !strings.Contains(out, "failures=2") {
		t.Errorf("logs:\n%s", out)
	}

	// WarmEvery < 0: never.
	h2 := &fakeHistory{}
	mb2 := model.NewMailbox[*model.Snapshot]()
	cancel, done = runKeep(t, s, mb2, KeeperOptions{Namespace: "demo", JournalEvery: time.Millisecond, WarmEvery: -1, History: h2.History})
	mb2.Put(journalSnap(1, 1, 0))
	waitFor(t, "the demo journal", func() bool { j, _, _ := s.LoadJournal("demo"); return len(j.Flips) == 1 })
	cancel()
	waitDone(t, done)
	if h2.calls.Load() != 0 {
		t.Error("WarmEvery < 0 saved the warm cache")
	}
	if err := s.Keep(context.Background(), mb2, KeeperOptions{Namespace: "Bad NS"}); err != nil {
		t.Errorf("a bad namespace is logged, not returned: %v", err)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

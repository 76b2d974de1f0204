package store

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
)

// Changes land in the order they were made: the final state only comes
// out right if every put and delete was applied in sequence.
func TestWriterKeepsOrder(t *testing.T) {
	s := openT(t, t.TempDir())
	w0 := NewWriter(s, 0)
	if c := cap(w0.q); c != DefaultQueue {
		t.Errorf("default queue %d", c)
	}
	w0.Close()
	w := NewWriter(s, 600)
	var waits []func() error
	list := model.Watchlist{Name: "W"}
	for i := range 300 {
		list.Symbols = append(list.Symbols[:len(list.Symbols):len(list.Symbols)], fmt.Sprint("S", i))
		l := list
		waits = append(waits, w.Apply(LocalUser, model.UserChange{PutWatchlist: &l}))
		id := fmt.Sprint("lot", i%10)
		if i%3 == 0 {
			waits = append(waits, w.Apply(LocalUser, model.UserChange{DeleteLot: id}))
		} else {
			lot := sampleLot(id)
			lot.Quantity = float64(i + 1)
			waits = append(waits, w.Apply(LocalUser, model.UserChange{PutLot: &lot}))
		}
	}
	for i, wait := range waits {
		if err := wait(); err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		if err := wait(); err != nil { // a second call returns the same
			t.Fatalf("change %d, again: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, _, _ := s.Load(LocalUser)
	if got := d.Watchlists[0].Symbols; len(got) != 300 || got[299] != "S299" {
		t.Fatalf("watchlist has %d symbols", len(got))
	}
	// Replay the lot changes in order to know what must be there.
	want := map[string]float64{}
	for i := range 300 {
		id := fmt.Sprint("lot", i%10)
		if i%3 == 0 {
			delete(want, id)
		} else {
			want[id] = float64(i + 1)
		}
	}
	if len(d.Lots) != len(want) {
		t.Fatalf("%d lots, want %d", len(d.Lots), len(want))
	}
	for _, l := range d.Lots {
		if want[l.ID] != l.Quantity {
			t.Errorf("lot %s quantity %v, want %v", l.ID, l.Quantity, want[l.ID])
		}
	}
}

// With the disk stuck (a write transaction held open), the queue fills;
// the next change is refused at once and not applied; Close drains the
// queued ones and reports the refusal.
func TestWriterFullQueueRefuses(t *testing.T) {
	s := openT(t, t.TempDir())
	tx, err := s.db.Begin(true) // every other writer now waits
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(s, 2)
	first := w.Apply(LocalUser, model.UserChange{PutLot: ptr(sampleLot("q0"))})
	waitFor(t, "the writer to take the first change", func() bool { return len(w.q) == 0 })
	queued := []func() error{
		w.Apply(LocalUser, model.UserChange{PutLot: ptr(sampleLot("q1"))}),
		w.Apply(LocalUser, model.UserChange{PutLot: ptr(sampleLot("q2"))}),
	}
	refused := w.Apply(LocalUser, model.UserChange{PutLot: ptr(sampleLot("refused"))})
	got := make(chan error, 1)
	go func() { got <- refused() }()
	select {
	case err := <-got:
		if !errors.Is(err, ErrBehind) || err.Error() != "saving is behind; change not saved" {
			t.Fatalf("refused change: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("wait on a refused change blocked")
	}
	tx.Rollback()
	if err := first(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, ErrBehind) {
		t.Fatalf("Close: %v, want the refusal", err)
	}
	for _, wait := range queued {
		if err := wait(); err != nil {
			t.Fatal(err)
		}
	}
	d, _, _ := s.Load(LocalUser)
	if len(d.Lots) != 3 {
		t.Fatalf("lots %+v, want q0..q2", d.Lots)
	}
	if err := w.Apply(LocalUser, model.UserChange{DeleteLot: "q0"})(); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// Close saves everything queued, even changes nobody waited for, and
// returns the first failure.
func TestWriterCloseDrains(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	w := NewWriter(s, 1000)
	for i := range 200 {
		w.Apply(LocalUser, model.UserChange{PutLot: ptr(sampleLot(fmt.Sprint("d", i)))})
	}
	bad := sampleLot("bad")
	bad.Cost = -1
	badWait := w.Apply(LocalUser, model.UserChange{PutLot: &bad})
	w.Apply(LocalUser, model.UserChange{PutLot: ptr(sampleLot("after-bad"))})
	err := w.Close()
	if err == nil || err.Error() != `saving lot "bad": cost: must be 0 or more` {
		t.Fatalf("Close: %v", err)
	}
	if badWait() == nil {
		t.Error("the bad change's wait returned nil")
	}
	s.Close()
	s = openT(t, dir)
	d, _, _ := s.Load(LocalUser)
	if len(d.Lots) != 201 || d.Lots[200].ID != "after-bad" {
		t.Fatalf("%d lots after Close", len(d.Lots))
	}
}

// One writer serves every user, in order, each change to its own user.
func TestWriterManyUsers(t *testing.T) {
	s := openT(t, t.TempDir())
	w := NewWriter(s, 0)
	users := []string{LocalUser, fingerprint("alice"), fingerprint("bob")}
	var waits []func() error
	for i := range 30 {
		u := users[i%len(users)]
		lot := sampleLot(fmt.Sprint("lot-", i))
		waits = append(waits, w.Apply(u, model.UserChange{PutLot: &lot}))
		if i%2 == 1 {
			waits = append(waits, w.Apply(u, model.UserChange{DeleteLot: fmt.Sprint("lot-", i-len(users))}))
		}
	}
	for i, wait := range waits {
		if err := wait(); err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for ui, u := range users {
		d, rep, err := s.Load(u)
		if err != nil || rep.Skipped != 0 {
			t.Fatal(err, rep)
		}
		want := map[string]bool{}
		for i := ui; i < 30; i += len(users) {
			want[fmt.Sprint("lot-", i)] = true
			if i%2 == 1 {
				delete(want, fmt.Sprint("lot-", i-len(users)))
			}
		}
		got := map[string]bool{}
		for _, l := range d.Lots {
			got[l.ID] = true
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: lots %v, want %v", u, got, want)
		}
	}
}

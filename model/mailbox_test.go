package model

import (
	"context"
	"testing"
	"time"
)

func TestMailboxCoalesces(t *testing.T) {
	mb := NewMailbox[int]()
	if _, ok := mb.TryTake(); ok {
		t.Fatal("empty mailbox gave a value")
	}
	for i := 1; i <= 1000; i++ {
		mb.Put(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if v, ok := mb.Take(ctx); !ok || v != 1000 {
		t.Fatalf("Take = %v,%v, want the newest 1000", v, ok)
	}
	if v, ok := mb.TryTake(); ok {
		t.Fatalf("a second take gave %v: the backlog was kept", v)
	}
	if puts, drops := mb.Stats(); puts != 1000 || drops != 999 {
		t.Errorf("stats = %d puts %d drops, want 1000/999", puts, drops)
	}
}

func TestMailboxTakeWakes(t *testing.T) {
	mb := NewMailbox[string]()
	got := make(chan string)
	go func() {
		v, _ := mb.Take(context.Background())
		got <- v
	}()
	mb.Put("snap")
	select {
	case v := <-got:
		if v != "snap" {
			t.Errorf("Take = %q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Take did not wake on Put")
	}

	// Close wakes a waiting Take with nothing; later Takes return at once.
	done := make(chan bool)
	go func() {
		_, ok := mb.Take(context.Background())
		done <- ok
	}()
	mb.Close()
	select {
	case ok := <-done:
		if ok {
			t.Error("Take after Close gave a value")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake Take")
	}
	mb.Close() // twice is fine

	// ctx ending wakes Take too.
	open := NewMailbox[int]()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := open.Take(ctx); ok {
		t.Error("Take on a done ctx gave a value")
	}
}

package model

import (
	"context"
	"sync"
)

// Mailbox holds the latest value put into it. Put never blocks: a new value
// replaces one not yet taken (coalescing), so a slow or stuck reader never
// slows the writer, and never sees a backlog, only the newest value.
type Mailbox[T any] struct {
	mu     sync.Mutex
	v      T
	full   bool
	notify chan struct{} // capacity 1: "a value is waiting"
	closed chan struct{}
	once   sync.Once
	puts   uint64 // values put
	drops  uint64 // values replaced before being taken
}

// NewMailbox returns an empty mailbox.
func NewMailbox[T any]() *Mailbox[T] {
	return &Mailbox[T]{notify: make(chan struct{}, 1), closed: make(chan struct{})}
}

// Put stores v, replacing any value not yet taken. It never blocks.
func (m *Mailbox[T]) Put(v T) {
	m.mu.Lock()
	if m.full {
		m.drops++
	}
	m.v, m.full = v, true
	m.puts++
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// TryTake returns the waiting value, if any, without blocking.
func (m *Mailbox[T]) TryTake() (T, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.v, m.full
	var zero T
	m.v, m.full = zero, false
	return v, ok
}

// Take waits for a value, the mailbox closing, or ctx ending. ok is false
// when no value came.
func (m *Mailbox[T]) Take(ctx context.Context) (v T, ok bool) {
	for {
		if v, ok = m.TryTake(); ok {
			return v, true
		}
		select {
		case <-m.notify:
		case <-m.closed:
			return m.TryTake()
		case <-ctx.Done():
			return v, false
		}
	}
}

// Close wakes every Take; later Takes return at once.
func (m *Mailbox[T]) Close() { m.once.Do(func() { close(m.closed) }) }

// Stats reports how many values were put and how many were replaced before
// anyone took them.
func (m *Mailbox[T]) Stats() (puts, drops uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.puts, m.drops
}

// Ready is signalled after a Put (at most one signal waits): a reader
// that selects on other channels too waits on it, then calls TryTake,
// which may find nothing when a Take came first.
func (m *Mailbox[T]) Ready() <-chan struct{} { return m.notify }

// Done is closed when the mailbox is closed.
func (m *Mailbox[T]) Done() <-chan struct{} { return m.closed }

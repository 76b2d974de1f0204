package store

import (
	"sync"

	"github.com/tokentop/tokentop/model"
)

// DefaultQueue is a Writer's queue length when NewWriter is given 0.
const DefaultQueue = 256

// Writer applies users' changes to a Store in order (one queue for every
// user), on its own goroutine, so the UI never waits on the disk.
type Writer struct {
	s    *Store
	q    chan writeJob
	done chan struct{}

	mu       sync.Mutex
	closed   bool
	firstErr error
}

type writeJob struct {
	user string
	ch   model.UserChange
	res  chan error
}

// NewWriter starts a writer with room for queue pending changes (0 or
// less: DefaultQueue).
func NewWriter(s *Store, queue int) *Writer {
	if queue <= 0 {
		queue = DefaultQueue
	}
	w := &Writer{s: s, q: make(chan writeJob, queue), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *Writer) run() {
	defer close(w.done)
	for j := range w.q {
		err := w.s.Apply(j.user, j.ch)
		if err != nil {
			w.noteErr(err)
		}
		j.res <- err
	}
}

func (w *Writer) noteErr(err error) {
	w.mu.Lock()
	if w.firstErr == nil {
		w.firstErr = err
	}
	w.mu.Unlock()
}

// Apply queues user's change ch and returns at once. wait returns the change's result
// (blocking until it is saved); it may be called more than once, or never.
// When the queue is full the change is not applied and wait returns
// ErrBehind at once; after Close it returns ErrWriterClosed.
func (w *Writer) Apply(user string, ch model.UserChange) (wait func() error) {
	res := make(chan error, 1)
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return func() error { return ErrWriterClosed }
	}
	select {
	case w.q <- writeJob{user, ch, res}:
	default:
		if w.firstErr == nil {
			w.firstErr = ErrBehind
		}
		w.mu.Unlock()
		return func() error { return ErrBehind }
	}
	w.mu.Unlock()
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() { err = <-res })
		return err
	}
}

// Close saves every queued change, stops the writer and returns the first
// error seen (a change that failed or was refused), if any. Later calls
// return the same.
func (w *Writer) Close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.q)
	}
	w.mu.Unlock()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.firstErr
}

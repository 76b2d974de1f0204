package model

import (
	"fmt"
	"iter"
)

// ReadOnly is a list the hub has published. Every subscriber of a snapshot
// (each SSH session, the store's keeper, an alert book) shares its backing
// array, so nobody may write into it: ReadOnly hands out elements by value
// and a private copy on request, never the array itself. The zero value is
// an empty list. Reading costs what indexing a slice costs: At and Len
// inline, and nothing allocates except Clone.
type ReadOnly[T any] struct{ s []T }

// ReadOnlyOf returns a read-only copy of s (for building snapshots outside
// the hub: tests, replays). Later writes into s do not show through.
func ReadOnlyOf[T any](s ...T) ReadOnly[T] {
	if len(s) == 0 {
		return ReadOnly[T]{}
	}
	return ReadOnly[T]{s: append(make([]T, 0, len(s)), s...)}
}

// frozen publishes s without copying it. Only for a slice the hub has just
// built and never writes again: the caller gives up s.
func frozen[T any](s []T) ReadOnly[T] { return ReadOnly[T]{s: s} }

// Len is the number of elements.
func (r ReadOnly[T]) Len() int { return len(r.s) }

// At is element i (a copy); it panics when i is out of range, like a slice.
func (r ReadOnly[T]) At(i int) T { return r.s[i] }

// All yields each index and element (a copy), in order.
func (r ReadOnly[T]) All() iter.Seq2[int, T] {
	return func(yield func(int, T) bool) {
		for i, v := range r.s {
			if !yield(i, v) {
				return
			}
		}
	}
}

// Clone returns a copy the caller owns and may sort or change; nil when
// the list is empty.
func (r ReadOnly[T]) Clone() []T {
	if len(r.s) == 0 {
		return nil
	}
	return append(make([]T, 0, len(r.s)), r.s...)
}

// Slice is elements lo..hi-1 as a read-only list sharing the same array
// (no copy); it panics on bad bounds, like a slice expression.
func (r ReadOnly[T]) Slice(lo, hi int) ReadOnly[T] { return ReadOnly[T]{s: r.s[lo:hi:hi]} }

// Format prints the list as fmt prints a slice (%v, %+v, ...), so error
// messages and test failures read the same as before.
func (r ReadOnly[T]) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), r.s)
}

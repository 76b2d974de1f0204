package ui

import (
	"fmt"
	"testing"

	"github.com/muesli/termenv"
)

// BenchmarkViewTable200x60: one frame of the table, 500 tokens, dark theme.
func BenchmarkViewTable200x60(b *testing.B) {
	hs := newHarness(b, "dark", termenv.TrueColor, 200, 60)
	hs.put(makeSnapshot(500, 1))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = hs.m.View()
	}
}

// BenchmarkApplySnapshot: one render tick taking a snapshot of 500 tokens
// in which 50 changed (apply, re-sort, flash, re-render visible rows,
// status bar).
func BenchmarkApplySnapshot(b *testing.B) {
	hs := newHarness(b, "dark", termenv.TrueColor, 200, 60)
	base := makeSnapshot(500, 1)
	hs.put(base)
	changed := make([]int, 50)
	for i := range changed {
		changed[i] = i * 10 // 6 of them on screen
	}
	// two alternating snapshots so every tick sees 50 changed tokens
	a := nextSnapshot(base, changed...)
	c := nextSnapshot(a, changed...)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s := a
		if i%2 == 1 {
			s = c
		}
		s.Seq = uint64(i + 10)
		i++
		hs.box.Put(s)
		hs.send(tickMsg{})
	}
}

// BenchmarkRenderRow: one table row at 200 columns into a reused buffer.
func BenchmarkRenderRow(b *testing.B) {
	hs := newHarness(b, "dark", termenv.TrueColor, 200, 60)
	hs.put(makeSnapshot(20, 1))
	tb := hs.m.a.table
	r := tb.view[3]
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf = tb.renderRow(buf[:0], r, false, false)
	}
}

// BenchmarkViewTable and BenchmarkApplySnapshotSized: the same at the
// market sizes of the model's sized benchmarks (a tenth of the tokens
// changed per tick).
func BenchmarkViewTable(b *testing.B) {
	for _, n := range []int{46, 200, 500} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			hs := newHarness(b, "dark", termenv.TrueColor, 200, 60)
			hs.put(makeSnapshot(n, 1))
			b.ReportAllocs()
			for b.Loop() {
				_ = hs.m.View()
			}
		})
	}
}

func BenchmarkApplySnapshotSized(b *testing.B) {
	for _, n := range []int{46, 200, 500} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			hs := newHarness(b, "dark", termenv.TrueColor, 200, 60)
			base := makeSnapshot(n, 1)
			hs.put(base)
			changed := make([]int, max(n/10, 1))
			for i := range changed {
				changed[i] = i * 10
			}
			a := nextSnapshot(base, changed...)
			c := nextSnapshot(a, changed...)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s := a
				if i%2 == 1 {
					s = c
				}
				s.Seq = uint64(i + 10)
				i++
				hs.box.Put(s)
				hs.send(tickMsg{})
			}
		})
	}
}

package model

import (
	"fmt"
	"slices"
	"testing"
)

func TestReadOnly(t *testing.T) {
	src := []float64{1, 2, 3, 4}
	r := ReadOnlyOf(src...)
	src[0] = 99 // the caller's slice is not the list's
	if r.Len() != 4 || r.At(0) != 1 || r.At(3) != 4 {
		t.Fatalf("list %v", r)
	}
	c := r.Clone()
	c[1] = 99 // nor is a clone
	if r.At(1) != 2 {
		t.Fatal("a clone writes through to the list")
	}
	var got []float64
	for i, v := range r.All() {
		if i == 3 {
			break
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []float64{1, 2, 3}) {
		t.Errorf("All with a break: %v", got)
	}
	sub := r.Slice(1, 3)
	if sub.Len() != 2 || sub.At(0) != 2 || sub.At(1) != 3 {
		t.Errorf("Slice(1, 3) = %v", sub)
	}
	if s := fmt.Sprintf("%v %+v", r, ReadOnlyOf(Trade{Price: 2})); s != "[1 2 3 4] [{Time:0 Price:2 Qty:0 Side:0 Whale:false}]" {
		t.Errorf("printed %q", s)
	}
	var zero ReadOnly[Trade]
	if zero.Len() != 0 || zero.Clone() != nil || ReadOnlyOf[Trade]().Len() != 0 {
		t.Error("the empty list")
	}
	for range zero.All() {
		t.Error("the empty list yields")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("At out of range did not panic")
			}
		}()
		_ = r.At(4)
	}()
}

// Reading a list costs what reading a slice does: nothing allocates.
func TestReadOnlyReadsDoNotAllocate(t *testing.T) {
	r := ReadOnlyOf(make([]Trade, 50)...)
	sum := 0.0
	if n := testing.AllocsPerRun(100, func() {
		for i := range r.Len() {
			sum += r.At(i).Price
		}
		for _, tr := range r.All() {
			sum += tr.Qty
		}
		sum += r.Slice(10, 20).At(0).Price
	}); n != 0 {
		t.Errorf("%v allocations per read", n)
	}
	_ = sum
}

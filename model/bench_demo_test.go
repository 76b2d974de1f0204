package model_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/model"
)

// BenchmarkDemoHub is the hub's work for 100 ms of the demo market at
// speed 1 with N tokens: applying the events of 100 simulated ms, then a
// publish (the ratings recomputed when due on the market clock: trader
// grades every 10th op, investor grades every 600th). ns/op x 10 is the
// hub's CPU per second of the running dashboard.
func BenchmarkDemoHub(b *testing.B) {
	for _, n := range []int{46, 200, 500} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			start := time.Date(2026, 11, 2, 14, 30, 0, 0, time.UTC)
			gen := demo.NewGenerator(demo.Options{Seed: 1, Tokens: n, Start: start, Step: 100 * time.Millisecond})
			m := model.NewMarket(model.MarketOptions{Clock: gen.Now})
			gen.History(m.ApplyNow)
			for range 100 { // 10 s of live market first
				gen.Step(m.ApplyNow)
				m.SnapshotNow()
			}
			events := 0
			count := func(ev model.Event) { events++; m.ApplyNow(ev) }
			b.ReportAllocs()
			for b.Loop() {
				gen.Step(count)
				m.SnapshotNow()
			}
			b.ReportMetric(float64(events)/float64(b.N), "events/op")
		})
	}
}

// BenchmarkDemoBackHistory is the demo's back history of 500 tokens from
// simulation to the first snapshot, the work before the dashboard's first
// full frame: one EventCandle a bar applied on the hub's goroutine
// ("events", what the demo did before), or each token's bars built into a
// model.History on GOMAXPROCS goroutines and taken whole by the hub
// ("batched", what the demo's Run does). Both leave the same market
// (TestHistoryBatchedIsTheSameMarket).
func BenchmarkDemoBackHistory(b *testing.B) {
	start := time.Date(2026, 11, 2, 14, 30, 0, 0, time.UTC)
	opts := demo.Options{Seed: 1, Tokens: 500, Start: start}
	b.Run("events", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gen := demo.NewGenerator(opts)
			m := model.NewMarket(model.MarketOptions{Clock: gen.Now})
			gen.History(m.ApplyNow)
			m.SnapshotNow()
		}
	})
	b.Run("batched", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gen := demo.NewGenerator(opts)
			m := model.NewMarket(model.MarketOptions{Clock: gen.Now})
			gen.HistoryBatched(runtime.GOMAXPROCS(0), func(ev model.Event) bool { m.ApplyNow(ev); return true })
			m.SnapshotNow()
		}
	})
}

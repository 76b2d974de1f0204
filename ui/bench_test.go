package ui

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
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
	benchApplySnapshot(b, 500)
}

// benchApplySnapshot: render ticks alternating between two snapshots of n
// tokens, each with a tenth of them changed (6 of 50 on screen at 500).
func benchApplySnapshot(b *testing.B, n int) {
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
	// the table on its own: rendering a row is a unit of the table
	ctx := &programContext{styles: NewStyles(testTheme(b, "dark"), testRenderer(termenv.TrueColor)), keys: NewKeyMap(nil),
		width: 200, height: 60, now: t0}
	tb := newTable(ctx)
	tb.setSize(200, 57)
	tb.apply(makeSnapshot(20, 1), t0)
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
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) { benchApplySnapshot(b, n) })
	}
}

// BenchmarkDetailPanes: N sessions with the detail pane open on the same
// token while it trades (100 trades a second; the market publishes at
// 10 Hz, so the token has a new version every publish). Each pane is a
// real program model ticking at 10 Hz on its own goroutine and asking for
// its chart the way the detail pane does (at most every half second, when
// the token changed), with the market as its history source, cached or
// not. One op is one second of wall time: run with -benchtime 5x. Reported
// per second: hub-req (Candles requests the hub goroutine served), hub-ms
// (time it spent on them, in which it applied no event), asked (requests
// the panes made) and cpu-ms (CPU of the whole process: market, feeder and
// every pane's own drawing).
func BenchmarkDetailPanes(b *testing.B) {
	for _, panes := range []int{1, 100} {
		for _, cache := range []string{"off", "on"} {
			b.Run(fmt.Sprintf("panes=%d/cache=%s", panes, cache), func(b *testing.B) {
				size := -1
				if cache == "on" {
					size = 0 // the default
				}
				benchDetailPanes(b, panes, size)
			})
		}
	}
}

func benchDetailPanes(b *testing.B, panes, cacheSize int) {
	m := model.NewMarket(model.MarketOptions{CandlesCache: cacheSize})
	// A day of minute bars and a month of hourly bars for BTC, the largest
	// cap, and a few smaller tokens.
	now := time.Now()
	end := now.Unix() - now.Unix()%60
	price := 67000.0
	for t := end - 30*86400; t < end-86400; t += 3600 {
		m.ApplyNow(model.Event{Kind: model.EventCandle, Symbol: "BTC", Res: model.Hour, Time: (t + 3600) * 1e9,
			Candle: model.Candle{T: t, Open: price, High: price * 1.01, Low: price * 0.99, Close: price, Volume: 100}})
	}
	for t := end - 86400; t < end; t += 60 {
		price *= 1 + 0.001*math.Sin(float64(t)/3000)
		m.ApplyNow(model.Event{Kind: model.EventCandle, Symbol: "BTC", Res: model.Minute, Time: (t + 60) * 1e9,
			Candle: model.Candle{T: t, Open: price, High: price * 1.001, Low: price * 0.999, Close: price, Volume: 2}})
	}
	m.ApplyNow(model.Event{Kind: model.EventInfo, Symbol: "BTC", Info: &model.TokenInfo{Name: "Bitcoin", Supply: 19.9e6}})
	for i := range 20 {
		sym := fmt.Sprintf("TK%02d", i)
		m.ApplyNow(model.Event{Kind: model.EventQuote, Symbol: sym, Price: 1 + float64(i)})
		m.ApplyNow(model.Event{Kind: model.EventInfo, Symbol: sym, Info: &model.TokenInfo{Name: sym, Supply: 1e6}})
	}
	m.SnapshotNow()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = m.Run(ctx) })
	wg.Go(func() { // the feeder: 100 trades a second on BTC
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for k := 0; ; k++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				p := price * (1 + 0.0005*math.Sin(float64(k)/20))
				m.Send(ctx, model.Event{Kind: model.EventTrade, Symbol: "BTC", Price: p, Qty: 0.1, Side: model.SideBuy})
			}
		}
	})

	// The panes: each opens the detail of the first row (BTC), then ticks.
	hss := make([]*harness, panes)
	for i := range hss {
		mb := m.Subscribe(ctx)
		hs := newHarness(b, "dark", termenv.TrueColor, 120, 40, func(o *Options) {
			o.Snapshots, o.History, o.Clock, o.RefreshHz = mb, m, time.Now, 10
		})
		hs.send(tickMsg{})
		hs.runCmd(hs.key("enter"))
		if !detailFullScreen(hs) || !strings.HasPrefix(screenLines(hs)[1], "BTC  Bitcoin") {
			b.Fatalf("pane %d: no detail of BTC:\n%s", i, plain(hs))
		}
		hss[i] = hs
	}
	stop := make(chan struct{})
	var panesWG sync.WaitGroup
	for _, hs := range hss {
		panesWG.Go(func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					hs.runCmd(hs.send(tickMsg{}))
				}
			}
		})
	}

	time.Sleep(time.Second) // warm up: every pane has fetched once
	st0 := m.CandlesStats()
	cpu0, cpuOK := processCPU()
	start := time.Now()
	for b.Loop() {
		time.Sleep(time.Second)
	}
	secs := time.Since(start).Seconds()
	st1 := m.CandlesStats()
	cpu1, _ := processCPU()
	close(stop)
	panesWG.Wait() // before the market stops: a late fetch would fail
	cancel()
	wg.Wait()
	for _, hs := range hss {
		if hs.chartDraws() == 0 {
			b.Fatalf("a pane has no chart:\n%s", plain(hs))
		}
	}
	b.ReportMetric(float64(st1.HubRequests-st0.HubRequests)/secs, "hub-req/s")
	b.ReportMetric(float64(st1.HubBusy-st0.HubBusy)/1e6/secs, "hub-ms/s")
	b.ReportMetric(float64(st1.Requests-st0.Requests)/secs, "asked/s")
	if cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/1e6/secs, "cpu-ms/s")
	}
}

package ui

import (
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
)

func newTestStatusBar(tb testing.TB, theme string, w int, demo bool) *statusBar {
	ctx := &programContext{opts: Options{Demo: demo}, styles: NewStyles(testTheme(tb, theme), testRenderer(profileFor(theme))),
		keys: NewKeyMap(nil), width: w, height: 24, now: t0}
	return &statusBar{ctx: ctx}
}

// The bar draws only when what it shows changed; whatever it went
// through, it shows exactly what a new bar would for the same state.
func TestStatusBarDrawsWhatANewOneWould(t *testing.T) {
	feeds := [][]model.FeedStatus{
		{{Name: "demo", State: model.FeedLive, Demo: true}},
		{{Name: "binance", State: model.FeedReconnecting, Reason: "attempt 2: refused", RetryAt: t0.Add(9 * time.Second)}},
		{{Name: "binance", State: model.FeedLive}, {Name: "kraken", State: model.FeedQuiet, LastFrame: t0.Add(-4 * time.Second)}},
		{{Name: "binance", State: model.FeedLive, History: "HTTP 500", HistoryRetryAt: t0.Add(30 * time.Second)}},
	}
	infos := []statusInfo{
		{},
		{filter: "bt", shown: 3, total: 46},
		{announce: "SOL turned bullish", announceDir: 1, announceMark: "✦ "},
		{announce: "SOL turned bullish", announceDir: -1, announceMark: "✦ "}, // the same words in another colour
		{readOnly: "the store is locked", hidden: true},
		{anonymous: true},
	}
	for _, theme := range []string{"dark", "light", "mono"} {
		for _, demo := range []bool{true, false} {
			bar := newTestStatusBar(t, theme, 120, demo)
			for i := range 60 {
				snap := makeSnapshot(5, uint64(i))
				snap.Feeds = model.ReadOnlyOf(feeds[(i/3)%len(feeds)]...)
				snap.MsgPerSec = float64((i / 2) % 4 * 100)
				snap.BadEvents = uint64(i / 20)
				if i%7 == 0 {
					snap = nil
				}
				info := infos[i%len(infos)]
				now := t0.Add(time.Duration(i) * 300 * time.Millisecond)
				width := []int{120, 80, 200}[(i/11)%3]
				bar.ctx.now, bar.ctx.width = now, width
				bar.update(snap, info)

				check := func(what string) {
					t.Helper()
					fresh := newTestStatusBar(t, theme, bar.ctx.width, demo)
					fresh.ctx.now = now
					fresh.update(snap, info)
					if bar.line != fresh.line {
						t.Fatalf("%s demo=%v step %d (%s): the bar shows\n%q\na new one\n%q", theme, demo, i, what, bar.line, fresh.line)
					}
					if textWidth(bar.line) != bar.ctx.width {
						t.Fatalf("%s step %d (%s): the bar is %d cells wide, want %d", theme, i, what, textWidth(bar.line), bar.ctx.width)
					}
				}
				check("a new state")
				// The same state at another width.
				bar.ctx.width = width - 1
				bar.update(snap, info)
				check("the width alone")
				bar.ctx.width = width
				bar.update(snap, info)
				// The same words in another style.
				if info.announceDir != 0 {
					info.announceDir = -info.announceDir
					bar.update(snap, info)
					check("the colour alone")
				}
			}
		}
	}
}

// BenchmarkStatusBar is the bar at a render tick: "same" when nothing it
// shows changed since the last tick (most ticks), "changed" when the
// message rate moved (drawn again).
func BenchmarkStatusBar(b *testing.B) {
	bar := newTestStatusBar(b, "dark", 200, true)
	snap := makeSnapshot(5, 1)
	b.Run("same", func(b *testing.B) {
		bar.update(snap, statusInfo{})
		b.ReportAllocs()
		for b.Loop() {
			bar.update(snap, statusInfo{})
		}
	})
	b.Run("changed", func(b *testing.B) {
		s2 := *snap
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			s2.MsgPerSec = float64(i % 1000)
			bar.update(&s2, statusInfo{})
		}
	})
}

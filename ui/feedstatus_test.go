package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
)

// live is a harness option for a live (not demo) market.
func live() harnessOpt { return func(o *Options) { o.Demo = false } }

// withFeeds is a snapshot of 5 tokens and the feeds' statuses.
func withFeeds(seq uint64, feeds ...model.FeedStatus) *model.Snapshot {
	s := makeSnapshot(5, seq)
	s.Feeds = model.ReadOnlyOf(feeds...)
	return s
}

// The wait before the next connection attempt counts down as the clock
// moves, from one snapshot: the status bar computes it at each tick.
func TestStatusBarCountsDownTheReconnect(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		hs := newHarness(t, "dark", termenv.TrueColor, size[0], size[1], live())
		hs.put(withFeeds(1, model.FeedStatus{Name: "coinbase", State: model.FeedReconnecting,
			Reason: "attempt 6: connection refused", RetryAt: t0.Add(5 * time.Second)}))
		for left := 5; left >= 1; left-- {
			line := statusLine(hs)
			if want := "coinbase reconnecting in " + strconv.Itoa(left) + "s"; !strings.Contains(line, want) {
				t.Fatalf("%dx%d: %d s before the attempt the status bar says %q, want %q", size[0], size[1], left, line, want)
			}
			hs.now = hs.now.Add(time.Second)
			hs.send(tickMsg{})
		}
		if line := statusLine(hs); !strings.Contains(line, "coinbase reconnecting now") {
			t.Fatalf("%dx%d: at the attempt the status bar says %q", size[0], size[1], line)
		}
		checkSize(t, hs.m.View(), size[0], size[1])
	}
}

// A connection that has gone silent says "quiet" and for how long.
func TestStatusBarSaysQuiet(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24, live())
	hs.put(withFeeds(1, model.FeedStatus{Name: "binance", State: model.FeedQuiet, LastFrame: t0.Add(-3 * time.Second)}))
	if line := statusLine(hs); !strings.Contains(line, "● binance quiet 3s") {
		t.Fatalf("status bar %q, want binance quiet 3s", line)
	}
	hs.now = hs.now.Add(4 * time.Second)
	hs.send(tickMsg{})
	if line := statusLine(hs); !strings.Contains(line, "● binance quiet 7s") {
		t.Fatalf("status bar %q, want binance quiet 7s", line)
	}
	// Frames again: live, no count.
	hs.put(withFeeds(2, model.FeedStatus{Name: "binance", State: model.FeedLive, LastFrame: hs.now}))
	if line := statusLine(hs); !strings.Contains(line, "● binance live") || strings.Contains(line, "quiet") {
		t.Fatalf("status bar %q, want binance live", line)
	}
}

// A history fetch that failed while the feed is live is said in the status
// bar, with its retry counting down, in full at 80 columns; a hostile
// reason is cleaned and cut.
func TestStatusBarSaysHistoryFailed(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24, live())
	hs.put(withFeeds(1, model.FeedStatus{Name: "binance", State: model.FeedLive,
		History: "binance answered HTTP 500", HistoryRetryAt: t0.Add(42 * time.Second)}))
	want := "binance history failed: binance answered HTTP 500; retrying in 42s"
	if line := statusLine(hs); !strings.Contains(line, want) {
		t.Fatalf("status bar %q, want %q", line, want)
	}
	hs.now = hs.now.Add(12 * time.Second)
	hs.send(tickMsg{})
	if line := statusLine(hs); !strings.Contains(line, "retrying in 30s") {
		t.Fatalf("status bar %q, want the retry 30s away", line)
	}
	hs.now = hs.now.Add(30 * time.Second)
	hs.send(tickMsg{})
	if line := statusLine(hs); !strings.Contains(line, "binance history failed: binance answered HTTP 500; retrying now") {
		t.Fatalf("status bar %q, want retrying now", line)
	}
	// Fetched: the warning goes.
	hs.put(withFeeds(2, model.FeedStatus{Name: "binance", State: model.FeedLive}))
	if line := statusLine(hs); strings.Contains(line, "history") {
		t.Fatalf("status bar %q still speaks of history", line)
	}
	// Hostile words: no escape reaches the screen, and the reason is cut.
	hs.put(withFeeds(3, model.FeedStatus{Name: "kraken", State: model.FeedLive,
		History: "\x1b]52;c;cGFzdGU=\x07" + strings.Repeat("very long reason ", 10), HistoryRetryAt: hs.now.Add(time.Minute)}))
	v := hs.m.View()
	if strings.ContainsAny(v, "\x1b\x07") {
		t.Fatalf("control characters reached the screen: %q", v)
	}
	if line := statusLine(hs); !strings.Contains(line, "kraken history failed: very long reason very lon…; retrying in 60s") {
		t.Fatalf("status bar %q, want the cut reason", line)
	}
	checkSize(t, v, 80, 24)
}

// Values the hub refused (implausible prices) count with the frames the
// feeds skipped.
func TestStatusBarCountsRefusedValues(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 24, live())
	s := withFeeds(1, model.FeedStatus{Name: "binance", State: model.FeedLive, Bad: 3})
	s.BadEvents, s.Implausible = 2, 2
	hs.put(s)
	if line := statusLine(hs); !strings.Contains(line, "5 bad frames") {
		t.Fatalf("status bar %q, want 5 bad frames", line)
	}
}

// The waiting screen (no tokens yet) counts down too: it is redrawn at
// every tick while it shows.
func TestWaitingScreenCountsDown(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 100, 20, live())
	hs.put(&model.Snapshot{Seq: 1, Feeds: model.ReadOnlyOf(model.FeedStatus{Name: "kraken", State: model.FeedReconnecting,
		Reason: "attempt 2: connection refused", RetryAt: t0.Add(3 * time.Second)})})
	for _, want := range []string{"kraken: reconnecting in 3s — attempt 2: connection refused", "kraken: reconnecting in 2s", "kraken: reconnecting in 1s", "kraken: reconnecting now"} {
		if v := plain(hs); !strings.Contains(v, want) {
			t.Fatalf("waiting screen lacks %q:\n%s", want, v)
		}
		hs.now = hs.now.Add(time.Second)
		hs.send(tickMsg{})
	}
}

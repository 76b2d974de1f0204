package main

import (
	"fmt"
	"strings"
	"testing"
)

// recording builds a typescript and its timing file from frames, each
// written after delay seconds.
func recording(frames []string, delays []float64) (string, []byte) {
	var timing strings.Builder
	ts := []byte("Script started on 2026-12-04 13:53:25+00:00 [COMMAND=\"tokentop\"]\n")
	for i, f := range frames {
		fmt.Fprintf(&timing, "%.6f %d\n", delays[i], len(f))
		ts = append(ts, f...)
	}
	return timing.String(), ts
}

// frame draws rows at the top of a cleared 60x6 screen and a status bar
// on its last line.
func frame(status string, rows ...string) string {
	var b strings.Builder
	b.WriteString("\x1b[H\x1b[2J")
	for i, r := range rows {
		fmt.Fprintf(&b, "\x1b[%d;1H%s", i+1, r)
	}
	fmt.Fprintf(&b, "\x1b[6;1H%s", status)
	return b.String()
}

func TestFirstFull(t *testing.T) {
	frames := []string{
		frame("connecting DEMO", "loading the market"),
		frame("live DEMO", "   1 BTC  112,400  +1.2%   —  ", "   2 ETH  4,100  \x1b[32m+0.4%\x1b[0m  61"), // a grade still missing
		frame("connecting DEMO", "   1 BTC  112,400  +1.2%  55", "   2 ETH  4,100  +0.4%  61"),            // not live yet
		frame("live DEMO", "▸  1 BTC  112,400  +1.2%  55", "   2 ETH  4,100  \x1b[31m-0.4%\x1b[0m  61"),   // full
		frame("live DEMO", "   1 BTC  112,500  +1.3%  55"),
	}
	timing, ts := recording(frames, []float64{0.040, 0.050, 0.030, 0.025, 0.1})
	ms, err := firstFull(60, 6, strings.NewReader(timing), ts)
	if err != nil {
		t.Fatal(err)
	}
	if want := 145.0; ms < want-0.01 || ms > want+0.01 {
		t.Fatalf("first full frame at %.3f ms, want %.0f", ms, want)
	}
}

func TestFirstFullNever(t *testing.T) {
	timing, ts := recording([]string{frame("live DEMO", "   1 BTC  112,400  +1.2%   —  ")}, []float64{0.1})
	if _, err := firstFull(60, 6, strings.NewReader(timing), ts); err == nil || !strings.Contains(err.Error(), "never") {
		t.Fatalf("err %v, want the screen never full", err)
	}
}

func TestFirstFullBadTiming(t *testing.T) {
	for _, timing := range []string{"0.1\n", "x 10\n", "0.1 -3\n", "0.1 999999\n"} {
		if _, err := firstFull(60, 6, strings.NewReader(timing), []byte("abc")); err == nil {
			t.Errorf("timing %q: no error", timing)
		}
	}
}

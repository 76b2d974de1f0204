// Command firstframe reads a terminal session recorded by script(1) with
// its timing (script --log-timing FILE, the classic "delay bytes" form),
// replays it into a terminal emulator (x/vt) and prints the time, in
// milliseconds from the start of the recording, at which the screen first
// shows a full ratings table: a status bar saying "live" and "DEMO", and
// at least one table row, every row shown with a price, changes and
// grades (no "—" placeholder). It is for performance work only
// (scripts/measure-demo.sh) and is never built into tokentop.
//
//	go run ./internal/firstframe -size 200x60 -timing T -typescript F
//
// Measuring from the recording instead of reading the screen back while
// tokentop starts keeps the measurement off the machine it measures: on
// two cores, polling tmux every few milliseconds took the CPU the
// dashboard's start needed and added 100-150 ms to what it measured. The
// time is from script's start, a few milliseconds before tokentop's own
// (script forks a shell that execs it), so it over-reports by that much.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/vt"
)

func main() {
	size := flag.String("size", "200x60", "the terminal's size, WxH, as recorded")
	timing := flag.String("timing", "", "script's timing file (--log-timing, classic form)")
	typescript := flag.String("typescript", "", "script's typescript")
	flag.Parse()
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w < 1 || h < 1 {
		fmt.Fprintf(os.Stderr, "firstframe: bad -size %q\n", *size)
		os.Exit(2)
	}
	tf, err := os.Open(*timing)
	if err != nil {
		fmt.Fprintln(os.Stderr, "firstframe:", err)
		os.Exit(2)
	}
	defer tf.Close()
	data, err := os.ReadFile(*typescript)
	if err != nil {
		fmt.Fprintln(os.Stderr, "firstframe:", err)
		os.Exit(2)
	}
	ms, err := firstFull(w, h, tf, data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "firstframe:", err)
		os.Exit(1)
	}
	fmt.Printf("%.0f\n", ms)
}

// firstFull replays the recording and returns the milliseconds to the
// first full table.
func firstFull(w, h int, timing io.Reader, typescript []byte) (float64, error) {
	// script writes a "Script started on ..." line before the session;
	// the timing file counts the session's bytes only.
	if i := bytes.IndexByte(typescript, '\n'); i >= 0 && bytes.HasPrefix(typescript, []byte("Script started")) {
		typescript = typescript[i+1:]
	}
	e := vt.NewEmulator(w, h)
	e.SetScrollbackSize(0)
	sc := bufio.NewScanner(timing)
	at := 0.0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			return 0, fmt.Errorf("timing line %q: want \"delay bytes\"", sc.Text())
		}
		d, err1 := strconv.ParseFloat(f[0], 64)
		n, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil || d < 0 || n < 0 {
			return 0, fmt.Errorf("timing line %q: want \"delay bytes\"", sc.Text())
		}
		if n > len(typescript) {
			return 0, errors.New("the timing file counts more bytes than the typescript holds")
		}
		at += d
		_, _ = e.Write(typescript[:n])
		typescript = typescript[n:]
		if full(screenLines(e)) {
			return at * 1000, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("the screen never showed a full table")
}

func screenLines(e *vt.Emulator) []string {
	out := make([]string, e.Height())
	var b strings.Builder
	for y := range out {
		b.Reset()
		for x := 0; x < e.Width(); x++ {
			if c := e.CellAt(x, y); c != nil && c.Content != "" {
				b.WriteString(c.Content)
			} else if c == nil || c.Width != 0 {
				b.WriteByte(' ')
			}
		}
		out[y] = b.String()
	}
	return out
}

// tableRow is a row of the ratings table: its rank, then a symbol.
var tableRow = regexp.MustCompile(`^[ ▸✦◌]*[0-9]+ +[A-Z0-9]+ `)

// full reports whether the screen shows a full table: the feed live, and
// every table row with a price, changes and grades.
func full(lines []string) bool {
	live, rows := false, 0
	for _, l := range lines {
		if strings.Contains(l, "live") && strings.Contains(l, "DEMO") {
			live = true
		}
		if tableRow.MatchString(l) {
			rows++
			if !strings.Contains(l, "%") || strings.Contains(l, "  —  ") {
				return false
			}
		}
	}
	return live && rows > 0
}

package store

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A tokentop killed (SIGKILL) in the middle of writing loses nothing it
// had committed, and the store opens cleanly: a child process applies
// changes in a loop (and rewrites the warm cache every few), printing
// each lot ID once Apply has returned; the parent reads N of them, kills
// the child, opens the store, runs bbolt's Check and finds every ID.
// Several rounds on the same store, with different N.
func TestSIGKILLMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	var committed []string
	for round, n := range []int{1, 7, 40, 150, 23} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=writer", dirEnv+"="+dir, roundEnv+"="+strconv.Itoa(round))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		got := 0
		done := make(chan struct{})
		go func() { // a stuck child must not hang the test
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
			}
		}()
		for got < n && lines.Scan() {
			line := lines.Text()
			if strings.HasPrefix(line, "ERR") {
				t.Fatalf("round %d: child: %s", round, line)
			}
			committed = append(committed, line)
			got++
		}
		close(done)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if got < n {
			t.Fatalf("round %d: the child printed %d IDs, want %d (stderr: %s)", round, got, n, stderr.String())
		}

		s, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("round %d: Open after SIGKILL: %v", round, err)
		}
		checkDB(t, s)
		d, rep, err := s.Load(LocalUser)
		if err != nil || rep.Skipped != 0 {
			t.Fatalf("round %d: Load: %v %+v", round, err, rep)
		}
		have := make(map[string]bool, len(d.Lots))
		for _, l := range d.Lots {
			have[l.ID] = true
		}
		for _, id := range committed {
			if !have[id] {
				t.Fatalf("round %d: lot %s was committed before the kill but is missing", round, id)
			}
		}
		if w, err := s.LoadWarm("live", 0, time.Now()); err != nil || (w != nil && len(w.Tokens) != 20) {
			t.Fatalf("round %d: warm cache after the kill: %v, %v", round, w, err)
		}
		s.Close()
	}
}

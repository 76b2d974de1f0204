package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/store"
	"github.com/tokentop/tokentop/themes"
)

// The kill test of issue 14 item 1: what the screen shows as saved is on
// disk, whenever the process dies. A child process (this test binary run
// again) runs the real dashboard (the demo market, the real store) and
// types lots and alerts into it in bursts; it prints a line at the moment
// the screen first shows "✓ Lot added" or "✓ Alert saved". The parent
// kills it (SIGKILL) right after a random number of those lines, 20 times
// on the same data directory, then opens the store: every record shown as
// saved must be there.

const (
	killChildEnv = "TOKENTOP_KILL_CHILD" // the data directory: run as the child
	killRunEnv   = "TOKENTOP_KILL_RUN"   // which run: the records' numbers start at run*1000
	killRuns     = 20
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		os.Exit(killChild(dir))
	}
	os.Exit(m.Run())
}

// saved is what the child saw shown as saved: "lot 3017" (a quantity) or
// "alert 1003017" (a price).
var savedLine = regexp.MustCompile(`✓ (Lot added): ([0-9,.]+) BTC|✓ (Alert saved): BTC price above \$([0-9,.]+)`)

// killChild is the child: the dashboard of the local user on the demo
// market and the store in dir, driven through its keyboard.
func killChild(dir string) int {
	run, _ := strconv.Atoi(os.Getenv(killRunEnv))
	cfg := config.Default()
	cfg.Demo.Tokens = 4 // BTC and three more: a quick start
	r, err := New(Options{Config: cfg, Demo: true, DataDir: dir, Getenv: func(string) string { return "" }})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	if err := r.Start(); err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	th, _ := themes.Load("mono", "")
	in, keys := io.Pipe()
	sess, err := r.NewSession(SessionOptions{User: LocalUser, Local: true, In: in, Out: io.Discard, Width: 200, Height: 50,
		Profile: termenv.Ascii, Theme: th})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	scr := newScreen()
	var mu sync.Mutex
	printed := map[string]bool{}
	out := bufio.NewWriter(os.Stdout)
	sess.probe = func(m tea.Model) tea.Model {
		return childProbe{m, func(v string) {
			scr.set(v)
			for _, m := range savedLine.FindAllStringSubmatch(ansi.Strip(v), -1) {
				line := "SAVED lot " + m[2]
				if m[3] != "" {
					line = "SAVED alert " + m[4]
				}
				mu.Lock()
				if !printed[line] {
					printed[line] = true
					fmt.Fprintln(out, line)
					out.Flush() // now: the parent may kill us the next instant
				}
				mu.Unlock()
			}
		}}
	}
	go drive(scr, keys, run)
	if err := sess.Run(context.Background()); err != nil {
		fmt.Println("ERROR", err)
	}
	r.Close()
	return 0
}

// childProbe calls see with every view the program shows.
type childProbe struct {
	tea.Model
	see func(string)
}

func (p childProbe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := p.Model.Update(msg)
	return childProbe{m, p.see}, cmd
}

func (p childProbe) View() string {
	v := p.Model.View()
	p.see(v)
	return v
}

// drive types lots and alerts on BTC (the first row) in bursts of one to
// five, never waiting for a save before the next: changes are in flight
// whenever the parent strikes.
func drive(scr *screen, keys io.Writer, run int) {
	waitScreen := func(what string, ok func(string) bool) {
		deadline := time.Now().Add(30 * time.Second)
		for !ok(scr.text()) {
			if time.Now().After(deadline) {
				fmt.Println("ERROR the screen never showed " + what + ": " + strconv.Quote(scr.text()))
				os.Exit(2)
			}
			select {
			case <-scr.wake:
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	noForm := func(s string) bool { return !strings.Contains(s, "Add lot") && !strings.Contains(s, "New alert") }
	// BTC priced: its row has a number after the symbol (a token's first
	// snapshot may come before its first quote, and the lot form prefills
	// the cost from the price).
	priced := regexp.MustCompile(`BTC +Bitcoin +[0-9]`)
	waitScreen("BTC priced", func(s string) bool { return priced.MatchString(s) && noForm(s) })
	rng := rand.New(rand.NewPCG(uint64(run), 14))
	n := run * 1000
	for {
		for range 1 + rng.IntN(5) {
			n++
			if rng.IntN(3) > 0 {
				io.WriteString(keys, "a")
				waitScreen("the lot form", func(s string) bool { return strings.Contains(s, "Add lot") })
				io.WriteString(keys, strconv.Itoa(n)+keyCtrlS)
			} else {
				io.WriteString(keys, "A")
				waitScreen("the alert form", func(s string) bool { return strings.Contains(s, "New alert") })
				io.WriteString(keys, keyTab+keyTab+keyCtrlU+strconv.Itoa(1_000_000+n)+keyCtrlS)
			}
			waitScreen("the form closed", noForm)
		}
		// A breath between bursts, of one screen update: saves land.
		select {
		case <-scr.wake:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestShownAsSavedSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	shown := map[string]bool{}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	var lines int
	for run := 1; run <= killRuns; run++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killRunEnv+"="+strconv.Itoa(run))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		strike := 1 + rng.IntN(12) // kill right after this many saves shown
		timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
		sc := bufio.NewScanner(stdout)
		seen := 0
		killed := false
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "SAVED "); ok {
				shown[strings.ReplaceAll(rest, ",", "")] = true
				seen++
				lines++
				if seen == strike && !killed {
					cmd.Process.Signal(syscall.SIGKILL)
					killed = true
				}
				continue
			}
			t.Errorf("run %d: the child said %q", run, line)
		}
		timer.Stop()
		err = cmd.Wait()
		if !killed {
			t.Fatalf("run %d: the child ended (%v) after %d saves, before the kill", run, err, seen)
		}
	}
	st, err := store.Open(store.Options{Dir: dir, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, rep, err := st.Load(store.LocalUser)
	if err != nil || rep.Skipped > 0 {
		t.Fatalf("the store after %d kills: %v, %+v", killRuns, err, rep)
	}
	stored := map[string]bool{}
	for _, l := range d.Lots {
		stored["lot "+strconv.FormatFloat(l.Quantity, 'f', 2, 64)] = true
	}
	for _, a := range d.Alerts {
		stored["alert "+strconv.FormatFloat(a.Price, 'f', 2, 64)] = true
	}
	lost := 0
	for rec := range shown {
		if !stored[rec] {
			lost++
			t.Errorf("shown as saved, not in the store: %s", rec)
		}
	}
	t.Logf("%d kills, %d records shown as saved, %d in the store (%d lots, %d alerts), %d lost",
		killRuns, len(shown), len(d.Lots)+len(d.Alerts), len(d.Lots), len(d.Alerts), lost)
	if len(shown) < killRuns {
		t.Fatalf("only %d records were shown as saved in %d runs", len(shown), killRuns)
	}
	t.Logf("%d lines of saves read", lines)
}

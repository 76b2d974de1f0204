// Package termtest runs a program in a real terminal (a detached tmux
// session, which gives it a pseudo-terminal), types keys into it and reads
// the screen back, for end-to-end tests of the built binary.
package termtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// Term is one program running in its own tmux server.
type Term struct {
	t      testing.TB
	socket string
	target string
}

// Available reports whether tmux can be run. Tests call Require instead.
func Available() bool {
	_, err := exec.LookPath("tmux")
	return err == nil
}

// Require fails the test when tmux is missing under CI (where .ci/run
// installs it), and skips it elsewhere with the reason.
func Require(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("tmux is required for end-to-end tests (apt-get install -y tmux)")
	}
	t.Skip("tmux not installed; end-to-end test skipped (apt-get install -y tmux)")
}

// Start runs argv in a w x h terminal with the given extra environment
// ("KEY=value"). When the program ends, the shell prints "EXIT:<code>" in
// the normal screen so tests can see both the exit code and that the
// terminal was restored.
func Start(t testing.TB, w, h int, env []string, argv ...string) *Term {
	t.Helper()
	Require(t)
	term := &Term{t: t, socket: fmt.Sprintf("tokentop-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), target: "e2e"}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = shellQuote(a)
	}
	// The program sees the same TERM whatever tmux's version and build
	// (tmux sets TERM from its default-terminal option, tmux-256color here
	// but screen in others, which termenv takes for a terminal without
	// colour), unless the test passes its own.
	termVar := "tmux-256color"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "TERM="); ok {
			termVar = v
		}
	}
	script := "TERM=" + shellQuote(termVar) + "; export TERM; " + strings.Join(quoted, " ") + `; echo "EXIT:$?"; sleep 600`
	args := []string{"-f", "/dev/null", "new-session", "-d", "-s", term.target,
		"-x", fmt.Sprint(w), "-y", fmt.Sprint(h)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, "sh", "-c", script)
	term.tmux(args...)
	t.Cleanup(func() { _ = term.run("kill-server") })
	return term
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// leaky are variables of the developer's shell that would reach the
// program through the tmux server's environment and change what it shows
// (colours, nesting); a test that wants one passes it to Start.
var leaky = []string{"TMUX", "TMUX_PANE", "COLORTERM", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM_PROGRAM", "TERM_PROGRAM_VERSION"}

func (term *Term) run(args ...string) error {
	cmd := exec.Command("tmux", append([]string{"-L", term.socket}, args...)...)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == "TERM" || slices.Contains(leaky, k)
	})
	cmd.Env = append(env, "TERM=xterm-256color")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return nil
}

func (term *Term) tmux(args ...string) {
	term.t.Helper()
	if err := term.run(args...); err != nil {
		term.t.Fatal(err)
	}
}

// Keys sends tmux key names ("j", "Enter", "Escape", "C-c") one at a time.
func (term *Term) Keys(keys ...string) {
	term.t.Helper()
	for _, k := range keys {
		term.tmux("send-keys", "-t", term.target, k)
	}
}

// Type sends literal text.
func (term *Term) Type(text string) {
	term.t.Helper()
	term.tmux("send-keys", "-t", term.target, "-l", text)
}

// Resize changes the terminal's size.
func (term *Term) Resize(w, h int) {
	term.t.Helper()
	term.tmux("resize-window", "-t", term.target, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h))
}

// Screen returns the visible screen as plain text, one line per row.
func (term *Term) Screen() string {
	term.t.Helper()
	return term.capture()
}

// ScreenANSI returns the visible screen with its colours and attributes as
// SGR escape sequences (as tmux redraws it, not the bytes the program
// wrote).
func (term *Term) ScreenANSI() string {
	term.t.Helper()
	return term.capture("-e")
}

func (term *Term) capture(flags ...string) string {
	term.t.Helper()
	args := append([]string{"-L", term.socket, "capture-pane", "-p", "-t", term.target}, flags...)
	cmd := exec.Command("tmux", args...)
	out, err := cmd.Output()
	if err != nil {
		term.t.Fatalf("capture-pane: %v", err)
	}
	return string(out)
}

// CursorVisible reports whether the terminal shows its cursor.
func (term *Term) CursorVisible() bool { return term.paneFlag("cursor_flag") == "1" }

// AltScreen reports whether the terminal is on its alternate screen.
func (term *Term) AltScreen() bool { return term.paneFlag("alternate_on") == "1" }

// paneFlag is one of tmux's pane format variables ("0" or "1" for flags).
func (term *Term) paneFlag(name string) string {
	term.t.Helper()
	cmd := exec.Command("tmux", "-L", term.socket, "display-message", "-p", "-t", term.target, "#{"+name+"}")
	out, err := cmd.Output()
	if err != nil {
		term.t.Fatalf("display-message %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// WaitFor polls the screen until cond holds or the timeout passes, and
// returns the last screen. On timeout the test fails, showing the screen.
func (term *Term) WaitFor(what string, timeout time.Duration, cond func(screen string) bool) string {
	term.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := term.Screen()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("timed out after %v waiting for %s; screen:\n%s", timeout, what, s)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not a wait for luck
	}
}

// WaitText waits until the screen contains text.
func (term *Term) WaitText(text string, timeout time.Duration) string {
	term.t.Helper()
	return term.WaitFor(fmt.Sprintf("%q", text), timeout, func(s string) bool { return strings.Contains(s, text) })
}

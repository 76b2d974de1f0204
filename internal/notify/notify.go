// Package notify shows desktop notifications through the system's own
// command (notify-send on Linux and the BSDs, osascript on macOS). Where
// there is none, Find returns nil and nothing happens: a missing notifier
// is never an error.
package notify

import (
	"context"
	"os/exec"
	"strings"
	"time"

	"github.com/tokentop/tokentop/internal/safetext"
)

// Timeout bounds one notification command.
const Timeout = 5 * time.Second

// Notifier runs one notification command.
type Notifier struct {
	path string
	args func(title, body string) []string
}

// Find looks for the system's notification command for goos (runtime.GOOS)
// with lookPath (exec.LookPath). It returns nil when there is none.
func Find(goos string, lookPath func(string) (string, error)) *Notifier {
	switch goos {
	case "darwin":
		if p, err := lookPath("osascript"); err == nil {
			return &Notifier{path: p, args: func(title, body string) []string {
				return []string{"-e", "display notification " + appleString(body) + " with title " + appleString(title)}
			}}
		}
	case "windows", "plan9", "js", "wasip1":
		return nil
	default:
		if p, err := lookPath("notify-send"); err == nil {
			return &Notifier{path: p, args: func(title, body string) []string {
				return []string{"--app-name=tokentop", "--", title, body}
			}}
		}
	}
	return nil
}

// Notify shows one notification and waits (at most Timeout) for the
// command. Title and body are cut to plain printable text first, so
// nothing in them can act as an option or an escape sequence.
func (n *Notifier) Notify(ctx context.Context, title, body string) error {
	if n == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.path, n.args(safetext.Line(title, 80), safetext.Line(body, 300))...)
	return cmd.Run()
}

// appleString quotes s as an AppleScript string literal.
func appleString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}

// Package browser opens an address in the desktop's browser through the
// system's opener (xdg-open on Linux and the BSDs, open on macOS), for a
// terminal on this machine's desktop only. Find says why there is none:
// over SSH the browser would open on the server, not in front of the
// trader, and without a display there is no desktop to open it on.
package browser

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"time"

	"github.com/tokentop/tokentop/internal/tradelink"
)

// Timeout bounds one run of the opener.
const Timeout = 10 * time.Second

// Opener runs the system's opener.
type Opener struct {
	path string
	name string
}

// Find looks for the opener of goos (runtime.GOOS) with lookPath
// (exec.LookPath), deciding from getenv (os.Getenv: the local terminal's
// environment, never a remote client's) whether there is a desktop in
// front of the trader. It returns nil and the reason in words when not.
func Find(goos string, getenv func(string) string, lookPath func(string) (string, error)) (*Opener, string) {
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != "" {
		return nil, "over SSH"
	}
	name := "xdg-open"
	switch goos {
	case "darwin":
		name = "open"
	case "windows", "plan9", "js", "wasip1", "android", "ios":
		return nil, "no browser opener on " + goos
	default:
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			return nil, "no desktop (DISPLAY and WAYLAND_DISPLAY are not set)"
		}
	}
	p, err := lookPath(name)
	if err != nil {
		return nil, name + " not found"
	}
	return &Opener{path: p, name: name}, ""
}

// Name is the opener's command name ("xdg-open").
func (o *Opener) Name() string { return o.name }

// Open runs the opener on address and waits (at most Timeout) for it to
// hand the address over. Only an https address that tradelink.CheckURL
// accepts is opened, so nothing in it can act as an option. The opener
// reads nothing and its output goes nowhere: never to the terminal.
func (o *Opener) Open(ctx context.Context, address string) error {
	if err := tradelink.CheckURL(address); err != nil {
		return errors.New("not opened: the address " + err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.path, address)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil // /dev/null
	detach(cmd)
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return errors.New(o.name + " did not answer within " + Timeout.String())
	case ctx.Err() != nil:
		return errors.New(o.name + " cancelled")
	}
	if err != nil {
		return errors.New(o.name + " failed: " + strings.TrimSpace(err.Error()))
	}
	return nil
}

//go:build unix

package screen

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/charmbracelet/x/term"
)

// watchSize follows the terminal's size when out is a terminal: each
// SIGWINCH becomes a Resize. It ends when stop is closed.
func (t *Terminal) watchSize(stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	f, ok := t.out.(term.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		close(done)
		return done
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	go func() {
		defer close(done)
		defer signal.Stop(sig)
		for {
			select {
			case <-stop:
				return
			case <-sig:
				if w, h, err := term.GetSize(f.Fd()); err == nil {
					t.Resize(w, h)
				}
			}
		}
	}()
	return done
}

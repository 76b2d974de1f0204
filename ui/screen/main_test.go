package screen

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
)

func TestMain(m *testing.M) {
	// os/signal starts one goroutine for the process the first time a
	// signal is asked for (Bubble Tea asks in every Run); start it now so
	// the goroutine-leak checks see only what a Run leaves behind.
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGWINCH)
	signal.Stop(c)
	os.Exit(m.Run())
}

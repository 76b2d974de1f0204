//go:build unix

package browser

import (
	"os/exec"
	"syscall"
)

// detach starts the opener in a session of its own: no controlling
// terminal, so neither it nor the browser it starts can write to ours or
// get its signals.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

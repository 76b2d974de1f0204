package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"

	"github.com/tokentop/tokentop/internal/notify"
)

// openLog opens the --log file (appending, mode 0600); with no path the
// log is discarded. Nothing is ever logged to a terminal.
func openLog(path string) (*slog.Logger, io.Closer, error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), io.NopCloser(nil), nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--log: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), f, nil
}

// desktopNotify is a local session's Notify option: the system's notifier
// when asked for and present, else nil. A remote session never gets one:
// the desktop it would show on is not the trader's.
func desktopNotify(on bool, logger *slog.Logger) func(title, body string) {
	if !on {
		return nil
	}
	n := notify.Find(runtime.GOOS, exec.LookPath)
	if n == nil {
		logger.Info("desktop notifications: no notifier on this system")
		return nil
	}
	return func(title, body string) {
		if err := n.Notify(context.Background(), title, body); err != nil {
			logger.Warn("desktop notification failed", "err", err)
		}
	}
}

package notify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindNone(t *testing.T) {
	none := func(string) (string, error) { return "", errors.New("not found") }
	for _, goos := range []string{"linux", "darwin", "freebsd", "windows"} {
		if n := Find(goos, none); n != nil {
			t.Errorf("%s: found a notifier with no command", goos)
		}
	}
	var n *Notifier
	if err := n.Notify(context.Background(), "t", "b"); err != nil {
		t.Errorf("nil notifier: %v", err)
	}
}

// A fake notify-send records its arguments: the title and body arrive as
// plain arguments after "--", cleaned of control characters.
func TestNotifySend(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	// out is quoted for the shell: TMPDIR may hold spaces or quotes.
	quoted := "'" + strings.ReplaceAll(out, "'", `'\''`) + "'"
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + quoted + "\n"
	bin := filepath.Join(dir, "notify-send")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	look := func(name string) (string, error) {
		if name == "notify-send" {
			return bin, nil
		}
		return "", errors.New("no")
	}
	n := Find("linux", look)
	if n == nil {
		t.Fatal("notify-send not found")
	}
	if err := n.Notify(context.Background(), "tokentop alert", "--help \x1b[2JBTC rose\nabove $70,000"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "--app-name=tokentop\n--\ntokentop alert\n--help  [2JBTC rose above $70,000\n"
	if string(got) != want {
		t.Errorf("args:\n%q\nwant\n%q", got, want)
	}
}

func TestNotifyFailureIsAnError(t *testing.T) {
	n := &Notifier{path: "/nonexistent/notify-send", args: func(a, b string) []string { return nil }}
	if err := n.Notify(context.Background(), "t", "b"); err == nil {
		t.Error("want an error from a missing command")
	}
}

func TestAppleString(t *testing.T) {
	n := Find("darwin", func(string) (string, error) { return "/usr/bin/osascript", nil })
	args := n.args(`say "hi"`, `a\b`)
	if got := strings.Join(args, " "); got != `-e display notification "a\\b" with title "say \"hi\""` {
		t.Errorf("args = %s", got)
	}
}

func TestClean(t *testing.T) {
	if got := Clean("ab\x07c\u202edé", 4); got != "ab c…" {
		t.Errorf("Clean = %q", got)
	}
}

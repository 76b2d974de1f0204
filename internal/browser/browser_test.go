package browser

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func found(name string) (string, error) { return "/usr/bin/" + name, nil }

func missing(string) (string, error) { return "", errors.New("not found") }

func TestFind(t *testing.T) {
	cases := []struct {
		goos   string
		env    map[string]string
		look   func(string) (string, error)
		opener string
		why    string
	}{
		{"linux", map[string]string{"DISPLAY": ":0"}, found, "xdg-open", ""},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, found, "xdg-open", ""},
		{"freebsd", map[string]string{"DISPLAY": ":0"}, found, "xdg-open", ""},
		{"darwin", map[string]string{}, found, "open", ""},
		{"linux", map[string]string{}, found, "", "no desktop (DISPLAY and WAYLAND_DISPLAY are not set)"},
		{"linux", map[string]string{"DISPLAY": ":0", "SSH_CONNECTION": "1.2.3.4 5 6.7.8.9 22"}, found, "", "over SSH"},
		{"darwin", map[string]string{"SSH_TTY": "/dev/pts/1"}, found, "", "over SSH"},
		{"linux", map[string]string{"DISPLAY": ":0"}, missing, "", "xdg-open not found"},
		{"windows", map[string]string{}, found, "", "no browser opener on windows"},
	}
	for _, c := range cases {
		o, why := Find(c.goos, env(c.env), c.look)
		name := ""
		if o != nil {
			name = o.Name()
		}
		if name != c.opener || why != c.why {
			t.Errorf("Find(%s, %v) = %q, %q; want %q, %q", c.goos, c.env, name, why, c.opener, c.why)
		}
	}
}

// A fake opener (a shell script) records its arguments and writes to its
// output, which must go nowhere.
func TestOpenRunsTheOpenerQuietly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake opener is a shell script")
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "args")
	script := filepath.Join(dir, "xdg-open")
	body := "#!/bin/sh\necho \"$@\" > " + rec + "\necho noise\necho noise >&2\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	o := &Opener{path: script, name: "xdg-open"}
	const u = "https://www.binance.com/en/trade/BTC_USDT?type=spot"
	if err := o.Open(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(rec)
	if err != nil || strings.TrimSpace(string(got)) != u {
		t.Fatalf("opener got %q, %v", got, err)
	}
	for _, bad := range []string{"-e foo", "http://x.example/", "https://x.example/\x1b[2J", "file:///etc/passwd"} {
		if err := o.Open(context.Background(), bad); err == nil {
			t.Errorf("Open(%q) ran the opener", bad)
		}
	}
	fail := filepath.Join(dir, "fail")
	if err := os.WriteFile(fail, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := (&Opener{path: fail, name: "xdg-open"}).Open(context.Background(), u); err == nil ||
		!strings.HasPrefix(err.Error(), "xdg-open failed: exit status 3") {
		t.Fatalf("a failing opener: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Open(ctx, u); err == nil {
		t.Fatal("Open ran with a cancelled context")
	}
}

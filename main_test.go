package main

import (
	"context"
	"fmt"
	"net"

	"github.com/tokentop/tokentop/feeds/feedtest"
	"slices"

	"bytes"
	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/ui"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokentop/tokentop/internal/termtest"
)

// binary is the tokentop binary built once for every test in this file.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tokentop-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tokentop")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("go build: " + err.Error())
	}
	hermeticEnv(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hermeticEnv keeps the tests off the user's files and the developer's
// shell: every run of the binary (and every tmux server that starts one)
// gets a home, config and data directory of its own under dir unless a
// test sets its own, and no variable tokentop (or a terminal, or a desktop
// notifier) reads leaks in. It runs after the build, which needs the real
// HOME to find Go's caches.
func hermeticEnv(dir string) {
	for _, kv := range [][2]string{
		{"HOME", "home"}, {"XDG_CONFIG_HOME", "config"}, {"XDG_DATA_HOME", "data"},
		{"XDG_CACHE_HOME", "cache"}, {"XDG_STATE_HOME", "state"},
	} {
		p := filepath.Join(dir, kv[1])
		if err := os.MkdirAll(p, 0o700); err != nil {
			panic(err)
		}
		if err := os.Setenv(kv[0], p); err != nil {
			panic(err)
		}
	}
	for _, k := range []string{"NO_COLOR", "COLORTERM", "CLICOLOR", "CLICOLOR_FORCE",
		"COINGECKO_API_KEY", "TOKENMETRICS_API_KEY", "TMUX", "TMUX_PANE",
		"DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"} {
		if err := os.Unsetenv(k); err != nil {
			panic(err)
		}
	}
}

// runBinary runs tokentop to completion with no terminal and returns its
// stdout, stderr and exit code.
func runBinary(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestBadInputExitsTwoWithOneLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badRange := write("range.toml", "theme = \"dark\"\n\n[ui]\nrefresh_hz = 0\n")
	unknown := write("unknown.toml", "[ui]\nrefrsh_hz = 10\n")
	syntax := write("syntax.toml", "[ui\nrefresh_hz = 10\n")
	cases := []struct {
		name string
		args []string
		want []string // substrings of the one line
	}{
		{"unknown flag", []string{"--bogus"}, []string{"bogus"}},
		{"bad speed", []string{"--demo", "--demo-speed", "0"}, []string{"--demo-speed", "0.1"}},
		{"bad tokens", []string{"--demo", "--demo-tokens", "501"}, []string{"--demo-tokens", "500"}},
		{"no tokens", []string{"--demo", "--demo-tokens", "0"}, []string{"--demo-tokens", "1 and 500"}},
		{"stray argument", []string{"nonsense"}, []string{"nonsense"}},
		{"range", []string{"--demo", "--config", badRange}, []string{badRange + ":4", "ui.refresh_hz"}},
		{"unknown key", []string{"--demo", "--config", unknown}, []string{unknown, "refrsh_hz"}},
		{"syntax", []string{"--demo", "--config", syntax}, []string{syntax, ":1"}},
		{"missing explicit config", []string{"--demo", "--config", filepath.Join(dir, "nope.toml")}, []string{"nope.toml"}},
		{"unknown theme", []string{"--demo", "--theme", "nosuch"}, []string{"nosuch"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runBinary(t, []string{"XDG_CONFIG_HOME=" + dir}, c.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout must stay empty (terminal untouched), got %q", stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
				t.Errorf("want exactly one line on stderr, got %q", stderr)
			}
			if strings.ContainsRune(stderr, '\x1b') {
				t.Errorf("escape sequence in error: %q", stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	out, _, code := runBinary(t, nil, "--version")
	if code != 0 || !strings.HasPrefix(out, "tokentop ") {
		t.Errorf("--version: code %d, out %q", code, out)
	}
	out, _, code = runBinary(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "--demo") || !strings.Contains(out, "--demo-speed") || !strings.Contains(out, "--demo-tokens") {
		t.Errorf("--help: code %d, out %q", code, out)
	}
}

// rowSymbol finds the symbol in the table row of the given rank: a line
// whose first field is the rank.
func rowSymbol(screen string, rank string) string {
	re := regexp.MustCompile(`(?m)^\W*` + rank + `\s+([A-Z0-9]{2,10})\s`)
	m := re.FindStringSubmatch(screen)
	if m == nil {
		return ""
	}
	return m[1]
}

// cursorRank is the rank in the table row under the cursor ("▸").
func cursorRank(screen string) string {
	m := regexp.MustCompile(`(?m)^\s*▸\D*?(\d+)\s+[A-Z0-9]{2,10}\s`).FindStringSubmatch(screen)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestEndToEnd runs the built binary in a pseudo-terminal (tmux) on the
// demo market and drives it the way a user would.
func TestEndToEnd(t *testing.T) {
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir(), "NO_COLOR="}
	term := termtest.Start(t, 120, 40, env, binary, "--demo", "--seed", "7")
	const wait = 10 * time.Second

	// The table, with the largest caps and the DEMO label, once the back
	// history is in (the feed is live): before that the rows are still
	// arriving, largest first.
	screen := term.WaitFor("the table", wait, func(s string) bool {
		return strings.Contains(s, "BTC") && strings.Contains(s, "ETH") && strings.Contains(s, "DEMO") &&
			strings.Contains(s, "demo live")
	})
	third := rowSymbol(screen, "3")
	if third == "" {
		t.Fatalf("no row ranked 3 on screen:\n%s", screen)
	}

	// Move down twice and open the detail pane of the third token. Each
	// key waits for the cursor: two keys read at once ("jj") are one
	// message that is no key at all.
	for _, rank := range []string{"2", "3"} {
		term.Keys("j")
		term.WaitFor("the cursor on row "+rank, wait, func(s string) bool { return cursorRank(s) == rank })
	}
	term.Keys("Enter")
	term.WaitFor("detail of "+third, wait, func(s string) bool {
		return strings.Contains(s, "24h high") && strings.Contains(s, third)
	})
	term.Keys("Escape")
	term.WaitFor("detail closed", wait, func(s string) bool { return !strings.Contains(s, "24h high") })

	// Search narrows the table; esc clears.
	term.Keys("/")
	term.Type("sol")
	term.WaitFor("filtered table", wait, func(s string) bool {
		return strings.Contains(s, "SOL") && rowSymbol(s, "1") == ""
	})
	term.Keys("Escape")
	term.WaitFor("filter cleared", wait, func(s string) bool { return rowSymbol(s, "1") == "BTC" })

	// Full help, then close it.
	term.Keys("?")
	term.WaitText("quit", wait)
	term.Keys("?")

	// A resize re-renders to fit.
	term.Resize(80, 24)
	term.WaitFor("80x24 layout", wait, func(s string) bool {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		return len(lines) <= 24 && strings.Contains(s, "BTC")
	})

	// q quits and restores the terminal: the shell's line is visible again.
	term.Keys("q")
	screen = term.WaitText("EXIT:", wait)
	if !strings.Contains(screen, "EXIT:0") {
		t.Fatalf("tokentop did not exit cleanly:\n%s", screen)
	}
	if strings.Contains(screen, "DEMO") {
		t.Errorf("the dashboard is still on screen after quitting (alt screen not restored):\n%s", screen)
	}
}

// TestDashboardDrawsInColour: in a true-colour terminal the dashboard
// draws its theme's colours, and with the mono theme none. (The renderer
// draws through a wrapper of stdout, behind which lipgloss sees no terminal
// and would choose no colour at all.)
func TestDashboardDrawsInColour(t *testing.T) {
	colour := regexp.MustCompile(`\x1b\[[0-9;]*[34]8;[25];`)
	for _, c := range []struct {
		theme string
		want  bool
	}{{"dark", true}, {"mono", false}} {
		// CI= : termenv takes any CI variable for "not a terminal".
		env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir(), "NO_COLOR=", "CI=",
			"COLORTERM=truecolor"}
		term := termtest.Start(t, 100, 24, env, binary, "--demo", "--theme", c.theme)
		term.WaitFor("the table", 10*time.Second, func(s string) bool { return strings.Contains(s, "BTC") })
		if got := colour.MatchString(term.ScreenANSI()); got != c.want {
			t.Errorf("theme %s: colour drawn %v, want %v:\n%q", c.theme, got, c.want, term.ScreenANSI())
		}
	}
}

func TestNoColorSelectsMonoUnlessAThemeIsGiven(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	env := func(noColor string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return noColor
			}
			return ""
		}
	}
	cases := []struct {
		args    []string
		noColor string
		want    string
	}{
		{[]string{"--demo"}, "", "dark"},
		{[]string{"--demo"}, "1", "mono"},
		{[]string{"--demo", "--theme", "light"}, "1", "light"},
		{[]string{"--demo", "--theme", "high-contrast"}, "", "high-contrast"},
	}
	for _, c := range cases {
		s, err := resolve(c.args, env(c.noColor))
		if err != nil {
			t.Fatalf("%v NO_COLOR=%q: %v", c.args, c.noColor, err)
		}
		if s.theme.Name != c.want {
			t.Errorf("%v NO_COLOR=%q: theme %q, want %q", c.args, c.noColor, s.theme.Name, c.want)
		}
	}
}

func TestFlagsOverrideConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(cfg, []byte("[demo]\nseed = 5\nspeed = 2.0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := resolve([]string{"--demo", "--config", cfg, "--seed", "9"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Demo.Seed != 9 || s.cfg.Demo.Speed != 2 {
		t.Errorf("seed %d speed %v, want 9 (flag) and 2 (config)", s.cfg.Demo.Seed, s.cfg.Demo.Speed)
	}
	if err := os.WriteFile(cfg, []byte("[demo]\ntokens = 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = resolve([]string{"--demo", "--config", cfg}, func(string) string { return "" })
	if err != nil || s.cfg.Demo.Tokens != 100 {
		t.Fatalf("tokens %d from the config (%v), want 100", s.cfg.Demo.Tokens, err)
	}
	s, err = resolve([]string{"--demo", "--config", cfg, "--demo-tokens", "500"}, func(string) string { return "" })
	if err != nil || s.cfg.Demo.Tokens != 500 {
		t.Fatalf("tokens %d with --demo-tokens 500 (%v)", s.cfg.Demo.Tokens, err)
	}
}

// The config's sort names and the table's sort keys must be the same set,
// or a valid config could ask for a sort the table does not know.
func TestConfigSortNamesMatchTheTable(t *testing.T) {
	cfg, tbl := config.SortColumns(), ui.SortKeys()
	slices.Sort(cfg)
	slices.Sort(tbl)
	if !slices.Equal(cfg, tbl) {
		t.Errorf("config sort names %v, table sort keys %v", cfg, tbl)
	}
}

// TestEndToEndLiveFeed runs the built binary against a local fake Binance
// (a websocket server replaying the fixture session and a REST server
// answering klines) and reads the prices it sent off the screen.
func TestEndToEndLiveFeed(t *testing.T) {
	termtest.Require(t)
	lines := feedtest.Lines(t, "binance/session_combined.jsonl")
	ws := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.SendAll(ctx, lines) == nil {
			c.Stall(ctx)
		}
	})
	rest := feedtest.NewRESTServer(t)
	rest.Route("/api/v3/klines", feedtest.Response{Body: feedtest.Fixture(t, "binance/klines_rest.json")})

	dir := t.TempDir()
	cfg := filepath.Join(dir, "live.toml")
	body := fmt.Sprintf(`[feed]
sources = ["binance"]
symbols = ["BTC", "ETH", "SOL"]
metadata = false
[feed.binance]
ws_url = %q
rest_url = %q
[keys]
trade = ["T"]
`, ws.URL, rest.URL)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "debug.log")
	data := t.TempDir()
	// No desktop (SSH_CONNECTION set): the trade key, rebound to T in
	// [keys], shows the link.
	term := termtest.Start(t, 120, 30, []string{"XDG_CONFIG_HOME=" + dir, "XDG_DATA_HOME=" + data,
		"SSH_CONNECTION=127.0.0.1 50000 127.0.0.1 22"}, binary, "--config", cfg, "--log", logPath)
	// The session's last BTC price (a kline close) and the feed's state.
	screen := term.WaitFor("the fake exchange's prices", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "105,240.12") && strings.Contains(s, "binance live") && strings.Contains(s, "SOL")
	})
	if strings.Contains(screen, "DEMO") {
		t.Errorf("a live feed is labelled DEMO:\n%s", screen)
	}
	term.Keys("T")
	term.WaitFor("the trade link", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Trade BTC on Binance: https://www.binance.com/en/trade/BTC_USDT?type=spot") &&
			strings.Contains(s, "BTC on Binance: link in the detail pane (over SSH)")
	})
	if rest.Hits("/api/v3/klines") == 0 {
		t.Error("no history was fetched over REST")
	}
	term.Keys("q")
	if s := term.WaitText("EXIT:", 10*time.Second); !strings.Contains(s, "EXIT:0") {
		t.Fatalf("did not exit cleanly:\n%s", s)
	}
	log, err := os.ReadFile(logPath)
	if err != nil || !strings.Contains(string(log), "tokentop starting") {
		t.Errorf("debug log missing or empty (%v): %q", err, log)
	}

	// Warm start: with the exchange gone, a restart on the same data still
	// shows the market from the cache saved at quit, marked as cached.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	down := filepath.Join(dir, "down.toml")
	body = fmt.Sprintf("[feed]\nsources = [\"binance\"]\nsymbols = [\"BTC\", \"ETH\", \"SOL\"]\nmetadata = false\n"+
		"[feed.binance]\nws_url = \"ws://%s\"\nrest_url = \"http://%s\"\n", addr, addr)
	if err := os.WriteFile(down, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	term = termtest.Start(t, 120, 30, []string{"XDG_CONFIG_HOME=" + dir, "XDG_DATA_HOME=" + data}, binary, "--config", down)
	term.WaitFor("the cached market", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "105,240.12") && strings.Contains(s, "SOL") && strings.Contains(s, "3 from cache")
	})
	term.Keys("q")
	if s := term.WaitText("EXIT:", 10*time.Second); !strings.Contains(s, "EXIT:0") {
		t.Fatalf("did not exit cleanly:\n%s", s)
	}
}

// TestUnreachableExchangeSaysSo: with no exchange to reach, the screen
// says so in words and suggests --demo, rather than staying empty.
func TestUnreachableExchangeSaysSo(t *testing.T) {
	termtest.Require(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "down.toml")
	// A port nothing listens on: take one, then close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	body := fmt.Sprintf("[feed]\nmetadata = false\n[feed.binance]\nws_url = \"ws://%s\"\nrest_url = \"http://%s\"\n", addr, addr)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	term := termtest.Start(t, 120, 30, []string{"XDG_CONFIG_HOME=" + dir, "XDG_DATA_HOME=" + t.TempDir()}, binary, "--config", cfg)
	term.WaitFor("an explanation", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "Cannot get market data from binance") && strings.Contains(s, "tokentop --demo")
	})
	term.Keys("q")
	if s := term.WaitText("EXIT:", 10*time.Second); !strings.Contains(s, "EXIT:0") {
		t.Fatalf("did not exit cleanly:\n%s", s)
	}
}

// tableRanks returns the ranks of the table rows on screen, top to
// bottom (a row: optional cursor marks, the rank, the symbol).
func tableRanks(screen string) []int {
	var ranks []int
	for _, m := range tableRow.FindAllStringSubmatch(screen, -1) {
		n := 0
		fmt.Sscan(m[1], &n)
		ranks = append(ranks, n)
	}
	return ranks
}

var tableRow = regexp.MustCompile(`(?m)^\W{0,6}?(\d{1,3}) +[A-Z0-9]{2,10} `)

// wholeTable reports whether the screen is the table at w x h and nothing
// else: the tab bar on the first row, the status bar on the last, at least
// min rows ranked 1, 2, 3, … in order, blank rows between the table and
// the help line, and no character of another view left over (the detail
// chart draws braille, the table never does).
func wholeTable(screen string, w, h, min int) bool {
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	for len(lines) < h {
		lines = append(lines, "") // capture-pane leaves out blank rows at the bottom
	}
	if len(lines) != h || !strings.Contains(lines[0], "[Markets]") || !strings.Contains(lines[h-1], "DEMO") {
		return false
	}
	for _, l := range lines {
		if len([]rune(l)) > w || strings.ContainsFunc(l, func(r rune) bool { return r >= 0x2800 && r <= 0x28ff }) {
			return false
		}
	}
	ranks := tableRanks(screen)
	if len(ranks) < min {
		return false
	}
	for i, r := range ranks {
		if r != i+1 {
			return false
		}
	}
	for _, l := range lines[2+len(ranks) : h-2] {
		if strings.TrimSpace(l) != "" {
			return false
		}
	}
	return !strings.Contains(screen, "24h high") && !strings.Contains(screen, "Recent trades")
}

// TestEndToEndScreen: the default renderer writes only the cells that
// change; after the detail pane opens beside the table and closes, after
// resizes down and up, and after quitting, the terminal shows exactly the
// screen it should, with no cell of an earlier one left over.
func TestEndToEndScreen(t *testing.T) {
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir(), "NO_COLOR="}
	term := termtest.Start(t, 200, 60, env, binary, "--demo", "--seed", "3")
	const wait = 10 * time.Second
	// 46 tokens: the table leaves 10 blank rows above the help line.
	term.WaitFor("the whole table at 200x60", wait, func(s string) bool { return wholeTable(s, 200, 60, 46) })
	if !term.AltScreen() || term.CursorVisible() {
		t.Errorf("running: alternate screen %v, cursor visible %v; want the alternate screen and no cursor", term.AltScreen(), term.CursorVisible())
	}

	// The detail pane opens beside the table, over the blank rows too,
	// and closes.
	term.Keys("Enter")
	term.WaitFor("the detail pane beside the table", wait, func(s string) bool {
		return strings.Contains(s, "24h high") && strings.Contains(s, "Recent trades") && len(tableRanks(s)) > 10
	})
	term.Keys("Escape")
	term.WaitFor("the table alone again, nothing of the pane left", wait, func(s string) bool { return wholeTable(s, 200, 60, 46) })

	// Resizes: smaller, then larger than the first size.
	term.Resize(90, 24)
	term.WaitFor("the whole table at 90x24", wait, func(s string) bool { return wholeTable(s, 90, 24, 15) })
	term.Resize(220, 64)
	term.WaitFor("the whole table at 220x64", wait, func(s string) bool { return wholeTable(s, 220, 64, 46) })

	// The help covers the screen, then leaves it.
	term.Keys("?")
	term.WaitFor("the help", wait, func(s string) bool { return len(tableRanks(s)) == 0 && strings.Contains(s, "quit") })
	term.Keys("?")
	term.WaitFor("the table alone again, nothing of the help left", wait, func(s string) bool { return wholeTable(s, 220, 64, 46) })

	// Quit: the alternate screen is left and the cursor is back. (What
	// the shell's screen shows is checked in TestEndToEndQuitLeavesNoTrace:
	// after a shrink and a grow on the alternate screen, tmux 3.3a brings
	// rows of the alternate screen back into the normal one, whatever the
	// program writes; Bubble Tea's own renderer shows the same.)
	term.Keys("q")
	screen := term.WaitText("EXIT:", wait)
	if !strings.Contains(screen, "EXIT:0") {
		t.Fatalf("tokentop did not exit cleanly:\n%s", screen)
	}
	if term.AltScreen() {
		t.Error("still on the alternate screen after quitting")
	}
	if !term.CursorVisible() {
		t.Error("the cursor is hidden after quitting")
	}
}

// TestEndToEndQuitLeavesNoTrace: after the table, the detail pane and the
// help, quitting gives the shell back its screen and cursor, with nothing
// of the dashboard left on it.
func TestEndToEndQuitLeavesNoTrace(t *testing.T) {
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir(), "NO_COLOR="}
	term := termtest.Start(t, 120, 40, env, binary, "--demo", "--seed", "3")
	const wait = 10 * time.Second
	term.WaitFor("the table", wait, func(s string) bool { return len(tableRanks(s)) > 10 })
	term.Keys("Enter")
	term.WaitFor("the detail pane", wait, func(s string) bool { return strings.Contains(s, "24h high") })
	term.Keys("Escape")
	term.WaitFor("the table alone", wait, func(s string) bool { return !strings.Contains(s, "24h high") })
	term.Keys("?")
	term.WaitFor("the help", wait, func(s string) bool { return len(tableRanks(s)) == 0 && strings.Contains(s, "quit") })
	term.Keys("?")
	term.WaitFor("the table again", wait, func(s string) bool { return len(tableRanks(s)) > 10 })
	term.Keys("q")
	screen := term.WaitText("EXIT:", wait)
	if !strings.Contains(screen, "EXIT:0") {
		t.Fatalf("tokentop did not exit cleanly:\n%s", screen)
	}
	if strings.Contains(screen, "DEMO") || strings.Contains(screen, "[Markets]") || len(tableRanks(screen)) > 0 {
		t.Errorf("the dashboard is still on screen after quitting:\n%s", screen)
	}
	if term.AltScreen() {
		t.Error("still on the alternate screen after quitting")
	}
	if !term.CursorVisible() {
		t.Error("the cursor is hidden after quitting")
	}
}

// TestEndToEndLinesRenderer: [ui] renderer = "lines" (Bubble Tea's
// renderer) still draws, takes keys and restores the terminal.
func TestEndToEndLinesRenderer(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tokentop"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokentop", "config.toml"), []byte("[ui]\nrenderer = \"lines\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	term := termtest.Start(t, 120, 30, []string{"XDG_CONFIG_HOME=" + dir, "XDG_DATA_HOME=" + t.TempDir()}, binary, "--demo")
	const wait = 10 * time.Second
	term.WaitFor("the whole table", wait, func(s string) bool { return wholeTable(s, 120, 30, 20) })
	term.Keys("Enter")
	term.WaitText("24h high", wait)
	term.Keys("q")
	if s := term.WaitText("EXIT:", wait); !strings.Contains(s, "EXIT:0") || term.AltScreen() || !term.CursorVisible() {
		t.Fatalf("not restored (alternate screen %v, cursor %v):\n%s", term.AltScreen(), term.CursorVisible(), s)
	}
}

// pidOf finds the process whose command line has every one of args (read
// from /proc; the end-to-end tests run on Linux).
func pidOf(t *testing.T, args ...string) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue
		}
		cmd := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(cmd) == 0 || cmd[0] != binary {
			continue
		}
		if all := func() bool {
			for _, a := range args {
				if !slices.Contains(cmd, a) {
					return false
				}
			}
			return true
		}(); all {
			var pid int
			fmt.Sscan(filepath.Base(d), &pid)
			return pid
		}
	}
	return 0
}

// TestEndToEndSignalRestores: SIGTERM and SIGINT end the dashboard with
// the terminal restored.
func TestEndToEndSignalRestores(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc to find the process")
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			data := t.TempDir() // also tells this run's process apart
			term := termtest.Start(t, 100, 30, []string{"XDG_CONFIG_HOME=" + t.TempDir()}, binary, "--demo", "--data-dir", data)
			const wait = 10 * time.Second
			term.WaitFor("the table", wait, func(s string) bool { return wholeTable(s, 100, 30, 20) })
			pid := pidOf(t, "--data-dir", data)
			if pid == 0 {
				t.Fatal("the process is not found")
			}
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
			screen := term.WaitText("EXIT:", wait)
			if strings.Contains(screen, "DEMO") || term.AltScreen() || !term.CursorVisible() {
				t.Errorf("not restored after %v (alternate screen %v, cursor %v):\n%s", sig, term.AltScreen(), term.CursorVisible(), screen)
			}
		})
	}
}

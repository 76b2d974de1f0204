package main

import (
	"context"
	"fmt"
	"net"

	"bytes"
	"encoding/csv"
	"encoding/json"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// ratingsConfig writes a small config (12 tokens) so runs are quick, and
// returns its path.
func ratingsConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("[demo]\ntokens = 12\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runRatingsCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := ratingsMain(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func printable(s string) bool {
	for _, r := range s {
		if r != '\n' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func TestRatingsDeterministic(t *testing.T) {
	cfg := ratingsConfig(t)
	for _, format := range [][]string{nil, {"--json"}, {"--csv"}} {
		args := append([]string{"--demo", "--seed", "7", "--for", "3m", "--config", cfg}, format...)
		a, stderr, code := runRatingsCmd(t, args...)
		if code != 0 || stderr != "" {
			t.Fatalf("%v: exit %d, %s", args, code, stderr)
		}
		b, _, _ := runRatingsCmd(t, args...)
		if a != b {
			t.Errorf("%v: two runs differ:\n%s\n---\n%s", format, a, b)
		}
		if !printable(a) {
			t.Errorf("%v: output has control characters", format)
		}
		// Another seed is another market.
		other := append([]string{"--demo", "--seed", "8", "--for", "3m", "--config", cfg}, format...)
		c, _, _ := runRatingsCmd(t, other...)
		if c == a {
			t.Errorf("%v: seeds 7 and 8 print the same", format)
		}
	}
}

func TestRatingsText(t *testing.T) {
	out, _, code := runRatingsCmd(t, "--demo", "--for", "1m", "--config", ratingsConfig(t))
	if code != 0 {
		t.Fatal(code)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "tokentop ratings · simulated market, seed 1 · 2026-11-02 14:31:00 UTC market time · 12 tokens") {
		t.Errorf("title %q", lines[0])
	}
	if !strings.HasPrefix(strings.TrimLeft(lines[1], " "), "#  Symbol  Name") || !strings.HasSuffix(lines[1], "Trader  Investor  Signal") {
		t.Errorf("header %q", lines[1])
	}
	if len(lines) < 14 || !strings.Contains(lines[2], " BTC ") || !strings.Contains(lines[2], "112,") {
		t.Fatalf("table:\n%s", out)
	}
	// Aligned: every row's last column (the signal, left-aligned, not
	// padded) starts where the header's does.
	start := func(l string) int {
		return utf8.RuneCountInString(l) - utf8.RuneCountInString(l[strings.LastIndexByte(l, ' ')+1:])
	}
	for _, l := range lines[2:14] {
		if start(l) != start(lines[1]) {
			t.Errorf("row not aligned with the header:\n%s\n%s", lines[1], l)
		}
	}
}

func TestRatingsJSON(t *testing.T) {
	out, _, code := runRatingsCmd(t, "--demo", "--for", "2m", "--json", "--config", ratingsConfig(t))
	if code != 0 {
		t.Fatal(code)
	}
	var rep struct {
		Time   string `json:"time"`
		Seed   int64  `json:"seed"`
		Tokens []struct {
			Rank        int      `json:"rank"`
			Symbol      string   `json:"symbol"`
			Price       *float64 `json:"price"`
			Change7d    *float64 `json:"change_7d"`
			TraderGrade struct {
				Value   *float64 `json:"value"`
				Band    *string  `json:"band"`
				Reason  string   `json:"reason"`
				Factors []struct {
					Name         string   `json:"name"`
					Weight       *float64 `json:"weight"`
					Contribution *float64 `json:"contribution"`
				} `json:"factors"`
			} `json:"trader_grade"`
			Signal *string `json:"signal"`
		} `json:"tokens"`
		Moonshots []json.RawMessage `json:"moonshots"`
		Track     struct {
			Picks int `json:"picks"`
		} `json:"track_record"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON does not parse back: %v\n%s", err, out)
	}
	if rep.Time != "2026-11-02T14:32:00Z" || rep.Seed != 1 || len(rep.Tokens) != 12 || rep.Moonshots == nil {
		t.Fatalf("report %+v", rep)
	}
	graded := 0
	for _, tk := range rep.Tokens {
		if tk.Symbol == "" || tk.Price == nil || *tk.Price <= 0 {
			t.Errorf("token %+v", tk)
		}
		g := tk.TraderGrade
		if g.Value == nil {
			if g.Reason == "" || tk.Signal != nil || g.Band != nil {
				t.Errorf("%s: absent grade without a reason, or with a signal", tk.Symbol)
			}
			continue
		}
		graded++
		if *g.Value < 0 || *g.Value > 100 || g.Band == nil || tk.Signal == nil || len(g.Factors) == 0 {
			t.Errorf("%s: grade %+v", tk.Symbol, g)
		}
		// The factors add up to the grade.
		sum := 0.0
		for _, f := range g.Factors {
			if f.Contribution != nil {
				sum += *f.Contribution
			}
		}
		if math.Abs(sum-*g.Value) > 0.01 {
			t.Errorf("%s: factors add to %v, grade %v", tk.Symbol, sum, *g.Value)
		}
	}
	if graded == 0 {
		t.Error("no token has a Trader Grade")
	}
	// Unknown numbers are null, never NaN (which would not parse).
	if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
		t.Error("NaN or Inf in JSON")
	}
}

func TestRatingsCSV(t *testing.T) {
	out, _, code := runRatingsCmd(t, "--demo", "--for", "1m", "--csv", "--limit", "5", "--sort", "trader_grade", "--config", ratingsConfig(t))
	if code != 0 {
		t.Fatal(code)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 || strings.Join(recs[0], ",") != "rank,symbol,name,price,change_1h,change_24h,change_7d,volume_24h,market_cap,trader_grade,investor_grade,signal" {
		t.Fatalf("csv:\n%s", out)
	}
	// Sorted by Trader Grade, largest first, unknown (empty) last.
	prev := math.Inf(1)
	for _, r := range recs[1:] {
		if r[9] == "" {
			prev = math.Inf(-1)
			continue
		}
		var g float64
		if err := json.Unmarshal([]byte(r[9]), &g); err != nil || g > prev {
			t.Errorf("trader_grade %q after %v", r[9], prev)
		}
		prev = g
	}
}

func TestRatingsUsageErrors(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no config file: the defaults
	for _, args := range [][]string{
		{"--bogus"},
		{"--demo", "--for", "soon"},
		{"--demo", "--for", "-1m"},
		{"--demo", "--for", "200h"},
		{"--demo", "--json", "--csv"},
		{"--demo", "--sort", "Price"},
		{"--demo", "--limit", "-1"},
		{"--demo", "--demo-speed", "0"},
		{"--demo", "extra"},
		{"--demo", "--sort", "\x1b[2J"},
		{"--demo", "--config", filepath.Join(t.TempDir(), "missing.toml")},
	} {
		out, stderr, code := runRatingsCmd(t, args...)
		if code != 2 || out != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "tokentop ratings: ") || !printable(stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, stderr)
		}
	}
	// A bad config file is a usage error naming file, line and key.
	bad := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(bad, []byte("[ratings]\nstop_loss = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runRatingsCmd(t, "--demo", "--config", bad)
	if code != 2 || !strings.Contains(stderr, "bad.toml:2: ratings.stop_loss: ") {
		t.Errorf("bad config: %d %q", code, stderr)
	}
	// Live with nothing to reach (a closed localhost port; tests never touch
	// the internet): one line saying so, exit 1.
	down := unreachableLiveConfig(t)
	_, stderr, code = runRatingsCmd(t, "--config", down, "--for", "1s")
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "no market data in 1s") ||
		!strings.Contains(stderr, "try --demo") || !printable(stderr) {
		t.Errorf("live, unreachable: %d %q", code, stderr)
	}
	out, _, code := runRatingsCmd(t, "--help")
	if code != 0 || !strings.Contains(out, "--for D") {
		t.Errorf("help: %d %q", code, out)
	}
}

// The subcommand is reachable through run (main's entry point).
func TestRatingsDispatch(t *testing.T) {
	stdout, stderr, code := runBinary(t, nil, "ratings", "--demo", "--for", "0s", "--limit", "3", "--csv", "--config", ratingsConfig(t))
	if code != 0 || strings.Count(stdout, "\n") != 4 || stderr != "" {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	_, _, code = runBinary(t, nil, "ratings", "--nope")
	if code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
}

// The command must recompute ratings along the run, as the dashboard's hub
// does: computed once at the end, every signal "flip" would carry the same
// time and no moonshot could be found, however long the run.
func TestRatingsRecomputeAlongTheRun(t *testing.T) {
	out, _, code := runRatingsCmd(t, "--demo", "--seed", "1", "--for", "30m", "--json", "--config", ratingsConfig(t))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Tokens []struct {
			SignalHistory []struct {
				Time string `json:"time"`
			} `json:"signal_history"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	times := map[string]bool{}
	for _, tok := range rep.Tokens {
		for _, f := range tok.SignalHistory {
			times[f.Time] = true
		}
	}
	if len(times) < 5 { // start and end alone give 2
		t.Errorf("signal flips at %d distinct times in 30 simulated minutes: ratings were not recomputed during the run", len(times))
	}
}

// unreachableLiveConfig points the live feed at a localhost port nothing
// listens on, with no metadata source.
func unreachableLiveConfig(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	path := filepath.Join(t.TempDir(), "down.toml")
	body := fmt.Sprintf("[feed]\nmetadata = false\n[feed.binance]\nws_url = \"ws://%s\"\nrest_url = \"http://%s\"\n", addr, addr)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Live mode against a local fake Binance: the table shows the prices the
// server sent, and says where they came from.
func TestRatingsLiveAgainstFakeExchange(t *testing.T) {
	lines := feedtest.Lines(t, "binance/session_combined.jsonl")
	ws := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.SendAll(ctx, lines) == nil {
			c.Stall(ctx)
		}
	})
	rest := feedtest.NewRESTServer(t)
	rest.Route("/api/v3/klines", feedtest.Response{Body: feedtest.Fixture(t, "binance/klines_rest.json")})
	path := filepath.Join(t.TempDir(), "live.toml")
	body := fmt.Sprintf("[feed]\nsymbols = [\"BTC\", \"ETH\", \"SOL\"]\nmetadata = false\n[feed.binance]\nws_url = %q\nrest_url = %q\n", ws.URL, rest.URL)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runRatingsCmd(t, "--config", path, "--for", "2s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"live: binance live", "BTC", "105,240.12", "ETH", "SOL"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runRatingsCmd(t, "--config", path, "--for", "2s", "--json")
	var rep struct {
		Demo    bool     `json:"demo"`
		Sources []string `json:"sources"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Demo || len(rep.Sources) != 1 {
		t.Errorf("live JSON: exit %d, demo %v, sources %v", code, rep.Demo, rep.Sources)
	}
}

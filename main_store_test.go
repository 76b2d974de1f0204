package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/internal/termtest"
)

const exportSample = `{
  "format": "tokentop-export",
  "version": 1,
  "exported": "2026-11-20T10:00:00Z",
  "watchlists": [
    {"name": "Main", "symbols": ["BTC", "ETH"]},
    {"name": "Small caps", "symbols": ["TIDE"]}
  ],
  "lots": [
    {"id": "lot-1", "symbol": "BTC", "quantity": 0.5, "cost": 61000, "opened": "2026-03-01T00:00:00Z", "note": "first buy"},
    {"id": "lot-2", "symbol": "ETH", "quantity": 4, "cost": 2500.25, "opened": "0001-01-01T00:00:00Z"}
  ],
  "alerts": [
    {"id": "al-1", "symbol": "BTC", "kind": "price_above", "price": 100000, "created": "2026-11-01T00:00:00Z"},
    {"id": "al-2", "symbol": "SOL", "kind": "move", "percent": 0.05, "window": "1h0m0s", "repeat": true, "cooldown": "30m0s", "created": "2026-11-01T00:00:00Z"},
    {"id": "al-3", "symbol": "", "kind": "moonshot", "created": "2026-11-01T00:00:00Z"}
  ]
}
`

// exported is the part of an export file that must survive a round trip.
type exported struct {
	Format     string            `json:"format"`
	Watchlists []json.RawMessage `json:"watchlists"`
	Lots       []json.RawMessage `json:"lots"`
	Alerts     []json.RawMessage `json:"alerts"`
}

func readExport(t *testing.T, data string) exported {
	t.Helper()
	var x exported
	if err := json.Unmarshal([]byte(data), &x); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, data)
	}
	return x
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExportImportRoundTrip(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	in := writeTemp(t, "in.json", exportSample)
	out, errOut, code := runBinary(t, nil, "import", "--data-dir", a, in)
	if code != 0 || !strings.Contains(out, "2 watchlists, 2 lots and 3 alerts") {
		t.Fatalf("import: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if fi, err := os.Stat(filepath.Join(a, "tokentop.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("store file: %v, mode %v (want 0600)", err, fi.Mode())
	}
	first, errOut, code := runBinary(t, nil, "export", "--data-dir", a)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	x := readExport(t, first)
	if x.Format != "tokentop-export" || len(x.Lots) != 2 || len(x.Alerts) != 3 {
		t.Fatalf("export lost records:\n%s", first)
	}
	for _, want := range []string{`"Small caps"`, `"first buy"`, `2500.25`, `"price_above"`, `"30m"`} {
		if !strings.Contains(first, want) {
			t.Errorf("export lacks %s:\n%s", want, first)
		}
	}
	// Through a file (-o) into a second store, replacing: the same records.
	file := filepath.Join(t.TempDir(), "x.json")
	if _, errOut, code := runBinary(t, nil, "export", "--data-dir", a, "-o", file); code != 0 {
		t.Fatalf("export -o: %s", errOut)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v (want mode 0600)", err)
	}
	if _, errOut, code := runBinary(t, nil, "import", "--data-dir", b, "--replace", file); code != 0 {
		t.Fatalf("import --replace: %s", errOut)
	}
	second, _, _ := runBinary(t, nil, "export", "--data-dir", b)
	y := readExport(t, second)
	for i := range x.Lots {
		if !bytes.Equal(x.Lots[i], y.Lots[i]) {
			t.Errorf("lot %d changed:\n%s\n%s", i, x.Lots[i], y.Lots[i])
		}
	}
	for i := range x.Alerts {
		if !bytes.Equal(x.Alerts[i], y.Alerts[i]) {
			t.Errorf("alert %d changed:\n%s\n%s", i, x.Alerts[i], y.Alerts[i])
		}
	}
	if len(x.Watchlists) != len(y.Watchlists) {
		t.Errorf("watchlists: %d then %d", len(x.Watchlists), len(y.Watchlists))
	}
}

func TestImportRejectsABadRecordAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := strings.Replace(exportSample, `"quantity": 4`, `"quantity": -4`, 1)
	in := writeTemp(t, "bad.json", bad)
	_, errOut, code := runBinary(t, nil, "import", "--data-dir", dir, in)
	if code != 1 || !strings.Contains(errOut, "lots[1]") || !strings.Contains(errOut, "quantity") ||
		!strings.Contains(errOut, "nothing was imported") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	out, _, code := runBinary(t, nil, "export", "--data-dir", dir)
	if code == 0 && strings.Contains(out, "lot-1") {
		t.Errorf("a rejected import wrote records:\n%s", out)
	}
	// Not JSON at all, and an escape sequence in a symbol: a clear line, no escapes.
	for _, body := range []string{"<html>", strings.Replace(exportSample, `"TIDE"`, `"\u001b[2J"`, 1)} {
		_, errOut, code = runBinary(t, nil, "import", "--data-dir", dir, writeTemp(t, "x.json", body))
		if code != 1 || strings.ContainsRune(errOut, 0x1b) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("import of %.20q: exit %d, stderr %q", body, code, errOut)
		}
	}
}

// A damaged store file is reported, with what to do, and left exactly as
// it was; the dashboard does not start on it.
func TestDamagedStoreIsLeftUntouched(t *testing.T) {
	dir := t.TempDir()
	junk := make([]byte, 64<<10)
	rand.Read(junk)
	path := filepath.Join(dir, "tokentop.db")
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	for _, args := range [][]string{{"--demo", "--data-dir", dir}, {"export", "--data-dir", dir}, {"import", "--data-dir", dir, writeTemp(t, "in.json", exportSample)}} {
		_, errOut, code := runBinary(t, nil, args...)
		if code != 1 || !strings.Contains(errOut, path) || !strings.Contains(errOut, "untouched") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	after, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if !bytes.Equal(after, junk) || !st.ModTime().Equal(before.ModTime()) {
		t.Error("the damaged store file was changed")
	}
}

// While one dashboard holds the store, export says it is in use (with the
// holder's pid) and a second dashboard runs but says it is not saving.
func TestSecondProcessSaysTheStoreIsInUse(t *testing.T) {
	termtest.Require(t)
	dir := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "NO_COLOR="}
	first := termtest.Start(t, 120, 30, env, binary, "--demo", "--data-dir", dir)
	first.WaitFor("the table", 10*time.Second, func(s string) bool { return strings.Contains(s, "BTC") })

	_, errOut, code := runBinary(t, nil, "export", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "in use by another tokentop (pid ") || !strings.Contains(errOut, "--data-dir") {
		t.Errorf("export while in use: exit %d, stderr %q", code, errOut)
	}

	second := termtest.Start(t, 120, 30, env, binary, "--demo", "--data-dir", dir)
	second.WaitFor("the not-saving notice", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "BTC") && strings.Contains(s, "in use by another tokentop")
	})
	second.Keys("q")
	if s := second.WaitText("EXIT:", 10*time.Second); !strings.Contains(s, "EXIT:0") {
		t.Errorf("second dashboard:\n%s", s)
	}
	first.Keys("q")
	if s := first.WaitText("EXIT:", 10*time.Second); !strings.Contains(s, "EXIT:0") {
		t.Errorf("first dashboard:\n%s", s)
	}
	// Both gone: the store opens again.
	if _, errOut, code := runBinary(t, nil, "export", "--data-dir", dir); code != 0 {
		t.Errorf("export after both quit: %s", errOut)
	}
}

// The end-to-end check: star a token, add a portfolio lot (after a
// rejected entry), create an alert that fires on the simulated market, quit,
// start again, and everything is there.
func TestYourDataStays(t *testing.T) {
	termtest.Require(t)
	dir := t.TempDir()
	env := []string{"XDG_CONFIG_HOME=" + t.TempDir(), "NO_COLOR="}
	const wait = 10 * time.Second
	term := termtest.Start(t, 120, 40, env, binary, "--demo", "--seed", "7", "--data-dir", dir)
	term.WaitFor("the table", wait, func(s string) bool { return rowSymbol(s, "1") == "BTC" })

	term.Keys("*")
	term.WaitText("BTC added to Watchlist", wait)

	// A lot: a non-number is refused beside its field and kept; then fixed.
	term.Keys("a")
	term.WaitText("Add lot", wait)
	term.Type("abc")
	term.Keys("C-s")
	s := term.WaitText("must be a number", wait)
	if !strings.Contains(s, "[abc") {
		t.Errorf("the refused entry was not kept:\n%s", s)
	}
	term.Keys("C-u")
	term.Type("0.5")
	term.Keys("C-s")
	term.WaitText("Lot added: 0.50000 BTC", wait)

	// An alert on BTC above $1: true at once, so it fires at the next snapshot.
	term.Keys("A")
	term.WaitText("New alert", wait)
	term.Keys("Tab", "Tab", "C-u")
	term.Type("1")
	term.Keys("C-s")
	term.WaitText("BTC rose above $1.00", wait)

	term.Keys("q")
	if s := term.WaitText("EXIT:", wait); !strings.Contains(s, "EXIT:0") {
		t.Fatalf("did not quit cleanly:\n%s", s)
	}

	// Start again on the same data.
	term = termtest.Start(t, 120, 40, env, binary, "--demo", "--seed", "7", "--data-dir", dir)
	term.WaitFor("the table", wait, func(s string) bool { return rowSymbol(s, "1") == "BTC" })
	term.Keys("Tab")
	term.WaitFor("BTC in the watchlist", wait, func(s string) bool {
		return strings.Contains(s, "[Watch (1)]") && strings.Contains(s, "★") && strings.Contains(s, "BTC")
	})
	term.Keys("Tab")
	term.WaitFor("the lot in the portfolio", wait, func(s string) bool {
		return strings.Contains(s, "[Portfolio (1)]") && strings.Contains(s, "0.5")
	})
	term.Keys("BTab", "BTab", "BTab") // back through Watch and Markets, round to Alerts
	s = term.WaitFor("the alert and its history", wait, func(s string) bool {
		return strings.Contains(s, "BTC price above $1") && strings.Contains(s, "BTC rose above $1.00")
	})
	term.Keys("q")
	if s := term.WaitText("EXIT:", wait); !strings.Contains(s, "EXIT:0") {
		t.Fatalf("did not quit cleanly:\n%s", s)
	}
}

// export and import take --user: an SSH user's records are theirs alone,
// and a user id that is not one is refused before the store is opened.
func TestExportImportPerUser(t *testing.T) {
	dir := t.TempDir()
	const alice = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
	in := writeTemp(t, "in.json", exportSample)
	out, errOut, code := runBinary(t, nil, "import", "--data-dir", dir, "--user", alice, in)
	if code != 0 || !strings.Contains(out, "2 watchlists, 2 lots and 3 alerts") {
		t.Fatalf("import --user: exit %d\n%s%s", code, out, errOut)
	}
	local, errOut, code := runBinary(t, nil, "export", "--data-dir", dir)
	if code != 0 || strings.Contains(local, "lot-1") || len(readExport(t, local).Lots) != 0 {
		t.Fatalf("the local user sees another user's records: exit %d\n%s%s", code, local, errOut)
	}
	theirs, _, code := runBinary(t, nil, "export", "--data-dir", dir, "--user", alice)
	if x := readExport(t, theirs); code != 0 || len(x.Lots) != 2 || len(x.Alerts) != 3 {
		t.Fatalf("export --user:\n%s", theirs)
	}
	for _, args := range [][]string{
		{"export", "--data-dir", dir, "--user", "root"},
		{"import", "--data-dir", dir, "--user", "SHA256:\x1b[2J", in},
	} {
		_, errOut, code := runBinary(t, nil, args...)
		if code != 2 || !strings.Contains(errOut, "--user") || strings.ContainsRune(errOut, 0x1b) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
	if help, _, _ := runBinary(t, nil, "export", "--help"); !strings.Contains(help, "--user ID") {
		t.Errorf("export --help does not document --user:\n%s", help)
	}
}

// A damaged record is left out of an export, named on standard error,
// and left in the store.
func TestExportNamesDamagedRecords(t *testing.T) {
	dir := t.TempDir()
	if _, errOut, code := runBinary(t, nil, "import", "--data-dir", dir, writeTemp(t, "in.json", exportSample)); code != 0 {
		t.Fatal(errOut)
	}
	path := filepath.Join(dir, "tokentop.db")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("first buy"))
	if i < 0 || bytes.Index(data[i+1:], []byte("first buy")) >= 0 {
		t.Fatal("the lot's note is not in the file exactly once")
	}
	data[i] ^= 0x01 // "first buy" -> "girst buy"
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runBinary(t, nil, "export", "--data-dir", dir)
	x := readExport(t, out)
	if code != 0 || len(x.Lots) != 1 || strings.Contains(out, "girst") ||
		!strings.Contains(errOut, "1 record could not be read (1 damaged)") || !strings.Contains(errOut, "lots/lot-1: damaged (checksum mismatch)") {
		t.Fatalf("exit %d, %d lots, stderr %q", code, len(x.Lots), errOut)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
		t.Error("export changed the store")
	}
}

package feedtest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

var (
	fixturesOnce sync.Once
	fixturesDir  string
)

// FixturesDir finds ../shared/fixtures beside the repository: it walks up
// from the working directory (a test runs in its package's directory) to
// the first ancestor holding shared/fixtures. TOKENTOP_FIXTURES overrides.
// The test is skipped if the fixtures are not there.
func FixturesDir(t testing.TB) string {
	t.Helper()
	fixturesOnce.Do(func() {
		if d := os.Getenv("TOKENTOP_FIXTURES"); d != "" {
			fixturesDir = d
			return
		}
		dir, err := os.Getwd()
		if err != nil {
			return
		}
		for {
			cand := filepath.Join(dir, "shared", "fixtures")
			if st, err := os.Stat(cand); err == nil && st.IsDir() {
				fixturesDir = cand
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return
			}
			dir = parent
		}
	})
	if fixturesDir == "" {
		t.Skip("fixtures not found: expected shared/fixtures beside the repository (or set TOKENTOP_FIXTURES)")
	}
	return fixturesDir
}

// Fixture reads one fixture file, e.g. "binance/aggtrade.json".
func Fixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(FixturesDir(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// Lines reads a .jsonl session file: one frame per non-empty line.
func Lines(t testing.TB, rel string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, l := range bytes.Split(Fixture(t, rel), []byte("\n")) {
		if l = bytes.TrimRight(l, "\r"); len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Compact is frame with insignificant whitespace removed (as exchanges
// send it); frames that are not JSON are returned unchanged.
func Compact(frame []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, frame); err != nil {
		return frame
	}
	return buf.Bytes()
}

// NamedFrame is one frame and the file it came from.
type NamedFrame struct {
	Name  string
	Frame []byte
}

// BadFrames is every frame in fixtures/bad, in file-name order; a .jsonl
// file gives one frame per line (named file:line).
func BadFrames(t testing.TB) []NamedFrame {
	t.Helper()
	dir := filepath.Join(FixturesDir(t), "bad")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []NamedFrame
	for _, n := range names {
		b := Fixture(t, "bad/"+n)
		if filepath.Ext(n) == ".jsonl" {
			for i, l := range Lines(t, "bad/"+n) {
				out = append(out, NamedFrame{Name: n + ":" + itoa(i+1), Frame: l})
			}
			continue
		}
		out = append(out, NamedFrame{Name: n, Frame: b})
	}
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

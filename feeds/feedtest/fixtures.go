package feedtest

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"path"
	"strconv"
	"testing"
)

// The exchange fixtures live in testdata/ beside this file and are built
// into the package, so a test finds them from any package and any working
// directory: a fresh clone has everything it needs. testdata/README.md says
// what they are.
//
//go:embed testdata
var fixtures embed.FS

// fixtureRoot is where the fixtures are, as a path from the repository's
// root, for error messages.
const fixtureRoot = "feeds/feedtest/testdata/"

// Fixture reads one fixture file, e.g. "binance/aggtrade.json". A missing
// fixture fails the test, naming the file it looked for.
func Fixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := fixtures.ReadFile(path.Join("testdata", rel))
	if err != nil {
		t.Fatalf("fixture %s%s: %v", fixtureRoot, rel, err)
	}
	return b
}

// Glob is every fixture whose name matches pattern (path.Match syntax,
// e.g. "binance/*.json"), in name order. A pattern that matches nothing
// fails the test: a seed corpus that quietly went missing would let a
// fuzz target fuzz nothing.
func Glob(t testing.TB, pattern string) []NamedFrame {
	t.Helper()
	names, err := fs.Glob(fixtures, path.Join("testdata", pattern))
	if err != nil {
		t.Fatalf("fixtures %s%s: %v", fixtureRoot, pattern, err)
		return nil
	}
	var out []NamedFrame
	for _, n := range names { // fs.Glob sorts
		rel := n[len("testdata/"):]
		if st, err := fs.Stat(fixtures, n); err == nil && st.IsDir() {
			continue
		}
		out = append(out, NamedFrame{Name: rel, Frame: Fixture(t, rel)})
	}
	if len(out) == 0 {
		t.Fatalf("fixtures %s%s: no such files", fixtureRoot, pattern)
	}
	return out
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
	if len(out) == 0 {
		t.Fatalf("fixture %s%s: no frames", fixtureRoot, rel)
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

// BadFrames is every frame in bad/ (malformed and hostile frames and
// bodies from every exchange), in file-name order; a .jsonl file gives one
// frame per line (named file:line).
func BadFrames(t testing.TB) []NamedFrame {
	t.Helper()
	var out []NamedFrame
	for _, f := range Glob(t, "bad/*") {
		if path.Ext(f.Name) == ".jsonl" {
			for i, l := range Lines(t, f.Name) {
				out = append(out, NamedFrame{Name: path.Base(f.Name) + ":" + strconv.Itoa(i+1), Frame: l})
			}
			continue
		}
		out = append(out, NamedFrame{Name: path.Base(f.Name), Frame: f.Frame})
	}
	return out
}

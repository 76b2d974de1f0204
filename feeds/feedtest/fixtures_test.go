package feedtest

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"testing"
)

// failures stands in for a test to catch what the helpers report. Only
// Helper and Fatalf are called by the helpers under test.
type failures struct {
	testing.TB
	msgs []string
}

func (f *failures) Helper() {}

func (f *failures) Fatalf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func TestMissingFixtureFailsNamingIt(t *testing.T) {
	var f failures
	if b := Fixture(&f, "binance/no_such_frame.json"); b != nil {
		t.Errorf("read %q from a missing fixture", b)
	}
	if len(f.msgs) != 1 || !strings.Contains(f.msgs[0], "feeds/feedtest/testdata/binance/no_such_frame.json") {
		t.Errorf("a missing fixture reported %q, want one failure naming feeds/feedtest/testdata/binance/no_such_frame.json", f.msgs)
	}

	f.msgs = nil
	if got := Glob(&f, "binance/*.nothing"); len(got) != 0 {
		t.Errorf("glob of nothing gave %d files", len(got))
	}
	if len(f.msgs) != 1 || !strings.Contains(f.msgs[0], "feeds/feedtest/testdata/binance/*.nothing") {
		t.Errorf("a glob of nothing reported %q, want one failure naming the pattern", f.msgs)
	}

	f.msgs = nil
	Glob(&f, "[")
	if len(f.msgs) != 1 {
		t.Errorf("a bad pattern reported %q, want one failure", f.msgs)
	}
}

// The fixtures README promises valid JSON outside bad/; the parsers' tests
// rely on it to tell a refused good frame from a refused bad one.
func TestFixturesOutsideBadAreValidJSON(t *testing.T) {
	n := 0
	for _, pattern := range []string{"*/*.json", "*/doc_examples/*.json"} {
		for _, nf := range Glob(t, pattern) {
			if strings.HasPrefix(nf.Name, "bad/") {
				continue
			}
			n++
			if !json.Valid(nf.Frame) {
				t.Errorf("%s: not valid JSON", nf.Name)
			}
		}
	}
	for _, nf := range Glob(t, "*/*.jsonl") {
		if strings.HasPrefix(nf.Name, "bad/") {
			continue
		}
		for i, l := range Lines(t, nf.Name) {
			n++
			if !json.Valid(l) {
				t.Errorf("%s:%d: not valid JSON", nf.Name, i+1)
			}
		}
	}
	if n < 50 {
		t.Errorf("checked %d frames; the fixtures are missing", n)
	}
}

func TestBadFramesAreEveryFileInBad(t *testing.T) {
	files := Glob(t, "bad/*")
	frames := BadFrames(t)
	lines := 0
	for _, f := range files {
		if path.Ext(f.Name) == ".jsonl" {
			lines += len(Lines(t, f.Name)) - 1
		}
	}
	if len(frames) != len(files)+lines || len(frames) < 40 {
		t.Fatalf("%d bad frames from %d files (%d extra .jsonl lines)", len(frames), len(files), lines)
	}
	for i := 1; i < len(files); i++ {
		if files[i-1].Name >= files[i].Name {
			t.Errorf("bad files out of name order: %s before %s", files[i-1].Name, files[i].Name)
		}
	}
}

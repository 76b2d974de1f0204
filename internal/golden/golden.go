// Package golden compares test output with golden files in the calling
// package's testdata directory. Run the package's tests with -update to
// rewrite the files instead:
//
//	go test ./ui -update
package golden

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden instead of comparing with them")

// Check compares got with testdata/name.golden, or writes it there when
// the tests run with -update. A difference fails the test with the first
// differing line, wanted and got (ANSI attributes stripped; shown raw when
// only they differ).
func Check(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if msg := diff(string(want), got); msg != "" {
		t.Errorf("%s differs (run go test with -update if intended) %s", path, msg)
	}
}

// diff describes the first line where want and got differ ("" if none).
func diff(want, got string) string {
	if want == got {
		return ""
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var a, b string
		if i < len(wl) {
			a = wl[i]
		}
		if i < len(gl) {
			b = gl[i]
		}
		if a == b {
			continue
		}
		msg := fmt.Sprintf("at line %d of %d (got %d lines):\nwant %q\ngot  %q", i+1, len(wl), len(gl), ansi.Strip(a), ansi.Strip(b))
		if ansi.Strip(a) == ansi.Strip(b) {
			msg += fmt.Sprintf("\nonly attributes differ:\nwant %q\ngot  %q", a, b)
		}
		return msg
	}
	return "" // unreachable: equal lines make equal strings
}

// Updating reports whether the tests run with -update: a test that keeps
// a generated part of another file (the README's key table) rewrites it
// then.
func Updating() bool { return *update }

package golden

import (
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	if d := diff("a\nb\n", "a\nb\n"); d != "" {
		t.Errorf("equal texts: %q", d)
	}
	d := diff("a\nb\nc", "a\nB\nc")
	if !strings.Contains(d, "line 2 of 3") || !strings.Contains(d, `want "b"`) || !strings.Contains(d, `got  "B"`) {
		t.Errorf("changed line: %q", d)
	}
	if d := diff("a\n", "a\nextra\n"); !strings.Contains(d, "line 2 of 2 (got 3 lines)") || !strings.Contains(d, `got  "extra"`) {
		t.Errorf("added line: %q", d)
	}
	if d := diff("\x1b[1mx\x1b[0m", "\x1b[2mx\x1b[0m"); !strings.Contains(d, "only attributes differ") || !strings.Contains(d, `\x1b[2mx`) {
		t.Errorf("attributes: %q", d)
	}
}

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, format)
}

func TestCheck(t *testing.T) {
	r := &recorder{TB: t}
	t.Chdir(t.TempDir())
	*update = true
	Check(r, "x", "one\ntwo\n")
	*update = false
	Check(r, "x", "one\ntwo\n")
	if len(r.errs) != 0 {
		t.Fatalf("same text: %v", r.errs)
	}
	Check(r, "x", "one\n2\n")
	if len(r.errs) != 1 {
		t.Fatalf("different text: %v", r.errs)
	}
}

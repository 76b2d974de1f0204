package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// InUseError is returned by Open when another process (or another Store in
// this one) holds the store's lock. PID and Since come from the owner
// sidecar file and are informational: PID is 0 when unknown.
type InUseError struct {
	Path  string
	PID   int
	Since time.Time
}

func (e *InUseError) Error() string {
	who := "pid unknown"
	if e.PID > 0 {
		who = "pid " + strconv.Itoa(e.PID)
		if !e.Since.IsZero() {
			who += ", since " + clockTime(e.Since, time.Now())
		}
	}
	return fmt.Sprintf("store %s is in use by another tokentop (%s); quit it, or start this one with --data-dir DIR",
		shownPath(e.Path), who)
}

// clockTime is t as "14:02" when it is today, else "Jan 2 14:02".
func clockTime(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04")
	}
	return t.Format("Jan 2 15:04")
}

// CorruptError is returned by Open for a file that is a tokentop store (or
// looks like a bbolt file) but is damaged. The file is never modified.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	why := "unreadable"
	if e.Err != nil {
		why = oneLine(e.Err.Error(), 160)
	}
	return fmt.Sprintf("store %s is damaged (%s): it was left untouched; move it aside to start a new store, or restore a backup",
		shownPath(e.Path), why)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// ForeignError is returned by Open for a non-empty file that is not a
// tokentop store: not a bbolt file at all, or a bbolt file without
// tokentop's meta bucket and magic. The file is never modified.
type ForeignError struct {
	Path string
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("store %s is not a tokentop store: it was left untouched; move it aside, or start tokentop with --data-dir DIR",
		shownPath(e.Path))
}

// NewerError is returned by Open for a store written by a newer tokentop
// (a schema version above SchemaVersion). The file is never modified.
type NewerError struct {
	Path               string
	Version, Supported int
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("store %s was written by a newer tokentop (schema %d; this one reads up to %d): it was left untouched; use the newer tokentop, or start this one with --data-dir DIR",
		shownPath(e.Path), e.Version, e.Supported)
}

// ErrReadOnly is returned by every write to a store opened with ReadOnly.
var ErrReadOnly = errors.New("the store was opened read-only: nothing can be saved")

// damage is why inspect found a file damaged.
type damage struct{ msg string }

func (d *damage) Error() string { return d.msg }

func damaged(format string, args ...any) error { return &damage{fmt.Sprintf(format, args...)} }

// shownPath is p as it can be shown on one terminal line: quoted when it
// holds anything but printable characters.
func shownPath(p string) string {
	for _, r := range p {
		if !unicode.IsPrint(r) || r == utf8RuneError {
			return strconv.QuoteToASCII(p)
		}
	}
	return p
}

const utf8RuneError = '\uFFFD'

// oneLine makes s safe for one terminal line: control and format
// characters become spaces, runs of spaces collapse, at most n runes.
func oneLine(s string, n int) string {
	var b strings.Builder
	space := false
	count := 0
	for _, r := range strings.ToValidUTF8(s, "?") {
		if !unicode.IsPrint(r) {
			r = ' '
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		if count == n {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		count++
	}
	return strings.TrimSpace(b.String())
}

// shownKey is a database key as it can appear in a report: as is when it
// is short printable ASCII, else quoted.
func shownKey(k []byte) string {
	if len(k) > 0 && len(k) <= 64 {
		ok := true
		for _, c := range k {
			if c <= ' ' || c >= 0x7f || c == '/' || c == '"' || c == '\\' {
				ok = false
				break
			}
		}
		if ok {
			return string(k)
		}
	}
	if len(k) > 64 {
		k = k[:64]
	}
	return strconv.QuoteToASCII(string(k))
}

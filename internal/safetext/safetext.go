// Package safetext makes text from outside (exchange frames, REST bodies,
// the store, config and theme files, SSH clients) safe to put on a
// terminal. It is the one sanitizer: every package that shows or keeps
// outside text calls it. It imports nothing of tokentop's, so any package
// can.
//
// What goes:
//   - escape sequences, whole, parameters and strings included: CSI, OSC,
//     DCS, SOS, PM, APC and the other ESC sequences in their 7-bit form
//     (ESC [ ...), and CSI, OSC, DCS, SOS, PM, APC in their 8-bit C1 form,
//     both as the characters U+0080..U+009F and as raw single bytes;
//   - every other C0 and C1 control and DEL (in Line, tab, newline and
//     carriage return become one space each; Text keeps newlines);
//   - invalid UTF-8;
//   - characters that are not graphic (unicode.IsGraphic): format
//     characters such as bidi overrides, isolates and marks, zero-width
//     spaces and joiners, soft hyphens; private use and unassigned code
//     points; line and paragraph separators.
//
// What stays is at most the limit in runes: a longer text is cut to one
// rune less and ends in "…". A clean text is returned as it is, without
// allocating, and cleaning is idempotent.
package safetext

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis ends a text that was cut to its limit.
const Ellipsis = "…"

// Line returns s as one safe line of at most maxRunes runes.
func Line(s string, maxRunes int) string { return clean(s, maxRunes, false) }

// Text returns s as safe text of at most maxRunes runes that keeps its
// newlines ("\r\n" and "\r" become "\n"), for a caller that shows lines.
func Text(s string, maxRunes int) string { return clean(s, maxRunes, true) }

// IsLine reports whether Line(s, maxRunes) is s, without allocating.
func IsLine(s string, maxRunes int) bool { return isClean(s, maxRunes, false) }

// Quoted returns s as it is when it is one clean line (of any length),
// and otherwise s Go-quoted with every character that is not printable
// ASCII escaped (strconv.QuoteToASCII): for text a reader must see exactly
// rather than cleaned, such as a file path or a value from a config file
// in an error message.
func Quoted(s string) string {
	if isClean(s, len(s)+1, false) {
		return s
	}
	return strconv.QuoteToASCII(s)
}

// Printable reports whether r may be shown as it is: a graphic character
// (letter, mark, number, punctuation, symbol, space), not a control.
// Keyboard input (a search box, a form field) takes only these.
func Printable(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 0x20 && r < 0x7f
	}
	return r != utf8.RuneError && unicode.IsGraphic(r)
}

// isClean is the fast path: a single pass that neither allocates nor
// decodes ASCII.
func isClean(s string, maxRunes int, lines bool) bool {
	if maxRunes <= 0 {
		return s == ""
	}
	if len(s) <= maxRunes {
		// Every rune is at least one byte: only the content can be wrong.
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f {
				if c == '\n' && lines {
					continue
				}
				return cleanFrom(s, i, -1, lines)
			}
		}
		return true
	}
	return cleanFrom(s, 0, maxRunes, lines)
}

// cleanFrom checks s from byte i on (everything before it is printable
// ASCII); with maxRunes >= 0 it also counts runes.
func cleanFrom(s string, i, maxRunes int, lines bool) bool {
	n := i
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !(c == '\n' && lines) {
				return false
			}
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !Printable(r) {
				return false
			}
			i += size
		}
		n++
		if maxRunes >= 0 && n > maxRunes {
			return false
		}
	}
	return true
}

func clean(s string, maxRunes int, lines bool) string {
	if maxRunes <= 0 {
		return ""
	}
	if isClean(s, maxRunes, lines) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*maxRunes))
	n := 0 // runes written
	// A rune that would be the (maxRunes+1)th means the text is cut: the
	// last rune kept is then replaced by the ellipsis. Runes are kept in
	// a small window so the last one can be taken back.
	last := 0 // byte length of the last rune written
	for i := 0; i < len(s); {
		c := s[i]
		var r rune
		switch {
		case c == 0x1b:
			i = skipEscape(s, i+1)
			continue
		case c < utf8.RuneSelf:
			i++
			switch {
			case c == '\n' && lines:
				r = '\n'
			case c == '\r' && lines:
				if i < len(s) && s[i] == '\n' {
					i++
				}
				r = '\n'
			case c == '\t' || c == '\n' || c == '\r':
				r = ' '
			case c < 0x20 || c == 0x7f:
				continue
			default:
				r = rune(c)
			}
		default:
			var size int
			r, size = utf8.DecodeRuneInString(s[i:])
			c1 := r
			if r == utf8.RuneError && size == 1 {
				c1 = rune(c) // a raw 8-bit byte: read 0x80..0x9f as C1
			}
			i += size
			switch {
			case c1 == 0x9b: // CSI
				i = skipCSI(s, i)
				continue
			case c1 == 0x90 || c1 == 0x98 || c1 == 0x9d || c1 == 0x9e || c1 == 0x9f: // DCS SOS OSC PM APC
				i = skipString(s, i)
				continue
			case !Printable(r):
				continue
			}
		}
		if n == maxRunes {
			// One rune too many: the text is cut.
			str := b.String()
			b.Reset()
			b.WriteString(str[:len(str)-last])
			b.WriteString(Ellipsis)
			return b.String()
		}
		last = utf8.RuneLen(r)
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// skipEscape skips what follows an ESC at i and returns the index after it.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// nF (ESC, intermediates 0x20..0x2f, a final byte, e.g. ESC ( B) and
	// Fp, Fe, Fs (ESC and one byte, e.g. ESC 7, ESC c).
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips a control sequence's parameter and intermediate bytes and
// its final byte. Anything else (a control, ESC, a non-ASCII byte) ends
// the sequence without being taken: it is read on its own.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c >= 0x40 && c <= 0x7e {
			return i + 1
		}
		if c < 0x20 || c > 0x7e {
			return i
		}
		i++
	}
	return i
}

// skipString skips a control string up to and including its terminator:
// BEL, ESC \ or ST (U+009C, or a raw 0x9c byte). Another ESC ends the
// string and starts a sequence of its own, as it does on a terminal. An
// unterminated string takes the rest of s.
func skipString(s string, i int) int {
	for i < len(s) {
		switch c := s[i]; {
		case c == 0x07:
			return i + 1
		case c == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c:
			return i + 2
		case c == 0x9c:
			return i + 1
		}
		i++
	}
	return i
}

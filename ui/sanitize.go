package ui

import (
	"strings"
	"unicode/utf8"
)

// maxDisplayBytes bounds a sanitised string; nothing on screen is longer.
const maxDisplayBytes = 256

// Sanitize makes an outside string (a symbol, a token name, a feed's error)
// safe to put on a terminal: it removes escape sequences (CSI, OSC, DCS,
// APC, PM, SOS and their 8-bit C1 forms), every other control character,
// bidirectional overrides and invisible format characters, and invalid
// UTF-8. Tabs and newlines become spaces. A clean string is returned as is,
// without allocating.
func Sanitize(s string) string {
	clean := len(s) <= maxDisplayBytes
	for i := 0; clean && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), maxDisplayBytes))
	for i := 0; i < len(s) && b.Len() < maxDisplayBytes; {
		c := s[i]
		if c == 0x1b { // ESC
			i = skipEscape(s, i+1)
			continue
		}
		if c < 0x80 {
			switch {
			case c == '\t' || c == '\n' || c == '\r':
				b.WriteByte(' ')
			case c >= 0x20 && c != 0x7f:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			// invalid UTF-8: drop the byte
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i)
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // C1 OSC, DCS, SOS, PM, APC
			i = skipString(s, i)
		case r >= 0x80 && r <= 0x9f:
			// other C1 controls
		case invisible(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// invisible reports bidi controls and zero-width format characters, which
// can reorder or hide what a trader reads.
func invisible(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, // LRE RLE PDF LRO RLO
		r >= 0x2066 && r <= 0x2069,                           // LRI RLI FSI PDI
		r == 0x200e || r == 0x200f || r == 0x061c,            // LRM RLM ALM
		r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, // zero width
		r == 0x00ad: // soft hyphen
		return true
	}
	return false
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
	// two-byte sequence (ESC c, ESC 7, ESC ( B ...): skip intermediates
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips parameter and intermediate bytes and the final byte.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c >= 0x80 { // not part of a CSI: let the caller decode it
			return i - 1
		}
		if c < 0x20 || c == 0x7f {
			return i
		}
	}
	return i
}

// skipString skips a control string up to its terminator: BEL, ESC \ or
// C1 ST. An unterminated string swallows the rest.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i + 1
		case s[i] == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c:
			return i + 2
		}
		i++
	}
	return i
}

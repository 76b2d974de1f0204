// Package venue holds what the exchange adapters share about an exchange's
// symbols and text: which symbols are usable, and making the exchange's
// words safe to show.
package venue

import (
	"fmt"
	"strings"
	"unicode"
)

// PlainSymbol says whether s is 1..20 ASCII letters (upper case) or digits.
func PlainSymbol(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// CheckSymbols is the error a Session or Backfill returns when the exchange
// was given no usable symbols: usable is how many there are, refused the
// configured symbols that were dropped. Nil when usable > 0.
func CheckSymbols(exchange string, usable int, refused []string) error {
	if usable == 0 {
		if len(refused) > 0 {
			return fmt.Errorf("%s: no usable symbols (refused: %s)", exchange, strings.Join(refused, ", "))
		}
		return fmt.Errorf("%s: no symbols configured", exchange)
	}
	return nil
}

// Sanitize makes exchange text safe for the status bar: control and format
// characters (escape sequences, bidi overrides) go, length is capped.
func Sanitize(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= 160 {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

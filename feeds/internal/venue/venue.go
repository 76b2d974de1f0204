// Package venue holds what the exchange adapters share about an exchange:
// which symbols are usable, making the exchange's words safe to show, and
// (base.go) the setup and candle backfill that Coinbase and Kraken have in
// common, their own numbers, names and formats passed in.
package venue

import (
	"fmt"
	"strings"
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

// MaxText is the most runes of an exchange's own words (an error message,
// a close reason, a system status) kept for the status bar and the log;
// callers cut them with safetext.Line.
const MaxText = 160

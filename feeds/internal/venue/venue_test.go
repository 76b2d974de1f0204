package venue

import (
	"strings"
	"testing"
)

func TestPlainSymbol(t *testing.T) {
	for s, want := range map[string]bool{
		"BTC": true, "1INCH": true, "": false, "btc": false, "BTC-USD": false,
		strings.Repeat("A", 20): true, strings.Repeat("A", 21): false, "É": false,
	} {
		if got := PlainSymbol(s); got != want {
			t.Errorf("PlainSymbol(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCheckSymbols(t *testing.T) {
	if err := CheckSymbols("kraken", 1, []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if err := CheckSymbols("kraken", 0, nil); err == nil || err.Error() != "kraken: no symbols configured" {
		t.Fatal(err)
	}
	if err := CheckSymbols("coinbase", 0, []string{"b-c", "$"}); err == nil || err.Error() != "coinbase: no usable symbols (refused: b-c, $)" {
		t.Fatal(err)
	}
}

// Package tradelink builds the address of a token's spot trading page on
// an exchange (Binance, Coinbase, Kraken) from a pattern with one {pair}
// placeholder. Nothing from outside goes into an address unchecked: a
// symbol or quote is 1-15 upper-case letters and digits, a pattern is an
// https address with exactly one {pair} after its host, and every address
// made is checked again before it is handed out.
package tradelink

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Placeholder is what a pattern holds once, where the pair goes.
const Placeholder = "{pair}"

// MaxLen bounds a pattern and an address made from it.
const MaxLen = 512

// Defaults are the exchanges' own spot trading pages.
var Defaults = map[string]string{
	"binance":  "https://www.binance.com/en/trade/{pair}?type=spot",
	"coinbase": "https://www.coinbase.com/advanced-trade/spot/{pair}",
	"kraken":   "https://pro.kraken.com/app/trade/{pair}",
}

// Exchanges names the exchanges in words.
var Exchanges = map[string]string{"binance": "Binance", "coinbase": "Coinbase", "kraken": "Kraken"}

// pair writes base and quote the way the exchange's pages do: BTC_USDT on
// Binance, BTC-USD on Coinbase, btc-usd on Kraken.
func pair(exchange, base, quote string) (string, error) {
	switch exchange {
	case "binance":
		return base + "_" + quote, nil
	case "coinbase":
		return base + "-" + quote, nil
	case "kraken":
		return strings.ToLower(base) + "-" + strings.ToLower(quote), nil
	}
	return "", fmt.Errorf("no trading page for exchange %q", exchange)
}

// ValidSymbol reports whether s may go into an address: 1 to 15
// upper-case ASCII letters and digits.
func ValidSymbol(s string) bool {
	if len(s) == 0 || len(s) > 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// CheckPattern returns "" for a usable pattern, else the problem in
// words: an https address with a host, no user name or password, printable
// ASCII without spaces, quotes or angle brackets, and exactly one {pair}
// after the host.
func CheckPattern(p string) string {
	if len(p) > MaxLen {
		return fmt.Sprintf("must be at most %d characters", MaxLen)
	}
	if n := strings.Count(p, Placeholder); n != 1 {
		return fmt.Sprintf("must hold %s exactly once, e.g. %q; it holds it %d times", Placeholder, Defaults["binance"], n)
	}
	if err := CheckURL(strings.Replace(p, Placeholder, "BTC_USDT", 1)); err != nil {
		return err.Error()
	}
	if strings.ContainsAny(strings.Replace(p, Placeholder, "", 1), "{}") {
		return "must hold no braces but the one " + Placeholder
	}
	a, _ := url.Parse(strings.Replace(p, Placeholder, "a", 1))
	b, _ := url.Parse(strings.Replace(p, Placeholder, "b", 1))
	if a == nil || b == nil || a.Host != b.Host {
		return Placeholder + " must come after the host (in the path or the query)"
	}
	return ""
}

// CheckURL accepts only an address safe to open and to print: https, a
// host, no user name or password, at most MaxLen bytes of printable ASCII
// with no space, quote, backslash or angle bracket.
func CheckURL(s string) error {
	if len(s) > MaxLen {
		return fmt.Errorf("must be at most %d characters", MaxLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"'<>\`+"`", c) >= 0 {
			return errors.New("must be printable ASCII with no spaces, quotes, backslashes or angle brackets")
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return errors.New("must be an https:// address with a host (and no user name)")
	}
	return nil
}

// Venue is one exchange's trading pages.
type Venue struct {
	Exchange string // "binance", "coinbase", "kraken"
	Quote    string // the quote currency the token is streamed against: "USDT"
	Pattern  string // "" = the exchange's default
}

// URL is the address of base's spot page against v's quote.
func (v Venue) URL(base string) (string, error) {
	if !ValidSymbol(base) {
		return "", fmt.Errorf("%q cannot be part of an address", base)
	}
	if !ValidSymbol(v.Quote) {
		return "", fmt.Errorf("quote %q cannot be part of an address", v.Quote)
	}
	pat := v.Pattern
	if pat == "" {
		pat = Defaults[v.Exchange]
	}
	if p := CheckPattern(pat); p != "" {
		return "", fmt.Errorf("%s trade_url %s", v.Exchange, p)
	}
	pr, err := pair(v.Exchange, base, v.Quote)
	if err != nil {
		return "", err
	}
	s := strings.Replace(pat, Placeholder, pr, 1)
	if err := CheckURL(s); err != nil {
		return "", err
	}
	return s, nil
}

// Name is the exchange in words: "Binance".
func (v Venue) Name() string {
	if n, ok := Exchanges[v.Exchange]; ok {
		return n
	}
	return v.Exchange
}

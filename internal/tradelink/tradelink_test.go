package tradelink

import (
	"strings"
	"testing"
)

func TestURLForEachExchangeAndQuote(t *testing.T) {
	cases := []struct {
		v    Venue
		base string
		want string
	}{
		{Venue{Exchange: "binance", Quote: "USDT"}, "BTC", "https://www.binance.com/en/trade/BTC_USDT?type=spot"},
		{Venue{Exchange: "binance", Quote: "FDUSD"}, "ETH", "https://www.binance.com/en/trade/ETH_FDUSD?type=spot"},
		{Venue{Exchange: "binance", Quote: "USDT"}, "1000SATS", "https://www.binance.com/en/trade/1000SATS_USDT?type=spot"},
		{Venue{Exchange: "coinbase", Quote: "USD"}, "SOL", "https://www.coinbase.com/advanced-trade/spot/SOL-USD"},
		{Venue{Exchange: "coinbase", Quote: "EUR"}, "BTC", "https://www.coinbase.com/advanced-trade/spot/BTC-EUR"},
		{Venue{Exchange: "kraken", Quote: "USD"}, "BTC", "https://pro.kraken.com/app/trade/btc-usd"},
		{Venue{Exchange: "kraken", Quote: "EUR"}, "DOT", "https://pro.kraken.com/app/trade/dot-eur"},
		// Another region or a testnet: the configured pattern.
		{Venue{Exchange: "binance", Quote: "USD", Pattern: "https://www.binance.us/spot-trade/{pair}"}, "BTC", "https://www.binance.us/spot-trade/BTC_USD"},
		{Venue{Exchange: "coinbase", Quote: "USD", Pattern: "https://example.test/t?p={pair}&x=1"}, "BTC", "https://example.test/t?p=BTC-USD&x=1"},
	}
	for _, c := range cases {
		got, err := c.v.URL(c.base)
		if err != nil || got != c.want {
			t.Errorf("%+v URL(%q) = %q, %v; want %q", c.v, c.base, got, err, c.want)
		}
	}
}

// A symbol with odd characters never makes an address.
func TestOddSymbolsMakeNoURL(t *testing.T) {
	v := Venue{Exchange: "binance", Quote: "USDT"}
	for _, s := range []string{"", "btc", "BTC/USDT", "BTC?x=1", "BTC#", "../X", "BTC USDT", "BTC\x1b]8;;x\x07", "ÉTH",
		"B\u200bTC", "BTC%2F", "ABCDEFGHIJKLMNOP", "BTC\n", "@evil.com", "BTC&type=margin"} {
		if u, err := v.URL(s); err == nil {
			t.Errorf("URL(%q) = %q, want an error", s, u)
		}
	}
	bad := Venue{Exchange: "binance", Quote: "US/DT"}
	if u, err := bad.URL("BTC"); err == nil {
		t.Errorf("quote US/DT made %q", u)
	}
	if u, err := (Venue{Exchange: "ftx", Quote: "USD"}).URL("BTC"); err == nil {
		t.Errorf("unknown exchange made %q", u)
	}
}

func TestCheckPattern(t *testing.T) {
	for _, p := range []string{Defaults["binance"], Defaults["coinbase"], Defaults["kraken"],
		"https://testnet.example/trade/{pair}", "https://host:8443/x?pair={pair}"} {
		if problem := CheckPattern(p); problem != "" {
			t.Errorf("CheckPattern(%q) = %s", p, problem)
		}
	}
	cases := map[string]string{
		"http://www.binance.com/en/trade/{pair}":               "https://",
		"https://www.binance.com/en/trade/":                    "exactly once",
		"https://x.com/{pair}/{pair}":                          "exactly once",
		"https://{pair}.evil.com/":                             "after the host",
		"https://user:pw@x.com/{pair}":                         "https://",
		"javascript:alert(1)//{pair}":                          "https://",
		"https://x.com/{pair} x":                               "printable ASCII",
		"https://x.com/{pair}\x1b[2J":                          "printable ASCII",
		"https://x.com/{pair}{":                                "braces",
		"https://x.com/{pair}\"onmouseover":                    "printable ASCII",
		"/relative/{pair}":                                     "https://",
		"https:///{pair}":                                      "https://",
		"https://x.com/" + strings.Repeat("a", 600) + "{pair}": "at most",
	}
	for p, want := range cases {
		if got := CheckPattern(p); !strings.Contains(got, want) {
			t.Errorf("CheckPattern(%q) = %q, want it to say %q", p, got, want)
		}
	}
}

func FuzzURL(f *testing.F) {
	f.Add("BTC", "USDT", Defaults["binance"])
	f.Add("btc", "usd", "https://x.com/{pair}")
	f.Add("BTC\x1b", "USD", "https://{pair}.com/")
	f.Fuzz(func(t *testing.T, base, quote, pattern string) {
		for _, ex := range []string{"binance", "coinbase", "kraken"} {
			u, err := Venue{Exchange: ex, Quote: quote, Pattern: pattern}.URL(base)
			if err != nil {
				continue
			}
			if !ValidSymbol(base) || !ValidSymbol(quote) || CheckPattern(pattern) != "" && pattern != "" {
				t.Fatalf("URL made %q from base %q quote %q pattern %q", u, base, quote, pattern)
			}
			if CheckURL(u) != nil || !strings.HasPrefix(u, "https://") {
				t.Fatalf("URL made an unsafe address %q", u)
			}
		}
	})
}

package engine

import (
	"strings"
	"testing"

	"github.com/tokentop/tokentop/config"
)

func TestTradeLinksFollowTheStreamingExchange(t *testing.T) {
	c, err := config.Parse("c.toml", []byte(`[feed]
sources = ["coinbase", "binance", "kraken"]
symbols = ["BTC", "ETH"]
[feed.binance]
symbols = ["BTC", "SOL"]
[feed.kraken]
quote = "EUR"
symbols = ["DOT"]
trade_url = "https://pro.kraken.com/app/trade/{pair}?region=eu"
`))
	if err != nil {
		t.Fatal(err)
	}
	links := tradeLinks(c.Feed)
	cases := []struct{ sym, url, exchange string }{
		{"BTC", "https://www.coinbase.com/advanced-trade/spot/BTC-USD", "Coinbase"},
		{"SOL", "https://www.binance.com/en/trade/SOL_USDT?type=spot", "Binance"},
		{"DOT", "https://pro.kraken.com/app/trade/dot-eur?region=eu", "Kraken"},
	}
	for _, cs := range cases {
		u, ex, err := links(cs.sym)
		if err != nil || u != cs.url || ex != cs.exchange {
			t.Errorf("%s: %q %q %v; want %q on %s", cs.sym, u, ex, err, cs.url, cs.exchange)
		}
	}
	if u, _, err := links("PEPE"); err == nil || !strings.Contains(err.Error(), "no exchange") {
		t.Errorf("PEPE (not streamed): %q, %v", u, err)
	}
	if u, _, err := links("BTC/../x"); err == nil {
		t.Errorf("odd symbol made %q", u)
	}

	top, err := config.Parse("c.toml", []byte("[feed]\ntop = 30\n"))
	if err != nil {
		t.Fatal(err)
	}
	if u, ex, err := tradeLinks(top.Feed)("WIF"); err != nil || ex != "Binance" || u != "https://www.binance.com/en/trade/WIF_USDT?type=spot" {
		t.Errorf("top: %q %q %v", u, ex, err)
	}
	if u, _, err := tradeLinks(top.Feed)("wif"); err == nil {
		t.Errorf("top: lower-case symbol made %q", u)
	}
}

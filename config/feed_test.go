package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestFeedSettings(t *testing.T) {
	c, err := Parse("c.toml", []byte(`[feed]
sources = ["kraken", "binance"]
symbols = ["btc", "ETH", "sol"]
stale_after = "45s"
metadata = false
[feed.binance]
quote = "fdusd"
ws_url = "ws://127.0.0.1:9000"
symbols = ["SOL", "PEPE"]
`))
	if err != nil {
		t.Fatal(err)
	}
	f := c.Feed
	if !reflect.DeepEqual(f.Sources, []string{"kraken", "binance"}) || f.Metadata || f.StaleAfter.String() != "45s" {
		t.Errorf("feed = %+v", f)
	}
	if b := f.Exchanges["binance"]; b.Quote != "FDUSD" || b.WSURL != "ws://127.0.0.1:9000" || b.RESTURL != "https://api.binance.com" {
		t.Errorf("binance = %+v", b)
	}
	// Kraken is preferred and takes the [feed] symbols; Binance keeps only
	// what Kraken does not stream.
	want := map[string][]string{"kraken": {"BTC", "ETH", "SOL"}, "binance": {"PEPE"}}
	if got := f.Assignment(); !reflect.DeepEqual(got, want) {
		t.Errorf("assignment = %v, want %v", got, want)
	}
}

func TestDefaultFeedAssignment(t *testing.T) {
	got := Default().Feed.Assignment()
	if len(got) != 1 || len(got["binance"]) != len(DefaultSymbols) {
		t.Errorf("default assignment = %v", got)
	}
}

func TestFeedValidation(t *testing.T) {
	cases := []struct{ body, want string }{
		{"[feed]\nsources = [\"ftx\"]\n", "c.toml:2: feed.sources: item 1: must be one of binance, coinbase, kraken, got \"ftx\""},
		{"[feed]\nsources = []\n", "c.toml:2: feed.sources: must name at least one source"},
		{"[feed]\nsources = [\"binance\", \"binance\"]\n", "item 2: binance is listed twice"},
		{"[feed]\nsymbols = [\"BTC\", \"E TH\"]\n", "c.toml:2: feed.symbols: item 2: must be letters and digits only"},
		{"[feed]\nsymbols = [\"\\u001b[31m\"]\n", `feed.symbols: item 1: must be letters and digits only, got "\x1b[31m"`},
		{"[feed]\nsymbols = \"BTC\"\n", "feed.symbols: must be a list of strings"},
		{"[feed]\nstale_after = \"1s\"\n", "feed.stale_after: must be between 5s and 10m, got 1s"},
		{"[feed.binance]\nws_url = \"http://example.com\"\n", "feed.binance.ws_url: must be a wss:// URL"},
		{"[feed.binance]\nws_url = \"ws://example.com\"\n", "plain ws:// only to localhost"},
		{"[feed.coinbase]\nrest_url = \"https://user:pw@x.com\"\n", "feed.coinbase.rest_url: must be a https:// URL with a host"},
		{"[feed.kraken]\nfoo = 1\n", "c.toml:2: feed.kraken.foo: unknown key ([feed.kraken] keys: quote, ws_url, rest_url, symbols, trade_url)"},
		{"[feed.coingecko]\napi_key = 12345\n", "feed.coingecko.api_key: must be a string"},
		{"[feed]\nbogus = 1\n", "feed.bogus: unknown key"},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.body, err, c.want)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\x1b") {
			t.Errorf("%q: error is not one safe line: %q", c.body, err)
		}
	}
}

func TestFeedTop(t *testing.T) {
	c, err := Parse("c.toml", []byte(`[feed]
sources = ["binance", "kraken"]
top = 50
[feed.kraken]
symbols = ["XMR"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Feed.Top != 50 || c.Validate() != nil {
		t.Errorf("top = %d, validate %v", c.Feed.Top, c.Validate())
	}
	// Binance picks its own list, so it takes none of the symbols.
	if got, want := c.Feed.Assignment(), map[string][]string{"kraken": {"XMR"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("assignment = %v, want %v", got, want)
	}
	if Default().Feed.Top != 0 {
		t.Error("top is on by default")
	}

	cases := []struct{ body, want string }{
		{"[feed]\nsources = [\"binance\", \"coinbase\"]\ntop = 20\n",
			"c.toml:3: feed.top: only binance can pick its top tokens; give [feed.coinbase] its own symbols"},
		{"[feed]\ntop = 20\nsources = [\"kraken\", \"binance\"]\n[feed.coinbase]\nsymbols = [\"BTC\"]\n",
			"c.toml:2: feed.top: only binance can pick its top tokens; give [feed.kraken] its own symbols"},
		{"[feed]\nsources = [\"kraken\"]\ntop = 20\n[feed.kraken]\nsymbols = [\"BTC\"]\n",
			"c.toml:3: feed.top: only binance can pick its top tokens, and sources does not list binance"},
		{"[feed]\ntop = 20\n[feed.binance]\nsymbols = [\"BTC\"]\n",
			"c.toml:2: feed.top: Binance picks its top tokens itself; leave [feed.binance] symbols empty or set top = 0"},
		{"[feed]\ntop = 501\n", "c.toml:2: feed.top: must be"},
		{"[feed]\ntop = -1\n", "c.toml:2: feed.top: must be"},
		{"[feed]\ntop = \"20\"\n", "c.toml:2: feed.top: must be"},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.body, err, c.want)
		}
	}
	// Validate, after changing a Config in code, says the same.
	c2 := Default()
	c2.Feed.Top = 20
	c2.Feed.Sources = []string{"binance", "coinbase"}
	if err := c2.Validate(); err == nil || err.Error() != "feed.top: only binance can pick its top tokens; give [feed.coinbase] its own symbols" {
		t.Errorf("Validate: %v", err)
	}
	c2.Feed.Sources = []string{"binance"}
	c2.Feed.Top = 501
	if err := c2.Validate(); err == nil || !strings.HasPrefix(err.Error(), "feed.top: ") {
		t.Errorf("Validate: %v", err)
	}
}

func TestTradeURLSettings(t *testing.T) {
	c, err := Parse("c.toml", []byte("[feed.binance]\ntrade_url = \"https://www.binance.us/spot-trade/{pair}\"\n"))
	if err != nil || c.Feed.Exchanges["binance"].TradeURL != "https://www.binance.us/spot-trade/{pair}" {
		t.Fatalf("trade_url: %v, %v", c.Feed.Exchanges["binance"], err)
	}
	if c.Feed.Exchanges["kraken"].TradeURL != "https://pro.kraken.com/app/trade/{pair}" {
		t.Fatalf("kraken's default trade_url: %q", c.Feed.Exchanges["kraken"].TradeURL)
	}
	cases := []struct{ body, want string }{
		{"[feed.binance]\n\ntrade_url = \"http://www.binance.com/{pair}\"", `c.toml:3: feed.binance.trade_url: must be an https:// address with a host (and no user name), got "http://www.binance.com/{pair}"`},
		{"[feed.kraken]\ntrade_url = \"https://pro.kraken.com/app/trade/\"", `c.toml:2: feed.kraken.trade_url: must hold {pair} exactly once`},
		{"[feed.coinbase]\ntrade_url = \"https://{pair}.evil.example/\"", `c.toml:2: feed.coinbase.trade_url: {pair} must come after the host`},
		{"[feed.coinbase]\ntrade_url = \"https://x.example/{pair}\\u001b[2J\"", `c.toml:2: feed.coinbase.trade_url: must be printable ASCII`},
		{"[feed.coinbase]\ntrade_url = 1", `c.toml:2: feed.coinbase.trade_url: must be a string, got the integer 1`},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s…", c.body, err, c.want)
		}
	}
	d := Default()
	d.Feed.Exchanges["kraken"].TradeURL = "https://x.example/"
	if err := d.Validate(); err == nil || !strings.HasPrefix(err.Error(), "feed.kraken.trade_url: must hold {pair} exactly once") {
		t.Fatalf("Validate: %v", err)
	}
}

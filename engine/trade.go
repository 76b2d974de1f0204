package engine

import (
	"fmt"
	"slices"

	"github.com/tokentop/tokentop/config"
	"github.com/tokentop/tokentop/internal/tradelink"
)

// tradeLinks answers ui.Options.TradeURL for a live market: the spot
// trading page of a token on the exchange that streams it (the first
// source that lists it; with [feed] top, Binance for every token no other
// source lists). The address comes from tradelink, which refuses a symbol
// that is not 1-15 of A-Z 0-9 and checks the configured pattern again.
func tradeLinks(f config.Feed) func(symbol string) (url, exchange string, err error) {
	bySymbol := map[string]string{}
	for src, syms := range f.Assignment() {
		for _, s := range syms {
			bySymbol[s] = src
		}
	}
	top := f.Top > 0 && slices.Contains(f.Sources, "binance")
	venues := map[string]tradelink.Venue{}
	for src, ex := range f.Exchanges {
		venues[src] = tradelink.Venue{Exchange: src, Quote: ex.Quote, Pattern: ex.TradeURL}
	}
	return func(symbol string) (string, string, error) {
		src, ok := bySymbol[symbol]
		if !ok && top {
			src, ok = "binance", true
		}
		v, known := venues[src]
		if !ok || !known {
			return "", "", fmt.Errorf("no exchange in [feed] streams %q", symbol)
		}
		u, err := v.URL(symbol)
		if err != nil {
			return "", v.Name(), err
		}
		return u, v.Name(), nil
	}
}

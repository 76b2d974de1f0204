package main

import (
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/binance"
	"github.com/tokentop/tokentop/model"
)

// The fake exchange's frames and REST bodies are what the Binance adapter
// reads: every frame parses into the event it stands for.
func TestFramesParse(t *testing.T) {
	m := newMarket(options{symbols: 10, trades: 20, tickers: 1, klines: 2, history: "full"})
	p := binance.NewParser("USDT", m.bases)
	st := &symState{i: 3, pair: strings.ToLower(m.bases[3]) + "usdt", upper: m.bases[3] + "USDT", price: 2.5,
		open24: 2.4, high24: 2.6, low24: 2.3, vol24: 1e6, quote24: 2.5e6}
	rng := rand.New(rand.NewPCG(1, 2))
	ms := time.Now().UnixMilli()
	st.nextTrade(rng, ms)
	for _, c := range []struct {
		frame []byte
		kind  model.EventKind
	}{
		{st.appendTrade(nil, ms), model.EventTrade},
		{st.appendKline(nil, ms), model.EventCandle},
		{st.appendTicker(nil, ms), model.EventQuote},
	} {
		evs, _, err := p.Parse(c.frame)
		if err != nil || len(evs) != 1 || evs[0].Kind != c.kind || evs[0].Symbol != m.bases[3] {
			t.Errorf("%s: %v %+v", c.frame, err, evs)
		}
	}
	rec := httptest.NewRecorder()
	m.klines(rec, httptest.NewRequest("GET", "/api/v3/klines?symbol="+m.bases[0]+"USDT&interval=1h&limit=24&startTime="+
		strconv.FormatInt(ms-48*3600e3, 10)+"&endTime="+strconv.FormatInt(ms, 10), nil))
	rows, bad, err := binance.ParseKlines(rec.Body.Bytes(), model.Hour)
	if err != nil || bad != 0 || len(rows) != 24 {
		t.Fatalf("klines: %d rows, %d bad, %v", len(rows), bad, err)
	}
	for _, r := range rows {
		if !model.ValidCandle(r) {
			t.Fatalf("bad kline %+v", r)
		}
	}
}

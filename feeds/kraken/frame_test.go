package kraken

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

func testParser() *parser {
	e := New(Options{Symbols: []string{"BTC", "ETH", "ALGO", "MATIC"}})
	return newParser(e.index, e.base.Symbols)
}

// oracleEvents derives, with encoding/json (exact keys via a map), the
// events a ticker, trade or ohlc frame holds. ok is false when
// encoding/json cannot read the frame or an element is unusable.
func oracleEvents(t testing.TB, b []byte) (evs []model.Event, ok bool) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil || m == nil {
		return nil, false
	}
	syms := map[string]string{"BTC/USD": "BTC", "XBT/USD": "BTC", "ETH/USD": "ETH", "ALGO/USD": "ALGO", "MATIC/USD": "MATIC"}
	data, _ := m["data"].([]any)
	f := func(o map[string]any, k string) float64 {
		n, _ := o[k].(json.Number)
		v, err := n.Float64()
		if err != nil {
			ok = false
		}
		return v
	}
	tm := func(v any) int64 {
		s, _ := v.(string)
		x, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0
		}
		return x.UnixNano()
	}
	ok = true
	for _, el := range data {
		o, _ := el.(map[string]any)
		sym, _ := o["symbol"].(string)
		ev := model.Event{Symbol: syms[sym]}
		switch m["channel"] {
		case "ticker":
			ev.Kind, ev.Price, ev.Time = model.EventQuote, f(o, "last"), tm(o["timestamp"])
		case "trade":
			ev.Kind, ev.Price, ev.Qty, ev.Time = model.EventTrade, f(o, "price"), f(o, "qty"), tm(o["timestamp"])
			ev.Side = map[any]model.Side{"buy": model.SideBuy, "sell": model.SideSell}[o["side"]]
		case "ohlc":
			ev.Kind, ev.Res, ev.Time = model.EventCandle, model.Minute, tm(m["timestamp"])
			ev.Candle = model.Candle{T: tm(o["interval_begin"]) / 1e9, Open: f(o, "open"), High: f(o, "high"),
				Low: f(o, "low"), Close: f(o, "close"), Volume: f(o, "volume")}
		}
		evs = append(evs, ev)
	}
	return evs, ok
}

var dataFixtures = []string{
	"kraken/ticker_snapshot.json", "kraken/ticker_snapshot_eth.json", "kraken/ticker_update.json",
	"kraken/trade.json", "kraken/trade_snapshot.json", "kraken/ohlc.json", "kraken/ohlc_update.json",
	"kraken/doc_examples/ticker.json", "kraken/doc_examples/trade_snapshot.json", "kraken/doc_examples/trade_update.json",
}

func TestParseDataFramesAgreeWithEncodingJSON(t *testing.T) {
	p := testParser()
	for _, name := range dataFixtures {
		b := feedtest.Fixture(t, name)
		if !p.parse(b) {
			t.Fatalf("%s refused: %s", name, p.sc.Err())
		}
		want, ok := oracleEvents(t, b)
		if name == "kraken/doc_examples/ohlc.json" {
			continue
		}
		if !ok || !slices.Equal(p.events, want) || p.f.badElems != 0 {
			t.Fatalf("%s:\n got %+v (bad %d: %s)\nwant %+v", name, p.events, p.f.badElems, p.f.elemErr, want)
		}
	}
	// The documented ohlc example uses 5-minute bars: read, but refused.
	if !p.parse(feedtest.Fixture(t, "kraken/doc_examples/ohlc.json")) || p.f.badElems != 2 || len(p.events) != 0 {
		t.Fatalf("5-minute ohlc: %v %d %v", p.sc.Err(), p.f.badElems, p.events)
	}
}

func TestParseControlFrames(t *testing.T) {
	p := testParser()
	for _, c := range []struct {
		name string
		kind msgKind
		ok   bool // success, for acks
	}{
		{"kraken/heartbeat.json", kindHeartbeat, false},
		{"kraken/status.json", kindStatus, false},
		{"bad/uint64_kraken_status.json", kindStatus, false},
		{"kraken/pong.json", kindPong, false},
		{"kraken/subscribe_ack.json", kindAck, true},
		{"kraken/subscribe_ack_ohlc.json", kindAck, true},
		{"kraken/doc_examples/trade_subscribe_ack.json", kindAck, true},
		{"kraken/subscribe_error.json", kindAck, false},
	} {
		if !p.parse(feedtest.Fixture(t, c.name)) {
			t.Fatalf("%s refused: %s", c.name, p.sc.Err())
		}
		if p.f.kind != c.kind || p.f.success != c.ok {
			t.Fatalf("%s: kind %d success %v", c.name, p.f.kind, p.f.success)
		}
	}
	p.parse(feedtest.Fixture(t, "kraken/status.json"))
	if string(p.f.system[:p.f.systemLen]) != "online" {
		t.Fatalf("system %q", p.f.system[:p.f.systemLen])
	}
	p.parse(feedtest.Fixture(t, "kraken/subscribe_error.json"))
	if p.f.symbol() != "XBT/USDX" || p.f.errText != "Currency pair not supported XBT/USDX" {
		t.Fatalf("error ack: %q %q", p.f.symbol(), p.f.errText)
	}
	// Data before channel is read once the channel is known.
	b := []byte(`{"data":[{"symbol":"XBT/USD","last":5.5}],"type":"update","channel":"ticker"}`)
	if !p.parse(b) || len(p.events) != 1 || p.events[0].Symbol != "BTC" || p.events[0].Price != 5.5 {
		t.Fatalf("late channel: %v %+v", p.sc.Err(), p.events)
	}
}

func TestParseRefusesBadFrames(t *testing.T) {
	accepted := map[string]bool{
		"uint64_kraken_status.json": true, // valid: connection_id is skipped, never read into an int64
		"error_kraken_ws.json":      true, // a refused subscription: reported by the session
	}
	p := testParser()
	for _, nf := range feedtest.BadFrames(t) {
		ok := p.parse(nf.Frame) && p.f.badElems == 0
		if ok != accepted[nf.Name] {
			t.Errorf("%s: accepted=%v (%q %q)", nf.Name, ok, p.sc.Err(), p.f.elemErr)
		}
	}
}

func TestParseReasons(t *testing.T) {
	p := testParser()
	for _, c := range []struct{ frame, reason string }{
		{`{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","last":"5"}]}`, "wrong type"},
		{`{"channel":"ticker","type":"update","data":{"symbol":"BTC/USD","last":5}}`, "data is not a list"},
		{`{"channel":"ticker","type":"update","data":[]}`, "no data"},
		{`{"channel":"mystery","data":[]}`, "unknown channel"},
		{`{"channel":"ticker","data":[{"symbol":"BTC/USD","last":1.8e309}]}`, "out of range"},
		{`{"channel":"ticker","data":[{"symbol":"BTC/USD","last":5,"last":6}]}`, "duplicate key"},
		{`{"channel":"ticker","channel":"ticker","data":[{"symbol":"BTC/USD","last":5}]}`, "duplicate key"},
		{`{"channel":"ticker","data":[{"symbol":"BTC/USD","last":5}`, "truncated"},
		{`{"foo":1}`, "without a channel or method"},
		{`{"channel":"trade","data":[{"symbol":"BTC/USD","price":5,"qty":1,"side":"up"}]}`, "unknown trade side"},
		{`{"method":"subscribe","result":{}}`, "without success"},
		{`{"method":"subscribe","success":"yes"}`, "wrong type"},
		{`[]`, "not a JSON object"},
		{``, "empty"},
	} {
		if p.parse([]byte(c.frame)) {
			t.Errorf("%q accepted", c.frame)
			continue
		}
		if !strings.Contains(p.sc.Err(), c.reason) {
			t.Errorf("%q: reason %q, want %q", c.frame, p.sc.Err(), c.reason)
		}
	}
	// Element-level problems: the frame is read, the element refused.
	for _, c := range []struct{ frame, reason string }{
		{`{"channel":"ticker","data":[{"symbol":"DOGE/USD","last":5}]}`, "unknown symbol"},
		{`{"channel":"ticker","data":[{"symbol":"BTC/USD"}]}`, "without a last price"},
		{`{"channel":"ticker","data":[{"symbol":"BTC/USD","last":-5}]}`, "out of range"},
		{`{"channel":"ohlc","data":[{"symbol":"BTC/USD"}]}`, "ohlc without"},
		{`{"channel":"ohlc","data":[{"symbol":"BTC/USD","open":2,"high":1,"low":1,"close":1,"volume":1,"interval":1,"interval_begin":"2025-06-02T12:00:00Z"}]}`, "impossible"},
		{`{"channel":"trade","data":[{"symbol":"BTC/USD","price":5,"qty":0,"side":"buy"}]}`, "out of range"},
	} {
		if !p.parse([]byte(c.frame)) || p.f.badElems != 1 || !strings.Contains(p.f.elemErr, c.reason) {
			t.Errorf("%q: ok=%v err=%q elemErr=%q", c.frame, p.sc.Err() == "", p.sc.Err(), p.f.elemErr)
		}
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	p := testParser()
	feedtest.NoAllocs(t, []string{"kraken/ticker_update.json", "kraken/trade.json", "kraken/ohlc_update.json", "kraken/heartbeat.json"}, func(b []byte) {
		if !p.parse(b) {
			t.Fatal(p.sc.Err())
		}
	})
}

func FuzzParseFrame(f *testing.F) {
	for _, name := range append(dataFixtures, "kraken/status.json", "kraken/subscribe_ack.json", "kraken/subscribe_error.json",
		"kraken/pong.json", "kraken/heartbeat.json", "kraken/doc_examples/ohlc.json") {
		f.Add(feedtest.Fixture(f, name))
	}
	for _, l := range feedtest.Lines(f, "kraken/session.jsonl") {
		f.Add(l)
	}
	for _, nf := range feedtest.BadFrames(f) {
		f.Add(nf.Frame)
	}
	p := testParser()
	f.Fuzz(func(t *testing.T, b []byte) {
		if !p.parse(b) {
			if p.sc.Err() == "" {
				t.Fatalf("%q refused without a reason", b)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		switch p.f.kind {
		case kindTicker, kindTrade, kindOHLC:
		default:
			return
		}
		if p.f.badElems != 0 {
			return
		}
		want, ok := oracleEvents(t, b)
		if !ok || !slices.Equal(p.events, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v (ok %v)", b, p.events, want, ok)
		}
	})
}

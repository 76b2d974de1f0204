package coinbase

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

var testIndex = map[string]int{"BTC-USD": 0, "ETH-USD": 1}

// oracle decodes b with encoding/json into a map (exact, case-sensitive
// keys; no struct-field folding) and derives what parse should report.
// ok is false when encoding/json cannot read b as an object.
func oracle(t testing.TB, b []byte) (f frame, ok bool) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return f, false
	}
	f.product = -1
	if v, ok := m["type"].(string); ok {
		switch v {
		case "ticker":
			f.typ = msgTicker
		case "match":
			f.typ = msgMatch
		case "last_match":
			f.typ, f.last = msgMatch, true
		case "heartbeat":
			f.typ = msgHeartbeat
		case "subscriptions":
			f.typ = msgSubscriptions
		case "error":
			f.typ = msgError
		}
	}
	if v, ok := m["product_id"].(string); ok {
		if i, ok := testIndex[v]; ok {
			f.product = i
		}
	}
	num := func(k string) float64 {
		s, _ := m[k].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	whole := func(k string) uint64 {
		n, _ := m[k].(json.Number)
		v, _ := strconv.ParseUint(string(n), 10, 64)
		return v
	}
	f.price, f.size = num("price"), num("size")
	switch m["side"] {
	case "buy":
		f.side = model.SideSell
	case "sell":
		f.side = model.SideBuy
	}
	if s, ok := m["time"].(string); ok {
		if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
			f.time = tm.UnixNano()
		}
	}
	f.seq, f.tradeID, f.lastTradeID = whole("sequence"), whole("trade_id"), whole("last_trade_id")
	if ch, ok := m["channels"].([]any); ok {
		f.channels = len(ch)
	}
	if s, ok := m["message"].(string); ok {
		f.message = strings.TrimSpace(safetext.Line(s, venue.MaxText))
	}
	if s, ok := m["reason"].(string); ok {
		f.reason = strings.TrimSpace(safetext.Line(s, venue.MaxText))
	}
	return f, true
}

// agree checks that an accepted frame says what encoding/json says.
func agree(t testing.TB, b []byte, got frame) {
	t.Helper()
	want, ok := oracle(t, b)
	if !ok {
		t.Fatalf("parse accepted %q, which encoding/json refuses", b)
	}
	if got.typ != want.typ || got.last != want.last || got.product != want.product || got.channels != want.channels {
		t.Fatalf("%q: type/product/channels: got %v %v %d %d, encoding/json %v %v %d %d", b,
			got.typ, got.last, got.product, got.channels, want.typ, want.last, want.product, want.channels)
	}
	if got.has&hasPrice != 0 && got.price != want.price {
		t.Fatalf("%q: price %v, encoding/json %v", b, got.price, want.price)
	}
	if got.has&hasSize != 0 && got.size != want.size {
		t.Fatalf("%q: size %v, encoding/json %v", b, got.size, want.size)
	}
	if got.has&hasSide != 0 && got.side != want.side {
		t.Fatalf("%q: side %v, encoding/json %v", b, got.side, want.side)
	}
	if got.has&hasTime != 0 && got.time != want.time {
		t.Fatalf("%q: time %v, encoding/json %v", b, got.time, want.time)
	}
	if got.has&hasSeq != 0 && got.seq != want.seq || got.has&hasTradeID != 0 && got.tradeID != want.tradeID ||
		got.has&hasLastTradeID != 0 && got.lastTradeID != want.lastTradeID {
		t.Fatalf("%q: ids %d %d %d, encoding/json %d %d %d", b, got.seq, got.tradeID, got.lastTradeID,
			want.seq, want.tradeID, want.lastTradeID)
	}
	if got.message != want.message || got.reason != want.reason {
		t.Fatalf("%q: message %q %q, encoding/json %q %q", b, got.message, got.reason, want.message, want.reason)
	}
}

var goodFixtures = []string{
	"coinbase/ticker.json", "coinbase/ticker_eth.json", "coinbase/match.json", "coinbase/last_match.json",
	"coinbase/heartbeat.json", "coinbase/subscriptions.json", "coinbase/error.json", "coinbase/error_unsubscribe.json",
	"coinbase/doc_examples/ticker.json", "coinbase/doc_examples/match.json", "coinbase/doc_examples/heartbeat.json",
	"coinbase/doc_examples/subscriptions.json",
}

func TestParseFixturesAgreeWithEncodingJSON(t *testing.T) {
	p := newParser(testIndex)
	for _, name := range goodFixtures {
		b := feedtest.Fixture(t, name)
		for _, frame := range [][]byte{b, feedtest.Compact(b)} {
			if !p.parse(frame) {
				t.Fatalf("%s: refused: %s", name, p.sc.Err())
			}
			agree(t, frame, p.f)
		}
	}
	for i, l := range feedtest.Lines(t, "coinbase/session.jsonl") {
		if !p.parse(l) {
			t.Fatalf("session line %d refused: %s", i+1, p.sc.Err())
		}
		agree(t, l, p.f)
	}
}

func TestParseTicker(t *testing.T) {
	p := newParser(testIndex)
	if !p.parse(feedtest.Fixture(t, "coinbase/ticker.json")) {
		t.Fatal(p.sc.Err())
	}
	f := p.f
	want := time.Date(2025, 6, 2, 12, 0, 0, 482113000, time.UTC).UnixNano()
	if f.typ != msgTicker || f.product != 0 || f.price != 105231.17 || f.time != want || f.seq != 109587443210 {
		t.Fatalf("ticker parsed as %+v", f)
	}
	if !p.parse(feedtest.Fixture(t, "coinbase/match.json")) {
		t.Fatal(p.sc.Err())
	}
	// "side":"buy" is the maker's side: the taker sold.
	if f := p.f; f.typ != msgMatch || f.side != model.SideSell || f.size != 0.012 || f.tradeID != 846271331 {
		t.Fatalf("match parsed as %+v", f)
	}
}

func TestParseRefusesBadFrames(t *testing.T) {
	accepted := map[string]bool{
		// valid heartbeats; the out-of-order one is caught by the session
		"coinbase_sequence_gap.jsonl:1": true, "coinbase_sequence_gap.jsonl:2": true,
		"coinbase_sequence_gap.jsonl:3": true, "coinbase_sequence_gap.jsonl:4": true,
		"error_coinbase_ws.json": true, // an error message: it ends the session
	}
	p := newParser(testIndex)
	for _, nf := range feedtest.BadFrames(t) {
		ok := p.parse(nf.Frame)
		if ok != accepted[nf.Name] {
			t.Errorf("%s: accepted=%v (reason %q), want %v", nf.Name, ok, p.sc.Err(), accepted[nf.Name])
		}
		if !ok && p.sc.Err() == "" {
			t.Errorf("%s: refused without a reason", nf.Name)
		}
	}
}

func TestParseReasons(t *testing.T) {
	p := newParser(testIndex)
	for _, c := range []struct{ frame, reason string }{
		{`{"type":"ticker","product_id":"BTC-USD","price":"105231.17","price":"1.00"}`, "duplicate key"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"NaN"}`, "not a number"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"Inf"}`, "not a number"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"0x1p-2"}`, "not a number"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"1_000"}`, "not a number"},
		{`{"type":"ticker","product_id":"BTC-USD","price":105231.17}`, "wrong type"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"1e400"}`, "out of range"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"-5"}`, "price out of range"},
		{`{"type":"ticker","product_id":"BTC-XYZ","price":"5"}`, "unknown product"},
		{`{"type":"ticker","product_id":"BTC-USD"}`, "without a price"},
		{`{"Type":"ticker","product_id":"BTC-USD","price":"5"}`, "without a type"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"5","time":"yesterday"}`, "bad time"},
		{`{"type":"mystery_event"}`, "unknown message type"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"5"} x`, "after the end"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"5",}`, "malformed"},
		{`{"type":"ticker","product_id":"BTC-USD","price":"5"`, "truncated"},
		{`[1,2,3]`, "not a JSON object"},
		{``, "empty"},
		{"  \n", "empty"},
		{`{"type":"match","product_id":"BTC-USD","price":"5","size":"1","side":"up"}`, "unknown trade side"},
		{`{"type":"match","product_id":"BTC-USD","price":"5","size":"0","side":"buy"}`, "size"},
		{`{"type":"heartbeat","product_id":"BTC-USD","sequence":-1}`, "whole number"},
		{`{"type":"heartbeat","product_id":"BTC-USD","sequence":"5"}`, "wrong type"},
		{strings.Repeat("[", 100), "not a JSON object"},
		{`{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "nested too deeply"},
	} {
		if p.parse([]byte(c.frame)) {
			t.Errorf("%q accepted", c.frame)
			continue
		}
		if !strings.Contains(p.sc.Err(), c.reason) {
			t.Errorf("%q: reason %q, want it to mention %q", c.frame, p.sc.Err(), c.reason)
		}
	}
}

func TestParseEscapesAndKeyCase(t *testing.T) {
	p := newParser(testIndex)
	// Escaped key and value decode like encoding/json does.
	b := []byte(`{"type":"tick\u0065r","product_\u0069d":"BTC\u002dUSD","price":"1.5","time":"2025-06-02T12:00:00+02:00"}`)
	if !p.parse(b) {
		t.Fatal(p.sc.Err())
	}
	agree(t, b, p.f)
	// Keys match exactly: "PRICE" is not "price" (encoding/json's struct
	// decoding would fold it).
	if p.parse([]byte(`{"type":"ticker","product_id":"BTC-USD","PRICE":"1.5"}`)) {
		t.Fatal("PRICE accepted as price")
	}
	// Error text is stripped of control characters and escape sequences.
	if !p.parse([]byte(`{"type":"error","message":"bad\u001b[31m red","reason":"bell\u0007"}`)) {
		t.Fatal(p.sc.Err())
	}
	if strings.ContainsAny(p.f.message+p.f.reason, "\x1b\x07") {
		t.Fatalf("control characters kept: %q %q", p.f.message, p.f.reason)
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	p := newParser(testIndex)
	feedtest.NoAllocs(t, []string{"coinbase/ticker.json", "coinbase/match.json", "coinbase/heartbeat.json"}, func(b []byte) {
		if !p.parse(b) {
			t.Fatal(p.sc.Err())
		}
	})
}

func FuzzParseFrame(f *testing.F) {
	for _, name := range goodFixtures {
		f.Add(feedtest.Fixture(f, name))
	}
	for _, l := range feedtest.Lines(f, "coinbase/session.jsonl") {
		f.Add(l)
	}
	for _, nf := range feedtest.BadFrames(f) {
		f.Add(nf.Frame)
	}
	p := newParser(testIndex)
	f.Fuzz(func(t *testing.T, b []byte) {
		ok := p.parse(b)
		if !ok {
			if p.sc.Err() == "" {
				t.Fatalf("%q refused without a reason", b)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		agree(t, b, p.f)
	})
}

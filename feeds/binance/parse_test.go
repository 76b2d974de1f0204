package binance

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

var testBases = []string{"BTC", "ETH", "SOL", "BNB"}

func ms(n int64) int64 { return n * 1e6 }

func TestParseFixtures(t *testing.T) {
	p := NewParser("USDT", testBases)
	quote := model.Event{Kind: model.EventQuote, Symbol: "BTC", Time: ms(1748865601017), Price: 105234.56}
	trade := model.Event{Kind: model.EventTrade, Symbol: "BTC", Time: ms(1748865631419), Price: 105234.56, Qty: 0.019, Side: model.SideBuy}
	candle := model.Event{Kind: model.EventCandle, Symbol: "BTC", Time: ms(1748865631422), Res: model.Minute,
		Candle: model.Candle{T: 1748865600, Open: 105190, High: 105250.01, Low: 105188.40, Close: 105234.56, Volume: 12.40512}}
	closed := model.Event{Kind: model.EventCandle, Symbol: "BTC", Time: ms(1748865660000), Res: model.Minute,
		Candle: model.Candle{T: 1748865600, Open: 105190, High: 105262, Low: 105188.40, Close: 105240.12, Volume: 19.87311}}
	cases := []struct {
		file     string
		want     []model.Event
		shutdown bool
	}{
		{"binance/miniticker.json", []model.Event{quote}, false},
		{"binance/miniticker_combined.json", []model.Event{quote}, false},
		{"binance/aggtrade.json", []model.Event{trade}, false},
		{"binance/aggtrade_combined.json", []model.Event{trade}, false},
		{"binance/kline.json", []model.Event{candle}, false},
		{"binance/kline_combined.json", []model.Event{candle}, false},
		{"binance/kline_closed.json", []model.Event{closed}, false},
		{"binance/server_shutdown.json", nil, true},
		{"binance/server_shutdown_combined.json", nil, true},
		{"binance/subscribe_ack.json", nil, false},
		{"binance/list_subscriptions_ack.json", nil, false},
		{"binance/miniticker_arr.json", nil, false}, // checked below
	}
	for _, tc := range cases {
		for _, compact := range []bool{false, true} {
			frame := feedtest.Fixture(t, tc.file)
			if compact {
				frame = feedtest.Compact(frame)
			}
			evs, shutdown, err := p.Parse(frame)
			if err != nil {
				t.Errorf("%s: %v", tc.file, err)
				continue
			}
			if shutdown != tc.shutdown {
				t.Errorf("%s: shutdown = %v", tc.file, shutdown)
			}
			if tc.want != nil && !reflect.DeepEqual(evs, tc.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", tc.file, evs, tc.want)
			}
		}
	}
	// An array of mini tickers: every configured pair, in order; ETHBTC is
	// not a USDT pair and is skipped.
	evs, _, err := p.Parse(feedtest.Fixture(t, "binance/miniticker_arr_combined.json"))
	if err != nil {
		t.Fatal(err)
	}
	var syms []string
	for _, ev := range evs {
		syms = append(syms, ev.Symbol)
	}
	if want := []string{"BTC", "ETH", "SOL", "BNB"}; !reflect.DeepEqual(syms, want) {
		t.Errorf("array symbols %v, want %v", syms, want)
	}
	if evs[1].Price != 2605.41 || evs[1].Time != ms(1748865601018) {
		t.Errorf("ETH %+v", evs[1])
	}
	// The maker flag: m=true means a seller took liquidity.
	evs, _, err = NewParser("BTC", []string{"BNB"}).Parse(feedtest.Fixture(t, "binance/doc_examples/aggtrade.json"))
	if err != nil || len(evs) != 1 || evs[0].Side != model.SideSell || evs[0].Qty != 100 || evs[0].Price != 0.001 {
		t.Errorf("doc aggTrade: %+v %v", evs, err)
	}
}

// notBad are files in fixtures/bad that are valid Binance frames.
var notBad = map[string]string{
	"empty_array.json":                           "an empty !miniTicker@arr: nothing changed",
	"empty_binance_miniticker_arr_combined.json": "the same, combined",
	"non_ascii_binance_miniticker_arr.json":      "a non-ASCII pair we do not watch, and BTCUSDT",
}

func TestParseBadFrames(t *testing.T) {
	p := NewParser("USDT", testBases)
	for _, f := range feedtest.BadFrames(t) {
		evs, shutdown, err := p.Parse(f.Frame)
		if shutdown {
			t.Errorf("%s: shutdown", f.Name)
		}
		if _, ok := notBad[f.Name]; ok {
			if err != nil {
				t.Errorf("%s: %v, want accepted (%s)", f.Name, err, notBad[f.Name])
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted with %+v, want counted bad", f.Name, evs)
		}
	}
	evs, _, err := p.Parse(feedtest.Fixture(t, "bad/non_ascii_binance_miniticker_arr.json"))
	if err != nil || len(evs) != 1 || evs[0].Symbol != "BTC" || evs[0].Price != 105234.56 {
		t.Errorf("non-ASCII array: %+v %v", evs, err)
	}
}

func TestParseIsCaseSensitive(t *testing.T) {
	p := NewParser("USDT", testBases)
	// "T" (close time) after "t" must not overwrite the start; "C" is not "c".
	frame := []byte(`{"e":"kline","E":1748865631422,"s":"BTCUSDT","k":{"t":1748865600000,"T":1748865659999,"i":"1m","o":"1","c":"2","C":"9","h":"3","l":"1","v":"5","x":false}}`)
	evs, _, err := p.Parse(frame)
	if err != nil || evs[0].Candle.T != 1748865600 || evs[0].Candle.Close != 2 {
		t.Fatalf("%+v %v", evs, err)
	}
	// A lower-case "e" is required; "E" alone is no event type.
	if _, _, err := p.Parse([]byte(`{"E":"aggTrade"}`)); err == nil {
		t.Fatal("accepted a frame with no e")
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	p := NewParser("USDT", testBases)
	sink := feedtest.Discard{}
	ctx := context.Background()
	feedtest.NoAllocs(t, []string{"binance/miniticker_combined.json", "binance/aggtrade_combined.json",
		"binance/kline_combined.json", "binance/miniticker.json", "binance/aggtrade.json", "binance/miniticker_arr_combined.json",
		"bad/nan_strings_binance_miniticker.json", "bad/truncated_binance_kline.json"}, func(frame []byte) {
		evs, _, _ := p.Parse(frame)
		for i := range evs {
			sink.Send(ctx, evs[i])
		}
	})
}

// ---- encoding/json reference, for the fuzz agreement check ----

var decimalRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

type refParser struct{ symbols map[string]string }

func (r refParser) parse(frame []byte) (evs []model.Event, shutdown, ok bool) {
	frame = bytes.TrimSpace(frame)
	if len(frame) == 0 {
		return nil, false, false
	}
	if frame[0] == '[' {
		var arr []map[string]json.RawMessage
		if json.Unmarshal(frame, &arr) != nil {
			return nil, false, false
		}
		for _, m := range arr {
			e, sd, ok := r.payload(m)
			if !ok {
				return nil, false, false
			}
			evs, shutdown = append(evs, e...), shutdown || sd
		}
		return evs, shutdown, true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(frame, &m) != nil || m == nil {
		return nil, false, false
	}
	if d, ok := m["data"]; ok {
		return r.parse(d)
	}
	if _, ok := m["e"]; !ok {
		if _, ok := m["id"]; ok {
			return nil, false, true
		}
	}
	return r.payload(m)
}

func (r refParser) payload(m map[string]json.RawMessage) ([]model.Event, bool, bool) {
	var e, s string
	if json.Unmarshal(m["e"], &e) != nil {
		return nil, false, false
	}
	if e == "serverShutdown" {
		return nil, true, true
	}
	if json.Unmarshal(m["s"], &s) != nil {
		return nil, false, false
	}
	sym, ok := r.symbols[s]
	if !ok {
		return nil, false, true
	}
	num := func(raw json.RawMessage) (int64, bool) {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return 0, false
		}
		v, err := strconv.ParseInt(string(n), 10, 64)
		return v, err == nil && v > 0 && v <= maxMillis
	}
	dec := func(raw json.RawMessage) (float64, bool) {
		var str string
		if json.Unmarshal(raw, &str) != nil || !decimalRe.MatchString(str) {
			return 0, false
		}
		f, err := strconv.ParseFloat(str, 64)
		return f, err == nil
	}
	switch e {
	case "24hrMiniTicker":
		t, ok1 := num(m["E"])
		c, ok2 := dec(m["c"])
		return []model.Event{{Kind: model.EventQuote, Symbol: sym, Time: t * 1e6, Price: c}}, false, ok1 && ok2
	case "aggTrade":
		t, ok1 := num(m["T"])
		p, ok2 := dec(m["p"])
		q, ok3 := dec(m["q"])
		var maker bool
		ok4 := json.Unmarshal(m["m"], &maker) == nil
		side := model.SideBuy
		if maker {
			side = model.SideSell
		}
		return []model.Event{{Kind: model.EventTrade, Symbol: sym, Time: t * 1e6, Price: p, Qty: q, Side: side}}, false, ok1 && ok2 && ok3 && ok4
	case "kline":
		var k map[string]json.RawMessage
		if json.Unmarshal(m["k"], &k) != nil {
			return nil, false, false
		}
		t, ok1 := num(m["E"])
		start, ok2 := num(k["t"])
		o, ok3 := dec(k["o"])
		h, ok4 := dec(k["h"])
		l, ok5 := dec(k["l"])
		c, ok6 := dec(k["c"])
		v, ok7 := dec(k["v"])
		return []model.Event{{Kind: model.EventCandle, Symbol: sym, Time: t * 1e6, Res: model.Minute,
			Candle: model.Candle{T: start / 1000, Open: o, High: h, Low: l, Close: c, Volume: v}}}, false, ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7
	}
	return nil, false, false
}

func seedFrames(f *testing.F) {
	for _, pattern := range []string{"binance/*.json", "binance/doc_examples/*.json"} {
		for _, nf := range feedtest.Glob(f, pattern) {
			f.Add(nf.Frame)
			f.Add(feedtest.Compact(nf.Frame))
		}
	}
	for _, l := range feedtest.Lines(f, "binance/session_combined.jsonl") {
		f.Add(l)
	}
	for _, bf := range feedtest.BadFrames(f) {
		f.Add(bf.Frame)
	}
}

func FuzzParseFrame(f *testing.F) {
	seedFrames(f)
	p := NewParser("USDT", testBases)
	ref := refParser{symbols: p.symbols}
	f.Fuzz(func(t *testing.T, frame []byte) {
		evs, shutdown, err := p.Parse(frame)
		if err != nil {
			if evs != nil || shutdown {
				t.Fatalf("error %v with events %+v / shutdown %v", err, evs, shutdown)
			}
			return
		}
		for _, ev := range evs {
			switch ev.Kind {
			case model.EventQuote, model.EventTrade:
				if !(ev.Price > 0) || ev.Qty < 0 || ev.Time <= 0 {
					t.Fatalf("accepted a bad event %+v", ev)
				}
			case model.EventCandle:
				if !model.ValidCandle(ev.Candle) {
					t.Fatalf("accepted a bad candle %+v", ev)
				}
			}
		}
		revs, rshut, ok := ref.parse(frame)
		if !ok {
			t.Fatalf("accepted %q, encoding/json does not", frame)
		}
		if rshut != shutdown || len(revs) != len(evs) {
			t.Fatalf("disagree with encoding/json on %q:\n fast %+v %v\n json %+v %v", frame, evs, shutdown, revs, rshut)
		}
		for i := range evs {
			if evs[i] != revs[i] {
				t.Fatalf("disagree with encoding/json on %q:\n fast %+v\n json %+v", frame, evs[i], revs[i])
			}
		}
	})
}

func FuzzParseKlines(f *testing.F) {
	f.Add(feedtest.Fixture(f, "binance/klines_rest.json"))
	f.Add(feedtest.Fixture(f, "binance/klines_rest_empty.json"))
	f.Add(feedtest.Fixture(f, "binance/doc_examples/klines_rest.json"))
	f.Add(feedtest.Fixture(f, "binance/error_rest_invalid_symbol.json"))
	for _, bf := range feedtest.BadFrames(f) {
		f.Add(bf.Frame)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, bad, err := ParseKlines(body, model.Minute)
		if err != nil && (rows != nil || bad != 0) {
			t.Fatalf("error %v with rows", err)
		}
		for _, c := range rows {
			if !model.ValidCandle(c) || c.T%60 != 0 {
				t.Fatalf("accepted a bad row %+v", c)
			}
		}
	})
}

func TestParseKlines(t *testing.T) {
	rows, bad, err := ParseKlines(feedtest.Fixture(t, "binance/klines_rest.json"), model.Hour)
	if err != nil || bad != 0 || len(rows) != 6 {
		t.Fatalf("%d rows, %d bad, %v", len(rows), bad, err)
	}
	want := model.Candle{T: 1748844000, Open: 104410, High: 104607.21, Low: 103848.86, Close: 104064.46, Volume: 921.63142}
	if rows[0] != want {
		t.Errorf("row 0 %+v, want %+v", rows[0], want)
	}
	if _, bad, err := ParseKlines(feedtest.Fixture(t, "bad/wrong_types_binance_klines_rest_short_rows.json"), model.Hour); err != nil || bad != 2 {
		t.Errorf("short rows: bad=%d err=%v, want 2 bad rows", bad, err)
	}
	if _, _, err := ParseKlines(feedtest.Fixture(t, "binance/error_rest_invalid_symbol.json"), model.Minute); err == nil ||
		err.Error() != "binance refused: Invalid symbol. (code -1121)" {
		t.Errorf("error body: %v", err)
	}
	for _, name := range []string{"html_error_page.html", "json_null.json", "truncated_binance_kline.json"} {
		if _, _, err := ParseKlines(feedtest.Fixture(t, "bad/"+name), model.Minute); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// ---- benchmarks: frames/s = 1e9 / ns_per_op ----

func benchParse(b *testing.B, file string) {
	p := NewParser("USDT", testBases)
	sink := feedtest.Discard{}
	ctx := context.Background()
	feedtest.BenchFrame(b, file, func(frame []byte) {
		evs, _, err := p.Parse(frame)
		if err != nil {
			b.Fatal(err)
		}
		for i := range evs {
			sink.Send(ctx, evs[i])
		}
	})
}

func BenchmarkParseMiniTicker(b *testing.B)    { benchParse(b, "binance/miniticker_combined.json") }
func BenchmarkParseAggTrade(b *testing.B)      { benchParse(b, "binance/aggtrade_combined.json") }
func BenchmarkParseKline(b *testing.B)         { benchParse(b, "binance/kline_combined.json") }
func BenchmarkParseMiniTickerRaw(b *testing.B) { benchParse(b, "binance/miniticker.json") }
func BenchmarkParseAggTradeRaw(b *testing.B)   { benchParse(b, "binance/aggtrade.json") }

// Plain structs declaring both spellings of every colliding key: encoding/json
// matches keys case-insensitively, so a struct declaring only "t" would get
// Binance's "T" as well.
type jsonMiniTicker struct {
	Stream string `json:"stream"`
	Data   struct {
		Ev   string `json:"e"`
		Time int64  `json:"E"`
		Sym  string `json:"s"`
		C    string `json:"c"`
		O    string `json:"o"`
		H    string `json:"h"`
		L    string `json:"l"`
		V    string `json:"v"`
		Q    string `json:"q"`
	} `json:"data"`
}

type jsonAggTrade struct {
	Stream string `json:"stream"`
	Data   struct {
		Ev    string `json:"e"`
		Time  int64  `json:"E"`
		Sym   string `json:"s"`
		A     int64  `json:"a"`
		P     string `json:"p"`
		Q     string `json:"q"`
		F     int64  `json:"f"`
		L     int64  `json:"l"`
		T     int64  `json:"T"`
		Maker bool   `json:"m"`
		M     bool   `json:"M"`
	} `json:"data"`
}

func BenchmarkJSONMiniTicker(b *testing.B) {
	feedtest.BenchFrame(b, "binance/miniticker_combined.json", func(frame []byte) {
		var v jsonMiniTicker
		if err := json.Unmarshal(frame, &v); err != nil {
			b.Fatal(err)
		}
		if _, err := strconv.ParseFloat(v.Data.C, 64); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkJSONAggTrade(b *testing.B) {
	feedtest.BenchFrame(b, "binance/aggtrade_combined.json", func(frame []byte) {
		var v jsonAggTrade
		if err := json.Unmarshal(frame, &v); err != nil {
			b.Fatal(err)
		}
		if _, err := strconv.ParseFloat(v.Data.P, 64); err != nil {
			b.Fatal(err)
		}
		if _, err := strconv.ParseFloat(v.Data.Q, 64); err != nil {
			b.Fatal(err)
		}
	})
}

// benchMarket parses frames and hands the events to a running
// model.Market (its hub goroutine applies them), the real apply path.
func benchMarket(b *testing.B, file string) {
	m := model.NewMarket(model.MarketOptions{MaxFutureSkew: -1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	p := NewParser("USDT", testBases)
	frame := feedtest.Compact(feedtest.Fixture(b, file))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		evs, _, err := p.Parse(frame)
		if err != nil {
			b.Fatal(err)
		}
		for i := range evs {
			m.Send(ctx, evs[i])
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

func BenchmarkMarketMiniTicker(b *testing.B) { benchMarket(b, "binance/miniticker_combined.json") }
func BenchmarkMarketAggTrade(b *testing.B)   { benchMarket(b, "binance/aggtrade_combined.json") }

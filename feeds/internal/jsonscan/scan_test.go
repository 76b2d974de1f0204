package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tokentop/tokentop/feeds/feedtest"
)

func scan(b string) *Scanner {
	var s Scanner
	s.Reset([]byte(b))
	return &s
}

func TestNumberLen(t *testing.T) {
	for in, want := range map[string]int{
		"0": 1, "-0": 2, "12": 2, "1.5": 3, "-1.5e-3": 7, "1E+9": 4, "105231.17,": 9, "7}": 1,
		"": 0, "-": 0, "+1": 0, ".5": 0, "01": 1, "1.": 0, "1e": 0, "1e+": 0, "NaN": 0, "Inf": 0,
		"0x1p-2": 1, "1_000": 1,
	} {
		if got := NumberLen([]byte(in)); got != want {
			t.Errorf("NumberLen(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestNumbers(t *testing.T) {
	if f, ok := scan(` -1.25e2 `).Float(); !ok || f != -125 {
		t.Errorf("Float: %v %v", f, ok)
	}
	if f, ok := scan(`"105231.17"`).StrFloat(); !ok || f != 105231.17 {
		t.Errorf("StrFloat: %v %v", f, ok)
	}
	if v, ok := scan(`18446744073709551615`).Uint(); !ok || v != 1<<64-1 {
		t.Errorf("Uint: %v %v", v, ok)
	}
	for in, reason := range map[string]string{
		`1e400`:                "number out of range",
		`"1e400"`:              "number out of range",
		`18446744073709551616`: "not a whole number in range",
		`-1`:                   "not a whole number in range",
		`1.5`:                  "not a whole number in range",
		`"NaN"`:                "not a number",
		`""`:                   "not a number",
		`12`:                   "wrong type: expected a number in a string",
		``:                     "truncated",
		`x`:                    "expected a number",
	} {
		s := scan(in)
		switch {
		case strings.HasPrefix(in, `"`) || in == `12`:
			s.StrFloat()
		case strings.Contains(reason, "whole"):
			s.Uint()
		default:
			s.Float()
		}
		if !strings.Contains(s.Err(), reason) {
			t.Errorf("%q: reason %q, want it to mention %q", in, s.Err(), reason)
		}
	}
}

func TestStrings(t *testing.T) {
	for in, want := range map[string]string{
		`"plain"`:                    "plain",
		`"a\"b\\c\/d\b\f\n\r\t"`:     "a\"b\\c/d\b\f\n\r\t",
		`"\u0065\u00e9\u20AC"`:       "eé€",
		`"\ud83d\ude00"`:             "😀",
		`"\ud83d"`:                   "\uFFFD",
		`"\ud83dx"`:                  "\uFFFDx",
		`"\ude00\ud83d"`:             "\uFFFD\uFFFD",
		`"\ud83d\u0041"`:             "\uFFFDA",
		`"non-ASCII ü stays"`:        "non-ASCII ü stays",
		`"BTC\u002dUSD"`:             "BTC-USD",
		`"tick\u0065r"`:              "ticker",
		`"\ud83d\ude00\ud83d\ude00"`: "😀😀",
	} {
		s := scan(in)
		got, ok := s.Str()
		if !ok || string(got) != want {
			t.Errorf("Str(%s) = %q %v (%s), want %q", in, got, ok, s.Err(), want)
		}
		var ref string
		if err := json.Unmarshal([]byte(in), &ref); err != nil || ref != want {
			t.Errorf("encoding/json reads %s as %q (%v)", in, ref, err)
		}
		raw, esc, ok := scan(in).RawStr()
		if !ok || string(raw) != in[1:len(in)-1] || esc != strings.Contains(in, `\`) {
			t.Errorf("RawStr(%s) = %q %v %v", in, raw, esc, ok)
		}
	}
}

// TestReasons checks the first problem's words for each kind of bad text.
func TestReasons(t *testing.T) {
	for _, c := range []struct{ in, reason string }{
		{`"abc`, "truncated"},
		{`"ab\`, "truncated"},
		{`"\u12`, "truncated"},
		{`"\uZZ`, "truncated"},
		{`"\uZZZZ"`, `bad \u escape`},
		{`"\ud83d\uZZZZ"`, `bad \u escape`},
		{`"\x"`, "bad escape"},
		{"\"a\tb\"", "control character"},
		{"\"a\\n\x01\"", "control character"},
		{`{"a":1,}`, "expected '\"'"},
		{`{"a" 1}`, "expected ':'"},
		{`{"a":1 "b":2}`, "expected '}'"},
		{`{1:2}`, "expected '\"'"},
		{`[1,]`, "trailing comma"},
		{`[1 2]`, "expected ']'"},
		{`[`, "truncated"},
		{`{"a":`, "truncated"},
		{`tru`, "truncated"},
		{`nul1`, "unknown literal"},
		{`+1`, "expected a number"},
		{``, "truncated"},
		{`01`, "data after the end"},
		{`{} {}`, "data after the end"},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), "nested too deeply"},
		{strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1), "nested too deeply"},
	} {
		s := scan(c.in)
		if s.Skip() && s.End() {
			t.Errorf("%q accepted", c.in)
			continue
		}
		if !strings.Contains(s.Err(), c.reason) {
			t.Errorf("%q: reason %q, want it to mention %q", c.in, s.Err(), c.reason)
		}
		if json.Valid([]byte(c.in)) && !strings.Contains(c.reason, "deeply") {
			t.Errorf("%q: encoding/json accepts it", c.in)
		}
	}
}

func TestDepth(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	if s := scan(nest(MaxDepth)); !s.Skip() || !s.End() {
		t.Errorf("%d levels refused: %s", MaxDepth, s.Err())
	}
	s := scan(nest(32))
	s.SetMaxDepth(32)
	if !s.Skip() || !s.End() {
		t.Errorf("32 levels refused with a limit of 32: %s", s.Err())
	}
	s = scan(nest(33))
	s.SetMaxDepth(32)
	if s.Skip() || !strings.Contains(s.Err(), "deeply") {
		t.Errorf("33 levels with a limit of 32: %q", s.Err())
	}
	var zero Scanner // not Reset: refuses everything
	if zero.Skip() {
		t.Error("zero Scanner read a value")
	}
}

// TestKeysAreExact reads an object key by key: keys are case-sensitive
// and Key unescapes while RawKey does not.
func TestKeysAreExact(t *testing.T) {
	in := `{"t":1,"T":2, "c" : "x", "C":true,"\u0074":null}`
	s := scan(in)
	if !s.BeginObject() {
		t.Fatal(s.Err())
	}
	var keys []string
	for first := true; ; first = false {
		k, ok := s.Key(first)
		if !ok {
			break
		}
		keys = append(keys, string(k))
		if !s.Skip() {
			t.Fatal(s.Err())
		}
	}
	if !s.End() || strings.Join(keys, ",") != "t,T,c,C,t" {
		t.Errorf("keys %q, err %q", keys, s.Err())
	}

	s = scan(in)
	s.BeginObject()
	var raws []string
	var escs []bool
	for first := true; ; first = false {
		k, esc, ok := s.RawKey(first)
		if !ok {
			break
		}
		raws, escs = append(raws, string(k)), append(escs, esc)
		s.Skip()
	}
	if !s.End() || strings.Join(raws, ",") != `t,T,c,C,\u0074` || escs[0] || !escs[4] {
		t.Errorf("raw keys %q %v, err %q", raws, escs, s.Err())
	}
}

func TestValue(t *testing.T) {
	in := ` {"s":"a\"b","n":-1.5,"t":true,"f":false,"z":null,"o":{"x":[1,{}]},"a":[ "q" ]} `
	want := []Value{
		{Raw: []byte(`a\"b`), Kind: String, Esc: true},
		{Raw: []byte(`-1.5`), Kind: Number},
		{Raw: []byte(`true`), Kind: Bool},
		{Raw: []byte(`false`), Kind: Bool},
		{Raw: []byte(`null`), Kind: Null},
		{Raw: []byte(`{"x":[1,{}]}`), Kind: Object},
		{Raw: []byte(`[ "q" ]`), Kind: Array},
	}
	s := scan(in)
	s.BeginObject()
	i := 0
	for first := true; ; first = false {
		if _, _, ok := s.RawKey(first); !ok {
			break
		}
		v, ok := s.Value()
		if !ok || i >= len(want) || !bytes.Equal(v.Raw, want[i].Raw) || v.Kind != want[i].Kind || v.Esc != want[i].Esc {
			t.Errorf("value %d: %q %d %v %v", i, v.Raw, v.Kind, v.Esc, ok)
		}
		i++
	}
	if !s.End() || i != len(want) {
		t.Errorf("read %d values, err %q", i, s.Err())
	}
	if v, ok := scan(`[1,`).Value(); ok || v.Kind != None {
		t.Errorf("truncated array: %+v %v", v, ok)
	}
}

// TestSetInput reads a saved part of the input, then comes back.
func TestSetInput(t *testing.T) {
	s := scan(`{"data":[1,2],"channel":"x"}`)
	s.BeginObject()
	s.Key(true)
	s.WS()
	start := s.Pos()
	s.Skip()
	end := s.Pos()
	for first := false; ; {
		if _, ok := s.Key(first); !ok {
			break
		}
		s.Skip()
	}
	if !s.End() {
		t.Fatal(s.Err())
	}
	whole := s.Input()
	s.SetInput(whole[start:end], 0)
	n := 0
	s.BeginArray()
	for first := true; s.Elem(first); first = false {
		if _, ok := s.Uint(); !ok {
			t.Fatal(s.Err())
		}
		n++
	}
	s.SetInput(whole, len(whole))
	if n != 2 || !s.End() {
		t.Errorf("%d elements, err %q", n, s.Err())
	}
}

func TestParseTimeAgreesWithTimePackage(t *testing.T) {
	for _, s := range []string{
		"2025-06-02T12:00:00.482113Z", "2025-06-02T12:00:00Z", "2024-02-29T23:59:59.999999999Z",
		"2025-06-02T12:00:00.1-05:30", "1970-01-01T00:00:00Z", "2100-12-31T00:00:00+23:59",
	} {
		got, ok := ParseTime([]byte(s))
		want, err := time.Parse(time.RFC3339Nano, s)
		if !ok || err != nil || got != want.UnixNano() {
			t.Errorf("%s: %d %v, time.Parse %d %v", s, got, ok, want.UnixNano(), err)
		}
	}
	for _, s := range []string{"2025-02-29T00:00:00Z", "2025-06-02T24:00:00Z", "2025-06-02 12:00:00Z",
		"2025-06-02T12:00:00.Z", "2025-06-02T12:00:00.1234567891Z", "1969-12-31T23:59:59Z", "2025-06-02T12:00:00"} {
		if _, ok := ParseTime([]byte(s)); ok {
			t.Errorf("%s accepted", s)
		}
	}
}

func TestAllocatesNothing(t *testing.T) {
	var s Scanner
	for _, file := range []string{"binance/aggtrade_combined.json", "coinbase/ticker.json", "kraken/ohlc_update.json"} {
		frame := feedtest.Fixture(t, file)
		allocs := testing.AllocsPerRun(200, func() {
			s.Reset(frame)
			if !s.Skip() || !s.End() {
				t.Fatalf("%s: %s", file, s.Err())
			}
			s.Reset(frame)
			if _, ok := s.Value(); !ok {
				t.Fatalf("%s: %s", file, s.Err())
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per frame, want 0", file, allocs)
		}
	}
	esc := []byte(`"\u00e9t\u00e9"`)
	s.Reset(esc)
	s.Str() // grows the buffer once
	allocs := testing.AllocsPerRun(200, func() {
		s.Reset(esc)
		s.Str()
	})
	if allocs != 0 {
		t.Errorf("escaped string: %v allocations, want 0", allocs)
	}
}

// walk reads any value with the pull methods (Key, Str, Num, Lit),
// building what encoding/json would decode, to compare with it.
func walk(s *Scanner) (any, bool) {
	switch c := s.Peek(); c {
	case '{':
		if !s.BeginObject() {
			return nil, false
		}
		m := map[string]any{}
		for first := true; ; first = false {
			k, ok := s.Key(first)
			if !ok {
				return m, s.OK()
			}
			key := string(k)
			v, ok := walk(s)
			if !ok {
				return nil, false
			}
			m[key] = v
		}
	case '[':
		if !s.BeginArray() {
			return nil, false
		}
		a := []any{}
		for first := true; s.Elem(first); first = false {
			v, ok := walk(s)
			if !ok {
				return nil, false
			}
			a = append(a, v)
		}
		return a, s.OK()
	case '"':
		b, ok := s.Str()
		return string(b), ok
	case 't':
		return true, s.Lit("true")
	case 'f':
		return false, s.Lit("false")
	case 'n':
		return nil, s.Lit("null")
	default:
		b, ok := s.Num()
		return json.Number(b), ok
	}
}

func FuzzScan(f *testing.F) {
	for _, pattern := range []string{"binance/*.json", "coinbase/*.json", "kraken/*.json", "bad/*"} {
		for _, nf := range feedtest.Glob(f, pattern) {
			f.Add(nf.Frame)
		}
	}
	f.Add([]byte(`{"a":"\ud83d\ude00\u00e9\n","b":[1,-2.5e3,true,false,null,{}],"c":{"d":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Scanner
		s.Reset(b)
		skipped := s.Skip() && s.End()
		if !skipped && s.Err() == "" {
			t.Fatalf("refused %q without a reason", b)
		}

		s.Reset(b)
		v, ok := s.Value()
		if ok = ok && s.End(); ok != skipped {
			t.Fatalf("Value %v, Skip %v on %q", ok, skipped, b)
		}
		if ok && v.Kind != String && !bytes.Equal(v.Raw, bytes.TrimSpace(b)) {
			t.Fatalf("Value raw %q of %q", v.Raw, b)
		}

		s.Reset(b)
		got, ok := walk(&s)
		if ok = ok && s.End(); ok != skipped {
			t.Fatalf("walk %v, Skip %v on %q (%s)", ok, skipped, b, s.Err())
		}

		var ref any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		refErr := d.Decode(&ref)
		if refErr == nil && d.More() || refErr == nil && d.InputOffset() < int64(len(bytes.TrimRight(b, " \t\r\n"))) {
			refErr = json.Unmarshal(b, new(any)) // data after the value
		}
		deep := strings.Contains(s.Err(), "deeply")
		if skipped != (refErr == nil) && !deep {
			t.Fatalf("accepted %v, encoding/json %v, on %q (%s)", skipped, refErr, b, s.Err())
		}
		if skipped && utf8.Valid(b) {
			want, _ := json.Marshal(ref)
			have, _ := json.Marshal(got)
			if !bytes.Equal(want, have) {
				t.Fatalf("read %s, encoding/json %s", have, want)
			}
		}
	})
}

func TestTypedStr(t *testing.T) {
	for in, want := range map[string]string{
		`"ab\n"`: "ab\n|", `12`: "|wrong type: expected a string", `{}`: "|wrong type: expected a string", ` `: "|frame ends early (truncated)",
	} {
		s := scan(in)
		v, _ := s.TypedStr()
		if got := string(v) + "|" + s.Err(); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

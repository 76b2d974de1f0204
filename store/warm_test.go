package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

func TestWarmRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	if w, err := s.LoadWarm("live", time.Hour, time.Now()); w != nil || err != nil {
		t.Fatalf("no cache yet: %v %v", w, err)
	}
	tokens := warmTokens(4, 5000) // more than the rings hold: the newest are kept
	tokens[1].Info.Name = "Evil\x1b]0;pwned\x07 Coin with a very long name that goes on and on and on and on and on"
	saved := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.SaveWarm("live", model.WarmStart{Saved: saved, Tokens: tokens}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openT(t, dir)
	w, err := s.LoadWarm("live", time.Hour, saved.Add(59*time.Minute))
	if err != nil || w == nil {
		t.Fatalf("LoadWarm: %v %v", w, err)
	}
	if !w.Saved.Equal(saved) || len(w.Tokens) != 4 {
		t.Fatalf("saved %v, %d tokens", w.Saved, len(w.Tokens))
	}
	for i, got := range w.Tokens {
		want := tokens[i]
		want.Minute = want.Minute[len(want.Minute)-model.MinuteBars:]
		want.Minute5 = want.Minute5[len(want.Minute5)-model.Minute5Bars:]
		want.Hour = want.Hour[len(want.Hour)-model.HourBars:]
		want.Hour4 = want.Hour4[len(want.Hour4)-model.Hour4Bars:]
		want.Day = want.Day[len(want.Day)-model.DayBars:]
		if i == 1 {
			want.Info.Name = "Evil Coin with a very long name that goes on and on and on and …"
			if n := len([]rune(got.Info.Name)); n != 64 {
				t.Errorf("name is %d runes", n)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("token %d differs:\n got %+v\nwant %+v", i, got.Info, want.Info)
		}
	}
	// Too old, another namespace: nothing.
	if w, _ := s.LoadWarm("live", time.Hour, saved.Add(61*time.Minute)); w != nil {
		t.Error("a cache older than maxAge was returned")
	}
	if w, _ := s.LoadWarm("demo", 0, time.Now()); w != nil {
		t.Error("demo sees live's cache")
	}
	// A new save replaces the whole namespace.
	if err := s.SaveWarm("live", model.WarmStart{Saved: saved, Tokens: tokens[:1]}); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.LoadWarm("live", 0, time.Now()); w == nil || len(w.Tokens) != 1 {
		t.Errorf("after a smaller save: %+v", w)
	}
}

// Bars that would not read back are left out when saving, so one bad bar
// does not cost the token.
func TestSaveWarmDropsBadBars(t *testing.T) {
	s := openT(t, t.TempDir())
	tok := warmTokens(1, 10)[0]
	tok.Hour = append(tok.Hour, tok.Hour[0])                                             // out of order
	tok.Hour = append(tok.Hour, model.Candle{T: tok.Hour[9].T + 3600, Open: math.NaN()}) // malformed
	tok.Minute[3].T += 7                                                                 // misaligned
	tok.Info.MarketCap = math.Inf(1)
	bad := tok
	bad.Info.Symbol = "not a symbol"
	if err := s.SaveWarm("live", model.WarmStart{Saved: time.Now(), Tokens: []model.WarmToken{tok, bad}}); err != nil {
		t.Fatal(err)
	}
	w, _ := s.LoadWarm("live", 0, time.Now())
	if w == nil || len(w.Tokens) != 1 {
		t.Fatalf("%+v", w)
	}
	got := w.Tokens[0]
	if len(got.Hour) != 10 || len(got.Minute) != 9 || got.Info.MarketCap != 0 {
		t.Errorf("hour %d minute %d cap %v", len(got.Hour), len(got.Minute), got.Info.MarketCap)
	}
}

// A hostile value in the cache is skipped; the rest loads.
func TestLoadWarmSkipsBadTokens(t *testing.T) {
	s := openT(t, t.TempDir())
	if err := s.SaveWarm("live", model.WarmStart{Saved: time.Now(), Tokens: warmTokens(3, 50)}); err != nil {
		t.Fatal(err)
	}
	good := encodeWarmToken(nil, &warmTokens(1, 50)[0])
	pokeRecord(t, s, "T0", string(good[:len(good)-3]), "warm", "live", "tokens") // cut short
	pokeRecord(t, s, "T1", string(append(good, 0)), "warm", "live", "tokens")    // a byte left over
	pokeRecord(t, s, "lower", string(good), "warm", "live", "tokens")            // not a symbol
	s.db.Update(func(tx *bolt.Tx) error {
		tb, _ := bucketAt(tx, "warm", "live", "tokens")
		_, err := tb.CreateBucket([]byte("NESTED")) // not a value
		return err
	})
	w, err := s.LoadWarm("live", 0, time.Now())
	if err != nil || w == nil || len(w.Tokens) != 1 || w.Tokens[0].Info.Symbol != "T2" {
		t.Fatalf("%v %+v", err, w)
	}
}

func TestDecodeWarmTokenChecks(t *testing.T) {
	tok := warmTokens(1, 5)[0]
	good := encodeWarmToken(nil, &tok)
	if _, err := decodeWarmToken("T0", good); err != nil {
		t.Fatal(err)
	}
	// The minute bars start right after the header.
	hdr := 1 + 1 + len(tok.Info.Name) + 3*8 + binary.PutVarint(make([]byte, 10), tok.Last.UnixNano())
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := map[string][]byte{
		"format": mutate(func(b []byte) []byte { b[0] = 9; return b }),
		"empty":  {},
		"too many": mutate(func(b []byte) []byte {
			return append(append(b[:hdr:hdr], binary.AppendUvarint(nil, 5000)...), b[hdr+1:]...)
		}),
		"zero gap":     mutate(func(b []byte) []byte { b[hdr+1+binary.PutVarint(make([]byte, 10), tok.Minute[0].T)+40] = 0; return b }),
		"misaligned":   mutate(func(b []byte) []byte { return encodeMisaligned(tok) }),
		"bad candle":   mutate(func(b []byte) []byte { return encodeBadCandle(tok) }),
		"huge name":    append([]byte{1}, binary.AppendUvarint(nil, 1<<40)...),
		"cut in a bar": good[:hdr+10],
	}
	for name, b := range cases {
		_, err := decodeWarmToken("T0", b)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
		t.Logf("%s: %v", name, err)
	}
}

// encodeMisaligned writes a minute bar starting off the minute, bypassing
// the encoder's filter.
func encodeMisaligned(tok model.WarmToken) []byte {
	b := []byte{warmFormat, 0}
	b = appendF64(appendF64(appendF64(b, 0), 0), 1)
	b = binary.AppendVarint(b, 0)
	b = binary.AppendUvarint(b, 1)
	b = binary.AppendVarint(b, tok.Minute[0].T+1)
	c := tok.Minute[0]
	for _, v := range []float64{c.Open, c.High, c.Low, c.Close, c.Volume} {
		b = appendF64(b, v)
	}
	return append(b, make([]byte, len(warmRes)-1)...) // the other lists: empty
}

func encodeBadCandle(tok model.WarmToken) []byte {
	b := []byte{warmFormat, 0}
	b = appendF64(appendF64(appendF64(b, 0), 0), 1)
	b = binary.AppendVarint(b, 0)
	b = binary.AppendUvarint(b, 1)
	b = binary.AppendVarint(b, tok.Minute[0].T)
	for _, v := range []float64{1, 0.5, 2, 1, 1} { // high below low
		b = appendF64(b, v)
	}
	return append(b, make([]byte, len(warmRes)-1)...)
}

// Format 1 (three bar lists: 1m, 1h, 1d, up to 1440, 720, 366 bars) is
// still read; of each list the newest bars a Series holds are kept.
func TestDecodeWarmFormat1(t *testing.T) {
	tok := warmTokens(1, 2000)[0]
	b := []byte{1, byte(len(tok.Info.Name))}
	b = append(b, tok.Info.Name...)
	b = appendF64(appendF64(appendF64(b, tok.Info.MarketCap), tok.Info.Supply), tok.Price)
	b = binary.AppendVarint(b, tok.Last.UnixNano())
	v1 := map[model.Resolution][]model.Candle{}
	for i, res := range warmResV1 {
		w := res.Seconds()
		cs := make([]model.Candle, warmCapsV1[i])
		for j := range cs {
			cs[j] = model.Candle{T: tok.Last.Unix() - int64(len(cs)-j)*w, Open: 10, High: 11, Low: 9, Close: 10.5, Volume: float64(j)}
		}
		v1[res] = cs
		b = appendBars(b, cs, w, warmCapsV1[i])
	}
	got, err := decodeWarmToken("T0", b)
	if err != nil {
		t.Fatal(err)
	}
	want := tok
	want.Minute = v1[model.Minute][len(v1[model.Minute])-model.MinuteBars:]
	want.Hour = v1[model.Hour][len(v1[model.Hour])-model.HourBars:]
	want.Day = v1[model.Day][len(v1[model.Day])-model.DayBars:]
	want.Minute5, want.Hour4 = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("format 1: got %d/%d/%d/%d/%d bars", len(got.Minute), len(got.Minute5), len(got.Hour), len(got.Hour4), len(got.Day))
	}
}

// FuzzDecodeWarmToken: the decoder never panics; whatever it accepts is
// well formed and encodes back to the same bytes.
func FuzzDecodeWarmToken(f *testing.F) {
	for _, tok := range warmTokens(2, 3) {
		f.Add(encodeWarmToken(nil, &tok))
	}
	f.Add([]byte{1, 0})
	f.Add(encodeMisaligned(warmTokens(1, 3)[0]))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := decodeWarmToken("FUZZ", b)
		if err != nil {
			return
		}
		for i, bars := range tok.Bars() {
			w := warmRes[i].Seconds()
			for j, c := range bars {
				if !model.ValidCandle(c) || c.T%w != 0 || j > 0 && c.T <= bars[j-1].T {
					t.Fatalf("accepted a bad bar %+v", c)
				}
			}
			if len(bars) > warmCaps[i] {
				t.Fatalf("%d bars accepted", len(bars))
			}
		}
		if tok.Info.Name != safetext.Line(tok.Info.Name, nameRunes) {
			t.Fatalf("unclean name %q", tok.Info.Name)
		}
		again, err := decodeWarmToken("FUZZ", encodeWarmToken(nil, &tok))
		if err != nil || !reflect.DeepEqual(again, tok) {
			t.Fatalf("re-encoding: %v\n%+v\n%+v", err, again, tok)
		}
	})
}

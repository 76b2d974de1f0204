package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// The warm-start cache: each token's recent history, so a restart shows
// sparklines, changes and grades at once. One token is one binary value
// (SCHEMA.md, "warm token"): about 41 bytes a bar, against ~120 as JSON.

// warmFormat 2 has five bar lists (1m, 5m, 1h, 4h, 1d); format 1 (before
// the model kept 5-minute and 4-hour bars) had three (1m, 1h, 1d) and is
// still read.
const warmFormat = 2

// Bars kept per resolution: the model's ring sizes.
var warmCaps = [5]int{model.MinuteBars, model.Minute5Bars, model.HourBars, model.Hour4Bars, model.DayBars}

var warmRes = [5]model.Resolution{model.Minute, model.Minute5, model.Hour, model.Hour4, model.Day}

// Format 1's lists and their limits.
var (
	warmResV1  = [3]model.Resolution{model.Minute, model.Hour, model.Day}
	warmCapsV1 = [3]int{1440, 720, 366}
)

const barBytes = 40 // open, high, low, close, volume as float64

// encodeWarmToken appends t's value to dst. Bars that would not decode
// (malformed, misaligned, out of order) are dropped, and at most the
// newest warmCaps bars of each resolution are kept, so what is written
// always reads back.
func encodeWarmToken(dst []byte, t *model.WarmToken) []byte {
	dst = append(dst, warmFormat)
	name := safetext.Line(t.Info.Name, nameRunes)
	dst = binary.AppendUvarint(dst, uint64(len(name)))
	dst = append(dst, name...)
	dst = appendF64(dst, finiteOr0(t.Info.MarketCap))
	dst = appendF64(dst, finiteOr0(t.Info.Supply))
	dst = appendF64(dst, finiteOr0(t.Price))
	last := int64(0)
	if t.Last.After(time.Unix(0, 0)) && t.Last.Year() < 2262 {
		last = t.Last.UnixNano()
	}
	dst = binary.AppendVarint(dst, last)
	for i, bars := range t.Bars() {
		dst = appendBars(dst, bars, warmRes[i].Seconds(), warmCaps[i])
	}
	return dst
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

func appendF64(dst []byte, v float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
}

// usableBars reports which bars go in: valid, aligned, strictly
// increasing; the newest limit of them.
func appendBars(dst []byte, bars []model.Candle, width int64, limit int) []byte {
	keep := make([]int, 0, min(len(bars), limit))
	prev := int64(0)
	for i := range bars {
		c := &bars[i]
		if !model.ValidCandle(*c) || c.T%width != 0 || c.T <= prev {
			continue
		}
		prev = c.T
		keep = append(keep, i)
	}
	if len(keep) > limit {
		keep = keep[len(keep)-limit:]
	}
	dst = binary.AppendUvarint(dst, uint64(len(keep)))
	prev = 0
	for n, i := range keep {
		c := &bars[i]
		if n == 0 {
			dst = binary.AppendVarint(dst, c.T)
		} else {
			dst = binary.AppendUvarint(dst, uint64((c.T-prev)/width))
		}
		prev = c.T
		dst = appendF64(dst, c.Open)
		dst = appendF64(dst, c.High)
		dst = appendF64(dst, c.Low)
		dst = appendF64(dst, c.Close)
		dst = appendF64(dst, c.Volume)
	}
	return dst
}

// warmReader reads a warm value; the first error sticks.
type warmReader struct {
	b   []byte
	err error
}

func (r *warmReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *warmReader) byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.fail("cut short")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *warmReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("a bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *warmReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("a bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *warmReader) f64() float64 {
	if r.err != nil || len(r.b) < 8 {
		r.fail("cut short")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *warmReader) bytes(n uint64) []byte {
	if r.err != nil || uint64(len(r.b)) < n {
		r.fail("cut short")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// decodeWarmToken reads one token's value. Anything out of place (a
// length past the end, a malformed or misaligned bar, bars not strictly
// increasing, bytes left over) is an error: the caller skips the token.
func decodeWarmToken(symbol string, v []byte) (model.WarmToken, error) {
	var t model.WarmToken
	if !model.ValidSymbol(symbol) {
		return t, errors.New("not a token symbol")
	}
	r := &warmReader{b: v}
	format := r.byte()
	if r.err == nil && format != warmFormat && format != 1 {
		return t, fmt.Errorf("unknown format %d", format)
	}
	nameLen := r.uvarint()
	if nameLen > 4*nameRunes {
		return t, errors.New("the name is too long")
	}
	name := r.bytes(nameLen)
	t.Info = model.TokenInfo{Symbol: symbol, Name: safetext.Line(string(name), nameRunes),
		MarketCap: finiteOr0(r.f64()), Supply: finiteOr0(r.f64())}
	t.Price = r.f64()
	last := r.varint()
	if r.err != nil {
		return model.WarmToken{}, r.err
	}
	if !(t.Price >= 0) || math.IsInf(t.Price, 0) {
		return model.WarmToken{}, errors.New("the price is not a price")
	}
	switch {
	case last < 0:
		return model.WarmToken{}, errors.New("the last update time is negative")
	case last > 0:
		t.Last = time.Unix(0, last).UTC()
	}
	lists, caps := warmRes[:], warmCaps[:]
	if format == 1 {
		lists, caps = warmResV1[:], warmCapsV1[:]
	}
	for i, res := range lists {
		bars, err := decodeBars(r, res.Seconds(), caps[i])
		if err != nil {
			return model.WarmToken{}, fmt.Errorf("%s bars: %w", res, err)
		}
		// Format 1 kept more of some resolutions than a Series now
		// holds: the newest are used.
		if n := warmCaps[res]; len(bars) > n {
			bars = bars[len(bars)-n:]
		}
		switch res {
		case model.Minute:
			t.Minute = bars
		case model.Minute5:
			t.Minute5 = bars
		case model.Hour:
			t.Hour = bars
		case model.Hour4:
			t.Hour4 = bars
		default:
			t.Day = bars
		}
	}
	if len(r.b) > 0 {
		return model.WarmToken{}, fmt.Errorf("%d bytes left over", len(r.b))
	}
	return t, nil
}

func decodeBars(r *warmReader, width int64, limit int) ([]model.Candle, error) {
	n := r.uvarint()
	if r.err != nil {
		return nil, r.err
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("%d bars, more than %d", n, limit)
	}
	if n*(barBytes+1) > uint64(len(r.b)) {
		return nil, errors.New("cut short")
	}
	if n == 0 {
		return nil, nil
	}
	bars := make([]model.Candle, n)
	var t int64
	for i := range bars {
		if i == 0 {
			t = r.varint()
		} else {
			d := r.uvarint()
			if d == 0 || d > uint64((math.MaxInt64-t)/width) {
				return nil, fmt.Errorf("bar %d is not after the one before", i)
			}
			t += int64(d) * width
		}
		c := model.Candle{T: t, Open: r.f64(), High: r.f64(), Low: r.f64(), Close: r.f64(), Volume: r.f64()}
		if r.err != nil {
			return nil, r.err
		}
		if t <= 0 || t%width != 0 {
			return nil, fmt.Errorf("bar %d is not aligned to its resolution", i)
		}
		if !model.ValidCandle(c) {
			return nil, fmt.Errorf("bar %d is malformed", i)
		}
		bars[i] = c
	}
	return bars, nil
}

// SaveWarm replaces the warm-start cache of ns with w, in one
// transaction. Tokens without a valid symbol are left out.
func (s *Store) SaveWarm(ns string, w model.WarmStart) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	if s.readOnly {
		return ErrReadOnly
	}
	// One buffer for every value: bbolt needs them to live until commit.
	// Each value is sealed with its checksum (SCHEMA.md) as it is encoded.
	size := 0
	for i := range w.Tokens {
		t := &w.Tokens[i]
		size += 64 + len(t.Info.Name) + (len(t.Minute)+len(t.Minute5)+len(t.Hour)+len(t.Hour4)+len(t.Day))*(barBytes+2)
	}
	nsPath := topPath(bucketWarm).child([]byte(ns))
	tokPath := nsPath.child(bucketToks)
	buf := make([]byte, 0, size)
	type kv struct{ k, v []byte }
	vals := make([]kv, 0, len(w.Tokens))
	for i := range w.Tokens {
		t := &w.Tokens[i]
		if !model.ValidSymbol(t.Info.Symbol) {
			s.log.Warn("store: warm cache: token left out", "symbol", safetext.Line(t.Info.Symbol, 40))
			continue
		}
		k := []byte(t.Info.Symbol)
		start := len(buf)
		buf = encodeWarmToken(buf, t)
		buf = sealTail(buf, start, tokPath, k)
		vals = append(vals, kv{k, buf[start:len(buf):len(buf)]})
	}
	saved := w.Saved
	if saved.IsZero() {
		saved = time.Now()
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		top, err := topBucket(tx, bucketWarm)
		if err != nil {
			return err
		}
		if err := top.dropSub([]byte(ns)); err != nil {
			return err
		}
		nsb, err := top.sub([]byte(ns))
		if err != nil {
			return err
		}
		if err := nsb.put(keySaved, timeKey(nil, saved)); err != nil {
			return err
		}
		tb, err := nsb.sub(bucketToks)
		if err != nil {
			return err
		}
		tb.b.FillPercent = 1 // written in key order, never edited
		for _, e := range vals {
			if err := tb.b.Put(e.k, e.v); err != nil {
				return err
			}
		}
		return writeTally(tb.b, tb.p, tally{count: uint64(len(vals))})
	})
	if err != nil {
		return fmt.Errorf("store %s: saving the warm-start cache: %w", safetext.Quoted(s.path), err)
	}
	return nil
}

// warmLayout is what a warm-cache namespace holds.
var warmLayout = []entry{
	{name: keySaved},
	{name: bucketToks, bucket: true},
}

// LoadWarm reads the warm-start cache of ns: nil, nil when there is none,
// or when it was saved more than maxAge before now (maxAge <= 0: any
// age). A token that does not decode, or is damaged, is skipped (and
// logged), never a panic.
func (s *Store) LoadWarm(ns string, maxAge time.Duration, now time.Time) (*model.WarmStart, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	var w *model.WarmStart
	var rep LoadReport
	err := s.db.View(func(tx *bolt.Tx) error {
		w = loadWarm(tx, ns, maxAge, now, &rep)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: loading the warm-start cache: %w", safetext.Quoted(s.path), err)
	}
	if rep.Skipped > 0 {
		s.log.Warn("store: warm cache: tokens skipped", "count", rep.Skipped, "damaged", rep.Damaged, "reasons", rep.Reasons)
	}
	return w, nil
}

func loadWarm(tx *bolt.Tx, ns string, maxAge time.Duration, now time.Time, rep *LoadReport) *model.WarmStart {
	nsb, p := nsRO(tx, bucketWarm, ns, warmLayout, rep)
	if nsb == nil {
		return nil
	}
	v := nsb.Get(keySaved)
	if v == nil {
		return nil
	}
	v, err := unseal(p, keySaved, v)
	if err != nil {
		rep.damage(p.at(keySaved), err.Error())
		return nil
	}
	saved, ok := keyTime(v)
	if !ok || len(v) != timeKeyLen {
		rep.skip(p.at(keySaved), "not a time")
		return nil
	}
	if maxAge > 0 && now.Sub(saved) > maxAge {
		return nil
	}
	tb := nsb.Bucket(bucketToks)
	if tb == nil {
		return nil
	}
	ws := &model.WarmStart{Saved: saved.Local()}
	tp := p.child(bucketToks)
	eachRecord(tb, tp, false, rep, func(k, v []byte) bool {
		t, err := decodeWarmToken(string(k), v)
		if err != nil {
			rep.skip(tp.at(k), err.Error())
			return true
		}
		ws.Tokens = append(ws.Tokens, t)
		return true
	})
	if len(ws.Tokens) == 0 {
		return nil
	}
	return ws
}

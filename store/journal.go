package store

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// The ratings journal: each token's signal flips, the open moonshot picks
// and the past ones, per namespace ("live" or "demo", so a simulated
// market never mixes with a real one).

const (
	flipsKept   = 50   // per token, newest first
	pastKept    = 1000 // past picks, newest exit first
	nameRunes   = 64   // token names
	reasonRunes = 100  // exit reasons
)

var (
	bucketFlips = []byte("flips")
	bucketPast  = []byte("past")
	keyOpen     = []byte("open")
	keySaved    = []byte("saved")
	bucketToks  = []byte("tokens")
)

// journalState is what SaveJournal last wrote for a namespace, as hashes,
// so an unchanged snapshot costs no write.
type journalState struct {
	flips              map[string]uint64
	open, past         uint64
	haveOpen, havePast bool
}

// checkNamespace allows 1-16 lower-case letters, digits and dashes.
func checkNamespace(ns string) error {
	if len(ns) == 0 || len(ns) > 16 {
		return fmt.Errorf("store: namespace %q must be 1-16 characters", truncate(ns, 20))
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("store: namespace %q may hold only a-z, 0-9 and -", truncate(ns, 20))
		}
	}
	return nil
}

// nf is a float64 that is null in JSON when it is NaN (or infinite), and
// NaN when read from null: the ratings use NaN for "unknown".
type nf float64

func (f nf) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *nf) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = nf(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return errors.New("not a number")
	}
	*f = nf(v)
	return nil
}

type flipRec struct {
	Time   time.Time `json:"time"`
	From   int8      `json:"from"`
	To     int8      `json:"to"`
	Price  nf        `json:"price"`
	Grade  nf        `json:"grade"`
	Return nf        `json:"return"`
}

type pickRec struct {
	Symbol     string    `json:"symbol"`
	Name       string    `json:"name,omitempty"`
	Entry      time.Time `json:"entry"`
	EntryPrice nf        `json:"entry_price"`
	EntryGrade nf        `json:"entry_grade"`
	Price      nf        `json:"price"`
	ROI        nf        `json:"roi"`
	PeakROI    nf        `json:"peak_roi"`
	Grade      nf        `json:"grade"`
	Volume24h  nf        `json:"volume_24h"`
	MarketCap  nf        `json:"market_cap"`
	Exit       time.Time `json:"exit,omitzero"`
	ExitReason string    `json:"exit_reason,omitempty"`
}

func toPickRec(m *model.Moonshot) pickRec {
	return pickRec{
		Symbol: m.Symbol, Name: safetext.Line(m.Name, nameRunes), Entry: m.Entry,
		EntryPrice: nf(m.EntryPrice), EntryGrade: nf(m.EntryGrade), Price: nf(m.Price),
		ROI: nf(m.ROI), PeakROI: nf(m.PeakROI), Grade: nf(m.Grade),
		Volume24h: nf(m.Volume24h), MarketCap: nf(m.MarketCap),
		Exit: m.Exit, ExitReason: safetext.Line(m.ExitReason, reasonRunes),
	}
}

func (p *pickRec) moonshot() model.Moonshot {
	return model.Moonshot{
		Symbol: p.Symbol, Name: safetext.Line(p.Name, nameRunes), Entry: p.Entry,
		EntryPrice: float64(p.EntryPrice), EntryGrade: float64(p.EntryGrade), Price: float64(p.Price),
		ROI: float64(p.ROI), PeakROI: float64(p.PeakROI), Grade: float64(p.Grade),
		Volume24h: float64(p.Volume24h), MarketCap: float64(p.MarketCap),
		Exit: p.Exit, ExitReason: safetext.Line(p.ExitReason, reasonRunes),
	}
}

// jsonTime reports whether t can be written as JSON (years 0-9999).
func jsonTime(t time.Time) bool { y := t.Year(); return y >= 0 && y <= 9999 }

// storable reports whether a pick can be written and read back.
func storable(m *model.Moonshot) bool {
	return model.ValidSymbol(m.Symbol) && jsonTime(m.Entry) && jsonTime(m.Exit) && checkPick(toPickRec(m), !m.Exit.IsZero()) == nil
}

func nanOrFinite(v nf) bool { return !math.IsInf(float64(v), 0) }

func checkFlip(f *flipRec) error {
	switch {
	case f.Time.IsZero():
		return errors.New("a flip has no time")
	case f.From < -1 || f.From > 1 || f.To < -1 || f.To > 1:
		return errors.New("a flip's signal is out of range")
	case !(f.Price > 0) || math.IsInf(float64(f.Price), 0):
		return errors.New("a flip's price must be greater than 0")
	case !nanOrFinite(f.Grade) || f.Grade < 0 || f.Grade > 100:
		return errors.New("a flip's grade must be 0-100")
	case !nanOrFinite(f.Return):
		return errors.New("a flip's return is not a number")
	}
	return nil
}

func checkPick(p pickRec, past bool) error {
	switch {
	case !model.ValidSymbol(p.Symbol):
		return errors.New("the pick's symbol is not a token symbol")
	case p.Entry.IsZero():
		return errors.New("the pick has no entry time")
	case !(p.EntryPrice > 0) || math.IsInf(float64(p.EntryPrice), 0):
		return errors.New("the pick's entry price must be greater than 0")
	case past && p.Exit.IsZero():
		return errors.New("a past pick has no exit time")
	case !past && !p.Exit.IsZero():
		return errors.New("an open pick has an exit time")
	}
	for _, v := range []nf{p.EntryGrade, p.Price, p.ROI, p.PeakROI, p.Grade, p.Volume24h, p.MarketCap} {
		if !nanOrFinite(v) {
			return errors.New("the pick has a number out of range")
		}
	}
	return nil
}

// Hashes of what a snapshot holds, allocation-free, for change detection.

func mix(h, v uint64) uint64 {
	h = (h ^ v) * 0x9E3779B97F4A7C15
	return h ^ h>>32
}

func mixString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = mix(h, uint64(s[i]))
	}
	return mix(h, uint64(len(s)))
}

func mixTime(h uint64, t time.Time) uint64 {
	return mix(mix(h, uint64(t.Unix())), uint64(t.Nanosecond()))
}

// flipsHash covers what changes in a token's stored flips: their count,
// the newest one's time, and the returns (a flip's other fields are fixed
// when it happens).
func flipsHash(fs model.ReadOnly[model.SignalFlip]) uint64 {
	n := min(fs.Len(), flipsKept)
	h := mix(0x5157, uint64(n))
	if n > 0 {
		h = mixTime(h, fs.At(0).Time)
	}
	for i := range n {
		h = mix(h, math.Float64bits(fs.At(i).Return))
	}
	return h
}

// openHash covers every field of the open picks (they move with the
// price).
func openHash(ps model.ReadOnly[model.Moonshot]) uint64 {
	h := mix(0x09e4, uint64(ps.Len()))
	for _, p := range ps.All() {
		h = mixString(h, p.Symbol)
		h = mixString(h, p.Name)
		h = mixTime(h, p.Entry)
		h = mixTime(h, p.Exit)
		h = mixString(h, p.ExitReason)
		for _, v := range [...]float64{p.EntryPrice, p.EntryGrade, p.Price, p.ROI, p.PeakROI, p.Grade, p.Volume24h, p.MarketCap} {
			h = mix(h, math.Float64bits(v))
		}
	}
	return h
}

// pastHash covers which picks are past (a closed pick does not change).
func pastHash(ps model.ReadOnly[model.Moonshot]) uint64 {
	h := mix(0x9a57, uint64(ps.Len()))
	for _, p := range ps.All() {
		h = mixString(h, p.Symbol)
		h = mixTime(h, p.Entry)
		h = mixTime(h, p.Exit)
	}
	return h
}

// pastKey orders past picks by exit, then entry, then symbol.
func pastKey(m *model.Moonshot) []byte {
	k := make([]byte, 0, 2*timeKeyLen+len(m.Symbol))
	k = timeKey(k, m.Exit)
	k = timeKey(k, m.Entry)
	return append(k, m.Symbol...)
}

// SaveJournal writes what changed in the ratings journal since this
// Store's last SaveJournal for ns: each token's signal flips (newest first,
// up to 50) when they changed, the open picks when they changed, and past
// picks not yet stored (keeping the newest 1000 by exit). Nothing changed:
// no write at all. A nil snap saves nothing.
func (s *Store) SaveJournal(ns string, snap *model.Snapshot) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	if snap == nil {
		return nil
	}
	if s.readOnly {
		return ErrReadOnly
	}
	s.jmu.Lock()
	defer s.jmu.Unlock()
	st := s.journals[ns]
	if st == nil {
		st = &journalState{flips: map[string]uint64{}}
		s.journals[ns] = st
	}
	var changed []*model.TokenView
	var hashes []uint64
	for _, t := range snap.Tokens.All() {
		if t == nil || t.Signals.Len() == 0 {
			continue
		}
		h := flipsHash(t.Signals)
		if old, ok := st.flips[t.Symbol]; ok && old == h {
			continue
		}
		changed = append(changed, t)
		hashes = append(hashes, h)
	}
	openH, pastH := openHash(snap.Moonshots), pastHash(snap.PastMoonshots)
	openDirty := !st.haveOpen || openH != st.open
	pastDirty := !st.havePast || pastH != st.past
	if len(changed) == 0 && !openDirty && !pastDirty {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		top, err := topBucket(tx, bucketJournal)
		if err != nil {
			return err
		}
		nsb, err := top.sub([]byte(ns))
		if err != nil {
			return err
		}
		if len(changed) > 0 {
			fb, err := nsb.sub(bucketFlips)
			if err != nil {
				return err
			}
			for _, t := range changed {
				if !model.ValidSymbol(t.Symbol) {
					continue
				}
				recs := make([]flipRec, 0, min(t.Signals.Len(), flipsKept))
				for _, f := range t.Signals.Slice(0, min(t.Signals.Len(), flipsKept)).All() {
					r := flipRec{Time: f.Time, From: int8(f.From), To: int8(f.To), Price: nf(f.Price), Grade: nf(f.Grade), Return: nf(f.Return)}
					if jsonTime(f.Time) && checkFlip(&r) == nil {
						recs = append(recs, r)
					}
				}
				if err := fb.putJSON([]byte(t.Symbol), recs); err != nil {
					return err
				}
			}
		}
		if openDirty {
			recs := make([]pickRec, 0, snap.Moonshots.Len())
			for _, pk := range snap.Moonshots.All() {
				if m := &pk; m.Exit.IsZero() && storable(m) {
					recs = append(recs, toPickRec(m))
				}
			}
			if err := nsb.putJSON(keyOpen, recs); err != nil {
				return err
			}
		}
		if pastDirty {
			pb, err := nsb.sub(bucketPast)
			if err != nil {
				return err
			}
			for _, pk := range snap.PastMoonshots.All() {
				m := &pk
				if m.Exit.IsZero() || !storable(m) {
					continue
				}
				k := pastKey(m)
				if pb.b.Get(k) == nil {
					if err := pb.putJSON(k, toPickRec(m)); err != nil {
						return err
					}
				}
			}
			return pb.trimOldest(pastKept)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %s: saving the ratings journal: %w", safetext.Quoted(s.path), err)
	}
	for i, t := range changed {
		st.flips[t.Symbol] = hashes[i]
	}
	st.open, st.haveOpen = openH, true
	st.past, st.havePast = pastH, true
	return nil
}

// journalLayout is what a journal namespace holds (each made by the
// first save that has one).
var journalLayout = []entry{
	{name: bucketFlips, bucket: true, optional: true},
	{name: keyOpen, optional: true},
	{name: bucketPast, bucket: true, optional: true},
}

// validNamespace is checkNamespace for a key.
func validNamespace(k []byte) bool { return checkNamespace(string(k)) == nil }

// nsRO finds the namespace ns under top for a read, checking it; when it
// is not there, top is checked for damage that could have taken it.
func nsRO(tx *bolt.Tx, top []byte, ns string, layout []entry, rep *LoadReport) (*bolt.Bucket, bpath) {
	tp := topPath(top)
	p := tp.child([]byte(ns))
	tb := tx.Bucket(top)
	if tb == nil {
		rep.damage(tp.name, "missing")
		return nil, p
	}
	b := tb.Bucket([]byte(ns))
	if b == nil {
		checkChildren(tb, tp, validNamespace, rep, nil)
		return nil, p
	}
	checkLayout(b, p, p.name, layout, rep)
	return b, p
}

// LoadJournal reads the ratings journal of ns. Like Load, it skips (and
// reports, and leaves in place) what it cannot use: a token whose flips
// are unreadable or out of order, a pick that fails its checks, a damaged
// record. Flips is never nil.
func (s *Store) LoadJournal(ns string) (model.Journal, LoadReport, error) {
	j := model.Journal{Flips: map[string][]model.SignalFlip{}}
	var rep LoadReport
	if err := checkNamespace(ns); err != nil {
		return j, rep, err
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		nsb, p := nsRO(tx, bucketJournal, ns, journalLayout, &rep)
		if nsb == nil {
			return nil
		}
		if fb := nsb.Bucket(bucketFlips); fb != nil {
			fp := p.child(bucketFlips)
			eachRecord(fb, fp, false, &rep, func(k, v []byte) bool {
				if !model.ValidSymbol(string(k)) {
					rep.skip(fp.at(k), "not a token symbol")
					return true
				}
				flips, err := decodeFlips(v)
				if err != nil {
					rep.skip(fp.at(k), err.Error())
					return true
				}
				if len(flips) > 0 {
					j.Flips[string(k)] = flips
				}
				return true
			})
		}
		if v := nsb.Get(keyOpen); v != nil {
			var recs []pickRec
			if v, err := unseal(p, keyOpen, v); err != nil {
				rep.damage(p.at(keyOpen), err.Error())
			} else if err := decodeRecord(v, &recs); err != nil {
				rep.skip(p.at(keyOpen), recordError(v, err))
			}
			for i := range recs {
				if err := checkPick(recs[i], false); err != nil {
					rep.skip(fmt.Sprintf("%s[%d]", p.at(keyOpen), i), err.Error())
					continue
				}
				j.Open = append(j.Open, recs[i].moonshot())
			}
		}
		if pb := nsb.Bucket(bucketPast); pb != nil {
			pp := p.child(bucketPast)
			pp.keys = shownTimeKey
			eachRecord(pb, pp, true, &rep, func(k, v []byte) bool {
				var r pickRec
				if err := decodeRecord(v, &r); err != nil {
					rep.skip(pp.at(k), recordError(v, err))
					return true
				}
				if err := checkPick(r, true); err != nil {
					rep.skip(pp.at(k), err.Error())
					return true
				}
				j.Past = append(j.Past, r.moonshot())
				return len(j.Past) < pastKept
			})
		}
		return nil
	})
	if err != nil {
		return j, rep, fmt.Errorf("store %s: loading the ratings journal: %w", safetext.Quoted(s.path), err)
	}
	s.logDamage("loading the ratings journal", "", rep)
	return j, rep, nil
}

func decodeFlips(v []byte) ([]model.SignalFlip, error) {
	var recs []flipRec
	if err := decodeRecord(v, &recs); err != nil {
		return nil, errors.New(recordError(v, err))
	}
	recs = recs[:min(len(recs), flipsKept)]
	out := make([]model.SignalFlip, len(recs))
	for i := range recs {
		r := &recs[i]
		if err := checkFlip(r); err != nil {
			return nil, err
		}
		if i > 0 && r.Time.After(recs[i-1].Time) {
			return nil, errors.New("the flips are not newest first")
		}
		out[i] = model.SignalFlip{Time: r.Time, From: model.Signal(r.From), To: model.Signal(r.To),
			Price: float64(r.Price), Grade: float64(r.Grade), Return: float64(r.Return)}
	}
	return out, nil
}

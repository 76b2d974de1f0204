package model

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tokentop/tokentop/internal/safetext"
)

// This file is the hub's side of persistence: what it is given at start
// (the ratings journal, the warm-start cache) and what it hands out to be
// saved (each token's history). The store (store/) does the I/O.
//
// Both inputs come from disk and are treated as hostile: whatever is
// malformed (an invalid symbol, a non-finite or non-positive price, a zero
// time, a time beyond the market clock plus MaxFutureSkew, a misaligned or
// malformed bar) is dropped and counted in Snapshot.BadEvents; names are
// sanitised like feed metadata. Nothing in them can panic the hub or put
// an escape sequence on the screen.

// Limits on what a journal or warm-start cache may bring.
const (
	// MaxJournalTokens is how many tokens' flips a journal may restore.
	MaxJournalTokens = 10000
	// MaxJournalOpen is how many open picks a journal may restore.
	MaxJournalOpen = 1000
	// MaxWarmTokens is how many tokens a warm-start cache may bring (each
	// costs a Series of about 28 KB).
	MaxWarmTokens = 2000
)

// Journal is the ratings engine's record, restored at start so Past
// Moonshots and signal outcomes survive a restart. The store builds it
// from a snapshot: Flips from each TokenView.Signals, Open from
// Snapshot.Moonshots, Past from Snapshot.PastMoonshots.
type Journal struct {
	// Flips are each token's signal flips, newest first (as
	// TokenView.Signals). The token's signal starts as the newest flip's To.
	// At most maxFlips (50) per token are kept. The Return of every flip
	// but the newest is recomputed from the next flip's price; the newest
	// one's is refreshed at the first recompute with a price. A token not
	// yet in the market keeps its flips pending until it first appears.
	Flips map[string][]SignalFlip
	// Open are the open picks (as Snapshot.Moonshots, newest first). They
	// keep being tracked, and closed by the exit rules, once their token
	// has a price again; until then they show as restored. Their token is
	// not picked again while they are open.
	Open []Moonshot
	// Past are the closed picks, newest exit first (as
	// Snapshot.PastMoonshots), at most RatingsOptions.MaxPast. The track
	// record is recomputed from them, and each token's latest exit starts
	// its moonshot cooldown.
	Past []Moonshot
}

// WarmToken is one token's cached history: enough for a full sparkline,
// the 1h/24h/7d changes and both grades at once on a restart.
type WarmToken struct {
	Info  TokenInfo
	Price float64   // last price
	Last  time.Time // market clock of the last event applied
	// Bars of each resolution, oldest first, at most as many as a Series
	// keeps (MinuteBars, Minute5Bars, ...).
	Minute  []Candle // the last 76 minutes of 1m bars
	Minute5 []Candle // the last 25 hours of 5m bars
	Hour    []Candle // the last 170 hours of 1h bars
	Hour4   []Candle // the last 181 4h bars (30 days)
	Day     []Candle // the last 92 1d bars
}

// Bars returns the token's bars by resolution (Minute..Day).
func (w *WarmToken) Bars() [numRes][]Candle {
	return [numRes][]Candle{w.Minute, w.Minute5, w.Hour, w.Hour4, w.Day}
}

// WarmStart is the cache applied before any feed starts. A token in it is
// shown at once with its cached history, marked by TokenView.Cached until
// a feed's candle covers the end of that history (see Market.apply).
// Tokens with an invalid symbol, a repeated symbol, no valid price or last
// time are skipped whole; bad bars are skipped one by one; both are
// counted in Snapshot.BadEvents. At most MaxWarmTokens tokens and as many
// bars as a Series holds per resolution (the newest) are used.
type WarmStart struct {
	Saved  time.Time // when the cache was written (wall clock)
	Tokens []WarmToken
}

// History returns the history of every token with a price, for the
// warm-start cache: its metadata, price, last update and every bar its
// Series holds (copies, oldest first). The hub goroutine serves it, so it
// is consistent per token; like Candles it waits until Run serves it or
// ctx ends. It returns ErrMarketStopped once Run has returned.
func (m *Market) History(ctx context.Context) ([]WarmToken, error) {
	reply := make(chan []WarmToken, 1)
	select {
	case m.histories <- reply:
	case <-ctx.Done():
		return nil, fmt.Errorf("history: %w", ctx.Err())
	case <-m.done:
		return nil, fmt.Errorf("history: %w", ErrMarketStopped)
	}
	select {
	case h := <-reply:
		return h, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("history: %w", ctx.Err())
	}
}

// history builds History's answer on the hub goroutine.
func (m *Market) history() []WarmToken {
	out := make([]WarmToken, 0, len(m.list))
	for _, tk := range m.list {
		if !(tk.price > 0) || tk.last <= 0 {
			continue
		}
		s := tk.series
		buf := m.histBuf[:0]
		var ends [numRes]int
		for res := Minute; res <= Day; res++ {
			buf = s.Candles(res, 0, math.MaxInt64, buf)
			ends[res] = len(buf)
		}
		m.histBuf = buf
		bars := slices.Clone(buf)
		part := func(res Resolution) []Candle {
			from := 0
			if res > Minute {
				from = ends[res-1]
			}
			return bars[from:ends[res]:ends[res]]
		}
		out = append(out, WarmToken{
			Info:    TokenInfo{Symbol: tk.sym, Name: tk.name, MarketCap: tk.cap, Supply: tk.supply},
			Price:   tk.price,
			Last:    time.Unix(0, tk.last),
			Minute:  part(Minute),
			Minute5: part(Minute5),
			Hour:    part(Hour),
			Hour4:   part(Hour4),
			Day:     part(Day),
		})
	}
	return out
}

// futureNs reports whether t (Unix ns) is beyond the market clock plus
// the allowed skew.
func (m *Market) futureNs(t int64) bool { return m.skew > 0 && t > m.now+m.skew }

// unixNs is t in Unix ns, or 0 for a zero time or one outside the years
// an int64 of nanoseconds can hold.
func unixNs(t time.Time) int64 {
	if t.IsZero() || t.Year() < 1970 || t.Year() > 2261 {
		return 0
	}
	return t.UnixNano()
}

// restoreJournal loads j into the ratings engine (called by NewMarket,
// before any token exists; tokens pick up their part when they appear).
func (m *Market) restoreJournal(j *Journal) {
	e := &m.rt
	// Flips, by symbol in a stable order so the cap is deterministic.
	syms := make([]string, 0, len(j.Flips))
	for sym := range j.Flips {
		syms = append(syms, sym)
	}
	slices.Sort(syms)
	for _, sym := range syms {
		flips := j.Flips[sym]
		if !validSymbol(sym) || len(e.pendingFlips) >= MaxJournalTokens {
			m.bad += uint64(max(len(flips), 1))
			continue
		}
		if clean := m.cleanFlips(flips); len(clean) > 0 {
			if e.pendingFlips == nil {
				e.pendingFlips = make(map[string][]SignalFlip)
			}
			e.pendingFlips[strings.Clone(sym)] = clean
		}
	}

	// Open picks: newest first in the journal, oldest first in e.open.
	open := make([]Moonshot, 0, min(len(j.Open), MaxJournalOpen))
	seen := make(map[string]bool)
	for _, pk := range j.Open {
		if len(open) == MaxJournalOpen || seen[pk.Symbol] || !pk.Exit.IsZero() || !m.cleanPick(&pk) {
			m.bad++
			continue
		}
		seen[pk.Symbol] = true
		open = append(open, pk)
	}
	slices.SortStableFunc(open, func(a, b Moonshot) int { return a.Entry.Compare(b.Entry) })
	e.open = open
	e.openTok = make([]*token, len(open))
	e.pendingOpen = len(open)
	e.openPub = make([]Moonshot, len(open))
	for i := range open {
		e.openPub[len(open)-1-i] = open[i]
	}

	// Past picks: newest exit first, at most MaxPast.
	past := make([]Moonshot, 0, min(len(j.Past), e.opts.MaxPast))
	for _, pk := range j.Past {
		exit := unixNs(pk.Exit)
		if exit == 0 || m.futureNs(exit) || pk.Exit.Before(pk.Entry) || !m.cleanPick(&pk) {
			m.bad++
			continue
		}
		past = append(past, pk)
	}
	slices.SortStableFunc(past, func(a, b Moonshot) int { return b.Exit.Compare(a.Exit) })
	if len(past) > e.opts.MaxPast {
		past = past[:e.opts.MaxPast:e.opts.MaxPast]
	}
	if len(past) > 0 {
		e.past = past
		e.track = summarise(past)
	}
	for i := len(past) - 1; i >= 0; i-- { // oldest first: the newest exit wins
		if e.pendingExit == nil {
			e.pendingExit = make(map[string]int64)
		}
		if t := past[i].Exit.UnixNano(); t > e.pendingExit[past[i].Symbol] {
			e.pendingExit[strings.Clone(past[i].Symbol)] = t
		}
	}
	m.dirty = true
}

// cleanFlips returns the valid flips of one token, newest first, at most
// maxFlips, with the Returns the engine would have given them; invalid
// ones are counted bad.
func (m *Market) cleanFlips(in []SignalFlip) []SignalFlip {
	out := make([]SignalFlip, 0, min(len(in), maxFlips))
	for _, f := range in {
		t := unixNs(f.Time)
		if t == 0 || m.futureNs(t) || !finitePositive(f.Price) || !(f.Grade >= 0 && f.Grade <= 100) ||
			f.From < SignalBearish || f.From > SignalBullish || f.To < SignalBearish || f.To > SignalBullish || f.From == f.To {
			m.bad++
			continue
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b SignalFlip) int { return b.Time.Compare(a.Time) })
	if len(out) > maxFlips {
		out = out[:maxFlips:maxFlips]
	}
	for i := range out {
		switch {
		case i > 0:
			out[i].Return = flipReturn(out[i], out[i-1].Price)
		case out[i].To == SignalNeutral || math.IsInf(out[i].Return, 0):
			out[i].Return = math.NaN()
		}
	}
	return out
}

// cleanPick checks a restored pick (open or past) and makes its numbers
// consistent: false when it cannot be kept (invalid symbol, zero or future
// entry, entry price or grade not valid).
func (m *Market) cleanPick(pk *Moonshot) bool {
	entry := unixNs(pk.Entry)
	if !validSymbol(pk.Symbol) || entry == 0 || m.futureNs(entry) || !finitePositive(pk.EntryPrice) ||
		!(pk.EntryGrade >= 0 && pk.EntryGrade <= 100) {
		return false
	}
	pk.Symbol = strings.Clone(pk.Symbol)
	pk.Name = strings.TrimSpace(safetext.Line(pk.Name, maxNameLen))
	pk.ExitReason = strings.TrimSpace(safetext.Line(pk.ExitReason, maxNameLen))
	if pk.Exit.IsZero() {
		pk.ExitReason = ""
	}
	if !finitePositive(pk.Price) {
		if !pk.Exit.IsZero() {
			return false // a closed pick's outcome is its exit price
		}
		pk.Price = pk.EntryPrice
	}
	pk.ROI = pk.Price/pk.EntryPrice - 1
	if math.IsInf(pk.ROI, 0) || math.IsNaN(pk.ROI) {
		return false
	}
	if !(pk.PeakROI >= pk.ROI) || math.IsInf(pk.PeakROI, 1) {
		pk.PeakROI = pk.ROI
	}
	pk.PeakROI = max(pk.PeakROI, 0) // the ROI at entry is 0
	if !(pk.Grade >= 0 && pk.Grade <= 100) {
		pk.Grade = pk.EntryGrade
	}
	for _, x := range []*float64{&pk.Volume24h, &pk.MarketCap} {
		if !(*x >= 0) || math.IsInf(*x, 1) {
			*x = 0
		}
	}
	return true
}

// adoptJournal gives a token that has just appeared what the journal
// restored for it: its flips and signal, its open pick, its last exit.
func (m *Market) adoptJournal(tk *token) {
	e := &m.rt
	if flips, ok := e.pendingFlips[tk.sym]; ok {
		delete(e.pendingFlips, tk.sym)
		r := &tk.r
		n := len(flips)
		r.flips = make([]SignalFlip, n)
		for i := range n {
			r.flips[i] = flips[n-1-i] // kept oldest first
		}
		r.signal = flips[0].To
		r.signalsPub = flips
	}
	if t, ok := e.pendingExit[tk.sym]; ok {
		delete(e.pendingExit, tk.sym)
		tk.r.lastExit = t
	}
	for i := 0; e.pendingOpen > 0 && i < len(e.open); i++ {
		if e.openTok[i] == nil && e.open[i].Symbol == tk.sym {
			e.openTok[i] = tk
			tk.r.picked = true
			e.pendingOpen--
		}
	}
}

// applyWarm applies a warm-start cache (called by NewMarket).
func (m *Market) applyWarm(w *WarmStart) {
	m.warmSaved = w.Saved
	var scratch warmScratch
	for i := range w.Tokens {
		wt := &w.Tokens[i]
		sym := wt.Info.Symbol
		last := unixNs(wt.Last)
		if !validSymbol(sym) || m.tokens[sym] != nil || len(m.tokens) >= MaxWarmTokens ||
			!finitePositive(wt.Price) || last <= 0 || m.futureNs(last) {
			m.bad++
			continue
		}
		tk := m.token(sym)
		if name := strings.TrimSpace(safetext.Line(wt.Info.Name, maxNameLen)); name != "" {
			tk.name = name
		}
		if v := wt.Info.MarketCap; finitePositive(v) {
			tk.cap = v
		}
		if v := wt.Info.Supply; finitePositive(v) {
			tk.supply = v
		}
		m.warmSeries(tk.series, wt, &scratch)
		tk.price, tk.last = wt.Price, last
		for res := Minute; res <= Day; res++ {
			if r := &tk.series.rings[res]; r.has {
				tk.cachedUntil = r.head + r.width
				m.warmN++
				break
			}
		}
		tk.changed, m.dirty = true, true
	}
}

// warmScratch holds buffers reused across the tokens of a cache.
type warmScratch struct {
	bars   [numRes][]Candle // the valid bars of each resolution, by start
	rolled [numRes][]Candle // [res]: the bars of res-1 rolled up into res
}

// warmSeries loads a token's cached bars into s. Coarse bars go first, so
// finer ones then extend them as a live feed would; but a coarse bar that
// is exactly the roll-up of the finer bars cached for it is left to them,
// so it comes back rolled up, as it was (its 24h quote volume and where
// its history starts are then the same as before the restart).
func (m *Market) warmSeries(s *Series, wt *WarmToken, sc *warmScratch) {
	for res, in := range wt.Bars() {
		sc.bars[res] = m.cleanBars(Resolution(res), in, sc.bars[res][:0])
	}
	for res := Minute5; res <= Day; res++ {
		sc.rolled[res] = rollUpBars(res, sc.bars[res-1], sc.rolled[res][:0])
	}
	for res := Day; res > Minute; res-- {
		rolled := sc.rolled[res]
		for _, c := range sc.bars[res] {
			if i, ok := slices.BinarySearchFunc(rolled, c.T, func(b Candle, t int64) int { return cmp.Compare(b.T, t) }); ok && sameBar(rolled[i], c) {
				continue
			}
			s.Add(res, c) // false only when older than the window: not bad
		}
	}
	for _, c := range sc.bars[Minute] {
		s.Add(Minute, c)
	}
}

// cleanBars appends to dst the valid bars of in (at most a ring's worth,
// the last ones), sorted by start with repeats dropped (the later wins);
// misaligned, malformed or future bars, and the excess, are counted bad.
func (m *Market) cleanBars(res Resolution, in, dst []Candle) []Candle {
	if n := ringLen(res); len(in) > n {
		m.bad += uint64(len(in) - n)
		in = in[len(in)-n:]
	}
	w := res.Seconds()
	limit := int64(math.MaxInt64)
	if m.skew > 0 {
		limit = (m.now + m.skew) / 1e9
	}
	for _, c := range in {
		if c.T <= 0 || c.T%w != 0 || c.T > limit || !ValidCandle(c) {
			m.bad++
			continue
		}
		dst = append(dst, c)
	}
	slices.SortStableFunc(dst, func(a, b Candle) int { return cmp.Compare(a.T, b.T) })
	out := dst[:0]
	for i, c := range dst {
		if i+1 < len(dst) && dst[i+1].T == c.T {
			continue
		}
		out = append(out, c)
	}
	// Bars older than the ring's window back from the newest would not
	// be kept (not bad: the ring is full); leaving them out here keeps a
	// coarse bar from being left to finer bars that cannot be stored.
	if len(out) > 0 {
		oldest := out[len(out)-1].T - int64(ringLen(res)-1)*w
		k := 0
		for k < len(out) && out[k].T < oldest {
			k++
		}
		out = out[k:]
	}
	return out
}

// rollUpBars appends to dst the bars of res rolled up from fine (sorted by
// start), as Series rolls them up.
func rollUpBars(res Resolution, fine, dst []Candle) []Candle {
	for i := 0; i < len(fine); {
		c := fine[i]
		b := Candle{T: align(res, c.T), Open: c.Open, High: c.High, Low: c.Low, Close: c.Close, Volume: c.Volume}
		for i++; i < len(fine) && align(res, fine[i].T) == b.T; i++ {
			f := fine[i]
			b.High, b.Low = max(b.High, f.High), min(b.Low, f.Low)
			b.Close = f.Close
			b.Volume += f.Volume
		}
		dst = append(dst, b)
	}
	return dst
}

// sameBar reports whether a and b are the same bar: the open exactly,
// high, low and close up to a Series' float32 offsets from the open, the
// volume up to rounding (a Series sums it in another order).
func sameBar(a, b Candle) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-6*math.Abs(a.High-a.Low)+1e-12*math.Abs(y) }
	return a.T == b.T && a.Open == b.Open && near(a.High, b.High) && near(a.Low, b.Low) && near(a.Close, b.Close) &&
		math.Abs(a.Volume-b.Volume) <= 1e-9*max(a.Volume, b.Volume)
}

// ringLen is how many bars of res a Series holds.
func ringLen(res Resolution) int { return ringLens[res] }

package model

import (
	"math"
	"sync/atomic"
)

// History is one token's back history, built off the hub's goroutine. A
// feed that has many bars of a token at once (the demo's simulated past:
// ~730 bars a token) adds them here on its own goroutine, as many tokens
// in parallel as it likes, and sends each History as one EventHistory
// instead of one EventCandle a bar. The hub then takes the built Series
// as it is when the token has nothing yet: one pointer instead of ~730
// bars checked, rolled up and queued through the hub one by one, which is
// what kept the first frame of a 500-token market waiting (PERFORMANCE.md,
// issue 9).
//
// Add checks each bar exactly as the hub checks an EventCandle
// (checkCandle: the resolution, a well-formed and plausible bar, the jump
// from the price before it), except against the hub's clock, which the
// hub does on arrival for the whole: a History whose newest bar starts
// beyond the hub's clock (plus its allowed skew) is refused whole and
// counted bad once. A token that already has prices or bars when its
// History arrives gets the bars merged as a warm cache's are
// (Market.warmSeries), and keeps the newer of the two prices.
//
// A History is applied once; the feed must not touch it after sending.
type History struct {
	tk      token  // the token as the hub would have it after these bars
	applied uint64 // bars taken (or valid but older than the window)
	bad     uint64 // bars refused, the refused ones included
	refused uint64 // bars well formed but beyond the plausible
	oldest  int64  // event time of the oldest bar taken, Unix ns
	newest  int64  // start of the newest bar taken, Unix s
	sent    atomic.Bool
}

// NewHistory returns an empty History.
func NewHistory() *History { return &History{tk: token{series: NewSeries()}} }

// Add adds one bar of res as an EventCandle{Res: res, Candle: c, Time: at}
// would be applied; at <= 0 means the bar's start.
func (h *History) Add(res Resolution, c Candle, at int64) {
	switch checkCandle(&h.tk, res, c, 0) {
	case candleBad:
		h.bad++
		return
	case candleRefused:
		h.bad++
		h.refused++
		return
	}
	h.applied++
	if !h.tk.series.Add(res, c) {
		return // valid but older than the window: nothing to show, not bad
	}
	if at <= 0 {
		at = c.T * 1e9
	}
	if at >= h.tk.last {
		h.tk.price, h.tk.last = c.Close, at
	}
	if h.oldest == 0 || at < h.oldest {
		h.oldest = at
	}
	h.newest = max(h.newest, c.T)
}

// Len is how many bars Add took (or found valid but too old to keep).
func (h *History) Len() uint64 { return h.applied }

// candleVerdict is what checkCandle decides about a bar.
type candleVerdict uint8

const (
	candleOK      candleVerdict = iota
	candleBad                   // malformed, misplaced or from the future
	candleRefused               // well formed but beyond the plausible
)

// checkCandle is the hub's check of a bar of res for tk (nil: a token not
// seen yet): a known resolution, a start after 1970 and, when limit > 0,
// not after limit (Unix s: the hub's clock plus its allowed skew), a valid
// bar (ValidCandle), and a close within MaxBarJump of tk's price (which
// may move tk's outlier count: see plausibleAgainst).
func checkCandle(tk *token, res Resolution, c Candle, limit int64) candleVerdict {
	if res > Day || c.T <= 0 || limit > 0 && c.T > limit {
		return candleBad
	}
	if !ValidCandle(c) {
		if c.Low <= c.High && finitePositive(c.Low) && !math.IsInf(c.High, 1) && c.Volume >= 0 {
			return candleRefused // well formed, but beyond the plausible
		}
		return candleBad
	}
	if !tk.plausibleAgainst(c.Close, MaxBarJump) {
		return candleRefused
	}
	return candleOK
}

// blank reports whether tk has nothing yet a History could clash with: no
// price, no bars, no cached history.
func (tk *token) blank() bool {
	if tk.price != 0 || tk.last != 0 || tk.cachedUntil != 0 {
		return false
	}
	for i := range tk.series.rings {
		if tk.series.rings[i].has {
			return false
		}
	}
	return true
}

// applyHistory applies an EventHistory; false means it is bad (nil,
// applied before, or from the future) and the caller counts it.
func (m *Market) applyHistory(ev *Event) bool {
	h := ev.History
	if h == nil || !h.sent.CompareAndSwap(false, true) {
		return false
	}
	if m.skew > 0 && h.newest > (m.now+m.skew)/1e9 {
		return false
	}
	m.bad += h.bad
	m.implausible += h.refused
	m.dirty = true
	if h.refused > 0 {
		if l := m.opts.Logger; l != nil {
			l.Warn("market: implausible bars refused in a back history", "symbol", ev.Symbol,
				"refused", h.refused, "refused_total", m.implausible)
		}
	}
	if h.tk.last == 0 {
		m.applied += h.applied // nothing kept: bars too old, or none
		return true
	}
	tk := m.tokens[ev.Symbol]
	if tk == nil || tk.blank() {
		tk = m.tokenWith(ev.Symbol, h.tk.series) // a new token is made with it
		tk.series = h.tk.series
		tk.price, tk.last = h.tk.price, h.tk.last
		tk.outlier, tk.outlierN = h.tk.outlier, h.tk.outlierN
	} else {
		m.mergeHistory(tk, h)
	}
	h.tk.series = nil // the token owns it now
	if h.oldest < m.now-liveAge {
		m.histDirty = true // back history: grades are due (rateDue)
	}
	m.touch(tk, tk.last)
	m.applied += h.applied - 1 // touch counted one
	return true
}

// mergeHistory adds h's bars to a token that already has some, as a warm
// cache's bars are added (coarse first, a coarse bar that is exactly the
// roll-up of h's finer bars left to them), and takes h's price if it is
// the newer.
func (m *Market) mergeHistory(tk *token, h *History) {
	var wt WarmToken
	bars := [numRes]*[]Candle{&wt.Minute, &wt.Minute5, &wt.Hour, &wt.Hour4, &wt.Day}
	for res := Minute; res <= Day; res++ {
		*bars[res] = h.tk.series.Candles(res, 0, math.MaxInt64, nil)
	}
	var scratch warmScratch
	m.warmSeries(tk.series, &wt, &scratch)
	if cu := tk.cachedUntil; cu != 0 && h.newest > 0 {
		// As for an EventCandle: the gap after a cached history is filled
		// once the bars reach its end.
		if h.tk.last >= cu*1e9 {
			tk.cachedUntil = 0
			m.warmN--
		}
	}
	if h.tk.last >= tk.last {
		tk.price, tk.last = h.tk.price, h.tk.last
	}
}

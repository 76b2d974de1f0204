package model

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Moonshots: small caps whose Trader Grade rises fast on a volume surge.
// Entry, live ROI and exit rules are in docs/RATINGS.md.

// rise is how far tk's Trader Grade now stands above its lowest value in
// the last hour (0 when the grade is new).
func (r *tokenRating) rise(nowMin int32) float64 {
	g := r.trader.value
	if math.IsNaN(g) {
		return math.NaN()
	}
	low := g
	for i, at := range r.recentAt {
		if at >= 0 && at > nowMin-riseWindow && at <= nowMin {
			if v := float64(r.recent[i]); v < low {
				low = v
			}
		}
	}
	return g - low
}

// marketCap is the token's market cap: supply x price when the supply is
// known, else the metadata's cap; 0 = unknown.
func (tk *token) marketCap() float64 {
	if tk.supply > 0 && tk.price > 0 {
		return tk.supply * tk.price
	}
	return tk.cap
}

// updateMoonshots refreshes the open picks, closes those whose exit rule
// fired and opens new ones.
func (m *Market) updateMoonshots(now int64) {
	e := &m.rt
	o := &e.opts
	changed := false

	// Open picks: live price, ROI, peak; then the exit rules in order:
	// stop loss, grade, age. A pick restored from the journal waits until
	// its token has a price.
	for i := 0; i < len(e.open); i++ {
		pk, tk := &e.open[i], e.openTok[i]
		if tk == nil || !(tk.price > 0) {
			continue
		}
		before := *pk
		pk.Price = tk.price
		pk.ROI = finite(pk.Price/pk.EntryPrice - 1)
		if pk.ROI > pk.PeakROI {
			pk.PeakROI = pk.ROI
		}
		g := tk.r.trader.value
		if !math.IsNaN(g) {
			pk.Grade = g
		}
		pk.MarketCap = tk.marketCap()
		if _, _, qv, ok := tk.series.Range24h(tk.last / 1e9); ok {
			pk.Volume24h = qv
		}
		reason := ""
		switch {
		case pk.ROI <= o.StopLoss:
			reason = fmt.Sprintf("stop loss %.0f%%", o.StopLoss*100)
		case !math.IsNaN(g) && g < o.ExitGrade:
			reason = fmt.Sprintf("grade fell below %g", o.ExitGrade)
		case now-pk.Entry.UnixNano() >= int64(o.MaxAge):
			reason = "max age " + FormatDuration(o.MaxAge)
		}
		if reason != "" {
			pk.Exit, pk.ExitReason = time.Unix(0, now), reason
			m.closePick(*pk)
			tk.r.picked, tk.r.lastExit = false, now
			e.open = slices.Delete(e.open, i, i+1)
			e.openTok = slices.Delete(e.openTok, i, i+1)
			i--
			changed = true
			continue
		}
		if *pk != before {
			changed = true
		}
	}

	// New picks.
	nowMin := int32(now / 60e9)
	for _, tk := range m.list {
		r := &tk.r
		g := r.trader.value
		if r.picked || math.IsNaN(g) || g < o.MoonshotMinGrade {
			continue
		}
		mcap := tk.marketCap()
		if !(mcap > 0) || mcap >= o.MoonshotMaxCap {
			continue
		}
		if surge := r.trader.raw[5]; !(surge >= o.MoonshotMinSurge) {
			continue
		}
		if !(r.rise(nowMin) >= o.MoonshotMinRise) {
			continue
		}
		if r.lastExit != 0 && now-r.lastExit < int64(o.Cooldown) {
			continue
		}
		pk := Moonshot{
			Symbol: tk.sym, Name: tk.name,
			Entry: time.Unix(0, now), EntryPrice: tk.price, EntryGrade: g,
			Price: tk.price, Grade: g, MarketCap: mcap,
		}
		if _, _, qv, ok := tk.series.Range24h(tk.last / 1e9); ok {
			pk.Volume24h = qv
		}
		e.open = append(e.open, pk)
		e.openTok = append(e.openTok, tk)
		r.picked = true
		changed = true
	}

	if changed {
		pub := make([]Moonshot, len(e.open))
		for i := range e.open {
			pub[len(pub)-1-i] = e.open[i]
		}
		e.openPub = pub
		m.dirty = true
	}
}

// closePick moves a closed pick to the front of the past picks (a new
// slice: published ones are immutable) and updates the track record.
func (m *Market) closePick(pk Moonshot) {
	e := &m.rt
	n := min(len(e.past)+1, e.opts.MaxPast)
	past := make([]Moonshot, n)
	past[0] = pk
	copy(past[1:], e.past)
	e.past = past
	e.track = summarise(past)
}

// summarise is the track record of closed picks: a hit is a pick closed
// with ROI > 0; median and mean of the final ROIs.
func summarise(past []Moonshot) TrackRecord {
	tr := TrackRecord{HitRate: math.NaN(), MedianROI: math.NaN(), MeanROI: math.NaN()}
	rois := make([]float64, 0, len(past))
	for _, p := range past {
		if math.IsNaN(p.ROI) {
			continue
		}
		rois = append(rois, p.ROI)
		if p.ROI > 0 {
			tr.Hits++
		}
	}
	tr.Picks = len(rois)
	if tr.Picks == 0 {
		return tr
	}
	slices.Sort(rois)
	tr.HitRate = float64(tr.Hits) / float64(tr.Picks)
	tr.MedianROI = median(rois)
	tr.MeanROI = mean(rois)
	return tr
}

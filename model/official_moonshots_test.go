package model

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func officialPick(sym string, roi float64) Moonshot {
	return Moonshot{Symbol: sym, Name: sym + " coin", Entry: time.Unix(1_000_000, 0).UTC(),
		EntryPrice: math.NaN(), EntryGrade: math.NaN(), Price: math.NaN(), ROI: roi, PeakROI: math.NaN(),
		Grade: 80, Volume24h: 1e6, MarketCap: 2e7}
}

// TestOfficialMoonshotsPublished: the provider's lists reach the snapshot,
// cleaned; later snapshots share them until the next event replaces them.
func TestOfficialMoonshotsPublished(t *testing.T) {
	clock := newFakeClock(2_000_000)
	m := hub(clock)
	if s := m.SnapshotNow(); s.Official != nil {
		t.Fatalf("Official before any event: %+v", s.Official)
	}
	updated := clock.Now().Add(-12 * time.Minute)
	hostile := officialPick("EV\x1b[2JIL", math.Inf(1))
	hostile.Name = "Bad\x1b]0;title\x07 Name\u202e"
	hostile.ExitReason = "closed\nby\tTM"
	hostile.MarketCap = math.Inf(-1)
	hostile.Grade = math.NaN()
	past := []Moonshot{officialPick("\x1b[0m", 0.1), officialPick("LMPK", -0.1255)}
	past[1].Exit = updated.Add(-time.Hour)
	past[1].ExitReason = "closed by Token Metrics"
	in := &OfficialMoonshots{
		Provider: "Token\x1b[31m Metrics\r\n",
		Active:   ReadOnlyOf(officialPick("AMSH", 0.2387), hostile),
		Past:     ReadOnlyOf(past...),
		Updated:  updated,
	}
	m.ApplyNow(Event{Kind: EventOfficialMoonshots, Time: clock.Now().UnixNano(), OfficialMoonshots: in})
	s1 := m.SnapshotNow()
	o := s1.Official
	if o == nil {
		t.Fatal("no Official in the snapshot")
	}
	if o == in {
		t.Fatal("the hub published the feed's own value, not a copy")
	}
	if o.Provider != "Token Metrics" || !o.Updated.Equal(updated) {
		t.Errorf("provider %q updated %v", o.Provider, o.Updated)
	}
	if o.Active.Len() != 2 || o.Past.Len() != 1 {
		t.Fatalf("%d active, %d past; want 2, 1 (the empty symbol dropped)", o.Active.Len(), o.Past.Len())
	}
	if s1.BadEvents != 1 {
		t.Errorf("BadEvents %d, want 1 (the pick without a symbol)", s1.BadEvents)
	}
	a := o.Active.At(0)
	if a.Symbol != "AMSH" || a.ROI != 0.2387 || a.Grade != 80 || a.MarketCap != 2e7 || !math.IsNaN(a.EntryPrice) {
		t.Errorf("active[0] %+v", a)
	}
	h := o.Active.At(1)
	for _, txt := range []string{h.Symbol, h.Name, h.ExitReason, o.Provider} {
		if strings.ContainsAny(txt, "\x1b\x07\r\n\t\u202e") {
			t.Errorf("unsafe text %q", txt)
		}
	}
	if h.Symbol != "EVIL" || h.Name != "Bad Name" {
		t.Errorf("sanitised %q %q", h.Symbol, h.Name)
	}
	if !math.IsNaN(h.ROI) || !math.IsNaN(h.MarketCap) || !math.IsNaN(h.Grade) {
		t.Errorf("non-finite numbers not NaN: ROI %v cap %v grade %v", h.ROI, h.MarketCap, h.Grade)
	}
	if p := o.Past.At(0); p.Symbol != "LMPK" || p.Active() || p.ExitReason != "closed by Token Metrics" || p.ROI != -0.1255 {
		t.Errorf("past[0] %+v", p)
	}
	if in.Active.At(1).Symbol != "EV\x1b[2JIL" {
		t.Error("the hub changed the feed's value")
	}

	// Other events: the same pointer (structural sharing).
	m.ApplyNow(trade("BTC", 2_000_000, 100, 1))
	s2 := m.SnapshotNow()
	if s2.Official != o {
		t.Error("Official replaced without a new event")
	}
	// A new event replaces it; empty lists are nil; zero Updated takes the
	// event's time.
	m.ApplyNow(Event{Kind: EventOfficialMoonshots, Time: ns(2_000_001), OfficialMoonshots: &OfficialMoonshots{Provider: "Token Metrics"}})
	s3 := m.SnapshotNow()
	if s3.Official == o || s3.Official == nil || s3.Official.Active.Len() != 0 || s3.Official.Past.Len() != 0 ||
		!s3.Official.Updated.Equal(time.Unix(2_000_001, 0)) {
		t.Errorf("replacement %+v", s3.Official)
	}
}

// TestOfficialMoonshotsBadEvents: a missing value or a timestamp far in the
// future is counted bad and changes nothing; the lists are capped.
func TestOfficialMoonshotsBadEvents(t *testing.T) {
	clock := newFakeClock(2_000_000)
	m := hub(clock)
	m.ApplyNow(Event{Kind: EventOfficialMoonshots})
	m.ApplyNow(Event{Kind: EventOfficialMoonshots, Time: clock.Now().Add(time.Hour).UnixNano(),
		OfficialMoonshots: &OfficialMoonshots{Provider: "x"}})
	s := m.SnapshotNow()
	if s.Official != nil || s.BadEvents != 2 {
		t.Fatalf("official %+v, bad %d; want nil, 2", s.Official, s.BadEvents)
	}
	var active, past []Moonshot
	for i := range MaxOfficialMoonshots + 50 {
		active = append(active, officialPick(fmt.Sprintf("A%d", i), 0))
		past = append(past, officialPick(fmt.Sprintf("P%d", i), 0))
	}
	many := &OfficialMoonshots{Provider: "Token Metrics", Updated: clock.Now().Add(48 * time.Hour),
		Active: ReadOnlyOf(active...), Past: ReadOnlyOf(past...)}
	m.ApplyNow(Event{Kind: EventOfficialMoonshots, Symbol: "ignored symbol!", OfficialMoonshots: many})
	s = m.SnapshotNow()
	o := s.Official
	if o == nil || o.Active.Len() != MaxOfficialMoonshots || o.Past.Len() != MaxOfficialMoonshots {
		t.Fatalf("capped lists: %+v", o)
	}
	if o.Active.At(MaxOfficialMoonshots-1).Symbol != fmt.Sprint("A", MaxOfficialMoonshots-1) {
		t.Error("the cap did not keep the first picks")
	}
	if !o.Updated.Equal(clock.Now()) {
		t.Errorf("an Updated in the future was kept: %v", o.Updated)
	}
	if s.BadEvents != 2 {
		t.Errorf("BadEvents %d after a good event", s.BadEvents)
	}
}

// TestOfficialMoonshotsThroughRun: the event travels the hub's queue and
// is published by Run.
func TestOfficialMoonshotsThroughRun(t *testing.T) {
	m := NewMarket(MarketOptions{PublishEvery: 5 * time.Millisecond})
	mb := m.Subscribe(t.Context())
	runMarket(t, m)
	ctx := t.Context()
	if !m.Send(ctx, Event{Kind: EventOfficialMoonshots, OfficialMoonshots: &OfficialMoonshots{
		Provider: "Token Metrics", Active: ReadOnlyOf(officialPick("AMSH", 0.5))}}) {
		t.Fatal("Send refused")
	}
	s := waitFor(t, mb, "official moonshots", func(s *Snapshot) bool { return s.Official != nil })
	if s.Official.Active.Len() != 1 || s.Official.Active.At(0).Symbol != "AMSH" || s.Official.Updated.IsZero() {
		t.Errorf("published %+v", s.Official)
	}
}

package store

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
)

// journalSnap is a snapshot with flips on n tokens (flips each, newest
// first, the newest with a NaN return), open and past picks.
func journalSnap(n, flips, past int) *model.Snapshot {
	snap := &model.Snapshot{Time: t0}
	var tokens []*model.TokenView
	for i := range n {
		tv := &model.TokenView{Symbol: fmt.Sprint("T", i)}
		var signals []model.SignalFlip
		for j := range flips {
			f := model.SignalFlip{Time: t0.Add(-time.Duration(j) * time.Hour), From: model.SignalNeutral, To: model.SignalBullish,
				Price: 10 + float64(j), Grade: 66, Return: 0.01 * float64(j)}
			if j == 0 {
				f.To, f.Return = model.SignalNeutral, math.NaN()
			}
			signals = append(signals, f)
		}
		tv.Signals = model.ReadOnlyOf(signals...)
		tokens = append(tokens, tv)
	}
	snap.Tokens = model.ReadOnlyOf(tokens...)
	snap.Moonshots = model.ReadOnlyOf(
		model.Moonshot{Symbol: "TIDE", Name: "Tide\x1b[31m", Entry: t0.Add(-time.Hour), EntryPrice: 0.05, EntryGrade: 81, Price: 0.06, ROI: 0.2, PeakROI: 0.25, Grade: math.NaN(), Volume24h: 5e6, MarketCap: 12e6},
	)
	var pastPicks []model.Moonshot
	for i := range past {
		pastPicks = append(pastPicks, model.Moonshot{
			Symbol: fmt.Sprint("P", i), Entry: t0.Add(-time.Duration(100+i) * time.Hour), EntryPrice: 1, Price: 0.8, ROI: -0.2,
			Exit: t0.Add(-time.Duration(i) * time.Hour), ExitReason: "grade fell below 45",
		})
	}
	snap.PastMoonshots = model.ReadOnlyOf(pastPicks...)
	return snap
}

// show prints a value so NaNs compare equal.
func show(v any) string { return fmt.Sprintf("%+v", v) }

func TestJournalRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	snap := journalSnap(3, 60, 4) // 60 flips: 50 are kept
	if err := s.SaveJournal("live", snap); err != nil {
		t.Fatal(err)
	}
	// demo never mixes with live
	if err := s.SaveJournal("demo", journalSnap(1, 1, 0)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openT(t, dir)
	j, rep, err := s.LoadJournal("live")
	if err != nil || rep.Skipped != 0 {
		t.Fatal(err, rep)
	}
	if len(j.Flips) != 3 {
		t.Fatalf("flips for %d tokens", len(j.Flips))
	}
	for _, tv := range snap.Tokens.All() {
		if got, want := show(j.Flips[tv.Symbol]), show(tv.Signals.Clone()[:50]); got != want {
			t.Errorf("%s flips:\n got %s\nwant %s", tv.Symbol, got, want)
		}
	}
	wantOpen := snap.Moonshots.At(0)
	wantOpen.Name = "Tide" // no escape, nor its parameters, reaches the terminal
	if got := show(j.Open); got != show([]model.Moonshot{wantOpen}) {
		t.Errorf("open picks: %s", got)
	}
	if got := show(j.Past); got != show(snap.PastMoonshots) {
		t.Errorf("past picks:\n got %s\nwant %s", got, show(snap.PastMoonshots))
	}
	d, _, _ := s.LoadJournal("demo")
	if len(d.Flips) != 1 || len(d.Past) != 0 {
		t.Errorf("demo journal: %+v", d)
	}
	if e, _, _ := s.LoadJournal("never"); e.Flips == nil || len(e.Flips)+len(e.Open)+len(e.Past) != 0 {
		t.Errorf("empty journal: %+v", e)
	}
	if _, _, err := s.LoadJournal("Live!"); err == nil {
		t.Error("a bad namespace was accepted")
	}
}

// SaveJournal writes only what changed, and nothing at all when nothing
// did; past picks accumulate beyond the snapshot's and are capped.
func TestSaveJournalWritesChangesOnly(t *testing.T) {
	s := openT(t, t.TempDir())
	snap := journalSnap(5, 3, 2)
	if err := s.SaveJournal("live", snap); err != nil {
		t.Fatal(err)
	}
	id := txid(t, s)
	for range 3 {
		if err := s.SaveJournal("live", snap); err != nil {
			t.Fatal(err)
		}
	}
	if txid(t, s) != id {
		t.Fatal("an unchanged snapshot was written")
	}
	// The newest flip's return moves: that token is rewritten.
	next := *snap
	tokens := snap.Tokens.Clone()
	tv := *tokens[2]
	signals := tv.Signals.Clone()
	signals[1].Return = 0.5
	tv.Signals = model.ReadOnlyOf(signals...)
	tokens[2] = &tv
	next.Tokens = model.ReadOnlyOf(tokens...)
	if err := s.SaveJournal("live", &next); err != nil {
		t.Fatal(err)
	}
	if txid(t, s) != id+1 {
		t.Fatal("a changed return was not written")
	}
	j, _, _ := s.LoadJournal("live")
	if j.Flips["T2"][1].Return != 0.5 {
		t.Errorf("T2 flips %+v", j.Flips["T2"])
	}
	// Past picks the engine has dropped stay in the journal.
	next.PastMoonshots = model.ReadOnlyOf(model.Moonshot{Symbol: "NEW", Entry: t0, EntryPrice: 1, Price: 1, Exit: t0.Add(time.Hour), ExitReason: "max age 7d"})
	if err := s.SaveJournal("live", &next); err != nil {
		t.Fatal(err)
	}
	j, _, _ = s.LoadJournal("live")
	if len(j.Past) != 3 || j.Past[0].Symbol != "NEW" {
		t.Errorf("past picks: %+v", j.Past)
	}
	// At most 1000 past picks, newest exits kept.
	big := journalSnap(0, 0, pastKept+20)
	if err := s.SaveJournal("live", big); err != nil {
		t.Fatal(err)
	}
	j, _, _ = s.LoadJournal("live")
	if len(j.Past) != pastKept || j.Past[0].Symbol != "NEW" {
		t.Errorf("%d past picks, newest %s", len(j.Past), j.Past[0].Symbol)
	}
}

// Hostile journal records are skipped, reported and left in place.
func TestLoadJournalSkipsBadRecords(t *testing.T) {
	s := openT(t, t.TempDir())
	if err := s.SaveJournal("live", journalSnap(2, 2, 1)); err != nil {
		t.Fatal(err)
	}
	// Records that pass their checksum (as a buggy or hostile writer
	// would leave them) are still checked.
	pokeRecord(t, s, "BAD", `[{"time":"2025-01-01T00:00:00Z","from":0,"to":7,"price":1}]`, "journal", "live", "flips")
	pokeRecord(t, s, "ORDER", `[{"time":"2025-01-01T00:00:00Z","from":0,"to":1,"price":1},{"time":"2025-02-01T00:00:00Z","from":1,"to":0,"price":1}]`, "journal", "live", "flips")
	pokeRecord(t, s, "bad key", `[]`, "journal", "live", "flips")
	pokeRecord(t, s, string(keyOpen), `[{"symbol":"OK","entry":"2025-01-01T00:00:00Z","entry_price":1},{"symbol":"X","entry_price":1}]`, "journal", "live")
	pokeRecord(t, s, "junk", `{"symbol":"Y"`, "journal", "live", "past")
	j, rep, err := s.LoadJournal("live")
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Flips) != 2 || len(j.Open) != 1 || j.Open[0].Symbol != "OK" || len(j.Past) != 1 {
		t.Errorf("journal %+v", j)
	}
	if rep.Skipped != 5 || rep.Damaged != 0 {
		t.Errorf("skipped %d, damaged %d: %q", rep.Skipped, rep.Damaged, rep.Reasons)
	}
	joined := strings.Join(rep.Reasons, "\n")
	for _, want := range []string{
		"journal/live/flips/BAD: a flip's signal is out of range",
		"journal/live/flips/ORDER: the flips are not newest first",
		`journal/live/flips/"bad key": not a token symbol`,
		"journal/live/open[1]: the pick has no entry time",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("no reason %q in\n%s", want, joined)
		}
	}
}

// A journal record whose checksum fails is damaged: named, counted, not
// used, left in the file.
func TestLoadJournalDamagedRecords(t *testing.T) {
	s := openT(t, t.TempDir())
	if err := s.SaveJournal("live", journalSnap(2, 2, 1)); err != nil {
		t.Fatal(err)
	}
	v := rawValue(t, s, "T1", "journal", "live", "flips")
	v[5] ^= 0x10
	pokeRaw(t, s, "T1", string(v), "journal", "live", "flips")
	j, rep, err := s.LoadJournal("live")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := j.Flips["T1"]; ok || len(j.Flips) != 1 || rep.Damaged != 1 || rep.Skipped != 1 ||
		rep.Reasons[0] != "journal/live/flips/T1: damaged (checksum mismatch)" {
		t.Errorf("flips %v, report %+v", j.Flips, rep)
	}
	if got := rawValue(t, s, "T1", "journal", "live", "flips"); !bytes.Equal(got, v) {
		t.Error("the damaged record was changed")
	}
}

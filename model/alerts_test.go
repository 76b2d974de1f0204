package model

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

var alertT0 = time.Unix(day0, 0)

// tv is a token view with a price and unknown changes.
func tv(sym string, price float64) *TokenView {
	nan := math.NaN()
	return &TokenView{Symbol: sym, Price: price, Change1h: nan, Change24h: nan, Change7d: nan}
}

// withFlip gives v a newest flip at minute min to `to` at price and grade.
func withFlip(v *TokenView, min int, to Signal, price, grade float64) *TokenView {
	v.Signals = ReadOnlyOf(SignalFlip{Time: alertT0.Add(time.Duration(min) * time.Minute), From: SignalNeutral, To: to, Price: price, Grade: grade})
	return v
}

func withMove(v *TokenView, h1, h24, d7 float64) *TokenView {
	v.Change1h, v.Change24h, v.Change7d = h1, h24, d7
	return v
}

func pick(sym string, entryMin int, price, grade float64) Moonshot {
	return Moonshot{Symbol: sym, Entry: alertT0.Add(time.Duration(entryMin) * time.Minute), EntryPrice: price, EntryGrade: grade,
		Price: price, Grade: grade}
}

// alertStep is one Check: a snapshot at minute `at`, and the messages
// expected to fire, in order.
type alertStep struct {
	at    int
	snap  *Snapshot
	want  []string
	alter func(a []Alert) // changes the alerts before this check
}

func runAlertSteps(t *testing.T, alerts []Alert, steps []alertStep) []Alert {
	t.Helper()
	b := NewAlertBook()
	for i, st := range steps {
		if st.alter != nil {
			st.alter(alerts)
		}
		now := alertT0.Add(time.Duration(st.at) * time.Minute)
		got := b.Check(alerts, st.snap, now)
		var msgs []string
		for _, f := range got {
			msgs = append(msgs, f.Message)
			if !f.Time.Equal(now) || f.AlertID == "" || f.Symbol == "" || math.IsNaN(f.Price) || math.IsInf(f.Price, 0) {
				t.Errorf("step %d: firing %+v", i, f)
			}
			for _, r := range f.Message {
				if r < ' ' || r == 0x7f {
					t.Errorf("step %d: control character in %q", i, f.Message)
				}
			}
			if err := f.Validate(); err != nil {
				t.Errorf("step %d: firing does not validate: %v", i, err)
			}
		}
		if fmt.Sprintf("%q", msgs) != fmt.Sprintf("%q", st.want) {
			t.Errorf("step %d (minute %d): fired\n  %q\nwant\n  %q", i, st.at, msgs, st.want)
		}
	}
	return alerts
}

func snapWith(views ...*TokenView) *Snapshot { return &Snapshot{Tokens: ReadOnlyOf(views...)} }

func TestAlertPriceKinds(t *testing.T) {
	above := Alert{ID: "a1", Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000}
	rose := "BTC rose above $70,000.00 (now $70,012.50)"
	cases := []struct {
		name   string
		alert  Alert
		steps  []alertStep
		fired  int
		done   bool
		atLast int // minute of LastFired; -1 = never
	}{
		{"once fires at the crossing, then is done", above, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 69000))},
			{at: 1, snap: snapWith(tv("BTC", 70012.5)), want: []string{rose}},
			{at: 2, snap: snapWith(tv("BTC", 69000))},
			{at: 3, snap: snapWith(tv("BTC", 70012.5))},
		}, 1, true, 1},
		{"already true at the first check fires", above, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 70012.5)), want: []string{rose}},
		}, 1, true, 0},
		{"equal to the level counts", above, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 70000)), want: []string{"BTC rose above $70,000.00 (now $70,000.00)"}},
		}, 1, true, 0},
		{"repeat fires on each new crossing, not while it holds", Alert{ID: "a2", Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000, Repeat: true}, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 70012.5)), want: []string{rose}},
			{at: 1, snap: snapWith(tv("BTC", 71000))},
			{at: 2, snap: snapWith(tv("BTC", 69999))},
			{at: 3, snap: snapWith(tv("BTC", 70012.5)), want: []string{rose}},
		}, 2, false, 3},
		{"cooldown uses up a crossing inside it", Alert{ID: "a3", Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000, Repeat: true, Cooldown: Duration(time.Hour)}, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 70012.5)), want: []string{rose}},
			{at: 10, snap: snapWith(tv("BTC", 69000))},
			{at: 20, snap: snapWith(tv("BTC", 70012.5))}, // in the cooldown
			{at: 70, snap: snapWith(tv("BTC", 70012.5))}, // still the same crossing
			{at: 80, snap: snapWith(tv("BTC", 69000))},
			{at: 90, snap: snapWith(tv("BTC", 70012.5)), want: []string{rose}},
		}, 2, false, 90},
		{"a LastFired in the future counts as long ago", Alert{ID: "a4", Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000, Repeat: true,
			Cooldown: Duration(time.Hour), LastFired: alertT0.Add(48 * time.Hour), Fired: 3}, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 70012.5)), want: []string{rose}},
		}, 4, false, 0},
		{"below", Alert{ID: "b1", Symbol: "ETH", Kind: AlertPriceBelow, Price: 3000}, []alertStep{
			{at: 0, snap: snapWith(tv("ETH", 3100))},
			{at: 1, snap: snapWith(tv("ETH", 2990.1)), want: []string{"ETH fell below $3,000.00 (now $2,990.10)"}},
		}, 1, true, 1},
		{"disabled never fires; enabled again it fires if true", Alert{ID: "d1", Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000, Disabled: true}, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 69000))},
			{at: 1, snap: snapWith(tv("BTC", 70012.5))},
			{at: 2, snap: snapWith(tv("BTC", 70012.5)), alter: func(a []Alert) { a[0].Disabled = false }, want: []string{rose}},
		}, 1, true, 2},
		{"done never fires", Alert{ID: "d2", Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000, Done: true, Fired: 1}, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 70012.5))},
		}, 1, true, -1},
		{"a NaN or missing price is not known: the state is kept", Alert{ID: "n1", Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000, Repeat: true}, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 70012.5)), want: []string{rose}},
			{at: 1, snap: snapWith(tv("BTC", math.NaN()))},
			{at: 2, snap: snapWith(tv("BTC", 70012.5))}, // no new crossing
			{at: 3, snap: snapWith(tv("ETH", 1))},       // BTC gone
			{at: 4, snap: snapWith(tv("BTC", 0))},
			{at: 5, snap: snapWith(tv("BTC", math.Inf(1)))},
			{at: 6, snap: snapWith(tv("BTC", 70012.5))},
			{at: 7, snap: snapWith(tv("BTC", 60000))},
			{at: 8, snap: snapWith(tv("BTC", 70012.5)), want: []string{rose}},
		}, 2, false, 8},
		{"unknown symbol never fires", Alert{ID: "u1", Symbol: "NOPE", Kind: AlertPriceBelow, Price: 1e12}, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 1))},
			{at: 1, snap: nil},
			{at: 2, snap: snapWith()},
		}, 0, false, -1},
		{"a bad level never fires", Alert{ID: "u2", Symbol: "BTC", Kind: AlertPriceBelow, Price: math.NaN()}, []alertStep{
			{at: 0, snap: snapWith(tv("BTC", 1))},
		}, 0, false, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runAlertSteps(t, []Alert{c.alert}, c.steps)[0]
			wantLast := time.Time{}
			if c.atLast >= 0 {
				wantLast = alertT0.Add(time.Duration(c.atLast) * time.Minute)
			}
			if c.alert.Done && c.atLast < 0 {
				wantLast = c.alert.LastFired
			}
			if got.Fired != c.fired || got.Done != c.done || !got.LastFired.Equal(wantLast) {
				t.Errorf("state fired=%d done=%v last=%v, want %d %v %v", got.Fired, got.Done, got.LastFired, c.fired, c.done, wantLast)
			}
		})
	}
}

func TestAlertMove(t *testing.T) {
	mk := func(id string, w time.Duration, pct float64) Alert {
		return Alert{ID: id, Symbol: "SOL", Kind: AlertMove, Percent: pct, Window: Duration(w), Repeat: true}
	}
	alerts := []Alert{mk("h", time.Hour, 0.05), mk("d", 24*time.Hour, 0.05), mk("w", 7*24*time.Hour, 0.1), mk("bad", 2*time.Hour, 0.01)}
	nan := math.NaN()
	runAlertSteps(t, alerts, []alertStep{
		{at: 0, snap: snapWith(withMove(tv("SOL", 200), 0.01, nan, 0.05))},
		{at: 1, snap: snapWith(withMove(tv("SOL", 200), 0.062, -0.07, 0.05)), want: []string{
			"SOL moved +6.2% within 1h (alert at 5%)", "SOL moved -7.0% within 24h (alert at 5%)"}},
		{at: 2, snap: snapWith(withMove(tv("SOL", 200), nan, 0.01, -0.125)), want: []string{
			"SOL moved -12.5% within 7d (alert at 10%)"}},
		// The 1h change was not known at minute 2: its state stays true.
		{at: 3, snap: snapWith(withMove(tv("SOL", 200), 0.07, 0.01, 0))},
		{at: 4, snap: snapWith(withMove(tv("SOL", 200), 0.01, 0.01, 0))},
		{at: 5, snap: snapWith(withMove(tv("SOL", 200), -0.05, 0.01, 0)), want: []string{
			"SOL moved -5.0% within 1h (alert at 5%)"}},
	})
	small := []Alert{{ID: "s", Symbol: "SOL", Kind: AlertMove, Percent: 0.005, Window: Duration(time.Hour)}}
	runAlertSteps(t, small, []alertStep{
		{at: 0, snap: snapWith(withMove(tv("SOL", 200), 0.0051, nan, nan)), want: []string{"SOL moved +0.51% within 1h (alert at 0.5%)"}},
	})
}

func TestAlertSignalFlip(t *testing.T) {
	alerts := []Alert{
		{ID: "doge", Symbol: "DOGE", Kind: AlertSignalFlip},
		{ID: "any", Kind: AlertSignalFlip, Repeat: true},
		{ID: "anyCool", Kind: AlertSignalFlip, Repeat: true, Cooldown: Duration(time.Hour)},
	}
	runAlertSteps(t, alerts, []alertStep{
		// Baseline: flips already there are not news.
		{at: 0, snap: snapWith(withFlip(tv("DOGE", 0.12), -30, SignalBearish, 0.12, 30), tv("BTC", 1e5))},
		{at: 1, snap: snapWith(withFlip(tv("DOGE", 0.12), -30, SignalBearish, 0.12, 30), tv("BTC", 1e5))},
		// A new DOGE flip.
		{at: 2, snap: snapWith(withFlip(tv("DOGE", 0.1234), 2, SignalBullish, 0.1234, 71), tv("BTC", 1e5)), want: []string{
			"DOGE turned bullish at $0.1234 (grade 71)",
			"DOGE turned bullish at $0.1234 (grade 71)",
			"DOGE turned bullish at $0.1234 (grade 71)"}},
		// A token first seen now, with a flip: its baseline, no firing.
		{at: 3, snap: snapWith(withFlip(tv("DOGE", 0.1234), 2, SignalBullish, 0.1234, 71), tv("BTC", 1e5),
			withFlip(tv("NEW", 5), 3, SignalBullish, 5, 80))},
		// Three new flips at once: "any" fires once for the first in token
		// order; the one-shot DOGE alert is done; anyCool is cooling down.
		{at: 4, snap: snapWith(withFlip(tv("DOGE", 0.1), 4, SignalNeutral, 0.1, 50),
			withFlip(tv("BTC", 99000), 4, SignalBearish, 99000, 20),
			withFlip(tv("NEW", 5), 4, SignalNeutral, 5, 60)), want: []string{
			"DOGE turned neutral at $0.10 (grade 50) (+2 more)"}},
		// Nothing new.
		{at: 5, snap: snapWith(withFlip(tv("DOGE", 0.1), 4, SignalNeutral, 0.1, 50),
			withFlip(tv("BTC", 99000), 4, SignalBearish, 99000, 20),
			withFlip(tv("NEW", 5), 4, SignalNeutral, 5, 60))},
		// After the cooldown; a flip with no known grade.
		{at: 70, snap: snapWith(withFlip(tv("DOGE", 0.1), 4, SignalNeutral, 0.1, 50),
			withFlip(tv("BTC", 99000), 70, SignalNeutral, 99000, math.NaN()),
			withFlip(tv("NEW", 5), 4, SignalNeutral, 5, 60)), want: []string{
			"BTC turned neutral at $99,000.00", "BTC turned neutral at $99,000.00"}},
	})
	if alerts[0].Fired != 1 || !alerts[0].Done || alerts[1].Fired != 3 || alerts[2].Fired != 2 || alerts[1].Done {
		t.Errorf("alert states %+v", alerts)
	}
}

func TestAlertMoonshot(t *testing.T) {
	alerts := []Alert{
		{ID: "any", Kind: AlertMoonshot, Repeat: true},
		{ID: "tide", Symbol: "TIDE", Kind: AlertMoonshot, Repeat: true},
	}
	ms := func(p ...Moonshot) *Snapshot { return &Snapshot{Moonshots: ReadOnlyOf(p...)} }
	tide := pick("TIDE", 1, 0.0123, 82)
	runAlertSteps(t, alerts, []alertStep{
		{at: 0, snap: ms(pick("OLD", -60, 1, 80))}, // baseline
		{at: 1, snap: ms(tide, pick("OLD", -60, 1, 80)), want: []string{
			"New moonshot: TIDE at $0.0123 (grade 82)", "New moonshot: TIDE at $0.0123 (grade 82)"}},
		{at: 2, snap: ms(tide, pick("OLD", -60, 1, 80))},
		{at: 3, snap: ms(pick("OLD", -60, 1, 80))}, // TIDE closed
		{at: 4, snap: ms(pick("TIDE", 4, 0.02, 90), pick("AAA", 4, 3, 77), pick("OLD", -60, 1, 80)), want: []string{ // picked again
			"New moonshot: TIDE at $0.02 (grade 90) (+1 more)", "New moonshot: TIDE at $0.02 (grade 90)"}},
		// The same symbol open with a new entry (closed and reopened
		// between checks) is new too.
		{at: 5, snap: ms(pick("AAA", 5, 3, 77)), want: []string{"New moonshot: AAA at $3.00 (grade 77)"}},
	})
}

func TestAlertStateForgottenAndOrder(t *testing.T) {
	b := NewAlertBook()
	a := []Alert{
		{ID: "x", Symbol: "BTC", Kind: AlertPriceAbove, Price: 10, Repeat: true},
		{ID: "y", Symbol: "BTC", Kind: AlertPriceBelow, Price: 1000, Repeat: true},
	}
	s := snapWith(tv("BTC", 100))
	if got := b.Check(a, s, alertT0); len(got) != 2 || got[0].AlertID != "x" || got[1].AlertID != "y" {
		t.Fatalf("firings %+v, want x then y", got)
	}
	// y is deleted: its state goes.
	if got := b.Check(a[:1], s, alertT0); len(got) != 0 || len(b.state) != 1 {
		t.Fatalf("fired %+v; state %v", got, b.state)
	}
	// Passed again, it is a new alert whose condition already holds.
	if got := b.Check(a, s, alertT0); len(got) != 1 || got[0].AlertID != "y" {
		t.Fatalf("re-added alert: %+v", got)
	}
}

func TestFormatUSD(t *testing.T) {
	for _, c := range []struct {
		p    float64
		want string
	}{
		{70000, "$70,000.00"}, {70012.5, "$70,012.50"}, {2990.1, "$2,990.10"}, {1234567.891, "$1,234,567.89"},
		{211.97, "$211.97"}, {10, "$10.00"}, {2.6082, "$2.6082"}, {1.5, "$1.50"}, {1, "$1.00"},
		{0.1234, "$0.1234"}, {0.0123, "$0.0123"}, {0.5, "$0.50"}, {0.00001234, "$0.00001234"},
		{0.99999, "$1.00"}, {1e-20, "$1e-20"}, {0, "$?"}, {-1, "$?"}, {math.NaN(), "$?"}, {math.Inf(1), "$?"},
	} {
		if got := formatUSD(c.p); got != c.want {
			t.Errorf("formatUSD(%v) = %q, want %q", c.p, got, c.want)
		}
	}
}

// alertBench is 500 tokens (each with a flip) and 200 alerts of every
// kind, none of which fires on the snapshot.
func alertBench() ([]Alert, *Snapshot) {
	views := make([]*TokenView, 500)
	for i := range views {
		views[i] = withMove(withFlip(tv(fmt.Sprintf("T%03d", i), 100+float64(i)), -10, SignalBullish, 100, 70), 0.01, 0.02, 0.03)
	}
	snap := &Snapshot{Tokens: ReadOnlyOf(views...), Moonshots: ReadOnlyOf(pick("T001", -5, 101, 80), pick("T002", -5, 102, 80))}
	alerts := make([]Alert, 200)
	for i := range alerts {
		sym := fmt.Sprintf("T%03d", (i*7)%500)
		a := Alert{ID: fmt.Sprintf("a%d", i), Symbol: sym, Repeat: i%2 == 0}
		switch i % 5 {
		case 0:
			a.Kind, a.Price = AlertPriceAbove, 1e6
		case 1:
			a.Kind, a.Price = AlertPriceBelow, 1
		case 2:
			a.Kind, a.Percent, a.Window = AlertMove, 0.5, Duration(time.Hour)
		case 3:
			a.Kind = AlertSignalFlip
			if i%10 == 3 {
				a.Symbol = ""
			}
		case 4:
			a.Kind = AlertMoonshot
			if i%10 == 4 {
				a.Symbol = ""
			}
		}
		if err := a.Validate(); err != nil {
			panic(err)
		}
		alerts[i] = a
	}
	return alerts, snap
}

func TestAlertCheckDoesNotAllocateWhenNothingFires(t *testing.T) {
	alerts, snap := alertBench()
	b := NewAlertBook()
	if got := b.Check(alerts, snap, alertT0); len(got) != 0 {
		t.Fatalf("bench alerts fired: %+v", got[0])
	}
	allocs := testing.AllocsPerRun(100, func() {
		if got := b.Check(alerts, snap, alertT0); got != nil {
			t.Fatal("fired")
		}
	})
	if allocs != 0 {
		t.Errorf("Check allocated %v times per run with nothing firing", allocs)
	}
	// A new flip for one token fires the "any" and that token's alerts.
	v := *snap.Tokens.At(7)
	withFlip(&v, 1, SignalBearish, 90, 20)
	snap2 := *snap
	tokens2 := snap.Tokens.Clone()
	tokens2[7] = &v
	snap2.Tokens = ReadOnlyOf(tokens2...)
	got := b.Check(alerts, &snap2, alertT0)
	ids := ""
	for _, f := range got {
		ids += f.AlertID + " "
		if !strings.HasPrefix(f.Message, "T007 turned bearish at $90.00 (grade 20)") {
			t.Errorf("message %q", f.Message)
		}
	}
	// alerts 3, 13, 23, ... are "any" flip alerts; 8 (T056), 18... are
	// by symbol; alert i watches T(7i mod 500): i=1 is a price alert.
	if !strings.HasPrefix(ids, "a3 a13 ") || strings.Contains(ids, "a8 ") {
		t.Errorf("fired %s", ids)
	}
}

func BenchmarkAlertCheck200x500(b *testing.B) {
	alerts, snap := alertBench()
	book := NewAlertBook()
	book.Check(alerts, snap, alertT0)
	b.ReportAllocs()
	for b.Loop() {
		book.Check(alerts, snap, alertT0)
	}
}

func TestAlertFiringForOddHubSymbol(t *testing.T) {
	// The hub accepts "btc/x"; a user symbol may not hold it, so the
	// firing carries no symbol (the message still names the token).
	alerts := []Alert{{ID: "any", Kind: AlertSignalFlip}}
	b := NewAlertBook()
	b.Check(alerts, snapWith(tv("btc/x", 1)), alertT0)
	got := b.Check(alerts, snapWith(withFlip(tv("btc/x", 1), 1, SignalBearish, 1, 20)), alertT0)
	if len(got) != 1 || got[0].Symbol != "" || got[0].Message != "btc/x turned bearish at $1.00 (grade 20)" || got[0].Validate() != nil {
		t.Errorf("firing %+v", got)
	}
}

// After an edit the UI calls Forget: a repeating alert whose new level is
// already crossed fires at the next check instead of waiting for a new
// crossing.
func TestAlertForgetAfterEdit(t *testing.T) {
	alerts := []Alert{{ID: "a1", Symbol: "BTC", Kind: AlertPriceAbove, Price: 70000, Repeat: true}}
	b := NewAlertBook()
	if got := b.Check(alerts, snapWith(tv("BTC", 69000)), alertT0); len(got) != 0 {
		t.Fatalf("fired below the level: %v", got)
	}
	alerts[0].Price = 68000 // edited: now true, but the book saw "false" for this ID
	b.Forget("a1")
	got := b.Check(alerts, snapWith(tv("BTC", 69000)), alertT0.Add(time.Minute))
	if len(got) != 1 || got[0].Message != "BTC rose above $68,000.00 (now $69,000.00)" {
		t.Fatalf("after Forget: %v", got)
	}
}

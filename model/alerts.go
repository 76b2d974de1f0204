package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tokentop/tokentop/internal/safetext"
)

// AlertBook evaluates the user's alerts against each snapshot. It keeps,
// in memory, what it saw last (each alert's condition, each token's newest
// flip, the open picks) so it fires on changes: a price crossing into the
// condition, a new flip, a new pick. The first snapshot after NewAlertBook
// only sets that baseline for flips and picks (they are not news), but a
// price or move condition already true at the first check fires then.
//
// The kinds:
//   - price above / below: the token's price >= / <= Alert.Price. A token
//     missing from the snapshot or without a price is "not known": the
//     condition keeps its last state and nothing fires.
//   - move: |TokenView.Change1h/24h/7d| >= Alert.Percent for the alert's
//     Window (NaN change = not known, as above).
//   - signal flip: a token's Signals[0] newer than the newest seen for
//     that token. A token first seen after the first check takes its
//     baseline then, without firing.
//   - moonshot: an open pick (Snapshot.Moonshots) whose (symbol, entry)
//     was not open at the previous check.
//
// For the last two, Symbol "" means any token: when one snapshot brings
// several, such an alert fires once per Check, for the first (flips in
// snapshot token order, picks newest first) and its message ends "(+N
// more)". An alert seen for the first time (a new alert, or one enabled
// again) has no previous condition: a price or move condition true at
// once fires at once.
//
// A one-shot alert fires once and is marked Done. A repeating one fires on
// each new crossing (condition false -> true; for flips and picks, each new
// one), at most once per Cooldown (market clock; a LastFired in the future,
// as after a demo restart, counts as long ago). A crossing inside the
// cooldown is used up: it does not fire later while the condition holds.
// Disabled and Done alerts never fire and their condition is forgotten.
// State of alerts no longer passed to Check is forgotten too. Not safe for
// concurrent use.
type AlertBook struct {
	state  map[string]alertState // alert ID -> its condition at the last check
	tokens map[string]tokenSeen  // symbol -> newest flip seen, and its view
	picks  map[string]pickSeen   // symbol -> entry of its open pick seen
	gen    uint64                // Check count; entries carry the gen that last saw them
	init   bool

	// Reused per check, so a check where nothing fires allocates nothing.
	fresh      []*TokenView // tokens with a new flip, in snapshot order
	freshPicks []int        // indexes in Snapshot.Moonshots of new picks
}

type alertState struct {
	was bool   // the condition held at the last check where it was known
	gen uint64 // the check that last saw the alert
}

type tokenSeen struct {
	flip time.Time // newest flip seen; zero = none yet
	view *TokenView
	gen  uint64 // the check whose snapshot held the token
}

type pickSeen struct {
	entry time.Time
	gen   uint64
}

// NewAlertBook returns an empty book.
func NewAlertBook() *AlertBook {
	return &AlertBook{state: map[string]alertState{}, tokens: map[string]tokenSeen{}, picks: map[string]pickSeen{}}
}

// Check evaluates alerts against snap at now (market clock). It updates
// the alerts that fire in place (LastFired, Fired, Done) and returns one
// firing per alert that fired, in the order of alerts (nil when none
// fired; a nil snap checks nothing). It allocates only when something
// fires (and when it first sees an alert or a token).
func (b *AlertBook) Check(alerts []Alert, snap *Snapshot, now time.Time) []AlertFiring {
	if snap == nil {
		return nil
	}
	b.gen++
	gen := b.gen
	b.scanTokens(snap, gen)
	b.scanPicks(snap, gen)

	var out []AlertFiring
	kept := 0
	for i := range alerts {
		a := &alerts[i]
		if !a.Armed() {
			delete(b.state, a.ID)
			continue
		}
		switch a.Kind {
		case AlertPriceAbove, AlertPriceBelow, AlertMove:
			v, cond, known := b.condition(a, gen)
			st, had := b.state[a.ID]
			if !known {
				if had && st.gen != gen {
					st.gen = gen
					b.state[a.ID] = st
					kept++
				}
				continue
			}
			if !had || st.gen != gen {
				kept++
			}
			b.state[a.ID] = alertState{was: cond, gen: gen}
			if cond && !st.was && canFire(a, now) {
				out = append(out, fire(a, now, v.Symbol, v.Price, conditionMessage(a, v)))
			}
		case AlertSignalFlip:
			v, more := b.freshFlip(a.Symbol)
			if v == nil || !canFire(a, now) {
				continue
			}
			f := v.Signals.At(0)
			msg := fmt.Sprintf("%s turned %s", v.Symbol, f.To)
			out = append(out, fire(a, now, v.Symbol, f.Price, withPriceGrade(msg, f.Price, f.Grade, more)))
		case AlertMoonshot:
			pk, more := b.freshPick(snap, a.Symbol)
			if pk == nil || !canFire(a, now) {
				continue
			}
			msg := "New moonshot: " + pk.Symbol
			out = append(out, fire(a, now, pk.Symbol, pk.EntryPrice, withPriceGrade(msg, pk.EntryPrice, pk.EntryGrade, more)))
		}
	}
	if len(b.state) > kept {
		for id, st := range b.state {
			if st.gen != gen {
				delete(b.state, id)
			}
		}
	}
	b.init = true
	return out
}

// scanTokens records each token's view and newest flip, and collects the
// tokens whose flip is new (none at the first check).
func (b *AlertBook) scanTokens(snap *Snapshot, gen uint64) {
	b.fresh = b.fresh[:0]
	for _, v := range snap.Tokens.s {
		var newest time.Time
		if v.Signals.Len() > 0 {
			newest = v.Signals.At(0).Time
		}
		seen, ok := b.tokens[v.Symbol]
		if ok && newest.After(seen.flip) {
			if b.init {
				b.fresh = append(b.fresh, v)
			}
			seen.flip = newest
		} else if !ok {
			seen.flip = newest // baseline
		}
		seen.view, seen.gen = v, gen
		b.tokens[v.Symbol] = seen
	}
}

// scanPicks records the open picks and collects those not open at the
// previous check (none at the first check).
func (b *AlertBook) scanPicks(snap *Snapshot, gen uint64) {
	b.freshPicks = b.freshPicks[:0]
	open := 0
	for i := range snap.Moonshots.s {
		pk := &snap.Moonshots.s[i] // read only
		seen, ok := b.picks[pk.Symbol]
		if ok && seen.gen == gen {
			continue // the same symbol twice in one list: the first counts
		}
		open++
		if b.init && !(ok && seen.gen == gen-1 && seen.entry.Equal(pk.Entry)) {
			b.freshPicks = append(b.freshPicks, i)
		}
		b.picks[pk.Symbol] = pickSeen{entry: pk.Entry, gen: gen}
	}
	if len(b.picks) > open {
		for sym, seen := range b.picks {
			if seen.gen != gen {
				delete(b.picks, sym)
			}
		}
	}
}

// condition evaluates a price or move alert: the token's view, whether the
// condition holds, and whether it is known at all.
func (b *AlertBook) condition(a *Alert, gen uint64) (v *TokenView, cond, known bool) {
	seen, ok := b.tokens[a.Symbol]
	if !ok || seen.gen != gen {
		return nil, false, false
	}
	v = seen.view
	if !(v.Price > 0) || math.IsInf(v.Price, 1) {
		return v, false, false
	}
	switch a.Kind {
	case AlertPriceAbove, AlertPriceBelow:
		if !(a.Price > 0) || math.IsInf(a.Price, 1) {
			return v, false, false
		}
		if a.Kind == AlertPriceAbove {
			return v, v.Price >= a.Price, true
		}
		return v, v.Price <= a.Price, true
	case AlertMove:
		ch := moveOf(v, time.Duration(a.Window))
		if math.IsNaN(ch) || !(a.Percent > 0) || math.IsInf(ch, 0) {
			return v, false, false
		}
		return v, math.Abs(ch) >= a.Percent, true
	}
	return v, false, false
}

// moveOf is the view's change over w (one of AlertWindows); NaN otherwise.
func moveOf(v *TokenView, w time.Duration) float64 {
	switch w {
	case time.Hour:
		return v.Change1h
	case 24 * time.Hour:
		return v.Change24h
	case 7 * 24 * time.Hour:
		return v.Change7d
	}
	return math.NaN()
}

// freshFlip is the token with a new flip the alert is about, and how many
// more there are for an "any token" alert.
func (b *AlertBook) freshFlip(sym string) (*TokenView, int) {
	if len(b.fresh) == 0 {
		return nil, 0
	}
	if sym == "" {
		return b.fresh[0], len(b.fresh) - 1
	}
	for _, v := range b.fresh {
		if v.Symbol == sym {
			return v, 0
		}
	}
	return nil, 0
}

// freshPick is the new pick the alert is about, and how many more there
// are for an "any token" alert.
func (b *AlertBook) freshPick(snap *Snapshot, sym string) (*Moonshot, int) {
	if len(b.freshPicks) == 0 {
		return nil, 0
	}
	if sym == "" {
		return &snap.Moonshots.s[b.freshPicks[0]], len(b.freshPicks) - 1 // read only
	}
	for _, i := range b.freshPicks {
		if snap.Moonshots.s[i].Symbol == sym {
			return &snap.Moonshots.s[i], 0 // read only
		}
	}
	return nil, 0
}

// canFire applies the cooldown of a repeating alert.
func canFire(a *Alert, now time.Time) bool {
	if !a.Repeat || a.LastFired.IsZero() || a.LastFired.After(now) {
		return true
	}
	return now.Sub(a.LastFired) >= time.Duration(a.Cooldown)
}

// fire updates a's state and returns its firing.
func fire(a *Alert, now time.Time, sym string, price float64, msg string) AlertFiring {
	a.LastFired = now
	a.Fired++
	if !a.Repeat {
		a.Done = true
	}
	if !(price > 0) || math.IsInf(price, 1) {
		price = 0
	}
	if !ValidSymbol(sym) {
		// The hub accepts symbols a user record may not hold (lower
		// case, "/"): the firing must still pass AlertFiring.Validate.
		sym = ""
	}
	return AlertFiring{AlertID: a.ID, Symbol: sym, Time: now, Message: strings.TrimSpace(safetext.Line(msg, 300)), Price: price}
}

// conditionMessage says in words what a price or move alert saw.
func conditionMessage(a *Alert, v *TokenView) string {
	switch a.Kind {
	case AlertPriceAbove:
		return fmt.Sprintf("%s rose above %s (now %s)", v.Symbol, formatUSD(a.Price), formatUSD(v.Price))
	case AlertPriceBelow:
		return fmt.Sprintf("%s fell below %s (now %s)", v.Symbol, formatUSD(a.Price), formatUSD(v.Price))
	}
	w := time.Duration(a.Window)
	ch := moveOf(v, w)
	prec := 1
	if math.Abs(ch) < 0.01 {
		prec = 2
	}
	return fmt.Sprintf("%s moved %+.*f%% within %s (alert at %s)", v.Symbol, prec, ch*100, windowName(w), plainPercent(a.Percent))
}

// windowName is a move window as the user picked it: 1h, 24h, 7d.
func windowName(w time.Duration) string {
	if w == 7*24*time.Hour {
		return "7d"
	}
	return fmt.Sprintf("%dh", w/time.Hour)
}

// withPriceGrade appends " at $P (grade G)" and " (+N more)" to msg,
// leaving out a price or grade that is not known.
func withPriceGrade(msg string, price, grade float64, more int) string {
	if price > 0 && !math.IsInf(price, 1) {
		msg += " at " + formatUSD(price)
	}
	if grade >= 0 && grade <= 100 {
		msg += fmt.Sprintf(" (grade %.0f)", grade)
	}
	if more > 0 {
		msg += fmt.Sprintf(" (+%d more)", more)
	}
	return msg
}

// formatUSD writes a price in dollars the way a trader reads it: two
// decimals with thousands separators from $10 ("$70,012.50"), four
// decimals below $10 ("$2.6082"), four significant digits below $1
// ("$0.1234", "$0.0123", "$0.00001234"), trailing zeros trimmed to two
// decimals ("$0.50"). Not a price (NaN, infinite, 0 or less): "$?".
func formatUSD(p float64) string {
	if !(p > 0) || math.IsInf(p, 1) {
		return "$?"
	}
	if p < 1e-15 {
		return "$" + strconv.FormatFloat(p, 'g', 4, 64)
	}
	var dec int
	switch {
	case p >= 10:
		dec = 2
	case p >= 1:
		dec = 4
	default:
		dec = 3 - int(math.Floor(math.Log10(p)))
	}
	s := strconv.FormatFloat(p, 'f', dec, 64)
	if dec > 2 {
		dot := strings.IndexByte(s, '.')
		end := len(s)
		for end > dot+3 && s[end-1] == '0' {
			end--
		}
		s = s[:end]
	}
	intPart, frac := s, ""
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		intPart, frac = s[:dot], s[dot:]
	}
	var sb strings.Builder
	sb.Grow(len(s) + len(s)/3 + 1)
	sb.WriteByte('$')
	for i := 0; i < len(intPart); i++ {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte(intPart[i])
	}
	sb.WriteString(frac)
	return sb.String()
}

// Forget drops what the book remembers of alert id, so its next check
// starts afresh: after the user edits an alert, a condition that already
// holds fires at once, as for a new alert.
func (b *AlertBook) Forget(id string) { delete(b.state, id) }

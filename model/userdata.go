package model

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the user's own records: watchlists, portfolio lots,
// alerts and alert firings. The store (store/) keeps them; the UI edits
// them; export and import move them between machines. Every record is
// checked by its Validate method wherever it comes from outside (a form,
// an import file, the database).

// Limits on user records.
const (
	MaxWatchlists      = 64
	MaxWatchlistLen    = 1000 // symbols per list
	MaxWatchlistName   = 32   // runes
	MaxLots            = 10000
	MaxAlerts          = 1000
	MaxNoteLen         = 200 // runes
	MaxQuantity        = 1e15
	MaxUnitCost        = 1e12 // USD per unit
	DefaultWatchlist   = "Watchlist"
	DefaultFiringsKept = 500
)

// Watchlist is a named, ordered list of symbols.
type Watchlist struct {
	Name    string   `json:"name"`
	Symbols []string `json:"symbols"` // in the order they were added; no repeats
}

// Lot is one purchase in the portfolio.
type Lot struct {
	ID       string    `json:"id"`       // unique, assigned when created (NewID)
	Symbol   string    `json:"symbol"`   // base asset, upper case
	Quantity float64   `json:"quantity"` // > 0
	Cost     float64   `json:"cost"`     // USD per unit, >= 0
	Opened   time.Time `json:"opened"`   // when bought (wall clock); zero = unknown
	Note     string    `json:"note,omitempty"`
}

// AlertKind is what an alert watches.
type AlertKind uint8

const (
	AlertPriceAbove AlertKind = iota + 1 // price >= Price
	AlertPriceBelow                      // price <= Price
	AlertMove                            // |change over Window| >= Percent
	AlertSignalFlip                      // the token's signal flips (Symbol "" = any token)
	AlertMoonshot                        // a new moonshot pick (Symbol "" = any token)
)

// AlertKinds lists the kinds in form order.
var AlertKinds = []AlertKind{AlertPriceAbove, AlertPriceBelow, AlertMove, AlertSignalFlip, AlertMoonshot}

// String is the kind's stable name, used in export files.
func (k AlertKind) String() string {
	switch k {
	case AlertPriceAbove:
		return "price_above"
	case AlertPriceBelow:
		return "price_below"
	case AlertMove:
		return "move"
	case AlertSignalFlip:
		return "signal_flip"
	case AlertMoonshot:
		return "moonshot"
	}
	return "unknown"
}

// Label is the kind in words, for the UI.
func (k AlertKind) Label() string {
	switch k {
	case AlertPriceAbove:
		return "price above"
	case AlertPriceBelow:
		return "price below"
	case AlertMove:
		return "move within"
	case AlertSignalFlip:
		return "signal flip"
	case AlertMoonshot:
		return "new moonshot"
	}
	return "unknown"
}

// ParseAlertKind reads a kind's String.
func ParseAlertKind(s string) (AlertKind, bool) {
	for _, k := range AlertKinds {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

// MarshalText and UnmarshalText make a kind its name in JSON.
func (k AlertKind) MarshalText() ([]byte, error) {
	if _, ok := ParseAlertKind(k.String()); !ok {
		return nil, fmt.Errorf("unknown alert kind %d", k)
	}
	return []byte(k.String()), nil
}

func (k *AlertKind) UnmarshalText(b []byte) error {
	v, ok := ParseAlertKind(string(b))
	if !ok {
		return fmt.Errorf("unknown alert kind %q (want one of price_above, price_below, move, signal_flip, moonshot)", truncateRunes(string(b), 40))
	}
	*k = v
	return nil
}

// AlertWindows are the windows a move alert may watch: the ones every
// snapshot carries a change for.
var AlertWindows = []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// Alert is one rule the user set. The state fields (LastFired, Fired,
// Done) are written by the alert engine when it fires.
type Alert struct {
	ID      string    `json:"id"`
	Symbol  string    `json:"symbol"` // "" = any token (signal flip and moonshot kinds only)
	Kind    AlertKind `json:"kind"`
	Price   float64   `json:"price,omitempty"`   // price kinds: the level, USD
	Percent float64   `json:"percent,omitempty"` // move: the size as a fraction (0.05 = 5%)
	// Window is the move's window: one of AlertWindows.
	Window Duration `json:"window,omitempty"`
	// Repeat fires again on each new crossing, at most once per Cooldown;
	// otherwise the alert fires once and is done.
	Repeat   bool      `json:"repeat,omitempty"`
	Cooldown Duration  `json:"cooldown,omitempty"`
	Created  time.Time `json:"created"`
	Disabled bool      `json:"disabled,omitempty"`

	LastFired time.Time `json:"last_fired,omitzero"` // market clock
	Fired     int       `json:"fired,omitempty"`
	Done      bool      `json:"done,omitempty"` // a one-shot alert that fired
}

// Armed reports whether the alert can still fire.
func (a *Alert) Armed() bool { return !a.Disabled && !a.Done }

// Describe is the alert's condition in words: "BTC price above $70,000",
// "ETH moves 5% within 1h", "any token: new moonshot".
func (a *Alert) Describe() string {
	sym := a.Symbol
	if sym == "" {
		sym = "any token"
	}
	switch a.Kind {
	case AlertPriceAbove:
		return fmt.Sprintf("%s price above %s", sym, plainPrice(a.Price))
	case AlertPriceBelow:
		return fmt.Sprintf("%s price below %s", sym, plainPrice(a.Price))
	case AlertMove:
		return fmt.Sprintf("%s moves %s within %s", sym, plainPercent(a.Percent), FormatDuration(time.Duration(a.Window)))
	case AlertSignalFlip:
		return sym + ": signal flip"
	case AlertMoonshot:
		return sym + ": new moonshot"
	}
	return sym + ": unknown alert"
}

func plainPrice(p float64) string {
	switch {
	case p >= 1000:
		return "$" + thousands(fmt.Sprintf("%.2f", p))
	case p >= 1:
		return fmt.Sprintf("$%.4g", p)
	default:
		return fmt.Sprintf("$%.6g", p)
	}
}

// thousands puts commas into the whole part of a plain decimal number.
func thousands(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	if len(whole) <= 3 || strings.ContainsAny(whole, "e+-") {
		return s
	}
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

func plainPercent(f float64) string { return fmt.Sprintf("%g%%", math.Round(f*1e4)/100) }

// AlertFiring is one time an alert fired: the history the Alerts view
// lists.
type AlertFiring struct {
	AlertID string    `json:"alert_id"`
	Symbol  string    `json:"symbol"`
	Time    time.Time `json:"time"`    // market clock
	Message string    `json:"message"` // in words: "BTC rose above $70,000 (now $70,012.50)"
	Price   float64   `json:"price,omitempty"`
}

// UserData is everything the user owns, as loaded at start.
type UserData struct {
	Watchlists []Watchlist   // at least one after load (DefaultWatchlist)
	Lots       []Lot         // in the order they were added
	Alerts     []Alert       // in the order they were created
	Firings    []AlertFiring // newest first, at most the configured history
}

// UserChange is one change to the user's records: exactly one field is
// set. The UI makes these; the store applies them in order.
type UserChange struct {
	PutWatchlist    *Watchlist // insert or replace by Name
	DeleteWatchlist string     // by Name
	// RenameWatchlist renames From to To (To must not exist).
	RenameWatchlist *[2]string
	PutLot          *Lot   // insert or replace by ID
	DeleteLot       string // by ID
	PutAlert        *Alert // insert or replace by ID
	DeleteAlert     string // by ID; its firings stay in the history
	AddFiring       *AlertFiring
}

// FieldError is a record that failed validation: which field, and why in
// words. Forms show Msg beside the field.
type FieldError struct {
	Field string // JSON name: "quantity", "symbol"
	Msg   string // "must be greater than 0"
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ValidSymbol reports whether s can be a token symbol: 1..32 printable ASCII
// characters without spaces, upper case letters and digits (and . - _).
func ValidSymbol(s string) bool {
	if len(s) == 0 || len(s) > maxSymbolLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func symbolError(s string) *FieldError {
	if s == "" {
		return &FieldError{"symbol", "is required"}
	}
	return &FieldError{"symbol", fmt.Sprintf("%q is not a token symbol (A-Z, 0-9, . - _)", truncateRunes(s, 40))}
}

func validText(s string, maxRunes int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxRunes {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

func truncateRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func finiteIn(v, lo, hi float64) bool { return !math.IsNaN(v) && v >= lo && v <= hi }

// Validate checks a watchlist: a name of 1..32 printable characters and at
// most MaxWatchlistLen valid symbols without repeats.
func (w *Watchlist) Validate() error {
	name := strings.TrimSpace(w.Name)
	switch {
	case name == "":
		return &FieldError{"name", "is required"}
	case name != w.Name:
		return &FieldError{"name", "must not start or end with spaces"}
	case !validText(w.Name, MaxWatchlistName):
		return &FieldError{"name", fmt.Sprintf("must be at most %d printable characters", MaxWatchlistName)}
	case len(w.Symbols) > MaxWatchlistLen:
		return &FieldError{"symbols", fmt.Sprintf("at most %d symbols", MaxWatchlistLen)}
	}
	seen := make(map[string]bool, len(w.Symbols))
	for _, s := range w.Symbols {
		if !ValidSymbol(s) {
			return symbolError(s)
		}
		if seen[s] {
			return &FieldError{"symbols", s + " is listed twice"}
		}
		seen[s] = true
	}
	return nil
}

// Validate checks a lot: an ID, a valid symbol, 0 < quantity <= 1e15,
// 0 <= cost <= 1e12, a note of printable text.
func (l *Lot) Validate() error {
	switch {
	case !validID(l.ID):
		return &FieldError{"id", "must be 1-64 letters, digits, - or _"}
	case !ValidSymbol(l.Symbol):
		return symbolError(l.Symbol)
	case math.IsNaN(l.Quantity) || l.Quantity <= 0:
		return &FieldError{"quantity", "must be greater than 0"}
	case l.Quantity > MaxQuantity:
		return &FieldError{"quantity", "is too large"}
	case math.IsNaN(l.Cost) || l.Cost < 0:
		return &FieldError{"cost", "must be 0 or more"}
	case l.Cost > MaxUnitCost:
		return &FieldError{"cost", "is too large"}
	case !validText(l.Note, MaxNoteLen):
		return &FieldError{"note", fmt.Sprintf("must be at most %d printable characters", MaxNoteLen)}
	case !l.Opened.IsZero() && (l.Opened.Year() < 2009 || l.Opened.Year() > 2200):
		return &FieldError{"opened", "must be a date from 2009 on"}
	}
	return nil
}

// Validate checks an alert's rule (not its state).
func (a *Alert) Validate() error {
	if !validID(a.ID) {
		return &FieldError{"id", "must be 1-64 letters, digits, - or _"}
	}
	if _, ok := ParseAlertKind(a.Kind.String()); !ok {
		return &FieldError{"kind", "is unknown"}
	}
	anyOK := a.Kind == AlertSignalFlip || a.Kind == AlertMoonshot
	if !(a.Symbol == "" && anyOK) && !ValidSymbol(a.Symbol) {
		return symbolError(a.Symbol)
	}
	switch a.Kind {
	case AlertPriceAbove, AlertPriceBelow:
		if !finiteIn(a.Price, 0, MaxUnitCost) || a.Price <= 0 {
			return &FieldError{"price", "must be a price greater than 0"}
		}
	case AlertMove:
		if !finiteIn(a.Percent, 0, 100) || a.Percent <= 0 {
			return &FieldError{"percent", "must be greater than 0%"}
		}
		ok := false
		for _, w := range AlertWindows {
			ok = ok || time.Duration(a.Window) == w
		}
		if !ok {
			return &FieldError{"window", "must be 1h, 24h or 168h (7d)"}
		}
	}
	if a.Cooldown < 0 || time.Duration(a.Cooldown) > 30*24*time.Hour {
		return &FieldError{"cooldown", "must be between 0 and 720h"}
	}
	if a.Fired < 0 {
		return &FieldError{"fired", "must be 0 or more"}
	}
	return nil
}

// Validate checks a firing from outside (the database).
func (f *AlertFiring) Validate() error {
	switch {
	case !validID(f.AlertID):
		return &FieldError{"alert_id", "must be 1-64 letters, digits, - or _"}
	case f.Symbol != "" && !ValidSymbol(f.Symbol):
		return symbolError(f.Symbol)
	case !validText(f.Message, 300):
		return &FieldError{"message", "must be at most 300 printable characters"}
	}
	return nil
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ErrNoChange is returned for a UserChange with no field set.
var ErrNoChange = errors.New("empty change")

// NewID returns a new record ID: the time in base 36 and 8 random hex
// digits, so IDs sort by creation and two machines do not collide.
func NewID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatInt(now.UnixMilli(), 36) + "-" + hex.EncodeToString(b[:])
}

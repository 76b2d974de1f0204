package model

import (
	"errors"
	"fmt"
	"slices"
)

// This file is what a change does to the user's records in memory: the
// checks (the record's Validate, the limits, that what it names exists)
// and the change itself. The user service (engine) runs Check before it
// commits a change to the store and Apply after; the store makes the same
// change to the database.

// UserSnapshot is one published state of a user's records. It is
// immutable: its holders (every session of the user) only read it.
type UserSnapshot struct {
	Seq  uint64 // increases with every published change
	User string // the user's id ("local" for the local dashboard)
	// Data is the records as committed to the store: never changed once
	// published.
	Data UserData
	// ReadOnly says why changes are not saved ("" when they are); while
	// set every change is refused with it.
	ReadOnly string
	// FiringsAdded counts the firings the service recorded since it
	// started: the first FiringsAdded-n of Data.Firings (newest first) are
	// the ones added since a snapshot whose count was n. Sessions announce
	// firings from the records this way, so snapshots that coalesce in a
	// mailbox never lose an announcement.
	FiringsAdded uint64
}

// NewFirings is the firings s recorded after a snapshot whose
// FiringsAdded was seen, newest first (at most the history kept).
func (s *UserSnapshot) NewFirings(seen uint64) []AlertFiring {
	if s == nil || s.FiringsAdded <= seen {
		return nil
	}
	n := s.FiringsAdded - seen
	if n > uint64(len(s.Data.Firings)) {
		n = uint64(len(s.Data.Firings))
	}
	return s.Data.Firings[:n]
}

// Clone is a deep copy of d: the copy shares no memory with d.
func (d *UserData) Clone() UserData {
	out := UserData{
		Watchlists: make([]Watchlist, len(d.Watchlists)),
		Lots:       slices.Clone(d.Lots),
		Alerts:     slices.Clone(d.Alerts),
		Firings:    slices.Clone(d.Firings),
	}
	for i, w := range d.Watchlists {
		out.Watchlists[i] = Watchlist{Name: w.Name, Symbols: slices.Clone(w.Symbols)}
		if out.Watchlists[i].Symbols == nil {
			out.Watchlists[i].Symbols = []string{}
		}
	}
	return out
}

// WatchlistIndex is the index of the watchlist named name, or -1.
func (d *UserData) WatchlistIndex(name string) int {
	for i := range d.Watchlists {
		if d.Watchlists[i].Name == name {
			return i
		}
	}
	return -1
}

// LotIndex is the index of the lot with id, or -1.
func (d *UserData) LotIndex(id string) int {
	for i := range d.Lots {
		if d.Lots[i].ID == id {
			return i
		}
	}
	return -1
}

// AlertIndex is the index of the alert with id, or -1.
func (d *UserData) AlertIndex(id string) int {
	for i := range d.Alerts {
		if d.Alerts[i].ID == id {
			return i
		}
	}
	return -1
}

// ChangeFields counts the fields set in ch (a valid change sets one).
func ChangeFields(ch *UserChange) int {
	n := 0
	for _, set := range []bool{ch.PutWatchlist != nil, ch.DeleteWatchlist != "", ch.RenameWatchlist != nil,
		ch.PutLot != nil, ch.DeleteLot != "", ch.PutAlert != nil, ch.DeleteAlert != "", ch.AddFiring != nil} {
		if set {
			n++
		}
	}
	return n
}

// Check reports why ch cannot be applied to d (nil when it can), changing
// nothing: exactly one field set, the record valid, within the limits,
// and what it names present.
func (d *UserData) Check(ch UserChange) error {
	switch n := ChangeFields(&ch); {
	case n == 0:
		return ErrNoChange
	case n > 1:
		return errors.New("a change must set exactly one record")
	}
	switch {
	case ch.PutWatchlist != nil:
		w := ch.PutWatchlist
		if err := w.Validate(); err != nil {
			return err
		}
		if d.WatchlistIndex(w.Name) < 0 && len(d.Watchlists) >= MaxWatchlists {
			return fmt.Errorf("at most %d watchlists", MaxWatchlists)
		}
	case ch.DeleteWatchlist != "":
		switch {
		case d.WatchlistIndex(ch.DeleteWatchlist) < 0:
			return fmt.Errorf("no watchlist named %q", truncateRunes(ch.DeleteWatchlist, 40))
		case len(d.Watchlists) == 1:
			return errors.New("the last watchlist cannot be deleted")
		}
	case ch.RenameWatchlist != nil:
		from, to := ch.RenameWatchlist[0], ch.RenameWatchlist[1]
		if d.WatchlistIndex(from) < 0 {
			return fmt.Errorf("no watchlist named %q", truncateRunes(from, 40))
		}
		if d.WatchlistIndex(to) >= 0 {
			return &FieldError{Field: "name", Msg: "a watchlist with that name exists"}
		}
		if err := (&Watchlist{Name: to}).Validate(); err != nil {
			return err
		}
	case ch.PutLot != nil:
		if err := ch.PutLot.Validate(); err != nil {
			return err
		}
		if d.LotIndex(ch.PutLot.ID) < 0 && len(d.Lots) >= MaxLots {
			return fmt.Errorf("at most %d lots", MaxLots)
		}
	case ch.DeleteLot != "":
		if d.LotIndex(ch.DeleteLot) < 0 {
			return errors.New("that lot is already gone")
		}
	case ch.PutAlert != nil:
		if err := ch.PutAlert.Validate(); err != nil {
			return err
		}
		if d.AlertIndex(ch.PutAlert.ID) < 0 && len(d.Alerts) >= MaxAlerts {
			return fmt.Errorf("at most %d alerts", MaxAlerts)
		}
	case ch.DeleteAlert != "":
		if d.AlertIndex(ch.DeleteAlert) < 0 {
			return errors.New("that alert is already gone")
		}
	case ch.AddFiring != nil:
		return ch.AddFiring.Validate()
	}
	return nil
}

// Apply checks ch (Check) and makes it in d: puts replace by name or ID
// or append, deletes remove, a firing goes first in the history, which
// keeps at most firingsKept (DefaultFiringsKept when 0 or less). The
// records put are copied, so d never shares memory with ch. d's slices
// are changed in place: a d that was published must be cloned first.
func (d *UserData) Apply(ch UserChange, firingsKept int) error {
	if err := d.Check(ch); err != nil {
		return err
	}
	switch {
	case ch.PutWatchlist != nil:
		w := Watchlist{Name: ch.PutWatchlist.Name, Symbols: slices.Clone(ch.PutWatchlist.Symbols)}
		if w.Symbols == nil {
			w.Symbols = []string{}
		}
		if i := d.WatchlistIndex(w.Name); i >= 0 {
			d.Watchlists[i] = w
		} else {
			d.Watchlists = append(d.Watchlists, w)
		}
	case ch.DeleteWatchlist != "":
		i := d.WatchlistIndex(ch.DeleteWatchlist)
		d.Watchlists = slices.Delete(d.Watchlists, i, i+1)
	case ch.RenameWatchlist != nil:
		d.Watchlists[d.WatchlistIndex(ch.RenameWatchlist[0])].Name = ch.RenameWatchlist[1]
	case ch.PutLot != nil:
		putByID(&d.Lots, *ch.PutLot, d.LotIndex(ch.PutLot.ID))
	case ch.DeleteLot != "":
		i := d.LotIndex(ch.DeleteLot)
		d.Lots = slices.Delete(d.Lots, i, i+1)
	case ch.PutAlert != nil:
		putByID(&d.Alerts, *ch.PutAlert, d.AlertIndex(ch.PutAlert.ID))
	case ch.DeleteAlert != "":
		i := d.AlertIndex(ch.DeleteAlert)
		d.Alerts = slices.Delete(d.Alerts, i, i+1)
	case ch.AddFiring != nil:
		if firingsKept <= 0 {
			firingsKept = DefaultFiringsKept
		}
		fs := d.Firings
		if len(fs) > firingsKept-1 {
			fs = fs[:firingsKept-1]
		}
		fs = append(fs, AlertFiring{})
		copy(fs[1:], fs[:len(fs)-1])
		fs[0] = *ch.AddFiring
		d.Firings = fs
	}
	return nil
}

// putByID replaces (*list)[i] with v, or appends v when i < 0.
func putByID[T any](list *[]T, v T, i int) {
	if i >= 0 {
		(*list)[i] = v
		return
	}
	*list = append(*list, v)
}

// WithDefaultWatchlist makes sure d has a watchlist: a load without any
// gets an empty DefaultWatchlist (saved with its first change).
func (d *UserData) WithDefaultWatchlist() {
	if len(d.Watchlists) == 0 {
		d.Watchlists = []Watchlist{{Name: DefaultWatchlist, Symbols: []string{}}}
	}
}

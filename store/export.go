package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// Export file identity.
const (
	ExportFormat  = "tokentop-export"
	ExportVersion = 1
	// MaxExportSize is the largest file ParseExport reads.
	MaxExportSize = 32 << 20
)

// Export is the user's records as an export file holds them.
type Export struct {
	Format     string            `json:"format"`  // "tokentop-export"
	Version    int               `json:"version"` // 1
	Exported   time.Time         `json:"exported"`
	Watchlists []model.Watchlist `json:"watchlists"`
	Lots       []model.Lot       `json:"lots"`
	Alerts     []model.Alert     `json:"alerts"`
}

// Export returns user's stored records (the ones Load can read; alert
// history is not exported). What is damaged or unreadable is left out,
// and logged.
func (s *Store) Export(user string, now time.Time) (Export, error) {
	if err := ValidUser(user); err != nil {
		return Export{}, fmt.Errorf("store: %w", err)
	}
	x := Export{Format: ExportFormat, Version: ExportVersion, Exported: now,
		Watchlists: []model.Watchlist{}, Lots: []model.Lot{}, Alerts: []model.Alert{}}
	var rep LoadReport
	err := s.db.View(func(tx *bolt.Tx) error {
		b, p := userRO(tx, user, &rep)
		if b == nil {
			return nil
		}
		x.Watchlists = append(x.Watchlists, loadWatchlists(b.Bucket(bucketWatchlists), p.child(bucketWatchlists), &rep)...)
		x.Lots = append(x.Lots, loadLots(b.Bucket(bucketLots), p.child(bucketLots), &rep)...)
		x.Alerts = append(x.Alerts, loadAlerts(b.Bucket(bucketAlerts), p.child(bucketAlerts), &rep)...)
		return nil
	})
	if err != nil {
		return Export{}, fmt.Errorf("store %s: reading your records: %w", safetext.Quoted(s.path), err)
	}
	if rep.Skipped > 0 {
		s.log.Warn("store: export: unreadable or damaged records left out", "user", user, "count", rep.Skipped, "damaged", rep.Damaged, "reasons", rep.Reasons)
	}
	return x, nil
}

// exportFile is the top level of an export file, records not yet decoded.
type exportFile struct {
	Format     *string         `json:"format"`
	Version    *int            `json:"version"`
	Exported   time.Time       `json:"exported"`
	Watchlists json.RawMessage `json:"watchlists"`
	Lots       json.RawMessage `json:"lots"`
	Alerts     json.RawMessage `json:"alerts"`
}

// ParseExport reads an export file: at most 32 MiB, no unknown fields,
// every record valid, no ID or watchlist name used twice. Errors name the
// record: `lots[3] (id "x"): quantity: must be greater than 0`.
func ParseExport(r io.Reader) (Export, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxExportSize+1))
	if err != nil {
		return Export{}, fmt.Errorf("reading the export file: %w", err)
	}
	if len(data) > MaxExportSize {
		return Export{}, fmt.Errorf("the file is larger than %d MiB: not a tokentop export", MaxExportSize>>20)
	}
	var top exportFile
	if err := strictJSON(data, &top); err != nil {
		return Export{}, fmt.Errorf("not a tokentop export file: %s", jsonProblem(err))
	}
	switch {
	case top.Format == nil:
		return Export{}, fmt.Errorf("not a tokentop export file (it has no %q field)", "format")
	case *top.Format != ExportFormat:
		return Export{}, fmt.Errorf("not a tokentop export file (its format is %q, want %q)", truncate(*top.Format, 40), ExportFormat)
	case top.Version == nil:
		return Export{}, fmt.Errorf("the export file has no %q field", "version")
	case *top.Version != ExportVersion:
		return Export{}, fmt.Errorf("export version %d is not supported (this tokentop reads version %d)", *top.Version, ExportVersion)
	}
	x := Export{Format: *top.Format, Version: *top.Version, Exported: top.Exported}
	if x.Watchlists, err = decodeList[model.Watchlist](top.Watchlists, "watchlists", "name", func(w *model.Watchlist) string { return w.Name }); err != nil {
		return Export{}, err
	}
	if x.Lots, err = decodeList[model.Lot](top.Lots, "lots", "id", func(l *model.Lot) string { return l.ID }); err != nil {
		return Export{}, err
	}
	if x.Alerts, err = decodeList[model.Alert](top.Alerts, "alerts", "id", func(a *model.Alert) string { return a.ID }); err != nil {
		return Export{}, err
	}
	if err := checkExport(&x); err != nil {
		return Export{}, err
	}
	return x, nil
}

// strictJSON decodes exactly one JSON value with no unknown fields.
func strictJSON(data []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("there is more after the end of the data")
	}
	return nil
}

// jsonProblem says what is wrong with a JSON document in words.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("it is not valid JSON at byte %d (%s)", se.Offset, safetext.Line(se.Error(), 80))
	case errors.As(err, &te):
		if te.Field == "" {
			return "it is not a JSON object"
		}
		return fmt.Sprintf("%s must be %s, not %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "it is empty or cut short"
	}
	return safetext.Line(strings.TrimPrefix(err.Error(), "json: "), 120)
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "float"), strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a number"
	case k == "string":
		return "text"
	case k == "bool":
		return "true or false"
	case k == "slice", k == "array":
		return "a list"
	}
	return "an object"
}

// decodeList decodes one list of records, naming the bad one.
func decodeList[T any](raw json.RawMessage, list, idName string, id func(*T) string) ([]T, error) {
	out := []T{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("%s must be a list", list)
	}
	for i, e := range elems {
		var rec T
		if err := strictJSON(e, &rec); err != nil {
			// Name it by its id when the id itself can be read.
			var named map[string]json.RawMessage
			var key string
			if json.Unmarshal(e, &named) == nil {
				json.Unmarshal(named[idName], &key)
			}
			return nil, fmt.Errorf("%s: %s", recordName(list, i, idName, key), jsonProblem(err))
		}
		out = append(out, rec)
	}
	return out, nil
}

// recordName is `lots[3] (id "x")`, or `lots[3]` without an id.
func recordName(list string, i int, idName, id string) string {
	name := fmt.Sprintf("%s[%d]", list, i)
	if id != "" {
		name += fmt.Sprintf(" (%s %q)", idName, truncate(id, 40))
	}
	return name
}

// checkExport validates every record, the limits and that no ID or name
// is used twice.
func checkExport(x *Export) error {
	switch {
	case len(x.Watchlists) > model.MaxWatchlists:
		return fmt.Errorf("watchlists: %d lists, at most %d allowed", len(x.Watchlists), model.MaxWatchlists)
	case len(x.Lots) > model.MaxLots:
		return fmt.Errorf("lots: %d lots, at most %d allowed", len(x.Lots), model.MaxLots)
	case len(x.Alerts) > model.MaxAlerts:
		return fmt.Errorf("alerts: %d alerts, at most %d allowed", len(x.Alerts), model.MaxAlerts)
	}
	seen := map[string]int{}
	for i := range x.Watchlists {
		w := &x.Watchlists[i]
		if err := w.Validate(); err != nil {
			return fmt.Errorf("%s: %w", recordName("watchlists", i, "name", w.Name), err)
		}
		if j, dup := seen[w.Name]; dup {
			return fmt.Errorf("%s: the name is used twice (also watchlists[%d])", recordName("watchlists", i, "name", w.Name), j)
		}
		seen[w.Name] = i
	}
	clear(seen)
	for i := range x.Lots {
		l := &x.Lots[i]
		if err := l.Validate(); err != nil {
			return fmt.Errorf("%s: %w", recordName("lots", i, "id", l.ID), err)
		}
		if j, dup := seen[l.ID]; dup {
			return fmt.Errorf("%s: the id is used twice (also lots[%d])", recordName("lots", i, "id", l.ID), j)
		}
		seen[l.ID] = i
	}
	clear(seen)
	for i := range x.Alerts {
		a := &x.Alerts[i]
		if err := a.Validate(); err != nil {
			return fmt.Errorf("%s: %w", recordName("alerts", i, "id", a.ID), err)
		}
		if j, dup := seen[a.ID]; dup {
			return fmt.Errorf("%s: the id is used twice (also alerts[%d])", recordName("alerts", i, "id", a.ID), j)
		}
		seen[a.ID] = i
	}
	return nil
}

// ImportStats counts what an import wrote.
type ImportStats struct{ Watchlists, Lots, Alerts int }

// Import writes x's records into user's in one transaction: all or
// nothing. Merge (replace false): watchlists merged by name (the union of
// symbols, the stored ones first, in order), lots and alerts upserted by
// ID. Replace: the stored watchlists, lots and alerts are replaced by
// x's; the alert history is kept, and so are records damaged in the file
// (SCHEMA.md, "Damage"), unless x has one with the same key. x is validated first (as ParseExport
// does; its format and version fields are not looked at).
func (s *Store) Import(user string, x Export, replace bool) (ImportStats, error) {
	if err := ValidUser(user); err != nil {
		return ImportStats{}, fmt.Errorf("store: %w", err)
	}
	if err := checkExport(&x); err != nil {
		return ImportStats{}, err
	}
	err := s.update(func(tx *bolt.Tx) error {
		u, _, err := userRW(tx, user, defaultLabel(user), s.now())
		if err != nil {
			return err
		}
		wb, err := u.sub(bucketWatchlists)
		if err != nil {
			return err
		}
		lb, err := u.sub(bucketLots)
		if err != nil {
			return err
		}
		ab, err := u.sub(bucketAlerts)
		if err != nil {
			return err
		}
		if replace {
			for _, b := range []wbucket{wb, lb, ab} {
				if err := b.clearSound(); err != nil {
					return err
				}
			}
		}
		for _, w := range x.Watchlists {
			if err := importWatchlist(wb, w); err != nil {
				return fmt.Errorf("watchlist %q: %w", truncate(w.Name, 40), err)
			}
		}
		for _, l := range x.Lots {
			if err := putLot(lb, l, false); err != nil {
				return fmt.Errorf("lot %q: %w", l.ID, err)
			}
		}
		for _, a := range x.Alerts {
			if err := putAlert(ab, a, false); err != nil {
				return fmt.Errorf("alert %q: %w", a.ID, err)
			}
		}
		// The limits, once, on the result.
		for _, l := range []struct {
			b     wbucket
			limit int
			what  string
		}{{wb, model.MaxWatchlists, "watchlists"}, {lb, model.MaxLots, "portfolio lots"}, {ab, model.MaxAlerts, "alerts"}} {
			if n := l.b.records(); n > l.limit {
				return fmt.Errorf("that would make %d %s, more than the %d allowed", n, l.what, l.limit)
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrReadOnly) {
			return ImportStats{}, err
		}
		return ImportStats{}, fmt.Errorf("store %s: importing: %w", safetext.Quoted(s.path), err)
	}
	return ImportStats{Watchlists: len(x.Watchlists), Lots: len(x.Lots), Alerts: len(x.Alerts)}, nil
}

// importWatchlist merges w into the stored list of the same name.
func importWatchlist(b wbucket, w model.Watchlist) error {
	v, err := b.get([]byte(w.Name))
	var r watchlistRec
	if err != nil || v == nil || decodeRecord(v, &r) != nil || r.Watchlist.Name != w.Name {
		return putWatchlist(b, w, false)
	}
	merged := r.Watchlist
	have := make(map[string]bool, len(merged.Symbols))
	for _, sym := range merged.Symbols {
		have[sym] = true
	}
	for _, sym := range w.Symbols {
		if !have[sym] {
			merged.Symbols = append(merged.Symbols, sym)
			have[sym] = true
		}
	}
	if err := merged.Validate(); err != nil {
		return err
	}
	return putWatchlist(b, merged, false)
}

package tokenmetrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/model"
)

// The parsers here read every answer of the Token Metrics data API that
// tokentop uses, in every shape the API is known to answer (testdata/
// holds one of each): v2 (UPPER_SNAKE keys) and v3 (lower_snake keys),
// numbers as JSON numbers or as strings, nulls, and the spelling variants
// of the same key (TM_GRADE_24h_PCT_CHANGE, tm_grade_24_h_pct_change,
// tm_grade_24h_pct_change). Keys are matched
// after lower-casing and dropping underscores. A row that cannot be used is
// counted and skipped; no input makes them panic.

// Row is one token's grades from one row of a grades or signals answer.
// Fields the row does not carry are NaN (grades) or false (HasSignal).
type Row struct {
	Symbol        string    // our base-asset symbol, upper case: "BTC"
	Name          string    // as served, made safe for a terminal
	Date          time.Time // the day or hour the row is about; zero if not given
	TMGrade       float64   // the TM Grade (current API), 0..100
	TraderGrade   float64   // TM Trader Grade (older API), 0..100
	InvestorGrade float64   // TM Investor Grade (older API), 0..100
	Signal        model.Signal
	HasSignal     bool
}

// Limits on what is accepted.
const (
	maxSymbolLen = 20
	maxNameLen   = 64 // runes
	maxRows      = 10000
)

var (
	errNotJSON  = errors.New("not JSON")
	errNoData   = errors.New("no data rows in the answer")
	errTooMany  = fmt.Errorf("more than %d rows", maxRows)
	errNotTable = errors.New("rows are not objects")
)

// FailureError is an answer with "success": false.
type FailureError struct{ Message string }

func (e *FailureError) Error() string {
	if e.Message == "" {
		return "the API reported a failure"
	}
	return "the API reported a failure: " + e.Message
}

// ParseRatings reads a /tm-grade, /tm-grade-history, /trader-grades,
// /investor-grades or /trading-signals answer (v2 or v3). It returns the
// usable rows in the order served and the number of rows skipped as bad.
// An error means the body as a whole is unusable.
func ParseRatings(body []byte) (rows []Row, bad int, err error) {
	raw, err := envelope(body)
	if err != nil {
		return nil, 0, err
	}
	rows = make([]Row, 0, len(raw))
	for _, r := range raw {
		fields, ok := decodeRow(r)
		if !ok {
			bad++
			continue
		}
		row, ok := ratingRow(fields)
		if !ok {
			bad++
			continue
		}
		rows = append(rows, row)
	}
	return rows, bad, nil
}

// ParseMoonshots reads a /moonshot-tokens answer (v2, or v3 with roi_pct,
// tm_grade, market_cap_usd). Entry and exit prices are not served: they are
// NaN. MOONSHOT_ROI is taken as a percentage (the fixtures' reading; no
// source we found states the unit) and returned as a fraction.
func ParseMoonshots(body []byte) (picks []model.Moonshot, bad int, err error) {
	raw, err := envelope(body)
	if err != nil {
		return nil, 0, err
	}
	picks = make([]model.Moonshot, 0, len(raw))
	for _, r := range raw {
		fields, ok := decodeRow(r)
		if !ok {
			bad++
			continue
		}
		m, ok := moonshotRow(fields)
		if !ok {
			bad++
			continue
		}
		picks = append(picks, m)
	}
	return picks, bad, nil
}

// envelope finds the rows of an answer: {"success", "message", "length",
// "data": [...]} as documented; also "data" as one object, a missing or
// null "data" on success (no rows), or a bare array of rows.
func envelope(body []byte) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("empty answer")
	}
	switch body[0] {
	case '[':
		return rowsOf(body)
	case '{':
	default:
		return nil, errNotJSON
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, jsonProblem(err)
	}
	var success *bool
	var message string
	var data json.RawMessage
	for k, v := range env {
		switch normKey(k) {
		case "success":
			var b bool
			if json.Unmarshal(v, &b) == nil {
				success = &b
			}
		case "message":
			_ = json.Unmarshal(v, &message)
		case "data":
			data = v
		}
	}
	if success != nil && !*success {
		return nil, &FailureError{Message: SafeText(message, 100)}
	}
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0 || string(data) == "null":
		if success == nil {
			return nil, errNoData
		}
		return nil, nil
	case data[0] == '{':
		return []json.RawMessage{data}, nil
	case data[0] == '[':
		return rowsOf(data)
	}
	return nil, errNotTable
}

func rowsOf(data []byte) ([]json.RawMessage, error) {
	var rows []json.RawMessage
	if err := json.Unmarshal(data, &rows); err != nil {
		return nil, jsonProblem(err)
	}
	if len(rows) > maxRows {
		return nil, errTooMany
	}
	return rows, nil
}

func jsonProblem(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if strings.Contains(se.Error(), "unexpected end") {
			return errors.New("JSON cut short")
		}
		return fmt.Errorf("broken JSON at byte %d", se.Offset)
	}
	return errors.New("unexpected JSON shape")
}

// fields is a row's values by normalised key.
type fields map[string]json.RawMessage

// normKey lower-cases k and drops underscores and spaces, so the v2, v3 and
// variant spellings of a key meet.
func normKey(k string) string {
	var b strings.Builder
	b.Grow(len(k))
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_' || c == ' ' || c == '-':
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func decodeRow(r json.RawMessage) (fields, bool) {
	r = bytes.TrimSpace(r)
	if len(r) == 0 || r[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r, &m); err != nil {
		return nil, false
	}
	f := make(fields, len(m))
	for k, v := range m {
		n := normKey(k)
		if _, dup := f[n]; dup && isNull(v) {
			continue // keep a value over a null of the same key
		}
		f[n] = v
	}
	return f, true
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// problem says a field was present but unusable.
type problem = bool

// num reads a number served as a JSON number or a numeric string. Absent,
// null, "", "-", "N/A" are NaN with no problem; anything else that is not a
// finite number is a problem.
func (f fields) num(keys ...string) (float64, problem) {
	for _, k := range keys {
		v, ok := f[k]
		if !ok || isNull(v) {
			continue
		}
		return parseNum(v)
	}
	return math.NaN(), false
}

func parseNum(v json.RawMessage) (float64, problem) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return math.NaN(), true
	}
	var s string
	if v[0] == '"' {
		if json.Unmarshal(v, &s) != nil {
			return math.NaN(), true
		}
		s = strings.TrimSpace(s)
		switch strings.ToLower(s) {
		case "", "-", "n/a", "na", "null", "none":
			return math.NaN(), false
		}
		s = strings.TrimSuffix(s, "%")
	} else {
		s = string(v)
	}
	if len(s) > 64 {
		return math.NaN(), true
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return math.NaN(), true
	}
	return x, false
}

func (f fields) str(keys ...string) (string, problem) {
	for _, k := range keys {
		v, ok := f[k]
		if !ok || isNull(v) {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", true
		}
		return s, false
	}
	return "", false
}

// grade reads a 0..100 grade.
func (f fields) grade(keys ...string) (float64, problem) {
	g, bad := f.num(keys...)
	if bad {
		return g, true
	}
	if !math.IsNaN(g) && (g < 0 || g > 100) {
		return math.NaN(), true
	}
	return g, false
}

// time reads a date or time: "2023-10-10", "2025-04-10T00:00:00.000Z",
// RFC 3339, or Unix seconds or milliseconds as a number.
func (f fields) time(keys ...string) (time.Time, problem) {
	for _, k := range keys {
		v, ok := f[k]
		if !ok || isNull(v) {
			continue
		}
		return parseTime(v)
	}
	return time.Time{}, false
}

var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

func parseTime(v json.RawMessage) (time.Time, problem) {
	v = bytes.TrimSpace(v)
	var t time.Time
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil || len(s) > 64 {
			return time.Time{}, true
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}, false
		}
		var err error
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err = time.Parse(layout, s); err == nil {
				break
			}
		}
		if err != nil {
			return time.Time{}, true
		}
	} else {
		x, bad := parseNum(v)
		if bad || math.IsNaN(x) {
			return time.Time{}, bad
		}
		if x > 1e11 { // milliseconds
			x /= 1000
		}
		if x < float64(minTime.Unix()) || x > float64(maxTime.Unix()) {
			return time.Time{}, true
		}
		t = time.Unix(int64(x), 0)
	}
	t = t.UTC()
	if t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, true
	}
	return t, false
}

// symbol reads the token's symbol as our base-asset symbol: upper case,
// letters and digits only. Rows that name the token only by TOKEN_NAME
// (the ReadMe trader-grades example: "TOKEN_NAME": "BTC") use the name when
// it already looks like a symbol.
func (f fields) symbol() (string, bool) {
	s, bad := f.str("tokensymbol", "symbol")
	if bad {
		return "", false
	}
	if s == "" {
		name, _ := f.str("tokenname")
		if name != "" && name == strings.ToUpper(name) && validSymbol(name) {
			return name, true
		}
		return "", false
	}
	s = strings.ToUpper(strings.TrimSpace(s))
	return s, validSymbol(s)
}

// validSymbol is a base-asset symbol as the rest of tokentop writes it.
func validSymbol(s string) bool { return venue.PlainSymbol(s) }

func ratingRow(f fields) (Row, bool) {
	row := Row{TMGrade: math.NaN(), TraderGrade: math.NaN(), InvestorGrade: math.NaN()}
	var ok bool
	if row.Symbol, ok = f.symbol(); !ok {
		return row, false
	}
	name, bad := f.str("tokenname")
	row.Name = SafeText(name, maxNameLen)
	var bads [6]problem
	bads[0] = bad
	row.Date, bads[1] = f.time("date", "timestamp")
	row.TMGrade, bads[2] = f.grade("tmgrade")
	row.TraderGrade, bads[3] = f.grade("tmtradergrade")
	row.InvestorGrade, bads[4] = f.grade("tminvestorgrade")
	row.Signal, row.HasSignal, bads[5] = f.signal()
	if slices.Contains(bads[:], true) {
		return row, false
	}
	if math.IsNaN(row.TMGrade) && math.IsNaN(row.TraderGrade) && math.IsNaN(row.InvestorGrade) && !row.HasSignal {
		return row, false // nothing we can show
	}
	return row, true
}

// signal reads the current call. TOKEN_TREND is the last bullish or
// bearish signal, i.e. the trend now (the trading-signals docs);
// TRADING_SIGNAL is only non-zero on the day a new signal fires. Then the
// v3 words, then the hourly SIGNAL ("1", "0", "-1").
func (f fields) signal() (model.Signal, bool, problem) {
	if x, bad := f.num("tokentrend"); bad {
		return 0, false, true
	} else if !math.IsNaN(x) {
		return signOf(x), true, false
	}
	if s, bad := f.str("tokentrendstr"); bad {
		return 0, false, true
	} else if s != "" {
		sig, ok := signalWord(s)
		return sig, ok, !ok
	}
	ts, bad := f.num("tradingsignal")
	if bad {
		return 0, false, true
	}
	if !math.IsNaN(ts) && ts != 0 {
		return signOf(ts), true, false
	}
	if s, bad := f.str("tokensignalstr"); bad {
		return 0, false, true
	} else if s != "" {
		sig, ok := signalWord(s)
		return sig, ok, !ok
	}
	if !math.IsNaN(ts) {
		return model.SignalNeutral, true, false
	}
	if x, bad := f.num("signal"); bad {
		return 0, false, true
	} else if !math.IsNaN(x) {
		return signOf(x), true, false
	}
	return 0, false, false
}

func signOf(x float64) model.Signal {
	switch {
	case x > 0:
		return model.SignalBullish
	case x < 0:
		return model.SignalBearish
	}
	return model.SignalNeutral
}

func signalWord(s string) (model.Signal, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "bullish", "up", "buy", "strong buy", "long":
		return model.SignalBullish, true
	case "bearish", "down", "sell", "strong sell", "short":
		return model.SignalBearish, true
	case "neutral", "sideways", "none", "hold":
		return model.SignalNeutral, true
	}
	return 0, false
}

func moonshotRow(f fields) (model.Moonshot, bool) {
	m := model.Moonshot{EntryPrice: math.NaN(), Price: math.NaN(), PeakROI: math.NaN()}
	var ok bool
	if m.Symbol, ok = f.symbol(); !ok {
		return m, false
	}
	name, bad0 := f.str("tokenname")
	m.Name = SafeText(name, maxNameLen)
	var bads [7]problem
	bads[0] = bad0
	m.Entry, bads[1] = f.time("moonshotat")
	m.Exit, bads[2] = f.time("moonshotendat")
	roi, bad := f.num("moonshotroi", "roipct")
	bads[3] = bad
	m.Grade, bads[4] = f.grade("tmtradergrade", "tmgrade")
	m.MarketCap, bads[5] = f.num("marketcap", "marketcapusd")
	m.Volume24h, bads[6] = f.num("volume24h")
	if slices.Contains(bads[:], true) || m.Entry.IsZero() {
		return m, false
	}
	if math.IsNaN(roi) || roi < -100 || roi > 1e6 {
		return m, false
	}
	m.ROI = roi / 100
	for _, x := range []*float64{&m.MarketCap, &m.Volume24h} {
		if *x < 0 || *x > 1e15 {
			return m, false
		}
		if math.IsNaN(*x) {
			*x = 0 // unknown, as in model.TokenInfo
		}
	}
	if !m.Exit.IsZero() {
		m.ExitReason = "closed by Token Metrics"
	}
	return m, true
}

// SafeText makes text from the API safe for a terminal: control characters
// (so every escape sequence's ESC) and invalid UTF-8 are dropped, runs of
// spaces shrink to one, and it is cut to max runes.
func SafeText(s string, max int) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if n >= max {
			break
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			continue
		}
		if r == ' ' {
			if space || n == 0 {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimRight(b.String(), " ")
}

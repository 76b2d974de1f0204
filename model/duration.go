package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration as text in files (config, store records,
// export files): it reads Go's form ("90s", "1h30m", "700ms") and whole
// days ("7d", "1d12h"), and writes Go's form without zero trailing units
// ("24h", "1h30m"), which every tokentop reads.
type Duration time.Duration

// MarshalText writes d in Go's form without zero trailing units.
func (d Duration) MarshalText() ([]byte, error) { return []byte(goForm(time.Duration(d))), nil }

// UnmarshalText reads what ParseDuration reads.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// maxDurationText bounds the text ParseDuration reads.
const maxDurationText = 64

// ParseDuration reads a duration: Go's form ("90s", "1h30m", "700ms"),
// optionally after a whole number of days ("7d", "1d12h"). The error
// quotes the text, cut and made printable.
func ParseDuration(s string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("not a duration: %s (want e.g. 30s, 5m, 24h, 7d)", strconv.QuoteToASCII(truncateRunes(s, 40)))
	}
	if s == "" || len(s) > maxDurationText {
		return bad()
	}
	rest, neg := strings.CutPrefix(s, "-")
	var days time.Duration
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		n, err := strconv.ParseUint(rest[:i], 10, 16)
		if err != nil {
			return bad()
		}
		days, rest = time.Duration(n)*24*time.Hour, rest[i+1:]
		if rest == "" {
			rest = "0s"
		}
	}
	if strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") && days > 0 {
		return bad()
	}
	v, err := time.ParseDuration(rest)
	if err != nil || v < 0 && days > 0 {
		return bad()
	}
	v += days
	if v < days { // overflow
		return bad()
	}
	if neg {
		v = -v
	}
	return v, nil
}

// FormatDuration is how a duration reads on screen and in messages: whole
// days from a week up ("7d", "30d"), else Go's form without zero trailing
// units ("24h", "36h", "1h30m", "45s", "1m30s", "700ms").
// ParseDuration reads it back.
func FormatDuration(d time.Duration) string {
	if d >= 7*24*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return goForm(d)
}

// goForm is time.Duration.String without zero trailing units: "24h" not
// "24h0m0s", "1m" not "1m0s".
func goForm(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

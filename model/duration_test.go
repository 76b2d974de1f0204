package model

import (
	"strings"
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {45 * time.Second, "45s"}, {90 * time.Second, "1m30s"}, {time.Minute, "1m"}, {90 * time.Minute, "1h30m"},
		{time.Hour, "1h"}, {24 * time.Hour, "24h"}, {36 * time.Hour, "36h"}, {48 * time.Hour, "48h"},
		{7 * 24 * time.Hour, "7d"}, {720 * time.Hour, "30d"}, {170 * time.Hour, "170h"}, {700 * time.Millisecond, "700ms"},
		{1500 * time.Millisecond, "1.5s"}, {-5 * time.Minute, "-5m"}, {time.Hour + time.Second, "1h0m1s"},
	} {
		if got := FormatDuration(c.d); got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.d, got, c.want)
		}
		if back, err := ParseDuration(c.want); err != nil || back != c.d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", c.want, back, err, c.d)
		}
		if b, _ := Duration(c.d).MarshalText(); !strings.Contains(string(b), "d") {
			var back Duration
			if err := back.UnmarshalText(b); err != nil || time.Duration(back) != c.d {
				t.Errorf("MarshalText(%v) = %q reads back as %v, %v", c.d, b, back, err)
			}
		} else {
			t.Errorf("MarshalText(%v) = %q: days are not Go's form", c.d, b)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "0d": 0, "1d30m": 24*time.Hour + 30*time.Minute,
		"24h0m0s": 24 * time.Hour, "-1d": -24 * time.Hour, "+5m": 5 * time.Minute,
	} {
		if got, err := ParseDuration(s); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "d", "7", "1h2d", "1d-5h", "1d+5h", "1.5d", "99999999d", "x\x1b[31m", strings.Repeat("1", 100) + "s", "1dd"} {
		got, err := ParseDuration(s)
		if err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", s, got)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x1b\x00") {
			t.Errorf("error carries a control character: %q", err)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"7d", "1d12h", "90s", "700ms", "-1d", "1h0m0s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		// What reads, formats and reads back to the same duration.
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Fatalf("%q: %v formats as %q, reads back as %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}

package ui

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Number formatting for traders. Every function appends to dst and
// allocates nothing when dst has room; unknown values render as "—".

const unknown = "—"

// maxShown is the most runes of one outside string (a token's name, a
// feed's error) shown anywhere: safetext.Line cuts it there.
const maxShown = 256

func bad(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// appendPrice writes a price with precision by magnitude (2 decimals from
// 100, 3 from 10, 4 from 1, then 5 significant digits): 67,012.50 /
// 3,456.78 / 12.3456 / 0.012345 (five significant digits below 1).
// Zero, negative and non-finite prices are unknown. At most 13 cells for
// any float64.
func appendPrice(dst []byte, v float64) []byte { return appendPriceIn(dst, v, 11) }

// appendPriceIn is appendPrice with at most maxDec decimals in the plain
// form below 1 (13 cells at 11); tinier values take the subscript form
// (at most 11 cells).
func appendPriceIn(dst []byte, v float64, maxDec int) []byte {
	switch {
	case bad(v) || v <= 0:
		return append(dst, unknown...)
	case v >= 9_999_999.995: // 9,999,999.99 is the widest a price column holds
		return appendCompact(dst, v)
	case v >= 100:
		return appendFixed(dst, v, 2)
	case v >= 10:
		return appendFixed(dst, v, 3)
	case v >= 1:
		return appendFixed(dst, v, 4)
	}
	// Below 1: five significant digits. The exponent comes from the
	// decimal form itself ("1.2345e-07"), so rounding that carries into
	// one digit more is accounted for and no power of ten can overflow
	// (5e-324 is 0.0₃₂₃49407).
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], v, 'e', 4, 64)
	exp := 0
	for _, c := range e[8:] { // "1.2345e-07": the sign at 7, digits from 8
		exp = exp*10 + int(c-'0')
	}
	if e[7] == '-' {
		exp = -exp
	}
	dec := 4 - exp
	if dec <= maxDec { // 0.00000012345 is 13 cells, the widest plain form
		return appendFixed(dst, v, dec)
	}
	// Tinier: the count of zeros after the point in subscript, as DEX
	// screeners write it: 1.2345e-12 is 0.0₁₁12345.
	dst = append(dst, "0.0"...)
	var zeros [8]byte
	for _, d := range strconv.AppendInt(zeros[:0], int64(dec-5), 10) {
		dst = append(dst, "₀₁₂₃₄₅₆₇₈₉"[3*(d-'0'):3*(d-'0')+3]...)
	}
	dst = append(dst, e[0])
	return append(dst, e[2:6]...)
}

// appendQty writes a trade quantity: like a price, but zero is "0", and at
// most 12 cells (the plain form stops at 10 decimals).
func appendQty(dst []byte, v float64) []byte {
	if v == 0 {
		return append(dst, '0')
	}
	if v >= 1e6 {
		return appendCompact(dst, v)
	}
	return appendPriceIn(dst, v, 10)
}

// appendFixed writes v with dec decimals and thousands separators.
func appendFixed(dst []byte, v float64, dec int) []byte {
	var scratch [48]byte
	s := strconv.AppendFloat(scratch[:0], v, 'f', dec, 64)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		dst = append(dst, '-')
		s = s[1:]
	}
	intLen := len(s)
	for i, c := range s {
		if c == '.' {
			intLen = i
			break
		}
	}
	for i := 0; i < intLen; i++ {
		if i > 0 && (intLen-i)%3 == 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, s[i])
	}
	return append(dst, s[intLen:]...)
}

// appendCompact writes a large amount as 1.23T / 45.6B / 789.0M / 12.3K,
// in at most 7 cells: from 999.95T on it is ">999T" ("<-999T" below the
// negative).
func appendCompact(dst []byte, v float64) []byte {
	switch {
	case bad(v):
		return append(dst, unknown...)
	case v >= 999.95e12:
		return append(dst, ">999T"...)
	case v <= -999.95e12:
		return append(dst, "<-999T"...)
	}
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	units := [...]struct {
		size   float64
		suffix byte
	}{{1e12, 'T'}, {1e9, 'B'}, {1e6, 'M'}, {1e3, 'K'}}
	for i, u := range units {
		if v < u.size*0.99995 {
			continue
		}
		x := v / u.size
		dec := 2
		if x >= 9.995 {
			dec = 1
		}
		if x >= 999.95 && i > 0 { // would print 1000.0M: use the next unit
			x = v / units[i-1].size
			u = units[i-1]
			dec = 2
		}
		dst = strconv.AppendFloat(dst, x, 'f', dec, 64)
		return append(dst, u.suffix)
	}
	if v < 10 && v != math.Trunc(v) {
		return strconv.AppendFloat(dst, v, 'f', 2, 64)
	}
	return strconv.AppendFloat(dst, v, 'f', 0, 64)
}

// appendCapOrUnknown writes a market cap or supply, where zero means unknown.
func appendCapOrUnknown(dst []byte, v float64) []byte {
	if bad(v) || v <= 0 {
		return append(dst, unknown...)
	}
	return appendCompact(dst, v)
}

// direction of a change: +1 up, -1 down, 0 flat or unknown.
func direction(frac float64) int {
	if bad(frac) || math.Abs(frac*100) < 0.005 {
		return 0
	}
	if frac > 0 {
		return 1
	}
	return -1
}

// appendChange writes a fractional change as a signed percentage:
// +1.23%, -0.45%, 0.00%, "—" when unknown.
func appendChange(dst []byte, frac float64) []byte {
	if bad(frac) {
		return append(dst, unknown...)
	}
	pct := frac * 100
	a := math.Abs(pct)
	if a < 0.005 {
		return append(dst, "0.00%"...)
	}
	if pct > 0 {
		dst = append(dst, '+')
	} else {
		dst = append(dst, '-')
	}
	switch { // the bounds are where rounding would carry into one digit more
	case a >= 99999:
		dst = append(dst, "99999"...)
	case a >= 999.95:
		dst = strconv.AppendFloat(dst, a, 'f', 0, 64)
	case a >= 99.995:
		dst = strconv.AppendFloat(dst, a, 'f', 1, 64)
	default:
		dst = strconv.AppendFloat(dst, a, 'f', 2, 64)
	}
	return append(dst, '%')
}

// appendPercent writes a non-negative fraction as a percentage ("54.3%"),
// for volatility.
func appendPercent(dst []byte, frac float64) []byte {
	if bad(frac) || frac < 0 {
		return append(dst, unknown...)
	}
	pct := frac * 100
	switch {
	case pct >= 99999:
		return append(dst, ">99999%"...)
	case pct >= 999.95: // 1234%: one decimal would make it 8 cells
		dst = strconv.AppendFloat(dst, pct, 'f', 0, 64)
	default:
		dst = strconv.AppendFloat(dst, pct, 'f', 1, 64)
	}
	return append(dst, '%')
}

// appendAge writes how long ago something happened: 0.4s, 12s, 3m, 2h, 4d.
func appendAge(dst []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	switch {
	case d < 10*time.Second:
		dst = strconv.AppendFloat(dst, d.Seconds(), 'f', 1, 64)
		return append(dst, 's')
	case d < 2*time.Minute:
		dst = strconv.AppendInt(dst, int64(d/time.Second), 10)
		return append(dst, 's')
	case d < 2*time.Hour:
		dst = strconv.AppendInt(dst, int64(d/time.Minute), 10)
		return append(dst, 'm')
	case d < 48*time.Hour:
		dst = strconv.AppendInt(dst, int64(d/time.Hour), 10)
		return append(dst, 'h')
	}
	dst = strconv.AppendInt(dst, int64(d/(24*time.Hour)), 10)
	return append(dst, 'd')
}

// appendInt writes n with thousands separators.
func appendInt(dst []byte, n int64) []byte {
	return appendFixed(dst, float64(n), 0)
}

// cells is the display width of formatter output: every rune it writes is
// one cell wide.
func cells(b []byte) int { return utf8.RuneCount(b) }

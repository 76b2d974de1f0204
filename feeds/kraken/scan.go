package kraken

// A small, strict, allocation-free JSON scanner for the hot path. It walks
// one frame in place, matches keys exactly (case-sensitive, unlike
// encoding/json), validates everything it skips, and reports the first
// problem in words. It never panics on any input.
//
// The same scanner lives in feeds/coinbase (scan.go); keep the two in step.

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

const maxDepth = 64 // nesting deeper than this is refused

type scanner struct {
	b       []byte
	i       int
	err     string // the first problem, in words; "" while all is well
	depth   int
	scratch []byte // unescaped strings; reused
}

func (s *scanner) reset(b []byte) {
	s.b, s.i, s.err, s.depth = b, 0, "", 0
}

// fail records msg (the first problem wins) and returns false.
func (s *scanner) fail(msg string) bool {
	if s.err == "" {
		s.err = msg
	}
	return false
}

func (s *scanner) ok() bool { return s.err == "" }

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it (0 at the end).
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) bool {
	if s.peek() != c {
		if s.i >= len(s.b) {
			return s.fail("frame ends early (truncated)")
		}
		return s.fail("malformed JSON: expected '" + string(c) + "'")
	}
	s.i++
	return true
}

// end checks that only white space follows the top-level value.
func (s *scanner) end() bool {
	if !s.ok() {
		return false
	}
	s.ws()
	if s.i != len(s.b) {
		return s.fail("malformed JSON: data after the end of the message")
	}
	return true
}

// beginObject consumes '{'.
func (s *scanner) beginObject() bool {
	if !s.expect('{') {
		return false
	}
	s.depth++
	if s.depth > maxDepth {
		return s.fail("message nested too deeply")
	}
	return true
}

// key returns the next key of the object being read (consuming the ':'),
// or ok=false at its closing '}' or on error (see s.err). first says
// whether this is the first key of the object. The key is valid until the
// next string is read.
func (s *scanner) key(first bool) (k []byte, ok bool) {
	c := s.peek()
	if c == '}' {
		s.i++
		s.depth--
		return nil, false
	}
	if !first {
		if c != ',' {
			return nil, s.expect('}')
		}
		s.i++
		c = s.peek()
	}
	if c != '"' {
		return nil, s.expect('"')
	}
	k, ok = s.str()
	if !ok || !s.expect(':') {
		return nil, false
	}
	return k, true
}

// beginArray consumes '['.
func (s *scanner) beginArray() bool {
	if !s.expect('[') {
		return false
	}
	s.depth++
	if s.depth > maxDepth {
		return s.fail("message nested too deeply")
	}
	return true
}

// elem says whether another element of the array being read follows
// (consuming the ',' before it), or false at its closing ']' or on error.
func (s *scanner) elem(first bool) bool {
	c := s.peek()
	if c == ']' {
		s.i++
		s.depth--
		return false
	}
	if !first {
		if c != ',' {
			return s.expect(']')
		}
		s.i++
		if s.peek() == ']' {
			return s.fail("malformed JSON: trailing comma")
		}
	}
	if s.i >= len(s.b) {
		return s.fail("frame ends early (truncated)")
	}
	return true
}

// str reads a string and returns its unescaped bytes: a slice of the frame
// when it holds no escapes, else of s.scratch (valid until the next str).
func (s *scanner) str() ([]byte, bool) {
	if !s.expect('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, true
		case c == '\\':
			return s.strEscaped(start)
		case c < 0x20:
			return nil, s.fail("malformed JSON: control character in a string")
		}
		s.i++
	}
	return nil, s.fail("frame ends early (truncated)")
}

func (s *scanner) strEscaped(start int) ([]byte, bool) {
	out := append(s.scratch[:0], s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			s.scratch = out
			return out, true
		case c < 0x20:
			return nil, s.fail("malformed JSON: control character in a string")
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			break
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					if r2, ok = s.hex4(); !ok {
						return nil, false
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r, r2 = d, -1
					} else {
						s.i = save // not a pair: the second escape stands alone
						r2 = -1
					}
				}
				if utf16.IsSurrogate(r) {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.fail("malformed JSON: bad escape in a string")
		}
	}
	s.scratch = out
	return nil, s.fail("frame ends early (truncated)")
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, s.fail("frame ends early (truncated)")
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, s.fail("malformed JSON: bad \\u escape")
		}
	}
	s.i += 4
	return r, true
}

// num reads a JSON number token and returns its bytes.
func (s *scanner) num() ([]byte, bool) {
	s.ws()
	n := numberLen(s.b[s.i:])
	if n <= 0 {
		if s.i >= len(s.b) {
			return nil, s.fail("frame ends early (truncated)")
		}
		return nil, s.fail("malformed JSON: expected a number")
	}
	v := s.b[s.i : s.i+n]
	s.i += n
	return v, true
}

// numberLen is the length of the JSON number at the start of b, or 0 if b
// does not start with one. It follows RFC 8259 exactly, so "NaN", "Inf",
// "0x1p-2", "1_000", "+1", ".5" and "01" are all refused.
func numberLen(b []byte) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0
		}
	}
	return i
}

// float reads a JSON number as a float64. Out-of-range numbers are refused.
func (s *scanner) float() (float64, bool) {
	b, ok := s.num()
	if !ok {
		return 0, false
	}
	f, ok := parseFloat(b)
	if !ok {
		return 0, s.fail("number out of range")
	}
	return f, true
}

// strFloat reads a decimal number written as a JSON string ("105231.17").
func (s *scanner) strFloat() (float64, bool) {
	if s.peek() != '"' {
		if s.i >= len(s.b) {
			return 0, s.fail("frame ends early (truncated)")
		}
		return 0, s.fail("wrong type: expected a number in a string")
	}
	b, ok := s.str()
	if !ok {
		return 0, false
	}
	if len(b) == 0 || numberLen(b) != len(b) {
		return 0, s.fail("not a number: " + quoteShort(b))
	}
	f, ok := parseFloat(b)
	if !ok {
		return 0, s.fail("number out of range")
	}
	return f, true
}

// uint reads a non-negative JSON integer that fits in a uint64.
func (s *scanner) uint() (uint64, bool) {
	b, ok := s.num()
	if !ok {
		return 0, false
	}
	v, ok := parseUint(b)
	if !ok {
		return 0, s.fail("not a whole number in range: " + quoteShort(b))
	}
	return v, true
}

func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// parseFloat converts a validated JSON number. The string header points
// into b only for the call: strconv copies the text into any error it
// returns, so nothing keeps b.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	return f, err == nil
}

// skip reads and discards any value, validating it.
func (s *scanner) skip() bool {
	switch s.peek() {
	case '{':
		if !s.beginObject() {
			return false
		}
		for first := true; ; first = false {
			if _, ok := s.key(first); !ok {
				return s.ok()
			}
			if !s.skip() {
				return false
			}
		}
	case '[':
		if !s.beginArray() {
			return false
		}
		for first := true; s.elem(first); first = false {
			if !s.skip() {
				return false
			}
		}
		return s.ok()
	case '"':
		_, ok := s.str()
		return ok
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	case 0:
		return s.fail("frame ends early (truncated)")
	default:
		_, ok := s.num()
		return ok
	}
}

func (s *scanner) lit(w string) bool {
	if len(s.b)-s.i < len(w) {
		return s.fail("frame ends early (truncated)")
	}
	if string(s.b[s.i:s.i+len(w)]) != w {
		return s.fail("malformed JSON: unknown literal")
	}
	s.i += len(w)
	return true
}

// quoteShort quotes at most 24 bytes of b for an error message; control
// characters and escapes never survive (strconv.Quote escapes them, and
// the market strips what is left before anything reaches the screen).
func quoteShort(b []byte) string {
	if len(b) > 24 {
		return strconv.Quote(string(b[:24])) + "…"
	}
	return strconv.Quote(string(b))
}

// parseTime reads an RFC 3339 UTC or offset time with up to nine fraction
// digits ("2025-06-02T12:00:00.482113Z") as Unix nanoseconds, without
// allocating. Years outside 1970..2200 are refused.
func parseTime(b []byte) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	year, ok1 := digits(b[0:4])
	mon, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hh, ok4 := digits(b[11:13])
	mm, ok5 := digits(b[14:16])
	ss, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, false
	}
	if year < 1970 || year > 2200 || mon < 1 || mon > 12 || day < 1 || day > daysIn(year, mon) ||
		hh > 23 || mm > 59 || ss > 59 {
		return 0, false
	}
	i := 19
	var frac int64
	if b[i] == '.' {
		i++
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if n == 9 {
				return 0, false
			}
			frac = frac*10 + int64(b[i]-'0')
			n++
			i++
		}
		if n == 0 {
			return 0, false
		}
		for ; n < 9; n++ {
			frac *= 10
		}
	}
	var off int64
	switch {
	case i == len(b)-1 && b[i] == 'Z':
	case i == len(b)-6 && (b[i] == '+' || b[i] == '-') && b[i+3] == ':':
		oh, ok1 := digits(b[i+1 : i+3])
		om, ok2 := digits(b[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off = (oh*60 + om) * 60
		if b[i] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	secs := daysFromCivil(year, mon, day)*86400 + hh*3600 + mm*60 + ss - off
	return secs*1e9 + frac, true
}

func digits(b []byte) (int64, bool) {
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d (proleptic
// Gregorian; Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// Package jsonscan is a small, strict, allocation-free JSON scanner for the
// exchange feeds' hot paths. It walks one frame in place, matches keys
// exactly (case-sensitive, unlike encoding/json, where Binance's "t"/"T"
// and "c"/"C" would collide), validates everything it skips, reads numbers
// without allocating, never recurses deeper than its depth limit, reports
// the first problem in words, and never panics on any input.
//
// Two styles of use share one grammar:
//
//   - pull: Key, Str, Num, Float, StrFloat, Uint and Skip read the value
//     the caller expects next (Coinbase, Kraken);
//   - capture: RawKey and Value return a value's kind and raw bytes, for
//     the caller to interpret after the whole object is read (Binance).
package jsonscan

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// MaxDepth is the default nesting limit; deeper values are refused.
const MaxDepth = 64

const truncated = "frame ends early (truncated)"

// Kind is the kind of a JSON value.
type Kind uint8

// Kinds of JSON values; None is the zero Value's (no value seen).
const (
	None Kind = iota
	String
	Number
	Bool
	Null
	Object
	Array
)

// Value is a value captured by Value: its kind and raw bytes (for a
// string, the bytes between the quotes, still escaped; Esc says whether
// they contain escapes). Raw points into the scanned input.
type Value struct {
	Raw  []byte
	Kind Kind
	Esc  bool
}

// Scanner reads one JSON text. Call Reset before use; the zero value
// refuses everything. Not safe for concurrent use.
type Scanner struct {
	b       []byte
	i       int
	err     string // the first problem, in words; "" while all is well
	depth   int
	max     int
	scratch []byte // unescaped strings; reused
}

// Reset starts reading b, with the default depth limit.
func (s *Scanner) Reset(b []byte) {
	s.b, s.i, s.err, s.depth, s.max = b, 0, "", 0, MaxDepth
}

// SetMaxDepth sets the nesting limit: an object or array opened more than
// n levels deep is refused.
func (s *Scanner) SetMaxDepth(n int) { s.max = n }

// Fail records msg (the first problem wins) and returns false.
func (s *Scanner) Fail(msg string) bool {
	if s.err == "" {
		s.err = msg
	}
	return false
}

// OK reports whether no problem has been found.
func (s *Scanner) OK() bool { return s.err == "" }

// Err is the first problem found, in words; "" while all is well.
func (s *Scanner) Err() string { return s.err }

// Pos is the offset of the next byte to read.
func (s *Scanner) Pos() int { return s.i }

// Input is the text being read.
func (s *Scanner) Input() []byte { return s.b }

// SetInput switches to reading b from offset i, keeping the error and the
// depth (to read a part of the input saved earlier, then come back).
func (s *Scanner) SetInput(b []byte, i int) { s.b, s.i = b, i }

// WS skips white space.
func (s *Scanner) WS() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Peek returns the next non-space byte without consuming it (0 at the end).
func (s *Scanner) Peek() byte {
	s.WS()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *Scanner) expect(c byte) bool {
	if s.Peek() != c {
		if s.i >= len(s.b) {
			return s.Fail(truncated)
		}
		return s.Fail("malformed JSON: expected '" + string(c) + "'")
	}
	s.i++
	return true
}

// End checks that only white space follows the top-level value.
func (s *Scanner) End() bool {
	if !s.OK() {
		return false
	}
	s.WS()
	if s.i != len(s.b) {
		return s.Fail("malformed JSON: data after the end of the message")
	}
	return true
}

// BeginObject consumes '{'.
func (s *Scanner) BeginObject() bool {
	if !s.expect('{') {
		return false
	}
	s.depth++
	if s.depth > s.max {
		return s.Fail("message nested too deeply")
	}
	return true
}

// Key returns the next key of the object being read (consuming the ':'),
// or ok=false at its closing '}' or on error (see Err). first says
// whether this is the first key of the object. The key is unescaped and
// valid until the next string is read.
func (s *Scanner) Key(first bool) (k []byte, ok bool) {
	k, esc, ok := s.RawKey(first)
	if esc && ok {
		k = s.unescape(k)
	}
	return k, ok
}

// RawKey is Key without unescaping: k is the raw text between the quotes
// and esc says whether it holds escapes.
func (s *Scanner) RawKey(first bool) (k []byte, esc, ok bool) {
	c := s.Peek()
	if c == '}' {
		s.i++
		s.depth--
		return nil, false, false
	}
	if !first {
		if c != ',' {
			return nil, false, s.expect('}')
		}
		s.i++
		c = s.Peek()
	}
	if c != '"' {
		return nil, false, s.expect('"')
	}
	k, esc, ok = s.RawStr()
	if !ok {
		return nil, false, false
	}
	if s.Peek() != ':' {
		return nil, false, s.expect(':')
	}
	s.i++
	return k, esc, true
}

// BeginArray consumes '['.
func (s *Scanner) BeginArray() bool {
	if !s.expect('[') {
		return false
	}
	s.depth++
	if s.depth > s.max {
		return s.Fail("message nested too deeply")
	}
	return true
}

// Elem says whether another element of the array being read follows
// (consuming the ',' before it), or false at its closing ']' or on error.
func (s *Scanner) Elem(first bool) bool {
	c := s.Peek()
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
		if s.Peek() == ']' {
			return s.Fail("malformed JSON: trailing comma")
		}
	}
	if s.i >= len(s.b) {
		return s.Fail(truncated)
	}
	return true
}

// Str reads a string and returns its unescaped bytes: a slice of the input
// when it holds no escapes, else of a buffer reused by the next Str.
func (s *Scanner) Str() ([]byte, bool) {
	raw, esc, ok := s.RawStr()
	if !ok || !esc {
		return raw, ok
	}
	return s.unescape(raw), true
}

// RawStr reads and validates a string without unescaping it: raw is the
// text between the quotes (a slice of the input) and esc says whether it
// holds escapes.
func (s *Scanner) RawStr() (raw []byte, esc, ok bool) {
	if s.i < len(s.b) && s.b[s.i] == '"' {
		s.i++
	} else if !s.expect('"') {
		return nil, false, false
	}
	b, start := s.b, s.i
	for i := start; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return b[start:i], false, true
		case c == '\\':
			s.i = i
			return s.rawStrEscaped(start)
		case c < 0x20:
			s.i = i
			return nil, false, s.Fail("malformed JSON: control character in a string")
		}
	}
	s.i = len(b)
	return nil, false, s.Fail(truncated)
}

// rawStrEscaped goes on with RawStr from the first backslash.
func (s *Scanner) rawStrEscaped(start int) (raw []byte, esc, ok bool) {
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			return raw, true, true
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return nil, false, s.Fail(truncated)
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				s.i += 2
				if _, ok := s.hex4(); !ok {
					return nil, false, false
				}
			default:
				return nil, false, s.Fail("malformed JSON: bad escape in a string")
			}
			continue
		case c < 0x20:
			return nil, false, s.Fail("malformed JSON: control character in a string")
		}
		s.i++
	}
	return nil, false, s.Fail(truncated)
}

// unescape decodes a string validated by RawStr into s.scratch. A
// surrogate pair becomes one rune; a lone surrogate becomes U+FFFD.
func (s *Scanner) unescape(raw []byte) []byte {
	out := s.scratch[:0]
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		e := raw[i+1]
		i += 2
		switch e {
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
			r := hexRune(raw[i : i+4])
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if d := utf16.DecodeRune(r, hexRune(raw[i+2:i+6])); d != utf8.RuneError {
						r = d
						i += 6 // else the second escape stands alone
					}
				}
				if utf16.IsSurrogate(r) {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, e)
		}
	}
	s.scratch = out
	return out
}

func (s *Scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, s.Fail(truncated)
	}
	for _, c := range s.b[s.i : s.i+4] {
		if !isHex(c) {
			return 0, s.Fail("malformed JSON: bad \\u escape")
		}
	}
	r := hexRune(s.b[s.i : s.i+4])
	s.i += 4
	return r, true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// hexRune decodes four validated hex digits.
func hexRune(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		default:
			r = r<<4 | rune(c-'A'+10)
		}
	}
	return r
}

// Num reads a JSON number token and returns its bytes.
func (s *Scanner) Num() ([]byte, bool) {
	s.WS()
	n := NumberLen(s.b[s.i:])
	if n <= 0 {
		if s.i >= len(s.b) {
			return nil, s.Fail(truncated)
		}
		return nil, s.Fail("malformed JSON: expected a number")
	}
	v := s.b[s.i : s.i+n]
	s.i += n
	return v, true
}

// NumberLen is the length of the JSON number at the start of b, or 0 if b
// does not start with one. It follows RFC 8259 exactly, so "NaN", "Inf",
// "0x1p-2", "1_000", "+1", ".5" and "01" are all refused.
func NumberLen(b []byte) int {
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

// Float reads a JSON number as a float64. Out-of-range numbers are refused.
func (s *Scanner) Float() (float64, bool) {
	b, ok := s.Num()
	if !ok {
		return 0, false
	}
	f, ok := ParseFloat(b)
	if !ok {
		return 0, s.Fail("number out of range")
	}
	return f, true
}

// StrFloat reads a decimal number written as a JSON string ("105231.17").
func (s *Scanner) StrFloat() (float64, bool) {
	if s.Peek() != '"' {
		if s.i >= len(s.b) {
			return 0, s.Fail(truncated)
		}
		return 0, s.Fail("wrong type: expected a number in a string")
	}
	b, ok := s.Str()
	if !ok {
		return 0, false
	}
	if len(b) == 0 || NumberLen(b) != len(b) {
		return 0, s.Fail("not a number: " + QuoteShort(b))
	}
	f, ok := ParseFloat(b)
	if !ok {
		return 0, s.Fail("number out of range")
	}
	return f, true
}

// Uint reads a non-negative JSON integer that fits in a uint64.
func (s *Scanner) Uint() (uint64, bool) {
	b, ok := s.Num()
	if !ok {
		return 0, false
	}
	v, ok := ParseUint(b)
	if !ok {
		return 0, s.Fail("not a whole number in range: " + QuoteShort(b))
	}
	return v, true
}

// ParseUint converts decimal digits to a uint64, refusing anything else
// and overflow.
func ParseUint(b []byte) (uint64, bool) {
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

// ParseFloat converts a validated number without allocating. The string
// header points into b only for the call: strconv copies the text into
// any error it returns, so nothing keeps b.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	return f, err == nil
}

// Skip reads and discards any value, validating it. Strings are not
// unescaped.
func (s *Scanner) Skip() bool {
	switch s.Peek() {
	case '{':
		if !s.BeginObject() {
			return false
		}
		for first := true; ; first = false {
			if _, _, ok := s.RawKey(first); !ok {
				return s.OK()
			}
			if !s.Skip() {
				return false
			}
		}
	case '[':
		if !s.BeginArray() {
			return false
		}
		for first := true; s.Elem(first); first = false {
			if !s.Skip() {
				return false
			}
		}
		return s.OK()
	case '"':
		_, _, ok := s.RawStr()
		return ok
	case 't':
		return s.Lit("true")
	case 'f':
		return s.Lit("false")
	case 'n':
		return s.Lit("null")
	case 0:
		return s.Fail(truncated)
	default:
		_, ok := s.Num()
		return ok
	}
}

// Value reads any value and returns its kind and raw bytes (objects and
// arrays validated and skipped, brackets included).
func (s *Scanner) Value() (Value, bool) {
	var kind Kind
	var ok bool
	c := s.Peek()
	start := s.i
	switch c {
	case '"':
		raw, esc, ok := s.RawStr()
		if !ok {
			return Value{}, false
		}
		return Value{Raw: raw, Kind: String, Esc: esc}, true
	case 't':
		kind, ok = Bool, s.Lit("true")
	case 'f':
		kind, ok = Bool, s.Lit("false")
	case 'n':
		kind, ok = Null, s.Lit("null")
	case '{':
		kind, ok = Object, s.Skip()
	case '[':
		kind, ok = Array, s.Skip()
	case 0:
		return Value{}, s.Fail(truncated)
	default:
		raw, ok := s.Num()
		if !ok {
			return Value{}, false
		}
		return Value{Raw: raw, Kind: Number}, true
	}
	if !ok {
		return Value{}, false
	}
	return Value{Raw: s.b[start:s.i], Kind: kind}, true
}

// Lit reads the literal w (true, false or null).
func (s *Scanner) Lit(w string) bool {
	if len(s.b)-s.i < len(w) {
		return s.Fail(truncated)
	}
	if string(s.b[s.i:s.i+len(w)]) != w {
		return s.Fail("malformed JSON: unknown literal")
	}
	s.i += len(w)
	return true
}

// QuoteShort quotes at most 24 bytes of b for an error message; control
// characters and escapes never survive (strconv.Quote escapes them, and
// the market strips what is left before anything reaches the screen).
func QuoteShort(b []byte) string {
	if len(b) > 24 {
		return strconv.Quote(string(b[:24])) + "…"
	}
	return strconv.Quote(string(b))
}

// TypedStr reads a string value, refusing other types ("wrong type", or
// "truncated" at the end of the input).
func (s *Scanner) TypedStr() ([]byte, bool) {
	if c := s.Peek(); c != '"' {
		if c == 0 {
			return nil, s.Fail(truncated)
		}
		return nil, s.Fail("wrong type: expected a string")
	}
	return s.Str()
}

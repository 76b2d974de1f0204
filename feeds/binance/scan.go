package binance

// A small, strict, allocation-free JSON scanner for Binance's stream
// frames. It matches keys exactly and case-sensitively (encoding/json does
// not: Binance's "t"/"T" and "c"/"C" collide there), validates everything it
// skips, and never recurses deeper than maxDepth.

const maxDepth = 32

// Kinds of JSON values.
const (
	kNone byte = iota
	kString
	kNumber
	kBool
	kNull
	kObject
	kArray
)

// val is a value found in a frame: its kind and raw bytes (for a string,
// the bytes between the quotes; esc says whether they contain escapes).
type val struct {
	raw  []byte
	kind byte
	esc  bool
}

type scanner struct {
	b []byte
	i int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) ws() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// str scans a string starting at the opening quote.
func (s *scanner) str() (val, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return val{}, false
	}
	s.i++
	start, esc := s.i, false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := val{raw: s.b[start:s.i], kind: kString, esc: esc}
			s.i++
			return v, true
		case c == '\\':
			esc = true
			if s.i+1 >= len(s.b) {
				return val{}, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return val{}, false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						return val{}, false
					}
				}
				s.i += 6
			default:
				return val{}, false
			}
		case c < 0x20:
			return val{}, false
		default:
			s.i++
		}
	}
	return val{}, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number scans a JSON number (RFC 8259 grammar).
func (s *scanner) number() (val, bool) {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return val{}, false
	}
	if s.b[s.i] == '0' {
		s.i++
	} else if s.b[s.i] >= '1' && s.b[s.i] <= '9' {
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	} else {
		return val{}, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		d := s.i
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
		if s.i == d {
			return val{}, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		d := s.i
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
		if s.i == d {
			return val{}, false
		}
	}
	return val{raw: s.b[start:s.i], kind: kNumber}, true
}

func (s *scanner) literal(lit string, kind byte) (val, bool) {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return val{}, false
	}
	v := val{raw: s.b[s.i : s.i+len(lit)], kind: kind}
	s.i += len(lit)
	return v, true
}

// value scans any value; objects and arrays are validated and skipped, and
// their raw bytes (brackets included) returned.
func (s *scanner) value(depth int) (val, bool) {
	s.ws()
	if s.i >= len(s.b) {
		return val{}, false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '-' || isDigit(c):
		return s.number()
	case c == 't':
		return s.literal("true", kBool)
	case c == 'f':
		return s.literal("false", kBool)
	case c == 'n':
		return s.literal("null", kNull)
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return val{}, false
		}
		start := s.i
		var ok bool
		kind := kObject
		if c == '{' {
			ok = s.skipObject(depth + 1)
		} else {
			kind = kArray
			ok = s.skipArray(depth + 1)
		}
		if !ok {
			return val{}, false
		}
		return val{raw: s.b[start:s.i], kind: kind}, true
	}
	return val{}, false
}

func (s *scanner) skipObject(depth int) bool {
	if !s.openObject() {
		return false
	}
	for first := true; ; first = false {
		switch _, _, st := s.member(depth, first); st {
		case memberEnd:
			return true
		case memberBad:
			return false
		}
	}
}

// openObject consumes the '{' of an object.
func (s *scanner) openObject() bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	return true
}

// States returned by member.
const (
	memberOK = iota
	memberEnd
	memberBad
)

// member scans the next member of an object opened with openObject: its
// key and value, or the end of the object, or a syntax error.
func (s *scanner) member(depth int, first bool) (key, v val, st int) {
	key, st = s.memberKey(first)
	if st != memberOK {
		return key, v, st
	}
	v, ok := s.value(depth)
	if !ok {
		return key, v, memberBad
	}
	return key, v, memberOK
}

// memberKey scans up to the next member's value: the separator, the key
// and the colon. The caller then scans the value.
func (s *scanner) memberKey(first bool) (key val, st int) {
	s.ws()
	if s.i >= len(s.b) {
		return key, memberBad
	}
	if first {
		if s.b[s.i] == '}' {
			s.i++
			return key, memberEnd
		}
	} else {
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			return key, memberEnd
		default:
			return key, memberBad
		}
	}
	key, ok := s.str()
	if !ok {
		return key, memberBad
	}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return key, memberBad
	}
	s.i++
	s.ws()
	return key, memberOK
}

// peek is the next non-space byte (0 at the end).
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) skipArray(depth int) bool {
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if _, ok := s.value(depth); !ok {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

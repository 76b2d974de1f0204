// Package tomlfile reads tokentop's TOML files (config and themes) safely:
// size and shape limits before decoding, and one-line errors that name the
// file, line and key, with everything taken from the file escaped.
package tomlfile

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/tokentop/tokentop/internal/safetext"
)

// Error is a problem with a TOML file. It prints as
// "<path>:<line>: <key>: <problem>", leaving out the line when it is not
// known and the key when the problem is not about one key. Every part that
// came from the file is escaped, so the text is one safe line.
type Error struct {
	Path    string // the file, as given
	Line    int    // 1-based; 0 when unknown
	Key     string // dotted key, e.g. "ui.refresh_hz"; "" for file-level problems
	Problem string // what is wrong, in words
	Err     error  // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(safetext.Quoted(e.Path))
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// SyntaxError turns a TOML decoder error on data into an *Error naming the
// line. The line is counted from the error's byte offset: the decoder's own
// line number is one too far for some errors found at a newline (an
// unclosed "[ui"), and the user's mistake is on the line that newline ends.
func SyntaxError(path string, data []byte, err error) *Error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line := pe.Position.Line
		if st := pe.Position.Start; st > 0 && st <= len(data) {
			line = 1 + bytes.Count(data[:st], []byte{'\n'})
		}
		return &Error{Path: path, Line: line, Problem: "invalid TOML: " + safetext.Quoted(pe.Message), Err: err}
	}
	return &Error{Path: path, Problem: "invalid TOML: " + safetext.Quoted(err.Error()), Err: err}
}

// QuoteValue quotes a value from a file for an error message, escaped and cut
// to a readable length.
func QuoteValue(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		return strconv.QuoteToASCII(s[:cut]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// KeyName is a dotted key for messages: bare parts as they are, others
// quoted and escaped.
func KeyName(key toml.Key) string {
	var b strings.Builder
	for i, part := range key {
		if i > 0 {
			b.WriteByte('.')
		}
		if isBareKey(part) {
			b.WriteString(part)
		} else {
			b.WriteString(QuoteValue(part))
		}
	}
	return b.String()
}

func isBareKey(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Describe names the TOML type of a decoded value for "got ..." messages.
func Describe(v any) string {
	switch v := v.(type) {
	case string:
		return "the string " + QuoteValue(v)
	case int64:
		return "the integer " + strconv.FormatInt(v, 10)
	case float64:
		return "the number " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return "the boolean " + strconv.FormatBool(v)
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	default:
		return "a date/time"
	}
}

// lineProbe fails as soon as the decoder reaches it, so the decoder's error
// carries the position of the key it sits under.
type lineProbe struct{}

var errLineProbe = errors.New("line probe")

func (*lineProbe) UnmarshalTOML(any) error { return errLineProbe }

// KeyLine finds the line of key in data, or 0. The decoder keeps key
// positions to itself and only reports them in errors, so this decodes data
// into a throwaway struct that has exactly one path, key, ending in a value
// that fails. It re-parses the file: call it on the error path only.
func KeyLine(data []byte, key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	t := reflect.TypeOf(lineProbe{})
	for i := len(key) - 1; i >= 0; i-- {
		part := key[i]
		// The decoder reads the tag up to a comma and treats "" and "-"
		// specially: such a key cannot be addressed by a tag.
		if part == "" || part == "-" || strings.ContainsRune(part, ',') {
			return 0
		}
		t = reflect.StructOf([]reflect.StructField{{
			Name: "F",
			Type: t,
			Tag:  reflect.StructTag("toml:" + strconv.Quote(part)),
		}})
	}
	_, err := toml.NewDecoder(bytes.NewReader(data)).Decode(reflect.New(t).Interface())
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.Message == errLineProbe.Error() {
		return pe.Position.Line
	}
	return 0
}

// Problemf builds an *Error for key, finding its line in data.
func Problemf(path string, data []byte, key toml.Key, format string, args ...any) *Error {
	return &Error{Path: path, Line: KeyLine(data, key), Key: KeyName(key), Problem: fmt.Sprintf(format, args...)}
}

// Limits on the shape of a file, checked before the TOML decoder sees it:
// the decoder's time grows with the square of key depth (seconds for a
// few thousand nested tables or dotted parts), and no tokentop file needs
// more than two levels.
const (
	maxNesting = 16 // open [ and { at once
	maxDots    = 16 // dots outside strings on one line
)

// CheckShape scans data for nesting deeper than maxNesting and lines with
// more than maxDots dotted parts, skipping strings and comments. It returns
// the line and problem of the first excess, or 0 and "".
func CheckShape(data []byte) (int, string) {
	line, depth, dots := 1, 0, 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
			dots = 0
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			if i+2 < len(data) && data[i+1] == c && data[i+2] == c {
				// Multi-line string: ends at the first unescaped triple
				// quote; up to two more quotes belong to the content.
				i += 3
				for ; i < len(data); i++ {
					if data[i] == '\n' {
						line++
					} else if c == '"' && data[i] == '\\' {
						i++
						if i < len(data) && data[i] == '\n' {
							line++
						}
					} else if data[i] == c && i+2 < len(data) && data[i+1] == c && data[i+2] == c {
						i += 2
						for k := 0; k < 2 && i+1 < len(data) && data[i+1] == c; k++ {
							i++
						}
						break
					}
				}
				continue
			}
			// One-line string: ends at its quote or, if unterminated, the
			// line's end (the decoder reports that).
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
				if c == '"' && data[i] == '\\' {
					if i+1 < len(data) && data[i+1] != '\n' {
						i++
					}
					continue
				}
				if data[i] == c {
					break
				}
			}
		case '[', '{':
			depth++
			if depth > maxNesting {
				return line, fmt.Sprintf("nested more than %d levels deep", maxNesting)
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case '.':
			dots++
			if dots > maxDots {
				return line, fmt.Sprintf("more than %d dotted key parts on one line", maxDots)
			}
		}
	}
	return 0, ""
}

// DecodeFile checks data's size and shape and decodes it into a map. Its
// MetaData lists the keys in file order.
func DecodeFile(path string, data []byte, maxSize int, what string) (map[string]any, toml.MetaData, *Error) {
	if len(data) > maxSize {
		return nil, toml.MetaData{}, &Error{Path: path, Problem: fmt.Sprintf("%s is over the limit of %d bytes", what, maxSize)}
	}
	if line, problem := CheckShape(data); problem != "" {
		return nil, toml.MetaData{}, &Error{Path: path, Line: line, Problem: problem}
	}
	var raw map[string]any
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		return nil, toml.MetaData{}, SyntaxError(path, data, err)
	}
	return raw, md, nil
}

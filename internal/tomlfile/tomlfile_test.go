package tomlfile

import (
	"strings"
	"testing"
)

func TestSyntaxErrorNamesTheLineOfTheMistake(t *testing.T) {
	cases := []struct {
		body string
		want string
	}{
		{"[ui\nrefresh_hz = 10\n", "f.toml:1: invalid TOML"},          // unclosed table name at a line's end
		{"a = 1\nb = \nc = 2\n", "f.toml:2: invalid TOML"},            // missing value
		{"a = 1\n\nb = \"open\n", "f.toml:3: invalid TOML"},           // unterminated string
		{"a = 1\na = 2\n", "f.toml:2: invalid TOML"},                  // duplicate key
		{"x = [1,\n2,\n", "f.toml:"},                                  // unterminated array: some line, no panic
		{"\x1b[31m = 1\n", "f.toml:1: invalid TOML"},                  // hostile bytes are escaped
		{strings.Repeat("\n", 5) + "[ui\n", "f.toml:6: invalid TOML"}, // later line
	}
	for _, c := range cases {
		_, _, err := DecodeFile("f.toml", []byte(c.body), 1<<20, "config")
		if err == nil {
			t.Errorf("%q: no error", c.body)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, c.want) {
			t.Errorf("%q: got %q, want prefix %q", c.body, msg, c.want)
		}
		if strings.ContainsAny(msg, "\n\x1b") {
			t.Errorf("%q: error is not one safe line: %q", c.body, msg)
		}
	}
}

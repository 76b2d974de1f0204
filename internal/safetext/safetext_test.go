package safetext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

func TestLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"BTC", "BTC"},
		{"Ethereum", "Ethereum"},
		{"Pokémon 🚀 トークン", "Pokémon 🚀 トークン"},
		{"", ""},
		// 7-bit sequences go whole.
		{"Ether\x1b[2Jeum", "Ethereum"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b[38;2;255;0;0mX", "X"},
		{"a\x1b[?1049hb", "ab"},
		{"a\x1b]0;pwned\x07b", "ab"},
		{"a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b", "alinkb"},
		{"a\x1bPq#0;2;0;0;0\x1b\\b", "ab"}, // DCS (sixel)
		{"a\x1b_Gf=100;AAAA\x1b\\b", "ab"}, // APC (kitty graphics)
		{"a\x1b^privacy\x1b\\b", "ab"},     // PM
		{"a\x1bXstring\x1b\\b", "ab"},      // SOS
		{"a\x1b]0;t\x1b[31mb", "ab"},       // an ESC ends the OSC and starts a CSI
		{"a\x1b]0;never ends", "a"},        // unterminated: the rest goes
		{"a\x1b(Bb\x1b7c\x1bcd", "abcd"},   // nF, Fp, Fs
		{"a\x1b", "a"},
		{"a\x1b[", "a"},
		{"a\x1b[12", "a"},
		// 8-bit forms, as characters (UTF-8) and as raw bytes.
		{"Ether\u009b2Jeum", "Ethereum"},
		{"Ether\x9b2Jeum", "Ethereum"},
		{"a\u009d0;title\u009cb", "ab"},
		{"a\x9d0;title\x9cb", "ab"},
		{"a\u00900;x\u009cb", "ab"},
		{"a\u009fapc\u009cb", "ab"},
		{"a\u009esomething\x07b", "ab"},
		{"a\u0098sos\x1b\\b", "ab"},
		{"a\u0085b\u0080c", "abc"},
		// Controls, DEL, invalid UTF-8.
		{"a\x00b\x07c\x7fd", "abcd"},
		{"two\nlines\tand\rmore", "two lines and more"},
		{"bad\xff\xfeutf8", "badutf8"},
		{"\xc3", ""},
		{"\xed\xa0\x80surrogate", "surrogate"},
		// Invisible and reordering characters.
		{"abc\u202edcba", "abcdcba"},
		{"a\u2066b\u2069c\u200fd\u061ce", "abcde"},
		{"z\u200bw\u200dj\ufeffk\u00adl\u2060m", "zwjklm"},
		{"line\u2028sep\u2029para", "lineseppara"},
		{"private\ue000use", "privateuse"},
		{"tag\U000e0041s", "tags"},
		{"no\u00a0break", "no\u00a0break"}, // a space, kept
	} {
		if got := Line(c.in, 100); got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"abcdef", 6, "abcdef"},
		{"abcdefg", 6, "abcde…"},
		{"ébcdéfg", 6, "ébcdé…"},
		{"🚀🚀🚀", 2, "🚀…"},
		{"ab", 1, "…"},
		{"a", 1, "a"},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{"\x1b[31mabc\x1b[0m", 3, "abc"}, // the limit counts what is kept
		{"ab\x1b[31mcdef", 4, "abc…"},
	} {
		if got := Line(c.in, c.max); got != c.want {
			t.Errorf("Line(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"one\ntwo", "one\ntwo"},
		{"one\r\ntwo\rthree", "one\ntwo\nthree"},
		{"a\tb\x1b[2Kc\n", "a bc\n"},
	} {
		if got := Text(c.in, 100); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if IsLine("a\nb", 10) || !isClean("a\nb", 10, true) {
		t.Error("a newline is clean in Text only")
	}
}

func TestQuoted(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/home/me/.config/tokentop/config.toml", "/home/me/.config/tokentop/config.toml"},
		{"/home/zoë/données", "/home/zoë/données"},
		{"", ""},
		{"/tmp/\x1b[2J", `"/tmp/\x1b[2J"`},
		{"a\u202eb", `"a\u202eb"`},
		{"bad\xff", `"bad\xff"`},
		{"two\nlines", `"two\nlines"`},
	} {
		if got := Quoted(c.in); got != c.want {
			t.Errorf("Quoted(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	for _, r := range []rune{'a', ' ', '~', 'é', '🚀', '\u00a0', '…'} {
		if !Printable(r) {
			t.Errorf("%U refused", r)
		}
	}
	for _, r := range []rune{0, '\t', '\n', 0x1b, 0x7f, 0x85, 0x9b, 0x202e, 0x200b, 0xfeff, 0xe000, utf8.RuneError, 0x2028} {
		if Printable(r) {
			t.Errorf("%U accepted", r)
		}
	}
}

func TestCleanPassesUnchangedWithoutAllocating(t *testing.T) {
	for _, s := range []string{"BTC", "Bitcoin Cash", "Pokémon 🚀 トークン", strings.Repeat("x", 256)} {
		if !IsLine(s, 256) {
			t.Fatalf("%q is not clean", s)
		}
		if got := Line(s, 256); got != s || (len(s) > 0 && unsafe.StringData(got) != unsafe.StringData(s)) {
			t.Errorf("%q was copied", s)
		}
		if n := testing.AllocsPerRun(100, func() { _ = Line(s, 256) }); n != 0 {
			t.Errorf("%q: %v allocations", s, n)
		}
	}
}

// check is what every output must be: no C0/C1 controls, ESC, DEL, bidi
// or other format characters, invalid UTF-8; at most max runes; clean by
// the fast path; and cleaning it again changes nothing.
func check(t *testing.T, in, out string, max int, lines bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%q -> %q: invalid UTF-8", in, out)
	}
	if n := utf8.RuneCountInString(out); n > max && max > 0 || max <= 0 && out != "" {
		t.Fatalf("%q -> %q: %d runes, limit %d", in, out, n, max)
	}
	for _, r := range out {
		if r < 0x20 && !(lines && r == '\n') || r >= 0x7f && r <= 0x9f || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) ||
			r == 0x2028 || r == 0x2029 || r == utf8.RuneError {
			t.Fatalf("%q -> %q: holds %U", in, out, r)
		}
	}
	if again := clean(out, max, lines); again != out {
		t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
	}
	if max > 0 && !isClean(out, max, lines) {
		t.Fatalf("%q -> %q: output not clean by the fast path", in, out)
	}
	if isClean(in, max, lines) && out != in {
		t.Fatalf("clean %q changed to %q", in, out)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"BTC", "Ether\u009b2Jeum", "a\x1b]0;t\x07b", "\x1b[31mred", "a\u202eb", "bad\xff", "x\r\ny", "🚀🚀🚀", "a\x9d0;x\x9cb"} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 300
		check(t, s, Line(s, max), max, false)
		check(t, s, Text(s, max), max, true)
		if strings.ContainsRune(Line(s, max), '\n') {
			t.Fatalf("Line(%q) holds a newline", s)
		}
	})
}

// BenchmarkLine: a clean symbol and name pass without allocating; a dirty
// string costs one allocation.
func BenchmarkLine(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"clean_ascii", "Bitcoin Cash"},
		{"clean_unicode", "Pokémon 🚀 トークン"},
		{"clean_256", strings.Repeat("abcdefgh", 32)},
		{"escape", "Ether\x1b[2Jeum \u202eevil"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Line(c.s, 256)
			}
		})
	}
}

package screen

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// color is one SGR colour in the form the frame gave it, so a frame made
// for 16 colours stays 16 colours on the terminal: the kind in the top
// byte, the value below it. 0 is the terminal's default colour.
type color uint32

const (
	colorDefault color = 0
	kindBasic    color = 1 << 24 // 0-15: SGR 30-37, 90-97 (40-47, 100-107)
	kindIndexed  color = 2 << 24 // 0-255: SGR 38;5;n
	kindRGB      color = 3 << 24 // 0xRRGGBB: SGR 38;2;r;g;b
	kindMask     color = 0xff << 24
)

func (c color) kind() color   { return c & kindMask }
func (c color) value() uint32 { return uint32(c &^ kindMask) }

// Attributes of a pen (the same set a terminal keeps).
const (
	attrBold uint8 = 1 << iota
	attrFaint
	attrItalic
	attrBlink
	attrRapidBlink
	attrReverse
	attrConceal
	attrStrike
)

// attrChange is what an SGR code does to a pen's attributes.
type attrChange struct{ on, off uint8 }

// sgrAttrs are the SGR codes that set or clear attributes, by code.
var sgrAttrs = [...]attrChange{
	1: {on: attrBold}, 2: {on: attrFaint}, 3: {on: attrItalic}, 5: {on: attrBlink}, 6: {on: attrRapidBlink},
	7: {on: attrReverse}, 8: {on: attrConceal}, 9: {on: attrStrike},
	22: {off: attrBold | attrFaint}, 23: {off: attrItalic}, 25: {off: attrBlink | attrRapidBlink},
	27: {off: attrReverse}, 28: {off: attrConceal}, 29: {off: attrStrike},
}

// pen is how a cell is drawn: colours, attributes and underline style. The
// zero pen is the terminal's default (SGR 0).
type pen struct {
	fg, bg, ul color // foreground, background, underline colour
	attrs      uint8
	underline  uint8 // 0 none, 1 single, 2 double, 3 curly, 4 dotted, 5 dashed
}

// cell is one column of a row. A grapheme wider than one column fills its
// first column; the columns it covers after that have width 0.
type cell struct {
	off   uint32 // the grapheme's bytes in row.text
	n     uint16 // their length; 0 = a space
	width uint8  // 1 or 2 (graphemes as wide as 3 or 4 are kept as drawn); 0 = covered by the cell to the left
	link  uint16 // the hyperlink (OSC 8) the cell is part of, an id in the screen's links; 0 = none
	pen   pen
}

// blank is an empty cell in the default pen: what a cleared screen shows.
var blank = cell{width: 1}

// row is one line of the screen: the text it was parsed from (cells point
// into it) and its cells.
type row struct {
	text  []byte // the line, then any replacement characters cells point to
	size  int    // the line's length in text
	cells []cell
	// uncertain is the first column holding a grapheme terminals may give
	// a different width (emoji, flags, emoji sequences); -1 for none. From
	// there to the end of the line, the terminal's columns may not be ours.
	uncertain int
	valid     bool // false: the terminal's copy of this row is unknown (redraw it)
}

// grapheme is the text of cell c of the row (" " for a space).
func (r *row) grapheme(c *cell) []byte {
	if c.n == 0 {
		return space
	}
	return r.text[c.off : c.off+uint32(c.n)]
}

var space = []byte{' '}

// sameCell reports whether cell x of a and of b look the same.
func sameCell(a, b *row, x int) bool {
	ca, cb := &a.cells[x], &b.cells[x]
	if ca.width != cb.width || ca.pen != cb.pen || ca.n != cb.n || ca.link != cb.link {
		return false
	}
	return ca.n == 0 || bytes.Equal(a.text[ca.off:ca.off+uint32(ca.n)], b.text[cb.off:cb.off+uint32(cb.n)])
}

// clear makes r a row of width blank cells whose terminal copy is unknown.
func (r *row) clear(width int) {
	r.text, r.size = r.text[:0], 0
	if cap(r.cells) < width {
		r.cells = make([]cell, width)
	}
	r.cells = r.cells[:width]
	for i := range r.cells {
		r.cells[i] = blank
	}
	r.uncertain = -1
	r.valid = false
}

// parse sets r to line as a terminal width columns wide would show it,
// written from the first column with the default pen: SGR sequences set
// the pen, graphemes fill cells (ansi's grapheme widths, the ones lipgloss
// measures with), a grapheme that does not fit is cut with the rest of
// the line, and the columns after the text are blank. OSC 8 hyperlinks
// mark the cells they cover (links gives each address an id). Every other
// escape sequence and control character is dropped (a tab moves to the
// next tab stop), so nothing but text, colours and links can reach the
// terminal from a frame. Colours above profile are reduced to it.
func (r *row) parse(line string, width int, profile termenv.Profile, widths *widthCache, links *linkTable) {
	r.text = append(r.text[:0], line...)
	r.size = len(line)
	if cap(r.cells) < width {
		r.cells = make([]cell, width)
	}
	r.cells = r.cells[:width]
	r.uncertain = -1
	r.valid = true
	var p pen
	var link uint16
	x := 0
	var state byte
	for i := 0; i < len(line) && x < width; {
		// Fast paths for what frames are made of: ASCII text and SGR.
		c := line[i]
		if c >= ' ' && c < 0x7f && (i+1 == len(line) || line[i+1] < utf8.RuneSelf) {
			if c == ' ' {
				r.cells[x] = cell{width: 1, pen: p, link: link}
			} else {
				r.cells[x] = cell{off: uint32(i), n: 1, width: 1, pen: p, link: link}
			}
			x++
			i++
			continue
		} else if c == ansi.ESC && i+1 < len(line) && line[i+1] == '[' {
			j := i + 2
			for j < len(line) && line[j] >= 0x20 && line[j] < 0x40 { // parameters and intermediates
				j++
			}
			if j < len(line) && line[j] >= 0x40 && line[j] < 0x7f {
				if line[j] == 'm' {
					readSGR(line[i:j+1], &p)
					reduce(&p, profile)
				}
				i = j + 1
				continue
			}
		}
		if c >= 0xC2 && c < 0xE3 { // U+0080..U+2FFF: Latin-1, box drawing, blocks, arrows, symbols
			if g, ok := widths.single(line[i:]); ok {
				if w := widths.of(g); w > 0 && x+w <= width {
					r.cells[x] = cell{off: uint32(i), n: uint16(len(g)), width: uint8(w), pen: p, link: link}
					for k := 1; k < w; k++ {
						r.cells[x+k] = cell{pen: p, link: link}
					}
					if r.uncertain < 0 && w > 1 && uncertainWidth(g) {
						r.uncertain = x
					}
					x += w
				} else if w > 0 {
					break // cut at the edge, with the rest of the line
				}
				i += len(g)
				continue
			}
		}
		seq, w, n, st := ansi.DecodeSequence(line[i:], state, nil)
		state = st
		if n <= 0 { // defensive: never stall on bytes the decoder refuses
			n = 1
		}
		if n == 1 && w == 1 && i+1 < len(line) && line[i+1] >= utf8.RuneSelf {
			// The decoder returns ASCII alone; a combining mark after it
			// belongs to its cluster, as terminals draw it.
			seq, w = ansi.FirstGraphemeCluster(line[i:], ansi.GraphemeWidth)
			n = len(seq)
		}
		switch {
		case w > 0:
			if x+w > width {
				i = len(line) // a wide grapheme at the edge is cut, with the rest of the line
				continue
			}
			c := cell{off: uint32(i), n: uint16(min(n, 0xffff)), width: uint8(w), pen: p, link: link}
			if n == 1 && seq[0] == ' ' {
				c.n, c.off = 0, 0
			}
			fill := cell{pen: p, link: link} // the columns a wide grapheme covers
			if n > 1 && !printable(seq) {
				// Bytes that are not text (invalid UTF-8 hiding a control
				// character): drawn as U+FFFD, never written as they are.
				c.off, c.n, c.width = uint32(len(r.text)), uint16(len(replacement)), 1
				r.text = append(r.text, replacement...)
				fill = cell{width: 1, pen: p, link: link}
			}
			r.cells[x] = c
			for k := 1; k < w; k++ {
				r.cells[x+k] = fill
			}
			if r.uncertain < 0 && w > 1 && uncertainWidth(seq) {
				r.uncertain = x
			}
			x += w
		case len(seq) > 2 && seq[len(seq)-1] == 'm' && (seq[0] == ansi.ESC && seq[1] == '[' || seq[0] == ansi.CSI):
			readSGR(seq, &p)
			reduce(&p, profile)
		case len(seq) > 4 && (seq[0] == ansi.ESC && seq[1] == ']' || seq[0] == 0x9d):
			if target, ok := hyperlinkTarget(seq); ok {
				link = links.id(target)
			}
		case len(seq) == 1 && seq[0] == '\t':
			next := min((x/8+1)*8, width)
			for ; x < next; x++ {
				r.cells[x] = cell{width: 1, pen: p, link: link}
			}
		}
		i += n
	}
	for ; x < width; x++ {
		r.cells[x] = blank
	}
}

const replacement = "\uFFFD"

// widthCache remembers the widths of the single code points from U+00A0
// to U+02FF and U+2000 to U+2FFF (the symbols, arrows, box drawing and
// blocks frames are full of), so they skip grapheme segmentation. One per
// screen: screens run on their own goroutines.
type widthCache [0x300 + 0x1000]int8 // width+1; 0 = not known yet

// single returns the code point at the start of s when it is one of the
// cached ones and a grapheme on its own: what follows cannot extend it
// (nothing, ASCII, or a code point of the same ranges that is not a
// combining mark or a joiner).
func (c *widthCache) single(s string) (string, bool) {
	r, size := utf8.DecodeRuneInString(s)
	if !cached(r) {
		return "", false
	}
	if size < len(s) && s[size] >= utf8.RuneSelf {
		if next, _ := utf8.DecodeRuneInString(s[size:]); !neverExtends(next) {
			return "", false
		}
	}
	return s[:size], true
}

// cached reports whether the width of r is kept in a widthCache. None of
// these code points joins what follows it into one grapheme (no Prepend,
// Hangul or regional indicator among them).
func cached(r rune) bool { return r >= 0xA0 && r < 0x300 || r >= 0x2000 && r < 0x3000 }

// neverExtends reports whether r, in the cached ranges, always starts a
// grapheme of its own: it is not a combining mark, a joiner (U+200C,
// U+200D) or a variation selector.
func neverExtends(r rune) bool {
	switch {
	case r >= 0xA0 && r < 0x300,
		r >= 0x2010 && r < 0x20D0, // punctuation, super/subscripts, currency
		r >= 0x2100 && r < 0x2CEF, // letterlike, arrows, maths, box drawing, blocks, shapes, symbols
		r >= 0x2E00 && r < 0x3000: // punctuation, CJK radicals
		return true
	}
	return false
}

// of is the width of g, a string single returned.
func (c *widthCache) of(g string) int {
	r, _ := utf8.DecodeRuneInString(g)
	i := int(r)
	if r >= 0x2000 {
		i = int(r) - 0x2000 + 0x300
	}
	if c[i] == 0 {
		c[i] = int8(ansi.StringWidth(g) + 1)
	}
	return int(c[i]) - 1
}

// printable reports whether the grapheme g is valid UTF-8 with no control
// character in it.
func printable(g string) bool {
	for _, r := range g {
		if r == utf8.RuneError || r < 0x20 || r >= 0x7f && r < 0xa0 {
			return false
		}
	}
	return true
}

// uncertainWidth reports whether terminals may disagree about the width of
// a wide grapheme: sequences of code points (emoji with modifiers, joiners,
// flags, variation selectors) and emoji. East Asian wide characters are
// two columns everywhere.
func uncertainWidth(g string) bool {
	r, size := utf8.DecodeRuneInString(g)
	if size != len(g) {
		return true
	}
	switch {
	case r >= 0x1100 && r <= 0x115F, // Hangul Jamo
		r >= 0x2E80 && r <= 0x303E,                             // CJK radicals, punctuation
		r >= 0x3041 && r <= 0xA4CF,                             // kana, CJK ideographs, Yi
		r >= 0xAC00 && r <= 0xD7A3,                             // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF,                             // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F,                             // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6, // full-width forms
		r >= 0x20000 && r <= 0x3FFFD: // CJK extensions
		return false
	}
	return true
}

// readSGR applies one SGR sequence (ESC [ params m) to p. Unknown
// parameters are ignored; a sequence with private or intermediate bytes
// is not a plain SGR and changes nothing.
func readSGR(seq string, p *pen) {
	if seq[0] == ansi.ESC {
		seq = seq[2 : len(seq)-1]
	} else {
		seq = seq[1 : len(seq)-1]
	}
	for i := 0; i < len(seq); i++ {
		if c := seq[i]; (c < '0' || c > '9') && c != ';' && c != ':' {
			return
		}
	}
	ps := params{s: seq}
	for {
		v, _, ok := ps.next()
		if !ok {
			return
		}
		switch {
		case v <= 0: // 0 or missing
			*p = pen{}
		case v < len(sgrAttrs) && sgrAttrs[v] != (attrChange{}):
			p.attrs = p.attrs&^sgrAttrs[v].off | sgrAttrs[v].on
		case v == 4:
			p.underline = 1
			if ps.colonNext() { // 4:n, an underline style
				if s, _, _ := ps.next(); s >= 0 && s <= 5 {
					p.underline = uint8(s)
				}
			}
		case v == 21:
			p.underline = 2
		case v == 24:
			p.underline = 0
		case v >= 30 && v <= 37:
			p.fg = kindBasic | color(v-30)
		case v >= 90 && v <= 97:
			p.fg = kindBasic | color(v-90+8)
		case v >= 40 && v <= 47:
			p.bg = kindBasic | color(v-40)
		case v >= 100 && v <= 107:
			p.bg = kindBasic | color(v-100+8)
		case v == 39:
			p.fg = colorDefault
		case v == 49:
			p.bg = colorDefault
		case v == 59:
			p.ul = colorDefault
		case v == 38 || v == 48 || v == 58:
			c, ok := ps.color()
			if !ok {
				return // malformed: the rest cannot be read reliably
			}
			switch v {
			case 38:
				p.fg = c
			case 48:
				p.bg = c
			default:
				p.ul = c
			}
		}
	}
}

// params reads SGR parameters one at a time: numbers separated by ';'
// or, for sub-parameters, ':'.
type params struct {
	s string
	i int
}

// next returns the next parameter (-1 when it is empty), whether it was a
// sub-parameter (after ':'), and false when there are none left.
func (ps *params) next() (v int, sub bool, ok bool) {
	if ps.i > len(ps.s) {
		return 0, false, false
	}
	sub = ps.i > 0 && ps.s[ps.i-1] == ':'
	v, has := 0, false
	for ps.i < len(ps.s) && ps.s[ps.i] != ';' && ps.s[ps.i] != ':' {
		if v < 1<<20 {
			v = v*10 + int(ps.s[ps.i]-'0')
		}
		has = true
		ps.i++
	}
	ps.i++ // past the separator (or the end)
	if !has {
		v = -1
	}
	return v, sub, true
}

// colonNext reports whether the next parameter is a sub-parameter.
func (ps *params) colonNext() bool { return ps.i > 0 && ps.i <= len(ps.s) && ps.s[ps.i-1] == ':' }

// color reads the colour after 38, 48 or 58: "5;n", "2;r;g;b", or their
// colon forms ("5:n", "2:r:g:b", "2:cs:r:g:b" with a colour-space id).
func (ps *params) color() (color, bool) {
	colon := ps.colonNext()
	kind, _, ok := ps.next()
	if !ok {
		return 0, false
	}
	switch kind {
	case 5:
		v, _, ok := ps.next()
		if !ok || v < 0 || v > 255 {
			return 0, false
		}
		return kindIndexed | color(v), true
	case 2:
		var rgb [4]int
		n := 3
		if colon && ps.subs() >= 4 {
			n = 4 // a colour-space id first
		}
		for k := 0; k < n; k++ {
			v, _, ok := ps.next()
			if !ok {
				return 0, false
			}
			rgb[k] = v
		}
		c := rgb[n-3 : n]
		for _, v := range c {
			if v < 0 || v > 255 {
				return 0, false
			}
		}
		return kindRGB | color(c[0]<<16|c[1]<<8|c[2]), true
	}
	return 0, false
}

// subs counts the sub-parameters that follow (those after ':').
func (ps *params) subs() int {
	n := 0
	for i := ps.i - 1; i >= 0 && i < len(ps.s); i++ {
		switch ps.s[i] {
		case ':':
			n++
		case ';':
			return n
		}
	}
	return n
}

// reduce brings p's colours down to what profile can show (none for
// Ascii), the way termenv would. It never raises a colour.
func reduce(p *pen, profile termenv.Profile) {
	if profile == termenv.TrueColor {
		return
	}
	p.fg = reduceColor(p.fg, profile)
	p.bg = reduceColor(p.bg, profile)
	p.ul = reduceColor(p.ul, profile)
}

func reduceColor(c color, profile termenv.Profile) color {
	switch {
	case c == colorDefault:
		return c
	case profile == termenv.Ascii:
		return colorDefault
	case c.kind() == kindBasic:
		return c
	case c.kind() == kindIndexed && (profile == termenv.ANSI256 || c.value() < 16):
		if c.value() < 16 && profile == termenv.ANSI {
			return kindBasic | color(c.value())
		}
		return c
	}
	// Rare (frames are made for their profile): let termenv pick the
	// nearest colour.
	var tc termenv.Color
	if c.kind() == kindIndexed {
		tc = termenv.ANSI256Color(c.value())
	} else {
		v := c.value()
		const hex = "0123456789abcdef"
		tc = termenv.RGBColor(string([]byte{'#', hex[v>>20&15], hex[v>>16&15], hex[v>>12&15], hex[v>>8&15], hex[v>>4&15], hex[v&15]}))
	}
	switch out := profile.Convert(tc).(type) {
	case termenv.ANSIColor:
		return kindBasic | color(out)
	case termenv.ANSI256Color:
		return kindIndexed | color(out)
	}
	return colorDefault
}

// hyperlinkTarget reads an OSC 8 sequence (ESC ] 8 ; params ; uri, ended
// by BEL or ST): "params;uri", the link as the screen writes it again, or
// "" for the one that ends a link (no uri). ok is false for any other OSC.
func hyperlinkTarget(seq string) (target string, ok bool) {
	if seq[0] == ansi.ESC {
		seq = seq[2:]
	} else {
		seq = seq[1:]
	}
	switch {
	case strings.HasSuffix(seq, "\a"):
		seq = seq[:len(seq)-1]
	case strings.HasSuffix(seq, "\x1b\\"):
		seq = seq[:len(seq)-2]
	case strings.HasSuffix(seq, "\x9c"):
		seq = seq[:len(seq)-1]
	default:
		return "", false // not terminated: nothing to trust
	}
	rest, found := strings.CutPrefix(seq, "8;")
	if !found {
		return "", false
	}
	_, uri, found := strings.Cut(rest, ";")
	if !found {
		return "", false
	}
	if uri == "" {
		return "", true
	}
	return rest, true
}

// maxLinkLen bounds an address a link may carry.
const maxLinkLen = 2048

// linkTable gives every hyperlink ("params;uri") a screen has drawn a small id,
// so cells compare links as numbers. One per screen; the screen resets it
// (with a full redraw) once it holds maxLinks.
type linkTable struct {
	urls []string // id-1 -> address
	ids  map[string]uint16
}

const maxLinks = 256

// id is the id of the link target ("params;uri"): 0 (no link: the text is
// drawn plain) for "", for one that is not printable ASCII without spaces
// or is too long, and while the table is full.
func (t *linkTable) id(uri string) uint16 {
	if uri == "" || len(uri) > maxLinkLen {
		return 0
	}
	if id, ok := t.ids[uri]; ok {
		return id
	}
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c <= ' ' || c >= 0x7f {
			return 0
		}
	}
	if len(t.urls) >= maxLinks*2 { // a frame with hundreds of new links: the rest drawn plain
		return 0
	}
	if t.ids == nil {
		t.ids = make(map[string]uint16)
	}
	t.urls = append(t.urls, strings.Clone(uri))
	id := uint16(len(t.urls))
	t.ids[t.urls[id-1]] = id
	return id
}

// url is the address of id (id > 0).
func (t *linkTable) url(id uint16) string { return t.urls[id-1] }

func (t *linkTable) full() bool { return len(t.urls) >= maxLinks }

func (t *linkTable) reset() {
	t.urls = t.urls[:0]
	clear(t.ids)
}

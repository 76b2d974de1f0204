package screen

import (
	"strconv"
	"strings"

	"github.com/muesli/termenv"
)

// Sequences the screen writes.
const (
	syncBegin   = "\x1b[?2026h" // synchronized output: the terminal shows the frame whole
	syncEnd     = "\x1b[?2026l"
	resetPen    = "\x1b[m"
	clearScreen = "\x1b[H\x1b[2J"
	eraseLine   = "\x1b[K" // to the end of the line, in the default background (the pen is reset first)
)

// screen is what the terminal shows, cell by cell, and turns each new
// frame into the bytes that change only the cells that differ.
//
// Lines whose text did not change are skipped after one string
// comparison; only changed lines are parsed into cells. In a changed line,
// runs of changed cells are written, joined when writing the few unchanged
// cells between them is cheaper than moving the cursor, and a blank end of
// line is erased with one sequence. Cursor moves take the shortest of
// absolute, relative, carriage-return and line-feed forms; pen changes the
// shorter of a reset or a difference. Nothing allocates once the screen
// has seen a frame of its size.
type screen struct {
	width, height int
	profile       termenv.Profile
	rows          []row // what the terminal shows
	next          row   // the changed line being parsed
	out           []byte

	// The terminal's cursor and pen as our writes left them. x is -1 when
	// the column is unknown: after the last column (a pending wrap) or
	// after a grapheme terminals may draw at another width.
	x, y     int
	pen      pen
	penKnown bool
	link     uint16 // the terminal's open hyperlink (0: none); closed at the end of every run written
	clear    bool   // the next frame starts by clearing the screen
	widths   widthCache
	links    linkTable
}

func newScreen(width, height int, profile termenv.Profile) *screen {
	s := &screen{profile: profile}
	s.resize(width, height)
	return s
}

// resize makes the screen width x height; the next frame is drawn whole
// on a cleared screen.
func (s *screen) resize(width, height int) {
	width, height = max(width, 0), max(height, 0)
	s.width, s.height = width, height
	if cap(s.rows) < height {
		s.rows = make([]row, height)
	}
	s.rows = s.rows[:height]
	for i := range s.rows {
		s.rows[i].clear(width)
	}
	s.redraw()
}

// redraw makes the next frame clear the screen and draw every cell.
func (s *screen) redraw() {
	s.clear = true
	s.x, s.y = -1, -1
	s.penKnown = false
}

// render returns the bytes that turn the terminal's screen into frame,
// wrapped in synchronized output; nil when nothing changed. The bytes are
// valid until the next call. frame is what a Bubble Tea View returns:
// lines joined by "\n"; like Bubble Tea's renderer, lines below the
// screen cut the top off and a line wider than the screen is cut.
func (s *screen) render(frame string) []byte {
	if s.links.full() {
		// Ids are about to be reused: forget what the terminal shows.
		s.links.reset()
		s.redraw()
	}
	s.out = append(s.out[:0], syncBegin...)
	body := len(s.out)
	if s.clear {
		s.out = append(s.out, resetPen...)
		s.out = append(s.out, clearScreen...)
		s.pen, s.penKnown = pen{}, true
		s.x, s.y = 0, 0
		for i := range s.rows {
			s.rows[i].clear(s.width) // blank, as the terminal now is
		}
		s.clear = false
	}
	// Like Bubble Tea's renderer: too many lines cut the top off.
	if extra := strings.Count(frame, "\n") + 1 - s.height; extra > 0 {
		for ; extra > 0; extra-- {
			frame = frame[strings.IndexByte(frame, '\n')+1:]
		}
	}
	for y := 0; y < s.height; y++ {
		line := frame
		if i := strings.IndexByte(frame, '\n'); i >= 0 {
			line, frame = frame[:i], frame[i+1:]
		} else {
			frame = ""
		}
		line = strings.TrimSuffix(line, "\r")
		r := &s.rows[y]
		if r.valid && string(r.text[:r.size]) == line {
			continue
		}
		s.next.parse(line, s.width, s.profile, &s.widths, &s.links)
		s.drawRow(y, r, &s.next)
		s.rows[y], s.next = s.next, s.rows[y]
	}
	if len(s.out) == body {
		return nil
	}
	s.out = append(s.out, syncEnd...)
	return s.out
}

// isBlank reports whether c is an empty cell in the default pen.
func isBlank(c *cell) bool { return *c == blank }

// drawRow writes what changes row y from old to new.
func (s *screen) drawRow(y int, old, new *row) {
	w := s.width
	// From uncertain on, the terminal's columns may not be ours: a change
	// there rewrites the line from that column to its end.
	u := old.uncertain
	if u < 0 || (new.uncertain >= 0 && new.uncertain < u) {
		u = new.uncertain
	}
	// tail: the first column of the blank end of the new line.
	tail := w
	for tail > 0 && isBlank(&new.cells[tail-1]) {
		tail--
	}
	x := 0
	for x < w {
		for x < w && sameCell(old, new, x) {
			x++
		}
		if x >= w {
			return
		}
		// A wide grapheme, on screen or to come, is written whole.
		start := x
		for start > 0 && (old.cells[start].width == 0 || new.cells[start].width == 0) {
			start--
		}
		end := x
		if u >= 0 && end >= u {
			start, end = min(start, u), w-1
		}
		for k := x + 1; k < w && end < w-1; {
			if !sameCell(old, new, k) {
				end = k
				k++
				continue
			}
			m := k // the unchanged run [k, m)
			for m < w && sameCell(old, new, m) {
				m++
			}
			if m == w {
				break
			}
			if u >= 0 && m >= u {
				end = w - 1
				break
			}
			if !s.cheaperToWrite(new, end, m) {
				break
			}
			end, k = m, m+1
		}
		for end+1 < w && (old.cells[end+1].width == 0 || new.cells[end+1].width == 0) {
			end++
		}
		if u >= 0 && end >= u {
			end = w - 1
		}
		s.drawSpan(y, new, start, end, tail, u >= 0 && end == w-1)
		x = end + 1
	}
}

// cheaperToWrite reports whether writing the unchanged cells after last
// up to the changed cell next costs fewer bytes than moving the cursor
// there.
func (s *screen) cheaperToWrite(r *row, last, next int) bool {
	gap := next - last - 1
	if gap > 12 {
		return false // a move never costs more than 12 bytes here
	}
	var buf [64]byte
	p := r.cells[last].pen
	jump := len(appendCUF(buf[:0], gap)) + len(appendSGR(buf[:0], p, true, r.cells[next].pen))
	write := 0
	for x := last + 1; x <= next; x++ {
		c := &r.cells[x]
		if c.width == 0 {
			continue
		}
		write += len(appendSGR(buf[:0], p, true, c.pen))
		p = c.pen
		if x < next {
			write += len(r.grapheme(c))
		}
		if write > jump {
			return false
		}
	}
	return true
}

// drawSpan writes cells start..end of r on row y. Where the span reaches
// the blank end of the line (from tail), it erases instead of writing
// spaces when that is shorter, or always when the line's widths are
// uncertain (the terminal's end of line may not be ours).
func (s *screen) drawSpan(y int, r *row, start, end, tail int, uncertain bool) {
	s.moveTo(start, y)
	stop := end + 1
	erase := false
	if from := max(start, tail); from <= end && (uncertain || end+1-from > len(eraseLine)) {
		stop, erase = from, true
	}
	for x := start; x < stop; x++ {
		c := &r.cells[x]
		if c.width == 0 {
			continue
		}
		s.setPen(c.pen)
		s.setLink(c.link)
		s.out = append(s.out, r.grapheme(c)...)
		if s.x >= 0 {
			s.x += int(c.width)
		}
		if r.uncertain >= 0 && x >= r.uncertain {
			s.x = -1 // the terminal may have drawn it at another width
		}
	}
	s.setLink(0) // never leave a link open across a move or an erase
	if s.x >= s.width {
		s.x = -1 // pending wrap: terminals differ about where the cursor is
	}
	if erase {
		s.setPen(pen{})
		s.out = append(s.out, eraseLine...)
	}
}

// moveTo moves the cursor to column x of row y by the shortest sequence.
func (s *screen) moveTo(x, y int) {
	if s.x == x && s.y == y {
		return
	}
	var best, try, crlf [48]byte
	seq := appendCUP(best[:0], x, y)
	if s.y >= 0 {
		cand := try[:0]
		switch dy := y - s.y; {
		case dy > 0:
			cand = appendColumnFrom(appendCSI(cand, dy, 'B'), s.x, x)
		case dy < 0:
			cand = appendColumnFrom(appendCSI(cand, -dy, 'A'), s.x, x)
		default:
			cand = appendColumnFrom(cand, s.x, x)
		}
		if len(cand) < len(seq) {
			seq = cand
		}
		if y == s.y+1 {
			// CR LF: right whether or not the terminal adds a CR to a LF,
			// and never on the last row (y is on the screen), so it never
			// scrolls.
			if cand := appendColumnFrom(append(crlf[:0], '\r', '\n'), 0, x); len(cand) < len(seq) {
				seq = cand
			}
		}
	}
	s.out = append(s.out, seq...)
	s.x, s.y = x, y
}

// appendColumnFrom appends the shortest move along the row from column
// from (-1: unknown) to column to.
func appendColumnFrom(dst []byte, from, to int) []byte {
	var best, try [24]byte
	seq := appendCSI(best[:0], to+1, 'G') // CHA: absolute column
	if to == 0 {
		seq = append(best[:0], '\r')
	} else if cand := appendCUF(append(try[:0], '\r'), to); len(cand) < len(seq) {
		seq = cand
	}
	if from >= 0 {
		var rel [24]byte
		cand := rel[:0]
		switch d := to - from; {
		case d == 0:
			return dst
		case d > 0:
			cand = appendCUF(cand, d)
		case d >= -2:
			cand = append(cand, "\b\b"[:-d]...)
		default:
			cand = appendCSI(cand, -d, 'D')
		}
		if len(cand) < len(seq) {
			seq = cand
		}
	}
	return append(dst, seq...)
}

// appendCUF appends "cursor forward n" (nothing for 0).
func appendCUF(dst []byte, n int) []byte {
	if n <= 0 {
		return dst
	}
	return appendCSI(dst, n, 'C')
}

// appendCSI appends ESC [ n final, leaving out n when it is 1.
func appendCSI(dst []byte, n int, final byte) []byte {
	dst = append(dst, '\x1b', '[')
	if n != 1 {
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	return append(dst, final)
}

// appendCUP appends the absolute move to column x of row y.
func appendCUP(dst []byte, x, y int) []byte {
	dst = append(dst, '\x1b', '[')
	if y > 0 || x > 0 {
		dst = strconv.AppendInt(dst, int64(y+1), 10)
	}
	if x > 0 {
		dst = append(dst, ';')
		dst = strconv.AppendInt(dst, int64(x+1), 10)
	}
	return append(dst, 'H')
}

// setLink opens the hyperlink id (0: closes the open one) with OSC 8.
func (s *screen) setLink(id uint16) {
	if s.link == id {
		return
	}
	if id != 0 {
		s.out = append(s.out, "\x1b]8;"...)
		s.out = append(s.out, s.links.url(id)...) // "params;uri"
	} else {
		s.out = append(s.out, "\x1b]8;;"...)
	}
	s.out = append(s.out, "\x1b\\"...)
	s.link = id
}

// setPen switches the terminal's pen to p.
func (s *screen) setPen(p pen) {
	if s.penKnown && s.pen == p {
		return
	}
	s.out = appendSGR(s.out, s.pen, s.penKnown, p)
	s.pen, s.penKnown = p, true
}

// appendSGR appends the shortest SGR sequence that changes the pen from
// (when known) to to: a reset and to's parameters, or only what differs.
func appendSGR(dst []byte, from pen, known bool, to pen) []byte {
	if known && from == to {
		return dst
	}
	if to == (pen{}) {
		return append(dst, resetPen...)
	}
	var full, diff [128]byte
	seq := appendPenParams(append(full[:0], "\x1b[0;"...), pen{}, to)
	seq[len(seq)-1] = 'm' // the last parameter's ';'
	if known {
		cand := appendPenParams(append(diff[:0], '\x1b', '['), from, to)
		cand[len(cand)-1] = 'm' // the last parameter's ';'
		if len(cand) < len(seq) {
			seq = cand
		}
	}
	return append(dst, seq...)
}

// appendPenParams appends the SGR parameters, each followed by ';', that
// turn from into to.
func appendPenParams(dst []byte, from, to pen) []byte {
	num := func(n int) { dst = append(strconv.AppendInt(dst, int64(n), 10), ';') }
	// Attributes turned off (22 ends both bold and faint, 25 both blinks;
	// one that stays is set again), then those turned on.
	off := from.attrs &^ to.attrs
	again := uint8(0)
	for code := 22; code < len(sgrAttrs); code++ {
		if c := sgrAttrs[code]; c.off&off != 0 {
			num(code)
			again |= c.off & to.attrs
		}
	}
	on := to.attrs&^from.attrs | again
	for code := 1; code < 10; code++ {
		if c := sgrAttrs[code]; c.on&on != 0 {
			num(code)
		}
	}
	if from.underline != to.underline {
		switch to.underline {
		case 0:
			num(24)
		case 1:
			num(4)
		default:
			dst = append(dst, '4', ':', '0'+to.underline, ';')
		}
	}
	if from.fg != to.fg {
		dst = appendColorParams(dst, to.fg, 30, 90, 38)
	}
	if from.bg != to.bg {
		dst = appendColorParams(dst, to.bg, 40, 100, 48)
	}
	if from.ul != to.ul {
		dst = appendColorParams(dst, to.ul, 0, 0, 58)
	}
	return dst
}

// appendColorParams appends the parameters that set a colour: base+n for
// the first 8 basic colours, bright+n-8 for the next 8, and ext (38, 48,
// 58) with 5;n or 2;r;g;b otherwise. ext+1 is the default colour.
func appendColorParams(dst []byte, c color, base, bright, ext int) []byte {
	num := func(n int) { dst = append(strconv.AppendInt(dst, int64(n), 10), ';') }
	v := int(c.value())
	switch c.kind() {
	case colorDefault:
		num(ext + 1)
	case kindBasic:
		switch {
		case base == 0: // the underline colour has no basic form
			num(ext)
			num(5)
			num(v)
		case v < 8:
			num(base + v)
		default:
			num(bright + v - 8)
		}
	case kindIndexed:
		num(ext)
		num(5)
		num(v)
	default:
		num(ext)
		num(2)
		num(v >> 16)
		num(v >> 8 & 0xff)
		num(v & 0xff)
	}
	return dst
}

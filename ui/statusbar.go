package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// statusBar is the bottom line: DEMO label, each feed's state, message
// rate, age of the last update, bad frames, the active filter and the
// market clock. Rebuilt in Update at each tick, but drawn (lipgloss) only
// when what it shows changed: update first lays it out as plain pieces
// and their styles, which cost no allocation, and compares them with the
// last drawn (most ticks change nothing the bar shows; at 100 SSH
// sessions drawing it every tick was a sixth of the server's CPU).
type statusBar struct {
	ctx  *programContext
	line string
	buf  []byte

	text  []byte   // the pieces' text, one after another
	segs  []barSeg // the pieces: a style and where its text ends
	drawn struct { // what line shows
		width  int
		pieces []drawnPiece // each piece as drawn
		spare  []drawnPiece // the slice before, reused
	}
}

// barStyle picks one of the bar's styles.
type barStyle uint8

const (
	barPlain barStyle = iota
	barMuted
	barWarning
	barGood
	barError
	barAccent
	barDemo
	barRight // the clock, after the padding
)

// barSeg is one piece of the bar: text[previous end:end] in style.
type barSeg struct {
	style barStyle
	end   int
}

// drawnPiece is a piece of the bar and how it was drawn.
type drawnPiece struct {
	style     barStyle
	text, out string
}

// add appends a piece of text in style.
func (s *statusBar) add(style barStyle, text ...string) {
	for _, t := range text {
		s.text = append(s.text, t...)
	}
	s.segs = append(s.segs, barSeg{style, len(s.text)})
}

// addBytes appends a piece of text in style.
func (s *statusBar) addBytes(style barStyle, text []byte) {
	s.text = append(s.text, text...)
	s.segs = append(s.segs, barSeg{style, len(s.text)})
}

// sep appends the separator between groups.
func (s *statusBar) sep() { s.add(barMuted, " │ ") }

// statusInfo is what the bar shows besides the snapshot.
type statusInfo struct {
	filter        string
	shown, total  int
	sortBy        sortKey
	desc          bool
	detailLoading bool
	announce      string // news for the status line ("SOL turned bullish at …"), sanitised
	announceDir   int    // > 0 good news, < 0 bad, 0 neither
	announceMark  string // the glyph before it ("✦ "); "" when announce starts with its own
	readOnly      string // why the user's changes are not saved; "" when they are
	anonymous     bool   // a session with no user: read only, no records
	hidden        bool   // balances are hidden
}

func (s *statusBar) update(snap *model.Snapshot, info statusInfo) {
	s.text, s.segs = s.text[:0], s.segs[:0]
	if s.ctx.opts.Demo {
		s.add(barDemo, " DEMO ")
	}
	s.add(barPlain, " ")
	if info.announce != "" {
		style := barAccent
		switch {
		case info.announceDir > 0:
			style = barGood
		case info.announceDir < 0:
			style = barError
		}
		s.add(style, info.announceMark, info.announce)
		s.sep()
	}
	switch {
	case info.anonymous:
		s.add(barWarning, "read-only: ", anonymousReason)
		s.sep()
	case info.readOnly != "":
		s.add(barWarning, "not saving: ", safetext.Line(info.readOnly, maxShown))
		s.sep()
	}
	if info.hidden {
		s.add(barMuted, "balances hidden")
		s.sep()
	}
	if snap == nil {
		s.add(barWarning, "● connecting…")
	} else {
		if snap.WarmTokens > 0 && !snap.WarmSaved.IsZero() {
			// Warm start: some history is still the cache's, until the
			// feeds fill the gap after it.
			b := append(s.buf[:0], "◷ "...)
			b = appendInt(b, int64(snap.WarmTokens))
			b = append(b, " from cache "...)
			b = appendAge(b, max(s.ctx.now.Sub(snap.WarmSaved), 0))
			b = append(b, " old"...)
			s.addBytes(barWarning, b)
			s.sep()
			s.buf = b
		}
		for _, f := range snap.Feeds.All() {
			if f.History == "" {
				continue
			}
			// A failed history fetch, said even while the feed is live (the
			// charts and changes lack that history until the retry), first
			// so that it shows at 80 columns.
			h := model.FeedStatus{History: clipWords(safetext.Line(f.History, maxShown), 26), HistoryRetryAt: f.HistoryRetryAt}
			s.add(barWarning, safetext.Line(f.Name, maxShown), " ", h.DescribeHistory(s.ctx.now))
			s.sep()
		}
		bad := uint64(0)
		for i, f := range snap.Feeds.All() {
			if i > 0 {
				s.add(barPlain, "  ")
			}
			dot := barWarning
			switch f.State {
			case model.FeedLive:
				dot = barGood
			case model.FeedStopped:
				dot = barError
			}
			s.add(dot, "●")
			s.add(barPlain, " ", safetext.Line(f.Name, maxShown), " ", f.StateWords(s.ctx.now))
			if f.State != model.FeedLive && f.State != model.FeedQuiet && f.Reason != "" {
				s.add(barMuted, " (", clipWords(safetext.Line(f.Reason, maxShown), 40), ")")
			}
			bad += f.Bad
		}

		if snap.Feeds.Len() == 0 {
			s.add(barMuted, "no feeds")
		}
		b := s.buf[:0]
		b = appendRate(b, snap.MsgPerSec)
		b = append(b, " msg/s"...)
		s.sep()
		s.addBytes(barPlain, b)
		b = b[:0]
		if snap.LastEvent.IsZero() {
			b = append(b, "no updates yet"...)
		} else {
			b = append(b, "updated "...)
			b = appendAge(b, s.ctx.now.Sub(snap.LastEvent))
			b = append(b, " ago"...)
		}
		s.sep()
		s.addBytes(barPlain, b)
		// Frames the feeds skipped, and events (values) the hub refused:
		// malformed, from the future, implausible numbers.
		bad += snap.BadEvents
		if bad > 0 {
			b = appendInt(b[:0], int64(min(bad, 1<<52)))
			b = append(b, " bad frames"...)
			s.sep()
			s.addBytes(barWarning, b)
		}
		s.buf = b
	}
	if info.filter != "" {
		s.sep()
		b := append(s.buf[:0], "filter \""...)
		b = append(b, info.filter...)
		b = append(b, "\" "...)
		b = strconv.AppendInt(b, int64(info.shown), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(info.total), 10)
		s.addBytes(barPlain, b)
		s.buf = b
	}
	if !s.ctx.now.IsZero() {
		b := s.ctx.now.AppendFormat(s.buf[:0], "15:04:05")
		b = append(b, ' ')
		s.addBytes(barRight, b)
		s.buf = b
	}
	s.draw()
}

// draw renders the pieces into line, unless they are what line shows.
func (s *statusBar) draw() {
	w := s.ctx.width
	d := &s.drawn
	if s.line != "" && d.width == w && s.drawnAsIs() {
		return
	}
	st := &s.ctx.styles
	styles := [...]*lipgloss.Style{barPlain: &st.Bar, barMuted: &st.BarMuted, barWarning: &st.BarWarning,
		barGood: &st.BarGood, barError: &st.BarError, barAccent: &st.BarAccent, barDemo: &st.Demo, barRight: &st.Bar}
	// A piece drawn last time in the same place, style and words is taken
	// as it was drawn: a tick usually changes one piece (the age of the
	// last update), not the dozen around it.
	var left strings.Builder
	right := ""
	from := 0
	prev := d.pieces
	d.pieces = d.spare[:0]
	for i, g := range s.segs {
		raw := s.text[from:g.end]
		from = g.end
		var out string
		if i < len(prev) && prev[i].style == g.style && prev[i].text == string(raw) {
			out = prev[i].out
			d.pieces = append(d.pieces, prev[i])
		} else {
			text := string(raw)
			out = styles[g.style].Render(text)
			d.pieces = append(d.pieces, drawnPiece{g.style, text, out})
		}
		if g.style == barRight {
			right += out
			continue
		}
		left.WriteString(out)
	}
	d.spare = prev
	s.line = barJoin(st.Bar, left.String(), right, w)
	d.width = w
}

// drawnAsIs reports whether every piece is the one drawn last time in
// its place: the same style and words.
func (s *statusBar) drawnAsIs() bool {
	prev := s.drawn.pieces
	if len(prev) != len(s.segs) {
		return false
	}
	from := 0
	for i, g := range s.segs {
		if prev[i].style != g.style || prev[i].text != string(s.text[from:g.end]) {
			return false
		}
		from = g.end
	}
	return true
}

// clipWords cuts text to at most n cells, with an ellipsis when cut.
func clipWords(text string, n int) string {
	if textWidth(text) <= n {
		return text
	}
	return fitLine(text, n-1) + "…"
}

// appendRate writes a message rate: 12.3 below 100, whole numbers above.
func appendRate(b []byte, r float64) []byte {
	switch {
	case bad(r) || r < 0:
		return append(b, unknown...)
	case r < 100:
		return strconv.AppendFloat(b, r, 'f', 1, 64)
	case r >= 9999.5: // 10.0K: never wider than 7 cells
		return appendCompact(b, r)
	}
	return appendFixed(b, r, 0)
}

// barJoin fills w cells with left, bar-coloured padding and right.
func barJoin(bar lipgloss.Style, left, right string, w int) string {
	lw, rw := lipgloss.Width(left), lipgloss.Width(right)
	if lw+rw > w && w-rw >= 2 {
		// Cut the left part with an ellipsis and keep a space before the
		// right part, so the two never run together.
		left = fitLine(left, w-rw-2) + bar.Render("… ")
		lw = lipgloss.Width(left)
	}
	if lw+rw > w {
		return fitLine(left, w)
	}
	return left + bar.Render(strings.Repeat(" ", w-lw-rw)) + right
}

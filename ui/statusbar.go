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
// market clock. Rebuilt in Update at each tick.
type statusBar struct {
	ctx  *programContext
	line string
	buf  []byte
}

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
	st := s.ctx.styles
	w := s.ctx.width
	sep := st.BarMuted.Render(" │ ")
	var left strings.Builder
	if s.ctx.opts.Demo {
		left.WriteString(st.Demo.Render(" DEMO "))
		left.WriteString(st.Bar.Render(" "))
	} else {
		left.WriteString(st.Bar.Render(" "))
	}
	if info.announce != "" {
		style := st.BarAccent
		switch {
		case info.announceDir > 0:
			style = st.BarGood
		case info.announceDir < 0:
			style = st.BarError
		}
		left.WriteString(style.Render(info.announceMark + info.announce))
		left.WriteString(sep)
	}
	switch {
	case info.anonymous:
		left.WriteString(st.BarWarning.Render("read-only: " + anonymousReason))
		left.WriteString(sep)
	case info.readOnly != "":
		left.WriteString(st.BarWarning.Render("not saving: " + safetext.Line(info.readOnly, maxShown)))
		left.WriteString(sep)
	}
	if info.hidden {
		left.WriteString(st.BarMuted.Render("balances hidden"))
		left.WriteString(sep)
	}
	if snap == nil {
		left.WriteString(st.BarWarning.Render("● connecting…"))
	} else {
		if snap.WarmTokens > 0 && !snap.WarmSaved.IsZero() {
			// Warm start: some history is still the cache's, until the
			// feeds fill the gap after it.
			b := append(s.buf[:0], "◷ "...)
			b = appendInt(b, int64(snap.WarmTokens))
			b = append(b, " from cache "...)
			b = appendAge(b, max(s.ctx.now.Sub(snap.WarmSaved), 0))
			b = append(b, " old"...)
			left.WriteString(st.BarWarning.Render(string(b)) + sep)
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
			left.WriteString(st.BarWarning.Render(safetext.Line(f.Name, maxShown)+" "+h.DescribeHistory(s.ctx.now)) + sep)
		}
		bad := uint64(0)
		for i, f := range snap.Feeds.All() {
			if i > 0 {
				left.WriteString(st.Bar.Render("  "))
			}
			dot := st.BarWarning
			switch f.State {
			case model.FeedLive:
				dot = st.BarGood
			case model.FeedStopped:
				dot = st.BarError
			}
			left.WriteString(dot.Render("●"))
			left.WriteString(st.Bar.Render(" " + safetext.Line(f.Name, maxShown) + " " + f.StateWords(s.ctx.now)))
			if f.State != model.FeedLive && f.State != model.FeedQuiet && f.Reason != "" {
				left.WriteString(st.BarMuted.Render(" (" + clipWords(safetext.Line(f.Reason, maxShown), 40) + ")"))
			}
			bad += f.Bad
		}

		if snap.Feeds.Len() == 0 {
			left.WriteString(st.BarMuted.Render("no feeds"))
		}
		b := s.buf[:0]
		b = appendRate(b, snap.MsgPerSec)
		b = append(b, " msg/s"...)
		left.WriteString(sep + st.Bar.Render(string(b)))
		b = b[:0]
		if snap.LastEvent.IsZero() {
			b = append(b, "no updates yet"...)
		} else {
			b = append(b, "updated "...)
			b = appendAge(b, s.ctx.now.Sub(snap.LastEvent))
			b = append(b, " ago"...)
		}
		left.WriteString(sep + st.Bar.Render(string(b)))
		// Frames the feeds skipped, and events (values) the hub refused:
		// malformed, from the future, implausible numbers.
		bad += snap.BadEvents
		if bad > 0 {
			b = appendInt(b[:0], int64(min(bad, 1<<52)))
			b = append(b, " bad frames"...)
			left.WriteString(sep + st.BarWarning.Render(string(b)))
		}
		s.buf = b
	}
	if info.filter != "" {
		left.WriteString(sep + st.Bar.Render("filter \""+info.filter+"\" "+
			strconv.Itoa(info.shown)+"/"+strconv.Itoa(info.total)))
	}
	var right string
	if !s.ctx.now.IsZero() {
		right = st.Bar.Render(s.ctx.now.Format("15:04:05") + " ")
	}
	s.line = barJoin(st.Bar, left.String(), right, w)
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

package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// programContext is what every component shares: the options, styles and
// keys of this program, the window size and the market time of the last
// tick. Components read it; only the root writes it.
type programContext struct {
	opts   Options
	styles Styles
	keys   KeyMap

	width, height int       // the whole window
	now           time.Time // market clock at the last tick (read in Update only)
	ticks         uint64    // render ticks since start: wall time for highlights
}

// highlightTicks is how many render ticks a row highlight (signal flip, new
// moonshot) lasts; 0 when highlights are off.
func (c *programContext) highlightTicks() uint64 {
	h := c.opts.Highlight
	if h <= 0 {
		return 0
	}
	return uint64(max(int64(h)*int64(c.opts.RefreshHz)/int64(time.Second), 1))
}

// announceTicks is how many render ticks an announcement stays in the
// status line.
func (c *programContext) announceTicks() uint64 {
	return uint64(max(int64(c.opts.Announce)*int64(c.opts.RefreshHz)/int64(time.Second), 1))
}

// fitLine pads or cuts s (which may hold escape sequences) to exactly w
// cells. For Update-time use: it may allocate.
func fitLine(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	sw := lipgloss.Width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "")
		sw = lipgloss.Width(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// fitLines splits a block into exactly h lines of exactly w cells.
func fitLines(block string, w, h int) []string {
	out := make([]string, h)
	lines := strings.Split(block, "\n")
	for i := range out {
		if i < len(lines) {
			out[i] = fitLine(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", max(w, 0))
		}
	}
	return out
}

// joinSides puts left and right side by side with gap between them and fits
// the result to w cells.
func joinSides(left, right string, w int) string {
	lw, rw := lipgloss.Width(left), lipgloss.Width(right)
	if lw+rw+1 > w {
		left = fitLine(left, max(w-rw-1, 0))
		lw = lipgloss.Width(left)
	}
	pad := w - lw - rw
	if pad < 0 {
		return fitLine(left+right, w)
	}
	return left + strings.Repeat(" ", pad) + right
}

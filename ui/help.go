package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/tokentop/tokentop/internal/safetext"
)

// helpView holds the one-line help under the table and the full help page,
// both rendered in Update when the size or the enabled keys change.
type helpView struct {
	ctx   *programContext
	model help.Model
	short string   // exactly the window width
	form  string   // the one-line help while a form is open
	page  []string // exactly the body size
}

func newHelpView(ctx *programContext) *helpView {
	// Not help.New: its default styles are bound to lipgloss's
	// process-wide renderer. Every style here is the session's.
	m := help.Model{ShortSeparator: " · ", FullSeparator: "    ", Ellipsis: "…", Styles: ctx.styles.Help}
	return &helpView{ctx: ctx, model: m}
}

// render redraws the short line and the full page for a body of w x h.
func (hv *helpView) render(w, h int) {
	hv.model.Width = w
	hv.short = fitLine(hv.model.ShortHelpView(hv.ctx.keys.ShortHelp()), w)
	hv.form = fitLine(hv.model.ShortHelpView(hv.ctx.keys.FormHelp()), w)

	all := hv.ctx.keys.allEnabled() // the page lists every key, whatever the view
	st := hv.ctx.styles
	var b strings.Builder
	b.WriteString(st.HelpTitle.Render(" tokentop keys"))
	if v := hv.ctx.opts.Version; v != "" {
		b.WriteString(st.Muted.Render("  " + safetext.Line(v, maxShown)))
	}
	b.WriteString("\n\n")
	for _, line := range strings.Split(hv.fullKeys(all.FullHelp(), helpGroupTitles(), w-1), "\n") {
		b.WriteString(" " + line + "\n")
	}
	keys := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	legend := flow([]string{"▸ cursor", "▲ ▼ price just ticked up / down", "◌ no update for a while",
		"◆ whale trade", "✦ signal flip or new moonshot", "★ watched"}, "    ", w-2)
	legend = append(legend, flow([]string{"signal:", "▲ bull,", "■ neut(ral),", "▼ bear;", "grades 0-100,",
		"— not enough history yet"}, " ", w-2)...)
	legend = append(legend, flow([]string{"changes are signed:", "+1.23% up,", "-0.45% down,", "— unknown;",
		"••••• a hidden balance"}, " ", w-2)...)
	// The keys come first; the legend takes what is left, and the last
	// line always says how to leave.
	room := h - len(keys) - 2 // a blank line, then the closing line
	if room < len(legend) {
		legend = legend[:max(room, 0)]
	}
	lines := keys
	lines = append(lines, "")
	for _, l := range legend {
		lines = append(lines, " "+st.Muted.Render(l))
	}
	closer := "esc closes this page"
	if k := firstKey(hv.ctx.keys.Help); k != "" {
		closer = k + " or " + closer
	}
	lines = append(lines, " "+st.Muted.Render(closer))
	hv.page = fitLines(strings.Join(lines, "\n"), w, h)
}

// flow joins items with sep into lines at most width cells wide, starting a
// new line rather than cutting an item.
func flow(items []string, sep string, width int) []string {
	var lines []string
	cur := ""
	for _, it := range items {
		switch {
		case cur == "":
			cur = it
		case lipgloss.Width(cur+sep+it) <= width:
			cur += sep + it
		default:
			lines = append(lines, cur)
			cur = it
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// fullKeys lays out the key groups as columns side by side, each under
// its title, starting a new row of columns (after a blank line) when the
// next group would not fit in w cells, so no key is ever cut off on a
// narrow terminal. A title equal to the one before it in the same row is
// left blank: the two columns read as one group.
func (hv *helpView) fullKeys(groups [][]key.Binding, titles []string, w int) string {
	const gap = "   "
	st := hv.ctx.styles
	m := hv.model
	m.Width = 0 // no truncation: the groups are placed to fit instead
	var rows []string
	var row, heads []string
	rowW, last := 0, ""
	flush := func() {
		if len(row) == 0 {
			return
		}
		rows = append(rows, strings.Join(heads, "")+"\n"+lipgloss.JoinHorizontal(lipgloss.Top, row...))
		row, heads, rowW, last = nil, nil, 0, ""
	}
	for i, g := range groups {
		col := m.FullHelpView([][]key.Binding{g})
		title := ""
		if i < len(titles) {
			title = titles[i]
		}
		cw := max(lipgloss.Width(col), len(title))
		if len(row) > 0 && rowW+len(gap)+cw > w {
			flush()
		}
		if len(row) > 0 {
			row = append(row, gap)
			heads = append(heads, gap)
			rowW += len(gap)
		}
		head := title
		if title == last {
			head = ""
		}
		last = title
		row = append(row, hv.ctx.opts.Renderer.PlaceHorizontal(cw, lipgloss.Left, col))
		heads = append(heads, st.Section.Render(head)+strings.Repeat(" ", cw-len(head)))
		rowW += cw
	}
	flush()
	return strings.Join(rows, "\n\n")
}

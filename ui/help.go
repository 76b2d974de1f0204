package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// helpView holds the one-line help under the table and the full help page,
// both rendered in Update when the size or the enabled keys change.
type helpView struct {
	ctx   *programContext
	model help.Model
	short string   // exactly the window width
	page  []string // exactly the body size
}

func newHelpView(ctx *programContext) *helpView {
	m := help.New()
	m.Styles = ctx.styles.Help
	m.ShortSeparator = " · "
	return &helpView{ctx: ctx, model: m}
}

// render redraws the short line and the full page for a body of w x h.
func (hv *helpView) render(w, h int) {
	hv.model.Width = w
	hv.short = fitLine(hv.model.ShortHelpView(hv.ctx.keys.ShortHelp()), w)

	all := hv.ctx.keys // a copy: the page lists every key, open pane or not
	all.setDetail(true)
	st := hv.ctx.styles
	var b strings.Builder
	b.WriteString(st.HelpTitle.Render(" tokentop keys"))
	if v := hv.ctx.opts.Version; v != "" {
		b.WriteString(st.Muted.Render("  " + Sanitize(v)))
	}
	b.WriteString("\n\n")
	for _, line := range strings.Split(hv.fullKeys(all.FullHelp(), w-1), "\n") {
		b.WriteString(" " + line + "\n")
	}
	b.WriteString("\n")
	legend := flow([]string{"▸ cursor", "▲ ▼ price just ticked up / down", "◌ no update for a while",
		"◆ whale trade", "✦ signal flip or new moonshot"}, "    ", w-2)
	legend = append(legend, flow([]string{"signal:", "▲ bull,", "■ neut(ral),", "▼ bear;", "grades 0-100,",
		"— not enough history yet"}, " ", w-2)...)
	legend = append(legend, flow([]string{"changes are signed:", "+1.23% up,", "-0.45% down,", "— unknown"}, " ", w-2)...)
	legend = append(legend, "", "? or esc closes this page")
	for _, l := range legend {
		b.WriteString(" " + st.Muted.Render(l) + "\n")
	}
	hv.page = fitLines(b.String(), w, h)
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

// fullKeys lays out the key groups as columns side by side, starting a new
// row of columns (after a blank line) when the next group would not fit in
// w cells, so no key is ever cut off on a narrow terminal.
func (hv *helpView) fullKeys(groups [][]key.Binding, w int) string {
	const gap = "    "
	m := hv.model
	m.Width = 0 // no truncation: the groups are placed to fit instead
	var rows []string
	var row []string
	rowW := 0
	for _, g := range groups {
		col := m.FullHelpView([][]key.Binding{g})
		cw := lipgloss.Width(col)
		if len(row) > 0 && rowW+len(gap)+cw > w {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, rowW = nil, 0
		}
		if len(row) > 0 {
			row = append(row, gap)
			rowW += len(gap)
		}
		row = append(row, col)
		rowW += cw
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	return strings.Join(rows, "\n\n")
}

package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
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
	for _, line := range strings.Split(hv.model.FullHelpView(all.FullHelp()), "\n") {
		b.WriteString(" " + line + "\n")
	}
	b.WriteString("\n")
	legend := []string{
		"▸ cursor    ▲ ▼ price just ticked up / down    ◌ no update for a while    ◆ whale trade",
		"changes are signed: +1.23% up, -0.45% down, — unknown",
		"",
		"? or esc closes this page",
	}
	for _, l := range legend {
		b.WriteString(" " + st.Muted.Render(l) + "\n")
	}
	hv.page = fitLines(b.String(), w, h)
}

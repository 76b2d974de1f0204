package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// The detail pane's ratings: a two-line summary under the stats in the
// chart sub-view, and the full ratings page (f): each grade with its band
// and changes, every factor with its raw value, score bar, weight and
// points, the official grades beside ours, and the signal history with
// outcomes. Built in Update when the token changes.

const maxFlipsShown = 50

// ratingsTabsLine is the ratings page's second line: the sub-view name and
// where the page is scrolled.
func (d *detail) ratingsTabsLine() string {
	st := &d.ctx.styles
	left := st.TabInactive.Render(" chart ") + " " + st.TabActive.Render("[ratings]") + st.Muted.Render("  f: chart")
	var right string
	if n, shown := len(d.page), d.height-2; n > shown && shown > 0 {
		end := min(d.ratingsOffset+shown, n)
		right = st.Muted.Render("lines " + strconv.Itoa(d.ratingsOffset+1) + "-" + strconv.Itoa(end) +
			" of " + strconv.Itoa(n))
		if end < n {
			right += st.Muted.Render(" ↓")
		}
	}
	return joinSides(left, right, d.width)
}

// gradeSummary is "Trader 72 Bullish +5.0 24h" (or "Trader —"); without
// the change when compact.
func (d *detail) gradeSummary(label string, g model.Grade, compact bool) string {
	st := &d.ctx.styles
	var b []byte
	b = appendGrade(b, g.Value)
	out := st.Label.Render(label+" ") + bandStyle(st, g).Bold(true).Render(string(b))
	if !g.Present() {
		return out
	}
	out += " " + bandStyle(st, g).Render(g.Band.String())
	if !bad(g.Change24h) && !compact {
		b = appendGradeChange(b[:0], g.Change24h)
		out += " " + changeStyle(st, g.Change24h).Render(string(b)) + st.Muted.Render(" 24h")
	}
	return out
}

// ratingsSummary is the chart sub-view's two ratings lines: our grades and
// signal; then the official grades, or the last flip, or a hint.
func (d *detail) ratingsSummary() []string {
	st := &d.ctx.styles
	tok := d.tok
	if tok == nil {
		return []string{"", ""}
	}
	// The signal first (it is what moves), then both grades with their 24h
	// change, or without it when the pane is narrow.
	var first string
	for _, compact := range []bool{false, true} {
		first = ""
		if tok.TraderGrade.Present() {
			first = signalStyle(st, tok.Signal).Bold(true).Render(signalLabel(tok.Signal)) + st.Muted.Render(" · ")
		}
		first += d.gradeSummary("Trader", tok.TraderGrade, compact) + st.Muted.Render(" · ") +
			d.gradeSummary("Investor", tok.InvestorGrade, compact)
		if lipgloss.Width(first) <= d.width {
			break
		}
	}
	var second string
	switch {
	case tok.Official != nil:
		second = d.officialLine(tok.Official)
	case tok.Signals.Len() > 0:
		second = st.Label.Render("Last flip ") + d.flipSummary(tok.Signals.At(0))
	case !tok.TraderGrade.Present() && tok.TraderGrade.Reason != "":
		second = st.Muted.Render("No grade yet: " + safetext.Line(tok.TraderGrade.Reason, maxShown))
	default:
		second = st.Muted.Render("No signal flips yet")
		if k := firstKey(d.ctx.keys.Factors); k != "" {
			second = st.Muted.Render("No signal flips yet · " + k + " shows each grade's factors")
		}
	}
	return []string{first, second}
}

// flipSummary is "neutral → bullish Mar 14 12:00 at 212.19 (grade 68), +3.21% since".
func (d *detail) flipSummary(f model.SignalFlip) string {
	st := &d.ctx.styles
	var b []byte
	b = appendWhen(b, f.Time, d.ctx.now.Location())
	out := signalStyle(st, f.To).Render(f.From.String()+" → "+f.To.String()) + " " + st.Muted.Render(string(b))
	b = appendPrice(b[:0], f.Price)
	out += st.Muted.Render(" at ") + st.Text.Render(string(b))
	b = appendGrade(b[:0], f.Grade)
	out += st.Muted.Render(" (grade " + string(b) + ")")
	if !bad(f.Return) {
		b = appendROI(b[:0], f.Return)
		out += st.Muted.Render(", ") + changeStyle(st, f.Return).Render(string(b)) + st.Muted.Render(" since")
	}
	return out
}

// officialLine is "Token Metrics: TM Grade 72 · Trader 64 · Investor 58 ·
// ▲ bullish · 2h ago"; grades the provider did not serve are left out.
func (d *detail) officialLine(o *model.OfficialRating) string {
	st := &d.ctx.styles
	name := safetext.Line(o.Provider, maxShown)
	if name == "" {
		name = "Official"
	}
	parts := make([]string, 0, 5)
	var b []byte
	for _, g := range []struct {
		label string
		v     float64
	}{{"TM Grade", o.TMGrade}, {"Trader", o.TraderGrade}, {"Investor", o.InvestorGrade}} {
		if bad(g.v) {
			continue
		}
		b = appendGrade(b[:0], g.v)
		parts = append(parts, st.Label.Render(g.label+" ")+gradeValueStyle(st, g.v).Render(string(b)))
	}
	if o.HasSignal {
		parts = append(parts, signalStyle(st, o.Signal).Render(signalLabel(o.Signal)))
	}
	if !o.Updated.IsZero() {
		b = appendAge(b[:0], d.ctx.now.Sub(o.Updated))
		parts = append(parts, st.Muted.Render("updated "+string(b)+" ago"))
	}
	if len(parts) == 0 {
		parts = append(parts, st.Muted.Render("no grades served"))
	}
	return st.Title.Render(name+":") + " " + strings.Join(parts, st.Muted.Render(" · "))
}

// ratingsPage is the full ratings sub-view, one string per line.
func (d *detail) ratingsPage() []string {
	st := &d.ctx.styles
	tok := d.tok
	if tok == nil {
		return []string{st.Muted.Render("no token selected")}
	}
	var out []string
	out = append(out, d.gradeLine("Trader Grade", tok.TraderGrade), d.gradeLine("Investor Grade", tok.InvestorGrade))
	if tok.TraderGrade.Present() {
		out = append(out, st.Label.Render(padRight("Signal", 20))+signalStyle(st, tok.Signal).Bold(true).Render(signalLabel(tok.Signal)))
	}
	if tok.Official != nil {
		out = append(out, d.officialLine(tok.Official))
	}
	out = append(out, d.section("Trader Grade factors"))
	out = append(out, d.factorBlock(tok.TraderGrade)...)
	out = append(out, d.section("Investor Grade factors"))
	out = append(out, d.factorBlock(tok.InvestorGrade)...)
	out = append(out, d.section("Signal history"))
	out = append(out, d.signalBlock()...)
	return out
}

func padRight(s string, w int) string {
	if n := textWidth(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// gradeLine is "Trader Grade    72  Bullish         24h +5.0   7d -3.2", or
// the reason an absent grade is absent.
func (d *detail) gradeLine(label string, g model.Grade) string {
	st := &d.ctx.styles
	var b []byte
	b = appendGrade(b, g.Value)
	out := st.Label.Render(padRight(label, 15)) + bandStyle(st, g).Bold(true).Render(padLeft(string(b), 3))
	if !g.Present() {
		reason := safetext.Line(g.Reason, maxShown)
		if reason == "" {
			reason = "not enough data yet"
		}
		return out + "  " + st.Muted.Render(reason)
	}
	out += "  " + bandStyle(st, g).Render(padRight(g.Band.String(), 16))
	b = appendGradeChange(b[:0], g.Change24h)
	out += st.Label.Render("24h ") + changeStyle(st, g.Change24h).Render(padLeft(string(b), 6))
	b = appendGradeChange(b[:0], g.Change7d)
	out += st.Label.Render("   7d ") + changeStyle(st, g.Change7d).Render(padLeft(string(b), 6))
	return out
}

func padLeft(s string, w int) string {
	if n := textWidth(s); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return s
}

// factorBlock is one grade's factors: a header and one line each.
func (d *detail) factorBlock(g model.Grade) []string {
	st := &d.ctx.styles
	if !g.Present() && g.Factors.Len() == 0 {
		reason := safetext.Line(g.Reason, maxShown)
		if reason == "" {
			reason = "not enough data yet"
		}
		return []string{st.Muted.Render("— " + reason)}
	}
	const nameW, rawW, scoreW, weightW, pointsW = 18, 9, 4, 7, 7
	barW := min(max(d.width-nameW-rawW-scoreW-weightW-pointsW-4, 5), 30)
	b := appendCellString(nil, span{}, "Factor", nameW, false)
	b = appendCellString(b, span{}, "Value", rawW, true)
	b = append(b, "  "...)
	b = appendCellString(b, span{}, "Score", barW+1+scoreW, false)
	b = appendCellString(b, span{}, "Weight", weightW, true)
	b = appendCellString(b, span{}, "Points", pointsW, true)
	out := []string{st.Label.Render(string(b))}
	var num []byte
	for _, f := range g.Factors.All() {
		b = appendCellString(b[:0], span{}, safetext.Line(f.Name, maxShown), nameW, false)
		name := string(b)
		num = appendFactorRaw(num[:0], f)
		b = appendCellBytes(b[:0], span{}, num, rawW, true)
		raw := string(b)
		b = appendBar(b[:0], f.Score, barW)
		bar := string(b)
		num = appendGrade(num[:0], f.Score)
		b = appendCellBytes(b[:0], span{}, num, scoreW, true)
		score := string(b)
		num = appendWeight(num[:0], f.Weight)
		b = appendCellBytes(b[:0], span{}, num, weightW, true)
		num = appendPoints(num[:0], f.Contribution)
		b = appendCellBytes(b, span{}, num, pointsW, true)
		out = append(out, st.Text.Render(name)+st.Text.Render(raw)+"  "+
			gradeValueStyle(st, f.Score).Render(bar)+st.Muted.Render(" "+score)+st.Text.Render(string(b)))
	}
	if g.Present() {
		var pts []byte
		pts = appendGrade(pts, g.Value)
		out = append(out, st.Muted.Render("points add up to the grade: "+string(pts)))
	}
	return out
}

// signalBlock is the signal's flips, newest first, with their outcomes
// (the move since the flip, signed in the direction of the call).
func (d *detail) signalBlock() []string {
	st := &d.ctx.styles
	tok := d.tok
	if tok.Signals.Len() == 0 {
		return []string{st.Muted.Render("No signal flips yet.")}
	}
	const whenW, callW, priceW, gradeW, outW = 12, 19, 14, 6, 9
	b := appendCellString(nil, span{}, "When", whenW, false)
	b = append(b, "  "...)
	b = appendCellString(b, span{}, "Call", callW, false)
	b = appendCellString(b, span{}, "Price", priceW, true)
	b = appendCellString(b, span{}, "Grade", gradeW, true)
	b = appendCellString(b, span{}, "Outcome", outW, true)
	out := []string{st.Label.Render(string(b))}
	loc := d.ctx.now.Location()
	var num []byte
	for i, f := range tok.Signals.All() {
		if i >= maxFlipsShown {
			out = append(out, st.Muted.Render("… "+strconv.Itoa(tok.Signals.Len()-i)+" older flips"))
			break
		}
		b = appendWhen(b[:0], f.Time, loc)
		when := string(appendCellBytes(nil, span{}, b, whenW, false))
		call := string(appendCellString(nil, span{}, f.From.String()+" → "+f.To.String(), callW, false))
		num = appendPrice(num[:0], f.Price)
		b = appendCellBytes(b[:0], span{}, num, priceW, true)
		num = appendGrade(num[:0], f.Grade)
		b = appendCellBytes(b, span{}, num, gradeW, true)
		mid := string(b)
		num = appendROI(num[:0], f.Return)
		res := string(appendCellBytes(nil, span{}, num, outW, true))
		out = append(out, st.Muted.Render(when)+"  "+signalStyle(st, f.To).Render(call)+st.Text.Render(mid)+
			changeStyle(st, f.Return).Render(res))
	}
	out = append(out, st.Muted.Render("Outcome: the move since the flip (to the next one, or now); + when the call was right."))
	return out
}

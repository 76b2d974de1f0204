package ui

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokentop/tokentop/internal/safetext"
)

// The form component: a small bordered box of labelled fields the trader
// fills in (a lot, an alert, a watchlist name). Text fields take typing and
// paste; choice fields cycle with left/right/space. Submit validates and
// applies through a callback; anything wrong is shown beside its field with
// a "✗" and the form stays open with everything typed. The root keeps a
// cancelled form as a draft by its id, so nothing typed is ever lost.

// fieldKind is what a form field holds.
type fieldKind uint8

const (
	fieldText fieldKind = iota
	fieldChoice
)

// defaultFieldLen bounds a text field when MaxLen is 0.
const defaultFieldLen = 40

// formField is one labelled input of a form.
type formField struct {
	Label   string // "Quantity"
	Key     string // "quantity": matches model.FieldError.Field
	Kind    fieldKind
	Value   string   // what was typed (text fields); kept across errors and esc
	Choices []string // choice fields: left/right/space cycle
	Choice  int
	Hint    string // muted, after the input when there is no error: "USD per unit"
	Err     string // shown beside the field in the error style, with a "✗" glyph
	Hidden  bool   // not shown and skipped by focus
	MaxLen  int    // runes; default 40
}

// form is a modal input box. The root routes keys to update while it is
// open and shows lines (exactly the size last given to render) as the body.
type form struct {
	ctx      *programContext
	id       string // "lot:new:BTC", "lot:edit:<id>", "alert:new:BTC": drafts are kept by id
	title    string // "Add lot — BTC"
	fields   []formField
	focus    int
	err      string                               // a form-level message
	submit   func(f *form) (cmd tea.Cmd, ok bool) // validate + apply; set Errs and return ok=false to stay open
	onChange func(f *form)                        // after any edit
	lines    []string                             // rendered: exactly h lines of w cells

	w, h    int  // the size of the last render
	sized   bool // render was called: update re-renders at that size
	escaped bool // the last update closed the form by esc
	offset  int  // first field row shown when the fields do not all fit
}

// newForm builds a form with the focus on its first visible field. Call
// render(w, h) before showing it (and on every resize); update re-renders
// at the last size by itself.
func newForm(ctx *programContext, id, title string, fields []formField, submit func(*form) (tea.Cmd, bool)) *form {
	f := &form{ctx: ctx, id: id, title: title, fields: fields, submit: submit}
	f.focus = -1
	f.fixFocus()
	return f
}

// update handles a key: tab/down and shift+tab/up move between visible
// fields; typing, backspace, ctrl+w, ctrl+u edit a text field (printable
// runes only; paste of several runes works); left/right/space cycle a
// choice; enter moves to the next field, and on the last field (or ctrl+s
// anywhere) submits; esc cancels. done=true when the form closed
// (submitted OK or cancelled).
func (f *form) update(msg tea.KeyMsg) (done bool, cmd tea.Cmd) {
	f.escaped = false
	f.fixFocus()
	defer f.rerender()
	switch msg.Type {
	case tea.KeyEsc:
		f.escaped = true
		return true, nil
	case tea.KeyCtrlS:
		return f.doSubmit()
	case tea.KeyEnter:
		if f.focus == f.lastVisible() {
			return f.doSubmit()
		}
		f.moveFocus(1)
		return false, nil
	case tea.KeyTab, tea.KeyDown:
		f.moveFocus(1)
		return false, nil
	case tea.KeyShiftTab, tea.KeyUp:
		f.moveFocus(-1)
		return false, nil
	}
	if f.focus < 0 {
		return false, nil
	}
	fd := &f.fields[f.focus]
	changed := false
	if fd.Kind == fieldChoice {
		changed = fd.cycle(msg)
	} else {
		changed = fd.edit(msg)
	}
	if changed {
		fd.Err = ""
		if f.onChange != nil {
			f.onChange(f)
		}
		f.fixFocus()
	}
	return false, nil
}

// doSubmit clears the old errors and runs the submit callback; on failure
// the focus moves to the first field with an error.
func (f *form) doSubmit() (bool, tea.Cmd) {
	f.clearErrsQuiet()
	if f.submit == nil {
		return true, nil
	}
	cmd, ok := f.submit(f)
	if ok {
		return true, cmd
	}
	f.focusError()
	return false, cmd
}

// focusError moves the focus to the first field with an error.
func (f *form) focusError() {
	for i := range f.fields {
		if fd := &f.fields[i]; fd.Err != "" && !fd.Hidden {
			f.focus = i
			return
		}
	}
}

// cycle moves a choice field on a key; a letter picks the next choice that
// starts with it.
func (fd *formField) cycle(msg tea.KeyMsg) bool {
	n := len(fd.Choices)
	if n == 0 {
		return false
	}
	old := fd.Choice
	switch msg.Type {
	case tea.KeyRight, tea.KeySpace:
		fd.Choice = (fd.Choice + 1) % n
	case tea.KeyLeft:
		fd.Choice = (fd.Choice - 1 + n) % n
	case tea.KeyRunes:
		if len(msg.Runes) == 1 && !msg.Paste {
			r := unicode.ToLower(msg.Runes[0])
			if r == ' ' {
				fd.Choice = (fd.Choice + 1) % n
				break
			}
			for k := 1; k <= n; k++ {
				c := (fd.Choice + k) % n
				if first, _ := utf8.DecodeRuneInString(fd.Choices[c]); unicode.ToLower(first) == r {
					fd.Choice = c
					break
				}
			}
		}
	}
	if fd.Choice < 0 || fd.Choice >= n {
		fd.Choice = 0
	}
	return fd.Choice != old
}

// edit changes a text field on a key; it reports whether the value changed.
func (fd *formField) edit(msg tea.KeyMsg) bool {
	old := fd.Value
	v := []rune(fd.Value)
	switch {
	case msg.Type == tea.KeyBackspace || msg.Type == tea.KeyCtrlH:
		if msg.Alt {
			v = deleteWord(v)
		} else if len(v) > 0 {
			v = v[:len(v)-1]
		}
	case msg.Type == tea.KeyCtrlW:
		v = deleteWord(v)
	case msg.Type == tea.KeyCtrlU:
		v = v[:0]
	case msg.Type == tea.KeySpace && !msg.Alt:
		if len(v) < fd.maxLen() {
			v = append(v, ' ')
		}
	case msg.Type == tea.KeyRunes && !msg.Alt:
		for _, r := range msg.Runes {
			if len(v) >= fd.maxLen() {
				break
			}
			if safetext.Printable(r) {
				v = append(v, r)
			}
		}
	default:
		return false
	}
	fd.Value = string(v)
	return fd.Value != old
}

func deleteWord(v []rune) []rune {
	i := len(v)
	for i > 0 && v[i-1] == ' ' {
		i--
	}
	for i > 0 && v[i-1] != ' ' {
		i--
	}
	return v[:i]
}

func (fd *formField) maxLen() int {
	if fd.MaxLen > 0 {
		return fd.MaxLen
	}
	return defaultFieldLen
}

// cancelled reports whether the last update closed the form by esc (the
// root keeps it as a draft).
func (f *form) cancelled() bool { return f.escaped }

// value is a field's trimmed text, or its choice's label; "" for an
// unknown key.
func (f *form) value(key string) string {
	fd := f.field(key)
	if fd == nil {
		return ""
	}
	if fd.Kind == fieldChoice {
		if fd.Choice >= 0 && fd.Choice < len(fd.Choices) {
			return fd.Choices[fd.Choice]
		}
		return ""
	}
	return strings.TrimSpace(fd.Value)
}

// field is the field with key, or nil.
func (f *form) field(key string) *formField {
	for i := range f.fields {
		if f.fields[i].Key == key {
			return &f.fields[i]
		}
	}
	return nil
}

// setErr shows msg beside the field with key; key "" (or a key the form
// does not have) sets the form-level message.
func (f *form) setErr(key, msg string) {
	if fd := f.field(key); fd != nil && key != "" {
		fd.Err = msg
	} else {
		f.err = msg
	}
	f.rerender()
}

// clearErrs removes every field error and the form-level message.
func (f *form) clearErrs() {
	f.clearErrsQuiet()
	f.rerender()
}

func (f *form) clearErrsQuiet() {
	f.err = ""
	for i := range f.fields {
		f.fields[i].Err = ""
	}
}

// fixFocus keeps the focus on a visible field (the next one, else the
// previous one); -1 when none is visible.
func (f *form) fixFocus() {
	if f.focus >= 0 && f.focus < len(f.fields) && !f.fields[f.focus].Hidden {
		return
	}
	start := max(f.focus, 0)
	for i := start; i < len(f.fields); i++ {
		if !f.fields[i].Hidden {
			f.focus = i
			return
		}
	}
	for i := min(start, len(f.fields)-1); i >= 0; i-- {
		if !f.fields[i].Hidden {
			f.focus = i
			return
		}
	}
	f.focus = -1
}

// moveFocus goes to the next (1) or previous (-1) visible field, wrapping.
func (f *form) moveFocus(step int) {
	n := len(f.fields)
	if n == 0 || f.focus < 0 {
		return
	}
	for k := 1; k <= n; k++ {
		i := ((f.focus+step*k)%n + n) % n
		if !f.fields[i].Hidden {
			f.focus = i
			return
		}
	}
}

func (f *form) lastVisible() int {
	for i := len(f.fields) - 1; i >= 0; i-- {
		if !f.fields[i].Hidden {
			return i
		}
	}
	return -1
}

// line is rendered line i ("" outside the form).
func (f *form) line(i int) string {
	if i >= 0 && i < len(f.lines) {
		return f.lines[i]
	}
	return ""
}

func (f *form) rerender() {
	if f.sized {
		f.render(f.w, f.h)
	}
}

// Layout constants of the form box.
const (
	formMaxWidth  = 80 // the box is at most this wide
	formInputMax  = 30 // cells of an input, brackets included, when wide
	formInputMin  = 12
	formMsgMin    = 16 // cells the message beside an input needs; less puts errors under the field
	formLabelMax  = 16
	formBorderMin = 16 // narrower windows draw no border
)

// formRow is one line of the field area: a field, or its error under it.
type formRow struct {
	field int
	err   bool
}

// render draws the form centred in w×h: a bordered box with the title in
// its top border, one line per visible field ("Label  [value▏]  hint" or
// "✗ error"), the form-level message and the footer. Narrow windows put
// errors on their own line under the field; short windows drop the blank
// lines, then the footer, then the border, and scroll the fields to keep
// the focused one visible. lines is exactly h lines of w cells.
func (f *form) render(w, h int) {
	f.w, f.h, f.sized = max(w, 0), max(h, 0), true
	w, h = f.w, f.h
	st := &f.ctx.styles
	f.fixFocus()

	bw := min(w, formMaxWidth)
	border := bw >= formBorderMin
	iw := bw // inner width
	if border {
		iw = bw - 4
	}

	// Columns: a 2-cell focus gutter, the labels, the input, the message.
	labelW := 0
	for i := range f.fields {
		if !f.fields[i].Hidden {
			labelW = max(labelW, textWidth(safetext.Line(f.fields[i].Label, maxShown)))
		}
	}
	labelW = min(labelW, formLabelMax, max(iw*2/5, 4))
	avail := max(iw-2-labelW-2, 0) // for the input and the message
	inputW := min(formInputMax, avail-2-formMsgMin)
	wide := inputW >= formInputMin
	if !wide {
		inputW = avail
	}
	msgW := max(avail-inputW-2, 0)

	var rows []formRow
	focusFirst, focusLast := 0, 0
	for i := range f.fields {
		fd := &f.fields[i]
		if fd.Hidden {
			continue
		}
		if i == f.focus {
			focusFirst = len(rows)
		}
		rows = append(rows, formRow{field: i})
		if !wide && fd.Err != "" {
			rows = append(rows, formRow{field: i, err: true})
		}
		if i == f.focus {
			focusLast = len(rows) - 1
		}
	}

	// The form-level message, wrapped to at most three lines.
	var errLines []string
	if f.err != "" {
		errLines = flow(strings.Fields("✗ "+safetext.Line(f.err, maxShown)), " ", max(iw, 1))
		errLines = errLines[:min(len(errLines), 3)]
	}

	// Chrome, given up in this order when the height is short: the blank
	// lines, all but one line of the message, the footer, the border, the
	// message.
	hasBlank, hasFooter, hasErr := true, true, len(errLines) > 0
	chrome := func() int {
		n := 0
		if border {
			n += 2
		}
		if hasBlank {
			n += 2
		}
		if hasFooter {
			n++
		}
		if hasErr {
			n += len(errLines)
		}
		return n
	}
	minRows := min(len(rows), focusLast-focusFirst+1)
	if chrome()+len(rows) > h {
		hasBlank = false
	}
	if chrome()+minRows > h && len(errLines) > 1 {
		errLines = errLines[:1]
	}
	if chrome()+minRows > h {
		hasFooter = false
	}
	if chrome()+minRows > h && border {
		border = false
		iw = bw
	}
	if chrome()+minRows > h {
		hasErr = false
	}
	fieldH := max(min(len(rows), h-chrome()), 0)

	// Scroll the rows to keep the focused field visible.
	if f.offset > focusFirst {
		f.offset = focusFirst
	}
	if focusLast >= f.offset+fieldH {
		f.offset = focusLast - fieldH + 1
	}
	f.offset = min(max(f.offset, 0), max(len(rows)-fieldH, 0))

	var body []string
	if hasBlank {
		body = append(body, "")
	}
	for k := f.offset; k < f.offset+fieldH && k < len(rows); k++ {
		body = append(body, f.renderRow(rows[k], labelW, inputW, msgW, wide, iw))
	}
	if hasBlank {
		body = append(body, "")
	}
	if hasErr {
		for _, l := range errLines {
			body = append(body, st.Error.Render(l))
		}
	}
	if hasFooter {
		body = append(body, f.footer(iw))
	}

	boxH := len(body)
	if border {
		boxH += 2
	}
	lines := make([]string, 0, h)
	blank := strings.Repeat(" ", w)
	top := max((h-boxH)/2, 0)
	for range top {
		lines = append(lines, blank)
	}
	left := strings.Repeat(" ", max((w-bw)/2, 0))
	if border {
		up, down := f.offset > 0, f.offset+fieldH < len(rows)
		lines = append(lines, fitLine(left+f.topBorder(bw, up), w))
		side := st.BorderFocus.Render("│")
		for _, l := range body {
			lines = append(lines, fitLine(left+side+" "+fitLine(l, iw)+" "+side, w))
		}
		lines = append(lines, fitLine(left+f.bottomBorder(bw, down), w))
	} else {
		for _, l := range body {
			lines = append(lines, fitLine(left+fitLine(l, iw), w))
		}
	}
	for len(lines) < h {
		lines = append(lines, blank)
	}
	f.lines = lines[:h]
}

// renderRow draws a field's line, or its error line under it.
func (f *form) renderRow(r formRow, labelW, inputW, msgW int, wide bool, iw int) string {
	st := &f.ctx.styles
	fd := &f.fields[r.field]
	focused := r.field == f.focus
	if r.err {
		return strings.Repeat(" ", 2+labelW+2) + st.Error.Render(fitLine("✗ "+safetext.Line(fd.Err, maxShown), max(iw-4-labelW, 0)))
	}
	var b strings.Builder
	if focused {
		b.WriteString(st.Accent.Render("›"))
		b.WriteByte(' ')
	} else {
		b.WriteString("  ")
	}
	label := fitLine(safetext.Line(fd.Label, maxShown), labelW)
	if focused {
		b.WriteString(st.Accent.Render(label))
	} else {
		b.WriteString(st.Label.Render(label))
	}
	b.WriteString("  ")
	b.WriteString(f.renderInput(fd, focused, inputW))
	if msgW > 0 && wide {
		switch {
		case fd.Err != "":
			b.WriteString("  ")
			b.WriteString(st.Error.Render(fitLine("✗ "+safetext.Line(fd.Err, maxShown), msgW)))
		case fd.Hint != "":
			b.WriteString("  ")
			b.WriteString(st.Muted.Render(fitLine(safetext.Line(fd.Hint, maxShown), msgW)))
		}
	}
	return b.String()
}

// renderInput draws "[value▏   ]" in w cells (brackets included). A long
// value shows its end while focused ("…end▏"), its start otherwise.
func (f *form) renderInput(fd *formField, focused bool, w int) string {
	st := &f.ctx.styles
	if w < 3 {
		return strings.Repeat(" ", max(w, 0))
	}
	cw := w - 2 // inside the brackets
	var text string
	if fd.Kind == fieldChoice {
		label := ""
		if fd.Choice >= 0 && fd.Choice < len(fd.Choices) {
			label = safetext.Line(fd.Choices[fd.Choice], maxShown)
		}
		if focused {
			text = "◂ " + label + " ▸"
		} else {
			text = "  " + label
		}
		text = fitLine(text, cw)
		if focused {
			text = st.Accent.Render(text)
		} else {
			text = st.Value.Render(text)
		}
	} else {
		v := safetext.Line(fd.Value, maxShown)
		if focused {
			room := cw - 1 // the cursor takes a cell
			if textWidth(v) > room {
				v = "…" + tailCells(v, room-1)
			}
			text = st.Value.Render(v) + st.Accent.Render("▏")
			text += strings.Repeat(" ", max(cw-textWidth(v)-1, 0))
		} else {
			if textWidth(v) > cw {
				v = ansi.Truncate(v, cw-1, "") + "…"
			}
			text = st.Value.Render(fitLine(v, cw))
		}
	}
	bracket := st.Muted
	if focused {
		bracket = st.BorderFocus
	}
	return bracket.Render("[") + text + bracket.Render("]")
}

// tailCells is the end of s that fits in n cells.
func tailCells(s string, n int) string {
	if n <= 0 {
		return ""
	}
	used, i := 0, len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		rw := ansi.StringWidth(string(r))
		if used+rw > n {
			break
		}
		used += rw
		i -= size
	}
	return s[i:]
}

// topBorder is "╭─ Title ───── ↑ ╮" in bw cells; ↑ when fields are
// scrolled off above.
func (f *form) topBorder(bw int, more bool) string {
	st := &f.ctx.styles
	mark := ""
	if more {
		mark = " ↑ more "
	}
	title := safetext.Line(f.title, maxShown)
	room := bw - 5 - textWidth(mark) // "╭─ " + title + " " + … + "╮"
	if textWidth(title) > room {
		title = fitLine(title, max(room-1, 0))
		title = strings.TrimRight(title, " ") + "…"
	}
	fill := max(bw-4-textWidth(title)-textWidth(mark)-1, 0)
	return st.BorderFocus.Render("╭─ ") + st.Title.Render(title) + st.BorderFocus.Render(" "+strings.Repeat("─", fill)) +
		st.Muted.Render(mark) + st.BorderFocus.Render("╮")
}

// bottomBorder is "╰──── ↓ more ─╯" in bw cells.
func (f *form) bottomBorder(bw int, more bool) string {
	st := &f.ctx.styles
	if !more || bw < 14 {
		return st.BorderFocus.Render("╰" + strings.Repeat("─", max(bw-2, 0)) + "╯")
	}
	mark := " ↓ more "
	fill := max(bw-3-textWidth(mark), 0)
	return st.BorderFocus.Render("╰"+strings.Repeat("─", fill)) + st.Muted.Render(mark) + st.BorderFocus.Render("─╯")
}

// footer names the form's keys, shortened to fit.
func (f *form) footer(w int) string {
	st := &f.ctx.styles
	enter := "enter next"
	if f.focus == f.lastVisible() {
		enter = "enter save"
	}
	for _, s := range []string{
		enter + " · tab move · ctrl+s save · esc cancel",
		enter + " · ctrl+s save · esc cancel",
		"ctrl+s save · esc cancel",
		"^s save · esc cancel",
	} {
		if textWidth(s) <= w {
			return st.Muted.Render(s)
		}
	}
	return st.Muted.Render(fitLine("^s save · esc", w))
}

// formNumber reads an amount typed in a form: "1,234.5", "$70000", "1e3"
// and " 5 " are numbers; NaN, infinities and anything else are not. msg is
// the error to show beside the field ("" when ok): "must be a number", or
// "must be greater than 0" when positive is set and the number is not.
func formNumber(s string, positive bool) (v float64, msg string) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "$")
	s = strings.ReplaceAll(s, ",", "")
	if s == "" {
		return 0, "is required"
	}
	// Plain decimal notation only: ParseFloat would also take "0x1p4",
	// "1_000" and "inf", which no trader means.
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, "must be a number"
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, "must be a number"
	}
	if positive && v <= 0 {
		return 0, "must be greater than 0"
	}
	return v, ""
}

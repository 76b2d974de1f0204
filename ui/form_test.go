package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// formCtx is a program context for a component test.
func formCtx(tb testing.TB, theme string) *programContext {
	tb.Helper()
	return &programContext{opts: Options{Theme: testTheme(tb, theme)},
		styles: NewStyles(testTheme(tb, theme), testRenderer(profileFor(theme))), keys: NewKeyMap(nil), now: t0}
}

// formKey is the key message a terminal sends for k.
func formKey(k string) tea.KeyMsg {
	types := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"backspace": tea.KeyBackspace, "ctrl+w": tea.KeyCtrlW, "ctrl+u": tea.KeyCtrlU, "ctrl+s": tea.KeyCtrlS,
		"space": tea.KeySpace, "ctrl+h": tea.KeyCtrlH,
	}
	if t, ok := types[k]; ok {
		if t == tea.KeySpace {
			return tea.KeyMsg{Type: t, Runes: []rune{' '}}
		}
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press sends keys to f and returns the last result.
func press(f *form, keys ...string) (done bool, cmd tea.Cmd) {
	for _, k := range keys {
		done, cmd = f.update(formKey(k))
	}
	return done, cmd
}

// typeInto types s one rune at a time, as a terminal does.
func typeInto(f *form, s string) {
	for _, r := range s {
		if r == ' ' {
			f.update(formKey("space"))
			continue
		}
		f.update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// sampleForm: three text fields around a choice, one hidden.
func sampleForm(ctx *programContext, submit func(*form) (tea.Cmd, bool)) *form {
	return newForm(ctx, "test:1", "Add lot — BTC", []formField{
		{Label: "Token", Key: "symbol", Value: "BTC"},
		{Label: "Quantity", Key: "quantity", Hint: "units"},
		{Label: "Secret", Key: "secret", Hidden: true},
		{Label: "Kind", Key: "kind", Kind: fieldChoice, Choices: []string{"price above", "price below", "move within"}},
		{Label: "Note", Key: "note", MaxLen: 10},
	}, submit)
}

func formText(f *form) string { return ansi.Strip(strings.Join(f.lines, "\n")) }

func checkFormSize(tb testing.TB, f *form, w, h int) {
	tb.Helper()
	if len(f.lines) != h {
		tb.Fatalf("%dx%d: %d lines", w, h, len(f.lines))
	}
	for i, l := range f.lines {
		if got := ansi.StringWidth(l); got != w {
			tb.Fatalf("%dx%d: line %d is %d cells: %q", w, h, i, got, ansi.Strip(l))
		}
	}
}

func TestFormTypingPasteAndDeleting(t *testing.T) {
	f := sampleForm(formCtx(t, "mono"), nil)
	f.render(80, 20)
	if f.focus != 0 {
		t.Fatalf("focus %d, want the first field", f.focus)
	}
	press(f, "ctrl+u")
	typeInto(f, "eth")
	if got := f.value("symbol"); got != "eth" {
		t.Fatalf("typed %q", got)
	}
	press(f, "backspace")
	if got := f.field("symbol").Value; got != "et" {
		t.Fatalf("after backspace %q", got)
	}
	press(f, "ctrl+h") // what some terminals send for backspace
	if got := f.field("symbol").Value; got != "e" {
		t.Fatalf("after ctrl+h %q", got)
	}

	press(f, "tab") // Quantity
	// A paste arrives as one message with many runes: control characters,
	// escape sequences' ESC and bidi overrides are dropped, the rest kept.
	f.update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("1,234.5 \x1b[31mx\u202e\ty"), Paste: true})
	if got := f.field("quantity").Value; got != "1,234.5 [31mxy" {
		t.Fatalf("pasted %q", got)
	}
	press(f, "ctrl+w")
	if got := f.field("quantity").Value; got != "1,234.5 " {
		t.Fatalf("after ctrl+w %q", got)
	}
	if got := f.value("quantity"); got != "1,234.5" {
		t.Fatalf("value is not trimmed: %q", got)
	}
	press(f, "ctrl+w", "ctrl+w")
	if got := f.field("quantity").Value; got != "" {
		t.Fatalf("ctrl+w on nothing: %q", got)
	}

	press(f, "tab", "tab") // Kind (Secret is hidden), Note
	f.update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("0123456789abcdef"), Paste: true})
	if got := f.field("note").Value; got != "0123456789" {
		t.Fatalf("MaxLen not kept: %q", got)
	}
	typeInto(f, "z")
	if got := f.field("note").Value; got != "0123456789" {
		t.Fatalf("typed past MaxLen: %q", got)
	}
	press(f, "ctrl+u")
	if got := f.field("note").Value; got != "" {
		t.Fatalf("ctrl+u left %q", got)
	}
	// Default MaxLen is 40 runes.
	press(f, "tab") // wraps to Token
	f.update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(strings.Repeat("é", 50)), Paste: true})
	if got := []rune(f.field("symbol").Value); len(got) != defaultFieldLen {
		t.Fatalf("default MaxLen: %d runes", len(got))
	}
}

func TestFormFocusSkipsHiddenFieldsAndWraps(t *testing.T) {
	f := sampleForm(formCtx(t, "mono"), nil)
	want := []string{"quantity", "kind", "note", "symbol"}
	for i, w := range want {
		press(f, "tab")
		if got := f.fields[f.focus].Key; got != w {
			t.Fatalf("tab %d: focus on %s, want %s", i+1, got, w)
		}
	}
	press(f, "shift+tab")
	if got := f.fields[f.focus].Key; got != "note" {
		t.Fatalf("shift+tab wraps to %s", got)
	}
	press(f, "up", "up")
	if got := f.fields[f.focus].Key; got != "quantity" {
		t.Fatalf("up up: %s", got)
	}
	press(f, "down")
	if got := f.fields[f.focus].Key; got != "kind" {
		t.Fatalf("down: %s", got)
	}
	// enter moves on until the last field.
	press(f, "enter")
	if got := f.fields[f.focus].Key; got != "note" {
		t.Fatalf("enter: %s", got)
	}
	// Hiding the focused field moves the focus to a visible one.
	f.fields[f.focus].Hidden = true
	f.update(formKey("x"))
	if f.fields[f.focus].Hidden {
		t.Fatal("focus stayed on a hidden field")
	}
}

func TestFormChoiceCyclesAndOnChange(t *testing.T) {
	f := sampleForm(formCtx(t, "mono"), nil)
	changes := 0
	f.onChange = func(f *form) {
		changes++
		f.field("quantity").Hidden = f.value("kind") == "move within"
	}
	press(f, "tab", "tab") // Kind
	if f.value("kind") != "price above" {
		t.Fatalf("initial choice %q", f.value("kind"))
	}
	press(f, "right")
	if f.value("kind") != "price below" || changes != 1 {
		t.Fatalf("right: %q, %d changes", f.value("kind"), changes)
	}
	press(f, "space")
	if f.value("kind") != "move within" || !f.field("quantity").Hidden {
		t.Fatalf("space: %q, quantity hidden %v", f.value("kind"), f.field("quantity").Hidden)
	}
	press(f, "right") // wraps
	if f.value("kind") != "price above" || f.field("quantity").Hidden {
		t.Fatalf("wrap: %q", f.value("kind"))
	}
	press(f, "left")
	if f.value("kind") != "move within" {
		t.Fatalf("left wraps back: %q", f.value("kind"))
	}
	press(f, "p") // the next choice starting with p
	if f.value("kind") != "price above" {
		t.Fatalf("letter: %q", f.value("kind"))
	}
	n := changes
	press(f, "z", "backspace") // no choice starts with z; backspace does nothing to a choice
	if changes != n || f.value("kind") != "price above" {
		t.Fatalf("no-op keys changed the choice: %q (%d changes)", f.value("kind"), changes-n)
	}
	if f.field("kind").Value != "" {
		t.Fatalf("typing into a choice set its text: %q", f.field("kind").Value)
	}
}

func TestFormSubmitErrorsBesideFieldsKeepEverything(t *testing.T) {
	calls := 0
	sentinel := func() tea.Msg { return "saved" }
	var f *form
	f = sampleForm(formCtx(t, "mono"), func(f *form) (tea.Cmd, bool) {
		calls++
		ok := true
		if f.value("quantity") != "2" {
			f.setErr("quantity", "must be a number")
			ok = false
		}
		if f.value("note") == "bad" {
			f.setErr("note", "is not allowed")
			f.setErr("", "not saved: store in use")
			ok = false
		}
		if !ok {
			return nil, false
		}
		return sentinel, true
	})
	f.render(80, 20)
	press(f, "tab")
	typeInto(f, "abc")
	press(f, "tab", "tab")
	typeInto(f, "bad")
	done, cmd := press(f, "enter") // the last field: submits
	if done || cmd != nil || calls != 1 {
		t.Fatalf("failed submit: done=%v cmd=%v calls=%d", done, cmd != nil, calls)
	}
	if f.field("quantity").Value != "abc" || f.field("note").Value != "bad" || f.field("symbol").Value != "BTC" {
		t.Fatalf("values lost: %+v", f.fields)
	}
	if f.fields[f.focus].Key != "quantity" {
		t.Fatalf("focus on %s, want the first field in error", f.fields[f.focus].Key)
	}
	text := formText(f)
	for _, want := range []string{"Quantity", "[abc", "✗ must be a number", "✗ is not allowed", "✗ not saved: store in use"} {
		if !strings.Contains(text, want) {
			t.Fatalf("missing %q:\n%s", want, text)
		}
	}
	// The error is beside its field at 80 columns.
	for _, l := range f.lines {
		if s := ansi.Strip(l); strings.Contains(s, "Quantity") && !strings.Contains(s, "✗ must be a number") {
			t.Fatalf("error not beside the field: %q", s)
		}
	}
	// Narrow: on the line under the field.
	f.render(40, 16)
	checkFormSize(t, f, 40, 16)
	for i, l := range f.lines {
		if s := ansi.Strip(l); strings.Contains(s, "Quantity") {
			if strings.Contains(s, "✗") || i+1 >= len(f.lines) || !strings.Contains(ansi.Strip(f.lines[i+1]), "✗ must be a number") {
				t.Fatalf("narrow error not under the field:\n%s", formText(f))
			}
		}
	}
	// Editing a field clears its error; a resubmit clears the others first.
	press(f, "ctrl+u")
	if f.field("quantity").Err != "" {
		t.Fatal("editing did not clear the field's error")
	}
	typeInto(f, "2")
	press(f, "tab", "tab", "ctrl+u")
	typeInto(f, "fine")
	done, cmd = press(f, "ctrl+s") // anywhere
	if !done || cmd == nil || cmd() != "saved" {
		t.Fatalf("good submit: done=%v cmd=%v", done, cmd != nil)
	}
	if f.err != "" || f.field("note").Err != "" || f.cancelled() {
		t.Fatalf("old errors kept or cancelled after a good submit: %q %q", f.err, f.field("note").Err)
	}
	if !strings.Contains(formText(f), "[2") {
		t.Fatalf("submitted form lost its values:\n%s", formText(f))
	}
}

func TestFormEscCancelsAndKeepsDraft(t *testing.T) {
	submitted := false
	f := sampleForm(formCtx(t, "mono"), func(*form) (tea.Cmd, bool) { submitted = true; return nil, true })
	f.render(60, 12)
	press(f, "tab")
	typeInto(f, "1.5")
	done, _ := press(f, "esc")
	if !done || !f.cancelled() || submitted {
		t.Fatalf("esc: done=%v cancelled=%v submitted=%v", done, f.cancelled(), submitted)
	}
	if f.field("quantity").Value != "1.5" {
		t.Fatal("esc lost what was typed")
	}
	// Reopened (the same draft), the next key clears the cancelled state.
	press(f, "0")
	if f.cancelled() || f.field("quantity").Value != "1.50" {
		t.Fatalf("reopened draft: cancelled=%v value=%q", f.cancelled(), f.field("quantity").Value)
	}
	done, _ = press(f, "ctrl+s")
	if !done || f.cancelled() || !submitted {
		t.Fatal("submit after reopening")
	}
}

func TestFormRendersExactlyAtEverySize(t *testing.T) {
	for _, theme := range []string{"dark", "mono"} {
		f := sampleForm(formCtx(t, theme), nil)
		f.field("quantity").Err = "must be a number and a rather long explanation of why"
		f.err = "not saved: the store is in use by another tokentop"
		f.field("note").Value = "a long note"
		for w := 0; w <= 200; w += 7 {
			for h := 0; h <= 50; h += 3 {
				for _, focus := range []int{0, 1, 3, 4} {
					f.focus = focus
					f.render(w, h)
					checkFormSize(t, f, w, h)
				}
			}
		}
		for _, sz := range [][2]int{{40, 5}, {40, 6}, {40, 8}, {41, 9}, {39, 5}, {80, 22}, {120, 38}} {
			for _, focus := range []int{0, 1, 3, 4} {
				f.focus = focus
				f.render(sz[0], sz[1])
				checkFormSize(t, f, sz[0], sz[1])
				// The focused field is always on screen, marked "›".
				label := f.fields[focus].Label
				found := false
				for _, l := range f.lines {
					s := ansi.Strip(l)
					found = found || strings.Contains(s, "› "+label[:min(len(label), 4)])
				}
				if !found {
					t.Fatalf("%s %dx%d: focused %s not shown:\n%s", theme, sz[0], sz[1], label, formText(f))
				}
			}
		}
	}
}

func TestFormScrollsToTheFocusedField(t *testing.T) {
	ctx := formCtx(t, "mono")
	var fields []formField
	for i := range 12 {
		fields = append(fields, formField{Label: fmt.Sprintf("Field %d", i), Key: fmt.Sprint(i)})
	}
	f := newForm(ctx, "many", "Many", fields, nil)
	f.render(40, 6)
	for i := range 12 {
		if !strings.Contains(formText(f), fmt.Sprintf("› Field %d ", i)) {
			t.Fatalf("field %d not visible:\n%s", i, formText(f))
		}
		press(f, "tab")
	}
	if !strings.Contains(formText(f), "↓ more") {
		t.Fatalf("no sign of fields below:\n%s", formText(f))
	}
	press(f, "up")
	if !strings.Contains(formText(f), "↑ more") || !strings.Contains(formText(f), "› Field 11") {
		t.Fatalf("no sign of fields above:\n%s", formText(f))
	}
}

func TestFormLongValueShowsItsEnd(t *testing.T) {
	f := sampleForm(formCtx(t, "mono"), nil)
	f.field("symbol").MaxLen = 200
	f.render(60, 12)
	press(f, "ctrl+u")
	f.update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("start-" + strings.Repeat("m", 60) + "-the-end"), Paste: true})
	text := formText(f)
	if !strings.Contains(text, "-the-end▏") || !strings.Contains(text, "[…") || strings.Contains(text, "start-") {
		t.Fatalf("focused long value does not show its end:\n%s", text)
	}
	press(f, "tab")
	text = formText(f)
	if !strings.Contains(text, "[start-") || strings.Contains(text, "-the-end") {
		t.Fatalf("unfocused long value does not show its start:\n%s", text)
	}
	// Wide runes scroll by cells too.
	press(f, "shift+tab", "ctrl+u")
	f.update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(strings.Repeat("漢", 40)), Paste: true})
	checkFormSize(t, f, 60, 12)
}

func TestFormHostileTextNeverReachesTheTerminal(t *testing.T) {
	ctx := formCtx(t, "mono") // no styles: any escape in the output came from the text
	evil := "EVIL\x1b]0;pwned\x07\x1b[2J\u202e\x9b31m"
	f := newForm(ctx, "evil", "Edit "+evil, []formField{
		{Label: "Note " + evil, Key: "note", Value: evil, Hint: evil},
		{Label: "Kind", Key: "kind", Kind: fieldChoice, Choices: []string{evil}},
		{Label: "Other", Key: "other", Value: evil, Err: evil},
	}, nil)
	f.err = evil
	for _, sz := range [][2]int{{80, 20}, {40, 8}, {120, 40}} {
		f.render(sz[0], sz[1])
		for _, l := range f.lines {
			if strings.ContainsAny(l, "\x1b\x07\u202e\x9b") {
				t.Fatalf("%v: control text on screen: %q", sz, l)
			}
		}
		checkFormSize(t, f, sz[0], sz[1])
	}
}

func TestFormNumber(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		msg  string
	}{
		{"1,234.5", 1234.5, ""}, {"$70000", 70000, ""}, {" 1e3 ", 1000, ""}, {"0.000012", 0.000012, ""},
		{"abc", 0, "must be a number"}, {"", 0, "is required"}, {"-1", 0, "must be greater than 0"},
		{"0", 0, "must be greater than 0"}, {"NaN", 0, "must be a number"}, {"Inf", 0, "must be a number"},
		{"1e999", 0, "must be a number"}, {"0x1p4", 0, "must be a number"}, {"1_000", 0, "must be a number"},
		{"12abc", 0, "must be a number"},
	} {
		got, msg := formNumber(c.in, true)
		if msg != c.msg || (msg == "" && got != c.want) {
			t.Errorf("formNumber(%q) = %v, %q; want %v, %q", c.in, got, msg, c.want, c.msg)
		}
	}
	if v, msg := formNumber("0", false); msg != "" || v != 0 {
		t.Errorf("0 not positive: %v %q", v, msg)
	}
}

// TestFormRenderedOnlyWhenSized: the form draws nothing before the root
// gives it a size, then keeps its lines current after every key.
func TestFormRenderedOnlyWhenSized(t *testing.T) {
	f := sampleForm(formCtx(t, "mono"), nil)
	press(f, "x")
	if f.lines != nil {
		t.Fatal("rendered before render was called")
	}
	f.render(50, 10)
	typeInto(f, "yz")
	if !strings.Contains(formText(f), "BTCxyz▏") {
		t.Fatalf("lines not current after typing:\n%s", formText(f))
	}
	f.setErr("symbol", "unknown token BTCXYZ")
	if !strings.Contains(formText(f), "✗ unknown token") {
		t.Fatalf("setErr did not redraw:\n%s", formText(f))
	}
	f.clearErrs()
	if strings.Contains(formText(f), "✗") {
		t.Fatalf("clearErrs did not redraw:\n%s", formText(f))
	}
}

// TestFormLevelMessageWraps: a long form-level message (why it was not
// saved) wraps inside the box instead of being cut, and shrinks to one
// line before the fields lose their room.
func TestFormLevelMessageWraps(t *testing.T) {
	f := sampleForm(formCtx(t, "mono"), nil)
	f.setErr("", "not saved: the store is in use by another tokentop (pid 4242)")
	f.render(40, 16)
	checkFormSize(t, f, 40, 16)
	text := formText(f)
	if !strings.Contains(text, "✗ not saved: the store is in use by") || !strings.Contains(text, "(pid 4242)") {
		t.Fatalf("message cut:\n%s", text)
	}
	f.render(40, 5)
	checkFormSize(t, f, 40, 5)
	if text := formText(f); !strings.Contains(text, "› Token") || !strings.Contains(text, "✗ not saved") {
		t.Fatalf("short form lost the focused field or the message:\n%s", text)
	}
}

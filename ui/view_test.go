package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/ui/keymap"
)

// notesView is a view the dashboard does not have: what adding a view
// takes is this type and one entry in the list.
type notesView struct {
	ctx           *programContext
	width, height int
	lines         []string
	cursor, snaps int
	keys          []string
}

func (v *notesView) tab() (full, short string, count int) { return "Notes", "Note", v.snaps }
func (v *notesView) keyView() keymap.View                 { return 0 } // no keys of its own in ui/keymap
func (v *notesView) hints(k *KeyMap) []key.Binding {
	return []key.Binding{k.NextView, key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "zap note"))}
}
func (v *notesView) setSize(w, h int) { v.width, v.height = w, h; v.refresh() }
func (v *notesView) apply(s *model.Snapshot, _ time.Time) {
	v.snaps++
	v.refresh()
}
func (v *notesView) refresh() {
	v.lines = v.lines[:0]
	for i := range v.height {
		mark := "  "
		if i == v.cursor {
			mark = "▸ "
		}
		v.lines = append(v.lines, fitLine(mark+"note "+strconv.Itoa(i), v.width))
	}
}
func (v *notesView) line(i int) string { return v.lines[i] }
func (v *notesView) onKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	if msg.String() != "z" {
		return nil, false
	}
	v.keys = append(v.keys, msg.String())
	return nil, true
}
func (v *notesView) move(delta int)                  { v.cursor = min(max(v.cursor+delta, 0), max(v.height-1, 0)) }
func (v *notesView) rowAt(line int) (int, bool)      { return line, line >= 0 && line < v.height }
func (v *notesView) cursorRow() int                  { return v.cursor }
func (v *notesView) selectedSymbol() string          { return "BTC" } // a key that works on a symbol finds one
func (v *notesView) selectedToken() *model.TokenView { return nil }

// A new view is one entry in the list: the tab bar shows it with its count,
// tab reaches it, its lines are the body, its hints are in the help line,
// its keys reach it, the cursor keys and the mouse move its cursor, and
// nothing else of the root changes.
func TestANewViewIsOneEntryInTheList(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 160, 20)
	a := hs.m.a // the one place a test touches the root: adding the entry
	notes := &notesView{ctx: a.ctx}
	a.setViews(append(a.newViews(), notes))
	hs.put(makeSnapshot(10, 1))
	if bar := screenLines(hs)[0]; !strings.Contains(bar, "Alerts (0) · Notes (1)") {
		t.Fatalf("the tab bar lacks the new view: %q", bar)
	}
	hs.key("shift+tab") // from Markets back to the last view
	if activeTab(hs) != "Notes" {
		t.Fatalf("shift+tab went to %q", activeTab(hs))
	}
	if l := screenLines(hs); !strings.HasPrefix(l[1], "▸ note 0") || !strings.HasPrefix(l[2], "  note 1") {
		t.Fatalf("the body is not the new view's lines:\n%s", plain(hs))
	}
	if h := helpLine(hs); !strings.Contains(h, "z zap note") || strings.Contains(h, "/ search") {
		t.Fatalf("the help line is not the new view's: %q", h)
	}
	hs.key("z")
	hs.key("j")
	if len(notes.keys) != 1 || !strings.HasPrefix(screenLines(hs)[2], "▸ note 1") {
		t.Fatalf("keys did not reach the new view (%v):\n%s", notes.keys, plain(hs))
	}
	hs.send(tea.MouseMsg{X: 3, Y: 5, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if !strings.HasPrefix(screenLines(hs)[5], "▸ note 4") {
		t.Fatalf("a click did not move the new view's cursor:\n%s", plain(hs))
	}
	hs.key("*") // watch: scoped by ui/keymap to other views, so not live here
	if len(hs.user.all()) != 0 {
		t.Fatal("a key scoped to other views worked in the new view")
	}
	hs.key("tab")
	if activeTab(hs) != "Markets" {
		t.Fatalf("tab from the last view went to %q", activeTab(hs))
	}
}

package ui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/ui/keymap"
)

// pickView is the Moonshots view (open picks) or the Past view (closed
// picks and the track record): a pickTable (moonshots.go draws and caches
// its lines) in the list of views.
type pickView struct {
	*pickTable
	snap *model.Snapshot
}

var _ tabView = (*pickView)(nil)

func newPickView(ctx *programContext, past bool) *pickView {
	return &pickView{pickTable: newPickTable(ctx, past)}
}

func (p *pickView) tab() (full, short string, count int) {
	if p.past {
		return "Past", "Past", p.picks.Len()
	}
	return "Moonshots", "Moon", p.picks.Len()
}

func (p *pickView) keyView() keymap.View {
	if p.past {
		return keymap.Past
	}
	return keymap.Moonshots
}

func (p *pickView) hints(k *KeyMap) []key.Binding {
	relabel(&k.Sorting, "sort picks") // the picks' own columns
	return k.tableHints()
}

// apply takes the snapshot's open or past picks.
func (p *pickView) apply(s *model.Snapshot, _ time.Time) {
	p.snap = s
	if p.past {
		p.pickTable.apply(s.PastMoonshots, s.Track, s.Official)
	} else {
		p.pickTable.apply(s.Moonshots, s.Track, s.Official)
	}
}

func (p *pickView) onKey(tea.KeyMsg) (tea.Cmd, bool) { return nil, false }
func (p *pickView) cursorRow() int                   { return p.cursor }

// selectedToken is the picked token, or nil when the market no longer
// lists it (an old past pick).
func (p *pickView) selectedToken() *model.TokenView { return p.snap.Token(p.selectedSymbol()) }

package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/ui/keymap"
)

// marketsView is the Markets view: the ratings table of every token (the
// search box filters it). The table itself (table.go) draws and caches the
// rows; this is its place in the list of views.
type marketsView struct{ *table }

var _ tabView = marketsView{}

func (m marketsView) tab() (full, short string, count int) { return "Markets", "Mkts", -1 }
func (m marketsView) keyView() keymap.View                 { return keymap.Markets }
func (m marketsView) hints(k *KeyMap) []key.Binding        { return k.tableHints() }
func (m marketsView) onKey(tea.KeyMsg) (tea.Cmd, bool)     { return nil, false }

// rowAt maps a line under the tab bar to a row: the table's header is the
// first line.
func (m marketsView) rowAt(line int) (int, bool) { return m.table.rowAt(line - 1) }
func (m marketsView) cursorRow() int             { return m.cursor }

func (m marketsView) selectedSymbol() string {
	if r := m.selectedRow(); r != nil {
		return r.tok.Symbol
	}
	return ""
}

func (m marketsView) selectedToken() *model.TokenView {
	if r := m.selectedRow(); r != nil {
		return r.tok
	}
	return nil
}

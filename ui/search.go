package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/tokentop/tokentop/internal/safetext"
)

// maxSearchRunes bounds the filter text.
const maxSearchRunes = 32

// search is the filter box opened by "/": rows filter live as the trader
// types; enter keeps the filter, esc clears it. A small input of our own
// (bubbles/textinput pulls in a clipboard module this build does not carry):
// typing appends, backspace deletes a character, ctrl+w a word, ctrl+u all.
type search struct {
	ctx    *programContext
	text   []rune
	active bool
	line   string // cached view, exactly the window width
}

func newSearch(ctx *programContext) *search { return &search{ctx: ctx} }

func (s *search) open() {
	s.active = true
	s.render()
}

// close ends editing; keep=false also clears the filter.
func (s *search) close(keep bool) {
	s.active = false
	if !keep {
		s.text = s.text[:0]
	}
}

func (s *search) value() string { return string(s.text) }

// update handles a key while the box is open. done says the box closed.
func (s *search) update(msg tea.KeyMsg) (done bool) {
	k := s.ctx.keys
	switch {
	case key.Matches(msg, k.SearchClear):
		s.close(false)
		return true
	case key.Matches(msg, k.SearchAccept):
		s.close(true)
		return true
	}
	switch msg.Type {
	case tea.KeyBackspace:
		if len(s.text) > 0 {
			s.text = s.text[:len(s.text)-1]
		}
	case tea.KeyCtrlU:
		s.text = s.text[:0]
	case tea.KeyCtrlW:
		i := len(s.text)
		for i > 0 && s.text[i-1] == ' ' {
			i--
		}
		for i > 0 && s.text[i-1] != ' ' {
			i--
		}
		s.text = s.text[:i]
	case tea.KeyRunes, tea.KeySpace:
		for _, r := range msg.Runes {
			if len(s.text) < maxSearchRunes && safetext.Printable(r) {
				s.text = append(s.text, r)
			}
		}
		if msg.Type == tea.KeySpace && len(msg.Runes) == 0 && len(s.text) < maxSearchRunes {
			s.text = append(s.text, ' ')
		}
	}
	s.render()
	return false
}

func (s *search) render() {
	st := s.ctx.styles
	var b strings.Builder
	b.WriteString(st.SearchPrompt.Render(" /"))
	if len(s.text) == 0 {
		b.WriteString(st.SearchText.Reverse(true).Render(" "))
		b.WriteString(st.Muted.Render(" symbol or name"))
	} else {
		b.WriteString(st.SearchText.Render(safetext.Line(string(s.text), maxShown)))
		b.WriteString(st.SearchText.Reverse(true).Render(" "))
	}
	hint := st.Muted.Render("enter keep · esc clear ")
	s.line = joinSides(b.String(), hint, s.ctx.width)
}

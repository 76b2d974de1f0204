package ui

import (
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/themes"
	"github.com/tokentop/tokentop/ui/chart"
)

// Styles is every style the UI draws with, built once per program (per SSH
// session) from a theme and that session's renderer. Nothing in View builds
// a style.
type Styles struct {
	Mono bool

	Text, Muted, Accent, Border, BorderFocus lipgloss.Style
	Header                                   lipgloss.Style
	Up, Down, Flat                           lipgloss.Style
	Whale, Stale, Warning, Error             lipgloss.Style

	Title, TabActive, TabInactive, Label, Value, Section lipgloss.Style

	Bar, BarGood, BarWarning, BarError, BarMuted, Demo lipgloss.Style
	BarAccent                                          lipgloss.Style
	SearchPrompt, SearchText                           lipgloss.Style
	Help                                               help.Styles
	HelpTitle                                          lipgloss.Style
	Chart                                              chart.Style

	// Highlight, HighlightUp and HighlightDown mark a row that just had news
	// (a signal flip, a new moonshot) in the moonshot views; Selected is
	// their cursor row.
	HighlightUp, HighlightDown, Selected lipgloss.Style

	// Your data: Star marks a watched token; Confirm is the y/n question
	// that replaces the help line; Hint is muted help beside a view's
	// title; Total is the portfolio's total line.
	Star, Confirm, Hint, Total lipgloss.Style

	// Link is the text of a terminal hyperlink (the trade link), drawn
	// underlined.
	Link lipgloss.Style

	// rows holds the table's cell styles as raw escape prefixes/suffixes,
	// indexed by highlight kind (hlNone, hlUp, hlDown) and then by
	// rowSelected|rowStale bits, so a row renders into a byte buffer with no
	// lipgloss calls.
	rows [numHighlights][4]rowPalette
}

const (
	rowSelected = 1 << iota
	rowStale
)

// span is a style reduced to the escape sequences around its text.
type span struct{ pre, post string }

// spanOf extracts a style's opening and closing sequences. Styles given here
// carry no padding, width or underline, so the sentinel renders in one piece.
func spanOf(st lipgloss.Style) span {
	out := st.Render("X")
	i := strings.IndexByte(out, 'X')
	if i < 0 {
		return span{}
	}
	return span{pre: out[:i], post: out[i+1:]}
}

// rowPalette is one row state's cell styles.
type rowPalette struct {
	base, cursor, rank, symbol, name, price, num  span
	up, down, flat, flashUp, flashDown, staleMark span
	strongUp, strongDown, hlMark                  span
	star                                          span
	cached                                        span // history from the warm-start cache
}

// NewRenderer is a session's renderer: it draws for w with the colour
// profile the caller found for that session's terminal (the client's, under
// tokentop serve), and reads neither the process's environment nor its
// terminal (lipgloss would otherwise guess the profile from both, and
// termenv takes any writer that is not an *os.File for "not a terminal":
// no colour at all).
func NewRenderer(w io.Writer, profile termenv.Profile) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(w, termenv.WithProfile(profile))
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(true) // no style here adapts to the background; never ask the terminal
	return r
}

// forProfile is t with each colour reduced once to what profile shows: a
// "#rrggbb" becomes the index of the nearest 256- or 16-colour entry.
// lipgloss would otherwise find the nearest colour again on every Render
// (termenv's HSLuv distance to each of the 256 colours): with the status
// bar drawn ten times a second in every session, that was a quarter of
// tokentop serve's CPU at 100 sessions (docs/PERFORMANCE.md). The colours
// drawn are the same.
func forProfile(t themes.Theme, p termenv.Profile) themes.Theme {
	if p != termenv.ANSI256 && p != termenv.ANSI {
		return t
	}
	v := reflect.ValueOf(&t).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.String || v.Type().Field(i).Name == "Name" || !strings.HasPrefix(f.String(), "#") {
			continue
		}
		switch c := p.Color(f.String()).(type) {
		case termenv.ANSI256Color:
			f.SetString(strconv.Itoa(int(c)))
		case termenv.ANSIColor:
			f.SetString(strconv.Itoa(int(c)))
		}
	}
	return t
}

// NewStyles turns a palette into styles bound to r, the session's renderer
// (required: it panics on nil rather than use lipgloss's process-wide
// one). A mono theme (or a renderer without colour) still tells up from
// down, the cursor, flashes and stale rows apart: by signs, markers, bold,
// faint and reverse video.
func NewStyles(t themes.Theme, r *lipgloss.Renderer) Styles {
	if r == nil {
		panic("ui.NewStyles: nil renderer (build one per session)")
	}
	t = forProfile(t, r.ColorProfile())
	mono := t.Mono
	fg := func(c string) lipgloss.Style {
		s := r.NewStyle()
		if !mono && c != "" {
			s = s.Foreground(lipgloss.Color(c))
		}
		return s
	}
	withBg := func(s lipgloss.Style, c string) lipgloss.Style {
		if !mono && c != "" {
			s = s.Background(lipgloss.Color(c))
		}
		return s
	}
	s := Styles{Mono: mono}
	s.Text = fg(t.Text)
	s.Muted = fg(t.Muted)
	s.Accent = fg(t.Accent).Bold(true)
	s.Border = fg(t.Border)
	s.BorderFocus = fg(t.Accent)
	s.Header = withBg(fg(t.HeaderText), t.HeaderBg).Bold(true)
	s.Up = fg(t.Up)
	s.Down = fg(t.Down)
	s.Flat = fg(t.Flat)
	s.Whale = fg(t.Whale).Bold(true)
	s.Stale = fg(t.Stale)
	s.Warning = fg(t.Warning)
	s.Error = fg(t.Error).Bold(true)
	if mono {
		s.Up = s.Up.Bold(true)
		s.Stale = s.Stale.Faint(true)
	}
	s.Title = fg(t.Accent).Bold(true)
	s.TabActive = fg(t.Accent).Bold(true)
	s.TabInactive = fg(t.Muted)
	s.Label = fg(t.Muted)
	s.Value = fg(t.Text)
	s.Section = fg(t.Border)

	bar := withBg(fg(t.BarFg), t.BarBg)
	s.Bar = bar
	s.BarGood = withBg(fg(t.Good), t.BarBg)
	s.BarWarning = withBg(fg(t.Warning), t.BarBg)
	s.BarError = withBg(fg(t.Error), t.BarBg).Bold(true)
	s.BarMuted = withBg(fg(t.Muted), t.BarBg)
	s.BarAccent = withBg(fg(t.Accent), t.BarBg).Bold(true)
	s.Demo = withBg(fg(t.DemoFg), t.DemoBg).Bold(true)
	if mono || t.DemoBg == "" {
		s.Demo = s.Demo.Reverse(true)
	}
	s.Link = fg(t.Accent) // and underlined (linkLine)
	s.SearchPrompt = fg(t.Accent).Bold(true)
	s.SearchText = fg(t.Text)

	key := fg(t.Accent)
	desc := fg(t.Muted)
	sep := fg(t.Border)
	s.Help = help.Styles{
		Ellipsis: sep, ShortKey: key, ShortDesc: desc, ShortSeparator: sep,
		FullKey: key, FullDesc: desc, FullSeparator: sep,
	}
	s.HelpTitle = fg(t.Accent).Bold(true)
	s.Chart = chart.Style{
		Line: fg(t.Chart), Up: fg(t.Up), Down: fg(t.Down),
		Axis: fg(t.ChartAx), Label: fg(t.ChartAx),
	}

	s.HighlightUp = withBg(r.NewStyle(), t.FlashUpBg)
	s.HighlightDown = withBg(r.NewStyle(), t.FlashDnBg)
	s.Selected = withBg(fg(t.SelectedFg), t.SelectedBg)
	if mono || t.SelectedBg == "" {
		s.Selected = s.Selected.Reverse(true)
	}
	if mono {
		s.HighlightUp = s.HighlightUp.Bold(true)
		s.HighlightDown = s.HighlightDown.Bold(true)
	}
	s.Star = fg(t.Warning).Bold(true)
	s.Confirm = fg(t.Warning).Bold(true)
	s.Hint = fg(t.Muted)
	s.Total = fg(t.Text).Bold(true)

	for hl := range s.rows {
		for state := range s.rows[hl] {
			s.rows[hl][state] = newRowPalette(t, r, state, hl)
		}
	}
	return s
}

// newRowPalette builds one row state's cell styles. A highlighted row (hl
// hlUp or hlDown) takes the flash background, or bold in mono; the cursor
// row keeps its own background so the cursor stays visible.
func newRowPalette(t themes.Theme, r *lipgloss.Renderer, state, hl int) rowPalette {
	mono := t.Mono
	sel := state&rowSelected != 0
	stale := state&rowStale != 0
	hlBg := ""
	switch hl {
	case hlUp:
		hlBg = t.FlashUpBg
	case hlDown:
		hlBg = t.FlashDnBg
	}
	mk := func(fgc string) lipgloss.Style {
		st := r.NewStyle()
		if mono {
			if sel {
				st = st.Reverse(true)
			}
			if stale && hl == hlNone {
				st = st.Faint(true)
			}
			if hl != hlNone {
				st = st.Bold(true)
			}
			return st
		}
		switch {
		case stale && t.Stale != "":
			st = st.Foreground(lipgloss.Color(t.Stale))
		case sel && (fgc == t.Text || fgc == t.Muted) && t.SelectedFg != "":
			st = st.Foreground(lipgloss.Color(t.SelectedFg))
		case fgc != "":
			st = st.Foreground(lipgloss.Color(fgc))
		}
		if sel {
			if t.SelectedBg != "" {
				st = st.Background(lipgloss.Color(t.SelectedBg))
			} else {
				st = st.Reverse(true)
			}
		} else if hlBg != "" {
			st = st.Background(lipgloss.Color(hlBg))
		}
		return st
	}
	flash := func(bgc string) lipgloss.Style {
		st := mk(t.Text).Bold(true)
		if mono {
			return st
		}
		if bgc != "" {
			st = st.Background(lipgloss.Color(bgc))
		}
		return st
	}
	p := rowPalette{
		base:       spanOf(mk(t.Text)),
		cursor:     spanOf(mk(t.Accent).Bold(true)),
		rank:       spanOf(mk(t.Muted)),
		symbol:     spanOf(mk(t.Text).Bold(true)),
		name:       spanOf(mk(t.Muted)),
		price:      spanOf(mk(t.Text)),
		num:        spanOf(mk(t.Text)),
		up:         spanOf(mk(t.Up)),
		down:       spanOf(mk(t.Down)),
		flat:       spanOf(mk(t.Flat)),
		flashUp:    spanOf(flash(t.FlashUpBg)),
		flashDown:  spanOf(flash(t.FlashDnBg)),
		staleMark:  spanOf(mk(t.Warning)),
		cached:     spanOf(mk(t.Muted).Faint(true)),
		strongUp:   spanOf(mk(t.Up).Bold(true)),
		strongDown: spanOf(mk(t.Down).Bold(true)),
		hlMark:     spanOf(mk(t.Accent).Bold(true)),
		star:       spanOf(mk(t.Warning).Bold(true)),
	}
	if mono {
		p.up = spanOf(mk("").Bold(true))
		p.strongUp = p.up
	}
	return p
}

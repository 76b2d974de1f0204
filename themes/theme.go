// Package themes holds tokentop's colour palettes: built-in ones embedded as
// TOML, and user ones loaded from the config directory.
package themes

// Theme is a palette. Each colour is "#rrggbb", an ANSI index "0".."255", or
// "" for the terminal's own default. lipgloss degrades colours to what the
// terminal supports (true colour, 256, 16) and a renderer with no colour
// profile (NO_COLOR, mono) ignores them: so every distinction a theme makes
// with colour must also be readable without it (the UI adds signs, arrows,
// bold and reverse video for that).
type Theme struct {
	Name string `toml:"name"`
	Mono bool   `toml:"mono"` // no colour at all; emphasis by bold/reverse/underline only

	Text       string `toml:"text"`        // normal text
	Muted      string `toml:"muted"`       // secondary text: names, labels, axes
	Accent     string `toml:"accent"`      // titles, the active tab, key names in help
	Border     string `toml:"border"`      // pane borders, separators
	HeaderText string `toml:"header_text"` // table header
	HeaderBg   string `toml:"header_bg"`   //
	SelectedFg string `toml:"selected_fg"` // the cursor row
	SelectedBg string `toml:"selected_bg"` //

	Up        string `toml:"up"`         // rising price, positive change
	Down      string `toml:"down"`       // falling price, negative change
	Flat      string `toml:"flat"`       // unchanged
	FlashUpBg string `toml:"flash_up"`   // background of a price that just ticked up
	FlashDnBg string `toml:"flash_down"` // ... ticked down

	Whale   string `toml:"whale"`    // large trades
	Stale   string `toml:"stale"`    // rows with no recent update
	Warning string `toml:"warning"`  // feed reconnecting, stale
	Error   string `toml:"error"`    // feed down, errors
	Good    string `toml:"good"`     // feed live
	DemoFg  string `toml:"demo_fg"`  // the DEMO label
	DemoBg  string `toml:"demo_bg"`  //
	BarFg   string `toml:"bar_fg"`   // status bar
	BarBg   string `toml:"bar_bg"`   //
	Chart   string `toml:"chart"`    // chart line
	ChartAx string `toml:"chart_ax"` // chart axes and labels
}

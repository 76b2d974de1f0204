package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/tokentop/tokentop/internal/safetext"
	"github.com/tokentop/tokentop/internal/tradelink"
)

// openTimeout bounds one run of the session's Opener.
const openTimeout = 15 * time.Second

// tradeLink is a token's spot trading page on the exchange that streams
// it, checked: url is an https address of printable ASCII.
type tradeLink struct {
	symbol, exchange, url string
}

// openedMsg is the Opener's answer.
type openedMsg struct {
	link tradeLink
	err  error
}

// trade is the trade key: open the selected token's trading page with the
// session's Opener (in a tea.Cmd), or, without one, show the link in the
// detail pane. The status line says which, or why neither.
func (a *app) trade() tea.Cmd {
	sym := a.selectedSymbol()
	if sym == "" {
		a.say("no token selected", -1, "✗ ")
		return nil
	}
	link, err := a.tradeLink(sym)
	if err != nil {
		a.refuse(err)
		return nil
	}
	open := a.ctx.opts.Opener
	if open == nil {
		why := a.ctx.opts.NoOpener
		if why == "" {
			why = "no browser here"
		}
		return a.showLink(link, safetext.Line(why, maxShown), 0, "")
	}
	a.say("opening "+link.symbol+" on "+link.exchange+" in the browser…", 0, "")
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		return openedMsg{link: link, err: open(ctx, link.url)}
	}
}

// tradeLink asks Options.TradeURL for sym's page and checks the answer: a
// symbol that cannot be in an address never reaches TradeURL, and only an
// address tradelink.CheckURL accepts comes back.
func (a *app) tradeLink(sym string) (tradeLink, error) {
	if !tradelink.ValidSymbol(sym) {
		return tradeLink{}, errors.New("no trading page: " + safetext.Line(sym, maxShown) + " is not a symbol an exchange address can hold")
	}
	get := a.ctx.opts.TradeURL
	if get == nil {
		if a.ctx.opts.Demo {
			return tradeLink{}, errors.New(sym + ": no trading page in the demo (a simulated market)")
		}
		return tradeLink{}, errors.New("no trading page for " + sym)
	}
	url, exchange, err := get(sym)
	if err != nil {
		return tradeLink{}, errors.New("no trading page for " + sym + ": " + safetext.Line(err.Error(), maxShown))
	}
	if err := tradelink.CheckURL(url); err != nil {
		return tradeLink{}, errors.New("no trading page for " + sym + ": its address " + err.Error())
	}
	return tradeLink{symbol: sym, exchange: safetext.Line(exchange, maxShown), url: url}, nil
}

// onOpened says whether the browser took the address; when it did not,
// the link is shown in the detail pane instead.
func (a *app) onOpened(m openedMsg) tea.Cmd {
	if m.err == nil {
		a.say("Opened "+m.link.symbol+" on "+m.link.exchange+" in the browser", 1, "✓ ")
		return nil
	}
	return a.showLink(m.link, "browser: "+safetext.Line(m.err.Error(), maxShown), -1, "✗ ")
}

// showLink puts the link at the foot of the detail pane (opening the pane
// on the token when it is closed) and says so, and why; when the token
// has no detail pane (a lot of a token the market no longer lists), the
// address goes in the status line itself.
func (a *app) showLink(link tradeLink, why string, dir int, mark string) tea.Cmd {
	a.detail.link = link
	var cmd tea.Cmd
	if a.selectedToken() != nil {
		cmd = a.openDetail()
		a.detail.render()
	}
	if a.detail.open && a.detail.symbol == link.symbol {
		a.say(link.symbol+" on "+link.exchange+": link in the detail pane ("+why+")", dir, mark)
	} else {
		a.say(link.symbol+" on "+link.exchange+": "+link.url+" ("+why+")", dir, mark)
	}
	return cmd
}

const (
	underlineOn  = "\x1b[4m"
	underlineOff = "\x1b[24m"
)

// hyperlink wraps text in an OSC 8 terminal hyperlink to url (an address
// tradelink.CheckURL accepted: nothing in it can end the sequence).
// Terminals that know OSC 8 make text clickable; the others show text.
func hyperlink(url, text string) string {
	return ansi.SetHyperlink(url) + text + ansi.ResetHyperlink()
}

// linkLine is the detail pane's foot while it shows a trade link: "Trade
// BTC on Binance: https://…", the address a hyperlink to itself, exactly
// w cells. Where the address does not fit, its text is cut (with "…") but
// the link keeps the whole address.
func (d *detail) linkLine(w int) string {
	st := d.ctx.styles
	l := d.link
	label := "Trade " + l.symbol + " on " + l.exchange + ": "
	room := w - len(label)
	if room < 24 {
		label, room = "", w
	}
	text := l.url
	if len(text) > room {
		text = ansi.Truncate(text, max(room-1, 0), "") + "…"
	}
	// Underlined by hand: lipgloss underlines each character on its own.
	line := st.Muted.Render(label) + hyperlink(l.url, underlineOn+st.Link.Render(text)+underlineOff)
	if pad := w - textWidth(label) - textWidth(text); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	return line
}

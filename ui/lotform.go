package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
	"github.com/tokentop/tokentop/ui/keymap"
)

// The Portfolio view's keys and its place in the list of views (the view
// itself is portfolio.go), and the lot form: add a lot of a token (a key from any view) or edit one
// (e in the Portfolio view). Fields: Token, Quantity, Cost per unit (USD,
// prefilled with the current price), Date (YYYY-MM-DD, today by default;
// optional) and Note. Submit reads every field, shows each problem beside
// its field, checks the lot (model.Lot.Validate) and sends it to the
// user's service; the form stays open with everything typed on any error
// it can see, and comes back as a draft with the error beside its field
// when the service refuses the lot. "✓ Lot added" shows only once the
// service has committed it to the store.

const dateLayout = "2006-01-02"

// lotForm is the form for a new lot of sym (edit nil) or for the lot edit.
func (p *portfolioView) lotForm(sym string, edit *model.Lot) *form {
	now := p.host.now()
	if edit != nil {
		date := ""
		if !edit.Opened.IsZero() {
			date = edit.Opened.UTC().Format(dateLayout)
		}
		fields := lotFields(edit.Symbol, plainAmount(edit.Quantity), plainAmount(edit.Cost), date, edit.Note)
		f := newForm(p.ctx, "lot:edit:"+edit.ID, "Edit lot — "+edit.Symbol, fields, p.submitLot(edit.ID, edit.Symbol))
		f.focus = 1
		return f
	}
	cost := ""
	if tok := p.snap.Token(sym); tok != nil {
		cost = priceText(tok.Price)
	}
	title := "Add lot"
	if sym != "" {
		title += " — " + sym
	}
	f := newForm(p.ctx, "lot:new:"+sym, title, lotFields(sym, "", cost, now.Format(dateLayout), ""), p.submitLot("", ""))
	if sym != "" {
		f.focus = 1 // the token is filled in: start at the quantity
	}
	return f
}

func lotFields(sym, qty, cost, date, note string) []formField {
	return []formField{
		{Label: "Token", Key: "symbol", Value: sym, Hint: "symbol, e.g. BTC", MaxLen: 32},
		{Label: "Quantity", Key: "quantity", Value: qty, Hint: "how many you hold"},
		{Label: "Cost per unit", Key: "cost", Value: cost, Hint: "USD per unit"},
		{Label: "Date", Key: "opened", Value: date, Hint: "YYYY-MM-DD, optional"},
		{Label: "Note", Key: "note", Value: note, Hint: "optional", MaxLen: model.MaxNoteLen},
	}
}

// plainAmount is a number as a form shows it for editing: every digit it
// has, no exponent, no thousands separators.
func plainAmount(v float64) string {
	if bad(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// readLot reads the form into a lot (without its ID). Every bad field
// gets its message; ok is false if any did. A lot being edited may keep
// a token the market no longer lists (orig).
func (p *portfolioView) readLot(f *form, orig string) (l model.Lot, ok bool) {
	ok = true
	fail := func(key, msg string) {
		f.setErr(key, msg)
		ok = false
	}
	sym := strings.ToUpper(f.value("symbol"))
	switch {
	case sym == "":
		fail("symbol", "is required")
	case !model.ValidSymbol(sym):
		fail("symbol", "use A-Z, 0-9, . - _")
	case sym != orig:
		if err := model.CheckKnownToken(sym, p.snap.Knows); err != nil {
			fail("symbol", err.Error())
		}
	}
	l.Symbol = sym
	q, msg := formNumber(f.value("quantity"), true)
	if msg == "" && q > model.MaxQuantity {
		msg = "is too large"
	}
	if msg != "" {
		fail("quantity", msg)
	}
	l.Quantity = q
	c, msg := formNumber(f.value("cost"), false)
	switch {
	case msg == "" && c < 0:
		msg = "must be 0 or more"
	case msg == "" && c > model.MaxUnitCost:
		msg = "is too large"
	}
	if msg != "" {
		fail("cost", msg)
	}
	l.Cost = c
	if s := f.value("opened"); s != "" {
		d, err := time.ParseInLocation(dateLayout, s, time.UTC)
		now := p.host.now()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		switch {
		case err != nil:
			fail("opened", "must be YYYY-MM-DD")
		case d.After(today):
			fail("opened", "must not be in the future")
		case d.Year() < 2009:
			fail("opened", "must be a date from 2009 on")
		}
		l.Opened = d
	}
	l.Note = f.value("note")
	return l, ok
}

// submitLot validates and saves the form's lot: a new one (editID "") or
// the edited one, which keeps its ID.
func (p *portfolioView) submitLot(editID, orig string) func(*form) (tea.Cmd, bool) {
	return func(f *form) (tea.Cmd, bool) {
		l, ok := p.readLot(f, orig)
		if !ok {
			return nil, false
		}
		what := "lot added"
		if editID == "" {
			l.ID = model.NewID(p.host.now())
		} else {
			if p.user.lot(editID) == nil {
				f.setErr("", "this lot was deleted; esc to close")
				return nil, false
			}
			l.ID, what = editID, "lot changed"
		}
		if err := l.Validate(); err != nil {
			setFormErr(f, err)
			return nil, false
		}
		msg := "Lot added: "
		if editID != "" {
			msg = "Lot changed: "
		}
		if p.user.hide {
			msg += safetext.Line(l.Symbol, maxShown)
		} else {
			msg += string(appendQty(nil, l.Quantity)) + " " + safetext.Line(l.Symbol, maxShown) + " at $" + string(appendUnitCost(nil, l.Cost))
		}
		id := l.ID
		cmd, err := p.host.sendChange(change{ch: model.UserChange{PutLot: &l}, what: what, saved: msg, dir: 1, mark: "✓ ",
			then: func() { p.selectLot(id) }, form: f})
		if err != nil {
			setFormErr(f, err)
			return nil, false
		}
		return cmd, true
	}
}

// deleteLotPrompt asks before deleting the selected lot (quantities stay
// hidden while balances are).
func (p *portfolioView) deleteLotPrompt() {
	l := p.selectedLot()
	if l == nil {
		p.host.say("no lot selected", -1, "✗ ")
		return
	}
	q := "Delete lot of " + safetext.Line(l.Symbol, maxShown)
	if !p.user.hide {
		q = "Delete lot " + string(appendQty(nil, l.Quantity)) + " " + safetext.Line(l.Symbol, maxShown)
	}
	if !l.Opened.IsZero() {
		q += " bought " + l.Opened.UTC().Format(dateLayout)
	}
	id, sym := l.ID, safetext.Line(l.Symbol, maxShown)
	p.host.ask(q+"? y/n", func() (tea.Cmd, error) {
		return p.host.sendChange(change{ch: model.UserChange{DeleteLot: id}, what: "lot deleted", saved: "Lot of " + sym + " deleted", mark: "✓ "})
	})
}

// The Portfolio view in the list of views (view.go).

var _ tabView = (*portfolioView)(nil)

func (p *portfolioView) tab() (full, short string, count int) {
	return "Portfolio", "Port", len(p.user.data.Lots)
}
func (p *portfolioView) keyView() keymap.View { return keymap.Portfolio }

func (p *portfolioView) hints(k *KeyMap) []key.Binding {
	relabel(&k.Edit, "edit lot")
	relabel(&k.Delete, "delete lot")
	return []key.Binding{k.AddLot, k.Edit, k.Delete, k.HideBalances, k.NextView, k.AddAlert}
}

// apply takes a new snapshot; the lots are valued when next shown.
func (p *portfolioView) apply(s *model.Snapshot, _ time.Time) { p.setSnapshot(s) }
func (p *portfolioView) cursorRow() int                       { return p.cursor }
func (p *portfolioView) selectedToken() *model.TokenView      { return p.snap.Token(p.selectedSymbol()) }

// onKey: e edits the selected lot, x deletes it (asking first).
func (p *portfolioView) onKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := &p.ctx.keys
	switch {
	case key.Matches(msg, k.Edit):
		if l := p.selectedLot(); l != nil {
			p.host.openForm(p.lotForm("", l))
		} else {
			p.host.say("no lot selected", -1, "✗ ")
		}
	case key.Matches(msg, k.Delete):
		p.deleteLotPrompt()
	default:
		return nil, false
	}
	return nil, true
}

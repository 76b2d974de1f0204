package ui

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/tokentop/tokentop/model"
)

// alertsFixture is an Alerts view on its own, as the root holds it,
// linked to a fake user service.
type alertsFixture struct {
	t    *testing.T
	ctx  *programContext
	u    *userState
	v    *alertsView
	rec  *fakeUser
	snap *model.Snapshot
}

// fixtureHost is the root as the view alone sees it: changes go to the
// fake service; what the view says or asks is kept for the test.
type fixtureHost struct {
	u     *userState
	said  []string
	asked []string
	forms []*form
}

func (h *fixtureHost) say(msg string, _ int, mark string) { h.said = append(h.said, mark+msg) }
func (h *fixtureHost) refuse(err error) {
	if err != nil {
		h.said = append(h.said, "✗ "+err.Error())
	}
}
func (h *fixtureHost) ask(q string, _ func() (tea.Cmd, error)) { h.asked = append(h.asked, q) }
func (h *fixtureHost) openForm(f *form)                        { h.forms = append(h.forms, f) }
func (h *fixtureHost) now() time.Time                          { return t0 }
func (h *fixtureHost) sendChange(c change) (tea.Cmd, error) {
	return h.u.send(c.ch, c.what, func(err error) {
		if err == nil && c.then != nil {
			c.then()
		}
	})
}

// answer is the service's answer to one change, as the root takes it.
type answer struct {
	what string
	err  error
}

func newAlertsFixture(t *testing.T, theme string, w, h int, opts Options, data ...model.UserData) *alertsFixture {
	t.Helper()
	var d model.UserData
	if len(data) > 0 {
		d = data[0]
	}
	rec := newFakeUser(d)
	opts.User = rec
	opts.Theme = testTheme(t, theme)
	ctx := &programContext{opts: opts, styles: NewStyles(opts.Theme, testRenderer(profileFor(theme))),
		keys: NewKeyMap(nil), width: w, height: h + 3, now: t0}
	u := newUserState(opts)
	fx := &alertsFixture{t: t, ctx: ctx, u: u, v: newAlertsView(ctx, u), rec: rec, snap: makeSnapshot(20, 1)}
	fx.v.host = &fixtureHost{u: u}
	fx.v.setSize(w, h)
	fx.v.snap = fx.snap // as after the root's first tick
	fx.v.refresh()
	return fx
}

// run runs the Cmd of a change and takes the answers as the root does:
// the new records first, then each change's follow-up.
func (fx *alertsFixture) run(cmd tea.Cmd) []answer {
	var out []answer
	for _, m := range cmdMsgs(cmd) {
		s, ok := m.(savedMsg)
		if !ok {
			continue
		}
		fx.u.pull()
		p, ok := fx.u.answered(s.id)
		if !ok {
			fx.t.Fatalf("answer to no pending change: %+v", s)
		}
		p.done(s.err)
		out = append(out, answer{p.what, s.err})
	}
	return out
}

func (fx *alertsFixture) text() string {
	fx.v.refresh()
	return ansi.Strip(strings.Join(fx.v.lines, "\n"))
}

// submitForm types the fields of an alert form (key -> text, or for a
// choice the label to select) and submits with ctrl+s.
func submitForm(t *testing.T, f *form, values map[string]string) (bool, tea.Cmd) {
	t.Helper()
	f.render(100, 20)
	// Kind first: it decides which fields show.
	order := []string{"symbol", "kind", "price", "percent", "window", "repeat", "cooldown"}
	for _, key := range order {
		val, ok := values[key]
		if !ok {
			continue
		}
		fd := f.field(key)
		if fd == nil {
			t.Fatalf("no field %q", key)
		}
		for i := range f.fields {
			if f.fields[i].Key == key {
				f.focus = i
			}
		}
		if fd.Kind == fieldChoice {
			for n := 0; f.value(key) != val; n++ {
				if n > len(fd.Choices) {
					t.Fatalf("%s has no choice %q", key, val)
				}
				f.update(formKey("right"))
			}
			continue
		}
		f.update(formKey("ctrl+u"))
		f.update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(val), Paste: true})
	}
	return f.update(formKey("ctrl+s"))
}

func TestAlertFormCreatesEachKind(t *testing.T) {
	btc := 67012.5 * 1.001
	cases := []struct {
		name   string
		tok    string
		values map[string]string
		want   model.Alert
	}{
		{"price above", "BTC", map[string]string{"kind": "price above", "price": "$70,000"},
			model.Alert{Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 70000}},
		{"price below, prefilled", "BTC", map[string]string{"kind": "price below"},
			model.Alert{Symbol: "BTC", Kind: model.AlertPriceBelow, Price: 67079.51}},
		{"move", "ETH", map[string]string{"kind": "move within", "percent": "5%", "window": "1h"},
			model.Alert{Symbol: "ETH", Kind: model.AlertMove, Percent: 0.05, Window: model.Duration(time.Hour)}},
		{"move 7d repeating", "ETH", map[string]string{"kind": "move within", "percent": "12.5", "window": "7d",
			"repeat": "repeat", "cooldown": "4h"},
			model.Alert{Symbol: "ETH", Kind: model.AlertMove, Percent: 0.125, Window: model.Duration(7 * 24 * time.Hour),
				Repeat: true, Cooldown: model.Duration(4 * time.Hour)}},
		{"signal flip on a token, lower case typed", "", map[string]string{"symbol": "sol", "kind": "signal flip"},
			model.Alert{Symbol: "SOL", Kind: model.AlertSignalFlip}},
		{"signal flip on any token", "BTC", map[string]string{"symbol": "*", "kind": "signal flip", "repeat": "repeat"},
			model.Alert{Kind: model.AlertSignalFlip, Repeat: true, Cooldown: model.Duration(30 * time.Minute)}},
		{"new moonshot, any token", "", map[string]string{"kind": "new moonshot"},
			model.Alert{Kind: model.AlertMoonshot}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newAlertsFixture(t, "mono", 100, 30, Options{})
			f := fx.v.newForm(fx.snap.Token(c.tok), t0)
			if c.tok != "" && f.value("symbol") != c.tok {
				t.Fatalf("token not prefilled: %q", f.value("symbol"))
			}
			done, cmd := submitForm(t, f, c.values)
			if !done || cmd == nil {
				t.Fatalf("not submitted: %s", formText(f))
			}
			if saved := fx.run(cmd); len(saved) != 1 || saved[0].err != nil || saved[0].what != "alert added" {
				t.Fatalf("saved %+v", saved)
			}
			ch := fx.rec.take()
			if len(ch) != 1 || ch[0].PutAlert == nil {
				t.Fatalf("changes %+v", ch)
			}
			got := *ch[0].PutAlert
			if got.ID == "" || !got.Created.Equal(t0) {
				t.Fatalf("no ID or creation time: %+v", got)
			}
			want := c.want
			want.ID, want.Created = got.ID, got.Created
			if want.Kind == model.AlertPriceBelow { // prefilled with the shown price
				want.Price = got.Price
				if got.Price < btc-0.01 || got.Price > btc+0.01 {
					t.Fatalf("prefilled price %v, want about %v", got.Price, btc)
				}
			}
			if got != want {
				t.Fatalf("saved %+v\nwant  %+v", got, want)
			}
			if len(fx.u.data.Alerts) != 1 || fx.u.data.Alerts[0] != got {
				t.Fatalf("not in memory: %+v", fx.u.data.Alerts)
			}
			if !strings.Contains(fx.text(), got.Describe()) {
				t.Fatalf("not listed:\n%s", fx.text())
			}
		})
	}
}

func TestAlertFormRejectsBadInputBesideTheField(t *testing.T) {
	cases := []struct {
		values map[string]string
		key    string
		msg    string
	}{
		{map[string]string{"kind": "price above", "price": "abc"}, "price", "must be a number"},
		{map[string]string{"kind": "price above", "price": "-5"}, "price", "must be greater than 0"},
		{map[string]string{"kind": "price below", "price": "0"}, "price", "must be greater than 0"},
		{map[string]string{"kind": "price below", "price": "1e13"}, "price", "is too large"},
		{map[string]string{"kind": "price above", "price": ""}, "price", "is required"},
		{map[string]string{"symbol": "NOPE", "kind": "price above"}, "symbol", "unknown token NOPE"},
		{map[string]string{"symbol": "", "kind": "price above"}, "symbol", "is required"},
		{map[string]string{"symbol": "*", "kind": "move within"}, "symbol", "* (any token) is for signal flip and new moonshot"},
		{map[string]string{"symbol": "B T C", "kind": "signal flip"}, "symbol", "is not a token symbol"},
		{map[string]string{"symbol": "NOPE", "kind": "new moonshot"}, "symbol", "unknown token NOPE"},
		{map[string]string{"kind": "move within", "percent": "0"}, "percent", "must be greater than 0"},
		{map[string]string{"kind": "move within", "percent": "five"}, "percent", "must be a number"},
		{map[string]string{"kind": "move within", "percent": "20000"}, "percent", "must be at most 10000"},
		{map[string]string{"kind": "price above", "repeat": "repeat", "cooldown": "soon"}, "cooldown", "must be a duration like 30m"},
		{map[string]string{"kind": "signal flip", "repeat": "repeat", "cooldown": "-5m"}, "cooldown", "must be 0 or more"},
		{map[string]string{"kind": "signal flip", "repeat": "repeat", "cooldown": "800h"}, "cooldown", "must be at most 30d"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.values), func(t *testing.T) {
			fx := newAlertsFixture(t, "mono", 100, 30, Options{})
			f := fx.v.newForm(fx.snap.Token("BTC"), t0)
			done, cmd := submitForm(t, f, c.values)
			if done || cmd != nil {
				t.Fatal("bad input was accepted")
			}
			if got := f.field(c.key).Err; !strings.Contains(got, c.msg) {
				t.Fatalf("%s error %q, want %q", c.key, got, c.msg)
			}
			// Beside the field, and everything typed is still there.
			var row string
			for _, l := range f.lines {
				if s := ansi.Strip(l); strings.Contains(s, "› "+f.field(c.key).Label) {
					row = s
				}
			}
			if !strings.Contains(row, "✗ "+c.msg[:min(len(c.msg), 20)]) {
				t.Fatalf("error not beside the focused field %s:\n%s", c.key, formText(f))
			}
			for k, val := range c.values {
				if fd := f.field(k); fd.Kind == fieldText && fd.Value != val {
					t.Fatalf("%s lost what was typed: %q, want %q", k, fd.Value, val)
				}
			}
			if ch := fx.rec.take(); len(ch) != 0 || len(fx.u.data.Alerts) != 0 {
				t.Fatalf("a refused alert was saved: %+v", ch)
			}
		})
	}
}

func TestAlertFormShowsOnlyTheKindsFields(t *testing.T) {
	fx := newAlertsFixture(t, "mono", 100, 30, Options{})
	f := fx.v.newForm(fx.snap.Token("BTC"), t0)
	f.render(100, 20)
	visible := func() string {
		var keys []string
		for _, fd := range f.fields {
			if !fd.Hidden {
				keys = append(keys, fd.Key)
			}
		}
		return strings.Join(keys, " ")
	}
	if got := visible(); got != "symbol kind price repeat" {
		t.Fatalf("price kind shows %q", got)
	}
	press(f, "tab", "right", "right") // kind: move within
	if got := visible(); got != "symbol kind percent window repeat" {
		t.Fatalf("move shows %q", got)
	}
	press(f, "right") // signal flip
	if got := visible(); got != "symbol kind repeat" {
		t.Fatalf("signal flip shows %q", got)
	}
	if !strings.Contains(formText(f), "* for any token") {
		t.Fatalf("no hint for any token:\n%s", formText(f))
	}
	press(f, "tab", "space") // repeat
	if got := visible(); got != "symbol kind repeat cooldown" {
		t.Fatalf("repeat shows %q", got)
	}
	if !strings.Contains(formText(f), "[30m") {
		t.Fatalf("cooldown not prefilled:\n%s", formText(f))
	}
}

// The service records firings (it checks the alerts on every snapshot);
// the session announces the ones recorded after it started: the status
// line, one bell, a notification for each of the first three.
func TestAlertFiringsAnnounced(t *testing.T) {
	var mu sync.Mutex
	bells, notes := 0, []string{}
	fx := newAlertsFixture(t, "mono", 100, 30, Options{
		Bell:   func() { mu.Lock(); bells++; mu.Unlock() },
		Notify: func(title, body string) { mu.Lock(); notes = append(notes, title+": "+body); mu.Unlock() },
	}, alertsSample())
	if fired := fx.u.pull(); fired != nil {
		t.Fatalf("the history loaded at start was announced: %+v", fired)
	}
	f := model.AlertFiring{AlertID: "a1", Symbol: "BTC", Time: t0, Message: "BTC rose above $70,000.00 (now $70,012.50)"}
	fx.rec.fire(f)
	cmd, ann := fx.v.announce(fx.u.pull())
	if ann != "🔔 "+f.Message {
		t.Fatalf("announcement %q", ann)
	}
	if bells != 0 || len(notes) != 0 {
		t.Fatal("bell or notify called in Update")
	}
	cmdMsgs(cmd)
	if bells != 1 || len(notes) != 1 || notes[0] != "tokentop alert: "+f.Message {
		t.Fatalf("bell %d, notes %q", bells, notes)
	}
	if fired := fx.u.pull(); fired != nil {
		t.Fatal("a firing was announced twice")
	}
	if !strings.Contains(fx.text(), "History (4, newest first)") {
		t.Fatalf("the firing is not in the history:\n%s", fx.text())
	}
}

// Snapshots coalesce in the mailbox; the firings they recorded are all
// announced, from the records: the first that fired in the status line,
// at most three notifications then "+N more".
func TestAlertFiringsCoalescedAreAllAnnounced(t *testing.T) {
	var mu sync.Mutex
	bells, notes := 0, []string{}
	fx := newAlertsFixture(t, "mono", 100, 30, Options{
		Bell:   func() { mu.Lock(); bells++; mu.Unlock() },
		Notify: func(_, body string) { mu.Lock(); notes = append(notes, body); mu.Unlock() },
	})
	for i, sym := range []string{"BTC", "ETH", "SOL", "BNB", "XRP"} {
		fx.rec.fire(model.AlertFiring{AlertID: fmt.Sprintf("a%d", i), Symbol: sym, Time: t0, Message: sym + " fell"})
	}
	cmd, ann := fx.v.announce(fx.u.pull())
	if ann != "🔔 BTC fell (+4 more)" {
		t.Fatalf("announcement %q", ann)
	}
	cmdMsgs(cmd)
	if bells != 1 || len(notes) != 4 || notes[0] != "BTC fell" || notes[2] != "SOL fell" || notes[3] != "+2 more" {
		t.Fatalf("bell %d, notes %q", bells, notes)
	}
}

func TestAlertNotifyFailingOrAbsentIsFine(t *testing.T) {
	for name, opts := range map[string]Options{
		"panicking notifier": {Notify: func(string, string) { panic("dbus gone") }, Bell: func() { panic("no tty") }},
		"none":               {},
	} {
		t.Run(name, func(t *testing.T) {
			fx := newAlertsFixture(t, "mono", 100, 30, opts)
			fx.rec.fire(model.AlertFiring{AlertID: "a1", Symbol: "BTC", Time: t0, Message: "BTC rose"})
			cmd, ann := fx.v.announce(fx.u.pull())
			if ann == "" {
				t.Fatal("not announced")
			}
			cmdMsgs(cmd)
		})
	}
}

// A user whose store is in use elsewhere still gets the firings its
// service announces; its forms refuse with the reason, keeping the entry.
func TestAlertReadOnlyStore(t *testing.T) {
	fx := newAlertsFixture(t, "mono", 100, 30, Options{})
	fx.rec.readOnly = "the store is in use by another tokentop"
	fx.rec.fire(model.AlertFiring{AlertID: "a1", Symbol: "BTC", Time: t0, Message: "BTC rose above $1.00"})
	if _, ann := fx.v.announce(fx.u.pull()); !strings.HasPrefix(ann, "🔔 BTC rose above") {
		t.Fatalf("announcement %q", ann)
	}
	f := fx.v.newForm(fx.snap.Token("ETH"), t0)
	if done, _ := submitForm(t, f, map[string]string{"price": "4000"}); done {
		t.Fatal("saved into a read-only store")
	}
	if !strings.Contains(formText(f), "✗ not saved: the store is in use") || f.field("price").Value != "4000" {
		t.Fatalf("read-only form:\n%s", formText(f))
	}
	if len(fx.rec.all()) != 0 {
		t.Fatal("a change was sent to a read-only service")
	}
}

func TestAlertToggleDeleteAndConfirm(t *testing.T) {
	fx := newAlertsFixture(t, "mono", 100, 30, Options{}, model.UserData{Alerts: []model.Alert{
		{ID: "a1", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 1e9},
		{ID: "a2", Symbol: "ETH", Kind: model.AlertPriceBelow, Price: 1, Done: true, Fired: 1, LastFired: t0},
	}})
	if got := fx.v.confirmDelete(); got != "Delete alert "+fx.u.data.Alerts[0].Describe()+"? y/n" || !strings.HasPrefix(got, "Delete alert BTC price above $1") {
		t.Fatalf("confirm %q", got)
	}
	cmd, err := fx.v.toggleSelected()
	if err != nil || cmd == nil {
		t.Fatal(err)
	}
	if fx.v.armed() != 1 {
		t.Fatal("a change not yet committed is shown")
	}
	fx.run(cmd)
	if ch := fx.rec.take(); len(ch) != 1 || ch[0].PutAlert == nil || !ch[0].PutAlert.Disabled || ch[0].PutAlert.ID != "a1" {
		t.Fatalf("disable: %+v", ch)
	}
	if !strings.Contains(fx.text(), "○ BTC") || fx.v.armed() != 0 {
		t.Fatalf("disabled alert:\n%s", fx.text())
	}
	fx.run(must(fx.v.toggleSelected()))
	if ch := fx.rec.take(); ch[0].PutAlert.Disabled || fx.v.armed() != 1 {
		t.Fatalf("enable: %+v", ch)
	}
	fx.v.move(1)
	if fx.v.cursorRow() != 1 || fx.v.selectedSymbol() != "ETH" {
		t.Fatalf("cursor %d on %q", fx.v.cursorRow(), fx.v.selectedSymbol())
	}
	fx.run(must(fx.v.toggleSelected())) // a done alert is re-armed
	if ch := fx.rec.take(); ch[0].PutAlert.Done || ch[0].PutAlert.Disabled || fx.v.armed() != 2 {
		t.Fatalf("re-arm: %+v", ch)
	}
	fx.run(must(fx.v.deleteSelected()))
	if ch := fx.rec.take(); len(ch) != 1 || ch[0].DeleteAlert != "a2" {
		t.Fatalf("delete: %+v", ch)
	}
	fx.v.refresh()
	if fx.v.cursorRow() != 0 || fx.v.selectedSymbol() != "BTC" || strings.Contains(fx.text(), "ETH price") {
		t.Fatalf("after delete:\n%s", fx.text())
	}
	fx.run(must(fx.v.deleteSelected()))
	fx.rec.take()
	if _, err := fx.v.deleteSelected(); !errors.Is(err, errNoAlert) {
		t.Fatalf("delete with none: %v", err)
	}
	if _, err := fx.v.toggleSelected(); !errors.Is(err, errNoAlert) {
		t.Fatalf("toggle with none: %v", err)
	}
	if fx.v.editForm() != nil || fx.v.confirmDelete() != "" {
		t.Fatal("edit or confirm with no alert")
	}
	if !strings.Contains(fx.text(), "No alerts: select a token and press A") {
		t.Fatalf("empty view:\n%s", fx.text())
	}
}

// must is cmd, failing the test on err.
func must(cmd tea.Cmd, err error) tea.Cmd {
	if err != nil {
		panic(err)
	}
	return cmd
}

func TestAlertEditKeepsIDAndResetsDoneOnlyWhenTheRuleChanged(t *testing.T) {
	done := model.Alert{ID: "a1", Symbol: "ETH", Kind: model.AlertMove, Percent: 0.07, Window: model.Duration(24 * time.Hour),
		Repeat: true, Cooldown: model.Duration(90 * time.Minute), Created: t0.Add(-time.Hour), Done: true, Fired: 3, LastFired: t0}
	fx := newAlertsFixture(t, "mono", 100, 30, Options{}, model.UserData{Alerts: []model.Alert{done}})
	f := fx.v.editForm()
	f.render(100, 20)
	if f.id != "alert:edit:a1" || f.value("symbol") != "ETH" || f.value("kind") != "move within" ||
		f.value("percent") != "7" || f.value("window") != "24h" || f.value("repeat") != "repeat" || f.value("cooldown") != "1h30m" {
		t.Fatalf("edit form not prefilled:\n%s", formText(f))
	}
	// Unchanged: Done stays.
	ok, cmd := submitForm(t, f, nil)
	if !ok || fx.run(cmd)[0].what != "alert changed" {
		t.Fatal(formText(f))
	}
	if ch := fx.rec.take(); *ch[0].PutAlert != done {
		t.Fatalf("unchanged edit changed the alert: %+v", ch[0].PutAlert)
	}
	// A new rule can fire again; the history and counts stay.
	f = fx.v.editForm()
	ok, cmd = submitForm(t, f, map[string]string{"percent": "10"})
	if !ok {
		t.Fatal(formText(f))
	}
	fx.run(cmd)
	got := *fx.rec.take()[0].PutAlert
	want := done
	want.Percent, want.Done = 0.1, false
	if got != want {
		t.Fatalf("edited %+v\nwant   %+v", got, want)
	}
	// Editing an alert deleted meanwhile says so.
	f = fx.v.editForm()
	fx.run(must(fx.v.deleteSelected()))
	if ok, _ := submitForm(t, f, nil); ok || !strings.Contains(formText(f), "deleted") {
		t.Fatalf("edit of a deleted alert:\n%s", formText(f))
	}
}

// alertsSample holds a few alerts in every state and a history.
func alertsSample() model.UserData {
	return model.UserData{
		Alerts: []model.Alert{
			{ID: "a1", Symbol: "BTC", Kind: model.AlertPriceAbove, Price: 70000, Created: t0.Add(-48 * time.Hour)},
			{ID: "a2", Symbol: "ETH", Kind: model.AlertMove, Percent: 0.05, Window: model.Duration(time.Hour),
				Repeat: true, Cooldown: model.Duration(30 * time.Minute), Fired: 4, LastFired: t0.Add(-3 * time.Minute)},
			{ID: "a3", Symbol: "SOL", Kind: model.AlertPriceBelow, Price: 120, Done: true, Fired: 1, LastFired: t0.Add(-26 * time.Hour)},
			{ID: "a4", Kind: model.AlertSignalFlip, Repeat: true, Disabled: true},
			{ID: "a5", Kind: model.AlertMoonshot, Repeat: true, Cooldown: model.Duration(2 * time.Hour)},
		},
		Firings: []model.AlertFiring{
			{AlertID: "a2", Symbol: "ETH", Time: t0.Add(-3 * time.Minute), Message: "ETH moved +5.2% within 1h (now $3,456.78)"},
			{AlertID: "a3", Symbol: "SOL", Time: t0.Add(-26 * time.Hour), Message: "SOL fell below $120 (now $119.80)"},
			{AlertID: "a9", Symbol: "EVIL", Time: t0.Add(-50 * time.Hour), Message: "EVIL\x1b[31m rose\x1b]0;pwned\x07 \u202eabove $1"},
		},
	}
}

func TestAlertsViewRendering(t *testing.T) {
	d := alertsSample()
	fx := newAlertsFixture(t, "mono", 100, 20, Options{}, d)
	text := fx.text()
	for _, want := range []string{
		"Condition", "Mode", "Fired", "Last fired",
		"▸ ● " + d.Alerts[0].Describe(), "once", "—",
		"● ETH moves 5% within 1h", "repeat ≤1/30m", "4  3m ago",
		"✓ " + d.Alerts[2].Describe(), "1  26h ago",
		"○ any token: signal flip", "repeat",
		"● any token: new moonshot", "repeat ≤1/2h",
		"History (3, newest first)",
		"Mar 14 15:06  ETH moved +5.2% within 1h", "Mar 13 13:09  SOL fell below", "Mar 12 13:09  EVIL rose",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("missing %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "ETH moved") > strings.Index(text, "SOL fell") {
		t.Fatal("history not newest first")
	}
	for _, l := range fx.v.lines {
		if strings.ContainsAny(l, "\x1b\x07\u202e") {
			t.Fatalf("control text on screen: %q", l)
		}
	}
	if fx.v.armed() != 3 {
		t.Fatalf("armed %d", fx.v.armed())
	}
	// Rows map to alerts; the header and history do not.
	for line, want := range map[int]int{1: 0, 2: 1, 5: 4} {
		if i, ok := fx.v.rowAt(line); !ok || i != want {
			t.Fatalf("rowAt(%d) = %d %v", line, i, ok)
		}
	}
	for _, line := range []int{0, 6, 8, 19, -1} {
		if _, ok := fx.v.rowAt(line); ok {
			t.Fatalf("rowAt(%d) is a row", line)
		}
	}
	// Ages follow the clock.
	fx.ctx.now = t0.Add(time.Hour)
	if !strings.Contains(fx.text(), "63m ago") {
		t.Fatalf("age not updated:\n%s", fx.text())
	}
}

func TestAlertsViewScrollsAndFitsEverySize(t *testing.T) {
	d := alertsSample()
	for i := range 40 {
		d.Alerts = append(d.Alerts, model.Alert{ID: fmt.Sprintf("x%d", i), Symbol: "BTC", Kind: model.AlertPriceAbove,
			Price: float64(70000 + i)})
		d.Firings = append(d.Firings, model.AlertFiring{AlertID: "x", Time: t0.Add(-time.Duration(i) * time.Hour),
			Message: fmt.Sprintf("BTC rose above %d", i)})
	}
	for _, theme := range []string{"dark", "mono"} {
		fx := newAlertsFixture(t, theme, 100, 20, Options{}, d)
		fx.v.move(1 << 30)
		text := fx.text()
		if fx.v.cursorRow() != 44 || !strings.Contains(text, "▸ ● "+d.Alerts[44].Describe()) {
			t.Fatalf("cursor at the end not visible:\n%s", text)
		}
		if !strings.Contains(text, "History (") || !strings.Contains(text, "of 43, newest first)") {
			t.Fatalf("history crowded out:\n%s", text)
		}
		if i, ok := fx.v.rowAt(1); !ok || i != fx.v.offset {
			t.Fatalf("rowAt(1) = %d %v with offset %d", i, ok, fx.v.offset)
		}
		fx.v.move(-1 << 30)
		if !strings.Contains(fx.text(), "▸ ● "+d.Alerts[0].Describe()) {
			t.Fatalf("cursor at the top not visible:\n%s", fx.text())
		}
		for w := 0; w <= 220; w += 11 {
			for h := 0; h <= 60; h += 4 {
				fx.v.setSize(w, h)
				fx.v.move(7)
				fx.v.refresh()
				if len(fx.v.lines) != h {
					t.Fatalf("%dx%d: %d lines", w, h, len(fx.v.lines))
				}
				for i, l := range fx.v.lines {
					if ansi.StringWidth(l) != w {
						t.Fatalf("%dx%d: line %d is %d cells: %q", w, h, i, ansi.StringWidth(l), ansi.Strip(l))
					}
				}
			}
		}
	}
}

// TestAlertsRefreshOnlyOnChange: refresh redraws when the records, the
// cursor or the second change, not on every tick.
func TestAlertsRefreshOnlyOnChange(t *testing.T) {
	fx := newAlertsFixture(t, "mono", 100, 20, Options{}, alertsSample())
	fx.v.refresh()
	first := &fx.v.lines[0]
	fx.ctx.now = t0.Add(300 * time.Millisecond)
	fx.v.refresh()
	if &fx.v.lines[0] != first {
		t.Fatal("redrawn within the same second")
	}
	allocs := testing.AllocsPerRun(100, fx.v.refresh)
	if allocs != 0 {
		t.Fatalf("refresh without a change allocates %v times", allocs)
	}
	fx.v.move(1)
	fx.v.refresh()
	if &fx.v.lines[0] == first {
		t.Fatal("not redrawn after a cursor move")
	}
}

// toAlerts switches the harness to the Alerts view with tab.
func toAlerts(t *testing.T, hs *harness) {
	t.Helper()
	for range 10 {
		if activeTab(hs) == "Alerts" {
			return
		}
		hs.key("tab")
	}
	t.Fatal("tab never reached the Alerts view")
}

func TestGoldenAlerts(t *testing.T) {
	for _, theme := range []string{"dark", "mono"} {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			name := fmt.Sprintf("alerts_%s_%dx%d", theme, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				hs := newHarness(t, theme, profileFor(theme), sz[0], sz[1], withUser(alertsSample()))
				hs.put(makeSnapshot(60, 1))
				toAlerts(t, hs)
				hs.key("j")
				v := hs.m.View()
				checkSize(t, v, sz[0], sz[1])
				checkGolden(t, name, v)
			})
		}
	}
}

func TestGoldenAlertForm(t *testing.T) {
	for _, theme := range []string{"dark", "mono"} {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			name := fmt.Sprintf("form_alert_%s_%dx%d", theme, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				hs := newHarness(t, theme, profileFor(theme), sz[0], sz[1])
				hs.put(makeSnapshot(60, 1))
				hs.key("A") // a new alert on BTC, the selected token
				if formTitle(hs) == "" {
					t.Fatal("A opened no form")
				}
				hs.key("tab") // Kind
				hs.send(formKey("right"))
				hs.key("tab") // Price
				hs.key("ctrl+u")
				hs.typeText("70k")
				hs.send(formKey("ctrl+s"))
				v := hs.m.View()
				checkSize(t, v, sz[0], sz[1])
				if !strings.Contains(ansi.Strip(v), "✗ must be a number") {
					t.Fatalf("no error shown:\n%s", ansi.Strip(v))
				}
				checkGolden(t, name, v)
			})
		}
	}
}

// TestAlertsThroughTheRoot: A opens the form, ctrl+s sends the alert
// ("saving…" until the service committed it, then "✓ Alert saved"), the
// Alerts view lists it, and when the service records a firing the status
// line announces it and the bell rings.
func TestAlertsThroughTheRoot(t *testing.T) {
	bells := 0
	hs := newHarness(t, "mono", profileFor("mono"), 120, 40, func(o *Options) { o.Bell = func() { bells++ } })
	hs.put(makeSnapshot(60, 1))
	hs.key("k") // BTC
	hs.key("A")
	hs.key("tab")
	hs.key("tab")
	hs.key("ctrl+u")
	hs.typeText("70000")
	hs.user.hold()
	cmd := hs.send(formKey("ctrl+s"))
	if formTitle(hs) != "" {
		t.Fatalf("form still open:\n%s", plain(hs))
	}
	if s := plain(hs); !strings.Contains(s, "saving… alert added") || strings.Contains(s, "✓ Alert saved") {
		t.Fatalf("a change not yet committed is not shown as pending:\n%s", s)
	}
	hs.user.release()
	hs.runCmd(cmd)
	ch := hs.user.all()
	if len(ch) != 1 || ch[0].PutAlert == nil || ch[0].PutAlert.Price != 70000 || ch[0].PutAlert.Symbol != "BTC" {
		t.Fatalf("saved %+v", ch)
	}
	if !strings.Contains(plain(hs), "✓ Alert saved: BTC price above $70,000.00") {
		t.Fatalf("not announced as saved:\n%s", plain(hs))
	}
	toAlerts(t, hs)
	if !strings.Contains(plain(hs), "● "+ch[0].PutAlert.Describe()) {
		t.Fatalf("not listed:\n%s", plain(hs))
	}
	hs.user.fire(model.AlertFiring{AlertID: ch[0].PutAlert.ID, Symbol: "BTC", Time: t0, Message: "BTC rose above $70,000.00 (now $71,000.00)"})
	cmd = hs.send(tickMsg{})
	if !strings.Contains(plain(hs), "🔔 BTC rose above $70,000.00") {
		t.Fatalf("no announcement:\n%s", plain(hs))
	}
	hs.runCmd(cmd)
	if bells != 1 {
		t.Fatalf("bell rang %d times", bells)
	}
	if !strings.Contains(plain(hs), "History (1, newest first)") {
		t.Fatalf("firing not shown:\n%s", plain(hs))
	}
	hs.runCmd(hs.send(tickMsg{}))
	if bells != 1 {
		t.Fatal("a firing was announced twice")
	}
}

func BenchmarkAlertsRefresh(b *testing.B) {
	ctx := &programContext{styles: NewStyles(testTheme(b, "dark"), testRenderer(profileFor("dark"))), keys: NewKeyMap(nil), now: t0}
	v := newAlertsView(ctx, newUserState(Options{User: newFakeUser(alertsSample())}))
	v.setSize(120, 37)
	v.refresh()
	b.ReportAllocs()
	for b.Loop() {
		v.refresh() // unchanged: nothing to draw
	}
}

func BenchmarkAlertsRender(b *testing.B) {
	ctx := &programContext{styles: NewStyles(testTheme(b, "dark"), testRenderer(profileFor("dark"))), keys: NewKeyMap(nil), now: t0}
	v := newAlertsView(ctx, newUserState(Options{User: newFakeUser(alertsSample())}))
	v.setSize(120, 37)
	b.ReportAllocs()
	for b.Loop() {
		v.render() // a change: the whole view redrawn
	}
}

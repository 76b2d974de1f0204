package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/themes"
)

// t0 is the fixed market time of every test.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func fixedClock(t *time.Time) model.Clock { return func() time.Time { return *t } }

func testTheme(tb testing.TB, name string) themes.Theme {
	tb.Helper()
	th, ok := themes.Builtin(name)
	if !ok {
		tb.Fatalf("no built-in theme %q", name)
	}
	return th
}

func testRenderer(p termenv.Profile) *lipgloss.Renderer { return NewRenderer(io.Discard, p) }

// named tokens cover every price magnitude and a hostile name.
var namedTokens = []struct {
	sym, name string
	price     float64
}{
	{"BTC", "Bitcoin", 67012.5},
	{"ETH", "Ethereum", 3456.78},
	{"SOL", "Solana", 145.2345},
	{"BNB", "BNB", 589.1},
	{"XRP", "XRP", 0.52345},
	{"DOGE", "Dogecoin", 0.12345},
	{"ADA", "Cardano", 0.4567},
	{"AVAX", "Avalanche", 36.789},
	{"SHIB", "Shiba Inu", 0.000012345},
	{"LINK", "Chainlink", 14.5678},
	{"DOT", "Polkadot", 6.789},
	{"EVIL", "Evil\x1b[31mCoin\x1b]0;pwned\x07\u202e", 1.2345},
	{"PEPE", "Pepe", 0.0000012345},
	{"LTC", "Litecoin", 83.21},
	{"UNI", "Uniswap", 9.876},
}

// makeToken builds token i deterministically; version bumps change price.
func makeToken(i int, version uint64) *model.TokenView {
	sym, name, price := fmt.Sprintf("TK%03d", i), fmt.Sprintf("Token number %d", i), 1.0+float64(i%97)*0.731
	if i < len(namedTokens) {
		sym, name, price = namedTokens[i].sym, namedTokens[i].name, namedTokens[i].price
	}
	price *= 1 + float64(version)*0.001
	f := float64(i)
	change := func(k float64) float64 { return math.Sin(f*k+0.9) * 0.08 }
	tok := &model.TokenView{
		Symbol: sym, Name: name, Rank: i + 1, Price: price,
		Change1h: change(1.3) / 4, Change24h: change(0.7), Change7d: change(0.3) * 3,
		High24h: price * 1.04, Low24h: price * 0.97,
		Volume24h: 1e9 / float64(i+1) * (1 + math.Cos(f)), MarketCap: 1.3e12 / float64((i+1)*(i+1)),
		Supply: 19.6e6 * float64(i+1), Volatility: 0.4 + float64(i%10)*0.05,
		LastUpdate: t0.Add(-time.Duration(i%5) * time.Second), Version: version,
	}
	if i%11 == 6 {
		tok.Change7d = math.NaN() // history too short
	}
	if i%13 == 9 {
		tok.LastUpdate = t0.Add(-5 * time.Minute) // stale
	}
	spark := make([]float64, 48)
	for j := range spark {
		spark[j] = price * (1 + 0.03*math.Sin(float64(j)/(3+f/7)+f) + 0.001*float64(j)*math.Copysign(1, tok.Change24h))
	}
	tok.Spark = model.ReadOnlyOf(spark...)
	trades := make([]model.Trade, 20)
	for j := range trades {
		side := model.SideBuy
		if (i+j)%3 == 0 {
			side = model.SideSell
		}
		trades[j] = model.Trade{
			Time: t0.Add(-time.Duration(j*7) * time.Second).UnixNano(), Price: price * (1 + float64(j%5-2)*0.0004),
			Qty: 0.05 * float64(j%7+1) * 60000 / price, Side: side, Whale: j%6 == 2,
		}
	}
	tok.Trades = model.ReadOnlyOf(trades...)
	addRatings(tok, i)
	return tok
}

// bandOf is the engine's default banding, for hand-built grades.
func bandOf(v float64) model.Band {
	switch {
	case v >= 80:
		return model.StrongBullish
	case v >= 60:
		return model.Bullish
	case v > 40:
		return model.Neutral
	case v > 20:
		return model.Bearish
	}
	return model.StrongBearish
}

// makeGrade builds a present grade from factor scores and weights.
func makeGrade(names, units []string, raws, scores, weights []float64) model.Grade {
	g := model.Grade{}
	var factors []model.Factor
	for k := range names {
		f := model.Factor{Name: names[k], Unit: units[k], Raw: raws[k], Score: scores[k], Weight: weights[k]}
		f.Contribution = f.Weight * f.Score
		g.Value += f.Contribution
		factors = append(factors, f)
	}
	g.Factors = model.ReadOnlyOf(factors...)
	g.Band = bandOf(g.Value)
	return g
}

// addRatings gives token i deterministic grades, a signal, flips and (for
// BTC and ETH) an official rating. Some tokens have no grade.
func addRatings(tok *model.TokenView, i int) {
	f := float64(i)
	s := func(k float64) float64 { return 50 + 48*math.Sin(f*k+0.4) }
	tn := []string{"momentum 1h", "momentum 4h", "momentum 24h", "trend", "RSI(14)", "volume surge", "risk-adjusted"}
	tu := []string{"%", "%", "%", "%", "", "x", ""}
	tw := []float64{0.15, 0.15, 0.2, 0.15, 0.1, 0.15, 0.1}
	ts := make([]float64, 7)
	for k := range ts { // mostly one phase, so grades spread over every band
		ts[k] = min(max(s(0.7)+12*math.Sin(f*float64(k+1)), 0), 100)
	}
	tr := []float64{tok.Change1h, tok.Change1h * 2, tok.Change24h, (ts[3] - 50) / 1000, 30 + ts[4]*0.4, 0.5 + ts[5]/25, (ts[6] - 50) / 20}
	if i%9 == 4 {
		tok.TraderGrade = model.NoGrade("needs 24h of history, has 3h")
	} else {
		tok.TraderGrade = makeGrade(tn, tu, tr, ts, tw)
		tok.TraderGrade.Change24h = 20 * math.Sin(f*2.1)
		tok.TraderGrade.Change7d = 30 * math.Cos(f*1.3)
		if i%5 == 2 {
			tok.TraderGrade.Change7d = math.NaN()
		}
	}
	in := []string{"return 30d", "return 90d", "max drawdown", "volatility", "liquidity", "size"}
	iu := []string{"%", "%", "%", "%", "", ""}
	iw := []float64{0.2, 0.2, 0.15, 0.15, 0.15, 0.15}
	is := []float64{s(0.2), s(0.15), s(0.35), s(0.45), 100 - f, 100 - f}
	ir := []float64{tok.Change7d * 3, math.NaN(), -0.1 - f/200, tok.Volatility, tok.Volume24h, tok.MarketCap}
	if i%7 == 3 {
		tok.InvestorGrade = model.NoGrade("needs 30 days of history, has 12 days")
	} else {
		tok.InvestorGrade = makeGrade(in, iu, ir, is, iw)
		tok.InvestorGrade.Change24h = 3 * math.Sin(f)
		tok.InvestorGrade.Change7d = 8 * math.Cos(f)
	}
	tok.Signal = model.SignalNeutral
	if g := tok.TraderGrade; g.Present() {
		switch {
		case g.Value >= 65:
			tok.Signal = model.SignalBullish
		case g.Value <= 35:
			tok.Signal = model.SignalBearish
		}
		if tok.Signal != model.SignalNeutral {
			tok.Signals = model.ReadOnlyOf(
				model.SignalFlip{Time: t0.Add(-3 * time.Hour), From: model.SignalNeutral, To: tok.Signal, Price: tok.Price * 0.98,
					Grade: g.Value - 2, Return: 0.0204 * float64(tok.Signal)},
				model.SignalFlip{Time: t0.Add(-27 * time.Hour), From: -tok.Signal, To: model.SignalNeutral, Price: tok.Price * 0.9,
					Grade: 50, Return: math.NaN()},
				model.SignalFlip{Time: t0.Add(-50 * time.Hour), From: model.SignalNeutral, To: -tok.Signal, Price: tok.Price * 0.95,
					Grade: 50 - 20*float64(tok.Signal), Return: -0.0526},
			)
		}
	}
	if i < 2 {
		tok.Official = &model.OfficialRating{Provider: "Token Metrics", TMGrade: 72 - f*10, TraderGrade: 64,
			InvestorGrade: math.NaN(), Signal: model.SignalBullish, HasSignal: true, Updated: t0.Add(-2 * time.Hour)}
	}
}

// makePick builds moonshot pick k on token i (open unless exit is set).
func makePick(tok *model.TokenView, k int, exit bool) model.Moonshot {
	entry := t0.Add(-time.Duration(5+k*7) * time.Hour)
	roi := 0.6*math.Sin(float64(k)*1.9+0.5) + 0.05
	m := model.Moonshot{Symbol: tok.Symbol, Name: tok.Name, Entry: entry, EntryPrice: tok.Price / (1 + roi),
		EntryGrade: 78, Price: tok.Price, ROI: roi, PeakROI: max(roi, 0) + 0.1*float64(k%3+1),
		Grade: tok.TraderGrade.Value, Volume24h: tok.Volume24h, MarketCap: 12e6 + float64(k)*3e6}
	if exit {
		m.Exit = entry.Add(time.Duration(20+k*3) * time.Hour)
		m.ExitReason = [...]string{"grade fell below 45", "stop loss -25%", "max age 7d"}[k%3]
	}
	return m
}

// addMoonshots gives s three open picks and twelve past ones with their
// track record (the tokens must exist: at least 60).
func addMoonshots(s *model.Snapshot) {
	var open, past []model.Moonshot
	for k, i := range []int{41, 47, 55} {
		open = append(open, makePick(s.Tokens.At(i), k, false))
	}
	var rois []float64
	for k := range 12 {
		m := makePick(s.Tokens.At(20+k*3), k+3, true)
		past = append(past, m)
		rois = append(rois, m.ROI)
	}
	s.Moonshots, s.PastMoonshots = model.ReadOnlyOf(open...), model.ReadOnlyOf(past...)
	tr := model.TrackRecord{Picks: len(rois)}
	sum := 0.0
	for _, r := range rois {
		sum += r
		if r > 0 {
			tr.Hits++
		}
	}
	slices.Sort(rois)
	tr.HitRate = float64(tr.Hits) / float64(tr.Picks)
	tr.MeanROI = sum / float64(len(rois))
	tr.MedianROI = (rois[5] + rois[6]) / 2
	s.Track = tr
}

func makeSnapshot(n int, seq uint64) *model.Snapshot {
	s := &model.Snapshot{Seq: seq, Time: t0, MsgPerSec: 1234.5, LastEvent: t0.Add(-400 * time.Millisecond),
		Feeds: model.ReadOnlyOf(model.FeedStatus{Name: "demo", State: model.FeedLive, Demo: true, Since: t0.Add(-time.Hour)})}
	tokens := make([]*model.TokenView, n)
	for i := range n {
		tokens[i] = makeToken(i, 1)
	}
	s.Tokens = model.ReadOnlyOf(tokens...)
	if n >= 60 { // enough small tokens for the moonshot views
		addMoonshots(s)
	}
	return s
}

// nextSnapshot copies prev, replacing the tokens at idx by new versions
// (new price) and keeping every other pointer (structural sharing).
func nextSnapshot(prev *model.Snapshot, idx ...int) *model.Snapshot {
	s := *prev
	s.Seq++
	editTokens(&s, func(tokens []*model.TokenView) {
		for _, i := range idx {
			tokens[i] = makeToken(i, tokens[i].Version+1)
		}
	})
	return &s
}

// editTokens gives s a copy of its token list changed by edit (a
// published list is read-only: a test changes its own copy).
func editTokens(s *model.Snapshot, edit func(tokens []*model.TokenView)) {
	tokens := s.Tokens.Clone()
	edit(tokens)
	s.Tokens = model.ReadOnlyOf(tokens...)
}

// editPicks does the same for the open and past picks.
func editPicks(s *model.Snapshot, edit func(open, past []model.Moonshot) (newOpen, newPast []model.Moonshot)) {
	open, past := edit(s.Moonshots.Clone(), s.PastMoonshots.Clone())
	s.Moonshots, s.PastMoonshots = model.ReadOnlyOf(open...), model.ReadOnlyOf(past...)
}

// fakeHistory answers Candles with a deterministic series and records calls.
type fakeHistory struct {
	mu    sync.Mutex
	calls []historyCall
}

type historyCall struct {
	symbol  string
	span    time.Duration
	maxBars int
}

func (h *fakeHistory) Candles(ctx context.Context, symbol string, span time.Duration, maxBars int) (model.ReadOnly[model.Candle], error) {
	h.mu.Lock()
	h.calls = append(h.calls, historyCall{symbol, span, maxBars})
	h.mu.Unlock()
	n := min(maxBars, 120)
	step := int64(span/time.Second) / int64(max(n, 1))
	out := make([]model.Candle, n)
	p := 100.0
	for i := range out {
		o := p
		p *= 1 + 0.01*math.Sin(float64(i)/5)
		out[i] = model.Candle{T: t0.Unix() - int64(n-i)*step, Open: o, Close: p,
			High: math.Max(o, p) * 1.002, Low: math.Min(o, p) * 0.998, Volume: 10}
	}
	return model.ReadOnlyOf(out...), nil
}

type harness struct {
	tb    testing.TB
	m     Model
	box   *model.Mailbox[*model.Snapshot]
	now   time.Time
	hist  *fakeHistory
	user  *fakeUser // the default Options.User: records every change
	snap  *model.Snapshot
	cmds  []tea.Cmd
	quits int
}

// fakeUser is a user service for tests. Apply queues a change; the
// change is committed (checked and made with model.UserData's Check and
// Apply, recorded, and the new records published to the session's
// mailbox) when its wait is called, or, while the fake holds, when the
// test releases it. err, when set, refuses every change committed after.
type fakeUser struct {
	mu       sync.Mutex
	box      *model.Mailbox[*model.UserSnapshot]
	data     model.UserData
	readOnly string
	seq      uint64
	fired    uint64
	changes  []model.UserChange // every change sent, in order
	queue    []fakeReq
	err      error
	holding  bool
}

type fakeReq struct {
	ch  model.UserChange
	res chan error
}

func newFakeUser(d model.UserData) *fakeUser {
	f := &fakeUser{box: model.NewMailbox[*model.UserSnapshot](), data: d.Clone()}
	f.data.WithDefaultWatchlist()
	f.mu.Lock()
	f.publish()
	f.mu.Unlock()
	return f
}

func (f *fakeUser) Updates() *model.Mailbox[*model.UserSnapshot] { return f.box }

func (f *fakeUser) Apply(ch model.UserChange) func() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Keep copies: the UI must not change what it handed over.
	c := ch
	if ch.PutAlert != nil {
		a := *ch.PutAlert
		c.PutAlert = &a
	}
	if ch.PutLot != nil {
		l := *ch.PutLot
		c.PutLot = &l
	}
	if ch.PutWatchlist != nil {
		w := model.Watchlist{Name: ch.PutWatchlist.Name, Symbols: slices.Clone(ch.PutWatchlist.Symbols)}
		c.PutWatchlist = &w
	}
	f.changes = append(f.changes, c)
	r := fakeReq{ch: c, res: make(chan error, 1)}
	f.queue = append(f.queue, r)
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			f.mu.Lock()
			if !f.holding {
				f.commitLocked()
			}
			f.mu.Unlock()
			err = <-r.res
		})
		return err
	}
}

// commitLocked commits every queued change, in order.
func (f *fakeUser) commitLocked() {
	for _, r := range f.queue {
		err := f.err
		if err == nil && f.readOnly != "" {
			err = errors.New("not saved: " + f.readOnly)
		}
		if err == nil {
			err = f.data.Apply(r.ch, 0)
		}
		if err == nil {
			f.publish()
		}
		r.res <- err
	}
	f.queue = nil
}

// hold makes changes wait until release commits them.
func (f *fakeUser) hold() {
	f.mu.Lock()
	f.holding = true
	f.mu.Unlock()
}

func (f *fakeUser) release() {
	f.mu.Lock()
	f.holding = false
	f.commitLocked()
	f.mu.Unlock()
}

// fire records firings (oldest first) as the service does when alerts
// fire, and publishes them.
func (f *fakeUser) fire(fs ...model.AlertFiring) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range fs {
		if err := f.data.Apply(model.UserChange{AddFiring: &fs[i]}, 0); err != nil {
			panic(err)
		}
		f.fired++
	}
	f.publish()
}

// set replaces the records, as another session's change would.
func (f *fakeUser) set(d model.UserData) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data = d.Clone()
	f.data.WithDefaultWatchlist()
	f.publish()
}

func (f *fakeUser) publish() {
	f.seq++
	f.box.Put(&model.UserSnapshot{Seq: f.seq, User: "test", Data: f.data.Clone(), ReadOnly: f.readOnly, FiringsAdded: f.fired})
}

// all returns the changes sent so far.
func (f *fakeUser) all() []model.UserChange {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.changes)
}

// take returns the changes sent since the last take.
func (f *fakeUser) take() []model.UserChange {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.changes
	f.changes = nil
	return out
}

func (f *fakeUser) fail(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// records is the records as the fake holds them (committed).
func (f *fakeUser) records() model.UserData {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.data.Clone()
}

// withUser starts the program with these records.
func withUser(d model.UserData) harnessOpt { return func(o *Options) { o.User = newFakeUser(d) } }

// readOnlyStore starts the program linked to a user whose service saves
// nothing, for reason.
func readOnlyStore(reason string) harnessOpt {
	return func(o *Options) {
		f, ok := o.User.(*fakeUser)
		if !ok {
			f = newFakeUser(model.UserData{})
		}
		f.mu.Lock()
		f.readOnly = reason
		f.publish()
		f.mu.Unlock()
		o.User = f
	}
}

// anonymous starts the program with no user.
func anonymous() harnessOpt { return func(o *Options) { o.User = nil } }

type harnessOpt func(*Options)

func newHarness(tb testing.TB, theme string, profile termenv.Profile, w, h int, opts ...harnessOpt) *harness {
	tb.Helper()
	hs := &harness{tb: tb, box: model.NewMailbox[*model.Snapshot](), now: t0, hist: &fakeHistory{},
		user: newFakeUser(model.UserData{})}
	o := Options{
		Snapshots: hs.box, History: hs.hist, Theme: testTheme(tb, theme), Renderer: testRenderer(profile),
		Clock: fixedClock(&hs.now), Flash: 700 * time.Millisecond, Demo: true, Version: "v0.1.0-test",
		User: hs.user,
	}
	for _, f := range opts {
		f(&o)
	}
	if f, ok := o.User.(*fakeUser); ok {
		hs.user = f
	}
	hs.m = New(o)
	hs.m.a.tickCmd = func() tea.Cmd { return func() tea.Msg { return tickMsg{} } }
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

// send delivers one message and keeps the returned command.
func (hs *harness) send(msg tea.Msg) tea.Cmd {
	m, cmd := hs.m.Update(msg)
	hs.m = m.(Model)
	return cmd
}

// put publishes a snapshot and runs one tick so the model takes it.
func (hs *harness) put(s *model.Snapshot) {
	hs.snap = s
	hs.box.Put(s)
	hs.send(tickMsg{})
}

func (hs *harness) key(k string) tea.Cmd {
	var msg tea.KeyMsg
	switch k {
	case "enter":
		msg = tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		msg = tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		msg = tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		msg = tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		msg = tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		msg = tea.KeyMsg{Type: tea.KeyDown}
	case "pgdown":
		msg = tea.KeyMsg{Type: tea.KeyPgDown}
	case "pgup":
		msg = tea.KeyMsg{Type: tea.KeyPgUp}
	case "ctrl+d":
		msg = tea.KeyMsg{Type: tea.KeyCtrlD}
	case "ctrl+u":
		msg = tea.KeyMsg{Type: tea.KeyCtrlU}
	case "ctrl+c":
		msg = tea.KeyMsg{Type: tea.KeyCtrlC}
	case "backspace":
		msg = tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+s":
		msg = tea.KeyMsg{Type: tea.KeyCtrlS}
	case "ctrl+w":
		msg = tea.KeyMsg{Type: tea.KeyCtrlW}
	case "home":
		msg = tea.KeyMsg{Type: tea.KeyHome}
	case "end":
		msg = tea.KeyMsg{Type: tea.KeyEnd}
	case "left":
		msg = tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		msg = tea.KeyMsg{Type: tea.KeyRight}
	case "space", " ":
		msg = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	default:
		msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		if t, ok := namedKey(k); ok { // "ctrl+n", "f1": as Bubble Tea names them
			msg = tea.KeyMsg{Type: t}
		}
	}
	return hs.send(msg)
}

// namedKey is the key Bubble Tea names k ("ctrl+n", "f1", "home").
func namedKey(k string) (tea.KeyType, bool) {
	if len(k) < 2 {
		return 0, false
	}
	for t := tea.KeyType(-200); t < 256; t++ {
		if t != tea.KeyRunes && t.String() == k {
			return t, true
		}
	}
	return 0, false
}

func (hs *harness) typeText(s string) {
	for _, r := range s {
		hs.key(string(r))
	}
}

// Reading the screen: tests drive the model with messages and look at
// what View shows, not at the model's fields.

// selected is the symbol on the cursor's row of a token table (Markets,
// Watch): the word after the row's rank; "" when no row has the cursor.
func (hs *harness) selected() string {
	sym, _ := rowSymbol(cursorLine(hs))
	return sym
}

// rowSymbol is the symbol of a token table's row: the word after its rank
// (a number, or "—" for a token the market does not list), within the
// row's first words (the gutter's marks come before the rank).
func rowSymbol(line string) (string, bool) {
	f := strings.Fields(line)
	for i, w := range f {
		if i > 2 {
			break
		}
		if _, err := strconv.Atoi(w); (err == nil || w == "—") && i+1 < len(f) {
			return f[i+1], true
		}
	}
	return "", false
}

// cursorRank is the rank on the cursor's row of a token table, or 0.
func cursorRank(hs *harness) int {
	for _, w := range strings.Fields(cursorLine(hs)) {
		if n, err := strconv.Atoi(w); err == nil {
			return n
		}
	}
	return 0
}

// rowOf is the screen line of the token table's row of sym, as drawn
// (styled); "" when it is not shown.
func rowOf(hs *harness, sym string) string {
	for _, l := range strings.Split(hs.m.View(), "\n") {
		if got, ok := rowSymbol(ansi.Strip(l)); ok && got == sym {
			return l
		}
	}
	return ""
}

var flashRe = regexp.MustCompile(`^\S*\s+\S*\s*\d+ \S+\s+[\d,.]+ ([▲▼])`)

// flashMark is the tick mark after sym's price ("▲" up, "▼" down) or ""
// when its row does not flash.
func flashMark(hs *harness, sym string) string {
	m := flashRe.FindStringSubmatch(ansi.Strip(rowOf(hs, sym)))
	if m == nil {
		return ""
	}
	return m[1]
}

// paneLines are the detail pane's lines when it is beside the view: each
// line's text right of the separator (│, or ┃ while the pane has the
// focus), found on the first line under the tab bar; nil when the pane is
// not beside the view.
func paneLines(hs *harness) []string {
	lines := screenLines(hs)[1:]
	i := strings.IndexAny(lines[0], "│┃")
	if i < 0 {
		return nil
	}
	col := lipgloss.Width(lines[0][:i])
	var out []string
	for _, l := range lines[:len(lines)-2] { // not the help line and the status bar
		w := 0
		for j, r := range l {
			if w == col {
				out = append(out, l[j+utf8.RuneLen(r):])
				break
			}
			w += lipgloss.Width(string(r))
		}
	}
	return out
}

// detailFullScreen reports whether the detail pane has the whole body (a
// narrow window with the focus on the pane): open, and no table header
// under the tab bar.
func detailFullScreen(hs *harness) bool {
	return detailOpen(hs) && paneWidth(hs) == 0 && !strings.Contains(screenLines(hs)[1], "Symbol")
}

// paneWidth is the detail pane's width beside the view (0: not beside).
func paneWidth(hs *harness) int {
	if p := paneLines(hs); len(p) > 0 {
		return lipgloss.Width(p[0])
	}
	return 0
}

// tradesShown are the rows of the detail pane's trade list.
func tradesShown(hs *harness) []string {
	p := paneLines(hs)
	for i, l := range p {
		if strings.HasPrefix(l, "Time ") && strings.Contains(l, "Side") {
			return p[i+1:]
		}
	}
	return nil
}

// pickSymbols are the symbols of the pick rows shown (Moonshots, Past),
// top to bottom: the rows under the picks' header, to the first blank line.
func pickSymbols(hs *harness) []string {
	var out []string
	in := false
	for _, l := range screenLines(hs)[1:] {
		f := strings.Fields(strings.TrimPrefix(l, "▸"))
		switch {
		case !in:
			in = len(f) > 0 && f[0] == "Symbol"
		case len(f) == 0:
			return out
		default:
			out = append(out, strings.TrimPrefix(f[0], "✦"))
		}
	}
	return out
}

// formTitle is the title of the open form ("Add lot — BTC"), "" when
// none is open.
func formTitle(hs *harness) string {
	m := formTitleRe.FindStringSubmatch(plain(hs))
	if m == nil {
		return ""
	}
	return m[1]
}

var formTitleRe = regexp.MustCompile(`╭─ (.+?) ─+╮`)

// fieldLabels are the forms' labels by field key (lot, watchlist and
// alert forms).
var fieldLabels = map[string]string{"symbol": "Token", "quantity": "Quantity", "cost": "Cost per unit", "opened": "Date",
	"note": "Note", "name": "Name", "kind": "Kind", "price": "Price", "percent": "Percent", "window": "Window",
	"repeat": "Repeat", "cooldown": "Cooldown"}

// screenField is a form field as the screen shows it: its text (without
// the input cursor), its error ("" when the hint shows instead), and
// whether it has the focus (›).
type screenField struct {
	Value, Err string
	Focused    bool
}

var fieldRe = regexp.MustCompile(`^│ (›| ) (.+?)\s+\[(.*?)\]\s*(.*?)\s*│$`)

// screenFieldOf is the open form's field key as shown; ok is false when the
// form does not show it.
func screenFieldOf(hs *harness, key string) (f screenField, ok bool) {
	label := fieldLabels[key]
	for _, l := range screenLines(hs) {
		i := strings.Index(l, "│")
		if i < 0 {
			continue
		}
		m := fieldRe.FindStringSubmatch(strings.TrimRight(l[i:], " "))
		if m == nil || m[2] != label {
			continue
		}
		f.Focused = m[1] == "›"
		f.Value = strings.TrimSpace(strings.Replace(m[3], "▏", "", 1))
		if e, isErr := strings.CutPrefix(m[4], "✗ "); isErr {
			f.Err = e
		}
		return f, true
	}
	return f, false
}

// cursorLine is the first line under the tab bar that starts with the
// cursor mark ("▸"), or "".
func cursorLine(hs *harness) string {
	for _, l := range screenLines(hs)[1:] {
		if strings.HasPrefix(l, "▸") {
			return l
		}
	}
	return ""
}

// tableSymbols are the symbols of the token rows shown, top to bottom (a
// row is a rank and a symbol after the gutter marks).
func tableSymbols(hs *harness) []string {
	var out []string
	lines := screenLines(hs)
	for _, l := range lines[2 : len(lines)-2] { // under the tab bar and the header, above the help and status
		if sym, ok := rowSymbol(l); ok {
			out = append(out, sym)
		}
	}
	return out
}

var tokensRe = regexp.MustCompile(`(?:(\d+)/)?(\d+) tokens\s*$`)

// tokenCount is what the tab bar says on its right: the rows the filter
// shows and the tokens in all ("1/30 tokens"; shown = total without a
// filter).
func tokenCount(hs *harness) (shown, total int) {
	m := tokensRe.FindStringSubmatch(screenLines(hs)[0])
	if m == nil {
		hs.tb.Fatalf("the tab bar gives no token count: %q", screenLines(hs)[0])
	}
	total, _ = strconv.Atoi(m[2])
	shown = total
	if m[1] != "" {
		shown, _ = strconv.Atoi(m[1])
	}
	return shown, total
}

var sortMarkRe = regexp.MustCompile(`\S+ [▲▼]`)

// sortMark is the last word of the sorted column's title in the table
// header and its arrow: "Symbol ▲", "24h ▼", "Cap ▲" (Mkt Cap).
func sortMark(hs *harness) string {
	return sortMarkRe.FindString(screenLines(hs)[1])
}

var activeTabRe = regexp.MustCompile(`\[([A-Za-z]+)`)

// activeTab is the bracketed label of the tab bar: "Markets", "Alrt".
func activeTab(hs *harness) string {
	m := activeTabRe.FindStringSubmatch(screenLines(hs)[0])
	if m == nil {
		return ""
	}
	return m[1]
}

// helpShown reports whether the help page is up.
func helpShown(hs *harness) bool { return strings.HasPrefix(screenLines(hs)[0], " tokentop keys") }

// detailOpen reports whether the detail pane is open: its keys are live
// only then, so the help line offers to close it.
func detailOpen(hs *harness) bool { return strings.Contains(helpLine(hs), " close") }

// runCmd runs a command (and batches) and feeds the messages back, except
// ticks and quits.
func (hs *harness) runCmd(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			hs.runCmd(c)
		}
	case tickMsg, nil:
	case tea.QuitMsg:
		hs.quits++
	default:
		hs.send(msg)
	}
}

// cmdMsgs runs cmd and collects the messages it produces (batches flattened).
func cmdMsgs(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, cmdMsgs(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func isQuit(cmd tea.Cmd) bool {
	for _, m := range cmdMsgs(cmd) {
		if _, ok := m.(tea.QuitMsg); ok {
			return true
		}
	}
	return false
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// sampleUser is a trader's records: two watchlists (one naming a token
// the market does not list), five lots over four tokens (one unpriced, one
// with no cost) and no alerts.
func sampleUser() model.UserData {
	return model.UserData{
		Watchlists: []model.Watchlist{
			{Name: "Main", Symbols: []string{"ETH", "SOL", "NEWCOIN", "BTC"}},
			{Name: "DeFi", Symbols: []string{"UNI", "LINK"}},
		},
		Lots: []model.Lot{
			{ID: "lot-btc-1", Symbol: "BTC", Quantity: 0.5, Cost: 60000, Opened: day(2024, 1, 5), Note: "first buy"},
			{ID: "lot-btc-2", Symbol: "BTC", Quantity: 0.25, Cost: 70000, Opened: day(2024, 6, 1)},
			{ID: "lot-eth-1", Symbol: "ETH", Quantity: 4, Cost: 3800, Opened: day(2024, 3, 10)},
			{ID: "lot-sol-1", Symbol: "SOL", Quantity: 100, Cost: 0, Note: "airdrop"},
			{ID: "lot-gone-1", Symbol: "GONE", Quantity: 1000, Cost: 0.5, Opened: day(2023, 1, 1)},
		},
	}
}

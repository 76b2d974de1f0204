package ui

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
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

func testRenderer(p termenv.Profile) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(p)
	r.SetHasDarkBackground(true)
	return r
}

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
	tok.Spark = spark
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
	tok.Trades = trades
	return tok
}

func makeSnapshot(n int, seq uint64) *model.Snapshot {
	s := &model.Snapshot{Seq: seq, Time: t0, MsgPerSec: 1234.5, LastEvent: t0.Add(-400 * time.Millisecond),
		Feeds: []model.FeedStatus{{Name: "demo", State: model.FeedLive, Demo: true, Since: t0.Add(-time.Hour)}}}
	for i := range n {
		s.Tokens = append(s.Tokens, makeToken(i, 1))
	}
	return s
}

// nextSnapshot copies prev, replacing the tokens at idx by new versions
// (new price) and keeping every other pointer (structural sharing).
func nextSnapshot(prev *model.Snapshot, idx ...int) *model.Snapshot {
	s := *prev
	s.Seq++
	s.Tokens = append([]*model.TokenView(nil), prev.Tokens...)
	for _, i := range idx {
		s.Tokens[i] = makeToken(i, prev.Tokens[i].Version+1)
	}
	return &s
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

func (h *fakeHistory) Candles(ctx context.Context, symbol string, span time.Duration, maxBars int) ([]model.Candle, error) {
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
	return out, nil
}

type harness struct {
	tb    testing.TB
	m     Model
	box   *model.Mailbox[*model.Snapshot]
	now   time.Time
	hist  *fakeHistory
	snap  *model.Snapshot
	cmds  []tea.Cmd
	quits int
}

type harnessOpt func(*Options)

func newHarness(tb testing.TB, theme string, profile termenv.Profile, w, h int, opts ...harnessOpt) *harness {
	tb.Helper()
	hs := &harness{tb: tb, box: model.NewMailbox[*model.Snapshot](), now: t0, hist: &fakeHistory{}}
	o := Options{
		Snapshots: hs.box, History: hs.hist, Theme: testTheme(tb, theme), Renderer: testRenderer(profile),
		Clock: fixedClock(&hs.now), Flash: 700 * time.Millisecond, Demo: true, Version: "v0.1.0-test",
	}
	for _, f := range opts {
		f(&o)
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
	default:
		msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
	}
	return hs.send(msg)
}

func (hs *harness) typeText(s string) {
	for _, r := range s {
		hs.key(string(r))
	}
}

func (hs *harness) selected() string {
	if r := hs.m.a.table.selectedRow(); r != nil {
		return r.tok.Symbol
	}
	return ""
}

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

package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/tokentop/tokentop/internal/golden"
	"github.com/tokentop/tokentop/internal/tradelink"
	"github.com/tokentop/tokentop/model"
)

// fakeExchanges is a TradeURL: every token on Binance against USDT,
// counting the calls and the symbols asked for.
type fakeExchanges struct {
	mu    sync.Mutex
	asked []string
	url   string // when set, returned as it is (a hostile answer)
}

func (f *fakeExchanges) tradeURL(sym string) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, sym)
	if f.url != "" {
		return f.url, "Binance", nil
	}
	u, err := tradelink.Venue{Exchange: "binance", Quote: "USDT"}.URL(sym)
	return u, "Binance", err
}

// fakeOpener records what it was asked to open; it never starts anything.
type fakeOpener struct {
	mu     sync.Mutex
	opened []string
	err    error
}

func (f *fakeOpener) open(ctx context.Context, url string) error {
	if _, ok := ctx.Deadline(); !ok {
		return errors.New("no deadline")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, url)
	return f.err
}

func (f *fakeOpener) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.opened...)
}

func withTrade(ex *fakeExchanges, op *fakeOpener, noOpener string) harnessOpt {
	return func(o *Options) {
		o.TradeURL = ex.tradeURL
		if op != nil {
			o.Opener = op.open
		}
		o.NoOpener = noOpener
		o.Demo = false
	}
}

func TestTradeOpensTheBrowserFromACommand(t *testing.T) {
	ex, op := &fakeExchanges{}, &fakeOpener{}
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, withTrade(ex, op, ""))
	hs.put(makeSnapshot(10, 1))
	hs.key("j") // ETH
	cmd := hs.key("o")
	if cmd == nil {
		t.Fatal("o returned no command")
	}
	if len(op.calls()) != 0 {
		t.Fatal("the opener ran inside Update")
	}
	if !strings.Contains(statusLine(hs), "opening ETH on Binance in the browser…") {
		t.Fatalf("status while opening: %q", statusLine(hs))
	}
	hs.runCmd(cmd)
	if got := op.calls(); len(got) != 1 || got[0] != "https://www.binance.com/en/trade/ETH_USDT?type=spot" {
		t.Fatalf("opened %q", got)
	}
	if !strings.Contains(statusLine(hs), "✓ Opened ETH on Binance in the browser") {
		t.Fatalf("status after opening: %q", statusLine(hs))
	}
	if detailOpen(hs) {
		t.Fatal("the detail pane opened although the browser did")
	}

	// The browser fails: the link is shown instead, and the status says why.
	op.err = errors.New("xdg-open failed: exit status 3")
	hs.runCmd(hs.key("o"))
	if !detailOpen(hs) || !strings.Contains(statusLine(hs), "✗ ETH on Binance: link in the detail pane (browser: xdg-open failed: exit status 3)") {
		t.Fatalf("after a failed open: detail %v, status %q", detailOpen(hs), statusLine(hs))
	}
	if !strings.Contains(hs.m.View(), hyperlink("https://www.binance.com/en/trade/ETH_USDT?type=spot", "")[:20]) {
		t.Fatal("no hyperlink in the view after a failed open")
	}
}

func TestTradeWithoutOpenerShowsTheLink(t *testing.T) {
	ex := &fakeExchanges{}
	hs := newHarness(t, "mono", termenv.Ascii, 80, 24, withTrade(ex, nil, "over SSH"))
	hs.put(makeSnapshot(10, 1))
	hs.runCmd(hs.key("o"))
	if !detailFullScreen(hs) {
		t.Fatal("the detail pane is not shown with the link")
	}
	view := hs.m.View()
	checkSize(t, view, 80, 24)
	const url = "https://www.binance.com/en/trade/BTC_USDT?type=spot"
	if !strings.Contains(view, "\x1b]8;;"+url+"\a") || !strings.Contains(view, "\x1b]8;;\a") {
		t.Fatalf("no OSC 8 hyperlink to %s in:\n%q", url, view)
	}
	lines := strings.Split(ansi.Strip(view), "\n")
	if got := strings.TrimRight(lines[21], " "); got != "Trade BTC on Binance: "+url {
		t.Fatalf("the pane's foot reads %q", got)
	}
	if !strings.Contains(statusLine(hs), "BTC on Binance: link in the detail pane (over SSH)") {
		t.Fatalf("status: %q", statusLine(hs))
	}
	golden.Check(t, "trade_link_mono_80x24", view)

	// Another token: its own link only when asked; the old one goes.
	hs.key("esc")
	hs.key("j")
	hs.key("enter")
	if strings.Contains(hs.m.View(), "\x1b]8;;https") {
		t.Fatal("the BTC link still shows on ETH's pane")
	}
}

func TestTradeLinkLineFitsAndKeepsTheAddress(t *testing.T) {
	// the pane on its own: the line is a unit of the detail pane
	ctx := &programContext{opts: Options{Clock: fixedClock(&t0)}, styles: NewStyles(testTheme(t, "dark"), testRenderer(termenv.TrueColor)),
		keys: NewKeyMap(nil), width: 80, height: 24, now: t0}
	d := newDetail(ctx)
	d.link = tradeLink{symbol: "BTC", exchange: "Binance", url: "https://www.binance.com/en/trade/BTC_USDT?type=spot"}
	for _, w := range []int{80, 60, 40, 30, 10} {
		line := d.linkLine(w)
		if got := ansi.StringWidth(line); got != w {
			t.Errorf("width %d: the line is %d cells: %q", w, got, line)
		}
		if !strings.Contains(line, "\x1b]8;;"+d.link.url+"\a") || !strings.HasSuffix(strings.TrimRight(line, " "), "\x1b]8;;\a") {
			t.Errorf("width %d: the link lost its address or its end: %q", w, line)
		}
	}
	// Two lines on a 60x2 screen: ui/screen's tests draw every golden
	// through the cells renderer into a terminal emulator.
	golden.Check(t, "trade_link_line_dark_60x2", d.linkLine(60)+"\n"+d.linkLine(40))
}

func TestTradeRefusesOddSymbolsAndAddresses(t *testing.T) {
	ex := &fakeExchanges{}
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, withTrade(ex, &fakeOpener{}, ""))
	s := makeSnapshot(3, 1)
	editTokens(s, func(tokens []*model.TokenView) { tokens[0].Symbol = "BT/C?x=\x1b]8;;evil\a" })
	hs.put(s)
	if cmd := hs.key("o"); cmd != nil {
		t.Fatal("an odd symbol made a command")
	}
	if len(ex.asked) != 0 {
		t.Fatalf("TradeURL was asked for %q", ex.asked)
	}
	if st := statusLine(hs); !strings.Contains(st, "no trading page:") || strings.Contains(st, "\x1b") {
		t.Fatalf("status: %q", st)
	}

	// A TradeURL that answers with something unsafe is refused too.
	hs.key("j")
	for _, bad := range []string{"javascript:alert(1)", "http://x.example/", "https://x.example/\x1b]8;;\a", "https://x.example/ x"} {
		ex.url = bad
		if cmd := hs.key("o"); cmd != nil {
			t.Errorf("address %q made a command", bad)
		}
		if st := statusLine(hs); !strings.Contains(st, "no trading page for ETH: its address must") {
			t.Errorf("address %q: status %q", bad, st)
		}
	}
}

func TestTradeOnTheDemoSaysWhy(t *testing.T) {
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30)
	hs.put(makeSnapshot(3, 1))
	if cmd := hs.key("o"); cmd != nil {
		t.Fatal("o made a command with no TradeURL")
	}
	if st := statusLine(hs); !strings.Contains(st, "BTC: no trading page in the demo (a simulated market)") {
		t.Fatalf("status: %q", st)
	}
}

// The trade key follows [keys]: rebound, o does nothing and T trades.
func TestTradeKeyRebinds(t *testing.T) {
	ex, op := &fakeExchanges{}, &fakeOpener{}
	hs := newHarness(t, "mono", termenv.Ascii, 120, 30, withTrade(ex, op, ""), withKeys(map[string][]string{"trade": {"T"}}))
	hs.put(makeSnapshot(3, 1))
	hs.runCmd(hs.key("o"))
	hs.runCmd(hs.key("T"))
	if got := op.calls(); len(got) != 1 {
		t.Fatalf("opened %q", got)
	}
}

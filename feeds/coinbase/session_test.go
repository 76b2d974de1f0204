package coinbase

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

const wait = 5 * time.Second

func newTestExchange(url string) *Exchange {
	return New(Options{Symbols: []string{"btc", "ETH"}, Quote: "usd", WSURL: url})
}

// fixtureEvents derives the events a session must produce from the
// fixture lines with encoding/json (not from the parser under test).
func fixtureEvents(t *testing.T, lines [][]byte) (quotes, trades []model.Event) {
	t.Helper()
	syms := map[string]string{"BTC-USD": "BTC", "ETH-USD": "ETH"}
	for _, l := range lines {
		var m struct {
			Type, ProductID, Price, Size, Side, Time string
		}
		var raw map[string]any
		if err := json.Unmarshal(l, &raw); err != nil {
			t.Fatal(err)
		}
		str := func(k string) string { s, _ := raw[k].(string); return s }
		m.Type, m.ProductID, m.Price, m.Size, m.Side, m.Time = str("type"), str("product_id"), str("price"), str("size"), str("side"), str("time")
		tm, _ := time.Parse(time.RFC3339Nano, m.Time)
		price, _ := strconv.ParseFloat(m.Price, 64)
		switch m.Type {
		case "ticker":
			quotes = append(quotes, model.Event{Kind: model.EventQuote, Symbol: syms[m.ProductID], Time: tm.UnixNano(), Price: price})
		case "match", "last_match":
			qty, _ := strconv.ParseFloat(m.Size, 64)
			side := model.SideBuy // a maker "sell" is a taker buy
			if m.Side == "buy" {
				side = model.SideSell
			}
			trades = append(trades, model.Event{Kind: model.EventTrade, Symbol: syms[m.ProductID], Time: tm.UnixNano(),
				Price: price, Qty: qty, Side: side})
		}
	}
	return quotes, trades
}

func ofKind(evs []model.Event, k model.EventKind) []model.Event {
	var out []model.Event
	for _, ev := range evs {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

func TestSessionReplaysFixture(t *testing.T) {
	feedtest.NoLeaks(t)
	lines := feedtest.Lines(t, "coinbase/session.jsonl")
	subscribed := make(chan []byte, 1)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		b, err := c.Receive(ctx)
		if err != nil {
			return
		}
		subscribed <- b
		if c.SendAll(ctx, lines) != nil {
			return
		}
		c.Stall(ctx)
	})
	e := newTestExchange(srv.URL)
	rec, h := feedtest.NewRecorder(), &feedtest.Hooks{}
	ss := feedtest.StartSession(t, e, rec, h, wait)

	// The subscribe message is the documented one.
	var sub struct {
		Type       string   `json:"type"`
		ProductIDs []string `json:"product_ids"`
		Channels   []string `json:"channels"`
	}
	select {
	case b := <-subscribed:
		if err := json.Unmarshal(b, &sub); err != nil {
			t.Fatalf("subscribe %q: %v", b, err)
		}
	case <-time.After(wait):
		t.Fatal("no subscribe received")
	}
	if sub.Type != "subscribe" || strings.Join(sub.ProductIDs, ",") != "BTC-USD,ETH-USD" ||
		strings.Join(sub.Channels, ",") != "ticker,heartbeat,matches" {
		t.Fatalf("subscribe = %+v", sub)
	}

	wantQ, wantT := fixtureEvents(t, lines)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool {
		return len(evs) == len(wantQ)+len(wantT)
	}) {
		t.Fatalf("events: %+v", rec.Events())
	}
	evs := rec.Events()
	assertEvents(t, "quotes", ofKind(evs, model.EventQuote), wantQ)
	assertEvents(t, "trades", ofKind(evs, model.EventTrade), wantT)
	if len(wantQ) != 3 || len(wantT) != 2 {
		t.Fatalf("fixture changed: %d quotes, %d trades", len(wantQ), len(wantT))
	}
	if !h.WaitBeats(len(lines), wait) || h.Live() != 1 || len(h.Bads()) != 0 {
		t.Fatalf("hooks: live %d, beats %d, bad %v", h.Live(), h.Beats(), h.Bads())
	}
	if err := ss.Stop(t); err != nil {
		t.Fatalf("session ended with %v after cancel, want nil", err)
	}
}

func assertEvents(t *testing.T, what string, got, want []model.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d, want %d: %+v", what, len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s[%d] = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func TestSessionCountsBadFramesAndKeepsRunning(t *testing.T) {
	feedtest.NoLeaks(t)
	ack := feedtest.Lines(t, "coinbase/session.jsonl")[0]
	ticker := feedtest.Compact(feedtest.Fixture(t, "coinbase/ticker_eth.json"))
	var bad []feedtest.NamedFrame
	for _, nf := range feedtest.BadFrames(t) {
		if nf.Name != "error_coinbase_ws.json" { // ends the session; tested below
			bad = append(bad, nf)
		}
	}
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		if _, err := c.Receive(ctx); err != nil {
			return
		}
		c.Send(ctx, ack)
		c.SendBad(ctx, bad)
		c.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3})
		c.Send(ctx, ticker)
		c.Stall(ctx)
	})
	e := newTestExchange(srv.URL)
	rec, h := feedtest.NewRecorder(), &feedtest.Hooks{}
	ss := feedtest.StartSession(t, e, rec, h, wait)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool {
		return feedtest.CountKind(evs, model.EventQuote) == 1
	}) {
		t.Fatalf("the ticker after the bad frames never arrived; bad: %v", h.Bads())
	}
	// Accepted: the three in-order heartbeats of the gap file. Everything
	// else, plus the binary frame, is counted bad with a reason.
	wantBad := len(bad) - 3 + 1
	got := h.Bads()
	if len(got) != wantBad {
		t.Fatalf("%d bad reports, want %d:\n%s", len(got), wantBad, strings.Join(got, "\n"))
	}
	for _, r := range got {
		if !strings.HasPrefix(r, "coinbase: ") || len(r) < len("coinbase: ")+5 {
			t.Errorf("reason %q", r)
		}
	}
	if !strings.Contains(strings.Join(got, "\n"), "out of order") {
		t.Errorf("the out-of-order heartbeat was not reported: %v", got)
	}
	if ev := rec.Events()[0]; ev.Symbol != "ETH" || ev.Price != 2605.12 {
		t.Fatalf("event %+v", ev)
	}
	if !ss.Running() {
		t.Fatalf("session ended: %v", ss.Err())
	}
	if err := ss.Stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestSessionEndsOnExchangeError(t *testing.T) {
	feedtest.NoLeaks(t)
	frame := feedtest.Fixture(t, "bad/error_coinbase_ws.json")
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		if _, err := c.Receive(ctx); err != nil {
			return
		}
		c.Send(ctx, frame)
		c.Send(ctx, []byte(`{"type":"error","message":"bad\u001b[31m","reason":"x\u0007"}`))
		c.Stall(ctx)
	})
	e := newTestExchange(srv.URL)
	if err := feedtest.StartSession(t, e, feedtest.NewRecorder(), &feedtest.Hooks{}, wait).Done(t); err == nil ||
		!strings.Contains(err.Error(), "Failed to subscribe: BTC-XYZ is not a valid product") {
		t.Fatalf("err = %v", err)
	}

	// Control characters in the exchange's words never get through.
	srv2 := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		if _, err := c.Receive(ctx); err != nil {
			return
		}
		c.Send(ctx, []byte(`{"type":"error","message":"bad\u001b[31m","reason":"x\u0007\u202e"}`))
		c.Stall(ctx)
	})
	if err := feedtest.StartSession(t, newTestExchange(srv2.URL), feedtest.NewRecorder(), &feedtest.Hooks{}, wait).Done(t); err == nil ||
		strings.ContainsAny(err.Error(), "\x1b\x07\u202e") {
		t.Fatalf("err = %q", err)
	}
}

func TestSessionWithoutAckEnds(t *testing.T) {
	feedtest.NoLeaks(t)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) { c.Stall(ctx) })
	e := newTestExchange(srv.URL)
	e.base.AckWithin = 100 * time.Millisecond
	h := &feedtest.Hooks{}
	if err := feedtest.StartSession(t, e, feedtest.NewRecorder(), h, wait).Done(t); err == nil ||
		!strings.Contains(err.Error(), "no answer to the subscription") {
		t.Fatalf("err = %v", err)
	}
	if h.Live() != 0 {
		t.Fatal("live without an ack")
	}
}

func TestSessionReportsServerClose(t *testing.T) {
	feedtest.NoLeaks(t)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		c.Receive(ctx)
		c.CloseWith(websocket.StatusGoingAway, "maintenance\x1b[2J")
	})
	if err := feedtest.StartSession(t, newTestExchange(srv.URL), feedtest.NewRecorder(), &feedtest.Hooks{}, wait).Done(t); err == nil ||
		!strings.Contains(err.Error(), "closed the connection") || strings.Contains(err.Error(), "\x1b") {
		t.Fatalf("err = %q", err)
	}
	// Nothing listening: a dial error in words.
	e := New(Options{Symbols: []string{"BTC"}, WSURL: "ws://" + feedtest.RefusedAddr(t)})
	if err := e.Session(context.Background(), feedtest.NewRecorder(), feeds.SessionHooks{}); err == nil ||
		!strings.Contains(err.Error(), "cannot connect") {
		t.Fatalf("err = %v", err)
	}
	// No usable symbols.
	if err := New(Options{Symbols: []string{"B/TC"}}).Session(context.Background(), feedtest.NewRecorder(),
		feeds.SessionHooks{}); err == nil || !strings.Contains(err.Error(), "no usable symbols") {
		t.Fatalf("err = %v", err)
	}
}

func TestSessionCountsMissedTrades(t *testing.T) {
	feedtest.NoLeaks(t)
	frames := [][]byte{
		feedtest.Lines(t, "coinbase/session.jsonl")[0],
		[]byte(`{"type":"last_match","trade_id":330,"side":"sell","size":"1","price":"100","product_id":"BTC-USD","sequence":10,"time":"2025-06-02T12:00:00Z"}`),
		[]byte(`{"type":"heartbeat","sequence":11,"last_trade_id":335,"product_id":"BTC-USD","time":"2025-06-02T12:00:01Z"}`),
		[]byte(`{"type":"heartbeat","sequence":12,"last_trade_id":336,"product_id":"BTC-USD","time":"2025-06-02T12:00:02Z"}`), // 331..335 never came: 5
		[]byte(`{"type":"match","trade_id":336,"side":"buy","size":"1","price":"101","product_id":"BTC-USD","sequence":13,"time":"2025-06-02T12:00:02Z"}`),
		[]byte(`{"type":"match","trade_id":340,"side":"buy","size":"1","price":"102","product_id":"BTC-USD","sequence":14,"time":"2025-06-02T12:00:03Z"}`), // 337..339: 3
		[]byte(`{"type":"match","trade_id":339,"side":"buy","size":"1","price":"99","product_id":"BTC-USD","sequence":15,"time":"2025-06-02T12:00:03Z"}`),  // late: bad
		[]byte(`{"type":"ticker","product_id":"BTC-USD","price":"103","sequence":16}`),
	}
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		c.Receive(ctx)
		c.SendAll(ctx, frames)
		c.Stall(ctx)
	})
	e := newTestExchange(srv.URL)
	rec, h := feedtest.NewRecorder(), &feedtest.Hooks{}
	feedtest.StartSession(t, e, rec, h, wait)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool {
		return feedtest.CountKind(evs, model.EventQuote) == 1
	}) {
		t.Fatal("ticker never arrived")
	}
	if got := e.MissedTrades(); got != 8 {
		t.Fatalf("missed trades %d, want 8", got)
	}
	if n := feedtest.CountKind(rec.Events(), model.EventTrade); n != 3 {
		t.Fatalf("%d trades, want 3 (the late one skipped)", n)
	}
	if b := h.Bads(); len(b) != 1 || !strings.Contains(b[0], "out of order") {
		t.Fatalf("bad: %v", b)
	}
}

func TestSymbolsMapToProducts(t *testing.T) {
	e := New(Options{Symbols: []string{" btc ", "ETH", "eth", "bad sym", ""}, Quote: "eur"})
	if got := strings.Join(e.Products(), ","); got != "BTC-EUR,ETH-EUR" {
		t.Fatalf("products %s", got)
	}
	if e.base.Symbols[0] != "BTC" || e.index["ETH-EUR"] != 1 {
		t.Fatalf("symbols %v index %v", e.base.Symbols, e.index)
	}
	if New(Options{Symbols: []string{"BTC"}}).Products()[0] != "BTC-USD" {
		t.Fatal("default quote is not USD")
	}
	if e.Name() != "coinbase" {
		t.Fatal(e.Name())
	}
}

// TestSessionSkipsA4MBFrame: a frame over the 1 MB limit used to end the
// connection (close 1009); now it is read to its end, counted as bad, and
// the ticker after it is applied on the same connection.
func TestSessionSkipsA4MBFrame(t *testing.T) {
	feedtest.NoLeaks(t)
	ack := feedtest.Lines(t, "coinbase/session.jsonl")[0]
	ticker := feedtest.Compact(feedtest.Fixture(t, "coinbase/ticker_eth.json"))
	huge := []byte(`{"type":"ticker","pad":"` + strings.Repeat("x", 4<<20) + `"}`)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		if _, err := c.Receive(ctx); err != nil {
			return
		}
		if c.Send(ctx, ack) == nil && c.Send(ctx, huge) == nil && c.Send(ctx, ticker) == nil {
			c.Stall(ctx)
		}
	})
	rec, h := feedtest.NewRecorder(), &feedtest.Hooks{}
	ss := feedtest.StartSession(t, newTestExchange(srv.URL), rec, h, wait)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool {
		return feedtest.CountKind(evs, model.EventQuote) == 1
	}) {
		t.Fatalf("the ticker after the big frame never arrived; bad: %v, session: %v", h.Bads(), ss.Err())
	}
	if got := h.Bads(); len(got) != 1 || got[0] != "coinbase: a frame of 4.0 MB, over the 1 MB limit, skipped" {
		t.Errorf("bad reports %q", got)
	}
	if !ss.Running() || len(srv.Conns()) != 1 {
		t.Fatalf("session ended (%v) or reconnected (%d connections)", ss.Err(), len(srv.Conns()))
	}
	if err := ss.Stop(t); err != nil {
		t.Fatal(err)
	}
}

package kraken

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

const wait = 5 * time.Second

// receiveSubscribes reads the three subscribe requests.
func receiveSubscribes(ctx context.Context, c *feedtest.WSConn) ([][]byte, bool) {
	var out [][]byte
	for range 3 {
		b, err := c.Receive(ctx)
		if err != nil {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}

func TestSessionReplaysFixture(t *testing.T) {
	feedtest.NoLeaks(t)
	lines := feedtest.Lines(t, "kraken/session.jsonl")
	extra := [][]byte{
		feedtest.Compact(feedtest.Fixture(t, "kraken/subscribe_ack_ohlc.json")),
		feedtest.Compact(feedtest.Fixture(t, "kraken/ohlc.json")),
		feedtest.Compact(feedtest.Fixture(t, "kraken/trade_snapshot.json")),
		feedtest.Compact(feedtest.Fixture(t, "kraken/trade.json")),
		feedtest.Compact(feedtest.Fixture(t, "kraken/ohlc_update.json")),
	}
	subs := make(chan [][]byte, 1)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		c.Send(ctx, lines[0]) // status, unprompted
		got, ok := receiveSubscribes(ctx, c)
		if !ok {
			return
		}
		subs <- got
		c.SendAll(ctx, lines[1:])
		c.SendAll(ctx, extra)
		c.Stall(ctx)
	})
	e := New(Options{Symbols: []string{"xbt", "ETH"}, WSURL: srv.URL})
	rec, h := feedtest.NewRecorder(), &feedtest.Hooks{}
	ss := feedtest.StartSession(t, e, rec, h, wait)

	var got [][]byte
	select {
	case got = <-subs:
	case <-time.After(wait):
		t.Fatal("no subscribe received")
	}
	type req struct {
		Method string `json:"method"`
		Params struct {
			Channel  string   `json:"channel"`
			Symbol   []string `json:"symbol"`
			Interval int      `json:"interval"`
			Snapshot bool     `json:"snapshot"`
		} `json:"params"`
		ReqID int `json:"req_id"`
	}
	channels := map[string]req{}
	for _, b := range got {
		var r req
		if err := json.Unmarshal(b, &r); err != nil || r.Method != "subscribe" || r.ReqID == 0 {
			t.Fatalf("subscribe %s: %v", b, err)
		}
		if strings.Join(r.Params.Symbol, ",") != "BTC/USD,ETH/USD" || !r.Params.Snapshot {
			t.Fatalf("subscribe %s", b)
		}
		channels[r.Params.Channel] = r
	}
	if len(channels) != 3 || channels["ohlc"].Params.Interval != 1 || channels["ticker"].ReqID == 0 || channels["trade"].ReqID == 0 {
		t.Fatalf("subscribes: %+v", channels)
	}

	var want []model.Event
	for _, l := range append(lines[1:], extra...) {
		evs, ok := oracleEvents(t, l)
		if !ok {
			t.Fatalf("oracle refused %s", l)
		}
		want = append(want, evs...)
	}
	if len(want) != 3+2+2+1+1 {
		t.Fatalf("fixture changed: %d events", len(want))
	}
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool { return len(evs) >= len(want) }) {
		t.Fatalf("events: %+v", rec.Events())
	}
	evs := rec.Events()
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d", len(evs), len(want))
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, evs[i], want[i])
		}
	}
	if !h.WaitBeats(len(lines)+len(extra), wait) {
		t.Fatalf("beats %d", h.Beats())
	}
	if h.Live() != 1 || len(h.Bads()) != 0 {
		t.Fatalf("live %d, bad %v", h.Live(), h.Bads())
	}
	if err := ss.Stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestSessionRefusedSymbolKeepsTheRest(t *testing.T) {
	feedtest.NoLeaks(t)
	refused := feedtest.Compact(feedtest.Fixture(t, "kraken/subscribe_error.json"))
	ack := feedtest.Compact(feedtest.Fixture(t, "kraken/subscribe_ack.json"))
	tick := feedtest.Compact(feedtest.Fixture(t, "kraken/ticker_update.json"))
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		receiveSubscribes(ctx, c)
		c.SendAll(ctx, [][]byte{refused, ack, tick})
		c.Stall(ctx)
	})
	rec, h := feedtest.NewRecorder(), &feedtest.Hooks{}
	ss := feedtest.StartSession(t, New(Options{Symbols: []string{"BTC", "USDX"}, WSURL: srv.URL}), rec, h, wait)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool { return len(evs) == 1 }) {
		t.Fatal("no ticker")
	}
	b := h.Bads()
	if len(b) != 1 || !strings.Contains(b[0], "cannot subscribe to XBT/USDX: Currency pair not supported") {
		t.Fatalf("bad %v", b)
	}
	if h.Live() != 1 || !ss.Running() {
		t.Fatalf("live %d running %v", h.Live(), ss.Running())
	}
}

func TestSessionAllRefusedEnds(t *testing.T) {
	feedtest.NoLeaks(t)
	refused := feedtest.Compact(feedtest.Fixture(t, "kraken/subscribe_error.json"))
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		receiveSubscribes(ctx, c)
		c.SendAll(ctx, [][]byte{refused, refused, refused})
		c.Stall(ctx)
	})
	err := feedtest.StartSession(t, New(Options{Symbols: []string{"USDX"}, WSURL: srv.URL}), feedtest.NewRecorder(), &feedtest.Hooks{}, wait).Done(t)
	if err == nil || !strings.Contains(err.Error(), "every subscription was refused") {
		t.Fatalf("err = %v", err)
	}
}

func TestSessionCountsBadFramesAndKeepsRunning(t *testing.T) {
	feedtest.NoLeaks(t)
	ack := feedtest.Compact(feedtest.Fixture(t, "kraken/subscribe_ack.json"))
	tick := feedtest.Compact(feedtest.Fixture(t, "kraken/ticker_snapshot_eth.json"))
	bad := feedtest.BadFrames(t)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		receiveSubscribes(ctx, c)
		c.Send(ctx, ack)
		c.SendBad(ctx, bad)
		c.Write(ctx, websocket.MessageBinary, []byte{0xff})
		c.Send(ctx, tick)
		c.Stall(ctx)
	})
	rec, h := feedtest.NewRecorder(), &feedtest.Hooks{}
	ss := feedtest.StartSession(t, New(Options{Symbols: []string{"BTC", "ETH"}, WSURL: srv.URL}), rec, h, wait)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool {
		return len(evs) > 0 && evs[len(evs)-1].Symbol == "ETH"
	}) {
		t.Fatalf("ticker after the bad frames never came; bad %v", h.Bads())
	}
	// Every bad frame but the valid uint64 status is counted (the refused
	// subscription in error_kraken_ws.json included), plus the binary one.
	got := h.Bads()
	if want := len(bad) - 1 + 1; len(got) != want {
		t.Fatalf("%d bad reports, want %d:\n%s", len(got), want, strings.Join(got, "\n"))
	}
	for _, r := range got {
		if !strings.HasPrefix(r, "kraken: ") {
			t.Errorf("reason %q", r)
		}
	}
	if n := len(rec.Events()); n != 1 {
		t.Fatalf("%d events from bad frames + 1 ticker: %+v", n, rec.Events())
	}
	if !ss.Running() {
		t.Fatalf("session ended: %v", ss.Err())
	}
}

func TestSessionPingsAndEnds(t *testing.T) {
	feedtest.NoLeaks(t)
	pinged := make(chan []byte, 1)
	pong := feedtest.Compact(feedtest.Fixture(t, "kraken/pong.json"))
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		receiveSubscribes(ctx, c)
		c.Send(ctx, feedtest.Compact(feedtest.Fixture(t, "kraken/subscribe_ack.json")))
		b, err := c.Receive(ctx)
		if err != nil {
			return
		}
		pinged <- b
		c.Send(ctx, pong)
		c.Stall(ctx)
	})
	e := New(Options{Symbols: []string{"BTC"}, WSURL: srv.URL})
	e.pingEvery = 20 * time.Millisecond
	h := &feedtest.Hooks{}
	ss := feedtest.StartSession(t, e, feedtest.NewRecorder(), h, wait)
	select {
	case b := <-pinged:
		var m struct {
			Method string `json:"method"`
			ReqID  int    `json:"req_id"`
		}
		if json.Unmarshal(b, &m) != nil || m.Method != "ping" || m.ReqID == 0 {
			t.Fatalf("ping %s", b)
		}
	case <-time.After(wait):
		t.Fatal("no ping")
	}
	if !h.WaitBeats(2, wait) || len(h.Bads()) != 0 {
		t.Fatalf("beats %d bad %v", h.Beats(), h.Bads())
	}
	if err := ss.Stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestSessionEnds(t *testing.T) {
	feedtest.NoLeaks(t)
	// No ack.
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) { c.Stall(ctx) })
	e := New(Options{Symbols: []string{"BTC"}, WSURL: srv.URL})
	e.base.AckWithin = 100 * time.Millisecond
	if err := feedtest.StartSession(t, e, feedtest.NewRecorder(), &feedtest.Hooks{}, wait).Done(t); err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("err = %v", err)
	}
	// Maintenance.
	srv2 := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		c.Send(ctx, []byte(`{"channel":"status","type":"update","data":[{"system":"maintenance"}]}`))
		c.Stall(ctx)
	})
	if err := feedtest.StartSession(t, New(Options{Symbols: []string{"BTC"}, WSURL: srv2.URL}), feedtest.NewRecorder(), &feedtest.Hooks{}, wait).Done(t); err == nil ||
		!strings.Contains(err.Error(), "maintenance") {
		t.Fatalf("err = %v", err)
	}
	// Server closes, with escape sequences in the reason.
	srv3 := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		c.CloseWith(websocket.StatusTryAgainLater, "later\x1b[2J")
	})
	if err := feedtest.StartSession(t, New(Options{Symbols: []string{"BTC"}, WSURL: srv3.URL}), feedtest.NewRecorder(), &feedtest.Hooks{}, wait).Done(t); err == nil ||
		!strings.Contains(err.Error(), "closed the connection") || strings.Contains(err.Error(), "\x1b") {
		t.Fatalf("err = %q", err)
	}
}

func TestSymbolNaming(t *testing.T) {
	e := New(Options{Symbols: []string{"xbt", "BTC", "doge", "eth", "no/pe"}})
	if got := strings.Join(e.Pairs(), ","); got != "BTC/USD,DOGE/USD,ETH/USD" {
		t.Fatalf("ws names %s", got)
	}
	if got := strings.Join(e.pairs, ","); got != "XBTUSD,XDGUSD,ETHUSD" {
		t.Fatalf("rest pairs %s", got)
	}
	if e.index["XBT/USD"] != 0 || e.index["XDG/USD"] != 1 || e.base.Symbols[0] != "BTC" || e.Name() != "kraken" {
		t.Fatalf("index %v symbols %v", e.index, e.base.Symbols)
	}
}

// TestSessionSkipsA4MBFrame: a frame over the 1 MB limit used to end the
// connection (close 1009); now it is read to its end, counted as bad, and
// the ticker after it is applied on the same connection.
func TestSessionSkipsA4MBFrame(t *testing.T) {
	feedtest.NoLeaks(t)
	ack := feedtest.Compact(feedtest.Fixture(t, "kraken/subscribe_ack.json"))
	tick := feedtest.Compact(feedtest.Fixture(t, "kraken/ticker_snapshot_eth.json"))
	huge := []byte(`{"channel":"ticker","pad":"` + strings.Repeat("x", 4<<20) + `"}`)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		if _, ok := receiveSubscribes(ctx, c); !ok {
			return
		}
		if c.Send(ctx, ack) == nil && c.Send(ctx, huge) == nil && c.Send(ctx, tick) == nil {
			c.Stall(ctx)
		}
	})
	rec, h := feedtest.NewRecorder(), &feedtest.Hooks{}
	ss := feedtest.StartSession(t, New(Options{Symbols: []string{"BTC", "ETH"}, WSURL: srv.URL}), rec, h, wait)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool {
		return len(evs) > 0 && evs[len(evs)-1].Symbol == "ETH"
	}) {
		t.Fatalf("the ticker after the big frame never came; bad %v, session: %v", h.Bads(), ss.Err())
	}
	if got := h.Bads(); len(got) != 1 || got[0] != "kraken: a frame of 4.0 MB, over the 1 MB limit, skipped" {
		t.Errorf("bad reports %q", got)
	}
	if !ss.Running() || len(srv.Conns()) != 1 {
		t.Fatalf("session ended (%v) or reconnected (%d connections)", ss.Err(), len(srv.Conns()))
	}
}

package binance

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

const wait = 10 * time.Second

// rig is a fake Binance: a websocket server whose handler is script(conn
// number), and a REST server answering klines with the fixture.
type rig struct {
	ws   *feedtest.WSServer
	rest *feedtest.RESTServer
	ex   *Exchange
}

func newRig(t *testing.T, script func(ctx context.Context, c *feedtest.WSConn), mod func(*Options)) *rig {
	t.Helper()
	r := &rig{}
	r.ws = feedtest.NewWSServer(t, script)
	r.rest = feedtest.NewRESTServer(t)
	r.rest.Route("/api/v3/klines", feedtest.Response{Body: feedtest.Fixture(t, "binance/klines_rest.json")})
	opts := Options{Symbols: testBases, WSURL: r.ws.URL, RESTURL: r.rest.URL, HTTPClient: r.rest.Client()}
	if mod != nil {
		mod(&opts)
	}
	ex, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.ex = ex
	return r
}

// run supervises the exchange with fast test timings; stop ends it.
func (r *rig) run(t *testing.T, opts feeds.SuperviseOptions) (*feedtest.Recorder, func()) {
	t.Helper()
	if opts.BackoffBase == 0 {
		opts.BackoffBase = 20 * time.Millisecond
		opts.BackoffMax = 100 * time.Millisecond
	}
	s := feedtest.Supervise(t, r.ex, opts, wait)
	return s.Rec, s.Stop
}

// keptOneConnection fails the test if the session reconnected.
func (r *rig) keptOneConnection(t *testing.T, rec *feedtest.Recorder, why string) {
	t.Helper()
	if n := len(r.ws.Conns()); n != 1 {
		t.Errorf("%d connections, want 1 (%s)", n, why)
	}
	for _, st := range rec.Statuses() {
		if st.State == model.FeedReconnecting {
			t.Errorf("reconnected: %s", st.Reason)
		}
	}
}

func waitStatus(t *testing.T, rec *feedtest.Recorder, state model.FeedState, substr string) model.FeedStatus {
	t.Helper()
	st, ok := rec.WaitStatus(wait, state, substr)
	if !ok {
		t.Fatalf("no status %v %q:%s", state, substr, feedtest.StatusLines(rec.Statuses()))
	}
	return st
}

func TestSessionDeliversFramesExactlyAsSent(t *testing.T) {
	feedtest.NoLeaks(t)
	lines := feedtest.Lines(t, "binance/session_combined.jsonl")
	r := newRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.SendAll(ctx, lines) == nil {
			c.Stall(ctx)
		}
	}, nil)
	rec, stop := r.run(t, feeds.SuperviseOptions{})
	// The session's frames: 4 quotes (ETHBTC is not ours), a candle, a
	// trade, 2 quotes, the closed candle.
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool { return len(feedtest.LiveEvents(evs)) >= 9 }) {
		t.Fatalf("got %d live events", len(feedtest.LiveEvents(rec.Events())))
	}
	var want []model.Event
	p := NewParser("USDT", testBases)
	for _, l := range lines {
		evs, _, err := p.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, evs...)
	}
	if got := feedtest.LiveEvents(rec.Events()); !reflect.DeepEqual(got, want) {
		t.Errorf("live events:\n got %+v\nwant %+v", got, want)
	}
	if want[5].Kind != model.EventTrade || want[5].Price != 105234.56 || want[8].Candle.Close != 105240.12 {
		t.Errorf("unexpected parse of the session: %+v", want)
	}
	// The history: each of 4 symbols got the 6 fixture rows.
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool {
		return feedtest.CountKind(evs, model.EventCandle) >= 2+4*6
	}) {
		t.Error("history did not arrive")
	}
	waitStatus(t, rec, model.FeedLive, "")
	conns := r.ws.Conns()
	want3 := []string{"btcusdt@miniTicker", "btcusdt@kline_1m", "btcusdt@aggTrade"}
	if got := conns[0].Streams(); len(got) != 12 || !reflect.DeepEqual(got[:3], want3) || conns[0].Request.URL.Path != "/stream" {
		t.Errorf("streams %v (path %s)", got, conns[0].Request.URL.Path)
	}
	stop()
	if st := rec.Last(); st.State != model.FeedStopped {
		t.Errorf("last state %v", st.State)
	}
}

func TestSessionSplitsStreamsAcrossConnections(t *testing.T) {
	feedtest.NoLeaks(t)
	r := newRig(t, func(ctx context.Context, c *feedtest.WSConn) { c.Stall(ctx) },
		func(o *Options) { o.MaxStreams = 7 }) // 2 symbols (6 streams) per connection
	urls := r.ex.StreamURLs()
	if len(urls) != 2 {
		t.Fatalf("%d URLs, want 2: %v", len(urls), urls)
	}
	rec, stop := r.run(t, feeds.SuperviseOptions{})
	waitStatus(t, rec, model.FeedLive, "")
	if !r.ws.WaitConns(2, wait) {
		t.Fatal("want 2 connections")
	}
	got := map[string]bool{}
	for _, c := range r.ws.Conns() {
		got[strings.Join(c.Streams(), "/")] = true
	}
	want := map[string]bool{
		"btcusdt@miniTicker/btcusdt@kline_1m/btcusdt@aggTrade/ethusdt@miniTicker/ethusdt@kline_1m/ethusdt@aggTrade": true,
		"solusdt@miniTicker/solusdt@kline_1m/solusdt@aggTrade/bnbusdt@miniTicker/bnbusdt@kline_1m/bnbusdt@aggTrade": true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("streams per connection %v", got)
	}
	stop()
}

func TestSessionRecoversFromDropStallAndShutdown(t *testing.T) {
	feedtest.NoLeaks(t)
	lines := feedtest.Lines(t, "binance/session_combined.jsonl")
	shutdown := feedtest.Compact(feedtest.Fixture(t, "binance/server_shutdown_combined.json"))
	r := newRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		switch c.N {
		case 1: // two frames, then the connection drops
			c.SendAll(ctx, lines[:2])
			c.Drop()
		case 2: // one frame, then silence with the socket open
			c.Send(ctx, lines[2])
			c.Stall(ctx)
		case 3: // the server announces a restart
			c.Send(ctx, shutdown)
			c.Stall(ctx)
		case 4:
			c.CloseWith(websocket.StatusTryAgainLater, "maintenance")
		default:
			c.SendAll(ctx, lines[3:])
			c.Stall(ctx)
		}
	}, nil)
	rec, stop := r.run(t, feeds.SuperviseOptions{StaleAfter: 300 * time.Millisecond})
	waitStatus(t, rec, model.FeedReconnecting, "binance: connection")
	waitStatus(t, rec, model.FeedStale, "no data for 0.3s")
	waitStatus(t, rec, model.FeedReconnecting, "no data for 0.3s")
	waitStatus(t, rec, model.FeedReconnecting, "reconnecting now: binance: server is shutting down")
	waitStatus(t, rec, model.FeedReconnecting, "binance closed the connection (1013: maintenance)")
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool { return len(feedtest.LiveEvents(evs)) >= 9 }) {
		t.Fatalf("got %d live events", len(feedtest.LiveEvents(rec.Events())))
	}
	// Every reconnect asked for the gap: the start plus at least 4 gaps,
	// each for every symbol.
	if !rec.WaitFor(wait, func([]model.Event, []model.FeedStatus) bool { return r.rest.Hits("/api/v3/klines") >= 5*4 }) {
		t.Errorf("history requests: %d", r.rest.Hits("/api/v3/klines"))
	}
	stop()
}

func TestSessionSkipsBadFramesAndKeepsTheConnection(t *testing.T) {
	feedtest.NoLeaks(t)
	bad := feedtest.BadFrames(t)
	good := feedtest.Compact(feedtest.Fixture(t, "binance/aggtrade_combined.json"))
	r := newRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.SendBad(ctx, bad) == nil && c.Send(ctx, good) == nil {
			c.Stall(ctx)
		}
	}, nil)
	rec, stop := r.run(t, feeds.SuperviseOptions{})
	wantBad := uint64(len(bad) - len(notBad))
	if !rec.WaitFor(wait, func(evs []model.Event, sts []model.FeedStatus) bool {
		return feedtest.CountKind(evs, model.EventTrade) == 1 && len(sts) > 0 && sts[len(sts)-1].Bad == wantBad
	}) {
		t.Fatalf("bad count %d, want %d; trades %d", rec.Last().Bad, wantBad, feedtest.CountKind(rec.Events(), model.EventTrade))
	}
	r.keptOneConnection(t, rec, "bad frames must not drop it")
	stop()
}

func TestSessionRenewsBeforeTheDailyLimit(t *testing.T) {
	feedtest.NoLeaks(t)
	r := newRig(t, func(ctx context.Context, c *feedtest.WSConn) { c.Stall(ctx) }, nil)
	clock := feedtest.NewFakeClock(time.Unix(1748865600, 0))
	r.ex.opts.Clock = clock
	live := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- r.ex.Session(context.Background(), feedtest.NewRecorder(), feeds.SessionHooks{
			Live: func() { live <- struct{}{} }, Beat: func() {}, Bad: func(string) {}})
	}()
	<-live
	if !clock.WaitTimers(1, wait) {
		t.Fatal("no age timer")
	}
	clock.Advance(DefaultMaxConnAge)
	select {
	case err := <-done:
		if !errors.Is(err, feeds.ErrReconnectNow) || !strings.Contains(err.Error(), "24-hour") {
			t.Fatalf("Session returned %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Session did not end at the age limit")
	}
}

func TestBackfillHonoursRetryAfter(t *testing.T) {
	feedtest.NoLeaks(t)
	now := time.Unix(1748865600, 0)
	clock := feedtest.NewFakeClock(now)
	r := newRig(t, func(ctx context.Context, c *feedtest.WSConn) { c.Stall(ctx) },
		func(o *Options) { o.Symbols = []string{"BTC"}; o.Clock = clock })
	r.rest.Route("/api/v3/klines",
		feedtest.RetryAfter(429, 30, feedtest.Fixture(t, "binance/error_rest_rate_limited.json")),
		feedtest.Response{Body: feedtest.Fixture(t, "binance/klines_rest.json")})
	rec := feedtest.NewRecorder()
	done := make(chan error, 1)
	go func() { done <- r.ex.Backfill(context.Background(), rec, now.Add(-time.Hour), now) }()
	if _, ok := rec.WaitStatus(wait, 0, "rate limited by binance, retrying in 30s"); !ok {
		t.Fatalf("no rate-limit note: %+v", rec.Statuses())
	}
	if !clock.WaitTimers(1, wait) {
		t.Fatal("not waiting")
	}
	clock.Advance(29 * time.Second)
	if r.rest.Hits("/api/v3/klines") != 1 {
		t.Fatal("retried before Retry-After")
	}
	clock.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := feedtest.CountKind(rec.Events(), model.EventCandle); n != 6 {
		t.Errorf("%d candles, want 6", n)
	}
	if st := rec.Last(); st.Reason != "" {
		t.Errorf("note not cleared: %q", st.Reason)
	}
	q := r.rest.Requests()[1].Query()
	if q.Get("symbol") != "BTCUSDT" || q.Get("interval") != "1m" || q.Get("startTime") != "1748862000000" || q.Get("limit") != "1000" {
		t.Errorf("query %v", q)
	}

	// A long ban gives up on history with the reason.
	r.rest.Route("/api/v3/klines", feedtest.RetryAfter(418, 7200, feedtest.Fixture(t, "bad/error_binance_rest_banned.json")))
	err := r.ex.Backfill(context.Background(), rec, now.Add(-time.Hour), now)
	if err == nil || !strings.Contains(err.Error(), "banned this IP") {
		t.Errorf("ban: %v", err)
	}
	// A refused symbol names the reason.
	r.rest.Route("/api/v3/klines", feedtest.Response{Status: 400, Body: feedtest.Fixture(t, "binance/error_rest_invalid_symbol.json")})
	err = r.ex.Backfill(context.Background(), rec, now.Add(-time.Hour), now)
	if err == nil || err.Error() != "binance: history for 1 of 1 symbols failed: history of BTCUSDT: binance refused: Invalid symbol. (code -1121)" {
		t.Errorf("invalid symbol: %v", err)
	}
}

func TestBackfillPlan(t *testing.T) {
	to := time.Unix(1748865600, 0)
	got := plan(3, to.Add(-40*24*time.Hour), to)
	// 10 daily bars, 696 hourly, 1,441 minute bars (the current one too):
	// one page, one page, two pages of at most 1,000.
	if len(got) != 4 || got[0].interval != "1d" || got[1].interval != "1h" || got[2].interval != "1m" || got[3].interval != "1m" ||
		got[2].from != to.Add(-24*time.Hour).UnixMilli() || got[1].from != to.Add(-30*24*time.Hour).UnixMilli() ||
		got[3].from != got[2].from+1000*60_000 || got[2].to != got[3].from-60_000 || got[3].to != to.UnixMilli() {
		t.Errorf("plan %+v", got)
	}
	for _, p := range got {
		if p.symbol != 3 || (p.to-p.from)/(p.res.Seconds()*1000) >= klinesLimit {
			t.Errorf("page %+v", p)
		}
	}
	if got := plan(0, to.Add(-5*time.Minute), to); len(got) != 1 || got[0].interval != "1m" {
		t.Errorf("gap plan %+v", got)
	}
}

func TestNewRejectsBadSymbols(t *testing.T) {
	for _, o := range []Options{{}, {Symbols: []string{"BT C"}}, {Symbols: []string{"BTC"}, Quote: "US-D"}, {Symbols: []string{"\x1b[2J"}}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	x, err := New(Options{Symbols: []string{"btc", "BTC", "eth"}})
	if err != nil || !reflect.DeepEqual(x.bases, []string{"BTC", "ETH"}) || x.Pair("ETH") != "ETHUSDT" {
		t.Errorf("%v %v", x, err)
	}
}

// TestSessionSkipsA4MBFrame: Binance used to lose its connection on every
// frame over the 1 MB read limit (close 1009); now the frame is read to its
// end, counted as bad, and the frames after it are applied on the same
// connection.
func TestSessionSkipsA4MBFrame(t *testing.T) {
	feedtest.NoLeaks(t)
	huge := append([]byte(`{"stream":"btcusdt@aggTrade","data":{"pad":"`), bytes.Repeat([]byte("x"), 4<<20)...)
	huge = append(huge, `"}}`...)
	good := feedtest.Compact(feedtest.Fixture(t, "binance/aggtrade_combined.json"))
	r := newRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.Send(ctx, huge) == nil && c.Send(ctx, good) == nil && c.Send(ctx, huge) == nil && c.Send(ctx, good) == nil {
			c.Stall(ctx)
		}
	}, nil)
	rec, stop := r.run(t, feeds.SuperviseOptions{})
	if !rec.WaitFor(wait, func(evs []model.Event, sts []model.FeedStatus) bool {
		return feedtest.CountKind(evs, model.EventTrade) == 2 && len(sts) > 0 && sts[len(sts)-1].Bad == 2
	}) {
		t.Fatalf("bad count %d, want 2; trades %d, want 2", rec.Last().Bad, feedtest.CountKind(rec.Events(), model.EventTrade))
	}
	r.keptOneConnection(t, rec, "a big frame must not drop it")
	stop()
}

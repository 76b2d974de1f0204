package coinbase

// The Coinbase adapter run the way the program runs it: under
// feeds.Supervise, against a local websocket server replaying
// fixtures/coinbase/session.jsonl and a local REST server answering candle
// requests with fixtures/coinbase/candles_rest.json, with faults.
//
// Supervision runs on a fake clock standing just after the fixture session
// (2025-06-02 12:00:03 UTC), so the fixture candles fall inside the history
// the supervisor asks for, and backoff and staleness move only when a test
// advances the clock: nothing waits for luck. The adapter's own waits (its
// REST Retry-After sleep) are real time, shortened where the test allows.

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

// supT0 is the fake clock's start: just after the fixture session's last
// frame (12:00:02.19).
var supT0 = time.Date(2025, 6, 2, 12, 0, 3, 0, time.UTC)

// supWait bounds every wait on a condition.
const supWait = 3 * time.Second

// Supervision timings (fake clock). Rand is fixed at 0.5, so the first
// reconnect waits 0.5 * supBackoff.
const (
	supHistory = 7 * time.Hour // from 05:00:03: two pages of 1-minute bars per product
	supStale   = 10 * time.Second
	supBackoff = time.Second
)

// supRig is a fake Coinbase (websocket and REST) and a supervised adapter
// delivering into a Recorder.
type supRig struct {
	*feedtest.Supervised
	ws    *feedtest.WSServer
	rest  *feedtest.RESTLog
	clock *feedtest.FakeClock
	ex    *Exchange
}

// newSupRig starts the servers (script runs per websocket connection; the
// REST server answers BTC-USD and ETH-USD candles with seq) and runs the
// supervised adapter until the test ends (or stop).
func newSupRig(t *testing.T, script func(ctx context.Context, c *feedtest.WSConn), seq ...feedtest.Response) *supRig {
	t.Helper()
	r := &supRig{clock: feedtest.NewFakeClock(supT0)}
	r.ws = feedtest.NewWSServer(t, script)
	srv := feedtest.NewRESTServer(t)
	r.rest = feedtest.NewRESTLog(seq...)
	srv.Handle("/products/BTC-USD/candles", r.rest.ServeHTTP)
	srv.Handle("/products/ETH-USD/candles", r.rest.ServeHTTP)
	r.ex = New(Options{Symbols: []string{"BTC", "ETH"}, WSURL: r.ws.URL, RESTURL: srv.URL, HTTPClient: srv.Client()})
	r.ex.base.REST.Interval = 0
	r.ex.base.REST.RetryBase = 5 * time.Millisecond
	r.ex.base.REST.RetryMax = 20 * time.Millisecond
	r.ex.base.AckWithin = supWait // real time; every script acks at once
	r.ex.now = r.clock.Now        // "has this bar closed" on the supervisor's clock

	// Started after the servers, so it stops before they close.
	r.Supervised = feedtest.Supervise(t, r.ex, feeds.SuperviseOptions{
		History:     supHistory,
		StaleAfter:  supStale,
		BackoffBase: supBackoff,
		BackoffMax:  4 * supBackoff,
		Clock:       r.clock,
		Rand:        func() float64 { return 0.5 },
	}, supWait)
	return r
}

// ackOnly is a later connection: it acknowledges the subscription (live
// again) and stays quiet.
func ackOnly(ctx context.Context, c *feedtest.WSConn, ack []byte) {
	if _, err := c.Receive(ctx); err != nil {
		return
	}
	if c.Send(ctx, ack) == nil {
		c.Stall(ctx)
	}
}

// Prices, trades and history arrive exactly as sent; a dropped connection
// is reported in words, replaced after the backoff, and the gap since the
// last data is fetched again over REST.
func TestSupervisedDeliversAndRecoversFromDrop(t *testing.T) {
	feedtest.NoLeaks(t)
	lines := feedtest.Lines(t, "coinbase/session.jsonl")
	body := feedtest.Fixture(t, "coinbase/candles_rest.json")
	drop := make(chan struct{})
	r := newSupRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.N > 1 {
			ackOnly(ctx, c, lines[0])
			return
		}
		if _, err := c.Receive(ctx); err != nil || c.SendAll(ctx, lines) != nil {
			return
		}
		select {
		case <-drop:
			c.Drop() // no closing handshake: the TCP connection just ends
		case <-ctx.Done():
		}
	}, feedtest.Response{Body: body})

	// (1) The session's quotes and trades, and each product's history.
	wantQ, wantT := fixtureEvents(t, lines)
	wantC := fixtureCandles(t, body) // all six bars lie in 05:00..12:00
	r.WaitEvents(t, "the session and the history", func(evs []model.Event) bool {
		l := feedtest.LiveEvents(evs)
		return len(ofKind(l, model.EventQuote)) == len(wantQ) && len(ofKind(l, model.EventTrade)) == len(wantT) &&
			len(feedtest.History(evs, "BTC")) == len(wantC) && len(feedtest.History(evs, "ETH")) == len(wantC)
	})
	evs := r.Rec.Events()
	l := feedtest.LiveEvents(evs)
	assertEvents(t, "quotes", ofKind(l, model.EventQuote), wantQ)
	assertEvents(t, "trades", ofKind(l, model.EventTrade), wantT)
	if len(l) != len(wantQ)+len(wantT) {
		t.Errorf("live events %+v", l)
	}
	feedtest.CheckHistory(t, evs, []string{"BTC", "ETH"}, model.Minute, wantC)
	if len(evs) != len(l)+2*len(wantC) {
		t.Errorf("%d events, want %d", len(evs), len(l)+2*len(wantC))
	}
	liveAt := r.WaitStatusFrom(t, 0, model.FeedLive, "")
	// 05:00..12:00 is 421 one-minute bars: two pages per product.
	if reqs := r.rest.Requests(); len(reqs) != 4 {
		t.Fatalf("%d history requests at start, want 4: %v", len(reqs), reqs)
	}

	// (2) The server drops the connection.
	close(drop)
	at := r.WaitStatusFrom(t, liveAt, model.FeedReconnecting, "attempt 1: coinbase: the connection dropped")
	if n := len(r.ws.Conns()); n != 1 {
		t.Fatalf("%d connections before the backoff elapsed", n)
	}
	if n := len(r.rest.Requests()); n != 4 {
		t.Fatalf("%d history requests before the reconnect, want 4", n)
	}
	r.clock.Advance(supBackoff)
	if !r.ws.WaitConns(2, supWait) {
		t.Fatal("no second connection after the backoff")
	}
	r.WaitStatusFrom(t, at, model.FeedLive, "")
	// The gap: from the minute of the last data (12:00) to now, per product.
	reqs := r.rest.WaitRequests(t, 6, supWait)
	paths := map[string]bool{}
	for _, q := range reqs[4:] {
		paths[q.URL.Path] = true
		if v := q.URL.Query(); v.Get("granularity") != "60" || v.Get("start") != "2025-06-02T12:00:00Z" || v.Get("end") != "2025-06-02T12:00:00Z" {
			t.Errorf("gap request %v", q.URL)
		}
	}
	if !paths["/products/BTC-USD/candles"] || !paths["/products/ETH-USD/candles"] {
		t.Errorf("gap requests %v", reqs[4:])
	}
	r.Stop()
	if st := r.Rec.Last(); st.State != model.FeedStopped || st.Bad != 0 {
		t.Errorf("last status %+v", st)
	}
}

// A connection that stays open but sends nothing (not even heartbeats) is
// declared stale after StaleAfter and replaced; the gap is fetched again.
func TestSupervisedStallGoesStaleAndReconnects(t *testing.T) {
	feedtest.NoLeaks(t)
	lines := feedtest.Lines(t, "coinbase/session.jsonl")
	r := newSupRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.N > 1 {
			ackOnly(ctx, c, lines[0])
			return
		}
		if _, err := c.Receive(ctx); err == nil && c.SendAll(ctx, lines) == nil {
			c.Stall(ctx) // open, silent
		}
	}, feedtest.Response{Body: feedtest.Fixture(t, "coinbase/candles_rest.json")})
	liveAt := r.WaitStatusFrom(t, 0, model.FeedLive, "")
	r.WaitEvents(t, "the session", func(evs []model.Event) bool { return len(ofKind(feedtest.LiveEvents(evs), model.EventQuote)) == 3 })
	r.rest.WaitRequests(t, 4, supWait)

	r.clock.Advance(supStale - time.Millisecond)
	if sts := r.Rec.Statuses(); sts[len(sts)-1].State != model.FeedLive && sts[len(sts)-1].State != model.FeedQuiet {
		t.Fatalf("not live before the stale bound:%s", feedtest.StatusLines(sts))
	}
	r.clock.Advance(time.Millisecond)
	at := r.WaitStatusFrom(t, liveAt, model.FeedStale, "no data for 10s")
	at = r.WaitStatusFrom(t, at, model.FeedReconnecting, "attempt 1: no data for 10s")
	if n := len(r.ws.Conns()); n != 1 {
		t.Fatalf("%d connections before the backoff elapsed", n)
	}
	r.clock.Advance(supBackoff)
	if !r.ws.WaitConns(2, supWait) {
		t.Fatal("no second connection")
	}
	r.WaitStatusFrom(t, at, model.FeedLive, "")
	for _, q := range r.rest.WaitRequests(t, 6, supWait)[4:] {
		if v := q.URL.Query(); v.Get("start") != "2025-06-02T12:00:00Z" {
			t.Errorf("gap request %v", q.URL)
		}
	}
}

// HTTP 429 with Retry-After: the refused request is made again once the
// delay has passed, and the history is complete.
func TestSupervisedBackfillWaitsOutRateLimit(t *testing.T) {
	feedtest.NoLeaks(t)
	lines := feedtest.Lines(t, "coinbase/session.jsonl")
	body := feedtest.Fixture(t, "coinbase/candles_rest.json")
	r := newSupRig(t, func(ctx context.Context, c *feedtest.WSConn) { ackOnly(ctx, c, lines[0]) },
		feedtest.RetryAfter(http.StatusTooManyRequests, 1, []byte(`{"message":"Slow down"}`)),
		feedtest.Response{Body: body})
	want := fixtureCandles(t, body)
	r.WaitEvents(t, "the history", func(evs []model.Event) bool {
		return len(feedtest.History(evs, "BTC")) == len(want) && len(feedtest.History(evs, "ETH")) == len(want)
	})
	reqs := r.rest.Requests()
	if len(reqs) != 5 || reqs[0].Status != http.StatusTooManyRequests {
		t.Fatalf("requests %+v, want a 429 and 4 answers", reqs)
	}
	feedtest.CheckHistory(t, r.Rec.Events(), []string{"BTC", "ETH"}, model.Minute, want)
	r.WaitStatusFrom(t, 0, model.FeedLive, "")
	r.CheckRateLimitWaitedOut(t, "coinbase", reqs, 950*time.Millisecond) // Retry-After: 1
}

// Every frame in fixtures/bad, sent in the middle of a healthy session, is
// counted in FeedStatus.Bad and skipped; the connection stays. The one
// exception is Coinbase's own error message (bad/error_coinbase_ws.json),
// which the adapter treats as the end of the session: it is sent last and
// must lead to a reconnect with Coinbase's words.
func TestSupervisedCountsBadFramesAndKeepsTheConnection(t *testing.T) {
	feedtest.NoLeaks(t)
	lines := feedtest.Lines(t, "coinbase/session.jsonl")
	ticker := feedtest.Compact(feedtest.Fixture(t, "coinbase/ticker_eth.json"))
	var bad []feedtest.NamedFrame
	var errFrame []byte
	for _, nf := range feedtest.BadFrames(t) {
		if nf.Name == "error_coinbase_ws.json" {
			errFrame = nf.Frame
			continue
		}
		bad = append(bad, nf)
	}
	if errFrame == nil {
		t.Fatal("fixture bad/error_coinbase_ws.json is gone")
	}
	sendErr := make(chan struct{})
	r := newSupRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.N > 1 {
			ackOnly(ctx, c, lines[0])
			return
		}
		if _, err := c.Receive(ctx); err != nil || c.SendAll(ctx, lines) != nil ||
			c.SendBad(ctx, bad) != nil || c.Send(ctx, ticker) != nil {
			return
		}
		select {
		case <-sendErr:
			if c.Send(ctx, errFrame) == nil {
				c.Stall(ctx)
			}
		case <-ctx.Done():
		}
	}, feedtest.Response{Body: feedtest.Fixture(t, "coinbase/candles_rest.json")})

	// Accepted among the bad frames: two heartbeats of the sequence-gap file
	// (sequence 220, twice: not lower than the last). Its 213 and 219 come
	// after the session's 216 and 220: out of order, bad like the rest.
	wantBad := uint64(len(bad) - 2)
	if !r.Rec.WaitFor(supWait, func(evs []model.Event, sts []model.FeedStatus) bool {
		return len(ofKind(feedtest.LiveEvents(evs), model.EventQuote)) == 4 && len(sts) > 0 && sts[len(sts)-1].Bad == wantBad
	}) {
		t.Fatalf("bad count %d, want %d; quotes %d", r.Rec.Last().Bad, wantBad, len(ofKind(feedtest.LiveEvents(r.Rec.Events()), model.EventQuote)))
	}
	l := feedtest.LiveEvents(r.Rec.Events())
	if last := l[len(l)-1]; last.Kind != model.EventQuote || last.Symbol != "ETH" || last.Price != 2605.12 {
		t.Errorf("the ticker after the bad frames: %+v", last)
	}
	if len(l) != 3+2+1 {
		t.Errorf("bad frames produced events: %+v", l)
	}
	if st := r.Rec.Last(); st.State != model.FeedLive {
		t.Errorf("state %v %q after bad frames", st.State, st.Reason)
	}
	if n := len(r.ws.Conns()); n != 1 {
		t.Errorf("%d connections: bad frames must not drop it", n)
	}
	feedtest.NoReconnects(t, r.Rec.Statuses())

	from := len(r.Rec.Statuses())
	close(sendErr)
	at := r.WaitStatusFrom(t, from, model.FeedReconnecting,
		"attempt 1: coinbase: Failed to subscribe: BTC-XYZ is not a valid product")
	r.clock.Advance(supBackoff)
	r.WaitStatusFrom(t, at, model.FeedLive, "")
	if st := r.Rec.Last(); st.Bad != wantBad {
		t.Errorf("bad count %d after the reconnect, want %d (kept per feed)", st.Bad, wantBad)
	}
}

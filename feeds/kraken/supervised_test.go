package kraken

// The Kraken adapter run the way the program runs it: under
// feeds.Supervise, against a local websocket server replaying
// fixtures/kraken/session.jsonl (and the ohlc and trade fixtures) and a
// local REST server answering OHLC requests with fixtures/kraken/ohlc_rest.json,
// with faults.
//
// Supervision runs on a fake clock standing just after the fixture session
// (2025-06-02 12:00:03 UTC), so the fixture bars fall inside the history
// the supervisor asks for, and backoff and staleness move only when a test
// advances the clock: nothing waits for luck. The adapter's own waits (its
// REST Retry-After sleep) are real time, shortened where the test allows.

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/model"
)

const ohlcPath = "/0/public/OHLC"

// supT0 is the fake clock's start: just after the fixture session's last
// frame (12:00:00.93).
var supT0 = time.Date(2025, 6, 2, 12, 0, 3, 0, time.UTC)

// supWait bounds every wait on a condition.
const supWait = 3 * time.Second

// Supervision timings (fake clock). Rand is fixed at 0.5, so the first
// reconnect waits 0.5 * supBackoff.
const (
	supHistory = 7 * time.Hour // from 05:00:03: one request of 1-minute bars per symbol
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
// REST server answers OHLC requests with seq) and runs the supervised
// adapter until the test ends (or stop).
func newSupRig(t *testing.T, script func(ctx context.Context, c *feedtest.WSConn), seq ...feedtest.Response) *supRig {
	t.Helper()
	r := &supRig{clock: feedtest.NewFakeClock(supT0)}
	r.ws = feedtest.NewWSServer(t, script)
	srv := feedtest.NewRESTServer(t)
	r.rest = feedtest.NewRESTLog(seq...)
	srv.Handle(ohlcPath, r.rest.ServeHTTP)
	r.ex = New(Options{Symbols: []string{"BTC", "ETH"}, WSURL: r.ws.URL, RESTURL: srv.URL, HTTPClient: srv.Client()})
	r.ex.base.REST.Interval = 0
	r.ex.base.REST.RetryBase = 5 * time.Millisecond
	r.ex.base.REST.RetryMax = 20 * time.Millisecond
	r.ex.base.AckWithin = supWait // real time; every script acks at once

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

// sessionFrames are what the first connection sends after the three
// subscribes: the fixture session (acks, ticker snapshots and updates,
// heartbeats), then the ohlc and trade fixtures.
func sessionFrames(t *testing.T) (status []byte, frames [][]byte) {
	t.Helper()
	lines := feedtest.Lines(t, "kraken/session.jsonl")
	frames = append(frames, lines[1:]...)
	for _, n := range []string{"kraken/subscribe_ack_ohlc.json", "kraken/ohlc.json", "kraken/trade_snapshot.json",
		"kraken/trade.json", "kraken/ohlc_update.json"} {
		frames = append(frames, feedtest.Compact(feedtest.Fixture(t, n)))
	}
	return lines[0], frames
}

// subscribed sends the unprompted status frame and reads the three
// subscribe requests.
func subscribed(ctx context.Context, c *feedtest.WSConn, status []byte) bool {
	if c.Send(ctx, status) != nil {
		return false
	}
	_, ok := receiveSubscribes(ctx, c)
	return ok
}

// ackOnly is a later connection: it acknowledges the subscriptions (live
// again) and stays quiet.
func ackOnly(ctx context.Context, c *feedtest.WSConn, status []byte, acks [][]byte) {
	if subscribed(ctx, c, status) && c.SendAll(ctx, acks) == nil {
		c.Stall(ctx)
	}
}

// wantLive is what the session frames must deliver, read with encoding/json.
func wantLive(t *testing.T, frames [][]byte) []model.Event {
	t.Helper()
	var want []model.Event
	for _, f := range frames {
		if evs, ok := oracleEvents(t, f); ok {
			want = append(want, evs...)
		}
	}
	if len(want) != 3+2+2+1+1 {
		t.Fatalf("fixtures changed: %d events", len(want))
	}
	return want
}

// checkGap checks the requests made after a reconnect: the 1-minute bars
// since the minute of the last data (12:00), for both pairs.
func checkGap(t *testing.T, reqs []feedtest.RESTRequest) {
	t.Helper()
	pairs := map[string]bool{}
	since := strconv.FormatInt(time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC).Unix()-60, 10)
	for _, q := range reqs {
		v := q.URL.Query()
		pairs[v.Get("pair")] = true
		if v.Get("interval") != "1" || v.Get("since") != since {
			t.Errorf("gap request %v, want interval 1 since %s", q.URL, since)
		}
	}
	if len(reqs) != 2 || !pairs["XBTUSD"] || !pairs["ETHUSD"] {
		t.Errorf("gap requests %+v", reqs)
	}
}

// Prices, trades and candles arrive exactly as sent, history too; a dropped
// connection is reported in words, replaced after the backoff, and the gap
// since the last data is fetched again over REST.
func TestSupervisedDeliversAndRecoversFromDrop(t *testing.T) {
	feedtest.NoLeaks(t)
	status, frames := sessionFrames(t)
	acks := frames[:2]
	body := feedtest.Fixture(t, "kraken/ohlc_rest.json")
	drop := make(chan struct{})
	r := newSupRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.N > 1 {
			ackOnly(ctx, c, status, acks)
			return
		}
		if !subscribed(ctx, c, status) || c.SendAll(ctx, frames) != nil {
			return
		}
		select {
		case <-drop:
			c.Drop() // no closing handshake: the TCP connection just ends
		case <-ctx.Done():
		}
	}, feedtest.Response{Body: body})

	// (1) The session's quotes, trades and live candles, in order, and each
	// symbol's committed history bars (the answer's last row, the
	// unfinished 12:00 bar, is not history).
	want := wantLive(t, frames)
	all := fixtureOHLC(t, body)
	wantC := all[:len(all)-1]
	r.WaitEvents(t, "the session and the history", func(evs []model.Event) bool {
		return len(feedtest.LiveEvents(evs)) == len(want) && len(feedtest.History(evs, "BTC")) == len(wantC) && len(feedtest.History(evs, "ETH")) == len(wantC)
	})
	evs := r.Rec.Events()
	if got := feedtest.LiveEvents(evs); !slices.Equal(got, want) {
		t.Errorf("live events:\n got %+v\nwant %+v", got, want)
	}
	feedtest.CheckHistory(t, evs, []string{"BTC", "ETH"}, model.Minute, wantC)
	if len(evs) != len(want)+2*len(wantC) {
		t.Errorf("%d events, want %d", len(evs), len(want)+2*len(wantC))
	}
	liveAt := r.WaitStatusFrom(t, 0, model.FeedLive, "")
	reqs := r.rest.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d history requests at start, want 2 (one per pair): %v", len(reqs), reqs)
	}
	if v := reqs[0].URL.Query(); v.Get("interval") != "1" || v.Get("since") != strconv.FormatInt(supT0.Add(-supHistory).Unix()-60, 10) {
		t.Errorf("history request %v", reqs[0].URL)
	}

	// (2) The server drops the connection.
	close(drop)
	at := r.WaitStatusFrom(t, liveAt, model.FeedReconnecting, "attempt 1: kraken: the connection dropped")
	if n := len(r.ws.Conns()); n != 1 {
		t.Fatalf("%d connections before the backoff elapsed", n)
	}
	if n := len(r.rest.Requests()); n != 2 {
		t.Fatalf("%d history requests before the reconnect, want 2", n)
	}
	r.clock.Advance(supBackoff)
	if !r.ws.WaitConns(2, supWait) {
		t.Fatal("no second connection after the backoff")
	}
	r.WaitStatusFrom(t, at, model.FeedLive, "")
	checkGap(t, r.rest.WaitRequests(t, 4, supWait)[2:])
	r.Stop()
	if st := r.Rec.Last(); st.State != model.FeedStopped || st.Bad != 0 {
		t.Errorf("last status %+v", st)
	}
}

// A connection that stays open but sends nothing (not even heartbeats) is
// declared stale after StaleAfter and replaced; the gap is fetched again.
func TestSupervisedStallGoesStaleAndReconnects(t *testing.T) {
	feedtest.NoLeaks(t)
	status, frames := sessionFrames(t)
	r := newSupRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		if c.N > 1 {
			ackOnly(ctx, c, status, frames[:2])
			return
		}
		if subscribed(ctx, c, status) && c.SendAll(ctx, frames) == nil {
			c.Stall(ctx) // open, silent
		}
	}, feedtest.Response{Body: feedtest.Fixture(t, "kraken/ohlc_rest.json")})
	liveAt := r.WaitStatusFrom(t, 0, model.FeedLive, "")
	want := wantLive(t, frames)
	r.WaitEvents(t, "the session", func(evs []model.Event) bool { return len(feedtest.LiveEvents(evs)) == len(want) })
	r.rest.WaitRequests(t, 2, supWait)

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
	checkGap(t, r.rest.WaitRequests(t, 4, supWait)[2:])
}

// HTTP 429 with Retry-After: the refused request is made again once the
// delay has passed, and the history is complete.
func TestSupervisedBackfillWaitsOutRateLimit(t *testing.T) {
	feedtest.NoLeaks(t)
	status, frames := sessionFrames(t)
	body := feedtest.Fixture(t, "kraken/ohlc_rest.json")
	r := newSupRig(t, func(ctx context.Context, c *feedtest.WSConn) { ackOnly(ctx, c, status, frames[:2]) },
		feedtest.RetryAfter(http.StatusTooManyRequests, 1, feedtest.Fixture(t, "kraken/error_rest_rate_limited.json")),
		feedtest.Response{Body: body})
	all := fixtureOHLC(t, body)
	want := all[:len(all)-1]
	r.WaitEvents(t, "the history", func(evs []model.Event) bool {
		return len(feedtest.History(evs, "BTC")) == len(want) && len(feedtest.History(evs, "ETH")) == len(want)
	})
	reqs := r.rest.Requests()
	if len(reqs) != 3 || reqs[0].Status != http.StatusTooManyRequests {
		t.Fatalf("requests %+v, want a 429 and 2 answers", reqs)
	}
	feedtest.CheckHistory(t, r.Rec.Events(), []string{"BTC", "ETH"}, model.Minute, want)
	r.WaitStatusFrom(t, 0, model.FeedLive, "")
	r.CheckRateLimitWaitedOut(t, "kraken", reqs, 950*time.Millisecond) // Retry-After: 1
}

// Every frame in fixtures/bad, sent in the middle of a healthy session, is
// counted in FeedStatus.Bad and skipped; the connection stays.
func TestSupervisedCountsBadFramesAndKeepsTheConnection(t *testing.T) {
	feedtest.NoLeaks(t)
	status, frames := sessionFrames(t)
	bad := feedtest.BadFrames(t)
	tick := feedtest.Compact(feedtest.Fixture(t, "kraken/ticker_update.json"))
	r := newSupRig(t, func(ctx context.Context, c *feedtest.WSConn) {
		if subscribed(ctx, c, status) && c.SendAll(ctx, frames) == nil && c.SendBad(ctx, bad) == nil && c.Send(ctx, tick) == nil {
			c.Stall(ctx)
		}
	}, feedtest.Response{Body: feedtest.Fixture(t, "kraken/ohlc_rest.json")})
	want := wantLive(t, frames)
	// Every bad frame is counted but bad/uint64_kraken_status.json, a valid
	// status frame (connection_id needs uint64). The refused subscription in
	// bad/error_kraken_ws.json is counted and the session carries on.
	wantBad := uint64(len(bad) - 1)
	if !r.Rec.WaitFor(supWait, func(evs []model.Event, sts []model.FeedStatus) bool {
		return len(feedtest.LiveEvents(evs)) == len(want)+1 && len(sts) > 0 && sts[len(sts)-1].Bad == wantBad
	}) {
		t.Fatalf("bad count %d, want %d; live events %d, want %d", r.Rec.Last().Bad, wantBad, len(feedtest.LiveEvents(r.Rec.Events())), len(want)+1)
	}
	l := feedtest.LiveEvents(r.Rec.Events())
	if !slices.Equal(l[:len(want)], want) {
		t.Errorf("live events %+v", l)
	}
	if last := l[len(l)-1]; last.Kind != model.EventQuote || last.Symbol != "BTC" || last.Price != 105231.2 {
		t.Errorf("the ticker after the bad frames: %+v", last)
	}
	if st := r.Rec.Last(); st.State != model.FeedLive {
		t.Errorf("state %v %q after bad frames", st.State, st.Reason)
	}
	if n := len(r.ws.Conns()); n != 1 {
		t.Errorf("%d connections: bad frames must not drop it", n)
	}
	feedtest.NoReconnects(t, r.Rec.Statuses())
}

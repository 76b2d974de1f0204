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
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// restReq is one request the fake REST server saw.
type restReq struct {
	URL    *url.URL
	At     time.Time
	Status int
}

// restLog answers candle requests with a sequence of responses (the last
// repeats) and records every request, signalling each one.
type restLog struct {
	mu      sync.Mutex
	seq     []feedtest.Response
	n       int
	reqs    []restReq
	changed chan struct{}
}

func (l *restLog) serve(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	resp := l.seq[min(l.n, len(l.seq)-1)]
	l.n++
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	u := *r.URL
	l.reqs = append(l.reqs, restReq{URL: &u, At: time.Now(), Status: status})
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(resp.Body)
}

func (l *restLog) requests() []restReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// waitRequests waits until at least n requests arrived.
func (l *restLog) waitRequests(t *testing.T, n int) []restReq {
	t.Helper()
	deadline := time.NewTimer(supWait)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		reqs, ch := slices.Clone(l.reqs), l.changed
		l.mu.Unlock()
		if len(reqs) >= n {
			return reqs
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("%d REST requests, want %d: %v", len(reqs), n, reqs)
		}
	}
}

// supRig is a fake Coinbase (websocket and REST) and a supervised adapter
// delivering into a Recorder.
type supRig struct {
	ws    *feedtest.WSServer
	rest  *restLog
	clock *feedtest.FakeClock
	ex    *Exchange
	rec   *feedtest.Recorder
	stop  func()
}

// newSupRig starts the servers (script runs per websocket connection; the
// REST server answers OHLC requests with seq) and runs the supervised
// adapter until the test ends (or stop).
func newSupRig(t *testing.T, script func(ctx context.Context, c *feedtest.WSConn), seq ...feedtest.Response) *supRig {
	t.Helper()
	r := &supRig{clock: feedtest.NewFakeClock(supT0), rec: feedtest.NewRecorder()}
	r.ws = feedtest.NewWSServer(t, script)
	srv := feedtest.NewRESTServer(t)
	r.rest = &restLog{seq: seq, changed: make(chan struct{})}
	srv.Handle(ohlcPath, r.rest.serve)
	r.ex = New(Options{Symbols: []string{"BTC", "ETH"}, WSURL: r.ws.URL, RESTURL: srv.URL, HTTPClient: srv.Client()})
	r.ex.restInterval = 0
	r.ex.retryBase = 5 * time.Millisecond
	r.ex.retryMax = 20 * time.Millisecond
	r.ex.ackWithin = supWait // real time; every script acks at once

	feed := feeds.Supervise(r.ex, feeds.SuperviseOptions{
		History:     supHistory,
		StaleAfter:  supStale,
		BackoffBase: supBackoff,
		BackoffMax:  4 * supBackoff,
		Clock:       r.clock,
		Rand:        func() float64 { return 0.5 },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx, r.rec) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(supWait):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(r.stop) // before the servers close: cleanups run last first
	return r
}

// statusLines lists the statuses for a failure message.
func statusLines(sts []model.FeedStatus) string {
	var b strings.Builder
	for _, s := range sts {
		b.WriteString("\n  " + s.State.String() + " " + s.Reason)
	}
	return b.String()
}

// waitStatusFrom waits for a status at index from or later with state and
// a reason containing substr, and returns its index.
func (r *supRig) waitStatusFrom(t *testing.T, from int, state model.FeedState, substr string) int {
	t.Helper()
	at := -1
	if !r.rec.WaitFor(supWait, func(_ []model.Event, sts []model.FeedStatus) bool {
		for i := from; i < len(sts); i++ {
			if sts[i].State == state && strings.Contains(sts[i].Reason, substr) {
				at = i
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no status %v %q after #%d:%s", state, substr, from, statusLines(r.rec.Statuses()))
	}
	return at
}

// waitEvents waits until cond holds for the events.
func (r *supRig) waitEvents(t *testing.T, what string, cond func(evs []model.Event) bool) {
	t.Helper()
	if !r.rec.WaitFor(supWait, func(evs []model.Event, _ []model.FeedStatus) bool { return cond(evs) }) {
		t.Fatalf("timed out waiting for %s; events: %+v", what, r.rec.Events())
	}
}

// live is the websocket's events (history candles carry no event time).
func live(evs []model.Event) []model.Event {
	var out []model.Event
	for _, ev := range evs {
		if ev.Time != 0 {
			out = append(out, ev)
		}
	}
	return out
}

// history is the candles from REST for sym, oldest first.
func history(evs []model.Event, sym string) []model.Event {
	var out []model.Event
	for _, ev := range evs {
		if ev.Time == 0 && ev.Kind == model.EventCandle && ev.Symbol == sym {
			out = append(out, ev)
		}
	}
	slices.SortStableFunc(out, func(a, b model.Event) int { return cmp.Compare(a.Candle.T, b.Candle.T) })
	return out
}

// noReconnects fails if any status says the connection was replaced.
func noReconnects(t *testing.T, sts []model.FeedStatus) {
	t.Helper()
	for _, st := range sts {
		if st.State == model.FeedReconnecting || st.State == model.FeedStale {
			t.Errorf("unexpected %v: %s", st.State, st.Reason)
		}
	}
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
func checkGap(t *testing.T, reqs []restReq) {
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
	r.waitEvents(t, "the session and the history", func(evs []model.Event) bool {
		return len(live(evs)) == len(want) && len(history(evs, "BTC")) == len(wantC) && len(history(evs, "ETH")) == len(wantC)
	})
	evs := r.rec.Events()
	if got := live(evs); !slices.Equal(got, want) {
		t.Errorf("live events:\n got %+v\nwant %+v", got, want)
	}
	for _, sym := range []string{"BTC", "ETH"} {
		for i, ev := range history(evs, sym) {
			if ev.Res != model.Minute || ev.Candle != wantC[i] {
				t.Errorf("%s history[%d] = %+v, want minute bar %+v", sym, i, ev, wantC[i])
			}
		}
	}
	if len(evs) != len(want)+2*len(wantC) {
		t.Errorf("%d events, want %d", len(evs), len(want)+2*len(wantC))
	}
	liveAt := r.waitStatusFrom(t, 0, model.FeedLive, "")
	reqs := r.rest.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d history requests at start, want 2 (one per pair): %v", len(reqs), reqs)
	}
	if v := reqs[0].URL.Query(); v.Get("interval") != "1" || v.Get("since") != strconv.FormatInt(supT0.Add(-supHistory).Unix()-60, 10) {
		t.Errorf("history request %v", reqs[0].URL)
	}

	// (2) The server drops the connection.
	close(drop)
	at := r.waitStatusFrom(t, liveAt, model.FeedReconnecting, "attempt 1: kraken: the connection dropped")
	if n := len(r.ws.Conns()); n != 1 {
		t.Fatalf("%d connections before the backoff elapsed", n)
	}
	if n := len(r.rest.requests()); n != 2 {
		t.Fatalf("%d history requests before the reconnect, want 2", n)
	}
	r.clock.Advance(supBackoff)
	if !r.ws.WaitConns(2, supWait) {
		t.Fatal("no second connection after the backoff")
	}
	r.waitStatusFrom(t, at, model.FeedLive, "")
	checkGap(t, r.rest.waitRequests(t, 4)[2:])
	r.stop()
	if st := r.rec.Last(); st.State != model.FeedStopped || st.Bad != 0 {
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
	liveAt := r.waitStatusFrom(t, 0, model.FeedLive, "")
	want := wantLive(t, frames)
	r.waitEvents(t, "the session", func(evs []model.Event) bool { return len(live(evs)) == len(want) })
	r.rest.waitRequests(t, 2)

	r.clock.Advance(supStale - time.Millisecond)
	if sts := r.rec.Statuses(); sts[len(sts)-1].State != model.FeedLive && sts[len(sts)-1].State != model.FeedQuiet {
		t.Fatalf("not live before the stale bound:%s", statusLines(sts))
	}
	r.clock.Advance(time.Millisecond)
	at := r.waitStatusFrom(t, liveAt, model.FeedStale, "no data for 10s")
	at = r.waitStatusFrom(t, at, model.FeedReconnecting, "attempt 1: no data for 10s")
	if n := len(r.ws.Conns()); n != 1 {
		t.Fatalf("%d connections before the backoff elapsed", n)
	}
	r.clock.Advance(supBackoff)
	if !r.ws.WaitConns(2, supWait) {
		t.Fatal("no second connection")
	}
	r.waitStatusFrom(t, at, model.FeedLive, "")
	checkGap(t, r.rest.waitRequests(t, 4)[2:])
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
	r.waitEvents(t, "the history", func(evs []model.Event) bool {
		return len(history(evs, "BTC")) == len(want) && len(history(evs, "ETH")) == len(want)
	})
	reqs := r.rest.requests()
	if len(reqs) != 3 || reqs[0].Status != http.StatusTooManyRequests {
		t.Fatalf("requests %+v, want a 429 and 2 answers", reqs)
	}
	retried := false
	for _, q := range reqs[1:] {
		if q.URL.String() == reqs[0].URL.String() {
			retried = true
			if d := q.At.Sub(reqs[0].At); d < 950*time.Millisecond {
				t.Errorf("retried %v after a 429 with Retry-After: 1", d)
			}
		}
	}
	if !retried {
		t.Errorf("the refused request %v was not made again: %+v", reqs[0].URL, reqs)
	}
	evs := r.rec.Events()
	for _, sym := range []string{"BTC", "ETH"} {
		for i, ev := range history(evs, sym) {
			if ev.Candle != want[i] {
				t.Errorf("%s history[%d] = %+v, want %+v", sym, i, ev.Candle, want[i])
			}
		}
	}
	r.waitStatusFrom(t, 0, model.FeedLive, "")
	for _, st := range r.rec.Statuses() {
		if strings.Contains(st.Reason, "history") {
			t.Errorf("status %v %q: the history completed", st.State, st.Reason)
		}
	}
	// While it waited, the status said so in words; once requests went
	// through, the note was cleared.
	// The supervisor relays notes on its own goroutine, so wait for the
	// clearing status rather than expecting it already.
	noteThenClear := func(_ []model.Event, sts []model.FeedStatus) bool {
		noted := false
		for _, st := range sts {
			if strings.Contains(st.Reason, "rate limited by kraken, retrying in") {
				noted = true
			} else if noted && !strings.Contains(st.Reason, "rate limited") {
				return true
			}
		}
		return false
	}
	if !r.rec.WaitFor(3*time.Second, noteThenClear) {
		t.Errorf("want a rate-limit note, then a status without it; statuses: %+v", r.rec.Statuses())
	}
	noReconnects(t, r.rec.Statuses())
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
	if !r.rec.WaitFor(supWait, func(evs []model.Event, sts []model.FeedStatus) bool {
		return len(live(evs)) == len(want)+1 && len(sts) > 0 && sts[len(sts)-1].Bad == wantBad
	}) {
		t.Fatalf("bad count %d, want %d; live events %d, want %d", r.rec.Last().Bad, wantBad, len(live(r.rec.Events())), len(want)+1)
	}
	l := live(r.rec.Events())
	if !slices.Equal(l[:len(want)], want) {
		t.Errorf("live events %+v", l)
	}
	if last := l[len(l)-1]; last.Kind != model.EventQuote || last.Symbol != "BTC" || last.Price != 105231.2 {
		t.Errorf("the ticker after the bad frames: %+v", last)
	}
	if st := r.rec.Last(); st.State != model.FeedLive {
		t.Errorf("state %v %q after bad frames", st.State, st.Reason)
	}
	if n := len(r.ws.Conns()); n != 1 {
		t.Errorf("%d connections: bad frames must not drop it", n)
	}
	noReconnects(t, r.rec.Statuses())
}

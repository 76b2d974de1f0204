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
	"net/url"
	"slices"
	"strings"
	"sync"
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
// REST server answers BTC-USD and ETH-USD candles with seq) and runs the
// supervised adapter until the test ends (or stop).
func newSupRig(t *testing.T, script func(ctx context.Context, c *feedtest.WSConn), seq ...feedtest.Response) *supRig {
	t.Helper()
	r := &supRig{clock: feedtest.NewFakeClock(supT0), rec: feedtest.NewRecorder()}
	r.ws = feedtest.NewWSServer(t, script)
	srv := feedtest.NewRESTServer(t)
	r.rest = &restLog{seq: seq, changed: make(chan struct{})}
	srv.Handle("/products/BTC-USD/candles", r.rest.serve)
	srv.Handle("/products/ETH-USD/candles", r.rest.serve)
	r.ex = New(Options{Symbols: []string{"BTC", "ETH"}, WSURL: r.ws.URL, RESTURL: srv.URL, HTTPClient: srv.Client()})
	r.ex.restInterval = 0
	r.ex.retryBase = 5 * time.Millisecond
	r.ex.retryMax = 20 * time.Millisecond
	r.ex.ackWithin = supWait // real time; every script acks at once
	r.ex.now = r.clock.Now   // "has this bar closed" on the supervisor's clock

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
	slices.SortStableFunc(out, func(a, b model.Event) int { return cmpInt(a.Candle.T, b.Candle.T) })
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
	r.waitEvents(t, "the session and the history", func(evs []model.Event) bool {
		l := live(evs)
		return len(ofKind(l, model.EventQuote)) == len(wantQ) && len(ofKind(l, model.EventTrade)) == len(wantT) &&
			len(history(evs, "BTC")) == len(wantC) && len(history(evs, "ETH")) == len(wantC)
	})
	evs := r.rec.Events()
	l := live(evs)
	assertEvents(t, "quotes", ofKind(l, model.EventQuote), wantQ)
	assertEvents(t, "trades", ofKind(l, model.EventTrade), wantT)
	if len(l) != len(wantQ)+len(wantT) {
		t.Errorf("live events %+v", l)
	}
	for _, sym := range []string{"BTC", "ETH"} {
		for i, ev := range history(evs, sym) {
			if ev.Res != model.Minute || ev.Candle != wantC[i] {
				t.Errorf("%s history[%d] = %+v, want minute bar %+v", sym, i, ev, wantC[i])
			}
		}
	}
	if len(evs) != len(l)+2*len(wantC) {
		t.Errorf("%d events, want %d", len(evs), len(l)+2*len(wantC))
	}
	liveAt := r.waitStatusFrom(t, 0, model.FeedLive, "")
	// 05:00..12:00 is 421 one-minute bars: two pages per product.
	if reqs := r.rest.requests(); len(reqs) != 4 {
		t.Fatalf("%d history requests at start, want 4: %v", len(reqs), reqs)
	}

	// (2) The server drops the connection.
	close(drop)
	at := r.waitStatusFrom(t, liveAt, model.FeedReconnecting, "attempt 1: coinbase: the connection dropped")
	if n := len(r.ws.Conns()); n != 1 {
		t.Fatalf("%d connections before the backoff elapsed", n)
	}
	if n := len(r.rest.requests()); n != 4 {
		t.Fatalf("%d history requests before the reconnect, want 4", n)
	}
	r.clock.Advance(supBackoff)
	if !r.ws.WaitConns(2, supWait) {
		t.Fatal("no second connection after the backoff")
	}
	r.waitStatusFrom(t, at, model.FeedLive, "")
	// The gap: from the minute of the last data (12:00) to now, per product.
	reqs := r.rest.waitRequests(t, 6)
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
	r.stop()
	if st := r.rec.Last(); st.State != model.FeedStopped || st.Bad != 0 {
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
	liveAt := r.waitStatusFrom(t, 0, model.FeedLive, "")
	r.waitEvents(t, "the session", func(evs []model.Event) bool { return len(ofKind(live(evs), model.EventQuote)) == 3 })
	r.rest.waitRequests(t, 4)

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
	for _, q := range r.rest.waitRequests(t, 6)[4:] {
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
	r.waitEvents(t, "the history", func(evs []model.Event) bool {
		return len(history(evs, "BTC")) == len(want) && len(history(evs, "ETH")) == len(want)
	})
	reqs := r.rest.requests()
	if len(reqs) != 5 || reqs[0].Status != http.StatusTooManyRequests {
		t.Fatalf("requests %+v, want a 429 and 4 answers", reqs)
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
		t.Errorf("the refused page %v was not asked again: %+v", reqs[0].URL, reqs)
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
			if strings.Contains(st.Reason, "rate limited by coinbase, retrying in") {
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
	if !r.rec.WaitFor(supWait, func(evs []model.Event, sts []model.FeedStatus) bool {
		return len(ofKind(live(evs), model.EventQuote)) == 4 && len(sts) > 0 && sts[len(sts)-1].Bad == wantBad
	}) {
		t.Fatalf("bad count %d, want %d; quotes %d", r.rec.Last().Bad, wantBad, len(ofKind(live(r.rec.Events()), model.EventQuote)))
	}
	l := live(r.rec.Events())
	if last := l[len(l)-1]; last.Kind != model.EventQuote || last.Symbol != "ETH" || last.Price != 2605.12 {
		t.Errorf("the ticker after the bad frames: %+v", last)
	}
	if len(l) != 3+2+1 {
		t.Errorf("bad frames produced events: %+v", l)
	}
	if st := r.rec.Last(); st.State != model.FeedLive {
		t.Errorf("state %v %q after bad frames", st.State, st.Reason)
	}
	if n := len(r.ws.Conns()); n != 1 {
		t.Errorf("%d connections: bad frames must not drop it", n)
	}
	noReconnects(t, r.rec.Statuses())

	from := len(r.rec.Statuses())
	close(sendErr)
	at := r.waitStatusFrom(t, from, model.FeedReconnecting,
		"attempt 1: coinbase: Failed to subscribe: BTC-XYZ is not a valid product")
	r.clock.Advance(supBackoff)
	r.waitStatusFrom(t, at, model.FeedLive, "")
	if st := r.rec.Last(); st.Bad != wantBad {
		t.Errorf("bad count %d after the reconnect, want %d (kept per feed)", st.Bad, wantBad)
	}
}

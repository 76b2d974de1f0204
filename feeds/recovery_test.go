package feeds_test

// Time to recover from an outage, for each exchange adapter under
// Supervise, against local fake servers on a fake clock: the websocket
// server goes down (its port refuses connections, open connections are
// cut) for 20 s and for 120 s of fake time, comes back on the same port,
// and the test measures the fake time from "server back" to the feed's
// next FeedLive status. The clock moves in steps of 100 ms; after a step
// that fires a timer the test waits (real time) for the supervisor to
// react, so the figures are exact to a step and do not depend on the
// machine's speed. docs/RELIABILITY.md quotes them:
//
//	go test -run TestRecoveryAfterOutage -v ./feeds

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/binance"
	"github.com/tokentop/tokentop/feeds/coinbase"
	"github.com/tokentop/tokentop/feeds/feedtest"
	"github.com/tokentop/tokentop/feeds/kraken"
	"github.com/tokentop/tokentop/model"
)

// outageVenue is one exchange's fake: what its websocket server says on
// each connection, what its REST server answers, and the adapter.
type outageVenue struct {
	name  string
	hello func(ctx context.Context, c *feedtest.WSConn) // the acknowledgement, then a frame with a price (the last)
	beat  string                                        // one more frame of the exchange's rhythm
	rest  map[string]string                             // path -> JSON body
	build func(t *testing.T, ws, rest string, client *http.Client, clock feeds.Clock) feeds.Exchange
}

var outageVenues = []outageVenue{
	{
		name: "binance",
		hello: func(ctx context.Context, c *feedtest.WSConn) {
			c.Send(ctx, []byte(`{"stream":"btcusdt@miniTicker","data":{"e":"24hrMiniTicker","E":1748865601017,"s":"BTCUSDT","c":"105234.56","o":"104120.01","h":"105980.00","l":"103877.12","v":"18234.51","q":"1913321122.13"}}`))
		},
		beat: `{"stream":"btcusdt@miniTicker","data":{"e":"24hrMiniTicker","E":1748865602017,"s":"BTCUSDT","c":"105235.00","o":"104120.01","h":"105980.00","l":"103877.12","v":"18234.61","q":"1913331122.13"}}`,
		rest: map[string]string{"/api/v3/klines": `[]`},
		build: func(t *testing.T, ws, rest string, client *http.Client, clock feeds.Clock) feeds.Exchange {
			ex, err := binance.New(binance.Options{Symbols: []string{"BTC"}, WSURL: ws, RESTURL: rest, HTTPClient: client, Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			return ex
		},
	},
	{
		name: "coinbase",
		hello: func(ctx context.Context, c *feedtest.WSConn) {
			if _, err := c.Receive(ctx); err != nil { // the subscribe request
				return
			}
			c.Send(ctx, []byte(`{"type":"subscriptions","channels":[{"name":"ticker","product_ids":["BTC-USD"]},{"name":"heartbeat","product_ids":["BTC-USD"]},{"name":"matches","product_ids":["BTC-USD"]}]}`))
			c.Send(ctx, []byte(`{"type":"ticker","sequence":10,"product_id":"BTC-USD","price":"105231.17","time":"2025-06-02T12:00:00.482113Z"}`))
		},
		beat: `{"type":"heartbeat","sequence":11,"last_trade_id":0,"product_id":"BTC-USD","time":"2025-06-02T12:00:01.192113Z"}`,
		rest: map[string]string{"/products/BTC-USD/candles": `[]`},
		build: func(_ *testing.T, ws, rest string, client *http.Client, _ feeds.Clock) feeds.Exchange {
			return coinbase.New(coinbase.Options{Symbols: []string{"BTC"}, WSURL: ws, RESTURL: rest, HTTPClient: client})
		},
	},
	{
		name: "kraken",
		hello: func(ctx context.Context, c *feedtest.WSConn) {
			c.Send(ctx, []byte(`{"method":"subscribe","req_id":1,"result":{"channel":"ticker","event_trigger":"trades","snapshot":true,"symbol":"BTC/USD"},"success":true,"time_in":"2025-06-02T12:00:00.103124Z","time_out":"2025-06-02T12:00:00.103171Z"}`))
			c.Send(ctx, []byte(`{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":105231.1,"bid_qty":0.05,"ask":105231.2,"ask_qty":1.22,"last":105231.2,"volume":1834.20724601,"vwap":104931.7,"low":103861.2,"high":105975.0,"change":1110.9,"change_pct":1.07,"timestamp":"2025-06-02T12:00:00.931002Z"}]}`))
		},
		beat: `{"channel":"heartbeat"}`,
		rest: map[string]string{"/0/public/OHLC": `{"error":[],"result":{"XXBTZUSD":[[1748865600,"105000.0","105100.0","104900.0","105050.0","105010.0","12.5",42]],"last":1748865600}}`},
		build: func(_ *testing.T, ws, rest string, client *http.Client, _ feeds.Clock) feeds.Exchange {
			return kraken.New(kraken.Options{Symbols: []string{"BTC"}, WSURL: ws, RESTURL: rest, HTTPClient: client})
		},
	},
}

// runVenue runs v's adapter, supervised on clock, against ws and a REST
// server answering v.rest, until the test ends.
func runVenue(t *testing.T, v outageVenue, ws *feedtest.WSServer, clock *feedtest.FakeClock, probeEvery time.Duration) *feedtest.Recorder {
	t.Helper()
	rest := feedtest.NewRESTServer(t)
	for path, body := range v.rest {
		rest.Route(path, feedtest.Response{Body: []byte(body)})
	}
	ex := v.build(t, ws.URL, rest.URL, rest.Client(), clock)
	rec := feedtest.NewRecorder()
	feed := feeds.Supervise(ex, feeds.SuperviseOptions{
		History:    time.Hour,
		Clock:      clock,
		Rand:       func() float64 { return 0.999 }, // every backoff near its bound: the worst case
		ProbeEvery: probeEvery,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx, rec) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Error("Run did not return")
		}
	})
	return rec
}

// outageRecovery runs one outage and returns the fake time from the
// server's return to the feed's next live status, and how many connection
// attempts the supervisor made during the outage.
func outageRecovery(t *testing.T, v outageVenue, outage time.Duration, probeEvery time.Duration) (time.Duration, int) {
	t.Helper()
	probeGap := feeds.DefaultProbeEvery
	clock := feedtest.NewFakeClock(time.Date(2025, 6, 2, 12, 0, 3, 0, time.UTC))
	ws := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		v.hello(ctx, c)
		c.Stall(ctx)
	})
	rec := runVenue(t, v, ws, clock, probeEvery)

	liveAfter := func(from int) func() bool {
		return func() bool {
			sts := rec.Statuses()
			for i := from; i < len(sts); i++ {
				if sts[i].State == model.FeedLive {
					return true
				}
			}
			return false
		}
	}
	// idle: the supervisor waits out a backoff (its timer is armed before
	// the status is sent) and, while more than a probe interval of it is
	// left, its next probe is armed too: it is not dialing or probing.
	idle := func() bool {
		last := rec.Last()
		now := clock.Now()
		if last.State != model.FeedReconnecting || !last.RetryAt.After(now) {
			return false
		}
		backoff, probe := false, false
		for _, d := range clock.Deadlines() {
			if d.Equal(last.RetryAt) {
				backoff = true
			} else if !d.After(now.Add(probeGap)) {
				probe = true
			}
		}
		return backoff && (probe || probeEvery < 0 || last.RetryAt.Sub(now) <= probeGap)
	}
	const step, settle = 100 * time.Millisecond, 3 * time.Second
	if !rec.WaitFor(wait, func([]model.Event, []model.FeedStatus) bool { return liveAfter(0)() }) {
		t.Fatalf("%s never went live: %s", v.name, dump(rec.Statuses()))
	}
	if !ws.WaitConns(1, wait) { // binance is live once dialled: the server may not have counted it yet
		t.Fatalf("%s: no connection on the server", v.name)
	}
	conns := len(ws.Conns())

	mark := len(rec.Statuses())
	ws.Down()
	gone := func() bool {
		sts := rec.Statuses()
		return len(sts) > mark && sts[len(sts)-1].State == model.FeedReconnecting
	}
	if !rec.WaitFor(wait, func([]model.Event, []model.FeedStatus) bool { return gone() }) {
		t.Fatalf("%s did not notice the outage: %s", v.name, dump(rec.Statuses()))
	}
	start := len(rec.Statuses())
	if took, err := clock.Drive(step, outage, settle, func() bool { return false }, idle); err != feedtest.ErrDriveLimit {
		t.Fatalf("%s: %s into the outage: %v: %s", v.name, took, err, dump(rec.Statuses()[start:]))
	}
	attempts := 0
	for _, st := range rec.Statuses()[start:] {
		if st.State == model.FeedReconnecting && !st.RetryAt.IsZero() {
			attempts++
		}
	}
	if err := ws.Up(); err != nil {
		t.Fatalf("server back: %v", err)
	}
	back := len(rec.Statuses())
	took, err := clock.Drive(step, 3*time.Minute, settle, liveAfter(back), idle)
	if err != nil {
		t.Fatalf("%s not live %s after the server came back (%v): %s", v.name, took, err, dump(rec.Statuses()[back:]))
	}
	if !ws.WaitConns(conns+1, wait) {
		t.Fatalf("%s live again without a new connection", v.name)
	}
	return took, attempts
}

func TestRecoveryAfterOutage(t *testing.T) {
	feedtest.NoLeaks(t)
	for _, v := range outageVenues {
		for _, outage := range []time.Duration{20 * time.Second, 120 * time.Second} {
			t.Run(fmt.Sprintf("%s/%s", v.name, outage), func(t *testing.T) {
				took, attempts := outageRecovery(t, v, outage, 0)
				t.Logf("%s: down %s, %d connection attempts meanwhile; server back -> live in %s",
					v.name, outage, attempts, took)
				if took > 5*time.Second {
					t.Errorf("%s: live %s after the server came back, want within 5s", v.name, took)
				}
			})
		}
	}
}

// TestRecoveryWithoutProbes is the same outage with probing off: only the
// backoff brings the feed back. It shows what the probes change (the
// figure docs/RELIABILITY.md gives as "before") and that the test above
// can fail: without probes the wait after a 20 s outage is far beyond 5 s
// (the 120 s outage happens to end 3 s before a try of the backoff's).
func TestRecoveryWithoutProbes(t *testing.T) {
	feedtest.NoLeaks(t)
	for _, v := range outageVenues {
		for _, outage := range []time.Duration{20 * time.Second, 120 * time.Second} {
			t.Run(fmt.Sprintf("%s/%s", v.name, outage), func(t *testing.T) {
				took, attempts := outageRecovery(t, v, outage, -1)
				t.Logf("%s without probes: down %s, %d connection attempts meanwhile; server back -> live in %s",
					v.name, outage, attempts, took)
				if outage == 20*time.Second && took <= 5*time.Second {
					t.Errorf("%s without probes: live %s after the server came back; the backoff alone should take longer (worst-case jitter)", v.name, took)
				}
			})
		}
	}
}

// A server that stops sending on an open connection: each adapter's feed
// says quiet after 3 of its 1 s rhythms (not at 2.9 s), live again with the
// next frame, and stale (then replaced) only at 30 s, as before.
func TestQuietWhenTheServerStopsSending(t *testing.T) {
	feedtest.NoLeaks(t)
	for _, v := range outageVenues {
		t.Run(v.name, func(t *testing.T) {
			clock := feedtest.NewFakeClock(time.Date(2025, 6, 2, 12, 0, 3, 0, time.UTC))
			more := make(chan struct{})
			ws := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
				v.hello(ctx, c)
				if c.N == 1 {
					select { // silent until the test asks for one more frame
					case <-more:
						c.Send(ctx, []byte(v.beat))
					case <-ctx.Done():
					}
				}
				c.Stall(ctx)
			})
			rec := runVenue(t, v, ws, clock, 0)
			state := func(s model.FeedState) func([]model.Event, []model.FeedStatus) bool {
				return func(_ []model.Event, sts []model.FeedStatus) bool {
					return len(sts) > 0 && sts[len(sts)-1].State == s
				}
			}
			// The hello's last frame carries a price: once its event is here,
			// every frame of the hello has been read (the beat comes first).
			if !rec.WaitFor(wait, func(evs []model.Event, sts []model.FeedStatus) bool {
				for _, ev := range evs {
					if ev.Kind == model.EventQuote || ev.Kind == model.EventTrade { // not history's candles
						return state(model.FeedLive)(evs, sts)
					}
				}
				return false
			}) {
				t.Fatalf("%s not live with a price: %s", v.name, dump(rec.Statuses()))
			}
			start := clock.Now()
			if !clock.WaitDeadline(start.Add(3*time.Second), wait) {
				t.Fatalf("%s: no watchdog at +3s: %v", v.name, clock.Deadlines())
			}
			clock.Advance(2900 * time.Millisecond)
			if st := rec.Last(); st.State != model.FeedLive {
				t.Fatalf("%s: %v at 2.9s of silence, want live", v.name, st.State)
			}
			clock.Advance(100 * time.Millisecond)
			if !rec.WaitFor(wait, state(model.FeedQuiet)) {
				t.Fatalf("%s not quiet after 3s of silence: %s", v.name, dump(rec.Statuses()))
			}
			if got := rec.Last().Describe(start.Add(5 * time.Second)); got != "quiet 5s" {
				t.Errorf("%s: %q 5s after the last frame, want quiet 5s", v.name, got)
			}
			close(more)
			if !rec.WaitFor(wait, state(model.FeedLive)) {
				t.Fatalf("%s not live after a frame: %s", v.name, dump(rec.Statuses()))
			}
			// Silent for good: quiet again, then stale at 30s and a new connection.
			if !clock.WaitDeadline(start.Add(6*time.Second), wait) {
				t.Fatalf("%s: watchdog not re-armed after the frame: %v", v.name, clock.Deadlines())
			}
			clock.Advance(3 * time.Second)
			if !rec.WaitFor(wait, state(model.FeedQuiet)) {
				t.Fatalf("%s not quiet again: %s", v.name, dump(rec.Statuses()))
			}
			if !clock.WaitDeadline(start.Add(33*time.Second), wait) {
				t.Fatalf("%s: no stale watchdog: %v", v.name, clock.Deadlines())
			}
			clock.Advance(27 * time.Second)
			if _, ok := rec.WaitStatus(wait, model.FeedStale, "no data for 30s"); !ok {
				t.Fatalf("%s not stale at 30s: %s", v.name, dump(rec.Statuses()))
			}
		})
	}
}

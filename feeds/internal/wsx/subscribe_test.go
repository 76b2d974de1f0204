package wsx

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
)

const wait = 5 * time.Second

// testSubscription is a Subscription for url that logs into log (read
// only once the session has ended).
func testSubscription(url string, log *bytes.Buffer, messages ...string) Subscription {
	s := Subscription{
		Exchange: "venue", URL: url, Log: slog.New(slog.NewTextHandler(log, nil)),
		Connected: []any{"symbols", 2}, WriteWithin: wait, AckWithin: wait,
	}
	for _, m := range messages {
		s.Messages = append(s.Messages, []byte(m))
	}
	return s
}

// runSession runs s on its own goroutine; the answer comes on the channel.
func runSession(ctx context.Context, s Subscription, h *feedtest.Hooks, handler func(*Link) func(context.Context, []byte) error) chan error {
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, h.SessionHooks(), handler) }()
	return done
}

func waitErr(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(wait):
		t.Fatal("the session did not end")
		return nil
	}
}

// The requests go out in order at once; the handler sees every text frame,
// goes live once however often it says so, and its bad frames (and the
// read loop's binary one) reach the hooks with the exchange's name and the
// log; the session ends with the handler's error.
func TestSubscriptionSubscribesReadsAndReports(t *testing.T) {
	feedtest.NoLeaks(t)
	got := make(chan []string, 1)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		var subs []string
		for range 2 {
			b, err := c.Receive(ctx)
			if err != nil {
				return
			}
			subs = append(subs, string(b))
		}
		got <- subs
		c.SendAll(ctx, [][]byte{[]byte(`ack`), []byte(`data`), []byte(`junk`)})
		c.Write(ctx, websocket.MessageBinary, []byte{1})
		c.SendAll(ctx, [][]byte{[]byte(`data`), []byte(`end`)})
		c.Stall(ctx)
	})
	var log bytes.Buffer
	h := &feedtest.Hooks{}
	var frames []string
	done := runSession(context.Background(), testSubscription(srv.URL, &log, `{"sub":1}`, `{"sub":2}`), h,
		func(l *Link) func(context.Context, []byte) error {
			return func(_ context.Context, b []byte) error {
				frames = append(frames, string(b))
				switch string(b) {
				case "ack", "data":
					l.Live()
				case "junk":
					l.Bad("not a frame", b)
				case "end":
					return errors.New("venue: the end")
				}
				return nil
			}
		})
	if err := waitErr(t, done); err == nil || err.Error() != "venue: the end" {
		t.Fatalf("err = %v", err)
	}
	select {
	case subs := <-got:
		if !slices.Equal(subs, []string{`{"sub":1}`, `{"sub":2}`}) {
			t.Errorf("subscribes %q", subs)
		}
	default:
		t.Fatal("the server saw no subscribes")
	}
	if want := []string{"ack", "data", "junk", "data", "end"}; !slices.Equal(frames, want) {
		t.Errorf("frames %q, want %q", frames, want)
	}
	if h.Live() != 1 || h.Beats() != 6 || !slices.Equal(h.Bads(), []string{"venue: not a frame", "venue: a binary frame"}) {
		t.Errorf("live %d beats %d bad %q", h.Live(), h.Beats(), h.Bads())
	}
	out := log.String()
	for _, w := range []string{`msg="venue: connected" url=` + srv.URL + ` symbols=2`, `msg="venue: bad frame skipped" reason="not a frame" frame="\"junk\""`} {
		if !strings.Contains(out, w) {
			t.Errorf("log lacks %s:\n%s", w, out)
		}
	}
}

// No acknowledgement within AckWithin ends the session in words; one in
// time stops the deadline for good.
func TestSubscriptionWaitsForTheAck(t *testing.T) {
	feedtest.NoLeaks(t)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		if _, err := c.Receive(ctx); err != nil {
			return
		}
		if c.N > 1 {
			c.Send(ctx, []byte(`ack`))
		}
		c.Stall(ctx)
	})
	var log bytes.Buffer
	s := testSubscription(srv.URL, &log, `sub`)
	s.AckWithin = 50 * time.Millisecond
	h := &feedtest.Hooks{}
	handler := func(l *Link) func(context.Context, []byte) error {
		return func(context.Context, []byte) error { l.Live(); return nil }
	}
	err := waitErr(t, runSession(context.Background(), s, h, handler))
	if err == nil || err.Error() != "venue: no answer to the subscription within 50ms" || h.Live() != 0 {
		t.Fatalf("err = %v, live %d", err, h.Live())
	}

	// The second connection acks: the session outlives the deadline many
	// times over, until its context ends (nil).
	ctx, cancel := context.WithCancel(context.Background())
	done := runSession(ctx, s, h, handler)
	if !h.WaitBeats(1, wait) {
		t.Fatal("no ack")
	}
	select {
	case err := <-done:
		t.Fatalf("ended after the ack: %v", err)
	case <-time.After(10 * s.AckWithin): // the deadline had its chance to fire
	}
	cancel()
	if err := waitErr(t, done); err != nil || h.Live() != 1 {
		t.Fatalf("after cancel: %v, live %d", err, h.Live())
	}
}

// The keepalive runs beside the reads and is stopped and waited for when
// the session ends.
func TestSubscriptionRunsTheKeepalive(t *testing.T) {
	feedtest.NoLeaks(t)
	pinged := make(chan string, 1)
	srv := feedtest.NewWSServer(t, func(ctx context.Context, c *feedtest.WSConn) {
		if _, err := c.Receive(ctx); err != nil {
			return
		}
		b, err := c.Receive(ctx)
		if err != nil {
			return
		}
		pinged <- string(b)
		c.Send(ctx, []byte(`end`))
		c.Stall(ctx)
	})
	var log bytes.Buffer
	s := testSubscription(srv.URL, &log, `sub`)
	stopped := make(chan struct{})
	s.Keepalive = func(ctx context.Context, conn *websocket.Conn) {
		defer close(stopped)
		if conn.Write(ctx, websocket.MessageText, []byte(`ping`)) == nil {
			<-ctx.Done()
		}
	}
	done := runSession(context.Background(), s, &feedtest.Hooks{}, func(*Link) func(context.Context, []byte) error {
		return func(context.Context, []byte) error { return errors.New("venue: done") }
	})
	if err := waitErr(t, done); err == nil || err.Error() != "venue: done" {
		t.Fatalf("err = %v", err)
	}
	select {
	case <-stopped: // Run returned only after the keepalive did
	default:
		t.Fatal("Run returned with the keepalive still running")
	}
	if p := <-pinged; p != "ping" {
		t.Fatalf("keepalive sent %q", p)
	}
}

// A failed dial names the exchange and the address; a session whose
// context has ended says nothing.
func TestSubscriptionDialFailure(t *testing.T) {
	feedtest.NoLeaks(t)
	var log bytes.Buffer
	url := "ws://" + feedtest.RefusedAddr(t)
	err := testSubscription(url, &log).Run(context.Background(), feeds.SessionHooks{}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "venue: cannot connect to "+url) {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := testSubscription(url, &log).Run(ctx, feeds.SessionHooks{}, nil); err != nil {
		t.Fatalf("after cancel: %v", err)
	}
}

// A Link without a deadline (NewLink) goes live once and names the
// exchange in its bad reports.
func TestLink(t *testing.T) {
	h := &feedtest.Hooks{}
	var log bytes.Buffer
	l := NewLink("venue", h.SessionHooks(), slog.New(slog.NewTextHandler(&log, nil)))
	l.Live()
	l.Live()
	l.Bad("why", []byte("frame"))
	if h.Live() != 1 || !slices.Equal(h.Bads(), []string{"venue: why"}) || !strings.Contains(log.String(), `reason=why frame="\"frame\""`) {
		t.Fatalf("live %d bad %q log %s", h.Live(), h.Bads(), log.String())
	}
	NewLink("venue", feeds.SessionHooks{}, slog.New(slog.DiscardHandler)).Live() // missing hooks do nothing
}

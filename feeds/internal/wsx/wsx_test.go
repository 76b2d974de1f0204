package wsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/feedtest"
)

func TestDescribeReadError(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{websocket.CloseError{Code: websocket.StatusGoingAway, Reason: "bye\x1b[2J"}, "kraken: the exchange closed the connection (1001): bye[2J"},
		{fmt.Errorf("read: %w", websocket.CloseError{Code: websocket.StatusPolicyViolation}), "kraken: the exchange closed the connection (1008)"},
		{io.EOF, "kraken: the connection dropped"},
		{fmt.Errorf("x: %w", io.ErrUnexpectedEOF), "kraken: the connection dropped"},
		{errors.New("reset"), "kraken: connection lost: reset"},
	} {
		if got := DescribeReadError("kraken", c.err).Error(); got != c.want {
			t.Errorf("%v: %q, want %q", c.err, got, c.want)
		}
	}
}

func TestClip(t *testing.T) {
	if got := Clip([]byte("a\"b")); got != `"a\"b"` {
		t.Fatal(got)
	}
	if got := Clip([]byte(strings.Repeat("x", 300))); got != `"`+strings.Repeat("x", 200)+`"…` {
		t.Fatal(got)
	}
}

func TestFillHooks(t *testing.T) {
	h := FillHooks(feeds.SessionHooks{})
	h.Live()
	h.Beat()
	h.Bad("x")
	called := false
	h = FillHooks(feeds.SessionHooks{Bad: func(string) { called = true }})
	h.Bad("x")
	if !called {
		t.Fatal("a given hook was replaced")
	}
}

// TestReadFrames runs the read loop against a server that sends a text
// frame, a binary frame and a large frame, then closes with a reason.
func TestReadFrames(t *testing.T) {
	big := strings.Repeat("y", 10000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "tokentop" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		c.Write(ctx, websocket.MessageText, []byte(`{"a":1}`))
		c.Write(ctx, websocket.MessageBinary, []byte{1, 2})
		c.Write(ctx, websocket.MessageText, []byte(big))
		c.Close(websocket.StatusGoingAway, "maintenance")
	}))
	defer srv.Close()
	ctx := context.Background()
	nowhere := "ws://" + feedtest.RefusedAddr(t) + "/nothing"
	if _, err := Dial(ctx, "coinbase", nowhere, srv.Client(), 1<<20); err == nil || !strings.HasPrefix(err.Error(), "coinbase: cannot connect to "+nowhere+": ") {
		t.Fatalf("dial to nowhere: %v", err)
	}
	conn, err := Dial(ctx, "coinbase", "ws"+strings.TrimPrefix(srv.URL, "http"), srv.Client(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	var beats int
	var bad, texts []string
	err = ReadFrames(ctx, ctx, conn, "coinbase", Frames{
		Beat:   func() { beats++ },
		Bad:    func(reason string, frame []byte) { bad = append(bad, reason) },
		Handle: func(_ context.Context, b []byte) error { texts = append(texts, string(b)); return nil },
	})
	if err == nil || err.Error() != "coinbase: the exchange closed the connection (1001): maintenance" {
		t.Fatalf("err = %v", err)
	}
	if beats != 3 || len(bad) != 1 || bad[0] != "a binary frame" || len(texts) != 2 || texts[0] != `{"a":1}` || texts[1] != big {
		t.Fatalf("beats %d, bad %q, texts %d", beats, bad, len(texts))
	}

	// A handler's error ends the loop; with the caller's context ended the
	// loop returns nil.
	for _, parentDone := range []bool{false, true} {
		conn, err := Dial(ctx, "coinbase", "ws"+strings.TrimPrefix(srv.URL, "http"), srv.Client(), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		parent, cancel := context.WithCancel(ctx)
		stop := errors.New("stop")
		err = ReadFrames(parent, parent, conn, "coinbase", Frames{
			Beat: func() {}, Bad: func(string, []byte) {},
			Handle: func(context.Context, []byte) error {
				if parentDone {
					cancel()
				}
				return stop
			},
		})
		cancel()
		conn.CloseNow()
		if parentDone && err != nil || !parentDone && err != stop {
			t.Fatalf("parent done %v: err = %v", parentDone, err)
		}
	}

	// Cancelled with a cause: the cause is the answer.
	conn, err = Dial(ctx, "coinbase", "ws"+strings.TrimPrefix(srv.URL, "http"), srv.Client(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	sctx, scancel := context.WithCancelCause(ctx)
	why := errors.New("no ack")
	scancel(why)
	if err := ReadFrames(sctx, ctx, conn, "coinbase", Frames{Beat: func() {}, Bad: func(string, []byte) {}, Handle: func(context.Context, []byte) error { return nil }}); err != why {
		t.Fatalf("cancelled with a cause: %v", err)
	}
}

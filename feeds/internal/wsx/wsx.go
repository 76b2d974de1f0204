// Package wsx is the websocket plumbing the exchange adapters share: dial,
// the read loop that reuses one buffer for every message, and the reasons a
// connection ended, in words.
package wsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/venue"
)

// Dial connects to url within 15 s and sets the connection's read limit.
// The error names the exchange and the address.
func Dial(ctx context.Context, exchange, url string, client *http.Client, readLimit int64) (*websocket.Conn, error) {
	dialCtx, dialCancel := context.WithTimeout(ctx, 15*time.Second)
	conn, _, err := websocket.Dial(dialCtx, url, &websocket.DialOptions{
		HTTPClient: client,
		HTTPHeader: map[string][]string{"User-Agent": {"tokentop"}},
	})
	dialCancel()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot connect to %s: %w", exchange, url, err)
	}
	conn.SetReadLimit(readLimit)
	return conn, nil
}

// Frames says what to do with each message ReadFrames reads.
type Frames struct {
	Beat   func()                                    // every message
	Bad    func(reason string, frame []byte)         // a binary message
	Handle func(ctx context.Context, b []byte) error // a text message; an error ends the session
}

// ReadFrames reads whole messages from conn into one reused buffer until
// reading fails or Handle returns an error. ctx is the session's context
// (cancelled with a cause to end it); parent is the caller's. It returns
// nil when parent has ended, ctx's cause when only ctx has, and otherwise
// why the connection stopped, in words naming the exchange.
func ReadFrames(ctx, parent context.Context, conn *websocket.Conn, exchange string, f Frames) error {
	buf := make([]byte, 0, 4096)
	for {
		var (
			typ websocket.MessageType
			err error
		)
		typ, buf, err = ReadMessage(ctx, conn, buf)
		if err != nil {
			switch {
			case parent.Err() != nil:
				return nil
			case ctx.Err() != nil:
				return context.Cause(ctx)
			}
			return DescribeReadError(exchange, err)
		}
		f.Beat()
		if typ != websocket.MessageText {
			f.Bad("a binary frame", buf)
			continue
		}
		if err := f.Handle(ctx, buf); err != nil {
			if parent.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// ReadMessage reads one whole message into buf (reused; grown as needed up
// to the connection's read limit).
func ReadMessage(ctx context.Context, conn *websocket.Conn, buf []byte) (websocket.MessageType, []byte, error) {
	typ, r, err := conn.Reader(ctx)
	if err != nil {
		return 0, buf[:0], err
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return typ, buf, nil
		}
		if err != nil {
			return typ, buf, err
		}
	}
}

// DescribeReadError says in words why reading stopped.
func DescribeReadError(exchange string, err error) error {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Reason != "" {
			return fmt.Errorf("%s: the exchange closed the connection (%d): %s", exchange, int(ce.Code), venue.Sanitize(ce.Reason))
		}
		return fmt.Errorf("%s: the exchange closed the connection (%d)", exchange, int(ce.Code))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New(exchange + ": the connection dropped")
	}
	return fmt.Errorf("%s: connection lost: %w", exchange, err)
}

// Clip quotes at most 200 bytes of a frame for the debug log.
func Clip(b []byte) string {
	if len(b) > 200 {
		return strconv.Quote(string(b[:200])) + "…"
	}
	return strconv.Quote(string(b))
}

// FillHooks replaces missing hooks with ones that do nothing.
func FillHooks(h feeds.SessionHooks) feeds.SessionHooks {
	if h.Live == nil {
		h.Live = func() {}
	}
	if h.Beat == nil {
		h.Beat = func() {}
	}
	if h.Bad == nil {
		h.Bad = func(string) {}
	}
	return h
}

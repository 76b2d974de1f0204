// Package wsx is the websocket plumbing the exchange adapters share: dial,
// the read loop that reuses one buffer for every message, the reasons a
// connection ended, in words, and (subscribe.go) the session of an
// exchange that is subscribed to after connecting.
package wsx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/venue"

	"github.com/tokentop/tokentop/internal/safetext"
)

// DiscardLimit is the largest message a connection reads at all. A message
// over a session's frame limit but within DiscardLimit is read to its end,
// thrown away and counted as a bad frame (ReadMessage); one beyond it ends
// the connection, since reading it would keep the socket busy for minutes.
const DiscardLimit = 64 << 20

// DefaultFrameLimit is the frame limit when a caller gives none: the
// largest frame the exchanges document is well under it.
const DefaultFrameLimit = 1 << 20

// Dial connects to url within 15 s and sets the connection's read limit to
// DiscardLimit (the frame limit is ReadMessage's). The error names the
// exchange and the address.
func Dial(ctx context.Context, exchange, url string, client *http.Client) (*websocket.Conn, error) {
	dialCtx, dialCancel := context.WithTimeout(ctx, 15*time.Second)
	conn, _, err := websocket.Dial(dialCtx, url, &websocket.DialOptions{
		HTTPClient: client,
		HTTPHeader: map[string][]string{"User-Agent": {"tokentop"}},
	})
	dialCancel()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot connect to %s: %w", exchange, url, err)
	}
	conn.SetReadLimit(DiscardLimit)
	return conn, nil
}

// Frames says what to do with each message ReadFrames reads.
type Frames struct {
	Limit  int                                       // the largest frame kept, in bytes (0: DefaultFrameLimit)
	Beat   func()                                    // every message
	Bad    func(reason string, frame []byte)         // a binary message
	Handle func(ctx context.Context, b []byte) error // a text message; an error ends the session
}

// ReadFrames reads whole messages from conn into one reused buffer until
// reading fails or Handle returns an error. A message longer than f.Limit
// is skipped and reported to Bad, and the connection stays up. ctx is the session's context
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
		typ, buf, err = ReadMessage(ctx, conn, buf, f.Limit)
		if big, ok := err.(TooBigError); ok {
			f.Beat()
			f.Bad(big.Error(), buf)
			continue
		}
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
// to limit bytes; 0 means DefaultFrameLimit). A longer message is read to its end (up to
// DiscardLimit) without being kept: the answer is then the first limit
// bytes and a TooBigError, and the connection can be read on. Any other
// error is the connection's.
func ReadMessage(ctx context.Context, conn *websocket.Conn, buf []byte, limit int) (websocket.MessageType, []byte, error) {
	if limit <= 0 {
		limit = DefaultFrameLimit
	}
	typ, r, err := conn.Reader(ctx)
	if err != nil {
		return 0, buf[:0], err
	}
	buf = buf[:0]
	for {
		if len(buf) >= limit {
			rest, err := io.Copy(io.Discard, r)
			if err != nil {
				return typ, buf, err
			}
			if rest == 0 {
				return typ, buf, nil // exactly limit bytes
			}
			return typ, buf, TooBigError{Size: int64(len(buf)) + rest, Limit: limit}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), limit)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return typ, buf, nil
		}
		if err != nil {
			return typ, buf, err
		}
	}
}

// TooBigError is a message longer than the frame limit, skipped whole.
type TooBigError struct {
	Size  int64 // the message's length in bytes
	Limit int   // the frame limit
}

func (e TooBigError) Error() string {
	return fmt.Sprintf("a frame of %s, over the %s limit, skipped", bytesInWords(e.Size), bytesInWords(int64(e.Limit)))
}

// bytesInWords is a size for a trader: "4.0 MB", "1 MB", "512 bytes".
func bytesInWords(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// DescribeReadError says in words why reading stopped.
func DescribeReadError(exchange string, err error) error {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		if ce.Reason != "" {
			return fmt.Errorf("%s: the exchange closed the connection (%d): %s", exchange, int(ce.Code), strings.TrimSpace(safetext.Line(ce.Reason, venue.MaxText)))
		}
		return fmt.Errorf("%s: the exchange closed the connection (%d)", exchange, int(ce.Code))
	}
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return fmt.Errorf("%s: the exchange sent a message over %s; reconnecting", exchange, bytesInWords(DiscardLimit))
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

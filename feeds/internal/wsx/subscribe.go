package wsx

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
)

// Subscription is a session on an exchange that is told what to send after
// connecting (Coinbase, Kraken): dial, write the subscribe requests, then
// read frames, with the first acknowledgement due within AckWithin.
type Subscription struct {
	Exchange    string // "coinbase": in words and the log
	URL         string
	HTTP        *http.Client
	Log         *slog.Logger
	Connected   []any         // attributes of the log's "connected" line: "products", 2
	Messages    [][]byte      // the subscribe requests, written in order at once
	WriteWithin time.Duration // each request is written within this
	AckWithin   time.Duration // Link.Live must be called within this, or the session ends
	// Keepalive, when set, runs beside the reads until the session ends
	// (an exchange that drops idle clients: pings).
	Keepalive func(ctx context.Context, conn *websocket.Conn)
}

// Run dials s.URL, writes the subscribe requests and reads frames
// (ReadFrames, DefaultFrameLimit) into the handler that handler makes for
// this connection, until the connection fails, the handler returns an
// error, no acknowledgement came within AckWithin ("no answer to the
// subscription"), or ctx ends (then it returns nil). The handler reports
// through its Link: Live once subscribed, Bad for a frame it skips.
func (s Subscription) Run(ctx context.Context, hooks feeds.SessionHooks, handler func(*Link) func(ctx context.Context, frame []byte) error) error {
	hooks = FillHooks(hooks)
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	conn, err := Dial(ctx, s.Exchange, s.URL, s.HTTP)
	if err != nil {
		if parent.Err() != nil {
			return nil
		}
		return err
	}
	defer conn.CloseNow()
	s.Log.Info(s.Exchange+": connected", append([]any{"url", s.URL}, s.Connected...)...)

	for _, m := range s.Messages {
		wctx, wcancel := context.WithTimeout(ctx, s.WriteWithin)
		err := conn.Write(wctx, websocket.MessageText, m)
		wcancel()
		if err != nil {
			if parent.Err() != nil {
				return nil
			}
			return fmt.Errorf("%s: cannot subscribe: %w", s.Exchange, err)
		}
	}

	errNoAck := fmt.Errorf("%s: no answer to the subscription within %s", s.Exchange, s.AckWithin)
	link := NewLink(s.Exchange, hooks, s.Log)
	link.ack = time.AfterFunc(s.AckWithin, func() { cancel(errNoAck) })
	defer link.ack.Stop()

	if s.Keepalive != nil {
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel(nil) // stops the keepalive before waiting for it
		wg.Go(func() { s.Keepalive(ctx, conn) })
	}
	return ReadFrames(ctx, parent, conn, s.Exchange, Frames{Limit: DefaultFrameLimit, Beat: hooks.Beat, Bad: link.Bad, Handle: handler(link)})
}

// Link is how a session's frame handler reports on the session: live once
// subscribed (which ends the wait for the acknowledgement), and the frames
// it skips (counted by the supervisor, logged).
type Link struct {
	hooks  feeds.SessionHooks
	log    *slog.Logger
	prefix string      // "coinbase: "
	logMsg string      // "coinbase: bad frame skipped"
	ack    *time.Timer // the acknowledgement's deadline; nil: none
	live   bool
}

// NewLink is a Link for exchange reporting to hooks (filled with FillHooks)
// and log, with no acknowledgement deadline (Subscription.Run sets one).
func NewLink(exchange string, hooks feeds.SessionHooks, log *slog.Logger) *Link {
	return &Link{hooks: FillHooks(hooks), log: log, prefix: exchange + ": ", logMsg: exchange + ": bad frame skipped"}
}

// Live says the session is live: the first call stops the acknowledgement
// deadline and tells the supervisor; later calls do nothing.
func (l *Link) Live() {
	if !l.live {
		l.live = true
		if l.ack != nil {
			l.ack.Stop()
		}
		l.hooks.Live()
	}
}

// Bad reports a skipped frame: to the supervisor as "<exchange>: reason",
// and to the log with the frame's start.
func (l *Link) Bad(reason string, frame []byte) {
	l.hooks.Bad(l.prefix + reason)
	l.log.Warn(l.logMsg, "reason", reason, "frame", Clip(frame))
}

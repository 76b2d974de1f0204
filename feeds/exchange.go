package feeds

import (
	"context"
	"time"
)

// Exchange is one exchange's adapter: how to fetch history over REST and how
// to run one websocket session. Supervise turns an Exchange into a Feed that
// survives every way a connection fails.
type Exchange interface {
	// Name is the source's short name: "binance", "coinbase", "kraken".
	Name() string
	// Backfill fetches 1-minute candles (and, for long spans, coarser ones)
	// covering from..to for every configured symbol and sends them to sink.
	// Supervise calls it at start (the history the UI needs at once) and after
	// every reconnect (the gap since the last data). It respects the
	// exchange's rate limits and returns when done or ctx ends.
	Backfill(ctx context.Context, sink Sink, from, to time.Time) error
	// Session dials, subscribes and reads frames until the connection fails,
	// the server asks to go away, or ctx ends. It sends every parsed event
	// to sink and reports progress through hooks. It returns the reason the
	// session ended (nil only when ctx ended).
	Session(ctx context.Context, sink Sink, hooks SessionHooks) error
}

// SessionHooks are how a Session tells its supervisor what is happening.
// Every hook is safe to call from the session's goroutine and never blocks.
type SessionHooks struct {
	// Live is called once the subscriptions are acknowledged (or the first
	// data frame arrived) on this connection.
	Live func()
	// Beat is called for every frame or heartbeat received; the supervisor
	// declares the connection stale when beats stop for longer than its
	// stale bound, and ends the session (by cancelling its context).
	Beat func()
	// Bad is called for every frame that could not be used, with the reason
	// in words; the frame is skipped and the connection kept.
	Bad func(reason string)
}

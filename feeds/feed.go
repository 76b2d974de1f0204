// Package feeds holds everything that talks to the outside world (or, for
// the demo, simulates it) and turns it into model.Events.
package feeds

import (
	"context"

	"github.com/tokentop/tokentop/model"
)

// Sink is where a feed delivers. model.Market implements it.
type Sink interface {
	// Send delivers one event, waiting while the market's queue is full
	// (backpressure), and returns false once ctx ends.
	Send(ctx context.Context, ev model.Event) bool
	// Status reports the feed's state; it never blocks.
	Status(st model.FeedStatus)
}

// Feed is a source of market events: an exchange connection, or the demo.
type Feed interface {
	// Name is the short name the status bar shows: "demo", "binance".
	Name() string
	// Run delivers events to sink until ctx ends, reporting its state as it
	// changes. It returns nil when ctx ended, or an error that stops it for
	// good.
	Run(ctx context.Context, sink Sink) error
}

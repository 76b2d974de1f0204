package demo

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/model"
)

const (
	// tick is how often Run checks the wall clock for due steps.
	tick = 100 * time.Millisecond
	// maxStepsPerTick caps the steps run per tick so a high Speed, a slow
	// machine or a sink applying backpressure cannot make the feed spiral
	// (falling further behind with every tick). 400 steps per 100 ms keeps
	// up with Speed 4000 at the default 1s Step when the sink keeps up.
	// Beyond the cap the owed simulated time is forgiven: the simulated
	// clock (Feed.Clock) is held back by the same amount, so it slows down
	// rather than running ahead of the events. Speed is then a ceiling,
	// not a promise.
	maxStepsPerTick = 400
)

// Feed is the simulated market as a feeds.Feed, paced against the wall
// clock at Options.Speed.
type Feed struct {
	opts Options
	gen  *Generator

	ran      atomic.Bool
	liveWall atomic.Pointer[time.Time] // wall time the live phase began; nil before
	held     atomic.Int64              // simulated ns forgiven because steps were capped
	stopped  atomic.Pointer[time.Time] // simulated time the feed stopped at; nil while running
}

var _ feeds.Feed = (*Feed)(nil)

// New builds the demo feed. A zero Start means wall now truncated to the
// minute.
func New(opts Options) *Feed {
	opts = opts.withDefaults()
	if opts.Start.IsZero() {
		opts.Start = time.Now().Truncate(time.Minute)
	}
	return &Feed{opts: opts, gen: NewGenerator(opts)}
}

// Name is "demo".
func (f *Feed) Name() string { return "demo" }

// Universe is the simulated tokens' metadata at Start, largest first.
func (f *Feed) Universe() []model.TokenInfo { return f.gen.Universe() }

// Clock is the simulated clock: Start until the live phase of Run begins
// (right after the back history is delivered), then Start plus the wall
// time since then times Speed, less any time forgiven because steps were
// capped. Once Run returns, the clock stops at the time of the last step
// taken. Safe for concurrent use.
func (f *Feed) Clock() model.Clock {
	return func() time.Time {
		if at := f.stopped.Load(); at != nil {
			return *at
		}
		base := f.liveWall.Load()
		if base == nil {
			return f.opts.Start
		}
		sim := time.Duration(float64(time.Since(*base)) * f.opts.Speed)
		return f.opts.Start.Add(sim - time.Duration(f.held.Load()))
	}
}

// Run delivers the back history and then the live simulated market to sink
// until ctx ends, and returns nil. A Feed runs once.
func (f *Feed) Run(ctx context.Context, sink feeds.Sink) error {
	if !f.ran.CompareAndSwap(false, true) {
		return errors.New("demo: feed already ran; build a new one with demo.New")
	}
	clock := f.Clock()
	status := func(state model.FeedState, reason string) {
		sink.Status(model.FeedStatus{Name: f.Name(), State: state, Reason: reason, Since: clock(), Demo: true})
	}
	defer func() {
		at := f.gen.Now()
		f.stopped.Store(&at)
		status(model.FeedStopped, "")
	}()
	status(model.FeedConnecting, "simulating the back history")

	// The back history, each token's bars built into one model.History
	// on as many goroutines as there are cores (the hub then takes them
	// whole): 500 tokens' ~365k bars would otherwise go through the hub
	// one by one before the first frame.
	if !f.gen.HistoryBatched(runtime.GOMAXPROCS(0), func(ev model.Event) bool { return sink.Send(ctx, ev) }) || ctx.Err() != nil {
		return nil
	}

	open := true
	emit := func(ev model.Event) {
		if open && !sink.Send(ctx, ev) {
			open = false
		}
	}

	now := time.Now()
	f.liveWall.Store(&now)
	status(model.FeedLive, "")

	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	step := int64(f.opts.Step)
	var done int64 // steps taken
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		due := int64(clock().Sub(f.opts.Start))/step - done
		if due > maxStepsPerTick {
			f.held.Add((due - maxStepsPerTick) * step)
			due = maxStepsPerTick
		}
		for ; due > 0; due-- {
			f.gen.Step(emit)
			done++
			if !open || ctx.Err() != nil {
				return nil
			}
		}
	}
}

package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/tokentop/tokentop/model"
)

// KeeperOptions configure Keep.
type KeeperOptions struct {
	Namespace    string        // "live" or "demo"
	JournalEvery time.Duration // save the journal at most this often; default 10s (wall clock)
	WarmEvery    time.Duration // save the warm cache this often; default 5m; < 0 never
	// History serves the warm cache (model.Market.History); nil: no warm
	// cache.
	History func(context.Context) ([]model.WarmToken, error)
	Logger  *slog.Logger
	Now     func() time.Time // wall clock for WarmStart.Saved; default time.Now
}

// Keeper timings that are not options.
const (
	historyTimeout = 30 * time.Second // a periodic History call
	finalTimeout   = 5 * time.Second  // History on the way out
)

// keeper is Keep's state.
type keeper struct {
	s        *Store
	o        KeeperOptions
	log      *slog.Logger
	failures int
}

// Keep saves the ratings journal and the warm-start cache while the
// dashboard runs. It takes snapshots from snaps (a Market subscription)
// and saves the journal at most every JournalEvery, the warm cache every
// WarmEvery. When ctx ends it saves both a last time (History gets its own
// 5s) and returns nil. Errors are logged and counted, never fatal.
func (s *Store) Keep(ctx context.Context, snaps *model.Mailbox[*model.Snapshot], o KeeperOptions) error {
	if o.JournalEvery <= 0 {
		o.JournalEvery = 10 * time.Second
	}
	if o.WarmEvery == 0 {
		o.WarmEvery = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	k := &keeper{s: s, o: o, log: o.Logger}
	if k.log == nil {
		k.log = s.log
	}
	if err := checkNamespace(o.Namespace); err != nil {
		k.log.Error("store keeper not started", "err", err)
		return nil
	}
	warm := o.History != nil && o.WarmEvery > 0
	var (
		latest      *model.Snapshot
		pending     bool // latest not yet saved
		lastJournal time.Time
		nextWarm    = time.Now().Add(o.WarmEvery)
		closed      = snaps == nil // no (more) snapshots: only timers are left
	)
	for ctx.Err() == nil {
		// Wake for a snapshot, the warm save, or the journal save a
		// pending snapshot waits for.
		var due time.Time
		if warm {
			due = nextWarm
		}
		if pending {
			if j := lastJournal.Add(o.JournalEvery); due.IsZero() || j.Before(due) {
				due = j
			}
		}
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if !due.IsZero() {
			wctx, cancel = context.WithDeadline(ctx, due)
		}
		if closed {
			<-wctx.Done()
		} else if snap, ok := snaps.Take(wctx); ok {
			latest, pending = snap, true
		} else if wctx.Err() == nil {
			closed = true // Take returns at once from now on
		}
		cancel()
		if ctx.Err() != nil {
			break
		}
		now := time.Now()
		if pending && now.Sub(lastJournal) >= o.JournalEvery {
			k.saveJournal(latest)
			lastJournal, pending = now, false
		}
		if warm && !now.Before(nextWarm) {
			hctx, cancel := context.WithTimeout(ctx, historyTimeout)
			k.saveWarm(hctx)
			cancel()
			nextWarm = time.Now().Add(o.WarmEvery)
		}
	}
	// The last save: the newest snapshot, even one put just now.
	if snaps != nil {
		if snap, ok := snaps.TryTake(); ok {
			latest = snap
		}
	}
	if latest != nil {
		k.saveJournal(latest)
	}
	if warm {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalTimeout)
		k.saveWarm(hctx)
		cancel()
	}
	return nil
}

func (k *keeper) saveJournal(snap *model.Snapshot) {
	if err := k.s.SaveJournal(k.o.Namespace, snap); err != nil {
		k.failures++
		k.log.Error("store: journal not saved", "err", err, "failures", k.failures)
	}
}

func (k *keeper) saveWarm(ctx context.Context) {
	tokens, err := k.o.History(ctx)
	if err == nil {
		err = k.s.SaveWarm(k.o.Namespace, model.WarmStart{Saved: k.o.Now(), Tokens: tokens})
	}
	if err != nil {
		k.failures++
		k.log.Error("store: warm cache not saved", "err", err, "failures", k.failures)
	}
}

package kraken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/feeds/internal/wsx"

	"github.com/tokentop/tokentop/internal/safetext"
)

// subscribeMessages are the three v2 subscribe requests (req_id 1, 2, 3):
// ticker, 1-minute ohlc and trade, each with a snapshot.
func subscribeMessages(names []string) [][]byte {
	type params struct {
		Channel  string   `json:"channel"`
		Symbol   []string `json:"symbol"`
		Interval int      `json:"interval,omitempty"`
		Snapshot bool     `json:"snapshot"`
	}
	type req struct {
		Method string `json:"method"`
		Params params `json:"params"`
		ReqID  int    `json:"req_id"`
	}
	var out [][]byte
	for i, p := range []params{
		{Channel: "ticker", Symbol: names, Snapshot: true},
		{Channel: "ohlc", Symbol: names, Interval: 1, Snapshot: true},
		{Channel: "trade", Symbol: names, Snapshot: true},
	} {
		b, _ := json.Marshal(req{"subscribe", p, i + 1})
		out = append(out, b)
	}
	return out
}

// Session dials the v2 websocket, subscribes to ticker, ohlc (1 minute) and
// trade for every symbol, and reads frames until the connection fails or
// ctx ends (then it returns nil). Kraken acknowledges each symbol on each
// channel separately: the first success makes the session live; a refused
// symbol is reported through hooks.Bad and the rest carry on; when every
// subscription is refused the session ends with Kraken's reason. An
// application-level ping goes out every pingEvery so Kraken does not drop
// the connection as idle.
func (e *Exchange) Session(ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
	if err := e.checkSymbols(); err != nil {
		return err
	}
	hooks = wsx.FillHooks(hooks)
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	conn, err := wsx.Dial(ctx, "kraken", e.wsURL, e.http)
	if err != nil {
		if parent.Err() != nil {
			return nil
		}
		return err
	}
	defer conn.CloseNow()
	e.log.Info("kraken: connected", "url", e.wsURL, "symbols", len(e.symbols))

	for _, m := range subscribeMessages(e.wsNames) {
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		err := conn.Write(wctx, websocket.MessageText, m)
		wcancel()
		if err != nil {
			if parent.Err() != nil {
				return nil
			}
			return fmt.Errorf("kraken: cannot subscribe: %w", err)
		}
	}

	errNoAck := fmt.Errorf("kraken: no answer to the subscription within %s", e.ackWithin)
	ackTimer := time.AfterFunc(e.ackWithin, func() { cancel(errNoAck) })
	defer ackTimer.Stop()

	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel(nil) // stops the pinger before waiting for it
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.ping(ctx, conn)
	}()

	st := sessionState{
		e: e, sink: sink, hooks: hooks,
		p:        newParser(e.index, e.symbols),
		expected: 3 * len(e.symbols),
		ackTimer: ackTimer,
	}
	return wsx.ReadFrames(ctx, parent, conn, "kraken", wsx.Frames{Limit: wsx.DefaultFrameLimit, Beat: hooks.Beat, Bad: st.bad, Handle: st.handle})
}

// ping sends {"method":"ping","req_id":N} every pingEvery until ctx ends.
func (e *Exchange) ping(ctx context.Context, conn *websocket.Conn) {
	t := time.NewTicker(e.pingEvery)
	defer t.Stop()
	for n := 1000; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := conn.Write(wctx, websocket.MessageText, []byte(`{"method":"ping","req_id":`+strconv.Itoa(n)+`}`))
		cancel()
		if err != nil {
			return // the read loop sees the broken connection
		}
	}
}

// sessionState is one connection's parser and subscription bookkeeping.
type sessionState struct {
	e        *Exchange
	sink     feeds.Sink
	hooks    feeds.SessionHooks
	p        *parser
	live     bool
	expected int // acks expected: 3 channels x symbols
	acked    int
	refused  int
	ackTimer *time.Timer
}

func (st *sessionState) goLive() {
	if !st.live {
		st.live = true
		st.ackTimer.Stop()
		st.hooks.Live()
	}
}

func (st *sessionState) bad(reason string, frame []byte) {
	st.hooks.Bad("kraken: " + reason)
	st.e.log.Warn("kraken: bad frame skipped", "reason", reason, "frame", wsx.Clip(frame))
}

// handle applies one text frame. It returns an error only when the session
// must end.
func (st *sessionState) handle(ctx context.Context, b []byte) error {
	p := st.p
	if !p.parse(b) {
		st.bad(p.sc.Err(), b)
		return nil
	}
	f := &p.f
	switch f.kind {
	case kindAck:
		if f.success {
			st.acked++
			st.goLive()
			return nil
		}
		st.refused++
		why := f.errText
		if why == "" {
			why = "refused without a reason"
		}
		st.bad(fmt.Sprintf("cannot subscribe to %s: %s", strings.TrimSpace(safetext.Line(f.symbol(), venue.MaxText)), why), b)
		if st.acked == 0 && st.refused >= st.expected {
			return fmt.Errorf("kraken: every subscription was refused (%s)", why)
		}
		return nil
	case kindError:
		st.bad("the exchange reported: "+f.errText, b)
		return nil
	case kindStatus:
		sys := string(f.system[:f.systemLen])
		st.e.log.Info("kraken: system status", "system", strings.TrimSpace(safetext.Line(sys, venue.MaxText)))
		if sys == "maintenance" {
			return errors.New("kraken: the exchange is down for maintenance")
		}
		return nil
	case kindTicker, kindTrade, kindOHLC:
		if len(p.events) > 0 {
			st.goLive()
		}
		for i := range p.events {
			if !st.sink.Send(ctx, p.events[i]) {
				return ctx.Err()
			}
		}
		if f.badElems > 0 {
			st.bad(p.f.elemErr, b)
		}
	}
	return nil
}

var _ feeds.Exchange = (*Exchange)(nil)

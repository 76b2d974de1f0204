package coinbase

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/wsx"
	"github.com/tokentop/tokentop/model"
)

// Channels the session subscribes to, in the order Coinbase documents them.
var channels = []string{"ticker", "heartbeat", "matches"}

// subscribeMessage is the ws-feed subscribe request for the products.
func subscribeMessage(products []string) []byte {
	b, _ := json.Marshal(struct {
		Type       string   `json:"type"`
		ProductIDs []string `json:"product_ids"`
		Channels   []string `json:"channels"`
	}{"subscribe", products, channels})
	return b
}

// per-channel positions in productState.seq
const (
	chTicker = iota
	chMatches
	chHeartbeat
)

// productState is what a session remembers about one product to notice
// out-of-order messages and lost trades.
type productState struct {
	seq       [3]uint64 // last sequence seen per channel
	matchID   uint64    // last trade id seen on the matches channel
	hbTradeID uint64    // last_trade_id of the previous heartbeat
}

// Session dials the ws-feed, subscribes at once (Coinbase disconnects a
// client that has not subscribed within 5 s), and reads frames until the
// connection fails, Coinbase sends an error, or ctx ends (then it returns
// nil). No subscriptions ack within ackWithin ends the session too.
func (e *Exchange) Session(ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
	if err := e.checkSymbols(); err != nil {
		return err
	}
	hooks = wsx.FillHooks(hooks)
	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	conn, err := wsx.Dial(ctx, "coinbase", e.wsURL, e.http)
	if err != nil {
		if parent.Err() != nil {
			return nil
		}
		return err
	}
	defer conn.CloseNow()
	e.log.Info("coinbase: connected", "url", e.wsURL, "products", len(e.products))

	wctx, wcancel := context.WithTimeout(ctx, e.subscribeWithin)
	err = conn.Write(wctx, websocket.MessageText, subscribeMessage(e.products))
	wcancel()
	if err != nil {
		if parent.Err() != nil {
			return nil
		}
		return fmt.Errorf("coinbase: cannot subscribe: %w", err)
	}

	errNoAck := fmt.Errorf("coinbase: no answer to the subscription within %s", e.ackWithin)
	ackTimer := time.AfterFunc(e.ackWithin, func() { cancel(errNoAck) })
	defer ackTimer.Stop()

	st := sessionState{
		e: e, sink: sink, hooks: hooks,
		p:        newParser(e.index),
		products: make([]productState, len(e.products)),
		ackTimer: ackTimer,
	}
	return wsx.ReadFrames(ctx, parent, conn, "coinbase", wsx.Frames{Limit: wsx.DefaultFrameLimit, Beat: hooks.Beat, Bad: st.bad, Handle: st.handle})
}

// sessionState is one connection's parser and per-product memory.
type sessionState struct {
	e        *Exchange
	sink     feeds.Sink
	hooks    feeds.SessionHooks
	p        *parser
	products []productState
	live     bool
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
	st.hooks.Bad("coinbase: " + reason)
	st.e.log.Warn("coinbase: bad frame skipped", "reason", reason, "frame", wsx.Clip(frame))
}

// handle applies one text frame. It returns an error only when the session
// must end (Coinbase reported an error, or ctx ended while sending).
func (st *sessionState) handle(ctx context.Context, b []byte) error {
	p := st.p
	if !p.parse(b) {
		st.bad(p.sc.Err(), b)
		return nil
	}
	f := &p.f
	switch f.typ {
	case msgSubscriptions:
		if f.channels == 0 {
			st.bad("subscription acknowledged with no channels", b)
			return nil
		}
		st.goLive()
		return nil
	case msgError:
		return fmt.Errorf("coinbase: %s", errorWords(f.message, f.reason))
	}
	ps := &st.products[f.product]
	sym := st.e.symbols[f.product]
	ch := chTicker
	switch f.typ {
	case msgMatch:
		ch = chMatches
	case msgHeartbeat:
		ch = chHeartbeat
	}
	if f.has&hasSeq != 0 {
		if last := ps.seq[ch]; last != 0 && f.seq < last {
			st.bad(fmt.Sprintf("%s %s out of order (sequence %d after %d), skipped",
				st.e.products[f.product], string(f.typeName[:f.typeLen]), f.seq, last), b)
			return nil
		}
		ps.seq[ch] = f.seq
	}
	switch f.typ {
	case msgTicker:
		st.goLive()
		if !st.sink.Send(ctx, model.Event{Kind: model.EventQuote, Symbol: sym, Time: f.time, Price: f.price}) {
			return ctx.Err()
		}
	case msgMatch:
		st.goLive()
		if f.has&hasTradeID != 0 {
			if ps.matchID != 0 {
				if f.tradeID <= ps.matchID {
					st.bad(fmt.Sprintf("%s trade %d repeated or out of order, skipped",
						st.e.products[f.product], f.tradeID), b)
					return nil
				}
				if gap := f.tradeID - ps.matchID - 1; gap > 0 {
					st.missed(f.product, gap, ps.matchID+1, f.tradeID-1)
				}
			}
			ps.matchID = f.tradeID
		}
		if !st.sink.Send(ctx, model.Event{Kind: model.EventTrade, Symbol: sym, Time: f.time,
			Price: f.price, Qty: f.size, Side: f.side}) {
			return ctx.Err()
		}
	case msgHeartbeat:
		if f.has&hasLastTradeID != 0 {
			// The matches must have reached the previous heartbeat's
			// last trade by now (heartbeats come once a second).
			if ps.matchID != 0 && ps.hbTradeID > ps.matchID {
				st.missed(f.product, ps.hbTradeID-ps.matchID, ps.matchID+1, ps.hbTradeID)
				ps.matchID = ps.hbTradeID
			}
			if f.lastTradeID > ps.hbTradeID {
				ps.hbTradeID = f.lastTradeID
			}
		}
	}
	return nil
}

func (st *sessionState) missed(product int, n, first, last uint64) {
	st.e.missed.Add(n)
	st.e.log.Warn("coinbase: trades missed on the matches channel",
		"product", st.e.products[product], "count", n, "first_trade_id", first, "last_trade_id", last)
}

// errorWords joins Coinbase's message and reason.
func errorWords(message, reason string) string {
	switch {
	case message == "" && reason == "":
		return "the exchange reported an error without a message"
	case reason == "":
		return message
	case message == "":
		return reason
	}
	return message + ": " + reason
}

var _ feeds.Exchange = (*Exchange)(nil)

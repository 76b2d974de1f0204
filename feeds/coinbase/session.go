package coinbase

import (
	"context"
	"encoding/json"
	"fmt"

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
// nil). No subscriptions ack within base.AckWithin (10 s) ends the
// session too (wsx.Subscription).
func (e *Exchange) Session(ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
	if err := e.base.CheckSymbols(); err != nil {
		return err
	}
	return wsx.Subscription{
		Exchange: e.base.Name, URL: e.base.WSURL, HTTP: e.base.HTTP, Log: e.base.Log,
		Connected:   []any{"products", len(e.products)},
		Messages:    [][]byte{subscribeMessage(e.products)},
		WriteWithin: e.subscribeWithin,
		AckWithin:   e.base.AckWithin,
	}.Run(ctx, hooks, func(link *wsx.Link) func(context.Context, []byte) error {
		st := &sessionState{e: e, sink: sink, link: link, p: newParser(e.index), products: make([]productState, len(e.products))}
		return st.handle
	})
}

// sessionState is one connection's parser and per-product memory.
type sessionState struct {
	e        *Exchange
	sink     feeds.Sink
	link     *wsx.Link // live, bad frames
	p        *parser
	products []productState
}

// handle applies one text frame. It returns an error only when the session
// must end (Coinbase reported an error, or ctx ended while sending).
func (st *sessionState) handle(ctx context.Context, b []byte) error {
	p := st.p
	if !p.parse(b) {
		st.link.Bad(p.sc.Err(), b)
		return nil
	}
	f := &p.f
	switch f.typ {
	case msgSubscriptions:
		if f.channels == 0 {
			st.link.Bad("subscription acknowledged with no channels", b)
			return nil
		}
		st.link.Live()
		return nil
	case msgError:
		return fmt.Errorf("coinbase: %s", errorWords(f.message, f.reason))
	}
	ps := &st.products[f.product]
	sym := st.e.base.Symbols[f.product]
	ch := chTicker
	switch f.typ {
	case msgMatch:
		ch = chMatches
	case msgHeartbeat:
		ch = chHeartbeat
	}
	if f.has&hasSeq != 0 {
		if last := ps.seq[ch]; last != 0 && f.seq < last {
			st.link.Bad(fmt.Sprintf("%s %s out of order (sequence %d after %d), skipped",
				st.e.products[f.product], string(f.typeName[:f.typeLen]), f.seq, last), b)
			return nil
		}
		ps.seq[ch] = f.seq
	}
	switch f.typ {
	case msgTicker:
		st.link.Live()
		if !st.sink.Send(ctx, model.Event{Kind: model.EventQuote, Symbol: sym, Time: f.time, Price: f.price}) {
			return ctx.Err()
		}
	case msgMatch:
		st.link.Live()
		if f.has&hasTradeID != 0 {
			if ps.matchID != 0 {
				if f.tradeID <= ps.matchID {
					st.link.Bad(fmt.Sprintf("%s trade %d repeated or out of order, skipped",
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
	st.e.base.Log.Warn("coinbase: trades missed on the matches channel",
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

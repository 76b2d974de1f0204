package kraken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
	if err := e.base.CheckSymbols(); err != nil {
		return err
	}
	return wsx.Subscription{
		Exchange: e.base.Name, URL: e.base.WSURL, HTTP: e.base.HTTP, Log: e.base.Log,
		Connected:   []any{"symbols", len(e.base.Symbols)},
		Messages:    subscribeMessages(e.wsNames),
		WriteWithin: 10 * time.Second,
		AckWithin:   e.base.AckWithin,
		Keepalive:   e.ping,
	}.Run(ctx, hooks, func(link *wsx.Link) func(context.Context, []byte) error {
		st := &sessionState{e: e, sink: sink, link: link, p: newParser(e.index, e.base.Symbols), expected: 3 * len(e.base.Symbols)}
		return st.handle
	})
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
	link     *wsx.Link // live, bad frames
	p        *parser
	expected int // acks expected: 3 channels x symbols
	acked    int
	refused  int
}

// handle applies one text frame. It returns an error only when the session
// must end.
func (st *sessionState) handle(ctx context.Context, b []byte) error {
	p := st.p
	if !p.parse(b) {
		st.link.Bad(p.sc.Err(), b)
		return nil
	}
	f := &p.f
	switch f.kind {
	case kindAck:
		if f.success {
			st.acked++
			st.link.Live()
			return nil
		}
		st.refused++
		why := f.errText
		if why == "" {
			why = "refused without a reason"
		}
		st.link.Bad(fmt.Sprintf("cannot subscribe to %s: %s", strings.TrimSpace(safetext.Line(f.symbol(), venue.MaxText)), why), b)
		if st.acked == 0 && st.refused >= st.expected {
			return fmt.Errorf("kraken: every subscription was refused (%s)", why)
		}
		return nil
	case kindError:
		st.link.Bad("the exchange reported: "+f.errText, b)
		return nil
	case kindStatus:
		sys := string(f.system[:f.systemLen])
		st.e.base.Log.Info("kraken: system status", "system", strings.TrimSpace(safetext.Line(sys, venue.MaxText)))
		if sys == "maintenance" {
			return errors.New("kraken: the exchange is down for maintenance")
		}
		return nil
	case kindTicker, kindTrade, kindOHLC:
		if len(p.events) > 0 {
			st.link.Live()
		}
		for i := range p.events {
			if !st.sink.Send(ctx, p.events[i]) {
				return ctx.Err()
			}
		}
		if f.badElems > 0 {
			st.link.Bad(p.f.elemErr, b)
		}
	}
	return nil
}

var _ feeds.Exchange = (*Exchange)(nil)

package kraken

import (
	"math"
	"strings"

	"github.com/tokentop/tokentop/feeds/internal/jsonscan"
	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/model"

	"github.com/tokentop/tokentop/internal/safetext"
)

// msgKind is what a v2 frame is.
type msgKind uint8

const (
	kindUnknown   msgKind = iota
	kindTicker            // channel "ticker"
	kindTrade             // channel "trade"
	kindOHLC              // channel "ohlc"
	kindHeartbeat         // channel "heartbeat"
	kindStatus            // channel "status"
	kindAck               // method "subscribe" (one per symbol)
	kindPong              // method "pong"
	kindMethod            // another method's answer (ignored)
	kindError             // a bare {"error": "..."}
)

// top-level keys seen (duplicates are refused)
const (
	hasChannel uint16 = 1 << iota
	hasType
	hasData
	hasTimestamp
	hasMethod
	hasSuccess
	hasError
	hasSymbol
	hasResult
	hasReqID
)

// element keys seen
const (
	eSymbol uint16 = 1 << iota
	eLast
	eSide
	ePrice
	eQty
	eTime
	eOpen
	eHigh
	eLow
	eClose
	eVolume
	eBegin
	eInterval
	eSystem
)

// frame is one parsed v2 message. Data elements become events in
// parser.events; text lives in fixed arrays so the hot path never allocates.
type frame struct {
	kind      msgKind
	has       uint16
	timestamp int64 // top-level (ohlc)
	success   bool
	reqID     uint64
	errText   string // error and failed acks only

	channelName [24]byte
	channelLen  int
	methodName  [24]byte
	methodLen   int
	symbolName  [32]byte // failed ack: the top-level symbol; ok ack: result.symbol
	symbolLen   int
	ackChannel  [24]byte // result.channel
	ackChanLen  int
	system      [24]byte // status: data[0].system
	systemLen   int

	elems    int    // data elements read
	badElems int    // data elements refused
	elemErr  string // why the first one was refused
}

func (f *frame) channel() string { return string(f.channelName[:f.channelLen]) }
func (f *frame) symbol() string  { return string(f.symbolName[:f.symbolLen]) }

// parser turns v2 frames into events. Not safe for concurrent use; each
// session owns one. Ticker, trade and ohlc frames allocate nothing once
// events has grown to the largest frame's element count.
type parser struct {
	sc     jsonscan.Scanner
	f      frame
	index  map[string]int
	events []model.Event
	syms   []string
}

func newParser(index map[string]int, syms []string) *parser {
	return &parser{index: index, syms: syms, events: make([]model.Event, 0, 64)}
}

// parse reads one frame into p.f and p.events. On false, p.sc.Err() says why
// and p.events is empty. On true, p.f.badElems may still count refused
// elements (the good ones are in p.events).
func (p *parser) parse(b []byte) bool {
	s, f := &p.sc, &p.f
	s.Reset(b)
	*f = frame{}
	p.events = p.events[:0]
	if s.Peek() != '{' {
		if s.Pos() >= len(b) {
			return s.Fail("empty frame")
		}
		return s.Fail("not a JSON object")
	}
	s.BeginObject()
	dataStart, dataEnd := -1, -1
	for first := true; ; first = false {
		k, ok := s.Key(first)
		if !ok {
			break
		}
		var bit uint16
		switch string(k) {
		case "channel":
			bit = hasChannel
			v, ok := p.sc.TypedStr()
			if !ok {
				return p.failed()
			}
			f.channelLen = copy(f.channelName[:], v)
			switch string(v) {
			case "ticker":
				f.kind = kindTicker
			case "trade":
				f.kind = kindTrade
			case "ohlc":
				f.kind = kindOHLC
			case "heartbeat":
				f.kind = kindHeartbeat
			case "status":
				f.kind = kindStatus
			}
		case "type":
			bit = hasType
			if _, ok := p.sc.TypedStr(); !ok {
				return p.failed()
			}
		case "data":
			bit = hasData
			if f.has&hasChannel != 0 {
				if !p.data() {
					return p.failed()
				}
			} else { // the channel comes later: read the data after it
				s.WS()
				dataStart = s.Pos()
				if !s.Skip() {
					return p.failed()
				}
				dataEnd = s.Pos()
			}
		case "timestamp":
			bit = hasTimestamp
			v, ok := p.sc.TypedStr()
			if !ok {
				return p.failed()
			}
			if f.timestamp, ok = jsonscan.ParseTime(v); !ok {
				s.Fail("bad time " + jsonscan.QuoteShort(v))
				return p.failed()
			}
		case "method":
			bit = hasMethod
			v, ok := p.sc.TypedStr()
			if !ok {
				return p.failed()
			}
			f.methodLen = copy(f.methodName[:], v)
		case "success":
			bit = hasSuccess
			switch s.Peek() {
			case 't':
				f.success = true
				ok = s.Lit("true")
			case 'f':
				ok = s.Lit("false")
			default:
				ok = s.Fail("wrong type: success is not true or false")
			}
			if !ok {
				return p.failed()
			}
		case "error":
			bit = hasError
			v, ok := p.sc.TypedStr()
			if !ok {
				return p.failed()
			}
			f.errText = strings.TrimSpace(safetext.Line(string(v), venue.MaxText))
		case "symbol":
			bit = hasSymbol
			v, ok := p.sc.TypedStr()
			if !ok {
				return p.failed()
			}
			f.symbolLen = copy(f.symbolName[:], v)
		case "result":
			bit = hasResult
			if !p.result() {
				return p.failed()
			}
		case "req_id":
			bit = hasReqID
			if f.reqID, ok = p.uint(); !ok {
				return p.failed()
			}
		default:
			if !s.Skip() {
				return p.failed()
			}
			continue
		}
		if f.has&bit != 0 {
			s.Fail("duplicate key " + jsonscan.QuoteShort(k))
			return p.failed()
		}
		f.has |= bit
	}
	if !s.End() {
		return p.failed()
	}
	if dataStart >= 0 && f.has&hasChannel != 0 {
		whole := s.Input()
		s.SetInput(whole[dataStart:dataEnd], 0)
		ok := p.data()
		s.SetInput(whole, len(whole))
		if !ok {
			return p.failed()
		}
	}
	return p.check()
}

func (p *parser) failed() bool {
	p.events = p.events[:0]
	return false
}

// check classifies the frame once it is all read.
func (p *parser) check() bool {
	s, f := &p.sc, &p.f
	switch {
	case f.has&hasMethod != 0:
		switch string(f.methodName[:f.methodLen]) {
		case "subscribe":
			f.kind = kindAck
			if f.has&hasSuccess == 0 {
				return s.Fail("subscribe answer without success")
			}
		case "pong":
			f.kind = kindPong
		default:
			f.kind = kindMethod
		}
		return true
	case f.has&hasChannel != 0:
		if f.kind == kindUnknown {
			return s.Fail("unknown channel " + jsonscan.QuoteShort(f.channelName[:f.channelLen]))
		}
		switch f.kind {
		case kindTicker, kindTrade, kindOHLC, kindStatus:
			if f.has&hasData == 0 {
				return s.Fail(f.channel() + " message without data")
			}
			if f.elems == 0 {
				return s.Fail(f.channel() + " message with no data")
			}
		}
		return true
	case f.has&hasError != 0:
		f.kind = kindError
		return true
	}
	return s.Fail("message without a channel or method")
}

// num reads a JSON number (Kraken sends floats), refusing other types.
func (p *parser) num() (float64, bool) {
	s := &p.sc
	if c := s.Peek(); c != '-' && (c < '0' || c > '9') {
		if c == 0 {
			return 0, s.Fail("frame ends early (truncated)")
		}
		return 0, s.Fail("wrong type: expected a number")
	}
	return s.Float()
}

// uint reads an unquoted whole number, refusing other types.
func (p *parser) uint() (uint64, bool) {
	s := &p.sc
	if c := s.Peek(); c != '-' && (c < '0' || c > '9') {
		if c == 0 {
			return 0, s.Fail("frame ends early (truncated)")
		}
		return 0, s.Fail("wrong type: expected a whole number")
	}
	return s.Uint()
}

// result reads a subscribe ack's result object.
func (p *parser) result() bool {
	s, f := &p.sc, &p.f
	if c := s.Peek(); c != '{' {
		if c == 0 {
			return s.Fail("frame ends early (truncated)")
		}
		return s.Fail("wrong type: result is not an object")
	}
	s.BeginObject()
	for first := true; ; first = false {
		k, ok := s.Key(first)
		if !ok {
			return s.OK()
		}
		switch string(k) {
		case "channel":
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			f.ackChanLen = copy(f.ackChannel[:], v)
		case "symbol":
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			f.symbolLen = copy(f.symbolName[:], v)
		default:
			if !s.Skip() {
				return false
			}
		}
	}
}

// elem is one data element as read.
type elem struct {
	has                            uint16
	sym                            int
	symName                        [32]byte
	symLen                         int
	last, price, qty               float64
	open, high, low, close, volume float64
	side                           model.Side
	ts, begin                      int64
	interval                       uint64
}

// data reads the data array of a channel message.
func (p *parser) data() bool {
	s, f := &p.sc, &p.f
	if c := s.Peek(); c != '[' {
		if c == 0 {
			return s.Fail("frame ends early (truncated)")
		}
		return s.Fail("wrong type: data is not a list")
	}
	s.BeginArray()
	for first := true; s.Elem(first); first = false {
		f.elems++
		if c := s.Peek(); c != '{' {
			return s.Fail("wrong type: a data element is not an object")
		}
		var e elem
		if !p.element(&e) {
			return false
		}
		if why := p.apply(&e); why != "" {
			if f.badElems == 0 {
				f.elemErr = why
			}
			f.badElems++
		}
	}
	return s.OK()
}

// element reads one data object; which keys matter depends on the channel.
func (p *parser) element(e *elem) bool {
	s, f := &p.sc, &p.f
	e.sym = -1
	s.BeginObject()
	for first := true; ; first = false {
		k, ok := s.Key(first)
		if !ok {
			return s.OK()
		}
		var bit uint16
		var dst *float64
		key := string(k)
		switch {
		case key == "symbol" && f.kind != kindStatus:
			bit = eSymbol
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			e.symLen = copy(e.symName[:], v)
			if i, ok := p.index[string(v)]; ok {
				e.sym = i
			}
		case key == "system" && f.kind == kindStatus:
			bit = eSystem
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			f.systemLen = copy(f.system[:], v)
		case key == "last" && f.kind == kindTicker:
			bit, dst = eLast, &e.last
		case key == "price" && f.kind == kindTrade:
			bit, dst = ePrice, &e.price
		case key == "qty" && f.kind == kindTrade:
			bit, dst = eQty, &e.qty
		case key == "side" && f.kind == kindTrade:
			bit = eSide
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			switch string(v) {
			case "buy": // Kraken's side is the taker's
				e.side = model.SideBuy
			case "sell":
				e.side = model.SideSell
			default:
				return s.Fail("unknown trade side " + jsonscan.QuoteShort(v))
			}
		case key == "timestamp" && (f.kind == kindTicker || f.kind == kindTrade):
			bit = eTime
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			if e.ts, ok = jsonscan.ParseTime(v); !ok {
				return s.Fail("bad time " + jsonscan.QuoteShort(v))
			}
		case f.kind == kindOHLC && key == "open":
			bit, dst = eOpen, &e.open
		case f.kind == kindOHLC && key == "high":
			bit, dst = eHigh, &e.high
		case f.kind == kindOHLC && key == "low":
			bit, dst = eLow, &e.low
		case f.kind == kindOHLC && key == "close":
			bit, dst = eClose, &e.close
		case f.kind == kindOHLC && key == "volume":
			bit, dst = eVolume, &e.volume
		case f.kind == kindOHLC && key == "interval_begin":
			bit = eBegin
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			if e.begin, ok = jsonscan.ParseTime(v); !ok {
				return s.Fail("bad time " + jsonscan.QuoteShort(v))
			}
		case f.kind == kindOHLC && key == "interval":
			bit = eInterval
			if e.interval, ok = p.uint(); !ok {
				return false
			}
		default:
			if !s.Skip() {
				return false
			}
			continue
		}
		if dst != nil {
			if *dst, ok = p.num(); !ok {
				return false
			}
		}
		if e.has&bit != 0 {
			return s.Fail("duplicate key " + jsonscan.QuoteShort(k))
		}
		e.has |= bit
	}
}

// apply turns a read element into an event, or says why it cannot.
func (p *parser) apply(e *elem) string {
	f := &p.f
	switch f.kind {
	case kindStatus:
		return ""
	case kindHeartbeat:
		return "heartbeat with data"
	}
	if e.has&eSymbol == 0 {
		return f.channel() + " data without a symbol"
	}
	if e.sym < 0 {
		return "unknown symbol " + jsonscan.QuoteShort(e.symName[:e.symLen])
	}
	sym := p.syms[e.sym]
	switch f.kind {
	case kindTicker:
		if e.has&eLast == 0 {
			return "ticker without a last price"
		}
		if !price(e.last) {
			return "ticker price out of range"
		}
		p.events = append(p.events, model.Event{Kind: model.EventQuote, Symbol: sym, Time: e.ts, Price: e.last})
	case kindTrade:
		if e.has&(ePrice|eQty|eSide) != ePrice|eQty|eSide {
			return "trade without price, qty or side"
		}
		if !price(e.price) || !(e.qty > 0) || math.IsInf(e.qty, 1) {
			return "trade price or qty out of range"
		}
		p.events = append(p.events, model.Event{Kind: model.EventTrade, Symbol: sym, Time: e.ts,
			Price: e.price, Qty: e.qty, Side: e.side})
	case kindOHLC:
		const all = eOpen | eHigh | eLow | eClose | eVolume | eBegin | eInterval
		if e.has&all != all {
			return "ohlc without open, high, low, close, volume, interval or interval_begin"
		}
		if e.interval != 1 {
			return "ohlc of an interval other than 1 minute"
		}
		c := model.Candle{T: e.begin / 1e9, Open: e.open, High: e.high, Low: e.low, Close: e.close, Volume: e.volume}
		if e.begin%60e9 != 0 || !model.ValidCandle(c) || !price(c.High) {
			return "ohlc with impossible values"
		}
		p.events = append(p.events, model.Event{Kind: model.EventCandle, Symbol: sym, Time: f.timestamp,
			Res: model.Minute, Candle: c})
	}
	return ""
}

// price says whether v is a usable price.
func price(v float64) bool { return v > 0 && v < 1e15 }

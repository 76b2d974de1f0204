package coinbase

import (
	"github.com/tokentop/tokentop/feeds/internal/jsonscan"
	"github.com/tokentop/tokentop/feeds/internal/venue"
	"github.com/tokentop/tokentop/model"
	"strings"

	"github.com/tokentop/tokentop/internal/safetext"
)

// msgType is a ws-feed message's "type".
type msgType uint8

const (
	msgUnknown       msgType = iota
	msgTicker                // "ticker"
	msgMatch                 // "match" and "last_match"
	msgHeartbeat             // "heartbeat"
	msgSubscriptions         // "subscriptions" (the subscribe ack)
	msgError                 // "error"
)

// Which keys a frame carried (duplicates are refused: encoding/json would
// silently keep the last one).
const (
	hasType uint16 = 1 << iota
	hasProduct
	hasPrice
	hasSize
	hasSide
	hasTime
	hasSeq
	hasTradeID
	hasLastTradeID
	hasChannels
	hasMessage
	hasReason
)

// frame is one parsed ws-feed message. Only the fields its type uses are
// meaningful; has says which keys were present.
type frame struct {
	typ         msgType
	last        bool // a last_match
	has         uint16
	product     int // index into the configured products; -1 unknown
	price, size float64
	side        model.Side // the TAKER's side (Coinbase sends the maker's)
	time        int64      // Unix ns
	seq         uint64
	tradeID     uint64
	lastTradeID uint64
	channels    int // subscriptions: channels acknowledged

	// Text kept for reasons; fixed arrays so the hot path never allocates.
	typeName    [24]byte
	typeLen     int
	productName [24]byte
	productLen  int
	message     string // error frames only
	reason      string
}

// parser turns ws-feed frames into frames. Not safe for concurrent use;
// each session owns one. Parsing a ticker, match or heartbeat allocates
// nothing.
type parser struct {
	sc    jsonscan.Scanner
	f     frame
	index map[string]int
}

func newParser(index map[string]int) *parser { return &parser{index: index} }

// parse reads one frame into p.f. On false, p.sc.Err() says what was wrong.
func (p *parser) parse(b []byte) bool {
	s, f := &p.sc, &p.f
	s.Reset(b)
	*f = frame{product: -1}
	if len(b) == 0 {
		return s.Fail("empty frame")
	}
	if s.Peek() != '{' {
		if s.Pos() >= len(b) {
			return s.Fail("empty frame")
		}
		return s.Fail("not a JSON object")
	}
	if !s.BeginObject() {
		return false
	}
	for first := true; ; first = false {
		k, ok := s.Key(first)
		if !ok {
			break
		}
		var bit uint16
		switch string(k) {
		case "type":
			bit = hasType
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			f.typeLen = copy(f.typeName[:], v)
			switch string(v) {
			case "ticker":
				f.typ = msgTicker
			case "match":
				f.typ = msgMatch
			case "last_match":
				f.typ, f.last = msgMatch, true
			case "heartbeat":
				f.typ = msgHeartbeat
			case "subscriptions":
				f.typ = msgSubscriptions
			case "error":
				f.typ = msgError
			}
		case "product_id":
			bit = hasProduct
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			f.productLen = copy(f.productName[:], v)
			if i, ok := p.index[string(v)]; ok {
				f.product = i
			}
		case "price":
			bit = hasPrice
			if f.price, ok = s.StrFloat(); !ok {
				return false
			}
		case "size":
			bit = hasSize
			if f.size, ok = s.StrFloat(); !ok {
				return false
			}
		case "side":
			bit = hasSide
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			switch string(v) {
			case "buy": // the maker bought: the taker sold
				f.side = model.SideSell
			case "sell":
				f.side = model.SideBuy
			default:
				return s.Fail("unknown trade side " + jsonscan.QuoteShort(v))
			}
		case "time":
			bit = hasTime
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			if f.time, ok = jsonscan.ParseTime(v); !ok {
				return s.Fail("bad time " + jsonscan.QuoteShort(v))
			}
		case "sequence":
			bit = hasSeq
			if f.seq, ok = p.uint(); !ok {
				return false
			}
		case "trade_id":
			bit = hasTradeID
			if f.tradeID, ok = p.uint(); !ok {
				return false
			}
		case "last_trade_id":
			bit = hasLastTradeID
			if f.lastTradeID, ok = p.uint(); !ok {
				return false
			}
		case "channels":
			bit = hasChannels
			if !beginArrayTyped(s) {
				return false
			}
			for first := true; s.Elem(first); first = false {
				f.channels++
				if !s.Skip() {
					return false
				}
			}
			if !s.OK() {
				return false
			}
		case "message":
			bit = hasMessage
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			f.message = strings.TrimSpace(safetext.Line(string(v), venue.MaxText))
		case "reason":
			bit = hasReason
			v, ok := p.sc.TypedStr()
			if !ok {
				return false
			}
			f.reason = strings.TrimSpace(safetext.Line(string(v), venue.MaxText))
		default:
			if !s.Skip() {
				return false
			}
			continue
		}
		if f.has&bit != 0 {
			return s.Fail("duplicate key " + jsonscan.QuoteShort(k))
		}
		f.has |= bit
	}
	if !s.End() {
		return false
	}
	return p.check()
}

// uint reads an unquoted whole number, refusing other types.
func (p *parser) uint() (uint64, bool) {
	s := &p.sc
	if c := s.Peek(); c == '"' || c == '{' || c == '[' || c == 't' || c == 'f' || c == 'n' {
		return 0, s.Fail("wrong type: expected a whole number")
	}
	return s.Uint()
}

// beginArrayTyped consumes '[' or says the value is of the wrong type.
func beginArrayTyped(s *jsonscan.Scanner) bool {
	if c := s.Peek(); c != '[' {
		if c == 0 {
			return s.Fail("frame ends early (truncated)")
		}
		return s.Fail("wrong type: expected an array")
	}
	return s.BeginArray()
}

// check applies each type's rules once the whole frame is read.
func (p *parser) check() bool {
	s, f := &p.sc, &p.f
	if f.has&hasType == 0 {
		return s.Fail("message without a type")
	}
	switch f.typ {
	case msgTicker, msgMatch, msgHeartbeat:
		if f.has&hasProduct == 0 {
			return s.Fail(string(f.typeName[:f.typeLen]) + " without a product_id")
		}
		if f.product < 0 {
			return s.Fail("unknown product " + jsonscan.QuoteShort(f.productName[:f.productLen]))
		}
	}
	switch f.typ {
	case msgTicker:
		if f.has&hasPrice == 0 {
			return s.Fail("ticker without a price")
		}
	case msgMatch:
		if f.has&(hasPrice|hasSize|hasSide) != hasPrice|hasSize|hasSide {
			return s.Fail("match without price, size or side")
		}
		if !(f.size > 0) {
			return s.Fail("match with a size that is not positive")
		}
	case msgUnknown:
		return s.Fail("unknown message type " + jsonscan.QuoteShort(f.typeName[:f.typeLen]))
	}
	if f.typ == msgTicker || f.typ == msgMatch {
		if !(f.price > 0) || f.price > 1e15 {
			return s.Fail("price out of range")
		}
	}
	return true
}

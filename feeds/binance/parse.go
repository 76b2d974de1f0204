package binance

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tokentop/tokentop/model"
)

// frameError is a bad frame's reason in words. Constant reasons convert to
// error without allocating.
type frameError string

func (e frameError) Error() string { return string(e) }

const (
	errEmpty       = frameError("empty frame")
	errSyntax      = frameError("not valid JSON (truncated or garbled)")
	errNotObject   = frameError("not a JSON object")
	errEscapedKey  = frameError("escaped key")
	errUnknown     = frameError("unrecognised message")
	errNoEvent     = frameError("event type missing")
	errUnknownType = frameError("unknown event type")
	errSymbol      = frameError("symbol missing or not text")
	errTime        = frameError("event time missing or out of range")
	errPrice       = frameError("price missing, not a decimal string, or not positive")
	errQty         = frameError("quantity missing, not a decimal string, or negative")
	errSide        = frameError("trade side (m) missing or not true/false")
	errKline       = frameError("kline (k) missing or not an object")
	errKlineTime   = frameError("kline start time missing or not on a minute")
	errKlineShape  = frameError("kline prices inconsistent (high below low, or not positive)")
	errInterval    = frameError("kline interval is not 1m")
	errClosed      = frameError("kline closed flag (x) missing or not true/false")
	errArrayElem   = frameError("array element is not an object")
)

// fields are the members of one object that the parser looks at. Keys are
// matched exactly, so "t" and "T" are different fields.
type fields struct {
	e, E, s, c, p, q, T, m, t, o, h, l, v, x, i val
	stream, result, id, err, code, msg          val
	data, k                                     val // kind only when an object (parsed in place)
}

// set records v under key; unknown keys are ignored.
func (f *fields) set(key []byte, v val) {
	if len(key) == 1 {
		switch key[0] {
		case 'e':
			f.e = v
		case 'E':
			f.E = v
		case 's':
			f.s = v
		case 'c':
			f.c = v
		case 'p':
			f.p = v
		case 'q':
			f.q = v
		case 'T':
			f.T = v
		case 'm':
			f.m = v
		case 't':
			f.t = v
		case 'o':
			f.o = v
		case 'h':
			f.h = v
		case 'l':
			f.l = v
		case 'v':
			f.v = v
		case 'x':
			f.x = v
		case 'i':
			f.i = v
		case 'k':
			f.k = v
		}
		return
	}
	switch string(key) {
	case "stream":
		f.stream = v
	case "data":
		f.data = v
	case "result":
		f.result = v
	case "id":
		f.id = v
	case "error":
		f.err = v
	case "code":
		f.code = v
	case "msg":
		f.msg = v
	}
}

// Parser turns Binance stream frames into model events without
// allocating. It is not safe for concurrent use; each connection has one.
type Parser struct {
	symbols map[string]string // "BTCUSDT" -> "BTC"
	evs     []model.Event
	top     fields
	data    fields
	k       fields
	elems   int // array elements seen in the current frame
}

// NewParser returns a parser for pairs of the given base symbols (upper
// case, "BTC") with quote ("USDT"). Frames for other pairs are skipped.
func NewParser(quote string, bases []string) *Parser {
	p := &Parser{symbols: make(map[string]string, len(bases)), evs: make([]model.Event, 0, 64)}
	quote = strings.ToUpper(quote)
	for _, b := range bases {
		b = strings.ToUpper(b)
		p.symbols[b+quote] = b
	}
	return p
}

// Parse reads one frame (raw or combined; a miniTicker, aggTrade, kline,
// serverShutdown, subscription ack, error, or an array of miniTickers).
// It returns the events (valid until the next call), whether the server
// announced a shutdown, and, for a frame that cannot be used, the reason.
func (p *Parser) Parse(frame []byte) (evs []model.Event, shutdown bool, err error) {
	p.evs = p.evs[:0]
	p.elems = 0
	s := scanner{b: frame}
	switch s.peek() {
	case 0:
		return nil, false, errEmpty
	case '{':
		shutdown, err = p.parseTop(&s)
	case '[':
		err = p.parseArray(&s, 1)
	default:
		if _, ok := s.value(0); ok && s.end() {
			return nil, false, errNotObject
		}
		return nil, false, errSyntax
	}
	if err == nil && !s.end() {
		err = errSyntax
	}
	if err != nil {
		return nil, false, err
	}
	return p.evs, shutdown, nil
}

// object scans an object into f. "data" (at the top) and "k" (in a
// payload) objects are parsed in place into p.data and p.k; a top-level
// "data" array's elements are handled as they are read.
func (p *Parser) object(s *scanner, f *fields, depth int) error {
	*f = fields{}
	if !s.openObject() {
		return errSyntax
	}
	for first := true; ; first = false {
		key, st := s.memberKey(first)
		switch st {
		case memberEnd:
			return nil
		case memberBad:
			return errSyntax
		}
		if key.esc {
			return errEscapedKey
		}
		if len(key.raw) == 1 && key.raw[0] == 'k' && f != &p.k && s.peek() == '{' {
			if err := p.object(s, &p.k, depth+1); err != nil {
				return err
			}
			f.k = val{kind: kObject}
			continue
		}
		if f == &p.top && string(key.raw) == "data" {
			switch s.peek() {
			case '{':
				if err := p.object(s, &p.data, depth+1); err != nil {
					return err
				}
				f.data = val{kind: kObject}
				continue
			case '[':
				p.evs = p.evs[:0] // a repeated key: the last one wins
				p.elems = 0
				if err := p.parseArray(s, depth+1); err != nil {
					return err
				}
				f.data = val{kind: kArray}
				continue
			}
		}
		v, ok := s.value(depth + 1)
		if !ok {
			return errSyntax
		}
		f.set(key.raw, v)
	}
}

func (p *Parser) parseTop(s *scanner) (shutdown bool, err error) {
	if err := p.object(s, &p.top, 0); err != nil {
		return false, err
	}
	if !s.end() {
		return false, errSyntax
	}
	f := &p.top
	switch {
	case f.data.kind == kObject:
		if f.stream.kind != kString {
			return false, errUnknown
		}
		return p.payload(&p.data)
	case f.data.kind == kArray:
		if f.stream.kind != kString {
			return false, errUnknown
		}
		return false, nil // elements already handled
	case f.data.kind != kNone:
		return false, frameError("combined stream data is not an object or array")
	case f.err.kind == kObject:
		return false, errorFrame(f.err.raw)
	case f.code.kind == kNumber && f.msg.kind == kString:
		return false, frameError("binance error: " + clip(f.msg.raw))
	case f.e.kind == kNone && f.id.kind != kNone && (f.result.kind == kNull || f.result.kind == kArray):
		return false, nil // subscription ack or list
	}
	return p.payload(f)
}

// parseArray handles an array of miniTicker objects.
func (p *Parser) parseArray(s *scanner, depth int) error {
	s.ws()
	s.i++ // '['
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '{' {
			if _, ok := s.value(depth); !ok {
				return errSyntax
			}
			return errArrayElem
		}
		if err := p.object(s, &p.data, depth); err != nil {
			return err
		}
		p.elems++
		if _, err := p.payload(&p.data); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// payload handles one event object.
func (p *Parser) payload(f *fields) (shutdown bool, err error) {
	if f.e.kind != kString || f.e.esc {
		if f.e.kind == kNone {
			return false, errNoEvent
		}
		return false, errUnknownType
	}
	switch string(f.e.raw) {
	case "24hrMiniTicker":
		return false, p.miniTicker(f)
	case "aggTrade":
		return false, p.aggTrade(f)
	case "kline":
		return false, p.kline(f)
	case "serverShutdown":
		return true, nil
	}
	return false, errUnknownType
}

// symbol maps the pair to the base symbol; ok=false with a nil error for
// a pair not configured (skipped, not bad).
func (p *Parser) symbol(f *fields) (string, bool, error) {
	if f.s.kind != kString || f.s.esc {
		return "", false, errSymbol
	}
	sym, ok := p.symbols[string(f.s.raw)]
	return sym, ok, nil
}

func (p *Parser) miniTicker(f *fields) error {
	sym, ok, err := p.symbol(f)
	if !ok {
		return err
	}
	ms, ok := millis(f.E)
	if !ok {
		return errTime
	}
	price, ok := decimal(f.c)
	if !ok || !(price > 0) {
		return errPrice
	}
	p.evs = append(p.evs, model.Event{Kind: model.EventQuote, Symbol: sym, Time: ms * 1e6, Price: price})
	return nil
}

func (p *Parser) aggTrade(f *fields) error {
	sym, ok, err := p.symbol(f)
	if !ok {
		return err
	}
	ms, ok := millis(f.T)
	if !ok {
		return errTime
	}
	price, ok := decimal(f.p)
	if !ok || !(price > 0) {
		return errPrice
	}
	qty, ok := decimal(f.q)
	if !ok || qty < 0 {
		return errQty
	}
	if f.m.kind != kBool {
		return errSide
	}
	side := model.SideBuy // the buyer took liquidity
	if f.m.raw[0] == 't' {
		side = model.SideSell // the buyer was the maker: a seller took it
	}
	p.evs = append(p.evs, model.Event{Kind: model.EventTrade, Symbol: sym, Time: ms * 1e6, Price: price, Qty: qty, Side: side})
	return nil
}

func (p *Parser) kline(f *fields) error {
	sym, ok, err := p.symbol(f)
	if !ok {
		return err
	}
	if f.k.kind != kObject {
		return errKline
	}
	k := &p.k
	ms, ok := millis(f.E)
	if !ok {
		return errTime
	}
	start, ok := millis(k.t)
	if !ok || start%60000 != 0 {
		return errKlineTime
	}
	if k.i.kind != kString || string(k.i.raw) != "1m" {
		return errInterval
	}
	if k.x.kind != kBool {
		return errClosed
	}
	o, ok1 := decimal(k.o)
	h, ok2 := decimal(k.h)
	l, ok3 := decimal(k.l)
	c, ok4 := decimal(k.c)
	if !(ok1 && ok2 && ok3 && ok4) {
		return errPrice
	}
	vol, ok := decimal(k.v)
	if !ok || vol < 0 {
		return errQty
	}
	if !(l > 0) || h < l || o < l || o > h || c < l || c > h {
		return errKlineShape
	}
	p.evs = append(p.evs, model.Event{Kind: model.EventCandle, Symbol: sym, Time: ms * 1e6, Res: model.Minute,
		Candle: model.Candle{T: start / 1000, Open: o, High: h, Low: l, Close: c, Volume: vol}})
	return nil
}

// maxMillis keeps ms*1e6 inside int64 (year 2255).
const maxMillis = 9_000_000_000_000

// millis parses a JSON number of milliseconds: digits only, 1..maxMillis.
func millis(v val) (int64, bool) {
	if v.kind != kNumber || len(v.raw) == 0 || len(v.raw) > 13 {
		return 0, false
	}
	var n int64
	for _, c := range v.raw {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0 && n <= maxMillis
}

// decimal parses a decimal string such as "105234.56000000": an optional
// minus, digits, and an optional fraction; nothing else (no exponent, NaN,
// Inf, hex or underscores, which strconv.ParseFloat would accept). The
// result is finite.
func decimal(v val) (float64, bool) {
	b := v.raw
	if v.kind != kString || v.esc || len(b) == 0 || len(b) > 64 {
		return 0, false
	}
	i := 0
	if b[0] == '-' {
		i++
	}
	d := i
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	if i == d {
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d = i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == d {
			return 0, false
		}
	}
	if i != len(b) {
		return 0, false
	}
	// The bytes are not kept: ParseFloat copies nothing on success, and
	// the syntax was checked so it cannot fail but with a range error.
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// errorFrame turns {"code":2,"msg":"..."} (an "error" member) into words.
func errorFrame(raw []byte) error {
	s := scanner{b: raw}
	var msg []byte
	if s.openObject() {
		for first := true; ; first = false {
			k, v, st := s.member(1, first)
			if st != memberOK {
				break
			}
			if string(k.raw) == "msg" && v.kind == kString {
				msg = v.raw
			}
		}
	}
	if msg == nil {
		return frameError("binance error")
	}
	return frameError("binance error: " + clip(msg))
}

// clip keeps an exchange's message short; the model strips control
// characters from reasons before they reach the screen.
func clip(b []byte) string {
	const n = 120
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

package binance

import (
	"math"
	"strings"

	"github.com/tokentop/tokentop/feeds/internal/jsonscan"
	"github.com/tokentop/tokentop/model"
)

// The frames are read with jsonscan (exact, case-sensitive keys: "t"/"T"
// and "c"/"C" collide in encoding/json). Values are captured raw and read
// once the whole object is known.

// maxDepth is the nesting limit of a frame.
const maxDepth = 32

type val = jsonscan.Value

const (
	kNone   = jsonscan.None
	kString = jsonscan.String
	kNumber = jsonscan.Number
	kBool   = jsonscan.Bool
	kNull   = jsonscan.Null
	kObject = jsonscan.Object
	kArray  = jsonscan.Array
)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

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
	sc      jsonscan.Scanner
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
	s := &p.sc
	s.Reset(frame)
	s.SetMaxDepth(maxDepth)
	switch s.Peek() {
	case 0:
		return nil, false, errEmpty
	case '{':
		shutdown, err = p.parseTop(s)
	case '[':
		err = p.parseArray(s)
	default:
		if _, ok := s.Value(); ok && s.End() {
			return nil, false, errNotObject
		}
		return nil, false, errSyntax
	}
	if err == nil && !s.End() {
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
func (p *Parser) object(s *jsonscan.Scanner, f *fields) error {
	*f = fields{}
	if !s.BeginObject() {
		return errSyntax
	}
	for first := true; ; first = false {
		key, esc, ok := s.RawKey(first)
		if !ok {
			if !s.OK() {
				return errSyntax
			}
			return nil
		}
		if esc {
			return errEscapedKey
		}
		if len(key) == 1 && key[0] == 'k' && f != &p.k && s.Peek() == '{' {
			if err := p.object(s, &p.k); err != nil {
				return err
			}
			f.k = val{Kind: kObject}
			continue
		}
		if f == &p.top && string(key) == "data" {
			switch s.Peek() {
			case '{':
				if err := p.object(s, &p.data); err != nil {
					return err
				}
				f.data = val{Kind: kObject}
				continue
			case '[':
				p.evs = p.evs[:0] // a repeated key: the last one wins
				p.elems = 0
				// A combined stream's data array has always been allowed
				// one level more than the rest of a frame.
				s.SetMaxDepth(maxDepth + 1)
				err := p.parseArray(s)
				s.SetMaxDepth(maxDepth)
				if err != nil {
					return err
				}
				f.data = val{Kind: kArray}
				continue
			}
		}
		v, ok := s.Value()
		if !ok {
			return errSyntax
		}
		f.set(key, v)
	}
}

func (p *Parser) parseTop(s *jsonscan.Scanner) (shutdown bool, err error) {
	if err := p.object(s, &p.top); err != nil {
		return false, err
	}
	if !s.End() {
		return false, errSyntax
	}
	f := &p.top
	switch {
	case f.data.Kind == kObject:
		if f.stream.Kind != kString {
			return false, errUnknown
		}
		return p.payload(&p.data)
	case f.data.Kind == kArray:
		if f.stream.Kind != kString {
			return false, errUnknown
		}
		return false, nil // elements already handled
	case f.data.Kind != kNone:
		return false, frameError("combined stream data is not an object or array")
	case f.err.Kind == kObject:
		return false, errorFrame(f.err.Raw)
	case f.code.Kind == kNumber && f.msg.Kind == kString:
		return false, frameError("binance error: " + clip(f.msg.Raw))
	case f.e.Kind == kNone && f.id.Kind != kNone && (f.result.Kind == kNull || f.result.Kind == kArray):
		return false, nil // subscription ack or list
	}
	return p.payload(f)
}

// parseArray handles an array of miniTicker objects.
func (p *Parser) parseArray(s *jsonscan.Scanner) error {
	if !s.BeginArray() {
		return errSyntax
	}
	for first := true; s.Elem(first); first = false {
		if s.Peek() != '{' {
			if _, ok := s.Value(); !ok {
				return errSyntax
			}
			return errArrayElem
		}
		if err := p.object(s, &p.data); err != nil {
			return err
		}
		p.elems++
		if _, err := p.payload(&p.data); err != nil {
			return err
		}
	}
	if !s.OK() {
		return errSyntax
	}
	return nil
}

// payload handles one event object.
func (p *Parser) payload(f *fields) (shutdown bool, err error) {
	if f.e.Kind != kString || f.e.Esc {
		if f.e.Kind == kNone {
			return false, errNoEvent
		}
		return false, errUnknownType
	}
	switch string(f.e.Raw) {
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
	if f.s.Kind != kString || f.s.Esc {
		return "", false, errSymbol
	}
	sym, ok := p.symbols[string(f.s.Raw)]
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
	if f.m.Kind != kBool {
		return errSide
	}
	side := model.SideBuy // the buyer took liquidity
	if f.m.Raw[0] == 't' {
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
	if f.k.Kind != kObject {
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
	if k.i.Kind != kString || string(k.i.Raw) != "1m" {
		return errInterval
	}
	if k.x.Kind != kBool {
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
	if v.Kind != kNumber || len(v.Raw) == 0 || len(v.Raw) > 13 {
		return 0, false
	}
	var n int64
	for _, c := range v.Raw {
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
	b := v.Raw
	if v.Kind != kString || v.Esc || len(b) == 0 || len(b) > 64 {
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
	// The syntax was checked, so it cannot fail but with a range error.
	f, ok := jsonscan.ParseFloat(b)
	if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// errorFrame turns {"code":2,"msg":"..."} (an "error" member) into words.
func errorFrame(raw []byte) error {
	var s jsonscan.Scanner
	s.Reset(raw)
	s.SetMaxDepth(maxDepth)
	var msg []byte
	if s.BeginObject() {
		for first := true; ; first = false {
			k, _, ok := s.RawKey(first)
			if !ok {
				break
			}
			v, ok := s.Value()
			if !ok {
				break
			}
			if string(k) == "msg" && v.Kind == kString {
				msg = v.Raw
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

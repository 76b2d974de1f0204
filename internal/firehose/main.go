// Command firehose is a fake Binance on 127.0.0.1 for measuring tokentop
// under a live market at its busiest: combined websocket streams of
// miniTicker, kline_1m and aggTrade frames for many symbols at real peak
// rates, and a REST klines endpoint for the backfill. It is for
// performance work only (scripts/measure-firehose.sh) and is never built
// into tokentop.
//
//	go run ./internal/firehose -config /tmp/fh.toml [-symbols 400] [-trades 20] [-tickers 1] [-klines 2] [-history full|none] [-for 5m]
//
// It writes a tokentop config whose [feed] points Binance at its servers
// (plain ws:// and http:// to 127.0.0.1), then serves until -for passes or
// it is interrupted, printing frames per second to stderr every 10 s.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/tokentop/tokentop/feeds/demo"
	"github.com/tokentop/tokentop/feeds/feedtest"
)

type options struct {
	symbols int
	trades  float64 // aggTrade frames per symbol per second
	tickers float64 // miniTicker frames per symbol per second
	klines  float64 // kline frames per symbol per second
	history string  // "full": klines for any range asked; "none": empty answers
	config  string
	run     time.Duration
}

func main() {
	var o options
	flag.IntVar(&o.symbols, "symbols", 400, "symbols to stream (1..500, the demo's universe)")
	flag.Float64Var(&o.trades, "trades", 20, "aggTrade frames per symbol per second")
	flag.Float64Var(&o.tickers, "tickers", 1, "miniTicker frames per symbol per second")
	flag.Float64Var(&o.klines, "klines", 2, "kline_1m frames per symbol per second")
	flag.StringVar(&o.history, "history", "full", "REST klines: full (bars for any range asked) or none (empty answers)")
	flag.StringVar(&o.config, "config", "", "write a tokentop config pointing at this server to this file (required)")
	flag.DurationVar(&o.run, "for", 0, "stop after this long (0: until interrupted)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "firehose:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.config == "" {
		return errors.New("-config FILE is required")
	}
	if o.symbols < 1 || o.symbols > demo.MaxTokens {
		return fmt.Errorf("-symbols must be 1..%d", demo.MaxTokens)
	}
	if o.history != "full" && o.history != "none" {
		return fmt.Errorf("-history must be full or none, got %q", o.history)
	}
	m := newMarket(o)
	ws := feedtest.StartWSServer(m.stream)
	defer ws.Close()
	rest := feedtest.StartRESTServer()
	defer rest.Close()
	rest.Handle("/api/v3/klines", m.klines)
	rest.Handle("/api/v3/ticker/24hr", m.ticker24h)
	if err := os.WriteFile(o.config, m.configTOML(ws.URL, rest.URL), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "firehose: %d symbols, %.0f trades + %.0f tickers + %.0f klines a second each; ws %s rest %s; config %s\n",
		o.symbols, o.trades, o.tickers, o.klines, ws.URL, rest.URL, o.config)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.run > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.run)
		defer cancel()
	}
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	last, lastAt := m.sent.Load(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			n := m.sent.Load()
			fmt.Fprintf(os.Stderr, "firehose: %.0f frames/s, %d connections, %d REST requests\n",
				float64(n-last)/now.Sub(lastAt).Seconds(), len(ws.Conns()), m.requests.Load())
			last, lastAt = n, now
		}
	}
}

// market is the fake exchange's symbols and counters.
type market struct {
	o        options
	bases    []string
	base     map[string]int // "BTCUSDT" -> index
	start    []float64      // price scale by index
	sent     atomic.Int64   // frames sent
	requests atomic.Int64
}

func newMarket(o options) *market {
	u := demo.NewGenerator(demo.Options{Tokens: max(o.symbols, 46)}).Universe()[:o.symbols]
	m := &market{o: o, base: map[string]int{}}
	for i, t := range u {
		m.bases = append(m.bases, t.Symbol)
		m.base[t.Symbol+"USDT"] = i
		m.start = append(m.start, t.MarketCap/t.Supply)
	}
	return m
}

// configTOML is a tokentop config streaming every symbol from this server.
func (m *market) configTOML(wsURL, restURL string) []byte {
	var b strings.Builder
	b.WriteString("# written by internal/firehose\n[feed]\nsources = [\"binance\"]\nmetadata = false\nsymbols = [")
	for i, s := range m.bases {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(s))
	}
	fmt.Fprintf(&b, "]\n\n[feed.binance]\nws_url = %q\nrest_url = %q\n", wsURL, restURL)
	return []byte(b.String())
}

// pathPrice is the deterministic price of symbol i at Unix ms t: slow
// waves around its starting price, the same for the backfill and the
// stream's start.
func (m *market) pathPrice(i int, t int64) float64 {
	x := float64(t) / 1000
	ph := float64(i) * 0.7
	return m.start[i] * math.Exp(0.04*math.Sin(2*math.Pi*x/(7*86400)+ph)+
		0.015*math.Sin(2*math.Pi*x/86400+2*ph)+0.004*math.Sin(2*math.Pi*x/3600+3*ph))
}

// klines answers /api/v3/klines with bars of the path for the range asked
// (at most limit), or nothing with -history none.
func (m *market) klines(w http.ResponseWriter, r *http.Request) {
	m.requests.Add(1)
	q := r.URL.Query()
	i, ok := m.base[q.Get("symbol")]
	width := map[string]int64{"1m": 60e3, "1h": 3600e3, "1d": 86400e3}[q.Get("interval")]
	if !ok || width == 0 {
		http.Error(w, `{"code":-1121,"msg":"Invalid symbol."}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if m.o.history == "none" {
		w.Write([]byte("[]"))
		return
	}
	from, _ := strconv.ParseInt(q.Get("startTime"), 10, 64)
	to, _ := strconv.ParseInt(q.Get("endTime"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	now := time.Now().UnixMilli()
	if to <= 0 || to > now {
		to = now
	}
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	b := []byte{'['}
	n := 0
	for t := (from + width - 1) / width * width; t <= to && n < limit; t += width {
		o, c := m.pathPrice(i, t), m.pathPrice(i, min(t+width, now))
		hi, lo := max(o, c)*1.0008, min(o, c)*0.9992
		vol := 2e6 * float64(width/60e3) / ((o + c) / 2) * (1 + 0.3*math.Sin(float64(t)/7e6))
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, t, 10)
		for _, v := range []float64{o, hi, lo, c, vol} {
			b = appendQuoted(append(b, ','), v)
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, t+width-1, 10)
		b = appendQuoted(append(b, ','), vol*c)
		b = append(b, ",100,"...)
		b = appendQuoted(b, vol/2)
		b = appendQuoted(append(b, ','), vol*c/2)
		b = append(b, `,"0"]`...)
		n++
	}
	b = append(b, ']')
	w.Write(b)
}

// ticker24h answers /api/v3/ticker/24hr (for top = N configs): every
// symbol with a quote volume.
func (m *market) ticker24h(w http.ResponseWriter, r *http.Request) {
	m.requests.Add(1)
	now := time.Now().UnixMilli()
	b := []byte{'['}
	for i, s := range m.bases {
		if i > 0 {
			b = append(b, ',')
		}
		p := m.pathPrice(i, now)
		b = append(b, `{"symbol":"`...)
		b = append(b, s...)
		b = append(b, `USDT","lastPrice":`...)
		b = appendQuoted(b, p)
		b = append(b, `,"quoteVolume":`...)
		b = appendQuoted(b, 5e9/float64(i+1))
		b = append(b, '}')
	}
	b = append(b, ']')
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func appendQuoted(b []byte, v float64) []byte {
	b = append(b, '"')
	b = strconv.AppendFloat(b, v, 'f', 8, 64)
	return append(b, '"')
}

// symState is one symbol's live market on one connection.
type symState struct {
	i                      int
	pair, upper            string // "btcusdt", "BTCUSDT"
	trade, ticker, kline   bool   // streams asked for
	accT, accTk, accK      float64
	price                  float64
	open24, high24, low24  float64
	vol24, quote24         float64
	minute                 int64 // Unix ms of the kline's minute
	o, h, l, c, v, qv      float64
	tradeID, first, trades int64
	qty                    float64 // of the last trade
}

// stream serves one combined-stream connection: every symbol it asked for,
// at the configured rates, until the client goes or the server closes.
func (m *market) stream(ctx context.Context, c *feedtest.WSConn) {
	byPair := map[string]*symState{}
	var syms []*symState
	for _, s := range c.Streams() {
		pair, kind, _ := strings.Cut(s, "@")
		i, ok := m.base[strings.ToUpper(pair)]
		if !ok {
			continue
		}
		st := byPair[pair]
		if st == nil {
			p := m.pathPrice(i, time.Now().UnixMilli())
			st = &symState{i: i, pair: pair, upper: strings.ToUpper(pair), price: p, open24: p, high24: p * 1.02, low24: p * 0.98,
				vol24: 5e7 / p, quote24: 5e7, tradeID: int64(i) * 1e9}
			byPair[pair] = st
			syms = append(syms, st)
		}
		switch kind {
		case "aggTrade":
			st.trade = true
		case "miniTicker":
			st.ticker = true
		case "kline_1m":
			st.kline = true
		}
	}
	rng := rand.New(rand.NewPCG(uint64(c.N), 7))
	buf := make([]byte, 0, 1024)
	send := func() bool {
		if err := c.Write(ctx, websocket.MessageText, buf); err != nil {
			return false
		}
		m.sent.Add(1)
		return true
	}
	const every = 10 * time.Millisecond
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			dt := now.Sub(last).Seconds()
			last = now
			ms := now.UnixMilli()
			for _, st := range syms {
				if st.trade {
					for st.accT += m.o.trades * dt; st.accT >= 1; st.accT-- {
						st.nextTrade(rng, ms)
						if buf = st.appendTrade(buf[:0], ms); !send() {
							return
						}
					}
				}
				if st.kline {
					for st.accK += m.o.klines * dt; st.accK >= 1; st.accK-- {
						if buf = st.appendKline(buf[:0], ms); !send() {
							return
						}
					}
				}
				if st.ticker {
					for st.accTk += m.o.tickers * dt; st.accTk >= 1; st.accTk-- {
						if buf = st.appendTicker(buf[:0], ms); !send() {
							return
						}
					}
				}
			}
		}
	}
}

// nextTrade moves the symbol's price by one trade and books it in the
// minute's kline and the 24 h ticker.
func (st *symState) nextTrade(rng *rand.Rand, ms int64) {
	st.price *= math.Exp(3e-4 * rng.NormFloat64())
	qty := 200 * math.Exp(rng.NormFloat64()) / st.price
	st.qty = qty
	minute := ms - ms%60000
	if minute != st.minute {
		st.minute, st.o, st.h, st.l, st.v, st.qv, st.first = minute, st.price, st.price, st.price, 0, 0, st.tradeID+1
	}
	st.tradeID++
	st.trades++
	st.h, st.l, st.c = max(st.h, st.price), min(st.l, st.price), st.price
	st.v += qty
	st.qv += qty * st.price
	st.high24, st.low24 = max(st.high24, st.price), min(st.low24, st.price)
	st.vol24 += qty
	st.quote24 += qty * st.price
}

func (st *symState) head(b []byte, stream, event string, ms int64) []byte {
	b = append(b, `{"stream":"`...)
	b = append(b, st.pair...)
	b = append(b, '@')
	b = append(b, stream...)
	b = append(b, `","data":{"e":"`...)
	b = append(b, event...)
	b = append(b, `","E":`...)
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, `,"s":"`...)
	b = append(b, st.upper...)
	return append(b, '"')
}

func (st *symState) appendTrade(b []byte, ms int64) []byte {
	b = st.head(b, "aggTrade", "aggTrade", ms)
	b = append(b, `,"a":`...)
	b = strconv.AppendInt(b, st.tradeID, 10)
	b = appendQuoted(append(b, `,"p":`...), st.price)
	b = appendQuoted(append(b, `,"q":`...), st.qty)
	b = append(b, `,"f":`...)
	b = strconv.AppendInt(b, st.tradeID, 10)
	b = append(b, `,"l":`...)
	b = strconv.AppendInt(b, st.tradeID, 10)
	b = append(b, `,"T":`...)
	b = strconv.AppendInt(b, ms, 10)
	if st.tradeID%2 == 0 {
		b = append(b, `,"m":true,"M":true}}`...)
	} else {
		b = append(b, `,"m":false,"M":true}}`...)
	}
	return b
}

func (st *symState) appendKline(b []byte, ms int64) []byte {
	if st.minute == 0 {
		st.minute, st.o, st.h, st.l, st.c = ms-ms%60000, st.price, st.price, st.price, st.price
	}
	b = st.head(b, "kline_1m", "kline", ms)
	b = append(b, `,"k":{"t":`...)
	b = strconv.AppendInt(b, st.minute, 10)
	b = append(b, `,"T":`...)
	b = strconv.AppendInt(b, st.minute+59999, 10)
	b = append(b, `,"s":"`...)
	b = append(b, st.upper...)
	b = append(b, `","i":"1m","f":`...)
	b = strconv.AppendInt(b, st.first, 10)
	b = append(b, `,"L":`...)
	b = strconv.AppendInt(b, st.tradeID, 10)
	for _, kv := range []struct {
		k string
		v float64
	}{{"o", st.o}, {"c", st.c}, {"h", st.h}, {"l", st.l}, {"v", st.v}} {
		b = append(b, `,"`...)
		b = append(b, kv.k...)
		b = appendQuoted(append(b, `":`...), kv.v)
	}
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, st.tradeID-st.first+1, 10)
	b = appendQuoted(append(b, `,"x":false,"q":`...), st.qv)
	b = appendQuoted(append(b, `,"V":`...), st.v/2)
	b = appendQuoted(append(b, `,"Q":`...), st.qv/2)
	return append(b, `,"B":"0"}}}`...)
}

func (st *symState) appendTicker(b []byte, ms int64) []byte {
	b = st.head(b, "miniTicker", "24hrMiniTicker", ms)
	for _, kv := range []struct {
		k string
		v float64
	}{{"c", st.price}, {"o", st.open24}, {"h", st.high24}, {"l", st.low24}, {"v", st.vol24}, {"q", st.quote24}} {
		b = append(b, `,"`...)
		b = append(b, kv.k...)
		b = appendQuoted(append(b, `":`...), kv.v)
	}
	return append(b, "}}"...)
}

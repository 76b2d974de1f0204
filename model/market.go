package model

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokentop/tokentop/internal/safetext"
)

// MarketOptions tune a Market. Zero values take the defaults.
type MarketOptions struct {
	Clock         Clock         // default time.Now
	PublishEvery  time.Duration // default 100ms; a snapshot is published only if something changed
	QueueSize     int           // default 8192
	MaxTrades     int           // recent trades kept per token, default 50
	WhaleNotional float64       // trade notional >= this is a whale trade (Trade.Whale=true); default 100000
	// MaxFutureSkew refuses events stamped further than this ahead of the
	// market clock (a hostile or broken timestamp would otherwise push a
	// token's history window into the future). Default 10m; negative turns
	// the check off.
	MaxFutureSkew time.Duration
	// Ratings tune the ratings engine (docs/RATINGS.md); zero values take
	// DefaultRatingsOptions.
	Ratings RatingsOptions
	// Journal, when set, restores the ratings engine's flips and picks
	// (persist.go). NewMarket applies it; invalid entries are dropped and
	// counted in Snapshot.BadEvents.
	Journal *Journal
	// Warm, when set, is applied by NewMarket, before Run reads any event:
	// its tokens show their cached history at once (sparkline, changes,
	// and grades from the first publish), marked by TokenView.Cached until
	// a feed's candle covering the end of that history fills the gap.
	// Invalid entries are dropped and counted in Snapshot.BadEvents.
	Warm *WarmStart
	// Logger, when set, hears of values refused as implausible (the first
	// 100, then one in 1000, so a flood cannot fill the disk). nil = none.
	Logger *slog.Logger
	// CandlesCache is how many chart answers the candles cache keeps
	// (candles.go); default DefaultCandlesCacheSize, negative turns the
	// cache off (every Candles call goes to the hub).
	CandlesCache int
}

// Defaults of MarketOptions.
const (
	DefaultPublishEvery  = 100 * time.Millisecond
	DefaultQueueSize     = 8192
	DefaultMaxTrades     = 50
	DefaultWhaleNotional = 100_000
	DefaultMaxFutureSkew = 10 * time.Minute
)

// Limits on what the hub accepts from feeds.
const (
	maxSymbolLen = 32
	maxNameLen   = 64 // runes
	batchMax     = 1024
)

// ErrMarketStopped is returned by requests made after Run has returned.
var ErrMarketStopped = errors.New("market stopped")

// Market is the hub: one goroutine (Run) owns every token's state, applies
// the events feeds send, and publishes immutable Snapshots to subscribers.
type Market struct {
	opts MarketOptions

	events       chan Event
	requests     chan candlesRequest
	candlesCache *candlesCache
	histories    chan chan []WarmToken // History requests: the hub replies on the channel sent
	done         chan struct{}
	running      atomic.Bool

	statusMu      sync.Mutex
	statusPending map[string]FeedStatus
	statusWake    chan struct{}

	subsMu sync.Mutex
	subs   []*Mailbox[*Snapshot]
	latest *Snapshot
	closed bool

	// Everything below is owned by the Run goroutine.
	tokens      map[string]*token
	list        []*token // in rank order after each publish
	feeds       []FeedStatus
	feedsDirty  bool
	dirty       bool
	now         int64 // market clock (Unix ns) of the batch being applied
	skew        int64
	lastEvent   int64
	applied     uint64
	live        uint64 // applied events stamped within liveAge of the market clock
	bad         uint64
	implausible uint64 // of bad: values refused by the plausibility rule (plausible.go)
	seq         uint64
	prev        *Snapshot
	official    *OfficialMoonshots // the provider's latest moonshots, as published

	rateAt      int64  // market clock of the last rate sample
	rateApplied uint64 // m.live at the last rate sample
	rate        float64
	ratePub     float64

	rt ratingsEngine

	everLive      bool // a feed has reported live
	historyWaited int  // publishes spent waiting for the back history (historyLoading)
	histDirty     bool // back-history bars applied since the last recompute
	histWait      int  // publishes before back-history bars may bring a recompute forward again

	warmSaved  time.Time // WarmStart.Saved of the cache applied; zero = none
	warmN      int       // tokens still marked as cached (token.cachedUntil != 0)
	histBuf    []Candle  // scratch for History
	candlesBuf []Candle  // scratch for candles
}

// token is the hub's private state of one token.
type token struct {
	sym    string
	name   string
	cap    float64 // from metadata; 0 = unknown
	supply float64 // 0 = unknown
	price  float64
	last   int64 // Unix ns of the last event applied
	series *Series

	// outlier is the first of outlierN prices in a row refused for their
	// jump from price (plausibleAgainst): enough of them are a new level.
	outlier  float64
	outlierN uint8

	// The kept trades, newest first, are trades[tradeAt:tradeAt+tradeN]
	// (at most MaxTrades). A new trade goes just before them, so a list
	// published earlier never changes; when there is no room left, the
	// newest move to the end of a new buffer of 2 × MaxTrades (nil until
	// the first trade).
	trades  []Trade
	tradeAt int
	tradeN  int

	r tokenRating // grades, signal, moonshot state

	// cachedUntil is the end (Unix s) of the history that came from the
	// warm-start cache, while the gap after it is not yet filled by a
	// feed's candle; 0 otherwise.
	cachedUntil int64

	changed bool
	version uint64
	view    *TokenView

	// The sparkline's points that stand while the series' older bars do
	// (Series.sparkPrefix), kept as the first points of view.Spark.
	sparkEnd  int64
	sparkGens [numRes]uint32
	sparkAt   sparkState
}

type candlesRequest struct {
	symbol  string
	span    time.Duration
	maxBars int
	reply   chan candlesReply // buffered: the hub never waits on it
}

type candlesReply struct {
	candles []Candle
	err     error
}

// NewMarket returns a Market; start it with Run.
func NewMarket(opts MarketOptions) *Market {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.PublishEvery <= 0 {
		opts.PublishEvery = DefaultPublishEvery
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.MaxTrades <= 0 {
		opts.MaxTrades = DefaultMaxTrades
	}
	if !(opts.WhaleNotional > 0) || math.IsInf(opts.WhaleNotional, 1) {
		opts.WhaleNotional = DefaultWhaleNotional
	}
	if opts.MaxFutureSkew == 0 {
		opts.MaxFutureSkew = DefaultMaxFutureSkew
	}
	if opts.CandlesCache == 0 {
		opts.CandlesCache = DefaultCandlesCacheSize
	}
	m := &Market{
		rt:            newRatingsEngine(opts.Ratings),
		opts:          opts,
		events:        make(chan Event, opts.QueueSize),
		requests:      make(chan candlesRequest),
		candlesCache:  newCandlesCache(opts.CandlesCache),
		histories:     make(chan chan []WarmToken),
		done:          make(chan struct{}),
		statusPending: make(map[string]FeedStatus),
		statusWake:    make(chan struct{}, 1),
		tokens:        make(map[string]*token),
		skew:          int64(opts.MaxFutureSkew),
	}
	if opts.Journal != nil || opts.Warm != nil {
		m.now = opts.Clock().UnixNano() // what "in the future" means for both
	}
	if opts.Journal != nil {
		m.restoreJournal(opts.Journal)
	}
	if opts.Warm != nil {
		m.applyWarm(opts.Warm)
	}
	return m
}

// Send enqueues ev for the hub, waiting while the queue is full. It returns
// false once ctx ends or the market has stopped. (feeds.Sink)
func (m *Market) Send(ctx context.Context, ev Event) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case m.events <- ev:
		return true
	case <-ctx.Done():
		return false
	case <-m.done:
		return false
	}
}

// Status records a feed's state. It never blocks: reports from one feed
// that the hub has not yet taken are coalesced, the latest wins. (feeds.Sink)
func (m *Market) Status(st FeedStatus) {
	st.Name = strings.TrimSpace(safetext.Line(st.Name, maxNameLen))
	st.Reason = strings.TrimSpace(safetext.Line(st.Reason, 200))
	st.History = strings.TrimSpace(safetext.Line(st.History, 200))
	m.statusMu.Lock()
	m.statusPending[st.Name] = st
	m.statusMu.Unlock()
	select {
	case m.statusWake <- struct{}{}:
	default:
	}
}

// Subscribe returns a mailbox that receives every snapshot published from
// now on (coalesced: a slow reader sees only the newest). The latest
// snapshot, if any, is put in at once. When ctx ends the subscription
// ends: deliveries stop and the mailbox is closed, so a subscriber cannot
// be forgotten while the hub keeps feeding it. The hub stopping closes it
// too.
func (m *Market) Subscribe(ctx context.Context) *Mailbox[*Snapshot] {
	mb := NewMailbox[*Snapshot]()
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	if m.closed || ctx.Err() != nil {
		if m.latest != nil {
			mb.Put(m.latest)
		}
		mb.Close()
		return mb
	}
	m.subs = append(m.subs, mb)
	if m.latest != nil {
		mb.Put(m.latest)
	}
	context.AfterFunc(ctx, func() { m.unsubscribe(mb) })
	return mb
}

// unsubscribe stops deliveries to mb and closes it.
func (m *Market) unsubscribe(mb *Mailbox[*Snapshot]) {
	m.subsMu.Lock()
	m.subs = slices.DeleteFunc(m.subs, func(x *Mailbox[*Snapshot]) bool { return x == mb })
	m.subsMu.Unlock()
	mb.Close()
}

// Subscribers is how many mailboxes the hub delivers to now.
func (m *Market) Subscribers() int {
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	return len(m.subs)
}

// Run is the hub: it applies events, serves requests and publishes
// snapshots until ctx ends, then closes every subscriber's mailbox and
// returns nil. It may run only once.
func (m *Market) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("market: Run called twice")
	}
	defer m.stop()
	ticker := time.NewTicker(m.opts.PublishEvery)
	defer ticker.Stop()
	m.rateAt = m.opts.Clock().UnixNano()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-m.events:
			m.now = m.opts.Clock().UnixNano()
			m.apply(&ev)
		drain:
			for range batchMax - 1 {
				select {
				case ev = <-m.events:
					m.apply(&ev)
				default:
					break drain
				}
			}
		case <-m.statusWake:
			// Events a feed sent before its status come first: a feed
			// that says "live" after its back history means all of it.
			if len(m.events) > 0 {
				m.now = m.opts.Clock().UnixNano()
				for n := len(m.events); n > 0; n-- {
					ev := <-m.events
					m.apply(&ev)
				}
			}
			wasLive := m.everLive
			m.takeStatuses()
			if m.everLive && !wasLive {
				// A feed's back history is in: grade and show it now,
				// not at the next tick.
				m.publish()
			}
		case req := <-m.requests:
			start := time.Now()
			c, err := m.candles(req.symbol, req.span, req.maxBars)
			req.reply <- candlesReply{candles: c, err: err}
			m.candlesCache.busy.Add(int64(time.Since(start)))
		case reply := <-m.histories:
			reply <- m.history()
		case <-ticker.C:
			m.publish()
		}
	}
}

func (m *Market) stop() {
	close(m.done)
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	m.closed = true
	for _, mb := range m.subs {
		mb.Close()
	}
	m.subs = nil
}

// validSymbol accepts 1..32 printable ASCII bytes, no spaces.
func validSymbol(s string) bool {
	if len(s) == 0 || len(s) > maxSymbolLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// apply applies one event; bad ones are counted and skipped. It allocates
// only when a symbol is seen for the first time or on metadata events.
func (m *Market) apply(ev *Event) {
	if ev.Kind == EventOfficialMoonshots { // not about one token: no symbol
		m.applyOfficialMoonshots(ev)
		return
	}
	if ev.Kind < EventQuote || ev.Kind > EventHistory || !validSymbol(ev.Symbol) {
		m.bad++
		m.dirty = true
		return
	}
	t := ev.Time
	switch {
	case t <= 0:
		t = m.now
	case m.skew > 0 && t > m.now+m.skew:
		m.bad++
		m.dirty = true
		return
	}
	switch ev.Kind {
	case EventQuote, EventTrade:
		if !finitePositive(ev.Price) || !(ev.Qty >= 0) || math.IsInf(ev.Qty, 1) {
			break
		}
		tk := m.tokens[ev.Symbol]
		if !PlausiblePrice(ev.Price) || ev.Kind == EventTrade && ev.Price*ev.Qty > MaxNotional ||
			!tk.plausibleAgainst(ev.Price, MaxTickJump) {
			m.refuse(ev, ev.Price)
			return
		}
		qty := ev.Qty
		if ev.Kind == EventQuote {
			qty = 0 // a quote is a price, not volume
		}
		if tk == nil {
			tk = m.token(ev.Symbol)
		}
		if !tk.series.Tick(t/1e9, ev.Price, qty) {
			// Valid but older than the history window: nothing to show.
			m.applied++
			return
		}
		if ev.Kind == EventTrade {
			tk.addTrade(Trade{Time: t, Price: ev.Price, Qty: ev.Qty, Side: ev.Side,
				Whale: ev.Price*ev.Qty >= m.opts.WhaleNotional}, m.opts.MaxTrades)
		}
		if t >= tk.last {
			tk.price, tk.last = ev.Price, t
		}
		m.touch(tk, t)
		return
	case EventCandle:
		c := ev.Candle
		tk := m.tokens[ev.Symbol]
		limit := int64(0)
		if m.skew > 0 {
			limit = (m.now + m.skew) / 1e9
		}
		switch checkCandle(tk, ev.Res, c, limit) {
		case candleBad:
			m.bad++
			m.dirty = true
			return
		case candleRefused:
			m.refuse(ev, c.Close)
			return
		}
		if tk == nil {
			tk = m.token(ev.Symbol)
		}
		if !tk.series.Add(ev.Res, c) {
			// Valid but older than the window: nothing to show, not bad.
			m.applied++
			return
		}
		if cu := tk.cachedUntil; cu != 0 {
			// The gap after the cached history is filled once a bar
			// covers its end (for 1m bars: the one starting there).
			if t0 := align(ev.Res, c.T); t0 <= cu && cu < t0+ev.Res.Seconds() {
				tk.cachedUntil = 0
				m.warmN--
			}
		}
		ct := ev.Time
		if ct <= 0 {
			ct = c.T * 1e9
		}
		if ct < m.now-liveAge {
			m.histDirty = true // back history: grades are due (rateDue)
		}
		if ct >= tk.last {
			tk.price, tk.last = c.Close, ct
		}
		m.touch(tk, ct)
		return
	case EventInfo:
		if ev.Info == nil {
			break
		}
		tk := m.token(ev.Symbol)
		if name := strings.TrimSpace(safetext.Line(ev.Info.Name, maxNameLen)); name != "" {
			tk.name = name
		}
		// Zero means unknown; anything else must be plausible.
		if v := ev.Info.MarketCap; v > 0 && v <= MaxMarketCap {
			tk.cap = v
		} else if v != 0 {
			m.refuse(ev, v)
		}
		if v := ev.Info.Supply; v > 0 && v <= MaxSupply {
			tk.supply = v
		} else if v != 0 {
			m.refuse(ev, v)
		}
		tk.changed, m.dirty = true, true
		m.applied++
		return
	case EventHistory:
		if m.applyHistory(ev) {
			return
		}
	case EventOfficial:
		if ev.Official == nil {
			break
		}
		tk := m.token(ev.Symbol)
		tk.setOfficial(ev.Official, t)
		tk.changed, m.dirty = true, true
		m.applied++
		return
	}
	m.bad++
	m.dirty = true
}

// applyOfficialMoonshots replaces the provider's moonshot lists with a
// cleaned copy of ev's: texts sanitised like names, non-finite numbers made
// NaN, picks without a symbol dropped (and counted bad), at most
// MaxOfficialMoonshots kept of each list.
func (m *Market) applyOfficialMoonshots(ev *Event) {
	o := ev.OfficialMoonshots
	t := ev.Time
	switch {
	case t <= 0:
		t = m.now
	case m.skew > 0 && t > m.now+m.skew:
		o = nil
	}
	m.dirty = true
	if o == nil {
		m.bad++
		return
	}
	out := &OfficialMoonshots{Provider: strings.TrimSpace(safetext.Line(o.Provider, maxNameLen)), Updated: o.Updated}
	if out.Updated.IsZero() || m.skew > 0 && out.Updated.UnixNano() > m.now+m.skew {
		out.Updated = time.Unix(0, t)
	}
	clean := func(in ReadOnly[Moonshot]) ReadOnly[Moonshot] {
		res := make([]Moonshot, 0, min(in.Len(), MaxOfficialMoonshots))
		for i := range in.s {
			if len(res) == MaxOfficialMoonshots {
				break
			}
			p := in.s[i]
			p.Symbol = strings.TrimSpace(safetext.Line(p.Symbol, maxSymbolLen))
			if p.Symbol == "" {
				m.bad++
				continue
			}
			p.Name = strings.TrimSpace(safetext.Line(p.Name, maxNameLen))
			p.ExitReason = strings.TrimSpace(safetext.Line(p.ExitReason, maxNameLen))
			for _, x := range []*float64{&p.EntryPrice, &p.EntryGrade, &p.Price, &p.ROI, &p.PeakROI,
				&p.Grade, &p.Volume24h, &p.MarketCap} {
				if math.IsInf(*x, 0) {
					*x = math.NaN()
				}
			}
			res = append(res, p)
		}
		if len(res) == 0 {
			return ReadOnly[Moonshot]{}
		}
		return frozen(res)
	}
	out.Active, out.Past = clean(o.Active), clean(o.Past)
	m.official = out
	m.applied++
}

// refuse counts an event (or one of its values) refused as implausible,
// and logs it when a logger is set (the first 100, then one in 1000).
func (m *Market) refuse(ev *Event, v float64) {
	m.bad++
	m.implausible++
	m.dirty = true
	if l := m.opts.Logger; l != nil && (m.implausible <= 100 || m.implausible%1000 == 0) {
		ref := 0.0
		if tk := m.tokens[ev.Symbol]; tk != nil {
			ref = tk.price
		}
		l.Warn("market: implausible value refused", "symbol", safetext.Line(ev.Symbol, maxSymbolLen),
			"kind", ev.Kind.String(), "value", v, "price_now", ref, "refused_total", m.implausible)
	}
}

func (m *Market) touch(tk *token, t int64) {
	tk.changed, m.dirty = true, true
	m.applied++
	if t >= m.now-liveAge {
		m.live++
	}
	if t > m.lastEvent {
		m.lastEvent = t
	}
}

// token finds or creates the state of symbol.
func (m *Market) token(sym string) *token { return m.tokenWith(sym, nil) }

// tokenWith finds or creates the state of symbol; a new one gets series
// (nil: a new empty one).
func (m *Market) tokenWith(sym string, series *Series) *token {
	if tk, ok := m.tokens[sym]; ok {
		return tk
	}
	if series == nil {
		series = NewSeries()
	}
	sym = strings.Clone(sym) // do not pin a feed's read buffer
	tk := &token{sym: sym, series: series}
	tk.r.init()
	m.tokens[sym] = tk
	m.list = append(m.list, tk)
	m.adoptJournal(tk)
	return tk
}

// addTrade keeps tr as the newest of at most limit trades.
func (tk *token) addTrade(tr Trade, limit int) {
	if tk.tradeAt == 0 {
		keep := min(tk.tradeN, limit-1)
		buf := make([]Trade, 2*limit)
		at := len(buf) - keep
		copy(buf[at:], tk.trades[tk.tradeAt:tk.tradeAt+keep])
		tk.trades, tk.tradeAt, tk.tradeN = buf, at, keep
	}
	tk.tradeAt--
	tk.trades[tk.tradeAt] = tr
	tk.tradeN = min(tk.tradeN+1, limit)
}

// publishedTrades is the kept trades, newest first, for a view: shared
// with the hub's own list, which only ever writes before it (addTrade), so
// it never changes; a copy is made once every MaxTrades trades, not at
// every publish of a busy token.
func (tk *token) publishedTrades() []Trade {
	if tk.tradeN == 0 {
		return nil
	}
	end := tk.tradeAt + tk.tradeN
	return tk.trades[tk.tradeAt:end:end]
}

func (m *Market) takeStatuses() {
	m.statusMu.Lock()
	pending := m.statusPending
	if len(pending) == 0 {
		m.statusMu.Unlock()
		return
	}
	m.statusPending = make(map[string]FeedStatus, len(pending))
	m.statusMu.Unlock()
	feeds := slices.Clone(m.feeds) // the published slice is immutable
	for i := range feeds {
		if st, ok := pending[feeds[i].Name]; ok {
			feeds[i] = st
			delete(pending, feeds[i].Name)
		}
	}
	for _, st := range pending {
		m.everLive = m.everLive || st.State == FeedLive
	}
	for _, st := range feeds {
		m.everLive = m.everLive || st.State == FeedLive
	}
	// New feeds: registration order is the order the hub first heard of
	// them; several in one batch go by name so the order is stable.
	fresh := make([]FeedStatus, 0, len(pending))
	for _, st := range pending {
		fresh = append(fresh, st)
	}
	slices.SortFunc(fresh, func(a, b FeedStatus) int { return strings.Compare(a.Name, b.Name) })
	m.feeds = append(feeds, fresh...)
	m.feedsDirty, m.dirty = true, true
}

// rateTau is the time constant of the events-per-second average.
const rateTau = float64(time.Second)

// liveAge is how old (on the market clock) an event may be and still count
// as live traffic in MsgPerSec. Back history arrives in a burst of tens of
// thousands of old bars; counting it would show a meaningless spike.
const liveAge = int64(2 * time.Minute)

// updateRate folds the events applied since the last sample into the
// exponentially weighted events-per-second, on the market clock.
func (m *Market) updateRate(now int64) {
	dt := now - m.rateAt
	if dt <= 0 {
		return
	}
	inst := float64(m.live-m.rateApplied) / (float64(dt) / 1e9)
	alpha := 1 - math.Exp(-float64(dt)/rateTau)
	m.rate += alpha * (inst - m.rate)
	if m.rate < 0.05 {
		m.rate = 0
	}
	m.rateAt, m.rateApplied = now, m.live
}

// publish recomputes the ratings that are due, then builds and delivers a
// snapshot if anything changed.
func (m *Market) publish() {
	if m.historyLoading() {
		m.historyWaited++
	}
	m.histWait--
	now := m.opts.Clock()
	m.updateRate(now.UnixNano())
	m.rateDue(now.UnixNano())
	rateMoved := math.Abs(m.rate-m.ratePub) > max(0.5, 0.05*m.ratePub) || (m.rate == 0) != (m.ratePub == 0)
	if !m.dirty && !rateMoved {
		return
	}
	snap := m.buildSnapshot(now)
	m.deliver(snap)
}

// buildSnapshot makes the next snapshot, rebuilding only the views of
// tokens that changed (or whose rank moved) and sharing the rest.
func (m *Market) buildSnapshot(now time.Time) *Snapshot {
	m.rateDue(now.UnixNano()) // a no-op unless ratings are due
	m.seq++
	snap := &Snapshot{
		Seq:         m.seq,
		Time:        now,
		MsgPerSec:   m.rate,
		BadEvents:   m.bad,
		Implausible: m.implausible,
		WarmSaved:   m.warmSaved,
		WarmTokens:  m.warmN,
	}
	if m.lastEvent > 0 {
		snap.LastEvent = time.Unix(0, m.lastEvent)
	}
	m.ratePub = m.rate
	tokensMoved := false
	for _, tk := range m.list {
		if tk.changed || tk.view == nil {
			tk.view = m.buildView(tk)
			tk.changed = false
			tokensMoved = true
		}
	}
	if tokensMoved || m.prev == nil {
		slices.SortFunc(m.list, byRank)
		tokens := make([]*TokenView, len(m.list))
		for i, tk := range m.list {
			rank := 0
			if tk.view.MarketCap > 0 {
				rank = i + 1
			}
			if tk.view.Rank != rank {
				v := *tk.view
				tk.version++
				v.Rank, v.Version = rank, tk.version
				tk.view = &v
			}
			tokens[i] = tk.view
		}
		snap.Tokens = frozen(tokens)
	} else {
		snap.Tokens = m.prev.Tokens
	}
	// The hub never writes into a slice it has published: each of these is
	// replaced by a new one when it changes (takeStatuses, updateMoonshots,
	// closePick), so sharing them between snapshots is safe.
	snap.Feeds = frozen(m.feeds)
	snap.Moonshots, snap.PastMoonshots, snap.Track = frozen(m.rt.openPub), frozen(m.rt.past), m.rt.track
	snap.Official = m.official
	m.dirty, m.feedsDirty = false, false
	m.prev = snap
	return snap
}

// byRank orders by market cap (largest first), unknown caps after by 24h
// volume (largest first), then by symbol.
func byRank(a, b *token) int {
	va, vb := a.view, b.view
	ka, kb := va.MarketCap > 0, vb.MarketCap > 0
	switch {
	case ka && !kb:
		return -1
	case kb && !ka:
		return 1
	case ka && va.MarketCap != vb.MarketCap:
		return -cmp.Compare(va.MarketCap, vb.MarketCap)
	case !ka && va.Volume24h != vb.Volume24h:
		return -cmp.Compare(va.Volume24h, vb.Volume24h)
	}
	return strings.Compare(a.sym, b.sym)
}

// buildView computes a fresh view of tk (rank is settled after sorting).
func (m *Market) buildView(tk *token) *TokenView {
	tk.version++
	s := tk.series
	last := tk.last / 1e9
	v := &TokenView{
		Symbol:     tk.sym,
		Name:       tk.name,
		Price:      tk.price,
		Change1h:   change(s, tk.price, last-3600),
		Change24h:  change(s, tk.price, last-86400),
		Change7d:   change(s, tk.price, last-7*86400),
		Supply:     tk.supply,
		Volatility: s.Volatility(last),
		Trades:     frozen(tk.publishedTrades()),
		Version:    tk.version,

		TraderGrade:   tk.r.trader.pub,
		InvestorGrade: tk.r.investor.pub,
		Signal:        tk.r.signal,
		Signals:       frozen(tk.r.signalsPub),
		Official:      tk.r.official,
	}
	if tk.view != nil {
		v.Rank = tk.view.Rank
	}
	if tk.last > 0 {
		v.LastUpdate = time.Unix(0, tk.last)
	}
	if tk.cachedUntil != 0 {
		v.Cached = time.Unix(tk.cachedUntil, 0)
	}
	v.High24h, v.Low24h, v.Volume24h, _ = s.Range24h(last)
	v.MarketCap = tk.marketCap()
	v.Spark = frozen(tk.spark(last))
	return v
}

// spark is the token's sparkline ending at end (Series.Spark): the points
// that stand are taken from the previous view when its series' older bars
// and end are unchanged (a busy token is republished ten times a second),
// the rest computed.
func (tk *token) spark(end int64) []float64 {
	s := tk.series
	dst := make([]float64, 0, SparkPoints)
	gens := s.sparkGens()
	if tk.view != nil && tk.sparkEnd == end && tk.sparkGens == gens && tk.view.Spark.Len() >= tk.sparkAt.n {
		dst = append(dst, tk.view.Spark.s[:tk.sparkAt.n]...)
		return s.sparkFrom(end, tk.sparkAt, dst)
	}
	dst, st := s.sparkPrefix(end, dst)
	tk.sparkEnd, tk.sparkGens, tk.sparkAt = end, gens, st
	return s.sparkFrom(end, st, dst)
}

// change is price against the close at t, as a fraction; NaN when the
// history does not reach t or there is no price.
func change(s *Series, price float64, t int64) float64 {
	if !(price > 0) {
		return math.NaN()
	}
	then, ok := s.CloseAt(t)
	if !ok {
		return math.NaN()
	}
	return price/then - 1
}

// ApplyNow applies ev at once, from the caller's goroutine. Only for use
// without Run (offline replays, tests); while Run is running it does
// nothing.
func (m *Market) ApplyNow(ev Event) {
	if m.running.Load() {
		return
	}
	m.now = m.opts.Clock().UnixNano()
	m.apply(&ev)
}

// SnapshotNow recomputes whatever ratings are due at the market clock and
// returns a fresh snapshot (also delivered to subscribers). Only without
// Run; while Run is running it returns the latest published snapshot.
func (m *Market) SnapshotNow() *Snapshot {
	if m.running.Load() {
		m.subsMu.Lock()
		defer m.subsMu.Unlock()
		return m.latest
	}
	now := m.opts.Clock()
	if m.rateAt == 0 {
		m.rateAt = now.UnixNano()
	}
	m.updateRate(now.UnixNano())
	snap := m.buildSnapshot(now)
	m.deliver(snap)
	return snap
}

func (m *Market) deliver(snap *Snapshot) {
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	m.latest = snap
	for _, mb := range m.subs {
		mb.Put(snap)
	}
}

// candles serves a Candles request on the hub goroutine. The bars are a
// new slice each time (published as read-only by hubCandles).
func (m *Market) candles(symbol string, span time.Duration, maxBars int) ([]Candle, error) {
	tk, ok := m.tokens[symbol]
	if !ok {
		return nil, fmt.Errorf("candles: unknown symbol %q", strings.TrimSpace(safetext.Line(symbol, maxSymbolLen)))
	}
	res := Day
	for r := Minute; r < Day; r++ {
		if int64(span/time.Second) <= int64(ringLens[r])*r.Seconds() {
			res = r
			break
		}
	}
	w := res.Seconds()
	end := tk.last / 1e9
	if end <= 0 {
		return nil, nil
	}
	to := end - end%w
	n := max((int64(span/time.Second)+w-1)/w, 1)
	from := to - (n-1)*w
	// The bars are read into the hub's scratch buffer and merged there;
	// only the answer, at its own size, is allocated (and may be cached).
	bars := tk.series.Candles(res, from, to, m.candlesBuf[:0])
	m.candlesBuf = bars[:0]
	if len(bars) == 0 {
		return nil, nil
	}
	if maxBars > 0 && int64(maxBars) < n {
		bars = mergeBars(bars, to, w, (n+int64(maxBars)-1)/int64(maxBars))
	}
	return slices.Clone(bars), nil
}

// mergeBars merges bars (oldest first, width w) into buckets of g bars
// counted back from the bar starting at to, in place.
func mergeBars(bars []Candle, to, w, g int64) []Candle {
	out := bars[:0]
	bucketOf := func(t int64) int64 { return (to - t) / w / g }
	for i := 0; i < len(bars); {
		b := bars[i]
		k := bucketOf(b.T)
		merged := Candle{T: to - (k*g+g-1)*w, Open: b.Open, High: b.High, Low: b.Low, Close: b.Close, Volume: b.Volume}
		j := i + 1
		for ; j < len(bars) && bucketOf(bars[j].T) == k; j++ {
			c := bars[j]
			merged.High = math.Max(merged.High, c.High)
			merged.Low = math.Min(merged.Low, c.Low)
			merged.Close = c.Close
			merged.Volume += c.Volume
		}
		out = append(out, merged)
		i = j
	}
	return out
}

package model

import "time"

// TokenView is one token as of a snapshot. It is immutable once published:
// the hub builds a new TokenView when anything about the token changes and
// reuses the old pointer otherwise (structural sharing), so Version and the
// pointer both tell a subscriber whether a row needs redrawing. Every
// subscriber holds the same pointer: never write through it (copy the
// struct to change a field); its lists are ReadOnly.
type TokenView struct {
	Symbol string
	Name   string
	Rank   int // by market cap, 1 = largest; 0 = unknown

	Price float64
	// Changes are fractions (0.0123 = +1.23%) of the price now against the
	// close 1h/24h/7d before the token's last update. NaN when the history
	// does not reach that far back.
	Change1h, Change24h, Change7d float64
	High24h, Low24h               float64 // NaN when unknown
	Volume24h                     float64 // quote currency (USD), from 1m bars
	MarketCap                     float64 // 0 = unknown
	Supply                        float64 // 0 = unknown
	Volatility                    float64 // annualised stdev of hourly log returns over 7d; NaN if unknown

	// Spark is the last 24h of closes, oldest first, one point per
	// SparkStep seconds.
	Spark ReadOnly[float64]
	// Trades are the most recent trades, newest first.
	Trades ReadOnly[Trade]

	// Ratings (docs/RATINGS.md). Absent grades have NaN values and a reason.
	TraderGrade   Grade
	InvestorGrade Grade
	Signal        Signal
	// Signals are the signal's flips, newest first, with their outcomes.
	Signals ReadOnly[SignalFlip]
	// Official is the outside provider's rating when one is configured and
	// has served this token; nil otherwise. Shared like the view: never
	// write through it.
	Official *OfficialRating

	// Cached is the end of the history that came from the warm-start cache
	// (market clock) while the gap after it is not yet filled by a feed;
	// zero otherwise. Spark points at or before it are cached ones.
	Cached time.Time

	LastUpdate time.Time // time of the last event applied (market clock)
	Version    uint64    // increases whenever this view changes
}

// SparkStep is the spacing of TokenView.Spark points in seconds.
const SparkStep = 30 * 60

// Snapshot is the whole market at one instant. Immutable once published
// and shared by every subscriber; safe to read from any goroutine. Its lists
// are ReadOnly, its pointers are never to be written through.
type Snapshot struct {
	Seq       uint64               // increases with every snapshot published
	Time      time.Time            // market clock when built
	Tokens    ReadOnly[*TokenView] // in rank order (market cap, then symbol)
	Feeds     ReadOnly[FeedStatus] // one per feed, in registration order
	MsgPerSec float64              // events applied per second, whole market
	LastEvent time.Time            // market clock of the newest event applied

	// Moonshots are the open picks, newest first; PastMoonshots the closed
	// ones, newest exit first. Track summarises the closed picks.
	Moonshots     ReadOnly[Moonshot]
	PastMoonshots ReadOnly[Moonshot]
	Track         TrackRecord
	// Official are the outside provider's moonshots when one is configured
	// and has served them; nil otherwise. Shared between snapshots until a
	// new EventOfficialMoonshots arrives.
	Official  *OfficialMoonshots
	BadEvents uint64 // events the market refused as malformed, since start
	// Implausible is how many of BadEvents were refused as implausible
	// numbers (plausible.go): absurd prices, jumps, quantities, caps.
	Implausible uint64
	// WarmSaved is when the warm-start cache in use was written (zero when
	// none was applied); WarmTokens how many tokens still show cached
	// history (TokenView.Cached set).
	WarmSaved  time.Time
	WarmTokens int
}

// Knows reports whether the snapshot lists symbol: the forms check a new
// lot's or alert's token with it (CheckKnownToken).
func (s *Snapshot) Knows(symbol string) bool { return s.Token(symbol) != nil }

// Token finds a token by symbol (linear; tokens are few).
func (s *Snapshot) Token(symbol string) *TokenView {
	if s == nil {
		return nil
	}
	for _, t := range s.Tokens.s {
		if t.Symbol == symbol {
			return t
		}
	}
	return nil
}

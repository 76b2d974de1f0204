package model

import (
	"math"
	"time"
)

// This file holds the ratings' data types: what the ratings engine (in the
// hub) publishes in snapshots, and what the UI and the `ratings` command
// show. docs/RATINGS.md gives the formulas.

// Band is a grade's label.
type Band int8

const (
	StrongBearish Band = iota - 2
	Bearish
	Neutral
	Bullish
	StrongBullish
)

func (b Band) String() string {
	switch b {
	case StrongBearish:
		return "Strong Bearish"
	case Bearish:
		return "Bearish"
	case Bullish:
		return "Bullish"
	case StrongBullish:
		return "Strong Bullish"
	default:
		return "Neutral"
	}
}

// Factor is one input of a grade, with its share of the result.
type Factor struct {
	Name   string  // "momentum 24h", "RSI(14)"
	Raw    float64 // the measured value in its own unit (a return, an RSI), NaN if unknown
	Unit   string  // how to show Raw: "%", "" (a plain number), "x" (a ratio)
	Score  float64 // Raw normalised across the tracked tokens, 0..100
	Weight float64 // the configured weight, normalised so a grade's weights sum to 1
	// Contribution is Weight*Score: the points this factor adds to the grade.
	Contribution float64
}

// Grade is a 0..100 score built from factors. A grade that cannot be computed
// honestly (too little history) is absent: Value is NaN and Reason says why.
type Grade struct {
	Value     float64 // 0..100, NaN when absent
	Band      Band
	Reason    string // why absent ("needs 24h of history, has 3h"); "" when present
	Factors   ReadOnly[Factor]
	Change24h float64 // Value now minus 24h ago (hourly grade history); NaN if unknown
	Change7d  float64 // NaN if unknown
}

// Present reports whether the grade has a value.
func (g Grade) Present() bool { return !math.IsNaN(g.Value) }

// NoGrade is an absent grade with its reason.
func NoGrade(reason string) Grade {
	return Grade{Value: math.NaN(), Reason: reason, Change24h: math.NaN(), Change7d: math.NaN()}
}

// Signal is the trend call derived from the Trader Grade with hysteresis.
type Signal int8

const (
	SignalBearish Signal = -1
	SignalNeutral Signal = 0
	SignalBullish Signal = 1
)

func (s Signal) String() string {
	switch s {
	case SignalBearish:
		return "bearish"
	case SignalBullish:
		return "bullish"
	default:
		return "neutral"
	}
}

// SignalFlip is one change of a token's signal, and how it has done since.
type SignalFlip struct {
	Time     time.Time // market clock
	From, To Signal
	Price    float64 // price at the flip
	Grade    float64 // Trader Grade at the flip
	// Return is the price move since the flip as a fraction (for the latest
	// flip: to the current price; for older ones: to the next flip), signed
	// in the direction of the call: positive when a bullish call rose or a
	// bearish call fell. NaN for a flip to neutral.
	Return float64
}

// Moonshot is a small cap the model flagged: its entry, how it has done, and
// (once it has left) its exit.
type Moonshot struct {
	Symbol     string
	Name       string
	Entry      time.Time // when flagged (market clock)
	EntryPrice float64
	EntryGrade float64
	Price      float64 // now, or at exit
	ROI        float64 // Price/EntryPrice - 1
	PeakROI    float64 // best ROI since entry
	Grade      float64 // Trader Grade now (or at exit)
	Volume24h  float64
	MarketCap  float64
	Exit       time.Time // zero while active
	ExitReason string    // "grade fell below 50", "stop loss -25%", "max age 7d"
}

// Active reports whether the pick is still open.
func (m Moonshot) Active() bool { return m.Exit.IsZero() }

// TrackRecord summarises closed (and optionally open) picks.
type TrackRecord struct {
	Picks     int     // closed picks counted
	Hits      int     // closed with ROI > 0
	HitRate   float64 // Hits/Picks; NaN when no picks
	MedianROI float64 // NaN when no picks
	MeanROI   float64 // NaN when no picks
}

// OfficialRating is a grade from an outside provider (Token Metrics),
// shown beside our own. NaN fields were not served.
type OfficialRating struct {
	Provider      string // "Token Metrics"
	TMGrade       float64
	TraderGrade   float64
	InvestorGrade float64
	Signal        Signal
	HasSignal     bool
	Updated       time.Time
}

// OfficialMoonshots are an outside provider's (Token Metrics) moonshot
// picks, shown beside our own. Published shared (Snapshot.Official): never
// write through the pointer. Fields the provider does not serve are NaN
// (numbers; 0 for MarketCap and Volume24h, as in TokenInfo) or zero (times,
// texts). ROI is as the provider gives it, as a fraction.
type OfficialMoonshots struct {
	Provider string             // "Token Metrics"
	Active   ReadOnly[Moonshot] // open picks, in the provider's order
	Past     ReadOnly[Moonshot] // closed picks, in the provider's order
	Updated  time.Time          // when the provider's lists were fetched
}

// MaxOfficialMoonshots is how many picks of each list the hub keeps.
const MaxOfficialMoonshots = 200

// TraderWeights weigh the Trader Grade's factors. They need not sum to 1:
// the engine normalises them. A zero weight drops the factor.
type TraderWeights struct {
	Momentum1h   float64 `toml:"momentum_1h"`
	Momentum4h   float64 `toml:"momentum_4h"`
	Momentum24h  float64 `toml:"momentum_24h"`
	Trend        float64 `toml:"trend"`         // fast against slow moving average
	RSI          float64 `toml:"rsi"`           // RSI(14) on short candles
	VolumeSurge  float64 `toml:"volume_surge"`  // recent against typical volume
	RiskAdjusted float64 `toml:"risk_adjusted"` // return over volatility
}

// InvestorWeights weigh the Investor Grade's factors.
type InvestorWeights struct {
	Return30d  float64 `toml:"return_30d"`
	Return90d  float64 `toml:"return_90d"`
	Drawdown   float64 `toml:"drawdown"`   // maximum drawdown (smaller is better)
	Volatility float64 `toml:"volatility"` // lower is better
	Liquidity  float64 `toml:"liquidity"`  // 24h volume
	Size       float64 `toml:"size"`       // market cap, when known
}

// RatingsOptions tune the ratings engine. Zero values take the defaults
// (DefaultRatingsOptions).
type RatingsOptions struct {
	TraderEvery   time.Duration // recompute Trader Grades and signals; default 1s (market clock)
	InvestorEvery time.Duration // recompute Investor Grades; default 1m

	Trader   TraderWeights
	Investor InvestorWeights

	// Signal hysteresis on the Trader Grade: bullish when the grade rises to
	// BullishEnter, back to neutral only when it falls below BullishExit;
	// bearish when it falls to BearishEnter, back only above BearishExit.
	BullishEnter, BullishExit float64 // default 65, 55
	BearishEnter, BearishExit float64 // default 35, 45

	// Moonshots: a token under MoonshotMaxCap whose Trader Grade is at least
	// MoonshotMinGrade, rose by at least MoonshotMinRise points over the last
	// hour, on a volume surge of at least MoonshotMinSurge times typical.
	MoonshotMaxCap   float64       // default 50e6 (USD)
	MoonshotMinGrade float64       // default 75
	MoonshotMinRise  float64       // default 15 (grade points in 1h)
	MoonshotMinSurge float64       // default 3 (x)
	ExitGrade        float64       // leave when the grade falls below this; default 45
	StopLoss         float64       // leave at this ROI; default -0.25
	MaxAge           time.Duration // leave after this long; default 7 days
	MaxPast          int           // past picks kept; default 200
	Cooldown         time.Duration // a closed pick's token may be picked again after this; default 24h
}

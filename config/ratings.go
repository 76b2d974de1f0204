package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/tokentop/tokentop/internal/tomlfile"
	"github.com/tokentop/tokentop/model"
)

// Ratings is the [ratings] table: which grades are shown (our own model, or
// the official ones from Token Metrics beside ours) and the tuning of our
// own model. The embedded model.RatingsOptions are the engine's settings.
type Ratings struct {
	// Provider is "own" (our model only; the default) or "tokenmetrics"
	// (also fetch Token Metrics' official grades and show them beside ours).
	Provider     string
	TokenMetrics struct {
		// APIKey is the Token Metrics data API key. The environment
		// variable TOKENMETRICS_API_KEY, when set, wins over it (see
		// Config.TokenMetricsAPIKey): keeping the key out of files is safer.
		APIKey string
		// URL is the API root; tokentop adds /v3/tm-grade and the like.
		// https, or http to a loopback address (for tests).
		URL string
		// Every is how often the grades are fetched; 1m..24h, default 1h.
		Every time.Duration
	}
	model.RatingsOptions
}

// Provider names.
const (
	ProviderOwn          = "own"
	ProviderTokenMetrics = "tokenmetrics"
)

// TokenMetricsAPIKeyEnv is the environment variable that holds the Token
// Metrics API key; it overrides tokenmetrics_api_key in the file.
const TokenMetricsAPIKeyEnv = "TOKENMETRICS_API_KEY"

// DefaultTokenMetricsURL is the Token Metrics data API root (its developer
// docs at developers.tokenmetrics.com: https://api.tokenmetrics.com/v2 and
// /v3 hang off it).
const DefaultTokenMetricsURL = "https://api.tokenmetrics.com"

// DefaultTokenMetricsEvery is the default refresh interval. The smallest
// paid plan allows 10,000 calls a month (Token Metrics' published plans),
// about 13 an hour; a refresh costs about 4 calls (TM Grades, trading
// signals, active and past moonshots), so hourly refreshes use about 2,900
// calls a month and leave room for restarts and a second machine. The
// grades themselves change at most a few times a day.
const DefaultTokenMetricsEvery = time.Hour

// Ranges of the [ratings] settings.
const (
	minTMEvery, maxTMEvery             = time.Minute, 24 * time.Hour
	minTraderEvery, maxTraderEvery     = 100 * time.Millisecond, time.Hour
	minInvestorEvery, maxInvestorEvery = time.Second, 24 * time.Hour
	maxWeight                          = 1000.0
	minMaxAge, maxMaxAge               = time.Hour, 365 * 24 * time.Hour
	minCooldown                        = time.Minute
	maxMaxPast                         = 10000
	maxAPIKeyLen                       = 256
	maxURLLen                          = 2048
	maxSurge                           = 1000.0
)

// defaultRatings is the [ratings] table's defaults: the engine's own
// (model.DefaultRatingsOptions) and the provider settings.
func defaultRatings() Ratings {
	var r Ratings
	r.Provider = ProviderOwn
	r.TokenMetrics.URL = DefaultTokenMetricsURL
	r.TokenMetrics.Every = DefaultTokenMetricsEvery
	r.RatingsOptions = model.DefaultRatingsOptions()
	return r
}

// RatingsOptions are the settings of our own ratings engine.
func (c Config) RatingsOptions() model.RatingsOptions { return c.Ratings.RatingsOptions }

// TokenMetricsAPIKey is the Token Metrics API key: the environment variable
// TOKENMETRICS_API_KEY when it is set (getenv is os.Getenv, or a stub in
// tests), else tokenmetrics_api_key from the file, else "".
func (c Config) TokenMetricsAPIKey(getenv func(string) string) string {
	if getenv != nil {
		if k := strings.TrimSpace(getenv(TokenMetricsAPIKeyEnv)); k != "" {
			return k
		}
	}
	return c.Ratings.TokenMetrics.APIKey
}

// setRating type-checks, range-checks and stores one [ratings] key (name is
// without the "ratings." prefix). It returns the problem in words, or "".
func setRating(r *Ratings, name string, v any) string {
	o := &r.RatingsOptions
	switch name {
	case "provider":
		s, problem := asString(v)
		if problem == "" {
			if problem = checkProvider(s); problem == "" {
				r.Provider = s
			}
		}
		return problem
	case "tokenmetrics_api_key":
		s, ok := v.(string)
		if !ok {
			// Never echo what might be a key.
			return "must be a string"
		}
		if problem := checkAPIKey(s); problem != "" {
			return problem
		}
		r.TokenMetrics.APIKey = s
		return ""
	case "tokenmetrics_url":
		s, problem := asString(v)
		if problem == "" {
			if problem = CheckTokenMetricsURL(s); problem == "" {
				r.TokenMetrics.URL = s
			}
		}
		return problem
	case "tokenmetrics_every":
		return setDuration(v, rangeDuration(minTMEvery, maxTMEvery), &r.TokenMetrics.Every)
	case "trader_every":
		return setDuration(v, rangeDuration(minTraderEvery, maxTraderEvery), &o.TraderEvery)
	case "investor_every":
		return setDuration(v, rangeDuration(minInvestorEvery, maxInvestorEvery), &o.InvestorEvery)
	case "max_age":
		return setDuration(v, rangeDuration(minMaxAge, maxMaxAge), &o.MaxAge)
	case "cooldown":
		return setDuration(v, rangeDuration(minCooldown, maxMaxAge), &o.Cooldown)
	case "bullish_enter":
		return setFloat(v, checkGradeLevel, &o.BullishEnter)
	case "bullish_exit":
		return setFloat(v, checkGradeLevel, &o.BullishExit)
	case "bearish_enter":
		return setFloat(v, checkGradeLevel, &o.BearishEnter)
	case "bearish_exit":
		return setFloat(v, checkGradeLevel, &o.BearishExit)
	case "moonshot_max_cap":
		return setFloat(v, checkMaxCap, &o.MoonshotMaxCap)
	case "moonshot_min_grade":
		return setFloat(v, checkPositiveGrade, &o.MoonshotMinGrade)
	case "moonshot_min_rise":
		return setFloat(v, checkPositiveGrade, &o.MoonshotMinRise)
	case "moonshot_min_surge":
		return setFloat(v, checkSurge, &o.MoonshotMinSurge)
	case "exit_grade":
		return setFloat(v, checkPositiveGrade, &o.ExitGrade)
	case "stop_loss":
		return setFloat(v, checkStopLoss, &o.StopLoss)
	case "max_past":
		return setInt(v, 1, maxMaxPast, &o.MaxPast)
	}
	if w := traderWeight(&o.Trader, strings.TrimPrefix(name, "trader_weights.")); w != nil && strings.HasPrefix(name, "trader_weights.") {
		return setFloat(v, checkWeight, w)
	}
	if w := investorWeight(&o.Investor, strings.TrimPrefix(name, "investor_weights.")); w != nil && strings.HasPrefix(name, "investor_weights.") {
		return setFloat(v, checkWeight, w)
	}
	return "unknown key"
}

func traderWeight(w *model.TraderWeights, key string) *float64 {
	switch key {
	case "momentum_1h":
		return &w.Momentum1h
	case "momentum_4h":
		return &w.Momentum4h
	case "momentum_24h":
		return &w.Momentum24h
	case "trend":
		return &w.Trend
	case "rsi":
		return &w.RSI
	case "volume_surge":
		return &w.VolumeSurge
	case "risk_adjusted":
		return &w.RiskAdjusted
	}
	return nil
}

func investorWeight(w *model.InvestorWeights, key string) *float64 {
	switch key {
	case "return_30d":
		return &w.Return30d
	case "return_90d":
		return &w.Return90d
	case "drawdown":
		return &w.Drawdown
	case "volatility":
		return &w.Volatility
	case "liquidity":
		return &w.Liquidity
	case "size":
		return &w.Size
	}
	return nil
}

func setFloat(v any, check func(float64) string, dst *float64) string {
	f, problem := asFloat(v)
	if problem != "" {
		return problem
	}
	if problem := check(f); problem != "" {
		return problem
	}
	*dst = f
	return ""
}

func rangeDuration(lo, hi time.Duration) func(time.Duration) string {
	return func(d time.Duration) string {
		if d < lo || d > hi {
			return fmt.Sprintf("must be between %s and %s, got %s", model.FormatDuration(lo), model.FormatDuration(hi), model.FormatDuration(d))
		}
		return ""
	}
}

func checkProvider(s string) string {
	if s != ProviderOwn && s != ProviderTokenMetrics {
		return `must be "own" or "tokenmetrics", got ` + tomlfile.QuoteValue(s)
	}
	return ""
}

// checkAPIKey never quotes the key: it is a secret.
func checkAPIKey(s string) string {
	if len(s) > maxAPIKeyLen {
		return fmt.Sprintf("must be at most %d characters, got %d", maxAPIKeyLen, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return "must be printable ASCII without spaces (check for a stray quote or newline)"
		}
	}
	return ""
}

// CheckTokenMetricsURL checks a Token Metrics API root: an absolute https
// URL (or http to a loopback address, for tests and local proxies) with no
// user, query or fragment. It returns the problem in words, or "".
func CheckTokenMetricsURL(s string) string {
	const want = `must be an https URL like "https://api.tokenmetrics.com", got `
	if s == "" || len(s) > maxURLLen {
		return want + tomlfile.QuoteValue(s)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return want + tomlfile.QuoteValue(s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "must use https (plain http only to localhost), got " + tomlfile.QuoteValue(s)
		}
	default:
		return want + tomlfile.QuoteValue(s)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return want + tomlfile.QuoteValue(s)
		}
	}
	return ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkGradeLevel(f float64) string {
	if !(f >= 0 && f <= 100) {
		return fmt.Sprintf("must be a grade between 0 and 100, got %g", f)
	}
	return ""
}

// checkPositiveGrade is for grade levels where 0 would mean "the default"
// to the engine (model.RatingsOptions), so it is refused.
func checkPositiveGrade(f float64) string {
	if !(f > 0 && f <= 100) {
		return fmt.Sprintf("must be a grade above 0 and at most 100, got %g", f)
	}
	return ""
}

func checkWeight(f float64) string {
	if !(f >= 0 && f <= maxWeight) {
		return fmt.Sprintf("must be a weight between 0 (factor off) and %g, got %g", maxWeight, f)
	}
	return ""
}

func checkMaxCap(f float64) string {
	if !(f > 0) || math.IsInf(f, 0) {
		return fmt.Sprintf("must be a positive number of US dollars, got %g", f)
	}
	return ""
}

func checkSurge(f float64) string {
	if !(f >= 1 && f <= maxSurge) {
		return fmt.Sprintf("must be a multiple of typical volume between 1 and %g, got %g", maxSurge, f)
	}
	return ""
}

func checkStopLoss(f float64) string {
	if !(f > -1 && f < 0) {
		return fmt.Sprintf("must be a loss between -1 and 0 (-0.25 = leave at -25%%), got %g", f)
	}
	return ""
}

// check runs every [ratings] check, the single-key ones and those across
// keys. It returns the first problem and the keys it is about, the one to
// blame first, or "" when all is well.
func (r Ratings) check() (key string, problem string) {
	keys, problem := r.checkKeys()
	if problem == "" {
		return "", ""
	}
	return keys[0], problem
}

func (r Ratings) checkKeys() ([]string, string) {
	o := r.RatingsOptions
	single := []struct {
		key     string
		problem string
	}{
		{"provider", checkProvider(r.Provider)},
		{"tokenmetrics_url", CheckTokenMetricsURL(r.TokenMetrics.URL)},
		{"tokenmetrics_every", rangeDuration(minTMEvery, maxTMEvery)(r.TokenMetrics.Every)},
		{"trader_every", rangeDuration(minTraderEvery, maxTraderEvery)(o.TraderEvery)},
		{"investor_every", rangeDuration(minInvestorEvery, maxInvestorEvery)(o.InvestorEvery)},
		{"max_age", rangeDuration(minMaxAge, maxMaxAge)(o.MaxAge)},
		{"cooldown", rangeDuration(minCooldown, maxMaxAge)(o.Cooldown)},
		{"bullish_enter", checkGradeLevel(o.BullishEnter)},
		{"bullish_exit", checkGradeLevel(o.BullishExit)},
		{"bearish_enter", checkGradeLevel(o.BearishEnter)},
		{"bearish_exit", checkGradeLevel(o.BearishExit)},
		{"moonshot_max_cap", checkMaxCap(o.MoonshotMaxCap)},
		{"moonshot_min_grade", checkPositiveGrade(o.MoonshotMinGrade)},
		{"moonshot_min_rise", checkPositiveGrade(o.MoonshotMinRise)},
		{"moonshot_min_surge", checkSurge(o.MoonshotMinSurge)},
		{"exit_grade", checkPositiveGrade(o.ExitGrade)},
		{"stop_loss", checkStopLoss(o.StopLoss)},
		{"max_past", checkInt(int64(o.MaxPast), 1, maxMaxPast)},
	}
	if len(r.TokenMetrics.APIKey) > 0 {
		single = append(single, struct{ key, problem string }{"tokenmetrics_api_key", checkAPIKey(r.TokenMetrics.APIKey)})
	}
	for _, s := range single {
		if s.problem != "" {
			return []string{"ratings." + s.key}, s.problem
		}
	}
	for _, name := range subTableKeys["ratings.trader_weights"] {
		if p := checkWeight(*traderWeight(&o.Trader, name)); p != "" {
			return []string{"ratings.trader_weights." + name}, p
		}
	}
	for _, name := range subTableKeys["ratings.investor_weights"] {
		if p := checkWeight(*investorWeight(&o.Investor, name)); p != "" {
			return []string{"ratings.investor_weights." + name}, p
		}
	}
	if w := o.Trader; w.Momentum1h+w.Momentum4h+w.Momentum24h+w.Trend+w.RSI+w.VolumeSurge+w.RiskAdjusted == 0 {
		return []string{"ratings.trader_weights"}, "the weights must not all be zero (a zero weight turns one factor off)"
	}
	if w := o.Investor; w.Return30d+w.Return90d+w.Drawdown+w.Volatility+w.Liquidity+w.Size == 0 {
		return []string{"ratings.investor_weights"}, "the weights must not all be zero (a zero weight turns one factor off)"
	}
	order := fmt.Sprintf("the signal levels must be ordered bearish_enter < bearish_exit <= bullish_exit < bullish_enter, got %g, %g, %g, %g",
		o.BearishEnter, o.BearishExit, o.BullishExit, o.BullishEnter)
	switch {
	case !(o.BearishEnter < o.BearishExit):
		return []string{"ratings.bearish_exit", "ratings.bearish_enter"}, order
	case !(o.BearishExit <= o.BullishExit):
		return []string{"ratings.bullish_exit", "ratings.bearish_exit"}, order
	case !(o.BullishExit < o.BullishEnter):
		return []string{"ratings.bullish_enter", "ratings.bullish_exit"}, order
	}
	if !(o.ExitGrade < o.MoonshotMinGrade) {
		return []string{"ratings.exit_grade", "ratings.moonshot_min_grade"},
			fmt.Sprintf("exit_grade (%g) must be below moonshot_min_grade (%g), or a pick would leave as soon as it enters", o.ExitGrade, o.MoonshotMinGrade)
	}
	return nil, ""
}

// checkRatings runs the [ratings] checks across keys after the file is read,
// blaming the first involved key the file sets (so the line is right).
func (p *parser) checkRatings() error {
	keys, problem := p.cfg.Ratings.checkKeys()
	return p.failFirstSet(keys, problem)
}

// failFirstSet reports a problem that involves several keys at the first of
// them the file sets (so the line is right), or at the first key when the
// file sets none; nil when there is no problem.
func (p *parser) failFirstSet(keys []string, problem string) error {
	if problem == "" {
		return nil
	}
	blame := toml.Key(strings.Split(keys[0], "."))
	for _, k := range keys {
		key := toml.Key(strings.Split(k, "."))
		if tomlfile.KeyLine(p.data, key) > 0 {
			blame = key
			break
		}
	}
	return p.fail(blame, "%s", problem)
}

package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
)

func TestRatingsDefaults(t *testing.T) {
	c := Default()
	r := c.Ratings
	if r.Provider != "own" || r.TokenMetrics.APIKey != "" || r.TokenMetrics.URL != "https://api.tokenmetrics.com" ||
		r.TokenMetrics.Every != time.Hour {
		t.Fatalf("provider defaults: %+v", r)
	}
	if c.RatingsOptions() != model.DefaultRatingsOptions() {
		t.Fatalf("RatingsOptions() = %+v, want the engine's defaults %+v", c.RatingsOptions(), model.DefaultRatingsOptions())
	}
	if key, problem := r.check(); problem != "" {
		t.Fatalf("defaults fail their own check: %s: %s", key, problem)
	}
}

func TestRatingsParseValues(t *testing.T) {
	body := `[ratings]
provider = "tokenmetrics"
tokenmetrics_api_key = "tm-abc_123"
tokenmetrics_url = "http://127.0.0.1:8080"
tokenmetrics_every = "15m"
trader_every = "2s"
investor_every = "5m"
bullish_enter = 70
bullish_exit = 60
bearish_enter = 30
bearish_exit = 40
moonshot_max_cap = 2.5e7
moonshot_min_grade = 80
moonshot_min_rise = 10.5
moonshot_min_surge = 4
exit_grade = 50
stop_loss = -0.3
max_age = "72h"
cooldown = "2h"
max_past = 1
[ratings.trader_weights]
momentum_1h = 0
rsi = 2.5
[ratings.investor_weights]
size = 0
drawdown = 3
`
	c, err := Parse("c.toml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	r := &want.Ratings
	r.Provider = "tokenmetrics"
	r.TokenMetrics.APIKey = "tm-abc_123"
	r.TokenMetrics.URL = "http://127.0.0.1:8080"
	r.TokenMetrics.Every = 15 * time.Minute
	r.TraderEvery = 2 * time.Second
	r.InvestorEvery = 5 * time.Minute
	r.BullishEnter, r.BullishExit, r.BearishEnter, r.BearishExit = 70, 60, 30, 40
	r.MoonshotMaxCap, r.MoonshotMinGrade, r.MoonshotMinRise, r.MoonshotMinSurge = 2.5e7, 80, 10.5, 4
	r.ExitGrade, r.StopLoss, r.MaxAge, r.MaxPast, r.Cooldown = 50, -0.3, 72*time.Hour, 1, 2*time.Hour
	r.Trader.Momentum1h = 0
	r.Trader.RSI = 2.5
	r.Investor.Size = 0
	r.Investor.Drawdown = 3
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c.Ratings, want.Ratings)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// Dotted and inline forms of the sub-tables work too.
	for _, body := range []string{
		"ratings.trader_weights.rsi = 4",
		"[ratings]\ntrader_weights = { rsi = 4 }",
		"[ratings.trader_weights]\nrsi = 4",
	} {
		c, err := Parse("c.toml", []byte(body))
		if err != nil || c.Ratings.Trader.RSI != 4 {
			t.Errorf("%q: rsi %v, %v", body, c.Ratings.Trader.RSI, err)
		}
	}
}

func TestRatingsValidationMessages(t *testing.T) {
	cases := []struct{ body, want string }{
		{"[ratings]\nprovider = \"TM\"", `c.toml:2: ratings.provider: must be "own" or "tokenmetrics", got "TM"`},
		{"[ratings]\ntokenmetrics_every = \"30s\"", "c.toml:2: ratings.tokenmetrics_every: must be between 1m and 24h, got 30s"},
		{"[ratings]\ntrader_every = \"10ms\"", "c.toml:2: ratings.trader_every: must be between 100ms and 1h, got 10ms"},
		{"[ratings]\ninvestor_every = \"48h\"", "c.toml:2: ratings.investor_every: must be between 1s and 24h, got 48h"},
		{"[ratings]\nmax_age = \"7 days\"", `c.toml:2: ratings.max_age: must be a duration like "60s", "700ms", "1m30s" or "7d", got "7 days"`},
		{"[ratings]\nmax_age = \"30m\"", "c.toml:2: ratings.max_age: must be between 1h and 365d, got 30m"},
		{"[ratings]\nbullish_enter = 101", "c.toml:2: ratings.bullish_enter: must be a grade between 0 and 100, got 101"},
		{"[ratings]\nbullish_enter = nan", "c.toml:2: ratings.bullish_enter: must be a grade between 0 and 100, got NaN"},
		{"[ratings]\nstop_loss = 0", "c.toml:2: ratings.stop_loss: must be a loss between -1 and 0 (-0.25 = leave at -25%), got 0"},
		{"[ratings]\nstop_loss = -1", "c.toml:2: ratings.stop_loss: must be a loss between -1 and 0 (-0.25 = leave at -25%), got -1"},
		{"[ratings]\nstop_loss = 0.25", "c.toml:2: ratings.stop_loss: must be a loss between -1 and 0 (-0.25 = leave at -25%), got 0.25"},
		{"[ratings]\nmoonshot_max_cap = 0", "c.toml:2: ratings.moonshot_max_cap: must be a positive number of US dollars, got 0"},
		{"[ratings]\nmoonshot_min_surge = 0.5", "c.toml:2: ratings.moonshot_min_surge: must be a multiple of typical volume between 1 and 1000, got 0.5"},
		{"[ratings]\nmax_past = 10001", "c.toml:2: ratings.max_past: must be between 1 and 10000, got 10001"},
		{"[ratings]\ncooldown = \"0s\"", "c.toml:2: ratings.cooldown: must be between 1m and 365d, got 0s"},
		{"[ratings]\nmax_past = 0", "c.toml:2: ratings.max_past: must be between 1 and 10000, got 0"},
		{"[ratings]\nmoonshot_min_rise = 0", "c.toml:2: ratings.moonshot_min_rise: must be a grade above 0 and at most 100, got 0"},
		{"[ratings.trader_weights]\nrsi = -1", "c.toml:2: ratings.trader_weights.rsi: must be a weight between 0 (factor off) and 1000, got -1"},
		{"[ratings.investor_weights]\nsize = inf", "c.toml:2: ratings.investor_weights.size: must be a weight between 0 (factor off) and 1000, got +Inf"},
		{"[ratings.trader_weights]\nrsi = \"1\"", `c.toml:2: ratings.trader_weights.rsi: must be a number, got the string "1"`},
		// Across keys: the key the file sets is blamed, at its line.
		{"[ratings]\n\nbearish_exit = 30", "c.toml:3: ratings.bearish_exit: the signal levels must be ordered bearish_enter < bearish_exit <= bullish_exit < bullish_enter, got 35, 30, 55, 65"},
		{"[ratings]\nbearish_enter = 50", "c.toml:2: ratings.bearish_enter: the signal levels must be ordered bearish_enter < bearish_exit <= bullish_exit < bullish_enter, got 50, 45, 55, 65"},
		{"[ratings]\nbullish_exit = 44", "c.toml:2: ratings.bullish_exit: the signal levels must be ordered bearish_enter < bearish_exit <= bullish_exit < bullish_enter, got 35, 45, 44, 65"},
		{"[ratings]\nbullish_enter = 55", "c.toml:2: ratings.bullish_enter: the signal levels must be ordered bearish_enter < bearish_exit <= bullish_exit < bullish_enter, got 35, 45, 55, 55"},
		{"[ratings]\nexit_grade = 75", "c.toml:2: ratings.exit_grade: exit_grade (75) must be below moonshot_min_grade (75), or a pick would leave as soon as it enters"},
		{"[ratings]\nmoonshot_min_grade = 40", "c.toml:2: ratings.moonshot_min_grade: exit_grade (45) must be below moonshot_min_grade (40), or a pick would leave as soon as it enters"},
		{"[ratings.trader_weights]\nmomentum_1h = 0\nmomentum_4h = 0\nmomentum_24h = 0\ntrend = 0\nrsi = 0\nvolume_surge = 0\nrisk_adjusted = 0",
			"c.toml:1: ratings.trader_weights: the weights must not all be zero (a zero weight turns one factor off)"},
		{"ratings.investor_weights = { return_30d = 0, return_90d = 0, drawdown = 0, volatility = 0, liquidity = 0, size = 0 }",
			"c.toml:1: ratings.investor_weights: the weights must not all be zero (a zero weight turns one factor off)"},
		// URLs.
		{"[ratings]\ntokenmetrics_url = \"http://api.tokenmetrics.com\"", `c.toml:2: ratings.tokenmetrics_url: must use https (plain http only to localhost), got "http://api.tokenmetrics.com"`},
		{"[ratings]\ntokenmetrics_url = \"ftp://x\"", `c.toml:2: ratings.tokenmetrics_url: must be an https URL like "https://api.tokenmetrics.com", got "ftp://x"`},
		{"[ratings]\ntokenmetrics_url = \"https://u:p@x\"", `c.toml:2: ratings.tokenmetrics_url: must be an https URL like "https://api.tokenmetrics.com", got "https://u:p@x"`},
		{"[ratings]\ntokenmetrics_url = \"https://x/?a=1\"", `c.toml:2: ratings.tokenmetrics_url: must be an https URL like "https://api.tokenmetrics.com", got "https://x/?a=1"`},
		{"[ratings]\ntokenmetrics_url = \"api.tokenmetrics.com\"", `c.toml:2: ratings.tokenmetrics_url: must be an https URL like "https://api.tokenmetrics.com", got "api.tokenmetrics.com"`},
		// Unknown keys and shapes.
		{"[ratings]\nprovder = \"own\"", "c.toml:2: ratings.provder: unknown key ([ratings] keys: provider, tokenmetrics_api_key, tokenmetrics_url, tokenmetrics_every, trader_every, investor_every, bullish_enter, bullish_exit, bearish_enter, bearish_exit, moonshot_max_cap, moonshot_min_grade, moonshot_min_rise, moonshot_min_surge, exit_grade, stop_loss, max_age, cooldown, max_past, trader_weights, investor_weights)"},
		{"[ratings.trader_weights]\nrsi14 = 1", "c.toml:2: ratings.trader_weights.rsi14: unknown key ([ratings.trader_weights] keys: momentum_1h, momentum_4h, momentum_24h, trend, rsi, volume_surge, risk_adjusted)"},
		{"[ratings]\ntrader_weights = 1", "c.toml:2: ratings.trader_weights: must be a table ([ratings.trader_weights]), got the integer 1"},
		{"\nratings.trader_weights.rsi.x = 1", "c.toml:2: ratings.trader_weights.rsi: must be a number, got a table"},
		{"[ratings.provider]\nx = 1", "c.toml:1: ratings.provider: must be a string, got a table"},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		checkErr(t, err, c.want)
	}
}

func TestAPIKeyIsNeverEchoed(t *testing.T) {
	for _, body := range []string{
		"[ratings]\ntokenmetrics_api_key = \"secret key\"",
		"[ratings]\ntokenmetrics_api_key = \"secret\\u001b[2J\"",
		"[ratings]\ntokenmetrics_api_key = \"secret" + strings.Repeat("x", 300) + "\"",
		"[ratings]\ntokenmetrics_api_key = 12345",
	} {
		_, err := Parse("c.toml", []byte(body))
		if err == nil {
			t.Fatalf("%q accepted", body)
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "12345") {
			t.Errorf("error shows the key: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "c.toml:2: ratings.tokenmetrics_api_key: must be") {
			t.Errorf("error: %v", err)
		}
	}
}

func TestTokenMetricsAPIKeyEnvWins(t *testing.T) {
	c := Default()
	c.Ratings.TokenMetrics.APIKey = "from-file"
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if got := c.TokenMetricsAPIKey(getenv); got != "from-file" {
		t.Errorf("no env: %q", got)
	}
	env[TokenMetricsAPIKeyEnv] = "  from-env\n"
	if got := c.TokenMetricsAPIKey(getenv); got != "from-env" {
		t.Errorf("env set: %q", got)
	}
	c.Ratings.TokenMetrics.APIKey = ""
	env[TokenMetricsAPIKeyEnv] = ""
	if got := c.TokenMetricsAPIKey(getenv); got != "" {
		t.Errorf("neither: %q", got)
	}
	if got := c.TokenMetricsAPIKey(nil); got != "" {
		t.Errorf("nil getenv: %q", got)
	}
}

func TestRatingsValidate(t *testing.T) {
	c := Default()
	c.Ratings.BearishExit = 30
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "ratings.bearish_exit: the signal levels must be ordered") {
		t.Errorf("Validate: %v", err)
	}
	c = Default()
	c.Ratings.Trader.RSI = -2
	if err := c.Validate(); err == nil || err.Error() != "ratings.trader_weights.rsi: must be a weight between 0 (factor off) and 1000, got -2" {
		t.Errorf("Validate: %v", err)
	}
	c = Default()
	c.Ratings.TokenMetrics.APIKey = "bad key"
	if err := c.Validate(); err == nil || strings.Contains(err.Error(), "bad key") {
		t.Errorf("Validate: %v", err)
	}
}

func TestExampleChangesReachRatings(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), "rsi = 0.10", "rsi = 7.0", 1)
	changed = strings.Replace(changed, `provider = "own"`, `provider = "tokenmetrics"`, 1)
	c, err := Parse("x.toml", []byte(changed))
	if err != nil || c.Ratings.Trader.RSI != 7 || c.Ratings.Provider != "tokenmetrics" {
		t.Fatalf("edited example: %+v, %v", c.Ratings, err)
	}
}

// Package config reads tokentop's settings from a TOML file
// (config.example.toml at the repository root documents every key). Every
// value is checked for type and range, and every problem is reported as one
// line naming the file, line and key.
package config

import (
	"errors"
	"fmt"
	"github.com/tokentop/tokentop/internal/tomlfile"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/tokentop/tokentop/internal/tradelink"
	"github.com/tokentop/tokentop/model"
	"github.com/tokentop/tokentop/themes"

	"github.com/tokentop/tokentop/internal/safetext"
	"github.com/tokentop/tokentop/ui/keymap"
)

// MaxFileSize is the largest config file accepted.
const MaxFileSize = 1 << 20

// Config is every setting. Default() gives the values used for keys the
// file leaves out.
type Config struct {
	Theme string // built-in or user theme name; default "dark"
	UI    struct {
		RefreshHz  int           // render ticks per second, 1..60; default 10
		Mouse      bool          // mouse support; default true
		StaleAfter time.Duration // a row with no update for this long is stale; 1s..24h; default 60s
		Flash      time.Duration // how long a changed price flashes; 0 (off)..10s; default 700ms
		Sort       string        // default sort column, one of SortColumns(); default "rank"
		SortDesc   bool          // sort descending; default false
		DetailSide int           // min terminal width for the detail pane beside the table; 60..1000; default 140
		Renderer   string        // how frames reach the terminal, one of Renderers(); default "cells"
	}
	Demo struct {
		Seed   int64   // simulated market seed; default 1
		Speed  float64 // simulated time per real time, 0.1..3600; default 1
		Tokens int     // tokens simulated: 0 = the 46 built-in; more adds synthetic ones; 0..500; default 0
	}
	Market struct {
		WhaleUSD  float64 // a trade at least this large in USD is a whale; > 0; default 100000
		MaxTrades int     // recent trades kept per token, 10..1000; default 50
	}
	// Ratings is the [ratings] table (ratings.go): which grades to show and
	// the tuning of our own model.
	Ratings Ratings
	Feed    Feed
	// Store, Alerts and Portfolio are the user's data (store.go).
	Store     Store
	Alerts    Alerts
	Portfolio Portfolio
	// Serve is `tokentop serve` (serve.go).
	Serve Serve
	// Keys is the [keys] table (keys.go): every action's keys, the
	// defaults where the file names none.
	Keys keymap.Bindings
}

// Default returns the settings used when there is no config file.
func Default() Config {
	var c Config
	c.Theme = themes.Default
	c.UI.RefreshHz = 10
	c.UI.Mouse = true
	c.UI.StaleAfter = 60 * time.Second
	c.UI.Flash = 700 * time.Millisecond
	c.UI.Sort = "rank"
	c.UI.SortDesc = false
	c.UI.DetailSide = 140
	c.UI.Renderer = "cells"
	c.Demo.Seed = 1
	c.Demo.Speed = 1
	c.Demo.Tokens = 0
	c.Market.WhaleUSD = 100000
	c.Market.MaxTrades = 50
	c.Ratings = defaultRatings()
	c.Feed = defaultFeed()
	c.Store = defaultStore()
	c.Alerts = defaultAlerts()
	c.Serve = defaultServe()
	c.Keys = keymap.Defaults()
	return c
}

// SortColumns lists the columns ui.sort may name, in table order.
func SortColumns() []string {
	return []string{"rank", "symbol", "name", "price", "change_1h", "change_24h", "change_7d", "volume", "market_cap",
		"trader_grade", "investor_grade", "signal"}
}

// Renderers lists the names ui.renderer may take: "cells" writes only the
// cells that changed (ui/screen), "lines" is Bubble Tea's renderer, which
// rewrites every line that changed.
func Renderers() []string { return []string{"cells", "lines"} }

// Ranges of the settings.
const (
	minRefreshHz, maxRefreshHz   = 1, 60
	minStaleAfter, maxStaleAfter = time.Second, 24 * time.Hour
	maxFlash                     = 10 * time.Second
	minDetailSide, maxDetailSide = 60, 1000
	minSpeed, maxSpeed           = 0.1, 3600.0
	maxTokens                    = 500
	minMaxTrades, maxMaxTrades   = 10, 1000
)

// DefaultPath is where the config file lives: $XDG_CONFIG_HOME/tokentop/
// config.toml when XDG_CONFIG_HOME is an absolute path, else
// ~/.config/tokentop/config.toml; "" if there is no home directory either.
func DefaultPath() string {
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "tokentop", "config.toml")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".config", "tokentop", "config.toml")
}

// Dir is the directory holding the config file at path; user themes live
// in its themes/ subdirectory. "" for path "".
func Dir(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Dir(path)
}

// ThemesDir is where user themes live for the config file at path
// (<Dir(path)>/themes); "" for path "".
func ThemesDir(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Join(Dir(path), "themes")
}

// Load reads the config file at path. A missing file (or path "") gives
// Default() unless mustExist, when the user named the file and it must be
// there. Errors are one line, most of them *Error.
func Load(path string, mustExist bool) (Config, error) {
	if path == "" {
		if mustExist {
			return Config{}, errors.New("config: no file given")
		}
		return Default(), nil
	}
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !mustExist {
			return Default(), nil
		}
		return Config{}, &tomlfile.Error{Path: path, Problem: "config file does not exist", Err: err}
	}
	if err != nil {
		return Config{}, err
	}
	return Parse(path, data)
}

// readFile reads a regular file of at most MaxFileSize bytes.
func readFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, readError(path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, &tomlfile.Error{Path: path, Problem: "not a regular file"}
	}
	if st.Size() > MaxFileSize {
		return nil, &tomlfile.Error{Path: path, Problem: fmt.Sprintf("config file is %d bytes, the limit is %d", st.Size(), MaxFileSize)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, readError(path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, readError(path, err)
	}
	return data, nil // Parse rejects a file that grew past the limit
}

func readError(path string, err error) *Error {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	return &tomlfile.Error{Path: path, Problem: "cannot read: " + safetext.Quoted(msg), Err: err}
}

// Parse reads a config file's contents; keys it leaves out keep their
// Default() values. path is only used in error messages. Errors are *Error.
func Parse(path string, data []byte) (Config, error) {
	raw, md, ferr := tomlfile.DecodeFile(path, data, MaxFileSize, "config file")
	if ferr != nil {
		return Config{}, ferr
	}
	p := parser{path: path, data: data, raw: raw, cfg: Default(), seen: make(map[string]bool)}
	// Keys in file order, so the first problem reported is the first in
	// the file; then anything the key list might have missed.
	for _, key := range md.Keys() {
		if err := p.visit(key); err != nil {
			return Config{}, err
		}
	}
	if err := p.walk(nil, raw); err != nil {
		return Config{}, err
	}
	if err := p.checkRatings(); err != nil {
		return Config{}, err
	}
	if err := p.checkFeed(); err != nil {
		return Config{}, err
	}
	if err := p.checkKeys(); err != nil {
		return Config{}, err
	}
	return p.cfg, nil
}

// walk visits every key of table (at prefix) and of the tables in it, up to
// three levels deep (deeper keys are reported by visit).
func (p *parser) walk(prefix toml.Key, table map[string]any) error {
	for _, k := range sortedKeys(table) {
		key := append(prefix[:len(prefix):len(prefix)], k)
		if err := p.visit(key); err != nil {
			return err
		}
		if sub, ok := table[k].(map[string]any); ok && len(key) < 3 {
			if err := p.walk(key, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// The tables and their keys, for "unknown key" messages.
var (
	tableKeys = map[string][]string{
		"ui":     {"refresh_hz", "mouse", "stale_after", "flash", "sort", "sort_desc", "detail_side", "renderer"},
		"demo":   {"seed", "speed", "tokens"},
		"market": {"whale_usd", "max_trades"},
		"ratings": {"provider", "tokenmetrics_api_key", "tokenmetrics_url", "tokenmetrics_every",
			"trader_every", "investor_every", "bullish_enter", "bullish_exit", "bearish_enter", "bearish_exit",
			"moonshot_max_cap", "moonshot_min_grade", "moonshot_min_rise", "moonshot_min_surge",
			"exit_grade", "stop_loss", "max_age", "cooldown", "max_past", "trader_weights", "investor_weights"},
		"feed":      feedKeys,
		"store":     storeKeys,
		"alerts":    alertsKeys,
		"portfolio": portfolioKeys,
		"serve":     serveKeys,
		"keys":      keymap.Names(),
	}
	// subTableKeys are the tables inside tables ("ratings.trader_weights")
	// and their keys.
	subTableKeys = map[string][]string{
		"ratings.trader_weights":   {"momentum_1h", "momentum_4h", "momentum_24h", "trend", "rsi", "volume_surge", "risk_adjusted"},
		"ratings.investor_weights": {"return_30d", "return_90d", "drawdown", "volatility", "liquidity", "size"},
		"feed.binance":             exchangeKeys,
		"feed.coinbase":            exchangeKeys,
		"feed.kraken":              exchangeKeys,
		"feed.coingecko":           geckoKeys,
	}
)

const topLevelKeys = "unknown key (top-level keys: theme, [ui], [demo], [market], [ratings], [feed], [store], [alerts], [portfolio], [serve], [keys])"

type parser struct {
	path string
	data []byte
	raw  map[string]any
	cfg  Config
	seen map[string]bool
}

func (p *parser) fail(key toml.Key, format string, args ...any) *Error {
	return tomlfile.Problemf(p.path, p.data, key, format, args...)
}

// visit checks one key and, for a setting, stores its value.
func (p *parser) visit(key toml.Key) error {
	id := strings.Join(key, "\x00")
	if p.seen[id] {
		return nil
	}
	p.seen[id] = true
	switch len(key) {
	case 1:
		k := key[0]
		v := p.raw[k]
		if k == "theme" {
			return p.set(key, "theme", v)
		}
		if _, ok := tableKeys[k]; ok {
			if _, ok := v.(map[string]any); !ok {
				return p.fail(key, "must be a table ([%s]), got %s", k, tomlfile.Describe(v))
			}
			return nil
		}
		return p.fail(key, topLevelKeys)
	case 2:
		names, ok := tableKeys[key[0]]
		if !ok {
			// "foo.x = 1" or "[foo]" then "x = 1": foo is what is unknown.
			err := p.fail(key[:1], topLevelKeys)
			if err.Line == 0 {
				err.Line = tomlfile.KeyLine(p.data, key)
			}
			return err
		}
		table, ok := p.raw[key[0]].(map[string]any)
		if !ok {
			return p.fail(toml.Key{key[0]}, "must be a table ([%s]), got %s", key[0], tomlfile.Describe(p.raw[key[0]]))
		}
		v, ok := table[key[1]]
		if !ok {
			return nil // defensive: the key list named a key the map lacks
		}
		name := key[0] + "." + key[1]
		if key[0] == "keys" {
			return p.set(key, name, v) // an unknown action is told as one
		}
		if _, ok := subTableKeys[name]; ok {
			if _, ok := v.(map[string]any); !ok {
				return p.fail(key, "must be a table ([%s]), got %s", name, tomlfile.Describe(v))
			}
			return nil
		}
		for _, n := range names {
			if n == key[1] {
				return p.set(key, name, v)
			}
		}
		return p.fail(key, "unknown key ([%s] keys: %s)", key[0], strings.Join(names, ", "))
	case 3:
		if err := p.visit(key[:2]); err != nil {
			var e *Error
			if errors.As(err, &e) && e.Line == 0 {
				e.Line = tomlfile.KeyLine(p.data, key)
			}
			return err
		}
		name := key[0] + "." + key[1]
		names, ok := subTableKeys[name]
		if !ok {
			return p.fail(key, "unknown key")
		}
		table, _ := p.raw[key[0]].(map[string]any)
		sub, _ := table[key[1]].(map[string]any)
		v, ok := sub[key[2]]
		if !ok {
			return nil // defensive, as above
		}
		for _, n := range names {
			if n == key[2] {
				return p.set(key, name+"."+key[2], v)
			}
		}
		return p.fail(key, "unknown key ([%s] keys: %s)", name, strings.Join(names, ", "))
	default:
		// A key four or more deep: its first three parts are a table that is
		// either unknown or a setting, which cannot be a table. Report that,
		// at this key's line if the table was only implied by dots.
		if err := p.visit(key[:3]); err != nil {
			var e *Error
			if errors.As(err, &e) && e.Line == 0 {
				e.Line = tomlfile.KeyLine(p.data, key)
			}
			return err
		}
		return p.fail(key, "unknown key")
	}
}

// set type-checks, range-checks and stores one setting.
func (p *parser) set(key toml.Key, name string, v any) error {
	c := &p.cfg
	problem := ""
	switch name {
	case "theme":
		var s string
		if s, problem = asString(v); problem == "" {
			if problem = checkTheme(s); problem == "" {
				c.Theme = s
			}
		}
	case "ui.refresh_hz":
		problem = setInt(v, minRefreshHz, maxRefreshHz, &c.UI.RefreshHz)
	case "ui.mouse":
		problem = setBool(v, &c.UI.Mouse)
	case "ui.stale_after":
		problem = setDuration(v, checkStaleAfter, &c.UI.StaleAfter)
	case "ui.flash":
		problem = setDuration(v, checkFlash, &c.UI.Flash)
	case "ui.sort":
		var s string
		if s, problem = asString(v); problem == "" {
			if problem = checkSort(s); problem == "" {
				c.UI.Sort = s
			}
		}
	case "ui.sort_desc":
		problem = setBool(v, &c.UI.SortDesc)
	case "ui.detail_side":
		problem = setInt(v, minDetailSide, maxDetailSide, &c.UI.DetailSide)
	case "ui.renderer":
		var s string
		if s, problem = asString(v); problem == "" {
			if problem = checkRenderer(s); problem == "" {
				c.UI.Renderer = s
			}
		}
	case "demo.seed":
		n, ok := v.(int64)
		if !ok {
			problem = "must be a whole number, got " + tomlfile.Describe(v)
		} else {
			c.Demo.Seed = n
		}
	case "demo.speed":
		var f float64
		if f, problem = asFloat(v); problem == "" {
			if problem = checkSpeed(f); problem == "" {
				c.Demo.Speed = f
			}
		}
	case "demo.tokens":
		problem = setInt(v, 0, maxTokens, &c.Demo.Tokens)
	case "market.whale_usd":
		var f float64
		if f, problem = asFloat(v); problem == "" {
			if problem = checkWhaleUSD(f); problem == "" {
				c.Market.WhaleUSD = f
			}
		}
	case "market.max_trades":
		problem = setInt(v, minMaxTrades, maxMaxTrades, &c.Market.MaxTrades)
	default:
		if strings.HasPrefix(name, "ratings.") {
			problem = setRating(&c.Ratings, strings.TrimPrefix(name, "ratings."), v)
			break
		}
		if t, _, _ := strings.Cut(name, "."); t == "store" || t == "alerts" || t == "portfolio" {
			problem = setStore(c, name, v)
			break
		}
		if strings.HasPrefix(name, "serve.") {
			problem = setServe(&c.Serve, strings.TrimPrefix(name, "serve."), v)
			break
		}
		if strings.HasPrefix(name, "keys.") {
			problem = setKey(c, strings.TrimPrefix(name, "keys."), v)
			break
		}
		if strings.HasPrefix(name, "feed.") {
			problem = setFeed(&c.Feed, strings.TrimPrefix(name, "feed."), v)
			break
		}
		problem = "unknown key"
	}
	if problem != "" {
		return p.fail(key, "%s", problem)
	}
	return nil
}

func asString(v any) (string, string) {
	s, ok := v.(string)
	if !ok {
		return "", "must be a string, got " + tomlfile.Describe(v)
	}
	return s, ""
}

func asFloat(v any) (float64, string) {
	switch n := v.(type) {
	case float64:
		return n, ""
	case int64:
		return float64(n), ""
	}
	return 0, "must be a number, got " + tomlfile.Describe(v)
}

func setInt(v any, lo, hi int, dst *int) string {
	n, ok := v.(int64)
	if !ok {
		return "must be a whole number, got " + tomlfile.Describe(v)
	}
	if problem := checkInt(n, int64(lo), int64(hi)); problem != "" {
		return problem
	}
	*dst = int(n)
	return ""
}

func setBool(v any, dst *bool) string {
	b, ok := v.(bool)
	if !ok {
		return "must be true or false, got " + tomlfile.Describe(v)
	}
	*dst = b
	return ""
}

func setDuration(v any, check func(time.Duration) string, dst *time.Duration) string {
	s, ok := v.(string)
	if !ok {
		return `must be a duration string like "60s" or "1m30s", got ` + tomlfile.Describe(v)
	}
	d, err := model.ParseDuration(s)
	if err != nil {
		return `must be a duration like "60s", "700ms", "1m30s" or "7d", got ` + tomlfile.QuoteValue(s)
	}
	if problem := check(d); problem != "" {
		return problem
	}
	*dst = d
	return ""
}

// The range checks, shared by Parse and Validate. Each returns "" or the
// problem in words.

func checkInt(n, lo, hi int64) string {
	if n < lo || n > hi {
		return fmt.Sprintf("must be between %d and %d, got %d", lo, hi, n)
	}
	return ""
}

func checkTheme(s string) string {
	if !themes.ValidName(s) {
		return "must be a theme name of 1-64 characters a-z, 0-9, '_' or '-', got " + tomlfile.QuoteValue(s)
	}
	return ""
}

func checkSort(s string) string {
	for _, col := range SortColumns() {
		if s == col {
			return ""
		}
	}
	return "must be one of " + strings.Join(SortColumns(), ", ") + ", got " + tomlfile.QuoteValue(s)
}

func checkRenderer(s string) string {
	for _, r := range Renderers() {
		if s == r {
			return ""
		}
	}
	return "must be one of " + strings.Join(Renderers(), ", ") + ", got " + tomlfile.QuoteValue(s)
}

func checkStaleAfter(d time.Duration) string {
	if d < minStaleAfter || d > maxStaleAfter {
		return fmt.Sprintf("must be between %s and %s, got %s", model.FormatDuration(minStaleAfter), model.FormatDuration(maxStaleAfter), model.FormatDuration(d))
	}
	return ""
}

func checkFlash(d time.Duration) string {
	if d < 0 || d > maxFlash {
		return fmt.Sprintf("must be between 0s (off) and %s, got %s", model.FormatDuration(maxFlash), model.FormatDuration(d))
	}
	return ""
}

func checkSpeed(f float64) string {
	if !(f >= minSpeed && f <= maxSpeed) { // also refuses NaN
		return fmt.Sprintf("must be between %g and %g, got %g", minSpeed, maxSpeed, f)
	}
	return ""
}

func checkWhaleUSD(f float64) string {
	if !(f > 0) || math.IsInf(f, 0) {
		return fmt.Sprintf("must be a positive number of US dollars, got %g", f)
	}
	return ""
}

// Validate checks every range, as Parse does; use it after changing a
// Config (e.g. from flags). The error names the key: "ui.refresh_hz: ...".
func (c Config) Validate() error {
	checks := []struct {
		key, problem string
	}{
		{"theme", checkTheme(c.Theme)},
		{"ui.refresh_hz", checkInt(int64(c.UI.RefreshHz), minRefreshHz, maxRefreshHz)},
		{"ui.stale_after", checkStaleAfter(c.UI.StaleAfter)},
		{"ui.flash", checkFlash(c.UI.Flash)},
		{"ui.sort", checkSort(c.UI.Sort)},
		{"ui.detail_side", checkInt(int64(c.UI.DetailSide), minDetailSide, maxDetailSide)},
		{"ui.renderer", checkRenderer(c.UI.Renderer)},
		{"demo.speed", checkSpeed(c.Demo.Speed)},
		{"demo.tokens", checkInt(int64(c.Demo.Tokens), 0, maxTokens)},
		{"market.whale_usd", checkWhaleUSD(c.Market.WhaleUSD)},
		{"market.max_trades", checkInt(int64(c.Market.MaxTrades), minMaxTrades, maxMaxTrades)},
		{"feed.top", checkInt(int64(c.Feed.Top), 0, maxTop)},
	}
	for _, ch := range checks {
		if ch.problem != "" {
			return fmt.Errorf("%s: %s", ch.key, ch.problem)
		}
	}
	if key, problem := c.Ratings.check(); problem != "" {
		return fmt.Errorf("%s: %s", key, problem)
	}
	if key, problem := c.checkStore(); problem != "" {
		return fmt.Errorf("%s: %s", key, problem)
	}
	if key, problem := c.Serve.check(); problem != "" {
		return fmt.Errorf("%s: %s", key, problem)
	}
	for _, src := range Sources {
		if ex := c.Feed.Exchanges[src]; ex != nil {
			if problem := tradelink.CheckPattern(ex.TradeURL); problem != "" {
				return fmt.Errorf("feed.%s.trade_url: %s", src, problem)
			}
		}
	}
	if key, problem := c.checkKeys(); problem != "" {
		return fmt.Errorf("%s: %s", key, problem)
	}
	if keys, problem := c.Feed.checkTop(); problem != "" {
		return fmt.Errorf("%s: %s", keys[0], problem)
	}
	return nil
}

// Duration is a time.Duration written in TOML as a string: "60s",
// "700ms", "1m30s", "7d" (model.ParseDuration).
type Duration = model.Duration

// Error is a problem with a config file: "<path>:<line>: <key>: <problem>".
type Error = tomlfile.Error

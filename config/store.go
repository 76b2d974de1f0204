package config

import (
	"github.com/tokentop/tokentop/model"
	"time"
)

// Store is the [store] table: where the user's data lives and how the
// warm-start cache is kept.
type Store struct {
	Dir        string        // data directory; "" = $XDG_DATA_HOME/tokentop (or ~/.local/share/tokentop)
	Enabled    bool          // false: keep nothing on disk; default true
	WarmStart  bool          // cache recent history for a full screen at once on restart; default true
	WarmMaxAge time.Duration // a cache older than this is not used; 1m..720h; default 168h
	SaveEvery  time.Duration // how often the warm cache is saved while running; 1m..24h; default 5m
}

// Alerts is the [alerts] table: how a firing alert gets attention.
type Alerts struct {
	Bell    bool // ring the terminal bell; default true
	Desktop bool // a desktop notification where the system has one (notify-send, osascript); default false
	History int  // alert firings kept, 10..10000; default 500
}

// Portfolio is the [portfolio] table.
type Portfolio struct {
	HideBalances bool // start with amounts hidden (key b toggles); default false
}

var (
	storeKeys     = []string{"dir", "enabled", "warm_start", "warm_max_age", "save_every"}
	alertsKeys    = []string{"bell", "desktop", "history"}
	portfolioKeys = []string{"hide_balances"}
)

const (
	minHistory, maxHistory = 10, 10000
	maxDirLen              = 4096
)

func defaultStore() Store {
	return Store{Enabled: true, WarmStart: true, WarmMaxAge: 168 * time.Hour, SaveEvery: 5 * time.Minute}
}

func defaultAlerts() Alerts { return Alerts{Bell: true, History: 500} }

func checkWarmMaxAge(d time.Duration) string {
	if d < time.Minute || d > 720*time.Hour {
		return "must be between 1m and 720h, got " + model.FormatDuration(d)
	}
	return ""
}

func checkSaveEvery(d time.Duration) string {
	if d < time.Minute || d > 24*time.Hour {
		return "must be between 1m and 24h, got " + model.FormatDuration(d)
	}
	return ""
}

func checkDir(s string) string {
	if len(s) > maxDirLen {
		return "is too long"
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return "must not contain control characters"
		}
	}
	return ""
}

// setStore stores one [store], [alerts] or [portfolio] setting; name is
// "table.key".
func setStore(c *Config, name string, v any) string {
	problem := ""
	switch name {
	case "store.dir":
		var s string
		if s, problem = asString(v); problem == "" {
			if problem = checkDir(s); problem == "" {
				c.Store.Dir = s
			}
		}
	case "store.enabled":
		problem = setBool(v, &c.Store.Enabled)
	case "store.warm_start":
		problem = setBool(v, &c.Store.WarmStart)
	case "store.warm_max_age":
		problem = setDuration(v, checkWarmMaxAge, &c.Store.WarmMaxAge)
	case "store.save_every":
		problem = setDuration(v, checkSaveEvery, &c.Store.SaveEvery)
	case "alerts.bell":
		problem = setBool(v, &c.Alerts.Bell)
	case "alerts.desktop":
		problem = setBool(v, &c.Alerts.Desktop)
	case "alerts.history":
		problem = setInt(v, minHistory, maxHistory, &c.Alerts.History)
	case "portfolio.hide_balances":
		problem = setBool(v, &c.Portfolio.HideBalances)
	default:
		problem = "unknown key"
	}
	return problem
}

// checkStore is Validate's part for these tables.
func (c Config) checkStore() (key, problem string) {
	checks := [...]struct{ key, problem string }{
		{"store.dir", checkDir(c.Store.Dir)},
		{"store.warm_max_age", checkWarmMaxAge(c.Store.WarmMaxAge)},
		{"store.save_every", checkSaveEvery(c.Store.SaveEvery)},
		{"alerts.history", checkInt(int64(c.Alerts.History), minHistory, maxHistory)},
	}
	for _, ch := range checks {
		if ch.problem != "" {
			return ch.key, ch.problem
		}
	}
	return "", ""
}

package config

import (
	"testing"
	"time"
)

func TestStoreSettings(t *testing.T) {
	body := `[store]
dir = "/data/tt"
enabled = false
warm_start = false
warm_max_age = "24h"
save_every = "10m"
[alerts]
bell = false
desktop = true
history = 50
[portfolio]
hide_balances = true
`
	c, err := Parse("c.toml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := Store{Dir: "/data/tt", WarmMaxAge: 24 * time.Hour, SaveEvery: 10 * time.Minute}
	if c.Store != want {
		t.Errorf("store = %+v, want %+v", c.Store, want)
	}
	if c.Alerts != (Alerts{Desktop: true, History: 50}) || !c.Portfolio.HideBalances {
		t.Errorf("alerts = %+v, portfolio = %+v", c.Alerts, c.Portfolio)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestStoreSettingErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{"[store]\nwarm_max_age = \"10s\"", "c.toml:2: store.warm_max_age: must be between 1m and 720h, got 10s"},
		{"[store]\nsave_every = \"48h\"", "c.toml:2: store.save_every: must be between 1m and 24h, got 48h"},
		{"[store]\ndir = \"a\\u001bb\"", "c.toml:2: store.dir: must not contain control characters"},
		{"[store]\nenabled = \"yes\"", "c.toml:2: store.enabled: must be true or false, got the string \"yes\""},
		{"[alerts]\nhistory = 5", "c.toml:2: alerts.history: must be between 10 and 10000, got 5"},
		{"[alerts]\nsound = true", "c.toml:2: alerts.sound: unknown key ([alerts] keys: bell, desktop, history)"},
		{"[portfolio]\nhide = true", "c.toml:2: portfolio.hide: unknown key ([portfolio] keys: hide_balances)"},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.body, err, c.want)
		}
	}
	d := Default()
	d.Alerts.History = 0
	if err := d.Validate(); err == nil || err.Error() != "alerts.history: must be between 10 and 10000, got 0" {
		t.Errorf("Validate = %v", err)
	}
}

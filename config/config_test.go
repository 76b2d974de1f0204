package config

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	if c.Theme != "dark" || c.UI.RefreshHz != 10 || !c.UI.Mouse || c.UI.StaleAfter != 60*time.Second ||
		c.UI.Flash != 700*time.Millisecond || c.UI.Sort != "rank" || c.UI.SortDesc || c.UI.DetailSide != 140 || c.UI.Renderer != "cells" ||
		c.Demo.Seed != 1 || c.Demo.Speed != 1 || c.Demo.Tokens != 0 ||
		c.Market.WhaleUSD != 100000 || c.Market.MaxTrades != 50 {
		t.Fatalf("Default() = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate(): %v", err)
	}
}

func TestExampleIsTheDefaults(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("../config.example.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("example parses to\n%+v\nwant the defaults\n%+v", c, Default())
	}
	// Every key is in the example, so a changed default cannot hide: each
	// setting must appear as "key = ".
	for table, keys := range tableKeys {
		if !strings.Contains(string(data), "\n["+table+"]\n") {
			t.Errorf("example has no [%s] table", table)
		}
		for _, k := range keys {
			if _, sub := subTableKeys[table+"."+k]; sub {
				continue
			}
			if !strings.Contains(string(data), "\n"+k+" = ") {
				t.Errorf("example does not set %s.%s", table, k)
			}
		}
	}
	for table, keys := range subTableKeys {
		if !strings.Contains(string(data), "\n["+table+"]\n") {
			t.Errorf("example has no [%s] table", table)
		}
		for _, k := range keys {
			if !strings.Contains(string(data), "\n"+k+" = ") {
				t.Errorf("example does not set %s.%s", table, k)
			}
		}
	}
	// And the example is not silently ignored: change a value, see it.
	changed := strings.Replace(string(data), "refresh_hz = 10", "refresh_hz = 30", 1)
	c, err = Parse("x.toml", []byte(changed))
	if err != nil || c.UI.RefreshHz != 30 {
		t.Fatalf("edited example: %d, %v", c.UI.RefreshHz, err)
	}
}

func TestParseValues(t *testing.T) {
	body := `theme = "my-theme_2"
[ui]
refresh_hz = 60
mouse = false
stale_after = "1m30s"
flash = "0s"
sort = "market_cap"
sort_desc = true
detail_side = 60
renderer = "lines"
[demo]
seed = -42
speed = 3600
tokens = 500
[market]
whale_usd = 2.5e6
max_trades = 1000
`
	c, err := Parse("c.toml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Theme = "my-theme_2"
	want.UI.RefreshHz = 60
	want.UI.Mouse = false
	want.UI.StaleAfter = 90 * time.Second
	want.UI.Flash = 0
	want.UI.Sort = "market_cap"
	want.UI.SortDesc = true
	want.UI.DetailSide = 60
	want.UI.Renderer = "lines"
	want.Demo.Seed = -42
	want.Demo.Speed = 3600
	want.Demo.Tokens = 500
	want.Market.WhaleUSD = 2.5e6
	want.Market.MaxTrades = 1000
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
	// Partial files keep the other defaults; dotted and inline forms work.
	for _, body := range []string{"ui.refresh_hz = 5", "ui = { refresh_hz = 5 }", "[ui]\nrefresh_hz = 5"} {
		c, err := Parse("c.toml", []byte(body))
		want := Default()
		want.UI.RefreshHz = 5
		if err != nil || !reflect.DeepEqual(c, want) {
			t.Errorf("%q: %+v, %v", body, c, err)
		}
	}
	c, err = Parse("empty.toml", nil)
	if err != nil || !reflect.DeepEqual(c, Default()) {
		t.Fatalf("empty file: %+v, %v", c, err)
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Fatalf("error\n  %s\nwant\n  %s", err, want)
	}
	if strings.ContainsAny(err.Error(), "\n\r\x1b") {
		t.Fatalf("error is not one safe line: %q", err)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not *Error", err)
	}
}

func TestValidationMessages(t *testing.T) {
	cases := []struct{ body, want string }{
		{"theme = \"../../etc/passwd\"", `c.toml:1: theme: must be a theme name of 1-64 characters a-z, 0-9, '_' or '-', got "../../etc/passwd"`},
		{"theme = \"\"", `c.toml:1: theme: must be a theme name of 1-64 characters a-z, 0-9, '_' or '-', got ""`},
		{"[ui]\nrefresh_hz = 0", "c.toml:2: ui.refresh_hz: must be between 1 and 60, got 0"},
		{"[ui]\nrefresh_hz = 61", "c.toml:2: ui.refresh_hz: must be between 1 and 60, got 61"},
		{"[ui]\n\nstale_after = \"500ms\"", "c.toml:3: ui.stale_after: must be between 1s and 24h, got 500ms"},
		{"[ui]\nstale_after = \"25h\"", "c.toml:2: ui.stale_after: must be between 1s and 24h, got 25h"},
		{"[ui]\nstale_after = \"soon\"", `c.toml:2: ui.stale_after: must be a duration like "60s", "700ms", "1m30s" or "7d", got "soon"`},
		{"[ui]\nstale_after = \"\"", `c.toml:2: ui.stale_after: must be a duration like "60s", "700ms", "1m30s" or "7d", got ""`},
		{"[ui]\nflash = \"-1s\"", "c.toml:2: ui.flash: must be between 0s (off) and 10s, got -1s"},
		{"[ui]\nflash = \"10.5s\"", "c.toml:2: ui.flash: must be between 0s (off) and 10s, got 10.5s"},
		{"[ui]\nsort = \"Price\"", `c.toml:2: ui.sort: must be one of rank, symbol, name, price, change_1h, change_24h, change_7d, volume, market_cap, trader_grade, investor_grade, signal, got "Price"`},
		{"[ui]\ndetail_side = 59", "c.toml:2: ui.detail_side: must be between 60 and 1000, got 59"},
		{"[ui]\ndetail_side = 1001", "c.toml:2: ui.detail_side: must be between 60 and 1000, got 1001"},
		{"[ui]\n\nrenderer = \"curses\"", `c.toml:3: ui.renderer: must be one of cells, lines, got "curses"`},
		{"[ui]\nrenderer = true", "c.toml:2: ui.renderer: must be a string, got the boolean true"},
		{"[demo]\nspeed = 0.09", "c.toml:2: demo.speed: must be between 0.1 and 3600, got 0.09"},
		{"[demo]\nspeed = 3601", "c.toml:2: demo.speed: must be between 0.1 and 3600, got 3601"},
		{"[demo]\nspeed = nan", "c.toml:2: demo.speed: must be between 0.1 and 3600, got NaN"},
		{"[demo]\ntokens = -1", "c.toml:2: demo.tokens: must be between 0 and 500, got -1"},
		{"[demo]\ntokens = 501", "c.toml:2: demo.tokens: must be between 0 and 500, got 501"},
		{"[market]\nwhale_usd = 0", "c.toml:2: market.whale_usd: must be a positive number of US dollars, got 0"},
		{"[market]\nwhale_usd = -5.0", "c.toml:2: market.whale_usd: must be a positive number of US dollars, got -5"},
		{"[market]\nwhale_usd = inf", "c.toml:2: market.whale_usd: must be a positive number of US dollars, got +Inf"},
		{"[market]\nmax_trades = 9", "c.toml:2: market.max_trades: must be between 10 and 1000, got 9"},
		{"[market]\nmax_trades = 1001", "c.toml:2: market.max_trades: must be between 10 and 1000, got 1001"},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		checkErr(t, err, c.want)
	}
}

func TestWrongTypes(t *testing.T) {
	cases := []struct{ body, want string }{
		{"[ui]\nrefresh_hz = \"10\"", `c.toml:2: ui.refresh_hz: must be a whole number, got the string "10"`},
		{"[ui]\nrefresh_hz = 10.0", "c.toml:2: ui.refresh_hz: must be a whole number, got the number 10"},
		{"[ui]\nmouse = \"yes\"", `c.toml:2: ui.mouse: must be true or false, got the string "yes"`},
		{"[ui]\nsort_desc = 1", "c.toml:2: ui.sort_desc: must be true or false, got the integer 1"},
		{"[ui]\nstale_after = 60", `c.toml:2: ui.stale_after: must be a duration string like "60s" or "1m30s", got the integer 60`},
		{"[ui]\nsort = [\"rank\"]", "c.toml:2: ui.sort: must be a string, got an array"},
		{"theme = 1979-05-27", "c.toml:1: theme: must be a string, got a date/time"},
		{"[demo]\nseed = 1.5", "c.toml:2: demo.seed: must be a whole number, got the number 1.5"},
		{"[demo]\nspeed = \"fast\"", `c.toml:2: demo.speed: must be a number, got the string "fast"`},
		{"[market]\nwhale_usd = true", "c.toml:2: market.whale_usd: must be a number, got the boolean true"},
		{"ui = 5", "c.toml:1: ui: must be a table ([ui]), got the integer 5"},
		{"\n[[demo]]\nseed = 1", "c.toml:2: demo: must be a table ([demo]), got an array of tables"},
		{"[ui.refresh_hz]\nx = 1", "c.toml:1: ui.refresh_hz: must be a whole number, got a table"},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		checkErr(t, err, c.want)
	}
}

func TestUnknownKeys(t *testing.T) {
	cases := []struct{ body, want string }{
		{"theme = \"dark\"\nthem = \"light\"", "c.toml:2: them: unknown key (top-level keys: theme, [ui], [demo], [market], [ratings], [feed], [store], [alerts], [portfolio], [serve], [keys])"},
		{"[ui]\nrefresh_hz = 10\nrefreshhz = 10", "c.toml:3: ui.refreshhz: unknown key ([ui] keys: refresh_hz, mouse, stale_after, flash, sort, sort_desc, detail_side, renderer)"},
		{"[ui]\nRefresh_Hz = 10", "c.toml:2: ui.Refresh_Hz: unknown key ([ui] keys: refresh_hz, mouse, stale_after, flash, sort, sort_desc, detail_side, renderer)"},
		{"[feeds]\nbinance = true", "c.toml:1: feeds: unknown key (top-level keys: theme, [ui], [demo], [market], [ratings], [feed], [store], [alerts], [portfolio], [serve], [keys])"},
		{"[market]\nwhales = 1", "c.toml:2: market.whales: unknown key ([market] keys: whale_usd, max_trades)"},
		{"[demo.extra]\nx = 1", "c.toml:1: demo.extra: unknown key ([demo] keys: seed, speed, tokens)"},
		{"\nui.x.y = 1", "c.toml:2: ui.x: unknown key ([ui] keys: refresh_hz, mouse, stale_after, flash, sort, sort_desc, detail_side, renderer)"},
		{"\nui.mouse.y = 1", "c.toml:2: ui.mouse: must be true or false, got a table"},
		{"\nfoo.x = 1", "c.toml:2: foo: unknown key (top-level keys: theme, [ui], [demo], [market], [ratings], [feed], [store], [alerts], [portfolio], [serve], [keys])"},
		{"\nfoo.x.y = 1", "c.toml:2: foo: unknown key (top-level keys: theme, [ui], [demo], [market], [ratings], [feed], [store], [alerts], [portfolio], [serve], [keys])"},
		// The first problem in the file wins, whatever the map order.
		{"[ui]\nzzz = 1\naaa = 2\nmmm = 3", "c.toml:2: ui.zzz: unknown key ([ui] keys: refresh_hz, mouse, stale_after, flash, sort, sort_desc, detail_side, renderer)"},
		// Hostile key names are escaped.
		{"\"\\u001b[2J\" = 1", `c.toml:1: "\x1b[2J": unknown key (top-level keys: theme, [ui], [demo], [market], [ratings], [feed], [store], [alerts], [portfolio], [serve], [keys])`},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		checkErr(t, err, c.want)
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, c := range []struct {
		body string
		line string
	}{
		{"theme = \"dark\"\n[ui]\nrefresh_hz = \n", "c.toml:3: invalid TOML: "},
		{"theme = \"dark\"\n\n\n[ui x]\n", "c.toml:4: invalid TOML: "},
		{"theme = \"dark\"\ntheme = \"light\"\n", "c.toml:2: invalid TOML: "},
		{"x = \"unterminated\n", "c.toml:1: invalid TOML: "},
	} {
		_, err := Parse("c.toml", []byte(c.body))
		if err == nil || !strings.HasPrefix(err.Error(), c.line) || strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("%q: %v, want prefix %q", c.body, err, c.line)
		}
	}
}

func TestShapeAndSizeLimits(t *testing.T) {
	_, err := Parse("c.toml", []byte("theme = "+strings.Repeat("[", 100000)))
	checkErr(t, err, "c.toml:1: nested more than 16 levels deep")
	_, err = Parse("c.toml", []byte(strings.Repeat("a.", 100000)+"b = 1"))
	checkErr(t, err, "c.toml:1: more than 16 dotted key parts on one line")
	_, err = Parse("c.toml", make([]byte, MaxFileSize+1))
	checkErr(t, err, "c.toml: config file is over the limit of 1048576 bytes")
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.toml")

	c, err := Load(missing, false)
	if err != nil || !reflect.DeepEqual(c, Default()) {
		t.Fatalf("missing, optional: %+v, %v", c, err)
	}
	_, err = Load(missing, true)
	if err == nil || err.Error() != missing+": config file does not exist" || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing, required: %v", err)
	}
	c, err = Load("", false)
	if err != nil || !reflect.DeepEqual(c, Default()) {
		t.Fatalf("no path: %+v, %v", c, err)
	}

	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte("[demo]\nseed = 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(path, true)
	if err != nil || c.Demo.Seed != 7 {
		t.Fatalf("load: %+v, %v", c, err)
	}

	if err := os.WriteFile(path, []byte("[demo]\nseed = \"7\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path, false)
	checkErr(t, err, path+`:2: demo.seed: must be a whole number, got the string "7"`)

	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(big, false)
	checkErr(t, err, big+": config file is 1048577 bytes, the limit is 1048576")

	_, err = Load(dir, false)
	checkErr(t, err, dir+": not a regular file")
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	t.Setenv("HOME", "/home/trader")
	if got := DefaultPath(); got != filepath.Join("/xdg", "tokentop", "config.toml") {
		t.Errorf("with XDG_CONFIG_HOME: %q", got)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	if got := DefaultPath(); got != filepath.Join("/home/trader", ".config", "tokentop", "config.toml") {
		t.Errorf("without XDG_CONFIG_HOME: %q", got)
	}
	t.Setenv("XDG_CONFIG_HOME", "relative/dir") // the XDG spec says ignore it
	if got := DefaultPath(); got != filepath.Join("/home/trader", ".config", "tokentop", "config.toml") {
		t.Errorf("relative XDG_CONFIG_HOME: %q", got)
	}
	t.Setenv("HOME", "")
	if got := DefaultPath(); got != "" {
		t.Errorf("no home: %q", got)
	}
	if got := Dir("/home/trader/.config/tokentop/config.toml"); got != "/home/trader/.config/tokentop" {
		t.Errorf("Dir: %q", got)
	}
	if got := ThemesDir("/cfg/config.toml"); got != "/cfg/themes" {
		t.Errorf("ThemesDir: %q", got)
	}
	if Dir("") != "" || ThemesDir("") != "" {
		t.Error("Dir/ThemesDir of no path not empty")
	}
}

func TestValidate(t *testing.T) {
	c := Default()
	c.UI.RefreshHz = 0
	if err := c.Validate(); err == nil || err.Error() != "ui.refresh_hz: must be between 1 and 60, got 0" {
		t.Errorf("Validate: %v", err)
	}
	c = Default()
	c.Demo.Speed = math.Inf(1)
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "demo.speed: ") {
		t.Errorf("Validate: %v", err)
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1m30s")); err != nil || time.Duration(d) != 90*time.Second {
		t.Fatalf("1m30s: %v, %v", time.Duration(d), err)
	}
	for _, bad := range []string{"", "60", "1 s", "\x1b[31m", strings.Repeat("1", 100) + "s"} {
		if err := d.UnmarshalText([]byte(bad)); err == nil || strings.ContainsAny(err.Error(), "\x1b\n") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{24 * time.Hour, "24h"}, {time.Minute, "1m"}, {700 * time.Millisecond, "700ms"}, {90 * time.Second, "1m30s"}, {0, "0s"}, {time.Hour + time.Second, "1h0m1s"}} {
		b, _ := Duration(c.d).MarshalText()
		if string(b) != c.want {
			t.Errorf("MarshalText(%v) = %s, want %s", c.d, b, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("ui.refresh_hz = 5\n[demo]\nspeed = 1e3\n"))
	f.Add([]byte("ui = { flash = \"1s\", sort = \"price\" }\n[market]\nwhale_usd = 1\n"))
	f.Add([]byte("[[ui]]\n[ui.x]\n\"\" = 1\n"))
	f.Add([]byte("[keys]\ndown = [\"\\u001b\", \"j\"]\ntrade = \"q\"\nedit = [\"n\"]\n[feed.kraken]\ntrade_url = \"https://{pair}.x/\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r\x1b\x00") {
				t.Fatalf("error is not one safe line: %q", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid config: %v", err)
		}
	})
}

func BenchmarkParseExample(b *testing.B) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("config.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}

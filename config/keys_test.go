package config

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tokentop/tokentop/ui/keymap"
)

func TestExampleListsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	// The [keys] table is generated: every action, its default keys and
	// what it does, as the help page groups them.
	if !strings.Contains(string(data), "\n[keys]\n") || !strings.Contains(string(data), keymap.TOML(keymap.Defaults())) {
		t.Fatalf("config.example.toml's [keys] table is not keymap.TOML(keymap.Defaults()):\n%s", keymap.TOML(keymap.Defaults()))
	}
}

func TestKeysSettings(t *testing.T) {
	body := `[keys]
down = ["j", "down", "ctrl+n"]
up = ["k", "up", "ctrl+p"]
help = "f1"
hide_balances = []
alert_on_off = ["alt+space"]
trade = ["T"]
`
	c, err := Parse("c.toml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := keymap.Defaults()
	want["down"] = []string{"j", "down", "ctrl+n"}
	want["up"] = []string{"k", "up", "ctrl+p"}
	want["help"] = []string{"f1"}
	want["hide_balances"] = []string{}
	want["alert_on_off"] = []string{"alt+space"}
	want["trade"] = []string{"T"}
	if !reflect.DeepEqual(c.Keys, want) {
		t.Fatalf("keys = %v\nwant %v", c.Keys, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// The same key in views that never meet is fine: n is Watch's new
	// list; bound to edit (Portfolio, Alerts) it clashes with nothing.
	if _, err := Parse("c.toml", []byte("[keys]\nedit = [\"n\"]\n")); err != nil {
		t.Fatal(err)
	}
}

func TestKeysErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{"[keys]\ndown = [\"j\"]\ndwn = [\"x\"]", "c.toml:3: keys.dwn: unknown action ([keys] actions: "},
		{"[keys]\n\ndown = [\"jj\"]", `c.toml:3: keys.down: item 1: "jj" is not a key name: one character ("j", "G", "?"), or one of up, down,`},
		{"[keys]\ndown = [\"j\", \"ctrl+c\"]", `c.toml:2: keys.down: item 2: "ctrl+c" ctrl+c always quits and cannot be bound`},
		{"[keys]\ndown = [\"shift+j\"]", `c.toml:2: keys.down: item 1: "shift+j" is not a key name: write the character itself, e.g. "J"`},
		{"[keys]\ndown = [\" \"]", `c.toml:2: keys.down: item 1: " " is not a key name: " " (a space is "space")`},
		{"[keys]\ndown = [\"ctrl+i\"]", `c.toml:2: keys.down: item 1: "ctrl+i" is not a key name`},
		{"[keys]\ndown = [\"j\", \"j\"]", `c.toml:2: keys.down: item 2: "j" is listed twice`},
		{"[keys]\ndown = 5", `c.toml:2: keys.down: must be a list of key names, e.g. ["j", "down"], got the integer 5`},
		{"[keys]\ndown = [5]", "c.toml:2: keys.down: item 1 must be a key name (a string), got the integer 5"},
		{"[keys]\ndown = [\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]", "c.toml:2: keys.down: at most 8 keys, got 9"},
		{"[keys]\ndown = [\"\\u001b[2J\"]", `c.toml:2: keys.down: item 1: "\x1b[2J" is not a key name`},
		// One key, two actions in one view: the file's line is blamed, and
		// the message says how to free the key.
		{"[keys]\n\nwatch = [\"j\"]", `c.toml:3: keys.watch: "j" is also down's key (both live in Markets, Watch, Moonshots and Past); unbind it there, e.g. down = ["down"]`},
		{"[keys]\ntrade = [\"q\"]\n", `c.toml:2: keys.trade: "q" is also quit's key (both live in every view); unbind it there, e.g. quit = []`},
		// Both set in the file: the later line is blamed.
		{"[keys]\nreverse = [\"x\"]\nsort_next = [\"x\"]\n", `c.toml:3: keys.sort_next: "x" is also reverse's key`},
		{"[keys]\nsort_next = [\"x\"]\nreverse = [\"x\"]\n", `c.toml:3: keys.reverse: "x" is also sort_next's key`},
		{"keys = 1", "c.toml:1: keys: must be a table ([keys]), got the integer 1"},
	}
	for _, c := range cases {
		_, err := Parse("c.toml", []byte(c.body))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s…", c.body, err, c.want)
		}
	}
}

func TestKeysValidate(t *testing.T) {
	c := Default()
	c.Keys = keymap.Defaults()
	c.Keys["trade"] = []string{"j"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "j is bound to both down and trade") {
		t.Fatalf("Validate: %v", err)
	}
	c.Keys = keymap.Bindings{"nope": {"x"}}
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "keys.nope: unknown action") {
		t.Fatalf("Validate: %v", err)
	}
	c.Keys = keymap.Bindings{"down": {"ctrl+c"}}
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "keys.down: \"ctrl+c\" ctrl+c always quits") {
		t.Fatalf("Validate: %v", err)
	}
}

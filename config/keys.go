package config

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/tokentop/tokentop/internal/tomlfile"
	"github.com/tokentop/tokentop/ui/keymap"
)

// The [keys] table: every action of the help page takes a list of keys,
// down = ["j", "down", "ctrl+n"]; an action left out keeps its default
// keys, an empty list unbinds it (ui/keymap names the actions and keys).

// setKey type-checks and stores one [keys] setting; action is the key
// below "keys.".
func setKey(c *Config, action string, v any) string {
	if _, ok := keymap.Lookup(action); !ok {
		return keymap.UnknownAction()
	}
	var list []any
	switch v := v.(type) {
	case string:
		list = []any{v} // help = "?" reads as help = ["?"]
	case []any:
		list = v
	default:
		return `must be a list of key names, e.g. ["j", "down"], got ` + tomlfile.Describe(v)
	}
	if len(list) > keymap.MaxKeys {
		return fmt.Sprintf("at most %d keys, got %d", keymap.MaxKeys, len(list))
	}
	keys := make([]string, 0, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return fmt.Sprintf("item %d must be a key name (a string), got %s", i+1, tomlfile.Describe(e))
		}
		if p := keymap.CheckKey(s); p != "" {
			return fmt.Sprintf("item %d: %s %s", i+1, tomlfile.QuoteValue(s), p)
		}
		for _, k := range keys {
			if k == s {
				return fmt.Sprintf("item %d: %s is listed twice", i+1, tomlfile.QuoteValue(s))
			}
		}
		keys = append(keys, s)
	}
	if c.Keys == nil {
		c.Keys = keymap.Defaults()
	}
	c.Keys[action] = keys
	return ""
}

// checkKeys reports a key bound to two actions live in a common view,
// blaming the action the file sets (the later one when it sets both).
func (p *parser) checkKeys() error {
	clashes := keymap.Conflicts(p.cfg.Keys)
	if len(clashes) == 0 {
		return nil
	}
	c := clashes[0]
	blame, other := c.B, c.A
	if tomlfile.KeyLine(p.data, toml.Key{"keys", c.B}) == 0 ||
		tomlfile.KeyLine(p.data, toml.Key{"keys", c.A}) > tomlfile.KeyLine(p.data, toml.Key{"keys", c.B}) {
		blame, other = c.A, c.B
	}
	return p.fail(toml.Key{"keys", blame}, "%s is also %s's key (both live in %s); unbind it there, e.g. %s = [%s]",
		tomlfile.QuoteValue(c.Key), other, c.InViews, other, quoteKeys(without(p.cfg.Keys[other], c.Key)))
}

// checkKeys is Validate's part for [keys].
func (c Config) checkKeys() (key, problem string) {
	for action, keys := range c.Keys {
		if _, ok := keymap.Lookup(action); !ok {
			return "keys." + action, keymap.UnknownAction()
		}
		for _, k := range keys {
			if p := keymap.CheckKey(k); p != "" {
				return "keys." + action, tomlfile.QuoteValue(k) + " " + p
			}
		}
	}
	if cl := keymap.Conflicts(keymap.Resolve(c.Keys)); len(cl) > 0 {
		return "keys." + cl[0].B, cl[0].Error()
	}
	return "", ""
}

func without(keys []string, k string) []string {
	var out []string
	for _, x := range keys {
		if x != k {
			out = append(out, x)
		}
	}
	return out
}

func quoteKeys(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return strings.Join(q, ", ")
}

package themes

import (
	"embed"
	"errors"
	"fmt"
	"github.com/tokentop/tokentop/internal/tomlfile"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/tokentop/tokentop/internal/safetext"
)

// Default is the theme used when none is chosen.
const Default = "dark"

// MaxFileSize is the largest theme file accepted.
const MaxFileSize = 64 << 10

//go:embed builtin/*.toml
var builtinFiles embed.FS

// ValidName reports whether name can name a theme: 1 to 64 of a-z, 0-9,
// '_' and '-'. Such a name is also a safe file name (no separators, no "..").
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidColour reports whether s is a colour a theme may hold: "#rrggbb"
// (hex digits, either case), an ANSI index "0".."255" without leading
// zeros, or "" for the terminal's default.
func ValidColour(s string) bool {
	switch {
	case s == "":
		return true
	case s[0] == '#':
		if len(s) != 7 {
			return false
		}
		for i := 1; i < 7; i++ {
			c := s[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	default:
		if len(s) > 3 || (len(s) > 1 && s[0] == '0') {
			return false
		}
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return false
			}
			n = n*10 + int(c-'0')
		}
		return n <= 255
	}
}

// colourKeys maps each colour's TOML key to its field index in Theme: every
// string field except the name.
var colourKeys = sync.OnceValue(func() map[string]int {
	t := reflect.TypeOf(Theme{})
	keys := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("toml")
		if f.Type.Kind() == reflect.String && key != "" && key != "name" {
			keys[key] = i
		}
	}
	return keys
})

// Colours lists the theme's colours as TOML key and value, in the order of
// the Theme struct.
func (t Theme) Colours() [][2]string {
	rv := reflect.ValueOf(t)
	rt := rv.Type()
	out := make([][2]string, 0, len(colourKeys()))
	for i := 0; i < rt.NumField(); i++ {
		key := rt.Field(i).Tag.Get("toml")
		if _, ok := colourKeys()[key]; ok {
			out = append(out, [2]string{key, rv.Field(i).String()})
		}
	}
	return out
}

// Validate checks what Parse guarantees: a valid name (or none), every
// colour valid, and no colour in a mono theme.
func (t Theme) Validate() error {
	if t.Name != "" && !ValidName(t.Name) {
		return fmt.Errorf("theme name %s: must be 1-64 of a-z, 0-9, '_', '-'", tomlfile.QuoteValue(t.Name))
	}
	for _, kv := range t.Colours() {
		if !ValidColour(kv[1]) {
			return fmt.Errorf("theme %s: %s: %s is not a colour", t.Name, kv[0], tomlfile.QuoteValue(kv[1]))
		}
		if t.Mono && kv[1] != "" {
			return fmt.Errorf("theme %s: %s: a mono theme has no colours", t.Name, kv[0])
		}
	}
	return nil
}

var builtins = sync.OnceValue(func() map[string]Theme {
	entries, err := builtinFiles.ReadDir("builtin")
	if err != nil {
		panic("themes: embedded built-ins: " + err.Error())
	}
	out := make(map[string]Theme, len(entries))
	for _, e := range entries {
		data, err := builtinFiles.ReadFile("builtin/" + e.Name())
		if err != nil {
			panic("themes: embedded built-ins: " + err.Error())
		}
		name := strings.TrimSuffix(e.Name(), ".toml")
		th, err := parse("builtin/"+e.Name(), data, nil)
		if err != nil {
			panic("themes: embedded built-in " + name + ": " + err.Error())
		}
		th.Name = name
		out[name] = th
	}
	return out
})

// Builtin returns the built-in theme called name.
func Builtin(name string) (Theme, bool) {
	t, ok := builtins()[name]
	return t, ok
}

// Names lists the built-in themes, sorted (dark comes first).
func Names() []string {
	return sortedNames(builtins())
}

func sortedNames(m map[string]Theme) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Load returns the theme called name: a built-in, else the user theme file
// <userDir>/<name>.toml. A user theme may set only some keys; the rest come
// from its base, "dark" unless the file says e.g. base = "light".
func Load(name, userDir string) (Theme, error) {
	if !ValidName(name) {
		return Theme{}, fmt.Errorf("theme %s: not a valid theme name (1-64 of a-z, 0-9, '_', '-')", tomlfile.QuoteValue(name))
	}
	if t, ok := Builtin(name); ok {
		return t, nil
	}
	builtinList := strings.Join(Names(), ", ")
	if userDir == "" {
		return Theme{}, fmt.Errorf("theme %q: no such built-in theme (built-in: %s)", name, builtinList)
	}
	path := filepath.Join(userDir, name+".toml")
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Theme{}, fmt.Errorf("theme %q: not built in (%s) and no file %s", name, builtinList, safetext.Quoted(path))
	}
	var fileErr *Error
	if errors.As(err, &fileErr) {
		return Theme{}, err
	}
	if err != nil {
		return Theme{}, fmt.Errorf("theme %q: %w", name, err)
	}
	t, err := Parse(path, data)
	if err != nil {
		return Theme{}, err
	}
	if t.Name == "" {
		t.Name = name
	}
	return t, nil
}

// readFile reads a regular file of at most MaxFileSize bytes.
func readFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &tomlfile.Error{Path: path, Problem: "not a regular file"}
	}
	if st.Size() > MaxFileSize {
		return nil, &tomlfile.Error{Path: path, Problem: fmt.Sprintf("theme file is %d bytes, the limit is %d", st.Size(), MaxFileSize)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, &tomlfile.Error{Path: path, Problem: "read: " + safetext.Quoted(err.Error()), Err: err}
	}
	if len(data) > MaxFileSize {
		return nil, &tomlfile.Error{Path: path, Problem: fmt.Sprintf("theme file is over the limit of %d bytes", MaxFileSize)}
	}
	return data, nil
}

// Parse reads a user theme file. Keys it leaves out come from its base
// theme: "dark", or the built-in named by its `base` key. path is only used
// in error messages. Errors are *Error.
func Parse(path string, data []byte) (Theme, error) {
	return parse(path, data, builtins())
}

// parse decodes a theme file over one of bases. With bases == nil it is a
// built-in: it must set every colour and may not name a base.
func parse(path string, data []byte, bases map[string]Theme) (Theme, error) {
	raw, md, ferr := tomlfile.DecodeFile(path, data, MaxFileSize, "theme file")
	if ferr != nil {
		return Theme{}, ferr
	}
	bad := func(key toml.Key, format string, args ...any) (Theme, error) {
		return Theme{}, tomlfile.Problemf(path, data, key, format, args...)
	}

	// Keys in the order they appear, so the first problem reported is the
	// first in the file.
	var t Theme
	set := make(map[string]toml.Key, len(raw))
	for _, key := range md.Keys() {
		if len(key) != 1 {
			// Only top-level keys exist; anything nested sits under a key
			// already reported below as a table, unless that key is
			// unknown, which is reported first too.
			continue
		}
		k := key[0]
		v := raw[k]
		switch _, isColour := colourKeys()[k]; {
		case k == "name":
			s, ok := v.(string)
			if !ok {
				return bad(key, "must be a theme name string, got %s", tomlfile.Describe(v))
			}
			if !ValidName(s) {
				return bad(key, "must be 1-64 of a-z, 0-9, '_', '-', got %s", tomlfile.QuoteValue(s))
			}
		case k == "mono":
			if _, ok := v.(bool); !ok {
				return bad(key, "must be true or false, got %s", tomlfile.Describe(v))
			}
		case k == "base":
			s, ok := v.(string)
			if !ok {
				return bad(key, "must be the name of a built-in theme, got %s", tomlfile.Describe(v))
			}
			if bases == nil {
				return bad(key, "a built-in theme cannot have a base")
			}
			if _, ok := bases[s]; !ok {
				return bad(key, "must be a built-in theme (%s), got %s", strings.Join(sortedNames(bases), ", "), tomlfile.QuoteValue(s))
			}
		case isColour:
			s, ok := v.(string)
			if !ok {
				return bad(key, `must be a colour string ("#rrggbb", "0".."255" or ""), got %s`, tomlfile.Describe(v))
			}
			if !ValidColour(s) {
				return bad(key, `%s is not a colour; use "#rrggbb", an ANSI index "0".."255", or "" for the terminal default`, tomlfile.QuoteValue(s))
			}
		default:
			return bad(key, "unknown key (theme keys: name, base, mono, %s)", strings.Join(sortedColourKeys(), ", "))
		}
		set[k] = key
	}
	// Belt and braces: every decoded key must have been checked above.
	for k := range raw {
		if _, ok := set[k]; !ok {
			return bad(toml.Key{k}, "unknown key")
		}
	}

	if bases != nil {
		name := Default
		if s, ok := raw["base"].(string); ok {
			name = s
		}
		t = bases[name]
		t.Name = ""
	} else {
		for _, k := range sortedColourKeys() {
			if _, ok := raw[k]; !ok && raw["mono"] != true {
				return Theme{}, &tomlfile.Error{Path: path, Key: k, Problem: "missing: a built-in theme must set every colour"}
			}
		}
	}
	if s, ok := raw["name"].(string); ok {
		t.Name = s
	}
	if b, ok := raw["mono"].(bool); ok {
		t.Mono = b
	}
	rv := reflect.ValueOf(&t).Elem()
	for k, i := range colourKeys() {
		if s, ok := raw[k].(string); ok {
			rv.Field(i).SetString(s)
		}
	}
	if t.Mono {
		for _, kv := range t.Colours() {
			if kv[1] != "" {
				if key, ok := set[kv[0]]; ok {
					return bad(key, "a mono theme has no colours; remove this key or set mono = false")
				}
				return bad(toml.Key{"mono"}, "a mono theme has no colours, but its base sets %s; set base = \"mono\"", kv[0])
			}
		}
	}
	return t, nil
}

func sortedColourKeys() []string {
	keys := make([]string, 0, len(colourKeys()))
	for k := range colourKeys() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Error is a problem with a theme file: "<path>:<line>: <key>: <problem>".
type Error = tomlfile.Error

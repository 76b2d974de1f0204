package themes

import (
	"errors"
	"github.com/tokentop/tokentop/internal/tomlfile"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestBuiltinsParseAndValidate(t *testing.T) {
	names := Names()
	want := []string{"dark", "high-contrast", "light", "mono"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("Names() = %v, want %v", names, want)
	}
	for _, name := range names {
		th, ok := Builtin(name)
		if !ok {
			t.Fatalf("Builtin(%q) missing", name)
		}
		if th.Name != name {
			t.Errorf("Builtin(%q).Name = %q", name, th.Name)
		}
		if err := th.Validate(); err != nil {
			t.Errorf("Builtin(%q): %v", name, err)
		}
		if got := len(th.Colours()); got != 24 {
			t.Errorf("Builtin(%q) has %d colours, want 24", name, got)
		}
		for _, kv := range th.Colours() {
			if name == "mono" && kv[1] != "" {
				t.Errorf("mono sets %s = %q", kv[0], kv[1])
			}
			if name != "mono" && kv[1] == "" {
				t.Errorf("%s leaves %s empty", name, kv[0])
			}
		}
		if th.Mono != (name == "mono") {
			t.Errorf("Builtin(%q).Mono = %v", name, th.Mono)
		}
		loaded, err := Load(name, "")
		if err != nil || loaded != th {
			t.Errorf("Load(%q) = %+v, %v; want the built-in", name, loaded, err)
		}
	}
	if _, ok := Builtin("nope"); ok {
		t.Error("Builtin(nope) found")
	}
	// Up and down must differ in every coloured theme.
	for _, name := range []string{"dark", "light", "high-contrast"} {
		th, _ := Builtin(name)
		if th.Up == th.Down || th.FlashUpBg == th.FlashDnBg || th.SelectedBg == "" {
			t.Errorf("%s: up/down or flash colours not distinct", name)
		}
	}
}

func TestBuiltinFilesAreComplete(t *testing.T) {
	// A built-in that forgot a key would silently be "" (terminal default).
	for _, name := range Names() {
		if name == "mono" {
			continue
		}
		data, err := builtinFiles.ReadFile("builtin/" + name + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		for key := range colourKeys() {
			if !strings.Contains(string(data), "\n"+key+" ") {
				t.Errorf("%s.toml does not set %s", name, key)
			}
		}
	}
	if _, err := parse("x.toml", []byte(`text = "#ffffff"`), nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("incomplete built-in accepted: %v", err)
	}
}

func TestColourKeysCoverTheme(t *testing.T) {
	rt := reflect.TypeOf(Theme{})
	n := 0
	for i := 0; i < rt.NumField(); i++ {
		if rt.Field(i).Type.Kind() == reflect.String && rt.Field(i).Name != "Name" {
			n++
		}
	}
	if n != len(colourKeys()) || n != 24 {
		t.Fatalf("colour keys %d, string fields %d", len(colourKeys()), n)
	}
}

func TestValidColour(t *testing.T) {
	good := []string{"", "#000000", "#FFffAa", "0", "7", "15", "99", "100", "255"}
	bad := []string{"#fff", "#gggggg", "#0000000", "000000", "256", "007", "00", "-1", "1a", "red", " 1", "#12345", "\x1b[31m", "1000"}
	for _, s := range good {
		if !ValidColour(s) {
			t.Errorf("ValidColour(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidColour(s) {
			t.Errorf("ValidColour(%q) = true", s)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, s := range []string{"dark", "my_theme-2", strings.Repeat("a", 64)} {
		if !ValidName(s) {
			t.Errorf("ValidName(%q) = false", s)
		}
	}
	for _, s := range []string{"", "../etc/passwd", "a/b", `a\b`, "..", ".", "Dark", "a.toml", "a b", strings.Repeat("a", 65), "dark\x00"} {
		if ValidName(s) {
			t.Errorf("ValidName(%q) = true", s)
		}
	}
}

func writeTheme(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name+".toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUserThemeOverridesDark(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "mine", "# my colours\nup = \"#00ff00\"\ndown = \"196\"\n")
	th, err := Load("mine", dir)
	if err != nil {
		t.Fatal(err)
	}
	dark, _ := Builtin("dark")
	want := dark
	want.Name = "mine"
	want.Up = "#00ff00"
	want.Down = "196"
	if th != want {
		t.Fatalf("got %+v\nwant %+v", th, want)
	}
}

func TestUserThemeOnLightBase(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "paper", "base = \"light\"\nname = \"paper-white\"\naccent = \"#123456\"\n")
	th, err := Load("paper", dir)
	if err != nil {
		t.Fatal(err)
	}
	light, _ := Builtin("light")
	want := light
	want.Name = "paper-white"
	want.Accent = "#123456"
	if th != want {
		t.Fatalf("got %+v\nwant %+v", th, want)
	}
}

func TestUserThemeMono(t *testing.T) {
	th, err := Parse("m.toml", []byte(`base = "mono"`))
	if err != nil || !th.Mono || th.Text != "" {
		t.Fatalf("base mono: %+v, %v", th, err)
	}
	// mono over a coloured base must not keep the base's colours silently.
	_, err = Parse("m.toml", []byte("\nmono = true\n"))
	checkErr(t, err, `m.toml:2: mono: a mono theme has no colours, but its base sets`)
	_, err = Parse("m.toml", []byte("base = \"mono\"\n\ntext = \"#ffffff\"\n"))
	checkErr(t, err, `m.toml:3: text: a mono theme has no colours; remove this key or set mono = false`)
	th, err = Parse("m.toml", []byte("base = \"mono\"\nmono = false\ntext = \"#ffffff\"\n"))
	if err != nil || th.Mono || th.Text != "#ffffff" || th.Up != "" {
		t.Fatalf("mono=false over mono: %+v, %v", th, err)
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error\n  %s\nwant prefix\n  %s", err, want)
	}
	if strings.ContainsAny(err.Error(), "\n\r\x1b") {
		t.Fatalf("error is not one safe line: %q", err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"unknown key", "up = \"#00ff00\"\n\nupp = \"#00ff00\"\n", "t.toml:3: upp: unknown key (theme keys: name, base, mono, accent, "},
		{"unknown table", "[colours]\nup = \"1\"\n", "t.toml:1: colours: unknown key"},
		{"bad colour", "text = \"#fff\"\n", `t.toml:1: text: "#fff" is not a colour; use "#rrggbb"`},
		{"ansi out of range", "\n\nmuted = \"256\"\n", `t.toml:3: muted: "256" is not a colour`},
		{"escape sequence", "up = \"\\u001b[31m\"\n", `t.toml:1: up: "\x1b[31m" is not a colour`},
		{"colour wrong type", "down = 1\n", `t.toml:1: down: must be a colour string ("#rrggbb", "0".."255" or ""), got the integer 1`},
		{"colour table", "[down]\nx = 1\n", `t.toml:1: down: must be a colour string`},
		{"mono wrong type", "mono = \"yes\"\n", `t.toml:1: mono: must be true or false, got the string "yes"`},
		{"bad base", "base = \"../dark\"\n", `t.toml:1: base: must be a built-in theme (dark, high-contrast, light, mono), got "../dark"`},
		{"bad name", "name = \"Fancy Theme\"\n", `t.toml:1: name: must be 1-64 of a-z, 0-9, '_', '-', got "Fancy Theme"`},
		{"syntax", "up = \"#00ff00\"\ndown = \"#ff0000\n", "t.toml:2: invalid TOML: "},
		{"syntax bare", "up = \"#00ff00\"\n\n\nthis is not toml\n", "t.toml:4: invalid TOML: "},
		{"too big", strings.Repeat("#", MaxFileSize+1), "t.toml: theme file is over the limit"},
		{"first error wins", "zzz = 1\naaa = 2\n", "t.toml:1: zzz: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.toml", []byte(c.body))
			checkErr(t, err, strings.ReplaceAll(c.want, "\x1b", `\x1b`))
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %T is not *Error", err)
			}
		})
	}
}

func TestHostileKeyIsEscaped(t *testing.T) {
	_, err := Parse("t.toml", []byte("\"\\u001b]0;pwned\\u0007\" = \"1\"\n"))
	checkErr(t, err, `t.toml:1: "\x1b]0;pwned\a": unknown key`)
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"../dark", "../../etc/passwd", "a/b", "", ".", "..", "Dark", "x.toml"} {
		_, err := Load(name, dir)
		if err == nil || !strings.Contains(err.Error(), "not a valid theme name") {
			t.Errorf("Load(%q): %v", name, err)
		}
	}
	_, err := Load("missing", dir)
	want := `theme "missing": not built in (dark, high-contrast, light, mono) and no file ` + filepath.Join(dir, "missing.toml")
	if err == nil || err.Error() != want {
		t.Errorf("missing theme: %v\nwant %s", err, want)
	}
	_, err = Load("missing", "")
	if err == nil || !strings.Contains(err.Error(), "no such built-in theme") {
		t.Errorf("missing theme, no user dir: %v", err)
	}
	path := writeTheme(t, dir, "broken", "text = 5\n")
	_, err = Load("broken", dir)
	checkErr(t, err, path+":1: text: must be a colour string")

	big := writeTheme(t, dir, "big", "# "+strings.Repeat("x", MaxFileSize))
	_, err = Load("big", dir)
	checkErr(t, err, big+": theme file is")

	if err := os.Mkdir(filepath.Join(dir, "adir.toml"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = Load("adir", dir)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory as theme: %v", err)
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Errorf("directory reported as missing")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range Names() {
		data, err := builtinFiles.ReadFile("builtin/" + name + ".toml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("base = \"light\"\nup = \"1\"\n"))
	f.Add([]byte("base = \"mono\"\nmono = false\ntext = \"#ABCDEF\"\n"))
	f.Add([]byte("[x]\ny = [1, 2, {z = 3}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		th, err := Parse("fuzz.toml", data)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r\x1b\x00") {
				t.Fatalf("error is not one safe line: %q", err)
			}
			return
		}
		if err := th.Validate(); err != nil {
			t.Fatalf("accepted an invalid theme: %v", err)
		}
	})
}

func TestShapeLimits(t *testing.T) {
	// Pathological nesting is refused before the decoder, whose time grows
	// with the square of the depth.
	deep := []struct{ body, want string }{
		{"up = " + strings.Repeat("[", MaxFileSize-10), "t.toml:1: nested more than 16 levels deep"},
		{"up = " + strings.Repeat("{a=", 20000), "t.toml:1: nested more than 16 levels deep"},
		{"\n" + strings.Repeat("a.", 30000) + "b = 1", "t.toml:2: more than 16 dotted key parts on one line"},
	}
	for _, c := range deep {
		_, err := Parse("t.toml", []byte(c.body))
		checkErr(t, err, c.want)
	}
	// Brackets, dots and quotes inside strings and comments do not count,
	// and line numbers stay right after multi-line strings.
	body := "# [[[[[[[[[[[[[[[[[[[[ . . . . . . . . . . . . . . . . . .\n" +
		"name = \"a\" # ................................\n" +
		"text = '''\n[[[[[[[[[[[[[[[[[[[[ ''' \n" +
		"x = \"\"\"\n{{{{{{{{{{{{{{{{{{{{\\\"\"\" ..................\"\"\"\"\n" +
		"up = \"[[[[[[[[[[[[[[[[[[[[[[[[[[.......................\\\"[[[\"\n" +
		"bad = 1\n"
	line, problem := tomlfile.CheckShape([]byte(body))
	if problem != "" {
		t.Fatalf("CheckShape: line %d: %s", line, problem)
	}
	_, err := Parse("t.toml", []byte(body))
	if err == nil || !strings.Contains(err.Error(), "text: ") {
		t.Fatalf("want the decoder to reach text, got %v", err)
	}
	_, err = Parse("t.toml", []byte(body+"y = [[[[[[[[[[[[[[[[[[[[\n"))
	checkErr(t, err, "t.toml:9: nested more than 16 levels deep")
	ok := "[[[[[[[[[[[[[[[[" // exactly the limit
	if line, problem := tomlfile.CheckShape([]byte(ok)); problem != "" {
		t.Fatalf("depth 16 refused at %d: %s", line, problem)
	}
	if _, problem := tomlfile.CheckShape([]byte(ok + "{")); problem == "" {
		t.Fatal("depth 17 accepted")
	}
}

func BenchmarkParseUserTheme(b *testing.B) {
	data := []byte("base = \"light\"\nup = \"#00aa00\"\ndown = \"160\"\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("mine.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuiltin(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Builtin("dark"); !ok {
			b.Fatal("no dark")
		}
	}
}

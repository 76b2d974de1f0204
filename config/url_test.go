package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// TestPlainURLsOnlyToLoopback runs every URL setting through the tricks
// that make a host look local to a prefix check but resolve elsewhere (or
// that a resolver reads differently from us): only loopback IPs written
// the standard way and exactly "localhost" may use ws:// or http://.
func TestPlainURLsOnlyToLoopback(t *testing.T) {
	settings := []struct {
		table, key      string
		secure, plain   string
		line            int
		noQueryFragment bool
	}{
		{"feed.binance", "ws_url", "wss", "ws", 2, false},
		{"feed.kraken", "rest_url", "https", "http", 2, false},
		{"feed.coingecko", "url", "https", "http", 2, false},
		{"ratings", "tokenmetrics_url", "https", "http", 2, true},
	}
	// P is replaced by the plain scheme, S by the secure one.
	cases := []struct {
		url string
		ok  bool
	}{
		// Loopback, accepted in clear.
		{"P://localhost", true},
		{"P://localhost:8080/api", true},
		{"P://127.0.0.1", true},
		{"P://127.0.0.1:9000", true},
		{"P://127.255.255.254:1/x", true},
		{"P://[::1]", true},
		{"P://[::1]:8443/", true},
		{"P://[::ffff:127.0.0.1]/", true},
		{"P://[::ffff:7f00:1]/", true},
		{"P://[0:0:0:0:0:0:0:1]:80/", true},
		{"S://api.example.com", true},
		{"S://127.evil.example.com", true}, // TLS checks the name
		{"S://[2001:db8::1]:443/v1", true},
		{"S://bücher.example/", true},
		// Prefix and suffix tricks.
		{"P://127.evil.example.com", false},
		{"P://127.0.0.1.attacker.example/", false},
		{"P://127.0.0.1.nip.io/", false},
		{"P://localhost.evil.com/", false},
		{"P://evil-localhost/", false},
		{"P://mylocalhost/", false},
		{"P://localhost./", false},
		{"P://127.0.0.1./", false},
		{"P://LOCALHOST/", false},
		{"P://example.com/127.0.0.1", false},
		{"P://example.com/?h=localhost", false},
		// User info: refused outright, whatever the host.
		{"P://127.0.0.1@evil.com/", false},
		{"P://localhost:80@evil.com/", false},
		{"P://user:pw@127.0.0.1/", false},
		{"S://user:pw@api.example.com/", false},
		{"P://127.0.0.1\\@evil.com/", false},
		// Other spellings of 127.0.0.1 (a resolver may read them as a name).
		{"P://2130706433/", false},
		{"P://0x7f.1/", false},
		{"P://0x7f000001/", false},
		{"P://0177.0.0.1/", false},
		{"P://127.1/", false},
		{"P://127.000.000.001/", false},
		{"P://0.0.0.0/", false},
		{"P://[::]/", false},
		{"P://[::ffff:8.8.8.8]/", false},
		{"P://[::1%25lo]/", false},
		{"P://[fe80::1%25eth0]/", false},
		// Percent-encoding.
		{"P://%31%32%37.0.0.1/", false},
		{"P://127%2e0.0.1/", false},
		{"P://localhost%2eevil.com/", false},
		{"P://%6c%6f%63%61%6c%68%6f%73%74/", false},
		// Schemes: case folds to the same rule; others are refused.
		{"HTTP://evil.example/", false},
		{"WS://evil.example/", false},
		{"ftp://127.0.0.1/", false},
		{"file:///etc/passwd", false},
		{"//127.0.0.1/", false},
		{"127.0.0.1:8080", false},
		// Ports, empty hosts, spaces.
		{"P://127.0.0.1:0/", false},
		{"P://127.0.0.1:65536/", false},
		{"P://127.0.0.1:http/", false},
		{"S://api.example.com:99999/", false},
		{"P://:8080/", false},
		{"P:///path", false},
		{"P://", false},
		{"S://[]/", false},
		{"", false},
		{"P://127.0.0.1/a b", false},
		{"S://api.example.com/\x7f", false},
		// IDNs and look-alikes.
		{"P://lоcalhost/", false}, // Cyrillic о
		{"P://localhost\u200b/", false},
		{"P://xn--localhost-/", false},
		{"P://bücher.example/", false},
		{"P://１２７.0.0.1/", false}, // fullwidth digits
	}
	for _, st := range settings {
		for _, c := range cases {
			u := strings.NewReplacer("P://", st.plain+"://", "S://", st.secure+"://").Replace(c.url)
			u = strings.Replace(u, "HTTP://", strings.ToUpper(st.plain)+"://", 1)
			u = strings.Replace(u, "WS://", strings.ToUpper(st.plain)+"://", 1)
			body := fmt.Sprintf("[%s]\n%s = %q\n", st.table, st.key, u)
			_, err := Parse("c.toml", []byte(body))
			if c.ok && err != nil {
				t.Errorf("%s = %q: refused: %v", st.key, u, err)
			}
			if !c.ok {
				if err == nil {
					t.Errorf("%s = %q: accepted", st.key, u)
					continue
				}
				prefix := fmt.Sprintf("c.toml:%d: %s.%s: ", st.line, st.table, st.key)
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("%s = %q: error %q does not start with %q", st.key, u, err, prefix)
				}
				if strings.ContainsAny(err.Error(), "\n\x1b\x7f") {
					t.Errorf("%s = %q: error is not one safe line: %q", st.key, u, err)
				}
			}
		}
		if st.noQueryFragment {
			for _, u := range []string{st.secure + "://x.example/?a=1", st.secure + "://x.example/#f", st.secure + "://x.example/?"} {
				if _, err := Parse("c.toml", []byte(fmt.Sprintf("[%s]\n%s = %q\n", st.table, st.key, u))); err == nil {
					t.Errorf("%s = %q: accepted a query or fragment", st.key, u)
				}
			}
		}
	}
}

func TestPlainRefusalSaysWhatToDo(t *testing.T) {
	_, err := Parse("c.toml", []byte("[feed.coingecko]\nurl = \"http://127.0.0.1.attacker.example/\"\n"))
	want := `c.toml:2: feed.coingecko.url: must use https:// (plain http:// only to localhost, 127.0.0.1 or [::1]), got "http://127.0.0.1.attacker.example/"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:80/", "ws://[::1]/", "http://localhost/", "https://x.example/",
		"http://127.evil.example/", "http://2130706433/", "http://[::ffff:7f00:1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkURL(s, "https", "http") != "" {
			return
		}
		// Whatever passes is https, or http to a host we can name as local.
		u := mustParse(t, s)
		if u.Scheme == "http" && !loopbackByHand(u.Hostname()) {
			t.Fatalf("%q passed in clear to %q", s, u.Hostname())
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("%q passed with scheme %q", s, u.Scheme)
		}
		if u.User != nil || u.Hostname() == "" {
			t.Fatalf("%q passed with user info or no host", s)
		}
	})
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("%q passed the check but does not parse: %v", s, err)
	}
	return u
}

// loopbackByHand is the rule spelt out without net/netip's IsLoopback.
func loopbackByHand(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	if err != nil {
		return false
	}
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.Is4() {
		return ip.As4()[0] == 127
	}
	return ip == netip.IPv6Loopback()
}

package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/tokentop/tokentop/internal/tomlfile"
)

// checkURL is the one rule for every URL setting (the exchanges' ws_url
// and rest_url, coingecko.url, ratings.tokenmetrics_url): an absolute URL
// with a host, no user info, no spaces or control characters, a port from
// 1 to 65535 if any, at most maxURLLen bytes, and the secure scheme ("wss",
// "https"). The plain scheme ("ws", "http") is accepted only to a loopback
// host (PlainAllowed), for tests and local proxies: anything else would
// send prices, and an API key in a header, in clear. It returns the
// problem in words, or "".
func checkURL(s, secure, plain string) string {
	bad := fmt.Sprintf("must be a %s:// URL with a host, got %s", secure, tomlfile.QuoteValue(s))
	if s == "" || len(s) > maxURLLen {
		return bad
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return bad
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Host == "" || u.User != nil || u.Hostname() == "" || !validPort(u.Port()) {
		return bad
	}
	switch u.Scheme {
	case secure:
		return ""
	case plain:
		if PlainAllowed(u.Hostname()) {
			return ""
		}
		return fmt.Sprintf("must use %s:// (plain %s:// only to localhost, 127.0.0.1 or [::1]), got %s",
			secure, plain, tomlfile.QuoteValue(s))
	}
	return fmt.Sprintf("must be a %s:// URL, got %s", secure, tomlfile.QuoteValue(s))
}

// PlainAllowed reports whether host (a URL's Hostname: no port, no
// brackets) may be reached without TLS: exactly "localhost", or an IP
// address in 127.0.0.0/8 or ::1, written the standard way (IPv4 dotted
// decimal, IPv6 including the IPv4-mapped ::ffff:127.x.y.z). Everything a
// resolver might read differently is refused: "127.evil.example",
// "localhost.evil.example", "localhost.", "127.1", "2130706433",
// "0x7f.0.0.1", "0177.0.0.1", an IPv6 zone.
func PlainAllowed(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return false
	}
	return ip.Unmap().IsLoopback()
}

// validPort accepts no port or a decimal port from 1 to 65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p[0] != '0'
}

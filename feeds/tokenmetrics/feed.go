// Package tokenmetrics reads Token Metrics' official grades, trading
// signals and moonshots from its data API (developers.tokenmetrics.com
// documents it; its v2 and v3 versions disagree in places, see parse.go) and
// delivers them to the market as model.EventOfficial events (one per
// token) and one model.EventOfficialMoonshots per refresh, to be shown
// beside tokentop's own grades and moonshots.
//
// Each refresh asks for, per group of up to 50 symbols:
//   - /v3/tm-grade: the TM Grade (falls back to /v2/tm-grade when v3 answers
//     404 or 410);
//   - /v3/trading-signals for the last two days: the current trend call
//     (falls back to /v2, whose rows also carry the Trader and Investor
//     Grades);
//   - /v2/trader-grades and /v2/investor-grades while the API still serves
//     them (removed in Aug 2025; a 404, 410 or 400 stops asking);
//
// and, once, /v2/moonshot-tokens (type=active and type=past). So a refresh
// of up to 50 symbols costs at most 6 calls, usually 4.
package tokenmetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/model"
)

// Defaults and limits.
const (
	DefaultURL     = "https://api.tokenmetrics.com"
	DefaultEvery   = time.Hour
	DefaultTimeout = 30 * time.Second
	MaxBody        = 4 << 20 // bytes of one answer

	// Provider is OfficialRating.Provider.
	Provider = "Token Metrics"

	symbolsPerCall    = 50
	rowsPerCall       = 100 // the API's maximum limit
	minBackoff        = 30 * time.Second
	defaultRetryAfter = 60 * time.Second
	maxRetryAfter     = time.Hour
)

// Options configure the feed.
type Options struct {
	APIKey string // required; sent as x-api-key and never shown
	// URL is the API root (DefaultURL); a trailing /v2 or /v3 is ignored.
	URL string
	// Every is the time between refreshes (DefaultEvery).
	Every time.Duration
	// Symbols are the tokens to grade, our base-asset symbols. Empty asks
	// for the API's first 100 tokens.
	Symbols []string
	// Client makes the requests. Default: a client with DefaultTimeout that
	// does not follow redirects (a redirect would carry the key elsewhere).
	Client *http.Client
	// Clock stamps the events and picks the date range (default time.Now).
	Clock model.Clock
	// Sleep waits d or until ctx ends, reporting false if ctx ended. Tests
	// replace it; the default uses a timer.
	Sleep func(ctx context.Context, d time.Duration) bool
}

// Feed is the Token Metrics feed, a feeds.Feed.
type Feed struct {
	opts   Options
	base   string
	client *http.Client
	owned  bool // client built here: close its idle connections at the end

	// Touched only by Run's goroutine.
	tmVersion     string // "v3", or "v2" after v3 answered 404/410
	sigVersion    string
	legacyTrader  bool // /v2/trader-grades still served
	legacyInvestr bool
	bad           uint64

	mu       sync.Mutex
	active   []model.Moonshot
	past     []model.Moonshot
	moonTime time.Time
}

var _ feeds.Feed = (*Feed)(nil)

// New builds the feed.
func New(opts Options) *Feed {
	if opts.Every <= 0 {
		opts.Every = DefaultEvery
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	var syms []string
	for _, s := range opts.Symbols {
		s = strings.ToUpper(strings.TrimSpace(s))
		if validSymbol(s) && !slices.Contains(syms, s) {
			syms = append(syms, s)
		}
	}
	opts.Symbols = syms
	base := opts.URL
	if base == "" {
		base = DefaultURL
	}
	base = strings.TrimRight(base, "/")
	base = strings.TrimSuffix(strings.TrimSuffix(base, "/v2"), "/v3")
	f := &Feed{opts: opts, base: base, client: opts.Client, tmVersion: "v3", sigVersion: "v3", legacyTrader: true, legacyInvestr: true}
	if f.client == nil {
		f.client = &http.Client{
			Timeout:       DefaultTimeout,
			Transport:     http.DefaultTransport.(*http.Transport).Clone(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		f.owned = true
	}
	return f
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Name is "tokenmetrics".
func (f *Feed) Name() string { return "tokenmetrics" }

// Moonshots are Token Metrics' latest active and past moonshots and when
// they were fetched (zero before the first success). The market gets the
// same lists as a model.EventOfficialMoonshots after every successful
// fetch; this stays for callers outside the hub. Safe for concurrent use;
// the slices are read-only.
func (f *Feed) Moonshots() (active, past []model.Moonshot, updated time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.active, f.past, f.moonTime
}

// ErrNoAPIKey is returned by Run without a key.
var ErrNoAPIKey = errors.New("tokenmetrics: no API key: set TOKENMETRICS_API_KEY or [ratings] tokenmetrics_api_key")

// Run fetches on schedule until ctx ends (nil) or the key is missing or
// rejected (an error: retrying cannot help until the user fixes the key).
// A rate limit waits as long as Retry-After says (60s if it says nothing);
// a server error, a network error or an unreadable answer backs off from
// 30s, doubling up to Every.
func (f *Feed) Run(ctx context.Context, sink feeds.Sink) error {
	if f.owned {
		defer f.client.CloseIdleConnections()
	}
	status := func(state model.FeedState, reason string) {
		sink.Status(model.FeedStatus{Name: f.Name(), State: state, Reason: reason, Since: f.opts.Clock(), Bad: f.bad})
	}
	if strings.TrimSpace(f.opts.APIKey) == "" {
		status(model.FeedStopped, "no API key: set TOKENMETRICS_API_KEY")
		return ErrNoAPIKey
	}
	status(model.FeedConnecting, "fetching grades")
	backoff := time.Duration(0)
	for {
		err := f.refresh(ctx, sink)
		if ctx.Err() != nil {
			status(model.FeedStopped, "")
			return nil
		}
		wait := f.opts.Every
		var ae *apiError
		switch {
		case err == nil:
			backoff = 0
			status(model.FeedLive, "")
		case errors.As(err, &ae) && ae.keyRejected():
			status(model.FeedStopped, ae.Error())
			return fmt.Errorf("tokenmetrics: %w", err)
		case errors.As(err, &ae) && ae.status == http.StatusTooManyRequests:
			wait = ae.retryAfter
			status(model.FeedReconnecting, fmt.Sprintf("rate limited, retrying in %s", roundWait(wait)))
		case errors.Is(err, errPartial):
			backoff = 0
			status(model.FeedLive, f.redact(err.Error()))
		default:
			if backoff == 0 {
				backoff = minBackoff
			} else {
				backoff *= 2
			}
			backoff = min(backoff, max(f.opts.Every, minBackoff))
			wait = backoff
			status(model.FeedReconnecting, fmt.Sprintf("%s, retrying in %s", f.redact(err.Error()), roundWait(wait)))
		}
		if !f.opts.Sleep(ctx, wait) {
			status(model.FeedStopped, "")
			return nil
		}
	}
}

// roundWait shows a wait: "7s", "60s", "15m", "1h".
func roundWait(d time.Duration) string {
	secs := int64(d.Round(time.Second) / time.Second)
	switch {
	case secs <= 300:
		return strconv.FormatInt(secs, 10) + "s"
	case secs%3600 == 0:
		return strconv.FormatInt(secs/3600, 10) + "h"
	}
	return strconv.FormatInt((secs+30)/60, 10) + "m"
}

// redact removes the API key from a text, should anything ever echo it.
func (f *Feed) redact(s string) string {
	if k := strings.TrimSpace(f.opts.APIKey); k != "" {
		s = strings.ReplaceAll(s, k, "[key]")
	}
	return s
}

// errPartial marks a refresh that delivered grades but lost some calls.
var errPartial = errors.New("some grades missing")

type partialError struct{ what string }

func (e *partialError) Error() string { return e.what }
func (e *partialError) Is(target error) bool {
	return target == errPartial
}

// apiError is an HTTP answer other than 200, in words.
type apiError struct {
	call       string // "tm-grade"
	status     int
	retryAfter time.Duration // for 429
}

func (e *apiError) keyRejected() bool {
	return e.status == http.StatusUnauthorized || e.status == http.StatusForbidden
}

func (e *apiError) Error() string {
	switch {
	case e.keyRejected():
		return fmt.Sprintf("API key rejected (%d)", e.status)
	case e.status == http.StatusTooManyRequests:
		return "rate limited (429)"
	case e.status >= 500:
		return fmt.Sprintf("server error %d", e.status)
	case e.status >= 300 && e.status < 400:
		return fmt.Sprintf("%s: unexpected redirect (%d)", e.call, e.status)
	}
	return fmt.Sprintf("%s: request refused (%d)", e.call, e.status)
}

// gone reports an answer meaning "this endpoint is not served".
func (e *apiError) gone() bool {
	return e.status == http.StatusNotFound || e.status == http.StatusGone || e.status == http.StatusBadRequest
}

// refresh fetches everything once and delivers the grades. It returns nil,
// a *partialError (some grades delivered, some calls failed), or the error
// that stopped it.
func (f *Feed) refresh(ctx context.Context, sink feeds.Sink) error {
	now := f.opts.Clock().UTC()
	chunks := chunk(f.opts.Symbols, symbolsPerCall)
	merged := map[string]*model.OfficialRating{}
	var order []string
	add := func(rows []Row) {
		// Newest row first; each field from the newest row that has it.
		slices.SortStableFunc(rows, func(a, b Row) int { return b.Date.Compare(a.Date) })
		for _, r := range rows {
			if len(f.opts.Symbols) > 0 && !slices.Contains(f.opts.Symbols, r.Symbol) {
				continue
			}
			o := merged[r.Symbol]
			if o == nil {
				o = &model.OfficialRating{Provider: Provider, TMGrade: math.NaN(), TraderGrade: math.NaN(), InvestorGrade: math.NaN(), Updated: now}
				merged[r.Symbol] = o
				order = append(order, r.Symbol)
			}
			fill(&o.TMGrade, r.TMGrade)
			fill(&o.TraderGrade, r.TraderGrade)
			fill(&o.InvestorGrade, r.InvestorGrade)
			if r.HasSignal && !o.HasSignal {
				o.Signal, o.HasSignal = r.Signal, true
			}
		}
	}
	var lost []string // calls that failed, in words
	day := func(d int) string { return now.AddDate(0, 0, d).Format("2006-01-02") }
	for _, syms := range chunks {
		q := symbolQuery(syms)
		// TM Grade, current API first.
		rows, err := f.ratings(ctx, &f.tmVersion, "tm-grade", q)
		if err != nil {
			if fatal(err) {
				return err
			}
			lost = append(lost, err.Error())
		}
		add(rows)
		// Trading signals for the last two days.
		sq := cloneQuery(q)
		if f.sigVersion == "v3" {
			sq.Set("start_date", day(-1))
			sq.Set("end_date", day(0))
		} else {
			sq.Set("startDate", day(-1))
			sq.Set("endDate", day(0))
		}
		rows, err = f.ratings(ctx, &f.sigVersion, "trading-signals", sq)
		if err != nil {
			if fatal(err) {
				return err
			}
			lost = append(lost, err.Error())
		}
		add(rows)
		// Trader and Investor Grades where the older API still serves them.
		for _, legacy := range []struct {
			path   string
			served *bool
		}{{"trader-grades", &f.legacyTrader}, {"investor-grades", &f.legacyInvestr}} {
			if !*legacy.served {
				continue
			}
			lq := cloneQuery(q)
			lq.Set("startDate", day(-1))
			lq.Set("endDate", day(0))
			body, err := f.get(ctx, "v2/"+legacy.path, lq)
			var ae *apiError
			switch {
			case errors.As(err, &ae) && ae.gone():
				*legacy.served = false
				continue
			case err != nil:
				if fatal(err) {
					return err
				}
				lost = append(lost, err.Error())
				continue
			}
			rows, bad, err := ParseRatings(body)
			f.bad += uint64(bad)
			if err != nil {
				f.bad++
				lost = append(lost, fmt.Sprintf("%s: unreadable answer (%v)", legacy.path, err))
				continue
			}
			add(rows)
		}
	}
	// Moonshots.
	var active, past []model.Moonshot
	moonOK := true
	for _, typ := range []string{"active", "past"} {
		q := url.Values{"type": {typ}, "limit": {"50"}, "page": {"1"}}
		body, err := f.get(ctx, "v2/moonshot-tokens", q)
		if err != nil {
			if fatal(err) {
				return err
			}
			lost = append(lost, err.Error())
			moonOK = false
			continue
		}
		picks, bad, err := ParseMoonshots(body)
		f.bad += uint64(bad)
		if err != nil {
			f.bad++
			lost = append(lost, fmt.Sprintf("moonshot-tokens: unreadable answer (%v)", err))
			moonOK = false
			continue
		}
		if typ == "active" {
			active = picks
		} else {
			past = picks
		}
	}
	if moonOK {
		f.mu.Lock()
		f.active, f.past, f.moonTime = active, past, now
		f.mu.Unlock()
	}
	// Deliver.
	ts := now.UnixNano()
	for _, sym := range order {
		if !sink.Send(ctx, model.Event{Kind: model.EventOfficial, Symbol: sym, Time: ts, Official: merged[sym]}) {
			return ctx.Err()
		}
	}
	if moonOK {
		moons := &model.OfficialMoonshots{Provider: Provider, Active: model.ReadOnlyOf(active...), Past: model.ReadOnlyOf(past...), Updated: now}
		if !sink.Send(ctx, model.Event{Kind: model.EventOfficialMoonshots, Time: ts, OfficialMoonshots: moons}) {
			return ctx.Err()
		}
	}
	if len(lost) == 0 {
		return nil
	}
	lost = slices.Compact(lost)
	what := strings.Join(lost, "; ")
	if len(order) == 0 && !moonOK {
		return errors.New(what)
	}
	return &partialError{what: what}
}

// fatal errors end the refresh: a rejected key, a rate limit, or ctx.
func fatal(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) && (ae.keyRejected() || ae.status == http.StatusTooManyRequests) {
		return true
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func fill(dst *float64, v float64) {
	if math.IsNaN(*dst) && !math.IsNaN(v) {
		*dst = v
	}
}

// ratings gets and parses a grades answer from path at *version, falling
// back from v3 to v2 for good when v3 answers 404 or 410.
func (f *Feed) ratings(ctx context.Context, version *string, path string, q url.Values) ([]Row, error) {
	body, err := f.get(ctx, *version+"/"+path, q)
	var ae *apiError
	if *version == "v3" && errors.As(err, &ae) && (ae.status == http.StatusNotFound || ae.status == http.StatusGone) {
		*version = "v2"
		if q.Has("start_date") {
			q.Set("startDate", q.Get("start_date"))
			q.Set("endDate", q.Get("end_date"))
			q.Del("start_date")
			q.Del("end_date")
		}
		body, err = f.get(ctx, *version+"/"+path, q)
	}
	if err != nil {
		return nil, err
	}
	rows, bad, err := ParseRatings(body)
	f.bad += uint64(bad)
	if err != nil {
		f.bad++
		return nil, fmt.Errorf("%s: unreadable answer (%v)", path, err)
	}
	return rows, nil
}

// get does one GET and returns the body of a 200 answer.
func (f *Feed) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := f.base + "/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("bad API address: %s", f.redact(err.Error()))
	}
	req.Header.Set("x-api-key", f.opts.APIKey)
	req.Header.Set("accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cannot reach %s: %s", hostOf(f.base), netReason(err))
	}
	defer resp.Body.Close()
	name := path[strings.IndexByte(path, '/')+1:]
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
		ae := &apiError{call: name, status: resp.StatusCode}
		if ae.status == http.StatusTooManyRequests {
			ae.retryAfter = RetryAfter(resp.Header.Get("Retry-After"), f.opts.Clock())
		}
		return nil, ae
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s: answer cut off (%s)", name, netReason(err))
	}
	if len(body) > MaxBody {
		f.bad++
		return nil, fmt.Errorf("%s: answer larger than %d MiB", name, MaxBody>>20)
	}
	return body, nil
}

// RetryAfter reads a Retry-After header (seconds, or an HTTP date relative
// to now), clamped to 1s..1h; 60s when absent or unreadable.
func RetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" || len(h) > 64 {
		return defaultRetryAfter
	}
	var d time.Duration
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n > int64(maxRetryAfter/time.Second) {
			n = int64(maxRetryAfter / time.Second)
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	} else {
		return defaultRetryAfter
	}
	return min(max(d, time.Second), maxRetryAfter)
}

func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return SafeText(u.Host, 100)
	}
	return "the Token Metrics API"
}

// netReason is a network error in a few words, without the URL.
func netReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return "timed out"
	}
	return SafeText(err.Error(), 120)
}

func chunk(syms []string, n int) [][]string {
	if len(syms) == 0 {
		return [][]string{nil}
	}
	var out [][]string
	for len(syms) > 0 {
		k := min(n, len(syms))
		out = append(out, syms[:k])
		syms = syms[k:]
	}
	return out
}

func symbolQuery(syms []string) url.Values {
	q := url.Values{"limit": {strconv.Itoa(rowsPerCall)}, "page": {"1"}}
	if len(syms) > 0 {
		q.Set("symbol", strings.Join(syms, ","))
	}
	return q
}

func cloneQuery(q url.Values) url.Values {
	c := make(url.Values, len(q)+2)
	for k, v := range q {
		c[k] = slices.Clone(v)
	}
	return c
}

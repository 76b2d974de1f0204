package tokenmetrics

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentop/tokentop/model"
)

const testKey = "tm-test-key"

// scene is the fixtures' "now": the values in testdata/ are set at
// 2025-06-02T12:00:00Z.
var scene = time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)

// replay is a local Token Metrics API serving the fixtures in testdata.
type replay struct {
	t  *testing.T
	mu sync.Mutex
	// override answers a path (e.g. "/v3/tm-grade") instead of the
	// fixtures: status, headers, body. Empty status = use the fixture.
	override map[string]answer
	all      *answer // answers every request when set
	requests []*http.Request
}

type answer struct {
	status int
	header map[string]string
	body   []byte
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var routes = map[string]string{
	"/v3/tm-grade":        "v3/tm-grade.json",
	"/v2/tm-grade":        "v2/tm-grade.json",
	"/v3/trading-signals": "v3/trading-signals.json",
	"/v2/trading-signals": "v2/trading-signals.json",
	"/v2/trader-grades":   "v2/trader-grades.json",
	"/v2/investor-grades": "v2/investor-grades.json",
}

func (s *replay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	a, ok := s.override[r.URL.Path]
	if s.all != nil {
		a, ok = *s.all, true
	}
	s.mu.Unlock()
	if r.Header.Get("x-api-key") != testKey {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(fixture(s.t, "error_invalid_api_key.json"))
		return
	}
	if ok {
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
		return
	}
	name := routes[r.URL.Path]
	if r.URL.Path == "/v2/moonshot-tokens" {
		name = "v2/moonshot-tokens-" + r.URL.Query().Get("type") + ".json"
	}
	if name == "" {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(fixture(s.t, name))
}

func (s *replay) set(path string, a answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.override == nil {
		s.override = map[string]answer{}
	}
	s.override[path] = a
}

func (s *replay) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		out = append(out, r.URL.Path)
	}
	return out
}

func (s *replay) reset() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// sink collects what the feed delivers.
type sink struct {
	mu       sync.Mutex
	events   []model.Event
	statuses []model.FeedStatus
}

func (k *sink) Send(ctx context.Context, ev model.Event) bool {
	if ctx.Err() != nil {
		return false
	}
	k.mu.Lock()
	k.events = append(k.events, ev)
	k.mu.Unlock()
	return true
}

func (k *sink) Status(st model.FeedStatus) {
	k.mu.Lock()
	k.statuses = append(k.statuses, st)
	k.mu.Unlock()
}

func (k *sink) last() model.FeedStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.statuses[len(k.statuses)-1]
}

func (k *sink) official(sym string) *model.OfficialRating {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := len(k.events) - 1; i >= 0; i-- {
		if k.events[i].Symbol == sym {
			return k.events[i].Official
		}
	}
	return nil
}

// moonshots are the EventOfficialMoonshots events delivered.
func (k *sink) moonshots() []model.Event {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []model.Event
	for _, ev := range k.events {
		if ev.Kind == model.EventOfficialMoonshots {
			out = append(out, ev)
		}
	}
	return out
}

// harness runs a feed against a replay server. Its Sleep reports each wait
// on waits and blocks until the test calls next (or ctx ends).
type harness struct {
	t      *testing.T
	srv    *replay
	feed   *Feed
	sink   *sink
	waits  chan time.Duration
	resume chan struct{}
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, srv *replay, key string) *harness {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	h := &harness{t: t, srv: srv, sink: &sink{}, waits: make(chan time.Duration), resume: make(chan struct{}), done: make(chan error, 1)}
	h.feed = New(Options{
		APIKey:  key,
		URL:     ts.URL + "/v3/", // a version suffix is ignored
		Symbols: []string{"btc", "ETH", "ETH", "bad symbol!"},
		Clock:   func() time.Time { return scene },
		Sleep: func(ctx context.Context, d time.Duration) bool {
			select {
			case h.waits <- d:
			case <-ctx.Done():
				return false
			}
			select {
			case <-h.resume:
				return true
			case <-ctx.Done():
				return false
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.feed.Run(ctx, h.sink) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return h
}

// wait returns the next wait the feed asks for.
func (h *harness) wait() time.Duration {
	h.t.Helper()
	select {
	case d := <-h.waits:
		return d
	case err := <-h.done:
		h.t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		h.t.Fatal("the feed did not finish a refresh")
	}
	return 0
}

func (h *harness) next() { h.resume <- struct{}{} }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRefreshCurrentAPI(t *testing.T) {
	srv := &replay{t: t}
	h := start(t, srv, testKey)
	if d := h.wait(); d != DefaultEvery {
		t.Errorf("waits %v after a good refresh, want %v", d, DefaultEvery)
	}
	if st := h.sink.last(); st.State != model.FeedLive || st.Reason != "" || st.Name != "tokenmetrics" {
		t.Errorf("status %+v", st)
	}
	btc, eth := h.sink.official("BTC"), h.sink.official("ETH")
	if btc == nil || eth == nil {
		t.Fatalf("events: %+v", h.sink.events)
	}
	if btc.Provider != "Token Metrics" || !near(btc.TMGrade, 64.37) || !near(btc.TraderGrade, 64.37) || !near(btc.InvestorGrade, 79.84) ||
		!btc.HasSignal || btc.Signal != model.SignalBullish || !btc.Updated.Equal(scene) {
		t.Errorf("BTC %+v", *btc)
	}
	if !near(eth.TMGrade, 48.9) || !near(eth.TraderGrade, 48.9) || !near(eth.InvestorGrade, 74.18) || eth.Signal != model.SignalBearish {
		t.Errorf("ETH %+v", *eth)
	}
	for _, ev := range h.sink.events {
		if ev.Kind != model.EventOfficial && ev.Kind != model.EventOfficialMoonshots || ev.Time != scene.UnixNano() {
			t.Errorf("event %+v", ev)
		}
	}
	// Requests: the current API for TM Grades and signals, our symbols
	// (upper case, deduplicated, bad ones dropped), the key in x-api-key.
	srv.mu.Lock()
	for _, r := range srv.requests {
		if r.Header.Get("x-api-key") != testKey || r.Header.Get("accept") != "application/json" {
			t.Errorf("%s: headers %v", r.URL, r.Header)
		}
		q := r.URL.Query()
		switch r.URL.Path {
		case "/v3/tm-grade":
			if q.Get("symbol") != "BTC,ETH" || q.Get("limit") != "100" || q.Get("page") != "1" {
				t.Errorf("tm-grade query %v", q)
			}
		case "/v3/trading-signals":
			if q.Get("start_date") != "2025-06-01" || q.Get("end_date") != "2025-06-02" {
				t.Errorf("signals query %v", q)
			}
		case "/v2/moonshot-tokens":
			if q.Get("type") != "active" && q.Get("type") != "past" {
				t.Errorf("moonshots query %v", q)
			}
		}
	}
	srv.mu.Unlock()
	if got := strings.Join(srv.paths(), " "); got != "/v3/tm-grade /v3/trading-signals /v2/trader-grades /v2/investor-grades /v2/moonshot-tokens /v2/moonshot-tokens" {
		t.Errorf("calls: %s", got)
	}
	active, past, when := h.feed.Moonshots()
	if len(active) != 2 || len(past) != 2 || !when.Equal(scene) {
		t.Fatalf("moonshots %d active, %d past, at %v", len(active), len(past), when)
	}
	a := active[0]
	if a.Symbol != "AMSH" || a.Name != "Aurora Mesh" || !a.Entry.Equal(time.Date(2025, 5, 28, 14, 0, 0, 0, time.UTC)) ||
		!near(a.ROI, 0.2387) || !near(a.Grade, 82.15) || !near(a.MarketCap, 18422310.55) || !near(a.Volume24h, 2210934.18) || !a.Active() {
		t.Errorf("active moonshot %+v", a)
	}
	if p := past[1]; p.Symbol != "LMPK" || p.Active() || !near(p.ROI, -0.1255) || p.ExitReason == "" {
		t.Errorf("past moonshot %+v", p)
	}
	// The same lists reach the market: one EventOfficialMoonshots, after
	// the grades.
	evs := h.sink.moonshots()
	if len(evs) != 1 {
		t.Fatalf("%d moonshot events, want 1", len(evs))
	}
	if last := h.sink.events[len(h.sink.events)-1]; last.Kind != model.EventOfficialMoonshots {
		t.Errorf("last event %v, want the moonshots", last.Kind)
	}
	om := evs[0].OfficialMoonshots
	if om == nil || om.Provider != "Token Metrics" || !om.Updated.Equal(scene) || om.Active.Len() != 2 || om.Past.Len() != 2 {
		t.Fatalf("moonshots event %+v", om)
	}
	want := []struct {
		sym, name string
		entry     time.Time
		roi, cap  float64
		active    bool
	}{
		{"AMSH", "Aurora Mesh", time.Date(2025, 5, 28, 14, 0, 0, 0, time.UTC), 0.2387, 18422310.55, true},
		{"QFN", "Quillfinch", time.Date(2025, 5, 31, 9, 0, 0, 0, time.UTC), -0.0412, 7351902.40, true},
		{"DRFT", "Driftwood Labs", time.Date(2025, 4, 14, 10, 0, 0, 0, time.UTC), 0.4137, 26730418.02, false},
		{"LMPK", "Lumenpeak", time.Date(2025, 4, 22, 16, 0, 0, 0, time.UTC), -0.1255, 5120077.91, false},
	}
	for i, w := range want {
		m := om.Active.At(min(i, 1))
		if i >= 2 {
			m = om.Past.At(i - 2)
		}
		if m.Symbol != w.sym || m.Name != w.name || !m.Entry.Equal(w.entry) || !near(m.ROI, w.roi) ||
			!near(m.MarketCap, w.cap) || m.Active() != w.active || !math.IsNaN(m.EntryPrice) {
			t.Errorf("moonshot %d: %+v, want %+v", i, m, w)
		}
	}
	if p := om.Past.At(0); !p.Exit.Equal(time.Date(2025, 5, 6, 18, 0, 0, 0, time.UTC)) || !near(p.Grade, 58.44) || !near(p.Volume24h, 1844921.33) {
		t.Errorf("past moonshot DRFT %+v", p)
	}
}

func TestFallsBackToTheOlderAPI(t *testing.T) {
	srv := &replay{t: t}
	notFound := answer{status: http.StatusNotFound, body: []byte(`{"success":false,"message":"Not found"}`)}
	for _, p := range []string{"/v3/tm-grade", "/v3/trading-signals"} {
		srv.set(p, notFound)
	}
	srv.set("/v2/trader-grades", answer{status: http.StatusGone})
	srv.set("/v2/investor-grades", answer{status: http.StatusNotFound})
	h := start(t, srv, testKey)
	h.wait()
	btc := h.sink.official("BTC")
	// TM Grade from /v2/tm-grade (served as strings); Trader and Investor
	// Grades from the newest /v2/trading-signals row.
	if btc == nil || !near(btc.TMGrade, 64.37) || !near(btc.TraderGrade, 64.37) || !near(btc.InvestorGrade, 79.84) || btc.Signal != model.SignalBullish {
		t.Fatalf("BTC %+v", btc)
	}
	if st := h.sink.last(); st.State != model.FeedLive || st.Reason != "" {
		t.Errorf("status %+v", st)
	}
	// The next refresh goes straight to v2 and no longer asks for the
	// removed endpoints.
	srv.reset()
	h.next()
	h.wait()
	if got := strings.Join(srv.paths(), " "); got != "/v2/tm-grade /v2/trading-signals /v2/moonshot-tokens /v2/moonshot-tokens" {
		t.Errorf("second refresh calls: %s", got)
	}
	srv.mu.Lock()
	q := srv.requests[1].URL.Query()
	srv.mu.Unlock()
	if q.Get("startDate") != "2025-06-01" || q.Get("endDate") != "2025-06-02" || q.Has("start_date") {
		t.Errorf("v2 signals query %v", q)
	}
}

func TestBadKeyStopsTheFeed(t *testing.T) {
	srv := &replay{t: t}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	k := &sink{}
	f := New(Options{APIKey: "wrong-key-123", URL: ts.URL, Clock: func() time.Time { return scene }})
	err := f.Run(context.Background(), k)
	if err == nil || err.Error() != "tokenmetrics: API key rejected (401)" {
		t.Fatalf("Run: %v", err)
	}
	if st := k.last(); st.State != model.FeedStopped || st.Reason != "API key rejected (401)" {
		t.Errorf("status %+v", st)
	}
	for _, st := range k.statuses {
		if strings.Contains(st.Reason, "wrong-key") {
			t.Errorf("status shows the key: %+v", st)
		}
	}
	if len(k.events) != 0 {
		t.Errorf("events after a rejected key: %d", len(k.events))
	}
}

func TestNoKey(t *testing.T) {
	k := &sink{}
	err := New(Options{URL: "http://127.0.0.1:1"}).Run(context.Background(), k)
	if !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("Run: %v", err)
	}
	if st := k.last(); st.State != model.FeedStopped || !strings.Contains(st.Reason, "TOKENMETRICS_API_KEY") {
		t.Errorf("status %+v", st)
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	srv := &replay{t: t}
	limited := answer{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "7"}, body: fixture(t, "error_rate_limited.json")}
	srv.all = &limited
	h := start(t, srv, testKey)
	if d := h.wait(); d != 7*time.Second {
		t.Errorf("waits %v, want the 7s Retry-After", d)
	}
	if st := h.sink.last(); st.State != model.FeedReconnecting || st.Reason != "rate limited, retrying in 7s" {
		t.Errorf("status %+v", st)
	}
	if n := len(srv.paths()); n != 1 {
		t.Errorf("%d calls after a 429, want 1 (stop at once)", n)
	}
	// No Retry-After: a minute.
	srv.mu.Lock()
	srv.all = &answer{status: http.StatusTooManyRequests}
	srv.mu.Unlock()
	h.next()
	if d := h.wait(); d != time.Minute {
		t.Errorf("waits %v without Retry-After, want 60s", d)
	}
	if st := h.sink.last(); st.Reason != "rate limited, retrying in 60s" {
		t.Errorf("status %+v", st)
	}
	// Served again: back to the schedule.
	srv.mu.Lock()
	srv.all = nil
	srv.mu.Unlock()
	h.next()
	if d := h.wait(); d != DefaultEvery {
		t.Errorf("waits %v after recovery", d)
	}
	if st := h.sink.last(); st.State != model.FeedLive {
		t.Errorf("status %+v", st)
	}
}

func TestServerErrorsBackOff(t *testing.T) {
	srv := &replay{t: t}
	srv.all = &answer{status: http.StatusServiceUnavailable, body: []byte("<html>down</html>")}
	h := start(t, srv, testKey)
	for _, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
		if d := h.wait(); d != want {
			t.Errorf("backoff %v, want %v", d, want)
		}
		st := h.sink.last()
		if st.State != model.FeedReconnecting || !strings.HasPrefix(st.Reason, "server error 503, retrying in ") {
			t.Errorf("status %+v", st)
		}
		h.next()
	}
	srv.mu.Lock()
	srv.all = nil
	srv.mu.Unlock()
	if d := h.wait(); d != DefaultEvery {
		t.Errorf("after recovery waits %v", d)
	}
}

func TestUnreadableAnswers(t *testing.T) {
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"html", fixture(t, "bad/html_error_page.html"), "unreadable answer (not JSON)"},
		{"truncated", fixture(t, "bad/truncated_coingecko_markets.json"), "unreadable answer (JSON cut short)"},
		{"null", fixture(t, "bad/json_null.json"), "unreadable answer (not JSON)"},
		{"string", fixture(t, "bad/json_string.json"), "unreadable answer (not JSON)"},
		{"failure", fixture(t, "error_bad_request.json"), "unreadable answer (the API reported a failure: Invalid query parameters)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := &replay{t: t}
			srv.all = &answer{status: http.StatusOK, body: c.body}
			h := start(t, srv, testKey)
			if d := h.wait(); d != 30*time.Second {
				t.Errorf("waits %v", d)
			}
			st := h.sink.last()
			if st.State != model.FeedReconnecting || !strings.Contains(st.Reason, c.want) || st.Bad == 0 {
				t.Errorf("status %+v, want %q", st, c.want)
			}
			if strings.ContainsAny(st.Reason, "\x1b\n\r") {
				t.Errorf("unsafe reason %q", st.Reason)
			}
		})
	}
}

func TestPartialAnswersStillDeliver(t *testing.T) {
	srv := &replay{t: t}
	srv.set("/v3/tm-grade", answer{status: http.StatusOK, body: fixture(t, "v3/tm-grade.json")[:200]})
	srv.set("/v2/moonshot-tokens", answer{status: http.StatusInternalServerError})
	// v3 signal rows carry tm_grade too: serve none, so the TM Grade
	// can only come from the broken answer.
	srv.set("/v3/trading-signals", answer{status: http.StatusOK, body: fixture(t, "v2/empty.json")})
	h := start(t, srv, testKey)
	if d := h.wait(); d != DefaultEvery {
		t.Errorf("waits %v", d)
	}
	st := h.sink.last()
	if st.State != model.FeedLive || st.Reason != "tm-grade: unreadable answer (JSON cut short); server error 500" {
		t.Errorf("status %+v", st)
	}
	btc := h.sink.official("BTC")
	if btc == nil || !math.IsNaN(btc.TMGrade) || !near(btc.TraderGrade, 64.37) || !near(btc.InvestorGrade, 79.84) || btc.HasSignal {
		t.Errorf("BTC %+v", btc)
	}
	// The moonshots failed: no moonshot event (the last good lists stay).
	if evs := h.sink.moonshots(); len(evs) != 0 {
		t.Errorf("moonshot events after a failed fetch: %+v", evs)
	}
}

func TestWrongTypesAreCountedAndSkipped(t *testing.T) {
	srv := &replay{t: t}
	srv.set("/v3/tm-grade", answer{status: http.StatusOK, body: []byte(`{"success":true,"data":[
		{"token_symbol":"BTC","tm_grade":true},
		{"token_symbol":"ETH","tm_grade":"1e999"},
		{"token_symbol":"BTC","tm_grade":150},
		{"token_symbol":"\u001b[2J","tm_grade":50},
		[1,2,3],
		{"token_symbol":"ETH","tm_grade":"55.5"}]}`)})
	srv.set("/v3/trading-signals", answer{status: http.StatusOK, body: fixture(t, "v2/empty.json")})
	h := start(t, srv, testKey)
	h.wait()
	if eth := h.sink.official("ETH"); eth == nil || !near(eth.TMGrade, 55.5) {
		t.Errorf("ETH %+v", eth)
	}
	if btc := h.sink.official("BTC"); btc == nil || !math.IsNaN(btc.TMGrade) {
		t.Errorf("BTC %+v", btc)
	}
	if st := h.sink.last(); st.Bad != 5 || st.State != model.FeedLive {
		t.Errorf("status %+v, want 5 bad rows", st)
	}
}

func TestOversizedAnswer(t *testing.T) {
	srv := &replay{t: t}
	srv.all = &answer{status: http.StatusOK, body: []byte(`{"data":[` + strings.Repeat(" ", MaxBody) + `]}`)}
	h := start(t, srv, testKey)
	h.wait()
	if st := h.sink.last(); !strings.Contains(st.Reason, "answer larger than 4 MiB") {
		t.Errorf("status %+v", st)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var leaked sync.Mutex
	gotKey := ""
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Lock()
		gotKey = r.Header.Get("x-api-key")
		leaked.Unlock()
	}))
	defer other.Close()
	srv := &replay{t: t}
	srv.all = &answer{status: http.StatusFound, header: map[string]string{"Location": other.URL + "/steal"}}
	h := start(t, srv, testKey)
	h.wait()
	if st := h.sink.last(); !strings.Contains(st.Reason, "unexpected redirect (302)") {
		t.Errorf("status %+v", st)
	}
	leaked.Lock()
	defer leaked.Unlock()
	if gotKey != "" {
		t.Error("the key followed a redirect to another server")
	}
}

func TestUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there now
	k := &sink{}
	waits := make(chan time.Duration, 1)
	f := New(Options{APIKey: testKey, URL: url, Clock: func() time.Time { return scene },
		Sleep: func(ctx context.Context, d time.Duration) bool { waits <- d; return false }})
	if err := f.Run(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	if d := <-waits; d != 30*time.Second {
		t.Errorf("waits %v", d)
	}
	st := k.statuses[len(k.statuses)-2]
	if st.State != model.FeedReconnecting || !strings.HasPrefix(st.Reason, "cannot reach 127.0.0.1:") || strings.Contains(st.Reason, "http://") {
		t.Errorf("status %+v", st)
	}
	if k.last().State != model.FeedStopped {
		t.Errorf("last status %+v", k.last())
	}
}

func TestRetryAfter(t *testing.T) {
	now := scene
	for _, c := range []struct {
		h    string
		want time.Duration
	}{
		{"", time.Minute}, {"7", 7 * time.Second}, {" 120 ", 2 * time.Minute}, {"0", time.Second}, {"-5", time.Second},
		{"99999999999", time.Hour}, {"soon", time.Minute},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), time.Second},
		{strings.Repeat("9", 100), time.Minute},
	} {
		if got := RetryAfter(c.h, now); got != c.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", c.h, got, c.want)
		}
	}
}

// TestNoGoroutineLeak runs feeds to the end and checks the goroutine count
// settles back (the feed's own HTTP client closes its connections).
func TestNoGoroutineLeak(t *testing.T) {
	srv := &replay{t: t}
	ts := httptest.NewServer(srv)
	before := runtime.NumGoroutine()
	for range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		f := New(Options{APIKey: testKey, URL: ts.URL, Clock: func() time.Time { return scene },
			Sleep: func(context.Context, time.Duration) bool { cancel(); return false }})
		if err := f.Run(ctx, &sink{}); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	ts.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

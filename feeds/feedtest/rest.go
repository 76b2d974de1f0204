package feedtest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Response is one canned HTTP answer.
type Response struct {
	Status int               // default 200
	Body   []byte            //
	Header map[string]string // e.g. {"Retry-After": "30"}
	Delay  time.Duration     // wait this long (or until the client leaves) before answering
}

// RetryAfter is a 429 (or code) response with a Retry-After header.
func RetryAfter(code int, seconds int, body []byte) Response {
	return Response{Status: code, Body: body, Header: map[string]string{"Retry-After": strconv.Itoa(seconds)}}
}

// RESTServer is a local HTTP server (127.0.0.1) serving canned responses
// per path, recording every request.
type RESTServer struct {
	URL string // "http://127.0.0.1:port"

	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string]*route
	reqs   []*url.URL
	done   chan struct{}
	once   sync.Once
}

type route struct {
	seq  []Response // served in order; the last repeats
	n    int
	fn   http.HandlerFunc
	hits int
}

// NewRESTServer starts an empty server; add routes with Route or Handle.
// An unknown path gets 404. It closes at the end of the test.
func NewRESTServer(t testing.TB) *RESTServer {
	t.Helper()
	s := StartRESTServer()
	t.Cleanup(s.Close)
	return s
}

// StartRESTServer is NewRESTServer for a program (internal/firehose): the
// caller closes the server.
func StartRESTServer() *RESTServer {
	s := &RESTServer{routes: map[string]*route{}, done: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *RESTServer) Close() {
	s.once.Do(func() {
		close(s.done)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Client is an HTTP client for this server (its idle connections are
// closed with the server).
func (s *RESTServer) Client() *http.Client { return s.srv.Client() }

// Route serves the responses in order at path; the last one repeats.
func (s *RESTServer) Route(path string, seq ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[path] = &route{seq: seq}
}

// Handle serves path with fn.
func (s *RESTServer) Handle(path string, fn http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[path] = &route{fn: fn}
}

// Requests is every request URL so far (path and query), in order.
func (s *RESTServer) Requests() []*url.URL {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*url.URL(nil), s.reqs...)
}

// Hits is how many requests path has had.
func (s *RESTServer) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.routes[path]; r != nil {
		return r.hits
	}
	return 0
}

func (s *RESTServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u := *r.URL
	s.reqs = append(s.reqs, &u)
	rt := s.routes[r.URL.Path]
	var resp Response
	var fn http.HandlerFunc
	if rt != nil {
		rt.hits++
		fn = rt.fn
		if fn == nil && len(rt.seq) > 0 {
			resp = rt.seq[min(rt.n, len(rt.seq)-1)]
			rt.n++
		}
	}
	s.mu.Unlock()
	switch {
	case rt == nil:
		http.NotFound(w, r)
		return
	case fn != nil:
		fn(w, r)
		return
	}
	if resp.Delay > 0 {
		t := time.NewTimer(resp.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.done:
			t.Stop()
			return
		}
	}
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(resp.Body)
}

// RefusedAddr is a 127.0.0.1 address (host:port) where nothing listens: a
// port the system just handed out and that was closed again. Tests that
// need a connection refused use it rather than guessing a port nobody
// uses (port 1 may be open on some machines).
func RefusedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return addr
}

// StepRateLimits drives, on clock, a backfill of exchange (run, on its own
// goroutine, into rec) whose first answer is a rate limit without
// Retry-After and whose second is a 429 with Retry-After: 1: the first is
// backed off (a timer, passed by advancing 10 ms: the test's backoff must
// be shorter), the second is said in the status ("rate limited by
// <exchange>, retrying in 1s") and waited out to the millisecond (hits,
// the requests made, is still 2 at 999 ms). It returns the backfill's
// error; every wait is bounded by timeout.
func StepRateLimits(t testing.TB, clock *FakeClock, rec *Recorder, exchange string, hits func() int, timeout time.Duration, run func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- run() }()
	if !clock.WaitTimers(1, timeout) {
		t.Fatal("no backoff after the first rate limit")
	}
	clock.Advance(10 * time.Millisecond)
	if _, ok := rec.WaitStatus(timeout, 0, "rate limited by "+exchange+", retrying in 1s"); !ok {
		t.Fatalf("no rate-limit note: %+v", rec.Statuses())
	}
	if !clock.WaitTimers(1, timeout) {
		t.Fatal("not waiting out Retry-After")
	}
	clock.Advance(999 * time.Millisecond)
	if n := hits(); n != 2 {
		t.Fatalf("%d requests before Retry-After was over, want 2", n)
	}
	clock.Advance(time.Millisecond)
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		t.Fatal("the backfill did not end after Retry-After")
		return nil
	}
}

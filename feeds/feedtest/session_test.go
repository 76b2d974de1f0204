package feedtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokentop/tokentop/feeds"
	"github.com/tokentop/tokentop/feeds/internal/httpx"
	"github.com/tokentop/tokentop/model"
)

const wait = 5 * time.Second

// fakeExchange runs session as its Session and sends history as its
// Backfill.
type fakeExchange struct {
	session func(ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error
	history []model.Event
}

func (fakeExchange) Name() string { return "fake" }

func (x fakeExchange) Backfill(ctx context.Context, sink feeds.Sink, _, _ time.Time) error {
	for _, ev := range x.history {
		if !sink.Send(ctx, ev) {
			return ctx.Err()
		}
	}
	return nil
}

func (x fakeExchange) Session(ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
	return x.session(ctx, sink, hooks)
}

func TestHooksRecordWhatTheSessionSaid(t *testing.T) {
	h := &Hooks{}
	hooks := h.SessionHooks()
	if h.WaitBeats(1, 20*time.Millisecond) {
		t.Fatal("WaitBeats: a beat that never came")
	}
	go func() {
		hooks.Live()
		hooks.Bad("one")
		hooks.Beat()
		hooks.Bad("two")
		hooks.Beat()
	}()
	if !h.WaitBeats(2, wait) {
		t.Fatalf("beats %d, want 2", h.Beats())
	}
	if h.Live() != 1 || h.Beats() != 2 || !slices.Equal(h.Bads(), []string{"one", "two"}) {
		t.Fatalf("live %d beats %d bad %q", h.Live(), h.Beats(), h.Bads())
	}
}

func TestStartSessionStopsAndReportsTheEnd(t *testing.T) {
	NoLeaks(t)
	// A session that runs until cancelled, sending one event.
	ex := fakeExchange{session: func(ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		hooks.Live()
		sink.Send(ctx, model.Event{Kind: model.EventQuote, Symbol: "BTC", Time: 1, Price: 2})
		<-ctx.Done()
		return nil
	}}
	rec, h := NewRecorder(), &Hooks{}
	s := StartSession(t, ex, rec, h, wait)
	if !rec.WaitFor(wait, func(evs []model.Event, _ []model.FeedStatus) bool { return len(evs) == 1 }) {
		t.Fatal("no event")
	}
	if !s.Running() || s.Err() != nil || h.Live() != 1 {
		t.Fatalf("running %v err %v live %d", s.Running(), s.Err(), h.Live())
	}
	if err := s.Stop(t); err != nil || s.Running() {
		t.Fatalf("Stop: %v, running %v", err, s.Running())
	}

	// A session that ends by itself.
	boom := errors.New("boom")
	s = StartSession(t, fakeExchange{session: func(context.Context, feeds.Sink, feeds.SessionHooks) error { return boom }},
		NewRecorder(), &Hooks{}, wait)
	if err := s.Done(t); err != boom || s.Err() != boom || s.Running() {
		t.Fatalf("Done: %v, Err %v, running %v", err, s.Err(), s.Running())
	}
}

func TestSuperviseRunsTheFeedAndStops(t *testing.T) {
	NoLeaks(t)
	bar := model.Event{Kind: model.EventCandle, Symbol: "BTC", Res: model.Minute,
		Candle: model.Candle{T: 60, Open: 1, High: 2, Low: 1, Close: 2, Volume: 3}}
	early := bar
	early.Candle.T = 0
	quote := model.Event{Kind: model.EventQuote, Symbol: "BTC", Time: 5, Price: 2}
	ex := fakeExchange{history: []model.Event{bar, early}, session: func(ctx context.Context, sink feeds.Sink, hooks feeds.SessionHooks) error {
		hooks.Live()
		hooks.Beat()
		sink.Send(ctx, quote)
		<-ctx.Done()
		return nil
	}}
	s := Supervise(t, ex, feeds.SuperviseOptions{}, wait)
	liveAt := s.WaitStatusFrom(t, 0, model.FeedLive, "")
	s.WaitEvents(t, "the quote and the history", func(evs []model.Event) bool { return len(evs) == 3 })
	evs := s.Rec.Events()
	if got := LiveEvents(evs); !slices.Equal(got, []model.Event{quote}) {
		t.Errorf("LiveEvents %+v", got)
	}
	if got := History(evs, "BTC"); !slices.Equal(got, []model.Event{early, bar}) {
		t.Errorf("History %+v, want oldest first", got)
	}
	if got := History(evs, "ETH"); len(got) != 0 {
		t.Errorf("History of ETH %+v", got)
	}
	NoReconnects(t, s.Rec.Statuses())
	s.Stop()
	s.Stop() // once
	if st := s.Rec.Last(); st.State != model.FeedStopped {
		t.Errorf("last status %+v", st)
	}
	if at := s.WaitStatusFrom(t, liveAt, model.FeedStopped, ""); at <= liveAt {
		t.Errorf("stopped at #%d, live at #%d", at, liveAt)
	}
	if got := StatusLines([]model.FeedStatus{{State: model.FeedLive}, {State: model.FeedStale, Reason: "no data"}}); got !=
		"\n  "+model.FeedLive.String()+" \n  "+model.FeedStale.String()+" no data" {
		t.Errorf("StatusLines %q", got)
	}
}

func TestRESTLogAnswersInOrderAndRecords(t *testing.T) {
	NoLeaks(t)
	srv := NewRESTServer(t)
	log := NewRESTLog(RetryAfter(http.StatusTooManyRequests, 2, []byte(`{"slow":1}`)), Response{Body: []byte(`[1]`)})
	srv.Handle("/a", log.ServeHTTP)
	srv.Handle("/b", log.ServeHTTP)
	type answer struct {
		status int
		retry  string
		body   string
	}
	var got []answer
	for _, p := range []string{"/a?x=1", "/b", "/a"} {
		resp, err := srv.Client().Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got = append(got, answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)})
	}
	want := []answer{{429, "2", `{"slow":1}`}, {200, "", `[1]`}, {200, "", `[1]`}}
	if !slices.Equal(got, want) {
		t.Fatalf("answers %+v, want %+v", got, want)
	}
	reqs := log.WaitRequests(t, 3, wait)
	if len(reqs) != 3 || reqs[0].URL.Path != "/a" || reqs[0].URL.Query().Get("x") != "1" || reqs[1].URL.Path != "/b" ||
		reqs[0].Status != 429 || reqs[2].Status != 200 || reqs[2].At.Before(reqs[0].At) {
		t.Fatalf("requests %+v", reqs)
	}
	if n := len(log.Requests()); n != 3 {
		t.Fatalf("%d requests", n)
	}
}

func (f *failures) Errorf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func TestCheckHistory(t *testing.T) {
	c := func(ts int64) model.Candle { return model.Candle{T: ts, Open: 1, High: 1, Low: 1, Close: 1} }
	ev := func(sym string, res model.Resolution, ts int64) model.Event {
		return model.Event{Kind: model.EventCandle, Symbol: sym, Res: res, Candle: c(ts)}
	}
	want := []model.Candle{c(60), c(120)}
	evs := []model.Event{ev("B", model.Minute, 120), ev("A", model.Minute, 60), ev("B", model.Minute, 60), ev("A", model.Minute, 120),
		{Kind: model.EventQuote, Symbol: "A", Time: 1, Price: 1}}
	var f failures
	if CheckHistory(&f, evs, []string{"A", "B"}, model.Minute, want); len(f.msgs) != 0 {
		t.Fatalf("good history: %q", f.msgs)
	}
	for name, bad := range map[string][]model.Event{
		"hour bar":  {ev("A", model.Minute, 60), ev("A", model.Hour, 120)},
		"other bar": {ev("A", model.Minute, 60), ev("A", model.Minute, 180)},
		"short":     {ev("A", model.Minute, 60)},
	} {
		f.msgs = nil
		if CheckHistory(&f, bad, []string{"A"}, model.Minute, want); len(f.msgs) != 1 {
			t.Errorf("%s: %q, want one failure", name, f.msgs)
		}
	}
}

func TestCheckRateLimitWaitedOut(t *testing.T) {
	t0 := time.Unix(1000, 0)
	req := func(u string, after time.Duration, status int) RESTRequest {
		parsed, _ := url.Parse(u)
		return RESTRequest{URL: parsed, At: t0.Add(after), Status: status}
	}
	good := []RESTRequest{req("/a?p=1", 0, 429), req("/a?p=2", 10*time.Millisecond, 200), req("/a?p=1", time.Second, 200)}
	noted := []model.FeedStatus{{State: model.FeedLive}, {State: model.FeedLive, Reason: "rate limited by venue, retrying in 1s"}, {State: model.FeedLive}}
	check := func(reqs []RESTRequest, sts []model.FeedStatus) []string {
		s := &Supervised{Rec: NewRecorder(), Wait: 50 * time.Millisecond}
		for _, st := range sts {
			s.Rec.Status(st)
		}
		var f failures
		s.CheckRateLimitWaitedOut(&f, "venue", reqs, 950*time.Millisecond)
		return f.msgs
	}
	if msgs := check(good, noted); len(msgs) != 0 {
		t.Fatalf("a rate limit waited out: %q", msgs)
	}
	for name, c := range map[string]struct {
		reqs []RESTRequest
		sts  []model.FeedStatus
	}{
		"retried too soon": {[]RESTRequest{good[0], req("/a?p=1", 900*time.Millisecond, 200)}, noted},
		"never retried":    {good[:2], noted},
		"history failed":   {good, append(slices.Clone(noted), model.FeedStatus{State: model.FeedLive, Reason: "history unavailable"})},
		"never noted":      {good, []model.FeedStatus{{State: model.FeedLive}}},
		"never cleared":    {good, noted[:2]},
		"reconnected":      {good, append(slices.Clone(noted), model.FeedStatus{State: model.FeedReconnecting, Reason: "attempt 1"})},
	} {
		if msgs := check(c.reqs, c.sts); len(msgs) != 1 {
			t.Errorf("%s: %q, want one failure", name, msgs)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	names := []string{"coinbase/ticker.json", "kraken/trade.json"}
	var seen []string
	var f failures
	NoAllocs(&f, names, func(frame []byte) {
		if len(seen) == 0 || seen[len(seen)-1] != string(frame) {
			seen = append(seen, string(frame))
		}
	})
	if len(f.msgs) != 0 || len(seen) != 2 || seen[0] != string(Compact(Fixture(t, names[0]))) {
		t.Fatalf("failures %q, frames seen %d", f.msgs, len(seen))
	}
	var keep [][]byte
	NoAllocs(&f, names, func(frame []byte) { keep = append(keep, slices.Clone(frame)) })
	if len(f.msgs) != 2 || !strings.Contains(f.msgs[0], "coinbase/ticker.json: ") {
		t.Fatalf("an allocating run reported %q", f.msgs)
	}
}

func (f *failures) Fatal(args ...any) { f.msgs = append(f.msgs, fmt.Sprint(args...)) }

// A session that does not end in time fails the test, in words.
func TestSessionThatDoesNotEndFails(t *testing.T) {
	NoLeaks(t)
	release := make(chan struct{})
	ex := fakeExchange{session: func(ctx context.Context, _ feeds.Sink, _ feeds.SessionHooks) error {
		<-release // ignores its context until released
		return nil
	}}
	s := StartSession(t, ex, NewRecorder(), &Hooks{}, 20*time.Millisecond)
	var f failures
	s.Done(&f)
	s.Stop(&f)
	if want := []string{"session did not end", "session did not end after its context was cancelled"}; !slices.Equal(f.msgs, want) {
		t.Errorf("failures %q, want %q", f.msgs, want)
	}
	close(release)
	s.timeout = wait // now it ends: give it all the time it needs
	if err := s.Done(t); err != nil {
		t.Fatal(err)
	}
}

// StepRateLimits walks a real Requester through a rate limit without
// Retry-After and one with Retry-After: 1; a backfill that waits for
// neither fails it.
func TestStepRateLimits(t *testing.T) {
	NoLeaks(t)
	srv := NewRESTServer(t)
	srv.Route("/h", Response{Status: 429}, RetryAfter(429, 1, nil), Response{Body: []byte(`[]`)})
	clock := NewFakeClock(time.Unix(1000, 0))
	rec := NewRecorder()
	req := &httpx.Requester{Exchange: "venue", HTTP: srv.Client(), Pace: httpx.NewPacer(clock, 0), Clock: clock, MaxBody: 1 << 10,
		Tries: 3, RetryBase: 5 * time.Millisecond, RetryMax: 5 * time.Millisecond,
		Note: func(reason string) { rec.Status(model.FeedStatus{Reason: reason}) }}
	hits := func() int { return srv.Hits("/h") }
	err := StepRateLimits(t, clock, rec, "venue", hits, wait, func() error {
		return req.Do(context.Background(), srv.URL+"/h", func(a httpx.Answer) (httpx.Verdict, error) {
			if a.Status == 429 {
				return httpx.Limited, errors.New("slow down")
			}
			return httpx.Done, nil
		})
	})
	if err != nil || hits() != 3 {
		t.Fatalf("err %v, %d requests", err, hits())
	}

	var f failures
	if err := StepRateLimits(&f, NewFakeClock(time.Unix(0, 0)), NewRecorder(), "venue", func() int { return 1 }, 20*time.Millisecond,
		func() error { return nil }); err != nil || len(f.msgs) == 0 || f.msgs[0] != "no backoff after the first rate limit" {
		t.Fatalf("a backfill that waits for nothing: %v, %q", err, f.msgs)
	}
}

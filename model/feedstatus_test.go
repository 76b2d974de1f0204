package model

import (
	"testing"
	"time"
)

func TestFormatWait(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0.0s"}, {0, "0.0s"}, {500 * time.Millisecond, "0.5s"}, {949 * time.Millisecond, "0.9s"},
		{950 * time.Millisecond, "1s"}, {time.Second, "1s"}, {1001 * time.Millisecond, "2s"}, {59100 * time.Millisecond, "60s"},
		{90 * time.Second, "90s"}, {119 * time.Second, "119s"}, {2 * time.Minute, "2m"}, {150 * time.Second, "2m30s"},
		{2 * time.Hour, "2h"},
	} {
		if got := FormatWait(c.d); got != c.want {
			t.Errorf("FormatWait(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestFeedStatusWords(t *testing.T) {
	t0 := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		st   FeedStatus
		now  time.Time
		want string
	}{
		{FeedStatus{State: FeedLive, Reason: "ignored while live"}, t0, "live"},
		{FeedStatus{State: FeedQuiet, LastFrame: t0}, t0.Add(5 * time.Second), "quiet 5s"},
		{FeedStatus{State: FeedReconnecting, RetryAt: t0.Add(4 * time.Second), Reason: "attempt 3: refused"}, t0, "reconnecting in 4s (attempt 3: refused)"},
		{FeedStatus{State: FeedReconnecting, RetryAt: t0, Reason: "attempt 3: refused"}, t0.Add(time.Second), "reconnecting now (attempt 3: refused)"},
		{FeedStatus{State: FeedReconnecting, Reason: "server answers again"}, t0, "reconnecting (server answers again)"},
		{FeedStatus{State: FeedStale, Reason: "no data for 30s"}, t0, "stale (no data for 30s)"},
	} {
		if got := c.st.Describe(c.now); got != c.want {
			t.Errorf("Describe = %q, want %q", got, c.want)
		}
	}
	h := FeedStatus{History: "HTTP 500", HistoryRetryAt: t0.Add(42 * time.Second)}
	if got, want := h.DescribeHistory(t0), "history failed: HTTP 500; retrying in 42s"; got != want {
		t.Errorf("DescribeHistory = %q, want %q", got, want)
	}
	if got := (FeedStatus{}).DescribeHistory(t0); got != "" {
		t.Errorf("DescribeHistory with nothing failed = %q", got)
	}
}

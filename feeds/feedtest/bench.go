package feedtest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/tokentop/tokentop/model"
)

// Discard is a feeds.Sink that drops everything (for benchmarks).
type Discard struct{}

// Send drops ev and reports success.
func (Discard) Send(context.Context, model.Event) bool { return true }

// Status drops st.
func (Discard) Status(model.FeedStatus) {}

// BenchFrame benchmarks run on the fixture name (compacted, as it comes
// off the wire): bytes per second, allocations, and frames per second.
func BenchFrame(b *testing.B, name string, run func(frame []byte)) {
	b.Helper()
	frame := Compact(Fixture(b, name))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run(frame)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchJSON benchmarks decoding the fixture name into a T with
// encoding/json: the yardstick for an adapter's own parser.
func BenchJSON[T any](b *testing.B, name string) {
	b.Helper()
	BenchFrame(b, name, func(frame []byte) {
		var v T
		if err := json.Unmarshal(frame, &v); err != nil {
			b.Fatal(err)
		}
	})
}

// NoAllocs checks that run allocates nothing for each of the fixtures
// (compacted, as they come off the wire), averaged over 200 runs after a
// first one.
func NoAllocs(t testing.TB, names []string, run func(frame []byte)) {
	t.Helper()
	for _, name := range names {
		frame := Compact(Fixture(t, name))
		if n := testing.AllocsPerRun(200, func() { run(frame) }); n != 0 {
			t.Errorf("%s: %.1f allocations per frame, want 0", name, n)
		}
	}
}

package feedtest

import (
	"context"
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

package main

import "runtime/debug"

// gcPercent is tokentop's GOGC unless the environment sets one. Most of the
// heap is history that lives as long as the program (model.Series, about
// 28 KB a token, no pointers for the collector to scan), and the garbage
// is small (snapshots, rendered frames): with Go's default of 100 the heap
// would grow to twice the history before a collection. 50 keeps it at
// one and a half times, for a collection every few seconds that costs well
// under a millisecond (docs/PERFORMANCE.md).
const gcPercent = 50

// tuneGC applies gcPercent unless GOGC is set.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
)

// startProfiling writes profiles for performance work when the (hidden,
// not for users) environment variables ask for them:
// TOKENTOP_CPUPROFILE=FILE records a CPU profile from start (or from
// TOKENTOP_CPUPROFILE_AFTER seconds after it) to exit;
// TOKENTOP_MEMPROFILE=FILE writes a heap profile in text form, with the
// runtime's MemStats at its end (live objects as of the
// last garbage collection) TOKENTOP_MEMPROFILE_AFTER seconds after start
// (default 60), or at exit if that comes first. The returned func stops
// and writes them; errors go to stderr once the terminal is restored.
func startProfiling(getenv func(string) string) (stop func()) {
	var cpuMu sync.Mutex
	var cpu *os.File
	if path := getenv("TOKENTOP_CPUPROFILE"); path != "" {
		start := func() {
			f, err := os.Create(path)
			if err == nil {
				err = pprof.StartCPUProfile(f)
			}
			cpuMu.Lock()
			defer cpuMu.Unlock()
			if err != nil {
				fmt.Fprintf(os.Stderr, "tokentop: cpu profile: %v\n", err)
			} else {
				cpu = f
			}
		}
		if v, err := strconv.ParseFloat(getenv("TOKENTOP_CPUPROFILE_AFTER"), 64); err == nil && v > 0 {
			time.AfterFunc(time.Duration(v*float64(time.Second)), start)
		} else {
			start()
		}
	}
	var heapOnce sync.Once
	var heapErr error
	writeHeap := func() {}
	if path := getenv("TOKENTOP_MEMPROFILE"); path != "" {
		writeHeap = func() {
			heapOnce.Do(func() {
				f, err := os.Create(path)
				if err == nil {
					err = pprof.Lookup("heap").WriteTo(f, 1)
					if cerr := f.Close(); err == nil {
						err = cerr
					}
				}
				heapErr = err
			})
		}
		after := 60.0
		if v, err := strconv.ParseFloat(getenv("TOKENTOP_MEMPROFILE_AFTER"), 64); err == nil && v >= 0 {
			after = v
		}
		time.AfterFunc(time.Duration(after*float64(time.Second)), writeHeap)
	}
	return func() {
		cpuMu.Lock()
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		cpuMu.Unlock()
		writeHeap()
		if heapErr != nil {
			fmt.Fprintf(os.Stderr, "tokentop: heap profile: %v\n", heapErr)
		}
	}
}

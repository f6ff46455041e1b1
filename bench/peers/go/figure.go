// What every Go peer shares: best-of-N timing, RSS, and the `name value unit` output line.
// Each peer is built as `go build -o X <peer>.go figure.go`.
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

func init() {
	// The peers measure one-thread scheduling, like weft's; the scripts also set the env.
	runtime.GOMAXPROCS(1)
}

// bestOf runs body reps times and keeps the smallest figure: the least disturbed run on a
// shared, noisy machine.
func bestOf(reps int, body func() float64) float64 {
	best := 0.0
	for i := 0; i < reps; i++ {
		v := body()
		if i == 0 || v < best {
			best = v
		}
	}
	return best
}

func nsPer(start time.Time, ops int) float64 {
	return float64(time.Since(start).Nanoseconds()) / float64(ops)
}

func figure(name string, value float64, unit string) {
	fmt.Printf("%s %.1f %s\n", name, value, unit)
}

// rssBytes reads the resident set size of this process from /proc/self/statm.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(b), &size, &resident); err != nil {
		return -1
	}
	return resident * int64(os.Getpagesize())
}

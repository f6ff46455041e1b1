// go.idle: resident bytes per goroutine blocked receiving on one channel, 1,000,000 of
// them, GOMAXPROCS=1. Measured once (a GC first, so the baseline holds no garbage).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
)

func main() {
	count := flag.Int("count", 1000000, "goroutines")
	flag.Parse()

	ch := make(chan int)
	var started sync.WaitGroup
	started.Add(*count)
	runtime.GC()
	before := rssBytes()
	for i := 0; i < *count; i++ {
		go func() {
			started.Done()
			<-ch
		}()
	}
	started.Wait()
	after := rssBytes()
	if g := runtime.NumGoroutine(); g != *count+1 {
		fmt.Fprintf(os.Stderr, "idle: expected %d goroutines, have %d\n", *count+1, g)
		os.Exit(1)
	}
	figure("go.idle", float64(after-before)/float64(*count), "bytes")
	os.Exit(0)
}

// go.yield: ns per switch between two goroutines calling runtime.Gosched(), GOMAXPROCS=1;
// main waits on a WaitGroup meanwhile.
package main

import (
	"flag"
	"runtime"
	"sync"
	"time"
)

func main() {
	n := flag.Int("n", 1000000, "yields per goroutine")
	reps := flag.Int("reps", 5, "repetitions (the best is printed)")
	flag.Parse()

	ns := bestOf(*reps, func() float64 {
		var wg sync.WaitGroup
		wg.Add(2)
		body := func() {
			for i := 0; i < *n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}
		start := time.Now()
		go body()
		go body()
		wg.Wait()
		return nsPer(start, 2**n)
	})
	figure("go.yield", ns, "ns")
}

// go.spawn: ns to start, run and finish an empty goroutine (it only signals a WaitGroup),
// started in batches of 1000, each batch waited for, GOMAXPROCS=1.
package main

import (
	"flag"
	"sync"
	"time"
)

func main() {
	batches := flag.Int("batches", 100, "batches")
	batch := flag.Int("batch", 1000, "goroutines per batch")
	reps := flag.Int("reps", 15, "repetitions (the best is printed; as many as weft.spawn's)")
	flag.Parse()

	ns := bestOf(*reps, func() float64 {
		var wg sync.WaitGroup
		start := time.Now()
		for b := 0; b < *batches; b++ {
			wg.Add(*batch)
			for i := 0; i < *batch; i++ {
				go wg.Done()
			}
			wg.Wait()
		}
		return nsPer(start, *batches**batch)
	})
	figure("go.spawn", ns, "ns")
}

// go.pingpong: ns per round trip between two goroutines over unbuffered channels (one each
// way), GOMAXPROCS=1; main waits on a WaitGroup meanwhile.
package main

import (
	"flag"
	"sync"
	"time"
)

func main() {
	n := flag.Int("n", 500000, "round trips")
	reps := flag.Int("reps", 5, "repetitions (the best is printed)")
	flag.Parse()

	ns := bestOf(*reps, func() float64 {
		ping, pong := make(chan int), make(chan int)
		var wg sync.WaitGroup
		wg.Add(2)
		start := time.Now()
		go func() {
			for i := 0; i < *n; i++ {
				ping <- i
				<-pong
			}
			wg.Done()
		}()
		go func() {
			for i := 0; i < *n; i++ {
				pong <- <-ping
			}
			wg.Done()
		}()
		wg.Wait()
		return nsPer(start, *n)
	})
	figure("go.pingpong", ns, "ns")
}

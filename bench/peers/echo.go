// go: a goroutine-per-connection echo server on 127.0.0.1, GOMAXPROCS=1. `--port P`.
// It reads into a per-connection buffer and writes back what it read, the way most Go
// servers are written (io.Copy is avoided: on Linux it may splice through a pipe per call).
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"
)

const bufSize = 4096

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, bufSize)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	port := flag.Int("port", 0, "port to listen on (127.0.0.1)")
	flag.Parse()
	if *port <= 0 {
		fmt.Fprintln(os.Stderr, "usage: echo --port P")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(1)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			// EMFILE and friends: report and keep serving the connections we have.
			fmt.Fprintln(os.Stderr, "echo: accept:", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go serve(c)
	}
}

// go: Go's net/http answering GET / with "hello world\n" (text/plain), the peer of
// examples/http_hello. `--port P`; run with GOMAXPROCS=1.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
)

func main() {
	port := flag.Int("port", 8080, "port on 127.0.0.1")
	flag.Parse()
	body := []byte("hello world\n")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(body)
	})
	if err := http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *port), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

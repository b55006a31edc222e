// Command bare is the baseline of internal/bench: a net/http handler
// alone, answering a small JSON body as a who-am-I would, in a binary of
// its own (so that its start is a bare Go server's).
//
//	go run ./internal/bench/bare -addr 127.0.0.1:8182
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8182", "listen address (loopback)")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"user_2f1c0e9d8b7a6c5d4e3f2a1b0c"}`)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}

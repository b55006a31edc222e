// Command gzip writes NAME.gz beside each NAME given, at the best
// compression, without a name or time in the header (so that the output
// depends only on the input), for go:generate lines:
//
//	//go:generate go run github.com/embedauth/auth/internal/gzdata/gzip openapi.json
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	var names []string
	for _, arg := range os.Args[1:] {
		m, err := filepath.Glob(arg)
		if err != nil || len(m) == 0 {
			fmt.Fprintf(os.Stderr, "gzip: %s: no such file\n", arg)
			os.Exit(1)
		}
		names = append(names, m...)
	}
	for _, name := range names {
		in, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gzip:", err)
			os.Exit(1)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(in)
		zw.Close()
		if err := os.WriteFile(name+".gz", buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gzip:", err)
			os.Exit(1)
		}
	}
}

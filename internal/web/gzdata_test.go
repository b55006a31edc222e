package web

import (
	"testing"
	"testing/fstest"

	"github.com/embedauth/auth/internal/gzdata"
)

// openapi.json.gz holds openapi.json (go generate rewrites it).
func TestOpenAPIGzipIsTheSource(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"openapi.json.gz": {Data: openAPIGzip}}
	if err := gzdata.SameAsSource(fsys, ".", "openapi.json"); err != nil {
		t.Fatal(err)
	}
}

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "gzip; q=0.0": false,
		"*": true, "identity": false, "deflate, br": false, "x-gzip": true,
		"*;q=1, gzip;q=0": false, "gzip;q=0, *": false, "*;q=0": false, "*;q=0, gzip": true,
	} {
		if got := acceptsGzip([]string{v}); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", v, got, want)
		}
	}
}

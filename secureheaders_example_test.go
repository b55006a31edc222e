package auth_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	auth "github.com/embedauth/auth"
)

// The app's own pages carry the headers of embedauth's pages: a strict
// Content-Security-Policy (scripts and styles from the app's origin only),
// no framing, no referrer, no caching.
func ExampleAuth_SecureHeaders() {
	dir, _ := os.MkdirTemp("", "embedauth-example")
	defer os.RemoveAll(dir)
	a, err := auth.New(auth.Config{DatabasePath: filepath.Join(dir, "app.db"), BaseURL: "http://localhost:8080"})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	// The app's routes, with stylesheets served from its own origin (no
	// <style> blocks or style="..." attributes: the policy forbids them).
	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<link rel="stylesheet" href="/static/app.css"><h1>Home</h1>`)
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler()) // embedauth's pages set these headers themselves
	mux.Handle("/", a.SecureHeaders(app))
	h := a.Middleware(http.NewCrossOriginProtection().Handler(mux)) // pass h to http.ListenAndServe

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost:8080/", nil))
	for _, directive := range strings.Split(rec.Header().Get("Content-Security-Policy"), "; ") {
		if strings.HasPrefix(directive, "script-src") || strings.HasPrefix(directive, "frame-ancestors") {
			fmt.Println(directive)
		}
	}
	fmt.Println("Referrer-Policy:", rec.Header().Get("Referrer-Policy"))
	fmt.Println("Cache-Control:", rec.Header().Get("Cache-Control"))
	// Output:
	// script-src 'self'
	// frame-ancestors 'none'
	// Referrer-Policy: no-referrer
	// Cache-Control: no-store
}

package auth_test

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"

	auth "github.com/embedauth/auth"
)

// A complete setup: pages and API under /auth/, a protected /app/, and the
// signed-in user in every request's context.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "embedauth-example")
	defer os.RemoveAll(dir)

	a, err := auth.New(auth.Config{
		DatabasePath: filepath.Join(dir, "app.db"),
		BaseURL:      "http://localhost:8080",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		fmt.Fprintf(w, "Hello, %s", u.DisplayName())
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	mux.Handle("/app/", a.RequireUser(app))
	_ = a.Middleware(mux) // pass this to http.ListenAndServe
	fmt.Println("ready")
	// Output: ready
}

// UserFrom reads the user that Middleware or RequireUser found.
func ExampleUserFrom() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		if u, ok := auth.UserFrom(r.Context()); ok {
			fmt.Fprintf(w, "signed in as %s", u.Email)
			return
		}
		fmt.Fprint(w, "signed out")
	}
	_ = handler
}

package auth_test

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	auth "github.com/embedauth/auth"
)

// Every user must set up two-step verification, and an app route that
// moves money asks for a proof of the user's factors from the last five
// minutes.
func ExampleAuth_RequireReverification() {
	dir, _ := os.MkdirTemp("", "embedauth-example")
	defer os.RemoveAll(dir)

	a, err := auth.New(auth.Config{
		DatabasePath: filepath.Join(dir, "app.db"),
		BaseURL:      "http://localhost:8080",
		MFA: auth.MFAConfig{
			Policy:               auth.MFARequired,
			ReverificationWindow: 10 * time.Minute, // for the built-in sensitive changes
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	transfer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "transferred")
	})
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	mux.Handle("POST /app/transfer", a.RequireReverification(5*time.Minute, transfer))
	_ = a.Middleware(mux)
	fmt.Println("ready")
	// Output: ready
}

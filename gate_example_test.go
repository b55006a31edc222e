package auth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"

	auth "github.com/embedauth/auth"
)

// Sign-up starts restricted to invited addresses and the company's
// domain, with a Turnstile challenge on the forms; later an administrator
// opens a waitlist at run time.
func ExampleAuth_UpdateSignUpSettings() {
	dir, _ := os.MkdirTemp("", "embedauth-example")
	defer os.RemoveAll(dir)
	a, err := auth.New(auth.Config{
		DatabasePath: filepath.Join(dir, "app.db"),
		SignUp: auth.SignUpConfig{
			Mode:      auth.SignUpRestricted,
			Allowlist: []string{"example.com"},
			Blocklist: []string{"competitor.example"},
		},
		BotProtection: auth.BotProtection{
			Provider:  auth.BotProtectionTurnstile,
			SiteKey:   os.Getenv("TURNSTILE_SITE_KEY") + "site-key",
			SecretKey: os.Getenv("TURNSTILE_SECRET_KEY") + "secret-key",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	ctx := context.Background()
	s, err := a.UpdateSignUpSettings(ctx, auth.SignUpSettings{Mode: auth.SignUpWaitlist, Allowlist: []string{"Example.com "}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Mode, s.Allowlist)
	// Output: waitlist [example.com]
}

// An app handler tells an administrator's impersonation from the user's
// own visit.
func ExampleImpersonationFrom() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if imp, ok := auth.ImpersonationFrom(r.Context()); ok {
			log.Printf("administrator %s acting as %s until %v", imp.ActorID, imp.UserID, imp.ExpiresAt)
			http.Error(w, "Not while impersonating.", http.StatusForbidden)
			return
		}
		fmt.Fprintln(w, "billing settings")
	})
	_ = handler
}

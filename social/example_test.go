package social_test

import (
	"context"
	"fmt"
	"log"

	"github.com/embedauth/auth/social"
)

// The two halves of a sign-in: Begin before sending the browser to the
// provider, Exchange when it comes back. The Start is kept server-side,
// bound to the browser, and used once.
func Example() {
	p, err := social.New(social.Config{
		ID: "sso", Kind: social.KindOIDC, IssuerURL: "https://sso.example.com/realms/staff",
		ClientID: "app", ClientSecret: "secret", RedirectURL: "https://app.example.com/auth/oauth/sso/callback",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	start, err := p.Begin(ctx) // fetches the discovery document on first use
	if err != nil {
		log.Fatal(err)
	}
	// Keep start in the browser's session, redirect to start.URL. On the
	// callback, compare the state parameter with start.State, then:
	var code string // the callback's code parameter
	prof, err := p.Exchange(ctx, start, code)
	if err != nil {
		log.Fatal(err) // refused: nothing to sign in
	}
	fmt.Println(prof.Subject, prof.Email, prof.EmailVerified)
}

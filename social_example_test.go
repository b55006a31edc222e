package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"golang.org/x/oauth2"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/core"
)

// Social sign-in with Google, GitHub and a self-hosted Keycloak. Each
// provider gets BaseURL+"/auth/oauth/"+ID+"/callback" as its redirect
// URI; nothing is fetched from a provider until someone uses it.
func ExampleSocialProvider() {
	dir, _ := os.MkdirTemp("", "embedauth-example")
	defer os.RemoveAll(dir)

	a, err := auth.New(auth.Config{
		DatabasePath: filepath.Join(dir, "app.db"),
		BaseURL:      "http://localhost:8080",
		Social: []auth.SocialProvider{
			{Kind: auth.SocialGoogle, ClientID: "google-client-id", ClientSecret: "google-secret"},
			{Kind: auth.SocialGitHub, ClientID: "github-client-id", ClientSecret: "github-secret"},
			{Kind: auth.SocialOIDC, ID: "keycloak", Name: "Company SSO", IssuerURL: "https://sso.example.com/realms/staff",
				ClientID: "embedauth", ClientSecret: "keycloak-secret"},
		},
		// Join an existing account when the provider verified its email.
		SocialLinking: auth.SocialLinkVerifiedEmail,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	fmt.Println("redirect URI for GitHub: http://localhost:8080/auth/oauth/github/callback")
	// Output: redirect URI for GitHub: http://localhost:8080/auth/oauth/github/callback
}

// With StoreProviderTokens, the app calls a provider's API for the
// signed-in user: ProviderToken returns a valid access token, refreshing
// an expired one first.
func ExampleAuth_ProviderToken() {
	dir, _ := os.MkdirTemp("", "embedauth-example")
	defer os.RemoveAll(dir)

	a, err := auth.New(auth.Config{
		DatabasePath:        filepath.Join(dir, "app.db"),
		BaseURL:             "http://localhost:8080",
		Social:              []auth.SocialProvider{{Kind: auth.SocialGitHub, ClientID: "id", ClientSecret: "secret"}},
		StoreProviderTokens: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	ctx := context.Background()
	userID := "user_123" // in a handler: u, _ := auth.UserFrom(r.Context()); u.ID
	tok, err := a.ProviderToken(ctx, userID, "github")
	if errors.Is(err, core.ErrNotFound) {
		fmt.Println("this user has not signed in with GitHub")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	client := oauth2.NewClient(ctx, oauth2.StaticTokenSource(tok))
	resp, err := client.Get("https://api.github.com/user/repos")
	if err == nil {
		resp.Body.Close()
	}
	// Output: this user has not signed in with GitHub
}

package auth_test

// Social sign-in end to end in headless Chromium: the "Continue with"
// button, the redirect to the provider on another origin (an OpenID
// Connect provider with a consent page), the way back with the session
// cookie, and connecting a second, plain OAuth 2.0 provider from the
// profile.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/browsertest"
	"github.com/embedauth/auth/internal/oauthtest"
	"github.com/embedauth/auth/internal/oidctest"
)

func TestSocialBrowser_RedirectDance(t *testing.T) {
	t.Parallel()
	op := oidctest.New(t)
	op.SetConsent(true)
	op.SetUser(oidctest.User{Subject: "browser-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"})
	gh := oauthtest.New(t)
	gh.SetUser(oauthtest.User{ID: 77, Login: "ada-gh", Name: "Ada on GitHub",
		Emails: []oauthtest.Email{{Email: "ada@example.com", Primary: true, Verified: true}}})
	env := authtest.New(t, func(c *auth.Config) {
		c.Social = []auth.SocialProvider{
			{Kind: auth.SocialOIDC, ID: "idp", Name: "Test IdP", IssuerURL: op.URL, ClientID: op.ClientID, ClientSecret: op.ClientSecret},
			{Kind: auth.SocialGitHub, ClientID: gh.ClientID, ClientSecret: gh.ClientSecret,
				AuthURL: gh.URL + "/login/oauth/authorize", TokenURL: gh.URL + "/login/oauth/access_token", APIURL: gh.URL + "/api"},
		}
	})
	op.SetClock(env.Clock.Now)
	tab := browsertest.Browser(t)

	if st := tab.Navigate(env.URL + "/auth/sign-in?redirect_url=/auth/profile%3Ftab%3Dconnections"); st != http.StatusOK {
		t.Fatalf("sign-in page: %d", st)
	}
	if st := tab.ClickAndWait("#social-idp"); st != http.StatusOK {
		t.Fatalf("provider page: %d at %s", st, tab.URL())
	}
	if !strings.HasPrefix(tab.URL(), op.URL+"/authorize?") {
		t.Fatalf("the button led to %s, not the provider", tab.URL())
	}
	if st := tab.ClickAndWait("#approve"); st != http.StatusOK {
		t.Fatalf("back from the provider: %d at %s", st, tab.URL())
	}
	if p := tab.Path(); p != "/auth/profile?tab=connections" {
		t.Fatalf("landed on %s, want the profile", p)
	}
	if h := tab.Text("h1"); h != "Ada Lovelace" {
		t.Errorf("profile heading %q", h)
	}
	if s := tab.Text("#connections"); !strings.Contains(s, "Test IdP") || !strings.Contains(s, "ada@example.com") {
		t.Errorf("connected accounts: %q", s)
	}

	// Connect GitHub from the profile: the provider approves at once.
	if st := tab.ClickAndWait("#connect-github"); st != http.StatusOK {
		t.Fatalf("connect GitHub: %d at %s", st, tab.URL())
	}
	if p := tab.Path(); p != "/auth/profile?tab=connections" {
		t.Fatalf("after connecting, at %s", p)
	}
	if s := tab.Text("#connections"); !strings.Contains(s, "GitHub") {
		t.Errorf("connected accounts after linking: %q", s)
	}
	u, err := env.Auth.GetUserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	list, err := env.Auth.Store().ExternalAccounts(context.Background(), u.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("accounts: %v %+v", err, list)
	}

	// Sign out, then back in through the provider.
	tab.Navigate(env.URL + "/auth/sign-out")
	tab.Submit("form button[type=submit]")
	tab.Navigate(env.URL + "/auth/sign-in")
	tab.ClickAndWait("#social-idp")
	tab.ClickAndWait("#approve")
	if body := tab.Text("body"); body != "user:"+u.ID {
		t.Errorf("after signing in again the app says %q", body)
	}
}

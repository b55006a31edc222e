package social_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/embedauth/auth/internal/oauthtest"
	"github.com/embedauth/auth/internal/oidctest"
	"github.com/embedauth/auth/social"
)

const callback = "http://localhost:9999/auth/oauth/test/callback"

func oidcProvider(t *testing.T, op *oidctest.Server) *social.Provider {
	t.Helper()
	p, err := social.New(social.Config{ID: "test", Kind: social.KindOIDC, IssuerURL: op.URL, ClientID: op.ClientID,
		ClientSecret: op.ClientSecret, RedirectURL: callback})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// authorize follows the authorization URL to the provider and returns the
// callback's query.
func authorize(t *testing.T, authURL string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	return loc.Query()
}

func TestOIDCExchange(t *testing.T) {
	t.Parallel()
	op := oidctest.New(t)
	op.SetUser(oidctest.User{Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada", Picture: "https://img.example/a.png"})
	p := oidcProvider(t, op)
	ctx := context.Background()
	st, err := p.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(st.URL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") != st.Nonce || q.Get("state") != st.State {
		t.Fatalf("authorization URL lacks PKCE, nonce or state: %s", st.URL)
	}
	if q.Get("redirect_uri") != callback {
		t.Errorf("redirect_uri = %q", q.Get("redirect_uri"))
	}
	back := authorize(t, st.URL)
	if back.Get("state") != st.State {
		t.Fatal("state not returned")
	}
	prof, err := p.Exchange(ctx, st, back.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	want := social.Profile{Provider: "test", Subject: "sub-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada", AvatarURL: "https://img.example/a.png"}
	got := prof
	got.Token = social.Token{}
	if got != want {
		t.Errorf("profile = %+v, want %+v", got, want)
	}
	if prof.Token.AccessToken == "" || prof.Token.RefreshToken == "" || prof.Token.Expiry.IsZero() {
		t.Errorf("token = %+v", prof.Token)
	}

	t.Run("Refresh", func(t *testing.T) {
		same, err := p.Refresh(ctx, prof.Token)
		if err != nil || same.AccessToken != prof.Token.AccessToken {
			t.Fatalf("a valid token was refreshed: %v", err)
		}
		old := prof.Token
		old.Expiry = time.Now().Add(-time.Minute)
		nt, err := p.Refresh(ctx, old)
		if err != nil {
			t.Fatal(err)
		}
		if nt.AccessToken == old.AccessToken || nt.AccessToken == "" || !nt.Expiry.After(time.Now()) {
			t.Errorf("refreshed token = %+v", nt)
		}
		old.RefreshToken = ""
		if _, err := p.Refresh(ctx, old); !errors.Is(err, social.ErrExchange) {
			t.Errorf("expired without refresh token: %v", err)
		}
	})
	t.Run("ReplayedCode", func(t *testing.T) {
		if _, err := p.Exchange(ctx, st, back.Get("code")); !errors.Is(err, social.ErrExchange) {
			t.Errorf("replayed code: %v, want ErrExchange", err)
		}
	})
}

// TestOIDCExchange_Refused runs flows the client must refuse.
func TestOIDCExchange_Refused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		knobs oidctest.Knobs
		edit  func(*social.Start)
		want  error
	}{
		{"WrongIssuer", oidctest.Knobs{Issuer: "https://evil.example"}, nil, social.ErrIDToken},
		{"WrongAudience", oidctest.Knobs{Audience: "another-client"}, nil, social.ErrIDToken},
		{"ExpiredIDToken", oidctest.Knobs{IDTokenTTL: -time.Minute}, nil, social.ErrIDToken},
		{"WrongNonce", oidctest.Knobs{Nonce: "attacker-nonce"}, nil, social.ErrIDToken},
		{"NoIDToken", oidctest.Knobs{NoIDToken: true}, nil, social.ErrIDToken},
		{"WrongPKCEVerifier", oidctest.Knobs{}, func(s *social.Start) { s.Verifier = "x" + s.Verifier[1:] }, social.ErrExchange},
		{"NonceMissingFromSession", oidctest.Knobs{}, func(s *social.Start) { s.Nonce = "" }, social.ErrIDToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := oidctest.New(t)
			op.SetKnobs(tc.knobs)
			p := oidcProvider(t, op)
			ctx := context.Background()
			st, err := p.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			back := authorize(t, st.URL)
			if tc.edit != nil {
				tc.edit(&st)
			}
			if _, err := p.Exchange(ctx, st, back.Get("code")); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestOIDCDiscovery_IssuerMismatch(t *testing.T) {
	t.Parallel()
	op := oidctest.New(t)
	p, err := social.New(social.Config{ID: "test", Kind: social.KindOIDC, IssuerURL: op.URL + "/other", ClientID: op.ClientID, RedirectURL: callback})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Begin(context.Background()); !errors.Is(err, social.ErrDiscovery) {
		t.Errorf("err = %v, want ErrDiscovery", err)
	}
}

func githubProvider(t *testing.T, gh *oauthtest.Server) *social.Provider {
	t.Helper()
	p, err := social.New(social.Config{ID: "github", Kind: social.KindGitHub, ClientID: gh.ClientID, ClientSecret: gh.ClientSecret,
		RedirectURL: callback, AuthURL: gh.URL + "/login/oauth/authorize", TokenURL: gh.URL + "/login/oauth/access_token", APIURL: gh.URL + "/api"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGitHubExchange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		user      oauthtest.User
		email     string
		verified  bool
		wantName  string
		wantError bool
	}{
		{"PrimaryVerified", oauthtest.User{ID: 7, Login: "octo", Name: "Octo", PublicEmail: "public@example.com",
			Emails: []oauthtest.Email{{Email: "other@example.com", Verified: true}, {Email: "octo@example.com", Primary: true, Verified: true}}},
			"octo@example.com", true, "Octo", false},
		{"PrimaryUnverified", oauthtest.User{ID: 8, Login: "kit", PublicEmail: "kit@example.com",
			Emails: []oauthtest.Email{{Email: "kit@example.com", Primary: true}}}, "", false, "kit", false},
		{"NoEmails", oauthtest.User{ID: 9, Login: "anon"}, "", false, "anon", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gh := oauthtest.New(t)
			gh.SetUser(tc.user)
			p := githubProvider(t, gh)
			ctx := context.Background()
			st, err := p.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Nonce != "" {
				t.Error("a plain OAuth 2.0 provider got a nonce")
			}
			back := authorize(t, st.URL)
			prof, err := p.Exchange(ctx, st, back.Get("code"))
			if err != nil {
				t.Fatal(err)
			}
			if prof.Subject != itoa(tc.user.ID) || prof.Email != tc.email || prof.EmailVerified != tc.verified || prof.Name != tc.wantName {
				t.Errorf("profile = %+v", prof)
			}
			if _, err := p.Exchange(ctx, st, back.Get("code")); !errors.Is(err, social.ErrExchange) {
				t.Errorf("replayed code: %v", err)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestNew_Invalid(t *testing.T) {
	t.Parallel()
	for _, cfg := range []social.Config{
		{ID: "", Kind: social.KindGoogle, ClientID: "x", RedirectURL: callback},
		{ID: "Bad ID", Kind: social.KindGoogle, ClientID: "x", RedirectURL: callback},
		{ID: "g", Kind: social.KindGoogle, RedirectURL: callback},
		{ID: "o", Kind: social.KindOIDC, ClientID: "x", RedirectURL: callback},
		{ID: "o", Kind: "myspace", ClientID: "x", RedirectURL: callback},
	} {
		if _, err := social.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	p, err := social.New(social.Config{ID: "ms", Kind: social.KindMicrosoft, ClientID: "x", RedirectURL: callback})
	if err != nil {
		t.Fatal(err)
	}
	if o := p.Origins(); len(o) != 2 || o[0] != "https://login.microsoftonline.com" {
		t.Errorf("Origins = %v", o)
	}
	p, err = social.New(social.Config{ID: "github", Kind: social.KindGitHub, ClientID: "x", RedirectURL: callback})
	if err != nil {
		t.Fatal(err)
	}
	if o := p.Origins(); len(o) != 1 || o[0] != "https://github.com" {
		t.Errorf("GitHub Origins = %v", o)
	}
}

func TestDiscordExchange(t *testing.T) {
	t.Parallel()
	srv := oauthtest.New(t)
	p, err := social.New(social.Config{ID: "discord", Kind: social.KindDiscord, ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		RedirectURL: callback, AuthURL: srv.URL + "/login/oauth/authorize", TokenURL: srv.URL + "/login/oauth/access_token", APIURL: srv.URL + "/api"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		user oauthtest.User
		want social.Profile
	}{
		{"Verified", oauthtest.User{ID: 80351110224678912, Login: "nelly", Name: "Nelly", AvatarURL: "x",
			Emails: []oauthtest.Email{{Email: "nelly@example.com", Primary: true, Verified: true}}},
			social.Profile{Provider: "discord", Subject: "80351110224678912", Email: "nelly@example.com", EmailVerified: true, Name: "Nelly",
				AvatarURL: "https://cdn.discordapp.com/avatars/80351110224678912/a1b2c3.png"}},
		{"Unverified", oauthtest.User{ID: 5, Login: "kit", Emails: []oauthtest.Email{{Email: "kit@example.com", Primary: true}}},
			social.Profile{Provider: "discord", Subject: "5", Email: "kit@example.com", Name: "kit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.SetUser(tc.user)
			st, err := p.Begin(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			prof, err := p.Exchange(context.Background(), st, authorize(t, st.URL).Get("code"))
			if err != nil {
				t.Fatal(err)
			}
			prof.Token = social.Token{}
			if prof != tc.want {
				t.Errorf("profile = %+v, want %+v", prof, tc.want)
			}
		})
	}
}

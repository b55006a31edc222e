package social

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Start is one authorization request: send the browser to URL and keep
// the rest, bound to that browser, until it comes back. Each field is
// used once.
type Start struct {
	URL string
	// State must come back unchanged on the callback.
	State string
	// Nonce must be in the ID token (OpenID Connect providers only).
	Nonce string
	// Verifier is the PKCE code verifier; the provider got its S256 hash.
	Verifier string
}

// Profile is what a provider says about the user who signed in.
type Profile struct {
	// Provider is the provider's configured ID.
	Provider string
	// Subject is the user's stable identifier at the provider.
	Subject string
	// Email is the address the provider gave, if any.
	Email string
	// EmailVerified is set only when the provider vouches for Email.
	EmailVerified bool
	Name          string
	AvatarURL     string
	// Token is the provider's access and refresh token.
	Token Token
}

// Token is a provider's OAuth 2.0 token for the user.
type Token struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	// Expiry is when AccessToken stops working; zero if the provider did
	// not say.
	Expiry time.Time
}

// randomString returns n random bytes, URL-safe.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin starts an authorization: new random state, nonce and PKCE
// verifier, and the URL to send the browser to. An OpenID Connect
// provider's discovery document is fetched on first use.
func (p *Provider) Begin(ctx context.Context) (Start, error) {
	conf, _, err := p.oauthConfig(ctx)
	if err != nil {
		return Start{}, err
	}
	s := Start{State: randomString(32), Verifier: oauth2.GenerateVerifier()}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(s.Verifier)}
	if p.oidc {
		s.Nonce = randomString(32)
		opts = append(opts, oauth2.SetAuthURLParam("nonce", s.Nonce))
	}
	if p.cfg.FormPost {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	s.URL = conf.AuthCodeURL(s.State, opts...)
	return s, nil
}

// Exchange redeems the code of the callback of the authorization st
// started (whose State the caller has already compared) and returns the
// user's profile. For an OpenID Connect provider the ID token must be
// signed by the provider's keys, for this client, unexpired and carry
// st's nonce.
func (p *Provider) Exchange(ctx context.Context, st Start, code string) (Profile, error) {
	conf, verifier, err := p.oauthConfig(ctx)
	if err != nil {
		return Profile{}, err
	}
	cctx := p.ctx(ctx)
	tok, err := conf.Exchange(cctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %s: %v", ErrExchange, p.cfg.ID, err)
	}
	var prof Profile
	if p.oidc {
		prof, err = p.oidcProfile(cctx, verifier, tok, st.Nonce)
	} else {
		prof, err = p.apiProfile(cctx, tok)
	}
	if err != nil {
		return Profile{}, err
	}
	prof.Provider = p.cfg.ID
	prof.Token = p.fromOAuth(tok)
	return prof, nil
}

// fromOAuth converts a token; its expiry is counted on the provider's
// clock (Config.Now) from expires_in when the provider sent it.
func (p *Provider) fromOAuth(t *oauth2.Token) Token {
	out := Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Expiry: t.Expiry}
	if t.ExpiresIn > 0 {
		out.Expiry = p.cfg.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return out
}

// idClaims are the ID token and userinfo claims a profile is read from.
type idClaims struct {
	Subject       string          `json:"sub"`
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	Name          string          `json:"name"`
	GivenName     string          `json:"given_name"`
	FamilyName    string          `json:"family_name"`
	Username      string          `json:"preferred_username"`
	Picture       string          `json:"picture"`
	TenantID      string          `json:"tid"`
	// EmailDomainOwnerVerified is Microsoft's claim that the tenant owns
	// the email's domain; without it Microsoft's email is unverified.
	EmailDomainOwnerVerified json.RawMessage `json:"xms_edov"`
}

// trueClaim reads a boolean claim sent as true or "true" (Apple sends
// strings).
func trueClaim(raw json.RawMessage) bool {
	s := strings.Trim(string(raw), `"`)
	return s == "true" || s == "1"
}

func (p *Provider) oidcProfile(ctx context.Context, verifier *oidc.IDTokenVerifier, tok *oauth2.Token, nonce string) (Profile, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Profile{}, fmt.Errorf("%w: %s: no id_token in the token response", ErrIDToken, p.cfg.ID)
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %s: %v", ErrIDToken, p.cfg.ID, err)
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return Profile{}, fmt.Errorf("%w: %s: nonce does not match", ErrIDToken, p.cfg.ID)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return Profile{}, fmt.Errorf("%w: %s: %v", ErrIDToken, p.cfg.ID, err)
	}
	if p.multiTenant() && (c.TenantID == "" || idt.Issuer != "https://login.microsoftonline.com/"+c.TenantID+"/v2.0") {
		return Profile{}, fmt.Errorf("%w: %s: issuer %q is not the token's tenant", ErrIDToken, p.cfg.ID, idt.Issuer)
	}
	if c.Subject == "" {
		return Profile{}, fmt.Errorf("%w: %s: no subject", ErrIDToken, p.cfg.ID)
	}
	// The ID token may hold only sub: fill the rest from userinfo, whose
	// subject must be the same user.
	if (c.Email == "" || c.Name == "") && p.userinfo != "" {
		if ui, err := p.userinfoClaims(ctx, tok); err == nil && ui.Subject == c.Subject {
			if c.Email == "" {
				c.Email, c.EmailVerified = ui.Email, ui.EmailVerified
			}
			if c.Name == "" {
				c.Name, c.GivenName, c.FamilyName, c.Username = ui.Name, ui.GivenName, ui.FamilyName, ui.Username
			}
			if c.Picture == "" {
				c.Picture = ui.Picture
			}
		}
	}
	prof := Profile{Subject: c.Subject, Email: c.Email, Name: c.Name, AvatarURL: c.Picture}
	prof.EmailVerified = c.Email != "" && trueClaim(c.EmailVerified)
	if p.cfg.Kind == KindMicrosoft {
		prof.EmailVerified = c.Email != "" && trueClaim(c.EmailDomainOwnerVerified)
	}
	if prof.Name == "" {
		prof.Name = strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	}
	if prof.Name == "" {
		prof.Name = c.Username
	}
	return prof, nil
}

func (p *Provider) userinfoClaims(ctx context.Context, tok *oauth2.Token) (idClaims, error) {
	var c idClaims
	err := p.getJSON(ctx, p.userinfo, tok, &c)
	return c, err
}

package social

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Kind is the protocol and preset a provider uses.
type Kind string

// The providers with presets. KindOIDC is any OpenID Connect provider
// found by its issuer URL.
const (
	KindOIDC      Kind = "oidc"
	KindGoogle    Kind = "google"
	KindMicrosoft Kind = "microsoft"
	KindApple     Kind = "apple"
	KindGitLab    Kind = "gitlab"
	KindGitHub    Kind = "github"
	KindDiscord   Kind = "discord"
)

// Config describes one provider.
type Config struct {
	// ID names the provider in URLs and in stored accounts, such as
	// "google" or "keycloak": lower-case letters, digits and "-".
	ID string
	// Kind selects the preset; KindOIDC needs IssuerURL.
	Kind Kind
	// ClientID and ClientSecret are the app's credentials at the provider.
	// For Apple, ClientSecret is the signed client-secret JWT.
	ClientID     string
	ClientSecret string
	// Scopes replace the preset's scopes when set. OpenID Connect
	// providers always get "openid".
	Scopes []string
	// IssuerURL is the OpenID Connect issuer (KindOIDC), or the base URL of
	// a self-hosted GitLab (KindGitLab; default https://gitlab.com). For
	// KindApple it replaces Apple's issuer (tests).
	IssuerURL string
	// Tenant is the Microsoft Entra tenant: a tenant id or domain, or
	// "common" (default), "organizations" or "consumers".
	Tenant string
	// AuthURL, TokenURL and APIURL override the endpoints of a plain
	// OAuth 2.0 provider (GitHub: the REST API base; Discord: the API
	// base), for GitHub Enterprise or for tests.
	AuthURL, TokenURL, APIURL string
	// RedirectURL is the callback URL registered at the provider.
	RedirectURL string
	// FormPost asks the provider to send the callback as a form POST
	// (response_mode=form_post), as Apple requires when the email or name
	// is asked for. KindApple sets it.
	FormPost bool
	// HTTPClient makes every call to the provider. Default: a client with
	// a 15-second timeout.
	HTTPClient *http.Client
	// Now is the clock for ID token expiry. Default time.Now.
	Now func() time.Time
}

// Provider signs users in through one configured provider. It is safe for
// concurrent use. An OpenID Connect provider's discovery document is
// fetched on first use and kept; a failed fetch is retried on the next.
type Provider struct {
	cfg    Config
	oidc   bool
	issuer string // for discovery (Microsoft multi-tenant: a template)
	scopes []string
	client *http.Client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	endpoint oauth2.Endpoint
	userinfo string
}

// Errors of a sign-in. Every error of Exchange wraps one of them.
var (
	// ErrExchange means the provider refused the code (used, expired,
	// issued to another client or for another PKCE verifier) or could not
	// be reached.
	ErrExchange = errors.New("social: code exchange failed")
	// ErrIDToken means the ID token is missing, unsigned by the provider,
	// expired, or for another issuer, audience or nonce.
	ErrIDToken = errors.New("social: invalid ID token")
	// ErrProfile means the provider's profile could not be read.
	ErrProfile = errors.New("social: profile unavailable")
	// ErrDiscovery means the OpenID Connect discovery document could not
	// be fetched or does not match the issuer.
	ErrDiscovery = errors.New("social: discovery failed")
)

// New checks cfg and returns its provider. It makes no network call.
func New(cfg Config) (*Provider, error) {
	var errs []error
	if cfg.ID == "" || strings.Trim(cfg.ID, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || len(cfg.ID) > 40 {
		errs = append(errs, fmt.Errorf("social: provider id %q must be lower-case letters, digits and \"-\"", cfg.ID))
	}
	if cfg.ClientID == "" {
		errs = append(errs, fmt.Errorf("social: provider %q needs a ClientID", cfg.ID))
	}
	if cfg.RedirectURL == "" {
		errs = append(errs, fmt.Errorf("social: provider %q needs a RedirectURL", cfg.ID))
	}
	p := &Provider{cfg: cfg, client: cfg.HTTPClient}
	if p.client == nil {
		p.client = &http.Client{Timeout: 15 * time.Second}
	}
	if p.cfg.Now == nil {
		p.cfg.Now = time.Now
	}
	switch cfg.Kind {
	case KindOIDC:
		// Kept exactly as given: the discovery document must name the same
		// issuer, trailing slash included (Auth0's has one, Keycloak's not).
		p.oidc, p.issuer, p.scopes = true, cfg.IssuerURL, []string{"openid", "profile", "email"}
		if u, err := url.Parse(cfg.IssuerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("social: provider %q needs an IssuerURL like https://idp.example.com/realms/app", cfg.ID))
		}
	case KindGoogle:
		p.oidc, p.issuer, p.scopes = true, "https://accounts.google.com", []string{"openid", "profile", "email"}
	case KindMicrosoft:
		tenant := cfg.Tenant
		if tenant == "" {
			tenant = "common"
		}
		p.oidc, p.issuer, p.scopes = true, "https://login.microsoftonline.com/"+url.PathEscape(tenant)+"/v2.0", []string{"openid", "profile", "email"}
	case KindApple:
		// Apple answers the email and name scopes only through a
		// cross-site form POST to the callback (FormPost): the email comes
		// in the ID token, the name once, in the form's "user" field.
		p.oidc, p.issuer, p.scopes = true, "https://appleid.apple.com", []string{"openid", "email", "name"}
		p.cfg.FormPost = true
		if cfg.IssuerURL != "" { // tests: a local provider in Apple's role
			p.issuer = cfg.IssuerURL
		}
	case KindGitLab:
		base := strings.TrimSuffix(cfg.IssuerURL, "/")
		if base == "" {
			base = "https://gitlab.com"
		}
		p.oidc, p.issuer, p.scopes = true, base, []string{"openid", "profile", "email"}
	case KindGitHub:
		p.scopes = []string{"read:user", "user:email"}
		p.endpoint = oauth2.Endpoint{AuthURL: "https://github.com/login/oauth/authorize", TokenURL: "https://github.com/login/oauth/access_token"}
		if cfg.APIURL == "" {
			p.cfg.APIURL = "https://api.github.com"
		}
	case KindDiscord:
		p.scopes = []string{"identify", "email"}
		p.endpoint = oauth2.Endpoint{AuthURL: "https://discord.com/oauth2/authorize", TokenURL: "https://discord.com/api/oauth2/token"}
		if cfg.APIURL == "" {
			p.cfg.APIURL = "https://discord.com/api"
		}
	default:
		errs = append(errs, fmt.Errorf("social: provider %q has unknown kind %q", cfg.ID, cfg.Kind))
	}
	if cfg.AuthURL != "" {
		p.endpoint.AuthURL = cfg.AuthURL
	}
	if cfg.TokenURL != "" {
		p.endpoint.TokenURL = cfg.TokenURL
	}
	if len(cfg.Scopes) > 0 {
		p.scopes = append([]string(nil), cfg.Scopes...)
		if p.oidc && !contains(p.scopes, "openid") {
			p.scopes = append([]string{"openid"}, p.scopes...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ID returns the provider's configured ID.
func (p *Provider) ID() string { return p.cfg.ID }

// Kind returns the provider's kind.
func (p *Provider) Kind() Kind { return p.cfg.Kind }

// CallbackIssuerOK reports whether the iss parameter of a callback (RFC
// 9207, sent by providers that defend against mix-up attacks) names this
// provider. An absent parameter is accepted; so is any for a Microsoft
// multi-tenant provider, whose issuer is per tenant, and for plain OAuth
// 2.0 providers, which have no issuer.
func (p *Provider) CallbackIssuerOK(iss string) bool {
	if iss == "" || !p.oidc || p.multiTenant() {
		return true
	}
	return strings.TrimSuffix(iss, "/") == strings.TrimSuffix(p.issuer, "/")
}

// OpenIDConnect reports whether the provider signs in with an ID token.
func (p *Provider) OpenIDConnect() bool { return p.oidc }

// Origins returns the origins the browser is sent to for this provider's
// authorization page, as far as configuration tells them before
// discovery: a page that submits a form leading there must allow them in
// its Content-Security-Policy form-action.
func (p *Provider) Origins() []string {
	var out []string
	for _, raw := range []string{p.endpoint.AuthURL, p.issuer, p.cfg.AuthURL} {
		if u, err := url.Parse(raw); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") {
			o := u.Scheme + "://" + strings.ToLower(u.Host)
			if !contains(out, o) {
				out = append(out, o)
			}
		}
	}
	if p.cfg.Kind == KindMicrosoft {
		// Personal accounts are sent on to login.live.com in the same chain
		// of redirects.
		out = []string{"https://login.microsoftonline.com", "https://login.live.com"}
	}
	return out
}

// ctx returns a context whose outbound calls use the provider's client.
func (p *Provider) ctx(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	return oidc.ClientContext(ctx, p.client)
}

// multiTenant reports whether the Microsoft tenant is one of the shared
// ones, whose ID tokens carry the user's own tenant as issuer.
func (p *Provider) multiTenant() bool {
	if p.cfg.Kind != KindMicrosoft {
		return false
	}
	switch p.cfg.Tenant {
	case "", "common", "organizations", "consumers":
		return true
	}
	return false
}

// discover fetches the OpenID Connect configuration once.
func (p *Provider) discover(ctx context.Context) (*oidc.IDTokenVerifier, oauth2.Endpoint, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier != nil || !p.oidc {
		return p.verifier, p.endpoint, nil
	}
	dctx := p.ctx(ctx)
	if p.multiTenant() {
		dctx = oidc.InsecureIssuerURLContext(dctx, "https://login.microsoftonline.com/{tenantid}/v2.0")
	}
	op, err := oidc.NewProvider(dctx, p.issuer)
	if err != nil {
		return nil, oauth2.Endpoint{}, fmt.Errorf("%w: %s: %v", ErrDiscovery, p.cfg.ID, err)
	}
	ep := op.Endpoint()
	if p.cfg.AuthURL != "" {
		ep.AuthURL = p.cfg.AuthURL
	}
	if p.cfg.TokenURL != "" {
		ep.TokenURL = p.cfg.TokenURL
	}
	// The key set fetches keys with the provider's client, for as long as
	// the Provider lives, whatever ctx this first call had.
	keyCtx := oidc.ClientContext(context.Background(), p.client)
	p.verifier = op.VerifierContext(keyCtx, &oidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now, SkipIssuerCheck: p.multiTenant()})
	p.endpoint, p.userinfo = ep, op.UserInfoEndpoint()
	return p.verifier, p.endpoint, nil
}

// oauthConfig is the x/oauth2 configuration after discovery.
func (p *Provider) oauthConfig(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	v, ep, err := p.discover(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: ep,
		RedirectURL: p.cfg.RedirectURL, Scopes: p.scopes}, v, nil
}

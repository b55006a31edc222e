package auth

import (
	"context"
	"database/sql"
	"html/template"
	"net/http"
	"time"

	"github.com/embedauth/auth/internal/web"
	"golang.org/x/oauth2"
)

// Auth is a running embedauth: its store, its HTTP handler and its
// middleware. Create one with [New] and Close it on shutdown.
type Auth struct {
	s *web.Server
}

// ListSessions returns a user's live sessions, most recently active first.
func (a *Auth) ListSessions(ctx context.Context, userID string) ([]Session, error) {
	return a.s.ListSessions(ctx, userID)
}

// RevokeSession ends one session; the next request with its cookie is
// signed out.
func (a *Auth) RevokeSession(ctx context.Context, sessionID string) error {
	return a.s.RevokeSession(ctx, sessionID)
}

// CreateUser creates a user from the app's back end, bypassing sign-up
// (no verification mail). A taken email is an error wrapping
// core.ErrConflict.
func (a *Auth) CreateUser(ctx context.Context, p CreateUserParams) (User, error) {
	return a.s.CreateUser(ctx, p)
}

// GetUser returns a user by id; an unknown id is an error wrapping
// core.ErrNotFound.
func (a *Auth) GetUser(ctx context.Context, id string) (User, error) { return a.s.GetUser(ctx, id) }

// GetUserByEmail returns a user by email in any case or Unicode form.
func (a *Auth) GetUserByEmail(ctx context.Context, email string) (User, error) {
	return a.s.GetUserByEmail(ctx, email)
}

// BanUser disables a user: every session ends at once and sign-in is
// refused until [Auth.UnbanUser].
func (a *Auth) BanUser(ctx context.Context, id string) (User, error) { return a.s.BanUser(ctx, id) }

// UnbanUser lets a banned user sign in again.
func (a *Auth) UnbanUser(ctx context.Context, id string) (User, error) { return a.s.UnbanUser(ctx, id) }

// DeleteUser deletes a user and everything of theirs, ending their
// sessions.
func (a *Auth) DeleteUser(ctx context.Context, id string) error { return a.s.DeleteUser(ctx, id) }

// UpdateUserMetadata sets a user's metadata from the app's back end.
func (a *Auth) UpdateUserMetadata(ctx context.Context, id string, m UserMetadata) (User, error) {
	return a.s.UpdateUserMetadata(ctx, id, m)
}

// Close stops the background work, waits for it, and closes the database
// (unless the app passed its own pool).
func (a *Auth) Close() error { return a.s.Close() }

// Handler serves every embedauth page and the JSON API. Mount it at
// Config.Path with a trailing slash: mux.Handle("/auth/", a.Handler()).
func (a *Auth) Handler() http.Handler { return a.s.Handler() }

// DB returns the database pool embedauth uses, so the app can keep its own
// tables in the same SQLite file. embedauth's tables all start with auth_;
// read them if you must, but never write to them directly.
func (a *Auth) DB() *sql.DB { return a.s.Store().SQL() }

// FlushMail delivers every queued message that is due now and returns how
// many were sent. The dispatcher does this on its own; tests and shutdown
// hooks call it to wait for delivery.
func (a *Auth) FlushMail(ctx context.Context) (int, error) { return a.s.FlushMail(ctx) }

// New opens (creating and migrating) the database, parses every template
// and starts the mail dispatcher. It reports every configuration problem at
// once.
func New(cfg Config) (*Auth, error) {
	s, err := web.New(cfg)
	if err != nil {
		return nil, err
	}
	return &Auth{s: s}, nil
}

// TokenClaimsFrom returns the claims of the bearer token a request was
// authenticated with; ok is false for cookie sessions and signed-out
// requests. The claims are shared between requests with the same token:
// do not change them.
func TokenClaimsFrom(ctx context.Context) (*TokenClaims, bool) { return web.TokenClaimsFrom(ctx) }

// UserButton renders the user button for r (see [Components.UserButton]).
func (a *Auth) UserButton(r *http.Request) template.HTML { return a.s.UserButton(r) }

// RotateSigningKey rotates the signing key of the database cfg names
// without starting an Auth (no dispatchers, no handler), for a command
// line tool or a cron job; processes running on that database see the new
// key within 30 seconds. It returns the new key's id.
func RotateSigningKey(ctx context.Context, cfg Config, alg string) (string, error) {
	return web.RotateSigningKey(ctx, cfg, alg)
}

// RotateSigningKey makes a new key of alg (empty: Tokens.Algorithm) the
// signing key and returns its id. Tokens signed before keep verifying
// until they expire: the old key stays in the JWKS that long.
func (a *Auth) RotateSigningKey(ctx context.Context, alg string) (string, error) {
	return a.s.RotateSigningKey(ctx, alg)
}

// RequireReverification lets through requests of users who proved their
// factors (signed in, or reverified at Handler's /reverify page) within
// maxAge (DefaultReverificationAge when zero or less); use it for
// sensitive actions. Other signed-in browsers are redirected to the
// reverification page, which returns to the request's URL afterwards; API
// clients (and bearer tokens) get 403 with the error code
// "reverification_required". Signed-out requests are handled as by
// RequireUser.
func (a *Auth) RequireReverification(maxAge time.Duration, next http.Handler) http.Handler {
	return a.s.RequireReverification(maxAge, next)
}

// RequirePermission lets through requests whose role in the active
// organization holds permission; others get 403 permission_denied (see
// [Auth.RequireOrg] for requests without one).
func (a *Auth) RequirePermission(permission string, next http.Handler) http.Handler {
	return a.s.RequirePermission(permission, next)
}

// OrgFrom returns the active organization of a signed-in request and the
// user's role in it ("org:admin", "org:member" or another role). ok is
// false when the request is signed out or the user has no active
// organization (a personal account).
func OrgFrom(ctx context.Context) (org Org, role string, ok bool) { return web.OrgFrom(ctx) }

// Has reports whether the user's role in the request's active organization
// holds permission, such as "org:invoices:write". org:admin holds every
// permission. It is false without an active organization. It reads only
// the request context: no database read, no allocation.
func Has(ctx context.Context, permission string) bool { return web.Has(ctx, permission) }

// HasRole reports whether the user's role in the request's active
// organization is role, such as "org:admin".
func HasRole(ctx context.Context, role string) bool { return web.HasRole(ctx, role) }

// OrgPermissionsFrom returns the permission keys of the user's role in the
// request's active organization, sorted, for claims in tokens; checks
// should use [Has]. For org:admin, which holds every permission, it lists
// the system and configured ones. It returns nil without an active
// organization. The slice is shared: do not change it.
func OrgPermissionsFrom(ctx context.Context) []string { return web.OrgPermissionsFrom(ctx) }

// RequireOrg lets requests with an active organization through to next.
// Signed-out requests are answered as [Auth.RequireUser] does; a signed-in
// browser without an active organization is sent to the page that lists
// its organizations (and lets it create one), with redirect_url set to
// come back; API clients get 403 org_required.
func (a *Auth) RequireOrg(next http.Handler) http.Handler { return a.s.RequireOrg(next) }

// RequireRole lets through requests whose role in the active organization
// is role; others get 403 permission_denied (see [Auth.RequireOrg] for
// requests without one).
func (a *Auth) RequireRole(role string, next http.Handler) http.Handler {
	return a.s.RequireRole(role, next)
}

// OrganizationSwitcher renders the organization switcher for r (see
// [Components.OrganizationSwitcher]).
func (a *Auth) OrganizationSwitcher(r *http.Request) template.HTML {
	return a.s.OrganizationSwitcher(r)
}

// FlushSMS delivers every queued text message that is due now and returns
// how many were sent, like [Auth.FlushMail].
func (a *Auth) FlushSMS(ctx context.Context) (int, error) { return a.s.FlushSMS(ctx) }

// Methods returns the enabled sign-in methods, in the order pages offer
// them.
func (a *Auth) Methods() []Method { return a.s.Methods() }

// UserFrom returns the signed-in user of a request that passed through
// [Auth.Middleware], [Auth.RequireUser] or [Auth.Handler].
func UserFrom(ctx context.Context) (User, bool) { return web.UserFrom(ctx) }

// SessionFrom returns the device session of a signed-in request.
func SessionFrom(ctx context.Context) (Session, bool) { return web.SessionFrom(ctx) }

// Middleware puts the signed-in user and session, if any, in the request
// context for [UserFrom] and [SessionFrom]. It never rejects a request for
// being signed out; use [Auth.RequireUser] for that. Most requests cost no
// database read (see Config.SessionCacheTTL) and at most one.
func (a *Auth) Middleware(next http.Handler) http.Handler { return a.s.Middleware(next) }

// SecureHeaders sets, on every answer of next, the security headers
// embedauth's own pages carry, so that an app's pages can carry them too:
//
//   - Content-Security-Policy: default-src 'none'; style-src 'self';
//     img-src 'self' data: (and the origin of Config.Appearance.LogoURL);
//     script-src 'self'; connect-src 'self'; form-action 'self' (and
//     Config.AllowedRedirectOrigins and the configured social providers'
//     origins); frame-ancestors 'none'; base-uri 'none'
//   - X-Content-Type-Options: nosniff
//   - Referrer-Policy: no-referrer
//   - X-Frame-Options: DENY
//   - Cross-Origin-Opener-Policy: same-origin
//   - Cache-Control: no-store
//   - Strict-Transport-Security: max-age=63072000; includeSubDomains, when
//     the cookies are Secure (BaseURL is https)
//
// The policy allows scripts and stylesheets from the app's own origin
// only: the components' stylesheet and the small script that closes their
// menus, both served by [Auth.Handler], and the app's own files. It
// forbids inline <script> and <style> elements, style="..." attributes and
// images from other sites, so an app's templates that use them need
// changing (or a policy of their own). A header next sets itself replaces
// the one set here, so a handler can, say, allow caching of its static
// files.
func (a *Auth) SecureHeaders(next http.Handler) http.Handler { return a.s.SecureHeaders(next) }

// RequireUser lets signed-in requests through to next. Others are
// redirected to the sign-in page (browsers, with redirect_url set to come
// back) or answered 401 with a JSON error (API clients). Answers it lets
// through are marked Cache-Control: no-store.
func (a *Auth) RequireUser(next http.Handler) http.Handler { return a.s.RequireUser(next) }

// ProviderToken returns a valid access token of the user at provider (a
// SocialProvider's ID), refreshing it first when it has expired and the
// provider gave a refresh token, so the app can call the provider's API
// for the user:
//
//	tok, err := a.ProviderToken(ctx, user.ID, "github")
//	client := oauth2.NewClient(ctx, oauth2.StaticTokenSource(tok))
//
// It needs Config.StoreProviderTokens. A user who never signed in with
// provider since tokens were kept, or an unknown provider, is an error
// wrapping [core.ErrNotFound]. The refresh token itself is never
// returned.
func (a *Auth) ProviderToken(ctx context.Context, userID, provider string) (*oauth2.Token, error) {
	return a.s.ProviderToken(ctx, userID, provider)
}

// CreateWebhookEndpoint adds an endpoint and returns it with its signing
// secret ("whsec_..."). A bad URL, an address the SSRF guard refuses or an
// unknown event type is an error that says so.
func (a *Auth) CreateWebhookEndpoint(ctx context.Context, p WebhookEndpointParams) (WebhookEndpoint, string, error) {
	return a.s.CreateWebhookEndpoint(ctx, p)
}

// WebhookEndpoints lists the endpoints, oldest first.
func (a *Auth) WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	return a.s.WebhookEndpoints(ctx)
}

// GetWebhookEndpoint returns one endpoint.
func (a *Auth) GetWebhookEndpoint(ctx context.Context, id string) (WebhookEndpoint, error) {
	return a.s.GetWebhookEndpoint(ctx, id)
}

// UpdateWebhookEndpoint changes an endpoint. Re-enabling one resumes its
// pending messages where they stopped.
func (a *Auth) UpdateWebhookEndpoint(ctx context.Context, id string, up WebhookEndpointUpdate) (WebhookEndpoint, error) {
	return a.s.UpdateWebhookEndpoint(ctx, id, up)
}

// DeleteWebhookEndpoint deletes an endpoint with its queue and log.
func (a *Auth) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	return a.s.DeleteWebhookEndpoint(ctx, id)
}

// WebhookSecret returns an endpoint's current signing secret.
func (a *Auth) WebhookSecret(ctx context.Context, id string) (string, error) {
	return a.s.WebhookSecret(ctx, id)
}

// RotateWebhookSecret gives an endpoint a new signing secret and returns
// it. For the next 24 hours every message carries two signatures, with the
// new and the old secret, so the receiver can switch at any time.
func (a *Auth) RotateWebhookSecret(ctx context.Context, id string) (string, error) {
	return a.s.RotateWebhookSecret(ctx, id)
}

// WebhookDeliveries returns an endpoint's most recent deliveries, newest
// first, with their attempts; status ("pending", "delivered", "failed"),
// when set, filters them. limit is at most 100.
func (a *Auth) WebhookDeliveries(ctx context.Context, endpointID, status string, limit int) ([]WebhookDelivery, error) {
	return a.s.WebhookDeliveries(ctx, endpointID, status, limit)
}

// ReplayWebhookEvent sends an event to an endpoint again (or for the first
// time, if the endpoint did not receive it), with its usual webhook-id.
func (a *Auth) ReplayWebhookEvent(ctx context.Context, endpointID, eventID string) error {
	return a.s.ReplayWebhookEvent(ctx, endpointID, eventID)
}

// ReplayFailedWebhooks sends again every message to the endpoint that
// failed for good since the given time, and returns how many.
func (a *Auth) ReplayFailedWebhooks(ctx context.Context, endpointID string, since time.Time) (int, error) {
	return a.s.ReplayFailedWebhooks(ctx, endpointID, since)
}

// FlushWebhooks delivers every webhook due now and returns how many
// messages were delivered. The dispatcher does this on its own (every
// Webhooks.Poll); tests with a fake clock call it to drive delivery, and
// shutdown hooks to wait for it.
func (a *Auth) FlushWebhooks(ctx context.Context) (int, error) { return a.s.FlushWebhooks(ctx) }

package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/secretbox"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/token"
)

// jwtState is the token side of an Auth: the signing keys, the templates
// from Config, and the cache of verified bearer tokens.
type jwtState struct {
	keys      *token.Keys
	issuer    string
	lifetime  time.Duration
	templates map[string]*token.CompiledTemplate // from Config
	verify    token.VerifyOptions                // for bearer session tokens
	verified  *verifiedCache
}

// keyMargin is added to the longest token lifetime to get how long a
// retired signing key stays in the JWKS: it covers clock skew and the
// time other processes take to reload their keys.
const keyMargin = 5 * time.Minute

// issuer is the "iss" of every token: BaseURL + Path, where the JWKS and
// the openid-configuration live.
func (s *settings) issuer() string { return s.origin + s.Path }

func (a *Server) initTokens() error {
	s := a.s
	j := &jwtState{issuer: s.issuer(), lifetime: s.Tokens.SessionTokenLifetime,
		templates: map[string]*token.CompiledTemplate{}, verified: newVerifiedCache(10_000)}
	for _, t := range s.Tokens.Templates {
		ct, err := token.Compile(t)
		if err != nil {
			return fmt.Errorf("Tokens.Templates: %w", err)
		}
		j.templates[t.Name] = ct
	}
	a.jwt = j
	ctx := context.Background()
	keep, err := a.tokenKeep(ctx)
	if err != nil {
		return err
	}
	j.keys, err = token.NewKeys(ctx, jwtKeyStore{a.db}, a.box, token.KeysOptions{Algorithm: s.Tokens.Algorithm, Keep: keep, Now: s.Now})
	if err != nil {
		return err
	}
	j.verify = token.VerifyOptions{Keys: j.keys, Issuer: j.issuer, Now: s.Now}
	return nil
}

// tokenKeep is how long a retired key must stay published: the longest
// lifetime of any token it may have signed, plus keyMargin.
func (a *Server) tokenKeep(ctx context.Context) (time.Duration, error) {
	longest := a.s.Tokens.SessionTokenLifetime
	for _, t := range a.jwt.templates {
		longest = max(longest, t.Lifetime())
	}
	stored, err := a.db.JWTTemplates(ctx)
	if err != nil {
		return 0, err
	}
	for _, st := range stored {
		var def templateDefinition
		if json.Unmarshal(st.Definition, &def) == nil {
			longest = max(longest, time.Duration(def.Lifetime)*time.Second)
		}
	}
	return longest + keyMargin, nil
}

// RotateSigningKey makes a new key of alg (empty: Tokens.Algorithm) the
// signing key and returns its id. Tokens signed before keep verifying
// until they expire: the old key stays in the JWKS that long.
func (a *Server) RotateSigningKey(ctx context.Context, alg string) (string, error) {
	keep, err := a.tokenKeep(ctx)
	if err != nil {
		return "", fmt.Errorf("auth: rotate signing key: %w", err)
	}
	kid, err := a.jwt.keys.Rotate(ctx, alg, keep)
	if err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	a.jwt.verified.clear()
	// Other instances on the same PostgreSQL database sign with it at once.
	switch {
	case a.cache != nil && a.cache.notify != nil:
		a.cache.notify(keysRotated)
	case a.db.Engine() == store.Postgres:
		if err := a.db.Notify(ctx, "rotate|"+keysRotated); err != nil {
			return kid, fmt.Errorf("auth: rotated to %s, but the running instances were not told (they read the keys within 30 s): %w", kid, err)
		}
	}
	return kid, nil
}

// RotateSigningKey rotates the signing key of the database cfg names
// without starting an Auth (no dispatchers, no handler), for a command
// line tool or a cron job; processes running on that database see the new
// key within 30 seconds (at once on PostgreSQL). It returns the new key's id.
func RotateSigningKey(ctx context.Context, cfg Config, alg string) (string, error) {
	s, err := resolve(cfg)
	if err != nil {
		return "", err
	}
	a := &Server{s: s}
	switch {
	case s.DB != nil:
		a.db, err = store.OpenDB(s.DB)
	case s.DatabaseURL != "":
		a.db, err = store.OpenPostgres(context.Background(), s.DatabaseURL)
	default:
		a.db, err = store.Open(s.DatabasePath)
	}
	if err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	defer a.db.Close()
	a.db.Now = s.Now
	key := s.EncryptionKey
	if key == nil {
		if key, _, err = secretbox.LoadOrCreateKeyFile(s.DatabasePath + ".key"); err != nil {
			return "", fmt.Errorf("auth: encryption key: %w", err)
		}
	}
	if a.box, err = secretbox.New(key); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	if err := a.initTokens(); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	return a.RotateSigningKey(ctx, alg)
}

// jwtKeyStore adapts the store's signing keys to token.Store.
type jwtKeyStore struct{ db *store.DB }

var _ token.Store = jwtKeyStore{}

// SigningKeys implements token.Store.
func (k jwtKeyStore) SigningKeys(ctx context.Context, now time.Time) ([]token.StoredKey, error) {
	list, err := k.db.SigningKeys(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]token.StoredKey, len(list))
	for i, s := range list {
		out[i] = token.StoredKey{ID: s.ID, Algorithm: s.Algorithm, Public: s.PublicJWK, Private: s.Private,
			CreatedAt: s.CreatedAt, RetiredAt: s.RetiredAt, ExpiresAt: s.ExpiresAt}
	}
	return out, nil
}

func toStoreKey(k token.StoredKey) store.SigningKey {
	return store.SigningKey{ID: k.ID, Algorithm: k.Algorithm, PublicJWK: k.Public, Private: k.Private, CreatedAt: k.CreatedAt}
}

// InsertFirstSigningKey implements token.Store.
func (k jwtKeyStore) InsertFirstSigningKey(ctx context.Context, sk token.StoredKey) (bool, error) {
	return k.db.InsertFirstSigningKey(ctx, toStoreKey(sk))
}

// RotateSigningKey implements token.Store.
func (k jwtKeyStore) RotateSigningKey(ctx context.Context, sk token.StoredKey, now time.Time, keep time.Duration) error {
	return k.db.RotateSigningKey(ctx, toStoreKey(sk), now, keep)
}

// authorizedParty is the "azp" of a token minted for r: the request's
// Origin when it is BaseURL's or an allowed redirect origin, else
// BaseURL's origin.
func (a *Server) authorizedParty(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" && (o == a.s.origin || a.s.redirects[strings.ToLower(o)]) {
		return o
	}
	return a.s.origin
}

// tokenBody is the answer of GET /api/token.
type tokenBody struct {
	Object    string    `json:"object"`
	JWT       string    `json:"jwt"`
	ExpiresAt time.Time `json:"expires_at"`
}

// apiToken mints a session token, or a template's token, for the
// signed-in session. Only the session cookie counts here, never a bearer
// token: a leaked short-lived token cannot be renewed into a long-lived
// session.
func (a *Server) apiToken(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	if a.mustEnrol(st) {
		return errMFAEnrollmentRequired
	}
	ctx := r.Context()
	org, err := a.tokenOrg(ctx, st)
	if err != nil {
		return err
	}
	now := a.s.Now()
	var jwt string
	var exp time.Time
	if name := r.URL.Query().Get("template"); name != "" {
		tpl, err := a.jwtTemplate(ctx, name)
		if err != nil {
			return err
		}
		in := token.Input{User: st.user, Session: st.session, Org: org}
		jwt, exp, err = tpl.Sign(ctx, a.jwt.keys, in, a.jwt.issuer, a.authorizedParty(r), now)
		if err != nil {
			return err
		}
	} else {
		jwt, exp, err = a.jwt.keys.SignSession(ctx, token.Session{Issuer: a.jwt.issuer, UserID: st.user.ID, SessionID: st.session.ID,
			AuthorizedParty: a.authorizedParty(r), Org: org, ActorID: st.session.ActorID, IssuedAt: now, Lifetime: a.jwt.lifetime})
		if err != nil {
			return err
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, tokenBody{Object: "token", JWT: jwt, ExpiresAt: exp.UTC()})
}

var errTemplateNotFound = httpx.Errorf(http.StatusNotFound, "template_not_found", "There is no JWT template with that name.")

// jwtTemplate finds a template by name: Config's first, then the stored
// ones.
func (a *Server) jwtTemplate(ctx context.Context, name string) (*token.CompiledTemplate, error) {
	if t, ok := a.jwt.templates[name]; ok {
		return t, nil
	}
	if len(name) > 64 {
		return nil, errTemplateNotFound
	}
	st, err := a.db.JWTTemplate(ctx, name)
	if errors.Is(err, core.ErrNotFound) {
		return nil, errTemplateNotFound
	}
	if err != nil {
		return nil, err
	}
	t, err := a.storedTemplate(st)
	if err != nil {
		return nil, fmt.Errorf("auth: stored template %q: %w", name, err)
	}
	return token.Compile(t)
}

// templateDefinition is a stored template as JSON (its secret is sealed
// apart).
type templateDefinition struct {
	Claims    json.RawMessage `json:"claims"`
	Lifetime  int64           `json:"lifetime"`
	Issuer    string          `json:"issuer,omitempty"`
	Audience  []string        `json:"audience,omitempty"`
	Algorithm string          `json:"algorithm,omitempty"`
}

func (d templateDefinition) template(name string, secret []byte) (token.Template, error) {
	t := token.Template{Name: name, Lifetime: time.Duration(d.Lifetime) * time.Second, Issuer: d.Issuer,
		Audience: d.Audience, Algorithm: d.Algorithm, Secret: secret}
	if len(d.Claims) > 0 {
		dec := json.NewDecoder(bytes.NewReader(d.Claims))
		dec.UseNumber()
		if err := dec.Decode(&t.Claims); err != nil || t.Claims == nil {
			return t, fmt.Errorf("template %q: the claims must be a JSON object", name)
		}
	}
	return t, nil
}

func (a *Server) storedTemplate(st store.JWTTemplate) (token.Template, error) {
	var def templateDefinition
	if err := json.Unmarshal(st.Definition, &def); err != nil {
		return token.Template{}, err
	}
	var secret []byte
	if st.Secret != nil {
		var err error
		if secret, err = a.box.Open(st.Secret); err != nil {
			return token.Template{}, err
		}
	}
	return def.template(st.Name, secret)
}

// jwtTemplateJSON is a template as the API shows it; secrets never leave.
type jwtTemplateJSON struct {
	Name      string          `json:"name"`
	Source    string          `json:"source"`
	Claims    json.RawMessage `json:"claims"`
	Lifetime  int64           `json:"lifetime"`
	Issuer    string          `json:"issuer"`
	Audience  []string        `json:"audience"`
	Algorithm string          `json:"algorithm"`
	HasSecret bool            `json:"has_secret"`
	HasFunc   bool            `json:"has_func"`
}

func templateJSON(ct *token.CompiledTemplate, source string) jwtTemplateJSON {
	t := ct.Template()
	aud := t.Audience
	if aud == nil {
		aud = []string{}
	}
	return jwtTemplateJSON{Name: t.Name, Source: source, Claims: ct.ClaimsJSON(), Lifetime: int64(t.Lifetime / time.Second),
		Issuer: t.Issuer, Audience: aud, Algorithm: t.Algorithm, HasSecret: len(t.Secret) > 0, HasFunc: t.Func != nil}
}

var errAdminRequired = httpx.Errorf(http.StatusForbidden, "admin_required", "This needs an administrator.")

// apiAdmin returns the signed-in administrator, or a 401 or 403.
func (a *Server) apiAdmin(r *http.Request) (*authState, error) {
	st, err := a.apiUser(r)
	if err != nil {
		return nil, err
	}
	ok, err := a.isAdmin(r.Context(), st.user)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errAdminRequired
	}
	if impersonating(st) {
		return nil, errImpersonationForbidden
	}
	return st, nil
}

func (a *Server) apiJWTTemplates(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	out := []jwtTemplateJSON{}
	for _, t := range a.s.Tokens.Templates {
		out = append(out, templateJSON(a.jwt.templates[t.Name], "config"))
	}
	stored, err := a.db.JWTTemplates(r.Context())
	if err != nil {
		return err
	}
	for _, st := range stored {
		t, err := a.storedTemplate(st)
		if err != nil {
			return fmt.Errorf("auth: stored template %q: %w", st.Name, err)
		}
		ct, err := token.Compile(t)
		if err != nil {
			return fmt.Errorf("auth: stored template %q: %w", st.Name, err)
		}
		out = append(out, templateJSON(ct, "stored"))
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Templates []jwtTemplateJSON `json:"templates"`
	}{out})
}

// invalidTemplate is the answer to a template that does not compile; the
// message says what is wrong with which claim.
func invalidTemplate(err error) error {
	return &core.Error{Kind: core.ErrInvalidInput, Code: "invalid_template", Message: err.Error(), Err: core.ErrInvalidInput}
}

var errTemplateInConfig = httpx.Errorf(http.StatusConflict, "template_in_config", "That template is defined in the app's configuration; change it there.")

func (a *Server) apiPutJWTTemplate(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	var in struct {
		Claims    json.RawMessage `json:"claims"`
		Lifetime  int64           `json:"lifetime"`
		Issuer    string          `json:"issuer"`
		Audience  []string        `json:"audience"`
		Algorithm string          `json:"algorithm"`
		Secret    *string         `json:"secret"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	name := r.PathValue("name")
	if _, ok := a.jwt.templates[name]; ok {
		return errTemplateInConfig
	}
	ctx := r.Context()
	var secret []byte
	switch {
	case in.Secret != nil:
		b, err := base64.StdEncoding.DecodeString(*in.Secret)
		if err != nil {
			if b, err = base64.RawURLEncoding.DecodeString(*in.Secret); err != nil {
				return invalidTemplate(fmt.Errorf("template %q: the secret must be base64", name))
			}
		}
		secret = b
	case in.Algorithm == token.HS256:
		// Keep the secret the template already has.
		old, err := a.db.JWTTemplate(ctx, name)
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			return err
		}
		if old.Secret != nil {
			if secret, err = a.box.Open(old.Secret); err != nil {
				return err
			}
		}
	}
	def := templateDefinition{Claims: in.Claims, Lifetime: in.Lifetime, Issuer: in.Issuer, Audience: in.Audience, Algorithm: in.Algorithm}
	if def.Lifetime == 0 {
		def.Lifetime = 60
	}
	t, err := def.template(name, secret)
	if err != nil {
		return invalidTemplate(err)
	}
	ct, err := token.Compile(t)
	if err != nil {
		return invalidTemplate(err)
	}
	def.Claims = ct.ClaimsJSON()
	b, err := json.Marshal(def)
	if err != nil {
		return err
	}
	var sealed []byte
	if len(secret) > 0 {
		sealed = a.box.Seal(secret)
	}
	created, err := a.db.PutJWTTemplate(ctx, store.JWTTemplate{Name: name, Definition: b, Secret: sealed})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return httpx.WriteJSON(w, status, struct {
		Template jwtTemplateJSON `json:"template"`
	}{templateJSON(ct, "stored")})
}

func (a *Server) apiDeleteJWTTemplate(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	name := r.PathValue("name")
	if _, ok := a.jwt.templates[name]; ok {
		return errTemplateInConfig
	}
	if err := a.db.DeleteJWTTemplate(r.Context(), name); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return errTemplateNotFound
		}
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

// jwtKeyJSON is a signing key as the API lists it (public facts only).
type jwtKeyJSON struct {
	ID        string     `json:"id"`
	Algorithm string     `json:"algorithm"`
	Current   bool       `json:"current"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (a *Server) apiJWTKeys(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	list, err := a.db.SigningKeys(r.Context(), a.s.Now())
	if err != nil {
		return err
	}
	out := []jwtKeyJSON{}
	for _, k := range list {
		out = append(out, jwtKeyJSON{ID: k.ID, Algorithm: k.Algorithm, Current: k.RetiredAt == nil, CreatedAt: k.CreatedAt,
			RetiredAt: k.RetiredAt, ExpiresAt: k.ExpiresAt})
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Keys []jwtKeyJSON `json:"keys"`
	}{out})
}

func (a *Server) apiRotateJWTKey(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	var in struct {
		Algorithm string `json:"algorithm"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if in.Algorithm != "" && in.Algorithm != token.ES256 && in.Algorithm != token.RS256 && in.Algorithm != token.EdDSA {
		return httpx.FieldError("algorithm", "invalid_algorithm", "The algorithm must be ES256, RS256 or EdDSA.")
	}
	kid, err := a.RotateSigningKey(r.Context(), in.Algorithm)
	if err != nil {
		return err
	}
	_, alg, err := a.jwt.keys.Current(r.Context())
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		ID        string `json:"id"`
		Algorithm string `json:"algorithm"`
	}{kid, alg})
}

// apiJWKS serves the public keys. Verifiers may cache it for 5 minutes;
// they fetch it again when a token names a key they do not have.
func (a *Server) apiJWKS(w http.ResponseWriter, r *http.Request) error {
	b, err := a.jwt.keys.JWKS(r.Context())
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	_, err = w.Write(b)
	return err
}

// apiOpenIDConfiguration serves discovery metadata in the shape of OpenID
// Connect's, so that services configured with an issuer URL (Convex, for
// one) find the JWKS.
func (a *Server) apiOpenIDConfiguration(w http.ResponseWriter, r *http.Request) error {
	_, alg, err := a.jwt.keys.Current(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Issuer           string   `json:"issuer"`
		JWKSURI          string   `json:"jwks_uri"`
		TokenEndpoint    string   `json:"token_endpoint"`
		Algorithms       []string `json:"id_token_signing_alg_values_supported"`
		SubjectTypes     []string `json:"subject_types_supported"`
		ResponseTypes    []string `json:"response_types_supported"`
		ClaimsSupported  []string `json:"claims_supported"`
		ScopesSupported  []string `json:"scopes_supported"`
		TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}{
		Issuer:           a.jwt.issuer,
		JWKSURI:          a.jwt.issuer + "/.well-known/jwks.json",
		TokenEndpoint:    a.jwt.issuer + "/api/token",
		Algorithms:       []string{alg},
		SubjectTypes:     []string{"public"},
		ResponseTypes:    []string{"id_token"},
		ClaimsSupported:  []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "azp", "act", "org_id", "org_slug", "org_role", "org_permissions"},
		ScopesSupported:  []string{"openid"},
		TokenAuthMethods: []string{"none"},
	})
}

// The two seams between tokens and organizations. Everything else in the
// token code is independent of organizations.

// tokenOrg gives a token minted for st its active organization: session
// tokens carry it as org_id, org_slug, org_role and org_permissions, and
// templates read it with {{org.id}}, {{org.slug}}, {{org.role}} and
// {{org.permissions}}. With nil (no active organization, or no
// organizations feature), tokens have no org claims and org shortcodes
// give null. The organizations feature (org.go) fills it from the
// request's active organization.
func (a *Server) tokenOrg(ctx context.Context, st *authState) (*token.Org, error) {
	if st == nil || st.org == nil { // filled in by organizations (org.go)
		return nil, nil
	}
	return &token.Org{ID: st.org.org.ID, Slug: st.org.org.Slug, Role: st.org.role, Permissions: slices.Clone(st.org.keys)}, nil
}

// bearerSession loads the session a bearer token names, with its user and
// its active organization, on a session-cache miss: one indexed read, as
// for a cookie. A session that has ended is (nil, nil).
func (a *Server) bearerSession(ctx context.Context, sid string) (*authState, error) {
	sess, user, org, err := a.db.LiveSessionWithOrg(ctx, sid)
	if err != nil {
		if errorsIsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return &authState{user: user, session: sess, hash: sid, org: a.orgState(org)}, nil
}

// Package oidctest runs an OpenID Connect provider on loopback for tests:
// discovery, JWKS, the authorization endpoint (which approves at once as
// the configured user, or shows a consent button), the token endpoint
// with client authentication, PKCE S256 verification and single-use
// codes, refresh tokens, and userinfo. ID tokens are RS256 JWTs signed
// with go-jose. Knobs make it misbehave the ways a test needs: another
// issuer or audience in the ID token, an expired ID token, a wrong nonce,
// or an error instead of a code.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// User is who signs in at the provider.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Picture       string
}

// Server is a running provider. Change its fields only through its
// methods while requests may run.
type Server struct {
	// URL is the issuer, such as http://127.0.0.1:1234.
	URL          string
	ClientID     string
	ClientSecret string

	srv *httptest.Server
	key *rsa.PrivateKey
	kid string

	mu       sync.Mutex
	user     User
	consent  bool
	knobs    Knobs
	codes    map[string]*grant
	refresh  map[string]*grant
	access   map[string]User
	exchange int
	now      func() time.Time
	// formPostUser is the "user" field of form_post answers.
	formPostUser string
}

// Knobs make the provider misbehave.
type Knobs struct {
	// Issuer replaces the iss claim of ID tokens.
	Issuer string
	// Audience replaces the aud claim of ID tokens.
	Audience string
	// Nonce replaces the nonce claim of ID tokens.
	Nonce string
	// IDTokenTTL is how long ID tokens live; negative gives expired ones.
	// Default 5 minutes.
	IDTokenTTL time.Duration
	// AccessTokenTTL is how long access tokens live. Default 1 hour.
	AccessTokenTTL time.Duration
	// Error makes the authorization endpoint answer with this error
	// (such as "access_denied") instead of a code.
	Error string
	// NoIDToken leaves the ID token out of the token response.
	NoIDToken bool
}

type grant struct {
	user        User
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	used        bool
	expires     time.Time
}

// New starts a provider for one client; it stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{key: key, kid: random(8), ClientID: "client-" + random(6), ClientSecret: random(24),
		now: time.Now, codes: map[string]*grant{}, refresh: map[string]*grant{}, access: map[string]User{},
		user: User{Subject: "user-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /jwks", s.jwks)
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /authorize", s.approve)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /userinfo", s.userinfo)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// SetUser sets who signs in next.
func (s *Server) SetUser(u User) { s.mu.Lock(); s.user = u; s.mu.Unlock() }

// SetKnobs replaces the misbehaviour settings.
func (s *Server) SetKnobs(k Knobs) { s.mu.Lock(); s.knobs = k; s.mu.Unlock() }

// SetConsent makes the authorization endpoint show a page with an
// "Approve" button instead of approving at once.
func (s *Server) SetConsent(on bool) { s.mu.Lock(); s.consent = on; s.mu.Unlock() }

// SetClock sets the clock of ID token times (default time.Now), to match
// the clock of the app under test.
func (s *Server) SetClock(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }

// Exchanges counts successful code exchanges.
func (s *Server) Exchanges() int { s.mu.Lock(); defer s.mu.Unlock(); return s.exchange }

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.URL,
		"authorization_endpoint":                s.URL + "/authorize",
		"token_endpoint":                        s.URL + "/token",
		"userinfo_endpoint":                     s.URL + "/userinfo",
		"jwks_uri":                              s.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: "RS256", Use: "sig"}}})
}

// authorize checks the request as a real provider does, then approves
// at once (or shows the consent page) and redirects with a code.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.ClientID || q.Get("redirect_uri") == "" {
		http.Error(w, "unknown client or missing redirect_uri", http.StatusBadRequest)
		return
	}
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		redirectError(w, r, q.Get("redirect_uri"), q.Get("state"), "invalid_request")
		return
	}
	s.mu.Lock()
	consent, knobs := s.consent, s.knobs
	s.mu.Unlock()
	if knobs.Error != "" {
		redirectError(w, r, q.Get("redirect_uri"), q.Get("state"), knobs.Error)
		return
	}
	if consent {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		consentPage.Execute(w, q)
		return
	}
	s.issueCode(w, r, q)
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html><title>Test provider</title>
<h1>Sign in to the test provider</h1>
<form method="post" action="/authorize">
{{range $k, $v := .}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}
<button type="submit" id="approve">Approve</button>
</form>`))

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != s.ClientID {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.issueCode(w, r, r.PostForm)
}

func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, q url.Values) {
	code := random(24)
	s.mu.Lock()
	s.codes[code] = &grant{user: s.user, clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"),
		challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), expires: time.Now().Add(time.Minute)}
	s.mu.Unlock()
	u, _ := url.Parse(q.Get("redirect_uri"))
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	v.Set("iss", s.URL)
	if q.Get("response_mode") == "form_post" {
		s.mu.Lock()
		name := s.formPostUser
		s.mu.Unlock()
		if name != "" {
			v.Set("user", name)
		}
		formPost(w, u, v)
		return
	}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// formPost answers with a page whose form posts v to u at once, as
// providers do for response_mode=form_post.
func formPost(w http.ResponseWriter, u *url.URL, v url.Values) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	formPostPage.Execute(w, struct {
		Action string
		Fields url.Values
	}{u.String(), v})
}

var formPostPage = template.Must(template.New("form_post").Parse(`<!doctype html><title>Test provider</title>
<body onload="document.forms[0].submit()">
<form method="post" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}
<button type="submit" id="continue">Continue</button>
</form>`))

// SetFormPostUser sets the "user" field a form_post answer carries, as
// Apple sends the name at the first sign-in ("" for none).
func (s *Server) SetFormPostUser(raw string) {
	s.mu.Lock()
	s.formPostUser = raw
	s.mu.Unlock()
}

func redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state, code string) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := u.Query()
	v.Set("error", code)
	v.Set("error_description", "The user or the provider refused the request.")
	v.Set("state", state)
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// clientAuth checks client_secret_basic or client_secret_post.
func (s *Server) clientAuth(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	return id == s.ClientID && subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) == 1
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	if !s.clientAuth(r) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var g *grant
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		g = s.codes[r.PostForm.Get("code")]
		if g == nil || g.used || time.Now().After(g.expires) {
			if g != nil && g.used { // a replayed code revokes what it issued (RFC 6749 §4.1.2)
				for k, rg := range s.refresh {
					if rg == g {
						delete(s.refresh, k)
					}
				}
			}
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown, used or expired code")
			return
		}
		g.used = true
		if g.redirectURI != r.PostForm.Get("redirect_uri") || g.clientID != s.ClientID {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri or client does not match")
			return
		}
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
			return
		}
		s.exchange++
	case "refresh_token":
		g = s.refresh[r.PostForm.Get("refresh_token")]
		if g == nil {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown refresh token")
			return
		}
		delete(s.refresh, r.PostForm.Get("refresh_token")) // rotated
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	k := s.knobs
	ttl := k.AccessTokenTTL
	if ttl == 0 {
		ttl = time.Hour
	}
	access, refresh := random(24), random(24)
	s.access[access] = g.user
	s.refresh[refresh] = g
	out := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": int(ttl / time.Second), "refresh_token": refresh}
	if !k.NoIDToken {
		idt, err := s.idToken(g, k)
		if err != nil {
			oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		out["id_token"] = idt
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) idToken(g *grant, k Knobs) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: s.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", s.kid))
	if err != nil {
		return "", err
	}
	iss, aud, nonce, ttl := s.URL, s.ClientID, g.nonce, k.IDTokenTTL
	if k.Issuer != "" {
		iss = k.Issuer
	}
	if k.Audience != "" {
		aud = k.Audience
	}
	if k.Nonce != "" {
		nonce = k.Nonce
	}
	if ttl == 0 {
		ttl = 5 * time.Minute
	}
	now := s.now()
	iat := now
	if ttl < 0 {
		iat = now.Add(ttl - time.Minute)
	}
	claims := map[string]any{
		"iss": iss, "sub": g.user.Subject, "aud": aud, "exp": jwt.NewNumericDate(now.Add(ttl)), "iat": jwt.NewNumericDate(iat),
		"nonce": nonce, "email": g.user.Email, "email_verified": g.user.EmailVerified, "name": g.user.Name,
	}
	if g.user.Picture != "" {
		claims["picture"] = g.user.Picture
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	u, found := s.access[tok]
	s.mu.Unlock()
	if !ok || !found {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": u.Subject, "email": u.Email, "email_verified": u.EmailVerified, "name": u.Name, "picture": u.Picture})
}

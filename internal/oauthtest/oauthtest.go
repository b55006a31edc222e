// Package oauthtest runs a GitHub-like OAuth 2.0 provider (no OpenID
// Connect) on loopback for tests: the authorization endpoint approves at
// once as the configured user, the token endpoint checks the client, the
// redirect URI, PKCE S256 and single use of codes, and the REST API
// answers /user and /user/emails with the access token, as GitHub does,
// and /users/@me as Discord does.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Email is one address of the user, as GitHub's /user/emails lists it.
type Email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// User is who signs in at the provider.
type User struct {
	ID        int64
	Login     string
	Name      string
	AvatarURL string
	// PublicEmail is /user's email field: what the user shows publicly,
	// which GitHub does not say is verified.
	PublicEmail string
	Emails      []Email
}

// Server is a running provider.
type Server struct {
	// URL is the server's origin; the API is at URL+"/api".
	URL          string
	ClientID     string
	ClientSecret string

	mu     sync.Mutex
	user   User
	codes  map[string]*grant
	tokens map[string]User
}

type grant struct {
	user        User
	redirectURI string
	challenge   string
	used        bool
}

// New starts a provider; it stops when the test ends.
func New(t testing.TB) *Server {
	s := &Server{ClientID: "gh-" + random(6), ClientSecret: random(20), codes: map[string]*grant{}, tokens: map[string]User{},
		user: User{ID: 4242, Login: "octo", Name: "Octo Cat", AvatarURL: "https://avatars.example/u/4242",
			Emails: []Email{{Email: "octo@example.com", Primary: true, Verified: true}}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", s.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", s.token)
	mux.HandleFunc("GET /api/user", s.apiUser)
	mux.HandleFunc("GET /api/user/emails", s.apiEmails)
	mux.HandleFunc("GET /api/users/@me", s.apiDiscordMe)
	srv := httptest.NewServer(mux)
	s.URL = srv.URL
	t.Cleanup(srv.Close)
	return s
}

// SetUser sets who signs in next.
func (s *Server) SetUser(u User) { s.mu.Lock(); s.user = u; s.mu.Unlock() }

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.ClientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	code := random(20)
	s.mu.Lock()
	s.codes[code] = &grant{user: s.user, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
	s.mu.Unlock()
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// token answers as GitHub does: errors come back with status 200 and an
// error field, which x/oauth2 understands.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"error": code})
	}
	if err := r.ParseForm(); err != nil {
		fail("invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.ClientID || secret != s.ClientSecret {
		fail("incorrect_client_credentials")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.codes[r.PostForm.Get("code")]
	if g == nil || g.used || g.redirectURI != r.PostForm.Get("redirect_uri") {
		fail("bad_verification_code")
		return
	}
	g.used = true
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		fail("bad_verification_code")
		return
	}
	tok := "gho_" + random(20)
	s.tokens[tok] = g.user
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "token_type": "bearer", "scope": "read:user,user:email"})
}

func (s *Server) userFor(r *http.Request) (User, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	u, found := s.tokens[tok]
	return u, ok && found
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.userFor(r)
	if !ok {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	var email any
	if u.PublicEmail != "" {
		email = u.PublicEmail
	}
	json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "login": u.Login, "name": u.Name, "avatar_url": u.AvatarURL, "email": email})
}

func (s *Server) apiEmails(w http.ResponseWriter, r *http.Request) {
	u, ok := s.userFor(r)
	if !ok {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	emails := u.Emails
	if emails == nil {
		emails = []Email{}
	}
	json.NewEncoder(w).Encode(emails)
}

// apiDiscordMe answers as Discord's /users/@me: the primary email and
// whether it is verified.
func (s *Server) apiDiscordMe(w http.ResponseWriter, r *http.Request) {
	u, ok := s.userFor(r)
	if !ok {
		http.Error(w, `{"message":"401: Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	out := map[string]any{"id": strconv.FormatInt(u.ID, 10), "username": u.Login, "global_name": nil, "avatar": nil}
	if u.Name != "" {
		out["global_name"] = u.Name
	}
	if u.AvatarURL != "" {
		out["avatar"] = "a1b2c3"
	}
	for _, e := range u.Emails {
		if e.Primary {
			out["email"], out["verified"] = e.Email, e.Verified
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

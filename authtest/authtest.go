// Package authtest runs a real embedauth for tests: a temporary SQLite
// file, an HTTP server on loopback, a captured mailbox and a clock the test
// moves. Apps use it to test their own protected routes:
//
//	env := authtest.New(t)
//	client := env.Client()
//	user := env.SignIn(t, client, "ann@example.com")
//	resp, _ := client.Get(env.URL + "/auth/api/me")
package authtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/mail"
)

// Clock is a clock the test moves by hand. It starts at the real time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Env is a running embedauth for one test.
type Env struct {
	Auth *auth.Auth
	// URL is the server's origin, "http://localhost:PORT" (also BaseURL).
	URL    string
	Server *httptest.Server
	Mail   *mail.Capture
	Clock  *Clock
	// DatabasePath is the SQLite file.
	DatabasePath string
}

// Option changes the Config before New uses it.
type Option func(*auth.Config)

// New starts an Auth on a fresh database in t.TempDir(), serving
// Handler and Middleware on loopback, with mail captured in env.Mail and
// the clock in env.Clock. Password hashing is made cheap, and per-IP rate
// limits and new-device sign-in mails are off, unless an option sets them
// (so the mailbox holds only the mail a test asks for). Everything stops
// at the end of the test.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	env := &Env{
		URL:          fmt.Sprintf("http://localhost:%d", port),
		Mail:         &mail.Capture{},
		Clock:        NewClock(time.Now()),
		DatabasePath: filepath.Join(t.TempDir(), "auth.db"),
	}
	cfg := auth.Config{
		DatabasePath:    env.DatabasePath,
		BaseURL:         env.URL,
		AppName:         "Test App",
		Mailer:          env.Mail,
		Now:             env.Clock.Now,
		PasswordHashing: auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		RateLimits:      auth.RateLimits{SignIn: -1, SignUp: -1, Codes: -1, Reset: -1, SignUpsPerHour: -1},
		// Every test client is a new device; tests of the notice turn it on.
		DisableNewDeviceEmails: true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := auth.New(cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	env.Auth = a
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	mux.Handle("/", a.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		fmt.Fprintf(w, "user:%s", u.ID)
	})))
	srv := httptest.NewUnstartedServer(a.Middleware(mux))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	env.Server = srv
	t.Cleanup(func() {
		srv.Close()
		if err := a.Close(); err != nil {
			t.Errorf("authtest: close: %v", err)
		}
	})
	return env
}

// Client returns an HTTP client with its own cookie jar that does not
// follow redirects, so tests see each answer.
func (e *Env) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Password returns a password that passes the default policy.
func Password() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "pw-" + hex.EncodeToString(b)
}

// CreateUser creates a verified user with password pw.
func (e *Env) CreateUser(t testing.TB, email, pw string) auth.User {
	t.Helper()
	u, err := e.Auth.CreateUser(context.Background(), auth.CreateUserParams{Email: email, Password: pw, EmailVerified: true})
	if err != nil {
		t.Fatalf("authtest: create user %s: %v", email, err)
	}
	return u
}

// SignIn signs client in as email through the JSON API, creating the user
// (verified, with a random password) when needed.
func (e *Env) SignIn(t testing.TB, client *http.Client, email string) auth.User {
	t.Helper()
	pw := Password()
	u, err := e.Auth.GetUserByEmail(context.Background(), email)
	switch {
	case errors.Is(err, core.ErrNotFound):
		u = e.CreateUser(t, email, pw)
	case err != nil:
		t.Fatal(err)
	default:
		t.Fatalf("authtest: SignIn: %s exists; use SignInWithPassword", email)
	}
	e.SignInWithPassword(t, client, email, pw)
	return u
}

// SignInWithPassword signs client in through the JSON API and fails the
// test unless it succeeds.
func (e *Env) SignInWithPassword(t testing.TB, client *http.Client, email, pw string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	resp, err := client.Post(e.URL+"/auth/api/sign-in", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b strings.Builder
		fmt.Fprint(&b, resp.Status)
		t.Fatalf("authtest: sign in %s: %s", email, b.String())
	}
}

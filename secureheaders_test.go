package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// TestSecureHeaders_SameAsEmbedauthPages: an app page wrapped in
// SecureHeaders carries exactly the security headers of embedauth's own
// pages, and a header the app sets itself wins.
func TestSecureHeaders_SameAsEmbedauthPages(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	names := []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
		"Cross-Origin-Opener-Policy", "Cache-Control", "Strict-Transport-Security"}

	page := httptest.NewRecorder()
	env.Auth.Handler().ServeHTTP(page, httptest.NewRequest(http.MethodGet, env.URL+"/auth/sign-in", nil))
	if page.Code != http.StatusOK {
		t.Fatalf("sign-in page: %d", page.Code)
	}
	app := httptest.NewRecorder()
	env.Auth.SecureHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("app page"))
	})).ServeHTTP(app, httptest.NewRequest(http.MethodGet, env.URL+"/", nil))
	for _, name := range names {
		if got, want := app.Header().Get(name), page.Header().Get(name); got != want {
			t.Errorf("%s = %q, want %q as on embedauth's pages", name, got, want)
		}
	}
	if app.Header().Get("Content-Security-Policy") == "" || app.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers missing: %v", app.Header())
	}

	cached := httptest.NewRecorder()
	env.Auth.SecureHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	})).ServeHTTP(cached, httptest.NewRequest(http.MethodGet, env.URL+"/static/app.css", nil))
	if got := cached.Header().Get("Cache-Control"); got != "public, max-age=3600" {
		t.Errorf("the app's own Cache-Control was replaced: %q", got)
	}
}

package auth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// TestUserButtonListsOtherAccounts checks that in multi-session mode the
// UserButton on an app's own page lists the browser's other signed-in
// accounts, each with a switch form that works, and a link to add one.
func TestUserButtonListsOtherAccounts(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.SessionMode = auth.SessionMulti })
	pwA, pwB := authtest.Password(), authtest.Password()
	env.CreateUser(t, "ub-a@example.com", pwA)
	env.CreateUser(t, "ub-b@example.com", pwB)
	c := flNew(t, env)
	render := func() string {
		t.Helper()
		var out string
		h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			out = string(env.Auth.Components(r).UserButton())
		}))
		req := httptest.NewRequest("GET", "/dashboard", nil)
		req.Header.Set("Cookie", "embedauth_session="+c.sessionCookie())
		h.ServeHTTP(httptest.NewRecorder(), req)
		return out
	}

	a := c.signIn("ub-a@example.com", pwA)
	out := render()
	if !strings.Contains(out, `href="/auth/sign-in?add=1"`) || strings.Contains(out, "sessions/switch") {
		t.Errorf("one account: want an add-account link and no switch:\n%s", out)
	}

	c.signIn("ub-b@example.com", pwB)
	out = render()
	for _, want := range []string{"ub-b@example.com", `action="/auth/sessions/switch"`, `name="session_id" value="` + a.Session.ID + `"`,
		"Switch to ub-a@example.com", `href="/auth/sign-in?add=1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("two accounts: the button lacks %q:\n%s", want, out)
		}
	}
	// Its switch form works.
	c.postForm("/auth/sessions/switch", url.Values{"session_id": {a.Session.ID}}).want(http.StatusSeeOther)
	if got := c.me(); got.User.Email != "ub-a@example.com" {
		t.Fatalf("after switching: %s, want ub-a", got.User.Email)
	}
	if out := render(); !strings.Contains(out, "Switch to ub-b@example.com") {
		t.Errorf("after switching, no switch back to ub-b:\n%s", out)
	}
}

// TestUserButtonSingleSessionNoAccounts checks that in single-session
// mode the UserButton offers neither switching nor adding an account.
func TestUserButtonSingleSessionNoAccounts(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	pw := authtest.Password()
	env.CreateUser(t, "ub-single@example.com", pw)
	c := flNew(t, env)
	c.signIn("ub-single@example.com", pw)
	var out string
	h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out = string(env.Auth.Components(r).UserButton())
	}))
	req := httptest.NewRequest("GET", "/dashboard", nil)
	req.Header.Set("Cookie", "embedauth_session="+c.sessionCookie())
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !strings.Contains(out, "ub-single@example.com") || strings.Contains(out, "sessions/switch") || strings.Contains(out, "add=1") {
		t.Errorf("single-session button:\n%s", out)
	}
}

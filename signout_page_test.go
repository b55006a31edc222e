package auth_test

import (
	"net/http"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// TestSignOutPageSignedOut checks that GET /auth/sign-out sends a browser
// with no one signed in to the sign-in page, and still asks a signed-in
// person to confirm.
func TestSignOutPageSignedOut(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	out := flNew(t, env)
	if loc := out.get("/auth/sign-out").want(http.StatusSeeOther).location(); loc != "/auth/sign-in" {
		t.Fatalf("signed out: GET /auth/sign-out goes to %q, want /auth/sign-in", loc)
	}

	pw := authtest.Password()
	env.CreateUser(t, "signout-page@example.com", pw)
	in := flNew(t, env)
	in.signIn("signout-page@example.com", pw)
	in.get("/auth/sign-out").want(http.StatusOK).contains(`action="/auth/sign-out"`)
}

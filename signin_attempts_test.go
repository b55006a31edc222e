package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// A right password clears the account's failed attempts also when the
// sign-in stops short of a session: at the second factor, at the new
// device's code, or at a ban. (With a session, the count is cleared in the
// session's transaction; TestT5_SuccessResetsFailureCount.)
func TestRightPasswordClearsFailuresWithoutSession(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		opts   []authtest.Option
		setup  func(t *testing.T, env *authtest.Env, email string) (pw, userID string)
		status int
		code   string
	}{
		{"second factor", []authtest.Option{secIPFromHeader}, func(t *testing.T, env *authtest.Env, email string) (string, string) {
			pw, _, _ := mfaUser(t, env, email)
			u, err := env.Auth.Store().UserByEmail(context.Background(), email)
			if err != nil {
				t.Fatal(err)
			}
			return pw, u.ID
		}, http.StatusAccepted, ""},
		{"device verification", []authtest.Option{secIPFromHeader, devVerify}, func(t *testing.T, env *authtest.Env, email string) (string, string) {
			pw := authtest.Password()
			return pw, env.CreateUser(t, email, pw).ID
		}, http.StatusAccepted, ""},
		{"banned", []authtest.Option{secIPFromHeader}, func(t *testing.T, env *authtest.Env, email string) (string, string) {
			pw := authtest.Password()
			u := env.CreateUser(t, email, pw)
			if _, err := env.Auth.BanUser(context.Background(), u.ID); err != nil {
				t.Fatal(err)
			}
			return pw, u.ID
		}, http.StatusForbidden, "user_banned"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := authtest.New(t, c.opts...)
			const email = "count@example.com"
			pw, id := c.setup(t, env, email)
			for i := range 3 {
				r := secSignIn(t, env, env.Client(), email, "wrong-"+pw, "X-Test-IP", fmt.Sprintf("10.7.0.%d", i+1))
				secWant(t, "wrong password", r, http.StatusUnauthorized, "invalid_credentials")
			}
			if n := secFailed(t, env, id); n != 3 {
				t.Fatalf("FailedAttempts = %d, want 3", n)
			}
			secWant(t, "right password", secSignIn(t, env, env.Client(), email, pw, "X-Test-IP", "10.7.1.1"), c.status, c.code)
			if n := secFailed(t, env, id); n != 0 {
				t.Fatalf("FailedAttempts after the right password = %d, want 0", n)
			}
		})
	}
}

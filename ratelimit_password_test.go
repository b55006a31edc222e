package auth_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// TestCurrentPasswordChecksAreRateLimited: every check of a signed-in
// user's current password (reverification, a password change; deleting the
// account and changing addresses go through the same check) counts against
// the client's sign-in limit as sign-in does, so a stolen session cannot
// guess the password fast, nor lock its owner out.
func TestCurrentPasswordChecksAreRateLimited(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, path string
		body       func(guess string) map[string]string
	}{
		{"reverify", "/auth/api/reverify", func(g string) map[string]string { return map[string]string{"password": g} }},
		{"password change", "/auth/api/password/change", func(g string) map[string]string {
			return map[string]string{"current_password": g, "new_password": "a brand new long passphrase 42"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := authtest.New(t, secDefaultRateLimits, secThreshold100)
			pw := authtest.Password()
			email := fmt.Sprintf("rl-%d@example.com", len(tc.path))
			u := env.CreateUser(t, email, pw)
			c := flNew(t, env)
			c.signIn(email, pw)
			var last *flResp
			for i := range 31 {
				last = c.postJSON(tc.path, tc.body(fmt.Sprintf("wrong guess number %d", i)))
				if i < 29 && last.status == http.StatusTooManyRequests {
					t.Fatalf("guess %d already refused: %s", i+1, last.body)
				}
			}
			last.wantError(http.StatusTooManyRequests, "rate_limited")
			// The account is not locked: its owner signs in from elsewhere.
			if n := secFailed(t, env, u.ID); n >= 100 {
				t.Errorf("%d failed attempts: the guesses locked the owner out", n)
			}
		})
	}
}

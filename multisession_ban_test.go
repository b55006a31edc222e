package auth_test

import (
	"net/http"
	"testing"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
)

// TestMultiSessionBannedActiveAccountSwitches checks that when the active
// account of a multi-session browser is banned, the browser drops it and
// goes on as its other signed-in account, both on embedauth's own
// endpoints and on the app's routes behind Middleware, instead of being
// signed out altogether.
func TestMultiSessionBannedActiveAccountSwitches(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t, func(c *auth.Config) { c.SessionMode = auth.SessionMulti; c.SessionCacheTTL = -1 })
		pwA, pwB := authtest.Password(), authtest.Password()
		env.CreateUser(t, "ban-a@example.com", pwA)
		env.CreateUser(t, "ban-b@example.com", pwB)
		c := flNew(t, env)
		a := c.signIn("ban-a@example.com", pwA)
		b := c.signIn("ban-b@example.com", pwB)
		if got := c.me(); got.Session.ID != b.Session.ID {
			t.Fatalf("active session = %s, want b's", got.Session.ID)
		}
		ban := func(id string) {
			t.Helper()
			if _, err := env.Auth.Store().SQL().Exec(`UPDATE auth_users SET banned = 1 WHERE id = $1`, id); err != nil {
				t.Fatal(err)
			}
		}

		ban(b.User.ID)
		if body := c.get("/app").want(http.StatusOK).text(); body != "user:"+a.User.ID {
			t.Fatalf("app route after banning the active account: %q, want user:%s", body, a.User.ID)
		}
		if got := c.me(); got.User.Email != "ban-a@example.com" || got.Session.ID != a.Session.ID {
			t.Fatalf("after banning the active account: %s, want ban-a", got.User.Email)
		}
		// The banned account is gone from the browser: it cannot be switched back to.
		c.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": b.Session.ID}).wantError(http.StatusNotFound, "session_not_found")

		// The last account banned: signed out.
		ban(a.User.ID)
		c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
	})
}

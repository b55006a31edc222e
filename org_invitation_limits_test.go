package auth_test

import (
	"net/http"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
)

// TestOrgInvitation_AcceptingIsRateLimitedPerIP: trying invitation tokens,
// on the API or through the link's page, counts against the per-IP limit
// on codes (RateLimits.Codes a minute), so tokens cannot be tried in bulk.
func TestOrgInvitation_AcceptingIsRateLimitedPerIP(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t, func(c *auth.Config) { c.RateLimits.Codes = 4 })
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		_, token := ogInvite(t, env, ann, org.ID, "bob@example.com", "org:member")

		eve := ogSignIn(t, env, "eve@example.com")
		eve.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": "guess-1"}).wantError(http.StatusNotFound, "invitation_not_found")
		eve.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": "guess-2"}).wantError(http.StatusNotFound, "invitation_not_found")
		eve.get("/auth/orgs/invitation?token=guess-3").want(http.StatusSeeOther)
		ogForm(eve.flClient, "/auth/orgs/invitation").want(http.StatusNotFound)

		r := eve.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": "guess-5"}).wantError(http.StatusTooManyRequests, "rate_limited")
		if r.header.Get("Retry-After") == "" {
			t.Error("the API's 429 has no Retry-After")
		}
		if r := eve.get("/auth/orgs/invitation?token=guess-6"); r.status != http.StatusTooManyRequests {
			t.Errorf("the link's page over the limit: %d, want 429", r.status)
		}
		// The limit is the network's, whoever is signed in: the invited person
		// on the same IP waits too, then gets in.
		bob := ogSignIn(t, env, "bob@example.com")
		bob.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).wantError(http.StatusTooManyRequests, "rate_limited")
		env.Clock.Advance(time.Minute)
		bob.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).want(http.StatusOK)
	})
}

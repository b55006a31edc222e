package orgs_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/orgs"
)

// TestService_InvitationForAnotherAddressIsUnknown: to a user it was not
// sent to, an invitation, whatever its status, is refused exactly as a
// token that does not exist, and nothing of it is returned.
func TestService_InvitationForAnotherAddressIsUnknown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *orgs.Config) { c.InvitationTTL = time.Hour })
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	for _, email := range []string{"pending@example.com", "used@example.com", "revoked@example.com", "expired@example.com"} {
		e.invite(ann, o.ID, email, "")
	}
	used := e.user("used@example.com")
	if _, _, err := e.svc.Accept(ctx, used, orgs.HashToken(e.tokens["used@example.com"])); err != nil {
		t.Fatal(err)
	}
	invs, err := e.svc.Invitations(ctx, ann.ID, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		if inv.Email == "revoked@example.com" {
			if _, err := e.svc.Revoke(ctx, ann.ID, o.ID, inv.ID); err != nil {
				t.Fatal(err)
			}
		}
	}

	eve := e.user("eve@example.com")
	_, _, unknown := e.svc.InvitationFor(ctx, eve, orgs.HashToken("no-such-token"))
	wantRefusal(t, unknown, core.ErrNotFound, "invitation_not_found")
	check := func(what string) {
		t.Helper()
		for _, email := range []string{"pending@example.com", "used@example.com", "revoked@example.com", "expired@example.com"} {
			hash := orgs.HashToken(e.tokens[email])
			inv, org, err := e.svc.InvitationFor(ctx, eve, hash)
			if !reflect.DeepEqual(err, unknown) || inv != (core.Invitation{}) || org != (core.Org{}) {
				t.Errorf("%s, invitation of %s: %+v, %+v, %v; want exactly the unknown token's refusal", what, email, inv, org, err)
			}
			_, m, err := e.svc.Accept(ctx, eve, hash)
			if !reflect.DeepEqual(err, unknown) || m != (core.Membership{}) {
				t.Errorf("%s, accepting the invitation of %s: %v; want exactly the unknown token's refusal", what, email, err)
			}
		}
	}
	check("within its lifetime")
	e.clock.Advance(time.Hour + time.Second)
	check("after its lifetime")

	// The invited address still sees its own invitation, with its status.
	_, _, err = e.svc.InvitationFor(ctx, used, orgs.HashToken(e.tokens["used@example.com"]))
	wantRefusal(t, err, core.ErrUsed, "invitation_used")
}

package orgs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/orgs"
)

func TestHashToken_Bounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, token string
		empty       bool
	}{
		{"Empty", "", true},
		{"TooLong", strings.Repeat("a", orgs.MaxTokenLength+1), true},
		{"Longest", strings.Repeat("a", orgs.MaxTokenLength), false},
		{"Issued", strings.Repeat("b", 43), false},
	} {
		if got := orgs.HashToken(tc.token); (got == "") != tc.empty || (got != "" && len(got) != 64) {
			t.Errorf("%s: HashToken = %q", tc.name, got)
		}
	}
}

func TestService_InvitationNoToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, _, err := e.svc.Invitation(ctx, orgs.HashToken(strings.Repeat("x", 1000)))
	wantRefusal(t, err, core.ErrNotFound, "invitation_not_found")
	_, _, err = e.svc.Accept(ctx, e.user("bob@example.com"), "")
	wantRefusal(t, err, core.ErrNotFound, "invitation_not_found")
}

func TestService_Invited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	inv, err := e.invite(ann, o.ID, "Bob@Example.com", core.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		email string
		want  bool
	}{
		{"bob@example.com", true},
		{"BOB@EXAMPLE.COM", true},
		{"bob@example.org", false},
		{"ann@example.com", false},
	} {
		if got := e.svc.Invited(inv, core.User{Email: tc.email}); got != tc.want {
			t.Errorf("Invited(%s) = %v, want %v", tc.email, got, tc.want)
		}
	}
}

func TestService_InvitationTTL(t *testing.T) {
	t.Parallel()
	if got := newEnv(t).svc.InvitationTTL(); got != 7*24*time.Hour {
		t.Fatalf("default InvitationTTL = %v", got)
	}
	e := newEnv(t, func(c *orgs.Config) { c.InvitationTTL = 2 * time.Hour })
	if got := e.svc.InvitationTTL(); got != 2*time.Hour {
		t.Fatalf("InvitationTTL = %v", got)
	}
	ann := e.user("ann@example.com")
	inv, err := e.invite(ann, e.org(ann, "a").ID, "bob@example.com", "")
	if err != nil || !inv.ExpiresAt.Equal(e.clock.Now().Add(2*time.Hour)) {
		t.Fatalf("invitation expires at %v (%v), want in InvitationTTL", inv.ExpiresAt, err)
	}
}

// TestService_PendingInvitations: a user's waiting invitations are the
// pending, unexpired ones to their verified address; AcceptPending takes
// only those, once.
func TestService_PendingInvitations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	a, b, c := e.org(ann, "a"), e.org(ann, "b"), e.org(ann, "c")
	bob := e.user("bob@example.com")
	invA, err := e.invite(ann, a.ID, "BOB@example.com", core.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second) // listed oldest first
	if _, err := e.invite(ann, b.ID, "bob@example.com", ""); err != nil {
		t.Fatal(err)
	}
	invC, err := e.invite(ann, c.ID, "bob@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Revoke(ctx, ann.ID, c.ID, invC.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.invite(ann, a.ID, "carol@example.com", ""); err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.PendingInvitations(ctx, bob)
	if err != nil || len(list) != 2 || list[0].Invitation.ID != invA.ID || list[0].Organization.ID != a.ID || list[1].Organization.ID != b.ID {
		t.Fatalf("bob's pending invitations = %+v, %v", list, err)
	}
	// An address not yet verified has none, and accepts none by id.
	unverified := bob
	unverified.EmailVerified = false
	if list, _ := e.svc.PendingInvitations(ctx, unverified); len(list) != 0 {
		t.Fatalf("unverified address sees %+v", list)
	}
	_, _, err = e.svc.AcceptPending(ctx, unverified, invA.ID)
	wantRefusal(t, err, core.ErrNotFound, "invitation_not_found")
	// Another user, and a revoked invitation, are refused like unknown ids.
	_, _, err = e.svc.AcceptPending(ctx, e.user("eve@example.com"), invA.ID)
	wantRefusal(t, err, core.ErrNotFound, "invitation_not_found")
	_, _, err = e.svc.AcceptPending(ctx, bob, invC.ID)
	wantRefusal(t, err, core.ErrNotFound, "invitation_not_found")

	_, m, err := e.svc.AcceptPending(ctx, bob, invA.ID)
	if err != nil || m.OrgID != a.ID || m.Role != core.RoleAdmin {
		t.Fatalf("AcceptPending = %+v, %v", m, err)
	}
	_, _, err = e.svc.AcceptPending(ctx, bob, invA.ID)
	wantRefusal(t, err, core.ErrNotFound, "invitation_not_found")
	// Expired ones drop off the list.
	e.clock.Advance(e.svc.InvitationTTL())
	if list, _ := e.svc.PendingInvitations(ctx, bob); len(list) != 0 {
		t.Fatalf("after expiry: %+v", list)
	}
}

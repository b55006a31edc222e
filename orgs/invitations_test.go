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

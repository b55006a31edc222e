package auth_test

// HTTP scenarios of organizations through the JSON API and the pages:
// creating, switching, inviting, managing members, roles and domains.

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
)

func TestOrgCreate_CreatorIsAdminAndActive(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")

		if v := ogProbe(t, env, ann.flClient, "org:sys_profile:manage"); !v.SignedIn || v.OK || v.Has["org:sys_profile:manage"] {
			t.Fatalf("before any organization: %+v", v)
		}
		created := ogCreate(t, ann, "Acme, Inc.", "")
		if created.Organization.Slug != "acme-inc" || created.Organization.Name != "Acme, Inc." || created.Organization.CreatedBy != ann.user.ID {
			t.Fatalf("organization = %+v", created.Organization)
		}
		if created.Membership.Role != core.RoleAdmin || created.Membership.UserID != ann.user.ID {
			t.Fatalf("membership = %+v", created.Membership)
		}
		v := ogProbe(t, env, ann.flClient, "org:sys_profile:manage", "org:anything:at_all")
		if !v.OK || v.OrgID != created.Organization.ID || v.Role != core.RoleAdmin || !v.Has["org:sys_profile:manage"] || !v.Has["org:anything:at_all"] {
			t.Fatalf("after create: %+v", v)
		}
		if !slices.Contains(v.Perms, "org:sys_memberships:manage") {
			t.Errorf("OrgPermissionsFrom = %v", v.Perms)
		}

		var list struct {
			Organizations []ogOrgAndMembership `json:"organizations"`
			ActiveOrgID   string               `json:"active_org_id"`
		}
		ann.get("/auth/api/orgs").want(http.StatusOK).decode(&list)
		if len(list.Organizations) != 1 || list.ActiveOrgID != created.Organization.ID {
			t.Fatalf("GET /api/orgs = %+v", list)
		}
		if evs := ogEvents(t, env, core.EventOrganizationCreated); len(evs) != 1 || evs[0]["id"] != created.Organization.ID {
			t.Fatalf("organization.created = %v", evs)
		}
		if evs := ogEvents(t, env, core.EventOrganizationMembershipCreated); len(evs) != 1 || evs[0]["role"] != core.RoleAdmin {
			t.Fatalf("organization.membership.created = %v", evs)
		}
		// A slug made from a taken name gets a suffix rather than an error.
		again := ogCreate(t, ann, "Acme Inc", "")
		if !strings.HasPrefix(again.Organization.Slug, "acme-inc-") {
			t.Errorf("second slug = %q", again.Organization.Slug)
		}
	})
}

func TestOrgSwitch(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		a := ogCreate(t, ann, "Alpha", "alpha")
		b := ogCreate(t, ann, "Beta", "beta")
		if v := ogProbe(t, env, ann.flClient); v.OrgID != b.Organization.ID {
			t.Fatalf("active after creating beta = %q", v.OrgID)
		}
		before := ann.sessionCookie()
		ann.postJSON("/auth/api/orgs/active", map[string]string{"org_id": a.Organization.ID}).want(http.StatusOK)
		if ann.sessionCookie() == before {
			t.Error("switching did not renew the cookie token")
		}
		if v := ogProbe(t, env, ann.flClient); v.OrgID != a.Organization.ID {
			t.Fatalf("active after switching = %q", v.OrgID)
		}
		// The personal account.
		ann.postJSON("/auth/api/orgs/active", map[string]string{"org_id": ""}).want(http.StatusOK)
		if v := ogProbe(t, env, ann.flClient); v.OK {
			t.Fatalf("personal account has an org: %+v", v)
		}
		// Through the switcher's form, which comes back to the page.
		r := ogForm(ann.flClient, "/auth/orgs/switch", "org_id", b.Organization.ID, "redirect_url", "/dashboard?x=1").want(http.StatusSeeOther)
		if r.location() != "/dashboard?x=1" {
			t.Errorf("switch redirects to %q", r.location())
		}
		if v := ogProbe(t, env, ann.flClient); v.OrgID != b.Organization.ID {
			t.Fatalf("active after the form = %q", v.OrgID)
		}
		ogForm(ann.flClient, "/auth/orgs/switch", "org_id", b.Organization.ID, "redirect_url", "//evil.example").want(http.StatusSeeOther).location()

		// Another person's organization is not found, and nothing changes.
		bob := ogSignIn(t, env, "bob@example.com")
		bobs := ogCreate(t, bob, "Bob's", "bobs")
		ann.postJSON("/auth/api/orgs/active", map[string]string{"org_id": bobs.Organization.ID}).wantError(http.StatusNotFound, "org_not_found")
		if v := ogProbe(t, env, ann.flClient); v.OrgID != b.Organization.ID {
			t.Fatalf("active after a refused switch = %q", v.OrgID)
		}
		// The active organization belongs to the device session.
		ann2 := flNew(t, env)
		ann2.signIn(ann.email, ann.pw)
		if v := ogProbe(t, env, ann2); v.OK {
			t.Errorf("a new device session starts with an active org: %+v", v)
		}
	})
}

func TestOrgInvitation_ExistingUserAccepts(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		bob := ogSignIn(t, env, "bob@example.com")

		inv, token := ogInvite(t, env, ann, org.ID, "BOB@example.com", "org:member")
		if inv.Status != "pending" || inv.Role != "org:member" || inv.Email != "BOB@example.com" {
			t.Fatalf("invitation = %+v", inv)
		}
		var out ogOrgAndMembership
		bob.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).want(http.StatusOK).decode(&out)
		if out.Organization.ID != org.ID || out.Membership.Role != "org:member" || out.Membership.UserID != bob.user.ID {
			t.Fatalf("accept = %+v", out)
		}
		if v := ogProbe(t, env, bob.flClient, "org:sys_memberships:read", "org:sys_memberships:manage"); v.OrgID != org.ID || v.Role != "org:member" ||
			!v.Has["org:sys_memberships:read"] || v.Has["org:sys_memberships:manage"] {
			t.Fatalf("bob after accepting: %+v", v)
		}
		var invs struct{ Invitations []ogInvitation }
		ann.get("/auth/api/orgs/" + org.ID + "/invitations").want(http.StatusOK).decode(&invs)
		if len(invs.Invitations) != 1 || invs.Invitations[0].Status != "accepted" {
			t.Fatalf("invitations = %+v", invs)
		}
		for typ, n := range map[string]int{core.EventOrganizationInvitationCreated: 1, core.EventOrganizationInvitationAccepted: 1, core.EventOrganizationMembershipCreated: 2} {
			if got := len(ogEvents(t, env, typ)); got != n {
				t.Errorf("%s events = %d, want %d", typ, got, n)
			}
		}
		var members struct {
			Members []struct{ Email, Role string }
		}
		bob.get("/auth/api/orgs/" + org.ID + "/members").want(http.StatusOK).decode(&members)
		if len(members.Members) != 2 {
			t.Fatalf("members = %+v", members)
		}
	})
}

// TestOrgInvitation_NewPersonSignsUpThroughTheLink follows the mail's link
// as a browser would: the page leads a new person to sign up (verifying
// the address with a code), and creating the account joins.
func TestOrgInvitation_NewPersonSignsUpThroughTheLink(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		_, token := ogInvite(t, env, ann, org.ID, "carol@example.com", "org:admin")

		carol := flNew(t, env)
		r := carol.get("/auth/orgs/invitation?token=" + token).want(http.StatusSeeOther)
		if r.location() != "/auth/orgs/invitation" {
			t.Fatalf("the link redirects to %q, want the token off the URL", r.location())
		}
		page := carol.get("/auth/orgs/invitation").want(http.StatusOK).contains("Acme", "carol@example.com", `action="/auth/sign-up"`,
			`name="redirect_url" value="/auth/orgs/invitation"`)
		page.notContains(token)
		pw := authtest.Password()
		ogForm(carol, "/auth/sign-up", "email", "carol@example.com", "password", pw, "name", "Carol", "redirect_url", "/auth/orgs/invitation").want(http.StatusSeeOther)
		code := flVerificationCode(t, env, "carol@example.com")
		r = ogForm(carol, "/auth/verify", "code", code, "redirect_url", "/auth/orgs/invitation").want(http.StatusSeeOther)
		if r.location() != "/auth/orgs/invitation" {
			t.Fatalf("after verifying: %q", r.location())
		}
		// Creating the account accepted the invitation: a member already, the
		// organization active, and the invitation page, instead of a second
		// "Join" button, sends her on to the app, once, with the welcome.
		if v := ogProbe(t, env, carol, "org:sys_profile:delete"); v.OrgID != org.ID || v.Role != core.RoleAdmin || !v.Has["org:sys_profile:delete"] {
			t.Fatalf("carol after signing up: %+v", v)
		}
		r = carol.get("/auth/orgs/invitation").want(http.StatusSeeOther)
		if r.location() != "/" {
			t.Errorf("the invitation page after joining redirects to %q", r.location())
		}
		carol.get("/auth/orgs").want(http.StatusOK).contains("Welcome to Acme.").notContains(`id="invitations"`)
		carol.get("/auth/orgs/invitation").want(http.StatusNotFound)
		// The link is spent.
		again := flNew(t, env)
		again.get("/auth/orgs/invitation?token=" + token).want(http.StatusSeeOther)
		again.get("/auth/orgs/invitation").want(http.StatusGone).alert()
	})
}

func TestOrgInvitation_ExistingUserSignsInThroughTheLink(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		pw := authtest.Password()
		env.CreateUser(t, "dave@example.com", pw)
		_, token := ogInvite(t, env, ann, org.ID, "dave@example.com", "")

		dave := flNew(t, env)
		dave.get("/auth/orgs/invitation?token=" + token).want(http.StatusSeeOther)
		dave.get("/auth/orgs/invitation").want(http.StatusOK).contains(`action="/auth/sign-in"`, "dave@example.com")
		r := ogForm(dave, "/auth/sign-in", "email", "dave@example.com", "password", pw, "redirect_url", "/auth/orgs/invitation").want(http.StatusSeeOther)
		if r.location() != "/auth/orgs/invitation" {
			t.Fatalf("after sign-in: %q", r.location())
		}
		// Signing in from the invitation page accepted it.
		if v := ogProbe(t, env, dave); v.OrgID != org.ID || v.Role != core.RoleMember {
			t.Fatalf("dave after signing in: %+v", v)
		}
		dave.get("/auth/orgs/invitation").want(http.StatusSeeOther)
	})
}

func TestOrgMembers_ChangeRoleAndRemove(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		bob := ogJoin(t, env, ann, org.ID, "bob@example.com", "org:member")

		if v := ogProbe(t, env, bob.flClient, "org:sys_memberships:manage"); v.Has["org:sys_memberships:manage"] {
			t.Fatal("a member can manage members")
		}
		var out struct{ Membership ogMembership }
		ann.patchJSON("/auth/api/orgs/"+org.ID+"/members/"+bob.user.ID, map[string]string{"role": "org:admin"}).want(http.StatusOK).decode(&out)
		if out.Membership.Role != "org:admin" {
			t.Fatalf("membership = %+v", out.Membership)
		}
		// The next request sees the new role: no waiting for the cache.
		if v := ogProbe(t, env, bob.flClient, "org:sys_memberships:manage"); v.Role != "org:admin" || !v.Has["org:sys_memberships:manage"] {
			t.Fatalf("bob after promotion: %+v", v)
		}
		if evs := ogEvents(t, env, core.EventOrganizationMembershipUpdated); len(evs) != 1 || evs[0]["role"] != "org:admin" {
			t.Fatalf("membership.updated = %v", evs)
		}
		// Setting the same role again is no change.
		ann.patchJSON("/auth/api/orgs/"+org.ID+"/members/"+bob.user.ID, map[string]string{"role": "org:admin"}).want(http.StatusOK)
		if n := len(ogEvents(t, env, core.EventOrganizationMembershipUpdated)); n != 1 {
			t.Errorf("membership.updated after a no-op = %d", n)
		}
		ann.do("DELETE", "/auth/api/orgs/"+org.ID+"/members/"+bob.user.ID, "", nil).want(http.StatusOK)
		if v := ogProbe(t, env, bob.flClient, "org:sys_memberships:read"); v.OK || v.Has["org:sys_memberships:read"] {
			t.Fatalf("bob after removal: %+v", v)
		}
		bob.get("/auth/api/orgs/"+org.ID).wantError(http.StatusNotFound, "org_not_found")
		if evs := ogEvents(t, env, core.EventOrganizationMembershipDeleted); len(evs) != 1 || evs[0]["user_id"] != bob.user.ID {
			t.Fatalf("membership.deleted = %v", evs)
		}
	})
}

func TestOrgMembers_LastAdmin(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		ann.postJSON("/auth/api/orgs/"+org.ID+"/leave", nil).wantError(http.StatusConflict, "last_admin")
		ann.patchJSON("/auth/api/orgs/"+org.ID+"/members/"+ann.user.ID, map[string]string{"role": "org:member"}).wantError(http.StatusConflict, "last_admin")
		ann.do("DELETE", "/auth/api/orgs/"+org.ID+"/members/"+ann.user.ID, "", nil).wantError(http.StatusConflict, "last_admin")

		bob := ogJoin(t, env, ann, org.ID, "bob@example.com", "org:admin")
		// With a second admin, ann may step down, and then bob is the last.
		ann.patchJSON("/auth/api/orgs/"+org.ID+"/members/"+ann.user.ID, map[string]string{"role": "org:member"}).want(http.StatusOK)
		bob.postJSON("/auth/api/orgs/"+org.ID+"/leave", nil).wantError(http.StatusConflict, "last_admin")
		ann.postJSON("/auth/api/orgs/"+org.ID+"/leave", nil).want(http.StatusOK)
		if v := ogProbe(t, env, ann.flClient); v.OK {
			t.Fatalf("ann still has the org after leaving: %+v", v)
		}
	})
}

func TestOrgLimits(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t, func(c *auth.Config) { c.Organizations.MaxPerUser = 1; c.Organizations.MaxMembers = 2 })
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		ann.postJSON("/auth/api/orgs", map[string]string{"name": "Second"}).wantError(http.StatusForbidden, "org_limit_reached")
		ogInvite(t, env, ann, org.ID, "bob@example.com", "")
		// A pending invitation holds a seat.
		ann.postJSON("/auth/api/orgs/"+org.ID+"/invitations", map[string]string{"email": "carol@example.com"}).wantError(http.StatusForbidden, "member_limit_reached")
	})
}

func TestOrgUpdateAndDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		bob := ogJoin(t, env, ann, org.ID, "bob@example.com", "org:member")

		var out struct{ Organization ogOrg }
		ann.patchJSON("/auth/api/orgs/"+org.ID, map[string]string{"name": "Acme Corp", "logo_url": "https://cdn.example.com/acme.png"}).want(http.StatusOK).decode(&out)
		if out.Organization.Name != "Acme Corp" || out.Organization.Slug != "acme" || out.Organization.LogoURL != "https://cdn.example.com/acme.png" {
			t.Fatalf("updated = %+v", out.Organization)
		}
		// Requests see the new name at once.
		if v := ogProbe(t, env, bob.flClient); v.OrgName != "Acme Corp" {
			t.Errorf("bob sees the name %q", v.OrgName)
		}
		bob.patchJSON("/auth/api/orgs/"+org.ID, map[string]string{"name": "Mine"}).wantError(http.StatusForbidden, "permission_denied")
		if evs := ogEvents(t, env, core.EventOrganizationUpdated); len(evs) != 1 || evs[0]["name"] != "Acme Corp" {
			t.Fatalf("organization.updated = %v", evs)
		}

		bob.deleteJSON("/auth/api/orgs/"+org.ID, map[string]string{"password": bob.pw}).wantError(http.StatusForbidden, "permission_denied")
		env.Clock.Advance(auth.DefaultReverificationAge + time.Second) // past the sign-in's proof
		ann.deleteJSON("/auth/api/orgs/"+org.ID, map[string]string{}).wantError(http.StatusUnprocessableEntity, "password_required")
		ann.deleteJSON("/auth/api/orgs/"+org.ID, map[string]string{"password": "wrong-wrong-wrong"}).wantError(http.StatusUnprocessableEntity, "incorrect_password")
		ann.deleteJSON("/auth/api/orgs/"+org.ID, map[string]string{"password": ann.pw}).want(http.StatusOK)
		if v := ogProbe(t, env, bob.flClient); v.OK {
			t.Fatalf("bob still in a deleted org: %+v", v)
		}
		ann.get("/auth/api/orgs/"+org.ID).wantError(http.StatusNotFound, "org_not_found")
		if evs := ogEvents(t, env, core.EventOrganizationDeleted); len(evs) != 1 || evs[0]["id"] != org.ID {
			t.Fatalf("organization.deleted = %v", evs)
		}
	})
}

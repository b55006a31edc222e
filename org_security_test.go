package auth_test

// SECURITY.md T49 (R15) as tests, and the organization routes' guards:
// invitations bound to their address and used once, no role escalation,
// ids of one organization never reaching into another, removed members
// losing access at the next request, and CSRF on every org form.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/core"
)

// TestT49_InvitationRedeemedUnderAnotherEmailIsRefused: a real token
// redeemed by a user it was not sent to is refused exactly as an unknown
// token is (404, the same body), on the API and on the link's page, so
// that the answer does not reveal that the token exists.
func TestT49_InvitationRedeemedUnderAnotherEmailIsRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		_, token := ogInvite(t, env, ann, org.ID, "bob@example.com", "org:admin")

		eve := ogSignIn(t, env, "eve@example.com")
		forged := eve.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": "forged-" + token}).wantError(http.StatusNotFound, "invitation_not_found")
		real := eve.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).wantError(http.StatusNotFound, "invitation_not_found")
		if string(real.body) != string(forged.body) {
			t.Errorf("API: a real token under another email answers %s, an unknown one %s", real.body, forged.body)
		}
		// Through the link's page too: the page shows the same as for an
		// unknown token, nothing of the invitation, and accepting fails alike.
		page := func(tok string) (*flResp, *flResp) {
			eve.get("/auth/orgs/invitation?token=" + tok).want(http.StatusSeeOther)
			return eve.get("/auth/orgs/invitation").want(http.StatusNotFound), ogForm(eve.flClient, "/auth/orgs/invitation").want(http.StatusNotFound)
		}
		forgedPage, forgedForm := page("forged-" + token)
		realPage, realForm := page(token)
		realPage.notContains("bob@example.com", "Acme", `id="accept-invitation"`)
		if string(realPage.body) != string(forgedPage.body) {
			t.Errorf("page: a real token under another email shows\n%s\nan unknown one\n%s", realPage.body, forgedPage.body)
		}
		if string(realForm.body) != string(forgedForm.body) {
			t.Errorf("form: a real token under another email answers\n%s\nan unknown one\n%s", realForm.body, forgedForm.body)
		}
		eve.get("/auth/api/orgs/"+org.ID).wantError(http.StatusNotFound, "org_not_found")
		if v := ogProbe(t, env, eve.flClient); v.OK {
			t.Fatalf("eve got an org: %+v", v)
		}
		// bob still can.
		bob := ogSignIn(t, env, "bob@example.com")
		bob.postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).want(http.StatusOK)
	})
}

func TestT49_ReusedExpiredOrRevokedInvitationFails(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization

		t.Run("Reused", func(t *testing.T) {
			bob := ogSignIn(t, env, "bob@example.com")
			_, token := ogInvite(t, env, ann, org.ID, "bob@example.com", "")
			bob.as(t).postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).want(http.StatusOK)
			bob.as(t).postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).wantError(http.StatusGone, "invitation_used")
			// Even after leaving, the spent link does not bring bob back.
			bob.as(t).postJSON("/auth/api/orgs/"+org.ID+"/leave", nil).want(http.StatusOK)
			bob.as(t).postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).wantError(http.StatusGone, "invitation_used")
		})
		t.Run("Revoked", func(t *testing.T) {
			carl := ogSignIn(t, env, "carl@example.com")
			inv, token := ogInvite(t, env, ann, org.ID, "carl@example.com", "")
			ann.as(t).postJSON("/auth/api/orgs/"+org.ID+"/invitations/"+inv.ID+"/revoke", nil).want(http.StatusOK)
			carl.as(t).postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).wantError(http.StatusGone, "invitation_revoked")
		})
		t.Run("Expired", func(t *testing.T) {
			_, token := ogInvite(t, env, ann, org.ID, "dora@example.com", "")
			_, token2 := ogInvite(t, env, ann, org.ID, "erin@example.com", "")
			env.Clock.Advance(7*24*time.Hour - time.Second)
			// A second before it expires, an invitation still works.
			erin := ogSignIn(t, env, "erin@example.com")
			erin.as(t).postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token2}).want(http.StatusOK)
			dora := ogSignIn(t, env, "dora@example.com")
			env.Clock.Advance(time.Second)
			dora.as(t).postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": token}).wantError(http.StatusGone, "invitation_expired")
		})
		t.Run("Forged", func(t *testing.T) {
			carl := ogSignIn(t, env, "fred@example.com")
			for _, tok := range []string{"", "forged", strings.Repeat("a", 129)} {
				carl.as(t).postJSON("/auth/api/orgs/invitations/accept", map[string]string{"token": tok}).wantError(http.StatusNotFound, "invitation_not_found")
			}
		})
	})
}

// TestT49_InviterCannotEscalate: a member who manages members (through a
// configured role) cannot invite an admin, promote anyone to admin, or
// demote or remove an admin; nor create a role above their own.
func TestT49_InviterCannotEscalate(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t, func(c *auth.Config) {
			c.Organizations.Roles = []auth.OrgRole{{Key: "org:manager", Name: "Manager",
				Permissions: []string{"org:sys_memberships:read", "org:sys_memberships:manage", "org:sys_roles:manage"}}}
		})
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		mgr := ogJoin(t, env, ann, org.ID, "mgr@example.com", "org:manager")
		bob := ogJoin(t, env, ann, org.ID, "bob@example.com", "org:member")
		base := "/auth/api/orgs/" + org.ID

		mgr.postJSON(base+"/invitations", map[string]string{"email": "x@example.com", "role": "org:admin"}).wantError(http.StatusForbidden, "role_escalation")
		mgr.patchJSON(base+"/members/"+bob.user.ID, map[string]string{"role": "org:admin"}).wantError(http.StatusForbidden, "role_escalation")
		mgr.patchJSON(base+"/members/"+mgr.user.ID, map[string]string{"role": "org:admin"}).wantError(http.StatusForbidden, "role_escalation")
		mgr.patchJSON(base+"/members/"+ann.user.ID, map[string]string{"role": "org:member"}).wantError(http.StatusForbidden, "role_escalation")
		mgr.do("DELETE", base+"/members/"+ann.user.ID, "", nil).wantError(http.StatusForbidden, "role_escalation")
		mgr.postJSON(base+"/roles", map[string]any{"key": "org:boss", "name": "Boss", "permissions": []string{"org:sys_profile:delete"}}).wantError(http.StatusForbidden, "role_escalation")
		// The same through the profile page's forms.
		ogForm(mgr.flClient, "/auth/orgs/"+org.ID+"/invitations", "email", "y@example.com", "role", "org:admin").want(http.StatusForbidden).alert()
		ogForm(mgr.flClient, "/auth/orgs/"+org.ID+"/members/role", "user_id", bob.user.ID, "role", "org:admin").want(http.StatusForbidden).alert()
		// A plain member manages nobody.
		bob.postJSON(base+"/invitations", map[string]string{"email": "x@example.com"}).wantError(http.StatusForbidden, "permission_denied")
		// What the manager may do, they can.
		mgr.postJSON(base+"/invitations", map[string]string{"email": "z@example.com", "role": "org:member"}).want(http.StatusCreated)
		mgr.patchJSON(base+"/members/"+bob.user.ID, map[string]string{"role": "org:manager"}).want(http.StatusOK)
		if n := len(ogEvents(t, env, core.EventOrganizationMembershipUpdated)); n != 1 {
			t.Fatalf("membership.updated = %d, want only the allowed change", n)
		}
	})
}

// TestT49_IDFromAnotherOrganizationIs404: an admin of B uses, in B's
// routes, ids of members, invitations, domains, requests and roles of A;
// every one is answered 404 and nothing of A changes.
func TestT49_IDFromAnotherOrganizationIs404(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		a := ogCreate(t, ann, "Alpha", "alpha").Organization
		bob := ogJoin(t, env, ann, a.ID, "bob@example.com", "org:member")
		inv, _ := ogInvite(t, env, ann, a.ID, "pending@example.com", "")
		var dom struct{ Domain ogDomain }
		ann.postJSON("/auth/api/orgs/"+a.ID+"/domains", map[string]string{"name": "alpha.test"}).want(http.StatusCreated).decode(&dom)
		ann.postJSON("/auth/api/orgs/"+a.ID+"/permissions", map[string]string{"key": "org:a:x", "name": "X"}).want(http.StatusCreated)
		ann.postJSON("/auth/api/orgs/"+a.ID+"/roles", map[string]any{"key": "org:alpha_role", "name": "R", "permissions": []string{"org:a:x"}}).want(http.StatusCreated)

		mal := ogSignIn(t, env, "mal@example.com")
		b := ogCreate(t, mal, "Beta", "beta").Organization
		bb := "/auth/api/orgs/" + b.ID
		for _, c := range []struct {
			method, path string
			body         any
			code         string
		}{
			{"PATCH", bb + "/members/" + bob.user.ID, map[string]string{"role": "org:admin"}, "member_not_found"},
			{"DELETE", bb + "/members/" + bob.user.ID, nil, "member_not_found"},
			{"POST", bb + "/invitations/" + inv.ID + "/revoke", nil, "invitation_not_found"},
			{"PATCH", bb + "/domains/" + dom.Domain.ID, map[string]string{"enrollment_mode": "automatic_invitation"}, "domain_not_found"},
			{"DELETE", bb + "/domains/" + dom.Domain.ID, nil, "domain_not_found"},
			{"POST", bb + "/domains/" + dom.Domain.ID + "/send-code", map[string]string{"email": "x@alpha.test"}, "domain_not_found"},
			{"POST", bb + "/domains/" + dom.Domain.ID + "/verify", map[string]string{"code": "123456"}, "domain_not_found"},
			{"PATCH", bb + "/roles/org:alpha_role", map[string]any{"name": "Mine"}, "role_not_found"},
			{"DELETE", bb + "/roles/org:alpha_role", nil, "role_not_found"},
			{"DELETE", bb + "/permissions/org:a:x", nil, "permission_not_found"},
			{"POST", bb + "/requests/orgreq_x/accept", nil, "request_not_found"},
		} {
			mal.sendJSON(c.method, c.path, c.body).wantError(http.StatusNotFound, c.code)
		}
		// A's role cannot be granted in B either.
		mal.postJSON(bb+"/invitations", map[string]string{"email": "x@example.com", "role": "org:alpha_role"}).wantError(http.StatusUnprocessableEntity, "unknown_role")
		// Nothing of A changed.
		if v := ogProbe(t, env, bob.flClient); v.OrgID != a.ID || v.Role != "org:member" {
			t.Fatalf("bob = %+v", v)
		}
		var invs struct{ Invitations []ogInvitation }
		ann.get("/auth/api/orgs/" + a.ID + "/invitations").want(http.StatusOK).decode(&invs)
		for _, i := range invs.Invitations {
			if i.Email == "pending@example.com" && i.Status != "pending" {
				t.Fatalf("A's invitations = %+v", invs)
			}
		}
	})
}

// TestT49_IDORonEveryOrgRoute: a signed-in user who does not belong to
// an organization gets 404 org_not_found from every route that names it,
// through the API and the pages, however the rest of the request looks.
func TestT49_IDORonEveryOrgRoute(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		a := ogCreate(t, ann, "Alpha", "alpha").Organization
		bob := ogJoin(t, env, ann, a.ID, "bob@example.com", "org:member")
		mal := ogSignIn(t, env, "mal@example.com")
		ogCreate(t, mal, "Beta", "beta") // mal is an admin, of another org

		bodies := map[string]any{
			"PATCH /api/orgs/{id}":                                   map[string]string{"name": "Pwned"},
			"DELETE /api/orgs/{id}":                                  map[string]string{"password": mal.pw},
			"PATCH /api/orgs/{id}/members/{user_id}":                 map[string]string{"role": "org:admin"},
			"POST /api/orgs/{id}/invitations":                        map[string]string{"email": "mal2@example.com", "role": "org:admin"},
			"POST /api/orgs/{id}/domains":                            map[string]string{"name": "evil.test"},
			"PATCH /api/orgs/{id}/domains/{domain_id}":               map[string]string{"enrollment_mode": "automatic_invitation"},
			"POST /api/orgs/{id}/domains/{domain_id}/send-code":      map[string]string{"email": "x@evil.test"},
			"POST /api/orgs/{id}/domains/{domain_id}/verify":         map[string]string{"code": "123456"},
			"POST /api/orgs/{id}/roles":                              map[string]any{"key": "org:x", "name": "X"},
			"PATCH /api/orgs/{id}/roles/{key}":                       map[string]any{"name": "X"},
			"POST /api/orgs/{id}/permissions":                        map[string]string{"key": "org:x:y", "name": "X"},
			"POST /api/orgs/{id}/invitations/{invitation_id}/revoke": nil,
		}
		n := 0
		for _, route := range openAPIRouteList {
			method, path, _ := strings.Cut(route, " ")
			if !strings.HasPrefix(path, "/api/orgs/{id}") {
				continue
			}
			if route == "POST /api/orgs/{id}/join" {
				continue // joining needs no membership: see below
			}
			n++
			url := "/auth" + strings.NewReplacer("{id}", a.ID, "{user_id}", bob.user.ID, "{invitation_id}", "orginv_x",
				"{request_id}", "orgreq_x", "{domain_id}", "orgdom_x", "{key}", "org:member").Replace(path)
			mal.sendJSON(method, url, bodies[route]).wantError(http.StatusNotFound, "org_not_found")
		}
		if n < 25 {
			t.Fatalf("only %d routes probed", n)
		}
		mal.postJSON("/auth/api/orgs/"+a.ID+"/join", nil).wantError(http.StatusForbidden, "not_eligible")
		mal.postJSON("/auth/api/orgs/active", map[string]string{"org_id": a.ID}).wantError(http.StatusNotFound, "org_not_found")

		// The pages.
		mal.get("/auth/orgs/" + a.ID).want(http.StatusNotFound)
		for _, form := range []string{"general", "delete", "leave", "members/role", "members/remove", "invitations", "invitations/revoke",
			"requests/decide", "domains", "domains/send-code", "domains/verify", "domains/mode", "domains/remove", "roles", "roles/delete",
			"permissions", "permissions/delete"} {
			r := ogForm(mal.flClient, "/auth/orgs/"+a.ID+"/"+form, "name", "Pwned", "user_id", bob.user.ID, "role", "org:admin",
				"email", "m@example.com", "confirm", "alpha", "password", mal.pw, "key", "org:x")
			if r.status != http.StatusNotFound {
				t.Errorf("POST /auth/orgs/{id}/%s by a stranger: %d", form, r.status)
			}
		}
		ogForm(mal.flClient, "/auth/orgs/switch", "org_id", a.ID).want(http.StatusNotFound)
		if v := ogProbe(t, env, bob.flClient); v.OrgID != a.ID {
			t.Fatalf("A changed: %+v", v)
		}
		var got struct{ Organization ogOrg }
		ann.get("/auth/api/orgs/" + a.ID).want(http.StatusOK).decode(&got)
		if got.Organization.Name != "Alpha" {
			t.Fatalf("A renamed to %q", got.Organization.Name)
		}
	})
}

// TestT49_RemovedMemberLosesAccessAtOnce: a member removed while their
// session is cached has no organization, permission or protected page on
// their very next request.
func TestT49_RemovedMemberLosesAccessAtOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		bob := ogJoin(t, env, ann, org.ID, "bob@example.com", "org:member")

		app := http.NewServeMux()
		app.Handle("/org", env.Auth.RequireOrg(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			org, role, _ := auth.OrgFrom(r.Context())
			fmt.Fprintf(w, "%s %s", org.ID, role)
		})))
		app.Handle("/members", env.Auth.RequirePermission("org:sys_memberships:read", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "members")
		})))
		url := ogServe(t, env, app)
		for range 3 { // warm the session cache
			if resp, body := ogGet(t, bob.flClient, url+"/org", true); resp.StatusCode != http.StatusOK || body != org.ID+" org:member" {
				t.Fatalf("before removal: %d %q", resp.StatusCode, body)
			}
		}
		ann.do("DELETE", "/auth/api/orgs/"+org.ID+"/members/"+bob.user.ID, "", nil).want(http.StatusOK)
		if resp, body := ogGet(t, bob.flClient, url+"/org", true); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "org_required") {
			t.Fatalf("after removal /org: %d %q", resp.StatusCode, body)
		}
		if resp, _ := ogGet(t, bob.flClient, url+"/members", true); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("after removal /members: %d", resp.StatusCode)
		}
		bob.get("/auth/api/orgs/"+org.ID+"/members").wantError(http.StatusNotFound, "org_not_found")
		// Demotion takes effect at once too.
		carl := ogJoin(t, env, ann, org.ID, "carl@example.com", "org:admin")
		if v := ogProbe(t, env, carl.flClient, "org:sys_profile:delete"); !v.Has["org:sys_profile:delete"] {
			t.Fatal("carl is not admin")
		}
		ann.patchJSON("/auth/api/orgs/"+org.ID+"/members/"+carl.user.ID, map[string]string{"role": "org:member"}).want(http.StatusOK)
		if v := ogProbe(t, env, carl.flClient, "org:sys_profile:delete"); v.Has["org:sys_profile:delete"] || v.Role != "org:member" {
			t.Fatalf("carl after demotion: %+v", v)
		}
	})
}

func TestOrgMiddleware_RequireOrgRoleAndPermission(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t, func(c *auth.Config) {
			c.Organizations.Permissions = []auth.OrgPermission{{Key: "org:invoices:write", Name: "Write invoices"}}
			c.Organizations.Roles = []auth.OrgRole{{Key: "org:billing", Name: "Billing", Permissions: []string{"org:invoices:write"}}}
		})
		ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
		app := http.NewServeMux()
		app.Handle("/org", env.Auth.RequireOrg(ok))
		app.Handle("/admin", env.Auth.RequireRole("org:admin", ok))
		app.Handle("/invoices", env.Auth.RequirePermission("org:invoices:write", ok))
		url := ogServe(t, env, app)

		ann := ogSignIn(t, env, "ann@example.com")
		// Signed in, no organization: browsers go to the list, API clients get 403.
		resp, _ := ogGet(t, ann.flClient, url+"/org?x=1", false)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/orgs?redirect_url=%2Forg%3Fx%3D1" {
			t.Fatalf("no org, browser: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, body := ogGet(t, ann.flClient, url+"/invoices", true); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"org_required"`) {
			t.Fatalf("no org, API: %d %s", resp.StatusCode, body)
		}
		org := ogCreate(t, ann, "Acme", "acme").Organization
		for _, p := range []string{"/org", "/admin", "/invoices"} {
			if resp, body := ogGet(t, ann.flClient, url+p, false); resp.StatusCode != http.StatusOK || body != "ok" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("admin %s: %d %q", p, resp.StatusCode, body)
			}
		}
		bob := ogJoin(t, env, ann, org.ID, "bob@example.com", "org:member")
		if resp, _ := ogGet(t, bob.flClient, url+"/org", false); resp.StatusCode != http.StatusOK {
			t.Errorf("member /org: %d", resp.StatusCode)
		}
		for _, p := range []string{"/admin", "/invoices"} {
			if resp, body := ogGet(t, bob.flClient, url+p, true); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"permission_denied"`) {
				t.Errorf("member %s: %d %s", p, resp.StatusCode, body)
			}
		}
		ann.patchJSON("/auth/api/orgs/"+org.ID+"/members/"+bob.user.ID, map[string]string{"role": "org:billing"}).want(http.StatusOK)
		if resp, _ := ogGet(t, bob.flClient, url+"/invoices", true); resp.StatusCode != http.StatusOK {
			t.Errorf("billing /invoices: %d", resp.StatusCode)
		}
		// Signed out.
		out := flNew(t, env)
		req, _ := http.NewRequest("GET", url+"/org", nil)
		req.Header.Set("Accept", "application/json")
		if resp, err := out.hc.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("signed out: %v %v", resp, err)
		}
	})
}

// TestT39_CrossSiteOrgFormsAre403: every state-changing org route refuses
// a cross-site request.
func TestT39_CrossSiteOrgFormsAre403(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		for _, p := range []string{"/auth/orgs/new", "/auth/orgs/switch", "/auth/orgs/join", "/auth/orgs/invitation",
			"/auth/orgs/" + org.ID + "/general", "/auth/orgs/" + org.ID + "/delete", "/auth/orgs/" + org.ID + "/invitations",
			"/auth/orgs/" + org.ID + "/members/role"} {
			ann.do("POST", p, "application/x-www-form-urlencoded", strings.NewReader("name=x"), "Sec-Fetch-Site", "cross-site").want(http.StatusForbidden)
		}
		ann.do("POST", "/auth/api/orgs/active", "application/json", strings.NewReader(`{"org_id":""}`), "Origin", "https://evil.example").want(http.StatusForbidden)
		if v := ogProbe(t, env, ann.flClient); v.OrgID != org.ID {
			t.Fatalf("a cross-site request changed the active org: %+v", v)
		}
	})
}

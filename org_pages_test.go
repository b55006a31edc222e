package auth_test

// The organization pages (CreateOrganization, the list, OrganizationProfile
// with its tabs and forms), the OrganizationSwitcher component, and bad
// input through the API.

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/embedauth/auth/authtest"
)

var ogProfilePath = regexp.MustCompile(`^/auth/orgs/(org_[a-z0-9]+)$`)

func TestOrgPages_Create(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	ann.get("/auth/orgs/new").want(http.StatusOK).contains("Create an organization", `action="/auth/orgs/new"`)
	flNew(t, env).get("/auth/orgs/new").want(http.StatusSeeOther)

	ogForm(ann.flClient, "/auth/orgs/new", "name", strings.Repeat("x", 101)).want(http.StatusUnprocessableEntity).fieldError("name")
	ogForm(ann.flClient, "/auth/orgs/new", "name", "Acme", "slug", "Not A Slug").want(http.StatusUnprocessableEntity).fieldError("slug")
	ogForm(ann.flClient, "/auth/orgs/new", "name", "Acme", "logo_url", "ftp://x").want(http.StatusUnprocessableEntity).fieldError("logo_url")
	r := ogForm(ann.flClient, "/auth/orgs/new", "name", "Acme", "slug", "acme").want(http.StatusSeeOther)
	m := ogProfilePath.FindStringSubmatch(r.location())
	if m == nil {
		t.Fatalf("create redirects to %q", r.location())
	}
	page := ann.get(r.location()).want(http.StatusOK).notice()
	page.contains("Acme", "General", "Members", "Invitations", "Domains", "Roles", "Delete organization")
	ogForm(ann.flClient, "/auth/orgs/new", "name", "Acme 2", "slug", "acme").want(http.StatusConflict).fieldError("slug").contains(`value="Acme 2"`)
	// With redirect_url, back to the app.
	r = ogForm(ann.flClient, "/auth/orgs/new", "name", "Beta", "redirect_url", "/dashboard").want(http.StatusSeeOther)
	if r.location() != "/dashboard" {
		t.Errorf("redirect_url ignored: %q", r.location())
	}
}

func TestOrgPages_ProfileTabsFollowPermissions(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	org := ogCreate(t, ann, "Acme", "acme").Organization
	bob := ogJoin(t, env, ann, org.ID, "bob@example.com", "org:member")
	p := "/auth/orgs/" + org.ID

	for _, tab := range []string{"general", "members", "invitations", "domains", "roles"} {
		ann.get(p + "?tab=" + tab).want(http.StatusOK).contains(`id="tab-` + tab + `" aria-current="page"`)
	}
	ann.get(p+"?tab=members").contains("bob@example.com", `action="/auth/orgs/`+org.ID+`/members/role"`)
	ann.get(p+"?tab=roles").contains("org:sys_memberships:manage", "New role", "New permission")
	bob.get(p+"?tab=members").want(http.StatusOK).contains("ann@example.com").notContains(`/members/role"`, `/members/remove"`)
	// Tabs a member may not see fall back to General, without their data.
	bob.get(p+"?tab=invitations").want(http.StatusOK).contains(`id="tab-general" aria-current="page"`).notContains(`id="tab-invitations"`, "Send invitation")
	bob.get(p+"?tab=general").notContains("Delete organization", `action="/auth/orgs/`+org.ID+`/general"`)
	bob.get(p + "?tab=roles").notContains("New role")
}

func TestOrgPages_Forms(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	org := ogCreate(t, ann, "Acme", "acme").Organization
	p := "/auth/orgs/" + org.ID
	back := func(r *flResp, tab string) {
		t.Helper()
		r.want(http.StatusSeeOther)
		if r.location() != p+"?tab="+tab {
			t.Fatalf("%s: redirects to %q", r.what, r.location())
		}
		ann.get(r.location()).want(http.StatusOK).notice()
	}

	back(ogForm(ann.flClient, p+"/general", "name", "Acme Corp", "slug", "acme-corp", "logo_url", ""), "general")
	ogForm(ann.flClient, p+"/general", "name", "", "slug", "acme-corp").want(http.StatusUnprocessableEntity).fieldError("name")

	ogForm(ann.flClient, p+"/invitations", "email", "nope", "role", "org:member").want(http.StatusUnprocessableEntity).fieldError("invite_email")
	ogForm(ann.flClient, p+"/invitations", "email", "bob@example.com", "role", "org:owner").want(http.StatusUnprocessableEntity).fieldError("invite_role")
	back(ogForm(ann.flClient, p+"/invitations", "email", "bob@example.com", "role", "org:member"), "invitations")
	ogInvitationToken(t, env, "bob@example.com")
	page := ann.get(p+"?tab=invitations").contains("bob@example.com", "pending")
	id := regexp.MustCompile(`name="invitation_id" value="([^"]+)"`).FindStringSubmatch(string(page.body))
	back(ogForm(ann.flClient, p+"/invitations/revoke", "invitation_id", id[1]), "invitations")
	ogForm(ann.flClient, p+"/invitations/revoke", "invitation_id", id[1]).want(http.StatusGone).alert()

	ogForm(ann.flClient, p+"/domains", "name", "gmail.com").want(http.StatusUnprocessableEntity).fieldError("domain_name")
	back(ogForm(ann.flClient, p+"/domains", "name", "acme.test", "enrollment_mode", "automatic_invitation"), "domains")
	page = ann.get(p+"?tab=domains").contains("acme.test", "Unverified")
	did := regexp.MustCompile(`name="domain_id" value="([^"]+)"`).FindStringSubmatch(string(page.body))[1]
	ogForm(ann.flClient, p+"/domains/send-code", "domain_id", did, "email", "it@other.test").want(http.StatusUnprocessableEntity).alert()
	back(ogForm(ann.flClient, p+"/domains/send-code", "domain_id", did, "email", "it@acme.test"), "domains")
	code := ogDomainCode(t, env, "it@acme.test")
	ogForm(ann.flClient, p+"/domains/verify", "domain_id", did, "code", flOtherCode(code)).want(http.StatusUnprocessableEntity).alert()
	back(ogForm(ann.flClient, p+"/domains/verify", "domain_id", did, "code", code), "domains")
	ann.get(p+"?tab=domains").contains("Verified", `name="enrollment_mode"`)
	back(ogForm(ann.flClient, p+"/domains/mode", "domain_id", did, "enrollment_mode", "automatic_suggestion"), "domains")

	ogForm(ann.flClient, p+"/permissions", "key", "invoices", "name", "X").want(http.StatusUnprocessableEntity).fieldError("perm_key")
	back(ogForm(ann.flClient, p+"/permissions", "key", "org:invoices:write", "name", "Write invoices"), "roles")
	ogForm(ann.flClient, p+"/roles", "key", "Billing", "name", "Billing").want(http.StatusUnprocessableEntity).fieldError("role_key")
	ogForm(ann.flClient, p+"/roles", "key", "org:billing", "name", "Billing", "permissions", "org:nope:x").want(http.StatusUnprocessableEntity).fieldError("role_permissions")
	back(ogForm(ann.flClient, p+"/roles", "key", "org:billing", "name", "Billing", "permissions", "org:invoices:write"), "roles")
	ann.get(p+"?tab=roles").contains("org:billing", "org:invoices:write", "Change the permissions of Billing")
	back(ogForm(ann.flClient, p+"/roles/update", "key", "org:billing", "permissions", "org:sys_memberships:read"), "roles")
	var cat struct {
		Roles []struct {
			Key         string
			Permissions []string
		}
	}
	ann.get("/auth/api/orgs/" + org.ID + "/roles").decode(&cat)
	for _, r := range cat.Roles {
		if r.Key == "org:billing" && (len(r.Permissions) != 1 || r.Permissions[0] != "org:sys_memberships:read") {
			t.Fatalf("org:billing after the form = %v", r.Permissions)
		}
	}
	back(ogForm(ann.flClient, p+"/roles/delete", "key", "org:billing"), "roles")
	back(ogForm(ann.flClient, p+"/permissions/delete", "key", "org:invoices:write"), "roles")

	ogForm(ann.flClient, p+"/leave").want(http.StatusConflict).alert()
	ogForm(ann.flClient, p+"/delete", "password", ann.pw, "confirm", "wrong").want(http.StatusUnprocessableEntity).fieldError("delete_confirm")
	ogForm(ann.flClient, p+"/delete", "password", "wrong-wrong-wrong", "confirm", "acme-corp").want(http.StatusUnprocessableEntity).fieldError("delete_password")
	r := ogForm(ann.flClient, p+"/delete", "password", ann.pw, "confirm", "acme-corp").want(http.StatusSeeOther)
	if r.location() != "/auth/orgs" {
		t.Fatalf("after delete: %q", r.location())
	}
	ann.get("/auth/orgs").want(http.StatusOK).notice().notContains("Acme Corp</strong>")
}

func TestOrgPages_MembersAndRequests(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	org := ogCreate(t, ann, "Acme", "acme").Organization
	bob := ogJoin(t, env, ann, org.ID, "bob@example.com", "org:member")
	p := "/auth/orgs/" + org.ID
	ogForm(ann.flClient, p+"/members/role", "user_id", bob.user.ID, "role", "org:admin").want(http.StatusSeeOther)
	if v := ogProbe(t, env, bob.flClient); v.Role != "org:admin" {
		t.Fatalf("bob = %+v", v)
	}
	ogForm(ann.flClient, p+"/members/remove", "user_id", bob.user.ID).want(http.StatusSeeOther)
	if v := ogProbe(t, env, bob.flClient); v.OK {
		t.Fatalf("bob after removal = %+v", v)
	}
	ogForm(ann.flClient, p+"/members/remove", "user_id", bob.user.ID).want(http.StatusNotFound).alert()

	// Requests to join, through a verified domain in suggestion mode.
	ann.postJSON("/auth/api/orgs/"+org.ID+"/domains", map[string]string{"name": "acme.test", "enrollment_mode": "automatic_suggestion"}).want(http.StatusCreated)
	var doms struct{ Domains []ogDomain }
	ann.get("/auth/api/orgs/" + org.ID + "/domains").decode(&doms)
	ann.postJSON("/auth/api/orgs/"+org.ID+"/domains/"+doms.Domains[0].ID+"/send-code", map[string]string{"email": "it@acme.test"}).want(http.StatusAccepted)
	ann.postJSON("/auth/api/orgs/"+org.ID+"/domains/"+doms.Domains[0].ID+"/verify", map[string]string{"code": ogDomainCode(t, env, "it@acme.test")}).want(http.StatusOK)
	carl := ogSignIn(t, env, "carl@acme.test")
	carl.get("/auth/orgs").want(http.StatusOK).contains("Your team is here", "Ask to join")
	ogForm(carl.flClient, "/auth/orgs/join", "org_id", org.ID, "redirect_url", "/auth/orgs").want(http.StatusSeeOther)
	carl.get("/auth/orgs").notice().contains("Request sent")
	page := ann.get(p+"?tab=members").contains("Requests to join", "carl@acme.test")
	rid := regexp.MustCompile(`name="request_id" value="([^"]+)"`).FindStringSubmatch(string(page.body))[1]
	ogForm(ann.flClient, p+"/requests/decide", "request_id", rid, "decision", "accept").want(http.StatusSeeOther)
	var list struct {
		Organizations []ogOrgAndMembership `json:"organizations"`
	}
	carl.get("/auth/api/orgs").decode(&list)
	if len(list.Organizations) != 1 || list.Organizations[0].Membership.Role != "org:member" {
		t.Fatalf("carl's orgs = %+v", list)
	}
}

func TestOrgPages_InvitationPageStates(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	org := ogCreate(t, ann, "Acme", "acme").Organization
	// No invitation in the browser session.
	flNew(t, env).get("/auth/orgs/invitation").want(http.StatusNotFound).alert()
	c := flNew(t, env)
	c.get("/auth/orgs/invitation?token=forged").want(http.StatusSeeOther)
	c.get("/auth/orgs/invitation").want(http.StatusNotFound).alert()
	// The invited person is signed in: accept.
	bob := ogSignIn(t, env, "bob@example.com")
	_, token := ogInvite(t, env, ann, org.ID, "bob@example.com", "org:admin")
	bob.get("/auth/orgs/invitation?token=" + token).want(http.StatusSeeOther)
	bob.get("/auth/orgs/invitation").want(http.StatusOK).contains("Acme", "Admin", `id="accept-invitation"`, "ann@example.com")
	// Signed out: the form asks for the password, or for an account.
	out := flNew(t, env)
	out.get("/auth/orgs/invitation?token=" + token).want(http.StatusSeeOther)
	out.get("/auth/orgs/invitation").contains(`action="/auth/sign-in"`)
	_, token2 := ogInvite(t, env, ann, org.ID, "new@example.com", "")
	out.get("/auth/orgs/invitation?token=" + token2).want(http.StatusSeeOther)
	out.get("/auth/orgs/invitation").contains(`action="/auth/sign-up"`, `value="new@example.com"`)
	// Accepting without signing in.
	ogForm(out, "/auth/orgs/invitation").want(http.StatusUnauthorized)
}

func TestOrgSwitcherComponent(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	render := func(c *flClient) string {
		t.Helper()
		var out string
		h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			out = string(env.Auth.Components(r).OrganizationSwitcher())
		}))
		req := httptest.NewRequest("GET", "/dashboard?tab=1", nil)
		if c != nil {
			req.Header.Set("Cookie", "embedauth_session="+c.sessionCookie())
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		return out
	}
	if out := render(nil); out != "" {
		t.Fatalf("signed out: %q", out)
	}
	out := render(ann.flClient)
	for _, want := range []string{`<details class="ea-orgswitcher"`, "Personal account", `href="/auth/orgs/new?redirect_url=%2fdashboard%3ftab%3d1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("personal switcher lacks %q:\n%s", want, out)
		}
	}
	a := ogCreate(t, ann, "Alpha", "alpha").Organization
	ogCreate(t, ann, "Beta", "beta")
	out = render(ann.flClient)
	for _, want := range []string{`<span class="ea-orgswitcher-name">Beta</span>`, `name="org_id" value="` + a.ID + `"`, `name="redirect_url" value="/dashboard?tab=1"`,
		`action="/auth/orgs/switch"`, "Manage organization", "Personal account"} {
		if !strings.Contains(out, want) {
			t.Errorf("switcher lacks %q:\n%s", want, out)
		}
	}
	// Its only script is the menu module from the static files: nothing
	// inline, so an app's script-src 'self' allows it.
	if n := strings.Count(out, "<script"); n != 1 || !strings.Contains(out, `<script type="module" src="/auth/static/menu.js?v=`) {
		t.Errorf("the switcher has %d scripts, want only the menu module:\n%s", n, out)
	}
}

// TestOrgBadInput: duplicate and invalid slugs, oversize names and unknown
// roles and permissions get clear errors naming the field, through the API.
func TestOrgBadInput(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	org := ogCreate(t, ann, "Acme", "acme").Organization
	base := "/auth/api/orgs/" + org.ID
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code, field  string
	}{
		{"POST", "/auth/api/orgs", map[string]string{"name": "Other", "slug": "acme"}, 409, "slug_taken", "slug"},
		{"POST", "/auth/api/orgs", map[string]string{"name": "Other", "slug": "ACME"}, 422, "invalid_slug", "slug"},
		{"POST", "/auth/api/orgs", map[string]string{"name": "Other", "slug": "a"}, 422, "invalid_slug", "slug"},
		{"POST", "/auth/api/orgs", map[string]string{"name": "Other", "slug": "acme inc"}, 422, "invalid_slug", "slug"},
		{"POST", "/auth/api/orgs", map[string]string{"name": "Other", "slug": "acme-"}, 422, "invalid_slug", "slug"},
		{"POST", "/auth/api/orgs", map[string]string{"name": strings.Repeat("n", 101)}, 422, "invalid_name", "name"},
		{"POST", "/auth/api/orgs", map[string]string{"name": ""}, 422, "name_required", "name"},
		{"POST", "/auth/api/orgs", map[string]any{"name": 42}, 400, "invalid_request", "name"},
		{"PATCH", base, map[string]string{"slug": "acme--x"}, 422, "invalid_slug", "slug"},
		{"PATCH", base, map[string]string{"name": strings.Repeat("é", 101)}, 422, "invalid_name", "name"},
		{"POST", base + "/invitations", map[string]string{"email": "x@example.com", "role": "org:owner"}, 422, "unknown_role", "role"},
		{"POST", base + "/roles", map[string]any{"key": "org:x", "name": "X", "permissions": []string{"org:unknown:perm"}}, 422, "unknown_permission", "permissions"},
		{"POST", base + "/roles", map[string]any{"key": "org:X", "name": "X"}, 422, "invalid_role_key", "key"},
		{"POST", base + "/roles", map[string]any{"key": "org:x", "name": strings.Repeat("r", 101)}, 422, "invalid_name", "name"},
		{"POST", base + "/permissions", map[string]any{"key": "org:sys_profile:manage", "name": "X"}, 422, "reserved_permission_key", "key"},
		{"POST", base + "/permissions", map[string]any{"key": "org:x", "name": "X"}, 422, "invalid_permission_key", "key"},
		{"PATCH", base + "/roles/org:nope", map[string]any{"name": "X"}, 404, "role_not_found", ""},
		{"POST", base + "/domains", map[string]any{"name": "gmail.com"}, 422, "public_domain", "name"},
		{"POST", base + "/domains", map[string]any{"name": "acme.test", "enrollment_mode": "auto"}, 422, "invalid_enrollment_mode", "enrollment_mode"},
	} {
		r := ann.sendJSON(c.method, c.path, c.body).wantError(c.status, c.code)
		if c.field != "" {
			r.wantField(c.field)
		}
	}
}

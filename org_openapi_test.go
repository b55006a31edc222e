package auth_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// ogDriveOpenAPI drives every organization operation to each of its
// documented success answers and to several errors, handing every answer
// to check (TestOpenAPIAnswersMatch), which validates it against the
// document.
func ogDriveOpenAPI(t *testing.T, env *authtest.Env, check func(*testing.T, string, *flResp)) {
	admin := ogSignIn(t, env, "admin@acme-oa.test")
	const base = "/auth/api/orgs"

	check(t, "GET /api/orgs", admin.get(base))
	var created ogOrgAndMembership
	r := admin.postJSON(base, map[string]string{"name": "Acme OA", "slug": "acme-oa"})
	check(t, "POST /api/orgs", r)
	r.want(http.StatusCreated).decode(&created)
	id := created.Organization.ID
	org := base + "/" + id
	check(t, "POST /api/orgs", admin.postJSON(base, map[string]string{"name": "Again", "slug": "acme-oa"}))
	check(t, "POST /api/orgs", admin.postJSON(base, map[string]string{"name": "", "slug": "x"}))
	check(t, "GET /api/orgs", admin.get(base))
	check(t, "POST /api/orgs/active", admin.postJSON(base+"/active", map[string]string{"org_id": ""}))
	check(t, "POST /api/orgs/active", admin.postJSON(base+"/active", map[string]string{"org_id": "org_nope"}))
	check(t, "POST /api/orgs/active", admin.postJSON(base+"/active", map[string]string{"org_id": id}))
	check(t, "GET /api/orgs/{id}", admin.get(org))
	check(t, "PATCH /api/orgs/{id}", admin.patchJSON(org, map[string]string{"name": "Acme OA Inc", "logo_url": "https://cdn.acme-oa.test/l.png"}))
	check(t, "PATCH /api/orgs/{id}", admin.patchJSON(org, map[string]string{"slug": "Not A Slug"}))

	// Invitations and members.
	member := ogSignIn(t, env, "member@example.com")
	r = admin.postJSON(org+"/invitations", map[string]string{"email": "member@example.com", "role": "org:member"})
	check(t, "POST /api/orgs/{id}/invitations", r)
	r.want(http.StatusCreated)
	token := ogInvitationToken(t, env, "member@example.com")
	check(t, "POST /api/orgs/{id}/invitations", admin.postJSON(org+"/invitations", map[string]string{"email": "member@example.com"}))
	check(t, "POST /api/orgs/{id}/invitations", admin.postJSON(org+"/invitations", map[string]string{"email": "x@example.com", "role": "org:owner"}))
	check(t, "POST /api/orgs/{id}/invitations", admin.postJSON(org+"/invitations", map[string]string{"email": "not an email"}))
	check(t, "GET /api/orgs/{id}/invitations", admin.get(org+"/invitations"))
	stranger := ogSignIn(t, env, "stranger@example.com")
	check(t, "POST /api/orgs/invitations/accept", stranger.postJSON(base+"/invitations/accept", map[string]string{"token": token}))
	check(t, "POST /api/orgs/invitations/accept", member.postJSON(base+"/invitations/accept", map[string]string{"token": "forged"}))
	check(t, "POST /api/orgs/invitations/accept", member.postJSON(base+"/invitations/accept", map[string]string{"token": token}))
	check(t, "POST /api/orgs/invitations/accept", member.postJSON(base+"/invitations/accept", map[string]string{"token": token}))
	check(t, "GET /api/orgs/{id}", member.get(org))
	check(t, "GET /api/orgs/{id}", stranger.get(org))
	check(t, "GET /api/orgs/{id}/members", admin.get(org+"/members"))
	check(t, "GET /api/orgs/{id}/invitations", member.get(org+"/invitations"))
	mpath := org + "/members/" + member.user.ID
	check(t, "PATCH /api/orgs/{id}/members/{user_id}", admin.patchJSON(mpath, map[string]string{"role": "org:nope"}))
	check(t, "PATCH /api/orgs/{id}/members/{user_id}", member.patchJSON(mpath, map[string]string{"role": "org:admin"}))
	check(t, "PATCH /api/orgs/{id}/members/{user_id}", admin.patchJSON(org+"/members/user_nope", map[string]string{"role": "org:admin"}))
	check(t, "PATCH /api/orgs/{id}/members/{user_id}", admin.patchJSON(org+"/members/"+admin.user.ID, map[string]string{"role": "org:member"}))
	check(t, "PATCH /api/orgs/{id}/members/{user_id}", admin.patchJSON(mpath, map[string]string{"role": "org:admin"}))
	check(t, "PATCH /api/orgs/{id}/members/{user_id}", admin.patchJSON(mpath, map[string]string{"role": "org:member"}))
	r = admin.postJSON(org+"/invitations", map[string]string{"email": "revoked@example.com"})
	r.want(http.StatusCreated)
	var inv struct{ Invitation ogInvitation }
	r.decode(&inv)
	check(t, "POST /api/orgs/{id}/invitations/{invitation_id}/revoke", admin.postJSON(org+"/invitations/"+inv.Invitation.ID+"/revoke", nil))
	check(t, "POST /api/orgs/{id}/invitations/{invitation_id}/revoke", admin.postJSON(org+"/invitations/"+inv.Invitation.ID+"/revoke", nil))
	check(t, "POST /api/orgs/{id}/invitations/{invitation_id}/revoke", admin.postJSON(org+"/invitations/orginv_nope/revoke", nil))
	r = admin.postJSON(org+"/invitations", map[string]string{"email": "waiting@example.com"})
	r.want(http.StatusCreated).decode(&inv)
	waiting := ogSignIn(t, env, "waiting@example.com")
	check(t, "GET /api/orgs", waiting.get(base))
	pending := base + "/invitations/" + inv.Invitation.ID + "/accept"
	check(t, "POST /api/orgs/invitations/{invitation_id}/accept", stranger.postJSON(pending, nil))
	check(t, "POST /api/orgs/invitations/{invitation_id}/accept", waiting.postJSON(pending, nil))
	check(t, "POST /api/orgs/invitations/{invitation_id}/accept", waiting.postJSON(pending, nil))
	check(t, "POST /api/orgs/{id}/leave", admin.postJSON(org+"/leave", nil))

	// Domains and joining by them.
	check(t, "POST /api/orgs/{id}/domains", admin.postJSON(org+"/domains", map[string]string{"name": "gmail.com"}))
	check(t, "POST /api/orgs/{id}/domains", admin.postJSON(org+"/domains", map[string]string{"name": "http://x"}))
	check(t, "POST /api/orgs/{id}/domains", member.postJSON(org+"/domains", map[string]string{"name": "acme-oa.test"}))
	var dom struct{ Domain ogDomain }
	r = admin.postJSON(org+"/domains", map[string]string{"name": "acme-oa.test", "enrollment_mode": "automatic_suggestion"})
	check(t, "POST /api/orgs/{id}/domains", r)
	r.want(http.StatusCreated).decode(&dom)
	check(t, "POST /api/orgs/{id}/domains", admin.postJSON(org+"/domains", map[string]string{"name": "acme-oa.test"}))
	dpath := org + "/domains/" + dom.Domain.ID
	check(t, "POST /api/orgs/{id}/domains/{domain_id}/verify", admin.postJSON(dpath+"/verify", map[string]string{"code": "123456"}))
	check(t, "POST /api/orgs/{id}/domains/{domain_id}/send-code", admin.postJSON(dpath+"/send-code", map[string]string{"email": "it@elsewhere.test"}))
	check(t, "POST /api/orgs/{id}/domains/{domain_id}/send-code", admin.postJSON(dpath+"/send-code", map[string]string{"email": "it@acme-oa.test"}))
	code := ogDomainCode(t, env, "it@acme-oa.test")
	check(t, "POST /api/orgs/{id}/domains/{domain_id}/verify", admin.postJSON(dpath+"/verify", map[string]string{"code": "12"}))
	check(t, "POST /api/orgs/{id}/domains/{domain_id}/verify", admin.postJSON(dpath+"/verify", map[string]string{"code": flOtherCode(code)}))
	check(t, "POST /api/orgs/{id}/domains/{domain_id}/verify", admin.postJSON(dpath+"/verify", map[string]string{"code": code}))
	check(t, "POST /api/orgs/{id}/domains/{domain_id}/verify", admin.postJSON(dpath+"/verify", map[string]string{"code": code}))
	check(t, "POST /api/orgs/{id}/domains/{domain_id}/send-code", admin.postJSON(dpath+"/send-code", map[string]string{"email": "it@acme-oa.test"}))
	check(t, "GET /api/orgs/{id}/domains", admin.get(org+"/domains"))
	check(t, "GET /api/orgs/{id}/domains", member.get(org+"/domains"))
	check(t, "PATCH /api/orgs/{id}/domains/{domain_id}", admin.patchJSON(dpath, map[string]string{"enrollment_mode": "sometimes"}))
	check(t, "PATCH /api/orgs/{id}/domains/{domain_id}", admin.patchJSON(org+"/domains/orgdom_nope", map[string]string{"enrollment_mode": "automatic_invitation"}))

	asker := ogSignIn(t, env, "asker@acme-oa.test")
	check(t, "GET /api/orgs", asker.get(base))
	check(t, "POST /api/orgs/{id}/join", stranger.postJSON(org+"/join", nil))
	check(t, "POST /api/orgs/{id}/join", asker.postJSON(org+"/join", nil))
	check(t, "POST /api/orgs/{id}/join", asker.postJSON(org+"/join", nil))
	rejected := ogSignIn(t, env, "rejected@acme-oa.test")
	check(t, "POST /api/orgs/{id}/join", rejected.postJSON(org+"/join", nil))
	var reqs struct {
		Requests []struct{ ID, Email string }
	}
	r = admin.get(org + "/requests")
	check(t, "GET /api/orgs/{id}/requests", r)
	r.want(http.StatusOK).decode(&reqs)
	check(t, "GET /api/orgs/{id}/requests", member.get(org+"/requests"))
	for _, q := range reqs.Requests {
		op := "accept"
		if q.Email == "rejected@acme-oa.test" {
			op = "reject"
		}
		check(t, "POST /api/orgs/{id}/requests/{request_id}/"+op, member.postJSON(org+"/requests/"+q.ID+"/"+op, nil))
		check(t, "POST /api/orgs/{id}/requests/{request_id}/"+op, admin.postJSON(org+"/requests/"+q.ID+"/"+op, nil))
		check(t, "POST /api/orgs/{id}/requests/{request_id}/"+op, admin.postJSON(org+"/requests/"+q.ID+"/"+op, nil))
	}
	check(t, "PATCH /api/orgs/{id}/domains/{domain_id}", admin.patchJSON(dpath, map[string]string{"enrollment_mode": "automatic_invitation"}))
	joiner := ogSignIn(t, env, "joiner@acme-oa.test")
	check(t, "POST /api/orgs/{id}/join", joiner.postJSON(org+"/join", nil))
	check(t, "POST /api/orgs/{id}/join", joiner.postJSON(org+"/join", nil))
	check(t, "POST /api/orgs/{id}/leave", joiner.postJSON(org+"/leave", nil))

	// Roles and permissions.
	check(t, "GET /api/orgs/{id}/roles", member.get(org+"/roles"))
	check(t, "POST /api/orgs/{id}/permissions", admin.postJSON(org+"/permissions", map[string]string{"key": "org:sys_x:y", "name": "X"}))
	check(t, "POST /api/orgs/{id}/permissions", admin.postJSON(org+"/permissions", map[string]string{"key": "invoices", "name": "X"}))
	check(t, "POST /api/orgs/{id}/permissions", admin.postJSON(org+"/permissions", map[string]string{"key": "org:invoices:write", "name": "Write invoices"}))
	check(t, "POST /api/orgs/{id}/permissions", admin.postJSON(org+"/permissions", map[string]string{"key": "org:invoices:write", "name": "Again"}))
	check(t, "POST /api/orgs/{id}/permissions", member.postJSON(org+"/permissions", map[string]string{"key": "org:a:b", "name": "A"}))
	role := map[string]any{"key": "org:billing", "name": "Billing", "permissions": []string{"org:invoices:write"}}
	check(t, "POST /api/orgs/{id}/roles", admin.postJSON(org+"/roles", map[string]any{"key": "billing", "name": "Billing"}))
	check(t, "POST /api/orgs/{id}/roles", admin.postJSON(org+"/roles", map[string]any{"key": "org:billing", "name": "Billing", "permissions": []string{"org:nope:x"}}))
	check(t, "POST /api/orgs/{id}/roles", admin.postJSON(org+"/roles", role))
	check(t, "POST /api/orgs/{id}/roles", admin.postJSON(org+"/roles", role))
	check(t, "GET /api/orgs/{id}/roles", admin.get(org+"/roles"))
	check(t, "PATCH /api/orgs/{id}/roles/{key}", admin.patchJSON(org+"/roles/org:billing", map[string]any{"description": "Sends invoices"}))
	check(t, "PATCH /api/orgs/{id}/roles/{key}", admin.patchJSON(org+"/roles/org:member", map[string]any{"description": "x"}))
	check(t, "PATCH /api/orgs/{id}/members/{user_id}", admin.patchJSON(mpath, map[string]string{"role": "org:billing"}))
	check(t, "DELETE /api/orgs/{id}/roles/{key}", admin.do("DELETE", org+"/roles/org:billing", "", nil))
	check(t, "PATCH /api/orgs/{id}/members/{user_id}", admin.patchJSON(mpath, map[string]string{"role": "org:member"}))
	check(t, "DELETE /api/orgs/{id}/roles/{key}", admin.do("DELETE", org+"/roles/org:billing", "", nil))
	check(t, "DELETE /api/orgs/{id}/roles/{key}", admin.do("DELETE", org+"/roles/org:billing", "", nil))
	check(t, "DELETE /api/orgs/{id}/permissions/{key}", member.do("DELETE", org+"/permissions/org:invoices:write", "", nil))
	check(t, "DELETE /api/orgs/{id}/permissions/{key}", admin.do("DELETE", org+"/permissions/org:invoices:write", "", nil))
	check(t, "DELETE /api/orgs/{id}/permissions/{key}", admin.do("DELETE", org+"/permissions/org:invoices:write", "", nil))

	// Removing and leaving, then the domain and the organization.
	check(t, "DELETE /api/orgs/{id}/members/{user_id}", member.do("DELETE", org+"/members/"+admin.user.ID, "", nil))
	check(t, "DELETE /api/orgs/{id}/members/{user_id}", admin.do("DELETE", mpath, "", nil))
	check(t, "DELETE /api/orgs/{id}/members/{user_id}", admin.do("DELETE", mpath, "", nil))
	check(t, "DELETE /api/orgs/{id}/domains/{domain_id}", admin.do("DELETE", dpath, "", nil))
	check(t, "DELETE /api/orgs/{id}/domains/{domain_id}", admin.do("DELETE", dpath, "", nil))
	check(t, "DELETE /api/orgs/{id}", admin.deleteJSON(org, map[string]string{"password": "wrong-wrong-wrong"}))
	check(t, "DELETE /api/orgs/{id}", admin.deleteJSON(org, map[string]string{}))
	check(t, "DELETE /api/orgs/{id}", asker.deleteJSON(org, map[string]string{"password": asker.pw}))
	check(t, "DELETE /api/orgs/{id}", admin.deleteJSON(org, map[string]string{"password": admin.pw}))
	check(t, "DELETE /api/orgs/{id}", admin.deleteJSON(org, map[string]string{"password": admin.pw}))
}

var ogDomainCodePattern = regexp.MustCompile(`Your domain verification code is (\d{6})\.`)

// ogDomainCode waits for a domain verification mail to `to` and returns
// its code.
func ogDomainCode(t testing.TB, env *authtest.Env, to string) string {
	t.Helper()
	m := flWaitMail(t, env, to)
	match := ogDomainCodePattern.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("mail to %s has no domain code:\n%s", to, m.Text)
	}
	return match[1]
}

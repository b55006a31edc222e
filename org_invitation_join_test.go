package auth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// TestOrgInvitation_OtherAddressDoesNotJoin: a link opened in a browser
// that then signs in with another address joins nobody, and the
// invitation stays pending for its address.
func TestOrgInvitation_OtherAddressDoesNotJoin(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		_, token := ogInvite(t, env, ann, org.ID, "bob@example.com", "")
		pw := authtest.Password()
		env.CreateUser(t, "eve@example.com", pw)
		c := flNew(t, env)
		c.get("/auth/orgs/invitation?token=" + token).want(http.StatusSeeOther)
		c.postForm("/auth/sign-in", url.Values{"email": {"eve@example.com"}, "password": {pw}}).want(http.StatusSeeOther)
		var list struct {
			Organizations []ogOrgAndMembership `json:"organizations"`
		}
		c.get("/auth/api/orgs").want(http.StatusOK).decode(&list)
		if len(list.Organizations) != 0 {
			t.Fatalf("eve joined %+v through bob's invitation", list.Organizations)
		}
		bob := ogSignIn(t, env, "bob@example.com")
		var bobs struct {
			Invitations []struct {
				Invitation   ogInvitation `json:"invitation"`
				Organization struct{ Name string }
			} `json:"invitations"`
		}
		bob.get("/auth/api/orgs").want(http.StatusOK).decode(&bobs)
		if len(bobs.Invitations) != 1 || bobs.Invitations[0].Organization.Name != "Acme" {
			t.Fatalf("bob's waiting invitations: %+v", bobs.Invitations)
		}
	})
}

// TestOrgInvitation_PendingListedAndAccepted: an invitation the user did
// not follow (the mail was lost, they left the page) is listed on the
// organization list page and in the switcher, and one click joins.
// Another user cannot accept it by its id.
func TestOrgInvitation_PendingListedAndAccepted(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		bob := ogSignIn(t, env, "bob@example.com")
		inv, _ := ogInvite(t, env, ann, org.ID, "bob@example.com", "org:admin")

		bob.get("/auth/orgs").want(http.StatusOK).contains(`id="invitations"`, "Acme", "invited you as Admin",
			`name="invitation_id" value="`+inv.ID+`"`)
		switcher := ogRenderSwitcher(t, env, bob.flClient)
		if !strings.Contains(switcher, `name="invitation_id" value="`+inv.ID+`"`) || !strings.Contains(switcher, "Join Acme") {
			t.Fatalf("the switcher does not offer the invitation:\n%s", switcher)
		}

		eve := ogSignIn(t, env, "eve@example.com")
		eve.get("/auth/orgs").want(http.StatusOK).notContains(`id="invitations"`)
		ogForm(eve.flClient, "/auth/orgs/invitations/accept", "invitation_id", inv.ID).want(http.StatusNotFound)
		eve.postJSON("/auth/api/orgs/invitations/"+inv.ID+"/accept", nil).wantError(http.StatusNotFound, "invitation_not_found")

		r := ogForm(bob.flClient, "/auth/orgs/invitations/accept", "invitation_id", inv.ID, "redirect_url", "/dashboard").want(http.StatusSeeOther)
		if loc := r.location(); loc != "/dashboard" {
			t.Fatalf("accepting redirects to %q", loc)
		}
		var list struct {
			Organizations []ogOrgAndMembership `json:"organizations"`
			ActiveOrgID   string               `json:"active_org_id"`
			Invitations   []any                `json:"invitations"`
		}
		bob.get("/auth/api/orgs").want(http.StatusOK).decode(&list)
		if len(list.Organizations) != 1 || list.Organizations[0].Membership.Role != "org:admin" || list.ActiveOrgID != org.ID || len(list.Invitations) != 0 {
			t.Fatalf("after accepting: %+v", list)
		}
		bob.get("/auth/orgs").want(http.StatusOK).notContains(`id="invitations"`)
		// Once only.
		bob.postJSON("/auth/api/orgs/invitations/"+inv.ID+"/accept", nil).wantError(http.StatusNotFound, "invitation_not_found")
	})
}

// ogRenderSwitcher renders the OrganizationSwitcher component for c's
// browser, as an app page would.
func ogRenderSwitcher(t *testing.T, env *authtest.Env, c *flClient) string {
	t.Helper()
	var out string
	h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out = string(env.Auth.Components(r).OrganizationSwitcher())
	}))
	req, _ := http.NewRequest("GET", "/dashboard", nil)
	req.Header.Set("Cookie", "embedauth_session="+c.sessionCookie())
	h.ServeHTTP(discardWriter{http.Header{}}, req)
	return out
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

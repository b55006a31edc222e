package auth_test

import (
	"net/http"
	"strings"
	"testing"
)

// ogMemberRow returns the members tab's row for email.
func ogMemberRow(t *testing.T, page, email string) string {
	t.Helper()
	_, row, ok := strings.Cut(page, `data-user="`+email+`"`)
	if !ok {
		t.Fatalf("no row for %s on the members tab", email)
	}
	row, _, _ = strings.Cut(row, "</li>")
	return row
}

// TestOrgPages_SoleAdminOffersNoActions checks that the members tab offers
// no role change or removal for the sole admin, which would only be
// refused, and offers them again once there is a second admin.
func TestOrgPages_SoleAdminOffersNoActions(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		bob := ogJoin(t, env, ann, org.ID, "bob@example.com", "org:member")
		p := "/auth/orgs/" + org.ID

		page := string(ann.get(p + "?tab=members").want(http.StatusOK).body)
		if row := ogMemberRow(t, page, "ann@example.com"); strings.Contains(row, "/members/role") || strings.Contains(row, "/members/remove") {
			t.Errorf("the sole admin is offered actions on their own row:\n%s", row)
		}
		if row := ogMemberRow(t, page, "bob@example.com"); !strings.Contains(row, "/members/role") || !strings.Contains(row, "/members/remove") {
			t.Errorf("the admin is not offered actions on a member's row:\n%s", row)
		}

		ann.patchJSON("/auth/api/orgs/"+org.ID+"/members/"+bob.user.ID, map[string]string{"role": "org:admin"}).want(http.StatusOK)
		page = string(ann.get(p + "?tab=members").want(http.StatusOK).body)
		for _, email := range []string{"ann@example.com", "bob@example.com"} {
			if row := ogMemberRow(t, page, email); !strings.Contains(row, "/members/role") || !strings.Contains(row, "/members/remove") {
				t.Errorf("with two admins, %s's row offers no actions:\n%s", email, row)
			}
		}
	})
}

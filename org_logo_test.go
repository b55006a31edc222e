package auth_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// TestOrgPages_CreateNeverShowsTypedLogoAsAppLogo: a create form sent back
// with an error keeps the typed logo URL in its field, and nowhere else:
// the page header shows the app's own name or logo, never user input.
func TestOrgPages_CreateNeverShowsTypedLogoAsAppLogo(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann-logo@example.com")
	const typed = "https://attacker.example/brand.png"
	r := ogForm(ann.flClient, "/auth/orgs/new", "name", "Acme", "slug", "Not A Slug", "logo_url", typed).
		want(http.StatusUnprocessableEntity).fieldError("slug")
	r.contains(`value="` + typed + `"`).notContains(`src="` + typed + `"`)
}

// TestOrgPages_LogoShownWhereItBelongs: an organization's logo is shown on
// its own rows and header, and the pages' CSP lets https images load.
func TestOrgPages_LogoShownWhereItBelongs(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann-logo2@example.com")
	const logo = "https://cdn.example/acme.png"
	ogForm(ann.flClient, "/auth/orgs/new", "name", "Acme", "slug", "acme-logo", "logo_url", logo).want(http.StatusSeeOther)
	r := ann.get("/auth/orgs").want(http.StatusOK).contains(`class="ea-avatar ea-avatar-square ea-org-logo" src="` + logo + `"`)
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https:") {
		t.Errorf("CSP %q does not let https images load", csp)
	}
}

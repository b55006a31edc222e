package auth_test

import (
	"net/http"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// TestOrgLogoURL_HTTPSOnly: creating or changing an organization refuses a
// logo that is not https on a public domain name, as its message says,
// even on an app served from http://localhost.
func TestOrgLogoURL_HTTPSOnly(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	org := ogCreate(t, ann, "Acme", "acme").Organization
	for _, logo := range []string{"http://127.0.0.1:22/", "http://localhost:8080/logo.png", "https://127.0.0.1:22/", "https://[::1]/x.png"} {
		ann.postJSON("/auth/api/orgs", map[string]string{"name": "Logo", "logo_url": logo}).
			wantError(http.StatusUnprocessableEntity, "invalid_logo_url")
		ann.patchJSON("/auth/api/orgs/"+org.ID, map[string]string{"logo_url": logo}).
			wantError(http.StatusUnprocessableEntity, "invalid_logo_url")
		ogForm(ann.flClient, "/auth/orgs/new", "name", "Logo", "logo_url", logo).
			want(http.StatusUnprocessableEntity).fieldError("logo_url")
	}
	var out struct{ Organization ogOrg }
	ann.patchJSON("/auth/api/orgs/"+org.ID, map[string]string{"logo_url": "https://cdn.example.com/acme.png"}).want(http.StatusOK).decode(&out)
	if out.Organization.LogoURL != "https://cdn.example.com/acme.png" {
		t.Errorf("logo_url = %q", out.Organization.LogoURL)
	}
}

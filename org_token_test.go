package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/embedauth/auth/authtest"
)

// TestOrgClaimsInSessionToken: a session token minted with an organization
// active carries it (the seam of jwt_org.go), and one minted for the
// personal account does not.
func TestOrgClaimsInSessionToken(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	ann := ogSignIn(t, env, "ann@example.com")
	claims := func() map[string]any {
		t.Helper()
		var out struct{ JWT string }
		ann.get("/auth/api/token").want(http.StatusOK).decode(&out)
		parts := strings.Split(out.JWT, ".")
		if len(parts) != 3 {
			t.Fatalf("token %q", out.JWT)
		}
		b, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]any
		json.Unmarshal(b, &c)
		return c
	}
	if c := claims(); c["org_id"] != nil {
		t.Fatalf("personal account token has org claims: %v", c)
	}
	org := ogCreate(t, ann, "Acme", "acme").Organization
	c := claims()
	perms, _ := c["org_permissions"].([]any)
	if c["org_id"] != org.ID || c["org_slug"] != "acme" || c["org_role"] != "org:admin" ||
		!slices.Contains(perms, any("org:sys_memberships:manage")) {
		t.Fatalf("claims = %v", c)
	}
}

package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	auth "github.com/embedauth/auth"
)

// TestOrgClaimsInSessionToken: a session token minted with an organization
// active carries it (the seam of jwt_org.go), and one minted for the
// personal account does not.
func TestOrgClaimsInSessionToken(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
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
	})
}

// A bearer token carries the session's active organization into the
// request context, as the session cookie does: OrgFrom, Has and HasRole see
// it.
func TestOrgContextOnBearerRequests(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		var out struct{ JWT string }
		ann.get("/auth/api/token").want(http.StatusOK).decode(&out)

		var gotOrg, gotRole string
		var canManage, isAdmin bool
		h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o, role, _ := auth.OrgFrom(r.Context())
			gotOrg, gotRole = o.ID, role
			canManage = auth.Has(r.Context(), "org:sys_memberships:manage")
			isAdmin = auth.HasRole(r.Context(), "org:admin")
		}))
		req := httptest.NewRequest("GET", "/api/things", nil)
		req.Header.Set("Authorization", "Bearer "+out.JWT)
		h.ServeHTTP(httptest.NewRecorder(), req)
		if gotOrg != org.ID || gotRole != "org:admin" || !canManage || !isAdmin {
			t.Fatalf("bearer request: org %q role %q manage %v admin %v, want %s org:admin true true", gotOrg, gotRole, canManage, isAdmin, org.ID)
		}
	})
}

// An organization is never left without an admin: its only admin cannot
// delete their account until another member is admin or the organization
// is gone.
func TestOrgLastAdminCannotDeleteAccount(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		ann := ogSignIn(t, env, "ann@example.com")
		org := ogCreate(t, ann, "Acme", "acme").Organization
		ann.deleteJSON("/auth/api/me", map[string]string{"password": ann.pw}).wantError(http.StatusConflict, "last_admin")
		if _, err := env.Auth.GetUser(context.Background(), ann.user.ID); err != nil {
			t.Fatalf("the account was deleted: %v", err)
		}
		ann.deleteJSON("/auth/api/orgs/"+org.ID, map[string]string{"password": ann.pw}).want(http.StatusOK)
		ann.deleteJSON("/auth/api/me", map[string]string{"password": ann.pw}).want(http.StatusOK)
	})
}

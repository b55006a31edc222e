// Organizations, the active one of a request: what handlers and the app
// read from the context (OrgFrom, Has, HasRole, OrgPermissionsFrom), the
// guards RequireOrg, RequireRole and RequirePermission, and forgetting
// cached sessions when a membership or an organization changes.

package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/orgs"
)

// orgState is a session's active organization as requests see it. The
// permission set is built once, when the session is loaded into the cache,
// so that a check in a request reads no database and allocates nothing.
// Any change to the membership, the role or the organization drops the
// cached session (forgetOrgMember, forgetOrg), and the next request loads
// it again.
type orgState struct {
	org   core.Org
	role  string
	perms orgs.PermissionSet
	keys  []string // the permissions' keys, for OrgPermissionsFrom
}

// orgState builds the request view of a session's active organization.
func (a *Server) orgState(so *core.SessionOrg) *orgState {
	if so == nil {
		return nil
	}
	roles := a.orgs.Roles()
	perms := roles.SessionSet(*so)
	return &orgState{org: so.Org, role: so.Role, perms: perms, keys: roles.Keys(perms)}
}

// OrgFrom returns the active organization of a signed-in request and the
// user's role in it ("org:admin", "org:member" or another role). ok is
// false when the request is signed out or the user has no active
// organization (a personal account).
func OrgFrom(ctx context.Context) (org Org, role string, ok bool) {
	st, _ := ctx.Value(stateKey{}).(*authState)
	if st == nil || st.org == nil {
		return Org{}, "", false
	}
	return st.org.org, st.org.role, true
}

// Has reports whether the user's role in the request's active organization
// holds permission, such as "org:invoices:write". org:admin holds every
// permission. It is false without an active organization. It reads only
// the request context: no database read, no allocation.
func Has(ctx context.Context, permission string) bool {
	st, _ := ctx.Value(stateKey{}).(*authState)
	return st != nil && st.org != nil && st.org.perms.Has(permission)
}

// HasRole reports whether the user's role in the request's active
// organization is role, such as "org:admin".
func HasRole(ctx context.Context, role string) bool {
	st, _ := ctx.Value(stateKey{}).(*authState)
	return st != nil && st.org != nil && st.org.role == role
}

// OrgPermissionsFrom returns the permission keys of the user's role in the
// request's active organization, sorted, for claims in tokens; checks
// should use [Has]. For org:admin, which holds every permission, it lists
// the system and configured ones. It returns nil without an active
// organization. The slice is shared: do not change it.
func OrgPermissionsFrom(ctx context.Context) []string {
	st, _ := ctx.Value(stateKey{}).(*authState)
	if st == nil || st.org == nil {
		return nil
	}
	return st.org.keys
}

// RequireOrg lets requests with an active organization through to next.
// Signed-out requests are answered as [Auth.RequireUser] does; a signed-in
// browser without an active organization is sent to the page that lists
// its organizations (and lets it create one), with redirect_url set to
// come back; API clients get 403 org_required.
func (a *Server) RequireOrg(next http.Handler) http.Handler {
	return a.requireOrg(next, nil)
}

// RequireRole lets through requests whose role in the active organization
// is role; others get 403 permission_denied (see [Auth.RequireOrg] for
// requests without one).
func (a *Server) RequireRole(role string, next http.Handler) http.Handler {
	return a.requireOrg(next, func(o *orgState) bool { return o.role == role })
}

// RequirePermission lets through requests whose role in the active
// organization holds permission; others get 403 permission_denied (see
// [Auth.RequireOrg] for requests without one).
func (a *Server) RequirePermission(permission string, next http.Handler) http.Handler {
	return a.requireOrg(next, func(o *orgState) bool { return o.perms.Has(permission) })
}

func (a *Server) requireOrg(next http.Handler, allowed func(*orgState) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := a.lookup(r)
		if err != nil {
			a.adapter.Write(w, r, err)
			return
		}
		if st == nil {
			a.unauthenticated(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if st.org == nil {
			if httpx.WantsJSON(r) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
				a.adapter.Write(w, r, httpx.Errorf(http.StatusForbidden, "org_required", "Choose an organization to continue."))
				return
			}
			http.Redirect(w, r, a.s.Path+"/orgs?redirect_url="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if allowed != nil && !allowed(st.org) {
			a.adapter.Write(w, r, orgs.PermissionDenied())
			return
		}
		if stateFrom(r.Context()) == nil {
			r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		}
		next.ServeHTTP(w, r)
	})
}

// forgetOrgMember drops the cached sessions of a user whose membership of
// an organization changed (joined, left, removed, new role), so their next
// request reads it again.
func (a *Server) forgetOrgMember(userID string) {
	a.cache.forgetUser(userID)
}

// forgetOrg drops the cached sessions that have orgID active, after a
// change to the organization or to one of its roles.
func (a *Server) forgetOrg(orgID string) {
	a.cache.forgetOrg(orgID)
}

package web

import (
	"context"
	"slices"

	"github.com/embedauth/auth/token"
)

// The two seams between tokens and organizations. Everything else in the
// token code is independent of organizations.

// tokenOrg gives a token minted for st its active organization: session
// tokens carry it as org_id, org_slug, org_role and org_permissions, and
// templates read it with {{org.id}}, {{org.slug}}, {{org.role}} and
// {{org.permissions}}. With nil (no active organization, or no
// organizations feature), tokens have no org claims and org shortcodes
// give null. The organizations feature (org.go) fills it from the
// request's active organization.
func (a *Server) tokenOrg(ctx context.Context, st *authState) (*token.Org, error) {
	if st == nil || st.org == nil { // filled in by organizations (org.go)
		return nil, nil
	}
	return &token.Org{ID: st.org.org.ID, Slug: st.org.org.Slug, Role: st.org.role, Permissions: slices.Clone(st.org.keys)}, nil
}

// bearerSession loads the session a bearer token names, with its user and
// its active organization, on a session-cache miss: one indexed read, as
// for a cookie. A session that has ended is (nil, nil).
func (a *Server) bearerSession(ctx context.Context, sid string) (*authState, error) {
	sess, user, org, err := a.db.LiveSessionWithOrg(ctx, sid)
	if err != nil {
		if errorsIsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return &authState{user: user, session: sess, hash: sid, org: a.orgState(org)}, nil
}

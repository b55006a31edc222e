// Organizations, what the flows share: the page frame, an organization's
// card (initials, role name) as the list, the switcher and the profile
// show it, and reading the signed-in user and a JSON body together.

package web

import (
	"context"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/ui"
)

func (a *Server) orgPage(r *http.Request, title string) ui.Page {
	p := a.page(r, "org")
	p.Title = title
	return p
}

// orgInitials gives up to two letters for an organization's avatar.
func orgInitials(name string) string {
	var out []rune
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		r, _ := utf8.DecodeRuneInString(w)
		out = append(out, unicode.ToUpper(r))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "#"
	}
	return string(out)
}

// roleNames maps role keys to names for an organization (its own roles
// included), for pages.
type roleNames map[string]string

func (n roleNames) name(key string) string {
	if s, ok := n[key]; ok && s != "" {
		return s
	}
	return key
}

// roleNames names the roles of orgID ("" for the system and configured
// ones only). A failed read of the organization's own roles leaves them
// shown by key.
func (a *Server) roleNames(ctx context.Context, orgID string) roleNames {
	names, _ := a.orgs.RoleNames(ctx, orgID)
	return names
}

func (a *Server) orgView(ctx context.Context, o core.Org, role string, active bool, names roleNames) ui.OrgView {
	if names == nil {
		names = a.roleNames(ctx, o.ID)
	}
	return ui.OrgView{ID: o.ID, Name: o.Name, Slug: o.Slug, LogoURL: o.LogoURL, Initials: orgInitials(o.Name), RequireMFA: o.RequireMFA,
		Role: role, RoleName: names.name(role), Active: active}
}

// activeOrgID is the id of the request's active organization ("" for none).
func (st *authState) activeOrgID() string {
	if st == nil || st.org == nil {
		return ""
	}
	return st.org.org.ID
}

// userOrgViews lists the user's organizations for the switcher and the
// list page.
func (a *Server) userOrgViews(ctx context.Context, st *authState) ([]ui.OrgView, error) {
	list, err := a.orgs.List(ctx, st.user.ID)
	if err != nil {
		return nil, err
	}
	static := a.roleNames(ctx, "")
	out := make([]ui.OrgView, 0, len(list))
	for _, om := range list {
		names := static
		if _, ok := static[om.Membership.Role]; !ok {
			names = a.roleNames(ctx, om.Org.ID)
		}
		out = append(out, a.orgView(ctx, om.Org, om.Membership.Role, om.Org.ID == st.activeOrgID(), names))
	}
	return out, nil
}

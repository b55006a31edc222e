// Organizations, in the app's own pages: the OrganizationSwitcher
// component (the active organization, the others to switch to, those to
// join, links to create and manage them).

package web

import (
	"html/template"
	"net/http"

	"github.com/embedauth/auth/ui"
)

// OrganizationSwitcher is the signed-in user's organization menu for the
// app's own layout, like UserButton: the active organization (or the
// personal account), the user's other organizations to switch to, those
// their verified email domain lets them join, and links to create and
// manage organizations, and the invitations waiting for the user, each
// accepted with one click. It renders nothing when no one is signed in. It
// needs the stylesheet of [Components.Stylesheets] and no JavaScript: a
// switch is a form POST that comes back to the current page. Like the user
// button's, its menu closes on Escape or a click elsewhere, and when the
// other opens, through a small script module it includes.
func (c Components) OrganizationSwitcher() template.HTML { return c.a.OrganizationSwitcher(c.r) }

// OrganizationSwitcher renders the organization switcher for r (see
// [Components.OrganizationSwitcher]).
func (a *Server) OrganizationSwitcher(r *http.Request) template.HTML {
	st, err := a.lookup(r)
	if err != nil || st == nil {
		return ""
	}
	ctx := r.Context()
	views, err := a.userOrgViews(ctx, st)
	if err != nil {
		a.s.Logger.Error("embedauth: organization switcher", "err", err)
		return ""
	}
	sugg, err := a.suggestionViews(ctx, st.user)
	if err != nil {
		a.s.Logger.Error("embedauth: organization switcher", "err", err)
		return ""
	}
	invs, err := a.pendingInvitationViews(ctx, st.user)
	if err != nil {
		a.s.Logger.Error("embedauth: organization switcher", "err", err)
		return ""
	}
	data := ui.OrgSwitcher{Base: a.s.Path, UserName: st.user.Name, UserEmail: st.user.Email, Initials: st.user.Initials(),
		Orgs: views, Suggestions: sugg, Invitations: invs, RedirectURL: a.safeRedirect(r.URL.RequestURI()),
		Lang: a.locale(r).Tag()}
	for i := range views {
		if views[i].Active {
			data.Active = &views[i]
		}
	}
	html, err := a.ui.Component("org-switcher.html", data)
	if err != nil {
		a.s.Logger.Error("embedauth: organization switcher", "err", err)
		return ""
	}
	return html
}

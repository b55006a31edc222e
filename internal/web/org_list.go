// Organizations, the user's own: the list of their organizations (with
// the ones their email domain lets them join), creating one, and choosing
// the active one, as pages and forms and as JSON (GET and POST /api/orgs,
// POST /api/orgs/active).

package web

import (
	"errors"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/ui"
)

// The JSON API of organizations (here and in the other org_*.go files).
// Every route needs a signed-in user; ids of organizations the user does
// not belong to, and ids of records of another organization, are answered
// 404 like unknown ones.

type orgAndMembership struct {
	Organization core.Org        `json:"organization"`
	Membership   core.Membership `json:"membership"`
}

type orgListBody struct {
	Organizations []orgAndMembership `json:"organizations"`
	ActiveOrgID   string             `json:"active_org_id"`
	Suggestions   []orgs.Suggestion  `json:"suggestions"`
	// Invitations are the ones waiting for the user (accept one with
	// POST /api/orgs/invitations/{invitation_id}/accept).
	Invitations []orgs.PendingInvitation `json:"invitations"`
}

func (a *Server) orgListPage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	ctx := r.Context()
	views, err := a.userOrgViews(ctx, st)
	if err != nil {
		return err
	}
	sugg, err := a.suggestionViews(ctx, st.user)
	if err != nil {
		return err
	}
	invs, err := a.pendingInvitationViews(ctx, st.user)
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "org-list", ui.OrgList{Page: a.orgPage(r, "Your organizations"), Orgs: views, Suggestions: sugg,
		Invitations: invs, Personal: st.org == nil, RedirectURL: a.safeRedirect(r.URL.Query().Get("redirect_url"))})
}

func (a *Server) apiOrgs(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	list, err := a.orgs.List(ctx, st.user.ID)
	if err != nil {
		return err
	}
	sugg, err := a.orgs.Suggestions(ctx, st.user)
	if err != nil {
		return err
	}
	invs, err := a.orgs.PendingInvitations(ctx, st.user)
	if err != nil {
		return err
	}
	body := orgListBody{Organizations: []orgAndMembership{}, ActiveOrgID: st.activeOrgID(), Suggestions: sugg, Invitations: invs}
	for _, om := range list {
		body.Organizations = append(body.Organizations, orgAndMembership{om.Org, om.Membership})
	}
	return httpx.WriteJSON(w, http.StatusOK, body)
}

func (a *Server) orgNewPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.signedIn(w, r); !ok {
		return err
	}
	return a.render(w, http.StatusOK, "org-new", ui.OrgNew{Page: a.orgPage(r, "Create an organization"),
		RedirectURL: a.safeRedirect(r.URL.Query().Get("redirect_url"))})
}

func (a *Server) orgNewForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	in := orgs.OrgInput{Name: r.PostFormValue("name"), Slug: r.PostFormValue("slug"), LogoURL: r.PostFormValue("logo_url")}
	redirect := a.safeRedirect(formRedirect(r))
	org, err := a.createOrg(r, st, in)
	if err != nil {
		return a.formFail(w, r, err, "org-new", func(p ui.Page) any {
			p.Title = "Create an organization"
			return ui.OrgNew{Page: p, Name: in.Name, Slug: in.Slug, OrgLogoURL: in.LogoURL, RedirectURL: redirect}
		})
	}
	a.notice(r, org.Name+" was created. Invite your team from its Members and Invitations tabs.")
	target := a.s.Path + "/orgs/" + org.ID
	if redirect != "" {
		target = redirect
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (a *Server) apiCreateOrg(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Name    string `json:"name"`
		Slug    string `json:"slug"`
		LogoURL string `json:"logo_url"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	org, err := a.createOrg(r, st, orgs.OrgInput{Name: in.Name, Slug: in.Slug, LogoURL: in.LogoURL})
	if err != nil {
		return err
	}
	acc, err := a.orgs.Access(r.Context(), st.user.ID, org.ID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, orgAndMembership{org, acc.Membership})
}

// createOrg creates an organization with the user as admin and makes it
// the session's active one.
func (a *Server) createOrg(r *http.Request, st *authState, in orgs.OrgInput) (core.Org, error) {
	org, _, err := a.orgs.Create(r.Context(), st.user, in)
	if err != nil {
		return org, err
	}
	a.forgetOrgMember(st.user.ID)
	return org, a.setActiveOrg(r, st, org.ID)
}

func (a *Server) orgSwitchForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	if err := a.setActiveOrg(r, st, r.PostFormValue("org_id")); err != nil {
		return err
	}
	http.Redirect(w, r, a.afterSignIn(formRedirect(r)), http.StatusSeeOther)
	return nil
}

func (a *Server) apiSetActiveOrg(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		OrgID string `json:"org_id"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.setActiveOrg(r, st, in.OrgID); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		ActiveOrgID string `json:"active_org_id"`
	}{in.OrgID})
}

// setActiveOrg makes orgID ("" for none) the active organization of the
// request's device session, as orgs.Service.Enter allows. The cookie token
// is renewed, as at every change of what the session may do; the old one
// keeps working for a short grace (renewTokenWithGrace says why that is
// safe here), so the browser's requests already under way are not 401.
func (a *Server) setActiveOrg(r *http.Request, st *authState, orgID string) error {
	if _, err := a.orgs.Enter(r.Context(), st.user, st.session.ID, orgID); err != nil {
		return err
	}
	a.cache.forgetSessions(st.session.ID)
	return a.renewTokenWithGrace(r.Context())
}

// enterIfAllowed makes orgID, which the user just joined, active; an
// organization requiring two-step verification of a user without it
// stays inactive, with a notice saying why.
func (a *Server) enterIfAllowed(r *http.Request, st *authState, orgID string) error {
	err := a.setActiveOrg(r, st, orgID)
	var refusal *core.Error
	if errors.Is(err, orgs.ErrMFARequired) && errors.As(err, &refusal) {
		a.notice(r, refusal.Message)
		return nil
	}
	return err
}

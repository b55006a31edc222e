// Organizations, one of them: its profile page with its tabs and the form
// adapter every tab's forms go through, and the General tab: name, slug
// and logo, the two-step verification requirement, leaving and deleting
// it; as JSON, GET, PATCH and DELETE /api/orgs/{id} and POST
// /api/orgs/{id}/leave. The other tabs live with their flows:
// org_members.go, org_invitations.go, org_domains.go, org_roles.go.

package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/ui"
)

// orgTabs are the tabs of the organization profile, in order, with the
// permission a member needs to see each.
var orgTabs = []struct{ key, label, perm string }{
	{"general", "General", ""},
	{"members", "Members", orgs.PermMembersRead},
	{"invitations", "Invitations", orgs.PermMembersManage},
	{"domains", "Domains", orgs.PermDomainsRead},
	{"roles", "Roles", ""},
}

func (a *Server) orgProfilePage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	ctx := r.Context()
	acc, err := a.orgs.Access(ctx, st.user.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := a.orgProfileData(ctx, st, acc, r.URL.Query().Get("tab"), a.orgPage(r, acc.Org.Name))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "org-profile", d)
}

// orgProfileData builds the organization profile for the tab asked (the
// first one when the member may not see it).
func (a *Server) orgProfileData(ctx context.Context, st *authState, acc orgs.Access, tab string, p ui.Page) (ui.OrgProfile, error) {
	p.Title = acc.Org.Name
	catalog, err := a.orgs.Catalog(ctx, st.user.ID, acc.Org.ID)
	if err != nil {
		return ui.OrgProfile{}, err
	}
	names := roleNames{}
	for _, r := range catalog.Roles {
		names[r.Key] = r.Name
	}
	d := ui.OrgProfile{Page: p, Org: a.orgView(ctx, acc.Org, acc.Membership.Role, acc.Org.ID == st.activeOrgID(), names),
		CanManage: acc.Can(orgs.PermProfileManage), CanDelete: acc.Can(orgs.PermProfileDelete),
		CanManageMembers: acc.Can(orgs.PermMembersManage), CanManageDomains: acc.Can(orgs.PermDomainsManage),
		CanManageRoles: acc.Can(orgs.PermRolesManage), HasPassword: st.user.HasPassword, ModeOptions: modeOptions,
		Form: map[string]string{}}
	allowed := false
	for _, t := range orgTabs {
		if t.perm == "" || acc.Can(t.perm) {
			allowed = allowed || t.key == tab
			d.Tabs = append(d.Tabs, ui.OrgTab{Key: t.key, Label: t.label})
		}
	}
	if !allowed {
		tab = "general"
	}
	d.Tab = tab
	for i := range d.Tabs {
		d.Tabs[i].Active = d.Tabs[i].Key == tab
	}
	for _, r := range catalog.Roles {
		if a.orgs.CanGrant(acc, catalog, r.Key) {
			d.RoleOptions = append(d.RoleOptions, ui.Option{Value: r.Key, Label: r.Name})
		}
	}
	switch tab {
	case "members":
		err = a.membersTab(ctx, &d, st, acc, catalog, names)
	case "invitations":
		err = a.invitationsTab(ctx, &d, st, acc, names)
	case "domains":
		err = a.domainsTab(ctx, &d, st, acc)
	case "roles":
		rolesTab(&d, catalog)
	}
	return d, err
}

// orgFormFunc runs one form of the organization profile.
type orgFormFunc func(r *http.Request, st *authState, orgID string) (orgFormResult, error)

// orgFormResult says where a form of the organization profile goes next.
type orgFormResult struct {
	tab    string // the tab the form is on
	notice string // shown after success
	// redirect, when set, replaces the tab after success (after leaving
	// or deleting the organization).
	redirect string
	// fields reports whether an error about a field is shown on the
	// input whose id is prefix+field (else above the forms).
	fields bool
	prefix string
	// form holds the submitted values to show again on error, by input id.
	form map[string]string
}

// orgForm adapts an orgFormFunc: it checks the user and the form, then
// redirects back to the tab with a notice, or shows the tab again with the
// error.
func (a *Server) orgForm(fn orgFormFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, ok, err := a.signedIn(w, r)
		if !ok {
			return err
		}
		if err := httpx.ParseForm(w, r, maxBody); err != nil {
			return err
		}
		orgID := r.PathValue("id")
		res, err := fn(r, st, orgID)
		if err == nil {
			if res.notice != "" {
				a.notice(r, res.notice)
			}
			target := res.redirect
			if target == "" {
				target = a.s.Path + "/orgs/" + orgID + "?tab=" + res.tab
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return nil
		}
		if errors.Is(err, errReverificationRequired) {
			http.Redirect(w, r, a.reverifyTarget(a.s.Path+"/orgs/"+orgID+"?tab="+res.tab), http.StatusSeeOther)
			return nil
		}
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return err
		}
		ctx := r.Context()
		acc, aerr := a.orgs.Access(ctx, st.user.ID, orgID)
		if aerr != nil {
			return aerr
		}
		p := a.orgPage(r, acc.Org.Name)
		if e.Field != "" && res.fields {
			p.FieldErrors = fieldErrors(e, res.prefix)
		} else {
			p.Error = e.Message
		}
		d, derr := a.orgProfileData(ctx, st, acc, res.tab, p)
		if derr != nil {
			return derr
		}
		for k, v := range res.form {
			d.Form[k] = v
		}
		return a.render(w, httpx.Status(e), "org-profile", d)
	}
}

// formPtr returns a pointer to a submitted field's value, nil when the
// form lacks the field.
func formPtr(r *http.Request, name string) *string {
	if _, ok := r.PostForm[name]; !ok {
		return nil
	}
	v := r.PostFormValue(name)
	return &v
}

type orgDetailBody struct {
	Organization core.Org        `json:"organization"`
	Membership   core.Membership `json:"membership"`
	Permissions  []string        `json:"permissions"`
}

func (a *Server) apiOrg(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	acc, err := a.orgs.Access(r.Context(), st.user.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	perms, err := a.orgs.PermissionKeys(r.Context(), acc)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, orgDetailBody{acc.Org, acc.Membership, perms})
}

func (a *Server) orgGeneralForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "general", fields: true, form: map[string]string{
		"name": r.PostFormValue("name"), "slug": r.PostFormValue("slug"), "logo_url": r.PostFormValue("logo_url")}}
	up := orgs.OrgUpdate{Name: formPtr(r, "name"), Slug: formPtr(r, "slug"), LogoURL: formPtr(r, "logo_url")}
	if _, err := a.updateOrg(r, st, orgID, up); err != nil {
		return res, err
	}
	res.notice = "The organization was saved."
	return res, nil
}

// orgSecurityForm turns the organization's two-step verification
// requirement on or off.
func (a *Server) orgSecurityForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "general"}
	on := r.PostFormValue("require_mfa") == "on"
	if _, err := a.updateOrg(r, st, orgID, orgs.OrgUpdate{RequireMFA: &on}); err != nil {
		return res, err
	}
	res.notice = "Two-step verification is no longer required of members."
	if on {
		res.notice = "Members now need two-step verification to enter the organization."
	}
	return res, nil
}

func (a *Server) apiUpdateOrg(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name    *string `json:"name"`
		Slug    *string `json:"slug"`
		LogoURL *string `json:"logo_url"`
		// RequireMFA turns the two-step verification requirement on or off.
		RequireMFA *bool `json:"require_mfa"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	org, err := a.updateOrg(r, st, r.PathValue("id"), orgs.OrgUpdate{Name: in.Name, Slug: in.Slug, LogoURL: in.LogoURL, RequireMFA: in.RequireMFA})
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Organization core.Org `json:"organization"`
	}{org})
}

// updateOrg changes an organization; a sensitive change (see
// orgs.Service.CheckUpdate) needs the user to confirm it's them first
// (stepUp).
func (a *Server) updateOrg(r *http.Request, st *authState, orgID string, up orgs.OrgUpdate) (core.Org, error) {
	ctx := r.Context()
	sensitive, err := a.orgs.CheckUpdate(ctx, st.user, orgID, up)
	if err != nil {
		return core.Org{}, err
	}
	if sensitive {
		if err := a.stepUp(r, st, "", "", ""); err != nil {
			return core.Org{}, err
		}
	}
	o, err := a.orgs.Update(ctx, st.user.ID, orgID, up)
	if err != nil {
		return o, err
	}
	a.forgetOrg(orgID)
	return o, nil
}

func (a *Server) orgLeaveForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "general"}
	if _, err := a.orgs.Leave(r.Context(), st.user.ID, orgID); err != nil {
		return res, err
	}
	a.forgetOrgMember(st.user.ID)
	res.notice, res.redirect = "You left the organization.", a.s.Path+"/orgs"
	return res, nil
}

func (a *Server) apiLeaveOrg(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	if _, err := a.orgs.Leave(r.Context(), st.user.ID, r.PathValue("id")); err != nil {
		return err
	}
	a.forgetOrgMember(st.user.ID)
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "left"})
}

// orgDeleteForm deletes the organization once the user typed its slug,
// as a guard against the wrong organization or a stray click.
func (a *Server) orgDeleteForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "general", fields: true, prefix: "delete_"}
	org, err := a.orgs.CheckDelete(r.Context(), st.user.ID, orgID)
	if err != nil {
		return res, err
	}
	if r.PostFormValue("confirm") != org.Slug {
		return res, core.Combine(httpx.FieldError("confirm", "confirmation_required", "Type the organization's slug, "+org.Slug+", to confirm."),
			a.missingPassword(r, st, r.PostFormValue("password"), "password", orgDeletePasswordMissing))
	}
	if err := a.deleteOrg(r, st, orgID, r.PostFormValue("password"), "password"); err != nil {
		return res, err
	}
	res.notice, res.redirect = org.Name+" was deleted.", a.s.Path+"/orgs"
	return res, nil
}

func (a *Server) apiDeleteOrg(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password string `json:"password"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	if _, err := a.orgs.CheckDelete(r.Context(), st.user.ID, r.PathValue("id")); err != nil {
		return err
	}
	if err := a.deleteOrg(r, st, r.PathValue("id"), in.Password, "password"); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

// orgDeletePasswordMissing asks for the password that deleting an
// organization needs.
const orgDeletePasswordMissing = "Enter your password to delete the organization."

// deleteOrg deletes an organization, checked with orgs.Service.CheckDelete,
// after the user proves it is them (see stepUp).
func (a *Server) deleteOrg(r *http.Request, st *authState, orgID, pw, field string) error {
	if err := a.stepUp(r, st, pw, field, orgDeletePasswordMissing); err != nil {
		return err
	}
	if _, err := a.orgs.Delete(r.Context(), st.user.ID, orgID); err != nil {
		return err
	}
	a.forgetOrg(orgID)
	return nil
}

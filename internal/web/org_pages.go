package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

// keyInvitation is the browser-session key of the invitation a link
// brought: the hash of its token, taken off the URL.
const keyInvitation = "invitation"

func (a *Server) orgPage(r *http.Request, title string) ui.Page {
	p := a.page(r, "org")
	p.Title = title
	return p
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
	return a.render(w, http.StatusOK, "org-list", ui.OrgList{Page: a.orgPage(r, "Your organizations"), Orgs: views, Suggestions: sugg,
		Personal: st.org == nil, RedirectURL: a.safeRedirect(r.URL.Query().Get("redirect_url"))})
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
			return ui.OrgNew{Page: p, Name: in.Name, Slug: in.Slug, LogoURL: in.LogoURL, RedirectURL: redirect}
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

// setActiveOrg makes orgID ("" for none) the active organization of the
// request's device session. The cookie token is renewed, as at every
// change of what the session may do.
func (a *Server) setActiveOrg(r *http.Request, st *authState, orgID string) error {
	if orgID != "" && !st.user.TwoFactorEnabled {
		acc, err := a.orgs.Access(r.Context(), st.user.ID, orgID)
		if err != nil {
			return err
		}
		if acc.Org.RequireMFA {
			return errOrgRequiresMFA(acc.Org)
		}
	}
	if _, err := a.orgs.SetActive(r.Context(), st.user.ID, st.session.ID, orgID); err != nil {
		return err
	}
	a.cache.forgetSessions(st.session.ID)
	return a.sm.RenewToken(r.Context())
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

func (a *Server) orgJoinForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	m, _, err := a.joinOrg(r, st, r.PostFormValue("org_id"))
	if err != nil {
		return err
	}
	if m != nil {
		a.notice(r, "You joined the organization.")
	} else {
		a.notice(r, "You asked to join. An admin of the organization will answer.")
	}
	http.Redirect(w, r, a.afterSignIn(formRedirect(r)), http.StatusSeeOther)
	return nil
}

// joinOrg joins (or asks to join) an organization by the user's email
// domain; a user who joins has it active.
func (a *Server) joinOrg(r *http.Request, st *authState, orgID string) (*core.Membership, *core.MembershipRequest, error) {
	m, req, err := a.orgs.Join(r.Context(), st.user, orgID)
	if err != nil || m == nil {
		return m, req, err
	}
	a.forgetOrgMember(st.user.ID)
	return m, req, a.enterIfAllowed(r, st, m.OrgID)
}

// enterIfAllowed makes orgID, which the user just joined, active; an
// organization requiring two-step verification of a user without it
// stays inactive, with a notice saying why.
func (a *Server) enterIfAllowed(r *http.Request, st *authState, orgID string) error {
	err := a.setActiveOrg(r, st, orgID)
	var he *core.Error
	if errors.As(err, &he) && he.Code == codeMFAEnrollmentRequired {
		a.notice(r, he.Message)
		return nil
	}
	return err
}

// orgInvitationPage takes an invitation token off the URL into the
// browser session (so it is not left in the address bar, history or a
// Referer) and shows what the invited person can do: accept, or sign in or
// up first with the invited address.
func (a *Server) orgInvitationPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if token := r.URL.Query().Get("token"); token != "" {
		if len(token) <= 128 {
			a.sm.Put(ctx, keyInvitation, orgs.HashToken(token))
		}
		http.Redirect(w, r, a.s.Path+"/orgs/invitation", http.StatusSeeOther)
		return nil
	}
	d, status, err := a.invitationData(r)
	if err != nil {
		return err
	}
	return a.render(w, status, "org-invitation", d)
}

func (a *Server) invitationData(r *http.Request) (ui.OrgInvitation, int, error) {
	ctx := r.Context()
	d := ui.OrgInvitation{Page: a.orgPage(r, "Join an organization"), State: "invalid", MinLength: a.s.PasswordMinLength,
		RedirectURL: a.s.Path + "/orgs/invitation"}
	hash := a.sm.GetString(ctx, keyInvitation)
	if hash == "" {
		d.Error = "This invitation link is not valid. Ask for a new invitation."
		return d, http.StatusNotFound, nil
	}
	inv, org, err := a.orgs.Invitation(ctx, hash)
	if err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return d, 0, err
		}
		d.Error = e.Message
		return d, httpx.Status(e), nil
	}
	d.OrgName, d.OrgInitials, d.Email = org.Name, orgInitials(org.Name), inv.Email
	d.RoleName = a.roleNames(ctx, org.ID).name(inv.Role)
	if inv.InviterID != "" {
		if u, err := a.db.User(ctx, inv.InviterID); err == nil {
			d.Inviter = u.DisplayName()
		}
	}
	st, err := a.lookup(r)
	if err != nil {
		return d, 0, err
	}
	switch {
	case st != nil && equalEmails(st.user.Email, inv.Email):
		d.State = "accept"
	case st != nil:
		d.State, d.SignedInAs = "mismatch", st.user.Email
		return d, http.StatusForbidden, nil
	default:
		// The link went to this address: saying whether it has an account
		// tells its holder nothing new.
		_, err := a.db.UserByEmail(ctx, inv.Email)
		switch {
		case err == nil:
			d.State = "sign-in"
		case errors.Is(err, core.ErrNotFound):
			d.State = "sign-up"
		default:
			return d, 0, err
		}
	}
	return d, http.StatusOK, nil
}

func (a *Server) orgInvitationForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	org, err := a.acceptInvitation(r, st, a.sm.GetString(r.Context(), keyInvitation))
	if err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return err
		}
		d, _, derr := a.invitationData(r)
		if derr != nil {
			return derr
		}
		d.Error = e.Message
		if d.State == "accept" {
			d.State = "invalid"
		}
		return a.render(w, httpx.Status(e), "org-invitation", d)
	}
	a.sm.Remove(r.Context(), keyInvitation)
	a.notice(r, "Welcome to "+org.Name+".")
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// acceptInvitation redeems the invitation whose token hashes to hash for
// the signed-in user, and makes its organization active.
func (a *Server) acceptInvitation(r *http.Request, st *authState, hash string) (core.Org, error) {
	ctx := r.Context()
	inv, _, err := a.orgs.Accept(ctx, st.user, hash)
	if err != nil {
		return core.Org{}, err
	}
	a.forgetOrgMember(st.user.ID)
	if err := a.enterIfAllowed(r, st, inv.OrgID); err != nil {
		return core.Org{}, err
	}
	return a.db.Org(ctx, inv.OrgID)
}

func equalEmails(x, y string) bool { return store.EmailKey(x) == store.EmailKey(y) }

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
			p.FieldErrors = map[string]string{res.prefix + e.Field: e.Message}
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

var errRequireMFAYourself = httpx.Errorf(http.StatusForbidden, codeMFAEnrollmentRequired,
	"Set up two-step verification for yourself before requiring it of members.")

// updateOrg changes an organization. Changing its two-step verification
// requirement is a sensitive change (stepUp), and turning it on needs the
// user to have two-step verification.
func (a *Server) updateOrg(r *http.Request, st *authState, orgID string, up orgs.OrgUpdate) (core.Org, error) {
	ctx := r.Context()
	if up.RequireMFA != nil {
		if _, err := a.orgs.Require(ctx, st.user.ID, orgID, orgs.PermProfileManage); err != nil {
			return core.Org{}, err
		}
		if *up.RequireMFA && !st.user.TwoFactorEnabled {
			return core.Org{}, errRequireMFAYourself
		}
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

func (a *Server) orgDeleteForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "general", fields: true, prefix: "delete_"}
	ctx := r.Context()
	acc, err := a.orgs.Require(ctx, st.user.ID, orgID, orgs.PermProfileDelete)
	if err != nil {
		return res, err
	}
	if r.PostFormValue("confirm") != acc.Org.Slug {
		return res, httpx.FieldError("confirm", "confirmation_required", "Type the organization's slug, "+acc.Org.Slug+", to confirm.")
	}
	if err := a.deleteOrg(r, st, orgID, r.PostFormValue("password"), "password"); err != nil {
		return res, err
	}
	res.notice, res.redirect = acc.Org.Name+" was deleted.", a.s.Path+"/orgs"
	return res, nil
}

// roleChangeStepUp asks a member who may change roles in orgID to confirm
// it's them (see stepUp) before changing a member's role.
func (a *Server) roleChangeStepUp(r *http.Request, st *authState, orgID string) error {
	if _, err := a.orgs.Require(r.Context(), st.user.ID, orgID, orgs.PermMembersManage); err != nil {
		return err
	}
	return a.stepUp(r, st, "", "", "")
}

// deleteOrg deletes an organization after the user proves it is them
// (see stepUp).
func (a *Server) deleteOrg(r *http.Request, st *authState, orgID, pw, field string) error {
	ctx := r.Context()
	if _, err := a.orgs.Access(ctx, st.user.ID, orgID); err != nil {
		return err
	}
	if err := a.stepUp(r, st, pw, field, "Enter your password to delete the organization."); err != nil {
		return err
	}
	if _, err := a.orgs.Delete(ctx, st.user.ID, orgID); err != nil {
		return err
	}
	a.forgetOrg(orgID)
	return nil
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

func (a *Server) orgMemberRoleForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "members"}
	if err := a.roleChangeStepUp(r, st, orgID); err != nil {
		return res, err
	}
	m, err := a.orgs.SetRole(r.Context(), st.user.ID, orgID, r.PostFormValue("user_id"), r.PostFormValue("role"))
	if err != nil {
		return res, err
	}
	a.forgetOrgMember(m.UserID)
	res.notice = "The role was changed."
	return res, nil
}

func (a *Server) orgMemberRemoveForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "members"}
	m, err := a.orgs.Remove(r.Context(), st.user.ID, orgID, r.PostFormValue("user_id"))
	if err != nil {
		return res, err
	}
	a.forgetOrgMember(m.UserID)
	res.notice = "The member was removed."
	if m.UserID == st.user.ID {
		res.redirect = a.s.Path + "/orgs"
	}
	return res, nil
}

func (a *Server) orgInviteForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	in := orgs.InviteInput{Email: r.PostFormValue("email"), Role: r.PostFormValue("role")}
	res := orgFormResult{tab: "invitations", fields: true, prefix: "invite_", form: map[string]string{"invite_email": in.Email, "invite_role": in.Role}}
	inv, err := a.invite(r.Context(), st, orgID, in)
	if err != nil {
		return res, err
	}
	res.notice = "We sent an invitation to " + inv.Email + "."
	return res, nil
}

// invite sends an invitation mail, queued with the invitation.
func (a *Server) invite(ctx context.Context, st *authState, orgID string, in orgs.InviteInput) (core.Invitation, error) {
	inv, err := a.orgs.Invite(ctx, st.user, orgID, in, func(inv core.Invitation, org core.Org, token string) (*store.OutMail, error) {
		return a.newMail(mail.MsgOrgInvitation, inv.Email, mail.Data{
			Org: org.Name, Inviter: st.user.DisplayName(), Role: a.roleNames(ctx, org.ID).name(inv.Role),
			Link:      a.s.origin + a.s.Path + "/orgs/invitation?token=" + token,
			ExpiresIn: a.s.Organizations.InvitationTTL,
		})
	})
	if err != nil {
		return inv, err
	}
	a.dispatcher.Wake()
	return inv, nil
}

func (a *Server) orgRevokeForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "invitations"}
	inv, err := a.orgs.Revoke(r.Context(), st.user.ID, orgID, r.PostFormValue("invitation_id"))
	if err != nil {
		return res, err
	}
	res.notice = "The invitation of " + inv.Email + " was revoked."
	return res, nil
}

func (a *Server) orgDecideForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "members"}
	accept := r.PostFormValue("decision") == "accept"
	req, m, err := a.orgs.DecideRequest(r.Context(), st.user.ID, orgID, r.PostFormValue("request_id"), accept)
	if err != nil {
		return res, err
	}
	if m != nil {
		a.forgetOrgMember(m.UserID)
		res.notice = req.Email + " joined the organization."
	} else {
		res.notice = "The request of " + req.Email + " was rejected."
	}
	return res, nil
}

func (a *Server) orgAddDomainForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	name, mode := r.PostFormValue("name"), r.PostFormValue("enrollment_mode")
	res := orgFormResult{tab: "domains", fields: true, prefix: "domain_", form: map[string]string{"domain_name": name, "domain_enrollment_mode": mode}}
	d, err := a.orgs.AddDomain(r.Context(), st.user.ID, orgID, name, mode)
	if err != nil {
		return res, err
	}
	res.notice = d.Name + " was added. Verify it with a code sent to an address there."
	return res, nil
}

func (a *Server) orgDomainCodeForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "domains"}
	d, err := a.sendDomainCode(r.Context(), st, orgID, r.PostFormValue("domain_id"), r.PostFormValue("email"))
	if err != nil {
		return res, err
	}
	res.notice = "We sent a code to " + d.AffiliationEmail + "."
	return res, nil
}

// sendDomainCode mails a domain verification code, queued with its hash.
func (a *Server) sendDomainCode(ctx context.Context, st *authState, orgID, domainID, email string) (core.Domain, error) {
	d, err := a.orgs.SendDomainCode(ctx, st.user.ID, orgID, domainID, email, func(d core.Domain, org core.Org, code string) (*store.OutMail, error) {
		to := strings.TrimSpace(email)
		return a.newMail(mail.MsgOrgDomainCode, to, mail.Data{Org: org.Name, Code: code, ExpiresIn: a.s.VerificationCodeTTL})
	})
	if err != nil {
		return d, err
	}
	a.dispatcher.Wake()
	return d, nil
}

func (a *Server) orgVerifyDomainForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "domains"}
	d, err := a.orgs.VerifyDomain(r.Context(), st.user.ID, orgID, r.PostFormValue("domain_id"), strings.TrimSpace(r.PostFormValue("code")))
	if err != nil {
		return res, err
	}
	res.notice = d.Name + " is verified."
	return res, nil
}

func (a *Server) orgDomainModeForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "domains"}
	if _, err := a.orgs.SetDomainMode(r.Context(), st.user.ID, orgID, r.PostFormValue("domain_id"), r.PostFormValue("enrollment_mode")); err != nil {
		return res, err
	}
	res.notice = "The enrollment mode was saved."
	return res, nil
}

func (a *Server) orgRemoveDomainForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "domains"}
	if err := a.orgs.RemoveDomain(r.Context(), st.user.ID, orgID, r.PostFormValue("domain_id")); err != nil {
		return res, err
	}
	res.notice = "The domain was removed."
	return res, nil
}

func (a *Server) orgCreateRoleForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	role := core.Role{Key: strings.TrimSpace(r.PostFormValue("key")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Description: strings.TrimSpace(r.PostFormValue("description")), Permissions: r.PostForm["permissions"]}
	res := orgFormResult{tab: "roles", fields: true, prefix: "role_", form: map[string]string{
		"role_key": role.Key, "role_name": role.Name, "role_description": role.Description}}
	if _, err := a.orgs.CreateRole(r.Context(), st.user.ID, orgID, role); err != nil {
		return res, err
	}
	res.notice = "The role " + role.Key + " was created."
	return res, nil
}

func (a *Server) orgUpdateRoleForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "roles"}
	perms := r.PostForm["permissions"]
	if perms == nil {
		perms = []string{}
	}
	role, err := a.orgs.UpdateRole(r.Context(), st.user.ID, orgID, r.PostFormValue("key"), orgs.RoleUpdate{Permissions: &perms})
	if err != nil {
		return res, err
	}
	a.forgetOrg(orgID)
	res.notice = "The role " + role.Key + " was saved."
	return res, nil
}

func (a *Server) orgDeleteRoleForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "roles"}
	if err := a.orgs.DeleteRole(r.Context(), st.user.ID, orgID, r.PostFormValue("key")); err != nil {
		return res, err
	}
	a.forgetOrg(orgID)
	res.notice = "The role was deleted."
	return res, nil
}

func (a *Server) orgCreatePermissionForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	p := core.Permission{Key: strings.TrimSpace(r.PostFormValue("key")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Description: strings.TrimSpace(r.PostFormValue("description"))}
	res := orgFormResult{tab: "roles", fields: true, prefix: "perm_", form: map[string]string{
		"perm_key": p.Key, "perm_name": p.Name, "perm_description": p.Description}}
	if _, err := a.orgs.CreatePermission(r.Context(), st.user.ID, orgID, p); err != nil {
		return res, err
	}
	res.notice = "The permission " + p.Key + " was created."
	return res, nil
}

func (a *Server) orgDeletePermissionForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "roles"}
	if _, err := a.orgs.DeletePermission(r.Context(), st.user.ID, orgID, r.PostFormValue("key")); err != nil {
		return res, err
	}
	a.forgetOrg(orgID)
	res.notice = "The permission was deleted."
	return res, nil
}

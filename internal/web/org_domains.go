// Organizations, verified email domains: the Domains tab (add a domain,
// set its enrollment mode, send a code to an address there, verify it,
// remove it), and what a verified domain offers users: the organizations
// they may join, and joining (at once or by asking); as JSON,
// /api/orgs/{id}/domains and POST /api/orgs/{id}/join.

package web

import (
	"context"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

var modeNames = map[string]string{
	core.EnrollmentManual:      "Manual: invitations only",
	core.EnrollmentAutoInvite:  "Automatic invitation: join with one click",
	core.EnrollmentAutoSuggest: "Automatic suggestion: ask to join, an admin accepts",
}

var modeOptions = []ui.Option{
	{Value: core.EnrollmentManual, Label: modeNames[core.EnrollmentManual]},
	{Value: core.EnrollmentAutoInvite, Label: modeNames[core.EnrollmentAutoInvite]},
	{Value: core.EnrollmentAutoSuggest, Label: modeNames[core.EnrollmentAutoSuggest]},
}

type domainBody struct {
	Domain core.Domain `json:"domain"`
}

// domainsTab fills the Domains tab.
func (a *Server) domainsTab(ctx context.Context, d *ui.OrgProfile, st *authState, acc orgs.Access) error {
	domains, err := a.orgs.Domains(ctx, st.user.ID, acc.Org.ID)
	if err != nil {
		return err
	}
	for _, dm := range domains {
		d.Domains = append(d.Domains, ui.DomainView{ID: dm.ID, Name: dm.Name, Mode: dm.EnrollmentMode, ModeName: modeNames[dm.EnrollmentMode],
			Verified: dm.Verified, AffiliationEmail: dm.AffiliationEmail, CodeSent: dm.CodeHash != ""})
	}
	return nil
}

func (a *Server) apiDomains(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.orgs.Domains(r.Context(), st.user.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Domains []core.Domain `json:"domains"`
	}{list})
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

func (a *Server) apiAddDomain(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name           string `json:"name"`
		EnrollmentMode string `json:"enrollment_mode"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	d, err := a.orgs.AddDomain(r.Context(), st.user.ID, r.PathValue("id"), in.Name, in.EnrollmentMode)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, domainBody{d})
}

func (a *Server) orgDomainModeForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "domains"}
	if _, err := a.orgs.SetDomainMode(r.Context(), st.user.ID, orgID, r.PostFormValue("domain_id"), r.PostFormValue("enrollment_mode")); err != nil {
		return res, err
	}
	res.notice = "The enrollment mode was saved."
	return res, nil
}

func (a *Server) apiUpdateDomain(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		EnrollmentMode string `json:"enrollment_mode"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	d, err := a.orgs.SetDomainMode(r.Context(), st.user.ID, r.PathValue("id"), r.PathValue("domain_id"), in.EnrollmentMode)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, domainBody{d})
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

func (a *Server) apiSendDomainCode(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	if _, err := a.sendDomainCode(r.Context(), st, r.PathValue("id"), r.PathValue("domain_id"), in.Email); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, statusBody{Status: "code_sent"})
}

// sendDomainCode mails a domain verification code, queued with its hash.
func (a *Server) sendDomainCode(ctx context.Context, st *authState, orgID, domainID, email string) (core.Domain, error) {
	d, err := a.orgs.SendDomainCode(ctx, st.user.ID, orgID, domainID, email, func(d core.Domain, org core.Org, code string) (*store.OutMail, error) {
		return a.newMail(mail.MsgOrgDomainCode, d.AffiliationEmail, mail.Data{Org: org.Name, Code: code, ExpiresIn: a.s.VerificationCodeTTL,
			Lang: a.mailLang(ctx, &st.user)})
	})
	if err != nil {
		return d, err
	}
	a.dispatcher.Wake()
	return d, nil
}

func (a *Server) orgVerifyDomainForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "domains"}
	d, err := a.orgs.VerifyDomain(r.Context(), st.user.ID, orgID, r.PostFormValue("domain_id"), r.PostFormValue("code"))
	if err != nil {
		return res, err
	}
	res.notice = d.Name + " is verified."
	return res, nil
}

func (a *Server) apiVerifyDomain(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	d, err := a.orgs.VerifyDomain(r.Context(), st.user.ID, r.PathValue("id"), r.PathValue("domain_id"), in.Code)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, domainBody{d})
}

func (a *Server) orgRemoveDomainForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "domains"}
	if err := a.orgs.RemoveDomain(r.Context(), st.user.ID, orgID, r.PostFormValue("domain_id")); err != nil {
		return res, err
	}
	res.notice = "The domain was removed."
	return res, nil
}

func (a *Server) apiRemoveDomain(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	if err := a.orgs.RemoveDomain(r.Context(), st.user.ID, r.PathValue("id"), r.PathValue("domain_id")); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "removed"})
}

// suggestionViews lists the organizations the user's verified email
// domain lets them join, for the switcher and the list page.
func (a *Server) suggestionViews(ctx context.Context, user core.User) ([]ui.SuggestionView, error) {
	list, err := a.orgs.Suggestions(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]ui.SuggestionView, 0, len(list))
	for _, s := range list {
		out = append(out, ui.SuggestionView{OrgID: s.Org.ID, Name: s.Org.Name, Initials: orgInitials(s.Org.Name), Domain: s.Domain,
			AutoJoin: s.EnrollmentMode == core.EnrollmentAutoInvite, Requested: s.Requested})
	}
	return out, nil
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

type joinBody struct {
	Status     string                  `json:"status"`
	Membership *core.Membership        `json:"membership,omitempty"`
	Request    *core.MembershipRequest `json:"request,omitempty"`
}

func (a *Server) apiJoinOrg(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	m, req, err := a.joinOrg(r, st, r.PathValue("id"))
	if err != nil {
		return err
	}
	if m != nil {
		return httpx.WriteJSON(w, http.StatusOK, joinBody{Status: "joined", Membership: m})
	}
	return httpx.WriteJSON(w, http.StatusAccepted, joinBody{Status: "requested", Request: req})
}

// joinOrg joins (or asks to join) an organization by the user's email
// domain; a user who joins has it active when they may enter it.
func (a *Server) joinOrg(r *http.Request, st *authState, orgID string) (*core.Membership, *core.MembershipRequest, error) {
	m, req, err := a.orgs.Join(r.Context(), st.user, orgID)
	if err != nil || m == nil {
		return m, req, err
	}
	a.forgetOrgMember(st.user.ID)
	return m, req, a.enterIfAllowed(r, st, m.OrgID)
}

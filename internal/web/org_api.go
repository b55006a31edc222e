package web

import (
	"net/http"
	"strings"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/orgs"
)

// The JSON API of organizations. Every route needs a signed-in user; ids
// of organizations the user does not belong to, and ids of records of
// another organization, are answered 404 like unknown ones.

type orgAndMembership struct {
	Organization core.Org        `json:"organization"`
	Membership   core.Membership `json:"membership"`
}

type orgListBody struct {
	Organizations []orgAndMembership `json:"organizations"`
	ActiveOrgID   string             `json:"active_org_id"`
	Suggestions   []orgs.Suggestion  `json:"suggestions"`
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
	body := orgListBody{Organizations: []orgAndMembership{}, ActiveOrgID: st.activeOrgID(), Suggestions: sugg}
	for _, om := range list {
		body.Organizations = append(body.Organizations, orgAndMembership{om.Org, om.Membership})
	}
	return httpx.WriteJSON(w, http.StatusOK, body)
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
	m, err := a.db.Membership(r.Context(), org.ID, st.user.ID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, orgAndMembership{org, m})
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

func (a *Server) apiAcceptInvitation(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	hash := ""
	if in.Token != "" && len(in.Token) <= 128 {
		hash = orgs.HashToken(in.Token)
	}
	org, err := a.acceptInvitation(r, st, hash)
	if err != nil {
		return err
	}
	m, err := a.db.Membership(r.Context(), org.ID, st.user.ID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, orgAndMembership{org, m})
}

// apiOrgAccess returns the signed-in user and their standing in the
// organization of the path.
func (a *Server) apiOrgAccess(r *http.Request) (*authState, orgs.Access, error) {
	st, err := a.apiUser(r)
	if err != nil {
		return nil, orgs.Access{}, err
	}
	acc, err := a.orgs.Access(r.Context(), st.user.ID, r.PathValue("id"))
	return st, acc, err
}

type orgDetailBody struct {
	Organization core.Org        `json:"organization"`
	Membership   core.Membership `json:"membership"`
	Permissions  []string        `json:"permissions"`
}

func (a *Server) apiOrg(w http.ResponseWriter, r *http.Request) error {
	_, acc, err := a.apiOrgAccess(r)
	if err != nil {
		return err
	}
	perms := acc.Permissions.Keys()
	if acc.Permissions.All() {
		c, err := a.orgs.Catalog(r.Context(), acc.Membership.UserID, acc.Org.ID)
		if err != nil {
			return err
		}
		perms = perms[:0]
		for _, p := range c.Permissions {
			perms = append(perms, p.Key)
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, orgDetailBody{acc.Org, acc.Membership, perms})
}

// apiSignedInJSON returns the signed-in user, then decodes the body into in.
func (a *Server) apiSignedInJSON(w http.ResponseWriter, r *http.Request, in any) (*authState, error) {
	st, err := a.apiUser(r)
	if err != nil {
		return nil, err
	}
	return st, httpx.DecodeJSON(w, r, maxBody, in)
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

func (a *Server) apiDeleteOrg(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password string `json:"password"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := a.orgs.Require(ctx, st.user.ID, r.PathValue("id"), orgs.PermProfileDelete); err != nil {
		return err
	}
	if err := a.deleteOrg(r, st, r.PathValue("id"), in.Password, "password"); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
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

func (a *Server) apiMembers(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.orgs.Members(r.Context(), st.user.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Members []core.Member `json:"members"`
	}{list})
}

func (a *Server) apiSetMemberRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Role string `json:"role"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	if err := a.roleChangeStepUp(r, st, r.PathValue("id")); err != nil {
		return err
	}
	m, err := a.orgs.SetRole(r.Context(), st.user.ID, r.PathValue("id"), r.PathValue("user_id"), in.Role)
	if err != nil {
		return err
	}
	a.forgetOrgMember(m.UserID)
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Membership core.Membership `json:"membership"`
	}{m})
}

func (a *Server) apiRemoveMember(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	m, err := a.orgs.Remove(r.Context(), st.user.ID, r.PathValue("id"), r.PathValue("user_id"))
	if err != nil {
		return err
	}
	a.forgetOrgMember(m.UserID)
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "removed"})
}

func (a *Server) apiInvitations(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.orgs.Invitations(r.Context(), st.user.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Invitations []core.Invitation `json:"invitations"`
	}{list})
}

type invitationBody struct {
	Invitation core.Invitation `json:"invitation"`
}

func (a *Server) apiInvite(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	inv, err := a.invite(r.Context(), st, r.PathValue("id"), orgs.InviteInput{Email: in.Email, Role: in.Role})
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, invitationBody{inv})
}

func (a *Server) apiRevokeInvitation(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	inv, err := a.orgs.Revoke(r.Context(), st.user.ID, r.PathValue("id"), r.PathValue("invitation_id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, invitationBody{inv})
}

func (a *Server) apiRequests(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.orgs.Requests(r.Context(), st.user.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Requests []core.MembershipRequest `json:"requests"`
	}{list})
}

func (a *Server) apiDecideRequest(accept bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := a.apiUser(r)
		if err != nil {
			return err
		}
		req, m, err := a.orgs.DecideRequest(r.Context(), st.user.ID, r.PathValue("id"), r.PathValue("request_id"), accept)
		if err != nil {
			return err
		}
		if m != nil {
			a.forgetOrgMember(m.UserID)
		}
		return httpx.WriteJSON(w, http.StatusOK, struct {
			Request    core.MembershipRequest `json:"request"`
			Membership *core.Membership       `json:"membership,omitempty"`
		}{req, m})
	}
}

func (a *Server) apiAcceptRequest(w http.ResponseWriter, r *http.Request) error {
	return a.apiDecideRequest(true)(w, r)
}

func (a *Server) apiRejectRequest(w http.ResponseWriter, r *http.Request) error {
	return a.apiDecideRequest(false)(w, r)
}

type domainBody struct {
	Domain core.Domain `json:"domain"`
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

func (a *Server) apiVerifyDomain(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	d, err := a.orgs.VerifyDomain(r.Context(), st.user.ID, r.PathValue("id"), r.PathValue("domain_id"), strings.TrimSpace(in.Code))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, domainBody{d})
}

func (a *Server) apiRoles(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	c, err := a.orgs.Catalog(r.Context(), st.user.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, c)
}

type roleInput struct {
	Key         string    `json:"key"`
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Permissions *[]string `json:"permissions"`
}

type roleBody struct {
	Role core.Role `json:"role"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (a *Server) apiCreateRole(w http.ResponseWriter, r *http.Request) error {
	var in roleInput
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	role := core.Role{Key: in.Key, Name: deref(in.Name), Description: deref(in.Description), Permissions: []string{}}
	if in.Permissions != nil {
		role.Permissions = *in.Permissions
	}
	role, err = a.orgs.CreateRole(r.Context(), st.user.ID, r.PathValue("id"), role)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, roleBody{role})
}

func (a *Server) apiUpdateRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name        *string   `json:"name"`
		Description *string   `json:"description"`
		Permissions *[]string `json:"permissions"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	orgID := r.PathValue("id")
	role, err := a.orgs.UpdateRole(r.Context(), st.user.ID, orgID, r.PathValue("key"),
		orgs.RoleUpdate{Name: in.Name, Description: in.Description, Permissions: in.Permissions})
	if err != nil {
		return err
	}
	a.forgetOrg(orgID)
	return httpx.WriteJSON(w, http.StatusOK, roleBody{role})
}

func (a *Server) apiDeleteRole(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	orgID := r.PathValue("id")
	if err := a.orgs.DeleteRole(r.Context(), st.user.ID, orgID, r.PathValue("key")); err != nil {
		return err
	}
	a.forgetOrg(orgID)
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

func (a *Server) apiCreatePermission(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Key         string `json:"key"`
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	st, err := a.apiSignedInJSON(w, r, &in)
	if err != nil {
		return err
	}
	p, err := a.orgs.CreatePermission(r.Context(), st.user.ID, r.PathValue("id"), core.Permission{Key: in.Key, Name: in.Name, Description: in.Description})
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, struct {
		Permission core.Permission `json:"permission"`
	}{p})
}

func (a *Server) apiDeletePermission(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	orgID := r.PathValue("id")
	if _, err := a.orgs.DeletePermission(r.Context(), st.user.ID, orgID, r.PathValue("key")); err != nil {
		return err
	}
	a.forgetOrg(orgID)
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

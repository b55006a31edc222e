// Organizations, their members: the Members tab, changing a member's role
// (a sensitive change), removing a member, and answering requests to join
// made through a verified domain; as JSON, /api/orgs/{id}/members and
// /api/orgs/{id}/requests.

package web

import (
	"context"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/ui"
)

// membersTab fills the Members tab: the members, each marked manageable
// when the viewer may change them (never the sole admin), and the pending requests to join for
// those who may answer them.
func (a *Server) membersTab(ctx context.Context, d *ui.OrgProfile, st *authState, acc orgs.Access, catalog orgs.Catalog, names roleNames) error {
	uid := st.user.ID
	members, err := a.orgs.Members(ctx, uid, acc.Org.ID)
	if err != nil {
		return err
	}
	admins := 0
	for _, m := range members {
		if m.Role == core.RoleAdmin {
			admins++
		}
	}
	for _, m := range members {
		u := core.User{ID: m.UserID, Name: m.Name, Email: m.Email, ImageVersion: m.ImageVersion}
		// The sole admin can be neither demoted nor removed: offer no
		// action that would only be refused.
		soleAdmin := m.Role == core.RoleAdmin && admins == 1
		d.Members = append(d.Members, ui.MemberView{UserID: m.UserID, Name: m.Name, Email: m.Email, Initials: u.Initials(),
			ImageURL: a.imageURL(u), Role: m.Role, RoleName: names.name(m.Role), JoinedAt: m.CreatedAt, You: m.UserID == uid,
			Manageable: d.CanManageMembers && !soleAdmin && a.orgs.CanGrant(acc, catalog, m.Role)})
	}
	if !d.CanManageMembers {
		return nil
	}
	reqs, err := a.orgs.Requests(ctx, uid, acc.Org.ID)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		d.Requests = append(d.Requests, ui.RequestView{ID: r.ID, Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt})
	}
	return nil
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

// roleChangeStepUp asks a member who may change roles in orgID (see
// orgs.Service.CheckSetRole) to confirm it's them (see stepUp) before
// changing a member's role.
func (a *Server) roleChangeStepUp(r *http.Request, st *authState, orgID string) error {
	if err := a.orgs.CheckSetRole(r.Context(), st.user.ID, orgID); err != nil {
		return err
	}
	return a.stepUp(r, st, "", "", "")
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

func (a *Server) apiAcceptRequest(w http.ResponseWriter, r *http.Request) error {
	return a.apiDecideRequest(w, r, true)
}

func (a *Server) apiRejectRequest(w http.ResponseWriter, r *http.Request) error {
	return a.apiDecideRequest(w, r, false)
}

func (a *Server) apiDecideRequest(w http.ResponseWriter, r *http.Request, accept bool) error {
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

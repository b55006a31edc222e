// Organizations, their own roles and permissions: the Roles tab (every
// role and permission, system, configured and the organization's own),
// and creating, changing and deleting the organization's own; as JSON,
// /api/orgs/{id}/roles and /api/orgs/{id}/permissions.

package web

import (
	"net/http"
	"strings"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/ui"
)

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

// rolesTab fills the Roles tab from the organization's catalog; only its
// own roles and permissions can be changed there.
func rolesTab(d *ui.OrgProfile, catalog orgs.Catalog) {
	for _, r := range catalog.Roles {
		d.Roles = append(d.Roles, ui.RoleView{Key: r.Key, Name: r.Name, Description: r.Description, Permissions: r.Permissions,
			Source: r.Source, Editable: d.CanManageRoles && r.Source == core.SourceCustom})
	}
	for _, pm := range catalog.Permissions {
		d.Permissions = append(d.Permissions, ui.PermissionView{Key: pm.Key, Name: pm.Name, Description: pm.Description,
			Source: pm.Source, Editable: d.CanManageRoles && pm.Source == core.SourceCustom})
	}
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

func (a *Server) orgDeleteRoleForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "roles"}
	if err := a.orgs.DeleteRole(r.Context(), st.user.ID, orgID, r.PostFormValue("key")); err != nil {
		return res, err
	}
	a.forgetOrg(orgID)
	res.notice = "The role was deleted."
	return res, nil
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

func (a *Server) orgDeletePermissionForm(r *http.Request, st *authState, orgID string) (orgFormResult, error) {
	res := orgFormResult{tab: "roles"}
	if _, err := a.orgs.DeletePermission(r.Context(), st.user.ID, orgID, r.PostFormValue("key")); err != nil {
		return res, err
	}
	a.forgetOrg(orgID)
	res.notice = "The permission was deleted."
	return res, nil
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

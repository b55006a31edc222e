package orgs

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/embedauth/auth/core"
)

// Catalog is every role and permission an organization has: system,
// configured and its own.
type Catalog struct {
	Roles       []core.Role       `json:"roles"`
	Permissions []core.Permission `json:"permissions"`
}

// Catalog returns an organization's roles and permissions. Any member may
// read it.
func (s *Service[M]) Catalog(ctx context.Context, userID, orgID string) (Catalog, error) {
	if _, err := s.Access(ctx, userID, orgID); err != nil {
		return Catalog{}, err
	}
	return s.catalog(ctx, orgID)
}

func (s *Service[M]) catalog(ctx context.Context, orgID string) (Catalog, error) {
	roles, err := s.roleStore.OrgRoles(ctx, orgID)
	if err != nil {
		return Catalog{}, err
	}
	perms, err := s.roleStore.OrgPermissions(ctx, orgID)
	if err != nil {
		return Catalog{}, err
	}
	c := Catalog{Roles: append(s.roles.List(), roles...), Permissions: append(s.roles.Permissions(), perms...)}
	return c, nil
}

// PermissionKeys returns the keys of the permissions a member holds, as
// [PermissionSet.Keys] does; for org:admin, who holds every permission,
// they are every permission of the organization ([Service.Catalog]'s).
func (s *Service[M]) PermissionKeys(ctx context.Context, acc Access) ([]string, error) {
	if !acc.Permissions.All() {
		return acc.Permissions.Keys(), nil
	}
	c, err := s.catalog(ctx, acc.Org.ID)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(c.Permissions))
	for _, p := range c.Permissions {
		keys = append(keys, p.Key)
	}
	return keys, nil
}

// CanGrant reports whether a member may give role, a key of the
// organization's catalog c, to someone: whether their permissions cover
// the role's. The same rule decides whose role they may change and whom
// they may remove: nobody acts on a member above them. A role in no
// catalog allows nothing, so anyone covers it.
func (s *Service[M]) CanGrant(acc Access, c Catalog, role string) bool {
	if set, ok := s.roles.Set(role); ok {
		return acc.Permissions.Covers(set)
	}
	for _, r := range c.Roles {
		if r.Key == role {
			return acc.Permissions.Covers(NewPermissionSet(r.Permissions...))
		}
	}
	return true
}

// RoleNames returns the names of an organization's roles by key: the
// system and configured ones, and its own (none when orgID is ""). It
// checks no access: it is for showing a role someone holds or is invited
// to. On error the map still holds the system and configured roles.
func (s *Service[M]) RoleNames(ctx context.Context, orgID string) (map[string]string, error) {
	names := map[string]string{}
	for _, r := range s.roles.List() {
		names[r.Key] = r.Name
	}
	if orgID == "" {
		return names, nil
	}
	custom, err := s.roleStore.OrgRoles(ctx, orgID)
	if err != nil {
		return names, err
	}
	for _, r := range custom {
		names[r.Key] = r.Name
	}
	return names, nil
}

// checkPermissions checks that every key names a permission of the
// organization and returns them sorted without repeats.
func (s *Service[M]) checkPermissions(ctx context.Context, orgID string, keys []string) ([]string, error) {
	known := map[string]bool{}
	for _, p := range s.roles.Permissions() {
		known[p.Key] = true
	}
	custom, err := s.roleStore.OrgPermissions(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, p := range custom {
		known[p.Key] = true
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if !known[k] {
			return nil, invalid("permissions", "unknown_permission", fmt.Sprintf("%q is not a permission of this organization.", truncate(k, 60)))
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// CreateRole defines a role for one organization. It needs
// [PermRolesManage], and the actor's permissions must cover the role's.
func (s *Service[M]) CreateRole(ctx context.Context, userID, orgID string, r core.Role) (core.Role, error) {
	acc, err := s.Require(ctx, userID, orgID, PermRolesManage)
	if err != nil {
		return core.Role{}, err
	}
	fieldsErr := checkRoleFields(r.Key, r.Name, r.Description)
	var permsErr error
	r.Permissions, permsErr = s.checkPermissions(ctx, orgID, r.Permissions)
	if err := core.Combine(asError(fieldsErr), permsErr); err != nil {
		return core.Role{}, err
	}
	if _, ok := s.roles.Role(r.Key); ok {
		return core.Role{}, errRoleExists
	}
	if !acc.Permissions.Covers(NewPermissionSet(r.Permissions...)) {
		return core.Role{}, errEscalation
	}
	r.Source = core.SourceCustom
	err = s.roleStore.CreateOrgRole(ctx, orgID, r)
	if errors.Is(err, core.ErrConflict) {
		return core.Role{}, errRoleExists
	}
	return r, err
}

// RoleUpdate lists a role's fields to change; nil fields stay.
type RoleUpdate struct {
	Name        *string
	Description *string
	Permissions *[]string
}

// customRole returns one of the organization's own roles.
func (s *Service[M]) customRole(ctx context.Context, orgID, key string) (core.Role, error) {
	roles, err := s.roleStore.OrgRoles(ctx, orgID)
	if err != nil {
		return core.Role{}, err
	}
	for _, r := range roles {
		if r.Key == key {
			return r, nil
		}
	}
	return core.Role{}, errRoleNotFound
}

// UpdateRole changes one of the organization's own roles. It needs
// [PermRolesManage], and the actor's permissions must cover the role's,
// before and after. Members with the role get its new permissions on
// their next request.
func (s *Service[M]) UpdateRole(ctx context.Context, userID, orgID, key string, up RoleUpdate) (core.Role, error) {
	acc, err := s.Require(ctx, userID, orgID, PermRolesManage)
	if err != nil {
		return core.Role{}, err
	}
	r, err := s.customRole(ctx, orgID, key)
	if err != nil {
		return r, err
	}
	if !acc.Permissions.Covers(NewPermissionSet(r.Permissions...)) {
		return r, errEscalation
	}
	if up.Name != nil {
		r.Name = *up.Name
	}
	if up.Description != nil {
		r.Description = *up.Description
	}
	fieldsErr := asError(checkRoleFields(r.Key, r.Name, r.Description))
	if up.Permissions == nil && fieldsErr != nil {
		return r, fieldsErr
	}
	if up.Permissions != nil {
		var permsErr error
		r.Permissions, permsErr = s.checkPermissions(ctx, orgID, *up.Permissions)
		if err := core.Combine(fieldsErr, permsErr); err != nil {
			return r, err
		}
		if !acc.Permissions.Covers(NewPermissionSet(r.Permissions...)) {
			return r, errEscalation
		}
	}
	err = s.roleStore.UpdateOrgRole(ctx, orgID, r)
	if errors.Is(err, core.ErrNotFound) {
		return r, errRoleNotFound
	}
	return r, err
}

// DeleteRole deletes one of the organization's own roles, which nobody may
// hold and no pending invitation may grant. It needs [PermRolesManage].
func (s *Service[M]) DeleteRole(ctx context.Context, userID, orgID, key string) error {
	acc, err := s.Require(ctx, userID, orgID, PermRolesManage)
	if err != nil {
		return err
	}
	r, err := s.customRole(ctx, orgID, key)
	if err != nil {
		return err
	}
	if !acc.Permissions.Covers(NewPermissionSet(r.Permissions...)) {
		return errEscalation
	}
	err = s.roleStore.DeleteOrgRole(ctx, orgID, key)
	switch {
	case errors.Is(err, core.ErrConflict):
		return errRoleInUse
	case errors.Is(err, core.ErrNotFound):
		return errRoleNotFound
	}
	return err
}

// CreatePermission defines a permission for one organization, to put in
// its roles. It needs [PermRolesManage].
func (s *Service[M]) CreatePermission(ctx context.Context, userID, orgID string, p core.Permission) (core.Permission, error) {
	if _, err := s.Require(ctx, userID, orgID, PermRolesManage); err != nil {
		return core.Permission{}, err
	}
	if e := checkPermission(p); e != nil {
		return core.Permission{}, e
	}
	for _, known := range s.roles.Permissions() {
		if known.Key == p.Key {
			return core.Permission{}, errPermissionExists
		}
	}
	p.Source = core.SourceCustom
	err := s.roleStore.CreateOrgPermission(ctx, orgID, p)
	if errors.Is(err, core.ErrConflict) {
		return core.Permission{}, errPermissionExists
	}
	return p, err
}

// DeletePermission deletes one of the organization's own permissions and
// takes it out of its roles, returning the keys of the roles that changed.
// It needs [PermRolesManage], and the actor must hold the permission.
func (s *Service[M]) DeletePermission(ctx context.Context, userID, orgID, key string) ([]string, error) {
	acc, err := s.Require(ctx, userID, orgID, PermRolesManage)
	if err != nil {
		return nil, err
	}
	if !acc.Can(key) {
		return nil, errEscalation
	}
	changed, err := s.roleStore.DeleteOrgPermission(ctx, orgID, key)
	if errors.Is(err, core.ErrNotFound) {
		return nil, errPermissionNotFound
	}
	return changed, err
}

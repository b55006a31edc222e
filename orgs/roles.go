package orgs

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
)

// System permissions, which guard what this package does. org:admin holds
// them all; org:member holds [PermMembersRead].
const (
	PermProfileManage = "org:sys_profile:manage"     // rename, change slug and logo
	PermProfileDelete = "org:sys_profile:delete"     // delete the organization
	PermMembersRead   = "org:sys_memberships:read"   // list members
	PermMembersManage = "org:sys_memberships:manage" // invite, change roles, remove, answer requests
	PermDomainsRead   = "org:sys_domains:read"       // list domains
	PermDomainsManage = "org:sys_domains:manage"     // add, verify and remove domains
	PermRolesManage   = "org:sys_roles:manage"       // define roles and permissions for the organization
)

var systemPermissions = []core.Permission{
	{Key: PermProfileManage, Name: "Manage organization", Description: "Rename the organization and change its slug and logo.", Source: core.SourceSystem},
	{Key: PermProfileDelete, Name: "Delete organization", Description: "Delete the organization.", Source: core.SourceSystem},
	{Key: PermMembersRead, Name: "Read members", Description: "See who the members are and their roles.", Source: core.SourceSystem},
	{Key: PermMembersManage, Name: "Manage members", Description: "Invite people, change roles, remove members and answer requests to join.", Source: core.SourceSystem},
	{Key: PermDomainsRead, Name: "Read domains", Description: "See the organization's email domains.", Source: core.SourceSystem},
	{Key: PermDomainsManage, Name: "Manage domains", Description: "Add, verify and remove email domains.", Source: core.SourceSystem},
	{Key: PermRolesManage, Name: "Manage roles", Description: "Define the organization's own roles and permissions.", Source: core.SourceSystem},
}

var (
	// Compiled at first use, not at start (as the other patterns of the
	// package): their counted repetitions make large programs.
	roleKeyRE       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^org:[a-z0-9_]{1,40}$`) })
	permissionKeyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^org:[a-z0-9_]{1,40}:[a-z0-9_]{1,40}$`) })
)

// PermissionSet is what one role allows, built once when a session is
// loaded so that a check costs a map lookup and no allocation. The zero
// value allows nothing.
type PermissionSet struct {
	all  bool // org:admin
	keys map[string]struct{}
}

// NewPermissionSet returns the set of keys.
func NewPermissionSet(keys ...string) PermissionSet {
	m := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		m[k] = struct{}{}
	}
	return PermissionSet{keys: m}
}

// AllPermissions is org:admin's set: it allows everything, including
// permissions defined after it was built.
func AllPermissions() PermissionSet { return PermissionSet{all: true} }

// Has reports whether the set allows key.
func (p PermissionSet) Has(key string) bool {
	if p.all {
		return true
	}
	_, ok := p.keys[key]
	return ok
}

// Covers reports whether p allows everything q allows: a member may grant
// a role only when their own set covers the role's.
func (p PermissionSet) Covers(q PermissionSet) bool {
	if p.all {
		return true
	}
	if q.all {
		return false
	}
	for k := range q.keys {
		if _, ok := p.keys[k]; !ok {
			return false
		}
	}
	return true
}

// All reports whether the set is org:admin's, which allows everything.
func (p PermissionSet) All() bool { return p.all }

// Keys returns the keys of the set, sorted (nil for org:admin's).
func (p PermissionSet) Keys() []string {
	out := make([]string, 0, len(p.keys))
	for k := range p.keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Roles holds the roles and permissions every organization has: the
// system ones and those the app configures. Roles and permissions an
// organization defines at run time come from the [Store]. It is immutable
// and safe for concurrent use.
type Roles struct {
	roles map[string]core.Role
	order []string
	perms map[string]core.Permission
	sets  map[string]PermissionSet
}

// NewRoles checks the app's roles and permissions and combines them with
// the system ones. Role keys look like "org:billing", permission keys like
// "org:invoices:write"; "org:sys_" permissions are reserved. A configured
// "org:member" replaces the default member role's name, description and
// permissions; org:admin cannot be redefined. Every problem is reported.
func NewRoles(roles []core.Role, perms []core.Permission) (*Roles, error) {
	r := &Roles{roles: map[string]core.Role{}, perms: map[string]core.Permission{}, sets: map[string]PermissionSet{}}
	var errs []error
	for _, p := range systemPermissions {
		r.perms[p.Key] = p
	}
	for _, p := range perms {
		p.Source = core.SourceConfig
		if e := checkPermission(p); e != nil {
			errs = append(errs, fmt.Errorf("permission %q: %s", p.Key, e.Message))
			continue
		}
		if _, dup := r.perms[p.Key]; dup {
			errs = append(errs, fmt.Errorf("permission %q is defined twice", p.Key))
			continue
		}
		r.perms[p.Key] = p
	}
	r.add(core.Role{Key: core.RoleAdmin, Name: "Admin", Description: "Everything, including deleting the organization.",
		Permissions: allKeys(systemPermissions), Source: core.SourceSystem})
	member := core.Role{Key: core.RoleMember, Name: "Member", Description: "Sees the organization and its members.",
		Permissions: []string{PermMembersRead}, Source: core.SourceSystem}
	for _, role := range roles {
		role.Source = core.SourceConfig
		role.Permissions = slices.Clone(role.Permissions)
		switch {
		case role.Key == core.RoleAdmin:
			errs = append(errs, errors.New("role org:admin cannot be redefined"))
			continue
		case role.Key == core.RoleMember:
			role.Source = core.SourceSystem
			if role.Name == "" {
				role.Name = member.Name
			}
			member = role
			continue
		}
		if e := checkRoleFields(role.Key, role.Name, role.Description); e != nil {
			errs = append(errs, fmt.Errorf("role %q: %s", role.Key, e.Message))
			continue
		}
		if _, dup := r.roles[role.Key]; dup {
			errs = append(errs, fmt.Errorf("role %q is defined twice", role.Key))
			continue
		}
		r.add(role)
	}
	r.add(member)
	for _, key := range r.order {
		for _, p := range r.roles[key].Permissions {
			if _, ok := r.perms[p]; !ok {
				errs = append(errs, fmt.Errorf("role %q: permission %q is not defined", key, p))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("orgs: %w", err)
	}
	return r, nil
}

func (r *Roles) add(role core.Role) {
	if _, ok := r.roles[role.Key]; !ok {
		r.order = append(r.order, role.Key)
	}
	r.roles[role.Key] = role
	if role.Key == core.RoleAdmin {
		r.sets[role.Key] = AllPermissions()
	} else {
		r.sets[role.Key] = NewPermissionSet(role.Permissions...)
	}
}

func allKeys(perms []core.Permission) []string {
	out := make([]string, len(perms))
	for i, p := range perms {
		out[i] = p.Key
	}
	return out
}

// Role returns a system or configured role.
func (r *Roles) Role(key string) (core.Role, bool) {
	role, ok := r.roles[key]
	return role, ok
}

// List returns the system and configured roles: org:admin, then the
// configured ones in order, then org:member.
func (r *Roles) List() []core.Role {
	out := make([]core.Role, 0, len(r.order))
	for _, k := range r.order {
		out = append(out, r.roles[k])
	}
	return out
}

// Permissions returns the system and configured permissions, by key.
func (r *Roles) Permissions() []core.Permission {
	out := make([]core.Permission, 0, len(r.perms))
	for _, p := range r.perms {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b core.Permission) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Set returns the permission set of a system or configured role. The set
// is shared: do not change it.
func (r *Roles) Set(key string) (PermissionSet, bool) {
	s, ok := r.sets[key]
	return s, ok
}

// Keys returns the keys of the permissions set allows, sorted. For
// org:admin's set, which allows everything, they are the system and
// configured permissions (not those an organization defined: see
// [Service.PermissionKeys]).
func (r *Roles) Keys(set PermissionSet) []string {
	if !set.All() {
		return set.Keys()
	}
	var out []string
	for _, p := range r.Permissions() {
		out = append(out, p.Key)
	}
	return out
}

// CanBeDefault reports whether key may be the role of people who join by
// a verified domain (Config.DefaultRole): a system or configured role
// other than org:admin, since an email address alone must never make
// anyone an admin.
func (r *Roles) CanBeDefault(key string) bool {
	_, ok := r.roles[key]
	return ok && key != core.RoleAdmin
}

// SessionSet returns the permission set of a session's active
// organization: a configured role's shared set, or a new set for a role
// the organization defined at run time. A role known nowhere (a configured
// role that was removed) allows nothing.
func (r *Roles) SessionSet(so core.SessionOrg) PermissionSet {
	if s, ok := r.sets[so.Role]; ok {
		return s
	}
	if so.Custom {
		return NewPermissionSet(so.CustomPermissions...)
	}
	return PermissionSet{}
}

// checkRoleFields checks a role's key, name and description.
func checkRoleFields(key, name, desc string) *core.Error {
	var keyErr *core.Error
	if !roleKeyRE().MatchString(key) {
		keyErr = invalid("key", "invalid_role_key", `A role key is "org:" and 1 to 40 lower-case letters, digits or underscores, like "org:billing".`)
	}
	return combineFields(keyErr, checkLabel("name", name, true), checkLabel("description", desc, false))
}

// combineFields is [core.Combine] over the refusals of one input's
// fields: nil when there are none.
func combineFields(errs ...*core.Error) *core.Error {
	var list []error
	for _, e := range errs {
		if e != nil {
			list = append(list, e)
		}
	}
	var out *core.Error
	errors.As(core.Combine(list...), &out)
	return out
}

// asError is e as an error: nil stays nil.
func asError(e *core.Error) error {
	if e == nil {
		return nil
	}
	return e
}

// checkPermission checks a permission's key, name and description.
func checkPermission(p core.Permission) *core.Error {
	var keyErr *core.Error
	switch {
	case !permissionKeyRE().MatchString(p.Key):
		keyErr = invalid("key", "invalid_permission_key", `A permission key is "org:feature:action" in lower-case letters, digits or underscores, like "org:invoices:write".`)
	case strings.HasPrefix(p.Key, "org:sys_"):
		keyErr = invalid("key", "reserved_permission_key", `Permission keys starting with "org:sys_" are reserved.`)
	}
	return combineFields(keyErr, checkLabel("name", p.Name, true), checkLabel("description", p.Description, false))
}

// checkLabel checks a short human text: a name (required) or description.
func checkLabel(field, s string, required bool) *core.Error {
	max := 100
	if field == "description" {
		max = 300
	}
	if strings.TrimSpace(s) == "" {
		if required {
			return invalid(field, "invalid_"+field, "Enter a "+field+".")
		}
		return nil
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max || strings.ContainsFunc(s, isControl) {
		return invalid(field, "invalid_"+field, fmt.Sprintf("Use at most %d characters, without control characters, for the %s.", max, field))
	}
	return nil
}

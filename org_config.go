package auth

import (
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/store"
)

// Org is an organization. See [core.Org].
type Org = core.Org

// OrgRole is a role in organizations: a key like "org:billing", a name and
// the permissions it holds. See [core.Role].
type OrgRole = core.Role

// OrgPermission is a permission roles may hold, with a key like
// "org:invoices:write". See [core.Permission].
type OrgPermission = core.Permission

// OrgMembership is a user's membership of an organization. See
// [core.Membership].
type OrgMembership = core.Membership

// OrganizationsConfig configures organizations. The zero value lets every
// user create organizations without limit, with the roles org:admin and
// org:member; users without an organization keep a personal account
// (use [Auth.RequireOrg] where the app needs one).
type OrganizationsConfig struct {
	// Roles are roles every organization has besides org:admin and
	// org:member, such as {Key: "org:billing", Name: "Billing",
	// Permissions: []string{"org:invoices:read"}}. A role keyed org:member
	// replaces the member role's name and permissions (default: read the
	// member list). Organizations may define more roles at run time.
	Roles []OrgRole
	// Permissions are the permissions roles may hold, such as
	// {Key: "org:invoices:write", Name: "Write invoices"}. The system
	// permissions (org:sys_profile:manage, org:sys_memberships:manage, ...)
	// always exist.
	Permissions []OrgPermission
	// MaxPerUser is how many organizations one user may create. Default 0:
	// no limit.
	MaxPerUser int
	// MaxMembers is how many members, counting pending invitations, one
	// organization may have. Default 0: no limit.
	MaxMembers int
	// InvitationTTL is how long an invitation can be accepted. Default 7
	// days.
	InvitationTTL time.Duration
	// DefaultRole is the role of people who join through a verified
	// domain. Default org:member.
	DefaultRole string
}

// configErrors reports every problem of the organizations config.
func (c OrganizationsConfig) configErrors() []error {
	var errs []error
	if c.MaxPerUser < 0 {
		errs = append(errs, fmt.Errorf("Organizations.MaxPerUser %d is negative", c.MaxPerUser))
	}
	if c.MaxMembers < 0 {
		errs = append(errs, fmt.Errorf("Organizations.MaxMembers %d is negative", c.MaxMembers))
	}
	if c.InvitationTTL < 0 {
		errs = append(errs, fmt.Errorf("Organizations.InvitationTTL %v is negative", c.InvitationTTL))
	}
	roles, err := orgs.NewRoles(c.Roles, c.Permissions)
	if err != nil {
		errs = append(errs, fmt.Errorf("organizations: %w", err))
	} else if c.DefaultRole != "" {
		if _, ok := roles.Role(c.DefaultRole); !ok || c.DefaultRole == core.RoleAdmin {
			errs = append(errs, fmt.Errorf("Organizations.DefaultRole %q is not a configured role (nor org:member)", c.DefaultRole))
		}
	}
	return errs
}

// orgService is the organization rules over our store, with mail queued in
// the same transaction as the change that sends it.
type orgService = orgs.Service[*store.OutMail]

var _ orgs.Store[*store.OutMail] = (*store.DB)(nil)

// initOrgs builds the organization rules from the checked config.
func (a *Auth) initOrgs() error {
	c := a.s.Organizations
	roles, err := orgs.NewRoles(c.Roles, c.Permissions)
	if err != nil {
		return err
	}
	if c.InvitationTTL == 0 {
		c.InvitationTTL = 7 * 24 * time.Hour
	}
	if c.DefaultRole == "" {
		c.DefaultRole = core.RoleMember
	}
	a.s.Organizations = c
	a.orgs = orgs.New[*store.OutMail](a.db, roles, orgs.Config{
		Now:            a.s.Now,
		EmailKey:       store.EmailKey,
		CodeKey:        a.codeKey,
		MaxOrgsPerUser: c.MaxPerUser,
		MaxMembers:     c.MaxMembers,
		InvitationTTL:  c.InvitationTTL,
		CodeTTL:        a.s.VerificationCodeTTL,
		DefaultRole:    c.DefaultRole,
	})
	return nil
}

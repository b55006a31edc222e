// Organizations, set up: the types apps see, the checks of
// Config.Organizations, and the organization rules (package orgs) built
// over the store at start.

package web

import (
	"fmt"

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

// orgConfigErrors reports every problem of the organizations config.
func orgConfigErrors(c OrganizationsConfig) []error {
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
	} else if c.DefaultRole != "" && !roles.CanBeDefault(c.DefaultRole) {
		errs = append(errs, fmt.Errorf("Organizations.DefaultRole %q is not a configured role (nor org:member)", c.DefaultRole))
	}
	return errs
}

// orgService is the organization rules over our store, with mail queued in
// the same transaction as the change that sends it.
type orgService = orgs.Service[*store.OutMail]

var _ orgs.Store[*store.OutMail] = (*store.DB)(nil)

// initOrgs builds the organization rules from the checked config; package
// orgs fills in the defaults (invitations last 7 days, people who join by
// a domain are org:member).
func (a *Server) initOrgs() error {
	c := a.s.Organizations
	roles, err := orgs.NewRoles(c.Roles, c.Permissions)
	if err != nil {
		return err
	}
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

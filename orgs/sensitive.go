package orgs

import (
	"context"

	"github.com/embedauth/auth/core"
)

// Sensitive changes: deleting an organization, changing a member's role
// and changing the organization's two-step verification requirement. The
// caller has the user prove it's them again (reverification) before
// making one; it first calls the Check method of the change, so that a
// user who may not make it is refused at once rather than asked for a
// proof that would not help.

// CheckDelete checks that the user may delete the organization
// ([PermProfileDelete]) and returns it, before the caller confirms it's
// them and calls [Service.Delete].
func (s *Service[M]) CheckDelete(ctx context.Context, userID, orgID string) (core.Org, error) {
	acc, err := s.Require(ctx, userID, orgID, PermProfileDelete)
	return acc.Org, err
}

// CheckSetRole checks that the user may change roles in the organization
// ([PermMembersManage]), before the caller confirms it's them and calls
// [Service.SetRole], which checks the roles involved.
func (s *Service[M]) CheckSetRole(ctx context.Context, userID, orgID string) error {
	_, err := s.Require(ctx, userID, orgID, PermMembersManage)
	return err
}

// CheckUpdate reports whether an update of the organization is sensitive:
// one that changes its two-step verification requirement (RequireMFA).
// For such an update it first checks that the user may make it: it needs
// [PermProfileManage], and turning the requirement on needs the user to
// have two-step verification themselves, or they would shut themselves
// out. The caller confirms a sensitive update (reverification) before
// calling [Service.Update]; other updates need nothing more.
func (s *Service[M]) CheckUpdate(ctx context.Context, user core.User, orgID string, up OrgUpdate) (sensitive bool, err error) {
	if up.RequireMFA == nil {
		return false, nil
	}
	if _, err := s.Require(ctx, user.ID, orgID, PermProfileManage); err != nil {
		return true, err
	}
	if *up.RequireMFA && !user.TwoFactorEnabled {
		return true, errMFAYourself
	}
	return true, nil
}

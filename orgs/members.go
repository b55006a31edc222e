package orgs

import (
	"context"
	"errors"

	"github.com/embedauth/auth/core"
)

// Members lists an organization's members. It needs [PermMembersRead].
func (s *Service[M]) Members(ctx context.Context, userID, orgID string) ([]core.Member, error) {
	if _, err := s.Require(ctx, userID, orgID, PermMembersRead); err != nil {
		return nil, err
	}
	return s.orgStore.Members(ctx, orgID)
}

// target returns a member of the organization the actor may act on: one
// whose role grants nothing the actor lacks.
func (s *Service[M]) target(ctx context.Context, acc Access, userID string) (core.Membership, error) {
	if userID == "" || len(userID) > 200 {
		return core.Membership{}, errMemberNotFound
	}
	m, err := s.orgStore.Membership(ctx, acc.Org.ID, userID)
	if errors.Is(err, core.ErrNotFound) {
		return m, errMemberNotFound
	}
	if err != nil {
		return m, err
	}
	set, err := s.roleSet(ctx, acc.Org.ID, m.Role)
	if err != nil {
		return m, err
	}
	if !acc.Permissions.Covers(set) {
		return m, errEscalation
	}
	return m, nil
}

// SetRole changes a member's role. It needs [PermMembersManage], and the
// actor's own permissions must cover both the member's current role and
// the new one: nobody grants, or takes away, more than they hold. The last
// admin cannot be demoted.
func (s *Service[M]) SetRole(ctx context.Context, userID, orgID, memberID, role string) (core.Membership, error) {
	acc, err := s.Require(ctx, userID, orgID, PermMembersManage)
	if err != nil {
		return core.Membership{}, err
	}
	set, err := s.knownRole(ctx, orgID, role, "role")
	if err != nil {
		return core.Membership{}, err
	}
	if _, err := s.target(ctx, acc, memberID); err != nil {
		return core.Membership{}, err
	}
	if !acc.Permissions.Covers(set) {
		return core.Membership{}, errEscalation
	}
	m, err := s.orgStore.SetMemberRole(ctx, orgID, memberID, role)
	return m, s.storeError(err, errMemberNotFound)
}

// Remove takes a member out of an organization. It needs
// [PermMembersManage] and a member whose role grants nothing the actor
// lacks. The last admin cannot be removed.
func (s *Service[M]) Remove(ctx context.Context, userID, orgID, memberID string) (core.Membership, error) {
	if memberID == userID {
		return s.Leave(ctx, userID, orgID)
	}
	acc, err := s.Require(ctx, userID, orgID, PermMembersManage)
	if err != nil {
		return core.Membership{}, err
	}
	if _, err := s.target(ctx, acc, memberID); err != nil {
		return core.Membership{}, err
	}
	m, err := s.orgStore.RemoveMember(ctx, orgID, memberID)
	return m, s.storeError(err, errMemberNotFound)
}

// Leave takes the user out of an organization. The last admin cannot
// leave.
func (s *Service[M]) Leave(ctx context.Context, userID, orgID string) (core.Membership, error) {
	if _, err := s.Access(ctx, userID, orgID); err != nil {
		return core.Membership{}, err
	}
	m, err := s.orgStore.RemoveMember(ctx, orgID, userID)
	return m, s.storeError(err, errOrgNotFound)
}

// storeError turns the sentinels a store write returns into refusals.
func (s *Service[M]) storeError(err error, notFound *core.Error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, core.ErrNotFound):
		return notFound
	case errors.Is(err, core.ErrLastAdmin):
		return errLastAdmin
	case errors.Is(err, core.ErrLimitReached):
		return errMemberLimit
	case errors.Is(err, core.ErrAlreadyMember):
		return errAlreadyMember
	case errors.Is(err, core.ErrAlreadyInvited):
		return errAlreadyInvited
	}
	return err
}

package account

import (
	"context"
	"fmt"

	"github.com/embedauth/auth/core"
)

// ChangePassword sets a new password for user, which must pass the policy.
// The caller has proven it is the user (the current password, or a recent
// reverification). Every other session ends (their ids are returned) but
// keepSessionID; notice is the mail that tells the user.
func (s *Service[M]) ChangePassword(ctx context.Context, user core.User, next, keepSessionID string, notice M) ([]string, error) {
	if err := s.CheckPolicy(next, "new_password", user.Email, user.Name); err != nil {
		return nil, err
	}
	hash, err := s.cfg.Hasher.Hash(ctx, next)
	if err != nil {
		return nil, err
	}
	return s.store.ChangePassword(ctx, user.ID, hash, keepSessionID, notice)
}

// Rename changes a user's display name.
func (s *Service[M]) Rename(ctx context.Context, userID, rawName string) (core.User, error) {
	name, err := core.CleanName(rawName)
	if err != nil {
		return core.User{}, err
	}
	return s.store.UpdateUser(ctx, userID, core.UserUpdate{Name: &name})
}

// Delete deletes a user and everything that is theirs; notice is the mail
// that confirms it. It refuses while an organization would be left without
// an admin.
func (s *Service[M]) Delete(ctx context.Context, user core.User, notice func() (M, error)) error {
	orgs, err := s.store.SoleAdminOrgs(ctx, user.ID)
	if err != nil {
		return err
	}
	if len(orgs) > 0 {
		return core.Refuse(core.ErrConflict, "last_admin", fmt.Sprintf(
			"You are the only admin of %s. Make another member an admin, or delete the organization, before deleting your account.", orgs[0].Name))
	}
	m, err := notice()
	if err != nil {
		return err
	}
	return s.store.DeleteUser(ctx, user.ID, m)
}

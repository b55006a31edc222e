package orgs

import (
	"context"
	"errors"

	"github.com/embedauth/auth/core"
)

// InviteInput is an invitation to send: the address and the role it
// grants (default org:member).
type InviteInput struct {
	Email string
	Role  string
}

// Invite invites an address to an organization. It needs
// [PermMembersManage], and the actor's permissions must cover the role
// granted. compose renders the mail carrying token (the only copy: the
// store keeps its hash), which is queued with the invitation in one
// transaction. An invitation works once, for the invited address only,
// until Config.InvitationTTL passes or it is revoked. An organization sends
// at most MaxInvitationsPerHour, so it cannot be used to mail strangers in
// bulk.
func (s *Service[M]) Invite(ctx context.Context, inviter core.User, orgID string, in InviteInput,
	compose func(inv core.Invitation, org core.Org, token string) (M, error)) (core.Invitation, error) {
	acc, err := s.Require(ctx, inviter.ID, orgID, PermMembersManage)
	if err != nil {
		return core.Invitation{}, err
	}
	email, emailErr := CleanEmail(in.Email)
	role := in.Role
	if role == "" {
		role = core.RoleMember
	}
	set, roleErr := s.knownRole(ctx, orgID, role, "role")
	if err := core.Combine(emailErr, roleErr); err != nil {
		return core.Invitation{}, err
	}
	if !acc.Permissions.Covers(set) {
		return core.Invitation{}, errEscalation
	}
	token, hash := newToken()
	inv := core.Invitation{OrgID: orgID, Email: email, Role: role, InviterID: inviter.ID, TokenHash: hash,
		Status: core.InvitationPending, ExpiresAt: s.cfg.Now().Add(s.cfg.InvitationTTL)}
	mail, err := compose(inv, acc.Org, token)
	if err != nil {
		return core.Invitation{}, err
	}
	inv, err = s.inviteStore.CreateInvitation(ctx, inv, s.cfg.MaxMembers, MaxInvitationsPerHour, mail)
	if errors.Is(err, core.ErrRateLimited) {
		return inv, errTooManyInvitations
	}
	return inv, s.storeError(err, errOrgNotFound)
}

// Invitations lists an organization's invitations, newest first, with
// their status now. It needs [PermMembersManage].
func (s *Service[M]) Invitations(ctx context.Context, userID, orgID string) ([]core.Invitation, error) {
	if _, err := s.Require(ctx, userID, orgID, PermMembersManage); err != nil {
		return nil, err
	}
	list, err := s.inviteStore.Invitations(ctx, orgID)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	for i := range list {
		list[i].Status = list[i].StatusAt(now)
	}
	return list, nil
}

// Revoke revokes a pending invitation. It needs [PermMembersManage].
func (s *Service[M]) Revoke(ctx context.Context, userID, orgID, invitationID string) (core.Invitation, error) {
	if _, err := s.Require(ctx, userID, orgID, PermMembersManage); err != nil {
		return core.Invitation{}, err
	}
	inv, err := s.inviteStore.RevokeInvitation(ctx, orgID, invitationID)
	switch {
	case errors.Is(err, core.ErrNotFound):
		return inv, errInvitationNotFound
	case errors.Is(err, core.ErrExpired):
		return inv, errInvitationExpired
	case errors.Is(err, core.ErrUsed):
		if cur, err := s.inviteStore.Invitation(ctx, orgID, invitationID); err == nil && cur.Status == core.InvitationRevoked {
			return inv, errInvitationRevoked
		}
		return inv, errInvitationUsed
	}
	return inv, err
}

// Invitation returns the invitation whose token hashes to hash (see
// [HashToken]), with its status now and its organization, for the page
// that leads the invited person in. Used, revoked and expired invitations
// are returned too (with the refusal Accept would give).
func (s *Service[M]) Invitation(ctx context.Context, hash string) (core.Invitation, core.Org, error) {
	if hash == "" {
		return core.Invitation{}, core.Org{}, errInvitationNotFound
	}
	inv, err := s.inviteStore.InvitationByToken(ctx, hash)
	if errors.Is(err, core.ErrNotFound) {
		return inv, core.Org{}, errInvitationNotFound
	}
	if err != nil {
		return inv, core.Org{}, err
	}
	inv.Status = inv.StatusAt(s.cfg.Now())
	org, err := s.orgStore.Org(ctx, inv.OrgID)
	if errors.Is(err, core.ErrNotFound) {
		return inv, org, errInvitationNotFound
	}
	if err != nil {
		return inv, org, err
	}
	return inv, org, statusError(inv.Status)
}

func statusError(status string) error {
	switch status {
	case core.InvitationAccepted:
		return errInvitationUsed
	case core.InvitationRevoked:
		return errInvitationRevoked
	case core.InvitationExpired:
		return errInvitationExpired
	}
	return nil
}

// Invited reports whether inv was sent to the user's email address
// (compared in the form Config.EmailKey gives): only they may accept it.
func (s *Service[M]) Invited(inv core.Invitation, user core.User) bool {
	return s.cfg.EmailKey(user.Email) == s.cfg.EmailKey(inv.Email)
}

// InvitationFor is [Service.Invitation] as a signed-in user sees it: an
// invitation sent to another address is refused exactly as an unknown
// token is (Code "invitation_not_found", [core.ErrNotFound]), whatever its
// status, so that a token's existence, its organization and its address
// are shown to no one else. (Signed out, the link's holder is shown the
// invitation, to sign in or up with the invited address.)
func (s *Service[M]) InvitationFor(ctx context.Context, user core.User, hash string) (core.Invitation, core.Org, error) {
	inv, org, err := s.Invitation(ctx, hash)
	var refusal *core.Error
	if err != nil && !(errors.As(err, &refusal) && refusal.Kind != core.ErrNotFound) {
		return core.Invitation{}, core.Org{}, err
	}
	if !s.Invited(inv, user) {
		return core.Invitation{}, core.Org{}, errInvitationNotFound
	}
	return inv, org, err
}

// Accept redeems an invitation for the user: only under the invited
// address, only while it is pending, once. The user joins with the
// invitation's role. An invitation sent to another address is refused as
// an unknown one (see [Service.InvitationFor]).
func (s *Service[M]) Accept(ctx context.Context, user core.User, hash string) (core.Invitation, core.Membership, error) {
	inv, _, err := s.InvitationFor(ctx, user, hash)
	if err != nil {
		return inv, core.Membership{}, err
	}
	return s.accept(ctx, inv, user)
}

func (s *Service[M]) accept(ctx context.Context, inv core.Invitation, user core.User) (core.Invitation, core.Membership, error) {
	inv, m, err := s.inviteStore.AcceptInvitation(ctx, inv.ID, user.ID, s.cfg.MaxMembers)
	switch {
	case errors.Is(err, core.ErrUsed):
		return inv, m, errInvitationUsed
	case errors.Is(err, core.ErrExpired):
		return inv, m, errInvitationExpired
	}
	return inv, m, s.storeError(err, errInvitationNotFound)
}

// PendingInvitation is an invitation waiting for the signed-in user, with
// the organization it is to.
type PendingInvitation struct {
	Invitation   core.Invitation `json:"invitation"`
	Organization core.Org        `json:"organization"`
}

// PendingInvitations lists the invitations the user can accept now: sent
// to their email address, pending and not expired, oldest first, with
// their organizations. An address not yet verified has none: the
// invitation's token, not the address typed at sign-up, proves it is
// theirs until then.
func (s *Service[M]) PendingInvitations(ctx context.Context, user core.User) ([]PendingInvitation, error) {
	out := []PendingInvitation{}
	if !user.EmailVerified || user.Email == "" {
		return out, nil
	}
	list, err := s.inviteStore.PendingInvitations(ctx, s.cfg.EmailKey(user.Email))
	if err != nil {
		return nil, err
	}
	for _, inv := range list {
		if _, err := s.orgStore.Membership(ctx, inv.OrgID, user.ID); err == nil {
			continue // a member already, by another way in
		} else if !errors.Is(err, core.ErrNotFound) {
			return nil, err
		}
		org, err := s.orgStore.Org(ctx, inv.OrgID)
		if errors.Is(err, core.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, PendingInvitation{Invitation: inv, Organization: org})
	}
	return out, nil
}

// AcceptPending accepts, for the signed-in user, one of the invitations
// [Service.PendingInvitations] lists, by its id: the user's verified
// address, not a token, shows it was sent to them. Any other id (another
// address's invitation, a used, revoked or expired one) is refused as an
// unknown invitation.
func (s *Service[M]) AcceptPending(ctx context.Context, user core.User, invitationID string) (core.Invitation, core.Membership, error) {
	list, err := s.PendingInvitations(ctx, user)
	if err != nil {
		return core.Invitation{}, core.Membership{}, err
	}
	for _, p := range list {
		if p.Invitation.ID == invitationID {
			return s.accept(ctx, p.Invitation, user)
		}
	}
	return core.Invitation{}, core.Membership{}, errInvitationNotFound
}

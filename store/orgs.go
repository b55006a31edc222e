package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
)

// This file keeps organizations: the organizations themselves, their
// memberships, invitations, run-time roles and permissions, claimed
// domains and membership requests, and the active organization of a device
// session. The rules that must hold under concurrent writers (the last
// admin stays, limits are not passed, an invitation is used once) are
// checked inside the write transaction; every change writes its event in
// that transaction too.

const orgColumns = `o.id, o.name, o.slug, o.logo_url, COALESCE(o.created_by, ''), o.created_at, o.updated_at, o.require_mfa`

type orgScan struct {
	o                core.Org
	created, updated int64
}

func (sc *orgScan) dest() []any {
	return []any{&sc.o.ID, &sc.o.Name, &sc.o.Slug, &sc.o.LogoURL, &sc.o.CreatedBy, &sc.created, &sc.updated, &sc.o.RequireMFA}
}

func (sc *orgScan) org() core.Org {
	sc.o.CreatedAt, sc.o.UpdatedAt = fromMS(sc.created), fromMS(sc.updated)
	return sc.o
}

const membershipColumns = `m.id, m.org_id, m.user_id, m.role, m.created_at, m.updated_at`

type membershipScan struct {
	m                core.Membership
	created, updated int64
}

func (ms *membershipScan) dest() []any {
	return []any{&ms.m.ID, &ms.m.OrgID, &ms.m.UserID, &ms.m.Role, &ms.created, &ms.updated}
}

func (ms *membershipScan) membership() core.Membership {
	ms.m.CreatedAt, ms.m.UpdatedAt = fromMS(ms.created), fromMS(ms.updated)
	return ms.m
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return core.ErrNotFound
	}
	return err
}

// CreateOrg creates an organization with its creator (o.CreatedBy) as its
// first admin, writing organization.created and
// organization.membership.created. A taken slug is [core.ErrConflict];
// when the creator already created maxPerUser organizations that still
// exist it is [core.ErrLimitReached] (0 means no limit). ID and times are
// filled in.
func (db *DB) CreateOrg(ctx context.Context, o core.Org, maxPerUser int) (core.Org, core.Membership, error) {
	now := db.Now().UTC().Truncate(time.Millisecond)
	if o.ID == "" {
		o.ID = core.NewID("org")
	}
	o.CreatedAt, o.UpdatedAt = now, now
	m := core.Membership{ID: core.NewID("orgmem"), OrgID: o.ID, UserID: o.CreatedBy, Role: core.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	err := db.tx(ctx, func(tx *txn) error {
		if maxPerUser > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_organizations WHERE created_by = $1`, o.CreatedBy).Scan(&n); err != nil {
				return err
			}
			if n >= maxPerUser {
				return core.ErrLimitReached
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_organizations (id, name, slug, logo_url, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, o.ID, o.Name, o.Slug, o.LogoURL, o.CreatedBy, ms(now))
		if err != nil {
			if isUnique(err) {
				return core.ErrConflict
			}
			return err
		}
		if err := db.insertEvent(ctx, tx, core.EventOrganizationCreated, o); err != nil {
			return err
		}
		return db.insertMembership(ctx, tx, m)
	})
	if err != nil {
		return core.Org{}, core.Membership{}, fmt.Errorf("store: create org: %w", err)
	}
	return o, m, nil
}

func (db *DB) insertMembership(ctx context.Context, tx *txn, m core.Membership) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_org_memberships (id, org_id, user_id, role, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)`, m.ID, m.OrgID, m.UserID, m.Role, ms(m.CreatedAt))
	if err != nil {
		if isUnique(err) {
			return core.ErrAlreadyMember
		}
		return err
	}
	return db.insertEvent(ctx, tx, core.EventOrganizationMembershipCreated, m)
}

// Org returns an organization, or [core.ErrNotFound].
func (db *DB) Org(ctx context.Context, id string) (core.Org, error) {
	var oscan orgScan
	err := db.db.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM auth_organizations o WHERE o.id = $1`, id).Scan(oscan.dest()...)
	if err != nil {
		return core.Org{}, fmt.Errorf("store: org: %w", notFound(err))
	}
	return oscan.org(), nil
}

// OrgBySlug returns the organization with slug, or [core.ErrNotFound].
func (db *DB) OrgBySlug(ctx context.Context, slug string) (core.Org, error) {
	var oscan orgScan
	err := db.db.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM auth_organizations o WHERE o.slug = $1`, slug).Scan(oscan.dest()...)
	if err != nil {
		return core.Org{}, fmt.Errorf("store: org by slug: %w", notFound(err))
	}
	return oscan.org(), nil
}

// UpdateOrg sets an organization's name, slug, logo URL and whether it
// requires two-step verification, and writes organization.updated. A
// taken slug is [core.ErrConflict].
func (db *DB) UpdateOrg(ctx context.Context, o core.Org) (core.Org, error) {
	var out core.Org
	err := db.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE auth_organizations SET name = $2, slug = $3, logo_url = $4, updated_at = $5, require_mfa = $6
			WHERE id = $1`, o.ID, o.Name, o.Slug, o.LogoURL, ms(db.Now()), o.RequireMFA)
		if err != nil {
			if isUnique(err) {
				return core.ErrConflict
			}
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.ErrNotFound
		}
		var oscan orgScan
		if err := tx.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM auth_organizations o WHERE o.id = $1`, o.ID).Scan(oscan.dest()...); err != nil {
			return err
		}
		out = oscan.org()
		return db.insertEvent(ctx, tx, core.EventOrganizationUpdated, out)
	})
	if err != nil {
		return core.Org{}, fmt.Errorf("store: update org: %w", err)
	}
	return out, nil
}

// DeleteOrg deletes an organization with its memberships, invitations,
// roles, domains and requests, and writes organization.deleted. Sessions
// that had it active have none.
func (db *DB) DeleteOrg(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx *txn) error {
		var oscan orgScan
		if err := tx.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM auth_organizations o WHERE o.id = $1`, id).Scan(oscan.dest()...); err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_organizations WHERE id = $1`, id); err != nil {
			return err
		}
		o := oscan.org()
		return db.insertEvent(ctx, tx, core.EventOrganizationDeleted, map[string]any{"id": o.ID, "slug": o.Slug, "deleted": true})
	})
	if err != nil {
		return fmt.Errorf("store: delete org: %w", err)
	}
	return nil
}

// UserOrgs returns the organizations the user belongs to, by name.
func (db *DB) UserOrgs(ctx context.Context, userID string) ([]core.OrgMembership, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+orgColumns+`, `+membershipColumns+`
		FROM auth_org_memberships m JOIN auth_organizations o ON o.id = m.org_id
		WHERE m.user_id = $1 ORDER BY o.name, o.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: user orgs: %w", err)
	}
	defer rows.Close()
	out := []core.OrgMembership{}
	for rows.Next() {
		var oscan orgScan
		var ms membershipScan
		if err := rows.Scan(append(oscan.dest(), ms.dest()...)...); err != nil {
			return nil, fmt.Errorf("store: user orgs: %w", err)
		}
		out = append(out, core.OrgMembership{Org: oscan.org(), Membership: ms.membership()})
	}
	return out, rows.Err()
}

// Membership returns the user's membership of an organization, or
// [core.ErrNotFound].
func (db *DB) Membership(ctx context.Context, orgID, userID string) (core.Membership, error) {
	m, err := db.membership(ctx, db.db, orgID, userID)
	if err != nil {
		return m, fmt.Errorf("store: membership: %w", err)
	}
	return m, nil
}

func (db *DB) membership(ctx context.Context, q querier, orgID, userID string) (core.Membership, error) {
	var ms membershipScan
	err := q.QueryRowContext(ctx, `SELECT `+membershipColumns+` FROM auth_org_memberships m WHERE m.org_id = $1 AND m.user_id = $2`,
		orgID, userID).Scan(ms.dest()...)
	if err != nil {
		return core.Membership{}, notFound(err)
	}
	return ms.membership(), nil
}

// Members returns an organization's members with their email and name, by
// when they joined.
func (db *DB) Members(ctx context.Context, orgID string) ([]core.Member, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+membershipColumns+`, u.email, u.name, u.image_version
		FROM auth_org_memberships m JOIN auth_users u ON u.id = m.user_id
		WHERE m.org_id = $1 ORDER BY m.created_at, m.id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: members: %w", err)
	}
	defer rows.Close()
	out := []core.Member{}
	for rows.Next() {
		var ms membershipScan
		var mem core.Member
		if err := rows.Scan(append(ms.dest(), &mem.Email, &mem.Name, &mem.ImageVersion)...); err != nil {
			return nil, fmt.Errorf("store: members: %w", err)
		}
		mem.Membership = ms.membership()
		out = append(out, mem)
	}
	return out, rows.Err()
}

// seatsTaken counts an organization's members and its pending invitations
// that have not expired: both count against a member limit.
func (db *DB) seatsTaken(ctx context.Context, tx *txn, orgID string) (int, error) {
	var members, invited int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_org_memberships WHERE org_id = $1`, orgID).Scan(&members); err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_org_invitations WHERE org_id = $1 AND status = 'pending' AND expires_at > $2`,
		orgID, ms(db.Now())).Scan(&invited); err != nil {
		return 0, err
	}
	return members + invited, nil
}

// AddMember adds a membership (ID and times filled in) and writes
// organization.membership.created. An existing membership is
// [core.ErrAlreadyMember]; an organization whose members and pending
// invitations already number maxMembers is [core.ErrLimitReached] (0 means
// no limit). Pending membership requests of the user for the organization
// are marked accepted.
func (db *DB) AddMember(ctx context.Context, m core.Membership, maxMembers int) (core.Membership, error) {
	now := db.Now().UTC().Truncate(time.Millisecond)
	if m.ID == "" {
		m.ID = core.NewID("orgmem")
	}
	m.CreatedAt, m.UpdatedAt = now, now
	err := db.tx(ctx, func(tx *txn) error {
		if err := db.checkSeat(ctx, tx, m.OrgID, maxMembers, 0); err != nil {
			return err
		}
		if err := db.insertMembership(ctx, tx, m); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE auth_org_membership_requests SET status = 'accepted', decided_at = $3
			WHERE org_id = $1 AND user_id = $2 AND status = 'pending'`, m.OrgID, m.UserID, ms(now))
		return err
	})
	if err != nil {
		return core.Membership{}, fmt.Errorf("store: add member: %w", err)
	}
	return m, nil
}

// checkSeat returns [core.ErrLimitReached] when the organization has no
// room for one more (reserved seats already count, such as the invitation
// being accepted).
func (db *DB) checkSeat(ctx context.Context, tx *txn, orgID string, maxMembers, reserved int) error {
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_organizations WHERE id = $1`, orgID).Scan(&exists); err != nil {
		return err
	}
	if exists == 0 {
		return core.ErrNotFound
	}
	if maxMembers <= 0 {
		return nil
	}
	n, err := db.seatsTaken(ctx, tx, orgID)
	if err != nil {
		return err
	}
	if n-reserved >= maxMembers {
		return core.ErrLimitReached
	}
	return nil
}

// lastAdmin reports whether userID is the only admin of the organization.
func (db *DB) lastAdmin(ctx context.Context, tx *txn, m core.Membership) (bool, error) {
	if m.Role != core.RoleAdmin {
		return false, nil
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_org_memberships WHERE org_id = $1 AND role = $2`, m.OrgID, core.RoleAdmin).Scan(&n)
	return n <= 1, err
}

// SetMemberRole changes a member's role and writes
// organization.membership.updated. Demoting the last admin is
// [core.ErrLastAdmin]; an unknown membership is [core.ErrNotFound]. Setting
// the role a member already has changes nothing and writes no event.
func (db *DB) SetMemberRole(ctx context.Context, orgID, userID, role string) (core.Membership, error) {
	var m core.Membership
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		if m, err = db.membership(ctx, tx, orgID, userID); err != nil {
			return err
		}
		if m.Role == role {
			return nil
		}
		if last, err := db.lastAdmin(ctx, tx, m); err != nil || last {
			if err == nil {
				err = core.ErrLastAdmin
			}
			return err
		}
		now := db.Now().UTC().Truncate(time.Millisecond)
		if _, err := tx.ExecContext(ctx, `UPDATE auth_org_memberships SET role = $3, updated_at = $4 WHERE org_id = $1 AND user_id = $2`,
			orgID, userID, role, ms(now)); err != nil {
			return err
		}
		m.Role, m.UpdatedAt = role, now
		return db.insertEvent(ctx, tx, core.EventOrganizationMembershipUpdated, m)
	})
	if err != nil {
		return core.Membership{}, fmt.Errorf("store: set member role: %w", err)
	}
	return m, nil
}

// RemoveMember deletes a membership (a removal or the member leaving) and
// writes organization.membership.deleted; the user's sessions that had the
// organization active have none. Removing the last admin is
// [core.ErrLastAdmin].
func (db *DB) RemoveMember(ctx context.Context, orgID, userID string) (core.Membership, error) {
	var m core.Membership
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		if m, err = db.membership(ctx, tx, orgID, userID); err != nil {
			return err
		}
		if last, err := db.lastAdmin(ctx, tx, m); err != nil || last {
			if err == nil {
				err = core.ErrLastAdmin
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_org_memberships WHERE org_id = $1 AND user_id = $2`, orgID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_sessions SET active_org_id = NULL WHERE user_id = $1 AND active_org_id = $2`,
			userID, orgID); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventOrganizationMembershipDeleted, m)
	})
	if err != nil {
		return core.Membership{}, fmt.Errorf("store: remove member: %w", err)
	}
	return m, nil
}

const invitationColumns = `i.id, i.org_id, i.email, i.role, COALESCE(i.inviter_id, ''), i.status, i.created_at, i.expires_at,
	i.accepted_at, COALESCE(i.accepted_by, ''), i.revoked_at, i.token_hash`

func scanInvitation(s scanner) (core.Invitation, error) {
	var inv core.Invitation
	var created, expires int64
	var accepted, revoked sql.NullInt64
	err := s.Scan(&inv.ID, &inv.OrgID, &inv.Email, &inv.Role, &inv.InviterID, &inv.Status, &created, &expires,
		&accepted, &inv.AcceptedBy, &revoked, &inv.TokenHash)
	if err != nil {
		return inv, notFound(err)
	}
	inv.CreatedAt, inv.ExpiresAt = fromMS(created), fromMS(expires)
	inv.AcceptedAt, inv.RevokedAt = fromNullMS(accepted), fromNullMS(revoked)
	return inv, nil
}

func (db *DB) queryInvitations(ctx context.Context, query string, args ...any) ([]core.Invitation, error) {
	return queryAll(ctx, db, scanInvitation, query, args...)
}

// CreateInvitation stores an invitation (ID, status and creation time
// filled in; TokenHash, Email, Role, InviterID and ExpiresAt given) with
// its mail, and writes organization.invitation.created, in one
// transaction. When the address already belongs to a member it is
// [core.ErrAlreadyMember], when it has a pending invitation that has not
// expired [core.ErrAlreadyInvited]; when
// members and pending invitations number maxMembers it is
// [core.ErrLimitReached]; when the organization sent maxPerHour
// invitations in the last hour, [core.ErrRateLimited] (0 means no limit
// for either).
func (db *DB) CreateInvitation(ctx context.Context, inv core.Invitation, maxMembers, maxPerHour int, mail *OutMail) (core.Invitation, error) {
	now := db.Now().UTC().Truncate(time.Millisecond)
	inv.ID = core.NewID("orginv")
	inv.Status = core.InvitationPending
	inv.CreatedAt = now
	inv.ExpiresAt = inv.ExpiresAt.UTC().Truncate(time.Millisecond)
	key := EmailKey(inv.Email)
	err := db.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_org_memberships m JOIN auth_users u ON u.id = m.user_id
			WHERE m.org_id = $1 AND u.email_key = $2`, inv.OrgID, key).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return core.ErrAlreadyMember
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_org_invitations
			WHERE org_id = $1 AND email_key = $2 AND status = 'pending' AND expires_at > $3`, inv.OrgID, key, ms(now)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return core.ErrAlreadyInvited
		}
		if err := db.checkSeat(ctx, tx, inv.OrgID, maxMembers, 0); err != nil {
			return err
		}
		if maxPerHour > 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_org_invitations WHERE org_id = $1 AND created_at > $2`,
				inv.OrgID, ms(now.Add(-time.Hour))).Scan(&n); err != nil {
				return err
			}
			if n >= maxPerHour {
				return core.ErrRateLimited
			}
		}
		var inviter any
		if inv.InviterID != "" {
			inviter = inv.InviterID
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_org_invitations (id, org_id, email, email_key, role, inviter_id, token_hash, status, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)`,
			inv.ID, inv.OrgID, inv.Email, key, inv.Role, inviter, inv.TokenHash, ms(now), ms(inv.ExpiresAt))
		if err != nil {
			return err
		}
		if err := db.enqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventOrganizationInvitationCreated, inv)
	})
	if err != nil {
		return core.Invitation{}, fmt.Errorf("store: create invitation: %w", err)
	}
	return inv, nil
}

// Invitation returns an invitation of an organization, or
// [core.ErrNotFound] (also when the id belongs to another organization).
func (db *DB) Invitation(ctx context.Context, orgID, id string) (core.Invitation, error) {
	inv, err := scanInvitation(db.db.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM auth_org_invitations i
		WHERE i.id = $1 AND i.org_id = $2`, id, orgID))
	if err != nil {
		return inv, fmt.Errorf("store: invitation: %w", err)
	}
	return inv, nil
}

// InvitationByToken returns the invitation whose token hashes to hash,
// whatever its status, or [core.ErrNotFound].
func (db *DB) InvitationByToken(ctx context.Context, hash string) (core.Invitation, error) {
	inv, err := scanInvitation(db.db.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM auth_org_invitations i
		WHERE i.token_hash = $1`, hash))
	if err != nil {
		return inv, fmt.Errorf("store: invitation by token: %w", err)
	}
	return inv, nil
}

// Invitations returns an organization's invitations, newest first.
func (db *DB) Invitations(ctx context.Context, orgID string) ([]core.Invitation, error) {
	out, err := db.queryInvitations(ctx, `SELECT `+invitationColumns+` FROM auth_org_invitations i
		WHERE i.org_id = $1 ORDER BY i.created_at DESC, i.id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: invitations: %w", err)
	}
	return out, nil
}

// PendingInvitations returns the invitations still open for the address
// whose key (see [EmailKey]) is emailKey: pending and not yet expired,
// oldest first.
func (db *DB) PendingInvitations(ctx context.Context, emailKey string) ([]core.Invitation, error) {
	out, err := db.queryInvitations(ctx, `SELECT `+invitationColumns+` FROM auth_org_invitations i
		WHERE i.email_key = $1 AND i.status = 'pending' AND i.expires_at > $2 ORDER BY i.created_at, i.id`,
		emailKey, ms(db.Now().UTC()))
	if err != nil {
		return nil, fmt.Errorf("store: pending invitations: %w", err)
	}
	return out, nil
}

// RevokeInvitation revokes a pending invitation and writes
// organization.invitation.revoked. An invitation that is no longer pending
// (accepted or revoked) is [core.ErrUsed]; one past its expiry is
// [core.ErrExpired].
func (db *DB) RevokeInvitation(ctx context.Context, orgID, id string) (core.Invitation, error) {
	var inv core.Invitation
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		inv, err = scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM auth_org_invitations i
			WHERE i.id = $1 AND i.org_id = $2`, id, orgID))
		if err != nil {
			return err
		}
		now := db.Now()
		switch inv.StatusAt(now) {
		case core.InvitationExpired:
			return core.ErrExpired
		case core.InvitationPending:
		default:
			return core.ErrUsed
		}
		t := now.UTC().Truncate(time.Millisecond)
		if _, err := tx.ExecContext(ctx, `UPDATE auth_org_invitations SET status = 'revoked', revoked_at = $2 WHERE id = $1`, id, ms(t)); err != nil {
			return err
		}
		inv.Status, inv.RevokedAt = core.InvitationRevoked, &t
		return db.insertEvent(ctx, tx, core.EventOrganizationInvitationRevoked, inv)
	})
	if err != nil {
		return core.Invitation{}, fmt.Errorf("store: revoke invitation: %w", err)
	}
	return inv, nil
}

// AcceptInvitation uses a pending invitation once: it marks it accepted by
// userID and adds the membership with the invitation's role, writing
// organization.invitation.accepted and organization.membership.created, in
// one transaction. A used or revoked invitation is [core.ErrUsed], an
// expired one [core.ErrExpired]; a user who is already a member is
// [core.ErrAlreadyMember] (the invitation stays pending); a full organization
// is [core.ErrLimitReached]. Checking that the user's email is the
// invited one is the caller's business.
func (db *DB) AcceptInvitation(ctx context.Context, id, userID string, maxMembers int) (core.Invitation, core.Membership, error) {
	var inv core.Invitation
	var m core.Membership
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		inv, err = scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM auth_org_invitations i WHERE i.id = $1`, id))
		if err != nil {
			return err
		}
		now := db.Now().UTC().Truncate(time.Millisecond)
		switch inv.StatusAt(now) {
		case core.InvitationExpired:
			return core.ErrExpired
		case core.InvitationPending:
		default:
			return core.ErrUsed
		}
		if _, err := db.membership(ctx, tx, inv.OrgID, userID); err == nil {
			return core.ErrAlreadyMember
		} else if !errors.Is(err, core.ErrNotFound) {
			return err
		}
		// The invitation holds a seat already.
		if err := db.checkSeat(ctx, tx, inv.OrgID, maxMembers, 1); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE auth_org_invitations SET status = 'accepted', accepted_at = $2, accepted_by = $3
			WHERE id = $1 AND status = 'pending'`, id, ms(now), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.ErrUsed
		}
		inv.Status, inv.AcceptedAt, inv.AcceptedBy = core.InvitationAccepted, &now, userID
		if err := db.insertEvent(ctx, tx, core.EventOrganizationInvitationAccepted, inv); err != nil {
			return err
		}
		m = core.Membership{ID: core.NewID("orgmem"), OrgID: inv.OrgID, UserID: userID, Role: inv.Role, CreatedAt: now, UpdatedAt: now}
		return db.insertMembership(ctx, tx, m)
	})
	if err != nil {
		return core.Invitation{}, core.Membership{}, fmt.Errorf("store: accept invitation: %w", err)
	}
	return inv, m, nil
}

// OrgRoles returns the roles defined at run time for an organization, by key.
func (db *DB) OrgRoles(ctx context.Context, orgID string) ([]core.Role, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT key, name, description, permissions FROM auth_org_roles WHERE org_id = $1 ORDER BY key`, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: org roles: %w", err)
	}
	defer rows.Close()
	out := []core.Role{}
	for rows.Next() {
		r := core.Role{Source: core.SourceCustom}
		var perms string
		if err := rows.Scan(&r.Key, &r.Name, &r.Description, &perms); err != nil {
			return nil, fmt.Errorf("store: org roles: %w", err)
		}
		r.Permissions = splitPermissions(perms)
		out = append(out, r)
	}
	return out, rows.Err()
}

// splitPermissions reads the space-separated keys of a role row.
func splitPermissions(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Fields(s)
}

// OrgPermissions returns the permissions defined at run time for an
// organization, by key.
func (db *DB) OrgPermissions(ctx context.Context, orgID string) ([]core.Permission, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT key, name, description FROM auth_org_permissions WHERE org_id = $1 ORDER BY key`, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: org permissions: %w", err)
	}
	defer rows.Close()
	out := []core.Permission{}
	for rows.Next() {
		p := core.Permission{Source: core.SourceCustom}
		if err := rows.Scan(&p.Key, &p.Name, &p.Description); err != nil {
			return nil, fmt.Errorf("store: org permissions: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CreateOrgRole defines a role for one organization. A key the
// organization already has is [core.ErrConflict].
func (db *DB) CreateOrgRole(ctx context.Context, orgID string, r core.Role) error {
	now := ms(db.Now())
	_, err := db.db.ExecContext(ctx, `INSERT INTO auth_org_roles (org_id, key, name, description, permissions, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, orgID, r.Key, r.Name, r.Description, strings.Join(r.Permissions, " "), now)
	if err != nil {
		if isUnique(err) {
			err = core.ErrConflict
		}
		return fmt.Errorf("store: create org role: %w", err)
	}
	return nil
}

// UpdateOrgRole replaces a run-time role's name, description and
// permissions, or returns [core.ErrNotFound].
func (db *DB) UpdateOrgRole(ctx context.Context, orgID string, r core.Role) error {
	err := execOne(ctx, db.db, `UPDATE auth_org_roles SET name = $3, description = $4, permissions = $5, updated_at = $6
		WHERE org_id = $1 AND key = $2`, orgID, r.Key, r.Name, r.Description, strings.Join(r.Permissions, " "), ms(db.Now()))
	if err != nil {
		return fmt.Errorf("store: update org role: %w", err)
	}
	return nil
}

// DeleteOrgRole deletes a run-time role. A role that members hold or
// pending invitations grant is [core.ErrConflict]; an unknown one
// [core.ErrNotFound].
func (db *DB) DeleteOrgRole(ctx context.Context, orgID, key string) error {
	err := db.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM auth_org_memberships WHERE org_id = $1 AND role = $2) +
			(SELECT COUNT(*) FROM auth_org_invitations WHERE org_id = $1 AND role = $2 AND status = 'pending' AND expires_at > $3)`,
			orgID, key, ms(db.Now())).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return core.ErrConflict
		}
		return execOne(ctx, tx, `DELETE FROM auth_org_roles WHERE org_id = $1 AND key = $2`, orgID, key)
	})
	if err != nil {
		return fmt.Errorf("store: delete org role: %w", err)
	}
	return nil
}

// CreateOrgPermission defines a permission for one organization. A key the
// organization already has is [core.ErrConflict].
func (db *DB) CreateOrgPermission(ctx context.Context, orgID string, p core.Permission) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO auth_org_permissions (org_id, key, name, description, created_at)
		VALUES ($1, $2, $3, $4, $5)`, orgID, p.Key, p.Name, p.Description, ms(db.Now()))
	if err != nil {
		if isUnique(err) {
			err = core.ErrConflict
		}
		return fmt.Errorf("store: create org permission: %w", err)
	}
	return nil
}

// DeleteOrgPermission deletes a run-time permission and takes it out of
// the organization's run-time roles, in one transaction; it returns the
// keys of the roles it changed. An unknown key is [core.ErrNotFound].
func (db *DB) DeleteOrgPermission(ctx context.Context, orgID, key string) ([]string, error) {
	var changed []string
	err := db.tx(ctx, func(tx *txn) error {
		changed = nil
		if err := execOne(ctx, tx, `DELETE FROM auth_org_permissions WHERE org_id = $1 AND key = $2`, orgID, key); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT key, permissions FROM auth_org_roles WHERE org_id = $1`, orgID)
		if err != nil {
			return err
		}
		type rolePerms struct{ key, perms string }
		var update []rolePerms
		for rows.Next() {
			var rk, perms string
			if err := rows.Scan(&rk, &perms); err != nil {
				rows.Close()
				return err
			}
			list := splitPermissions(perms)
			kept := list[:0]
			for _, p := range list {
				if p != key {
					kept = append(kept, p)
				}
			}
			if len(kept) != len(splitPermissions(perms)) {
				update = append(update, rolePerms{rk, strings.Join(kept, " ")})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, u := range update {
			if _, err := tx.ExecContext(ctx, `UPDATE auth_org_roles SET permissions = $3, updated_at = $4 WHERE org_id = $1 AND key = $2`,
				orgID, u.key, u.perms, ms(db.Now())); err != nil {
				return err
			}
			changed = append(changed, u.key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: delete org permission: %w", err)
	}
	return changed, nil
}

const domainColumns = `d.id, d.org_id, d.name, d.enrollment_mode, d.verified_at, d.affiliation_email, d.code_hash,
	d.code_expires_at, d.code_attempts, d.code_sends, d.created_at`

func scanDomain(s scanner) (core.Domain, error) {
	var d core.Domain
	var verified sql.NullInt64
	var codeExp, created int64
	err := s.Scan(&d.ID, &d.OrgID, &d.Name, &d.EnrollmentMode, &verified, &d.AffiliationEmail, &d.CodeHash,
		&codeExp, &d.CodeAttempts, &d.CodeSends, &created)
	if err != nil {
		return d, notFound(err)
	}
	d.VerifiedAt = fromNullMS(verified)
	d.Verified = d.VerifiedAt != nil
	d.CodeExpiresAt, d.CreatedAt = fromMS(codeExp), fromMS(created)
	return d, nil
}

func (db *DB) queryDomains(ctx context.Context, query string, args ...any) ([]core.Domain, error) {
	return queryAll(ctx, db, scanDomain, query, args...)
}

// CreateDomain adds an unverified domain to an organization (ID and time
// filled in). A domain the organization already has, or one another
// organization has verified, is [core.ErrConflict].
func (db *DB) CreateDomain(ctx context.Context, d core.Domain) (core.Domain, error) {
	now := db.Now().UTC().Truncate(time.Millisecond)
	d.ID = core.NewID("orgdom")
	d.CreatedAt = now
	d.Verified, d.VerifiedAt = false, nil
	err := db.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_org_domains WHERE name = $1 AND verified_at IS NOT NULL`, d.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return core.ErrConflict
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_org_domains (id, org_id, name, enrollment_mode, created_at) VALUES ($1, $2, $3, $4, $5)`,
			d.ID, d.OrgID, d.Name, d.EnrollmentMode, ms(now))
		if isUnique(err) {
			return core.ErrConflict
		}
		return err
	})
	if err != nil {
		return core.Domain{}, fmt.Errorf("store: create domain: %w", err)
	}
	return d, nil
}

// Domain returns a domain of an organization, or [core.ErrNotFound] (also
// when the id belongs to another organization).
func (db *DB) Domain(ctx context.Context, orgID, id string) (core.Domain, error) {
	d, err := scanDomain(db.db.QueryRowContext(ctx, `SELECT `+domainColumns+` FROM auth_org_domains d WHERE d.id = $1 AND d.org_id = $2`, id, orgID))
	if err != nil {
		return d, fmt.Errorf("store: domain: %w", err)
	}
	return d, nil
}

// Domains returns an organization's domains by name.
func (db *DB) Domains(ctx context.Context, orgID string) ([]core.Domain, error) {
	out, err := db.queryDomains(ctx, `SELECT `+domainColumns+` FROM auth_org_domains d WHERE d.org_id = $1 ORDER BY d.name`, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: domains: %w", err)
	}
	return out, nil
}

// VerifiedDomains returns the verified domains named name (at most one
// organization can have verified it).
func (db *DB) VerifiedDomains(ctx context.Context, name string) ([]core.Domain, error) {
	out, err := db.queryDomains(ctx, `SELECT `+domainColumns+` FROM auth_org_domains d WHERE d.name = $1 AND d.verified_at IS NOT NULL`, name)
	if err != nil {
		return nil, fmt.Errorf("store: verified domains: %w", err)
	}
	return out, nil
}

// SetDomainMode changes a domain's enrollment mode.
func (db *DB) SetDomainMode(ctx context.Context, orgID, id, mode string) (core.Domain, error) {
	err := execOne(ctx, db.db, `UPDATE auth_org_domains SET enrollment_mode = $3 WHERE id = $1 AND org_id = $2`, id, orgID, mode)
	if err != nil {
		return core.Domain{}, fmt.Errorf("store: set domain mode: %w", err)
	}
	return db.Domain(ctx, orgID, id)
}

// DeleteDomain removes a domain from an organization.
func (db *DB) DeleteDomain(ctx context.Context, orgID, id string) error {
	err := execOne(ctx, db.db, `DELETE FROM auth_org_domains WHERE id = $1 AND org_id = $2`, id, orgID)
	if err != nil {
		return fmt.Errorf("store: delete domain: %w", err)
	}
	return nil
}

// domainCode is the code state of domain d: its code attempts count the
// wrong codes of the claim across resends (the record's Failures), and a
// verified domain's code is used.
func domainCode(d core.Domain) core.OneTimeCode {
	return core.OneTimeCode{Hash: d.CodeHash, ExpiresAt: d.CodeExpiresAt, Failures: d.CodeAttempts, Sends: d.CodeSends, UsedAt: d.VerifiedAt}
}

// applyDomainCode applies rule to the code of an organization's domain in
// tx and writes back what it returns, but not the code's use. It returns
// the domain, the record and the rule's verdict.
func (db *DB) applyDomainCode(ctx context.Context, tx *txn, orgID, id string, rule core.CodeRule) (core.Domain, core.OneTimeCode, error, error) {
	d, err := scanDomain(tx.QueryRowContext(ctx, `SELECT `+domainColumns+` FROM auth_org_domains d WHERE d.id = $1 AND d.org_id = $2`, id, orgID))
	if err != nil {
		return d, core.OneTimeCode{}, nil, err
	}
	rec := domainCode(d)
	next, verdict := rule(rec)
	if next.Hash != rec.Hash || !next.ExpiresAt.Equal(rec.ExpiresAt) || next.Failures != rec.Failures || next.Sends != rec.Sends {
		if _, err := tx.ExecContext(ctx, `UPDATE auth_org_domains SET code_hash = $2, code_expires_at = $3, code_attempts = $4,
			code_sends = $5 WHERE id = $1`, id, next.Hash, ms(next.ExpiresAt), next.Failures, next.Sends); err != nil {
			return d, next, nil, err
		}
		d.CodeHash, d.CodeExpiresAt, d.CodeAttempts, d.CodeSends = next.Hash, next.ExpiresAt.UTC().Truncate(time.Millisecond), next.Failures, next.Sends
	}
	return d, next, verdict, nil
}

// SetDomainCode applies rule, which issues a new verification code (codes
// sent before stop working), to an organization's domain, writes back what
// it returns and, when the rule allows it, records email as the address
// the code went to and queues its mail, in one transaction. A verified
// domain's code is used ([core.ErrUsed] from the rule); the rule's
// refusal is returned as it is.
func (db *DB) SetDomainCode(ctx context.Context, orgID, id, email string, rule core.CodeRule, mail *OutMail) error {
	err := db.codeTx(ctx, func(tx *txn) (error, error) {
		if _, _, verdict, err := db.applyDomainCode(ctx, tx, orgID, id, rule); err != nil || verdict != nil {
			return verdict, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_org_domains SET affiliation_email = $2 WHERE id = $1`, id, email); err != nil {
			return nil, err
		}
		return nil, db.enqueueMail(ctx, tx, mail)
	})
	if err != nil {
		return fmt.Errorf("store: set domain code: %w", err)
	}
	return nil
}

// VerifyDomain applies rule, which checks the code presented, to an
// organization's domain, and writes back what it returns: a refusal (a
// wrong code counted, [core.ErrUsed] for a verified domain) commits and is
// returned as it is. A code the rule accepts marks the domain verified and
// forgets its code and counts. When another organization verified the
// same domain first it is [core.ErrConflict], and nothing is written.
func (db *DB) VerifyDomain(ctx context.Context, orgID, id string, rule core.CodeRule) (core.Domain, error) {
	err := db.codeTx(ctx, func(tx *txn) (error, error) {
		_, rec, verdict, err := db.applyDomainCode(ctx, tx, orgID, id, rule)
		if err != nil || verdict != nil {
			return verdict, err
		}
		if rec.UsedAt == nil {
			return nil, fmt.Errorf("the rule accepted domain %s's code without using it", id)
		}
		err = execOne(ctx, tx, `UPDATE auth_org_domains SET verified_at = $3, code_hash = '', code_expires_at = 0, code_attempts = 0,
			code_sends = 0 WHERE id = $1 AND org_id = $2 AND verified_at IS NULL`, id, orgID, ms(*rec.UsedAt))
		if isUnique(err) {
			err = core.ErrConflict
		}
		return nil, err
	})
	if err != nil {
		return core.Domain{}, fmt.Errorf("store: verify domain: %w", err)
	}
	return db.Domain(ctx, orgID, id)
}

const requestColumns = `r.id, r.org_id, r.user_id, u.email, u.name, r.status, r.created_at`

func (db *DB) queryRequests(ctx context.Context, query string, args ...any) ([]core.MembershipRequest, error) {
	return queryAll(ctx, db, scanRequest, query, args...)
}

func scanRequest(s scanner) (core.MembershipRequest, error) {
	var r core.MembershipRequest
	var created int64
	if err := s.Scan(&r.ID, &r.OrgID, &r.UserID, &r.Email, &r.Name, &r.Status, &created); err != nil {
		return r, err
	}
	r.CreatedAt = fromMS(created)
	return r, nil
}

// CreateMembershipRequest records a user's request to join an
// organization. A member is [core.ErrAlreadyMember]; a user with a pending
// request [core.ErrConflict].
func (db *DB) CreateMembershipRequest(ctx context.Context, orgID, userID string) (core.MembershipRequest, error) {
	r := core.MembershipRequest{ID: core.NewID("orgreq"), OrgID: orgID, UserID: userID, Status: core.RequestPending,
		CreatedAt: db.Now().UTC().Truncate(time.Millisecond)}
	err := db.tx(ctx, func(tx *txn) error {
		if _, err := db.membership(ctx, tx, orgID, userID); err == nil {
			return core.ErrAlreadyMember
		} else if !errors.Is(err, core.ErrNotFound) {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_org_membership_requests (id, org_id, user_id, status, created_at)
			VALUES ($1, $2, $3, 'pending', $4)`, r.ID, orgID, userID, ms(r.CreatedAt))
		if isUnique(err) {
			return core.ErrConflict
		}
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT email, name FROM auth_users WHERE id = $1`, userID).Scan(&r.Email, &r.Name)
	})
	if err != nil {
		return core.MembershipRequest{}, fmt.Errorf("store: create membership request: %w", err)
	}
	return r, nil
}

// MembershipRequests returns an organization's pending membership
// requests, oldest first.
func (db *DB) MembershipRequests(ctx context.Context, orgID string) ([]core.MembershipRequest, error) {
	out, err := db.queryRequests(ctx, `SELECT `+requestColumns+` FROM auth_org_membership_requests r JOIN auth_users u ON u.id = r.user_id
		WHERE r.org_id = $1 AND r.status = 'pending' ORDER BY r.created_at, r.id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: membership requests: %w", err)
	}
	return out, nil
}

// UserMembershipRequests returns a user's pending membership requests.
func (db *DB) UserMembershipRequests(ctx context.Context, userID string) ([]core.MembershipRequest, error) {
	out, err := db.queryRequests(ctx, `SELECT `+requestColumns+` FROM auth_org_membership_requests r JOIN auth_users u ON u.id = r.user_id
		WHERE r.user_id = $1 AND r.status = 'pending' ORDER BY r.created_at, r.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: user membership requests: %w", err)
	}
	return out, nil
}

// DecideMembershipRequest accepts (adding a membership with role, subject
// to maxMembers as [DB.AddMember] is) or rejects a pending request of the
// organization. A request that is not pending, or of another
// organization, is [core.ErrNotFound].
func (db *DB) DecideMembershipRequest(ctx context.Context, orgID, id string, accept bool, role string, maxMembers int) (core.MembershipRequest, *core.Membership, error) {
	var req core.MembershipRequest
	var added *core.Membership
	err := db.tx(ctx, func(tx *txn) error {
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM auth_org_membership_requests r JOIN auth_users u ON u.id = r.user_id
			WHERE r.id = $1 AND r.org_id = $2 AND r.status = 'pending'`, id, orgID).
			Scan(&req.ID, &req.OrgID, &req.UserID, &req.Email, &req.Name, &req.Status, &created)
		if err != nil {
			return notFound(err)
		}
		req.CreatedAt = fromMS(created)
		now := db.Now().UTC().Truncate(time.Millisecond)
		status := core.RequestRejected
		if accept {
			status = core.RequestAccepted
			if err := db.checkSeat(ctx, tx, orgID, maxMembers, 0); err != nil {
				return err
			}
			m := core.Membership{ID: core.NewID("orgmem"), OrgID: orgID, UserID: req.UserID, Role: role, CreatedAt: now, UpdatedAt: now}
			if err := db.insertMembership(ctx, tx, m); err != nil {
				return err
			}
			added = &m
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_org_membership_requests SET status = $2, decided_at = $3 WHERE id = $1`,
			id, status, ms(now)); err != nil {
			return err
		}
		req.Status = status
		return nil
	})
	if err != nil {
		return core.MembershipRequest{}, nil, fmt.Errorf("store: decide membership request: %w", err)
	}
	return req, added, nil
}

// SetActiveOrg makes orgID the active organization of a device session of
// userID, or clears it when orgID is empty. A session of another user, or
// an organization the user is not a member of, is [core.ErrNotFound].
func (db *DB) SetActiveOrg(ctx context.Context, sessionID, userID, orgID string) error {
	err := db.tx(ctx, func(tx *txn) error {
		var active any
		if orgID != "" {
			if _, err := db.membership(ctx, tx, orgID, userID); err != nil {
				return err
			}
			active = orgID
		}
		return execOne(ctx, tx, `UPDATE auth_sessions SET active_org_id = $3 WHERE id = $1 AND user_id = $2 AND ended_at IS NULL`,
			sessionID, userID, active)
	})
	if err != nil {
		return fmt.Errorf("store: set active org: %w", err)
	}
	return nil
}

// SessionByTokenWithOrg is [DB.SessionByToken] with the session's active
// organization, in the same single indexed read: the organization, the
// user's role in it and, for a run-time role, its permissions. The
// organization is nil when the session has none active, or the user is no
// longer a member of it.
func (db *DB) SessionByTokenWithOrg(ctx context.Context, tokenHash string) (core.Session, core.User, *core.SessionOrg, error) {
	s, u, so, err := db.sessionWithOrg(ctx, `FROM auth_session_tokens t
		JOIN auth_sessions s ON s.id = t.session_id`, `t.token_hash = $1 AND t.expiry > $2`, tokenHash, ms(time.Now()))
	if err != nil {
		return s, u, nil, fmt.Errorf("store: session by token: %w", err)
	}
	return s, u, so, nil
}

// LiveSessionWithOrg is [DB.LiveSession] with the session's active
// organization, as [DB.SessionByTokenWithOrg] gives it: the read behind a
// bearer token.
func (db *DB) LiveSessionWithOrg(ctx context.Context, id string) (core.Session, core.User, *core.SessionOrg, error) {
	s, u, so, err := db.sessionWithOrg(ctx, `FROM auth_sessions s`, `s.id = $1`, id)
	if err != nil {
		return s, u, nil, fmt.Errorf("store: live session: %w", err)
	}
	return s, u, so, nil
}

// sessionWithOrg reads a live session, its user and its active
// organization in one query; from names the session's source and where
// selects it.
func (db *DB) sessionWithOrg(ctx context.Context, from, where string, args ...any) (core.Session, core.User, *core.SessionOrg, error) {
	var ss sessionScan
	var oid, name, slug, logo, creator, role, perms sql.NullString
	var created, updated sql.NullInt64
	var requireMFA sql.NullBool
	dest := append(ss.dest(), &oid, &name, &slug, &logo, &creator, &created, &updated, &requireMFA, &role, &perms)
	// An organization that requires two-step verification is not active
	// for a member without it.
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+`, `+sessionColumns+`,
		o.id, o.name, o.slug, o.logo_url, o.created_by, o.created_at, o.updated_at, o.require_mfa, m.role, r.permissions
		`+from+`
		JOIN auth_users u ON u.id = s.user_id
		LEFT JOIN auth_org_memberships m ON m.org_id = s.active_org_id AND m.user_id = s.user_id
		LEFT JOIN auth_organizations o ON o.id = m.org_id AND (o.require_mfa = 0
			OR EXISTS (SELECT 1 FROM auth_mfa f WHERE f.user_id = s.user_id AND (f.totp_enabled_at IS NOT NULL OR f.sms_enabled_at IS NOT NULL)))
		LEFT JOIN auth_org_roles r ON r.org_id = m.org_id AND r.key = m.role
		WHERE `+where+` AND s.ended_at IS NULL`, args...), dest...)
	if err != nil {
		return core.Session{}, core.User{}, nil, err
	}
	var so *core.SessionOrg
	if oid.Valid {
		so = &core.SessionOrg{
			Org: core.Org{ID: oid.String, Name: name.String, Slug: slug.String, LogoURL: logo.String, CreatedBy: creator.String,
				CreatedAt: fromMS(created.Int64), UpdatedAt: fromMS(updated.Int64), RequireMFA: requireMFA.Bool},
			Role:   role.String,
			Custom: perms.Valid,
		}
		if perms.Valid {
			so.CustomPermissions = splitPermissions(perms.String)
		}
	}
	return ss.session(), u, so, nil
}

// SoleAdminOrgs returns the organizations in which the user is the only
// org:admin, by name.
func (db *DB) SoleAdminOrgs(ctx context.Context, userID string) ([]core.Org, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT o.id, o.name, o.slug FROM auth_org_memberships m
		JOIN auth_organizations o ON o.id = m.org_id
		WHERE m.user_id = $1 AND m.role = $2
		AND NOT EXISTS (SELECT 1 FROM auth_org_memberships x WHERE x.org_id = m.org_id AND x.role = $2 AND x.user_id <> $1)
		ORDER BY o.name`, userID, core.RoleAdmin)
	if err != nil {
		return nil, fmt.Errorf("store: sole admin orgs: %w", err)
	}
	defer rows.Close()
	var out []core.Org
	for rows.Next() {
		var o core.Org
		if err := rows.Scan(&o.ID, &o.Name, &o.Slug); err != nil {
			return nil, fmt.Errorf("store: sole admin orgs: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// queryAll runs query and scans every row with scan; no rows is an empty,
// non-nil slice.
func queryAll[T any](ctx context.Context, db *DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

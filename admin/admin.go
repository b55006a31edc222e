package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// Store is what administration needs from storage. M is the store's
// queued-mail type (nil queues nothing).
type Store[M comparable] interface {
	ListUsers(ctx context.Context, q core.UserQuery) (core.UserPage, error)
	User(ctx context.Context, id string) (core.User, error)
	// AdminState returns the stored admin flag, the end of a password
	// lock (zero if none) and the failure count.
	AdminState(ctx context.Context, userID string) (admin bool, lockedUntil time.Time, failures int, err error)
	CountAdmins(ctx context.Context) (int, error)
	// WithAudit returns a context whose next committed write also writes
	// the entry, and user.updated for its target when userUpdated.
	WithAudit(ctx context.Context, e core.AuditEntry, userUpdated bool) context.Context
	Audit(ctx context.Context, e core.AuditEntry) error

	SetBanned(ctx context.Context, id string, banned bool) (core.User, error)
	LockUser(ctx context.Context, id string, until time.Time) error
	UnlockUser(ctx context.Context, id string) error
	DeleteUser(ctx context.Context, id string, mail M) error
	UpdateUser(ctx context.Context, id string, up core.UserUpdate) (core.User, error)
	VerifyIdentifier(ctx context.Context, userID, identifierID string) (core.User, error)
	DisableMFA(ctx context.Context, userID string, notice *core.Outgoing) error
	DeletePasskey(ctx context.Context, userID, id string, keepOne bool, mail M) (core.Passkey, error)
	Session(ctx context.Context, id string) (core.Session, error)
	EndSession(ctx context.Context, id, reason string) error
	EndUserSessions(ctx context.Context, userID, exceptID, reason string) ([]string, error)
	// SetAdmin grants or revokes; with keepOne, revoking the last
	// administrator fails and changes nothing.
	SetAdmin(ctx context.Context, userID string, on, keepOne bool) error
}

// Actor is who acts: a signed-in administrator, or the command-line tool
// (empty ID, Email "cli").
type Actor struct {
	ID    string
	Email string
}

// CLI is the actor of the command-line tool.
var CLI = Actor{Email: "cli"}

// LockDuration is how long an administrator's lock lasts: until an
// administrator unlocks the user.
const LockDuration = 100 * 365 * 24 * time.Hour

// Refusals of administration rules.
var (
	ErrSelf      = core.Refuse(core.ErrForbidden, "cannot_act_on_self", "You cannot do this to your own account.")
	ErrLastAdmin = core.Refuse(core.ErrConflict, "last_admin", "This is the only administrator: grant administration to someone else first.")
	ErrNotFound  = core.Refuse(core.ErrNotFound, "user_not_found", "There is no such user.")
	// ErrOrgNotFound answers a users table limited to an organization
	// that no id or slug names.
	ErrOrgNotFound = &core.Error{Kind: core.ErrNotFound, Code: "org_not_found", Field: "org",
		Message: "No organization has this id or slug."}
)

// Service applies the administration rules over a [Store].
type Service[M comparable] struct {
	store Store[M]
	now   func() time.Time
}

// New returns a Service. now is the clock (time.Now when nil).
func New[M comparable](s Store[M], now func() time.Time) *Service[M] {
	if now == nil {
		now = time.Now
	}
	return &Service[M]{store: s, now: now}
}

// ListUsers returns one page of users.
func (s *Service[M]) ListUsers(ctx context.Context, q core.UserQuery) (core.UserPage, error) {
	if q.Limit <= 0 || q.Limit > MaxLimit {
		q.Limit = DefaultLimit
	}
	return s.store.ListUsers(ctx, q)
}

// target loads the user an action is about.
func (s *Service[M]) target(ctx context.Context, id string) (core.User, error) {
	u, err := s.store.User(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return u, ErrNotFound
	}
	return u, err
}

func entry(a Actor, action string, u core.User, detail string) core.AuditEntry {
	return core.AuditEntry{ActorID: a.ID, ActorEmail: a.Email, Action: action, TargetID: u.ID, TargetEmail: u.Email, Detail: detail}
}

// guard refuses an action that would disable the actor themselves or the
// last administrator.
func (s *Service[M]) guard(ctx context.Context, a Actor, u core.User) error {
	if a.ID != "" && a.ID == u.ID {
		return ErrSelf
	}
	admin, _, _, err := s.store.AdminState(ctx, u.ID)
	if err != nil {
		return err
	}
	if admin {
		n, err := s.store.CountAdmins(ctx)
		if err != nil {
			return err
		}
		if n <= 1 {
			return ErrLastAdmin
		}
	}
	return nil
}

// Ban disables a user: their sessions end and sign-in is refused.
func (s *Service[M]) Ban(ctx context.Context, a Actor, id string) (core.User, error) {
	u, err := s.target(ctx, id)
	if err != nil {
		return u, err
	}
	if err := s.guard(ctx, a, u); err != nil {
		return u, err
	}
	return s.store.SetBanned(s.store.WithAudit(ctx, entry(a, core.AuditUserBanned, u, ""), false), id, true)
}

// Unban lets a banned user sign in again.
func (s *Service[M]) Unban(ctx context.Context, a Actor, id string) (core.User, error) {
	u, err := s.target(ctx, id)
	if err != nil {
		return u, err
	}
	return s.store.SetBanned(s.store.WithAudit(ctx, entry(a, core.AuditUserUnbanned, u, ""), false), id, false)
}

// Lock locks password sign-in until an administrator unlocks it. The
// user's sessions go on; passkeys and emailed codes still sign in, as
// with any lockout.
func (s *Service[M]) Lock(ctx context.Context, a Actor, id string) error {
	u, err := s.target(ctx, id)
	if err != nil {
		return err
	}
	if err := s.guard(ctx, a, u); err != nil {
		return err
	}
	return s.store.LockUser(s.store.WithAudit(ctx, entry(a, core.AuditUserLocked, u, ""), false), id, s.now().Add(LockDuration))
}

// Unlock clears every lockout of the user (password and second factor).
func (s *Service[M]) Unlock(ctx context.Context, a Actor, id string) error {
	u, err := s.target(ctx, id)
	if err != nil {
		return err
	}
	return s.store.UnlockUser(s.store.WithAudit(ctx, entry(a, core.AuditUserUnlocked, u, ""), false), id)
}

// Delete deletes a user and everything of theirs.
func (s *Service[M]) Delete(ctx context.Context, a Actor, id string) error {
	u, err := s.target(ctx, id)
	if err != nil {
		return err
	}
	if err := s.guard(ctx, a, u); err != nil {
		return err
	}
	var none M
	return s.store.DeleteUser(s.store.WithAudit(ctx, entry(a, core.AuditUserDeleted, u, ""), false), id, none)
}

// RevokeSession ends one session of the user.
func (s *Service[M]) RevokeSession(ctx context.Context, a Actor, userID, sessionID string) error {
	u, err := s.target(ctx, userID)
	if err != nil {
		return err
	}
	sess, err := s.store.Session(ctx, sessionID)
	if err != nil || sess.UserID != userID {
		return core.Refuse(core.ErrNotFound, "session_not_found", "There is no such session.")
	}
	return s.store.EndSession(s.store.WithAudit(ctx, entry(a, core.AuditSessionRevoked, u, sessionID), false), sessionID, "revoked_by_admin")
}

// RevokeSessions ends every session of the user and returns their ids.
func (s *Service[M]) RevokeSessions(ctx context.Context, a Actor, userID string) ([]string, error) {
	u, err := s.target(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.store.EndUserSessions(s.store.WithAudit(ctx, entry(a, core.AuditSessionsRevoked, u, ""), false), userID, "", "revoked_by_admin")
}

// ResetMFA removes the user's two-step verification (authenticator app,
// text message codes, backup codes), so they can set it up again.
func (s *Service[M]) ResetMFA(ctx context.Context, a Actor, userID string) error {
	u, err := s.target(ctx, userID)
	if err != nil {
		return err
	}
	return s.store.DisableMFA(s.store.WithAudit(ctx, entry(a, core.AuditMFAReset, u, ""), true), userID, nil)
}

// RemovePasskey removes one passkey of the user, even their last one.
func (s *Service[M]) RemovePasskey(ctx context.Context, a Actor, userID, passkeyID string) error {
	u, err := s.target(ctx, userID)
	if err != nil {
		return err
	}
	var none M
	_, err = s.store.DeletePasskey(s.store.WithAudit(ctx, entry(a, core.AuditPasskeyRemoved, u, passkeyID), true), userID, passkeyID, false, none)
	if errors.Is(err, core.ErrNotFound) {
		return core.Refuse(core.ErrNotFound, "passkey_not_found", "There is no such passkey.")
	}
	return err
}

// VerifyIdentifier marks one email address or phone number of the user
// as verified.
func (s *Service[M]) VerifyIdentifier(ctx context.Context, a Actor, userID, identifierID string) (core.User, error) {
	u, err := s.target(ctx, userID)
	if err != nil {
		return u, err
	}
	v, err := s.store.VerifyIdentifier(s.store.WithAudit(ctx, entry(a, core.AuditEmailVerified, u, identifierID), false), userID, identifierID)
	if errors.Is(err, core.ErrNotFound) {
		return u, core.Refuse(core.ErrNotFound, "identifier_not_found", "There is no such address.")
	}
	return v, err
}

// UpdateMetadata replaces the metadata objects that are not nil; each must
// be a JSON object.
func (s *Service[M]) UpdateMetadata(ctx context.Context, a Actor, userID string, m core.UserMetadata) (core.User, error) {
	u, err := s.target(ctx, userID)
	if err != nil {
		return u, err
	}
	var changed []string
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"public_metadata", m.Public}, {"private_metadata", m.Private}, {"unsafe_metadata", m.Unsafe}} {
		if f.v == nil {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal(f.v, &obj); err != nil || obj == nil {
			return u, core.Invalid(f.name, "invalid_metadata", "Metadata must be a JSON object, such as {\"plan\": \"pro\"}.")
		}
		changed = append(changed, f.name)
	}
	return s.store.UpdateUser(s.store.WithAudit(ctx, entry(a, core.AuditMetadataUpdated, u, fmt.Sprint(changed)), false), userID,
		core.UserUpdate{PublicMetadata: m.Public, PrivateMetadata: m.Private, UnsafeMetadata: m.Unsafe})
}

// SetAdmin grants or revokes administration. Revoking one's own, or the
// last administrator's, is refused.
func (s *Service[M]) SetAdmin(ctx context.Context, a Actor, userID string, on bool) error {
	u, err := s.target(ctx, userID)
	if err != nil {
		return err
	}
	action := core.AuditAdminGranted
	if !on {
		action = core.AuditAdminRevoked
		if a.ID != "" && a.ID == userID {
			return ErrSelf
		}
	}
	err = s.store.SetAdmin(s.store.WithAudit(ctx, entry(a, action, u, ""), false), userID, on, true)
	if errors.Is(err, core.ErrConflict) {
		return ErrLastAdmin
	}
	return err
}

// Audited returns ctx carrying the audit entry of an action on u that the
// caller performs itself (creating or inviting a user), so that the
// entry commits with it.
func (s *Service[M]) Audited(ctx context.Context, a Actor, action string, u core.User, detail string) context.Context {
	return s.store.WithAudit(ctx, entry(a, action, u, detail), false)
}

// Record writes an audit entry on its own.
func (s *Service[M]) Record(ctx context.Context, a Actor, action string, u core.User, detail string) error {
	return s.store.Audit(ctx, entry(a, action, u, detail))
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// NewUser is what [DB.CreateUser] needs.
type NewUser struct {
	Email         string
	Name          string
	EmailVerified bool
	// PasswordHash is an argon2id PHC string, or empty for a user without a
	// password.
	PasswordHash    string
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	UnsafeMetadata  json.RawMessage
}

const userColumns = `u.id, u.email, u.email_verified, u.name, u.banned, u.created_at, u.updated_at,
	u.public_metadata, u.private_metadata, u.unsafe_metadata,
	EXISTS (SELECT 1 FROM auth_passwords p WHERE p.user_id = u.id),
	EXISTS (SELECT 1 FROM auth_mfa f WHERE f.user_id = u.id AND (f.totp_enabled_at IS NOT NULL OR f.sms_enabled_at IS NOT NULL)),
	u.image_version, u.language`

type scanner interface{ Scan(dest ...any) error }

func scanUser(s scanner, extra ...any) (core.User, error) {
	var u core.User
	var created, updated int64
	var pub, priv, unsafe string
	dest := append([]any{&u.ID, &u.Email, &u.EmailVerified, &u.Name, &u.Banned, &created, &updated,
		&pub, &priv, &unsafe, &u.HasPassword, &u.TwoFactorEnabled, &u.ImageVersion, &u.Language}, extra...)
	if err := s.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, core.ErrNotFound
		}
		return u, err
	}
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	u.PublicMetadata = json.RawMessage(pub)
	u.PrivateMetadata = json.RawMessage(priv)
	u.UnsafeMetadata = json.RawMessage(unsafe)
	return u, nil
}

func metadata(m json.RawMessage) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	var obj map[string]any
	if err := json.Unmarshal(m, &obj); err != nil || obj == nil {
		return "", fmt.Errorf("metadata must be a JSON object: %w", core.ErrInvalidInput)
	}
	return string(m), nil
}

// CreateUser creates a user (and their password when one is given), with
// its user.created event, in one transaction. A taken email in any case or
// Unicode form is [core.ErrConflict].
func (db *DB) CreateUser(ctx context.Context, nu NewUser) (core.User, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		u, err = db.createUser(ctx, tx, nu)
		return err
	})
	if err != nil {
		return core.User{}, fmt.Errorf("store: create user: %w", err)
	}
	return u, nil
}

func (db *DB) createUser(ctx context.Context, tx *txn, nu NewUser) (core.User, error) {
	u, err := db.insertUser(ctx, tx, nu, EmailKey(nu.Email))
	if err != nil {
		return u, err
	}
	return u, db.insertEvent(ctx, tx, core.EventUserCreated, u)
}

// insertUser writes a new user's rows, without the user.created event
// (the caller writes it), with emailKey as the unique email key.
func (db *DB) insertUser(ctx context.Context, tx *txn, nu NewUser, emailKey string) (core.User, error) {
	now := db.Now()
	u := core.User{
		ID: core.NewID("user"), Email: nu.Email, EmailVerified: nu.EmailVerified, Name: nu.Name,
		CreatedAt: now.UTC().Truncate(time.Millisecond), UpdatedAt: now.UTC().Truncate(time.Millisecond),
		HasPassword: nu.PasswordHash != "",
	}
	var metas [3]string
	for i, m := range []json.RawMessage{nu.PublicMetadata, nu.PrivateMetadata, nu.UnsafeMetadata} {
		s, err := metadata(m)
		if err != nil {
			return u, err
		}
		metas[i] = s
	}
	u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata = json.RawMessage(metas[0]), json.RawMessage(metas[1]), json.RawMessage(metas[2])
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_users (id, email, email_key, email_verified, name,
		public_metadata, private_metadata, unsafe_metadata, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
		u.ID, u.Email, emailKey, u.EmailVerified, u.Name, metas[0], metas[1], metas[2], ms(now))
	if err != nil {
		if isUnique(err) {
			return u, core.ErrConflict
		}
		return u, err
	}
	if nu.PasswordHash != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)`,
			u.ID, nu.PasswordHash, ms(now)); err != nil {
			return u, err
		}
	}
	return u, nil
}

// User returns the user with id, or [core.ErrNotFound].
func (db *DB) User(ctx context.Context, id string) (core.User, error) {
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, id))
	if err != nil {
		return u, fmt.Errorf("store: user: %w", err)
	}
	return u, nil
}

// UserByEmail finds a user by email in any case or Unicode form: their
// primary email, or any other email of theirs that is verified. It
// returns [core.ErrNotFound] otherwise.
func (db *DB) UserByEmail(ctx context.Context, email string) (core.User, error) {
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_identifiers i
		JOIN auth_users u ON u.id = i.user_id
		WHERE i.kind = 'email' AND i.value_key = $1 AND (i.is_primary = 1 OR i.verified_at IS NOT NULL)`, EmailKey(email)))
	if err != nil {
		return u, fmt.Errorf("store: user by email: %w", err)
	}
	return u, nil
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_users`).Scan(&n)
	return n, err
}

// UpdateUser changes a user and writes user.updated.
func (db *DB) UpdateUser(ctx context.Context, id string, up UserUpdate) (core.User, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		now := ms(db.Now())
		if up.Name != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET name = $2 WHERE id = $1`, id, *up.Name); err != nil {
				return err
			}
		}
		if up.Language != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET language = $2 WHERE id = $1`, id, *up.Language); err != nil {
				return err
			}
		}
		if up.EmailVerified != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET email_verified = $2 WHERE id = $1`, id, *up.EmailVerified); err != nil {
				return err
			}
		}
		for col, m := range map[string]json.RawMessage{"public_metadata": up.PublicMetadata,
			"private_metadata": up.PrivateMetadata, "unsafe_metadata": up.UnsafeMetadata} {
			if m == nil {
				continue
			}
			s, err := metadata(m)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET `+col+` = $2 WHERE id = $1`, id, s); err != nil {
				return err
			}
		}
		err := execOne(ctx, tx, `UPDATE auth_users SET updated_at = $2 WHERE id = $1`, id, now)
		if err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, id))
		if err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return core.User{}, fmt.Errorf("store: update user: %w", err)
	}
	return u, nil
}

// DeleteUser deletes a user with everything that belongs to them, ends their
// sessions (session.ended events) and writes user.deleted. mail, if not nil,
// is queued in the same transaction.
func (db *DB) DeleteUser(ctx context.Context, id string, mail *OutMail) error {
	err := db.tx(ctx, func(tx *txn) error {
		if _, err := db.endUserSessions(ctx, tx, id, "", "user_deleted"); err != nil {
			return err
		}
		if err := execOne(ctx, tx, `DELETE FROM auth_users WHERE id = $1`, id); err != nil {
			return err
		}
		if err := db.enqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserDeleted, map[string]any{"id": id, "deleted": true})
	})
	if err != nil {
		return fmt.Errorf("store: delete user: %w", err)
	}
	return nil
}

// SetBanned bans or unbans a user. Banning ends every session at once.
func (db *DB) SetBanned(ctx context.Context, id string, banned bool) (core.User, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		err := execOne(ctx, tx, `UPDATE auth_users SET banned = $2, updated_at = $3 WHERE id = $1`, id, banned, ms(db.Now()))
		if err != nil {
			return err
		}
		if banned {
			if _, err := db.endUserSessions(ctx, tx, id, "", "banned"); err != nil {
				return err
			}
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, id))
		if err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return core.User{}, fmt.Errorf("store: set banned: %w", err)
	}
	return u, nil
}

// PasswordHash returns the user's password hash, or [core.ErrNotFound] when
// the user has none.
func (db *DB) PasswordHash(ctx context.Context, userID string) (string, error) {
	var h string
	err := db.db.QueryRowContext(ctx, `SELECT hash FROM auth_passwords WHERE user_id = $1`, userID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: password hash: %w", core.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: password hash: %w", err)
	}
	return h, nil
}

// RehashPassword replaces the hash with one of higher cost, only if it is
// still old (a concurrent password change wins).
func (db *DB) RehashPassword(ctx context.Context, userID, old, new string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE auth_passwords SET hash = $3 WHERE user_id = $1 AND hash = $2`, userID, old, new)
	if err != nil {
		return fmt.Errorf("store: rehash password: %w", err)
	}
	return nil
}

// ChangePassword sets a new password hash, ends every other session of the
// user (all of them when keepSessionID is empty), and queues mail, in one
// transaction. It returns the ids of the sessions it ended.
func (db *DB) ChangePassword(ctx context.Context, userID, hash, keepSessionID string, mail *OutMail) ([]string, error) {
	var ended []string
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		ended, err = db.setPassword(ctx, tx, userID, hash, keepSessionID)
		if err != nil {
			return err
		}
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: userID, Kind: core.SecurityPasswordChanged}); err != nil {
			return err
		}
		return db.enqueueMail(ctx, tx, mail)
	})
	if err != nil {
		return nil, fmt.Errorf("store: change password: %w", err)
	}
	return ended, nil
}

func (db *DB) setPassword(ctx context.Context, tx *txn, userID, hash, keepSessionID string) ([]string, error) {
	now := ms(db.Now())
	if err := execOne(ctx, tx, `UPDATE auth_users SET updated_at = $2, failed_attempts = 0, failure_window_start = 0, locked_until = 0, lockouts = 0 WHERE id = $1`, userID, now); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO auth_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`, userID, hash, now); err != nil {
		return nil, err
	}
	ended, err := db.endUserSessions(ctx, tx, userID, keepSessionID, "password_changed")
	if err != nil {
		return nil, err
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID))
	if err != nil {
		return nil, err
	}
	return ended, db.insertEvent(ctx, tx, core.EventUserUpdated, u)
}

// ReserveAttempt counts one sign-in attempt against the user before the
// secret is checked: it loads the user's lockout state, applies rule (the
// rules live in package account, not here) and writes back the state the
// rule returns, in one BEGIN IMMEDIATE transaction, so concurrent guesses
// queue and cannot slip past the limit. ok is false while the account is
// locked until lockedUntil. A success must call [DB.ResetAttempts]. An
// unknown user runs the same statements, changes nothing and gets
// core.ErrNotFound.
func (db *DB) ReserveAttempt(ctx context.Context, userID string, rule core.LockoutRule) (ok bool, lockedUntil time.Time, err error) {
	err = db.tx(ctx, func(tx *txn) error {
		var st core.LockoutState
		var start, until int64
		found := true
		err := tx.QueryRowContext(ctx, `SELECT failed_attempts, failure_window_start, locked_until, lockouts
			FROM auth_users WHERE id = $1`, userID).Scan(&st.Failures, &start, &until, &st.Lockouts)
		if errors.Is(err, sql.ErrNoRows) {
			found = false
		} else if err != nil {
			return err
		}
		st.WindowStart, st.LockedUntil = fromMSOrZero(start), fromMSOrZero(until)
		next, granted := rule(st, db.Now())
		ok = granted
		if !ok {
			lockedUntil = next.LockedUntil
		}
		if next == st && found {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET failed_attempts = $2, failure_window_start = $3,
				locked_until = $4, lockouts = $5 WHERE id = $1`,
			userID, next.Failures, msOrZero(next.WindowStart), msOrZero(next.LockedUntil), next.Lockouts); err != nil {
			return err
		}
		if !found {
			return core.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return false, time.Time{}, fmt.Errorf("store: reserve attempt: %w", err)
	}
	return ok, lockedUntil, nil
}

// ResetAttempts clears the failure count after a successful sign-in.
func (db *DB) ResetAttempts(ctx context.Context, userID string) error {
	if _, err := db.db.ExecContext(ctx, resetAttemptsSQL, userID); err != nil {
		return fmt.Errorf("store: reset attempts: %w", err)
	}
	return nil
}

const resetAttemptsSQL = `UPDATE auth_users SET failed_attempts = 0, failure_window_start = 0, locked_until = 0, lockouts = 0
	WHERE id = $1 AND (failed_attempts <> 0 OR locked_until <> 0 OR lockouts <> 0)`

func (db *DB) resetAttempts(ctx context.Context, tx *txn, userID string) error {
	_, err := tx.ExecContext(ctx, resetAttemptsSQL, userID)
	return err
}

// FailedAttempts returns the current failure count, for tests and admin.
func (db *DB) FailedAttempts(ctx context.Context, userID string) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT failed_attempts FROM auth_users WHERE id = $1`, userID).Scan(&n)
	return n, err
}

// UserUpdate lists the fields to change: see [core.UserUpdate].
type UserUpdate = core.UserUpdate

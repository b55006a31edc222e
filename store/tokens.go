package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// CreateToken stores a token and queues its mail in one transaction. When
// the user already has maxPerHour tokens of this purpose from the last hour
// it stores nothing and returns [core.ErrRateLimited].
func (db *DB) CreateToken(ctx context.Context, t Token, maxPerHour int, mail *OutMail) error {
	now := db.Now()
	err := db.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > $3`,
			t.UserID, t.Purpose, ms(now.Add(-time.Hour))).Scan(&n); err != nil {
			return err
		}
		if n >= maxPerHour {
			return core.ErrRateLimited
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_tokens (token_hash, purpose, user_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, t.Hash, t.Purpose, t.UserID, ms(now), ms(t.ExpiresAt)); err != nil {
			if isUnique(err) {
				return core.ErrConflict
			}
			return err
		}
		return db.enqueueMail(ctx, tx, mail)
	})
	if err != nil {
		return fmt.Errorf("store: create token: %w", err)
	}
	return nil
}

// CheckToken reports whether a token can still be used, without using it:
// [core.ErrNotFound], [core.ErrUsed] or [core.ErrExpired] when not.
func (db *DB) CheckToken(ctx context.Context, hash, purpose string) (Token, error) {
	t, err := db.token(ctx, db.db, hash, purpose)
	if err != nil {
		return t, fmt.Errorf("store: check token: %w", err)
	}
	return t, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (db *DB) token(ctx context.Context, q querier, hash, purpose string) (Token, error) {
	t := Token{Hash: hash, Purpose: purpose}
	var created, expires int64
	var used sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT user_id, created_at, expires_at, used_at FROM auth_tokens
		WHERE token_hash = $1 AND purpose = $2`, hash, purpose).Scan(&t.UserID, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return t, core.ErrNotFound
	}
	if err != nil {
		return t, err
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMS(created), fromMS(expires), fromNullMS(used)
	switch {
	case t.UsedAt != nil:
		return t, core.ErrUsed
	case !db.Now().Before(t.ExpiresAt):
		return t, core.ErrExpired
	}
	return t, nil
}

// ResetPassword uses a reset token once and, in the same transaction, sets
// the new password hash, marks the email verified (the link proved it),
// clears the lockout, ends every session of the user, voids their other
// reset tokens and queues mail. The errors of [DB.CheckToken] apply.
func (db *DB) ResetPassword(ctx context.Context, tokenHash, newHash string, mail *OutMail) (core.User, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		t, err := db.token(ctx, tx, tokenHash, PurposeReset)
		if err != nil {
			return err
		}
		now := ms(db.Now())
		if _, err := tx.ExecContext(ctx, `UPDATE auth_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
			t.UserID, PurposeReset, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET email_verified = 1 WHERE id = $1`, t.UserID); err != nil {
			return err
		}
		if _, err := db.setPassword(ctx, tx, t.UserID, newHash, ""); err != nil {
			return err
		}
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: t.UserID, Kind: core.SecurityPasswordChanged, Detail: "reset"}); err != nil {
			return err
		}
		if err := db.enqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, t.UserID))
		return err
	})
	if err != nil {
		return core.User{}, fmt.Errorf("store: reset password: %w", err)
	}
	return u, nil
}

// PurposeReset is the purpose of a password reset token.
const PurposeReset = core.PurposeReset

// Token is a single-use, expiring token sent by mail: see [core.Token].
type Token = core.Token

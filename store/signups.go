package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// Signup is a sign-up waiting for its email to be verified. No user exists
// until [DB.CompleteSignup].
type Signup struct {
	ID            string
	Email         string
	Name          string
	PasswordHash  string
	CodeHash      string
	CodeExpiresAt time.Time
	Attempts      int
	Sends         int
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// CreateSignup stores a pending sign-up and queues its mail in one
// transaction.
func (db *DB) CreateSignup(ctx context.Context, s Signup, mail *OutMail) error {
	if s.ID == "" {
		s.ID = core.NewID("signup")
	}
	err := db.tx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_signups (id, email, email_key, name, password_hash, code_hash,
			code_expires_at, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			s.ID, s.Email, EmailKey(s.Email), s.Name, s.PasswordHash, s.CodeHash, ms(s.CodeExpiresAt), ms(db.Now()), ms(s.ExpiresAt))
		if err != nil {
			if isUnique(err) {
				return core.ErrConflict
			}
			return err
		}
		return db.enqueueMail(ctx, tx, mail)
	})
	if err != nil {
		return fmt.Errorf("store: create signup: %w", err)
	}
	return nil
}

// Signup returns a pending sign-up, or [core.ErrNotFound] (also once it
// has expired).
func (db *DB) Signup(ctx context.Context, id string) (Signup, error) {
	var s Signup
	var codeExp, created, exp int64
	err := db.db.QueryRowContext(ctx, `SELECT id, email, name, password_hash, code_hash, code_expires_at, attempts, sends,
		created_at, expires_at FROM auth_signups WHERE id = $1 AND expires_at > $2`, id, ms(db.Now())).
		Scan(&s.ID, &s.Email, &s.Name, &s.PasswordHash, &s.CodeHash, &codeExp, &s.Attempts, &s.Sends, &created, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("store: signup: %w", core.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("store: signup: %w", err)
	}
	s.CodeExpiresAt, s.CreatedAt, s.ExpiresAt = fromMS(codeExp), fromMS(created), fromMS(exp)
	return s, nil
}

// ReserveSignupAttempt counts one code attempt before the code is checked,
// so parallel guesses cannot exceed max. It returns [core.ErrLocked] once
// max attempts were used and [core.ErrNotFound] for an unknown or expired
// sign-up.
func (db *DB) ReserveSignupAttempt(ctx context.Context, id string, max int) error {
	res, err := db.db.ExecContext(ctx, `UPDATE auth_signups SET attempts = attempts + 1
		WHERE id = $1 AND attempts < $2 AND expires_at > $3`, id, max, ms(db.Now()))
	if err != nil {
		return fmt.Errorf("store: reserve signup attempt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if _, err := db.Signup(ctx, id); err != nil {
		return fmt.Errorf("store: reserve signup attempt: %w", err)
	}
	return fmt.Errorf("store: reserve signup attempt: %w", core.ErrLocked)
}

// ResendSignupCode replaces the code (the old one stops working) without
// resetting the attempt count, and queues the mail. It returns
// [core.ErrRateLimited] after maxSends sends.
func (db *DB) ResendSignupCode(ctx context.Context, id, codeHash string, codeExpires time.Time, maxSends int, mail *OutMail) error {
	err := db.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE auth_signups SET code_hash = $2, code_expires_at = $3, sends = sends + 1
			WHERE id = $1 AND sends < $4 AND expires_at > $5`, id, codeHash, ms(codeExpires), maxSends, ms(db.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var sends int
			err := tx.QueryRowContext(ctx, `SELECT sends FROM auth_signups WHERE id = $1 AND expires_at > $2`, id, ms(db.Now())).Scan(&sends)
			if errors.Is(err, sql.ErrNoRows) {
				return core.ErrNotFound
			}
			if err != nil {
				return err
			}
			return core.ErrRateLimited
		}
		return db.enqueueMail(ctx, tx, mail)
	})
	if err != nil {
		return fmt.Errorf("store: resend signup code: %w", err)
	}
	return nil
}

// CompleteSignup turns a verified sign-up into a user with a verified email
// and a password, and signs them in with sess (UserID is filled in): user,
// password, session, user.created and session.created commit together or
// not at all. The sign-up is consumed, so a second call returns
// [core.ErrNotFound]; a taken email returns [core.ErrConflict].
func (db *DB) CompleteSignup(ctx context.Context, id string, sess core.Session) (core.User, core.Session, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		var email, name, hash string
		err := tx.QueryRowContext(ctx, `DELETE FROM auth_signups WHERE id = $1 AND expires_at > $2
			RETURNING email, name, password_hash`, id, ms(db.Now())).Scan(&email, &name, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		u, err = db.createUser(ctx, tx, NewUser{Email: email, Name: name, EmailVerified: true, PasswordHash: hash})
		if err != nil {
			return err
		}
		// Other pending sign-ups for the address can never complete now.
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_signups WHERE email_key = $1`, EmailKey(email)); err != nil {
			return err
		}
		sess.UserID = u.ID
		sess, err = db.createSession(ctx, tx, sess)
		return err
	})
	if err != nil {
		return core.User{}, core.Session{}, fmt.Errorf("store: complete signup: %w", err)
	}
	return u, sess, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/embedauth/auth/core"
)

// Signup is a sign-up waiting for its email to be verified. No user exists
// until [DB.CompleteSignup].
type Signup = core.Signup

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

// signupCode reads the code state of a live pending sign-up: its
// attempts count the wrong codes of the sign-up across resends (the
// record's Failures), and a passkey sign-up's verified_at is when a code
// was accepted. passkey reports a passkey sign-up. An unknown or expired
// sign-up is [core.ErrNotFound].
func (db *DB) signupCode(ctx context.Context, tx *txn, id string) (c core.OneTimeCode, passkey bool, err error) {
	var expires int64
	var verified sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT s.code_hash, s.code_expires_at, s.attempts, s.sends, p.signup_id IS NOT NULL, p.verified_at
		FROM auth_signups s LEFT JOIN auth_passkey_signups p ON p.signup_id = s.id
		WHERE s.id = $1 AND s.expires_at > $2`, id, ms(db.Now())).Scan(&c.Hash, &expires, &c.Failures, &c.Sends, &passkey, &verified)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, core.ErrNotFound
	}
	c.ExpiresAt, c.UsedAt = fromMS(expires), fromNullMS(verified)
	return c, passkey, err
}

// saveSignupCode writes back what a rule changed of a sign-up's code, but
// not its use: completing or verifying the sign-up records that.
func saveSignupCode(ctx context.Context, tx *txn, id string, before, after core.OneTimeCode) error {
	if after.Hash == before.Hash && after.ExpiresAt.Equal(before.ExpiresAt) && after.Failures == before.Failures && after.Sends == before.Sends {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE auth_signups SET code_hash = $2, code_expires_at = $3, attempts = $4, sends = $5
		WHERE id = $1`, id, after.Hash, ms(after.ExpiresAt), after.Failures, after.Sends)
	return err
}

// applySignupCode applies rule to the code of sign-up id in tx and writes
// back what it returns; it returns the record and the rule's verdict.
// With passkeyOnly, a password sign-up is [core.ErrNotFound].
func (db *DB) applySignupCode(ctx context.Context, tx *txn, id string, rule core.CodeRule, passkeyOnly bool) (core.OneTimeCode, error, error) {
	rec, passkey, err := db.signupCode(ctx, tx, id)
	if err != nil {
		return rec, nil, err
	}
	if passkeyOnly && !passkey {
		return rec, nil, core.ErrNotFound
	}
	next, verdict := rule(rec)
	if err := saveSignupCode(ctx, tx, id, rec, next); err != nil {
		return next, nil, err
	}
	return next, verdict, nil
}

// ResendSignupCode applies rule, which issues a new code (the old one
// stops working), to the code of pending sign-up id, writes back what it
// returns and, when the rule allows it, queues mail, in one transaction.
// An unknown or expired sign-up is [core.ErrNotFound]; the rule's refusal
// is returned as it is.
func (db *DB) ResendSignupCode(ctx context.Context, id string, rule core.CodeRule, mail *OutMail) error {
	err := db.codeTx(ctx, func(tx *txn) (error, error) {
		_, verdict, err := db.applySignupCode(ctx, tx, id, rule, false)
		if err != nil || verdict != nil {
			return verdict, err
		}
		return nil, db.enqueueMail(ctx, tx, mail)
	})
	if err != nil {
		return fmt.Errorf("store: resend signup code: %w", err)
	}
	return nil
}

// CompleteSignup applies rule, which checks the code presented, to the
// code of pending sign-up id, and writes back what it returns: a refusal
// (a wrong code counted) commits and is returned as it is. When the rule
// accepts the code, the sign-up becomes a user with a verified email and a
// password, signed in with sess (UserID is filled in): user, password,
// session, user.created and session.created commit together or not at
// all, with the code's use. The sign-up is consumed, so a second call
// returns [core.ErrNotFound]; a taken email returns [core.ErrConflict].
func (db *DB) CompleteSignup(ctx context.Context, id string, rule core.CodeRule, sess core.Session) (core.User, core.Session, error) {
	var u core.User
	err := db.codeTx(ctx, func(tx *txn) (error, error) {
		rec, verdict, err := db.applySignupCode(ctx, tx, id, rule, false)
		if err != nil || verdict != nil {
			return verdict, err
		}
		if rec.UsedAt == nil {
			return nil, fmt.Errorf("the rule accepted sign-up %s's code without using it", id)
		}
		var email, name, hash string
		err = tx.QueryRowContext(ctx, `DELETE FROM auth_signups WHERE id = $1 AND expires_at > $2
			RETURNING email, name, password_hash`, id, ms(db.Now())).Scan(&email, &name, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, core.ErrNotFound
		}
		if err != nil {
			return nil, err
		}
		u, err = db.createUser(ctx, tx, NewUser{Email: email, Name: name, EmailVerified: true, PasswordHash: hash})
		if err != nil {
			return nil, err
		}
		// Other pending sign-ups for the address can never complete now.
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_signups WHERE email_key = $1`, EmailKey(email)); err != nil {
			return nil, err
		}
		sess.UserID = u.ID
		sess, err = db.createSession(ctx, tx, sess)
		return nil, err
	})
	if err != nil {
		return core.User{}, core.Session{}, fmt.Errorf("store: complete signup: %w", err)
	}
	return u, sess, nil
}

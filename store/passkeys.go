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

// challengeKeep is how long a used or expired passkey challenge is kept, so
// that a replay is told apart from a challenge never issued.
const challengeKeep = 24 * time.Hour

// PasskeyUserHandle returns the user's WebAuthn user handle, or
// [core.ErrNotFound] when the user has none yet.
func (db *DB) PasskeyUserHandle(ctx context.Context, userID string) ([]byte, error) {
	var h []byte
	err := db.db.QueryRowContext(ctx, `SELECT handle FROM auth_passkey_users WHERE user_id = $1`, userID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: passkey user handle: %w", core.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: passkey user handle: %w", err)
	}
	return h, nil
}

// EnsurePasskeyUserHandle returns the user's WebAuthn user handle, storing
// candidate as the handle first when the user has none. Concurrent calls
// agree on one handle. An unknown user is [core.ErrNotFound].
func (db *DB) EnsurePasskeyUserHandle(ctx context.Context, userID string, candidate []byte) ([]byte, error) {
	var h []byte
	err := db.tx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_passkey_users (user_id, handle, created_at)
			SELECT id, $2, $3 FROM auth_users WHERE id = $1
			ON CONFLICT (user_id) DO NOTHING`, userID, candidate, ms(db.Now()))
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `SELECT handle FROM auth_passkey_users WHERE user_id = $1`, userID).Scan(&h)
		if errors.Is(err, sql.ErrNoRows) {
			return core.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: ensure passkey user handle: %w", err)
	}
	return h, nil
}

// UserIDByPasskeyHandle returns the id of the user whose WebAuthn user
// handle is handle, or [core.ErrNotFound].
func (db *DB) UserIDByPasskeyHandle(ctx context.Context, handle []byte) (string, error) {
	var id string
	err := db.db.QueryRowContext(ctx, `SELECT user_id FROM auth_passkey_users WHERE handle = $1`, handle).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: user by passkey handle: %w", core.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: user by passkey handle: %w", err)
	}
	return id, nil
}

const passkeyColumns = `p.id, p.user_id, p.credential_id, p.public_key, p.aaguid, p.sign_count, p.transports,
	p.attestation_format, p.backup_eligible, p.backup_state, p.name, p.created_at, p.last_used_at`

func scanPasskey(s scanner) (core.Passkey, error) {
	var p core.Passkey
	var transports string
	var signCount, created int64
	var used sql.NullInt64
	err := s.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.PublicKey, &p.AAGUID, &signCount, &transports,
		&p.AttestationFormat, &p.BackupEligible, &p.BackupState, &p.Name, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return p, core.ErrNotFound
	}
	if err != nil {
		return p, err
	}
	p.SignCount = uint32(signCount)
	if transports != "" {
		p.Transports = strings.Split(transports, ",")
	}
	p.CreatedAt = fromMS(created)
	p.LastUsedAt = fromNullMS(used)
	return p, nil
}

// UserPasskeys returns the user's passkeys, oldest first.
func (db *DB) UserPasskeys(ctx context.Context, userID string) ([]core.Passkey, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM auth_passkeys p
		WHERE p.user_id = $1 ORDER BY p.created_at, p.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: user passkeys: %w", err)
	}
	defer rows.Close()
	var out []core.Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: user passkeys: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PasskeyByCredentialID returns the passkey with a WebAuthn credential id,
// whoever owns it, or [core.ErrNotFound].
func (db *DB) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (core.Passkey, error) {
	p, err := scanPasskey(db.db.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM auth_passkeys p
		WHERE p.credential_id = $1`, credentialID))
	if err != nil {
		return p, fmt.Errorf("store: passkey by credential id: %w", err)
	}
	return p, nil
}

// Passkey returns one of the user's passkeys by its record id, or
// [core.ErrNotFound] (also when another user owns it).
func (db *DB) Passkey(ctx context.Context, userID, id string) (core.Passkey, error) {
	p, err := scanPasskey(db.db.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM auth_passkeys p
		WHERE p.id = $1 AND p.user_id = $2`, id, userID))
	if err != nil {
		return p, fmt.Errorf("store: passkey: %w", err)
	}
	return p, nil
}

// passkeyEvent is the data of passkey events.
type passkeyEvent struct {
	ID       string `json:"id"`
	UserID   string `json:"user_id"`
	Name     string `json:"name,omitempty"`
	Observed uint32 `json:"observed_sign_count,omitempty"`
	Stored   uint32 `json:"stored_sign_count,omitempty"`
}

func (db *DB) insertPasskey(ctx context.Context, tx *txn, p core.Passkey) (core.Passkey, error) {
	now := db.Now().UTC().Truncate(time.Millisecond)
	if p.ID == "" {
		p.ID = core.NewID("pk")
	}
	p.CreatedAt = now
	p.LastUsedAt = nil
	if p.AAGUID == nil {
		p.AAGUID = make([]byte, 16)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_passkeys (id, user_id, credential_id, public_key, aaguid, sign_count,
		transports, attestation_format, backup_eligible, backup_state, name, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		p.ID, p.UserID, p.CredentialID, p.PublicKey, p.AAGUID, int64(p.SignCount), strings.Join(p.Transports, ","),
		p.AttestationFormat, p.BackupEligible, p.BackupState, p.Name, ms(now))
	if err != nil {
		if isUnique(err) {
			return p, core.ErrConflict
		}
		return p, err
	}
	return p, db.insertEvent(ctx, tx, core.EventPasskeyCreated, passkeyEvent{ID: p.ID, UserID: p.UserID, Name: p.Name})
}

// AddPasskey registers a passkey to an existing user (ID and CreatedAt are
// filled in) with its passkey.created event, and queues mail (may be nil),
// in one transaction. A credential id registered before, to anyone, is
// [core.ErrConflict]; an unknown user is [core.ErrNotFound].
func (db *DB) AddPasskey(ctx context.Context, p core.Passkey, mail *OutMail) (core.Passkey, error) {
	err := db.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_users WHERE id = $1`, p.UserID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return core.ErrNotFound
		}
		var err error
		if p, err = db.insertPasskey(ctx, tx, p); err != nil {
			return err
		}
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: p.UserID, Kind: core.SecurityPasskeyAdded, Detail: p.Name}); err != nil {
			return err
		}
		return db.enqueueMail(ctx, tx, mail)
	})
	if err != nil {
		return core.Passkey{}, fmt.Errorf("store: add passkey: %w", err)
	}
	return p, nil
}

// RenamePasskey changes the name of one of the user's passkeys, or returns
// [core.ErrNotFound] (also when another user owns it).
func (db *DB) RenamePasskey(ctx context.Context, userID, id, name string) (core.Passkey, error) {
	p, err := scanPasskey(db.db.QueryRowContext(ctx, `UPDATE auth_passkeys SET name = $3
		WHERE id = $1 AND user_id = $2 RETURNING `+strings.ReplaceAll(passkeyColumns, "p.", ""), id, userID, name))
	if err != nil {
		return p, fmt.Errorf("store: rename passkey: %w", err)
	}
	return p, nil
}

// DeletePasskey deletes one of the user's passkeys with its passkey.deleted
// event, and queues mail (may be nil), in one transaction. It returns
// [core.ErrNotFound] when the user has no such passkey. With keepOne, it
// returns [core.ErrLastSignInMethod] when this is the user's only passkey
// and they have no password and no provider identity; the caller clears
// keepOne when the user can still sign in another way (a code mailed to
// a verified address). The
// check and the delete are one transaction, so two concurrent deletes
// cannot both pass it.
func (db *DB) DeletePasskey(ctx context.Context, userID, id string, keepOne bool, mail *OutMail) (core.Passkey, error) {
	var p core.Passkey
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		p, err = scanPasskey(tx.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM auth_passkeys p
			WHERE p.id = $1 AND p.user_id = $2`, id, userID))
		if err != nil {
			return err
		}
		var others int
		var hasPassword bool
		if err := tx.QueryRowContext(ctx, `SELECT
				(SELECT COUNT(*) FROM auth_passkeys WHERE user_id = $1 AND id <> $2) +
				(SELECT COUNT(*) FROM auth_external_accounts WHERE user_id = $1),
				EXISTS (SELECT 1 FROM auth_passwords WHERE user_id = $1)`, userID, id).Scan(&others, &hasPassword); err != nil {
			return err
		}
		if keepOne && others == 0 && !hasPassword {
			return core.ErrLastSignInMethod
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_passkeys WHERE id = $1`, id); err != nil {
			return err
		}
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: userID, Kind: core.SecurityPasskeyRemoved, Detail: p.Name}); err != nil {
			return err
		}
		if err := db.enqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventPasskeyDeleted, passkeyEvent{ID: p.ID, UserID: p.UserID, Name: p.Name})
	})
	if err != nil {
		return core.Passkey{}, fmt.Errorf("store: delete passkey: %w", err)
	}
	return p, nil
}

// RecordPasskeyUse stores what a verified sign-in with a passkey observed:
// its signature counter, its backup state and the time. The counter must
// grow (or stay 0 for authenticators without one); when a concurrent
// sign-in already stored a counter at least as high, nothing changes and
// the result is [core.ErrConflict]. An unknown passkey is
// [core.ErrNotFound].
func (db *DB) RecordPasskeyUse(ctx context.Context, id string, signCount uint32, backupState bool) error {
	res, err := db.db.ExecContext(ctx, `UPDATE auth_passkeys SET sign_count = $2, backup_state = $3, last_used_at = $4
		WHERE id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))`, id, int64(signCount), backupState, ms(db.Now()))
	if err != nil {
		return fmt.Errorf("store: record passkey use: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_passkeys WHERE id = $1`, id).Scan(&n); err != nil {
		return fmt.Errorf("store: record passkey use: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store: record passkey use: %w", core.ErrNotFound)
	}
	return fmt.Errorf("store: record passkey use: %w", core.ErrConflict)
}

// PasskeyCloneSuspected records a refused sign-in whose signature counter
// (observed) did not grow past the stored one: the passkey.clone_suspected
// event and the user's mail (may be nil) commit together. The stored
// counter is left as it was.
func (db *DB) PasskeyCloneSuspected(ctx context.Context, p core.Passkey, observed uint32, mail *OutMail) error {
	err := db.tx(ctx, func(tx *txn) error {
		if err := db.enqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventPasskeyCloneSuspected, passkeyEvent{ID: p.ID, UserID: p.UserID, Name: p.Name,
			Observed: observed, Stored: p.SignCount})
	})
	if err != nil {
		return fmt.Errorf("store: passkey clone suspected: %w", err)
	}
	return nil
}

// CreatePasskeyChallenge stores a ceremony in progress. Challenges that
// expired more than a day ago are pruned in the same transaction. A
// challenge stored before is [core.ErrConflict].
func (db *DB) CreatePasskeyChallenge(ctx context.Context, c core.PasskeyChallenge) error {
	now := db.Now()
	err := db.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_passkey_challenges WHERE expires_at <= $1`, ms(now.Add(-challengeKeep))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_passkey_challenges (challenge, flow, subject, binding, user_handle,
			session, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.Challenge, c.Flow, c.Subject, c.Binding, c.UserHandle, c.Session, ms(now), ms(c.ExpiresAt))
		if isUnique(err) {
			return core.ErrConflict
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create passkey challenge: %w", err)
	}
	return nil
}

// UsePasskeyChallenge marks a challenge used and returns it. It succeeds at
// most once per challenge, even under concurrent calls: afterwards it
// returns [core.ErrUsed]. A challenge past its expiry is [core.ErrExpired]
// and one never stored (or pruned) is [core.ErrNotFound].
func (db *DB) UsePasskeyChallenge(ctx context.Context, challenge string) (core.PasskeyChallenge, error) {
	c := core.PasskeyChallenge{Challenge: challenge}
	now := ms(db.Now())
	var created, expires int64
	err := db.db.QueryRowContext(ctx, `UPDATE auth_passkey_challenges SET used_at = $2
		WHERE challenge = $1 AND used_at IS NULL AND expires_at > $2
		RETURNING flow, subject, binding, user_handle, session, created_at, expires_at`, challenge, now).
		Scan(&c.Flow, &c.Subject, &c.Binding, &c.UserHandle, &c.Session, &created, &expires)
	if err == nil {
		c.CreatedAt, c.ExpiresAt = fromMS(created), fromMS(expires)
		used := fromMS(now)
		c.UsedAt = &used
		return c, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return core.PasskeyChallenge{}, fmt.Errorf("store: use passkey challenge: %w", err)
	}
	var used sql.NullInt64
	err = db.db.QueryRowContext(ctx, `SELECT used_at, expires_at FROM auth_passkey_challenges WHERE challenge = $1`, challenge).
		Scan(&used, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = core.ErrNotFound
	case err != nil:
	case used.Valid:
		err = core.ErrUsed
	default:
		err = core.ErrExpired
	}
	return core.PasskeyChallenge{}, fmt.Errorf("store: use passkey challenge: %w", err)
}

// PasskeySignup is a pending sign-up that will get a passkey instead of a
// password.
type PasskeySignup = core.PasskeySignup

// CreatePasskeySignup stores a pending sign-up without a password (its
// PasswordHash must be empty) that will be completed with a passkey for
// userHandle, and queues its mail, in one transaction.
func (db *DB) CreatePasskeySignup(ctx context.Context, s Signup, userHandle []byte, mail *OutMail) error {
	if s.PasswordHash != "" {
		return fmt.Errorf("store: create passkey signup: a passkey sign-up has no password: %w", core.ErrInvalidInput)
	}
	if s.ID == "" {
		s.ID = core.NewID("signup")
	}
	err := db.tx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_signups (id, email, email_key, name, password_hash, code_hash,
			code_expires_at, created_at, expires_at) VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8)`,
			s.ID, s.Email, EmailKey(s.Email), s.Name, s.CodeHash, ms(s.CodeExpiresAt), ms(db.Now()), ms(s.ExpiresAt))
		if err != nil {
			if isUnique(err) {
				return core.ErrConflict
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_passkey_signups (signup_id, user_handle) VALUES ($1, $2)`,
			s.ID, userHandle); err != nil {
			return err
		}
		return db.enqueueMail(ctx, tx, mail)
	})
	if err != nil {
		return fmt.Errorf("store: create passkey signup: %w", err)
	}
	return nil
}

// PasskeySignup returns a pending passkey sign-up, or [core.ErrNotFound]
// (also once it has expired, and for a password sign-up).
func (db *DB) PasskeySignup(ctx context.Context, id string) (PasskeySignup, error) {
	var ps PasskeySignup
	var verified sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT user_handle, verified_at FROM auth_passkey_signups WHERE signup_id = $1`, id).
		Scan(&ps.UserHandle, &verified)
	if errors.Is(err, sql.ErrNoRows) {
		return ps, fmt.Errorf("store: passkey signup: %w", core.ErrNotFound)
	}
	if err != nil {
		return ps, fmt.Errorf("store: passkey signup: %w", err)
	}
	s, err := db.Signup(ctx, id)
	if err != nil {
		return ps, fmt.Errorf("store: passkey signup: %w", err)
	}
	ps.Signup = s
	ps.VerifiedAt = fromNullMS(verified)
	return ps, nil
}

// VerifyPasskeySignup applies rule, which checks the code presented, to
// the code of pending passkey sign-up id, and writes back what it returns:
// a refusal (a wrong code counted, or [core.ErrUsed] once verified)
// commits and is returned as it is. A code the rule accepts records that
// the email was proven. An unknown or expired sign-up, or a password
// sign-up, is [core.ErrNotFound].
func (db *DB) VerifyPasskeySignup(ctx context.Context, id string, rule core.CodeRule) error {
	err := db.codeTx(ctx, func(tx *txn) (error, error) {
		rec, verdict, err := db.applySignupCode(ctx, tx, id, rule, true)
		if err != nil || verdict != nil {
			return verdict, err
		}
		if rec.UsedAt == nil {
			return nil, fmt.Errorf("the rule accepted sign-up %s's code without using it", id)
		}
		return nil, execOne(ctx, tx, `UPDATE auth_passkey_signups SET verified_at = $2 WHERE signup_id = $1 AND verified_at IS NULL`,
			id, ms(*rec.UsedAt))
	})
	if err != nil {
		return fmt.Errorf("store: verify passkey signup: %w", err)
	}
	return nil
}

// CompletePasskeySignup turns a verified passkey sign-up into a user with a
// verified email, no password, the sign-up's user handle and passkey p
// (UserID is filled in), and signs them in with sess: user, handle,
// passkey, session and their events commit together or not at all. The
// sign-up is consumed. An unknown, expired or unverified sign-up is
// [core.ErrNotFound]; a taken email or a credential id registered before is
// [core.ErrConflict].
func (db *DB) CompletePasskeySignup(ctx context.Context, id string, p core.Passkey, sess core.Session) (core.User, core.Passkey, core.Session, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		var handle []byte
		err := tx.QueryRowContext(ctx, `SELECT user_handle FROM auth_passkey_signups WHERE signup_id = $1 AND verified_at IS NOT NULL`, id).
			Scan(&handle)
		if errors.Is(err, sql.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		var email, name string
		err = tx.QueryRowContext(ctx, `DELETE FROM auth_signups WHERE id = $1 AND expires_at > $2
			RETURNING email, name`, id, ms(db.Now())).Scan(&email, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil {
			return err
		}
		if u, err = db.createUser(ctx, tx, NewUser{Email: email, Name: name, EmailVerified: true}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_passkey_users (user_id, handle, created_at) VALUES ($1, $2, $3)`,
			u.ID, handle, ms(db.Now())); err != nil {
			if isUnique(err) {
				return core.ErrConflict
			}
			return err
		}
		p.UserID = u.ID
		if p, err = db.insertPasskey(ctx, tx, p); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_signups WHERE email_key = $1`, EmailKey(email)); err != nil {
			return err
		}
		sess.UserID = u.ID
		sess, err = db.createSession(ctx, tx, sess)
		return err
	})
	if err != nil {
		return core.User{}, core.Passkey{}, core.Session{}, fmt.Errorf("store: complete passkey signup: %w", err)
	}
	return u, p, sess, nil
}

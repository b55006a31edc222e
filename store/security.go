package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// logSecurity writes one entry of the user's security log inside tx, so
// the entry exists exactly when the change it records does. IP and user
// agent come from the request's [core.Client] when e leaves them empty.
// For a user that does not exist the same statement runs and writes
// nothing, so a failed sign-in costs the same with or without an account.
func (db *DB) logSecurity(ctx context.Context, tx *txn, e core.SecurityEvent) error {
	if e.IP == "" && e.UserAgent == "" {
		c := core.ClientFrom(ctx)
		e.IP, e.UserAgent = c.IP, c.UserAgent
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_security_log (user_id, kind, method, ip, user_agent, detail, created_at)
		SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM auth_users WHERE id = $1)`, e.UserID, e.Kind, e.Method, e.IP, e.UserAgent, e.Detail, ms(db.Now()))
	if err != nil {
		return fmt.Errorf("security log: %w", err)
	}
	return nil
}

// LogSecurity writes one entry of a user's security log on its own: for
// what is not a change of stored state, such as a wrong password.
func (db *DB) LogSecurity(ctx context.Context, e core.SecurityEvent) error {
	err := db.tx(ctx, func(tx *txn) error { return db.logSecurity(ctx, tx, e) })
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// LogSecurityOnce writes e unless the user's log already has an entry of
// the same kind newer than within: a locked account hammered by guesses
// gets one entry per lockout, not one per guess.
func (db *DB) LogSecurityOnce(ctx context.Context, e core.SecurityEvent, within time.Duration) error {
	err := db.tx(ctx, func(tx *txn) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_security_log WHERE user_id = $1 AND kind = $2 AND created_at > $3`,
			e.UserID, e.Kind, ms(db.Now().Add(-within))).Scan(&n)
		if err != nil || n > 0 {
			return err
		}
		return db.logSecurity(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// SecurityLog returns up to limit entries of the user's security log,
// newest first, older than the entry before (0 for the newest).
func (db *DB) SecurityLog(ctx context.Context, userID string, before int64, limit int) ([]core.SecurityEvent, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, user_id, kind, method, ip, user_agent, detail, created_at
		FROM auth_security_log WHERE user_id = $1 AND ($2 = 0 OR id < $2)
		ORDER BY created_at DESC, id DESC LIMIT $3`, userID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: security log: %w", err)
	}
	defer rows.Close()
	var out []core.SecurityEvent
	for rows.Next() {
		var e core.SecurityEvent
		var created int64
		if err := rows.Scan(&e.ID, &e.UserID, &e.Kind, &e.Method, &e.IP, &e.UserAgent, &e.Detail, &created); err != nil {
			return nil, fmt.Errorf("store: security log: %w", err)
		}
		e.CreatedAt = fromMS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// PruneSecurityLog deletes security log entries written before logBefore,
// known devices not seen since devicesBefore, and device challenges that
// expired more than a day ago.
func (db *DB) PruneSecurityLog(ctx context.Context, logBefore, devicesBefore time.Time) error {
	err := db.tx(ctx, func(tx *txn) error {
		for _, q := range []struct {
			sql string
			arg int64
		}{
			{`DELETE FROM auth_security_log WHERE created_at < $1`, ms(logBefore)},
			{`DELETE FROM auth_known_devices WHERE last_seen_at < $1`, ms(devicesBefore)},
			{`DELETE FROM auth_device_challenges WHERE expires_at < $1`, ms(db.Now().Add(-24 * time.Hour))},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.arg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: prune security log: %w", err)
	}
	return nil
}

// KnownDevice reports whether the device whose cookie hashes to
// deviceHash has signed in to the user's account before.
func (db *DB) KnownDevice(ctx context.Context, userID, deviceHash string) (bool, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_known_devices WHERE user_id = $1 AND device_hash = $2`,
		userID, deviceHash).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: known device: %w", err)
	}
	return n > 0, nil
}

// DeviceSignIn is what a completed sign-in records beside its session.
type DeviceSignIn = core.DeviceSignIn

// recordSignIn remembers the device, logs the sign-in and queues the
// new-device notice inside tx. It reports whether the device was new.
func (db *DB) recordSignIn(ctx context.Context, tx *txn, d DeviceSignIn) (bool, error) {
	now := ms(db.Now())
	fresh := false
	if d.DeviceHash != "" {
		res, err := tx.ExecContext(ctx, `INSERT INTO auth_known_devices (user_id, device_hash, user_agent, ip, first_seen_at, last_seen_at)
			VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (user_id, device_hash) DO NOTHING`, d.UserID, d.DeviceHash, d.UserAgent, d.IP, now)
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return false, err
		}
		fresh = n == 1
		if !fresh {
			if _, err := tx.ExecContext(ctx, `UPDATE auth_known_devices SET last_seen_at = $3, user_agent = $4, ip = $5
				WHERE user_id = $1 AND device_hash = $2`, d.UserID, d.DeviceHash, now, d.UserAgent, d.IP); err != nil {
				return false, err
			}
		}
	}
	detail := d.Detail
	if detail == "" && fresh {
		detail = "new_device"
	}
	err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: d.UserID, Kind: core.SecuritySignIn, Method: d.Method,
		IP: d.IP, UserAgent: d.UserAgent, Detail: detail})
	if err != nil {
		return false, err
	}
	if fresh {
		out := d.NewDeviceMail
		if out == nil && d.Notice != nil {
			if out, err = d.Notice(); err != nil {
				return false, err
			}
		}
		if err := db.enqueueOutgoing(ctx, tx, out); err != nil {
			return false, err
		}
	}
	return fresh, nil
}

// RecordSignIn records d for a session that already exists (one a
// passwordless flow or a sign-up created). It reports whether the device
// was new to the account.
func (db *DB) RecordSignIn(ctx context.Context, d DeviceSignIn) (bool, error) {
	var fresh bool
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		fresh, err = db.recordSignIn(ctx, tx, d)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: record sign-in: %w", err)
	}
	return fresh, nil
}

// CreateSignInSession creates the session of a completed sign-in and
// records d with it, in one transaction.
func (db *DB) CreateSignInSession(ctx context.Context, s core.Session, d DeviceSignIn) (core.Session, error) {
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		if s, err = db.createSession(ctx, tx, s); err != nil {
			return err
		}
		if d.ResetAttempts {
			if err := db.resetAttempts(ctx, tx, d.UserID); err != nil {
				return err
			}
		}
		_, err = db.recordSignIn(ctx, tx, d)
		return err
	})
	if err != nil {
		return core.Session{}, fmt.Errorf("store: create sign-in session: %w", err)
	}
	return s, nil
}

// DeviceChallenge is a pending verification of an unknown device.
type DeviceChallenge = core.DeviceChallenge

// CreateDeviceChallenge stores c and queues the message carrying its code
// (mail, or a text message for an account without an email), counted
// against limits ([core.ErrRateLimited] when one is reached: nothing is
// stored or sent).
func (db *DB) CreateDeviceChallenge(ctx context.Context, c DeviceChallenge, limits []core.SendLimit, out *core.Outgoing) error {
	err := db.tx(ctx, func(tx *txn) error {
		if err := db.countSends(ctx, tx, limits); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_device_challenges (id, user_id, device_hash, method, code_hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, c.UserID, c.DeviceHash, c.Method, c.CodeHash,
			ms(db.Now()), ms(c.ExpiresAt))
		if err != nil {
			return err
		}
		return db.enqueueOutgoing(ctx, tx, out)
	})
	if err != nil {
		return fmt.Errorf("store: create device challenge: %w", err)
	}
	return nil
}

// DeviceChallenge returns a pending or finished device challenge, or
// [core.ErrNotFound].
func (db *DB) DeviceChallenge(ctx context.Context, id string) (DeviceChallenge, error) {
	c, err := db.deviceChallenge(ctx, db.db, id)
	if err != nil {
		return c, fmt.Errorf("store: device challenge: %w", err)
	}
	return c, nil
}

func (db *DB) deviceChallenge(ctx context.Context, q querier, id string) (DeviceChallenge, error) {
	var c DeviceChallenge
	var created, expires int64
	var used sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, user_id, device_hash, method, code_hash, attempts, created_at, expires_at, used_at
		FROM auth_device_challenges WHERE id = $1`, id).Scan(&c.ID, &c.UserID, &c.DeviceHash, &c.Method,
		&c.CodeHash, &c.Attempts, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return c, core.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = fromMS(created), fromMS(expires), fromNullMS(used)
	return c, nil
}

// deviceCode is the code state of device challenge c: its attempts count
// the wrong codes of the held sign-in across resends (the record's
// Failures).
func deviceCode(c DeviceChallenge) core.OneTimeCode {
	return core.OneTimeCode{Hash: c.CodeHash, ExpiresAt: c.ExpiresAt, Failures: c.Attempts, UsedAt: c.UsedAt}
}

// applyDeviceCode applies rule to the code of device challenge id in tx
// and writes back what it returns, but not the code's use. A wrong code
// the rule counted goes to the user's security log. It returns the
// challenge, the record and the rule's verdict.
func (db *DB) applyDeviceCode(ctx context.Context, tx *txn, id string, rule core.CodeRule) (DeviceChallenge, core.OneTimeCode, error, error) {
	c, err := db.deviceChallenge(ctx, tx, id)
	if err != nil {
		return c, core.OneTimeCode{}, nil, err
	}
	rec := deviceCode(c)
	next, verdict := rule(rec)
	if next.Hash != rec.Hash || !next.ExpiresAt.Equal(rec.ExpiresAt) || next.Failures != rec.Failures {
		if _, err := tx.ExecContext(ctx, `UPDATE auth_device_challenges SET code_hash = $2, expires_at = $3, attempts = $4 WHERE id = $1`,
			id, next.Hash, ms(next.ExpiresAt), next.Failures); err != nil {
			return c, next, nil, err
		}
		c.CodeHash, c.ExpiresAt, c.Attempts = next.Hash, next.ExpiresAt.UTC().Truncate(time.Millisecond), next.Failures
	}
	if next.Attempts > rec.Attempts {
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: c.UserID, Kind: core.SecuritySignInFailed,
			Method: c.Method, Detail: core.SecurityFailureWrongDeviceCode}); err != nil {
			return c, next, nil, err
		}
	}
	return c, next, verdict, nil
}

// ReplaceDeviceCode applies rule, which issues a new code (the old one
// stops working), to device challenge id, writes back what it returns
// and, when the rule allows it, counts the message against limits and
// queues it, in one transaction: a reached limit is [core.ErrRateLimited]
// and changes nothing. An unknown challenge is [core.ErrNotFound]; the
// rule's refusal is returned as it is.
func (db *DB) ReplaceDeviceCode(ctx context.Context, id string, rule core.CodeRule, limits []core.SendLimit, out *core.Outgoing) (DeviceChallenge, error) {
	var c DeviceChallenge
	err := db.codeTx(ctx, func(tx *txn) (error, error) {
		var verdict, err error
		if c, _, verdict, err = db.applyDeviceCode(ctx, tx, id, rule); err != nil || verdict != nil {
			return verdict, err
		}
		if err := db.countSends(ctx, tx, limits); err != nil {
			return nil, err
		}
		return nil, db.enqueueOutgoing(ctx, tx, out)
	})
	if err != nil {
		return c, fmt.Errorf("store: replace device code: %w", err)
	}
	return c, nil
}

// UseDeviceChallenge applies rule, which checks the code presented, to
// device challenge id, and writes back what it returns: a refusal (a
// wrong code counted and logged to the user's security log, a used,
// expired or locked challenge) commits and is returned as it is. A code
// the rule accepts uses the challenge and, in the same transaction,
// creates sess and records d.
func (db *DB) UseDeviceChallenge(ctx context.Context, id string, rule core.CodeRule, sess core.Session, d DeviceSignIn) (DeviceChallenge, core.Session, error) {
	var c DeviceChallenge
	err := db.codeTx(ctx, func(tx *txn) (error, error) {
		var rec core.OneTimeCode
		var verdict, err error
		if c, rec, verdict, err = db.applyDeviceCode(ctx, tx, id, rule); err != nil || verdict != nil {
			return verdict, err
		}
		if rec.UsedAt == nil {
			return nil, fmt.Errorf("the rule accepted device challenge %s's code without using it", id)
		}
		if err := execOne(ctx, tx, `UPDATE auth_device_challenges SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, id, ms(*rec.UsedAt)); err != nil {
			return nil, err
		}
		c.UsedAt = rec.UsedAt
		if sess, err = db.createSession(ctx, tx, sess); err != nil {
			return nil, err
		}
		_, err = db.recordSignIn(ctx, tx, d)
		return nil, err
	})
	if err != nil {
		return c, core.Session{}, fmt.Errorf("store: use device challenge: %w", err)
	}
	return c, sess, nil
}

// revocation reports whether a session ended for reason belongs in the
// security log: a device signed out by someone or something else than the
// browser itself, not a sign-out or a sign-in held for another step.
func revocation(reason string) bool {
	switch reason {
	case "signed_out", "signed_in_again", "second_factor_required", "device_verification_required", "user_deleted":
		return false
	}
	return true
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// Multi-factor authentication (see package mfa, whose Store interface *DB
// implements): TOTP secrets, the last accepted step, backup codes and the
// per-account count of failed second-factor attempts.

// PutPendingTOTP stores a sealed secret awaiting its first valid code,
// replacing any earlier pending secret of the user.
func (db *DB) PutPendingTOTP(ctx context.Context, userID string, sealed []byte) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO auth_mfa (user_id, pending_secret, pending_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret, pending_at = excluded.pending_at`,
		userID, sealed, ms(db.Now()))
	if err != nil {
		return fmt.Errorf("store: put pending totp: %w", err)
	}
	return nil
}

// SetSMSFactor turns text message codes as a second factor on or off for
// the user. Turning on also stores codeHashes as the user's backup codes
// when any are given (a user without other factors gets a first set).
// notice, if not nil, is queued in the same transaction.
func (db *DB) SetSMSFactor(ctx context.Context, userID string, on bool, codeHashes [][]byte, notice *core.Outgoing) error {
	err := db.tx(ctx, func(tx *txn) error {
		var at any
		if on {
			at = ms(db.Now())
		}
		kind := core.SecurityMFADisabled
		if on {
			kind = core.SecurityMFAEnabled
		}
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: userID, Kind: kind, Detail: "sms"}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_mfa (user_id, sms_enabled_at) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET sms_enabled_at = excluded.sms_enabled_at`, userID, at); err != nil {
			return err
		}
		if on && len(codeHashes) > 0 {
			if err := replaceBackupCodes(ctx, tx, userID, codeHashes, db.Now()); err != nil {
				return err
			}
		}
		if !on { // without any second factor left, the backup codes go too
			if _, err := tx.ExecContext(ctx, `DELETE FROM auth_backup_codes WHERE user_id = $1
				AND NOT EXISTS (SELECT 1 FROM auth_mfa WHERE user_id = $1 AND totp_secret IS NOT NULL)`, userID); err != nil {
				return err
			}
		}
		return db.enqueueOutgoing(ctx, tx, notice)
	})
	if err != nil {
		return fmt.Errorf("store: set sms factor: %w", err)
	}
	return nil
}

// SMSFactor reports whether the user has text message codes on as a
// second factor.
func (db *DB) SMSFactor(ctx context.Context, userID string) (bool, error) {
	var at sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT sms_enabled_at FROM auth_mfa WHERE user_id = $1`, userID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: sms factor: %w", err)
	}
	return at.Valid, nil
}

// PendingTOTP returns the user's sealed pending secret and when it was
// stored, or [core.ErrNotFound].
func (db *DB) PendingTOTP(ctx context.Context, userID string) ([]byte, time.Time, error) {
	var sealed []byte
	var at sql.NullInt64
	err := db.db.QueryRowContext(ctx, `SELECT pending_secret, pending_at FROM auth_mfa WHERE user_id = $1`, userID).Scan(&sealed, &at)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && sealed == nil) {
		return nil, time.Time{}, fmt.Errorf("store: pending totp: %w", core.ErrNotFound)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: pending totp: %w", err)
	}
	return sealed, fromMS(at.Int64), nil
}

// ActivateTOTP makes the pending secret the user's TOTP secret, provided
// it is still the one given (sealed), with step as the last accepted step,
// and replaces the user's backup codes with codeHashes when any are given.
// It returns [core.ErrNotFound] when the pending secret changed or is gone.
// notice, if not nil, is queued in the same transaction.
func (db *DB) ActivateTOTP(ctx context.Context, userID string, sealed []byte, step int64, codeHashes [][]byte, notice *core.Outgoing) error {
	err := db.tx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE auth_mfa SET totp_secret = pending_secret, totp_last_step = $3,
				totp_enabled_at = $4, pending_secret = NULL, pending_at = NULL, failures = 0, locked_until = 0
			WHERE user_id = $1 AND pending_secret = $2`, userID, sealed, step, ms(db.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.ErrNotFound
		}
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: userID, Kind: core.SecurityMFAEnabled}); err != nil {
			return err
		}
		if len(codeHashes) > 0 {
			if err := replaceBackupCodes(ctx, tx, userID, codeHashes, db.Now()); err != nil {
				return err
			}
		}
		return db.enqueueOutgoing(ctx, tx, notice)
	})
	if err != nil {
		return fmt.Errorf("store: activate totp: %w", err)
	}
	return nil
}

// TOTPSecret returns the user's sealed active TOTP secret and the last
// accepted step, or [core.ErrNotFound] when TOTP is not enabled.
func (db *DB) TOTPSecret(ctx context.Context, userID string) ([]byte, int64, error) {
	var sealed []byte
	var step int64
	err := db.db.QueryRowContext(ctx, `SELECT totp_secret, totp_last_step FROM auth_mfa WHERE user_id = $1`, userID).Scan(&sealed, &step)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && sealed == nil) {
		return nil, 0, fmt.Errorf("store: totp secret: %w", core.ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: totp secret: %w", err)
	}
	return sealed, step, nil
}

// AdvanceTOTPStep records step as the user's last accepted TOTP step, in
// one statement, only when it is later than the one stored: of two
// requests presenting the same code, exactly one gets true.
func (db *DB) AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE auth_mfa SET totp_last_step = $2
		WHERE user_id = $1 AND totp_secret IS NOT NULL AND totp_last_step < $2`, userID, step)
	if err != nil {
		return false, fmt.Errorf("store: advance totp step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: advance totp step: %w", err)
	}
	return n == 1, nil
}

// DisableMFA removes the user's TOTP secret, pending secret, text message
// second factor and backup codes; notice, if not nil, is queued in the same transaction.
func (db *DB) DisableMFA(ctx context.Context, userID string, notice *core.Outgoing) error {
	err := db.tx(ctx, func(tx *txn) error {
		var on int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_mfa WHERE user_id = $1
			AND (totp_secret IS NOT NULL OR sms_enabled_at IS NOT NULL)`, userID).Scan(&on); err != nil {
			return err
		}
		if on > 0 {
			if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: userID, Kind: core.SecurityMFADisabled}); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_mfa SET totp_secret = NULL, totp_last_step = 0, totp_enabled_at = NULL,
				pending_secret = NULL, pending_at = NULL, sms_enabled_at = NULL WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_backup_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		return db.enqueueOutgoing(ctx, tx, notice)
	})
	if err != nil {
		return fmt.Errorf("store: disable mfa: %w", err)
	}
	return nil
}

func replaceBackupCodes(ctx context.Context, tx *txn, userID string, hashes [][]byte, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM auth_backup_codes WHERE user_id = $1`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_backup_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)`,
			userID, h, ms(now)); err != nil {
			return err
		}
	}
	return nil
}

// ReplaceBackupCodes replaces every backup code of the user (used or not)
// with the given hashes, in one transaction, with notice (if not nil).
func (db *DB) ReplaceBackupCodes(ctx context.Context, userID string, hashes [][]byte, notice *core.Outgoing) error {
	err := db.tx(ctx, func(tx *txn) error {
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: userID, Kind: core.SecurityBackupCodesRegenerated}); err != nil {
			return err
		}
		if err := replaceBackupCodes(ctx, tx, userID, hashes, db.Now()); err != nil {
			return err
		}
		return db.enqueueOutgoing(ctx, tx, notice)
	})
	if err != nil {
		return fmt.Errorf("store: replace backup codes: %w", err)
	}
	return nil
}

// UseBackupCode marks the user's unused backup code with this hash used,
// in one statement: of parallel uses of one code, exactly one gets true.
func (db *DB) UseBackupCode(ctx context.Context, userID string, hash []byte) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE auth_backup_codes SET used_at = $3
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash, ms(db.Now()))
	if err != nil {
		return false, fmt.Errorf("store: use backup code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: use backup code: %w", err)
	}
	return n == 1, nil
}

// BackupCodesLeft counts the user's unused backup codes.
func (db *DB) BackupCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_backup_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: backup codes left: %w", err)
	}
	return n, nil
}

// ReserveMFAAttempt counts one second-factor attempt against the user
// before it is checked, so parallel guesses cannot pass limit: when the
// count reaches limit the account's second factor is locked for lockFor.
// ok is false while locked (until says how long). The count lives in the
// database, so restarting the first factor does not reset it.
func (db *DB) ReserveMFAAttempt(ctx context.Context, userID string, limit int, lockFor time.Duration) (ok bool, until time.Time, err error) {
	now := db.Now()
	if _, err := db.db.ExecContext(ctx, `INSERT INTO auth_mfa (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING`, userID); err != nil {
		return false, time.Time{}, fmt.Errorf("store: reserve mfa attempt: %w", err)
	}
	var count int
	err = db.db.QueryRowContext(ctx, `UPDATE auth_mfa SET
			failures = CASE WHEN failures >= $2 THEN 1 ELSE failures + 1 END,
			locked_until = CASE WHEN (CASE WHEN failures >= $2 THEN 1 ELSE failures + 1 END) >= $2 THEN CAST($4 AS BIGINT) ELSE 0 END
		WHERE user_id = $1 AND locked_until <= $3
		RETURNING failures`, userID, limit, ms(now), ms(now.Add(lockFor))).Scan(&count)
	if errors.Is(err, sql.ErrNoRows) {
		var locked int64
		if err := db.db.QueryRowContext(ctx, `SELECT locked_until FROM auth_mfa WHERE user_id = $1`, userID).Scan(&locked); err != nil {
			return false, time.Time{}, fmt.Errorf("store: reserve mfa attempt: %w", err)
		}
		return false, fromMS(locked), nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("store: reserve mfa attempt: %w", err)
	}
	return true, time.Time{}, nil
}

// ResetMFAAttempts clears the user's second-factor failure count after a
// success.
func (db *DB) ResetMFAAttempts(ctx context.Context, userID string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE auth_mfa SET failures = 0, locked_until = 0
		WHERE user_id = $1 AND (failures <> 0 OR locked_until <> 0)`, userID)
	if err != nil {
		return fmt.Errorf("store: reset mfa attempts: %w", err)
	}
	return nil
}

// MFAFailures returns the user's current second-factor failure count, for
// tests and admin.
func (db *DB) MFAFailures(ctx context.Context, userID string) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT failures FROM auth_mfa WHERE user_id = $1`, userID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// SetReverified records that the device session proved its factors again
// at the store's current time.
func (db *DB) SetReverified(ctx context.Context, sessionID string) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO auth_reverifications (session_id, verified_at) VALUES ($1, $2)
		ON CONFLICT (session_id) DO UPDATE SET verified_at = excluded.verified_at`, sessionID, ms(db.Now()))
	if err != nil {
		return fmt.Errorf("store: set reverified: %w", err)
	}
	return nil
}

// ReverifiedAt returns when the device session last proved its factors
// again, or [core.ErrNotFound] when it never did.
func (db *DB) ReverifiedAt(ctx context.Context, sessionID string) (time.Time, error) {
	var at int64
	err := db.db.QueryRowContext(ctx, `SELECT verified_at FROM auth_reverifications WHERE session_id = $1`, sessionID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("store: reverified at: %w", core.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: reverified at: %w", err)
	}
	return fromMS(at), nil
}

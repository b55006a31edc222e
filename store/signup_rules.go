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

// SignUpSettings returns the sign-up restrictions an administrator saved,
// and false when none were saved (the configured ones apply).
func (db *DB) SignUpSettings(ctx context.Context) (core.SignUpSettings, bool, error) {
	var s core.SignUpSettings
	var allow, block string
	var updated int64
	err := db.db.QueryRowContext(ctx, `SELECT mode, allowlist, blocklist, updated_at FROM auth_signup_settings WHERE id = 1`).
		Scan(&s.Mode, &allow, &block, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("store: sign-up settings: %w", err)
	}
	s.Allowlist, s.Blocklist, s.UpdatedAt = splitLines(allow), splitLines(block), fromMS(updated)
	return s, true, nil
}

// PutSignUpSettings saves the sign-up restrictions, replacing the
// configured ones, and returns them as stored.
func (db *DB) PutSignUpSettings(ctx context.Context, s core.SignUpSettings) (core.SignUpSettings, error) {
	s.UpdatedAt = db.Now().UTC().Truncate(time.Millisecond)
	_, err := db.db.ExecContext(ctx, `INSERT INTO auth_signup_settings (id, mode, allowlist, blocklist, updated_at)
		VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET mode = $1, allowlist = $2, blocklist = $3, updated_at = $4`,
		string(s.Mode), strings.Join(s.Allowlist, "\n"), strings.Join(s.Blocklist, "\n"), ms(s.UpdatedAt))
	if err != nil {
		return s, fmt.Errorf("store: put sign-up settings: %w", err)
	}
	return s, nil
}

// ResetSignUpSettings forgets the saved sign-up restrictions: the
// configured ones apply again.
func (db *DB) ResetSignUpSettings(ctx context.Context) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM auth_signup_settings`); err != nil {
		return fmt.Errorf("store: reset sign-up settings: %w", err)
	}
	return nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// SignUpInvited reports whether email has a live invitation: a sign-up
// invitation, or a pending organization invitation.
func (db *DB) SignUpInvited(ctx context.Context, email string) (bool, error) {
	key, now := EmailKey(email), ms(db.Now())
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM auth_signup_invitations WHERE email_key = $1 AND expires_at > $2) +
		(SELECT COUNT(*) FROM auth_org_invitations WHERE email_key = $1 AND status = 'pending' AND expires_at > $2)`,
		key, now).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: sign-up invited: %w", err)
	}
	return n > 0, nil
}

// InviteToSignUp lets email sign up until expires, whatever the sign-up
// mode, and queues mail (may be nil), in one transaction. Inviting an
// address again moves its expiry.
func (db *DB) InviteToSignUp(ctx context.Context, email string, expires time.Time, mail *OutMail) error {
	err := db.tx(ctx, func(tx *txn) error { return db.inviteToSignUp(ctx, tx, email, expires, mail) })
	if err != nil {
		return fmt.Errorf("store: invite to sign up: %w", err)
	}
	return nil
}

func (db *DB) inviteToSignUp(ctx context.Context, tx *txn, email string, expires time.Time, mail *OutMail) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_signup_invitations (email_key, email, created_at, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (email_key) DO UPDATE SET email = $2, created_at = $3, expires_at = $4`,
		EmailKey(email), email, ms(db.Now()), ms(expires))
	if err != nil {
		return err
	}
	return db.enqueueMail(ctx, tx, mail)
}

// JoinWaitlist adds email to the waitlist. An address already on it keeps
// its entry and place, whatever its state, so joining twice changes
// nothing and answers the same.
func (db *DB) JoinWaitlist(ctx context.Context, email, name string) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO auth_waitlist (id, email, email_key, name, status, created_at)
		VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT (email_key) DO NOTHING`,
		core.NewID("wait"), email, EmailKey(email), name, ms(db.Now()))
	if err != nil {
		return fmt.Errorf("store: join waitlist: %w", err)
	}
	return nil
}

const waitlistColumns = `id, email, name, status, created_at, decided_at`

func scanWaitlist(sc interface{ Scan(...any) error }) (core.WaitlistEntry, error) {
	var e core.WaitlistEntry
	var created int64
	var decided sql.NullInt64
	if err := sc.Scan(&e.ID, &e.Email, &e.Name, &e.Status, &created, &decided); err != nil {
		return e, err
	}
	e.CreatedAt, e.DecidedAt = fromMS(created), fromNullMS(decided)
	return e, nil
}

// Waitlist returns the waitlist entries in status (all when empty),
// oldest first, at most limit.
func (db *DB) Waitlist(ctx context.Context, status string, limit int) ([]core.WaitlistEntry, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+waitlistColumns+` FROM auth_waitlist
		WHERE ($1 = '' OR status = $1) ORDER BY created_at, id LIMIT $2`, status, limit)
	if err != nil {
		return nil, fmt.Errorf("store: waitlist: %w", err)
	}
	defer rows.Close()
	var out []core.WaitlistEntry
	for rows.Next() {
		e, err := scanWaitlist(rows)
		if err != nil {
			return nil, fmt.Errorf("store: waitlist: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DecideWaitlist approves or rejects a pending waitlist entry. Approving
// invites its address until expires and queues mail (built by the caller
// from the entry), all in one transaction. An unknown entry is
// [core.ErrNotFound]; one decided already is [core.ErrConflict].
func (db *DB) DecideWaitlist(ctx context.Context, id string, approve bool, expires time.Time, mail func(core.WaitlistEntry) (*OutMail, error)) (core.WaitlistEntry, error) {
	var e core.WaitlistEntry
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		e, err = scanWaitlist(tx.QueryRowContext(ctx, `SELECT `+waitlistColumns+` FROM auth_waitlist WHERE id = $1`, id))
		if err != nil {
			return notFound(err)
		}
		if e.Status != core.WaitlistPending {
			return core.ErrConflict
		}
		now := db.Now().UTC().Truncate(time.Millisecond)
		e.Status, e.DecidedAt = core.WaitlistRejected, &now
		if approve {
			e.Status = core.WaitlistApproved
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_waitlist SET status = $2, decided_at = $3 WHERE id = $1`, id, e.Status, ms(now)); err != nil {
			return err
		}
		if !approve {
			return nil
		}
		m, err := mail(e)
		if err != nil {
			return err
		}
		return db.inviteToSignUp(ctx, tx, e.Email, expires, m)
	})
	if err != nil {
		return e, fmt.Errorf("store: decide waitlist: %w", err)
	}
	return e, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// Passwordless flows: one-time codes and magic links (see package
// passwordless, whose Store interface *DB implements), send caps and the
// SMS outbox.

const challengeColumns = `id, kind, purpose, channel, address, address_key, COALESCE(user_id, ''), secret_hash, name,
	redirect_url, allow_sign_up, same_device, requester, attempts, sends, created_at, expires_at, flow_expires_at,
	consumed_at, COALESCE(session_id, ''), waiter_claimed, match_code`

func scanChallenge(s scanner) (core.Challenge, error) {
	var c core.Challenge
	var created, expires, flowExpires int64
	var consumed sql.NullInt64
	err := s.Scan(&c.ID, &c.Kind, &c.Purpose, &c.Channel, &c.Address, &c.AddressKey, &c.UserID, &c.SecretHash, &c.Name,
		&c.RedirectURL, &c.AllowSignUp, &c.SameDevice, &c.Requester, &c.Attempts, &c.Sends, &created, &expires, &flowExpires,
		&consumed, &c.SessionID, &c.WaiterClaimed, &c.MatchCode)
	if errors.Is(err, sql.ErrNoRows) {
		return c, core.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.CreatedAt, c.ExpiresAt, c.FlowExpiresAt = fromMS(created), fromMS(expires), fromMS(flowExpires)
	c.ConsumedAt = fromNullMS(consumed)
	return c, nil
}

// countSends counts one message against every limit, or returns
// [core.ErrRateLimited] when any is reached (the caller's transaction is
// then rolled back, so nothing is counted).
func (db *DB) countSends(ctx context.Context, tx *txn, limits []core.SendLimit) error {
	now := db.Now()
	for _, l := range limits {
		if l.Max <= 0 || l.Window <= 0 {
			continue
		}
		start := now.UnixMilli() - now.UnixMilli()%l.Window.Milliseconds()
		var n int
		err := tx.QueryRowContext(ctx, `INSERT INTO auth_send_counts (key, window_start, count) VALUES ($1, $2, 1)
			ON CONFLICT (key, window_start) DO UPDATE SET count = auth_send_counts.count + 1
			WHERE auth_send_counts.count < $3
			RETURNING count`, l.Key, start, l.Max).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return core.ErrRateLimited
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// HitLimit counts one event for key in the window starting at start
// unless max are counted there already, and reports whether it counted it:
// a rate limit that every process on the database shares (see
// ratelimit.Counter). The counts are pruned with the send counts.
func (db *DB) HitLimit(ctx context.Context, key string, start time.Time, max int) (bool, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `INSERT INTO auth_send_counts (key, window_start, count) VALUES ($1, $2, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = auth_send_counts.count + 1
		WHERE auth_send_counts.count < $3
		RETURNING count`, key, ms(start), max).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: hit limit: %w", err)
	}
	return true, nil
}

// SendCount returns how many messages were counted for key in the window
// of the given length that holds now, for tests and admin.
func (db *DB) SendCount(ctx context.Context, key string, window time.Duration) (int, error) {
	now := db.Now().UnixMilli()
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT count FROM auth_send_counts WHERE key = $1 AND window_start = $2`,
		key, now-now%window.Milliseconds()).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

func (db *DB) enqueueOutgoing(ctx context.Context, tx *txn, out *core.Outgoing) error {
	if out == nil {
		return nil
	}
	if out.Channel == core.IdentifierPhone {
		now := ms(db.Now())
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO auth_sms_outbox (recipient, template, body, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, $4) RETURNING id`, out.To, out.Template, out.Body, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("enqueue sms: %w", err)
		}
		return db.insertEvent(ctx, tx, core.EventSMSCreated, outgoingEvent{ID: id, To: out.To, Template: out.Template})
	}
	return db.enqueueMail(ctx, tx, &OutMail{To: out.To, Template: out.Template, Body: out.Body})
}

// CreateChallenge stores a new flow, counts its message against limits
// and queues the message (out may be nil: nothing is sent), all in one
// transaction. A reached limit is [core.ErrRateLimited] and stores nothing.
func (db *DB) CreateChallenge(ctx context.Context, c core.Challenge, limits []core.SendLimit, out *core.Outgoing) error {
	err := db.tx(ctx, func(tx *txn) error {
		if err := db.countSends(ctx, tx, limits); err != nil {
			return err
		}
		var userID any
		if c.UserID != "" {
			userID = c.UserID
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_challenges (id, kind, purpose, channel, address, address_key, user_id,
			secret_hash, name, redirect_url, allow_sign_up, same_device, requester, created_at, expires_at, flow_expires_at,
			match_code)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			c.ID, c.Kind, c.Purpose, c.Channel, c.Address, c.AddressKey, userID, c.SecretHash, c.Name, c.RedirectURL,
			c.AllowSignUp, c.SameDevice, c.Requester, ms(db.Now()), ms(c.ExpiresAt), ms(c.FlowExpiresAt), c.MatchCode)
		if err != nil {
			if isUnique(err) {
				return core.ErrConflict
			}
			return err
		}
		return db.enqueueOutgoing(ctx, tx, out)
	})
	if err != nil {
		return fmt.Errorf("store: create challenge: %w", err)
	}
	return nil
}

// ReplaceChallengeSecret applies rule, which issues a new code or link in
// flow id (the old one stops working), to the flow and its code state, and
// writes back what it returns. When the rule allows it, the message is
// counted against limits and queued, in the same transaction; a reached
// limit is [core.ErrRateLimited] and changes nothing. An unknown flow is
// [core.ErrNotFound]; the rule's refusal is returned as it is.
func (db *DB) ReplaceChallengeSecret(ctx context.Context, id string, rule core.ChallengeRule,
	limits []core.SendLimit, out *core.Outgoing) (core.Challenge, error) {
	var c core.Challenge
	err := db.codeTx(ctx, func(tx *txn) (error, error) {
		var failures int
		var lockedUntil int64
		var own owner
		var err error
		c, err = scanChallenge(scanExtra{tx.QueryRowContext(ctx, consumeQuery+`c.id = $1`, id),
			[]any{&failures, &lockedUntil, &own.userID, &own.verified}})
		if err != nil {
			return nil, err
		}
		rec := challengeCode(c, failures, lockedUntil)
		next, verdict := rule(c, rec)
		if err := db.saveChallengeCode(ctx, tx, c, rec, next); err != nil {
			return nil, err
		}
		if verdict != nil {
			return verdict, nil
		}
		if err := db.countSends(ctx, tx, limits); err != nil {
			return nil, err
		}
		c = withCode(c, next)
		return nil, db.enqueueOutgoing(ctx, tx, out)
	})
	if err != nil {
		return core.Challenge{}, fmt.Errorf("store: replace challenge secret: %w", err)
	}
	return c, nil
}

// challengeCode is the code state of challenge c, with the failure count
// and lock of its address.
func challengeCode(c core.Challenge, failures int, lockedUntil int64) core.OneTimeCode {
	rec := c.OneTimeCode()
	rec.Failures, rec.LockedUntil = failures, fromMSOrZero(lockedUntil)
	return rec
}

// withCode returns c holding code state rec.
func withCode(c core.Challenge, rec core.OneTimeCode) core.Challenge {
	c.SecretHash, c.ExpiresAt, c.Attempts, c.Sends = rec.Hash, rec.ExpiresAt.UTC().Truncate(time.Millisecond), rec.Attempts, rec.Sends
	c.ConsumedAt = nil
	if rec.UsedAt != nil {
		t := rec.UsedAt.UTC().Truncate(time.Millisecond) // as read back
		c.ConsumedAt = &t
	}
	return c
}

// saveChallengeCode writes back what a rule changed of a challenge's code
// state, before and after: the challenge's secret, expiry and counts, and
// its address's failures (a cleared count removes the row). Using the
// challenge (UsedAt) is written by consumeChallenge with the rest of it.
func (db *DB) saveChallengeCode(ctx context.Context, tx *txn, c core.Challenge, before, after core.OneTimeCode) error {
	if after.Hash != before.Hash || !after.ExpiresAt.Equal(before.ExpiresAt) || after.Attempts != before.Attempts || after.Sends != before.Sends {
		if _, err := tx.ExecContext(ctx, `UPDATE auth_challenges SET secret_hash = $2, expires_at = $3, attempts = $4, sends = $5
			WHERE id = $1`, c.ID, after.Hash, ms(after.ExpiresAt), after.Attempts, after.Sends); err != nil {
			return err
		}
	}
	if after.Failures == before.Failures && after.LockedUntil.Equal(before.LockedUntil) {
		return nil
	}
	if after.Failures == 0 && after.LockedUntil.IsZero() {
		_, err := tx.ExecContext(ctx, `DELETE FROM auth_challenge_failures WHERE channel = $1 AND address_key = $2`, c.Channel, c.AddressKey)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_challenge_failures (channel, address_key, failures, locked_until, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, address_key) DO UPDATE SET
		failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
		c.Channel, c.AddressKey, after.Failures, msOrZero(after.LockedUntil), ms(db.Now()))
	return err
}

// Challenge returns a flow by id, used or not, or [core.ErrNotFound].
func (db *DB) Challenge(ctx context.Context, id string) (core.Challenge, error) {
	c, err := scanChallenge(db.db.QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM auth_challenges WHERE id = $1`, id))
	if err != nil {
		return c, fmt.Errorf("store: challenge: %w", err)
	}
	return c, nil
}

// ChallengeBySecret returns the flow whose current secret has this hash
// (a magic link's token), used or not, or [core.ErrNotFound].
func (db *DB) ChallengeBySecret(ctx context.Context, secretHash string) (core.Challenge, error) {
	c, err := scanChallenge(db.db.QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM auth_challenges WHERE secret_hash = $1`, secretHash))
	if err != nil {
		return c, fmt.Errorf("store: challenge by secret: %w", err)
	}
	return c, nil
}

// ChallengeFailures returns the consecutive failure count of an address
// on a channel, for tests and admin.
func (db *DB) ChallengeFailures(ctx context.Context, channel, addressKey string) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT failures FROM auth_challenge_failures WHERE channel = $1 AND address_key = $2`,
		channel, addressKey).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// ConsumeChallenge uses a challenge once, in one transaction. It finds
// the flow by a.FlowID (codes) or a.SecretHash (links; [core.ErrNotFound]
// when none has it) and applies a.Rule to it and its code state, the
// address's failure count included, writing back what the rule returns:
// a refusal (a wrong code counted, a used, expired or locked one) commits
// and is returned as it is.
//
// A code the rule accepts uses the flow and completes its purpose:
//   - PurposeSignIn: the user owning the address signs in. An unverified
//     address (an account created for it by someone who never proved it)
//     becomes verified, and that account's password and sessions are
//     removed, so whoever set them loses access. With no owner and
//     AllowSignUp, a user is created with the address verified.
//   - PurposeVerify: the address is added, verified, to the flow's user
//     (as the primary email if they have none). An address that another
//     user has is [core.ErrConflict].
//   - PurposeReverify: nothing changes; the address must still be a
//     verified address of the flow's user, or the flow is [core.ErrNotFound].
//
// When a.Session is set it is created for the user in the same
// transaction, and with it, when a.Admit asks for it, the sign-in's
// device, security log entry and new-device notice; when completing
// fails, nothing is written (a refusal of the code still counts).
func (db *DB) ConsumeChallenge(ctx context.Context, a core.ChallengeAttempt) (core.Completion, error) {
	var out core.Completion
	err := db.codeTx(ctx, func(tx *txn) (verdict, err error) {
		out, verdict, err = db.consumeChallenge(ctx, tx, a)
		return verdict, err
	})
	if err != nil {
		return core.Completion{}, fmt.Errorf("store: consume challenge: %w", err)
	}
	return out, nil
}

// consumeQuery reads, in one statement, a challenge with the failure
// count of its address and the identifier that address is, if any: the
// verification path is hot, and every statement inside the write
// transaction holds the database's write lock.
const consumeQuery = `SELECT c.id, c.kind, c.purpose, c.channel, c.address, c.address_key, COALESCE(c.user_id, ''), c.secret_hash,
	c.name, c.redirect_url, c.allow_sign_up, c.same_device, c.requester, c.attempts, c.sends, c.created_at, c.expires_at,
	c.flow_expires_at, c.consumed_at, COALESCE(c.session_id, ''), c.waiter_claimed, c.match_code,
	COALESCE(f.failures, 0), COALESCE(f.locked_until, 0), COALESCE(i.user_id, ''), i.verified_at
	FROM auth_challenges c
	LEFT JOIN auth_challenge_failures f ON f.channel = c.channel AND f.address_key = c.address_key
	LEFT JOIN auth_identifiers i ON i.kind = c.channel AND i.value_key = c.address_key
	WHERE `

// owner is the identifier a challenge's address is, if any.
type owner struct {
	userID   string
	verified sql.NullInt64
}

func (db *DB) consumeChallenge(ctx context.Context, tx *txn, a core.ChallengeAttempt) (out core.Completion, verdict, err error) {
	var row *sql.Row
	if a.FlowID != "" {
		row = tx.QueryRowContext(ctx, consumeQuery+`c.id = $1`, a.FlowID)
	} else {
		row = tx.QueryRowContext(ctx, consumeQuery+`c.secret_hash = $1`, a.SecretHash)
	}
	var failures int
	var lockedUntil int64
	var own owner
	c, err := scanChallenge(scanExtra{row, []any{&failures, &lockedUntil, &own.userID, &own.verified}})
	if err != nil {
		return out, nil, err
	}
	rec := challengeCode(c, failures, lockedUntil)
	next, verdict := a.Rule(c, rec)
	if err := db.saveChallengeCode(ctx, tx, c, rec, next); err != nil {
		return out, nil, err
	}
	if verdict != nil {
		return out, verdict, nil
	}
	if next.UsedAt == nil {
		return out, nil, fmt.Errorf("the rule accepted challenge %s without using it", c.ID)
	}

	switch c.Purpose {
	case core.PurposeSignIn:
		out, err = db.completeSignIn(ctx, tx, c, own)
	case core.PurposeVerify:
		out, err = db.completeVerify(ctx, tx, c)
	case core.PurposeReverify:
		out, err = db.completeReverify(ctx, tx, c, own)
	default:
		err = fmt.Errorf("unknown purpose %q", c.Purpose)
	}
	if err != nil {
		return out, nil, err
	}
	if a.Session != nil && c.Purpose == core.PurposeSignIn {
		s := *a.Session
		s.UserID = out.User.ID
		if s.AuthMethod == "" {
			s.AuthMethod = c.Kind
		}
		if out.Session, err = db.createSession(ctx, tx, s); err != nil {
			return out, nil, err
		}
		if a.Admit != nil {
			if d := a.Admit(out.User, out.Session, out.SignedUp); d != nil {
				if out.NewDevice, err = db.recordSignIn(ctx, tx, *d); err != nil {
					return out, nil, err
				}
				out.Admitted = true
			}
		}
	}
	if err := db.enqueueOutgoing(ctx, tx, a.Notice); err != nil {
		return out, nil, err
	}
	waiter := c.SameDevice || a.DeviceFlowID == c.ID // the asking browser itself used it
	res, err := tx.ExecContext(ctx, `UPDATE auth_challenges SET consumed_at = $2, user_id = $3,
		session_id = $4, waiter_claimed = $5 WHERE id = $1 AND consumed_at IS NULL`,
		c.ID, ms(*next.UsedAt), out.User.ID, nullString(out.Session.ID), waiter)
	if err != nil {
		return out, nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return out, nil, core.ErrUsed
	}
	c = withCode(c, next)
	c.UserID, c.SessionID, c.WaiterClaimed = out.User.ID, out.Session.ID, waiter
	out.Challenge = c
	return out, nil, nil
}

// scanExtra scans a challenge's columns followed by extra destinations.
type scanExtra struct {
	row   *sql.Row
	extra []any
}

func (s scanExtra) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// completeReverify checks that a reverification challenge's address is
// still a verified address of the flow's user, and changes nothing.
func (db *DB) completeReverify(ctx context.Context, tx *txn, c core.Challenge, own owner) (core.Completion, error) {
	if c.UserID == "" || own.userID != c.UserID || !own.verified.Valid {
		return core.Completion{}, core.ErrNotFound
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, c.UserID))
	if err != nil {
		return core.Completion{}, err
	}
	if u.Banned {
		return core.Completion{}, core.ErrBanned
	}
	return core.Completion{User: u}, nil
}

// completeSignIn finds or creates the user a sign-in challenge proved.
func (db *DB) completeSignIn(ctx context.Context, tx *txn, c core.Challenge, own owner) (core.Completion, error) {
	var out core.Completion
	userID, verified := own.userID, own.verified
	if userID == "" {
		if !c.AllowSignUp {
			return out, core.ErrSignUpClosed
		}
		u, err := db.createUserFor(ctx, tx, c.Channel, c.Address, c.Name)
		if err != nil {
			return out, err
		}
		// Pending password sign-ups for the address can never complete now.
		if c.Channel == core.IdentifierEmail {
			if _, err := tx.ExecContext(ctx, `DELETE FROM auth_signups WHERE email_key = $1`, c.AddressKey); err != nil {
				return out, err
			}
		}
		return core.Completion{User: u, SignedUp: true}, nil
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID))
	if err != nil {
		return out, err
	}
	if u.Banned {
		return out, core.ErrBanned
	}
	if !verified.Valid {
		if u, err = db.claimUnverified(ctx, tx, u, c); err != nil {
			return out, err
		}
		return core.Completion{User: u, Claimed: true}, nil
	}
	return core.Completion{User: u}, nil
}

// claimUnverified closes account pre-hijacking: the first proof of an
// address that an account holds unverified verifies it and removes the
// password and sessions someone else may have set up on it.
func (db *DB) claimUnverified(ctx context.Context, tx *txn, u core.User, c core.Challenge) (core.User, error) {
	now := ms(db.Now())
	if _, err := tx.ExecContext(ctx, `UPDATE auth_identifiers SET verified_at = $3 WHERE kind = $1 AND value_key = $2`,
		c.Channel, c.AddressKey, now); err != nil {
		return u, err
	}
	if c.Channel == core.IdentifierEmail && EmailKey(u.Email) == c.AddressKey {
		if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET email_verified = 1, updated_at = $2 WHERE id = $1`, u.ID, now); err != nil {
			return u, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM auth_passwords WHERE user_id = $1`, u.ID); err != nil {
		return u, err
	}
	if _, err := db.endUserSessions(ctx, tx, u.ID, "", "address_verified"); err != nil {
		return u, err
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, u.ID))
	if err != nil {
		return u, err
	}
	return u, db.insertEvent(ctx, tx, core.EventUserUpdated, u)
}

// completeVerify adds a proven address to the flow's user.
func (db *DB) completeVerify(ctx context.Context, tx *txn, c core.Challenge) (core.Completion, error) {
	var out core.Completion
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, c.UserID))
	if err != nil {
		return out, err
	}
	id, err := db.addIdentifier(ctx, tx, u, c.Channel, c.Address, c.AddressKey)
	if err != nil {
		return out, err
	}
	if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: u.ID, Kind: core.SecurityIdentifierAdded, Method: c.Channel, Detail: c.Address}); err != nil {
		return out, err
	}
	u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, c.UserID))
	if err != nil {
		return out, err
	}
	if err := db.insertEvent(ctx, tx, core.EventUserUpdated, u); err != nil {
		return out, err
	}
	return core.Completion{User: u, Identifier: id}, nil
}

// ClaimChallengeSession signs in the browser that asked for a magic link
// after the link was used in another browser: once per flow, and only for
// a sign-in flow that was used and is not same-device. It creates sess
// (UserID filled in) and returns the completion; a flow not yet used is
// [core.ErrNotFound], one already claimed [core.ErrUsed].
func (db *DB) ClaimChallengeSession(ctx context.Context, flowID string, sess core.Session) (core.Completion, error) {
	var out core.Completion
	err := db.tx(ctx, func(tx *txn) error {
		c, err := scanChallenge(tx.QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM auth_challenges WHERE id = $1`, flowID))
		if err != nil {
			return err
		}
		if c.Purpose != core.PurposeSignIn || c.ConsumedAt == nil || c.UserID == "" {
			return core.ErrNotFound
		}
		if c.WaiterClaimed {
			return core.ErrUsed
		}
		if !db.Now().Before(c.FlowExpiresAt) {
			return core.ErrExpired
		}
		res, err := tx.ExecContext(ctx, `UPDATE auth_challenges SET waiter_claimed = 1 WHERE id = $1 AND waiter_claimed = 0`, flowID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.ErrUsed
		}
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, c.UserID))
		if err != nil {
			return err
		}
		if u.Banned {
			return core.ErrBanned
		}
		sess.UserID = u.ID
		s, err := db.createSession(ctx, tx, sess)
		if err != nil {
			return err
		}
		c.WaiterClaimed = true
		out = core.Completion{Challenge: c, User: u, Session: s}
		return nil
	})
	if err != nil {
		return core.Completion{}, fmt.Errorf("store: claim challenge session: %w", err)
	}
	return out, nil
}

// PrunePasswordless deletes flows that ended more than keep ago, send
// counts older than two days, and failure counts untouched for 30 days
// that hold no lock.
func (db *DB) PrunePasswordless(ctx context.Context, keep time.Duration) error {
	now := db.Now()
	err := db.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_challenges WHERE flow_expires_at <= $1`, ms(now.Add(-keep))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_send_counts WHERE window_start <= $1`, ms(now.Add(-48*time.Hour))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM auth_challenge_failures WHERE updated_at <= $1 AND locked_until <= $2`,
			ms(now.Add(-30*24*time.Hour)), ms(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: prune passwordless: %w", err)
	}
	return nil
}

// SMS outbox: the same shape and rules as the mail outbox.

// DueSMS leases up to limit pending text messages whose next attempt is
// due, like [DB.DueMail].
func (db *DB) DueSMS(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DueEnvelope, error) {
	return db.dueOutbox(ctx, "auth_sms_outbox", now, lease, limit)
}

// SMSSent marks a text message delivered, dropping its body unless
// keepBody is set.
func (db *DB) SMSSent(ctx context.Context, id int64, now time.Time, keepBody bool) error {
	return db.outboxSent(ctx, "auth_sms_outbox", id, now, keepBody)
}

// SMSSentAll marks several text messages delivered, in one write.
func (db *DB) SMSSentAll(ctx context.Context, ids []int64, now time.Time, keepBody bool) error {
	return db.outboxAllSent(ctx, "auth_sms_outbox", ids, now, keepBody)
}

// SMSFailed records a failed attempt; giveUp marks it failed for good.
func (db *DB) SMSFailed(ctx context.Context, id int64, attempts int, retryAt time.Time, lastErr string, giveUp bool) error {
	return db.outboxFailed(ctx, "auth_sms_outbox", id, attempts, retryAt, lastErr, giveUp)
}

// ListSMS returns the newest text messages first.
func (db *DB) ListSMS(ctx context.Context, limit int) ([]QueuedMail, error) {
	return db.listOutbox(ctx, "auth_sms_outbox", limit)
}

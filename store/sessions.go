package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

const sessionColumns = `s.id, s.user_id, s.auth_method, s.user_agent, s.ip, s.created_at, s.last_active_at, s.expires_at, s.ended_at, s.actor_id, s.actor_session_id`

type sessionScan struct {
	s                        core.Session
	created, active, expires int64
	ended                    sql.NullInt64
}

func (ss *sessionScan) dest() []any {
	return []any{&ss.s.ID, &ss.s.UserID, &ss.s.AuthMethod, &ss.s.UserAgent, &ss.s.IP, &ss.created, &ss.active, &ss.expires, &ss.ended, &ss.s.ActorID, &ss.s.ActorSessionID}
}

func (ss *sessionScan) session() core.Session {
	ss.s.CreatedAt, ss.s.LastActiveAt, ss.s.ExpiresAt = fromMS(ss.created), fromMS(ss.active), fromMS(ss.expires)
	ss.s.EndedAt = fromNullMS(ss.ended)
	return ss.s
}

// CreateSession records a signed-in device and writes session.created.
// ID, CreatedAt and LastActiveAt are filled in when empty.
func (db *DB) CreateSession(ctx context.Context, s core.Session) (core.Session, error) {
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		s, err = db.createSession(ctx, tx, s)
		return err
	})
	if err != nil {
		return core.Session{}, fmt.Errorf("store: create session: %w", err)
	}
	return s, nil
}

func (db *DB) createSession(ctx context.Context, tx *txn, s core.Session) (core.Session, error) {
	now := db.Now().UTC().Truncate(time.Millisecond)
	if s.ID == "" {
		s.ID = core.NewID("sess")
	}
	s.CreatedAt, s.LastActiveAt = now, now
	s.ExpiresAt = s.ExpiresAt.UTC().Truncate(time.Millisecond)
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_sessions (id, user_id, auth_method, user_agent, ip, created_at, last_active_at, expires_at,
		actor_id, actor_session_id) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)`,
		s.ID, s.UserID, s.AuthMethod, s.UserAgent, s.IP, ms(now), ms(s.ExpiresAt), s.ActorID, s.ActorSessionID)
	if err != nil {
		return s, err
	}
	return s, db.insertEvent(ctx, tx, core.EventSessionCreated, sessionEvent{ID: s.ID, UserID: s.UserID, AuthMethod: s.AuthMethod})
}

// Session returns one device session (ended or not), or [core.ErrNotFound].
func (db *DB) Session(ctx context.Context, id string) (core.Session, error) {
	var ss sessionScan
	err := db.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM auth_sessions s WHERE s.id = $1`, id).Scan(ss.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Session{}, fmt.Errorf("store: session: %w", core.ErrNotFound)
	}
	if err != nil {
		return core.Session{}, fmt.Errorf("store: session: %w", err)
	}
	return ss.session(), nil
}

// SessionByToken is the read behind every authenticated request: one
// indexed lookup from a cookie token's hash to its live session and user.
// It returns [core.ErrNotFound] when the token is unknown, expired, not
// signed in, or its session has ended. Idle timeout, absolute lifetime and
// bans are for the caller to judge from what is returned.
func (db *DB) SessionByToken(ctx context.Context, tokenHash string) (core.Session, core.User, error) {
	var ss sessionScan
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+`, `+sessionColumns+`
		FROM auth_session_tokens t
		JOIN auth_sessions s ON s.id = t.session_id
		JOIN auth_users u ON u.id = s.user_id
		WHERE t.token_hash = $1 AND t.expiry > $2 AND s.ended_at IS NULL`, tokenHash, ms(time.Now())), ss.dest()...)
	if err != nil {
		return core.Session{}, core.User{}, fmt.Errorf("store: session by token: %w", err)
	}
	return ss.session(), u, nil
}

// TouchSession moves a session's last activity to at.
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := db.db.ExecContext(ctx, `UPDATE auth_sessions SET last_active_at = $2 WHERE id = $1 AND last_active_at < $2`, id, ms(at))
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// ListSessions returns the user's sessions that have not ended or passed
// their absolute lifetime, most recently active first.
func (db *DB) ListSessions(ctx context.Context, userID string) ([]core.Session, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+sessionColumns+` FROM auth_sessions s
		WHERE s.user_id = $1 AND s.ended_at IS NULL AND s.expires_at > $2
		ORDER BY s.last_active_at DESC, s.created_at DESC`, userID, ms(db.Now()))
	if err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	defer rows.Close()
	var out []core.Session
	for rows.Next() {
		var ss sessionScan
		if err := rows.Scan(ss.dest()...); err != nil {
			return nil, fmt.Errorf("store: list sessions: %w", err)
		}
		out = append(out, ss.session())
	}
	return out, rows.Err()
}

// EndSession ends one session (sign-out or revoke), deletes the cookie
// tokens signed in as it, and writes session.ended. Ending an ended session
// is a no-op; an unknown one is [core.ErrNotFound].
func (db *DB) EndSession(ctx context.Context, id, reason string) error {
	err := db.tx(ctx, func(tx *txn) error {
		var userID string
		var ended sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT user_id, ended_at FROM auth_sessions WHERE id = $1`, id).Scan(&userID, &ended)
		if errors.Is(err, sql.ErrNoRows) {
			return core.ErrNotFound
		}
		if err != nil || ended.Valid {
			return err
		}
		return db.endSession(ctx, tx, id, userID, reason)
	})
	if err != nil {
		return fmt.Errorf("store: end session: %w", err)
	}
	return nil
}

func (db *DB) endSession(ctx context.Context, tx *txn, id, userID, reason string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE auth_sessions SET ended_at = $2, end_reason = $3 WHERE id = $1 AND ended_at IS NULL`,
		id, ms(db.Now()), reason); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM auth_session_tokens WHERE session_id = $1`, id); err != nil {
		return err
	}
	if revocation(reason) {
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: userID, Kind: core.SecuritySessionRevoked, Detail: reason}); err != nil {
			return err
		}
	}
	return db.insertEvent(ctx, tx, core.EventSessionEnded, sessionEvent{ID: id, UserID: userID, Reason: reason})
}

// EndUserSessions ends every live session of the user except exceptID
// (which may be empty) and returns the ids it ended.
func (db *DB) EndUserSessions(ctx context.Context, userID, exceptID, reason string) ([]string, error) {
	var ended []string
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		ended, err = db.endUserSessions(ctx, tx, userID, exceptID, reason)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: end user sessions: %w", err)
	}
	return ended, nil
}

func (db *DB) endUserSessions(ctx context.Context, tx *txn, userID, exceptID, reason string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM auth_sessions WHERE user_id = $1 AND ended_at IS NULL AND id <> $2`, userID, exceptID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := db.endSession(ctx, tx, id, userID, reason); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// FindToken returns the browser-session data stored under a cookie token's
// hash. An unknown or expired token is (nil, false, nil). Cookie-token
// expiry is wall-clock time, as scs computes it.
func (db *DB) FindToken(ctx context.Context, tokenHash string) ([]byte, bool, error) {
	var b []byte
	err := db.db.QueryRowContext(ctx, `SELECT data FROM auth_session_tokens WHERE token_hash = $1 AND expiry > $2`,
		tokenHash, ms(time.Now())).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: find token: %w", err)
	}
	return b, true, nil
}

// CommitToken stores browser-session data under a cookie token's hash,
// signed in as sessionID (empty when signed out). A stored token's expiry
// never moves later: scs keeps one deadline for a token's whole life, and
// a token retired by [DB.RetireToken] must keep its short expiry when a
// request that was already under way with it commits.
func (db *DB) CommitToken(ctx context.Context, tokenHash string, data []byte, expiry time.Time, sessionID string) error {
	if err := commitToken(ctx, db.db, tokenHash, data, expiry, sessionID); err != nil {
		return fmt.Errorf("store: commit token: %w", err)
	}
	return nil
}

func commitToken(ctx context.Context, q execer, tokenHash string, data []byte, expiry time.Time, sessionID string) error {
	var sid any
	if sessionID != "" {
		sid = sessionID
	}
	_, err := q.ExecContext(ctx, `INSERT INTO auth_session_tokens (token_hash, data, expiry, session_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, session_id = excluded.session_id,
			expiry = CASE WHEN excluded.expiry < auth_session_tokens.expiry THEN excluded.expiry ELSE auth_session_tokens.expiry END`,
		tokenHash, data, ms(expiry), sid)
	return err
}

// DeleteToken forgets a cookie token. Unknown tokens are not an error.
func (db *DB) DeleteToken(ctx context.Context, tokenHash string) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM auth_session_tokens WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("store: delete token: %w", err)
	}
	return nil
}

// ReplaceToken is [DB.DeleteTokenAndRetired] of oldHash followed by
// [DB.CommitToken] of newHash, in one transaction: a sign-in's new cookie
// token replaces the browser's previous one in one write. It returns the
// session the old token was signed in as, "" if none.
func (db *DB) ReplaceToken(ctx context.Context, oldHash string, graceEnd time.Time, newHash string, data []byte, expiry time.Time, sessionID string) (string, error) {
	var old string
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		if old, err = deleteTokenAndRetired(ctx, tx, oldHash, graceEnd); err != nil {
			return err
		}
		return commitToken(ctx, tx, newHash, data, expiry, sessionID)
	})
	if err != nil {
		return "", fmt.Errorf("store: replace token: %w", err)
	}
	return old, nil
}

// DeleteTokenAndRetired forgets a cookie token, as a rotation that must
// end it at once does, and with it the tokens of the same session that
// end by graceEnd: those still in the grace [DB.RetireToken] gave them
// (and any about to expire anyway). It returns the session the token was
// signed in as, "" if none. Unknown tokens are not an error.
func (db *DB) DeleteTokenAndRetired(ctx context.Context, tokenHash string, graceEnd time.Time) (string, error) {
	var sid string
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		sid, err = deleteTokenAndRetired(ctx, tx, tokenHash, graceEnd)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: delete token: %w", err)
	}
	return sid, nil
}

func deleteTokenAndRetired(ctx context.Context, tx *txn, tokenHash string, graceEnd time.Time) (string, error) {
	var sid sql.NullString
	err := tx.QueryRowContext(ctx, `DELETE FROM auth_session_tokens WHERE token_hash = $1 RETURNING session_id`, tokenHash).Scan(&sid)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sid.Valid) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM auth_session_tokens WHERE session_id = $1 AND expiry <= $2`, sid.String, ms(graceEnd))
	return sid.String, err
}

// RetireToken shortens a cookie token's life so that it ends at until
// (wall-clock time, as scs computes expiry), unless it ends sooner: a
// token replaced by a new one stays usable for a short grace period.
// Ending its session still deletes it at once ([DB.EndSession]). Unknown
// tokens are not an error.
func (db *DB) RetireToken(ctx context.Context, tokenHash string, until time.Time) error {
	_, err := db.db.ExecContext(ctx, `UPDATE auth_session_tokens SET expiry = CASE WHEN expiry > $2 THEN $2 ELSE expiry END
		WHERE token_hash = $1`, tokenHash, ms(until))
	if err != nil {
		return fmt.Errorf("store: retire token: %w", err)
	}
	return nil
}

// Prune deletes what has expired: cookie tokens, pending sign-ups, one-time
// tokens, and sessions that ended or expired more than keep ago.
func (db *DB) Prune(ctx context.Context, keep time.Duration) error {
	now := db.Now()
	err := db.tx(ctx, func(tx *txn) error {
		for _, q := range []struct {
			sql string
			arg int64
		}{
			{`DELETE FROM auth_session_tokens WHERE expiry <= $1`, ms(time.Now())},
			{`DELETE FROM auth_signups WHERE expires_at <= $1`, ms(now)},
			{`DELETE FROM auth_tokens WHERE expires_at <= $1`, ms(now.Add(-keep))},
			{`DELETE FROM auth_sessions WHERE COALESCE(ended_at, expires_at) <= $1`, ms(now.Add(-keep))},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.arg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: prune: %w", err)
	}
	return nil
}

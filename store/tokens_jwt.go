package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// SigningKey is a JWT signing key. Private is sealed by the caller (the
// store never sees a private key in clear) and nil once the key is
// retired.
type SigningKey struct {
	ID        string
	Algorithm string
	PublicJWK []byte
	Private   []byte
	CreatedAt time.Time
	RetiredAt *time.Time
	ExpiresAt *time.Time
}

// SigningKeys returns the keys still published at now (not past their
// expiry), newest first.
func (db *DB) SigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, algorithm, public_jwk, private_key, created_at, retired_at, expires_at
		FROM auth_jwt_keys WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at DESC, rowid DESC`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("store: signing keys: %w", err)
	}
	defer rows.Close()
	var out []SigningKey
	for rows.Next() {
		var k SigningKey
		var pub string
		var created int64
		var retired, expires sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Algorithm, &pub, &k.Private, &created, &retired, &expires); err != nil {
			return nil, fmt.Errorf("store: signing keys: %w", err)
		}
		k.PublicJWK = []byte(pub)
		k.CreatedAt, k.RetiredAt, k.ExpiresAt = fromMS(created), fromNullMS(retired), fromNullMS(expires)
		out = append(out, k)
	}
	return out, rows.Err()
}

func (db *DB) insertSigningKey(ctx context.Context, tx *txn, k SigningKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_jwt_keys (id, algorithm, public_jwk, private_key, created_at)
		VALUES ($1, $2, $3, $4, $5)`, k.ID, k.Algorithm, string(k.PublicJWK), k.Private, ms(k.CreatedAt))
	return err
}

// InsertFirstSigningKey stores k unless a current (unretired) key exists,
// and reports whether it did. Processes starting at once on a new file
// therefore agree on one key.
func (db *DB) InsertFirstSigningKey(ctx context.Context, k SigningKey) (bool, error) {
	added := false
	err := db.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_jwt_keys WHERE retired_at IS NULL`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		added = true
		return db.insertSigningKey(ctx, tx, k)
	})
	if err != nil {
		return false, fmt.Errorf("store: insert first signing key: %w", err)
	}
	return added, nil
}

// RotateSigningKey retires every current key (it stops signing, drops its
// private key and stays published until now+keep) and stores k as the
// current key, in one transaction.
func (db *DB) RotateSigningKey(ctx context.Context, k SigningKey, now time.Time, keep time.Duration) error {
	err := db.tx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `UPDATE auth_jwt_keys SET retired_at = $1, expires_at = $2, private_key = NULL
			WHERE retired_at IS NULL`, ms(now), ms(now.Add(keep))); err != nil {
			return err
		}
		return db.insertSigningKey(ctx, tx, k)
	})
	if err != nil {
		return fmt.Errorf("store: rotate signing key: %w", err)
	}
	return nil
}

// JWTTemplate is a stored JWT template: its definition is JSON that the
// caller reads and writes; Secret (sealed by the caller) is its HS256
// key, if any.
type JWTTemplate struct {
	Name       string
	Definition []byte
	Secret     []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// JWTTemplates returns the stored templates by name.
func (db *DB) JWTTemplates(ctx context.Context) ([]JWTTemplate, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT name, definition, secret, created_at, updated_at FROM auth_jwt_templates ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: jwt templates: %w", err)
	}
	defer rows.Close()
	var out []JWTTemplate
	for rows.Next() {
		var t JWTTemplate
		var def string
		var created, updated int64
		if err := rows.Scan(&t.Name, &def, &t.Secret, &created, &updated); err != nil {
			return nil, fmt.Errorf("store: jwt templates: %w", err)
		}
		t.Definition = []byte(def)
		t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, t)
	}
	return out, rows.Err()
}

// PutJWTTemplate creates or replaces a template and reports whether it
// was created.
func (db *DB) PutJWTTemplate(ctx context.Context, t JWTTemplate) (created bool, err error) {
	now := ms(db.Now())
	err = db.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_jwt_templates WHERE name = $1`, t.Name).Scan(&n); err != nil {
			return err
		}
		created = n == 0
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_jwt_templates (name, definition, secret, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, secret = excluded.secret, updated_at = excluded.updated_at`,
			t.Name, string(t.Definition), t.Secret, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: put jwt template: %w", err)
	}
	return created, nil
}

// DeleteJWTTemplate deletes a template, or returns [core.ErrNotFound].
func (db *DB) DeleteJWTTemplate(ctx context.Context, name string) error {
	if err := execOne(ctx, db.db, `DELETE FROM auth_jwt_templates WHERE name = $1`, name); err != nil {
		return fmt.Errorf("store: delete jwt template: %w", err)
	}
	return nil
}

// LiveSession returns a session that has not ended, with its user: the
// read behind a bearer token, by the token's session id. An unknown or
// ended session is [core.ErrNotFound]; idle timeout, lifetime and bans are
// for the caller to judge.
func (db *DB) LiveSession(ctx context.Context, id string) (core.Session, core.User, error) {
	var ss sessionScan
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+`, `+sessionColumns+`
		FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id
		WHERE s.id = $1 AND s.ended_at IS NULL`, id), ss.dest()...)
	if err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return core.Session{}, core.User{}, fmt.Errorf("store: live session: %w", core.ErrNotFound)
		}
		return core.Session{}, core.User{}, fmt.Errorf("store: live session: %w", err)
	}
	return ss.session(), u, nil
}

// JWTTemplate returns one stored template, or [core.ErrNotFound].
func (db *DB) JWTTemplate(ctx context.Context, name string) (JWTTemplate, error) {
	t := JWTTemplate{Name: name}
	var def string
	var created, updated int64
	err := db.db.QueryRowContext(ctx, `SELECT definition, secret, created_at, updated_at FROM auth_jwt_templates WHERE name = $1`, name).
		Scan(&def, &t.Secret, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("store: jwt template: %w", core.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("store: jwt template: %w", err)
	}
	t.Definition = []byte(def)
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return t, nil
}

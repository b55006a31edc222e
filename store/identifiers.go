package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
)

// A user's email addresses and phone numbers. Every email of every user
// is unique in any case or Unicode form ([EmailKey]), primary or not;
// phone numbers are unique in E.164.

// ErrLastIdentifier means removing the identifier would leave its user
// with no way to sign in by address, or it is the primary email (choose
// another primary first).
var ErrLastIdentifier = core.ErrLastIdentifier

const identifierColumns = `id, user_id, kind, value, is_primary, verified_at, created_at`

func scanIdentifier(s scanner) (core.Identifier, error) {
	var id core.Identifier
	var verified sql.NullInt64
	var created int64
	if err := s.Scan(&id.ID, &id.UserID, &id.Kind, &id.Value, &id.Primary, &verified, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return id, core.ErrNotFound
		}
		return id, err
	}
	id.VerifiedAt = fromNullMS(verified)
	id.Verified = id.VerifiedAt != nil
	id.CreatedAt = fromMS(created)
	return id, nil
}

// IdentifierKey returns the form in which an address of kind is compared:
// [EmailKey] for emails, the number itself (already E.164) for phones.
func IdentifierKey(kind, value string) string {
	if kind == core.IdentifierEmail {
		return EmailKey(value)
	}
	return value
}

// phoneUserEmailKey fills auth_users.email_key (unique, not null) for a
// user who signed up with a phone number and has no email. It holds no
// "@", so no email's key can equal it.
func phoneUserEmailKey(phone string) string { return "phone:" + phone }

// createUserFor creates a user whose first identifier is the verified
// address, with user.created.
func (db *DB) createUserFor(ctx context.Context, tx *txn, channel, address, name string) (core.User, error) {
	if channel == core.IdentifierEmail {
		return db.createUser(ctx, tx, NewUser{Email: address, Name: name, EmailVerified: true})
	}
	now := db.Now()
	u := core.User{ID: core.NewID("user"), Name: name, CreatedAt: now.UTC().Truncate(time.Millisecond),
		UpdatedAt: now.UTC().Truncate(time.Millisecond), PublicMetadata: []byte("{}"), UnsafeMetadata: []byte("{}"),
		PrivateMetadata: []byte("{}")}
	if _, err := tx.ExecContext(ctx, `INSERT INTO auth_users (id, email, email_key, email_verified, name, created_at, updated_at)
		VALUES ($1, '', $2, 0, $3, $4, $4)`, u.ID, phoneUserEmailKey(address), name, ms(now)); err != nil {
		if isUnique(err) {
			return u, core.ErrConflict
		}
		return u, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO auth_identifiers (id, user_id, kind, value, value_key, is_primary, verified_at, created_at)
		VALUES ($1, $2, 'phone', $3, $3, 1, $4, $4)`, core.NewID("idn"), u.ID, address, ms(now)); err != nil {
		if isUnique(err) {
			return u, core.ErrConflict
		}
		return u, err
	}
	return u, db.insertEvent(ctx, tx, core.EventUserCreated, u)
}

// addIdentifier adds a verified address to u. The first email of a user
// without one becomes the primary email; the first phone, the primary
// phone.
func (db *DB) addIdentifier(ctx context.Context, tx *txn, u core.User, kind, value, key string) (core.Identifier, error) {
	now := db.Now()
	var owner string
	err := tx.QueryRowContext(ctx, `SELECT user_id FROM auth_identifiers WHERE kind = $1 AND value_key = $2`, kind, key).Scan(&owner)
	switch {
	case err == nil && owner != u.ID:
		return core.Identifier{}, core.ErrConflict
	case err == nil: // the user's own, perhaps unverified primary email
		if _, err := tx.ExecContext(ctx, `UPDATE auth_identifiers SET verified_at = COALESCE(verified_at, $3)
			WHERE kind = $1 AND value_key = $2`, kind, key, ms(now)); err != nil {
			return core.Identifier{}, err
		}
		if kind == core.IdentifierEmail && EmailKey(u.Email) == key && !u.EmailVerified {
			if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET email_verified = 1, updated_at = $2 WHERE id = $1`, u.ID, ms(now)); err != nil {
				return core.Identifier{}, err
			}
		}
		return scanIdentifier(tx.QueryRowContext(ctx, `SELECT `+identifierColumns+` FROM auth_identifiers WHERE kind = $1 AND value_key = $2`, kind, key))
	case !errors.Is(err, sql.ErrNoRows):
		return core.Identifier{}, err
	}
	if kind == core.IdentifierEmail {
		// An address some user holds as primary but that predates the
		// identifiers table cannot exist (the migration copied them), but a
		// primary email is unique in auth_users too: check it there as well.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_users WHERE email_key = $1`, key).Scan(&n); err != nil {
			return core.Identifier{}, err
		}
		if n > 0 {
			return core.Identifier{}, core.ErrConflict
		}
	}
	var primaries int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_identifiers WHERE user_id = $1 AND kind = $2 AND is_primary = 1`,
		u.ID, kind).Scan(&primaries); err != nil {
		return core.Identifier{}, err
	}
	id := core.Identifier{ID: core.NewID("idn"), UserID: u.ID, Kind: kind, Value: value, Verified: true, Primary: primaries == 0,
		CreatedAt: now.UTC().Truncate(time.Millisecond)}
	id.VerifiedAt = &id.CreatedAt
	if _, err := tx.ExecContext(ctx, `INSERT INTO auth_identifiers (id, user_id, kind, value, value_key, is_primary, verified_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, id.ID, u.ID, kind, value, key, id.Primary, ms(now)); err != nil {
		if isUnique(err) {
			return id, core.ErrConflict
		}
		return id, err
	}
	if kind == core.IdentifierEmail && id.Primary {
		if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET email = $2, email_key = $3, email_verified = 1, updated_at = $4
			WHERE id = $1`, u.ID, value, key, ms(now)); err != nil {
			if isUnique(err) {
				return id, core.ErrConflict
			}
			return id, err
		}
	}
	return id, nil
}

// Identifiers returns the user's email addresses and phone numbers,
// primary first, then oldest first.
func (db *DB) Identifiers(ctx context.Context, userID string) ([]core.Identifier, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+identifierColumns+` FROM auth_identifiers WHERE user_id = $1
		ORDER BY kind, is_primary DESC, created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: identifiers: %w", err)
	}
	defer rows.Close()
	var out []core.Identifier
	for rows.Next() {
		id, err := scanIdentifier(rows)
		if err != nil {
			return nil, fmt.Errorf("store: identifiers: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// UserByIdentifier returns the user an address belongs to, verified or
// not, with the identifier, or [core.ErrNotFound].
func (db *DB) UserByIdentifier(ctx context.Context, kind, value string) (core.User, core.Identifier, error) {
	var id core.Identifier
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+`, i.id, i.user_id, i.kind, i.value, i.is_primary,
		i.verified_at, i.created_at FROM auth_identifiers i JOIN auth_users u ON u.id = i.user_id
		WHERE i.kind = $1 AND i.value_key = $2`, kind, IdentifierKey(kind, value)), identifierDest(&id)...)
	if err != nil {
		return u, id, fmt.Errorf("store: user by identifier: %w", err)
	}
	return u, id, nil
}

// identifierDest scans identifier columns after a user's, fixing up the
// verified time afterwards is left to the caller via verifiedScan.
func identifierDest(id *core.Identifier) []any {
	return []any{&id.ID, &id.UserID, &id.Kind, &id.Value, &id.Primary, verifiedScan{id}, createdScan{id}}
}

type verifiedScan struct{ id *core.Identifier }

func (v verifiedScan) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	v.id.VerifiedAt = fromNullMS(n)
	v.id.Verified = n.Valid
	return nil
}

type createdScan struct{ id *core.Identifier }

func (c createdScan) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	c.id.CreatedAt = fromMS(n.Int64)
	return nil
}

// SetPrimaryIdentifier makes one of the user's verified identifiers the
// primary of its kind; a primary email also becomes User.Email. mail, if
// not nil, is queued in the same transaction. An identifier that is not
// the user's is [core.ErrNotFound]; an unverified one [core.ErrInvalidInput].
func (db *DB) SetPrimaryIdentifier(ctx context.Context, userID, id string, mail *OutMail) (core.User, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		idn, err := scanIdentifier(tx.QueryRowContext(ctx, `SELECT `+identifierColumns+` FROM auth_identifiers WHERE id = $1 AND user_id = $2`, id, userID))
		if err != nil {
			return err
		}
		if !idn.Verified {
			return core.ErrInvalidInput
		}
		now := ms(db.Now())
		if _, err := tx.ExecContext(ctx, `UPDATE auth_identifiers SET is_primary = CASE WHEN id = $3 THEN 1 ELSE 0 END
			WHERE user_id = $1 AND kind = $2`, userID, idn.Kind, id); err != nil {
			return err
		}
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: userID, Kind: core.SecurityPrimaryChanged, Method: idn.Kind, Detail: idn.Value}); err != nil {
			return err
		}
		if idn.Kind == core.IdentifierEmail {
			if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET email = $2, email_key = $3, email_verified = 1, updated_at = $4
				WHERE id = $1`, userID, idn.Value, EmailKey(idn.Value), now); err != nil {
				if isUnique(err) {
					return core.ErrConflict
				}
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET updated_at = $2 WHERE id = $1`, userID, now); err != nil {
			return err
		}
		if u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID)); err != nil {
			return err
		}
		if err := db.enqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return core.User{}, fmt.Errorf("store: set primary identifier: %w", err)
	}
	return u, nil
}

// RemoveIdentifier removes one of the user's identifiers. The primary
// email, and the last identifier of a user, cannot be removed
// ([ErrLastIdentifier]); another user's is [core.ErrNotFound]. mail, if
// not nil, is queued in the same transaction.
func (db *DB) RemoveIdentifier(ctx context.Context, userID, id string, mail *OutMail) (core.User, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		idn, err := scanIdentifier(tx.QueryRowContext(ctx, `SELECT `+identifierColumns+` FROM auth_identifiers WHERE id = $1 AND user_id = $2`, id, userID))
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_identifiers WHERE user_id = $1 AND verified_at IS NOT NULL AND id <> $2`,
			userID, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 || (idn.Kind == core.IdentifierEmail && idn.Primary) {
			return ErrLastIdentifier
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_identifiers WHERE id = $1`, id); err != nil {
			return err
		}
		if err := db.logSecurity(ctx, tx, core.SecurityEvent{UserID: userID, Kind: core.SecurityIdentifierRemoved, Method: idn.Kind, Detail: idn.Value}); err != nil {
			return err
		}
		if idn.Primary { // a primary phone: the oldest other phone takes over
			if _, err := tx.ExecContext(ctx, `UPDATE auth_identifiers SET is_primary = 1 WHERE id = (SELECT id FROM auth_identifiers
				WHERE user_id = $1 AND kind = $2 AND verified_at IS NOT NULL ORDER BY created_at, id LIMIT 1)`, userID, idn.Kind); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE auth_users SET updated_at = $2 WHERE id = $1`, userID, ms(db.Now())); err != nil {
			return err
		}
		if u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID)); err != nil {
			return err
		}
		if err := db.enqueueMail(ctx, tx, mail); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return core.User{}, fmt.Errorf("store: remove identifier: %w", err)
	}
	return u, nil
}

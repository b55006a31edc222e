package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/embedauth/auth/core"
)

// UserImage is a user's stored profile picture.
type UserImage struct {
	ContentType string
	Data        []byte
	// Version is when it was set (Unix ms), as core.User.ImageVersion.
	Version int64
}

// SetUserImage stores data (already checked and re-encoded) as the user's
// profile picture, replacing any, and writes user.updated, in one
// transaction. It returns the user with the new ImageVersion. An unknown
// user is [core.ErrNotFound].
func (db *DB) SetUserImage(ctx context.Context, userID, contentType string, data []byte) (core.User, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		now := ms(db.Now())
		var prev int64
		if err := tx.QueryRowContext(ctx, `SELECT image_version FROM auth_users WHERE id = $1`, userID).Scan(&prev); err != nil {
			return notFound(err)
		}
		version := max(now, prev+1) // a new URL even within one millisecond
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_user_images (user_id, content_type, data, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET content_type = excluded.content_type, data = excluded.data, updated_at = excluded.updated_at`,
			userID, contentType, data, now); err != nil {
			return err
		}
		if err := execOne(ctx, tx, `UPDATE auth_users SET image_version = $2, updated_at = $3 WHERE id = $1`, userID, version, now); err != nil {
			return err
		}
		var err error
		if u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID)); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return core.User{}, fmt.Errorf("store: set user image: %w", err)
	}
	return u, nil
}

// DeleteUserImage removes the user's profile picture and writes
// user.updated, in one transaction. A user without one is
// [core.ErrNotFound].
func (db *DB) DeleteUserImage(ctx context.Context, userID string) (core.User, error) {
	var u core.User
	err := db.tx(ctx, func(tx *txn) error {
		if err := execOne(ctx, tx, `DELETE FROM auth_user_images WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if err := execOne(ctx, tx, `UPDATE auth_users SET image_version = 0, updated_at = $2 WHERE id = $1`, userID, ms(db.Now())); err != nil {
			return err
		}
		var err error
		if u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM auth_users u WHERE u.id = $1`, userID)); err != nil {
			return err
		}
		return db.insertEvent(ctx, tx, core.EventUserUpdated, u)
	})
	if err != nil {
		return core.User{}, fmt.Errorf("store: delete user image: %w", err)
	}
	return u, nil
}

// UserImage returns a user's profile picture, or [core.ErrNotFound].
func (db *DB) UserImage(ctx context.Context, userID string) (UserImage, error) {
	var img UserImage
	err := db.db.QueryRowContext(ctx, `SELECT i.content_type, i.data, u.image_version FROM auth_user_images i
		JOIN auth_users u ON u.id = i.user_id WHERE i.user_id = $1`, userID).Scan(&img.ContentType, &img.Data, &img.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return img, core.ErrNotFound
	}
	if err != nil {
		return img, fmt.Errorf("store: user image: %w", err)
	}
	return img, nil
}

package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/embedauth/auth/internal/pgdriver"
)

// ErrUnfinishedCopy is returned by [OpenPostgres] and [OpenDB] for a
// PostgreSQL database that a copy from SQLite filled and did not finish
// (embedauth migrate-to without -finish; see package
// github.com/embedauth/auth/postgres): an app writing to it would lose
// its writes to the next copy.
var ErrUnfinishedCopy = errors.New("store: the PostgreSQL database is an unfinished copy of an SQLite database; " +
	"finish it (embedauth migrate-to -finish) before starting the app on it")

// refuseUnfinishedCopy returns [ErrUnfinishedCopy] for an unfinished copy.
func (db *DB) refuseUnfinishedCopy(ctx context.Context) error {
	var u bool
	if err := db.db.DB.QueryRowContext(ctx, pgdriver.IsUnfinishedCopy).Scan(&u); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	if u {
		return ErrUnfinishedCopy
	}
	return nil
}

package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/internal/pgdriver"
)

// Instances sharing a PostgreSQL database tell each other about changes
// that their in-memory caches must drop (a session ended, a user banned)
// through LISTEN/NOTIFY, on one channel per schema. On SQLite, Notify and
// Listen do nothing: the caches' time-to-live bounds what another process
// sees late.

// ErrNotifyUnsupported is returned by [DB.Listen] on SQLite.
var ErrNotifyUnsupported = errors.New("store: notifications need PostgreSQL")

// maxPayload is below PostgreSQL's 8000-byte limit on a notification.
const maxPayload = 7900

// channel returns the notification channel of the schema db uses.
func (db *DB) channel(ctx context.Context) (string, error) {
	db.chanOnce.Do(func() {
		var schema string
		db.chanErr = db.db.DB.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema)
		sum := sha256.Sum256([]byte(schema))
		db.chanName = "embedauth_" + hex.EncodeToString(sum[:8])
	})
	return db.chanName, db.chanErr
}

// Notify sends payload to every instance listening on db's database
// (see [DB.Listen]), including this one. It does nothing on SQLite.
func (db *DB) Notify(ctx context.Context, payload string) error {
	if !db.db.pg {
		return nil
	}
	if len(payload) > maxPayload {
		return fmt.Errorf("store: notify: payload of %d bytes", len(payload))
	}
	ch, err := db.channel(ctx)
	if err != nil {
		return fmt.Errorf("store: notify: %w", err)
	}
	if _, err := db.db.DB.ExecContext(ctx, `SELECT pg_notify($1, $2)`, ch, payload); err != nil {
		return fmt.Errorf("store: notify: %w", err)
	}
	return nil
}

// Listen calls fn with the payload of every notification sent with
// [DB.Notify] to db's database, in order, until ctx ends. It holds one
// connection of the pool. When the connection fails it connects again,
// and calls fn("") once listening again: notifications sent in between
// are lost, so fn should then drop everything it caches. ready, if not
// nil, is closed once the first LISTEN is in place. Listen returns
// ErrNotifyUnsupported at once on SQLite.
func (db *DB) Listen(ctx context.Context, ready chan<- struct{}, fn func(payload string)) error {
	if !db.db.pg {
		return ErrNotifyUnsupported
	}
	delay := 50 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, func() {
			if first {
				first = false
				if ready != nil {
					close(ready)
				}
			} else {
				fn("")
			}
			delay = 50 * time.Millisecond
		}, fn)
		if ctx.Err() != nil {
			break
		}
		_ = err // the connection failed: wait, connect again
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		delay = min(2*delay, 5*time.Second)
	}
	return ctx.Err()
}

// listenOnce listens on one connection until it fails or ctx ends.
func (db *DB) listenOnce(ctx context.Context, listening func(), fn func(string)) error {
	ch, err := db.channel(ctx)
	if err != nil {
		return err
	}
	conn, err := db.db.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		return pgdriver.Linked.Listen(ctx, dc, ch, listening, fn)
	})
}

package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/embedauth/auth/core"
)

// insertEvent writes one row of the events outbox inside tx, so the event
// exists exactly when the change it describes does.
func (db *DB) insertEvent(ctx context.Context, tx *txn, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO auth_events (id, type, data, created_at) VALUES ($1, $2, $3, $4)`,
		core.NewID("evt"), typ, string(b), ms(db.Now()))
	return err
}

// Events returns up to limit events, oldest first, optionally only those of
// type typ (empty for all).
func (db *DB) Events(ctx context.Context, typ string, limit int) ([]core.Event, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, type, data, created_at FROM auth_events
		WHERE ($1 = '' OR type = $1) ORDER BY created_at, rowid LIMIT $2`, typ, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []core.Event
	for rows.Next() {
		var e core.Event
		var data string
		var created int64
		if err := rows.Scan(&e.ID, &e.Type, &data, &created); err != nil {
			return nil, fmt.Errorf("store: events: %w", err)
		}
		e.Data = json.RawMessage(data)
		e.CreatedAt = fromMS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// sessionEvent is the data of session.created and session.ended events.
type sessionEvent struct {
	ID         string `json:"id"`
	UserID     string `json:"user_id"`
	AuthMethod string `json:"auth_method,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

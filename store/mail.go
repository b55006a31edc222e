package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/embedauth/auth/core"
)

// OutMail is a message to queue in the mail outbox. Body is opaque to the
// store: the caller seals it (it may carry a code or a link that must not be
// readable from the database file alone).
type OutMail struct {
	To       string
	Template string
	Body     []byte
}

// QueuedMail is one row of the mail outbox.
type QueuedMail struct {
	ID        int64
	To        string
	Template  string
	Body      []byte // nil once sent, unless KeepSentMail is set
	Status    string // "pending", "sent" or "failed"
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
}

// Mail statuses.
const (
	MailPending = "pending"
	MailSent    = "sent"
	MailFailed  = "failed"
)

func (db *DB) enqueueMail(ctx context.Context, tx *txn, m *OutMail) error {
	if m == nil {
		return nil
	}
	now := ms(db.Now())
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO auth_mail_outbox (recipient, template, body, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $4) RETURNING id`, m.To, m.Template, m.Body, now).Scan(&id)
	if err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	// The event names the message, never its body: bodies may carry codes.
	return db.insertEvent(ctx, tx, core.EventEmailCreated, outgoingEvent{ID: id, To: m.To, Template: m.Template})
}

// outgoingEvent is the data of email.created and sms.created events.
type outgoingEvent struct {
	ID       int64  `json:"id"`
	To       string `json:"to"`
	Template string `json:"template"`
}

// EnqueueMail queues one message on its own.
func (db *DB) EnqueueMail(ctx context.Context, m OutMail) error {
	return db.tx(ctx, func(tx *txn) error { return db.enqueueMail(ctx, tx, &m) })
}

// DueMail leases up to limit pending messages whose next attempt is due,
// oldest first: their next attempt moves to now+lease, so a concurrent
// dispatcher does not take them too.
func (db *DB) DueMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DueEnvelope, error) {
	return db.dueOutbox(ctx, "auth_mail_outbox", now, lease, limit)
}

// dueOutbox leases due messages of one outbox table (auth_mail_outbox or
// auth_sms_outbox, which share their shape), oldest first.
func (db *DB) dueOutbox(ctx context.Context, table string, now time.Time, lease time.Duration, limit int) ([]DueEnvelope, error) {
	var out []DueEnvelope
	err := db.leaseTx(ctx, func(tx *txn) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `UPDATE `+table+` SET next_attempt_at = $1
			WHERE id IN (SELECT id FROM `+table+` WHERE status = 'pending' AND next_attempt_at <= $2
			             ORDER BY next_attempt_at, id LIMIT $3`+db.db.skipLocked()+`)
			RETURNING id, recipient, body, attempts`, ms(now.Add(lease)), ms(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e DueEnvelope
			if err := rows.Scan(&e.ID, &e.To, &e.Body, &e.Attempts); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: due %s: %w", table, err)
	}
	// RETURNING gives no order; send the oldest first.
	slices.SortFunc(out, func(a, b DueEnvelope) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// DueEnvelope is a leased message.
type DueEnvelope struct {
	ID       int64
	To       string
	Body     []byte
	Attempts int
}

// MailSent marks a message delivered. Its body is dropped unless
// keepBody is set (the dev outbox shows bodies).
func (db *DB) MailSent(ctx context.Context, id int64, now time.Time, keepBody bool) error {
	return db.outboxSent(ctx, "auth_mail_outbox", id, now, keepBody)
}

func (db *DB) outboxSent(ctx context.Context, table string, id int64, now time.Time, keepBody bool) error {
	_, err := db.db.ExecContext(ctx, `UPDATE `+table+` SET status = 'sent', sent_at = $2, attempts = attempts + 1,
		body = CASE WHEN $3 <> 0 THEN body ELSE NULL END WHERE id = $1`, id, ms(now), keepBody)
	if err != nil {
		return fmt.Errorf("store: %s sent: %w", table, err)
	}
	return nil
}

// MailSentAll marks several messages delivered, in one write, as MailSent
// marks one.
func (db *DB) MailSentAll(ctx context.Context, ids []int64, now time.Time, keepBody bool) error {
	return db.outboxAllSent(ctx, "auth_mail_outbox", ids, now, keepBody)
}

func (db *DB) outboxAllSent(ctx context.Context, table string, ids []int64, now time.Time, keepBody bool) error {
	if len(ids) == 1 {
		return db.outboxSent(ctx, table, ids[0], now, keepBody)
	}
	err := db.tx(ctx, func(tx *txn) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET status = 'sent', sent_at = $2, attempts = attempts + 1,
				body = CASE WHEN $3 <> 0 THEN body ELSE NULL END WHERE id = $1`, id, ms(now), keepBody); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: %s sent: %w", table, err)
	}
	return nil
}

// MailFailed records a failed attempt; giveUp marks the message failed for
// good. It stays in the table either way.
func (db *DB) MailFailed(ctx context.Context, id int64, attempts int, retryAt time.Time, lastErr string, giveUp bool) error {
	return db.outboxFailed(ctx, "auth_mail_outbox", id, attempts, retryAt, lastErr, giveUp)
}

func (db *DB) outboxFailed(ctx context.Context, table string, id int64, attempts int, retryAt time.Time, lastErr string, giveUp bool) error {
	status := MailPending
	if giveUp {
		status = MailFailed
	}
	_, err := db.db.ExecContext(ctx, `UPDATE `+table+` SET status = $2, attempts = $3, next_attempt_at = $4, last_error = $5
		WHERE id = $1`, id, status, attempts, ms(retryAt), lastErr)
	if err != nil {
		return fmt.Errorf("store: %s failed: %w", table, err)
	}
	return nil
}

// ListMail returns the newest messages first.
func (db *DB) ListMail(ctx context.Context, limit int) ([]QueuedMail, error) {
	return db.listOutbox(ctx, "auth_mail_outbox", limit)
}

func (db *DB) listOutbox(ctx context.Context, table string, limit int) ([]QueuedMail, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, recipient, template, body, status, attempts, last_error, created_at, sent_at
		FROM `+table+` ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", table, err)
	}
	defer rows.Close()
	var out []QueuedMail
	for rows.Next() {
		var m QueuedMail
		var created int64
		var sent sql.NullInt64
		if err := rows.Scan(&m.ID, &m.To, &m.Template, &m.Body, &m.Status, &m.Attempts, &m.LastError, &created, &sent); err != nil {
			return nil, fmt.Errorf("store: list %s: %w", table, err)
		}
		m.CreatedAt = fromMS(created)
		m.SentAt = fromNullMS(sent)
		out = append(out, m)
	}
	return out, rows.Err()
}

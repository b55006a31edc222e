package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/embedauth/auth/core"
)

// Webhook message statuses.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"
)

// WebhookEndpoint is a receiver of webhooks. Secret and PreviousSecret are
// sealed by the caller.
type WebhookEndpoint = core.WebhookEndpointRecord

const endpointColumns = `id, url, description, event_types, enabled, disabled_reason, secret, previous_secret,
	previous_expires_at, failing_since, created_at, updated_at`

func scanEndpoint(s scanner) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	var types string
	var created, updated int64
	var prevExp, failing sql.NullInt64
	if err := s.Scan(&e.ID, &e.URL, &e.Description, &types, &e.Enabled, &e.DisabledReason, &e.Secret, &e.PreviousSecret,
		&prevExp, &failing, &created, &updated); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return e, core.ErrNotFound
		}
		return e, err
	}
	if err := json.Unmarshal([]byte(types), &e.EventTypes); err != nil {
		return e, fmt.Errorf("endpoint %s: event types: %w", e.ID, err)
	}
	e.PreviousExpiresAt, e.FailingSince = fromNullMS(prevExp), fromNullMS(failing)
	e.CreatedAt, e.UpdatedAt = fromMS(created), fromMS(updated)
	return e, nil
}

func eventTypesJSON(types []string) string {
	if types == nil {
		types = []string{}
	}
	b, _ := json.Marshal(types)
	return string(b)
}

// CreateWebhookEndpoint stores a new endpoint, enabled, and returns it with
// its id and times.
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) (WebhookEndpoint, error) {
	now := db.Now().UTC().Truncate(time.Millisecond)
	e.ID = core.NewID("ep")
	e.Enabled, e.DisabledReason, e.FailingSince = true, "", nil
	e.CreatedAt, e.UpdatedAt = now, now
	_, err := db.db.ExecContext(ctx, `INSERT INTO auth_webhook_endpoints (id, url, description, event_types, secret, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, e.ID, e.URL, e.Description, eventTypesJSON(e.EventTypes), e.Secret, ms(now))
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("store: create webhook endpoint: %w", err)
	}
	return e, nil
}

// WebhookEndpoint returns one endpoint, or [core.ErrNotFound].
func (db *DB) WebhookEndpoint(ctx context.Context, id string) (WebhookEndpoint, error) {
	e, err := scanEndpoint(db.db.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM auth_webhook_endpoints WHERE id = $1`, id))
	if err != nil {
		return e, fmt.Errorf("store: webhook endpoint: %w", err)
	}
	return e, nil
}

// WebhookEndpoints returns every endpoint, oldest first.
func (db *DB) WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+endpointColumns+` FROM auth_webhook_endpoints ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: webhook endpoints: %w", err)
	}
	defer rows.Close()
	var out []WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("store: webhook endpoints: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// WebhookEndpointUpdate lists the fields to change; nil fields stay.
type WebhookEndpointUpdate = core.WebhookEndpointUpdate

// UpdateWebhookEndpoint changes an endpoint, or returns [core.ErrNotFound].
func (db *DB) UpdateWebhookEndpoint(ctx context.Context, id string, up WebhookEndpointUpdate) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := db.tx(ctx, func(tx *txn) error {
		var err error
		e, err = scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM auth_webhook_endpoints WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if up.URL != nil {
			e.URL = *up.URL
		}
		if up.Description != nil {
			e.Description = *up.Description
		}
		if up.EventTypes != nil {
			e.EventTypes = slices.Clone(*up.EventTypes)
		}
		if up.Enabled != nil && *up.Enabled != e.Enabled {
			e.Enabled = *up.Enabled
			e.FailingSince = nil
			e.DisabledReason = ""
			if !e.Enabled {
				e.DisabledReason = "manual"
			}
		}
		e.UpdatedAt = db.Now().UTC().Truncate(time.Millisecond)
		var failing any
		if e.FailingSince != nil {
			failing = ms(*e.FailingSince)
		}
		_, err = tx.ExecContext(ctx, `UPDATE auth_webhook_endpoints SET url = $2, description = $3, event_types = $4, enabled = $5,
			disabled_reason = $6, failing_since = $7, updated_at = $8 WHERE id = $1`,
			id, e.URL, e.Description, eventTypesJSON(e.EventTypes), e.Enabled, e.DisabledReason, failing, ms(e.UpdatedAt))
		return err
	})
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("store: update webhook endpoint: %w", err)
	}
	return e, nil
}

// DeleteWebhookEndpoint deletes an endpoint with its messages and their
// log, or returns [core.ErrNotFound].
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	if err := execOne(ctx, db.db, `DELETE FROM auth_webhook_endpoints WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: delete webhook endpoint: %w", err)
	}
	return nil
}

// RotateWebhookSecret makes secret (sealed) the endpoint's secret; the
// current one becomes the previous secret, which still signs until
// previousUntil.
func (db *DB) RotateWebhookSecret(ctx context.Context, id string, secret []byte, previousUntil time.Time) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := db.tx(ctx, func(tx *txn) error {
		err := execOne(ctx, tx, `UPDATE auth_webhook_endpoints SET previous_secret = secret, previous_expires_at = $2,
			secret = $3, updated_at = $4 WHERE id = $1`, id, ms(previousUntil), secret, ms(db.Now()))
		if err != nil {
			return err
		}
		e, err = scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM auth_webhook_endpoints WHERE id = $1`, id))
		return err
	})
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("store: rotate webhook secret: %w", err)
	}
	return e, nil
}

// FanOutWebhooks takes up to limit events not yet handed to webhooks,
// oldest first, queues one pending message per enabled endpoint subscribed
// to each and created before it (due at now), and marks the events handed
// over, in one transaction. It returns how many events it took. An event committed
// before a crash is taken after the restart: nothing is lost between the
// change and its delivery.
func (db *DB) FanOutWebhooks(ctx context.Context, now time.Time, limit int) (int, error) {
	n := 0
	err := db.tx(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, type, created_at FROM auth_events WHERE delivered_at IS NULL ORDER BY created_at, rowid LIMIT $1`, limit)
		if err != nil {
			return err
		}
		type event struct {
			id, typ string
			at      int64
		}
		var events []event
		for rows.Next() {
			var e event
			if err := rows.Scan(&e.id, &e.typ, &e.at); err != nil {
				rows.Close()
				return err
			}
			events = append(events, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(events) == 0 {
			return err
		}
		n = len(events)
		rows, err = tx.QueryContext(ctx, `SELECT id, event_types, created_at FROM auth_webhook_endpoints WHERE enabled = 1 ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		type endpoint struct {
			id    string
			types []string
			since int64
		}
		var endpoints []endpoint
		for rows.Next() {
			var e endpoint
			var types string
			if err := rows.Scan(&e.id, &types, &e.since); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(types), &e.types); err != nil {
				rows.Close()
				return fmt.Errorf("endpoint %s: event types: %w", e.id, err)
			}
			endpoints = append(endpoints, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		insert, err := tx.PrepareContext(ctx, `INSERT INTO auth_webhook_messages (endpoint_id, event_id, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $3) ON CONFLICT (endpoint_id, event_id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer insert.Close()
		mark, err := tx.PrepareContext(ctx, `UPDATE auth_events SET delivered_at = $2 WHERE id = $1`)
		if err != nil {
			return err
		}
		defer mark.Close()
		for _, ev := range events {
			for _, ep := range endpoints {
				if ev.at < ep.since || (len(ep.types) > 0 && !slices.Contains(ep.types, ev.typ)) {
					continue // before the endpoint existed, or not subscribed
				}
				if _, err := insert.ExecContext(ctx, ep.id, ev.id, ms(now)); err != nil {
					return err
				}
			}
			if _, err := mark.ExecContext(ctx, ev.id, ms(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: fan out webhooks: %w", err)
	}
	return n, nil
}

// WebhookMessage is a message leased for delivery, with its event.
type WebhookMessage struct {
	ID        int64
	EventID   string
	EventType string
	EventData []byte
	EventAt   time.Time
	Attempts  int
}

// WebhookBatch is the due messages of one endpoint, oldest first.
type WebhookBatch struct {
	Endpoint WebhookEndpoint
	Messages []WebhookMessage
}

// DueWebhookBatches leases, for each enabled endpoint whose oldest pending
// message is due at now, up to perEndpoint of its oldest pending messages
// (stopping at the first one not yet due), until now+lease. Only the
// oldest pending message of an endpoint is ever due first, so each
// endpoint receives its messages in order.
func (db *DB) DueWebhookBatches(ctx context.Context, now time.Time, lease time.Duration, perEndpoint int) ([]WebhookBatch, error) {
	var out []WebhookBatch
	// Each endpoint is leased by one dispatcher at a time: on PostgreSQL
	// its row stays locked until the lease commits, and other dispatchers
	// skip it (SQLite's write transactions run one at a time anyway).
	err := db.leaseTx(ctx, func(tx *txn) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT `+endpointColumns+` FROM auth_webhook_endpoints e
			WHERE e.enabled = 1 AND (SELECT h.next_attempt_at FROM auth_webhook_messages h
				WHERE h.endpoint_id = e.id AND h.status = 'pending' ORDER BY h.id LIMIT 1) <= $1
			ORDER BY e.created_at, e.id`+db.db.skipLocked(), ms(now))
		if err != nil {
			return err
		}
		var endpoints []WebhookEndpoint
		for rows.Next() {
			e, err := scanEndpoint(rows)
			if err != nil {
				rows.Close()
				return err
			}
			endpoints = append(endpoints, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(endpoints) == 0 {
			return err
		}
		leaseStmt, err := tx.PrepareContext(ctx, `UPDATE auth_webhook_messages SET next_attempt_at = $2 WHERE id = $1`)
		if err != nil {
			return err
		}
		defer leaseStmt.Close()
		for _, e := range endpoints {
			rows, err := tx.QueryContext(ctx, `SELECT m.id, m.event_id, COALESCE(ev.type, ''), COALESCE(ev.data, '{}'),
				COALESCE(ev.created_at, m.created_at), m.attempts, m.next_attempt_at
				FROM auth_webhook_messages m LEFT JOIN auth_events ev ON ev.id = m.event_id
				WHERE m.endpoint_id = $1 AND m.status = 'pending' ORDER BY m.id LIMIT $2`, e.ID, perEndpoint)
			if err != nil {
				return err
			}
			b := WebhookBatch{Endpoint: e}
			for rows.Next() {
				var m WebhookMessage
				var data string
				var at, next int64
				if err := rows.Scan(&m.ID, &m.EventID, &m.EventType, &data, &at, &m.Attempts, &next); err != nil {
					rows.Close()
					return err
				}
				if next > ms(now) {
					break // keep the order: nothing after a message that is not due
				}
				m.EventData, m.EventAt = []byte(data), fromMS(at)
				b.Messages = append(b.Messages, m)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, m := range b.Messages {
				if _, err := leaseStmt.ExecContext(ctx, m.ID, ms(now.Add(lease))); err != nil {
					return err
				}
			}
			if len(b.Messages) > 0 {
				out = append(out, b)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: due webhooks: %w", err)
	}
	return out, nil
}

// WebhookAttempt is one delivery attempt.
type WebhookAttempt struct {
	MessageID  int64
	Number     int
	At         time.Time
	Duration   time.Duration
	StatusCode int
	Response   string
	Error      string
	Delivered  bool
}

// WebhookRetry schedules a message whose attempt failed.
type WebhookRetry struct {
	MessageID int64
	Attempts  int
	At        time.Time
	GiveUp    bool
}

// WebhookOutcome is what one delivery round did for one endpoint.
type WebhookOutcome struct {
	EndpointID   string
	Attempts     []WebhookAttempt
	Retry        *WebhookRetry
	Release      []int64
	FailingSince *time.Time
	Disable      string
}

// RecordWebhookOutcome stores a round's outcome in one transaction: the
// attempts in the log, delivered messages marked, the failed one
// rescheduled (or failed for good), unattempted ones released, and the
// endpoint's failure streak (and, when o.Disable is set, its disabling).
func (db *DB) RecordWebhookOutcome(ctx context.Context, now time.Time, o WebhookOutcome) error {
	err := db.tx(ctx, func(tx *txn) error {
		var last WebhookAttempt
		if len(o.Attempts) > 0 {
			// A round records up to a hundred attempts: parse each
			// statement once.
			logAttempt, err := tx.PrepareContext(ctx, `INSERT INTO auth_webhook_attempts (message_id, number, attempted_at, duration_ms, status_code, response, error)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`)
			if err != nil {
				return err
			}
			defer logAttempt.Close()
			delivered, err := tx.PrepareContext(ctx, `UPDATE auth_webhook_messages SET status = 'delivered', attempts = $2, delivered_at = $3,
				last_status = $4, last_error = '' WHERE id = $1`)
			if err != nil {
				return err
			}
			defer delivered.Close()
			for _, a := range o.Attempts {
				last = a
				if _, err := logAttempt.ExecContext(ctx, a.MessageID, a.Number, ms(a.At), a.Duration.Milliseconds(), a.StatusCode, a.Response, a.Error); err != nil {
					return err
				}
				if !a.Delivered {
					continue
				}
				if _, err := delivered.ExecContext(ctx, a.MessageID, a.Number, ms(a.At), a.StatusCode); err != nil {
					return err
				}
			}
		}
		if r := o.Retry; r != nil {
			status := WebhookPending
			if r.GiveUp {
				status = WebhookFailed
			}
			if _, err := tx.ExecContext(ctx, `UPDATE auth_webhook_messages SET status = $2, attempts = $3, next_attempt_at = $4,
				last_status = $5, last_error = $6 WHERE id = $1`, r.MessageID, status, r.Attempts, ms(r.At), last.StatusCode, last.Error); err != nil {
				return err
			}
		}
		for _, id := range o.Release {
			if _, err := tx.ExecContext(ctx, `UPDATE auth_webhook_messages SET next_attempt_at = $2 WHERE id = $1 AND status = 'pending'`,
				id, ms(now)); err != nil {
				return err
			}
		}
		if len(o.Attempts) > 0 {
			var failing any
			if o.FailingSince != nil {
				failing = ms(*o.FailingSince)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE auth_webhook_endpoints SET failing_since = $2 WHERE id = $1`, o.EndpointID, failing); err != nil {
				return err
			}
		}
		if o.Disable != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE auth_webhook_endpoints SET enabled = 0, disabled_reason = $2, updated_at = $3 WHERE id = $1`,
				o.EndpointID, o.Disable, ms(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: record webhook outcome: %w", err)
	}
	return nil
}

// WebhookDelivery is a message with its attempts, for the delivery log.
type WebhookDelivery = core.WebhookDeliveryRecord

// WebhookDeliveries returns an endpoint's newest messages first, with
// their attempts oldest first; status, when set, filters them.
func (db *DB) WebhookDeliveries(ctx context.Context, endpointID, status string, limit int) ([]WebhookDelivery, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT m.id, m.endpoint_id, m.event_id, COALESCE(ev.type, ''), m.status, m.attempts,
		m.next_attempt_at, m.last_status, m.last_error, m.created_at, m.delivered_at
		FROM auth_webhook_messages m LEFT JOIN auth_events ev ON ev.id = m.event_id
		WHERE m.endpoint_id = $1 AND ($2 = '' OR m.status = $2) ORDER BY m.id DESC LIMIT $3`, endpointID, status, limit)
	if err != nil {
		return nil, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	var out []WebhookDelivery
	for rows.Next() {
		var d WebhookDelivery
		var next, created int64
		var delivered sql.NullInt64
		if err := rows.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.EventType, &d.Status, &d.Attempts, &next, &d.LastStatus,
			&d.LastError, &created, &delivered); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: webhook deliveries: %w", err)
		}
		if d.Status == WebhookPending {
			t := fromMS(next)
			d.NextAttemptAt = &t
		}
		d.CreatedAt, d.DeliveredAt = fromMS(created), fromNullMS(delivered)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	for i := range out {
		arows, err := db.db.QueryContext(ctx, `SELECT number, attempted_at, duration_ms, status_code, response, error
			FROM auth_webhook_attempts WHERE message_id = $1 ORDER BY id`, out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("store: webhook deliveries: %w", err)
		}
		for arows.Next() {
			var a core.WebhookAttempt
			var at int64
			if err := arows.Scan(&a.Number, &at, &a.DurationMS, &a.StatusCode, &a.Response, &a.Error); err != nil {
				arows.Close()
				return nil, fmt.Errorf("store: webhook deliveries: %w", err)
			}
			a.At = fromMS(at)
			out[i].Log = append(out[i].Log, a)
		}
		arows.Close()
		if err := arows.Err(); err != nil {
			return nil, fmt.Errorf("store: webhook deliveries: %w", err)
		}
	}
	return out, nil
}

// ReplayWebhookEvent queues an event for an endpoint again, due at now,
// whatever became of it before (the message is created if the endpoint
// never had it). An unknown endpoint or event is [core.ErrNotFound].
func (db *DB) ReplayWebhookEvent(ctx context.Context, endpointID, eventID string, now time.Time) error {
	err := db.tx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM auth_webhook_endpoints WHERE id = $1) *
			(SELECT COUNT(*) FROM auth_events WHERE id = $2)`, endpointID, eventID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return core.ErrNotFound
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_webhook_messages (endpoint_id, event_id, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $3) ON CONFLICT (endpoint_id, event_id) DO UPDATE SET status = 'pending', attempts = 0,
			next_attempt_at = excluded.next_attempt_at, last_error = '', delivered_at = NULL`, endpointID, eventID, ms(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: replay webhook event: %w", err)
	}
	return nil
}

// ReplayFailedWebhooks queues again, due at now, every message of the
// endpoint that failed for good and was created at or after since, and
// returns how many. An unknown endpoint is [core.ErrNotFound].
func (db *DB) ReplayFailedWebhooks(ctx context.Context, endpointID string, since, now time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx *txn) error {
		var found int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM auth_webhook_endpoints WHERE id = $1`, endpointID).Scan(&found); err != nil {
			return err
		}
		if found == 0 {
			return core.ErrNotFound
		}
		res, err := tx.ExecContext(ctx, `UPDATE auth_webhook_messages SET status = 'pending', attempts = 0, next_attempt_at = $3, last_error = ''
			WHERE endpoint_id = $1 AND status = 'failed' AND created_at >= $2`, endpointID, ms(since), ms(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: replay failed webhooks: %w", err)
	}
	return int(n), nil
}

// PruneWebhookLog deletes delivered and failed messages created before
// before, with their attempts.
func (db *DB) PruneWebhookLog(ctx context.Context, before time.Time) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM auth_webhook_messages WHERE status <> 'pending' AND created_at < $1`, ms(before)); err != nil {
		return fmt.Errorf("store: prune webhook log: %w", err)
	}
	return nil
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

func mustEndpoint(tb testing.TB, db *store.DB, types ...string) store.WebhookEndpoint {
	tb.Helper()
	e, err := db.CreateWebhookEndpoint(context.Background(), store.WebhookEndpoint{URL: "https://hooks.example.com/x", EventTypes: types, Secret: []byte("sealed")})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func dueIDs(tb testing.TB, db *store.DB, now time.Time, per int) map[string][]string {
	tb.Helper()
	batches, err := db.DueWebhookBatches(context.Background(), now, time.Minute, per)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]string{}
	for _, b := range batches {
		for _, m := range b.Messages {
			out[b.Endpoint.ID] = append(out[b.Endpoint.ID], m.EventType+"/"+m.EventID)
		}
	}
	return out
}

func TestWebhookEndpoints(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		db, clock := mustOpen(t)

		e := mustEndpoint(t, db, "user.created")
		if !e.Enabled || e.ID == "" || len(e.EventTypes) != 1 {
			t.Fatalf("created %+v", e)
		}
		off := false
		got, err := db.UpdateWebhookEndpoint(ctx, e.ID, store.WebhookEndpointUpdate{Enabled: &off})
		if err != nil || got.Enabled || got.DisabledReason != "manual" {
			t.Fatalf("disable = %+v, %v", got, err)
		}
		on, desc, types := true, "billing", []string{}
		got, err = db.UpdateWebhookEndpoint(ctx, e.ID, store.WebhookEndpointUpdate{Enabled: &on, Description: &desc, EventTypes: &types})
		if err != nil || !got.Enabled || got.DisabledReason != "" || got.Description != "billing" || len(got.EventTypes) != 0 {
			t.Fatalf("enable = %+v, %v", got, err)
		}
		until := clock.Now().Add(24 * time.Hour)
		got, err = db.RotateWebhookSecret(ctx, e.ID, []byte("sealed-2"), until)
		if err != nil || string(got.Secret) != "sealed-2" || string(got.PreviousSecret) != "sealed" || !got.PreviousExpiresAt.Equal(ms(until)) {
			t.Fatalf("rotate = %+v, %v", got, err)
		}
		list, err := db.WebhookEndpoints(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("list = %v, %v", list, err)
		}
		if err := db.DeleteWebhookEndpoint(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{
			"get":    func() error { _, err := db.WebhookEndpoint(ctx, e.ID); return err }(),
			"update": func() error { _, err := db.UpdateWebhookEndpoint(ctx, e.ID, store.WebhookEndpointUpdate{}); return err }(),
			"rotate": func() error { _, err := db.RotateWebhookSecret(ctx, e.ID, nil, until); return err }(),
			"delete": db.DeleteWebhookEndpoint(ctx, e.ID),
		} {
			if !errors.Is(err, core.ErrNotFound) {
				t.Errorf("%s after delete: %v, want ErrNotFound", name, err)
			}
		}
	})
}

func TestWebhookQueue(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()

		t.Run("FanOutBySubscription", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			mustCreateUser(t, db, "before@example.com") // before any endpoint: never sent
			if n, err := db.FanOutWebhooks(ctx, clock.Now(), 100); err != nil || n != 1 {
				t.Fatalf("fan out = %d, %v", n, err)
			}
			all := mustEndpoint(t, db)
			users := mustEndpoint(t, db, core.EventUserCreated)
			sessions := mustEndpoint(t, db, core.EventSessionCreated)
			u := mustCreateUser(t, db, "a@example.com")
			if _, err := db.CreateSession(ctx, core.Session{UserID: u.ID, AuthMethod: "password", ExpiresAt: clock.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if n, err := db.FanOutWebhooks(ctx, clock.Now(), 100); err != nil || n != 2 {
				t.Fatalf("fan out = %d, %v; want 2 events", n, err)
			}
			if n, err := db.FanOutWebhooks(ctx, clock.Now(), 100); err != nil || n != 0 {
				t.Fatalf("second fan out = %d, %v; want 0", n, err)
			}
			due := dueIDs(t, db, clock.Now(), 10)
			if len(due[all.ID]) != 2 || len(due[users.ID]) != 1 || len(due[sessions.ID]) != 1 {
				t.Fatalf("due = %v", due)
			}
			if countRows(t, db, "auth_events", "delivered_at IS NULL") != 0 {
				t.Fatal("events left unmarked")
			}
		})

		t.Run("InOrderOneHeadAtATime", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			e := mustEndpoint(t, db)
			for _, email := range []string{"1@example.com", "2@example.com", "3@example.com"} {
				mustCreateUser(t, db, email)
			}
			if _, err := db.FanOutWebhooks(ctx, clock.Now(), 100); err != nil {
				t.Fatal(err)
			}
			now := clock.Now()
			batches, err := db.DueWebhookBatches(ctx, now, time.Minute, 10)
			if err != nil || len(batches) != 1 || len(batches[0].Messages) != 3 {
				t.Fatalf("batches = %+v, %v", batches, err)
			}
			msgs := batches[0].Messages
			if !(msgs[0].ID < msgs[1].ID && msgs[1].ID < msgs[2].ID) || msgs[0].EventType != core.EventUserCreated || len(msgs[0].EventData) == 0 {
				t.Fatalf("messages = %+v", msgs)
			}
			// Leased: nothing is due again within the lease.
			if due := dueIDs(t, db, now.Add(59*time.Second), 10); len(due) != 0 {
				t.Fatalf("due during the lease: %v", due)
			}
			// The first is delivered, the second fails and is rescheduled; the
			// third is released but waits behind the second.
			err = db.RecordWebhookOutcome(ctx, now, store.WebhookOutcome{EndpointID: e.ID,
				Attempts: []store.WebhookAttempt{
					{MessageID: msgs[0].ID, Number: 1, At: now, StatusCode: 200, Delivered: true},
					{MessageID: msgs[1].ID, Number: 1, At: now, StatusCode: 503, Error: "status 503"},
				},
				Retry:        &store.WebhookRetry{MessageID: msgs[1].ID, Attempts: 1, At: now.Add(5 * time.Second)},
				Release:      []int64{msgs[2].ID},
				FailingSince: &now,
			})
			if err != nil {
				t.Fatal(err)
			}
			if due := dueIDs(t, db, now, 10); len(due) != 0 {
				t.Fatalf("due before the retry: %v (the third must wait behind the second)", due)
			}
			due, err := db.DueWebhookBatches(ctx, now.Add(5*time.Second), time.Minute, 10)
			if err != nil || len(due) != 1 || len(due[0].Messages) != 2 || due[0].Messages[0].ID != msgs[1].ID || due[0].Messages[0].Attempts != 1 {
				t.Fatalf("due at the retry = %+v, %v", due, err)
			}
			if due[0].Endpoint.FailingSince == nil || !due[0].Endpoint.FailingSince.Equal(ms(now)) {
				t.Fatalf("endpoint failing since %v, want %v", due[0].Endpoint.FailingSince, now)
			}
			log, err := db.WebhookDeliveries(ctx, e.ID, "", 10)
			if err != nil || len(log) != 3 || log[2].Status != store.WebhookDelivered || len(log[1].Log) != 1 || log[1].Log[0].StatusCode != 503 {
				t.Fatalf("log = %+v, %v", log, err)
			}
			// Give up on the second: it fails for good and can be replayed.
			if err := db.RecordWebhookOutcome(ctx, now, store.WebhookOutcome{EndpointID: e.ID, Disable: "gone",
				Retry: &store.WebhookRetry{MessageID: msgs[1].ID, Attempts: 8, GiveUp: true}, Release: []int64{msgs[2].ID}}); err != nil {
				t.Fatal(err)
			}
			if got, _ := db.WebhookEndpoint(ctx, e.ID); got.Enabled || got.DisabledReason != "gone" {
				t.Fatalf("endpoint after Disable = %+v", got)
			}
			if failed, _ := db.WebhookDeliveries(ctx, e.ID, store.WebhookFailed, 10); len(failed) != 1 || failed[0].ID != msgs[1].ID {
				t.Fatalf("failed = %+v", failed)
			}
			n, err := db.ReplayFailedWebhooks(ctx, e.ID, now.Add(-time.Hour), now)
			if err != nil || n != 1 {
				t.Fatalf("replay failed = %d, %v", n, err)
			}
			if err := db.ReplayWebhookEvent(ctx, e.ID, msgs[0].EventID, now); err != nil {
				t.Fatal(err)
			}
			if err := db.ReplayWebhookEvent(ctx, e.ID, "evt_unknown", now); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("replay unknown event: %v", err)
			}
			if pending, _ := db.WebhookDeliveries(ctx, e.ID, store.WebhookPending, 10); len(pending) != 3 {
				t.Fatalf("pending after replays = %d, want 3", len(pending))
			}
			// Disabled endpoints get nothing.
			if due := dueIDs(t, db, now, 10); len(due) != 0 {
				t.Fatalf("due to a disabled endpoint: %v", due)
			}
		})

		t.Run("Prune", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			e := mustEndpoint(t, db)
			mustCreateUser(t, db, "p@example.com")
			if _, err := db.FanOutWebhooks(ctx, clock.Now(), 100); err != nil {
				t.Fatal(err)
			}
			b, _ := db.DueWebhookBatches(ctx, clock.Now(), time.Minute, 10)
			m := b[0].Messages[0]
			if err := db.RecordWebhookOutcome(ctx, clock.Now(), store.WebhookOutcome{EndpointID: e.ID,
				Attempts: []store.WebhookAttempt{{MessageID: m.ID, Number: 1, At: clock.Now(), StatusCode: 204, Delivered: true}}}); err != nil {
				t.Fatal(err)
			}
			if err := db.PruneWebhookLog(ctx, clock.Now()); err != nil || countRows(t, db, "auth_webhook_messages", "") != 1 {
				t.Fatalf("prune kept nothing it should: %v", err)
			}
			if err := db.PruneWebhookLog(ctx, clock.Now().Add(time.Millisecond)); err != nil ||
				countRows(t, db, "auth_webhook_messages", "") != 0 || countRows(t, db, "auth_webhook_attempts", "") != 0 {
				t.Fatalf("prune left rows: %v", err)
			}
		})
	})
}

func TestWebhookQueue_Instances(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		// Two instances on one database lease at once: every message is
		// leased by one of them, and the other takes them over when the
		// lease of the first (which died) ends.
		path := filepath.Join(t.TempDir(), "auth.db")
		a, clock := mustOpenPath(t, path)
		b, _ := mustOpenPath(t, path)
		b.Now = clock.Now
		for range 4 {
			mustEndpoint(t, a)
		}
		for i := range 5 {
			mustCreateUser(t, a, fmt.Sprintf("u%d@example.com", i))
		}
		if _, err := a.FanOutWebhooks(ctx, clock.Now(), 100); err != nil {
			t.Fatal(err)
		}
		now := clock.Now()
		got := make([]map[string][]string, 2)
		errs := runAll(2, func(i int) error {
			batches, err := []*store.DB{a, b}[i].DueWebhookBatches(ctx, now, time.Minute, 10)
			got[i] = map[string][]string{}
			for _, bt := range batches {
				for _, m := range bt.Messages {
					got[i][bt.Endpoint.ID] = append(got[i][bt.Endpoint.ID], m.EventID)
				}
			}
			return err
		})
		seen := map[string]int{}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("instance %d: %v", i, err)
			}
			for ep, ids := range got[i] {
				for _, id := range ids {
					seen[ep+"/"+id]++
				}
			}
		}
		if len(seen) != 20 {
			t.Fatalf("leased %d distinct messages, want 20 (4 endpoints × 5 events): %v", len(seen), got)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("%s leased %d times", k, n)
			}
		}
		if due := dueIDs(t, b, now.Add(59*time.Second), 10); len(due) != 0 {
			t.Fatalf("due again during the lease: %v", due)
		}
		if due := dueIDs(t, b, now.Add(time.Minute), 10); len(due) != 4 {
			t.Fatalf("after the lease, %d endpoints due, want 4", len(due))
		}
	})
}

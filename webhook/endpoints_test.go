package webhook_test

// The rules of managing endpoints, over the real store on a temporary
// SQLite file with a fake clock: each refusal by its code, and the paths
// that succeed.

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/secretbox"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/webhook"
)

// endpointsEnv is an Endpoints over a fresh store.
type endpointsEnv struct {
	db    *store.DB
	svc   *webhook.Endpoints
	box   *secretbox.Box
	now   time.Time
	wakes int
}

func newEndpointsEnv(t *testing.T) *endpointsEnv {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := secretbox.New([]byte("the endpoint tests' sealing key."))
	if err != nil {
		t.Fatal(err)
	}
	env := &endpointsEnv{db: db, box: box, now: time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)}
	db.Now = func() time.Time { return env.now }
	guard := &webhook.Guard{LookupIP: func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "hooks.example.com":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		case "internal.example.com":
			return []netip.Addr{netip.MustParseAddr("10.0.0.8")}, nil
		}
		return nil, errors.New("no such host")
	}}
	env.svc = webhook.NewEndpoints(db, webhook.EndpointsConfig{Guard: guard, Sealer: box,
		Now: func() time.Time { return env.now }, Wake: func() { env.wakes++ }})
	return env
}

func (env *endpointsEnv) create(t *testing.T) (core.WebhookEndpoint, string) {
	t.Helper()
	e, secret, err := env.svc.Create(context.Background(), core.WebhookEndpointParams{URL: "https://hooks.example.com/in"})
	if err != nil {
		t.Fatal(err)
	}
	return e, secret
}

// wantRefusal fails unless err is a *core.Error of kind with code (and
// field, when given).
func wantRefusal(t *testing.T, err error, kind error, code, field string) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want the refusal %s", err, code)
	}
	if e.Code != code || !errors.Is(err, kind) || e.Field != field || e.Message == "" {
		t.Fatalf("refusal = {Code: %q, Field: %q, Message: %q} (%v), want code %q, field %q, kind %v",
			e.Code, e.Field, e.Message, err, code, field, kind)
	}
}

func TestEndpoints_Create(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		env := newEndpointsEnv(t)
		e, secret, err := env.svc.Create(ctx, core.WebhookEndpointParams{URL: " https://hooks.example.com/in ",
			Description: "  billing  ", EventTypes: []string{"user.deleted", "user.created", "user.deleted"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, webhook.SecretPrefix) {
			t.Fatalf("secret = %q, want the prefix %q", secret, webhook.SecretPrefix)
		}
		if e.ID == "" || e.URL != "https://hooks.example.com/in" || e.Description != "billing" || !e.Enabled ||
			strings.Join(e.EventTypes, ",") != "user.created,user.deleted" || e.SecretRotatedUntil != nil {
			t.Fatalf("endpoint = %+v", e)
		}
		got, err := env.svc.Secret(ctx, e.ID)
		if err != nil || got != secret {
			t.Fatalf("Secret = %q, %v; want the secret Create returned, %q", got, err, secret)
		}
		stored, err := env.db.WebhookEndpoint(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(stored.Secret), secret) {
			t.Fatal("the secret is stored in the clear")
		}
		list, err := env.svc.List(ctx)
		if err != nil || len(list) != 1 || list[0].ID != e.ID {
			t.Fatalf("List = %+v, %v", list, err)
		}
	})

	t.Run("AllEventTypesWhenNoneNamed", func(t *testing.T) {
		env := newEndpointsEnv(t)
		e, _ := env.create(t)
		if e.EventTypes == nil || len(e.EventTypes) != 0 {
			t.Fatalf("EventTypes = %#v, want an empty list", e.EventTypes)
		}
	})

	for _, tt := range []struct {
		name, code, field string
		p                 core.WebhookEndpointParams
	}{
		{"BadURL", "invalid_url", "url", core.WebhookEndpointParams{URL: "ftp://hooks.example.com/in"}},
		{"PlainHTTPToPublic", "invalid_url", "url", core.WebhookEndpointParams{URL: "http://hooks.example.com/in"}},
		{"ForbiddenAddress", "url_not_allowed", "url", core.WebhookEndpointParams{URL: "https://internal.example.com/in"}},
		{"ForbiddenLiteralAddress", "url_not_allowed", "url", core.WebhookEndpointParams{URL: "https://169.254.169.254/latest"}},
		{"UnknownEventType", "unknown_event_type", "event_types",
			core.WebhookEndpointParams{URL: "https://hooks.example.com/in", EventTypes: []string{"user.created", "user.exploded"}}},
		{"DescriptionTooLong", "invalid_description", "description",
			core.WebhookEndpointParams{URL: "https://hooks.example.com/in", Description: strings.Repeat("é", 501)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := newEndpointsEnv(t)
			_, secret, err := env.svc.Create(ctx, tt.p)
			wantRefusal(t, err, core.ErrInvalidInput, tt.code, tt.field)
			if secret != "" {
				t.Fatalf("a refused endpoint got a secret")
			}
			if list, _ := env.db.WebhookEndpoints(ctx); len(list) != 0 {
				t.Fatalf("a refused endpoint was stored: %+v", list)
			}
		})
	}

	t.Run("DescriptionAtTheLimit", func(t *testing.T) {
		env := newEndpointsEnv(t)
		if _, _, err := env.svc.Create(ctx, core.WebhookEndpointParams{URL: "https://hooks.example.com/in",
			Description: strings.Repeat("é", 500)}); err != nil {
			t.Fatalf("500 characters: %v", err)
		}
	})
}

func TestEndpoints_UnknownEndpoint(t *testing.T) {
	ctx := context.Background()
	env := newEndpointsEnv(t)
	on := true
	enable := core.WebhookEndpointUpdate{Enabled: &on}
	for name, err := range map[string]error{
		"Get":          func() error { _, err := env.svc.Get(ctx, "ep_unknown"); return err }(),
		"Update":       func() error { _, err := env.svc.Update(ctx, "ep_unknown", enable); return err }(),
		"Delete":       env.svc.Delete(ctx, "ep_unknown"),
		"Secret":       func() error { _, err := env.svc.Secret(ctx, "ep_unknown"); return err }(),
		"RotateSecret": func() error { _, err := env.svc.RotateSecret(ctx, "ep_unknown"); return err }(),
		"Deliveries":   func() error { _, err := env.svc.Deliveries(ctx, "ep_unknown", "", 10); return err }(),
		"Replay":       env.svc.Replay(ctx, "ep_unknown", "evt_unknown"),
		"ReplayFailed": func() error { _, err := env.svc.ReplayFailed(ctx, "ep_unknown", env.now.Add(-time.Hour)); return err }(),
	} {
		t.Run(name, func(t *testing.T) {
			wantRefusal(t, err, core.ErrNotFound, "endpoint_not_found", "")
			if !errors.Is(err, webhook.ErrEndpointNotFound) {
				t.Fatalf("err = %v, want webhook.ErrEndpointNotFound", err)
			}
		})
	}
	if env.wakes != 0 {
		t.Fatalf("the dispatcher was woken %d times for nothing", env.wakes)
	}
}

func TestEndpoints_Update(t *testing.T) {
	ctx := context.Background()

	t.Run("DisableThenReEnable", func(t *testing.T) {
		env := newEndpointsEnv(t)
		e, _ := env.create(t)
		off, on := false, true
		got, err := env.svc.Update(ctx, e.ID, core.WebhookEndpointUpdate{Enabled: &off})
		if err != nil || got.Enabled || got.DisabledReason != "manual" {
			t.Fatalf("disabled: %+v, %v", got, err)
		}
		wakes := env.wakes
		got, err = env.svc.Update(ctx, e.ID, core.WebhookEndpointUpdate{Enabled: &on})
		if err != nil || !got.Enabled || got.DisabledReason != "" {
			t.Fatalf("re-enabled: %+v, %v", got, err)
		}
		if env.wakes != wakes+1 {
			t.Fatal("re-enabling did not wake the dispatcher to resume the pending messages")
		}
		if stored, _ := env.svc.Get(ctx, e.ID); !stored.Enabled {
			t.Fatalf("Get after re-enabling = %+v", stored)
		}
	})

	t.Run("Fields", func(t *testing.T) {
		env := newEndpointsEnv(t)
		e, _ := env.create(t)
		url, desc, types := " https://hooks.example.com/v2 ", " orders ", []string{"session.ended"}
		got, err := env.svc.Update(ctx, e.ID, core.WebhookEndpointUpdate{URL: &url, Description: &desc, EventTypes: &types})
		if err != nil || got.URL != "https://hooks.example.com/v2" || got.Description != "orders" || strings.Join(got.EventTypes, ",") != "session.ended" {
			t.Fatalf("Update = %+v, %v", got, err)
		}
	})

	t.Run("Refusals", func(t *testing.T) {
		env := newEndpointsEnv(t)
		e, _ := env.create(t)
		bad, internal, long, types := "not a url", "https://internal.example.com/x", strings.Repeat("x", 501), []string{"nope"}
		_, err := env.svc.Update(ctx, e.ID, core.WebhookEndpointUpdate{URL: &bad})
		wantRefusal(t, err, core.ErrInvalidInput, "invalid_url", "url")
		_, err = env.svc.Update(ctx, e.ID, core.WebhookEndpointUpdate{URL: &internal})
		wantRefusal(t, err, core.ErrInvalidInput, "url_not_allowed", "url")
		_, err = env.svc.Update(ctx, e.ID, core.WebhookEndpointUpdate{EventTypes: &types})
		wantRefusal(t, err, core.ErrInvalidInput, "unknown_event_type", "event_types")
		_, err = env.svc.Update(ctx, e.ID, core.WebhookEndpointUpdate{Description: &long})
		wantRefusal(t, err, core.ErrInvalidInput, "invalid_description", "description")
		if got, _ := env.svc.Get(ctx, e.ID); got.URL != e.URL || got.Description != e.Description || len(got.EventTypes) != 0 {
			t.Fatalf("a refused update changed the endpoint: %+v", got)
		}
	})
}

func TestEndpoints_RotateSecret(t *testing.T) {
	ctx := context.Background()
	env := newEndpointsEnv(t)
	e, first := env.create(t)
	second, err := env.svc.RotateSecret(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || !strings.HasPrefix(second, webhook.SecretPrefix) {
		t.Fatalf("rotated secret = %q (first %q), want a new whsec_ secret", second, first)
	}
	if got, err := env.svc.Secret(ctx, e.ID); err != nil || got != second {
		t.Fatalf("Secret after rotation = %q, %v; want %q", got, err, second)
	}
	got, err := env.svc.Get(ctx, e.ID)
	if err != nil || got.SecretRotatedUntil == nil || !got.SecretRotatedUntil.Equal(env.now.Add(webhook.SecretOverlap)) {
		t.Fatalf("after rotation: %+v, %v; want SecretRotatedUntil now+%v", got, err, webhook.SecretOverlap)
	}

	// Both secrets sign during the overlap, the new one first; only the
	// new one after it.
	rec, err := env.db.WebhookEndpoint(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	newKey, _ := webhook.ParseSecret(second)
	oldKey, _ := webhook.ParseSecret(first)
	keys, err := env.svc.SigningKeys(rec, env.now)
	if err != nil || len(keys) != 2 || string(keys[0]) != string(newKey) || string(keys[1]) != string(oldKey) {
		t.Fatalf("keys during the overlap: %d keys, %v", len(keys), err)
	}
	env.now = env.now.Add(webhook.SecretOverlap)
	keys, err = env.svc.SigningKeys(rec, env.now)
	if err != nil || len(keys) != 1 || string(keys[0]) != string(newKey) {
		t.Fatalf("keys after the overlap: %d keys, %v", len(keys), err)
	}
	if got, _ := env.svc.Get(ctx, e.ID); got.SecretRotatedUntil != nil {
		t.Fatalf("SecretRotatedUntil after the overlap = %v, want none", got.SecretRotatedUntil)
	}
}

func TestEndpoints_Replay(t *testing.T) {
	ctx := context.Background()
	env := newEndpointsEnv(t)
	e, _ := env.create(t)
	env.now = env.now.Add(time.Second)
	if _, err := env.db.CreateUser(ctx, store.NewUser{Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	events, err := env.db.Events(ctx, core.EventUserCreated, 10)
	if err != nil || len(events) != 1 {
		t.Fatalf("events = %+v, %v", events, err)
	}

	t.Run("UnknownEvent", func(t *testing.T) {
		wakes := env.wakes
		err := env.svc.Replay(ctx, e.ID, "evt_unknown")
		wantRefusal(t, err, core.ErrNotFound, "event_not_found", "")
		if !errors.Is(err, webhook.ErrEventNotFound) {
			t.Fatalf("err = %v, want webhook.ErrEventNotFound", err)
		}
		if env.wakes != wakes {
			t.Fatal("a refused replay woke the dispatcher")
		}
	})

	t.Run("OK", func(t *testing.T) {
		wakes := env.wakes
		if err := env.svc.Replay(ctx, e.ID, events[0].ID); err != nil {
			t.Fatal(err)
		}
		if env.wakes != wakes+1 {
			t.Fatal("a replay did not wake the dispatcher")
		}
		list, err := env.svc.Deliveries(ctx, e.ID, "", 0)
		if err != nil || len(list) != 1 {
			t.Fatalf("Deliveries = %+v, %v", list, err)
		}
		d := list[0]
		if d.EventID != events[0].ID || d.EventType != core.EventUserCreated || d.Status != store.WebhookPending ||
			d.Attempts == nil || len(d.Attempts) != 0 || d.NextAttemptAt == nil {
			t.Fatalf("delivery = %+v", d)
		}
		if n, err := env.svc.ReplayFailed(ctx, e.ID, env.now.Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("ReplayFailed with nothing failed = %d, %v", n, err)
		}
	})
}

func TestEndpoints_Delete(t *testing.T) {
	ctx := context.Background()
	env := newEndpointsEnv(t)
	e, _ := env.create(t)
	if err := env.svc.Delete(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	_, err := env.svc.Get(ctx, e.ID)
	wantRefusal(t, err, core.ErrNotFound, "endpoint_not_found", "")
}

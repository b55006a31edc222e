package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/webhook"
)

// secretOverlap is how long a rotated-out endpoint secret keeps signing
// beside the new one.
const secretOverlap = 24 * time.Hour

// webhookState is the webhook side of an Auth.
type webhookState struct {
	guard      *webhook.Guard
	dispatcher *webhook.Dispatcher
}

func (a *Server) initWebhooks() error {
	s := a.s
	nets, err := parseNetworks(s.Webhooks.AllowedNetworks)
	if err != nil {
		return err
	}
	g := &webhook.Guard{Allowed: nets, LookupIP: s.Webhooks.LookupIP}
	a.hooks = &webhookState{guard: g, dispatcher: &webhook.Dispatcher{
		Outbox: webhookOutbox{a},
		Client: g.Client(webhook.DefaultTimeout),
		Now:    s.Now,
		Logger: s.Logger,
		Poll:   s.Webhooks.Poll,
	}}
	return nil
}

// startWebhooks runs the dispatcher, and prunes the delivery log hourly,
// until ctx ends; Close waits for both.
func (a *Server) startWebhooks(ctx context.Context) {
	a.wg.Add(2)
	go func() { defer a.wg.Done(); a.hooks.dispatcher.Run(ctx) }()
	go func() {
		defer a.wg.Done()
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if err := a.db.PruneWebhookLog(ctx, a.s.Now().Add(-a.s.Webhooks.LogRetention)); err != nil && ctx.Err() == nil {
				a.s.Logger.Error("embedauth: prune webhook log", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// FlushWebhooks delivers every webhook due now and returns how many
// messages were delivered. The dispatcher does this on its own (every
// Webhooks.Poll); tests with a fake clock call it to drive delivery, and
// shutdown hooks to wait for it.
func (a *Server) FlushWebhooks(ctx context.Context) (int, error) {
	return a.hooks.dispatcher.Flush(ctx)
}

func (a *Server) endpointView(e store.WebhookEndpoint) WebhookEndpoint {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	v := WebhookEndpoint{ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: types, Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, FailingSince: e.FailingSince, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if e.PreviousExpiresAt != nil && a.s.Now().Before(*e.PreviousExpiresAt) {
		v.SecretRotatedUntil = e.PreviousExpiresAt
	}
	return v
}

var errEndpointNotFound = httpx.Errorf(http.StatusNotFound, "endpoint_not_found", "There is no webhook endpoint with that id.")

// checkEndpointURL checks a URL against the SSRF guard, answering with a
// field error that says what is wrong.
func (a *Server) checkEndpointURL(ctx context.Context, raw string) (string, error) {
	u, err := a.hooks.guard.CheckURL(ctx, strings.TrimSpace(raw))
	if err != nil {
		code := "invalid_url"
		if errors.Is(err, webhook.ErrForbiddenAddress) {
			code = "url_not_allowed"
		}
		return "", &core.Error{Kind: core.ErrInvalidInput, Code: code, Field: "url",
			Message: "The URL cannot be used: " + strings.TrimPrefix(err.Error(), "webhook: ") + ".", Err: err}
	}
	return u.String(), nil
}

func checkEventTypes(types []string) ([]string, error) {
	clean, err := webhook.CheckEventTypes(types)
	if err != nil {
		return nil, &core.Error{Kind: core.ErrInvalidInput, Code: "unknown_event_type", Field: "event_types",
			Message: strings.TrimPrefix(err.Error(), "webhook: ") + ".", Err: err}
	}
	return clean, nil
}

func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if !utf8.ValidString(d) || utf8.RuneCountInString(d) > 500 {
		return "", httpx.FieldError("description", "invalid_description", "The description must be at most 500 characters.")
	}
	return d, nil
}

// CreateWebhookEndpoint adds an endpoint and returns it with its signing
// secret ("whsec_..."). A bad URL, an address the SSRF guard refuses or an
// unknown event type is an error that says so.
func (a *Server) CreateWebhookEndpoint(ctx context.Context, p WebhookEndpointParams) (WebhookEndpoint, string, error) {
	url, err := a.checkEndpointURL(ctx, p.URL)
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	types, err := checkEventTypes(p.EventTypes)
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	desc, err := checkDescription(p.Description)
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	secret := webhook.NewSecret()
	e, err := a.db.CreateWebhookEndpoint(ctx, store.WebhookEndpoint{URL: url, Description: desc, EventTypes: types,
		Secret: a.box.Seal([]byte(secret))})
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	return a.endpointView(e), secret, nil
}

// WebhookEndpoints lists the endpoints, oldest first.
func (a *Server) WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	list, err := a.db.WebhookEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookEndpoint, len(list))
	for i, e := range list {
		out[i] = a.endpointView(e)
	}
	return out, nil
}

// GetWebhookEndpoint returns one endpoint.
func (a *Server) GetWebhookEndpoint(ctx context.Context, id string) (WebhookEndpoint, error) {
	e, err := a.db.WebhookEndpoint(ctx, id)
	if err != nil {
		return WebhookEndpoint{}, endpointError(err)
	}
	return a.endpointView(e), nil
}

func endpointError(err error) error {
	if errors.Is(err, core.ErrNotFound) {
		return errEndpointNotFound
	}
	return err
}

// UpdateWebhookEndpoint changes an endpoint. Re-enabling one resumes its
// pending messages where they stopped.
func (a *Server) UpdateWebhookEndpoint(ctx context.Context, id string, up WebhookEndpointUpdate) (WebhookEndpoint, error) {
	su := store.WebhookEndpointUpdate{Enabled: up.Enabled}
	if up.URL != nil {
		url, err := a.checkEndpointURL(ctx, *up.URL)
		if err != nil {
			return WebhookEndpoint{}, err
		}
		su.URL = &url
	}
	if up.EventTypes != nil {
		types, err := checkEventTypes(*up.EventTypes)
		if err != nil {
			return WebhookEndpoint{}, err
		}
		su.EventTypes = &types
	}
	if up.Description != nil {
		d, err := checkDescription(*up.Description)
		if err != nil {
			return WebhookEndpoint{}, err
		}
		su.Description = &d
	}
	e, err := a.db.UpdateWebhookEndpoint(ctx, id, su)
	if err != nil {
		return WebhookEndpoint{}, endpointError(err)
	}
	a.hooks.dispatcher.Wake()
	return a.endpointView(e), nil
}

// DeleteWebhookEndpoint deletes an endpoint with its queue and log.
func (a *Server) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	return endpointError(a.db.DeleteWebhookEndpoint(ctx, id))
}

// WebhookSecret returns an endpoint's current signing secret.
func (a *Server) WebhookSecret(ctx context.Context, id string) (string, error) {
	e, err := a.db.WebhookEndpoint(ctx, id)
	if err != nil {
		return "", endpointError(err)
	}
	b, err := a.box.Open(e.Secret)
	if err != nil {
		return "", fmt.Errorf("auth: webhook secret: %w", err)
	}
	return string(b), nil
}

// RotateWebhookSecret gives an endpoint a new signing secret and returns
// it. For the next 24 hours every message carries two signatures, with the
// new and the old secret, so the receiver can switch at any time.
func (a *Server) RotateWebhookSecret(ctx context.Context, id string) (string, error) {
	secret := webhook.NewSecret()
	if _, err := a.db.RotateWebhookSecret(ctx, id, a.box.Seal([]byte(secret)), a.s.Now().Add(secretOverlap)); err != nil {
		return "", endpointError(err)
	}
	return secret, nil
}

// WebhookDeliveries returns an endpoint's most recent deliveries, newest
// first, with their attempts; status ("pending", "delivered", "failed"),
// when set, filters them. limit is at most 100.
func (a *Server) WebhookDeliveries(ctx context.Context, endpointID, status string, limit int) ([]WebhookDelivery, error) {
	if _, err := a.db.WebhookEndpoint(ctx, endpointID); err != nil {
		return nil, endpointError(err)
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	list, err := a.db.WebhookDeliveries(ctx, endpointID, status, limit)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookDelivery, len(list))
	for i, d := range list {
		v := WebhookDelivery{EventID: d.EventID, EventType: d.EventType, Status: d.Status, Attempts: []WebhookAttempt{},
			NextAttemptAt: d.NextAttemptAt, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt}
		for _, at := range d.Log {
			v.Attempts = append(v.Attempts, WebhookAttempt{Number: at.Number, At: at.At, DurationMS: at.Duration.Milliseconds(),
				StatusCode: at.StatusCode, Response: at.Response, Error: at.Error})
		}
		out[i] = v
	}
	return out, nil
}

// ReplayWebhookEvent sends an event to an endpoint again (or for the first
// time, if the endpoint did not receive it), with its usual webhook-id.
func (a *Server) ReplayWebhookEvent(ctx context.Context, endpointID, eventID string) error {
	if _, err := a.db.WebhookEndpoint(ctx, endpointID); err != nil {
		return endpointError(err)
	}
	if err := a.db.ReplayWebhookEvent(ctx, endpointID, eventID, a.s.Now()); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return httpx.Errorf(http.StatusNotFound, "event_not_found", "There is no event with that id.")
		}
		return err
	}
	a.hooks.dispatcher.Wake()
	return nil
}

// ReplayFailedWebhooks sends again every message to the endpoint that
// failed for good since the given time, and returns how many.
func (a *Server) ReplayFailedWebhooks(ctx context.Context, endpointID string, since time.Time) (int, error) {
	n, err := a.db.ReplayFailedWebhooks(ctx, endpointID, since, a.s.Now())
	if err != nil {
		return 0, endpointError(err)
	}
	a.hooks.dispatcher.Wake()
	return n, nil
}

// webhookOutbox adapts the store's webhook tables to webhook.Outbox,
// opening the sealed endpoint secrets.
type webhookOutbox struct{ a *Server }

var _ webhook.Outbox = webhookOutbox{}

// FanOut implements webhook.Outbox.
func (o webhookOutbox) FanOut(ctx context.Context, now time.Time, limit int) (int, error) {
	return o.a.db.FanOutWebhooks(ctx, now, limit)
}

// DueBatches implements webhook.Outbox.
func (o webhookOutbox) DueBatches(ctx context.Context, now time.Time, lease time.Duration, perEndpoint int) ([]webhook.Batch, error) {
	batches, err := o.a.db.DueWebhookBatches(ctx, now, lease, perEndpoint)
	if err != nil {
		return nil, err
	}
	out := make([]webhook.Batch, 0, len(batches))
	for _, b := range batches {
		keys, err := o.keys(b.Endpoint, now)
		if err != nil {
			// Its messages stay leased and are tried again when the lease
			// ends; the encryption key is wrong, which is an operator's fix.
			o.a.s.Logger.Error("embedauth: webhook endpoint secret cannot be opened", "endpoint", b.Endpoint.ID, "err", err)
			continue
		}
		wb := webhook.Batch{Endpoint: webhook.Endpoint{ID: b.Endpoint.ID, URL: b.Endpoint.URL, Keys: keys, FailingSince: b.Endpoint.FailingSince}}
		for _, m := range b.Messages {
			wb.Messages = append(wb.Messages, webhook.Message{ID: m.ID, EventID: m.EventID, EventType: m.EventType,
				EventData: m.EventData, EventAt: m.EventAt, Attempts: m.Attempts})
		}
		out = append(out, wb)
	}
	return out, nil
}

// keys opens an endpoint's secrets: the current one, and the previous one
// while it still signs.
func (o webhookOutbox) keys(e store.WebhookEndpoint, now time.Time) ([][]byte, error) {
	open := func(sealed []byte) ([]byte, error) {
		b, err := o.a.box.Open(sealed)
		if err != nil {
			return nil, err
		}
		return webhook.ParseSecret(string(b))
	}
	cur, err := open(e.Secret)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{cur}
	if e.PreviousSecret != nil && e.PreviousExpiresAt != nil && now.Before(*e.PreviousExpiresAt) {
		prev, err := open(e.PreviousSecret)
		if err != nil {
			return nil, err
		}
		keys = append(keys, prev)
	}
	return keys, nil
}

// Record implements webhook.Outbox.
func (o webhookOutbox) Record(ctx context.Context, now time.Time, out webhook.Outcome) error {
	so := store.WebhookOutcome{EndpointID: out.EndpointID, Release: out.Release, FailingSince: out.FailingSince, Disable: out.Disable}
	for _, at := range out.Attempts {
		so.Attempts = append(so.Attempts, store.WebhookAttempt{MessageID: at.MessageID, Number: at.Number, At: at.At,
			Duration: at.Duration, StatusCode: at.StatusCode, Response: at.Response, Error: at.Error, Delivered: at.Delivered})
	}
	if r := out.Retry; r != nil {
		so.Retry = &store.WebhookRetry{MessageID: r.MessageID, Attempts: r.Attempts, At: r.At, GiveUp: r.GiveUp}
	}
	return o.a.db.RecordWebhookOutcome(ctx, now, so)
}

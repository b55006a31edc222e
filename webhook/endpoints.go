package webhook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
)

// EndpointStore is what managing endpoints needs from storage. Every
// method that names an endpoint returns [core.ErrNotFound] when there is
// no endpoint with that id.
type EndpointStore interface {
	// CreateWebhookEndpoint stores a new endpoint, enabled, and returns it
	// with its id and times.
	CreateWebhookEndpoint(ctx context.Context, e core.WebhookEndpointRecord) (core.WebhookEndpointRecord, error)
	WebhookEndpoint(ctx context.Context, id string) (core.WebhookEndpointRecord, error)
	// WebhookEndpoints returns every endpoint, oldest first.
	WebhookEndpoints(ctx context.Context) ([]core.WebhookEndpointRecord, error)
	UpdateWebhookEndpoint(ctx context.Context, id string, up core.WebhookEndpointUpdate) (core.WebhookEndpointRecord, error)
	// DeleteWebhookEndpoint deletes the endpoint with its messages and log.
	DeleteWebhookEndpoint(ctx context.Context, id string) error
	// RotateWebhookSecret makes secret (sealed) the endpoint's secret; the
	// current one becomes the previous secret, which still signs until
	// previousUntil.
	RotateWebhookSecret(ctx context.Context, id string, secret []byte, previousUntil time.Time) (core.WebhookEndpointRecord, error)
	// WebhookDeliveries returns up to limit of the endpoint's messages,
	// newest first; status, when set, filters them.
	WebhookDeliveries(ctx context.Context, endpointID, status string, limit int) ([]core.WebhookDeliveryRecord, error)
	// ReplayWebhookEvent queues the event for the endpoint again, due at
	// now; an unknown endpoint or event is core.ErrNotFound.
	ReplayWebhookEvent(ctx context.Context, endpointID, eventID string, now time.Time) error
	// ReplayFailedWebhooks queues again, due at now, the endpoint's
	// messages failed for good and created at or after since, and returns
	// how many.
	ReplayFailedWebhooks(ctx context.Context, endpointID string, since, now time.Time) (int, error)
}

// Sealer encrypts endpoint secrets before they are stored, and decrypts
// them. internal/secretbox's Box is one.
type Sealer interface {
	Seal(plaintext []byte) []byte
	Open(sealed []byte) ([]byte, error)
}

// SecretOverlap is how long a rotated-out endpoint secret keeps signing
// beside the new one, so a receiver can switch at any time in between.
const SecretOverlap = 24 * time.Hour

// maxDeliveries caps one page of the delivery log.
const maxDeliveries = 100

// Refusals of endpoint management. Compare with errors.Is.
var (
	// ErrEndpointNotFound means there is no endpoint with the id given.
	ErrEndpointNotFound = core.Refuse(core.ErrNotFound, "endpoint_not_found", "There is no webhook endpoint with that id.")
	// ErrEventNotFound means a replay named an event that does not exist.
	ErrEventNotFound = core.Refuse(core.ErrNotFound, "event_not_found", "There is no event with that id.")

	errInvalidDescription = core.Invalid("description", "invalid_description", "The description must be at most 500 characters.")
)

// EndpointsConfig is what an [Endpoints] needs beside its store.
type EndpointsConfig struct {
	// Guard checks endpoint URLs against the SSRF rules.
	Guard *Guard
	// Sealer encrypts the signing secrets at rest.
	Sealer Sealer
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Wake tells the dispatcher that messages may be due now (after a
	// replay, or an endpoint re-enabled). Default: nothing; the dispatcher
	// finds them at its next poll.
	Wake func()
}

// Endpoints manages webhook endpoints: it checks what an administrator
// asks for (the URL through the [Guard], the event types, the
// description), keeps the signing secrets sealed, and answers with the
// endpoints as the API shows them. Its refusals are [*core.Error] values.
type Endpoints struct {
	store EndpointStore
	cfg   EndpointsConfig
}

// NewEndpoints returns an Endpoints over store.
func NewEndpoints(store EndpointStore, cfg EndpointsConfig) *Endpoints {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	return &Endpoints{store: store, cfg: cfg}
}

// Create adds an endpoint and returns it with its signing secret
// ("whsec_..."). A bad URL, an address the guard refuses, an unknown event
// type or a description too long is refused.
func (s *Endpoints) Create(ctx context.Context, p core.WebhookEndpointParams) (core.WebhookEndpoint, string, error) {
	url, urlErr := s.checkURL(ctx, p.URL)
	types, typesErr := checkEventTypes(p.EventTypes)
	desc, descErr := checkDescription(p.Description)
	if err := core.Combine(urlErr, typesErr, descErr); err != nil {
		return core.WebhookEndpoint{}, "", err
	}
	secret := NewSecret()
	e, err := s.store.CreateWebhookEndpoint(ctx, core.WebhookEndpointRecord{URL: url, Description: desc, EventTypes: types,
		Secret: s.cfg.Sealer.Seal([]byte(secret))})
	if err != nil {
		return core.WebhookEndpoint{}, "", err
	}
	return s.view(e), secret, nil
}

// List returns every endpoint, oldest first.
func (s *Endpoints) List(ctx context.Context) ([]core.WebhookEndpoint, error) {
	list, err := s.store.WebhookEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]core.WebhookEndpoint, len(list))
	for i, e := range list {
		out[i] = s.view(e)
	}
	return out, nil
}

// Get returns one endpoint, or [ErrEndpointNotFound].
func (s *Endpoints) Get(ctx context.Context, id string) (core.WebhookEndpoint, error) {
	e, err := s.store.WebhookEndpoint(ctx, id)
	if err != nil {
		return core.WebhookEndpoint{}, notFound(err)
	}
	return s.view(e), nil
}

// Update changes the fields of up that are set, checked as Create checks
// them. Re-enabling an endpoint resumes its pending messages where they
// stopped.
func (s *Endpoints) Update(ctx context.Context, id string, up core.WebhookEndpointUpdate) (core.WebhookEndpoint, error) {
	su := core.WebhookEndpointUpdate{Enabled: up.Enabled}
	var urlErr, typesErr, descErr error
	if up.URL != nil {
		var url string
		url, urlErr = s.checkURL(ctx, *up.URL)
		su.URL = &url
	}
	if up.EventTypes != nil {
		var types []string
		types, typesErr = checkEventTypes(*up.EventTypes)
		su.EventTypes = &types
	}
	if up.Description != nil {
		var d string
		d, descErr = checkDescription(*up.Description)
		su.Description = &d
	}
	if err := core.Combine(urlErr, typesErr, descErr); err != nil {
		return core.WebhookEndpoint{}, err
	}
	e, err := s.store.UpdateWebhookEndpoint(ctx, id, su)
	if err != nil {
		return core.WebhookEndpoint{}, notFound(err)
	}
	s.cfg.Wake()
	return s.view(e), nil
}

// Delete deletes an endpoint with its queue and log.
func (s *Endpoints) Delete(ctx context.Context, id string) error {
	return notFound(s.store.DeleteWebhookEndpoint(ctx, id))
}

// Secret returns an endpoint's current signing secret.
func (s *Endpoints) Secret(ctx context.Context, id string) (string, error) {
	e, err := s.store.WebhookEndpoint(ctx, id)
	if err != nil {
		return "", notFound(err)
	}
	b, err := s.cfg.Sealer.Open(e.Secret)
	if err != nil {
		return "", fmt.Errorf("webhook: endpoint secret: %w", err)
	}
	return string(b), nil
}

// RotateSecret gives an endpoint a new signing secret and returns it. For
// [SecretOverlap] every message carries two signatures, with the new and
// the old secret.
func (s *Endpoints) RotateSecret(ctx context.Context, id string) (string, error) {
	secret := NewSecret()
	if _, err := s.store.RotateWebhookSecret(ctx, id, s.cfg.Sealer.Seal([]byte(secret)), s.cfg.Now().Add(SecretOverlap)); err != nil {
		return "", notFound(err)
	}
	return secret, nil
}

// SigningKeys opens an endpoint's secrets as of now: the current one, and
// the previous one while it still signs.
func (s *Endpoints) SigningKeys(e core.WebhookEndpointRecord, now time.Time) ([][]byte, error) {
	open := func(sealed []byte) ([]byte, error) {
		b, err := s.cfg.Sealer.Open(sealed)
		if err != nil {
			return nil, err
		}
		return ParseSecret(string(b))
	}
	cur, err := open(e.Secret)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{cur}
	if e.PreviousSecret != nil && previousSigns(e, now) {
		prev, err := open(e.PreviousSecret)
		if err != nil {
			return nil, err
		}
		keys = append(keys, prev)
	}
	return keys, nil
}

// Deliveries returns an endpoint's most recent deliveries, newest first,
// with their attempts; status ("pending", "delivered", "failed"), when
// set, filters them. limit is at most 100 (0 means 100).
func (s *Endpoints) Deliveries(ctx context.Context, endpointID, status string, limit int) ([]core.WebhookDelivery, error) {
	if _, err := s.store.WebhookEndpoint(ctx, endpointID); err != nil {
		return nil, notFound(err)
	}
	if limit <= 0 || limit > maxDeliveries {
		limit = maxDeliveries
	}
	list, err := s.store.WebhookDeliveries(ctx, endpointID, status, limit)
	if err != nil {
		return nil, err
	}
	out := make([]core.WebhookDelivery, len(list))
	for i, d := range list {
		attempts := d.Log
		if attempts == nil {
			attempts = []core.WebhookAttempt{}
		}
		out[i] = core.WebhookDelivery{EventID: d.EventID, EventType: d.EventType, Status: d.Status, Attempts: attempts,
			NextAttemptAt: d.NextAttemptAt, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt}
	}
	return out, nil
}

// Replay sends an event to an endpoint again (or for the first time, if
// the endpoint did not receive it), with its usual webhook-id.
func (s *Endpoints) Replay(ctx context.Context, endpointID, eventID string) error {
	if _, err := s.store.WebhookEndpoint(ctx, endpointID); err != nil {
		return notFound(err)
	}
	if err := s.store.ReplayWebhookEvent(ctx, endpointID, eventID, s.cfg.Now()); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return ErrEventNotFound.With(err)
		}
		return err
	}
	s.cfg.Wake()
	return nil
}

// ReplayFailed sends again every message to the endpoint that failed for
// good since the given time, and returns how many.
func (s *Endpoints) ReplayFailed(ctx context.Context, endpointID string, since time.Time) (int, error) {
	n, err := s.store.ReplayFailedWebhooks(ctx, endpointID, since, s.cfg.Now())
	if err != nil {
		return 0, notFound(err)
	}
	s.cfg.Wake()
	return n, nil
}

// view is an endpoint as the API shows it: no secrets, and the end of a
// rotation's overlap while the old secret still signs.
func (s *Endpoints) view(e core.WebhookEndpointRecord) core.WebhookEndpoint {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	v := core.WebhookEndpoint{ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: types, Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, FailingSince: e.FailingSince, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if previousSigns(e, s.cfg.Now()) {
		v.SecretRotatedUntil = e.PreviousExpiresAt
	}
	return v
}

// previousSigns reports whether a rotated-out secret still signs at now.
func previousSigns(e core.WebhookEndpointRecord, now time.Time) bool {
	return e.PreviousExpiresAt != nil && now.Before(*e.PreviousExpiresAt)
}

// notFound turns storage's core.ErrNotFound for an endpoint into
// [ErrEndpointNotFound]; other errors pass unchanged.
func notFound(err error) error {
	if errors.Is(err, core.ErrNotFound) {
		return ErrEndpointNotFound.With(err)
	}
	return err
}

// checkURL checks a URL against the guard, with a refusal of the url
// field that says what is wrong.
func (s *Endpoints) checkURL(ctx context.Context, raw string) (string, error) {
	u, err := s.cfg.Guard.CheckURL(ctx, strings.TrimSpace(raw))
	if err != nil {
		code := "invalid_url"
		if errors.Is(err, ErrForbiddenAddress) {
			code = "url_not_allowed"
		}
		return "", core.Invalid("url", code, "The URL cannot be used: "+strings.TrimPrefix(err.Error(), "webhook: ")+".").With(err)
	}
	return u.String(), nil
}

// checkEventTypes cleans a subscription list, refusing unknown types.
func checkEventTypes(types []string) ([]string, error) {
	clean, err := CheckEventTypes(types)
	if err != nil {
		return nil, core.Invalid("event_types", "unknown_event_type", strings.TrimPrefix(err.Error(), "webhook: ")+".").With(err)
	}
	return clean, nil
}

// checkDescription trims a description and refuses one over 500
// characters.
func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if !utf8.ValidString(d) || utf8.RuneCountInString(d) > 500 {
		return "", errInvalidDescription
	}
	return d, nil
}

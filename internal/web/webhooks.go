package web

// Webhooks: the endpoints' administration pages (Path+"/admin/webhooks")
// and JSON API (Path+"/api/webhooks/endpoints"), the Go methods apps call,
// the dispatcher's start and the adapter between it and the store. The
// rules of managing endpoints live in package webhook ([webhook.Endpoints]).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
	"github.com/embedauth/auth/webhook"
)

var _ webhook.EndpointStore = (*store.DB)(nil)

// webhookState is the webhook side of a Server.
type webhookState struct {
	endpoints  *webhook.Endpoints
	dispatcher *webhook.Dispatcher
}

func (a *Server) initWebhooks() error {
	s := a.s
	nets, err := parseNetworks(s.Webhooks.AllowedNetworks)
	if err != nil {
		return err
	}
	g := &webhook.Guard{Allowed: nets, LookupIP: s.Webhooks.LookupIP}
	d := &webhook.Dispatcher{
		Outbox: webhookOutbox{a},
		Client: g.Client(webhook.DefaultTimeout),
		Now:    s.Now,
		Logger: s.Logger,
		Poll:   s.Webhooks.Poll,
	}
	a.hooks = &webhookState{dispatcher: d, endpoints: webhook.NewEndpoints(a.db, webhook.EndpointsConfig{
		Guard: g, Sealer: a.box, Now: s.Now, Wake: d.Wake,
	})}
	return nil
}

// startWebhooks runs the dispatcher, and prunes the delivery log hourly,
// until ctx ends; Close waits for both.
func (a *Server) startWebhooks(ctx context.Context) {
	a.wg.Add(2)
	go func() { defer a.wg.Done(); a.hooks.dispatcher.Run(ctx) }()
	go func() {
		defer a.wg.Done()
		hourly(ctx, func() {
			if err := a.db.PruneWebhookLog(ctx, a.s.Now().Add(-a.s.Webhooks.LogRetention)); err != nil && ctx.Err() == nil {
				a.s.Logger.Error("embedauth: prune webhook log", "err", err)
			}
		})
	}()
}

// webhookDefaults fills the webhook settings and reports every problem.
func (s *settings) webhookDefaults() []error {
	var errs []error
	w := &s.Webhooks
	if _, err := parseNetworks(w.AllowedNetworks); err != nil {
		errs = append(errs, err)
	}
	if w.Poll == 0 {
		w.Poll = time.Second
	}
	if w.Poll < 0 {
		errs = append(errs, fmt.Errorf("Webhooks.Poll %v is negative", w.Poll))
	}
	if w.LogRetention == 0 {
		w.LogRetention = 30 * 24 * time.Hour
	}
	if w.LogRetention < time.Hour {
		errs = append(errs, fmt.Errorf("Webhooks.LogRetention %v is shorter than an hour", w.LogRetention))
	}
	return errs
}

// parseNetworks reads Webhooks.AllowedNetworks.
func parseNetworks(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad []string
	for _, n := range list {
		n = strings.TrimSpace(n)
		if p, err := netip.ParsePrefix(n); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(n); err == nil {
			out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		bad = append(bad, fmt.Sprintf("%q", n))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("Webhooks.AllowedNetworks: %s is not a CIDR prefix or an IP address", strings.Join(bad, ", "))
	}
	return out, nil
}

// FlushWebhooks delivers every webhook due now and returns how many
// messages were delivered. The dispatcher does this on its own (every
// Webhooks.Poll); tests with a fake clock call it to drive delivery, and
// shutdown hooks to wait for it.
func (a *Server) FlushWebhooks(ctx context.Context) (int, error) {
	return a.hooks.dispatcher.Flush(ctx)
}

// CreateWebhookEndpoint adds an endpoint and returns it with its signing
// secret ("whsec_..."). A bad URL, an address the SSRF guard refuses or an
// unknown event type is an error that says so.
func (a *Server) CreateWebhookEndpoint(ctx context.Context, p WebhookEndpointParams) (WebhookEndpoint, string, error) {
	return a.hooks.endpoints.Create(ctx, p)
}

// WebhookEndpoints lists the endpoints, oldest first.
func (a *Server) WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	return a.hooks.endpoints.List(ctx)
}

// GetWebhookEndpoint returns one endpoint.
func (a *Server) GetWebhookEndpoint(ctx context.Context, id string) (WebhookEndpoint, error) {
	return a.hooks.endpoints.Get(ctx, id)
}

// UpdateWebhookEndpoint changes an endpoint. Re-enabling one resumes its
// pending messages where they stopped.
func (a *Server) UpdateWebhookEndpoint(ctx context.Context, id string, up WebhookEndpointUpdate) (WebhookEndpoint, error) {
	return a.hooks.endpoints.Update(ctx, id, up)
}

// DeleteWebhookEndpoint deletes an endpoint with its queue and log.
func (a *Server) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	return a.hooks.endpoints.Delete(ctx, id)
}

// WebhookSecret returns an endpoint's current signing secret.
func (a *Server) WebhookSecret(ctx context.Context, id string) (string, error) {
	return a.hooks.endpoints.Secret(ctx, id)
}

// RotateWebhookSecret gives an endpoint a new signing secret and returns
// it. For the next 24 hours every message carries two signatures, with the
// new and the old secret, so the receiver can switch at any time.
func (a *Server) RotateWebhookSecret(ctx context.Context, id string) (string, error) {
	return a.hooks.endpoints.RotateSecret(ctx, id)
}

// WebhookDeliveries returns an endpoint's most recent deliveries, newest
// first, with their attempts; status ("pending", "delivered", "failed"),
// when set, filters them. limit is at most 100.
func (a *Server) WebhookDeliveries(ctx context.Context, endpointID, status string, limit int) ([]WebhookDelivery, error) {
	return a.hooks.endpoints.Deliveries(ctx, endpointID, status, limit)
}

// ReplayWebhookEvent sends an event to an endpoint again (or for the first
// time, if the endpoint did not receive it), with its usual webhook-id.
func (a *Server) ReplayWebhookEvent(ctx context.Context, endpointID, eventID string) error {
	return a.hooks.endpoints.Replay(ctx, endpointID, eventID)
}

// ReplayFailedWebhooks sends again every message to the endpoint that
// failed for good since the given time, and returns how many.
func (a *Server) ReplayFailedWebhooks(ctx context.Context, endpointID string, since time.Time) (int, error) {
	return a.hooks.endpoints.ReplayFailed(ctx, endpointID, since)
}

// The webhook admin pages, at Path+"/admin/webhooks". They exist only for
// administrators (Config.IsAdmin, or granted in the database): for
// everyone else (and for everyone when there can be none) they answer
// 404, like a page that does not exist.

var errNoPage = httpx.Errorf(http.StatusNotFound, "not_found", "This page does not exist.")

// adminPage returns the signed-in administrator: a sign-in redirect for a
// signed-out browser when admins are configured, else 404.
func (a *Server) adminPage(w http.ResponseWriter, r *http.Request) (*authState, bool, error) {
	exist, err := a.adminsExist(r.Context())
	if err != nil {
		return nil, false, err
	}
	if !exist {
		return nil, false, errNoPage
	}
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return nil, false, err
	}
	admin, err := a.isAdmin(r.Context(), st.user)
	if err != nil {
		return nil, false, err
	}
	if !admin {
		return nil, false, errNoPage
	}
	if impersonating(st) {
		return nil, false, errImpersonationForbidden
	}
	return st, true, nil
}

func endpointPageView(e WebhookEndpoint) ui.WebhookEndpointView {
	return ui.WebhookEndpointView{ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: e.EventTypes, Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, FailingSince: e.FailingSince, SecretRotatedUntil: e.SecretRotatedUntil, CreatedAt: e.CreatedAt}
}

func (a *Server) webhooksData(r *http.Request, p ui.Page) (ui.WebhookEndpoints, error) {
	p.Title = "Webhooks"
	list, err := a.WebhookEndpoints(r.Context())
	data := ui.WebhookEndpoints{Page: p}
	for _, t := range webhook.EventTypes() {
		data.EventTypes = append(data.EventTypes, ui.WebhookEventType{Name: t})
	}
	for _, e := range list {
		data.Endpoints = append(data.Endpoints, endpointPageView(e))
	}
	return data, err
}

func (a *Server) webhooksPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	data, err := a.webhooksData(r, a.page(r, "webhooks"))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "webhooks", data)
}

func (a *Server) webhookCreateForm(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	in := WebhookEndpointParams{URL: r.PostFormValue("url"), Description: r.PostFormValue("description"), EventTypes: r.PostForm["event_types"]}
	e, _, err := a.CreateWebhookEndpoint(r.Context(), in)
	if err != nil {
		data, derr := a.webhooksData(r, a.page(r, "webhooks"))
		if derr != nil {
			return derr
		}
		return a.formFail(w, r, err, "webhooks", func(p ui.Page) any {
			p.Title = data.Title
			data.Page, data.URL, data.Description = p, in.URL, in.Description
			for i, t := range data.EventTypes {
				data.EventTypes[i].Checked = slices.Contains(in.EventTypes, t.Name)
			}
			return data
		})
	}
	a.notice(r, "The endpoint was created. Give its signing secret, below, to the receiver.")
	http.Redirect(w, r, a.s.Path+"/admin/webhooks/"+url.PathEscape(e.ID), http.StatusSeeOther)
	return nil
}

func (a *Server) webhookEndpointData(r *http.Request, id string, p ui.Page) (ui.WebhookEndpoint, error) {
	ctx := r.Context()
	e, err := a.GetWebhookEndpoint(ctx, id)
	if err != nil {
		if e := httpx.Public(err); httpx.Status(e) == http.StatusNotFound {
			return ui.WebhookEndpoint{}, errNoPage
		}
		return ui.WebhookEndpoint{}, err
	}
	secret, err := a.WebhookSecret(ctx, id)
	if err != nil {
		return ui.WebhookEndpoint{}, err
	}
	list, err := a.WebhookDeliveries(ctx, id, "", 50)
	if err != nil {
		return ui.WebhookEndpoint{}, err
	}
	p.Title = "Webhook endpoint"
	data := ui.WebhookEndpoint{Page: p, Endpoint: endpointPageView(e), Secret: secret}
	for _, d := range list {
		dv := ui.WebhookDeliveryView{EventID: d.EventID, EventType: d.EventType, Status: d.Status, CreatedAt: d.CreatedAt, NextAttemptAt: d.NextAttemptAt}
		for _, at := range d.Attempts {
			dv.Attempts = append(dv.Attempts, ui.WebhookAttemptView{Number: at.Number, At: at.At, DurationMS: at.DurationMS,
				StatusCode: at.StatusCode, Response: at.Response, Error: at.Error})
		}
		data.Deliveries = append(data.Deliveries, dv)
	}
	return data, nil
}

func (a *Server) webhookEndpointPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	data, err := a.webhookEndpointData(r, r.PathValue("id"), a.page(r, "webhooks"))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "webhooks-endpoint", data)
}

// endpointAction runs a form on one endpoint and redirects back to its
// page with a notice, or shows the page again with the error.
func (a *Server) endpointAction(w http.ResponseWriter, r *http.Request, fn func(id string) (string, error)) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	id := r.PathValue("id")
	msg, err := fn(id)
	if err != nil {
		if errors.Is(err, webhook.ErrEndpointNotFound) {
			return errNoPage
		}
		data, derr := a.webhookEndpointData(r, id, a.page(r, "webhooks"))
		if derr != nil {
			return derr
		}
		return a.formFail(w, r, err, "webhooks-endpoint", func(p ui.Page) any { p.Title = data.Title; data.Page = p; return data })
	}
	a.notice(r, msg)
	http.Redirect(w, r, a.s.Path+"/admin/webhooks/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

func (a *Server) webhookEnabledForm(w http.ResponseWriter, r *http.Request) error {
	return a.endpointAction(w, r, func(id string) (string, error) {
		on := r.PostFormValue("enabled") == "true"
		if _, err := a.UpdateWebhookEndpoint(r.Context(), id, WebhookEndpointUpdate{Enabled: &on}); err != nil {
			return "", err
		}
		if on {
			return "The endpoint is enabled; its pending messages are being delivered.", nil
		}
		return "The endpoint is disabled.", nil
	})
}

func (a *Server) webhookRotateForm(w http.ResponseWriter, r *http.Request) error {
	return a.endpointAction(w, r, func(id string) (string, error) {
		if _, err := a.RotateWebhookSecret(r.Context(), id); err != nil {
			return "", err
		}
		return "The secret was rotated. For 24 hours messages are signed with both the new and the old secret.", nil
	})
}

func (a *Server) webhookReplayForm(w http.ResponseWriter, r *http.Request) error {
	return a.endpointAction(w, r, func(id string) (string, error) {
		if ev := strings.TrimSpace(r.PostFormValue("event_id")); ev != "" {
			if err := a.ReplayWebhookEvent(r.Context(), id, ev); err != nil {
				if errors.Is(err, webhook.ErrEventNotFound) {
					f := *httpx.Public(err)
					f.Field = "event_id"
					return "", &f
				}
				return "", err
			}
			return "The event was queued again.", nil
		}
		since, err := time.ParseInLocation("2006-01-02T15:04", r.PostFormValue("since"), time.UTC)
		if err != nil {
			return "", httpx.FieldError("since", "invalid_since", "Give an event id, or a time (UTC) to replay every failed message since.")
		}
		n, err := a.ReplayFailedWebhooks(r.Context(), id, since)
		if err != nil {
			return "", err
		}
		if n == 1 {
			return "1 failed message was queued again.", nil
		}
		return strconv.Itoa(n) + " failed messages were queued again.", nil
	})
}

func (a *Server) webhookDeleteForm(w http.ResponseWriter, r *http.Request) error {
	if _, ok, err := a.adminPage(w, r); !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	if err := a.DeleteWebhookEndpoint(r.Context(), r.PathValue("id")); err != nil {
		if e := httpx.Public(err); httpx.Status(e) == http.StatusNotFound {
			return errNoPage
		}
		return err
	}
	a.notice(r, "The endpoint was deleted.")
	http.Redirect(w, r, a.s.Path+"/admin/webhooks", http.StatusSeeOther)
	return nil
}

// The webhook endpoints API, for administrators (Config.IsAdmin).

type endpointEnvelope struct {
	Endpoint WebhookEndpoint `json:"endpoint"`
}

type secretBody struct {
	Secret string `json:"secret"`
}

func (a *Server) apiWebhookEndpoints(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	list, err := a.WebhookEndpoints(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []WebhookEndpoint{}
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Endpoints []WebhookEndpoint `json:"endpoints"`
	}{list})
}

func (a *Server) apiCreateWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	var in struct {
		URL         string   `json:"url"`
		Description string   `json:"description"`
		EventTypes  []string `json:"event_types"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	e, secret, err := a.CreateWebhookEndpoint(r.Context(), WebhookEndpointParams{URL: in.URL, Description: in.Description, EventTypes: in.EventTypes})
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, struct {
		Endpoint WebhookEndpoint `json:"endpoint"`
		Secret   string          `json:"secret"`
	}{e, secret})
}

func (a *Server) apiWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	e, err := a.GetWebhookEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, endpointEnvelope{e})
}

func (a *Server) apiUpdateWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	var in struct {
		URL         *string   `json:"url"`
		Description *string   `json:"description"`
		EventTypes  *[]string `json:"event_types"`
		Enabled     *bool     `json:"enabled"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	e, err := a.UpdateWebhookEndpoint(r.Context(), r.PathValue("id"),
		WebhookEndpointUpdate{URL: in.URL, Description: in.Description, EventTypes: in.EventTypes, Enabled: in.Enabled})
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, endpointEnvelope{e})
}

func (a *Server) apiDeleteWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	if err := a.DeleteWebhookEndpoint(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

func (a *Server) apiWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	s, err := a.WebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, secretBody{s})
}

func (a *Server) apiRotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	s, err := a.RotateWebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, secretBody{s})
}

func (a *Server) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	q := r.URL.Query()
	status := q.Get("status")
	if status != "" && status != store.WebhookPending && status != store.WebhookDelivered && status != store.WebhookFailed {
		return httpx.Errorf(http.StatusBadRequest, "invalid_status", "status must be pending, delivered or failed.")
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return httpx.Errorf(http.StatusBadRequest, "invalid_limit", "limit must be a number from 1 to 100.")
		}
		limit = n
	}
	list, err := a.WebhookDeliveries(r.Context(), r.PathValue("id"), status, limit)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Deliveries []WebhookDelivery `json:"deliveries"`
	}{list})
}

func (a *Server) apiReplayWebhooks(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdmin(r); err != nil {
		return err
	}
	var in struct {
		EventID string     `json:"event_id"`
		Since   *time.Time `json:"since"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	switch {
	case (in.EventID == "") == (in.Since == nil):
		return httpx.FieldError("event_id", "replay_target_required", "Give either event_id (one event) or since (every failed message since then).")
	case in.EventID != "":
		if err := a.ReplayWebhookEvent(r.Context(), id, in.EventID); err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusAccepted, struct {
			Status string `json:"status"`
			Queued int    `json:"queued"`
		}{"queued", 1})
	}
	n, err := a.ReplayFailedWebhooks(r.Context(), id, *in.Since)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, struct {
		Status string `json:"status"`
		Queued int    `json:"queued"`
	}{"queued", n})
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
		keys, err := o.a.hooks.endpoints.SigningKeys(b.Endpoint, now)
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

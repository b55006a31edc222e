package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
	"github.com/embedauth/auth/webhook"
)

// The webhook admin pages, at Path+"/admin/webhooks". They exist only for
// users Config.IsAdmin accepts: for everyone else (and for everyone when
// IsAdmin is nil) they answer 404, like a page that does not exist.

var errNoPage = httpx.Errorf(http.StatusNotFound, "not_found", "This page does not exist.")

// adminPage returns the signed-in administrator: a sign-in redirect for a
// signed-out browser when admins are configured, else 404.
func (a *Server) adminPage(w http.ResponseWriter, r *http.Request) (*authState, bool, error) {
	if a.s.IsAdmin == nil {
		return nil, false, errNoPage
	}
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return nil, false, err
	}
	if !a.isAdmin(st.user) {
		return nil, false, errNoPage
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
		if e := httpx.Public(err); httpx.Status(e) == http.StatusNotFound && e.Code == "endpoint_not_found" {
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
				if e := httpx.Public(err); e.Code == "event_not_found" {
					f := *e
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

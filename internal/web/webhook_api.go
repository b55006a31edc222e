package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/store"
)

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

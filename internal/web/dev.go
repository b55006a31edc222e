package web

import (
	_ "embed"
	"net/http"
	"regexp"

	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
)

// The dev outbox (mail and text messages kept in dev mode, shown to
// loopback clients) and the OpenAPI document of the JSON API.

//go:embed openapi.json
var openAPIDoc []byte

func (a *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write(openAPIDoc)
	return err
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// devMailPage lists the dev outbox, only in dev mode and only to this
// machine: codes and links in it are live.
func (a *Server) devMailPage(w http.ResponseWriter, r *http.Request) error {
	if !a.s.dev || !isLocalhost(remoteIP(r)) {
		return httpx.Errorf(http.StatusNotFound, "not_found", "This page does not exist.")
	}
	list, err := a.db.ListMail(r.Context(), 50)
	if err != nil {
		return err
	}
	data := ui.DevMail{Page: a.page(r, "dev-mail")}
	for _, q := range list {
		dm := ui.DevMessage{ID: q.ID, To: q.To, Status: q.Status, Error: q.LastError, CreatedAt: q.CreatedAt, Subject: q.Template}
		if q.Body != nil {
			if m, err := a.openMail(q.Body); err == nil {
				dm.Subject, dm.Text = m.Subject, m.Text
				dm.Links = linkPattern.FindAllString(m.Text, -1)
			}
		}
		data.Messages = append(data.Messages, dm)
	}
	if data.SMS, err = a.devSMS(r); err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "dev-mail", data)
}

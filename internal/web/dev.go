package web

import (
	_ "embed"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/embedauth/auth/internal/gzdata"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
)

// The dev outbox (mail and text messages kept in dev mode, shown to
// loopback clients) and the OpenAPI document of the JSON API.

// openAPIGzip is openapi.json compressed (60 KB instead of 880 KB of
// binary); it is sent as it is to clients that accept gzip, as every
// browser and HTTP library does, and decompressed for the others.
//
//go:generate go run github.com/embedauth/auth/internal/gzdata/gzip openapi.json
//go:embed openapi.json.gz
var openAPIGzip []byte

func (a *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Add("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Values("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		_, err := w.Write(openAPIGzip)
		return err
	}
	doc, err := gzdata.Decompress(openAPIGzip)
	if err != nil {
		return err
	}
	_, err = w.Write(doc)
	return err
}

// acceptsGzip reports whether Accept-Encoding header values accept gzip
// (by name or "*", with a quality above zero).
func acceptsGzip(values []string) bool {
	// An entry naming gzip decides; "*" only when none does (RFC 9110,
	// 12.5.3).
	star, named := -1.0, -1.0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "gzip" && name != "x-gzip" && name != "*" {
				continue
			}
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
						q = f
					}
				}
			}
			if name == "*" {
				star = max(star, q)
			} else {
				named = max(named, q)
			}
		}
	}
	if named >= 0 {
		return named > 0
	}
	return star > 0
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

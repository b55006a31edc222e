package web

import (
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
)

// apiConnections lists the signed-in user's connected provider accounts.
func (a *Server) apiConnections(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.db.ExternalAccounts(r.Context(), st.user.ID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Connections []core.ExternalAccount `json:"connections"`
	}{list})
}

// apiDisconnect removes one of them, with the same proof as the profile
// form (disconnectSocial).
func (a *Server) apiDisconnect(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.disconnectSocial(r, st, r.PathValue("id"), in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

// socialMethod is one provider in GET /api/methods: a custom page posts a
// form (with redirect_url) to StartURL to begin.
type socialMethod struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	StartURL string `json:"start_url"`
}

func (a *Server) socialMethods() []socialMethod {
	out := make([]socialMethod, 0, len(a.social.list))
	for _, sp := range a.social.list {
		out = append(out, socialMethod{ID: sp.cfg.ID, Name: sp.cfg.Name, StartURL: a.s.Path + "/oauth/" + sp.cfg.ID + "/start"})
	}
	return out
}

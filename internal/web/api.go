package web

import (
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/store"
)

//go:embed openapi.json
var openAPIDoc []byte

// meBody is the answer that describes a signed-in user.
type meBody struct {
	User    core.User    `json:"user"`
	Session core.Session `json:"session"`
}

type statusBody struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

func writeMe(w http.ResponseWriter, st *authState) error {
	return httpx.WriteJSON(w, http.StatusOK, meBody{User: st.user, Session: st.session})
}

func (a *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write(openAPIDoc)
	return err
}

func (a *Server) apiSignIn(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, err := a.passwordSignIn(w, r, in.Email, in.Password)
	if errors.Is(err, errFactorTwoRequired) {
		return a.apiFactorTwoRequired(w, r)
	}
	if err != nil {
		return a.apiDeviceStepOr(w, r, err)
	}
	return writeMe(w, st)
}

func (a *Server) apiSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := a.signOut(r); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "signed_out"})
}

func (a *Server) apiForgot(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.forgotPassword(r, in.Email); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, statusBody{Status: "sent_if_exists", Message: forgotSent})
}

func (a *Server) apiReset(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if in.Token == "" || len(in.Token) > 128 {
		return account.ErrResetInvalid
	}
	if err := a.resetPassword(r, account.ResetTokenHash(in.Token), in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "password_reset", Message: "Sign in with your new password."})
}

// apiUser returns the signed-in user or a 401.
func (a *Server) apiUser(r *http.Request) (*authState, error) {
	st, err := a.lookup(r)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, httpx.Errorf(http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")
	}
	return st, nil
}

func (a *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.changePassword(r, st, in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "password_changed"})
}

func (a *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	return writeMe(w, st)
}

func (a *Server) apiUpdateMe(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Name           *string         `json:"name"`
		UnsafeMetadata json.RawMessage `json:"unsafe_metadata"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	up := store.UserUpdate{}
	if in.Name != nil {
		name, err := core.CleanName(*in.Name)
		if err != nil {
			return err
		}
		up.Name = &name
	}
	if in.UnsafeMetadata != nil {
		var obj map[string]any
		if json.Unmarshal(in.UnsafeMetadata, &obj) != nil || obj == nil {
			return httpx.FieldError("unsafe_metadata", "invalid_metadata", "unsafe_metadata must be a JSON object.")
		}
		if len(in.UnsafeMetadata) > 8<<10 {
			return httpx.FieldError("unsafe_metadata", "metadata_too_large", "unsafe_metadata must be at most 8 KB.")
		}
		up.UnsafeMetadata = in.UnsafeMetadata
	}
	u, err := a.db.UpdateUser(r.Context(), st.user.ID, up)
	if err != nil {
		return err
	}
	a.cache.forgetUser(u.ID)
	return httpx.WriteJSON(w, http.StatusOK, struct {
		User core.User `json:"user"`
	}{u})
}

func (a *Server) apiDeleteMe(w http.ResponseWriter, r *http.Request) error {
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
	if err := a.deleteAccount(r, st, in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
}

type sessionJSON struct {
	core.Session
	Device  string `json:"device"`
	Current bool   `json:"current"`
}

func (a *Server) apiSessions(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	list, err := a.db.ListSessions(r.Context(), st.user.ID)
	if err != nil {
		return err
	}
	out := []sessionJSON{}
	now := a.s.Now()
	for _, s := range list {
		if s.Active(now, a.s.SessionIdleTimeout) {
			out = append(out, sessionJSON{Session: s, Device: describeDevice(s.UserAgent), Current: s.ID == st.session.ID})
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Sessions []sessionJSON `json:"sessions"`
	}{out})
}

func (a *Server) apiRevokeSession(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	if err := a.revokeSession(r, st, r.PathValue("id")); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "revoked"})
}

func (a *Server) apiRevokeOthers(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	n, err := a.revokeOtherSessions(r, st)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
		Ended  int    `json:"ended"`
	}{"revoked", n})
}

func (a *Server) apiSwitch(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		SessionID string `json:"session_id"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.switchSession(r, in.SessionID); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "switched"})
}

func queryEscape(s string) string { return url.QueryEscape(s) }

// humanDuration says "10 minutes", "1 hour" or "7 days".
func humanDuration(d time.Duration) string {
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + one + "s"
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int(d/time.Minute), "minute")
	}
	return unit(int(d/time.Second), "second")
}

package web

// The admin JSON API (Path+"/api/admin/..."): the users table, a user's
// detail and every action of the admin pages, and the audit log, so an
// app can build its own back office. A request is authenticated by the
// session cookie or by "Authorization: Bearer <session token>", and its
// user must be an administrator (403 admin_required otherwise). Like the
// admin pages, destructive actions (ban, lock, sign-outs, resetting
// two-step verification, removing a passkey, deleting, granting or
// revoking administration) need a session that proved its factors within
// MFA.ReverificationWindow: a bearer token never has, so it can read and
// make the other changes only (403 reverification_required).

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/embedauth/auth/admin"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
)

// apiAdminUser returns the administrator of an admin API request (cookie
// or bearer), or a 401 or 403.
func (a *Server) apiAdminUser(r *http.Request) (*authState, error) {
	st, err := a.lookup(r)
	if err != nil {
		return nil, err
	}
	if st == nil {
		if st, err = a.bearer(r); err != nil {
			return nil, err
		}
	}
	if st == nil {
		return nil, httpx.Errorf(http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")
	}
	ok, err := a.isAdmin(r.Context(), st.user)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errAdminRequired
	}
	return st, nil
}

type userListBody struct {
	Users      []core.UserSummary `json:"users"`
	NextCursor string             `json:"next_cursor"`
}

func (a *Server) apiAdminUsers(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdminUser(r); err != nil {
		return err
	}
	q, err := admin.ParseQuery(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := a.ListUsers(r.Context(), q)
	if err != nil {
		return err
	}
	body := userListBody{Users: page.Users, NextCursor: admin.EncodeCursor(page.Next, q.Sort)}
	if body.Users == nil {
		body.Users = []core.UserSummary{}
	}
	return httpx.WriteJSON(w, http.StatusOK, body)
}

func (a *Server) apiAdminCreateUser(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiAdminUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Email           string          `json:"email"`
		Name            string          `json:"name"`
		Password        string          `json:"password"`
		EmailVerified   bool            `json:"email_verified"`
		PublicMetadata  json.RawMessage `json:"public_metadata"`
		PrivateMetadata json.RawMessage `json:"private_metadata"`
		UnsafeMetadata  json.RawMessage `json:"unsafe_metadata"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	for _, m := range []struct {
		name string
		v    json.RawMessage
	}{{"public_metadata", in.PublicMetadata}, {"private_metadata", in.PrivateMetadata}, {"unsafe_metadata", in.UnsafeMetadata}} {
		var obj map[string]any
		if m.v != nil && (json.Unmarshal(m.v, &obj) != nil || obj == nil) {
			return httpx.FieldError(m.name, "invalid_metadata", "Metadata must be a JSON object.")
		}
	}
	u, err := a.AdminCreateUser(r.Context(), actorOf(st), CreateUserParams{Email: in.Email, Name: in.Name, Password: in.Password,
		EmailVerified: in.EmailVerified, PublicMetadata: in.PublicMetadata, PrivateMetadata: in.PrivateMetadata, UnsafeMetadata: in.UnsafeMetadata})
	if err != nil {
		return createUserRefusal(err)
	}
	return httpx.WriteJSON(w, http.StatusCreated, struct {
		User core.User `json:"user"`
	}{u})
}

func (a *Server) apiAdminInvite(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiAdminUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.InviteUser(r.Context(), actorOf(st), in.Email); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, statusBody{Status: "invited"})
}

func (a *Server) apiAdminUserDetail(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdminUser(r); err != nil {
		return err
	}
	d, err := a.UserDetail(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, d)
}

// apiUserAction runs one action of the admin API on the user of the path
// and answers with the user's detail (or {"status":"deleted"}).
func (a *Server) apiUserAction(destructive bool, fn func(r *http.Request, st *authState, id string) error) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := a.apiAdminUser(r)
		if err != nil {
			return err
		}
		if destructive {
			if err := a.adminReverified(r, st); err != nil {
				return err
			}
		}
		id := r.PathValue("id")
		if err := fn(r, st, id); err != nil {
			return err
		}
		d, err := a.UserDetail(r.Context(), id)
		if errors.Is(err, core.ErrNotFound) {
			return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "deleted"})
		}
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, d)
	}
}

func (a *Server) apiAdminBan(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(true, func(r *http.Request, st *authState, id string) error {
		_, err := a.AdminBanUser(r.Context(), actorOf(st), id)
		return err
	})(w, r)
}

func (a *Server) apiAdminUnban(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(false, func(r *http.Request, st *authState, id string) error {
		_, err := a.AdminUnbanUser(r.Context(), actorOf(st), id)
		return err
	})(w, r)
}

func (a *Server) apiAdminLock(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(true, func(r *http.Request, st *authState, id string) error {
		return a.LockUser(r.Context(), actorOf(st), id)
	})(w, r)
}

func (a *Server) apiAdminUnlock(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(false, func(r *http.Request, st *authState, id string) error {
		return a.UnlockUser(r.Context(), actorOf(st), id)
	})(w, r)
}

func (a *Server) apiAdminDelete(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(true, func(r *http.Request, st *authState, id string) error {
		return a.AdminDeleteUser(r.Context(), actorOf(st), id)
	})(w, r)
}

func (a *Server) apiAdminRevokeSessions(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(true, func(r *http.Request, st *authState, id string) error {
		return a.AdminRevokeSessions(r.Context(), actorOf(st), id)
	})(w, r)
}

func (a *Server) apiAdminRevokeSession(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(true, func(r *http.Request, st *authState, id string) error {
		return a.AdminRevokeSession(r.Context(), actorOf(st), id, r.PathValue("session_id"))
	})(w, r)
}

func (a *Server) apiAdminResetMFA(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(true, func(r *http.Request, st *authState, id string) error {
		return a.ResetMFA(r.Context(), actorOf(st), id)
	})(w, r)
}

func (a *Server) apiAdminRemovePasskey(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(true, func(r *http.Request, st *authState, id string) error {
		return a.AdminRemovePasskey(r.Context(), actorOf(st), id, r.PathValue("passkey_id"))
	})(w, r)
}

func (a *Server) apiAdminVerifyIdentifier(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(false, func(r *http.Request, st *authState, id string) error {
		_, err := a.VerifyIdentifier(r.Context(), actorOf(st), id, r.PathValue("identifier_id"))
		return err
	})(w, r)
}

func (a *Server) apiAdminMetadata(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(false, func(r *http.Request, st *authState, id string) error {
		var in struct {
			Public  json.RawMessage `json:"public_metadata"`
			Private json.RawMessage `json:"private_metadata"`
			Unsafe  json.RawMessage `json:"unsafe_metadata"`
		}
		if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
			return err
		}
		_, err := a.AdminUpdateMetadata(r.Context(), actorOf(st), id, UserMetadata{Public: in.Public, Private: in.Private, Unsafe: in.Unsafe})
		return err
	})(w, r)
}

func (a *Server) apiAdminSetAdmin(w http.ResponseWriter, r *http.Request) error {
	return a.apiUserAction(true, func(r *http.Request, st *authState, id string) error {
		var in struct {
			Admin *bool `json:"admin"`
		}
		if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
			return err
		}
		if in.Admin == nil {
			return httpx.FieldError("admin", "admin_required_field", "Give admin: true to grant administration, false to revoke it.")
		}
		return a.SetAdmin(r.Context(), actorOf(st), id, *in.Admin)
	})(w, r)
}

func (a *Server) apiAdminAuditLog(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.apiAdminUser(r); err != nil {
		return err
	}
	q := r.URL.Query()
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return httpx.FieldError("before", "invalid_before", "before must be the id of an entry.")
		}
		before = n
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return httpx.FieldError("limit", "invalid_limit", "limit must be a number from 1 to 200.")
		}
		limit = n
	}
	list, err := a.AuditLog(r.Context(), q.Get("user_id"), before, limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []core.AuditEntry{}
	}
	return httpx.WriteJSON(w, http.StatusOK, struct {
		Entries []core.AuditEntry `json:"entries"`
	}{list})
}

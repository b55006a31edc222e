package web

import (
	"errors"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

func userView(u core.User) ui.UserView {
	return ui.UserView{ID: u.ID, Email: u.Email, Name: u.Name, Initials: u.Initials(), EmailVerified: u.EmailVerified,
		HasPassword: u.HasPassword, CreatedAt: u.CreatedAt}
}

func (a *Server) sessionViews(r *http.Request, st *authState) ([]ui.SessionView, error) {
	list, err := a.db.ListSessions(r.Context(), st.user.ID)
	if err != nil {
		return nil, err
	}
	now := a.s.Now()
	out := make([]ui.SessionView, 0, len(list))
	for _, s := range list {
		if !s.Active(now, a.s.SessionIdleTimeout) {
			continue
		}
		out = append(out, ui.SessionView{ID: s.ID, Device: describeDevice(s.UserAgent), IP: s.IP, Method: s.AuthMethod,
			CreatedAt: s.CreatedAt, LastActiveAt: s.LastActiveAt, Current: s.ID == st.session.ID})
	}
	return out, nil
}

// accounts lists the accounts signed in on this browser (multi-session).
func (a *Server) accounts(r *http.Request, st *authState) []ui.AccountView {
	if a.s.SessionMode != SessionMulti {
		return nil
	}
	ctx := r.Context()
	var out []ui.AccountView
	for _, id := range splitIDs(a.sm.GetString(ctx, keySessionIDs)) {
		if id == st.session.ID {
			out = append(out, ui.AccountView{SessionID: id, Email: st.user.Email, Name: st.user.Name, Initials: st.user.Initials(), Active: true})
			continue
		}
		s, err := a.db.Session(ctx, id)
		if err != nil || !s.Active(a.s.Now(), a.s.SessionIdleTimeout) {
			continue
		}
		u, err := a.db.User(ctx, s.UserID)
		if err != nil || u.Banned {
			continue
		}
		out = append(out, ui.AccountView{SessionID: id, Email: u.Email, Name: u.Name, Initials: u.Initials()})
	}
	return out
}

// revokeSession ends one of the signed-in user's own sessions. An id that
// is not theirs is answered exactly like an unknown one.
func (a *Server) revokeSession(r *http.Request, st *authState, id string) error {
	ctx := r.Context()
	s, err := a.db.Session(ctx, id)
	if errors.Is(err, core.ErrNotFound) || (err == nil && (s.UserID != st.user.ID || s.EndedAt != nil)) {
		return httpx.Errorf(http.StatusNotFound, "session_not_found", "That session does not exist or has already ended.")
	}
	if err != nil {
		return err
	}
	if err := a.db.EndSession(ctx, id, "revoked"); err != nil {
		return err
	}
	a.cache.forgetSessions(id)
	return nil
}

// revokeOtherSessions signs the user out everywhere but here.
func (a *Server) revokeOtherSessions(r *http.Request, st *authState) (int, error) {
	ended, err := a.db.EndUserSessions(r.Context(), st.user.ID, st.session.ID, "revoked")
	if err != nil {
		return 0, err
	}
	a.cache.forgetSessions(ended...)
	return len(ended), nil
}

// updateName changes the signed-in user's display name.
func (a *Server) updateName(r *http.Request, st *authState, raw string) (core.User, error) {
	u, err := a.account.Rename(r.Context(), st.user.ID, raw)
	if err != nil {
		return u, err
	}
	a.cache.forgetUser(u.ID)
	return u, nil
}

// deleteAccount deletes the signed-in user after checking their password
// (when they have one), and signs this browser out of them.
func (a *Server) deleteAccount(r *http.Request, st *authState, pw string) error {
	ctx := r.Context()
	user := st.user
	if err := a.stepUp(r, st, pw, "password", "Enter your password to delete your account."); err != nil {
		return err
	}
	err := a.account.Delete(ctx, user, func() (*store.OutMail, error) {
		return a.newMail("account_deleted", user.Email, mail.Data{Name: user.Name})
	})
	if err != nil {
		return err
	}
	a.cache.forgetUser(user.ID)
	a.dispatcher.Wake()
	// Sign this browser out as signing out does: in multi-session mode its
	// other accounts stay signed in.
	return a.signOut(r)
}

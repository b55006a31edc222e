package web

// Impersonation: an administrator acts as a user in their own browser.
// POST Path+"/admin/users/{id}/impersonate" opens a session of the user
// whose ActorID is the administrator (and ActorSessionID the session they
// came from), lasting at most Config.Impersonation.MaxDuration. Every page
// and the user button then show a banner with "End impersonation", which
// ends that session and gives the browser back the administrator's own.
// Session tokens carry the RFC 8693 "act" claim; the user's security log
// records the start and the end; sensitive changes (password, factors,
// addresses, deleting the account) are refused while it lasts.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/embedauth/auth/admin"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
)

// Keys of the browser session during an impersonation: the
// administrator's own session, and in multi-session mode their list of
// signed-in sessions, given back when it ends.
const (
	keyActorSessionID  = "actor_sid"
	keyActorSessionIDs = "actor_sids"
)

// Refusals of impersonation.
var (
	// errImpersonationForbidden is a sensitive change tried while an
	// administrator acts as the user.
	errImpersonationForbidden = core.Refuse(core.ErrForbidden, "impersonation_forbidden",
		"This can't be done while impersonating a user. End the impersonation first.")
	errImpersonateAdmin = core.Refuse(core.ErrForbidden, "impersonation_not_allowed",
		"Administrators can't be impersonated.")
	errImpersonateSelf  = core.Refuse(core.ErrInvalidInput, "impersonation_self", "You can't impersonate yourself.")
	errImpersonationOff = core.Refuse(core.ErrNotFound, "impersonation_disabled", "Impersonation is turned off.")
	errNotImpersonating = core.Refuse(core.ErrConflict, "not_impersonating", "You are not impersonating anyone.")
	errUserNotFound     = core.Refuse(core.ErrNotFound, "user_not_found", "This user does not exist.")
)

// Impersonation describes a session an administrator opened as a user.
type Impersonation struct {
	// ActorID is the administrator's user id.
	ActorID string
	// UserID is the impersonated user's id.
	UserID string
	// SessionID is the impersonation's session.
	SessionID string
	// ExpiresAt is when the impersonation ends by itself.
	ExpiresAt time.Time
}

// ImpersonationFrom reports whether the request of ctx is an
// administrator acting as the signed-in user, and who.
func ImpersonationFrom(ctx context.Context) (Impersonation, bool) {
	st := stateFrom(ctx)
	if st == nil || st.session.ActorID == "" {
		return Impersonation{}, false
	}
	return Impersonation{ActorID: st.session.ActorID, UserID: st.user.ID, SessionID: st.session.ID, ExpiresAt: st.session.ExpiresAt}, true
}

// impersonating is the impersonation of a request's signed-in state.
func impersonating(st *authState) bool { return st != nil && st.session.ActorID != "" }

// refuseImpersonated wraps a sensitive handler: it answers
// impersonation_forbidden while an administrator acts as the user.
func (a *Server) refuseImpersonated(next httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := a.lookup(r)
		if err != nil {
			return err
		}
		if st == nil {
			if st, err = a.bearer(r); err != nil {
				return err
			}
		}
		if impersonating(st) {
			return errImpersonationForbidden
		}
		return next(w, r)
	}
}

// sensitiveRoute reports whether a route changes what an impersonating
// administrator must not: the password, factors, passkeys, addresses,
// connected accounts, other devices, or deletes the account or an
// organization.
func sensitiveRoute(method, path string) bool {
	if method == http.MethodGet || method == http.MethodHead {
		return false
	}
	switch method + " " + path {
	case "DELETE /api/me", "PATCH /api/passkeys/{id}", "DELETE /api/passkeys/{id}", "DELETE /api/orgs/{id}", "POST /orgs/{id}/delete":
		return true
	}
	for _, p := range []string{
		"/profile/password", "/api/password/change", "/profile/delete", "/reverify", "/api/reverify",
		"/profile/mfa", "/api/me/mfa", "/profile/identifiers", "/api/me/identifiers",
		"/profile/passkeys", "/api/passkeys/register", "/api/passkeys/reauth",
		"/profile/connections", "/api/me/connections", "/oauth/",
		"/profile/sessions/revoke-others", "/api/sessions/revoke-others",
		"/admin/", "/api/jwt-", "/api/webhooks",
	} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// impersonateForm starts an impersonation from the admin user page.
func (a *Server) impersonateForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	st, ok, err := a.adminPage(w, r)
	if !ok {
		return err
	}
	if err := a.impersonate(r, st, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, a.afterSignIn(formRedirect(r)), http.StatusSeeOther)
	return nil
}

// impersonate signs this browser in as user id on behalf of administrator
// st, keeping st's session to return to.
func (a *Server) impersonate(r *http.Request, st *authState, id string) error {
	ctx := r.Context()
	if a.s.Impersonation.Disabled {
		return errImpersonationOff
	}
	if impersonating(st) {
		return errImpersonationForbidden
	}
	if id == st.user.ID {
		return errImpersonateSelf
	}
	target, err := a.db.User(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return errUserNotFound.With(err)
	}
	if err != nil {
		return err
	}
	if target.Banned {
		return core.ErrUserBanned
	}
	if !a.s.Impersonation.AllowAdmins {
		isAdmin, err := a.isAdmin(ctx, target)
		if err != nil {
			return err
		}
		if isAdmin {
			return errImpersonateAdmin
		}
	}
	sess := a.newSession(r, target.ID, "impersonation")
	sess.ActorID, sess.ActorSessionID = st.user.ID, st.session.ID
	sess.ExpiresAt = a.s.Now().Add(a.s.Impersonation.MaxDuration)
	if st.session.ExpiresAt.Before(sess.ExpiresAt) {
		sess.ExpiresAt = st.session.ExpiresAt
	}
	// The admin audit log records it in the session's own transaction.
	sess, err = a.db.CreateSession(a.adm.Audited(ctx, actorOf(st), core.AuditUserImpersonated, target, ""), sess)
	if err != nil {
		return err
	}
	if err := a.db.LogSecurity(ctx, core.SecurityEvent{UserID: target.ID, Kind: core.SecurityImpersonationStarted,
		Method: "impersonation", Detail: actorDetail(st.user)}); err != nil {
		return err
	}
	if err := a.sm.RenewToken(ctx); err != nil {
		return err
	}
	a.sm.Put(ctx, keyActorSessionID, st.session.ID)
	a.sm.Put(ctx, keyActorSessionIDs, a.sm.GetString(ctx, keySessionIDs))
	a.sm.Put(ctx, keySessionID, sess.ID)
	if a.s.SessionMode == SessionMulti {
		a.sm.Put(ctx, keySessionIDs, sess.ID)
	}
	a.s.Logger.Info("embedauth: impersonation started", "actor", st.user.ID, "user", target.ID, "session", sess.ID)
	return nil
}

// actorDetail names an administrator in the user's security log.
func actorDetail(u core.User) string {
	if u.Email != "" {
		return u.Email + " (" + u.ID + ")"
	}
	return u.ID
}

// endImpersonation ends this browser's impersonation and gives it back
// the administrator's own session, if it is still live. It returns the
// impersonated user's id.
func (a *Server) endImpersonation(r *http.Request) (string, error) {
	ctx := r.Context()
	actorSID := a.sm.GetString(ctx, keyActorSessionID)
	if actorSID == "" {
		return "", errNotImpersonating
	}
	sid := a.sm.GetString(ctx, keySessionID)
	var userID string
	if sid != "" {
		s, err := a.db.Session(ctx, sid)
		switch {
		case errors.Is(err, core.ErrNotFound):
		case err != nil:
			return "", err
		case s.ActorID == "":
			return "", errNotImpersonating
		default:
			userID = s.UserID
			if s.EndedAt == nil {
				if err := a.db.EndSession(ctx, sid, "impersonation_ended"); err != nil && !errors.Is(err, core.ErrNotFound) {
					return "", err
				}
				a.cache.forgetSessions(sid)
			}
			actor := core.User{ID: s.ActorID}
			if u, err := a.db.User(ctx, s.ActorID); err == nil {
				actor = u
			}
			if err := a.db.LogSecurity(ctx, core.SecurityEvent{UserID: s.UserID, Kind: core.SecurityImpersonationEnded,
				Method: "impersonation", Detail: actorDetail(actor)}); err != nil {
				return "", err
			}
			if err := a.auditImpersonationEnd(ctx, actor, s.UserID, "ended"); err != nil {
				return "", err
			}
		}
	}
	ids := a.sm.GetString(ctx, keyActorSessionIDs)
	a.sm.Remove(ctx, keyActorSessionID)
	a.sm.Remove(ctx, keyActorSessionIDs)
	if s, u, _, err := a.db.LiveSessionWithOrg(ctx, actorSID); err == nil && !u.Banned && s.Active(a.s.Now(), a.s.SessionIdleTimeout) {
		if err := a.sm.RenewToken(ctx); err != nil {
			return "", err
		}
		a.sm.Put(ctx, keySessionID, actorSID)
		if a.s.SessionMode == SessionMulti {
			a.sm.Put(ctx, keySessionIDs, ids)
		}
		return userID, nil
	} else if err != nil && !errorsIsNotFound(err) {
		return "", err
	}
	// The administrator's own session ended meanwhile: signed out.
	return userID, a.sm.Destroy(ctx)
}

// returnFromImpersonation ends impersonation sess, past its time, and
// signs the browser whose cookie token is token back in to the
// administrator's own session when it is still live, reporting whether
// it did.
func (a *Server) returnFromImpersonation(ctx context.Context, token string, sess core.Session) (bool, error) {
	ctx, err := a.sm.Load(ctx, token)
	if err != nil {
		return false, err
	}
	if a.sm.Token(ctx) != token || a.sm.GetString(ctx, keySessionID) != sess.ID || a.sm.GetString(ctx, keyActorSessionID) != sess.ActorSessionID {
		return false, nil
	}
	admin, u, _, err := a.db.LiveSessionWithOrg(ctx, sess.ActorSessionID)
	if errorsIsNotFound(err) || (err == nil && (u.Banned || !admin.Active(a.s.Now(), a.s.SessionIdleTimeout))) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	a.sm.Put(ctx, keySessionID, sess.ActorSessionID)
	if a.s.SessionMode == SessionMulti {
		a.sm.Put(ctx, keySessionIDs, a.sm.GetString(ctx, keyActorSessionIDs))
	}
	a.sm.Remove(ctx, keyActorSessionID)
	a.sm.Remove(ctx, keyActorSessionIDs)
	if _, _, err := a.sm.Commit(ctx); err != nil {
		return false, err
	}
	if err := a.db.EndSession(ctx, sess.ID, "impersonation_expired"); err != nil && !errors.Is(err, core.ErrNotFound) {
		return false, err
	}
	a.cache.forgetSessions(sess.ID)
	actor, err := a.db.User(ctx, sess.ActorID)
	if err != nil {
		actor = core.User{ID: sess.ActorID}
	}
	if err := a.db.LogSecurity(ctx, core.SecurityEvent{UserID: sess.UserID, Kind: core.SecurityImpersonationEnded,
		Method: "impersonation", Detail: actorDetail(actor)}); err != nil {
		return false, err
	}
	return true, a.auditImpersonationEnd(ctx, actor, sess.UserID, "time ran out")
}

// auditImpersonationEnd writes the end of actor's impersonation of userID
// to the admin audit log.
func (a *Server) auditImpersonationEnd(ctx context.Context, actor core.User, userID, detail string) error {
	target, err := a.db.User(ctx, userID)
	if err != nil {
		target = core.User{ID: userID} // deleted meanwhile
	}
	return a.adm.Record(ctx, admin.Actor{ID: actor.ID, Email: actor.Email}, core.AuditImpersonationEnded, target, detail)
}

func (a *Server) endImpersonationForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	userID, err := a.endImpersonation(r)
	if err != nil {
		return err
	}
	target := a.s.Path + "/sign-in"
	if a.sm.GetString(r.Context(), keySessionID) != "" {
		a.notice(r, "Impersonation ended.")
		target = a.s.Path + "/admin/users/" + userID
		if userID == "" {
			target = a.afterSignIn("")
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (a *Server) apiEndImpersonation(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	if _, err := a.endImpersonation(r); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "impersonation_ended"})
}

// impersonationView is the banner of a request made during an
// impersonation, nil otherwise.
func (a *Server) impersonationView(r *http.Request) *ui.Impersonation {
	st, err := a.lookup(r)
	if err != nil || !impersonating(st) {
		return nil
	}
	actor := st.session.ActorID
	if u, err := a.db.User(r.Context(), actor); err == nil && u.Email != "" {
		actor = u.Email
	}
	who := st.user.Email
	if who == "" {
		who = st.user.DisplayName()
	}
	return &ui.Impersonation{Actor: actor, User: who, EndsAt: st.session.ExpiresAt, EndURL: a.s.Path + "/impersonation/end"}
}

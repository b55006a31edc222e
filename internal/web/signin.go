package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
)

// rateLimited answers a client over its per-IP limit.
func rateLimited(l interface {
	Allow(string) (bool, time.Duration)
}, key string) error {
	if ok, retry := l.Allow(key); !ok {
		return &core.Error{Kind: core.ErrRateLimited, Code: "rate_limited",
			Message: "Too many requests from your network. Wait a minute and try again.", RetryAfter: retry}
	}
	return nil
}

// passwordSignIn checks an email and password and signs the browser in.
func (a *Server) passwordSignIn(w http.ResponseWriter, r *http.Request, email, pw string) (*authState, error) {
	if !a.enabled(MethodPassword) {
		return nil, errMethodDisabled
	}
	if err := rateLimited(a.limits.signIn, a.s.ClientIP(r)); err != nil {
		return nil, err
	}
	if err := a.checkCaptcha(r); err != nil {
		return nil, err
	}
	ctx := r.Context()
	user, err := a.account.SignIn(ctx, email, pw)
	if err != nil {
		return nil, err
	}
	// The attempt SignIn counted is cleared in the transaction that
	// creates the session, or here when the sign-in stops short of one.
	cleared := false
	defer func() {
		if !cleared {
			if err := a.account.ClearAttempts(ctx, user.ID); err != nil {
				a.s.Logger.Error("embedauth: reset failed attempts", "err", err)
			}
		}
	}()
	if err := a.requireSecondFactor(r, user, "password"); err != nil {
		return nil, err // errFactorTwoRequired: no session until the second factor (factortwo.go)
	}
	sess, err := a.deviceSession(r, user, "password", nil, false, true) // errDeviceVerificationRequired for a new device (device.go)
	if err != nil {
		return nil, err
	}
	cleared = true
	return a.attachSession(r, user, sess)
}

// newSession describes the device a request comes from.
func (a *Server) newSession(r *http.Request, userID, method string) core.Session {
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	if !utf8.ValidString(ua) {
		ua = strings.ToValidUTF8(ua, "")
	}
	return core.Session{UserID: userID, AuthMethod: method, UserAgent: ua, IP: a.s.ClientIP(r),
		ExpiresAt: a.s.Now().Add(a.s.SessionLifetime)}
}

// attachSession signs this browser in as sess with a fresh cookie token:
// whatever token the browser had (perhaps planted) is deleted.
func (a *Server) attachSession(r *http.Request, user core.User, sess core.Session) (*authState, error) {
	ctx := r.Context()
	prev := a.sm.GetString(ctx, keySessionID)
	ids := splitIDs(a.sm.GetString(ctx, keySessionIDs))
	if a.s.SessionMode == SessionSingle && prev != "" && prev != sess.ID {
		if err := a.db.EndSession(ctx, prev, "signed_in_again"); err != nil && !errors.Is(err, core.ErrNotFound) {
			return nil, err
		}
		a.cache.forgetSessions(prev)
		ids = nil
	}
	if err := a.renewSignInToken(ctx); err != nil {
		return nil, err
	}
	a.sm.Remove(ctx, keySignup)
	a.sm.Remove(ctx, keyReset)
	a.sm.Remove(ctx, keyFactorTwo) // a sign-in waiting for its second factor (factortwo.go)
	a.sm.Put(ctx, keySessionID, sess.ID)
	a.linkPendingSocial(r, user) // an identity waiting for this account (social.go)
	if a.s.SessionMode == SessionMulti {
		if !slices.Contains(ids, sess.ID) {
			ids = append(ids, sess.ID)
		}
		a.sm.Put(ctx, keySessionIDs, strings.Join(ids, ","))
	}
	st := &authState{user: user, session: sess}
	a.joinBrowserInvitation(r, st) // an invitation link opened in this browser (org_invitations.go)
	return st, nil
}

func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// signOut ends the browser's active session. In multi-session mode the
// browser switches to another of its accounts, if any.
func (a *Server) signOut(r *http.Request) error {
	ctx := r.Context()
	sid := a.sm.GetString(ctx, keySessionID)
	if sid != "" {
		if err := a.db.EndSession(ctx, sid, "signed_out"); err != nil && !errors.Is(err, core.ErrNotFound) {
			return err
		}
		a.cache.forgetSessions(sid)
	}
	return a.keepLiveAccounts(r)
}

// keepLiveAccounts drops ended sessions from this browser after a sign-out
// or reset. In multi-session mode a remaining account becomes active (with
// a new cookie token); with none left, the browser session is destroyed.
func (a *Server) keepLiveAccounts(r *http.Request) error {
	ctx := r.Context()
	if a.s.SessionMode == SessionMulti {
		var rest []string
		for _, id := range splitIDs(a.sm.GetString(ctx, keySessionIDs)) {
			if s, err := a.db.Session(ctx, id); err == nil && s.Active(a.s.Now(), a.s.SessionIdleTimeout) {
				rest = append(rest, id)
			}
		}
		if len(rest) > 0 {
			if err := a.sm.RenewToken(ctx); err != nil {
				return err
			}
			a.sm.Put(ctx, keySessionID, rest[len(rest)-1])
			a.sm.Put(ctx, keySessionIDs, strings.Join(rest, ","))
			return nil
		}
	}
	return a.sm.Destroy(ctx)
}

// switchSession makes another signed-in account of this browser active
// (multi-session mode).
func (a *Server) switchSession(r *http.Request, id string) error {
	ctx := r.Context()
	if a.s.SessionMode != SessionMulti || !slices.Contains(splitIDs(a.sm.GetString(ctx, keySessionIDs)), id) {
		return httpx.Errorf(http.StatusNotFound, "session_not_found", "That account is not signed in on this browser.")
	}
	s, err := a.db.Session(ctx, id)
	if err != nil || !s.Active(a.s.Now(), a.s.SessionIdleTimeout) {
		return httpx.Errorf(http.StatusNotFound, "session_not_found", "That account is no longer signed in. Sign in again.")
	}
	if err := a.sm.RenewToken(ctx); err != nil {
		return err
	}
	a.sm.Put(ctx, keySessionID, id)
	return nil
}

func (a *Server) apiSignIn(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email        string `json:"email"`
		Password     string `json:"password"`
		CaptchaToken string `json:"captcha_token"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, err := a.passwordSignIn(w, withCaptchaToken(r, in.CaptchaToken), in.Email, in.Password)
	if errors.Is(err, errFactorTwoRequired) {
		return a.apiFactorTwoRequired(w, r)
	}
	if err != nil {
		return a.apiDeviceStepOr(w, r, err)
	}
	return a.writeMe(w, st)
}

func (a *Server) apiSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := a.signOut(r); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "signed_out"})
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

func (a *Server) signInPage(w http.ResponseWriter, r *http.Request) error {
	redirect := a.safeRedirect(r.URL.Query().Get("redirect_url"))
	if st, err := a.lookup(r); err != nil {
		return err
	} else if st != nil && !(a.s.SessionMode == SessionMulti && r.URL.Query().Get("add") != "") {
		http.Redirect(w, r, a.afterSignIn(redirect), http.StatusSeeOther)
		return nil
	}
	return a.render(w, http.StatusOK, "sign-in", ui.SignIn{Page: a.page(r, "sign-in"), RedirectURL: redirect, Methods: a.methodsView()})
}

func (a *Server) signInForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	email, redirect := r.PostFormValue("email"), a.safeRedirect(formRedirect(r))
	st, err := a.passwordSignIn(w, r, email, r.PostFormValue("password"))
	if errors.Is(err, errFactorTwoRequired) {
		http.Redirect(w, r, a.factorTwoTarget(redirect), http.StatusSeeOther)
		return nil
	}
	if errors.Is(err, errDeviceVerificationRequired) {
		http.Redirect(w, r, a.deviceTarget(redirect), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return a.formFail(w, r, err, "sign-in", func(p ui.Page) any {
			return ui.SignIn{Page: p, Email: email, RedirectURL: redirect, Methods: a.methodsView()}
		})
	}
	http.Redirect(w, r, a.passkeyNudge(r, st, a.afterSignIn(redirect)), http.StatusSeeOther)
	return nil
}

// signOutPage asks a signed-in person to confirm signing out; with no one
// signed in there is nothing to confirm, so it goes to the sign-in page.
func (a *Server) signOutPage(w http.ResponseWriter, r *http.Request) error {
	st, err := a.lookup(r)
	if err != nil {
		return err
	}
	if st == nil {
		http.Redirect(w, r, a.s.Path+"/sign-in", http.StatusSeeOther)
		return nil
	}
	p := a.page(r, "sign-out")
	return a.render(w, http.StatusOK, "sign-out", ui.Message{Page: p})
}

func (a *Server) signOutForm(w http.ResponseWriter, r *http.Request) error {
	if err := a.signOut(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (a *Server) switchForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	if err := a.switchSession(r, r.PostFormValue("session_id")); err != nil {
		return err
	}
	http.Redirect(w, r, a.afterSignIn(formRedirect(r)), http.StatusSeeOther)
	return nil
}

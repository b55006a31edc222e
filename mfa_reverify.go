package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mfa"
	"github.com/embedauth/auth/ui"
)

// DefaultReverificationAge is the window RequireReverification uses when
// given a maxAge of zero or less.
const DefaultReverificationAge = 10 * time.Minute

var errReverificationRequired = httpx.Errorf(http.StatusForbidden, "reverification_required",
	"Confirm it's you to continue: sign in again at the reverification page.")

// RequireReverification lets through requests of users who proved their
// factors (signed in, or reverified at Handler's /reverify page) within
// maxAge (DefaultReverificationAge when zero or less); use it for
// sensitive actions. Other signed-in browsers are redirected to the
// reverification page, which returns to the request's URL afterwards; API
// clients (and bearer tokens) get 403 with the error code
// "reverification_required". Signed-out requests are handled as by
// RequireUser.
func (a *Auth) RequireReverification(maxAge time.Duration, next http.Handler) http.Handler {
	if maxAge <= 0 {
		maxAge = DefaultReverificationAge
	}
	return a.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateFrom(r.Context())
		if st == nil {
			a.unauthenticated(w, r)
			return
		}
		ok, err := a.recentlyVerified(r.Context(), st, maxAge)
		if err != nil {
			a.adapter.Write(w, r, err)
			return
		}
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		if st.bearer != nil || httpx.WantsJSON(r) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			httpx.WriteError(w, errReverificationRequired)
			return
		}
		http.Redirect(w, r, a.s.Path+"/reverify?redirect_url="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}))
}

// recentlyVerified reports whether st's session proved its factors within
// maxAge: at sign-in or at a later reverification.
func (a *Auth) recentlyVerified(ctx context.Context, st *authState, maxAge time.Duration) (bool, error) {
	if st.bearer != nil {
		return false, nil
	}
	at := st.session.CreatedAt
	v, err := a.db.ReverifiedAt(ctx, st.session.ID)
	switch {
	case err == nil:
		if v.After(at) {
			at = v
		}
	case !errors.Is(err, core.ErrNotFound):
		return false, err
	}
	return a.s.Now().Sub(at) <= maxAge, nil
}

func (a *Auth) reverifyData(r *http.Request, st *authState, p ui.Page, redirect string) (ui.MFAReverify, error) {
	on, err := a.mfa.Enabled(r.Context(), st.user.ID)
	return ui.MFAReverify{Page: p, RedirectURL: redirect, HasPassword: st.user.HasPassword, TOTP: on}, err
}

func (a *Auth) reverifyPage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	d, err := a.reverifyData(r, st, a.page(r, "mfa-reverify"), a.safeRedirect(r.URL.Query().Get("redirect_url")))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "mfa-reverify", d)
}

func (a *Auth) reverifyForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	if err := a.reverify(r, st, r.PostFormValue("password"), r.PostFormValue("code")); err != nil {
		if httpx.Public(err).Status >= 500 {
			return err
		}
		d, derr := a.reverifyData(r, st, a.page(r, "mfa-reverify"), redirect)
		if derr != nil {
			return derr
		}
		return a.formFail(w, r, err, "mfa-reverify", func(p ui.Page) any { d.Page = p; return d })
	}
	http.Redirect(w, r, a.afterSignIn(redirect), http.StatusSeeOther)
	return nil
}

// reverify checks the user's first factor and, when enrolled, a TOTP or
// backup code, then records the proof for this session and renews the
// cookie token.
func (a *Auth) reverify(r *http.Request, st *authState, pw, code string) error {
	ctx := r.Context()
	if err := a.confirmPassword(ctx, st.user, pw, "password", "Enter your password."); err != nil {
		return err
	}
	on, err := a.mfa.Enabled(ctx, st.user.ID)
	if err != nil {
		return err
	}
	if on {
		code = strings.TrimSpace(code)
		if code == "" {
			return httpx.FieldError("code", "code_required", "Enter the code from your app, or a backup code.")
		}
		method := mfa.MethodTOTP
		if len(strings.ReplaceAll(code, " ", "")) > mfa.Digits {
			method = mfa.MethodBackup
		}
		if err := a.mfa.Verify(ctx, st.user.ID, method, code); err != nil {
			return a.mfaError(err)
		}
	}
	if err := a.db.SetReverified(ctx, st.session.ID); err != nil {
		return err
	}
	return a.sm.RenewToken(ctx)
}

// apiReverify proves the signed-in user's factors again (password, and a
// TOTP or backup code when enrolled) for RequireReverification.
func (a *Auth) apiReverify(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.reverify(r, st, in.Password, in.Code); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "reverified"})
}

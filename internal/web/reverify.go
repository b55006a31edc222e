package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/mfa"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

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
func (a *Server) RequireReverification(maxAge time.Duration, next http.Handler) http.Handler {
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
			httpx.WriteError(w, a.translateError(r, errReverificationRequired))
			return
		}
		http.Redirect(w, r, a.s.Path+"/reverify?redirect_url="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}))
}

// recentlyVerified reports whether st's session proved its factors within
// maxAge: at sign-in or at a later reverification.
func (a *Server) recentlyVerified(ctx context.Context, st *authState, maxAge time.Duration) (bool, error) {
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

// keyReverifyFlow is the email code flow of a reverification this
// browser started.
const keyReverifyFlow = "reverify_flow"

// keyReverifyFirst holds "userID|sessionID|unix ms" when this browser
// proved a first factor through a connected provider and the second
// step is still to come.
const keyReverifyFirst = "reverify_first"

// reverifyFirstTTL bounds the wait between a provider's proof and the
// second step.
const reverifyFirstTTL = 5 * time.Minute

// firstFactorReverified follows a first factor proven outside the
// reverification form (a connected provider): without two-step
// verification that is the whole proof; with it, the browser goes back to
// the reverification page for the second step. It returns where to go.
func (a *Server) firstFactorReverified(r *http.Request, st *authState, redirect string) (string, error) {
	ctx := r.Context()
	redirect = a.safeRedirect(redirect)
	if st.user.TwoFactorEnabled {
		a.sm.Put(ctx, keyReverifyFirst, st.user.ID+"|"+st.session.ID+"|"+strconv.FormatInt(a.s.Now().UnixMilli(), 10))
		return a.reverifyTarget(redirect), nil
	}
	if err := a.db.SetReverified(ctx, st.session.ID); err != nil {
		return "", err
	}
	if err := a.sm.RenewToken(ctx); err != nil {
		return "", err
	}
	return a.afterSignIn(redirect), nil
}

// firstFactorDone reports whether this browser proved st's first factor
// through a connected provider within reverifyFirstTTL.
func (a *Server) firstFactorDone(r *http.Request, st *authState) bool {
	parts := strings.Split(a.sm.GetString(r.Context(), keyReverifyFirst), "|")
	if len(parts) != 3 || parts[0] != st.user.ID || parts[1] != st.session.ID {
		return false
	}
	at, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return false
	}
	age := a.s.Now().Sub(time.UnixMilli(at))
	return age >= 0 && age <= reverifyFirstTTL
}

// stepUp guards a sensitive change by the signed-in user: it passes when
// the session proved the user's factors within MFA.ReverificationWindow
// (at sign-in or a later reverification). Otherwise a user with a
// password and no two-step verification may prove it inline with pw
// (the form's password field, named field; missing is its message when
// empty), which counts as a reverification; everyone else, and every
// form without a password field (field == ""), gets
// errReverificationRequired, which sends browsers to the reverification
// page. A password that is given is always checked.
func (a *Server) stepUp(r *http.Request, st *authState, pw, field, missing string) error {
	ctx := r.Context()
	recent, err := a.recentlyVerified(ctx, st, a.s.MFA.ReverificationWindow)
	if err != nil {
		return err
	}
	if pw == "" && recent {
		return nil
	}
	if !st.user.HasPassword || field == "" {
		if recent {
			return nil
		}
		return errReverificationRequired
	}
	if pw == "" {
		if st.user.TwoFactorEnabled {
			return errReverificationRequired
		}
		return httpx.FieldError(field, "password_required", missing)
	}
	if err := a.checkPasswordField(r, st.user, pw, field); err != nil {
		return err
	}
	if recent {
		return nil
	}
	if st.user.TwoFactorEnabled {
		return errReverificationRequired
	}
	return a.db.SetReverified(ctx, st.session.ID)
}

// missingPassword is the refusal stepUp would give an empty password field
// (nil when an empty one passes, the session being recently verified, or
// leads to the reverification page), found without checking anything that
// costs an attempt, so that a form can tell it beside its other fields'
// problems (core.Combine).
func (a *Server) missingPassword(r *http.Request, st *authState, pw, field, missing string) error {
	if pw != "" || !st.user.HasPassword || st.user.TwoFactorEnabled {
		return nil
	}
	recent, err := a.recentlyVerified(r.Context(), st, a.s.MFA.ReverificationWindow)
	if err != nil || recent {
		return err
	}
	return httpx.FieldError(field, "password_required", missing)
}

// reverifyTarget is where a form of page name sends the browser to
// confirm it's the user: the reverification page, coming back to back.
func (a *Server) reverifyTarget(back string) string {
	return a.s.Path + "/reverify?redirect_url=" + url.QueryEscape(back)
}

func (a *Server) reverifyData(r *http.Request, st *authState, p ui.Page, redirect string) (ui.MFAReverify, error) {
	ctx := r.Context()
	d := ui.MFAReverify{Page: p, RedirectURL: redirect, HasPassword: st.user.HasPassword, TOTP: st.user.TwoFactorEnabled}
	if st.user.TwoFactorEnabled {
		status, err := a.mfa.Status(ctx, st.user.ID)
		if err != nil {
			return d, err
		}
		if !status.TOTP && status.SMS { // the second step is a text message code
			d.SMS = true
			if c, ok := a.flowOf(r, keySMSFactorFlow); ok && c.UserID == st.user.ID {
				d.SMSSentTo = passwordless.MaskPhone(c.Address)
			}
		}
	}
	if a.pk != nil {
		pks, err := a.db.UserPasskeys(ctx, st.user.ID)
		if err != nil {
			return d, err
		}
		d.Passkey = len(pks) > 0
	}
	d.FirstDone = a.firstFactorDone(r, st)
	if a.social != nil {
		conns, err := a.db.ExternalAccounts(ctx, st.user.ID)
		if err != nil {
			return d, err
		}
		for _, c := range conns {
			if sp := a.social.byID[c.Provider]; sp != nil && !slices.ContainsFunc(d.Providers, func(b ui.SocialButton) bool { return b.ID == sp.cfg.ID }) {
				d.Providers = append(d.Providers, ui.SocialButton{ID: sp.cfg.ID, Name: sp.cfg.Name})
			}
		}
	}
	if !st.user.HasPassword && st.user.EmailVerified && st.user.Email != "" {
		d.EmailCode = true
		if c, ok := a.flowOf(r, keyReverifyFlow); ok && c.UserID == st.user.ID {
			d.EmailSentTo = maskEmail(c.Address)
		}
	}
	return d, nil
}

func (a *Server) reverifyPage(w http.ResponseWriter, r *http.Request) error {
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

// reverifyInput is what a reverification form or API call proves: the
// password or an email code as the first factor (or a passkey, already
// proven through the passkey re-authentication API), and a TOTP or
// backup code when two-step verification is on.
type reverifyInput struct {
	Password  string `json:"password"`
	Code      string `json:"code"`
	EmailCode string `json:"email_code"`
	Method    string `json:"-"` // forms only: "passkey", "send_email_code", "send_sms_code"
}

func (a *Server) reverifyForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	in := reverifyInput{Password: r.PostFormValue("password"), Code: r.PostFormValue("code"),
		EmailCode: r.PostFormValue("email_code"), Method: r.PostFormValue("method")}
	switch in.Method {
	case "send_email_code":
		err = a.sendReverifyCode(r, st)
		if err == nil {
			a.notice(r, "We sent a code to your email address.")
			http.Redirect(w, r, a.reverifyTarget(redirect), http.StatusSeeOther)
			return nil
		}
	case "send_sms_code":
		var sent sentBody
		sent, err = a.sendSMSFactorCode(r, st.user)
		if err == nil {
			a.notice(r, "We texted a code to "+sent.To+".")
			http.Redirect(w, r, a.reverifyTarget(redirect), http.StatusSeeOther)
			return nil
		}
	default:
		err = a.reverify(r, st, in)
	}
	if err != nil {
		if httpx.Status(httpx.Public(err)) >= 500 {
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

// sendReverifyCode mails a code to the user's primary email, for users
// without a password.
func (a *Server) sendReverifyCode(r *http.Request, st *authState) error {
	user := st.user
	if !user.EmailVerified || user.Email == "" {
		return httpx.Errorf(http.StatusConflict, "no_verified_email", "Your account has no verified email address to send a code to.")
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	ctx := r.Context()
	key := store.IdentifierKey(core.IdentifierEmail, user.Email)
	c, err := a.pwl.svc.Start(ctx, passwordless.Request{Kind: core.ChallengeEmailCode, Purpose: core.PurposeReverify,
		Address: user.Email, AddressKey: key, UserID: user.ID, Limits: a.sendLimits(r, core.IdentifierEmail, key)},
		a.renderEmail(a.mailLang(ctx, &user), mail.MsgReverifyCode, user.Email, user.Name))
	if err != nil {
		return err
	}
	a.wake()
	a.sm.Put(ctx, keyReverifyFlow, c.ID)
	return nil
}

// reverify checks the user's first factor (password, email code, or a
// passkey re-authentication just made) and, when two-step verification
// is on, a TOTP or backup code, then records the proof for this session
// and renews the cookie token.
func (a *Server) reverify(r *http.Request, st *authState, in reverifyInput) error {
	ctx := r.Context()
	if in.Method == "passkey" {
		// passkeyReauthFinish recorded the proof; the form only returns.
		ok, err := a.recentlyVerified(ctx, st, time.Minute)
		if err != nil || ok {
			return err
		}
		return httpx.Errorf(http.StatusUnauthorized, "passkey_required", "Confirm with one of your passkeys first.")
	}
	firstDone := a.firstFactorDone(r, st)
	switch {
	case firstDone: // a connected provider proved it (social.go)
	case st.user.HasPassword:
		if in.Password == "" {
			return httpx.FieldError("password", "password_required", "Enter your password.")
		}
		if err := a.checkPasswordField(r, st.user, in.Password, "password"); err != nil {
			return err
		}
	default:
		if err := a.checkReverifyCode(r, st, in.EmailCode); err != nil {
			return err
		}
	}
	if st.user.TwoFactorEnabled {
		if err := a.checkSecondStep(r, st.user, in.Code); err != nil {
			return err
		}
	}
	if err := a.db.SetReverified(ctx, st.session.ID); err != nil {
		return err
	}
	a.sm.Remove(ctx, keyReverifyFirst)
	return a.sm.RenewToken(ctx)
}

// checkPasswordField checks user's password, given in the form field
// named field.
func (a *Server) checkPasswordField(r *http.Request, user core.User, pw, field string) error {
	// Guesses of a signed-in user's password count against the client's
	// sign-in limit, as sign-in's do: a stolen session must not become a
	// fast oracle for the password (and a lockout of its owner).
	if err := rateLimited(a.limits.signIn, a.s.ClientIP(r)); err != nil {
		return err
	}
	err := a.account.CheckPassword(r.Context(), &user, pw)
	if errors.Is(err, core.ErrInvalidCredentials) {
		return httpx.FieldError(field, "incorrect_password", "That password is incorrect.")
	}
	return err
}

// checkSecondStep checks the second factor of a reverification: a code
// from the authenticator app, a text message code (users whose only
// second factor it is) or a backup code.
func (a *Server) checkSecondStep(r *http.Request, user core.User, code string) error {
	ctx := r.Context()
	code = strings.TrimSpace(code)
	if code == "" {
		return httpx.FieldError("code", "code_required", "Enter the code from your app or text message, or a backup code.")
	}
	status, err := a.mfa.Status(ctx, user.ID)
	if err != nil {
		return err
	}
	compact := strings.ReplaceAll(code, " ", "")
	switch {
	case !status.TOTP && status.SMS && len(compact) <= smsCodeMax && strings.Trim(compact, "0123456789") == "":
		return a.checkSMSFactorCode(r, user, code, "")
	case len(compact) > mfa.Digits:
		return a.mfa.Verify(ctx, user.ID, mfa.MethodBackup, code)
	}
	return a.mfa.Verify(ctx, user.ID, mfa.MethodTOTP, code)
}

// checkReverifyCode uses the email code of this browser's reverification
// flow.
func (a *Server) checkReverifyCode(r *http.Request, st *authState, code string) error {
	ctx := r.Context()
	c, ok := a.flowOf(r, keyReverifyFlow)
	if !ok || c.UserID != st.user.ID || c.Purpose != core.PurposeReverify {
		a.sm.Remove(ctx, keyReverifyFlow)
		return httpx.FieldError("email_code", "code_not_sent", "Send yourself a code by email first.")
	}
	if strings.TrimSpace(code) == "" {
		return httpx.FieldError("email_code", "code_required", "Enter the code we emailed you.")
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	if _, err := a.pwl.svc.VerifyCode(ctx, c.ID, code, nil); err != nil {
		e := err
		if errors.Is(e, errFlowGone) {
			a.sm.Remove(ctx, keyReverifyFlow)
		}
		var he *core.Error
		if errors.As(e, &he) && he.Field == "code" {
			moved := *he
			moved.Field = "email_code"
			return &moved
		}
		return e
	}
	a.sm.Remove(ctx, keyReverifyFlow)
	return nil
}

// apiReverify proves the signed-in user's factors again for
// RequireReverification and the built-in sensitive changes: the password
// (or, for users without one, an email code from POST
// /api/reverify/email-code), and a TOTP or backup code when enrolled.
func (a *Server) apiReverify(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in reverifyInput
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.reverify(r, st, in); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "reverified"})
}

// apiReverifyEmailCode mails a reverification code to the user's primary
// email.
func (a *Server) apiReverifyEmailCode(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	if err := a.sendReverifyCode(r, st); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, sentBody{Status: "sent", Channel: core.IdentifierEmail, To: maskEmail(st.user.Email),
		ExpiresIn: int(a.s.Passwordless.CodeTTL / time.Second)})
}

// apiReverifySMSCode texts a code for the second step of a reverification
// (users whose second factor is text messages).
func (a *Server) apiReverifySMSCode(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	sent, err := a.sendSMSFactorCode(r, st.user)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, sent)
}

package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mfa"
	"github.com/embedauth/auth/passwordless"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

var _ mfa.Store = (*store.DB)(nil)

// keyFactorTwo holds "userID|first-factor method|expiry unix ms" while a
// browser that proved a first factor completes the second. No device
// session exists until then, so every other route sees a signed-out
// browser.
const keyFactorTwo = "mfa_pending"

// factorTwoTTL bounds how long the second step may wait for the first.
const factorTwoTTL = 10 * time.Minute

// errFactorTwoRequired tells a sign-in handler that the first factor was
// right and the browser must now complete the second (it is never shown
// as an error).
var errFactorTwoRequired = errors.New("auth: second factor required")

var errFactorTwoNotStarted = httpx.Errorf(http.StatusUnauthorized, "second_factor_not_started",
	"Your sign-in expired or was not started. Sign in again.")

// mfaMaxFailures caps wrong second-factor codes in a row before the
// second factor locks for LockoutDuration: a 6-digit code needs a far
// lower limit than a password (LockoutThreshold applies when lower).
const mfaMaxFailures = 10

func (a *Server) initMFA(key []byte) error {
	svc, err := mfa.New(a.db, mfa.Config{Key: key, Issuer: a.s.AppName, Now: a.s.Now,
		MaxFailures: min(a.s.LockoutThreshold, mfaMaxFailures), LockFor: a.s.LockoutDuration})
	if err != nil {
		return err
	}
	a.mfa = svc
	return nil
}

// secondFactors lists the second factors userID can use, empty when the
// user has no MFA: "totp", "sms", "backup_code", and "passkey" when
// passkeys are on and the user has one. A user whose text message factor
// is on keeps "sms" listed even when it cannot be sent now (SMS off, or
// no verified phone), so that the sign-in still asks for a second factor.
func (a *Server) secondFactors(ctx context.Context, userID string) ([]string, error) {
	st, err := a.mfa.Status(ctx, userID)
	if err != nil || !st.On() {
		return nil, err
	}
	var out []string
	if st.TOTP {
		out = append(out, string(mfa.MethodTOTP))
	}
	if st.SMS {
		out = append(out, methodSMS)
	}
	if st.BackupCodesLeft > 0 {
		out = append(out, string(mfa.MethodBackup))
	}
	if a.pk != nil {
		pks, err := a.db.UserPasskeys(ctx, userID)
		if err != nil {
			return nil, err
		}
		if len(pks) > 0 {
			out = append(out, "passkey")
		}
	}
	return out, nil
}

// requireSecondFactor is called after a first factor succeeded for user.
// For a user with MFA it keeps the proof in the browser session, with a
// new cookie token, and returns errFactorTwoRequired; otherwise nil.
func (a *Server) requireSecondFactor(r *http.Request, user core.User, method string) error {
	if !user.TwoFactorEnabled { // read with the user: no query for most sign-ins
		return nil
	}
	ctx := r.Context()
	factors, err := a.secondFactors(ctx, user.ID)
	if err != nil || len(factors) == 0 {
		return err
	}
	if err := a.sm.RenewToken(ctx); err != nil {
		return err
	}
	exp := a.s.Now().Add(factorTwoTTL).UnixMilli()
	a.sm.Put(ctx, keyFactorTwo, user.ID+"|"+method+"|"+strconv.FormatInt(exp, 10))
	return errFactorTwoRequired
}

// pendingFactorTwo returns the user and first-factor method waiting for a
// second factor in this browser, or errFactorTwoNotStarted.
func (a *Server) pendingFactorTwo(r *http.Request) (core.User, string, error) {
	ctx := r.Context()
	parts := strings.Split(a.sm.GetString(ctx, keyFactorTwo), "|")
	if len(parts) != 3 {
		return core.User{}, "", errFactorTwoNotStarted
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || a.s.Now().UnixMilli() >= exp {
		a.sm.Remove(ctx, keyFactorTwo)
		return core.User{}, "", errFactorTwoNotStarted
	}
	user, err := a.db.User(ctx, parts[0])
	if errors.Is(err, core.ErrNotFound) {
		a.sm.Remove(ctx, keyFactorTwo)
		return core.User{}, "", errFactorTwoNotStarted
	}
	if err != nil {
		return core.User{}, "", err
	}
	if user.Banned {
		a.sm.Remove(ctx, keyFactorTwo)
		return core.User{}, "", core.ErrUserBanned
	}
	return user, parts[1], nil
}

// completeSecondFactor checks a TOTP or backup code for the pending
// sign-in and, when right, creates the device session with a new cookie
// token.
func (a *Server) completeSecondFactor(r *http.Request, method, code string) (*authState, error) {
	user, first, err := a.pendingFactorTwo(r)
	if err != nil {
		return nil, err
	}
	if err := rateLimited(a.limits.signIn, a.s.ClientIP(r)); err != nil {
		return nil, err
	}
	m := mfa.Method(method)
	if m != mfa.MethodTOTP && m != mfa.MethodBackup && method != methodSMS {
		return nil, httpx.FieldError("method", "invalid_method", "Choose an authenticator app code, a text message code or a backup code.")
	}
	if strings.TrimSpace(code) == "" {
		return nil, httpx.FieldError("code", "code_required", "Enter the code.")
	}
	if method == methodSMS {
		on, err := a.db.SMSFactor(r.Context(), user.ID)
		if err != nil {
			return nil, err
		}
		if !on {
			return nil, httpx.FieldError("method", "invalid_method", "Text message codes are not on for your account.")
		}
		if err := a.checkSMSFactorCode(r, user, code, first+"+"+method); err != nil {
			return nil, err
		}
	} else if err := a.mfa.Verify(r.Context(), user.ID, m, code); err != nil {
		a.logSecondFactorFailure(r.Context(), user.ID, first+"+"+method, err) // security_log.go
		return nil, err
	}
	return a.finishSecondFactor(r, user, first+"+"+method)
}

// finishSecondFactor creates the session after the second factor.
func (a *Server) finishSecondFactor(r *http.Request, user core.User, method string) (*authState, error) {
	ctx := r.Context()
	a.sm.Remove(ctx, keyFactorTwo)
	sess, err := a.deviceSession(r, user, method, nil, false, false) // errDeviceVerificationRequired for a new device (device.go)
	if err != nil {
		return nil, err
	}
	return a.attachSession(r, user, sess)
}

// factorTwoPage asks for the second factor.
func (a *Server) factorTwoPage(w http.ResponseWriter, r *http.Request) error {
	redirect := a.safeRedirect(r.URL.Query().Get("redirect_url"))
	user, _, err := a.pendingFactorTwo(r)
	if err != nil {
		http.Redirect(w, r, a.s.Path+"/sign-in", http.StatusSeeOther)
		return nil
	}
	data, err := a.factorTwoData(r, a.page(r, "factor-two"), user.ID, redirect, r.URL.Query().Get("method"))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "factor-two", data)
}

func (a *Server) factorTwoData(r *http.Request, p ui.Page, userID, redirect, method string) (ui.FactorTwo, error) {
	factors, err := a.secondFactors(r.Context(), userID)
	if err != nil {
		return ui.FactorTwo{}, err
	}
	if !slices.Contains(factors, method) || method == "passkey" {
		method = ""
	}
	for _, f := range factors { // the first the user has, unless one was chosen
		if method == "" && f != "passkey" {
			method = f
		}
	}
	d := ui.FactorTwo{Page: p, RedirectURL: redirect, Method: method, Factors: factors, Next: a.afterSignIn(redirect)}
	if method == methodSMS {
		if c, ok := a.flowOf(r, keySMSFactorFlow); ok && c.UserID == userID {
			d.SMSSentTo = passwordless.MaskPhone(c.Address)
		} else if phone, err := a.smsFactorPhone(r.Context(), userID); err != nil {
			return d, err
		} else if phone != "" {
			d.SMSPhone = passwordless.MaskPhone(phone)
		}
	}
	return d, nil
}

// factorTwoForm completes the sign-in with a TOTP or backup code.
func (a *Server) factorTwoForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect, method := a.safeRedirect(formRedirect(r)), r.PostFormValue("method")
	st, err := a.completeSecondFactor(r, method, r.PostFormValue("code"))
	if errors.Is(err, errDeviceVerificationRequired) {
		http.Redirect(w, r, a.deviceTarget(redirect), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		if errors.Is(err, errFactorTwoNotStarted) {
			return err
		}
		user, _, perr := a.pendingFactorTwo(r)
		if perr != nil {
			return perr
		}
		return a.formFail(w, r, err, "factor-two", func(p ui.Page) any {
			d, _ := a.factorTwoData(r, p, user.ID, redirect, method)
			return d
		})
	}
	http.Redirect(w, r, a.passkeyNudge(r, st, a.afterSignIn(redirect)), http.StatusSeeOther)
	return nil
}

// factorTwoTarget is where a sign-in form sends a browser that must give
// its second factor.
func (a *Server) factorTwoTarget(redirect string) string {
	target := a.s.Path + "/sign-in/factor-two"
	if redirect != "" {
		target += "?redirect_url=" + queryEscape(redirect)
	}
	return target
}

// factorTwoBody answers a JSON sign-in that needs a second factor.
type factorTwoBody struct {
	Status  string   `json:"status"`
	Factors []string `json:"factors"`
}

func (a *Server) apiFactorTwoRequired(w http.ResponseWriter, r *http.Request) error {
	user, _, err := a.pendingFactorTwo(r)
	if err != nil {
		return err
	}
	factors, err := a.secondFactors(r.Context(), user.ID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, factorTwoBody{Status: "second_factor_required", Factors: factors})
}

// apiFactorTwo completes a sign-in with a TOTP or backup code.
func (a *Server) apiFactorTwo(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Method string `json:"method"`
		Code   string `json:"code"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, err := a.completeSecondFactor(r, in.Method, in.Code)
	if err != nil {
		return a.apiDeviceStepOr(w, r, err)
	}
	return a.writeMe(w, st)
}

// holdForSecondFactor is called when a passwordless flow has created
// sess for user. For a user with MFA the session is ended at once and the
// browser is left waiting for the second factor (errFactorTwoRequired).
func (a *Server) holdForSecondFactor(r *http.Request, user core.User, sess core.Session) error {
	if !user.TwoFactorEnabled {
		return nil
	}
	factors, err := a.secondFactors(r.Context(), user.ID)
	if err != nil || len(factors) == 0 {
		return err
	}
	if err := a.db.EndSession(r.Context(), sess.ID, "second_factor_required"); err != nil && !errors.Is(err, core.ErrNotFound) {
		return err
	}
	a.cache.forgetSessions(sess.ID)
	return a.requireSecondFactor(r, user, sess.AuthMethod)
}

// apiFactorTwoOr answers 202 when err says a second factor is needed, and
// returns err otherwise.
func (a *Server) apiFactorTwoOr(w http.ResponseWriter, r *http.Request, err error) error {
	if errors.Is(err, errFactorTwoRequired) {
		return a.apiFactorTwoRequired(w, r)
	}
	return a.apiDeviceStepOr(w, r, err)
}

// apiFactorTwoPasskeyBegin starts a passkey assertion as the second factor
// of the pending sign-in.
func (a *Server) apiFactorTwoPasskeyBegin(w http.ResponseWriter, r *http.Request) error {
	user, _, err := a.pendingFactorTwo(r)
	if err != nil {
		return err
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	opts, err := a.passkeySecondFactorBegin(r, user.ID)
	if err != nil {
		return err
	}
	return writeOptions(w, opts)
}

// apiFactorTwoPasskeyFinish verifies the passkey and creates the session.
func (a *Server) apiFactorTwoPasskeyFinish(w http.ResponseWriter, r *http.Request) error {
	user, first, err := a.pendingFactorTwo(r)
	if err != nil {
		return err
	}
	body, err := readCredential(w, r)
	if err != nil {
		return err
	}
	if _, err := a.passkeySecondFactorFinish(r, user.ID, body); err != nil {
		if httpx.Status(httpx.Public(err)) < 500 { // a refused passkey
			a.account.LogFailure(r.Context(), user.ID, first+"+passkey", core.SecurityFailureWrongSecondFactor) // security_log.go
		}
		return err
	}
	st, err := a.finishSecondFactor(r, user, first+"+passkey")
	if err != nil {
		return a.apiDeviceStepOr(w, r, err)
	}
	return a.writeMe(w, st)
}

// factorTwoSMSForm texts a code for the pending sign-in and shows the
// page that asks for it.
func (a *Server) factorTwoSMSForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	user, _, err := a.pendingFactorTwo(r)
	if err != nil {
		return err
	}
	sent, err := a.sendSMSFactorCode(r, user)
	if err != nil {
		if httpx.Status(httpx.Public(err)) >= 500 {
			return err
		}
		return a.formFail(w, r, err, "factor-two", func(p ui.Page) any {
			d, _ := a.factorTwoData(r, p, user.ID, redirect, methodSMS)
			return d
		})
	}
	a.notice(r, "We texted a code to "+sent.To+".")
	target := a.s.Path + "/sign-in/factor-two?method=sms"
	if redirect != "" {
		target += "&redirect_url=" + queryEscape(redirect)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// apiFactorTwoSMS texts a code for the pending sign-in, to send back to
// POST /api/sign-in/factor-two with method "sms".
func (a *Server) apiFactorTwoSMS(w http.ResponseWriter, r *http.Request) error {
	user, _, err := a.pendingFactorTwo(r)
	if err != nil {
		return err
	}
	sent, err := a.sendSMSFactorCode(r, user)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, sent)
}

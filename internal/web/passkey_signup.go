package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/passkey"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

// A passkey-only sign-up is a pending sign-up of account (without a
// password hash), with the code mail, attempt and resend caps of a
// password sign-up. It is kept under its own browser-session key, so the
// password flow's verify step never sees it: only this flow can complete
// it, and only with a passkey. Its steps: email, code, passkey.

// passkeySignUp starts a passkey sign-up. Like signUp, it answers the same
// whether or not the address has an account: a taken one gets a notice to
// its owner instead of a code.
func (a *Server) passkeySignUp(r *http.Request, rawEmail, rawName string) (string, error) {
	if err := rateLimited(a.limits.signUp, a.s.ClientIP(r)); err != nil {
		return "", err
	}
	if err := a.checkCaptcha(r); err != nil {
		return "", err
	}
	if clean, err := core.CleanEmail(rawEmail); err == nil { // a malformed one is refused by StartPasskeySignup
		if err := a.signUpAllowed(r, clean); err != nil {
			return "", err
		}
	}
	ctx := r.Context()
	su, err := a.account.StartPasskeySignup(ctx, rawEmail, rawName, passkey.NewUserHandle(), a.signupMail(ctx))
	if err != nil {
		return "", err
	}
	a.dispatcher.Wake()
	a.sm.Put(ctx, keyPasskeySignup, su.ID)
	return su.Email, nil
}

// pendingPasskeySignup returns the browser's pending passkey sign-up.
func (a *Server) pendingPasskeySignup(ctx context.Context) (store.PasskeySignup, error) {
	return a.passkeySignupStep(ctx, a.account.PendingPasskeySignup)
}

// passkeySignupStep returns the browser's pending passkey sign-up as step
// finds it, and forgets a sign-up that is gone.
func (a *Server) passkeySignupStep(ctx context.Context, step func(context.Context, string) (core.PasskeySignup, error)) (core.PasskeySignup, error) {
	id := a.sm.GetString(ctx, keyPasskeySignup)
	if id == "" {
		return core.PasskeySignup{}, account.ErrSignupGone
	}
	ps, err := step(ctx, id)
	if errors.Is(err, account.ErrSignupGone) {
		a.sm.Remove(ctx, keyPasskeySignup)
	}
	return ps, err
}

// verifyPasskeySignup checks the code of the browser's pending passkey
// sign-up; the next step creates the passkey. A sign-up verified already
// (a form sent twice) goes on to that step too.
func (a *Server) verifyPasskeySignup(r *http.Request, code string) error {
	ctx := r.Context()
	id := a.sm.GetString(ctx, keyPasskeySignup)
	if id == "" {
		return account.ErrSignupGone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	err := a.account.VerifyPasskeySignup(ctx, id, code)
	if errors.Is(err, account.ErrSignupGone) {
		a.sm.Remove(ctx, keyPasskeySignup)
	}
	return err
}

// resendPasskeySignup mails a new code; the old one stops working and the
// count of wrong codes carries on.
func (a *Server) resendPasskeySignup(r *http.Request) error {
	ctx := r.Context()
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	id := a.sm.GetString(ctx, keyPasskeySignup)
	if id == "" {
		return account.ErrSignupGone
	}
	err := a.account.ResendPasskeySignupCode(ctx, id, a.signupMail(ctx))
	if errors.Is(err, account.ErrSignupGone) {
		a.sm.Remove(ctx, keyPasskeySignup)
	}
	if err != nil {
		return err
	}
	a.dispatcher.Wake()
	return nil
}

// passkeySignUpBegin starts creating the new user's passkey, once their
// email is verified.
func (a *Server) passkeySignUpBegin(r *http.Request) (json.RawMessage, error) {
	ctx := r.Context()
	ps, err := a.passkeySignupStep(ctx, a.account.VerifiedPasskeySignup)
	if err != nil {
		return nil, err
	}
	if err := a.limitBegin(r); err != nil {
		return nil, err
	}
	c := passkey.Ceremony{Flow: passkey.FlowSignUp, Subject: ps.ID, Binding: a.passkeyBinding(ctx)}
	display := ps.Name
	if display == "" {
		display = ps.Email
	}
	return a.pk.svc.BeginRegistration(ctx, c, passkey.Account{Name: ps.Email, DisplayName: display, UserHandle: ps.UserHandle})
}

// passkeySignUpFinish verifies the passkey and creates the user with it,
// signed in: user, passkey and session commit together.
func (a *Server) passkeySignUpFinish(r *http.Request, body []byte) (*authState, error) {
	ctx := r.Context()
	ps, err := a.passkeySignupStep(ctx, a.account.VerifiedPasskeySignup)
	if err != nil {
		return nil, err
	}
	reg, err := a.pk.svc.FinishRegistration(ctx, passkey.Ceremony{Flow: passkey.FlowSignUp, Subject: ps.ID, Binding: a.existingBinding(ctx)}, body)
	if err != nil {
		return nil, err
	}
	p := reg.Passkey
	if p.Name == "" {
		p.Name = describeDevice(a.locale(r), r.UserAgent())
	}
	user, sess, err := a.account.CompletePasskeySignup(ctx, ps.ID, p, a.newSession(r, "", "passkey"), passkey.Refuse(passkey.ErrCredentialExists, false))
	if errors.Is(err, account.ErrSignupGone) || errors.Is(err, account.ErrEmailTaken) {
		a.sm.Remove(ctx, keyPasskeySignup)
	}
	if err != nil {
		return nil, err
	}
	a.sm.Remove(ctx, keyPasskeySignup)
	if sess, err = a.deviceSession(r, user, sess.AuthMethod, &sess, true, false); err != nil { // remembers this device (device.go)
		return nil, err
	}
	return a.attachSession(r, user, sess)
}

func (a *Server) apiPasskeySignUp(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	var in struct {
		Email        string `json:"email"`
		Name         string `json:"name"`
		CaptchaToken string `json:"captcha_token"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	email, err := a.passkeySignUp(withCaptchaToken(r, in.CaptchaToken), in.Email, in.Name)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, struct {
		Status string `json:"status"`
		Email  string `json:"email"`
	}{"verification_required", maskEmail(email)})
}

func (a *Server) apiPasskeySignUpVerify(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.verifyPasskeySignup(r, in.Code); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "passkey_required", Message: a.locale(r).T("Your email is verified. Create your passkey.")})
}

func (a *Server) apiPasskeySignUpResend(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	if err := a.resendPasskeySignup(r); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, statusBody{Status: "code_sent"})
}

func (a *Server) apiPasskeySignUpBegin(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	opts, err := a.passkeySignUpBegin(r)
	if err != nil {
		return err
	}
	return writeOptions(w, opts)
}

func (a *Server) apiPasskeySignUpFinish(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	body, err := readCredential(w, r)
	if err != nil {
		return err
	}
	st, err := a.passkeySignUpFinish(r, body)
	if err != nil {
		return err
	}
	return a.writeMe(w, st)
}

func (a *Server) passkeySignUpPage(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	redirect := a.safeRedirect(r.URL.Query().Get("redirect_url"))
	data := a.passkeySignUpData(r, a.page(r, "passkey-sign-up"), redirect, r.URL.Query().Get("new") != "")
	return a.render(w, http.StatusOK, "passkey-sign-up", data)
}

func (a *Server) passkeySignUpForm(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	email, name, redirect := r.PostFormValue("email"), r.PostFormValue("name"), a.safeRedirect(formRedirect(r))
	if _, err := a.passkeySignUp(r, email, name); err != nil {
		return a.formFail(w, r, err, "passkey-sign-up", func(p ui.Page) any {
			d := a.passkeySignUpData(r, p, redirect, true)
			d.Email, d.Name = email, name
			return d
		})
	}
	http.Redirect(w, r, a.passkeySignUpTarget(redirect), http.StatusSeeOther)
	return nil
}

func (a *Server) passkeySignUpVerifyForm(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	if err := a.verifyPasskeySignup(r, r.PostFormValue("code")); err != nil {
		if errors.Is(err, account.ErrSignupGone) {
			a.notice(r, account.ErrSignupGone.Message)
			http.Redirect(w, r, a.passkeySignUpTarget(redirect), http.StatusSeeOther)
			return nil
		}
		return a.formFail(w, r, err, "passkey-sign-up", func(p ui.Page) any { return a.passkeySignUpData(r, p, redirect, false) })
	}
	http.Redirect(w, r, a.passkeySignUpTarget(redirect), http.StatusSeeOther)
	return nil
}

func (a *Server) passkeySignUpResendForm(w http.ResponseWriter, r *http.Request) error {
	if a.pk == nil {
		return errPasskeysOff
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	redirect := a.safeRedirect(formRedirect(r))
	if err := a.resendPasskeySignup(r); err != nil {
		if !errors.Is(err, account.ErrSignupGone) {
			return a.formFail(w, r, err, "passkey-sign-up", func(p ui.Page) any { return a.passkeySignUpData(r, p, redirect, false) })
		}
		a.notice(r, account.ErrSignupGone.Message)
	} else {
		a.notice(r, "We sent a new code. Codes sent before it no longer work.")
	}
	http.Redirect(w, r, a.passkeySignUpTarget(redirect), http.StatusSeeOther)
	return nil
}

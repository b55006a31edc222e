package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

// signUpInput is a sign-up request, from a form or JSON.
type signUpInput struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	Name         string `json:"name"`
	CaptchaToken string `json:"captcha_token"`
}

// signUp starts a sign-up (see account.Service.StartSignup: it answers the
// same whether or not the email has an account) and keeps it in the
// browser session.
func (a *Server) signUp(r *http.Request, in signUpInput) (email string, err error) {
	if !a.enabled(MethodPassword) {
		return "", errMethodDisabled
	}
	if err := rateLimited(a.limits.signUp, a.s.ClientIP(r)); err != nil {
		return "", err
	}
	if err := a.checkCaptcha(r); err != nil {
		return "", err
	}
	if clean, err := core.CleanEmail(in.Email); err == nil { // a malformed one is refused by StartSignup
		if err := a.signUpAllowed(r, clean); err != nil {
			return "", err
		}
	}
	ctx := r.Context()
	su, err := a.account.StartSignup(ctx, in.Email, in.Name, in.Password, a.signupMail(ctx))
	if err != nil {
		return "", err
	}
	a.dispatcher.Wake()
	a.sm.Put(ctx, keySignup, su.ID)
	return su.Email, nil
}

// signupMail returns the renderer of the code for a new address, or of a
// notice to the owner of a taken one, for the request ctx belongs to.
func (a *Server) signupMail(ctx context.Context) func(email, code string, owner *core.User) (*store.OutMail, error) {
	return func(email, code string, owner *core.User) (*store.OutMail, error) {
		if owner != nil {
			return a.newMail("signup_existing_account", email, mail.Data{Name: owner.Name, Link: a.s.origin + a.s.Path + "/sign-in",
				Lang: a.mailLang(ctx, owner)})
		}
		return a.newMail("verify_email", email, mail.Data{Code: code, ExpiresIn: a.s.VerificationCodeTTL, Lang: a.mailLang(ctx, nil)})
	}
}

// verifySignup checks the code of the browser's pending sign-up and, when
// it matches, creates the user and signs them in, all at once.
func (a *Server) verifySignup(r *http.Request, code string) (*authState, error) {
	ctx := r.Context()
	id := a.sm.GetString(ctx, keySignup)
	if id == "" {
		return nil, account.ErrSignupGone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return nil, err
	}
	user, sess, err := a.account.CompleteSignup(ctx, id, code, a.newSession(r, "", "password"))
	if errors.Is(err, account.ErrSignupGone) || errors.Is(err, account.ErrEmailTaken) {
		a.sm.Remove(ctx, keySignup)
	}
	if err != nil {
		return nil, err
	}
	if sess, err = a.deviceSession(r, user, sess.AuthMethod, &sess, true, false); err != nil { // remembers this device (device.go)
		return nil, err
	}
	return a.attachSession(r, user, sess)
}

// resendSignup mails a new code; the old one stops working and the count of
// wrong codes carries on.
func (a *Server) resendSignup(r *http.Request) error {
	ctx := r.Context()
	id := a.sm.GetString(ctx, keySignup)
	if id == "" {
		return account.ErrSignupGone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	err := a.account.ResendSignupCode(ctx, id, a.signupMail(ctx))
	if errors.Is(err, account.ErrSignupGone) {
		a.sm.Remove(ctx, keySignup)
	}
	if err != nil {
		return err
	}
	a.dispatcher.Wake()
	return nil
}

// pendingSignupEmail returns the address of the browser's pending sign-up,
// for the verify page. It is shown whole: the person typed it on this
// browser's sign-up form a moment ago, so it tells them nothing new, and
// seeing it lets them spot a typo.
func (a *Server) pendingSignupEmail(ctx context.Context) (string, bool) {
	id := a.sm.GetString(ctx, keySignup)
	if id == "" {
		return "", false
	}
	su, err := a.account.PendingSignup(ctx, id)
	if err != nil {
		return "", false
	}
	return su.Email, true
}

func (a *Server) apiSignUp(w http.ResponseWriter, r *http.Request) error {
	var in signUpInput
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	email, err := a.signUp(withCaptchaToken(r, in.CaptchaToken), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, struct {
		Status string `json:"status"`
		Email  string `json:"email"`
	}{"verification_required", maskEmail(email)})
}

func (a *Server) apiVerify(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	st, err := a.verifySignup(r, in.Code)
	if err != nil {
		return err
	}
	return a.writeMe(w, st)
}

func (a *Server) apiResend(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.DecodeJSON(w, r, maxBody, &struct{}{}); err != nil {
		return err
	}
	if err := a.resendSignup(r); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, statusBody{Status: "code_sent"})
}

func (a *Server) signUpPage(w http.ResponseWriter, r *http.Request) error {
	redirect := a.safeRedirect(r.URL.Query().Get("redirect_url"))
	return a.render(w, http.StatusOK, "sign-up", ui.SignUp{Page: a.page(r, "sign-up"), Mode: a.signUpMode(r.Context()), Email: r.URL.Query().Get("email"),
		RedirectURL: redirect, MinLength: a.s.PasswordMinLength, Methods: a.methodsView()})
}

func (a *Server) signUpForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	in := signUpInput{Email: r.PostFormValue("email"), Password: r.PostFormValue("password"), Name: r.PostFormValue("name")}
	redirect := a.safeRedirect(formRedirect(r))
	if _, err := a.signUp(r, in); err != nil {
		return a.formFail(w, r, err, "sign-up", func(p ui.Page) any {
			return ui.SignUp{Page: p, Mode: a.signUpMode(r.Context()), Email: in.Email, Name: in.Name, RedirectURL: redirect, MinLength: a.s.PasswordMinLength, Methods: a.methodsView()}
		})
	}
	target := a.s.Path + "/verify"
	if redirect != "" {
		target += "?redirect_url=" + queryEscape(redirect)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (a *Server) verifyPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := a.pendingSignupEmail(r.Context()); !ok {
		http.Redirect(w, r, a.s.Path+"/sign-up", http.StatusSeeOther)
		return nil
	}
	return a.render(w, http.StatusOK, "verify", a.verifyData(r, a.page(r, "verify")))
}

func (a *Server) verifyForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	st, err := a.verifySignup(r, r.PostFormValue("code"))
	if err != nil {
		if errors.Is(err, account.ErrSignupGone) {
			a.notice(r, account.ErrSignupGone.Message)
			http.Redirect(w, r, a.s.Path+"/sign-up", http.StatusSeeOther)
			return nil
		}
		return a.formFail(w, r, err, "verify", func(p ui.Page) any { return a.verifyData(r, p) })
	}
	http.Redirect(w, r, a.passkeyNudge(r, st, a.afterSignIn(formRedirect(r))), http.StatusSeeOther)
	return nil
}

func (a *Server) resendForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	if err := a.resendSignup(r); err != nil {
		if errors.Is(err, account.ErrSignupGone) {
			a.notice(r, account.ErrSignupGone.Message)
			http.Redirect(w, r, a.s.Path+"/sign-up", http.StatusSeeOther)
			return nil
		}
		return a.formFail(w, r, err, "verify", func(p ui.Page) any { return a.verifyData(r, p) })
	}
	a.notice(r, "We sent a new code. Codes sent before it no longer work.")
	http.Redirect(w, r, a.s.Path+"/verify", http.StatusSeeOther)
	return nil
}

func (a *Server) verifyData(r *http.Request, p ui.Page) ui.Verify {
	email, _ := a.pendingSignupEmail(r.Context())
	return ui.Verify{Page: p, Email: email, RedirectURL: a.safeRedirect(formRedirect(r)), TTL: humanDuration(a.s.VerificationCodeTTL)}
}

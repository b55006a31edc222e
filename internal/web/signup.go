package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/onetime"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

const (
	signupLifetime    = 24 * time.Hour // a pending sign-up is forgotten after this
	maxSignupAttempts = 5              // wrong codes per sign-up, across resends
	maxSignupSends    = 5              // codes mailed per sign-up
)

// signupCodes is the rule of the codes that prove a sign-up's email,
// password and passkey sign-ups alike: 6 digits valid for
// VerificationCodeTTL; maxSignupAttempts wrong codes, across resends,
// lock the sign-up (the user starts again); maxSignupSends codes mailed.
func (a *Server) signupCodes() onetime.Policy {
	return onetime.Policy{Key: a.codeKey, Digits: 6, TTL: a.s.VerificationCodeTTL, MaxFailures: maxSignupAttempts,
		MaxSends: maxSignupSends, LockedMessage: "Too many wrong codes. Please start again.", Now: a.s.Now}
}

// signUpInput is a sign-up request, from a form or JSON.
type signUpInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// signUp starts a sign-up. Whether or not the email already has an account,
// it does the same work (one hash, one pending sign-up, one queued mail)
// and answers the same: a new address gets a code, a taken one gets a
// notice to its owner, and the caller learns nothing.
func (a *Server) signUp(r *http.Request, in signUpInput) (email string, err error) {
	if !a.enabled(MethodPassword) {
		return "", errMethodDisabled
	}
	if err := rateLimited(a.limits.signUp, a.s.ClientIP(r)); err != nil {
		return "", err
	}
	email, err = core.CleanEmail(in.Email)
	if err != nil {
		return "", err
	}
	name, err := core.CleanName(in.Name)
	if err != nil {
		return "", err
	}
	if err := a.account.CheckPolicy(in.Password, "password", email, name); err != nil {
		return "", err
	}
	ctx := r.Context()
	existing, err := a.db.UserByEmail(ctx, email)
	exists := err == nil
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return "", err
	}
	hash, err := a.hasher.Hash(ctx, in.Password)
	if err != nil {
		return "", err
	}
	id := core.NewID("signup")
	code, c := a.signupCodes().Issue(id)
	m, err := a.signupMail(email, code, exists, existing.Name)
	if err != nil {
		return "", err
	}
	err = a.db.CreateSignup(ctx, store.Signup{
		ID: id, Email: email, Name: name, PasswordHash: hash, CodeHash: c.Hash,
		CodeExpiresAt: c.ExpiresAt, ExpiresAt: a.s.Now().Add(signupLifetime),
	}, m)
	if err != nil {
		return "", err
	}
	a.dispatcher.Wake()
	a.sm.Put(ctx, keySignup, id)
	return email, nil
}

// signupMail is the code for a new address, or a notice for a taken one.
func (a *Server) signupMail(email, code string, exists bool, name string) (*store.OutMail, error) {
	if exists {
		return a.newMail("signup_existing_account", email, mail.Data{Name: name, Link: a.s.origin + a.s.Path + "/sign-in"})
	}
	return a.newMail("verify_email", email, mail.Data{Code: code, ExpiresIn: a.s.VerificationCodeTTL})
}

var errSignupGone = httpx.Errorf(http.StatusGone, "signup_expired", "This sign-up has expired. Please start again.")

// verifySignup checks the code of the browser's pending sign-up and, when
// it matches, creates the user and signs them in, all at once.
func (a *Server) verifySignup(r *http.Request, rawCode string) (*authState, error) {
	ctx := r.Context()
	id := a.sm.GetString(ctx, keySignup)
	if id == "" {
		return nil, errSignupGone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return nil, err
	}
	code, err := cleanCode(rawCode)
	if err != nil {
		return nil, err
	}
	user, sess, err := a.db.CompleteSignup(ctx, id, a.signupCodes().Check(id, code), a.newSession(r, "", "email_code"))
	switch {
	case errors.Is(err, core.ErrNotFound):
		a.sm.Remove(ctx, keySignup)
		return nil, errSignupGone
	case errors.Is(err, core.ErrConflict):
		a.sm.Remove(ctx, keySignup)
		return nil, httpx.Errorf(http.StatusConflict, "email_taken", "An account with this email already exists. Sign in instead.")
	case err != nil:
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
		return errSignupGone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	su, err := a.db.Signup(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		a.sm.Remove(ctx, keySignup)
		return errSignupGone
	}
	if err != nil {
		return err
	}
	return a.mailSignupCode(ctx, su)
}

// mailSignupCode mails a new code for pending sign-up su, password or
// passkey: the old one stops working and the count of wrong codes carries
// on.
func (a *Server) mailSignupCode(ctx context.Context, su store.Signup) error {
	existing, err := a.db.UserByEmail(ctx, su.Email)
	exists := err == nil
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return err
	}
	code, reissue := a.signupCodes().Reissue(su.ID)
	m, err := a.signupMail(su.Email, code, exists, existing.Name)
	if err != nil {
		return err
	}
	err = a.db.ResendSignupCode(ctx, su.ID, reissue, m)
	switch {
	case errors.Is(err, core.ErrRateLimited):
		return httpx.Errorf(http.StatusTooManyRequests, "too_many_codes", "We've sent several codes already. Check your inbox and spam folder, or start again later.")
	case errors.Is(err, core.ErrNotFound):
		return errSignupGone
	case errors.Is(err, core.ErrUsed):
		return errSignupVerified
	case err != nil:
		return err
	}
	a.dispatcher.Wake()
	return nil
}

// pendingSignupEmail returns the masked address of the browser's pending
// sign-up, for the verify page.
func (a *Server) pendingSignupEmail(ctx context.Context) (string, bool) {
	id := a.sm.GetString(ctx, keySignup)
	if id == "" {
		return "", false
	}
	su, err := a.db.Signup(ctx, id)
	if err != nil {
		return "", false
	}
	return maskEmail(su.Email), true
}

func (a *Server) apiSignUp(w http.ResponseWriter, r *http.Request) error {
	var in signUpInput
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	email, err := a.signUp(r, in)
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
	return writeMe(w, st)
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
	return a.render(w, http.StatusOK, "sign-up", ui.SignUp{Page: a.page(r, "sign-up"), RedirectURL: redirect, MinLength: a.s.PasswordMinLength, Methods: a.methodsView()})
}

func (a *Server) signUpForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	in := signUpInput{Email: r.PostFormValue("email"), Password: r.PostFormValue("password"), Name: r.PostFormValue("name")}
	redirect := a.safeRedirect(formRedirect(r))
	if _, err := a.signUp(r, in); err != nil {
		return a.formFail(w, r, err, "sign-up", func(p ui.Page) any {
			return ui.SignUp{Page: p, Email: in.Email, Name: in.Name, RedirectURL: redirect, MinLength: a.s.PasswordMinLength, Methods: a.methodsView()}
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
		if err == errSignupGone {
			a.notice(r, errSignupGone.Message)
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
		if err == errSignupGone {
			a.notice(r, errSignupGone.Message)
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

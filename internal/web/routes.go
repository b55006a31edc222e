package web

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/ui"
)

// routes builds Handler: every page, the JSON API and the static files.
// State-changing requests pass http.CrossOriginProtection; everything but
// static files runs inside the scs session.
func (a *Server) routes() http.Handler {
	p := a.s.Path
	mux := http.NewServeMux()
	h := func(pattern string, fn httpx.HandlerFunc) { mux.Handle(pattern, a.adapter.Handle(fn)) }

	h("GET "+p+"/sign-in", a.signInPage)
	h("POST "+p+"/sign-in", a.signInForm)
	h("GET "+p+"/sign-in/factor-two", a.factorTwoPage)
	h("POST "+p+"/sign-in/factor-two", a.factorTwoForm)
	h("POST "+p+"/sign-in/factor-two/sms", a.factorTwoSMSForm)
	h("GET "+p+"/sign-in/verify-device", a.verifyDevicePage)
	h("POST "+p+"/sign-in/verify-device", a.verifyDeviceForm)
	h("POST "+p+"/sign-in/verify-device/resend", a.verifyDeviceResendForm)
	h("GET "+p+"/sign-up", a.signUpPage)
	h("POST "+p+"/sign-up", a.signUpForm)
	h("GET "+p+"/verify", a.verifyPage)
	h("POST "+p+"/verify", a.verifyForm)
	h("POST "+p+"/verify/resend", a.resendForm)
	h("GET "+p+"/sign-out", a.signOutPage)
	h("POST "+p+"/sign-out", a.signOutForm)
	h("GET "+p+"/forgot", a.forgotPage)
	h("POST "+p+"/forgot", a.forgotForm)
	h("GET "+p+"/reset", a.resetPage)
	h("POST "+p+"/reset", a.resetForm)
	h("GET "+p+"/profile", a.profilePage)
	h("POST "+p+"/profile/name", a.nameForm)
	h("POST "+p+"/profile/password", a.passwordForm)
	h("POST "+p+"/profile/sessions/revoke", a.revokeForm)
	h("POST "+p+"/profile/sessions/revoke-others", a.revokeOthersForm)
	h("POST "+p+"/profile/delete", a.deleteForm)
	h("GET "+p+"/reverify", a.reverifyPage)
	h("POST "+p+"/reverify", a.reverifyForm)
	h("GET "+p+"/profile/mfa", a.mfaPage)
	h("GET "+p+"/profile/security", a.securityLogPage)
	h("POST "+p+"/profile/mfa/totp", a.mfaBeginForm)
	h("POST "+p+"/profile/mfa/totp/confirm", a.mfaConfirmForm)
	h("POST "+p+"/profile/mfa/backup-codes", a.mfaBackupCodesForm)
	h("POST "+p+"/profile/mfa/disable", a.mfaDisableForm)
	h("POST "+p+"/profile/mfa/sms", a.mfaSMSForm)
	h("POST "+p+"/profile/mfa/sms/disable", a.mfaSMSDisableForm)
	h("POST "+p+"/sessions/switch", a.switchForm)
	a.orgRoutes(h)
	a.passwordlessRoutes(h)
	a.passkeyRoutes(h)
	a.socialRoutes(h)
	h("GET "+p+"/dev/mail", a.devMailPage)
	a.webhookPageRoutes(h) // admin pages (webhook_admin.go)
	for _, route := range a.apiRoutes() {
		h(route.Method+" "+p+route.Path, route.Handler)
	}
	h(p+"/", func(w http.ResponseWriter, r *http.Request) error {
		return httpx.Errorf(http.StatusNotFound, "not_found", "This page does not exist.")
	})

	cop := http.NewCrossOriginProtection()
	// A provider's form POST answer changes nothing: it only redirects to
	// the GET callback (social_pages.go).
	cop.AddInsecureBypassPattern("POST " + p + "/oauth/{provider}/callback")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.adapter.Write(w, r, httpx.Errorf(http.StatusForbidden, "cross_origin_request",
			"This request came from another site and was refused. Go back to the page and try again."))
	}))
	dynamic := a.securityHeaders(cop.Handler(a.sm.LoadAndSave(a.withClient(mux))))

	root := http.NewServeMux()
	root.Handle("GET "+p+"/static/", a.securityHeaders(http.StripPrefix(p+"/static/", a.ui.Static())))
	root.Handle("/", dynamic)
	return root
}

// formRedirect reads the redirect_url field or query parameter.
func formRedirect(r *http.Request) string {
	if v := r.PostFormValue("redirect_url"); v != "" {
		return v
	}
	return r.URL.Query().Get("redirect_url")
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

func (a *Server) verifyData(r *http.Request, p ui.Page) ui.Verify {
	email, _ := a.pendingSignupEmail(r.Context())
	return ui.Verify{Page: p, Email: email, RedirectURL: a.safeRedirect(formRedirect(r)), TTL: humanDuration(a.s.VerificationCodeTTL)}
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

func (a *Server) signOutPage(w http.ResponseWriter, r *http.Request) error {
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

func (a *Server) forgotPage(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, http.StatusOK, "forgot", ui.Forgot{Page: a.page(r, "forgot")})
}

const forgotSent = "If an account exists for that address, we've sent it a link to reset the password. Check your inbox."

func (a *Server) forgotForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	email := r.PostFormValue("email")
	if err := a.forgotPassword(r, email); err != nil {
		return a.formFail(w, r, err, "forgot", func(p ui.Page) any { return ui.Forgot{Page: p, Email: email} })
	}
	p := a.page(r, "forgot")
	p.Title = "Check your email"
	return a.render(w, http.StatusOK, "message", ui.Message{Page: p, Body: forgotSent, LinkURL: a.s.Path + "/sign-in", LinkText: "Back to sign in"})
}

// resetPage takes a token off the URL into the session and redirects, so
// the token is not left in the address bar, history or any Referer.
func (a *Server) resetPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if token := r.URL.Query().Get("token"); token != "" {
		hash := account.ResetTokenHash(token)
		a.sm.Put(ctx, keyReset, hash)
		http.Redirect(w, r, a.s.Path+"/reset", http.StatusSeeOther)
		return nil
	}
	p := a.page(r, "reset")
	hash := a.sm.GetString(ctx, keyReset)
	if hash == "" {
		p.Error = "This reset link is not valid. Request a new one."
		return a.render(w, http.StatusBadRequest, "reset", ui.Reset{Page: p})
	}
	if err := a.account.CheckResetToken(ctx, hash); err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return err
		}
		p.Error = e.Message
		return a.render(w, httpx.Status(e), "reset", ui.Reset{Page: p})
	}
	return a.render(w, http.StatusOK, "reset", ui.Reset{Page: p, Valid: true, MinLength: a.s.PasswordMinLength})
}

func (a *Server) resetForm(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	ctx := r.Context()
	hash := a.sm.GetString(ctx, keyReset)
	err := a.resetPassword(r, hash, r.PostFormValue("password"))
	if err != nil {
		return a.formFail(w, r, err, "reset", func(p ui.Page) any {
			e := httpx.Public(err)
			return ui.Reset{Page: p, Valid: e.Field != "", MinLength: a.s.PasswordMinLength}
		})
	}
	// Every session of the user ended; other accounts of this browser
	// (multi-session mode) stay signed in.
	if err := a.keepLiveAccounts(r); err != nil {
		return err
	}
	a.notice(r, "Your password has been changed and every device was signed out. Sign in with your new password.")
	http.Redirect(w, r, a.s.Path+"/sign-in", http.StatusSeeOther)
	return nil
}

// signedIn returns the request's user or answers for it.
func (a *Server) signedIn(w http.ResponseWriter, r *http.Request) (*authState, bool, error) {
	st, err := a.lookup(r)
	if err != nil {
		return nil, false, err
	}
	if st == nil {
		a.unauthenticated(w, r)
		return nil, false, nil
	}
	return st, true, nil
}

func (a *Server) profileData(r *http.Request, st *authState, p ui.Page) (ui.Profile, error) {
	sessions, err := a.sessionViews(r, st)
	if err != nil {
		return ui.Profile{}, err
	}
	ids, err := a.identifierViews(r, st)
	if err != nil {
		return ui.Profile{}, err
	}
	passkeys, err := a.passkeyList(r, st)
	if err != nil {
		return ui.Profile{}, err
	}
	conns, err := a.connectionsView(r, st)
	return ui.Profile{Page: p, User: userView(st.user), Sessions: sessions, MinLength: a.s.PasswordMinLength,
		Accounts: a.accounts(r, st), Multi: a.s.SessionMode == SessionMulti, Identifiers: ids, PasskeyList: passkeys,
		Connections: conns}, err
}

func (a *Server) profilePage(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	data, err := a.profileData(r, st, a.page(r, "profile"))
	if err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "profile", data)
}

// profileAction runs a profile form and redirects back to the profile with
// a notice, or re-renders it with the error.
func (a *Server) profileAction(w http.ResponseWriter, r *http.Request, fn func(st *authState) (string, error)) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	msg, err := fn(st)
	if err != nil {
		e := httpx.Public(err)
		if httpx.Status(e) >= 500 {
			return err
		}
		data, derr := a.profileData(r, st, a.page(r, "profile"))
		if derr != nil {
			return derr
		}
		return a.formFail(w, r, err, "profile", func(p ui.Page) any { data.Page = p; return data })
	}
	if msg != "" {
		a.notice(r, msg)
	}
	http.Redirect(w, r, a.s.Path+"/profile", http.StatusSeeOther)
	return nil
}

func (a *Server) nameForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		_, err := a.updateName(r, st, r.PostFormValue("name"))
		return "Your name was saved.", err
	})
}

func (a *Server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		err := a.changePassword(r, st, r.PostFormValue("current_password"), r.PostFormValue("new_password"))
		return "Your password was changed. Your other devices were signed out.", err
	})
}

func (a *Server) revokeForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		return "That device was signed out.", a.revokeSession(r, st, r.PostFormValue("session_id"))
	})
}

func (a *Server) revokeOthersForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		_, err := a.revokeOtherSessions(r, st)
		return "All your other devices were signed out.", err
	})
}

func (a *Server) deleteForm(w http.ResponseWriter, r *http.Request) error {
	st, ok, err := a.signedIn(w, r)
	if !ok {
		return err
	}
	if err := httpx.ParseForm(w, r, maxBody); err != nil {
		return err
	}
	err = nil
	if r.PostFormValue("confirm") != "DELETE" {
		err = httpx.FieldError("confirm", "confirmation_required", "Type DELETE to confirm.")
	} else {
		err = a.deleteAccount(r, st, r.PostFormValue("password"))
	}
	if err != nil {
		data, derr := a.profileData(r, st, a.page(r, "profile"))
		if derr != nil {
			return derr
		}
		return a.formFail(w, r, err, "profile", func(p ui.Page) any { data.Page = p; return data })
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

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// devMailPage lists the dev outbox, only in dev mode and only to this
// machine: codes and links in it are live.
func (a *Server) devMailPage(w http.ResponseWriter, r *http.Request) error {
	if !a.s.dev || !isLocalhost(remoteIP(r)) {
		return httpx.Errorf(http.StatusNotFound, "not_found", "This page does not exist.")
	}
	list, err := a.db.ListMail(r.Context(), 50)
	if err != nil {
		return err
	}
	data := ui.DevMail{Page: a.page(r, "dev-mail")}
	for _, q := range list {
		dm := ui.DevMessage{ID: q.ID, To: q.To, Status: q.Status, Error: q.LastError, CreatedAt: q.CreatedAt, Subject: q.Template}
		if q.Body != nil {
			if m, err := a.openMail(q.Body); err == nil {
				dm.Subject, dm.Text = m.Subject, m.Text
				dm.Links = linkPattern.FindAllString(m.Text, -1)
			}
		}
		data.Messages = append(data.Messages, dm)
	}
	if data.SMS, err = a.devSMS(r); err != nil {
		return err
	}
	return a.render(w, http.StatusOK, "dev-mail", data)
}

package web

import (
	"context"
	"net/http"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

// forgotPassword answers at once and identically for every address; when
// the address has an account, a reset link is mailed in the background.
// The link is built from BaseURL, never from the request's Host.
func (a *Server) forgotPassword(r *http.Request, rawEmail string) error {
	if err := rateLimited(a.limits.reset, a.s.ClientIP(r)); err != nil {
		return err
	}
	email, err := core.CleanEmail(rawEmail)
	if err != nil {
		return err
	}
	a.goBackground(func(ctx context.Context) {
		if err := a.sendReset(ctx, email); err != nil {
			a.s.Logger.Error("embedauth: send reset link", "err", err)
		}
	})
	return nil
}

func (a *Server) sendReset(ctx context.Context, email string) error {
	sent, err := a.account.RequestReset(ctx, email, func(user core.User, token string) (*store.OutMail, error) {
		return a.newMail("reset_password", user.Email, mail.Data{
			Name: user.Name, Link: a.s.origin + a.s.Path + "/reset?token=" + token, ExpiresIn: a.s.ResetTokenTTL,
			Lang: a.mailLang(ctx, &user),
		})
	})
	if sent {
		a.dispatcher.Wake()
	}
	return err
}

// resetPassword uses a reset token (by its hash) to set a new password. It
// ends every session and does not sign in: the user signs in again, with
// every factor they have.
func (a *Server) resetPassword(r *http.Request, hash, newPassword string) error {
	if err := rateLimited(a.limits.reset, a.s.ClientIP(r)); err != nil {
		return err
	}
	user, err := a.account.ResetPassword(r.Context(), hash, newPassword, func(user core.User) (*store.OutMail, error) {
		return a.passwordChangedMail(r, user)
	})
	if err != nil {
		return err
	}
	a.cache.forgetUser(user.ID)
	a.dispatcher.Wake()
	return nil
}

func (a *Server) passwordChangedMail(r *http.Request, user core.User) (*store.OutMail, error) {
	lang := a.mailLang(r.Context(), &user)
	return a.newMail("password_changed", user.Email, mail.Data{
		Name: user.Name, Device: describeDevice(a.msgs.Lookup(lang), r.UserAgent()), IP: a.s.ClientIP(r), Link: a.s.origin + a.s.Path + "/forgot",
		Lang: lang,
	})
}

// changePassword sets a new password for the signed-in user after checking
// the current one (when they have one). Other devices are signed out and
// this one gets a new cookie token.
func (a *Server) changePassword(r *http.Request, st *authState, current, next string) error {
	ctx := r.Context()
	user := st.user
	var missing error
	if user.HasPassword && current == "" {
		missing = httpx.FieldError("current_password", "password_required", "Enter your current password.")
	}
	// The policy is checked before the current password, so a weak new
	// password does not cost a password attempt; both fields' problems
	// are told at once.
	if err := core.Combine(missing, a.account.CheckPolicy(next, "new_password", user.Email, user.Name)); err != nil {
		return err
	}
	if err := a.stepUp(r, st, current, "current_password", "Enter your current password."); err != nil {
		return err
	}
	m, err := a.passwordChangedMail(r, user)
	if err != nil {
		return err
	}
	if _, err := a.account.ChangePassword(ctx, user, next, st.session.ID, m); err != nil {
		return err
	}
	a.cache.forgetUser(user.ID)
	a.dispatcher.Wake()
	return a.sm.RenewToken(ctx)
}

func (a *Server) apiForgot(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.forgotPassword(r, in.Email); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusAccepted, statusBody{Status: "sent_if_exists", Message: a.locale(r).T(forgotSent)})
}

func (a *Server) apiReset(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if in.Token == "" || len(in.Token) > 128 {
		return account.ErrResetInvalid
	}
	if err := a.resetPassword(r, account.ResetTokenHash(in.Token), in.Password); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "password_reset", Message: a.locale(r).T("Sign in with your new password.")})
}

func (a *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	st, err := a.apiUser(r)
	if err != nil {
		return err
	}
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := httpx.DecodeJSON(w, r, maxBody, &in); err != nil {
		return err
	}
	if err := a.changePassword(r, st, in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, statusBody{Status: "password_changed"})
}

func (a *Server) forgotPage(w http.ResponseWriter, r *http.Request) error {
	return a.render(w, http.StatusOK, "forgot", ui.Forgot{Page: a.page(r, "forgot")})
}

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

func (a *Server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	return a.profileAction(w, r, func(st *authState) (string, error) {
		err := a.changePassword(r, st, r.PostFormValue("current_password"), r.PostFormValue("new_password"))
		return "Your password was changed. Your other devices were signed out.", err
	})
}

const forgotSent = "If an account exists for that address, we've sent it a link to reset the password. Check your inbox."

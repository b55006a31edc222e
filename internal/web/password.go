package web

import (
	"context"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
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
	return a.newMail("password_changed", user.Email, mail.Data{
		Name: user.Name, Device: describeDevice(r.UserAgent()), IP: a.s.ClientIP(r), Link: a.s.origin + a.s.Path + "/forgot",
	})
}

// changePassword sets a new password for the signed-in user after checking
// the current one (when they have one). Other devices are signed out and
// this one gets a new cookie token.
func (a *Server) changePassword(r *http.Request, st *authState, current, next string) error {
	ctx := r.Context()
	user := st.user
	if user.HasPassword && current == "" {
		return httpx.FieldError("current_password", "password_required", "Enter your current password.")
	}
	// The policy is checked before the current password, so a weak new
	// password does not cost a password attempt.
	if err := a.account.CheckPolicy(next, "new_password", user.Email, user.Name); err != nil {
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

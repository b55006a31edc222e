package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/onetime"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
)

// maxResetsPerHour caps reset mails per account.
const maxResetsPerHour = 5

func resetTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// forgotPassword answers at once and identically for every address; when
// the address has an account, a reset link is mailed in the background.
// The link is built from BaseURL, never from the request's Host.
func (a *Auth) forgotPassword(r *http.Request, rawEmail string) error {
	if err := rateLimited(a.limits.reset, a.s.ClientIP(r)); err != nil {
		return err
	}
	email, err := cleanEmail(rawEmail)
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

func (a *Auth) sendReset(ctx context.Context, email string) error {
	user, err := a.db.UserByEmail(ctx, email)
	if errors.Is(err, core.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	token := onetime.NewToken()
	m, err := a.newMail("reset_password", user.Email, mail.Data{
		Name: user.Name, Link: a.s.origin + a.s.Path + "/reset?token=" + token, ExpiresIn: a.s.ResetTokenTTL,
	})
	if err != nil {
		return err
	}
	err = a.db.CreateToken(ctx, store.Token{Hash: resetTokenHash(token), Purpose: store.PurposeReset, UserID: user.ID,
		ExpiresAt: a.s.Now().Add(a.s.ResetTokenTTL)}, maxResetsPerHour, m)
	if errors.Is(err, core.ErrRateLimited) {
		return nil // the owner already has several links; say nothing more
	}
	if err != nil {
		return err
	}
	a.dispatcher.Wake()
	return nil
}

// tokenError says why a reset link cannot be used.
func tokenError(err error) error {
	switch {
	case errors.Is(err, core.ErrUsed):
		return httpx.Errorf(http.StatusGone, "token_used", "This reset link was already used. Request a new one.")
	case errors.Is(err, core.ErrExpired):
		return httpx.Errorf(http.StatusGone, "token_expired", "This reset link has expired. Request a new one.")
	case errors.Is(err, core.ErrNotFound):
		return httpx.Errorf(http.StatusBadRequest, "token_invalid", "This reset link is not valid. Request a new one.")
	}
	return err
}

// resetPassword uses a reset token (by its hash) to set a new password. It
// ends every session and does not sign in: the user signs in again, with
// every factor they have.
func (a *Auth) resetPassword(r *http.Request, hash, newPassword string) error {
	if err := rateLimited(a.limits.reset, a.s.ClientIP(r)); err != nil {
		return err
	}
	ctx := r.Context()
	t, err := a.db.CheckToken(ctx, hash, store.PurposeReset)
	if err != nil {
		return tokenError(err)
	}
	user, err := a.db.User(ctx, t.UserID)
	if err != nil {
		return tokenError(err)
	}
	if err := a.checkPolicy(newPassword, "password", user.Email, user.Name); err != nil {
		return err
	}
	newHash, err := a.hasher.Hash(ctx, newPassword)
	if err != nil {
		return hashError(err)
	}
	m, err := a.passwordChangedMail(r, user)
	if err != nil {
		return err
	}
	if _, err := a.db.ResetPassword(ctx, hash, newHash, m); err != nil {
		return tokenError(err)
	}
	a.cache.forgetUser(user.ID)
	a.dispatcher.Wake()
	return nil
}

func (a *Auth) passwordChangedMail(r *http.Request, user core.User) (*store.OutMail, error) {
	return a.newMail("password_changed", user.Email, mail.Data{
		Name: user.Name, Device: describeDevice(r.UserAgent()), IP: a.s.ClientIP(r), Link: a.s.origin + a.s.Path + "/forgot",
	})
}

// changePassword sets a new password for the signed-in user after checking
// the current one (when they have one). Other devices are signed out and
// this one gets a new cookie token.
func (a *Auth) changePassword(r *http.Request, st *authState, current, next string) error {
	ctx := r.Context()
	user := st.user
	if user.HasPassword && current == "" {
		return httpx.FieldError("current_password", "password_required", "Enter your current password.")
	}
	if err := a.checkPolicy(next, "new_password", user.Email, user.Name); err != nil {
		return err
	}
	if err := a.stepUp(r, st, current, "current_password", "Enter your current password."); err != nil {
		return err
	}
	hash, err := a.hasher.Hash(ctx, next)
	if err != nil {
		return hashError(err)
	}
	m, err := a.passwordChangedMail(r, user)
	if err != nil {
		return err
	}
	if _, err := a.db.ChangePassword(ctx, user.ID, hash, st.session.ID, m); err != nil {
		return err
	}
	a.cache.forgetUser(user.ID)
	a.dispatcher.Wake()
	return a.sm.RenewToken(ctx)
}

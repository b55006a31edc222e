package account

import (
	"context"
	"errors"

	"github.com/embedauth/auth/core"
)

// SignIn checks an email and password and returns the user they prove.
// The attempt counted stays counted (see [Service.VerifyPassword]): the
// caller clears it when the session is made, or with
// [Service.ClearAttempts] when the sign-in stops short of one. A banned
// user's right password is refused with [ErrBanned], its attempt cleared.
func (s *Service[M]) SignIn(ctx context.Context, rawEmail, pw string) (core.User, error) {
	email, err := core.CleanEmail(rawEmail)
	var pwErr error
	if pw == "" {
		pwErr = core.Invalid("password", "password_required", "Enter your password.")
	}
	if err := core.Combine(err, pwErr); err != nil {
		return core.User{}, err
	}
	var userp *core.User
	user, err := s.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
		userp = &user
	case !errors.Is(err, core.ErrNotFound):
		return core.User{}, err
	default:
		// An address without an account locks like one with an account,
		// so lockout does not tell them apart.
		if ok, retry := s.cfg.UnknownEmail.Allow(s.cfg.EmailKey(email)); !ok {
			return core.User{}, Locked(retry)
		}
	}
	if err := s.VerifyPassword(ctx, userp, pw); err != nil {
		return core.User{}, err
	}
	if user.Banned {
		if err := s.store.ResetAttempts(ctx, user.ID); err != nil {
			s.cfg.Logger.Error("embedauth: reset failed attempts", "err", err)
		}
		return core.User{}, ErrBanned
	}
	return user, nil
}

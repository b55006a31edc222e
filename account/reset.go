package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
)

// MaxResetsPerHour caps the reset links mailed for one account in an hour.
const MaxResetsPerHour = 5

// Refusals of a reset link.
var (
	ErrResetUsed    = core.Refuse(core.ErrUsed, "token_used", "This reset link was already used. Request a new one.")
	ErrResetExpired = core.Refuse(core.ErrExpired, "token_expired", "This reset link has expired. Request a new one.")
	ErrResetInvalid = core.Refuse(core.ErrBadRequest, "token_invalid", "This reset link is not valid. Request a new one.")
)

// ResetTokenHash is how a reset token is stored and looked up.
func ResetTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RequestReset mails a reset link to the account of email, if there is
// one, built by link from the token; it returns nil for an unknown address
// and, silently, for an account that already has MaxResetsPerHour links
// from the last hour. It changes nothing else: the old password works until
// a link is used. Callers answer before it runs, identically for every
// address.
func (s *Service[M]) RequestReset(ctx context.Context, email string, link func(user core.User, token string) (M, error)) (sent bool, err error) {
	user, err := s.store.UserByEmail(ctx, email)
	known := err == nil
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return false, err
	}
	token := onetime.NewToken()
	if !known {
		user = core.User{Email: email}
	}
	m, err := link(user, token)
	if err != nil {
		return false, err
	}
	if !known {
		// The same work as for an account, short of storing and sending:
		// the mail is rendered and the database asked, so the background
		// work after the answer does not tell the two apart either.
		if _, err := s.store.CheckToken(ctx, ResetTokenHash(token), core.PurposeReset); err != nil && !errors.Is(err, core.ErrNotFound) {
			return false, err
		}
		return false, nil
	}
	err = s.store.CreateToken(ctx, core.Token{Hash: ResetTokenHash(token), Purpose: core.PurposeReset, UserID: user.ID,
		ExpiresAt: s.cfg.Now().Add(s.cfg.ResetTokenTTL)}, MaxResetsPerHour, m)
	if errors.Is(err, core.ErrRateLimited) {
		return false, nil // the owner already has several links; say nothing more
	}
	return err == nil, err
}

// ResetPassword uses the reset token whose hash is tokenHash to set a new
// password, which must pass the policy. Every session of the user ends;
// notice is the mail that tells them. It does not sign anyone in.
func (s *Service[M]) ResetPassword(ctx context.Context, tokenHash, newPassword string, notice func(core.User) (M, error)) (core.User, error) {
	t, err := s.store.CheckToken(ctx, tokenHash, core.PurposeReset)
	if err != nil {
		return core.User{}, resetError(err)
	}
	user, err := s.store.User(ctx, t.UserID)
	if err != nil {
		return core.User{}, resetError(err)
	}
	if err := s.CheckPolicy(newPassword, "password", user.Email, user.Name); err != nil {
		return core.User{}, err
	}
	newHash, err := s.cfg.Hasher.Hash(ctx, newPassword)
	if err != nil {
		return core.User{}, err
	}
	m, err := notice(user)
	if err != nil {
		return core.User{}, err
	}
	if _, err := s.store.ResetPassword(ctx, tokenHash, newHash, m); err != nil {
		return core.User{}, resetError(err)
	}
	return user, nil
}

// CheckResetToken reports whether the reset token with this hash can still
// be used, and if not, why.
func (s *Service[M]) CheckResetToken(ctx context.Context, tokenHash string) error {
	_, err := s.store.CheckToken(ctx, tokenHash, core.PurposeReset)
	return resetError(err)
}

// resetError says why a reset token cannot be used; other errors pass.
func resetError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, core.ErrUsed):
		return ErrResetUsed.With(err)
	case errors.Is(err, core.ErrExpired):
		return ErrResetExpired.With(err)
	case errors.Is(err, core.ErrNotFound):
		return ErrResetInvalid.With(err)
	}
	return err
}

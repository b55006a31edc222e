package account

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/password"
)

// ErrInvalidCredentials answers a wrong email or password, the same for
// both.
var ErrInvalidCredentials = &core.Error{Kind: core.ErrInvalidCredentials, Code: "invalid_credentials",
	Message: "That email and password don't match an account."}

// ErrBanned answers a sign-in to a disabled account.
var ErrBanned = core.ErrUserBanned

// Locked answers a sign-in to a locked account, retry being the time left.
func Locked(retry time.Duration) *core.Error {
	return core.LockedOut(retry, core.ErrLocked)
}

// CheckPolicy applies the password policy to pw, naming field as the one
// at fault; context words (the email, the name) and the app's name are
// refused as passwords.
func (s *Service[M]) CheckPolicy(pw, field string, context ...string) error {
	err := s.cfg.Policy.Check(pw, append(context, s.cfg.AppName)...)
	var pe *password.PolicyError
	if errors.As(err, &pe) {
		return core.Invalid(field, pe.Code, pe.Reason)
	}
	return err
}

// Hash hashes a password that passed the policy.
func (s *Service[M]) Hash(ctx context.Context, pw string) (string, error) {
	return s.cfg.Hasher.Hash(ctx, pw)
}

// CheckPassword verifies a user's password as [Service.VerifyPassword]
// does and clears the attempt it counted when the password is right.
func (s *Service[M]) CheckPassword(ctx context.Context, user *core.User, pw string) error {
	if err := s.VerifyPassword(ctx, user, pw); err != nil {
		return err
	}
	return s.store.ResetAttempts(ctx, user.ID)
}

// VerifyPassword verifies a user's password: the attempt is counted first,
// so parallel guesses cannot pass the lockout threshold, and exactly one
// hash runs. A nil user (an unknown address) costs the same statements and
// the same hash, and is refused as a wrong password is. A right password
// leaves its attempt counted: the caller clears it with
// [Service.ClearAttempts], or in the transaction that creates the session.
// An outdated hash is replaced.
func (s *Service[M]) VerifyPassword(ctx context.Context, user *core.User, pw string) error {
	if _, maxLen := s.cfg.Policy.Limits(); utf8.RuneCountInString(pw) > maxLen {
		return ErrInvalidCredentials
	}
	if user == nil {
		// Run the statements a known user's attempt runs (they match no
		// row), so the database work does not tell the two apart.
		if _, _, err := s.store.ReserveAttempt(ctx, "", s.lockout().Reserve); err != nil && !errors.Is(err, core.ErrNotFound) {
			return err
		}
		if err := s.cfg.Hasher.Dummy(ctx, pw); err != nil {
			return err
		}
		s.LogFailure(ctx, "", "password", core.SecurityFailureWrongPassword) // the statement a known user's failure runs; it writes nothing
		return ErrInvalidCredentials
	}
	ok, until, err := s.store.ReserveAttempt(ctx, user.ID, s.lockout().Reserve)
	if err != nil {
		return err
	}
	if !ok {
		s.LogLocked(ctx, user.ID, "password")
		return Locked(RetryAfter(until, s.cfg.Now()))
	}
	hash, err := s.store.PasswordHash(ctx, user.ID)
	if errors.Is(err, core.ErrNotFound) {
		if err := s.cfg.Hasher.Dummy(ctx, pw); err != nil {
			return err
		}
		s.LogFailure(ctx, user.ID, "password", core.SecurityFailureWrongPassword)
		return ErrInvalidCredentials
	}
	if err != nil {
		return err
	}
	match, rehash, err := s.cfg.Hasher.Verify(ctx, pw, hash)
	if err != nil {
		return err
	}
	if !match {
		s.LogFailure(ctx, user.ID, "password", core.SecurityFailureWrongPassword)
		return ErrInvalidCredentials
	}
	if rehash {
		if h, err := s.cfg.Hasher.Hash(ctx, pw); err == nil {
			if err := s.store.RehashPassword(ctx, user.ID, hash, h); err != nil {
				s.cfg.Logger.Error("embedauth: rehash password", "err", err)
			}
		}
	}
	return nil
}

// ClearAttempts clears a user's failed password attempts.
func (s *Service[M]) ClearAttempts(ctx context.Context, userID string) error {
	return s.store.ResetAttempts(ctx, userID)
}

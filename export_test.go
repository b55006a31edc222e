package auth

import (
	"context"
	"net/http"
	"time"

	"github.com/embedauth/auth/internal/web"
	"github.com/embedauth/auth/store"
)

// HousekeepSecurityForTest runs the security part of the hourly
// housekeeping now.
func (a *Auth) HousekeepSecurityForTest(ctx context.Context) { a.s.HousekeepSecurityForTest(ctx) }

// EnrolTOTPForTest enrols userID in TOTP at the Auth's clock, as the
// profile does, and returns the secret and the backup codes.
func (a *Auth) EnrolTOTPForTest(ctx context.Context, userID, email string) (string, []string, error) {
	return a.s.EnrolTOTPForTest(ctx, userID, email)
}

// TOTPCodeForTest computes the TOTP code of secret at t.
func TOTPCodeForTest(secret string, t time.Time) (string, error) {
	return web.TOTPCodeForTest(secret, t)
}

// PasskeySecondFactorTestHandler serves a page that verifies a passkey as
// a second factor (see web.Server.PasskeySecondFactorTestHandler).
func (a *Auth) PasskeySecondFactorTestHandler(prefix string) http.Handler {
	return a.s.PasskeySecondFactorTestHandler(prefix)
}

// Store returns the underlying store, for tests that check what was
// written.
func (a *Auth) Store() *store.DB { return a.s.Store() }

// PasswordHashesForTest reports how many argon2id computations a has run
// so far, so black-box tests can check that two answers cost the same work.
func (a *Auth) PasswordHashesForTest() int64 { return a.s.PasswordHashesForTest() }

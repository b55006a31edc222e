package auth

import (
	"context"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// EnrolTOTPForTest enrols userID in TOTP at the Auth's clock, as the
// profile does, and returns the secret and the backup codes.
func (a *Auth) EnrolTOTPForTest(ctx context.Context, userID, email string) (string, []string, error) {
	e, err := a.mfa.BeginTOTP(ctx, userID, email)
	if err != nil {
		return "", nil, err
	}
	code, err := TOTPCodeForTest(e.Secret, a.s.Now())
	if err != nil {
		return "", nil, err
	}
	codes, err := a.mfa.ConfirmTOTP(ctx, userID, code, nil)
	return e.Secret, codes, err
}

// TOTPCodeForTest computes the TOTP code of secret at t.
func TOTPCodeForTest(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

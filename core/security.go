package core

import (
	"context"
	"time"
)

// Kinds of [SecurityEvent]: what a user sees in their security log.
const (
	// SecuritySignIn is a completed sign-in; Method says how, Detail is
	// "new_device" when the device had not signed in to the account before
	// and "sign_up" for the sign-in that created the account.
	SecuritySignIn = "sign_in"
	// SecuritySignInFailed is a refused sign-in step of this account;
	// Detail is one of the SecurityFailure values.
	SecuritySignInFailed = "sign_in_failed"
	// SecuritySignInLocked is a sign-in refused because the account's
	// factor is locked after too many failures.
	SecuritySignInLocked = "sign_in_locked"
	// SecurityPasswordChanged is a password change; Detail is "reset" when
	// it came from a reset link.
	SecurityPasswordChanged = "password_changed"
	// SecurityMFAEnabled, SecurityMFADisabled and
	// SecurityBackupCodesRegenerated are changes of two-step verification.
	SecurityMFAEnabled             = "mfa_enabled"
	SecurityMFADisabled            = "mfa_disabled"
	SecurityBackupCodesRegenerated = "backup_codes_regenerated"
	// SecurityPasskeyAdded and SecurityPasskeyRemoved name the passkey in
	// Detail.
	SecurityPasskeyAdded   = "passkey_added"
	SecurityPasskeyRemoved = "passkey_removed"
	// SecurityIdentifierAdded, SecurityIdentifierRemoved and
	// SecurityPrimaryChanged are changes of the account's email addresses
	// and phone numbers; Method is the identifier's kind, Detail its value.
	SecurityIdentifierAdded   = "identifier_added"
	SecurityIdentifierRemoved = "identifier_removed"
	SecurityPrimaryChanged    = "primary_changed"
	// SecuritySessionRevoked is a device signed out by the user, by an
	// administrator or by a security change; Detail is the reason.
	SecuritySessionRevoked = "session_revoked"
	// SecurityImpersonationStarted and SecurityImpersonationEnded record
	// an administrator acting as the user; Detail is the administrator's
	// user id and email.
	SecurityImpersonationStarted = "impersonation_started"
	SecurityImpersonationEnded   = "impersonation_ended"
)

// Details of a [SecuritySignInFailed] event.
const (
	SecurityFailureWrongPassword     = "wrong_password"
	SecurityFailureWrongSecondFactor = "wrong_second_factor"
	SecurityFailureWrongDeviceCode   = "wrong_device_code"
)

// SecurityEvent is one entry of a user's security log.
type SecurityEvent struct {
	ID        int64     `json:"id"`
	UserID    string    `json:"-"`
	Kind      string    `json:"kind"`
	Method    string    `json:"method,omitempty"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	Detail    string    `json:"detail,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Client is who made a request: what the security log records beside a
// change. The HTTP layer puts it in the request's context with
// [WithClient], so a change made deep in the store is logged with the
// device that asked for it.
type Client struct {
	IP        string
	UserAgent string
}

type clientKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the Client of ctx, zero when there is none (a change
// made by the app itself or in the background).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

package account

import (
	"context"
	"log/slog"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/password"
)

// Credentials is what password checks need from storage.
type Credentials interface {
	User(ctx context.Context, id string) (core.User, error)
	UserByEmail(ctx context.Context, email string) (core.User, error)
	// PasswordHash returns the user's PHC string, or core.ErrNotFound when
	// they have no password.
	PasswordHash(ctx context.Context, userID string) (string, error)
	// RehashPassword replaces the hash old with new (no change if the
	// password changed meanwhile).
	RehashPassword(ctx context.Context, userID, old, new string) error
	// ReserveAttempt applies rule to the user's lockout state and keeps
	// what it returns, in one transaction, before the password is checked;
	// ok is false while the account is locked until lockedUntil. For
	// an unknown user ("") it runs the same statements and changes nothing.
	ReserveAttempt(ctx context.Context, userID string, rule core.LockoutRule) (ok bool, lockedUntil time.Time, err error)
	// ResetAttempts clears the user's failed attempts.
	ResetAttempts(ctx context.Context, userID string) error
}

// Resets is what password reset needs from storage.
type Resets[M any] interface {
	// CreateToken stores t and queues mail, unless the user has maxPerHour
	// tokens of its purpose from the last hour (core.ErrRateLimited).
	CreateToken(ctx context.Context, t core.Token, maxPerHour int, mail M) error
	// CheckToken returns the unused token with this hash and purpose:
	// core.ErrNotFound, core.ErrUsed or core.ErrExpired otherwise.
	CheckToken(ctx context.Context, hash, purpose string) (core.Token, error)
	// ResetPassword uses the token, sets the new hash, ends every session
	// and queues mail, in one transaction.
	ResetPassword(ctx context.Context, tokenHash, newHash string, mail M) (core.User, error)
}

// Profiles is what changes to an account need from storage.
type Profiles[M any] interface {
	// ChangePassword sets the hash, ends the user's sessions but
	// keepSessionID, and queues mail; it returns the ended session ids.
	ChangePassword(ctx context.Context, userID, hash, keepSessionID string, mail M) ([]string, error)
	UpdateUser(ctx context.Context, id string, up core.UserUpdate) (core.User, error)
	// SetUserImage stores the user's (re-encoded) profile picture and
	// DeleteUserImage removes it (core.ErrNotFound when there is none);
	// both return the user as changed.
	SetUserImage(ctx context.Context, userID, contentType string, data []byte) (core.User, error)
	DeleteUserImage(ctx context.Context, userID string) (core.User, error)
	// SoleAdminOrgs lists the organizations the user is the only admin of.
	SoleAdminOrgs(ctx context.Context, userID string) ([]core.Org, error)
	// DeleteUser deletes the user and all that is theirs, and queues mail.
	DeleteUser(ctx context.Context, id string, mail M) error
	// Identifiers lists the user's email addresses and phone numbers.
	Identifiers(ctx context.Context, userID string) ([]core.Identifier, error)
	// SetPrimaryIdentifier makes a verified email primary (core.ErrInvalidInput
	// if unverified, core.ErrConflict if taken) and queues mail.
	SetPrimaryIdentifier(ctx context.Context, userID, id string, mail M) (core.User, error)
	// RemoveIdentifier removes one (core.ErrLastIdentifier for the primary
	// email or the last address) and queues mail.
	RemoveIdentifier(ctx context.Context, userID, id string, mail M) (core.User, error)
}

// SecurityLog is what the security log needs from storage.
type SecurityLog interface {
	LogSecurity(ctx context.Context, e core.SecurityEvent) error
	// LogSecurityOnce writes e unless the user's log has an entry of the
	// same kind and method from the last within.
	LogSecurityOnce(ctx context.Context, e core.SecurityEvent, within time.Duration) error
	// SecurityLog returns up to limit entries older than the entry id
	// before (0: the newest), newest first.
	SecurityLog(ctx context.Context, userID string, before int64, limit int) ([]core.SecurityEvent, error)
	PruneSecurityLog(ctx context.Context, logBefore, devicesBefore time.Time) error
}

// Store is all the storage a [Service] uses.
type Store[M any] interface {
	Credentials
	Resets[M]
	Profiles[M]
	SecurityLog
	Signups[M]
	Devices
}

// Limiter counts events per key in a window; Allow reports whether one more
// is allowed, and if not, when to retry.
type Limiter interface {
	Allow(key string) (ok bool, retry time.Duration)
}

// Config sets the rules' parameters. Zero durations and thresholds are
// not defaulted here: the caller passes resolved values.
type Config struct {
	// Now is the clock.
	Now func() time.Time
	// Logger receives the failures that must not fail a request (a security
	// log write, a rehash).
	Logger *slog.Logger
	// Hasher hashes and verifies passwords, with bounded concurrency.
	Hasher *password.Hasher
	// Policy is the password policy; AppName is a context word it refuses.
	Policy  password.Policy
	AppName string
	// LockoutThreshold failed passwords lock an account for
	// LockoutDuration.
	LockoutThreshold int
	LockoutDuration  time.Duration
	// UnknownEmail locks addresses without an account as accounts lock,
	// keyed by EmailKey. Nil gives an [AddressLockout] applying the
	// accounts' [Lockout] rule with the same clock.
	UnknownEmail Limiter
	EmailKey     func(email string) string
	// ResetTokenTTL is how long a reset link works.
	ResetTokenTTL time.Duration
	// SecurityLogRetention is how long security log entries are kept, and
	// DeviceLifetime how long a device unseen stays known.
	SecurityLogRetention time.Duration
	DeviceLifetime       time.Duration
	// CodeKey keys the hashes of sign-up and device codes (at least 32
	// bytes), so that the database alone cannot be brute-forced for a
	// code. Keep it outside the database.
	CodeKey []byte
	// VerificationCodeTTL is how long a sign-up code works.
	VerificationCodeTTL time.Duration
	// VerifyNewDevices holds a sign-in from a device new to the account
	// until the user enters a code sent to them.
	VerifyNewDevices bool
	// DisableNewDeviceEmails sends no notice of a sign-in from a new
	// device.
	DisableNewDeviceEmails bool
}

// Service applies the rules of password accounts over a Store.
type Service[M any] struct {
	store Store[M]
	cfg   Config
}

// New returns a Service over store.
func New[M any](store Store[M], cfg Config) *Service[M] {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service[M]{store: store, cfg: cfg}
	if s.cfg.UnknownEmail == nil {
		s.cfg.UnknownEmail = NewAddressLockout(s.lockout(), cfg.Now, defaultAddressKeys)
	}
	return s
}

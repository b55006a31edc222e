// Package mfa holds the second factors of embedauth: TOTP (RFC 6238) and
// single-use backup codes. It knows nothing of HTTP or cookies: a
// [Service] takes a user id and what the user typed, and says whether it
// proved the factor. Root turns that into a session.
//
// # TOTP
//
// Secrets are 160 bits from crypto/rand, sealed at rest with AES-256-GCM
// under a key derived from Config.Key. Codes are 6 digits over a 30-second
// step; the steps t-1, t and t+1 are accepted. The last accepted step is
// stored per user and advanced in one conditional statement, so a code
// (or any code of an earlier or equal step) is never accepted twice, even
// under parallel requests (SECURITY.md T20, T21). Enrolment completes only
// when the user types a valid code for the pending secret (T23).
//
// # Backup codes
//
// Ten codes of ten characters from a 32-symbol alphabet (50 bits each),
// shown once; the store keeps HMAC-SHA-256 under a key derived from
// Config.Key. A code is marked used in one conditional statement, so of
// parallel uses exactly one succeeds (T24); regenerating replaces the
// whole set.
//
// # Failures
//
// [Service.Verify] counts every attempt against the account before
// checking it, in the database, so restarting the first factor does not
// reset the count (T22); past Config.MaxFailures the second factor is
// locked for Config.LockFor.
package mfa

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/secretbox"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Store is what the service needs from storage; *store.DB implements it.
type Store interface {
	PutPendingTOTP(ctx context.Context, userID string, sealed []byte) error
	PendingTOTP(ctx context.Context, userID string) ([]byte, time.Time, error)
	ActivateTOTP(ctx context.Context, userID string, sealed []byte, step int64, codeHashes [][]byte, notice *core.Outgoing) error
	TOTPSecret(ctx context.Context, userID string) ([]byte, int64, error)
	AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error)
	DisableMFA(ctx context.Context, userID string, notice *core.Outgoing) error
	SetSMSFactor(ctx context.Context, userID string, on bool, codeHashes [][]byte, notice *core.Outgoing) error
	SMSFactor(ctx context.Context, userID string) (bool, error)
	ReplaceBackupCodes(ctx context.Context, userID string, hashes [][]byte, notice *core.Outgoing) error
	UseBackupCode(ctx context.Context, userID string, hash []byte) (bool, error)
	BackupCodesLeft(ctx context.Context, userID string) (int, error)
	ReserveMFAAttempt(ctx context.Context, userID string, limit int, lockFor time.Duration) (bool, time.Time, error)
	ResetMFAAttempts(ctx context.Context, userID string) error
}

// Config configures a [Service].
type Config struct {
	// Key is the 32-byte encryption key; sealing and hashing keys are
	// derived from it. Required.
	Key []byte
	// Issuer names the service in authenticator apps. Default "embedauth".
	Issuer string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// PendingTTL bounds how long an enrolment may wait for its first
	// code. Default 15 minutes.
	PendingTTL time.Duration
	// MaxFailures is how many wrong second-factor codes in a row lock the
	// account's second factor. Default 5.
	MaxFailures int
	// LockFor is how long the lock lasts. Default 15 minutes.
	LockFor time.Duration
}

// Period is the TOTP step; Digits the code length; Skew the number of
// steps accepted either side of the current one.
const (
	Period          = 30
	Digits          = 6
	Skew            = 1
	SecretSize      = 20 // bytes: 160 bits
	BackupCodeCount = 10
	backupCodeLen   = 10
)

// Errors the service returns (wrapped); compare with errors.Is.
var (
	// ErrNoPending means enrolment was confirmed without a pending secret
	// (never begun, or begun too long ago). It wraps core.ErrNotFound.
	ErrNoPending = &core.Error{Kind: core.ErrConflict, Code: "enrolment_not_started",
		Message: "Start setting up the authenticator app again.", Err: core.ErrNotFound}
	// ErrNotEnrolled means the user has no TOTP secret. It is answered as a
	// wrong code is, and wraps core.ErrNotFound.
	ErrNotEnrolled = &core.Error{Kind: core.ErrInvalidCode, Code: "incorrect_code", Field: "code",
		Message: "That code is incorrect or was already used.", Err: core.ErrNotFound}
	// ErrMalformed means the code is not of the expected form.
	ErrMalformed = &core.Error{Kind: core.ErrInvalidInput, Code: "invalid_code_format", Field: "code",
		Message: "Enter the 6-digit code from your app, or a 10-character backup code."}
	// ErrIncorrectCode means the code is wrong, or was already used.
	ErrIncorrectCode = &core.Error{Kind: core.ErrInvalidCode, Code: "incorrect_code", Field: "code",
		Message: "That code is incorrect or was already used."}
)

// Method names a second factor.
type Method string

// The second factors [Service.Verify] checks.
const (
	MethodTOTP   Method = "totp"
	MethodBackup Method = "backup_code"
)

// Service enrols and verifies second factors. It is safe for concurrent
// use.
type Service struct {
	st      Store
	cfg     Config
	box     *secretbox.Box
	hashKey []byte
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// New returns a Service over st.
func New(st Store, cfg Config) (*Service, error) {
	if len(cfg.Key) != secretbox.KeySize {
		return nil, errors.New("mfa: Config.Key must be 32 bytes")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "embedauth"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PendingTTL <= 0 {
		cfg.PendingTTL = 15 * time.Minute
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.LockFor <= 0 {
		cfg.LockFor = 15 * time.Minute
	}
	box, err := secretbox.New(derive(cfg.Key, "embedauth mfa totp seal v1"))
	if err != nil {
		return nil, err
	}
	return &Service{st: st, cfg: cfg, box: box, hashKey: derive(cfg.Key, "embedauth mfa backup codes v1")}, nil
}

// Enrolment is a pending TOTP secret to show the user.
type Enrolment struct {
	// Secret is the base32 secret to type into an authenticator app.
	Secret string
	// URL is the otpauth:// URI a QR code carries.
	URL string
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// BeginTOTP draws a new secret for the user and stores it sealed as
// pending, replacing any earlier pending one. account labels the entry in
// the authenticator app (usually the email address).
func (s *Service) BeginTOTP(ctx context.Context, userID, account string) (Enrolment, error) {
	raw := make([]byte, SecretSize)
	rand.Read(raw)
	secret := b32.EncodeToString(raw)
	if err := s.st.PutPendingTOTP(ctx, userID, s.box.Seal([]byte(secret))); err != nil {
		return Enrolment{}, fmt.Errorf("mfa: begin totp: %w", err)
	}
	return Enrolment{Secret: secret, URL: s.keyURL(secret, account)}, nil
}

// PendingTOTP returns the user's pending enrolment again (to redisplay it),
// or [ErrNoPending].
func (s *Service) PendingTOTP(ctx context.Context, userID, account string) (Enrolment, error) {
	_, secret, err := s.pending(ctx, userID)
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: secret, URL: s.keyURL(secret, account)}, nil
}

func (s *Service) keyURL(secret, account string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", s.cfg.Issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + s.cfg.Issuer + ":" + account, RawQuery: v.Encode()}
	return u.String()
}

func (s *Service) pending(ctx context.Context, userID string) ([]byte, string, error) {
	sealed, at, err := s.st.PendingTOTP(ctx, userID)
	if errors.Is(err, core.ErrNotFound) || (err == nil && s.cfg.Now().Sub(at) > s.cfg.PendingTTL) {
		return nil, "", ErrNoPending
	}
	if err != nil {
		return nil, "", fmt.Errorf("mfa: pending totp: %w", err)
	}
	secret, err := s.box.Open(sealed)
	if err != nil {
		return nil, "", fmt.Errorf("mfa: open pending secret: %w", err)
	}
	return sealed, string(secret), nil
}

// ConfirmTOTP completes enrolment when code is valid for the pending
// secret, and returns a fresh set of backup codes to show once (the old
// set, if any, dies). notice, if not nil, is queued in the same
// transaction (the mail telling the user).
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string, notice *core.Outgoing) ([]string, error) {
	code, err := cleanTOTP(code)
	if err != nil {
		return nil, err
	}
	sealed, secret, err := s.pending(ctx, userID)
	if err != nil {
		return nil, err
	}
	step, ok := s.match(secret, code, 0)
	if !ok {
		return nil, ErrIncorrectCode
	}
	codes, hashes := s.newBackupCodes()
	if err := s.st.ActivateTOTP(ctx, userID, sealed, step, hashes, notice); err != nil {
		if errors.Is(err, core.ErrNotFound) {
			return nil, ErrNoPending
		}
		return nil, fmt.Errorf("mfa: confirm totp: %w", err)
	}
	return codes, nil
}

// cleanTOTP accepts exactly six ASCII digits, ignoring surrounding and
// inner spaces.
func cleanTOTP(code string) (string, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != Digits {
		return "", ErrMalformed
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", ErrMalformed
		}
	}
	return code, nil
}

// match finds the step in now±Skew, later than after, whose code is code.
func (s *Service) match(secret, code string, after int64) (int64, bool) {
	now := s.cfg.Now()
	cur := now.Unix() / Period
	var found int64
	ok := false
	for d := int64(-Skew); d <= Skew; d++ {
		step := cur + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*Period, 0), totp.ValidateOpts{
			Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > after && !ok {
			found, ok = step, true
		}
	}
	return found, ok
}

// Enabled reports whether the user has TOTP enabled.
func (s *Service) Enabled(ctx context.Context, userID string) (bool, error) {
	_, _, err := s.st.TOTPSecret(ctx, userID)
	if errors.Is(err, core.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mfa: enabled: %w", err)
	}
	return true, nil
}

// verifyTOTP checks a TOTP code and records its step as used.
func (s *Service) verifyTOTP(ctx context.Context, userID, code string) error {
	code, err := cleanTOTP(code)
	if err != nil {
		return err
	}
	sealed, last, err := s.st.TOTPSecret(ctx, userID)
	if errors.Is(err, core.ErrNotFound) {
		return ErrNotEnrolled
	}
	if err != nil {
		return fmt.Errorf("mfa: verify totp: %w", err)
	}
	secret, err := s.box.Open(sealed)
	if err != nil {
		return fmt.Errorf("mfa: open secret: %w", err)
	}
	step, ok := s.match(string(secret), code, last)
	if !ok {
		return ErrIncorrectCode
	}
	ok, err = s.st.AdvanceTOTPStep(ctx, userID, step)
	if err != nil {
		return fmt.Errorf("mfa: verify totp: %w", err)
	}
	if !ok {
		return ErrIncorrectCode
	}
	return nil
}

// Verify checks a second-factor code of the given method for the user.
// The attempt is counted against the account first; past MaxFailures it
// fails with [core.ErrLocked] (wrapped in a *LockedError saying until
// when) even for a right code. A success resets the count.
func (s *Service) Verify(ctx context.Context, userID string, method Method, code string) error {
	if method != MethodTOTP && method != MethodBackup {
		return fmt.Errorf("mfa: unknown method %q: %w", method, core.ErrInvalidInput)
	}
	ok, until, err := s.st.ReserveMFAAttempt(ctx, userID, s.cfg.MaxFailures, s.cfg.LockFor)
	if err != nil {
		return fmt.Errorf("mfa: verify: %w", err)
	}
	if !ok {
		return s.locked(until)
	}
	if method == MethodTOTP {
		err = s.verifyTOTP(ctx, userID, code)
	} else {
		err = s.verifyBackup(ctx, userID, code)
	}
	if err != nil {
		return err
	}
	if err := s.st.ResetMFAAttempts(ctx, userID); err != nil {
		return fmt.Errorf("mfa: verify: %w", err)
	}
	return nil
}

// Attempt counts a second-factor check made outside this package (a text
// message code) against the account, like [Service.Verify]: past
// MaxFailures it fails with a *LockedError without calling check; a nil
// from check resets the count.
func (s *Service) Attempt(ctx context.Context, userID string, check func() error) error {
	ok, until, err := s.st.ReserveMFAAttempt(ctx, userID, s.cfg.MaxFailures, s.cfg.LockFor)
	if err != nil {
		return fmt.Errorf("mfa: attempt: %w", err)
	}
	if !ok {
		return s.locked(until)
	}
	if err := check(); err != nil {
		return err
	}
	if err := s.st.ResetMFAAttempts(ctx, userID); err != nil {
		return fmt.Errorf("mfa: attempt: %w", err)
	}
	return nil
}

// locked is the refusal of a locked second factor: a *core.Error whose
// cause is a *LockedError.
func (s *Service) locked(until time.Time) error {
	return core.LockedOut(until.Sub(s.cfg.Now()), &LockedError{Until: until})
}

// LockedError says the account's second factor is locked after too many
// failures. It matches [core.ErrLocked].
type LockedError struct {
	// Until is when the lock ends.
	Until time.Time
}

// Error says the second factor is locked.
func (e *LockedError) Error() string { return "mfa: " + core.ErrLocked.Error() }

// Unwrap returns [core.ErrLocked].
func (e *LockedError) Unwrap() error { return core.ErrLocked }

// Disable removes the user's TOTP secret and backup codes. The caller
// must have re-authenticated the user. notice, if not nil, is queued in
// the same transaction.
func (s *Service) Disable(ctx context.Context, userID string, notice *core.Outgoing) error {
	if err := s.st.DisableMFA(ctx, userID, notice); err != nil {
		return fmt.Errorf("mfa: disable: %w", err)
	}
	return nil
}

// Status summarises a user's second factors.
type Status struct {
	// TOTP is true when an authenticator app is enrolled.
	TOTP bool
	// SMS is true when text message codes are on as a second factor (the
	// caller sends and checks them; see [Service.EnableSMS]).
	SMS bool
	// BackupCodesLeft counts unused backup codes.
	BackupCodesLeft int
}

// On reports whether the user has any second factor.
func (st Status) On() bool { return st.TOTP || st.SMS }

// Status returns the user's second factors.
func (s *Service) Status(ctx context.Context, userID string) (Status, error) {
	on, err := s.Enabled(ctx, userID)
	if err != nil {
		return Status{}, err
	}
	sms, err := s.st.SMSFactor(ctx, userID)
	if err != nil {
		return Status{}, fmt.Errorf("mfa: status: %w", err)
	}
	n, err := s.st.BackupCodesLeft(ctx, userID)
	if err != nil {
		return Status{}, fmt.Errorf("mfa: status: %w", err)
	}
	return Status{TOTP: on, SMS: sms, BackupCodesLeft: n}, nil
}

// EnableSMS turns on text message codes as a second factor. A user who
// had no second factor gets a first set of backup codes, returned to show
// once (nil otherwise). notice, if not nil, is queued in the same
// transaction.
func (s *Service) EnableSMS(ctx context.Context, userID string, notice *core.Outgoing) ([]string, error) {
	st, err := s.Status(ctx, userID)
	if err != nil {
		return nil, err
	}
	var codes []string
	var hashes [][]byte
	if !st.On() {
		codes, hashes = s.newBackupCodes()
	}
	if err := s.st.SetSMSFactor(ctx, userID, true, hashes, notice); err != nil {
		return nil, fmt.Errorf("mfa: enable sms: %w", err)
	}
	return codes, nil
}

// DisableSMS turns text message codes off as a second factor; without an
// authenticator app, the backup codes go too. notice, if not nil, is
// queued in the same transaction. The caller must have re-authenticated
// the user.
func (s *Service) DisableSMS(ctx context.Context, userID string, notice *core.Outgoing) error {
	if err := s.st.SetSMSFactor(ctx, userID, false, nil, notice); err != nil {
		return fmt.Errorf("mfa: disable sms: %w", err)
	}
	return nil
}

// backupAlphabet has 32 symbols, without the look-alikes o, i, l and 1.
const backupAlphabet = "abcdefghjkmnpqrstuvwxyz023456789"

func (s *Service) hashBackup(code string) []byte {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(code))
	return m.Sum(nil)
}

func (s *Service) newBackupCodes() ([]string, [][]byte) {
	codes := make([]string, BackupCodeCount)
	hashes := make([][]byte, BackupCodeCount)
	for i := range codes {
		b := make([]byte, backupCodeLen)
		for j := range b {
			b[j] = backupAlphabet[randIndex(len(backupAlphabet))]
		}
		c := string(b)
		codes[i] = c[:5] + "-" + c[5:]
		hashes[i] = s.hashBackup(c)
	}
	return codes, hashes
}

// randIndex draws uniformly from [0, n) for n ≤ 256.
func randIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// cleanBackup lower-cases a backup code and drops spaces and hyphens.
func cleanBackup(code string) (string, error) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	if len(code) != backupCodeLen {
		return "", ErrMalformed
	}
	for i := 0; i < len(code); i++ {
		if !strings.ContainsRune(backupAlphabet, rune(code[i])) {
			return "", ErrMalformed
		}
	}
	return code, nil
}

func (s *Service) verifyBackup(ctx context.Context, userID, code string) error {
	code, err := cleanBackup(code)
	if err != nil {
		return err
	}
	ok, err := s.st.UseBackupCode(ctx, userID, s.hashBackup(code))
	if err != nil {
		return fmt.Errorf("mfa: verify backup code: %w", err)
	}
	if !ok {
		return ErrIncorrectCode
	}
	return nil
}

// RegenerateBackupCodes replaces the user's backup codes with a new set,
// returned to show once; the old set stops working. notice, if not nil,
// is queued in the same transaction.
func (s *Service) RegenerateBackupCodes(ctx context.Context, userID string, notice *core.Outgoing) ([]string, error) {
	codes, hashes := s.newBackupCodes()
	if err := s.st.ReplaceBackupCodes(ctx, userID, hashes, notice); err != nil {
		return nil, fmt.Errorf("mfa: regenerate backup codes: %w", err)
	}
	return codes, nil
}

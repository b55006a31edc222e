package account

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
)

// The limits of a pending sign-up.
const (
	// SignupLifetime is how long a pending sign-up is kept: then it is
	// forgotten, and the user starts again.
	SignupLifetime = 24 * time.Hour
	// MaxSignupFailures wrong codes, across resends, end a sign-up.
	MaxSignupFailures = 5
	// MaxSignupSends is the number of codes one sign-up may mail, the
	// first included.
	MaxSignupSends = 5
	// SignupCodeDigits is the length of a sign-up code.
	SignupCodeDigits = 6
)

// Refusals of a sign-up.
var (
	ErrSignupGone = core.Refuse(core.ErrExpired, "signup_expired", "This sign-up has expired. Please start again.")
	ErrEmailTaken = core.Refuse(core.ErrConflict, "email_taken", "An account with this email already exists. Sign in instead.")
	// ErrTooManySignupCodes is a sign-up that mailed MaxSignupSends codes.
	ErrTooManySignupCodes = core.Refuse(core.ErrRateLimited, "too_many_codes",
		"We've sent several codes already. Check your inbox and spam folder, or start again later.")
	// ErrSignupVerified is a passkey sign-up whose email was proven
	// already: its next step is the passkey.
	ErrSignupVerified = core.Refuse(core.ErrConflict, "already_verified", "Your email is verified already. Create your passkey.")
	// ErrEmailNotVerified is a passkey sign-up whose passkey is asked for
	// before its email was proven.
	ErrEmailNotVerified = core.Refuse(core.ErrConflict, "email_not_verified", "Enter the code we emailed you first.")
)

// Signups is what sign-up needs from storage. "Not found" is
// [core.ErrNotFound], also for a sign-up past its ExpiresAt.
type Signups[M any] interface {
	// CreateSignup stores a pending sign-up and queues mail, in one
	// transaction.
	CreateSignup(ctx context.Context, s core.Signup, mail M) error
	// CreatePasskeySignup stores a pending sign-up without a password, to
	// be completed with a passkey for userHandle, and queues mail.
	CreatePasskeySignup(ctx context.Context, s core.Signup, userHandle []byte, mail M) error
	// Signup returns a pending sign-up, password or passkey.
	Signup(ctx context.Context, id string) (core.Signup, error)
	// PasskeySignup returns a pending passkey sign-up; a password
	// sign-up is not found.
	PasskeySignup(ctx context.Context, id string) (core.PasskeySignup, error)
	// ResendSignupCode applies rule, which issues a new code, to the
	// sign-up's code, writes back what it returns and, when the rule
	// allows it, queues mail, in one transaction. The rule's refusal is
	// returned as it is.
	ResendSignupCode(ctx context.Context, id string, rule core.CodeRule, mail M) error
	// CompleteSignup applies rule, which checks the code presented, to a
	// password sign-up's code and writes back what it returns (a refusal
	// commits and is returned as it is). An accepted code turns the
	// sign-up into a user signed in with sess, in the same transaction; a
	// taken email is [core.ErrConflict].
	CompleteSignup(ctx context.Context, id string, rule core.CodeRule, sess core.Session) (core.User, core.Session, error)
	// VerifyPasskeySignup applies rule as CompleteSignup does to a
	// passkey sign-up; an accepted code records that the email was
	// proven, and once it is, the rule's answer is [core.ErrUsed].
	VerifyPasskeySignup(ctx context.Context, id string, rule core.CodeRule) error
	// CompletePasskeySignup turns a verified passkey sign-up into a user
	// with passkey p, signed in with sess, in one transaction. An
	// unverified sign-up is not found; a taken email or a credential id
	// registered before is [core.ErrConflict].
	CompletePasskeySignup(ctx context.Context, id string, p core.Passkey, sess core.Session) (core.User, core.Passkey, core.Session, error)
	// PasskeyByCredentialID returns the passkey with this credential id.
	PasskeyByCredentialID(ctx context.Context, credentialID []byte) (core.Passkey, error)
}

// SignupMail renders the one mail a sign-up sends to email: code, which
// proves the address, or, when the address already has an account
// (owner), a notice to its owner instead, so that the answer to a sign-up
// never tells whether an address has an account.
type SignupMail[M any] func(email, code string, owner *core.User) (M, error)

// signupCodes is the rule of the codes that prove a sign-up's email,
// password and passkey sign-ups alike: SignupCodeDigits digits valid for
// VerificationCodeTTL; MaxSignupFailures wrong codes, across resends, end
// the sign-up; MaxSignupSends codes mailed.
func (s *Service[M]) signupCodes() onetime.Policy {
	return onetime.Policy{Key: s.cfg.CodeKey, Digits: SignupCodeDigits, TTL: s.cfg.VerificationCodeTTL,
		MaxFailures: MaxSignupFailures, MaxSends: MaxSignupSends, LockedMessage: "Too many wrong codes. Please start again.", Now: s.cfg.Now}
}

// StartSignup starts a sign-up with a password, which must pass the
// policy, and mails its code. Whether or not the email already has an
// account it does the same work (one hash, one pending sign-up, one mail)
// and answers the same: a new address gets a code, a taken one a notice
// to its owner. No user exists until [Service.CompleteSignup].
func (s *Service[M]) StartSignup(ctx context.Context, rawEmail, rawName, password string, mail SignupMail[M]) (core.Signup, error) {
	email, emailErr := core.CleanEmail(rawEmail)
	name, nameErr := core.CleanName(rawName)
	if emailErr != nil {
		email = rawEmail // still a word the password must not be
	}
	if err := core.Combine(emailErr, nameErr, s.CheckPolicy(password, "password", email, name)); err != nil {
		return core.Signup{}, err
	}
	return s.startSignup(ctx, email, name, password, nil, mail)
}

// StartPasskeySignup starts a sign-up that will get a passkey for
// userHandle instead of a password, and mails its code, as StartSignup
// does. Its steps are [Service.VerifyPasskeySignup], then the passkey.
func (s *Service[M]) StartPasskeySignup(ctx context.Context, rawEmail, rawName string, userHandle []byte, mail SignupMail[M]) (core.Signup, error) {
	email, emailErr := core.CleanEmail(rawEmail)
	name, nameErr := core.CleanName(rawName)
	if err := core.Combine(emailErr, nameErr); err != nil {
		return core.Signup{}, err
	}
	return s.startSignup(ctx, email, name, "", userHandle, mail)
}

// startSignup stores a pending sign-up of a clean email and name, with a
// password, or for a passkey when userHandle is set, and mails its code.
func (s *Service[M]) startSignup(ctx context.Context, email, name, password string, userHandle []byte, mail SignupMail[M]) (core.Signup, error) {
	owner, err := s.owner(ctx, email)
	if err != nil {
		return core.Signup{}, err
	}
	now := s.cfg.Now()
	su := core.Signup{ID: core.NewID("signup"), Email: email, Name: name, CreatedAt: now, ExpiresAt: now.Add(SignupLifetime)}
	if userHandle == nil {
		if su.PasswordHash, err = s.cfg.Hasher.Hash(ctx, password); err != nil {
			return core.Signup{}, err
		}
	}
	code, c := s.signupCodes().Issue(su.ID)
	su.CodeHash, su.CodeExpiresAt, su.Sends = c.Hash, c.ExpiresAt, c.Sends
	m, err := mail(email, code, owner)
	if err != nil {
		return core.Signup{}, err
	}
	if userHandle == nil {
		err = s.store.CreateSignup(ctx, su, m)
	} else {
		err = s.store.CreatePasskeySignup(ctx, su, userHandle, m)
	}
	if err != nil {
		return core.Signup{}, err
	}
	return su, nil
}

// owner returns the account of email, or nil when it has none.
func (s *Service[M]) owner(ctx context.Context, email string) (*core.User, error) {
	u, err := s.store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, core.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &u, nil
}

// cleanSignupCode checks a sign-up code's shape; spaces typed inside it
// are dropped.
func cleanSignupCode(raw string) (string, error) {
	return onetime.CleanCode(strings.ReplaceAll(raw, " ", ""), SignupCodeDigits)
}

// CompleteSignup checks the code of password sign-up id (a passkey
// sign-up is [ErrSignupGone] here) and, when it matches, creates the user with a verified email, signed in with sess
// (its UserID filled in), all at once. A wrong code counts against the
// sign-up; the sign-up gone (expired, completed, ended by wrong codes) is
// [ErrSignupGone], and an address that got an account meanwhile
// [ErrEmailTaken].
func (s *Service[M]) CompleteSignup(ctx context.Context, id, rawCode string, sess core.Session) (core.User, core.Session, error) {
	code, err := cleanSignupCode(rawCode)
	if err != nil {
		return core.User{}, core.Session{}, err
	}
	// A passkey sign-up is completed with its passkey, never without a
	// password.
	if _, err := s.store.PasskeySignup(ctx, id); err == nil {
		return core.User{}, core.Session{}, ErrSignupGone
	} else if !errors.Is(err, core.ErrNotFound) {
		return core.User{}, core.Session{}, err
	}
	user, sess, err := s.store.CompleteSignup(ctx, id, s.signupCodes().Check(id, code), sess)
	switch {
	case errors.Is(err, core.ErrNotFound):
		return core.User{}, core.Session{}, ErrSignupGone.With(err)
	case errors.Is(err, core.ErrConflict):
		return core.User{}, core.Session{}, ErrEmailTaken.With(err)
	case err != nil:
		return core.User{}, core.Session{}, err
	}
	return user, sess, nil
}

// VerifyPasskeySignup checks the code of passkey sign-up id; once it
// matches, the sign-up's next step is its passkey. A sign-up verified
// already (a form sent twice) is not refused.
func (s *Service[M]) VerifyPasskeySignup(ctx context.Context, id, rawCode string) error {
	code, err := cleanSignupCode(rawCode)
	if err != nil {
		return err
	}
	err = s.store.VerifyPasskeySignup(ctx, id, s.signupCodes().Check(id, code))
	switch {
	case errors.Is(err, core.ErrNotFound):
		return ErrSignupGone.With(err)
	case errors.Is(err, core.ErrUsed):
		return nil
	}
	return err
}

// CompletePasskeySignup turns passkey sign-up id, once its email is
// proven, into a user with passkey p (made by the caller's ceremony),
// signed in with sess: user, passkey and session commit together. A
// passkey registered meanwhile is refused with registered, the passkey
// rules' own refusal; an address that got an account meanwhile with
// [ErrEmailTaken]; a sign-up gone or unverified with [ErrSignupGone].
func (s *Service[M]) CompletePasskeySignup(ctx context.Context, id string, p core.Passkey, sess core.Session, registered error) (core.User, core.Session, error) {
	user, _, sess, err := s.store.CompletePasskeySignup(ctx, id, p, sess)
	switch {
	case errors.Is(err, core.ErrNotFound):
		return core.User{}, core.Session{}, ErrSignupGone.With(err)
	case errors.Is(err, core.ErrConflict):
		if _, perr := s.store.PasskeyByCredentialID(ctx, p.CredentialID); perr == nil {
			return core.User{}, core.Session{}, registered
		}
		return core.User{}, core.Session{}, ErrEmailTaken.With(err)
	case err != nil:
		return core.User{}, core.Session{}, err
	}
	return user, sess, nil
}

// PendingSignup returns pending sign-up id, password or passkey, or
// [ErrSignupGone].
func (s *Service[M]) PendingSignup(ctx context.Context, id string) (core.Signup, error) {
	su, err := s.store.Signup(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return su, ErrSignupGone.With(err)
	}
	return su, err
}

// PendingPasskeySignup returns pending passkey sign-up id, or
// [ErrSignupGone].
func (s *Service[M]) PendingPasskeySignup(ctx context.Context, id string) (core.PasskeySignup, error) {
	ps, err := s.store.PasskeySignup(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return ps, ErrSignupGone.With(err)
	}
	return ps, err
}

// VerifiedPasskeySignup returns pending passkey sign-up id once its email
// is proven, the step where its passkey is made: [ErrEmailNotVerified]
// before, [ErrSignupGone] when there is no such sign-up.
func (s *Service[M]) VerifiedPasskeySignup(ctx context.Context, id string) (core.PasskeySignup, error) {
	ps, err := s.PendingPasskeySignup(ctx, id)
	if err != nil {
		return ps, err
	}
	if ps.VerifiedAt == nil {
		return ps, ErrEmailNotVerified
	}
	return ps, nil
}

// ResendSignupCode mails a new code for pending sign-up id: the old one
// stops working and the count of wrong codes carries on. A sign-up mails
// at most MaxSignupSends codes ([ErrTooManySignupCodes]).
func (s *Service[M]) ResendSignupCode(ctx context.Context, id string, mail SignupMail[M]) error {
	su, err := s.PendingSignup(ctx, id)
	if err != nil {
		return err
	}
	return s.resendSignupCode(ctx, su, mail)
}

// ResendPasskeySignupCode mails a new code for pending passkey sign-up
// id, as ResendSignupCode does, until its email is proven
// ([ErrSignupVerified]).
func (s *Service[M]) ResendPasskeySignupCode(ctx context.Context, id string, mail SignupMail[M]) error {
	ps, err := s.PendingPasskeySignup(ctx, id)
	if err != nil {
		return err
	}
	if ps.VerifiedAt != nil {
		return ErrSignupVerified
	}
	return s.resendSignupCode(ctx, ps.Signup, mail)
}

// resendSignupCode mails a new code for su, password or passkey sign-up.
func (s *Service[M]) resendSignupCode(ctx context.Context, su core.Signup, mail SignupMail[M]) error {
	owner, err := s.owner(ctx, su.Email)
	if err != nil {
		return err
	}
	code, reissue := s.signupCodes().Reissue(su.ID)
	m, err := mail(su.Email, code, owner)
	if err != nil {
		return err
	}
	err = s.store.ResendSignupCode(ctx, su.ID, reissue, m)
	switch {
	case errors.Is(err, core.ErrRateLimited):
		return ErrTooManySignupCodes.With(err)
	case errors.Is(err, core.ErrNotFound):
		return ErrSignupGone.With(err)
	case errors.Is(err, core.ErrUsed):
		return ErrSignupVerified.With(err)
	}
	return err
}

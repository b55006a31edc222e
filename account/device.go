package account

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
)

// The rules of device verification codes.
const (
	// DeviceCodeDigits is the length of a device code.
	DeviceCodeDigits = 6
	// DeviceCodeTTL is how long a device code works.
	DeviceCodeTTL = 10 * time.Minute
	// MaxDeviceCodeFailures wrong codes, across resends, end the held
	// sign-in: the user signs in again for a new code.
	MaxDeviceCodeFailures = 5
)

// deviceLockedMessage tells a user whose held sign-in had too many wrong
// codes how to go on.
const deviceLockedMessage = "Too many wrong codes. Sign in again to get a new one."

// Refusals of new-device verification.
var (
	// ErrDeviceVerificationNotStarted is a held sign-in that is over
	// (used, expired, its user gone) or never was.
	ErrDeviceVerificationNotStarted = core.Refuse(core.ErrUnauthenticated, "device_verification_not_started",
		"Your sign-in expired or was not started. Sign in again.")
	// ErrDeviceVerificationExpired is a held sign-in ended by its code:
	// expired, or used. The user signs in again for a new code.
	ErrDeviceVerificationExpired = core.Refuse(core.ErrExpired, "device_verification_expired",
		"That code has expired. Sign in again to get a new one.")
	// ErrDeviceVerificationLocked is a held sign-in ended by too many
	// wrong codes. It is an ErrDeviceVerificationExpired, worded for why.
	ErrDeviceVerificationLocked = core.Refuse(core.ErrExpired, "device_verification_expired", deviceLockedMessage)
	// ErrDeviceCodeRequired is an empty code.
	ErrDeviceCodeRequired = core.Invalid("code", "code_required", "Enter the code we sent you.")
)

// Devices is what new-device verification needs from storage. "Not
// found" is [core.ErrNotFound].
type Devices interface {
	// KnownDevice reports whether the device whose cookie hashes to
	// deviceHash has signed in to the user's account before.
	KnownDevice(ctx context.Context, userID, deviceHash string) (bool, error)
	// CreateSignInSession creates the session of a completed sign-in and
	// records d with it, in one transaction.
	CreateSignInSession(ctx context.Context, s core.Session, d core.DeviceSignIn) (core.Session, error)
	// RecordSignIn records d for a session that exists already, and
	// reports whether the device was new to the account.
	RecordSignIn(ctx context.Context, d core.DeviceSignIn) (bool, error)
	// EndSession ends a session for reason.
	EndSession(ctx context.Context, id, reason string) error
	// CreateDeviceChallenge stores c and queues out, counted against
	// limits ([core.ErrRateLimited] when one is reached: nothing is stored
	// or sent).
	CreateDeviceChallenge(ctx context.Context, c core.DeviceChallenge, limits []core.SendLimit, out *core.Outgoing) error
	// DeviceChallenge returns a pending or finished device challenge.
	DeviceChallenge(ctx context.Context, id string) (core.DeviceChallenge, error)
	// ReplaceDeviceCode applies rule, which issues a new code, to the
	// challenge, writes back what it returns and, when the rule allows
	// it, counts out against limits and queues it, in one transaction.
	// The rule's refusal is returned as it is.
	ReplaceDeviceCode(ctx context.Context, id string, rule core.CodeRule, limits []core.SendLimit, out *core.Outgoing) (core.DeviceChallenge, error)
	// UseDeviceChallenge applies rule, which checks the code presented,
	// to the challenge and writes back what it returns (a refusal commits
	// and is returned as it is, a wrong code logged in the user's security
	// log). An accepted code uses the challenge, creates sess and records
	// d, in the same transaction.
	UseDeviceChallenge(ctx context.Context, id string, rule core.CodeRule, sess core.Session, d core.DeviceSignIn) (core.DeviceChallenge, core.Session, error)
}

// DeviceMessages render the messages of sign-ins from new devices. Each
// is called only when its message is to be sent.
type DeviceMessages struct {
	// Notice tells user of a sign-in by method from a device new to the
	// account.
	Notice func(user core.User, method string) (*core.Outgoing, error)
	// Code carries code, which lets in a sign-in by method held for
	// verification, to user; it returns the send limits of the address.
	Code func(user core.User, method, code string) (*core.Outgoing, []core.SendLimit, error)
}

// Arrival is a sign-in whose every factor is proven, at its last step:
// its device is to be admitted.
type Arrival struct {
	User core.User
	// DeviceHash is the hash of the browser's device cookie.
	DeviceHash string
	// Session is the session to create, or with Created the one the
	// flow's own transaction created. Its AuthMethod is the sign-in's
	// method; its UserAgent and IP describe the device.
	Session core.Session
	Created bool
	// SignUp marks the sign-in that created the account: its device is
	// trusted, without a notice.
	SignUp bool
	// ResetAttempts clears the user's failed password attempts in the
	// session's transaction (a password sign-in; not with Created).
	ResetAttempts bool
}

// Admission is how a sign-in's device was let in: with its session, or
// held until the user enters the code sent to them.
type Admission struct {
	// Session is the sign-in's session; empty when held.
	Session core.Session
	// Challenge is the id of the device challenge the held sign-in waits
	// on (see [Service.PendingDevice]); empty when let in. A Created
	// session was ended.
	Challenge string
	// Queued is set when a message was queued: a notice or a code.
	Queued bool
}

// deviceCodes is the rule of device verification codes: after
// MaxDeviceCodeFailures wrong codes the held sign-in is over, and the user
// signs in again.
func (s *Service[M]) deviceCodes() onetime.Policy {
	return onetime.Policy{Key: s.cfg.CodeKey, Binding: "device:", Digits: DeviceCodeDigits, TTL: DeviceCodeTTL,
		MaxFailures: MaxDeviceCodeFailures, LockedMessage: deviceLockedMessage, Now: s.cfg.Now}
}

// AdmitDevice is the last step of every sign-in, after the first and any
// second factor. It remembers the device for the account and logs the
// sign-in with its session, created now unless in.Created. For a device
// the account has not used before it sends the user a notice (unless
// DisableNewDeviceEmails, or the account has no email), or with
// VerifyNewDevices holds the sign-in: the code sent to the user lets it
// in ([Service.VerifyDevice]), and a Created session is ended. The
// sign-in that created the account trusts its device without a notice.
func (s *Service[M]) AdmitDevice(ctx context.Context, in Arrival, msg DeviceMessages) (Admission, error) {
	method := in.Session.AuthMethod
	d := core.DeviceSignIn{UserID: in.User.ID, DeviceHash: in.DeviceHash, Method: method,
		UserAgent: in.Session.UserAgent, IP: in.Session.IP, ResetAttempts: in.ResetAttempts && !in.Created}
	if in.SignUp {
		d.Detail = "sign_up"
	} else {
		known, err := s.store.KnownDevice(ctx, in.User.ID, in.DeviceHash)
		if err != nil {
			return Admission{}, err
		}
		if !known && s.cfg.VerifyNewDevices {
			if in.Created {
				if err := s.store.EndSession(ctx, in.Session.ID, "device_verification_required"); err != nil && !errors.Is(err, core.ErrNotFound) {
					return Admission{}, err
				}
			}
			id, err := s.startDeviceVerification(ctx, in.User, method, in.DeviceHash, msg)
			if err != nil {
				return Admission{}, err
			}
			return Admission{Challenge: id, Queued: true}, nil
		}
		if !known {
			if d.NewDeviceMail, err = s.newDeviceNotice(in.User, method, msg); err != nil {
				return Admission{}, err
			}
		}
	}
	sess := in.Session
	if in.Created {
		if _, err := s.store.RecordSignIn(ctx, d); err != nil {
			return Admission{}, err
		}
	} else {
		var err error
		if sess, err = s.store.CreateSignInSession(ctx, sess, d); err != nil {
			return Admission{}, err
		}
	}
	return Admission{Session: sess, Queued: d.NewDeviceMail != nil}, nil
}

// Admitter returns the hook with which a flow whose own store transaction
// creates the session records the sign-in's device there too, with the
// same rules as [Service.AdmitDevice]: the device remembered, the sign-in
// logged, a notice for a device new to the account (rendered only then),
// the device of the sign-in that created the account trusted without one.
// It returns nil with VerifyNewDevices, whose new devices get no session
// before their code, and the hook declines a user with two-step
// verification, whose session waits for the second factor: for those the
// caller calls AdmitDevice afterwards, as for any other sign-in.
// deviceHash is the hash of the browser's device cookie.
func (s *Service[M]) Admitter(deviceHash string, msg DeviceMessages) core.DeviceAdmit {
	if s.cfg.VerifyNewDevices {
		return nil
	}
	return func(user core.User, sess core.Session, signedUp bool) *core.DeviceSignIn {
		if user.TwoFactorEnabled {
			return nil
		}
		method := sess.AuthMethod
		d := &core.DeviceSignIn{UserID: user.ID, DeviceHash: deviceHash, Method: method, UserAgent: sess.UserAgent, IP: sess.IP}
		switch {
		case signedUp:
			d.Detail = "sign_up"
		case !s.cfg.DisableNewDeviceEmails && user.Email != "":
			d.Notice = func() (*core.Outgoing, error) { return msg.Notice(user, method) }
		}
		return d
	}
}

// newDeviceNotice renders the notice of a sign-in from a new device, or
// returns nil when none is sent.
func (s *Service[M]) newDeviceNotice(user core.User, method string, msg DeviceMessages) (*core.Outgoing, error) {
	if s.cfg.DisableNewDeviceEmails || user.Email == "" {
		return nil, nil
	}
	return msg.Notice(user, method)
}

// startDeviceVerification holds a sign-in of user by method from device
// deviceHash and sends the code that lets it in; it returns the
// challenge's id.
func (s *Service[M]) startDeviceVerification(ctx context.Context, user core.User, method, deviceHash string, msg DeviceMessages) (string, error) {
	c := core.DeviceChallenge{ID: core.NewID("dvc"), UserID: user.ID, DeviceHash: deviceHash, Method: method}
	code, rec := s.deviceCodes().Issue(c.ID)
	c.CodeHash, c.ExpiresAt = rec.Hash, rec.ExpiresAt
	out, limits, err := msg.Code(user, method, code)
	if err != nil {
		return "", err
	}
	if err := s.store.CreateDeviceChallenge(ctx, c, limits, out); err != nil {
		if errors.Is(err, core.ErrRateLimited) {
			return "", core.ErrTooManyMessages.With(err)
		}
		return "", err
	}
	return c.ID, nil
}

// PendingDevice returns held sign-in id and its user, while a code can
// still let it in: [ErrDeviceVerificationNotStarted] once it is over (used,
// expired, its user gone) or when there is none, [core.ErrUserBanned]
// for a user banned meanwhile.
func (s *Service[M]) PendingDevice(ctx context.Context, id string) (core.DeviceChallenge, core.User, error) {
	c, err := s.store.DeviceChallenge(ctx, id)
	switch {
	case errors.Is(err, core.ErrNotFound):
		return core.DeviceChallenge{}, core.User{}, ErrDeviceVerificationNotStarted.With(err)
	case err != nil:
		return core.DeviceChallenge{}, core.User{}, err
	case c.UsedAt != nil, onetime.Expired(c.ExpiresAt, s.cfg.Now()):
		return core.DeviceChallenge{}, core.User{}, ErrDeviceVerificationNotStarted
	}
	user, err := s.store.User(ctx, c.UserID)
	if err != nil {
		return core.DeviceChallenge{}, core.User{}, ErrDeviceVerificationNotStarted.With(err)
	}
	if user.Banned {
		return core.DeviceChallenge{}, core.User{}, core.ErrUserBanned
	}
	return c, user, nil
}

// VerifyDevice checks code against held sign-in c of user (from
// [Service.PendingDevice]) and, when right, creates sess with the device
// remembered and the new-device notice queued, as AdmitDevice does. A
// wrong code counts, and is logged in the user's security log; a used or
// expired code, or the wrong code that reaches MaxDeviceCodeFailures, ends
// the held sign-in ([ErrDeviceVerificationExpired]).
func (s *Service[M]) VerifyDevice(ctx context.Context, c core.DeviceChallenge, user core.User, code string, sess core.Session, msg DeviceMessages) (core.Session, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if code == "" {
		return core.Session{}, ErrDeviceCodeRequired
	}
	code, err := onetime.CleanCode(code, DeviceCodeDigits)
	if err != nil {
		return core.Session{}, err
	}
	d := core.DeviceSignIn{UserID: user.ID, DeviceHash: c.DeviceHash, Method: c.Method, UserAgent: sess.UserAgent, IP: sess.IP}
	if d.NewDeviceMail, err = s.newDeviceNotice(user, c.Method, msg); err != nil {
		return core.Session{}, err
	}
	_, sess, err = s.store.UseDeviceChallenge(ctx, c.ID, s.deviceCodes().Check(c.ID, code), sess, d)
	switch {
	case errors.Is(err, onetime.ErrLocked):
		return core.Session{}, ErrDeviceVerificationLocked.With(err)
	case errors.Is(err, core.ErrExpired), errors.Is(err, core.ErrUsed):
		return core.Session{}, ErrDeviceVerificationExpired.With(err)
	case err != nil:
		return core.Session{}, err
	}
	return sess, nil
}

// ResendDeviceCode sends a new code for held sign-in c of user (from
// [Service.PendingDevice]): the earlier code stops working, and the count
// of wrong codes carries on. Sends count against the same limits as the
// first ([core.ErrTooManyMessages]).
func (s *Service[M]) ResendDeviceCode(ctx context.Context, c core.DeviceChallenge, user core.User, msg DeviceMessages) error {
	code, reissue := s.deviceCodes().Reissue(c.ID)
	out, limits, err := msg.Code(user, c.Method, code)
	if err != nil {
		return err
	}
	_, err = s.store.ReplaceDeviceCode(ctx, c.ID, reissue, limits, out)
	switch {
	case errors.Is(err, core.ErrUsed), errors.Is(err, core.ErrNotFound):
		return ErrDeviceVerificationNotStarted.With(err)
	case errors.Is(err, core.ErrRateLimited):
		return core.ErrTooManyMessages.With(err)
	}
	return err
}

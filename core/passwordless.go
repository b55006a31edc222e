package core

import (
	"errors"
	"time"
)

// Kinds of one-time challenge (see package passwordless).
const (
	ChallengeEmailCode = "email_code"
	ChallengeSMSCode   = "sms_code"
	ChallengeMagicLink = "magic_link"
)

// Purposes of a challenge.
const (
	// PurposeSignIn signs in the owner of the address, or signs up a new
	// user when the address has no account and the challenge allows it.
	PurposeSignIn = "sign_in"
	// PurposeVerify proves an address that a signed-in user is adding.
	PurposeVerify = "verify"
	// PurposeReverify proves again, for a sensitive change, that a
	// signed-in user still holds one of their verified addresses.
	PurposeReverify = "reverify"
)

// Identifier kinds: what an address is.
const (
	IdentifierEmail = "email"
	IdentifierPhone = "phone"
)

// ErrWrongDevice means a magic link that only works in the browser that
// asked for it was opened somewhere else.
var ErrWrongDevice = errors.New("wrong device")

// LockedError is an address or account locked after repeated failures,
// until Until. It matches [ErrLocked] with errors.Is.
type LockedError struct{ Until time.Time }

// Error says until when.
func (e *LockedError) Error() string { return "locked until " + e.Until.UTC().Format(time.RFC3339) }

// Is reports whether target is ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Challenge is one passwordless flow: the one-time code or link sent to
// an address, stored only as a hash. A resend replaces the secret but
// keeps the flow, its attempt count and the address's failure count.
type Challenge struct {
	// ID is the flow's id; codes are bound to it.
	ID string `json:"id"`
	// Kind is ChallengeEmailCode, ChallengeSMSCode or ChallengeMagicLink.
	Kind string `json:"kind"`
	// Purpose is PurposeSignIn, PurposeVerify or PurposeReverify.
	Purpose string `json:"purpose"`
	// Channel is IdentifierEmail or IdentifierPhone.
	Channel string `json:"channel"`
	// Address is the email as entered or the phone number in E.164.
	Address string `json:"address"`
	// AddressKey is how the address is compared: the store's email key,
	// or the E.164 number.
	AddressKey string `json:"-"`
	// UserID is, for PurposeVerify, the user adding the address; once a
	// sign-in completes, the user who signed in.
	UserID string `json:"user_id,omitempty"`
	// SecretHash is the keyed hash of the code, or the SHA-256 of the link
	// token.
	SecretHash string `json:"-"`
	// Name is the display name a sign-up gives its new user.
	Name string `json:"-"`
	// RedirectURL is where the browser goes once the flow completes, fixed
	// when the flow started.
	RedirectURL string `json:"redirect_url,omitempty"`
	// AllowSignUp lets a sign-in create the user when the address has no
	// account.
	AllowSignUp bool `json:"-"`
	// SameDevice makes a magic link work only in the browser that asked.
	SameDevice bool `json:"-"`
	// MatchCode is what the browser that asked for a magic link shows when
	// the link may be completed on another device: that device must enter
	// it, so a person who opens a link someone else asked for cannot sign
	// that someone in with a blind click. Empty for same-device links and
	// for codes. It only pairs two screens (the link's token is the secret),
	// so it is stored as it is.
	MatchCode string `json:"-"`
	// Requester describes the device that asked, shown on a magic link's
	// confirmation page.
	Requester string `json:"-"`
	// Attempts counts wrong codes entered against the current secret.
	Attempts int `json:"-"`
	// Sends counts the secrets sent in this flow.
	Sends int `json:"-"`
	// CreatedAt is when the flow started.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is when the current code or link stops working.
	ExpiresAt time.Time `json:"expires_at"`
	// FlowExpiresAt is when the flow ends (no more resends).
	FlowExpiresAt time.Time `json:"-"`
	// ConsumedAt is set once the code or link was used.
	ConsumedAt *time.Time `json:"consumed_at,omitempty"`
	// SessionID is the session the flow signed in, once consumed.
	SessionID string `json:"-"`
	// WaiterClaimed is set once the browser that asked for a magic link
	// was signed in too, after the link was used on another device.
	WaiterClaimed bool `json:"-"`
}

// SendLimit caps how many messages may be sent for Key in each fixed
// Window (windows start at multiples of Window since the Unix epoch, so a
// day window is a UTC day). Max <= 0 means no cap.
type SendLimit struct {
	Key    string
	Max    int
	Window time.Duration
}

// Outgoing is a message to queue with the change that causes it. Body is
// sealed by the caller; the store never reads it.
type Outgoing struct {
	// Channel is IdentifierEmail (the mail outbox) or IdentifierPhone (the
	// SMS outbox).
	Channel  string
	To       string
	Template string
	Body     []byte
}

// ChallengeAttempt asks the store to use a challenge once.
type ChallengeAttempt struct {
	// FlowID names the flow (codes). Empty for magic links, which are
	// found by SecretHash.
	FlowID string
	// SecretHash is the hash of the link token presented, to find its
	// flow.
	SecretHash string
	// Rule decides the code or link presented against the flow and its
	// code state (package passwordless builds it from the one-time-code
	// rules); the store writes back the state it returns.
	Rule ChallengeRule
	// DeviceFlowID is the flow the presenting browser started, if any:
	// when it is the flow itself, that browser counts as signed in too.
	DeviceFlowID string
	// Session, when set, is created for the proven user in the same
	// transaction as the challenge is consumed (UserID is filled in).
	Session *Session
	// Notice, when set, is queued in the same transaction on success.
	Notice *Outgoing
	// Admit, with Session, records the sign-in's device, security log
	// entry and new-device notice in the same transaction as the session
	// (see [DeviceAdmit]); Completion.Admitted reports that it did.
	Admit DeviceAdmit
}

// Completion is what a used challenge proved.
type Completion struct {
	Challenge Challenge
	// User is the user the address belongs to (for PurposeVerify, the
	// user who added it).
	User User
	// Session is the session created, if one was asked for.
	Session Session
	// SignedUp reports that the user was created by this challenge.
	SignedUp bool
	// Identifier is the address added, for PurposeVerify.
	Identifier Identifier
	// Claimed reports that the address was held unverified by an existing
	// account, whose password and sessions were removed.
	Claimed bool
	// Admitted reports that the attempt's Admit recorded the sign-in's
	// device with the session; NewDevice that the device was new to the
	// account (a notice may be queued).
	Admitted, NewDevice bool
}

// Identifier is an email address or phone number of a user. Only
// verified ones sign in; a user's primary email is also User.Email.
type Identifier struct {
	ID         string     `json:"id"`
	UserID     string     `json:"-"`
	Kind       string     `json:"type"`
	Value      string     `json:"value"`
	Verified   bool       `json:"verified"`
	Primary    bool       `json:"primary"`
	CreatedAt  time.Time  `json:"created_at"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
}

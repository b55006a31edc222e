package core

import "time"

// DeviceSignIn is what a completed sign-in records beside its session:
// the device, the security log entry, and the new-device notice.
type DeviceSignIn struct {
	UserID string
	// DeviceHash is the hash of the browser's device cookie; empty when
	// the request carried none that could be recorded.
	DeviceHash string
	Method     string
	UserAgent  string
	IP         string
	// Detail goes in the log entry ("sign_up"); when empty it is
	// "new_device" for a device the account had not seen.
	Detail string
	// NewDeviceMail is queued only when the device turns out to be new to
	// the account (decided inside the transaction, so two racing sign-ins
	// from one new device send one notice).
	NewDeviceMail *Outgoing
	// Notice, when NewDeviceMail is nil, renders the new-device notice
	// inside the transaction, only when the device turns out to be new;
	// nil sends none.
	Notice func() (*Outgoing, error)
	// ResetAttempts clears the user's count of failed sign-in attempts in
	// the same transaction: a password sign-in reserves an attempt, and its
	// session is what clears it.
	ResetAttempts bool
}

// DeviceAdmit is asked, inside the transaction that uses a sign-in flow and
// creates its session, for the device record of that sign-in, given the
// proven user, the session created and whether the flow created the user.
// It returns nil when the sign-in is not complete with the session (a
// second factor or a device verification comes first): the caller then
// records the device itself afterwards.
type DeviceAdmit func(user User, session Session, signedUp bool) *DeviceSignIn

// DeviceChallenge is a pending verification of an unknown device: the
// sign-in it holds (user, device, method) and the keyed hash of the code
// sent to the user.
type DeviceChallenge struct {
	ID         string
	UserID     string
	DeviceHash string
	Method     string
	CodeHash   string
	// Attempts counts the wrong codes of the held sign-in, across resends.
	Attempts  int
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

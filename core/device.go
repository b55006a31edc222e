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
	// ResetAttempts clears the user's count of failed sign-in attempts in
	// the same transaction: a password sign-in reserves an attempt, and its
	// session is what clears it.
	ResetAttempts bool
}

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

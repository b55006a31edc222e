package core

import "time"

// OneTimeCode is the state of a one-time code or magic link that the
// rules of package internal/onetime read and change: every purpose (a
// passwordless sign-in, a sign-up, a new device, an organization's
// domain) keeps these fields in its own table, and its store applies a
// [CodeRule] to them in the transaction that loaded them.
type OneTimeCode struct {
	// Hash is the keyed hash of the current code or link token; the
	// secret itself is never stored.
	Hash string
	// ExpiresAt is when the current code stops working.
	ExpiresAt time.Time
	// Attempts counts wrong entries of the current code; a new code
	// starts it again.
	Attempts int
	// Sends counts the codes issued in the flow, the first included.
	Sends int
	// UsedAt is when a code was accepted; nil until then.
	UsedAt *time.Time
	// Failures counts consecutive wrong codes of what the code proves (an
	// address, a pending sign-up, a held sign-in, a domain claim) across
	// codes: a new code keeps it, an accepted one clears it.
	Failures int
	// LockedUntil is when a timed lock set at too many failures ends;
	// zero when no such lock was set.
	LockedUntil time.Time
}

// CodeRule decides a change of a stored one-time code (check a code
// presented, issue a new one): given the record as loaded, it returns the
// record to write back, and nil when the change is allowed or the
// refusal. A store writes the returned record back even with a refusal,
// in the same transaction, so a counted wrong code stays counted.
type CodeRule func(OneTimeCode) (OneTimeCode, error)

// ChallengeRule is a [CodeRule] that also sees the passwordless flow the
// code belongs to (its kind, its device binding).
type ChallengeRule func(Challenge, OneTimeCode) (OneTimeCode, error)

// OneTimeCode returns the code state a challenge holds, without the
// failure count of its address (kept apart, per address).
func (c Challenge) OneTimeCode() OneTimeCode {
	return OneTimeCode{Hash: c.SecretHash, ExpiresAt: c.ExpiresAt, Attempts: c.Attempts, Sends: c.Sends, UsedAt: c.ConsumedAt}
}

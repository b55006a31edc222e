package core

import "time"

// LockoutState is what the lockout rule remembers of one account or one
// address without an account: the failures counted since WindowStart, the
// end of the current lock, and how many locks came in a row (each lock
// is longer than the one before).
type LockoutState struct {
	Failures    int
	WindowStart time.Time
	LockedUntil time.Time
	Lockouts    int
}

// LockoutRule applies the lockout rule to one attempt made at now: ok
// reports whether the attempt may be evaluated, and next is the state to
// keep either way.
type LockoutRule func(st LockoutState, now time.Time) (next LockoutState, ok bool)

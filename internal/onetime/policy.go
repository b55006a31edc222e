package onetime

import (
	"crypto/subtle"
	"time"

	"github.com/embedauth/auth/core"
)

// Policy is the rules of one kind of code. A zero limit is no limit.
type Policy struct {
	// Key keys the hashes; at least 32 bytes, kept outside the database.
	Key []byte
	// Binding is hashed before the flow id, so that a code of one kind
	// never matches the record of another kind under the same id. The
	// values in use are those the stored hashes were made with: "code\x00"
	// for passwordless codes, "link" for magic links, "device:" for
	// new-device codes, none for sign-up and domain codes (their ids differ
	// in prefix).
	Binding string
	// Digits is the length of a code. Zero makes the secret a link token
	// ([NewToken]): a link is found by its hash alone, so the hash of a
	// token binds Binding and not the flow id.
	Digits int
	// TTL is how long a code works once issued (see [Expired]).
	TTL time.Duration
	// MaxAttempts is the number of wrong entries one code allows; then it
	// is [ErrExhausted] until a new code is issued.
	MaxAttempts int
	// MaxFailures is the number of consecutive wrong codes the subject
	// allows, across codes; the one that reaches it locks the subject.
	MaxFailures int
	// LockFor is how long a lock lasts. Zero locks until the flow ends: a
	// new flow has a record of its own.
	LockFor time.Duration
	// MaxSends is the number of codes one flow may issue, the first
	// included.
	MaxSends int
	// LockedMessage tells a locked user how to go on, in the flow's
	// words. Default "Too many wrong codes. Try again later."
	LockedMessage string
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (p Policy) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// Expired is the expiry rule of every kind of code and link: a code issued
// at t works strictly before t+TTL (its ExpiresAt, set by [Policy.Issue]
// and [Policy.Reissue]) and has expired from that instant on. The TTLs are
// the policies': Passwordless.CodeTTL (10 minutes) and LinkTTL (15
// minutes), VerificationCodeTTL for sign-up and domain codes (10 minutes),
// 10 minutes for new-device codes.
func Expired(expiresAt, now time.Time) bool { return !now.Before(expiresAt) }

// Hash returns the stored form of secret, a code of flow flowID or a link
// token.
func (p Policy) Hash(flowID, secret string) string {
	if p.Digits == 0 {
		flowID = ""
	}
	return hash(p.Key, p.Binding, flowID, secret)
}

func (p Policy) newSecret() string {
	if p.Digits == 0 {
		return NewToken()
	}
	return NewCode(p.Digits)
}

// Issue draws the first code of flow flowID. It returns the code, for
// the message only, and the record to store.
func (p Policy) Issue(flowID string) (secret string, c core.OneTimeCode) {
	secret = p.newSecret()
	return secret, core.OneTimeCode{Hash: p.Hash(flowID, secret), ExpiresAt: p.now().Add(p.TTL), Sends: 1}
}

// Reissue draws a new code for flow flowID. It returns the code, for the
// message only, and the rule that puts it in the stored record: the
// previous code stops working, the new one gets its own lifetime and
// attempts, and the subject's failures and lock carry on. A used record is
// [core.ErrUsed] and a flow that issued MaxSends codes
// [core.ErrRateLimited]; both leave the record as it is.
func (p Policy) Reissue(flowID string) (string, core.CodeRule) {
	secret := p.newSecret()
	h := p.Hash(flowID, secret)
	return secret, func(c core.OneTimeCode) (core.OneTimeCode, error) {
		switch {
		case c.UsedAt != nil:
			return c, core.ErrUsed
		case p.MaxSends > 0 && c.Sends >= p.MaxSends:
			return c, core.ErrRateLimited
		}
		c.Hash, c.ExpiresAt, c.Attempts = h, p.now().Add(p.TTL), 0
		c.Sends++
		return c, nil
	}
}

// Check returns the rule that checks secret, presented in flow flowID,
// against the stored record: [Policy.Decide] at the time the store
// applies it.
func (p Policy) Check(flowID, secret string) core.CodeRule {
	h := p.Hash(flowID, secret)
	return func(c core.OneTimeCode) (core.OneTimeCode, error) { return p.Decide(c, h, p.now()) }
}

// Usable returns why c takes no code at now, or nil: [core.ErrUsed],
// [ErrLocked], [ErrExpired] or [ErrExhausted], in that order. Nothing is
// counted.
func (p Policy) Usable(c core.OneTimeCode, now time.Time) error {
	switch {
	case c.UsedAt != nil:
		return core.ErrUsed
	case p.locked(c, now):
		return p.lockedError(c, now)
	case Expired(c.ExpiresAt, now):
		return ErrExpired
	case p.MaxAttempts > 0 && c.Attempts >= p.MaxAttempts:
		return ErrExhausted
	}
	return nil
}

// Decide checks presented, the hash of a code presented, against c at
// now, and returns the record to store with nil (accepted) or the refusal.
//
// A code that is not [Policy.Usable] is refused and nothing is counted.
// An accepted code is used: UsedAt is set, and the subject's failures and
// lock are cleared. A wrong one counts an attempt on the code and a
// failure on the subject (from zero again when a timed lock had ended) and
// is [ErrIncorrect]; the failure that reaches MaxFailures locks the
// subject. A timed lock is told at once, with its end ([ErrLocked]
// matching *core.LockedError), so the user knows how long to wait; a lock
// until the flow ends is told from the next try on.
func (p Policy) Decide(c core.OneTimeCode, presented string, now time.Time) (core.OneTimeCode, error) {
	if err := p.Usable(c, now); err != nil {
		return c, err
	}
	if c.Hash == "" || subtle.ConstantTimeCompare([]byte(c.Hash), []byte(presented)) != 1 {
		c.Attempts++
		if p.LockFor > 0 && !c.LockedUntil.IsZero() {
			c.Failures, c.LockedUntil = 0, time.Time{}
		}
		c.Failures++
		if p.MaxFailures > 0 && c.Failures >= p.MaxFailures && p.LockFor > 0 {
			c.LockedUntil = now.Add(p.LockFor)
			return c, p.lockedError(c, now)
		}
		return c, ErrIncorrect
	}
	used := now
	c.UsedAt = &used
	c.Failures, c.LockedUntil = 0, time.Time{}
	return c, nil
}

// locked reports whether the subject of c is locked at now.
func (p Policy) locked(c core.OneTimeCode, now time.Time) bool {
	switch {
	case p.MaxFailures <= 0:
		return false
	case p.LockFor > 0:
		return now.Before(c.LockedUntil)
	}
	return c.Failures >= p.MaxFailures
}

func (p Policy) lockedError(c core.OneTimeCode, now time.Time) error {
	msg := p.LockedMessage
	if msg == "" {
		msg = defaultLockedMessage
	}
	if p.LockFor > 0 {
		return &core.Error{Kind: core.ErrRateLimited, Code: ErrLocked.Code, Message: msg,
			RetryAfter: c.LockedUntil.Sub(now), Err: &core.LockedError{Until: c.LockedUntil}}
	}
	if msg == ErrLocked.Message {
		return ErrLocked
	}
	return &core.Error{Kind: core.ErrRateLimited, Code: ErrLocked.Code, Message: msg, Err: core.ErrLocked}
}

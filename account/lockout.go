package account

import (
	"sync"
	"time"

	"github.com/embedauth/auth/core"
)

// Lockout is the rule for failed passwords, the same for an account and
// for an address without one, so that its answers do not tell them apart.
// An attempt is counted before the password is checked; Threshold
// failures within Window lock for FirstLock, and each lock that follows
// another (before Window passes without one) doubles, up to MaxLock.
// Failures older than Window are forgotten, and a right password clears
// everything ([Service.ClearAttempts]).
type Lockout struct {
	Threshold int
	Window    time.Duration
	FirstLock time.Duration
	MaxLock   time.Duration
}

// firstLock is the first lock of an account or address; later locks double
// up to the configured LockoutDuration.
const firstLock = time.Minute

// lockout returns the service's rule: LockoutThreshold failures lock,
// first for a minute, then for twice as long each time up to
// LockoutDuration, which is also how long a failure counts.
func (s *Service[M]) lockout() Lockout {
	return Lockout{Threshold: s.cfg.LockoutThreshold, Window: s.cfg.LockoutDuration,
		FirstLock: min(firstLock, s.cfg.LockoutDuration), MaxLock: s.cfg.LockoutDuration}
}

// Reserve counts one attempt made at now against st. ok is false while
// st is locked (next is then st); otherwise the attempt is counted and,
// when it reaches Threshold, the lock starts with this attempt still
// evaluated; the count starts again when the lock ends. Times are kept to the millisecond, as the store keeps them.
func (r Lockout) Reserve(st core.LockoutState, now time.Time) (next core.LockoutState, ok bool) {
	now = now.Truncate(time.Millisecond)
	if r.Threshold <= 0 {
		return st, true
	}
	if now.Before(st.LockedUntil) {
		return st, false
	}
	if st.Lockouts > 0 && !now.Before(st.LockedUntil.Add(r.Window)) {
		st.Lockouts = 0
	}
	if st.Failures == 0 || st.Failures >= r.Threshold || !now.Before(st.WindowStart.Add(r.Window)) {
		st.Failures, st.WindowStart = 0, now
	}
	st.Failures++
	if st.Failures >= r.Threshold {
		lock := r.FirstLock
		for i := 0; i < st.Lockouts && lock < r.MaxLock; i++ {
			lock *= 2
		}
		st.Lockouts++
		st.LockedUntil = now.Add(min(lock, r.MaxLock))
	}
	return st, true
}

// RetryAfter is how long after now a lock ending at until lasts, measured
// as [Lockout.Reserve] measures time.
func RetryAfter(until, now time.Time) time.Duration {
	return until.Sub(now.Truncate(time.Millisecond))
}

// idle reports whether st, at now, holds nothing the rule still needs.
func (r Lockout) idle(st core.LockoutState, now time.Time) bool {
	now = now.Truncate(time.Millisecond)
	return !now.Before(st.LockedUntil.Add(r.Window)) &&
		(st.Failures == 0 || !now.Before(st.WindowStart.Add(r.Window)))
}

// AddressLockout applies a [Lockout] to addresses without an account,
// in memory, keyed by the address's key. It holds at most a bounded number
// of addresses; when full of addresses the rule still needs, a new address
// is admitted uncounted rather than growing the map.
type AddressLockout struct {
	rule    Lockout
	now     func() time.Time
	maxKeys int
	mu      sync.Mutex
	states  map[string]core.LockoutState
}

// NewAddressLockout returns an AddressLockout holding up to maxKeys
// addresses.
func NewAddressLockout(rule Lockout, now func() time.Time, maxKeys int) *AddressLockout {
	if now == nil {
		now = time.Now
	}
	return &AddressLockout{rule: rule, now: now, maxKeys: maxKeys, states: map[string]core.LockoutState{}}
}

// defaultAddressKeys bounds the addresses a service's AddressLockout holds.
const defaultAddressKeys = 100_000

// Allow counts one attempt for key and reports whether it may be
// evaluated; when not, retry is the time left of the lock.
func (l *AddressLockout) Allow(key string) (ok bool, retry time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	st, known := l.states[key]
	if !known && len(l.states) >= l.maxKeys {
		for k, s := range l.states {
			if l.rule.idle(s, now) {
				delete(l.states, k)
			}
		}
		if len(l.states) >= l.maxKeys {
			return true, 0
		}
	}
	next, ok := l.rule.Reserve(st, now)
	l.states[key] = next
	if !ok {
		return false, RetryAfter(next.LockedUntil, now)
	}
	return true, 0
}

// Reset forgets key's failures, as a right password clears an account's.
func (l *AddressLockout) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.states, key)
}

// Len returns how many addresses l holds.
func (l *AddressLockout) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.states)
}

package account

import (
	"testing"
	"time"

	"github.com/embedauth/auth/core"
)

var testRule = Lockout{Threshold: 3, Window: time.Hour, FirstLock: time.Minute, MaxLock: time.Hour}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// reserveN makes n attempts at now and returns the state and the last ok.
func reserveN(st core.LockoutState, now time.Time, n int) (core.LockoutState, bool) {
	ok := true
	for range n {
		st, ok = testRule.Reserve(st, now)
	}
	return st, ok
}

func TestLockoutLocksAtThreshold(t *testing.T) {
	st, ok := reserveN(core.LockoutState{}, t0, 2)
	if !ok || st.Failures != 2 || !st.LockedUntil.IsZero() {
		t.Fatalf("after 2: %+v, %v", st, ok)
	}
	// The attempt that reaches the threshold is still evaluated, and locks.
	st, ok = testRule.Reserve(st, t0)
	if !ok || !st.LockedUntil.Equal(t0.Add(time.Minute)) || st.Lockouts != 1 {
		t.Fatalf("3rd: %+v, %v", st, ok)
	}
	// While locked: refused, state unchanged.
	next, ok := testRule.Reserve(st, t0.Add(59*time.Second))
	if ok || next != st {
		t.Fatalf("while locked: %+v, %v", next, ok)
	}
	if got := RetryAfter(st.LockedUntil, t0.Add(59*time.Second)); got != time.Second {
		t.Fatalf("RetryAfter = %v", got)
	}
	// At the lock's end the count starts again.
	next, ok = testRule.Reserve(st, t0.Add(time.Minute))
	if !ok || next.Failures != 1 {
		t.Fatalf("after the lock: %+v, %v", next, ok)
	}
}

func TestLockoutLocksGrowUpToMax(t *testing.T) {
	st, now := core.LockoutState{}, t0
	for _, want := range []time.Duration{1, 2, 4, 8, 16, 32, 60, 60} {
		st, _ = reserveN(st, now, testRule.Threshold)
		if got := st.LockedUntil.Sub(now); got != want*time.Minute {
			t.Fatalf("lock %d lasts %v, want %v", st.Lockouts, got, want*time.Minute)
		}
		now = st.LockedUntil
	}
}

func TestLockoutLocksShrinkAfterQuiet(t *testing.T) {
	st, _ := reserveN(core.LockoutState{}, t0, 3)
	st, _ = reserveN(st, st.LockedUntil, 3) // a second lock: 2 minutes
	now := st.LockedUntil.Add(time.Hour)    // a window without a lock
	st, _ = reserveN(st, now, 3)
	if got := st.LockedUntil.Sub(now); got != time.Minute || st.Lockouts != 1 {
		t.Fatalf("lock after a quiet hour lasts %v (lockouts %d), want 1m", got, st.Lockouts)
	}
}

func TestLockoutFailuresExpire(t *testing.T) {
	st, _ := reserveN(core.LockoutState{}, t0, 2)
	st, ok := testRule.Reserve(st, t0.Add(time.Hour))
	if !ok || st.Failures != 1 || !st.LockedUntil.IsZero() || !st.WindowStart.Equal(t0.Add(time.Hour)) {
		t.Fatalf("a failure after the window: %+v, %v", st, ok)
	}
	// Within the window they add up.
	st, _ = reserveN(core.LockoutState{}, t0, 2)
	st, _ = testRule.Reserve(st, t0.Add(time.Hour-time.Millisecond))
	if st.LockedUntil.IsZero() {
		t.Fatal("3 failures within the window did not lock")
	}
}

func TestLockoutMilliseconds(t *testing.T) {
	now := t0.Add(123456789 * time.Nanosecond)
	st, _ := reserveN(core.LockoutState{}, now, 3)
	if want := t0.Add(123*time.Millisecond + time.Minute); !st.LockedUntil.Equal(want) {
		t.Fatalf("LockedUntil = %v, want %v", st.LockedUntil, want)
	}
	if got := RetryAfter(st.LockedUntil, now); got != time.Minute {
		t.Fatalf("RetryAfter = %v, want 1m", got)
	}
}

func TestLockoutZeroThresholdNeverLocks(t *testing.T) {
	r := Lockout{}
	st := core.LockoutState{}
	for range 100 {
		var ok bool
		if st, ok = r.Reserve(st, t0); !ok {
			t.Fatal("refused with no threshold")
		}
	}
}

func TestAddressLockout(t *testing.T) {
	now := t0
	l := NewAddressLockout(testRule, func() time.Time { return now }, 2)
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	now = now.Add(10 * time.Second)
	if ok, retry := l.Allow("a"); ok || retry != 50*time.Second {
		t.Fatalf("locked: %v, %v", ok, retry)
	}
	// Another key is counted apart.
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("b refused")
	}
	// Full of keys the rule still needs: a new key is let through uncounted.
	if ok, _ := l.Allow("c"); !ok || l.Len() != 2 {
		t.Fatalf("full: %v, %d keys", ok, l.Len())
	}
	// Once they are idle, a new key evicts them.
	now = now.Add(2 * time.Hour)
	if ok, _ := l.Allow("c"); !ok || l.Len() != 1 {
		t.Fatalf("after sweep: %v, %d keys", ok, l.Len())
	}
	l.Reset("c")
	if l.Len() != 0 {
		t.Fatal("Reset kept the key")
	}
}

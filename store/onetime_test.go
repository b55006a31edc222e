package store_test

import (
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
)

// rightCode is the code the test records of one-time codes hold.
const rightCode = "123456"

// wrongCode is never the code.
const wrongCode = "654321"

// otherThan returns a 6-digit code that is not code.
func otherThan(code string) string {
	if code == wrongCode {
		return rightCode
	}
	return wrongCode
}

// testCodes is the one-time-code rule the store tests apply, on the test
// clock: 6 digits valid 15 minutes, 5 wrong codes lock until the flow
// ends, 3 codes per flow. The store decides nothing itself; these rules
// are package onetime's.
func testCodes(clock *fakeClock) onetime.Policy {
	return onetime.Policy{Key: []byte("the store tests' one-time key...."), Digits: 6, TTL: 15 * time.Minute,
		MaxFailures: 5, MaxSends: 3, Now: clock.Now}
}

// challengeRule checks secretHash, the hash of a code or link presented,
// against a passwordless flow with the rules package passwordless sets:
// 5 wrong entries per code, 10 per address, then an hour's lock.
func challengeRule(now func() time.Time, secretHash string) core.ChallengeRule {
	p := onetime.Policy{MaxAttempts: 5, MaxFailures: 10, LockFor: time.Hour}
	return func(_ core.Challenge, c core.OneTimeCode) (core.OneTimeCode, error) {
		return p.Decide(c, secretHash, now())
	}
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
	"github.com/embedauth/auth/store"
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

// codePurpose is one purpose's code, stored, with the way to present a
// code to it and read its count of wrong codes back.
type codePurpose struct {
	name string
	// setup stores a flow whose code is rightCode and returns the function
	// that presents a code to it.
	setup func(t *testing.T, db *store.DB, clock *fakeClock) (present func(code string) error, failures func() int)
	// used is what a correct code answers once the flow is used.
	used error
}

var codePurposes = []codePurpose{
	{name: "sign-up", used: core.ErrNotFound, setup: func(t *testing.T, db *store.DB, clock *fakeClock) (func(string) error, func() int) {
		mustCreateSignup(t, db, newSignup(clock, "su_1", "ann@example.com"))
		return func(code string) error {
				_, _, err := db.CompleteSignup(context.Background(), "su_1", testCodes(clock).Check("su_1", code),
					core.Session{AuthMethod: "email_code", ExpiresAt: clock.Now().Add(time.Hour)})
				return err
			}, func() int {
				s, _ := db.Signup(context.Background(), "su_1")
				return s.Attempts
			}
	}},
	{name: "passkey sign-up", used: core.ErrUsed, setup: func(t *testing.T, db *store.DB, clock *fakeClock) (func(string) error, func() int) {
		s := newSignup(clock, "su_1", "ann@example.com")
		s.PasswordHash = ""
		if err := db.CreatePasskeySignup(context.Background(), s, []byte("handle"), nil); err != nil {
			t.Fatal(err)
		}
		return func(code string) error {
				return db.VerifyPasskeySignup(context.Background(), "su_1", testCodes(clock).Check("su_1", code))
			}, func() int {
				s, _ := db.Signup(context.Background(), "su_1")
				return s.Attempts
			}
	}},
	{name: "new device", used: core.ErrUsed, setup: func(t *testing.T, db *store.DB, clock *fakeClock) (func(string) error, func() int) {
		u := mustCreateUser(t, db, "ann@example.com")
		p := testCodes(clock)
		c := store.DeviceChallenge{ID: "dvc_1", UserID: u.ID, DeviceHash: "dev", Method: "password", CodeHash: p.Hash("dvc_1", rightCode),
			ExpiresAt: clock.Now().Add(10 * time.Minute)}
		if err := db.CreateDeviceChallenge(context.Background(), c, nil, nil); err != nil {
			t.Fatal(err)
		}
		return func(code string) error {
				_, _, err := db.UseDeviceChallenge(context.Background(), c.ID, p.Check(c.ID, code),
					core.Session{UserID: u.ID, AuthMethod: c.Method, ExpiresAt: clock.Now().Add(time.Hour)},
					store.DeviceSignIn{UserID: u.ID, DeviceHash: c.DeviceHash, Method: c.Method})
				return err
			}, func() int {
				c, _ := db.DeviceChallenge(context.Background(), c.ID)
				return c.Attempts
			}
	}},
	{name: "domain", used: core.ErrUsed, setup: func(t *testing.T, db *store.DB, clock *fakeClock) (func(string) error, func() int) {
		ctx := context.Background()
		o := mustCreateOrg(t, db, mustCreateUser(t, db, "ann@example.com"), "acme")
		d, err := db.CreateDomain(ctx, core.Domain{OrgID: o.ID, Name: "acme.test", EnrollmentMode: core.EnrollmentManual})
		if err != nil {
			t.Fatal(err)
		}
		p := testCodes(clock)
		if err := db.SetDomainCode(ctx, o.ID, d.ID, "it@acme.test", func(c core.OneTimeCode) (core.OneTimeCode, error) {
			c.Hash, c.ExpiresAt, c.Sends = p.Hash(d.ID, rightCode), clock.Now().Add(p.TTL), 1
			return c, nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		return func(code string) error {
				_, err := db.VerifyDomain(ctx, o.ID, d.ID, p.Check(d.ID, code))
				return err
			}, func() int {
				d, _ := db.Domain(ctx, o.ID, d.ID)
				return d.CodeAttempts
			}
	}},
	{name: "passwordless code", used: core.ErrUsed, setup: func(t *testing.T, db *store.DB, clock *fakeClock) (func(string) error, func() int) {
		ctx := context.Background()
		c := newChallenge(db, core.ChallengeEmailCode, "ann@example.com")
		p := testCodes(clock) // as package passwordless sets it: per code, and per address for an hour
		p.MaxAttempts, p.MaxFailures, p.LockFor = 5, 10, time.Hour
		c.SecretHash = p.Hash(c.ID, rightCode)
		if err := db.CreateChallenge(ctx, c, nil, nil); err != nil {
			t.Fatal(err)
		}
		return func(code string) error {
				_, err := db.ConsumeChallenge(ctx, core.ChallengeAttempt{FlowID: c.ID, Rule: func(_ core.Challenge, rec core.OneTimeCode) (core.OneTimeCode, error) {
					return p.Check(c.ID, code)(rec)
				}, Session: &core.Session{ExpiresAt: clock.Now().Add(time.Hour)}})
				return err
			}, func() int {
				n, _ := db.ChallengeFailures(ctx, c.Channel, c.AddressKey)
				return n
			}
	}},
}

// TestOneTimeCodes_ParallelCorrectCodesUseOnce: of many correct codes
// presented at once, for every purpose, exactly one is accepted; the
// others find the code used.
func TestOneTimeCodes_ParallelCorrectCodesUseOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		for _, p := range codePurposes {
			t.Run(p.name, func(t *testing.T) {
				t.Parallel()
				db, clock := mustOpen(t)
				present, _ := p.setup(t, db, clock)
				errs := runAll(20, func(int) error { return present(rightCode) })
				ok := 0
				for _, err := range errs {
					switch {
					case err == nil:
						ok++
					case !errors.Is(err, p.used):
						assertNoLockError(t, err)
						t.Errorf("err = %v, want nil or %v", err, p.used)
					}
				}
				if ok != 1 {
					t.Fatalf("%d of 20 correct codes accepted, want exactly 1", ok)
				}
				if err := present(rightCode); !errors.Is(err, p.used) {
					t.Fatalf("afterwards: %v, want %v", err, p.used)
				}
			})
		}
	})
}

// TestOneTimeCodes_ParallelWrongCodesAllCounted: wrong codes presented at
// once are each counted, so parallel guessing buys no more tries than one
// at a time: of 20, as many are answered "incorrect" as the limit allows,
// the rest "locked", and the right code is refused afterwards.
func TestOneTimeCodes_ParallelWrongCodesAllCounted(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		for _, p := range codePurposes {
			t.Run(p.name, func(t *testing.T) {
				t.Parallel()
				db, clock := mustOpen(t)
				present, failures := p.setup(t, db, clock)
				errs := runAll(20, func(int) error { return present(wrongCode) })
				count := map[string]int{}
				for _, err := range errs {
					var r *core.Error
					if !errors.As(err, &r) {
						assertNoLockError(t, err)
						t.Fatalf("err = %v, want a refusal", err)
					}
					count[r.Code]++
				}
				want := map[string]int{"incorrect_code": 5, "too_many_attempts": 15}
				if p.name == "passwordless code" { // 5 tries per code come first
					want = map[string]int{"incorrect_code": 5, "code_exhausted": 15}
				}
				if fmt.Sprint(count) != fmt.Sprint(want) {
					t.Fatalf("answers %v, want %v", count, want)
				}
				if n := failures(); n != 5 {
					t.Fatalf("%d wrong codes counted, want 5", n)
				}
				if err := present(rightCode); err == nil {
					t.Fatal("the right code was accepted after the limit")
				}
			})
		}
	})
}

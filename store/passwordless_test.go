package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

func newChallenge(db *store.DB, kind, address string) core.Challenge {
	now := db.Now()
	channel := core.IdentifierEmail
	if kind == core.ChallengeSMSCode {
		channel = core.IdentifierPhone
	}
	return core.Challenge{ID: core.NewID("flow"), Kind: kind, Purpose: core.PurposeSignIn, Channel: channel, Address: address,
		AddressKey: store.IdentifierKey(channel, address), SecretHash: core.NewID("hash"), AllowSignUp: true,
		ExpiresAt: now.Add(10 * time.Minute), FlowExpiresAt: now.Add(time.Hour)}
}

// attempt presents secret, a code's hash, to flow c.
func attempt(db *store.DB, c core.Challenge, secret string) core.ChallengeAttempt {
	return core.ChallengeAttempt{FlowID: c.ID, Rule: challengeRule(db.Now, secret),
		Session: &core.Session{ExpiresAt: time.Now().Add(time.Hour)}}
}

func TestConsumeChallenge(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		t.Run("OK signs up then signs in", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			c := newChallenge(db, core.ChallengeEmailCode, "Ann@Example.com")
			c.Name = "Ann"
			if err := db.CreateChallenge(ctx, c, nil, &core.Outgoing{Channel: "email", To: c.Address, Template: "t", Body: []byte("b")}); err != nil {
				t.Fatal(err)
			}
			done, err := db.ConsumeChallenge(ctx, attempt(db, c, c.SecretHash))
			if err != nil {
				t.Fatal(err)
			}
			if !done.SignedUp || done.User.Email != "Ann@Example.com" || !done.User.EmailVerified || done.User.Name != "Ann" ||
				done.Session.UserID != done.User.ID || done.Session.AuthMethod != core.ChallengeEmailCode {
				t.Errorf("completion %+v", done)
			}
			if _, err := db.ConsumeChallenge(ctx, attempt(db, c, c.SecretHash)); !errors.Is(err, core.ErrUsed) {
				t.Errorf("second use: %v, want ErrUsed", err)
			}
			c2 := newChallenge(db, core.ChallengeEmailCode, "ann@example.COM")
			db.CreateChallenge(ctx, c2, nil, nil)
			again, err := db.ConsumeChallenge(ctx, attempt(db, c2, c2.SecretHash))
			if err != nil || again.SignedUp || again.User.ID != done.User.ID {
				t.Errorf("sign-in: %+v %v", again, err)
			}
			ids, _ := db.Identifiers(ctx, done.User.ID)
			if len(ids) != 1 || !ids[0].Primary || !ids[0].Verified {
				t.Errorf("identifiers %+v", ids)
			}
		})
		t.Run("ErrInvalidCode counts and locks", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			var lastErr error
			for i := range 3 {
				c := newChallenge(db, core.ChallengeEmailCode, "bo@example.com")
				db.CreateChallenge(ctx, c, nil, nil)
				for range 5 {
					_, lastErr = db.ConsumeChallenge(ctx, attempt(db, c, "wrong"))
				}
				if _, err := db.ConsumeChallenge(ctx, attempt(db, c, c.SecretHash)); i < 1 && !errors.Is(err, core.ErrRateLimited) {
					t.Errorf("after 5 wrong: %v, want ErrRateLimited", err)
				}
			}
			var le *core.LockedError
			if !errors.As(lastErr, &le) || !errors.Is(lastErr, core.ErrLocked) {
				t.Errorf("the 10th failure: %v, want a LockedError", lastErr)
			}
			if n, _ := db.ChallengeFailures(ctx, "email", "bo@example.com"); n != 10 {
				t.Errorf("failures %d", n)
			}
		})
		t.Run("ErrExpired and ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			c := newChallenge(db, core.ChallengeEmailCode, "cy@example.com")
			db.CreateChallenge(ctx, c, nil, nil)
			clock.Advance(10 * time.Minute)
			if _, err := db.ConsumeChallenge(ctx, attempt(db, c, c.SecretHash)); !errors.Is(err, core.ErrExpired) {
				t.Errorf("at expiry: %v", err)
			}
			if n, _ := db.ChallengeFailures(ctx, "email", "cy@example.com"); n != 0 {
				t.Errorf("an expired code counted %d failures", n)
			}
			if _, err := db.ConsumeChallenge(ctx, attempt(db, core.Challenge{ID: "flow_nope"}, "x")); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("unknown: %v", err)
			}
			if _, err := db.ConsumeChallenge(ctx, core.ChallengeAttempt{SecretHash: "no such link", Rule: challengeRule(db.Now, "no such link")}); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("unknown link: %v", err)
			}
		})
		t.Run("concurrent uses: exactly one", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			c := newChallenge(db, core.ChallengeMagicLink, "di@example.com")
			db.CreateChallenge(ctx, c, nil, nil)
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok := 0
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := db.ConsumeChallenge(ctx, core.ChallengeAttempt{SecretHash: c.SecretHash, Rule: challengeRule(db.Now, c.SecretHash),
						Session: &core.Session{ExpiresAt: time.Now().Add(time.Hour)}})
					if err == nil {
						mu.Lock()
						ok++
						mu.Unlock()
					} else if !errors.Is(err, core.ErrUsed) {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if ok != 1 {
				t.Errorf("%d uses succeeded", ok)
			}
		})
		t.Run("pre-hijack claim", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			u, err := db.CreateUser(ctx, store.NewUser{Email: "eli@example.com", PasswordHash: "$argon2id$fake"})
			if err != nil {
				t.Fatal(err)
			}
			s, _ := db.CreateSession(ctx, core.Session{UserID: u.ID, AuthMethod: "password", ExpiresAt: time.Now().Add(time.Hour)})
			c := newChallenge(db, core.ChallengeEmailCode, "ELI@example.com")
			db.CreateChallenge(ctx, c, nil, nil)
			done, err := db.ConsumeChallenge(ctx, attempt(db, c, c.SecretHash))
			if err != nil {
				t.Fatal(err)
			}
			if done.User.ID != u.ID || !done.User.EmailVerified || done.User.HasPassword {
				t.Errorf("user %+v", done.User)
			}
			if old, _ := db.Session(ctx, s.ID); old.EndedAt == nil {
				t.Error("the unverified account's session survived")
			}
		})
		t.Run("the rule's verdict is kept", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			c := newChallenge(db, core.ChallengeMagicLink, "fi@example.com")
			db.CreateChallenge(ctx, c, nil, nil)
			// A refusal the store does not know (a link opened in another
			// browser) changes nothing and leaves the link usable.
			refuse := func(_ core.Challenge, rec core.OneTimeCode) (core.OneTimeCode, error) {
				return rec, core.ErrWrongDevice
			}
			if _, err := db.ConsumeChallenge(ctx, core.ChallengeAttempt{SecretHash: c.SecretHash, Rule: refuse}); !errors.Is(err, core.ErrWrongDevice) {
				t.Errorf("refused: %v", err)
			}
			got, _ := db.Challenge(ctx, c.ID)
			if got.ConsumedAt != nil || got.Attempts != 0 {
				t.Errorf("after a refusal: %+v", got)
			}
			// A rule that accepts without using the code is a fault.
			accept := func(_ core.Challenge, rec core.OneTimeCode) (core.OneTimeCode, error) { return rec, nil }
			if _, err := db.ConsumeChallenge(ctx, core.ChallengeAttempt{SecretHash: c.SecretHash, Rule: accept}); err == nil {
				t.Error("a rule that did not use the code signed in")
			}
		})
	})
}

func TestSendLimits(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		db, clock := mustOpen(t)
		limits := []core.SendLimit{{Key: "to:x", Max: 3, Window: 24 * time.Hour}, {Key: "all", Max: 4, Window: 24 * time.Hour}}
		for i := range 5 {
			c := newChallenge(db, core.ChallengeSMSCode, "+14155550100")
			err := db.CreateChallenge(ctx, c, limits, &core.Outgoing{Channel: "phone", To: c.Address, Template: "sms", Body: []byte("x")})
			if (i < 3) != (err == nil) || (err != nil && !errors.Is(err, core.ErrRateLimited)) {
				t.Errorf("send %d: %v", i, err)
			}
		}
		if n, _ := db.SendCount(ctx, "to:x", 24*time.Hour); n != 3 {
			t.Errorf("count %d", n)
		}
		sms, _ := db.ListSMS(ctx, 10)
		if len(sms) != 3 {
			t.Errorf("%d texts queued, want 3 (refused sends queue nothing)", len(sms))
		}
		clock.Advance(24 * time.Hour)
		if err := db.CreateChallenge(ctx, newChallenge(db, core.ChallengeSMSCode, "+14155550100"), limits, nil); err != nil {
			t.Errorf("next day: %v", err)
		}
		if err := db.PrunePasswordless(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDB_HitLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		start := clock.Now().Truncate(time.Minute)
		var counted atomic.Int32
		errs := runAll(6, func(int) error {
			hit, err := db.HitLimit(ctx, "rl:sign_in:192.0.2.1", start, 4)
			if hit {
				counted.Add(1)
			}
			return err
		})
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := db.SendCount(ctx, "rl:sign_in:192.0.2.1", time.Minute); n != 4 || counted.Load() != 4 {
			t.Fatalf("count = %d, %d counted; want 4", n, counted.Load())
		}
		if hit, err := db.HitLimit(ctx, "rl:sign_in:192.0.2.1", start.Add(time.Minute), 4); err != nil || !hit {
			t.Fatalf("next window: %v, %v", hit, err)
		}
	})
}

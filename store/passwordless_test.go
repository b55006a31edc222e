package store_test

import (
	"context"
	"errors"
	"sync"
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

func attempt(c core.Challenge, secret string) core.ChallengeAttempt {
	return core.ChallengeAttempt{FlowID: c.ID, SecretHash: secret, MaxAttempts: 5, MaxFailures: 10, LockFor: time.Hour,
		Session: &core.Session{ExpiresAt: time.Now().Add(time.Hour)}}
}

func TestConsumeChallenge(t *testing.T) {
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
		done, err := db.ConsumeChallenge(ctx, attempt(c, c.SecretHash))
		if err != nil {
			t.Fatal(err)
		}
		if !done.SignedUp || done.User.Email != "Ann@Example.com" || !done.User.EmailVerified || done.User.Name != "Ann" ||
			done.Session.UserID != done.User.ID || done.Session.AuthMethod != core.ChallengeEmailCode {
			t.Errorf("completion %+v", done)
		}
		if _, err := db.ConsumeChallenge(ctx, attempt(c, c.SecretHash)); !errors.Is(err, core.ErrUsed) {
			t.Errorf("second use: %v, want ErrUsed", err)
		}
		c2 := newChallenge(db, core.ChallengeEmailCode, "ann@example.COM")
		db.CreateChallenge(ctx, c2, nil, nil)
		again, err := db.ConsumeChallenge(ctx, attempt(c2, c2.SecretHash))
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
				_, lastErr = db.ConsumeChallenge(ctx, attempt(c, "wrong"))
			}
			if _, err := db.ConsumeChallenge(ctx, attempt(c, c.SecretHash)); i < 1 && !errors.Is(err, core.ErrRateLimited) {
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
		if _, err := db.ConsumeChallenge(ctx, attempt(c, c.SecretHash)); !errors.Is(err, core.ErrExpired) {
			t.Errorf("at expiry: %v", err)
		}
		if _, err := db.ConsumeChallenge(ctx, core.ChallengeAttempt{FlowID: "flow_nope", SecretHash: "x"}); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("unknown: %v", err)
		}
		link := newChallenge(db, core.ChallengeMagicLink, "cy@example.com")
		db.CreateChallenge(ctx, link, nil, nil)
		if _, err := db.ConsumeChallenge(ctx, core.ChallengeAttempt{FlowID: link.ID, SecretHash: link.SecretHash}); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("a link used as a code: %v", err)
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
				_, err := db.ConsumeChallenge(ctx, core.ChallengeAttempt{Kind: core.ChallengeMagicLink, SecretHash: c.SecretHash,
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
		done, err := db.ConsumeChallenge(ctx, attempt(c, c.SecretHash))
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
	t.Run("same device", func(t *testing.T) {
		t.Parallel()
		db, _ := mustOpen(t)
		c := newChallenge(db, core.ChallengeMagicLink, "fi@example.com")
		c.SameDevice = true
		db.CreateChallenge(ctx, c, nil, nil)
		a := core.ChallengeAttempt{Kind: core.ChallengeMagicLink, SecretHash: c.SecretHash, DeviceFlowID: "flow_other"}
		if _, err := db.ConsumeChallenge(ctx, a); !errors.Is(err, core.ErrWrongDevice) {
			t.Errorf("other device: %v", err)
		}
		a.DeviceFlowID = c.ID
		if _, err := db.ConsumeChallenge(ctx, a); err != nil {
			t.Errorf("same device: %v", err)
		}
	})
}

func TestSendLimits(t *testing.T) {
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
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
	"github.com/embedauth/auth/store"
)

func TestDB_SecurityLog(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("NewestFirstPerUser", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := core.WithClient(context.Background(), core.Client{IP: "203.0.113.9", UserAgent: "Firefox"})
			ann, bob := mustCreateUser(t, db, "ann@example.com"), mustCreateUser(t, db, "bob@example.com")
			for i, k := range []string{core.SecuritySignInFailed, core.SecuritySignIn, core.SecurityPasswordChanged} {
				if err := db.LogSecurity(ctx, core.SecurityEvent{UserID: ann.ID, Kind: k, Detail: fmt.Sprint(i)}); err != nil {
					t.Fatal(err)
				}
				clock.Advance(time.Second)
			}
			if err := db.LogSecurity(ctx, core.SecurityEvent{UserID: bob.ID, Kind: core.SecuritySignIn}); err != nil {
				t.Fatal(err)
			}
			list, err := db.SecurityLog(ctx, ann.ID, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 3 || list[0].Kind != core.SecurityPasswordChanged || list[2].Kind != core.SecuritySignInFailed {
				t.Fatalf("SecurityLog = %+v", list)
			}
			if e := list[0]; e.IP != "203.0.113.9" || e.UserAgent != "Firefox" || e.UserID != ann.ID || !e.CreatedAt.Equal(ms(epoch.Add(2*time.Second))) {
				t.Errorf("entry = %+v", e)
			}
			older, err := db.SecurityLog(ctx, ann.ID, list[0].ID, 1)
			if err != nil || len(older) != 1 || older[0].ID != list[1].ID {
				t.Fatalf("before: %+v %v", older, err)
			}
		})

		t.Run("WrittenWithTheChange", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "ann@example.com")
			s1 := mustCreateSession(t, db, clock, u.ID)
			if _, err := db.ChangePassword(ctx, u.ID, "new-hash", "", nil); err != nil {
				t.Fatal(err)
			}
			if err := db.ReplaceBackupCodes(ctx, u.ID, [][]byte{[]byte("h")}, nil); err != nil {
				t.Fatal(err)
			}
			// Disabling MFA that was never on is not a change.
			if err := db.DisableMFA(ctx, u.ID, nil); err != nil {
				t.Fatal(err)
			}
			list, err := db.SecurityLog(ctx, u.ID, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range list {
				kinds = append(kinds, e.Kind+"/"+e.Detail)
			}
			want := []string{"backup_codes_regenerated/", "password_changed/", "session_revoked/password_changed"}
			if !equalStrings(kinds, want) {
				t.Fatalf("kinds = %v, want %v (session %s)", kinds, want, s1.ID)
			}
			// A sign-out and a held sign-in are not revocations.
			s2 := mustCreateSession(t, db, clock, u.ID)
			s3 := mustCreateSession(t, db, clock, u.ID)
			if err := db.EndSession(ctx, s2.ID, "signed_out"); err != nil {
				t.Fatal(err)
			}
			if err := db.EndSession(ctx, s3.ID, "device_verification_required"); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, db, "auth_security_log", "user_id = $1", u.ID); n != 3 {
				t.Errorf("%d entries after a sign-out, want 3", n)
			}
			// Deleting the user deletes the log.
			if err := db.DeleteUser(ctx, u.ID, nil); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, db, "auth_security_log", "user_id = $1", u.ID); n != 0 {
				t.Errorf("%d entries left after deleting the user", n)
			}
		})

		t.Run("Once", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "ann@example.com")
			e := core.SecurityEvent{UserID: u.ID, Kind: core.SecuritySignInLocked}
			for range 3 {
				if err := db.LogSecurityOnce(ctx, e, time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			clock.Advance(time.Hour + time.Second)
			if err := db.LogSecurityOnce(ctx, e, time.Hour); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, db, "auth_security_log", "user_id = $1", u.ID); n != 2 {
				t.Errorf("%d entries, want 2", n)
			}
		})

		t.Run("Prune", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "ann@example.com")
			if _, err := db.RecordSignIn(ctx, store.DeviceSignIn{UserID: u.ID, DeviceHash: "d1", Method: "password"}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(10 * 24 * time.Hour)
			if err := db.LogSecurity(ctx, core.SecurityEvent{UserID: u.ID, Kind: core.SecurityMFAEnabled}); err != nil {
				t.Fatal(err)
			}
			if err := db.PruneSecurityLog(ctx, clock.Now().Add(-5*24*time.Hour), clock.Now().Add(-5*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			list, _ := db.SecurityLog(ctx, u.ID, 0, 10)
			if len(list) != 1 || list[0].Kind != core.SecurityMFAEnabled {
				t.Errorf("after prune: %+v", list)
			}
			if known, err := db.KnownDevice(ctx, u.ID, "d1"); err != nil || known {
				t.Errorf("a device unseen for 10 days survived a 5-day prune: %v %v", known, err)
			}
			c := store.DeviceChallenge{ID: "dvc_old", UserID: u.ID, DeviceHash: "d2", Method: "password", CodeHash: "h", ExpiresAt: clock.Now().Add(10 * time.Minute)}
			if err := db.CreateDeviceChallenge(ctx, c, nil, nil); err != nil {
				t.Fatal(err)
			}
			clock.Advance(25 * time.Hour)
			if err := db.PruneSecurityLog(ctx, clock.Now().Add(-90*24*time.Hour), clock.Now().Add(-400*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, err := db.DeviceChallenge(ctx, "dvc_old"); err == nil {
				t.Error("a challenge that expired a day ago was kept")
			}
		})
	})
}

func TestDB_DeviceSignIn(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("NewOnceThenKnown", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "ann@example.com")
			d := store.DeviceSignIn{UserID: u.ID, DeviceHash: "dev", Method: "password", IP: "203.0.113.9", UserAgent: "Firefox",
				NewDeviceMail: &core.Outgoing{Channel: core.IdentifierEmail, To: u.Email, Template: "new_device_sign_in", Body: []byte("x")}}
			sess := core.Session{UserID: u.ID, AuthMethod: "password", ExpiresAt: clock.Now().Add(time.Hour)}
			s, err := db.CreateSignInSession(ctx, sess, d)
			if err != nil || s.ID == "" {
				t.Fatal(s, err)
			}
			if known, err := db.KnownDevice(ctx, u.ID, "dev"); err != nil || !known {
				t.Fatalf("KnownDevice = %v, %v", known, err)
			}
			if fresh, err := db.RecordSignIn(ctx, d); err != nil || fresh {
				t.Fatalf("second sign-in fresh = %v, %v", fresh, err)
			}
			if n := countRows(t, db, "auth_mail_outbox", "template = 'new_device_sign_in'"); n != 1 {
				t.Errorf("%d notices queued, want 1", n)
			}
			list, _ := db.SecurityLog(ctx, u.ID, 0, 10)
			if len(list) != 2 || list[1].Detail != "new_device" || list[0].Detail != "" || list[1].IP != "203.0.113.9" {
				t.Errorf("log = %+v", list)
			}
			// The same device is new to another account.
			bob := mustCreateUser(t, db, "bob@example.com")
			d.UserID = bob.ID
			if fresh, err := db.RecordSignIn(ctx, d); err != nil || !fresh {
				t.Errorf("another account's first sign-in on the device fresh = %v, %v", fresh, err)
			}
		})

		t.Run("RacingSignInsMailOnce", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "ann@example.com")
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := db.RecordSignIn(ctx, store.DeviceSignIn{UserID: u.ID, DeviceHash: "dev", Method: "password",
						NewDeviceMail: &core.Outgoing{Channel: core.IdentifierEmail, To: u.Email, Template: "new_device_sign_in"}})
					assertNoLockError(t, err)
				}()
			}
			wg.Wait()
			if n := countRows(t, db, "auth_mail_outbox", "template = 'new_device_sign_in'"); n != 1 {
				t.Errorf("%d notices queued, want 1", n)
			}
		})
	})
}

func TestDB_DeviceChallenge(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		// 3 wrong codes per held sign-in, across resends.
		codes := func(clock *fakeClock) onetime.Policy {
			p := testCodes(clock)
			p.Binding, p.MaxFailures = "device:", 3
			return p
		}
		setup := func(t *testing.T) (*store.DB, *fakeClock, core.User, store.DeviceChallenge) {
			db, clock := mustOpen(t)
			u := mustCreateUser(t, db, "ann@example.com")
			c := store.DeviceChallenge{ID: "dvc_1", UserID: u.ID, DeviceHash: "dev", Method: "password", CodeHash: codes(clock).Hash("dvc_1", rightCode),
				ExpiresAt: clock.Now().Add(10 * time.Minute)}
			limits := []core.SendLimit{{Key: "email:to:ann", Max: 2, Window: time.Hour}}
			if err := db.CreateDeviceChallenge(context.Background(), c, limits, &core.Outgoing{Channel: core.IdentifierEmail, To: u.Email, Template: "device_verification_code"}); err != nil {
				t.Fatal(err)
			}
			return db, clock, u, c
		}
		use := func(db *store.DB, clock *fakeClock, u core.User, c store.DeviceChallenge, code string) error {
			_, _, err := db.UseDeviceChallenge(context.Background(), c.ID, codes(clock).Check(c.ID, code),
				core.Session{UserID: u.ID, AuthMethod: c.Method, ExpiresAt: time.Now().Add(time.Hour)},
				store.DeviceSignIn{UserID: u.ID, DeviceHash: c.DeviceHash, Method: c.Method})
			return err
		}

		t.Run("RightCodeOnce", func(t *testing.T) {
			t.Parallel()
			db, clock, u, c := setup(t)
			if err := use(db, clock, u, c, rightCode); err != nil {
				t.Fatal(err)
			}
			if err := use(db, clock, u, c, rightCode); !errors.Is(err, core.ErrUsed) {
				t.Fatalf("reuse: %v", err)
			}
			if known, _ := db.KnownDevice(context.Background(), u.ID, "dev"); !known {
				t.Error("the verified device is not known")
			}
			if n := countRows(t, db, "auth_sessions", "user_id = $1", u.ID); n != 1 {
				t.Errorf("%d sessions, want 1", n)
			}
			if got, _ := db.DeviceChallenge(context.Background(), c.ID); got.UsedAt == nil || !got.UsedAt.Equal(ms(clock.Now())) {
				t.Errorf("UsedAt %v", got.UsedAt)
			}
		})
		t.Run("AttemptsCounted", func(t *testing.T) {
			t.Parallel()
			db, clock, u, c := setup(t)
			for range 3 {
				if err := use(db, clock, u, c, wrongCode); !errors.Is(err, onetime.ErrIncorrect) {
					t.Fatalf("wrong code: %v", err)
				}
			}
			if err := use(db, clock, u, c, rightCode); !errors.Is(err, onetime.ErrLocked) {
				t.Fatalf("after 3 wrong codes: %v", err)
			}
			if n := countRows(t, db, "auth_security_log", "user_id = $1 AND detail = 'wrong_device_code'", u.ID); n != 3 {
				t.Errorf("%d failures logged, want 3", n)
			}
			if n := countRows(t, db, "auth_sessions", ""); n != 0 {
				t.Errorf("%d sessions", n)
			}
		})
		t.Run("Expired", func(t *testing.T) {
			t.Parallel()
			db, clock, u, c := setup(t)
			clock.Advance(10 * time.Minute)
			if err := use(db, clock, u, c, rightCode); !errors.Is(err, core.ErrExpired) {
				t.Fatalf("at expiry: %v", err)
			}
		})
		t.Run("ResendKeepsTheCount", func(t *testing.T) {
			t.Parallel()
			db, clock, u, c := setup(t)
			ctx := context.Background()
			for range 2 {
				use(db, clock, u, c, wrongCode)
			}
			clock.Advance(5 * time.Minute)
			limits := []core.SendLimit{{Key: "email:to:ann", Max: 2, Window: time.Hour}}
			code, reissue := codes(clock).Reissue(c.ID)
			got, err := db.ReplaceDeviceCode(ctx, c.ID, reissue, limits, &core.Outgoing{Channel: core.IdentifierEmail, To: u.Email, Template: "device_verification_code"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Attempts != 2 || !got.ExpiresAt.Equal(ms(clock.Now().Add(15*time.Minute))) || got.CodeHash != codes(clock).Hash(c.ID, code) {
				t.Fatalf("after resend: %+v", got)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 2 {
				t.Errorf("%d messages queued, want 2", n)
			}
			// The send cap counts resends: a third message in the hour is refused and changes nothing.
			_, again := codes(clock).Reissue(c.ID)
			if _, err := db.ReplaceDeviceCode(ctx, c.ID, again, limits, nil); !errors.Is(err, core.ErrRateLimited) {
				t.Fatalf("third send: %v", err)
			}
			if code == rightCode {
				t.Skip("the new code happens to equal the old one")
			}
			// The old code is the third wrong one: with the two before the
			// resend, the sign-in is locked, and the new code no longer helps.
			if err := use(db, clock, u, c, rightCode); !errors.Is(err, onetime.ErrIncorrect) {
				t.Fatalf("the old code: %v", err)
			}
			if err := use(db, clock, u, c, code); !errors.Is(err, onetime.ErrLocked) {
				t.Fatalf("the new code after 3 wrong ones: %v", err)
			}
		})
		t.Run("SendsCapped", func(t *testing.T) {
			t.Parallel()
			db, _, _, c := setup(t)
			limits := []core.SendLimit{{Key: "email:to:ann", Max: 2, Window: time.Hour}}
			c.ID = "dvc_2"
			if err := db.CreateDeviceChallenge(context.Background(), c, limits, nil); err != nil {
				t.Fatal(err)
			}
			c.ID = "dvc_3"
			if err := db.CreateDeviceChallenge(context.Background(), c, limits, nil); !errors.Is(err, core.ErrRateLimited) {
				t.Fatalf("third send in an hour: %v", err)
			}
			if _, err := db.DeviceChallenge(context.Background(), "dvc_3"); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("a refused challenge was stored: %v", err)
			}
		})
	})
}

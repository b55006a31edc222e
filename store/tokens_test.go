package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

func resetToken(clock *fakeClock, hash, userID string) store.Token {
	return store.Token{Hash: hash, Purpose: store.PurposeReset, UserID: userID, ExpiresAt: clock.Now().Add(time.Hour)}
}

func TestDB_CreateToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		const maxPerHour = 3

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "tok@example.com")
			if err := db.CreateToken(ctx, resetToken(clock, "h1", u.ID), maxPerHour, &store.OutMail{To: u.Email, Template: "reset", Body: []byte("link")}); err != nil {
				t.Fatal(err)
			}
			tk, err := db.CheckToken(ctx, "h1", store.PurposeReset)
			if err != nil {
				t.Fatal(err)
			}
			if tk.Hash != "h1" || tk.Purpose != store.PurposeReset || tk.UserID != u.ID || tk.UsedAt != nil ||
				!tk.CreatedAt.Equal(ms(clock.Now())) || !tk.ExpiresAt.Equal(ms(clock.Now().Add(time.Hour))) {
				t.Fatalf("CheckToken = %+v", tk)
			}
			if mail, _ := db.ListMail(ctx, 10); len(mail) != 1 || mail[0].To != u.Email || mail[0].Template != "reset" {
				t.Fatalf("mail = %+v", mail)
			}
		})

		t.Run("ErrRateLimited", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "tok@example.com")
			other := mustCreateUser(t, db, "other@example.com")
			mail := func(u core.User) *store.OutMail { return &store.OutMail{To: u.Email, Template: "reset"} }
			for i := range maxPerHour {
				if err := db.CreateToken(ctx, resetToken(clock, fmt.Sprint("h", i), u.ID), maxPerHour, mail(u)); err != nil {
					t.Fatalf("token %d: %v", i, err)
				}
				clock.Advance(10 * time.Minute)
			}
			// now = +30m: the three tokens of the last hour count.
			err := db.CreateToken(ctx, resetToken(clock, "h-refused", u.ID), maxPerHour, mail(u))
			if !errors.Is(err, core.ErrRateLimited) {
				t.Fatalf("err = %v, want ErrRateLimited", err)
			}
			if n := countRows(t, db, "auth_tokens", "user_id = $1", u.ID); n != maxPerHour {
				t.Fatalf("tokens = %d, want %d", n, maxPerHour)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != maxPerHour {
				t.Fatalf("mail rows = %d, want %d", n, maxPerHour)
			}
			if _, err := db.CheckToken(ctx, "h-refused", store.PurposeReset); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("refused token stored: %v", err)
			}

			// The limit is per user.
			if err := db.CreateToken(ctx, resetToken(clock, "h-other", other.ID), maxPerHour, mail(other)); err != nil {
				t.Fatalf("other user limited: %v", err)
			}

			// Once the first token is more than an hour old, one more is allowed.
			clock.Advance(30*time.Minute + time.Millisecond)
			if err := db.CreateToken(ctx, resetToken(clock, "h-later", u.ID), maxPerHour, mail(u)); err != nil {
				t.Fatalf("after an hour: %v", err)
			}
			if err := db.CreateToken(ctx, resetToken(clock, "h-later2", u.ID), maxPerHour, mail(u)); !errors.Is(err, core.ErrRateLimited) {
				t.Fatalf("err = %v, want ErrRateLimited", err)
			}
		})

		t.Run("ErrConflict", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "tok@example.com")
			if err := db.CreateToken(ctx, resetToken(clock, "dup", u.ID), 10, nil); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateToken(ctx, resetToken(clock, "dup", u.ID), 10, &store.OutMail{To: u.Email, Template: "reset"}); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 0 {
				t.Fatalf("mail rows = %d", n)
			}
		})

		t.Run("ErrUnknownUser", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			if err := db.CreateToken(context.Background(), resetToken(clock, "h", "user_nope"), 10, &store.OutMail{To: "x@example.com", Template: "reset"}); err == nil {
				t.Fatal("token for an unknown user stored")
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 0 {
				t.Fatalf("mail rows = %d", n)
			}
		})
	})
}

func TestDB_CheckToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "tok@example.com")
			if err := db.CreateToken(ctx, resetToken(clock, "h", u.ID), 10, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := db.CheckToken(ctx, "nope", store.PurposeReset); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("unknown: err = %v, want ErrNotFound", err)
			}
			if _, err := db.CheckToken(ctx, "h", "other_purpose"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("wrong purpose: err = %v, want ErrNotFound", err)
			}
		})

		t.Run("ErrExpired", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "tok@example.com")
			if err := db.CreateToken(ctx, resetToken(clock, "h", u.ID), 10, nil); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Hour - time.Millisecond)
			if _, err := db.CheckToken(ctx, "h", store.PurposeReset); err != nil {
				t.Fatalf("just before expiry: %v", err)
			}
			clock.Advance(time.Millisecond)
			if _, err := db.CheckToken(ctx, "h", store.PurposeReset); !errors.Is(err, core.ErrExpired) {
				t.Fatalf("err = %v, want ErrExpired", err)
			}
		})

		t.Run("ErrUsed", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "tok@example.com")
			if err := db.CreateToken(ctx, resetToken(clock, "h", u.ID), 10, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ResetPassword(ctx, "h", "new", nil); err != nil {
				t.Fatal(err)
			}
			tk, err := db.CheckToken(ctx, "h", store.PurposeReset)
			if !errors.Is(err, core.ErrUsed) {
				t.Fatalf("err = %v, want ErrUsed", err)
			}
			if tk.UsedAt == nil || !tk.UsedAt.Equal(ms(clock.Now())) {
				t.Fatalf("UsedAt = %v", tk.UsedAt)
			}
			// Used wins over expired.
			clock.Advance(2 * time.Hour)
			if _, err := db.CheckToken(ctx, "h", store.PurposeReset); !errors.Is(err, core.ErrUsed) {
				t.Fatalf("err = %v, want ErrUsed", err)
			}
		})
	})
}

func TestDB_ResetPassword(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "forgot@example.com") // email not verified
			other := mustCreateUser(t, db, "other@example.com")
			s1 := mustCreateSession(t, db, clock, u.ID)
			s2 := mustCreateSession(t, db, clock, u.ID)
			otherSess := mustCreateSession(t, db, clock, other.ID)
			mustCommitToken(t, db, "cookie1", s1.ID)
			for _, h := range []string{"r1", "r2", "r3"} {
				if err := db.CreateToken(ctx, resetToken(clock, h, u.ID), 10, nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.CreateToken(ctx, resetToken(clock, "r-other", other.ID), 10, nil); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				db.ReserveAttempt(ctx, u.ID, fixedLock(3, time.Hour))
			}
			clock.Advance(time.Minute)

			got, err := db.ResetPassword(ctx, "r2", "brand-new", &store.OutMail{To: u.Email, Template: "password_reset_done"})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != u.ID || !got.EmailVerified || !got.HasPassword {
				t.Fatalf("user = %+v", got)
			}
			if stored, _ := db.User(ctx, u.ID); !stored.EmailVerified || !stored.UpdatedAt.Equal(ms(clock.Now())) {
				t.Fatalf("stored user = %+v", stored)
			}
			if h, _ := db.PasswordHash(ctx, u.ID); h != "brand-new" {
				t.Fatalf("hash = %q", h)
			}
			if n, _ := db.FailedAttempts(ctx, u.ID); n != 0 {
				t.Fatalf("failed attempts = %d", n)
			}
			if ok, _, _ := db.ReserveAttempt(ctx, u.ID, fixedLock(3, time.Hour)); !ok {
				t.Fatal("still locked after reset")
			}
			// Every session ended, with its cookies.
			if live, _ := db.ListSessions(ctx, u.ID); len(live) != 0 {
				t.Fatalf("live sessions = %d", len(live))
			}
			if _, found, _ := db.FindToken(ctx, "cookie1"); found {
				t.Fatal("cookie survived the reset")
			}
			if got, want := eventIDs(t, events(t, db, core.EventSessionEnded)), sorted([]string{s1.ID, s2.ID}); !equalStrings(got, want) {
				t.Fatalf("session.ended = %v, want %v", got, want)
			}
			// All of the user's reset tokens are spent; the other user's is not.
			for _, h := range []string{"r1", "r2", "r3"} {
				if _, err := db.CheckToken(ctx, h, store.PurposeReset); !errors.Is(err, core.ErrUsed) {
					t.Errorf("token %s: err = %v, want ErrUsed", h, err)
				}
			}
			if _, err := db.CheckToken(ctx, "r-other", store.PurposeReset); err != nil {
				t.Fatalf("other user's token: %v", err)
			}
			if s, _ := db.Session(ctx, otherSess.ID); s.EndedAt != nil {
				t.Fatal("other user's session ended")
			}
			if mail, _ := db.ListMail(ctx, 10); len(mail) != 1 || mail[0].Template != "password_reset_done" {
				t.Fatalf("mail = %+v", mail)
			}
			if evs := events(t, db, core.EventUserUpdated); len(evs) != 1 || eventData(t, evs[0])["email_verified"] != true {
				t.Fatalf("user.updated = %+v", evs)
			}

			// Used once only.
			_, err = db.ResetPassword(ctx, "r2", "again", &store.OutMail{To: u.Email, Template: "password_reset_done"})
			if !errors.Is(err, core.ErrUsed) {
				t.Fatalf("second reset err = %v, want ErrUsed", err)
			}
			if h, _ := db.PasswordHash(ctx, u.ID); h != "brand-new" {
				t.Fatalf("hash = %q after a refused reset", h)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 1 {
				t.Fatalf("mail rows = %d", n)
			}
		})

		t.Run("OKUserWithoutPassword", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u, err := db.CreateUser(ctx, store.NewUser{Email: "np@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.CreateToken(ctx, resetToken(clock, "r", u.ID), 10, nil); err != nil {
				t.Fatal(err)
			}
			got, err := db.ResetPassword(ctx, "r", "first", nil)
			if err != nil || !got.HasPassword {
				t.Fatalf("ResetPassword = %+v, %v", got, err)
			}
			if h, _ := db.PasswordHash(ctx, u.ID); h != "first" {
				t.Fatalf("hash = %q", h)
			}
		})

		t.Run("ErrExpired", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "late@example.com")
			s := mustCreateSession(t, db, clock, u.ID)
			if err := db.CreateToken(ctx, resetToken(clock, "r", u.ID), 10, nil); err != nil {
				t.Fatal(err)
			}
			eventsBefore := countRows(t, db, "auth_events", "")
			clock.Advance(time.Hour)

			_, err := db.ResetPassword(ctx, "r", "too-late", &store.OutMail{To: u.Email, Template: "password_reset_done"})
			if !errors.Is(err, core.ErrExpired) {
				t.Fatalf("err = %v, want ErrExpired", err)
			}
			// Nothing changed.
			if h, _ := db.PasswordHash(ctx, u.ID); h != testHash {
				t.Fatalf("hash = %q, want the old one", h)
			}
			if got, _ := db.User(ctx, u.ID); got.EmailVerified {
				t.Fatal("email verified by an expired token")
			}
			if got, _ := db.Session(ctx, s.ID); got.EndedAt != nil {
				t.Fatal("session ended by an expired token")
			}
			if tk, err := db.CheckToken(ctx, "r", store.PurposeReset); !errors.Is(err, core.ErrExpired) || tk.UsedAt != nil {
				t.Fatalf("token = %+v, %v", tk, err)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 0 {
				t.Fatalf("mail rows = %d", n)
			}
			if n := countRows(t, db, "auth_events", ""); n != eventsBefore {
				t.Fatalf("events %d -> %d", eventsBefore, n)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if _, err := db.ResetPassword(context.Background(), "nope", "x", nil); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})

		t.Run("Concurrent", func(t *testing.T) {
			t.Parallel()
			// One link clicked many times at once resets the password once.
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "click@example.com")
			if err := db.CreateToken(ctx, resetToken(clock, "r", u.ID), 10, nil); err != nil {
				t.Fatal(err)
			}
			errs := runAll(20, func(i int) error {
				_, err := db.ResetPassword(ctx, "r", fmt.Sprint("hash-", i), &store.OutMail{To: u.Email, Template: "done"})
				return err
			})
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, core.ErrUsed):
					t.Errorf("err = %v, want nil or ErrUsed", err)
				}
			}
			if ok != 1 {
				t.Fatalf("%d resets succeeded, want 1", ok)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 1 {
				t.Fatalf("mail rows = %d", n)
			}
		})
	})
}

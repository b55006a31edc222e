package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
	"github.com/embedauth/auth/store"
)

// newSignup returns a sign-up for email that expires in a day, with
// rightCode as its code, which expires in 15 minutes.
func newSignup(clock *fakeClock, id, email string) store.Signup {
	return store.Signup{
		ID: id, Email: email, Name: "New Person", PasswordHash: "pwhash-" + id, CodeHash: testCodes(clock).Hash(id, rightCode),
		CodeExpiresAt: clock.Now().Add(15 * time.Minute), ExpiresAt: clock.Now().Add(24 * time.Hour),
	}
}

// completeSignup presents code to sign-up id.
func completeSignup(db *store.DB, clock *fakeClock, id, code string) (core.User, core.Session, error) {
	return db.CompleteSignup(context.Background(), id, testCodes(clock).Check(id, code),
		core.Session{AuthMethod: "email_code", UserAgent: "ua", IP: "198.51.100.7", ExpiresAt: clock.Now().Add(24 * time.Hour)})
}

func mustCreateSignup(tb testing.TB, db *store.DB, s store.Signup) {
	tb.Helper()
	if err := db.CreateSignup(context.Background(), s, nil); err != nil {
		tb.Fatalf("create signup %s: %v", s.ID, err)
	}
}

func TestDB_CreateSignup(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			in := newSignup(clock, "su_1", "New@Example.com")
			if err := db.CreateSignup(ctx, in, &store.OutMail{To: in.Email, Template: "signup_code", Body: []byte("sealed code")}); err != nil {
				t.Fatal(err)
			}
			got, err := db.Signup(ctx, "su_1")
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != in.ID || got.Email != in.Email || got.Name != in.Name || got.PasswordHash != in.PasswordHash ||
				got.CodeHash != in.CodeHash || got.Attempts != 0 || got.Sends != 1 ||
				!got.CodeExpiresAt.Equal(ms(in.CodeExpiresAt)) || !got.ExpiresAt.Equal(ms(in.ExpiresAt)) ||
				!got.CreatedAt.Equal(ms(clock.Now())) {
				t.Fatalf("Signup = %+v, want %+v", got, in)
			}
			mail, _ := db.ListMail(ctx, 10)
			if len(mail) != 1 || mail[0].To != in.Email || mail[0].Template != "signup_code" || string(mail[0].Body) != "sealed code" || mail[0].Status != store.MailPending {
				t.Fatalf("mail = %+v", mail)
			}
			// No user exists until the sign-up completes.
			if n := countRows(t, db, "auth_users", ""); n != 0 {
				t.Fatalf("users = %d", n)
			}
			// The only event is the queued mail's, which names it without its body.
			if evs := events(t, db, ""); len(evs) != 1 || evs[0].Type != "email.created" || strings.Contains(string(evs[0].Data), "sealed code") {
				t.Fatalf("events = %+v", evs)
			}
		})

		t.Run("OKSeveralForOneEmail", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			mustCreateSignup(t, db, newSignup(clock, "su_1", "same@example.com"))
			mustCreateSignup(t, db, newSignup(clock, "su_2", "SAME@example.com"))
			if n := countRows(t, db, "auth_signups", ""); n != 2 {
				t.Fatalf("signups = %d", n)
			}
		})

		t.Run("ErrConflict", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			mustCreateSignup(t, db, newSignup(clock, "su_1", "a@example.com"))
			err := db.CreateSignup(ctx, newSignup(clock, "su_1", "b@example.com"), &store.OutMail{To: "b@example.com", Template: "signup_code"})
			if !errors.Is(err, core.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 0 {
				t.Fatalf("mail queued for a refused sign-up: %d", n)
			}
		})
	})
}

func TestDB_Signup(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if _, err := db.Signup(context.Background(), "su_nope"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})

		t.Run("ErrNotFoundAfterExpiry", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			s := newSignup(clock, "su_1", "x@example.com")
			mustCreateSignup(t, db, s)
			clock.Advance(24*time.Hour - time.Millisecond)
			if _, err := db.Signup(ctx, s.ID); err != nil {
				t.Fatalf("just before expiry: %v", err)
			}
			clock.Advance(time.Millisecond)
			if _, err := db.Signup(ctx, s.ID); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
	})
}

func TestDB_ResendSignupCode(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			in := newSignup(clock, "su_1", "x@example.com")
			mustCreateSignup(t, db, in)
			for range 2 {
				if _, _, err := completeSignup(db, clock, in.ID, wrongCode); !errors.Is(err, onetime.ErrIncorrect) {
					t.Fatalf("wrong code: %v", err)
				}
			}
			clock.Advance(time.Minute)

			code, reissue := testCodes(clock).Reissue(in.ID)
			if err := db.ResendSignupCode(ctx, in.ID, reissue, &store.OutMail{To: in.Email, Template: "signup_code", Body: []byte("2")}); err != nil {
				t.Fatal(err)
			}
			got, _ := db.Signup(ctx, in.ID)
			if got.CodeHash != testCodes(clock).Hash(in.ID, code) || !got.CodeExpiresAt.Equal(ms(clock.Now().Add(15*time.Minute))) ||
				got.Attempts != 2 || got.Sends != 2 {
				t.Fatalf("after resend = %+v", got)
			}
			// The rest of the sign-up is untouched.
			if got.PasswordHash != in.PasswordHash || got.Email != in.Email || !got.ExpiresAt.Equal(ms(in.ExpiresAt)) {
				t.Fatalf("after resend = %+v", got)
			}
			if mail, _ := db.ListMail(ctx, 10); len(mail) != 1 || string(mail[0].Body) != "2" {
				t.Fatalf("mail = %+v", mail)
			}
			if code != rightCode {
				if _, _, err := completeSignup(db, clock, in.ID, rightCode); !errors.Is(err, onetime.ErrIncorrect) {
					t.Fatalf("the old code after a resend: %v", err)
				}
			}
			if _, _, err := completeSignup(db, clock, in.ID, code); err != nil {
				t.Fatalf("the new code: %v", err)
			}
		})

		t.Run("ErrRateLimited", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			in := newSignup(clock, "su_1", "x@example.com")
			mustCreateSignup(t, db, in)
			mail := &store.OutMail{To: in.Email, Template: "signup_code"}
			// The first send was CreateSignup's; testCodes allows 3.
			var last string
			for i := 2; i <= 3; i++ {
				code, reissue := testCodes(clock).Reissue(in.ID)
				if err := db.ResendSignupCode(ctx, in.ID, reissue, mail); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
				last = code
			}
			_, reissue := testCodes(clock).Reissue(in.ID)
			if err := db.ResendSignupCode(ctx, in.ID, reissue, mail); !errors.Is(err, core.ErrRateLimited) {
				t.Fatalf("err = %v, want ErrRateLimited", err)
			}
			got, _ := db.Signup(ctx, in.ID)
			if got.CodeHash != testCodes(clock).Hash(in.ID, last) || got.Sends != 3 {
				t.Fatalf("after refused resend = %+v", got)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 2 {
				t.Fatalf("mail rows = %d, want 2", n)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			mail := &store.OutMail{To: "x@example.com", Template: "signup_code"}
			_, reissue := testCodes(clock).Reissue("su_1")
			if err := db.ResendSignupCode(ctx, "su_nope", reissue, mail); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("unknown: err = %v, want ErrNotFound", err)
			}
			mustCreateSignup(t, db, newSignup(clock, "su_1", "x@example.com"))
			clock.Advance(24 * time.Hour)
			if err := db.ResendSignupCode(ctx, "su_1", reissue, mail); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("expired: err = %v, want ErrNotFound", err)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 0 {
				t.Fatalf("mail rows = %d", n)
			}
		})
	})
}

func TestDB_CompleteSignup(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			in := newSignup(clock, "su_1", "Fresh@Example.com")
			mustCreateSignup(t, db, in)
			mustCreateSignup(t, db, newSignup(clock, "su_same", "fresh@EXAMPLE.com"))
			mustCreateSignup(t, db, newSignup(clock, "su_fullwidth", "ｆｒｅｓｈ@example.com"))
			mustCreateSignup(t, db, newSignup(clock, "su_other", "other@example.com"))
			clock.Advance(time.Minute)

			u, s, err := completeSignup(db, clock, in.ID, rightCode)
			if err != nil {
				t.Fatal(err)
			}
			if u.ID == "" || u.Email != in.Email || u.Name != in.Name || !u.EmailVerified || !u.HasPassword || u.Banned {
				t.Fatalf("user = %+v", u)
			}
			if h, _ := db.PasswordHash(ctx, u.ID); h != in.PasswordHash {
				t.Fatalf("password hash = %q, want the sign-up's %q", h, in.PasswordHash)
			}
			if s.ID == "" || s.UserID != u.ID || s.AuthMethod != "email_code" || !s.CreatedAt.Equal(ms(clock.Now())) {
				t.Fatalf("session = %+v", s)
			}
			if got, _ := db.ListSessions(ctx, u.ID); len(got) != 1 || got[0].ID != s.ID {
				t.Fatalf("sessions = %+v", got)
			}
			if evs := events(t, db, core.EventUserCreated); len(evs) != 1 || eventData(t, evs[0])["id"] != u.ID {
				t.Fatalf("user.created = %+v", evs)
			}
			if evs := events(t, db, core.EventSessionCreated); len(evs) != 1 || eventData(t, evs[0])["id"] != s.ID {
				t.Fatalf("session.created = %+v", evs)
			}

			// Consumed, with the other sign-ups of the same address.
			for _, id := range []string{in.ID, "su_same", "su_fullwidth"} {
				if _, err := db.Signup(ctx, id); !errors.Is(err, core.ErrNotFound) {
					t.Errorf("signup %s still there: %v", id, err)
				}
			}
			if _, err := db.Signup(ctx, "su_other"); err != nil {
				t.Fatalf("unrelated sign-up removed: %v", err)
			}
			if _, _, err := completeSignup(db, clock, in.ID, rightCode); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("second CompleteSignup err = %v, want ErrNotFound", err)
			}
			if n := countRows(t, db, "auth_users", ""); n != 1 {
				t.Fatalf("users = %d", n)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			if _, _, err := completeSignup(db, clock, "su_nope", rightCode); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("unknown: err = %v, want ErrNotFound", err)
			}
			mustCreateSignup(t, db, newSignup(clock, "su_1", "late@example.com"))
			clock.Advance(24 * time.Hour)
			if _, _, err := completeSignup(db, clock, "su_1", rightCode); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("expired: err = %v, want ErrNotFound", err)
			}
			if n := countRows(t, db, "auth_users", ""); n != 0 {
				t.Fatalf("users = %d", n)
			}
		})

		t.Run("RefusedCodesChangeOnlyTheCount", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			mustCreateSignup(t, db, newSignup(clock, "su_1", "x@example.com"))
			if _, _, err := completeSignup(db, clock, "su_1", wrongCode); !errors.Is(err, onetime.ErrIncorrect) {
				t.Fatalf("wrong code: %v", err)
			}
			clock.Advance(15 * time.Minute)
			if _, _, err := completeSignup(db, clock, "su_1", rightCode); !errors.Is(err, core.ErrExpired) {
				t.Fatalf("expired code: %v", err)
			}
			// The wrong code stays counted; the expired one counts nothing.
			if s, err := db.Signup(ctx, "su_1"); err != nil || s.Attempts != 1 {
				t.Fatalf("Signup = %+v, %v", s, err)
			}
			if n := countRows(t, db, "auth_users", ""); n != 0 {
				t.Fatalf("users = %d", n)
			}
		})

		t.Run("ErrConflict", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			mustCreateSignup(t, db, newSignup(clock, "su_1", "taken@example.com"))
			// Someone else got the address meanwhile (an admin-created user).
			owner := mustCreateUser(t, db, "TAKEN@example.com")
			usersBefore := countRows(t, db, "auth_users", "")
			eventsBefore := countRows(t, db, "auth_events", "")

			_, _, err := completeSignup(db, clock, "su_1", rightCode)
			if !errors.Is(err, core.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			if n := countRows(t, db, "auth_users", ""); n != usersBefore {
				t.Fatalf("users %d -> %d", usersBefore, n)
			}
			if n := countRows(t, db, "auth_passwords", "user_id <> $1", owner.ID); n != 0 {
				t.Fatalf("stray passwords = %d", n)
			}
			if n := countRows(t, db, "auth_sessions", ""); n != 0 {
				t.Fatalf("sessions = %d", n)
			}
			if n := countRows(t, db, "auth_events", ""); n != eventsBefore {
				t.Fatalf("events %d -> %d", eventsBefore, n)
			}
			if n := len(events(t, db, core.EventSessionCreated)); n != 0 {
				t.Fatalf("session.created events = %d", n)
			}
			if h, _ := db.PasswordHash(ctx, owner.ID); h != testHash {
				t.Fatalf("owner's password changed to %q", h)
			}
		})

		t.Run("ErrSessionRollsBack", func(t *testing.T) {
			t.Parallel()
			// A session that cannot be stored (duplicate id) rolls the whole
			// sign-up back: no user without a session.
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "first@example.com")
			taken := mustCreateSession(t, db, clock, u.ID)
			mustCreateSignup(t, db, newSignup(clock, "su_1", "second@example.com"))
			sess := core.Session{ID: taken.ID, AuthMethod: "email_code", ExpiresAt: clock.Now().Add(24 * time.Hour)}
			if _, _, err := db.CompleteSignup(ctx, "su_1", testCodes(clock).Check("su_1", rightCode), sess); err == nil {
				t.Fatal("CompleteSignup with a taken session id succeeded")
			}
			if _, err := db.UserByEmail(ctx, "second@example.com"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("partial user left: %v", err)
			}
			if _, err := db.Signup(ctx, "su_1"); err != nil {
				t.Fatalf("sign-up consumed by a failed completion: %v", err)
			}
			if n := len(events(t, db, core.EventUserCreated)); n != 1 {
				t.Fatalf("user.created events = %d, want 1", n)
			}
		})
	})
}

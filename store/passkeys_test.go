package store_test

import (
	"bytes"
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

func mustUser(tb testing.TB, db *store.DB, email, pwHash string) core.User {
	tb.Helper()
	u, err := db.CreateUser(context.Background(), store.NewUser{Email: email, EmailVerified: true, PasswordHash: pwHash})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func newPasskey(userID string, credID ...byte) core.Passkey {
	return core.Passkey{UserID: userID, CredentialID: credID, PublicKey: []byte("cose key"), AAGUID: make([]byte, 16),
		Transports: []string{"internal", "hybrid"}, AttestationFormat: "none", BackupEligible: true, BackupState: true, Name: "Phone"}
}

func mustAddPasskey(tb testing.TB, db *store.DB, p core.Passkey) core.Passkey {
	tb.Helper()
	p, err := db.AddPasskey(context.Background(), p, nil)
	if err != nil {
		tb.Fatalf("add passkey: %v", err)
	}
	return p
}

func TestDB_PasskeyUserHandle(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, _ := mustOpen(t)
		ctx := context.Background()
		u := mustUser(t, db, "ann@example.com", "")
		if _, err := db.PasskeyUserHandle(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("before any: %v", err)
		}
		if _, err := db.EnsurePasskeyUserHandle(ctx, "user_unknown", []byte("h")); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		// Concurrent callers with different candidates agree on one handle.
		var wg sync.WaitGroup
		got := make([][]byte, 8)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, err := db.EnsurePasskeyUserHandle(ctx, u.ID, []byte(fmt.Sprintf("candidate-%d", i)))
				if err != nil {
					t.Error(err)
				}
				got[i] = h
			}()
		}
		wg.Wait()
		for _, h := range got[1:] {
			if !bytes.Equal(h, got[0]) {
				t.Fatalf("handles differ: %q vs %q", h, got[0])
			}
		}
		if h, err := db.PasskeyUserHandle(ctx, u.ID); err != nil || !bytes.Equal(h, got[0]) {
			t.Fatalf("PasskeyUserHandle = %q, %v", h, err)
		}
		if id, err := db.UserIDByPasskeyHandle(ctx, got[0]); err != nil || id != u.ID {
			t.Fatalf("UserIDByPasskeyHandle = %q, %v", id, err)
		}
		if _, err := db.UserIDByPasskeyHandle(ctx, []byte("nobody")); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("unknown handle: %v", err)
		}
	})
}

func TestDB_AddPasskey(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		ann, bob := mustUser(t, db, "ann@example.com", ""), mustUser(t, db, "bob@example.com", "")

		t.Run("OK", func(t *testing.T) {
			p, err := db.AddPasskey(ctx, newPasskey(ann.ID, 1, 2, 3), &store.OutMail{To: ann.Email, Template: "passkey_added", Body: []byte("x")})
			if err != nil {
				t.Fatal(err)
			}
			if p.ID == "" || !p.CreatedAt.Equal(ms(clock.Now())) || p.LastUsedAt != nil {
				t.Fatalf("added %+v", p)
			}
			got, err := db.PasskeyByCredentialID(ctx, []byte{1, 2, 3})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != p.ID || got.UserID != ann.ID || got.Name != "Phone" || !got.BackupEligible || !got.BackupState ||
				len(got.Transports) != 2 || got.Transports[1] != "hybrid" || got.AttestationFormat != "none" || len(got.AAGUID) != 16 {
				t.Fatalf("read back %+v", got)
			}
			if n := countRows(t, db, "auth_mail_outbox", "template = 'passkey_added'"); n != 1 {
				t.Errorf("%d mails", n)
			}
			if evs := events(t, db, core.EventPasskeyCreated); len(evs) != 1 || eventData(t, evs[0])["user_id"] != ann.ID {
				t.Errorf("events %v", evs)
			}
		})
		t.Run("ErrConflictAcrossUsers", func(t *testing.T) {
			before := countRows(t, db, "auth_mail_outbox", "")
			if _, err := db.AddPasskey(ctx, newPasskey(bob.ID, 1, 2, 3), &store.OutMail{To: bob.Email, Template: "x"}); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			if countRows(t, db, "auth_mail_outbox", "") != before {
				t.Error("a refused passkey queued mail")
			}
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			if _, err := db.AddPasskey(ctx, newPasskey("user_nope", 9), nil); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("CredentialIDLength", func(t *testing.T) {
			if _, err := db.AddPasskey(ctx, newPasskey(bob.ID, make([]byte, 1024)...), nil); err == nil {
				t.Fatal("a 1024-byte credential id was stored")
			}
			if _, err := db.AddPasskey(ctx, newPasskey(bob.ID), nil); err == nil {
				t.Fatal("an empty credential id was stored")
			}
			mustAddPasskey(t, db, newPasskey(bob.ID, bytes.Repeat([]byte{5}, 1023)...))
		})
		t.Run("UserPasskeysOldestFirst", func(t *testing.T) {
			clock.Advance(time.Second)
			mustAddPasskey(t, db, newPasskey(ann.ID, 7))
			list, err := db.UserPasskeys(ctx, ann.ID)
			if err != nil || len(list) != 2 || list[0].CredentialID[0] != 1 || list[1].CredentialID[0] != 7 {
				t.Fatalf("UserPasskeys = %+v, %v", list, err)
			}
			if _, err := db.Passkey(ctx, bob.ID, list[0].ID); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("another user's passkey by id: %v", err)
			}
		})
	})
}

func TestDB_RenamePasskey(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, _ := mustOpen(t)
		ctx := context.Background()
		ann, bob := mustUser(t, db, "ann@example.com", ""), mustUser(t, db, "bob@example.com", "")
		p := mustAddPasskey(t, db, newPasskey(ann.ID, 1))
		got, err := db.RenamePasskey(ctx, ann.ID, p.ID, "Work laptop")
		if err != nil || got.Name != "Work laptop" || got.ID != p.ID {
			t.Fatalf("rename = %+v, %v", got, err)
		}
		if _, err := db.RenamePasskey(ctx, bob.ID, p.ID, "Mine now"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("rename of another user's passkey: %v", err)
		}
		if got, _ := db.Passkey(ctx, ann.ID, p.ID); got.Name != "Work laptop" {
			t.Fatalf("name = %q", got.Name)
		}
	})
}

func TestDB_DeletePasskey(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()

		t.Run("ErrLastSignInMethod", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			u := mustUser(t, db, "ann@example.com", "")
			p := mustAddPasskey(t, db, newPasskey(u.ID, 1))
			if _, err := db.DeletePasskey(ctx, u.ID, p.ID, true, nil); !errors.Is(err, core.ErrLastSignInMethod) {
				t.Fatalf("err = %v", err)
			}
			if n := countRows(t, db, "auth_passkeys", ""); n != 1 {
				t.Fatal("the last passkey was deleted")
			}
			// Without keepOne (the user can sign in by email), it goes.
			if _, err := db.DeletePasskey(ctx, u.ID, p.ID, false, nil); err != nil {
				t.Fatalf("without keepOne: %v", err)
			}
		})
		t.Run("WithPassword", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			u := mustUser(t, db, "ann@example.com", "$argon2id$hash")
			p := mustAddPasskey(t, db, newPasskey(u.ID, 1))
			got, err := db.DeletePasskey(ctx, u.ID, p.ID, true, &store.OutMail{To: u.Email, Template: "passkey_removed"})
			if err != nil || got.ID != p.ID {
				t.Fatalf("delete = %+v, %v", got, err)
			}
			if evs := events(t, db, core.EventPasskeyDeleted); len(evs) != 1 {
				t.Errorf("events %v", evs)
			}
			if n := countRows(t, db, "auth_mail_outbox", "template = 'passkey_removed'"); n != 1 {
				t.Errorf("%d mails", n)
			}
			if _, err := db.DeletePasskey(ctx, u.ID, p.ID, true, nil); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
		})
		t.Run("OtherUser", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			u, v := mustUser(t, db, "ann@example.com", "h"), mustUser(t, db, "bob@example.com", "h")
			p := mustAddPasskey(t, db, newPasskey(u.ID, 1))
			if _, err := db.DeletePasskey(ctx, v.ID, p.ID, true, nil); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("ConcurrentDeletesKeepOne", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			u := mustUser(t, db, "ann@example.com", "")
			a := mustAddPasskey(t, db, newPasskey(u.ID, 1))
			b := mustAddPasskey(t, db, newPasskey(u.ID, 2))
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, id := range []string{a.ID, b.ID} {
				wg.Add(1)
				go func() { defer wg.Done(); _, errs[i] = db.DeletePasskey(ctx, u.ID, id, true, nil) }()
			}
			wg.Wait()
			if n := countRows(t, db, "auth_passkeys", "user_id = $1", u.ID); n != 1 {
				t.Fatalf("%d passkeys left (errors %v), want 1", n, errs)
			}
			if (errs[0] == nil) == (errs[1] == nil) || !(errors.Is(errs[0], core.ErrLastSignInMethod) || errors.Is(errs[1], core.ErrLastSignInMethod)) {
				t.Fatalf("errors %v, want one nil and one ErrLastSignInMethod", errs)
			}
		})
		t.Run("CascadeOnUserDelete", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			u := mustUser(t, db, "ann@example.com", "")
			mustAddPasskey(t, db, newPasskey(u.ID, 1))
			db.EnsurePasskeyUserHandle(ctx, u.ID, []byte("h"))
			if err := db.DeleteUser(ctx, u.ID, nil); err != nil {
				t.Fatal(err)
			}
			if countRows(t, db, "auth_passkeys", "") != 0 || countRows(t, db, "auth_passkey_users", "") != 0 {
				t.Fatal("passkeys or handle outlived their user")
			}
		})
	})
}

func TestDB_RecordPasskeyUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		u := mustUser(t, db, "ann@example.com", "")
		p := mustAddPasskey(t, db, newPasskey(u.ID, 1))
		for _, tc := range []struct {
			count uint32
			bs    bool
			want  error
		}{
			{0, true, nil},               // counter-less, stays 0
			{0, true, nil},               // again
			{5, false, nil},              // first real counter
			{5, false, core.ErrConflict}, // equal
			{3, false, core.ErrConflict}, // lower
			{0, false, core.ErrConflict}, // back to 0
			{6, true, nil},
		} {
			clock.Advance(time.Minute)
			err := db.RecordPasskeyUse(ctx, p.ID, tc.count, tc.bs)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("count %d: err = %v, want %v", tc.count, err, tc.want)
			}
		}
		got, _ := db.Passkey(ctx, u.ID, p.ID)
		if got.SignCount != 6 || !got.BackupState || got.LastUsedAt == nil || !got.LastUsedAt.Equal(ms(clock.Now())) {
			t.Fatalf("after uses: %+v", got)
		}
		if err := db.RecordPasskeyUse(ctx, "pk_nope", 1, false); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		if err := db.PasskeyCloneSuspected(ctx, got, 2, &store.OutMail{To: u.Email, Template: "passkey_clone_suspected"}); err != nil {
			t.Fatal(err)
		}
		evs := events(t, db, core.EventPasskeyCloneSuspected)
		if len(evs) != 1 || eventData(t, evs[0])["observed_sign_count"] != float64(2) || eventData(t, evs[0])["stored_sign_count"] != float64(6) {
			t.Fatalf("clone events %v", evs)
		}
	})
}

func TestDB_PasskeyChallenge(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		create := func(challenge string) {
			t.Helper()
			err := db.CreatePasskeyChallenge(ctx, core.PasskeyChallenge{Challenge: challenge, Flow: "sign_in", Subject: "user_1",
				Binding: "b", UserHandle: []byte("h"), Session: []byte(`{"challenge":"x"}`), ExpiresAt: clock.Now().Add(5 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
		}
		create("c1")
		if err := db.CreatePasskeyChallenge(ctx, core.PasskeyChallenge{Challenge: "c1", Binding: "b", Session: []byte("{}")}); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("duplicate: %v", err)
		}
		c, err := db.UsePasskeyChallenge(ctx, "c1")
		if err != nil || c.Flow != "sign_in" || c.Subject != "user_1" || c.Binding != "b" || string(c.UserHandle) != "h" ||
			string(c.Session) != `{"challenge":"x"}` || c.UsedAt == nil || !c.ExpiresAt.Equal(ms(clock.Now().Add(5*time.Minute))) {
			t.Fatalf("use = %+v, %v", c, err)
		}
		if _, err := db.UsePasskeyChallenge(ctx, "c1"); !errors.Is(err, core.ErrUsed) {
			t.Fatalf("second use: %v", err)
		}
		if _, err := db.UsePasskeyChallenge(ctx, "nope"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		create("c2")
		clock.Advance(5 * time.Minute)
		if _, err := db.UsePasskeyChallenge(ctx, "c2"); !errors.Is(err, core.ErrExpired) {
			t.Fatalf("at expiry: %v", err)
		}

		t.Run("ConcurrentUseOnce", func(t *testing.T) {
			create("c3")
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins := 0
			for range 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := db.UsePasskeyChallenge(ctx, "c3"); err == nil {
						mu.Lock()
						wins++
						mu.Unlock()
					} else if !errors.Is(err, core.ErrUsed) {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if wins != 1 {
				t.Fatalf("%d uses succeeded, want 1", wins)
			}
		})
		t.Run("Pruned", func(t *testing.T) {
			clock.Advance(25 * time.Hour)
			create("c4")
			if n := countRows(t, db, "auth_passkey_challenges", ""); n != 1 {
				t.Fatalf("%d challenges after a day, want only the new one", n)
			}
		})
	})
}

func TestDB_PasskeySignup(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		s := newSignup(clock, "signup_pk", "new@example.com")
		if err := db.CreatePasskeySignup(ctx, s, []byte("handle-1"), nil); !errors.Is(err, core.ErrInvalidInput) {
			t.Fatalf("with a password hash: %v", err)
		}
		s.PasswordHash = ""
		if err := db.CreatePasskeySignup(ctx, s, []byte("handle-1"), &store.OutMail{To: s.Email, Template: "verify_email"}); err != nil {
			t.Fatal(err)
		}
		mustCreateSignup(t, db, newSignup(clock, "signup_pw", "new@example.com"))
		if _, err := db.PasskeySignup(ctx, "signup_pw"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("a password sign-up read as a passkey one: %v", err)
		}
		ps, err := db.PasskeySignup(ctx, s.ID)
		if err != nil || ps.Email != s.Email || ps.PasswordHash != "" || string(ps.UserHandle) != "handle-1" || ps.VerifiedAt != nil {
			t.Fatalf("PasskeySignup = %+v, %v", ps, err)
		}
		sess := core.Session{AuthMethod: "passkey", ExpiresAt: clock.Now().Add(time.Hour)}
		pk := newPasskey("", 4, 4, 4)
		if _, _, _, err := db.CompletePasskeySignup(ctx, s.ID, pk, sess); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("completing an unverified sign-up: %v", err)
		}
		check := func(id, code string) core.CodeRule { return testCodes(clock).Check(id, code) }
		if err := db.VerifyPasskeySignup(ctx, s.ID, check(s.ID, wrongCode)); !errors.Is(err, onetime.ErrIncorrect) {
			t.Fatalf("wrong code: %v", err)
		}
		if ps, _ := db.PasskeySignup(ctx, s.ID); ps.VerifiedAt != nil || ps.Attempts != 1 {
			t.Fatalf("after a wrong code: %+v", ps)
		}
		if err := db.VerifyPasskeySignup(ctx, s.ID, check(s.ID, rightCode)); err != nil {
			t.Fatal(err)
		}
		if ps, _ := db.PasskeySignup(ctx, s.ID); ps.VerifiedAt == nil || !ps.VerifiedAt.Equal(ms(clock.Now())) || ps.Attempts != 0 {
			t.Fatalf("verified: %+v", ps)
		}
		if err := db.VerifyPasskeySignup(ctx, s.ID, check(s.ID, rightCode)); !errors.Is(err, core.ErrUsed) {
			t.Fatalf("verifying twice: %v", err)
		}
		if err := db.VerifyPasskeySignup(ctx, "signup_nope", check("signup_nope", rightCode)); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		if err := db.VerifyPasskeySignup(ctx, "signup_pw", check("signup_pw", rightCode)); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("a password sign-up: %v", err)
		}
		u, p, se, err := db.CompletePasskeySignup(ctx, s.ID, pk, sess)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != s.Email || !u.EmailVerified || u.HasPassword || p.UserID != u.ID || se.UserID != u.ID || se.AuthMethod != "passkey" {
			t.Fatalf("completed %+v / %+v / %+v", u, p, se)
		}
		if h, _ := db.PasskeyUserHandle(ctx, u.ID); string(h) != "handle-1" {
			t.Fatalf("handle %q", h)
		}
		if n := countRows(t, db, "auth_signups", ""); n != 0 {
			t.Errorf("%d sign-ups left for the address", n)
		}
		for _, typ := range []string{core.EventUserCreated, core.EventPasskeyCreated, core.EventSessionCreated} {
			if len(events(t, db, typ)) != 1 {
				t.Errorf("no %s event", typ)
			}
		}
		if _, _, _, err := db.CompletePasskeySignup(ctx, s.ID, pk, sess); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("second completion: %v", err)
		}

		t.Run("ConflictRollsBack", func(t *testing.T) {
			s2 := newSignup(clock, "signup_2", "other@example.com")
			s2.PasswordHash = ""
			if err := db.CreatePasskeySignup(ctx, s2, []byte("handle-2"), nil); err != nil {
				t.Fatal(err)
			}
			db.VerifyPasskeySignup(ctx, s2.ID, check(s2.ID, rightCode))
			users := countRows(t, db, "auth_users", "")
			if _, _, _, err := db.CompletePasskeySignup(ctx, s2.ID, newPasskey("", 4, 4, 4), sess); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("taken credential id: %v", err)
			}
			if countRows(t, db, "auth_users", "") != users {
				t.Fatal("a user was created without their passkey")
			}
			if _, err := db.PasskeySignup(ctx, s2.ID); err != nil {
				t.Fatalf("the sign-up was consumed by a failed completion: %v", err)
			}
		})
		t.Run("Expired", func(t *testing.T) {
			s3 := newSignup(clock, "signup_3", "late@example.com")
			s3.PasswordHash = ""
			db.CreatePasskeySignup(ctx, s3, []byte("handle-3"), nil)
			db.VerifyPasskeySignup(ctx, s3.ID, check(s3.ID, rightCode))
			clock.Advance(25 * time.Hour)
			if _, err := db.PasskeySignup(ctx, s3.ID); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("expired: %v", err)
			}
			if _, _, _, err := db.CompletePasskeySignup(ctx, s3.ID, newPasskey("", 8), sess); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("completing an expired sign-up: %v", err)
			}
		})
	})
}

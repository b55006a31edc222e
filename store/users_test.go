package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

const testHash = "$argon2id$v=19$m=65536,t=1,p=1$c2FsdA$aGFzaA"

func TestDB_CreateUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u, err := db.CreateUser(ctx, store.NewUser{
				Email: "Bob@Example.com", Name: "Bob Builder", PasswordHash: testHash,
				PublicMetadata:  json.RawMessage(`{"plan":"pro"}`),
				PrivateMetadata: json.RawMessage(`{"stripe":"cus_1"}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			if u.ID == "" || u.Email != "Bob@Example.com" || u.Name != "Bob Builder" || u.EmailVerified || u.Banned || !u.HasPassword {
				t.Fatalf("unexpected user: %+v", u)
			}
			if !u.CreatedAt.Equal(ms(clock.Now())) || !u.UpdatedAt.Equal(ms(clock.Now())) {
				t.Fatalf("times = %v/%v, want %v", u.CreatedAt, u.UpdatedAt, clock.Now())
			}
			if string(u.UnsafeMetadata) != "{}" {
				t.Fatalf("default metadata = %s", u.UnsafeMetadata)
			}

			got, err := db.User(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != u.ID || got.Email != u.Email || got.Name != u.Name || !got.HasPassword ||
				!got.CreatedAt.Equal(u.CreatedAt) || string(got.PublicMetadata) != `{"plan":"pro"}` ||
				string(got.PrivateMetadata) != `{"stripe":"cus_1"}` || string(got.UnsafeMetadata) != "{}" {
				t.Fatalf("User() = %+v, want %+v", got, u)
			}
			// The hash is stored exactly as given.
			if h, err := db.PasswordHash(ctx, u.ID); err != nil || h != testHash {
				t.Fatalf("PasswordHash = %q, %v", h, err)
			}
			evs := events(t, db, core.EventUserCreated)
			if len(evs) != 1 {
				t.Fatalf("user.created events = %d, want 1", len(evs))
			}
			data := eventData(t, evs[0])
			if data["id"] != u.ID || data["email"] != u.Email {
				t.Fatalf("user.created data = %s", evs[0].Data)
			}
			if _, ok := data["private_metadata"]; ok {
				t.Fatalf("user.created leaks private metadata: %s", evs[0].Data)
			}
			if !evs[0].CreatedAt.Equal(ms(clock.Now())) {
				t.Fatalf("event time = %v", evs[0].CreatedAt)
			}
		})

		t.Run("OKWithoutPassword", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			u, err := db.CreateUser(ctx, store.NewUser{Email: "nopass@example.com", EmailVerified: true})
			if err != nil {
				t.Fatal(err)
			}
			if u.HasPassword || !u.EmailVerified {
				t.Fatalf("unexpected user: %+v", u)
			}
			if _, err := db.PasswordHash(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("PasswordHash err = %v, want ErrNotFound", err)
			}
			if n := countRows(t, db, "auth_passwords", ""); n != 0 {
				t.Fatalf("auth_passwords rows = %d", n)
			}
		})

		t.Run("ErrConflict", func(t *testing.T) {
			t.Parallel()
			for _, tt := range []struct{ name, first, second string }{
				{"Case", "bob@example.com", "Bob@Example.com"},
				{"CaseReverse", "Bob@Example.com", "bob@example.com"},
				{"Upper", "bob@example.com", "BOB@EXAMPLE.COM"},
				{"Fullwidth", "bob@example.com", "ｂｏｂ@example.com"},
				{"FullwidthReverse", "ｂｏｂ@example.com", "bob@example.com"},
				{"FullwidthAt", "bob@example.com", "ＢＯＢ＠ｅｘａｍｐｌｅ．ｃｏｍ"},
				{"Space", "bob@example.com", "  bob@example.com "},
				{"Kelvin", "kate@x.io", "\u212Aate@x.io"},
				{"Ligature", "finn@x.io", "\uFB01nn@x.io"},
				{"Same", "bob@example.com", "bob@example.com"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					db, _ := mustOpen(t)
					ctx := context.Background()
					first := mustCreateUser(t, db, tt.first)
					_, err := db.CreateUser(ctx, store.NewUser{Email: tt.second, PasswordHash: "other"})
					if !errors.Is(err, core.ErrConflict) {
						t.Fatalf("second CreateUser(%q) err = %v, want ErrConflict", tt.second, err)
					}
					if n := countRows(t, db, "auth_users", ""); n != 1 {
						t.Fatalf("users = %d, want 1", n)
					}
					if n := countRows(t, db, "auth_passwords", ""); n != 1 {
						t.Fatalf("passwords = %d, want 1", n)
					}
					// The failed create left no event.
					if evs := events(t, db, core.EventUserCreated); len(evs) != 1 || eventIDs(t, evs)[0] != first.ID {
						t.Fatalf("user.created events = %v", eventIDs(t, evs))
					}
					if h, _ := db.PasswordHash(ctx, first.ID); h != testHash {
						t.Fatalf("first user's hash changed to %q", h)
					}
				})
			}
		})

		t.Run("ErrInvalidMetadata", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			for _, m := range []string{`[]`, `"text"`, `null`, `42`, `true`, `{"a":`, `not json`} {
				for i, nu := range []store.NewUser{
					{Email: "meta@example.com", PublicMetadata: json.RawMessage(m)},
					{Email: "meta@example.com", PrivateMetadata: json.RawMessage(m)},
					{Email: "meta@example.com", UnsafeMetadata: json.RawMessage(m)},
				} {
					if _, err := db.CreateUser(ctx, nu); err == nil {
						t.Errorf("metadata #%d %s accepted", i, m)
					}
				}
			}
			if n := countRows(t, db, "auth_users", ""); n != 0 {
				t.Fatalf("users = %d, want 0", n)
			}
			if n := countRows(t, db, "auth_events", ""); n != 0 {
				t.Fatalf("events = %d, want 0", n)
			}
		})
	})
}

func TestDB_User(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			u := mustCreateUser(t, db, "ann@example.com")
			got, err := db.User(context.Background(), u.ID)
			if err != nil || got.ID != u.ID || got.Email != "ann@example.com" {
				t.Fatalf("User = %+v, %v", got, err)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			mustCreateUser(t, db, "ann@example.com")
			if _, err := db.User(context.Background(), "user_nope"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
	})
}

func TestDB_UserByEmail(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "Bob@Example.com")
			for _, email := range []string{"Bob@Example.com", "bob@example.com", "BOB@EXAMPLE.COM", "ｂｏｂ@ｅｘａｍｐｌｅ.com", " bob@example.com "} {
				got, err := db.UserByEmail(ctx, email)
				if err != nil || got.ID != u.ID {
					t.Errorf("UserByEmail(%q) = %+v, %v", email, got, err)
				}
				if got.Email != "Bob@Example.com" {
					t.Errorf("stored email = %q, want it as given", got.Email)
				}
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			mustCreateUser(t, db, "bob@example.com")
			for _, email := range []string{"rob@example.com", "bob@example.co", ""} {
				if _, err := db.UserByEmail(context.Background(), email); !errors.Is(err, core.ErrNotFound) {
					t.Errorf("UserByEmail(%q) err = %v, want ErrNotFound", email, err)
				}
			}
		})
	})
}

func TestDB_CountUsers(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, _ := mustOpen(t)
		ctx := context.Background()
		if n, err := db.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountUsers = %d, %v", n, err)
		}
		mustCreateUser(t, db, "a@example.com")
		mustCreateUser(t, db, "b@example.com")
		if n, err := db.CountUsers(ctx); err != nil || n != 2 {
			t.Fatalf("CountUsers = %d, %v", n, err)
		}
	})
}

func TestDB_UpdateUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		setup := func(t *testing.T) (*store.DB, *fakeClock, core.User) {
			t.Helper()
			db, clock := mustOpen(t)
			u, err := db.CreateUser(context.Background(), store.NewUser{
				Email: "up@example.com", Name: "Old Name", PasswordHash: testHash,
				PublicMetadata:  json.RawMessage(`{"pub":1}`),
				PrivateMetadata: json.RawMessage(`{"priv":1}`),
				UnsafeMetadata:  json.RawMessage(`{"unsafe":1}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
			return db, clock, u
		}

		t.Run("OKName", func(t *testing.T) {
			t.Parallel()
			db, clock, u := setup(t)
			ctx := context.Background()
			name := "New Name"
			got, err := db.UpdateUser(ctx, u.ID, store.UserUpdate{Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "New Name" || got.EmailVerified || !got.HasPassword || got.Email != u.Email ||
				string(got.PublicMetadata) != `{"pub":1}` || string(got.PrivateMetadata) != `{"priv":1}` ||
				string(got.UnsafeMetadata) != `{"unsafe":1}` {
				t.Fatalf("UpdateUser = %+v", got)
			}
			if !got.UpdatedAt.Equal(ms(clock.Now())) || !got.CreatedAt.Equal(u.CreatedAt) {
				t.Fatalf("times = %v/%v", got.CreatedAt, got.UpdatedAt)
			}
			if stored, _ := db.User(ctx, u.ID); stored.Name != "New Name" || !stored.UpdatedAt.Equal(got.UpdatedAt) {
				t.Fatalf("stored = %+v", stored)
			}
			evs := events(t, db, core.EventUserUpdated)
			if len(evs) != 1 {
				t.Fatalf("user.updated events = %d, want 1", len(evs))
			}
			if d := eventData(t, evs[0]); d["id"] != u.ID || d["name"] != "New Name" {
				t.Fatalf("user.updated data = %s", evs[0].Data)
			}
		})

		t.Run("OKEmailVerifiedAndOneMetadata", func(t *testing.T) {
			t.Parallel()
			db, _, u := setup(t)
			ctx := context.Background()
			verified := true
			got, err := db.UpdateUser(ctx, u.ID, store.UserUpdate{EmailVerified: &verified, UnsafeMetadata: json.RawMessage(`{"theme":"dark"}`)})
			if err != nil {
				t.Fatal(err)
			}
			if !got.EmailVerified || got.Name != "Old Name" || string(got.UnsafeMetadata) != `{"theme":"dark"}` ||
				string(got.PublicMetadata) != `{"pub":1}` || string(got.PrivateMetadata) != `{"priv":1}` {
				t.Fatalf("UpdateUser = %+v", got)
			}
		})

		t.Run("OKNothing", func(t *testing.T) {
			t.Parallel()
			db, _, u := setup(t)
			got, err := db.UpdateUser(context.Background(), u.ID, store.UserUpdate{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != u.Name || string(got.PublicMetadata) != `{"pub":1}` {
				t.Fatalf("UpdateUser = %+v", got)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _, _ := setup(t)
			name := "x"
			if _, err := db.UpdateUser(context.Background(), "user_nope", store.UserUpdate{Name: &name}); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if n := len(events(t, db, core.EventUserUpdated)); n != 0 {
				t.Fatalf("user.updated events = %d", n)
			}
		})

		t.Run("ErrInvalidMetadata", func(t *testing.T) {
			t.Parallel()
			db, _, u := setup(t)
			ctx := context.Background()
			name := "Should Not Stick"
			for _, m := range []string{`[1]`, `null`, `"s"`, `{`} {
				if _, err := db.UpdateUser(ctx, u.ID, store.UserUpdate{Name: &name, PublicMetadata: json.RawMessage(m)}); err == nil {
					t.Errorf("metadata %s accepted", m)
				}
			}
			// Nothing of the refused updates stuck, and no event was written.
			got, _ := db.User(ctx, u.ID)
			if got.Name != "Old Name" || string(got.PublicMetadata) != `{"pub":1}` || !got.UpdatedAt.Equal(u.UpdatedAt) {
				t.Fatalf("user changed: %+v", got)
			}
			if n := len(events(t, db, core.EventUserUpdated)); n != 0 {
				t.Fatalf("user.updated events = %d", n)
			}
		})
	})
}

func TestDB_DeleteUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "gone@example.com")
			other := mustCreateUser(t, db, "stays@example.com")

			live1 := mustCreateSession(t, db, clock, u.ID)
			live2 := mustCreateSession(t, db, clock, u.ID)
			ended := mustCreateSession(t, db, clock, u.ID)
			if err := db.EndSession(ctx, ended.ID, "signed_out"); err != nil {
				t.Fatal(err)
			}
			otherSess := mustCreateSession(t, db, clock, other.ID)
			mustCommitToken(t, db, "tok1", live1.ID)
			mustCommitToken(t, db, "tok2", live2.ID)
			mustCommitToken(t, db, "tokOther", otherSess.ID)
			if err := db.CreateToken(ctx, store.Token{Hash: "reset1", Purpose: store.PurposeReset, UserID: u.ID,
				ExpiresAt: clock.Now().Add(time.Hour)}, 10, nil); err != nil {
				t.Fatal(err)
			}
			endedBefore := len(events(t, db, core.EventSessionEnded))

			err := db.DeleteUser(ctx, u.ID, &store.OutMail{To: u.Email, Template: "account_deleted", Body: []byte("sealed")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.User(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("User after delete err = %v", err)
			}
			for table, where := range map[string]string{
				"auth_users": "id = $1", "auth_passwords": "user_id = $1", "auth_sessions": "user_id = $1", "auth_tokens": "user_id = $1",
			} {
				if n := countRows(t, db, table, where, u.ID); n != 0 {
					t.Errorf("%s still has %d rows of the user", table, n)
				}
			}
			if n := countRows(t, db, "auth_session_tokens", "token_hash IN ('tok1','tok2')"); n != 0 {
				t.Errorf("cookie tokens left: %d", n)
			}
			// The other user is untouched.
			if _, err := db.User(ctx, other.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.SessionByToken(ctx, "tokOther"); err != nil {
				t.Fatalf("other user's session: %v", err)
			}

			// session.ended for each live session only, then user.deleted.
			endedEvs := events(t, db, core.EventSessionEnded)[endedBefore:]
			if got, want := eventIDs(t, endedEvs), sorted([]string{live1.ID, live2.ID}); !equalStrings(got, want) {
				t.Fatalf("session.ended ids = %v, want %v", got, want)
			}
			for _, e := range endedEvs {
				if d := eventData(t, e); d["user_id"] != u.ID || d["reason"] == "" {
					t.Errorf("session.ended data = %s", e.Data)
				}
			}
			del := events(t, db, core.EventUserDeleted)
			if len(del) != 1 || eventData(t, del[0])["id"] != u.ID {
				t.Fatalf("user.deleted events = %+v", del)
			}
			mail, err := db.ListMail(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(mail) != 1 || mail[0].To != u.Email || mail[0].Template != "account_deleted" || string(mail[0].Body) != "sealed" {
				t.Fatalf("mail = %+v", mail)
			}
		})

		t.Run("OKNoMail", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			u := mustCreateUser(t, db, "gone@example.com")
			if err := db.DeleteUser(context.Background(), u.ID, nil); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 0 {
				t.Fatalf("mail rows = %d", n)
			}
			// The email is free again.
			mustCreateUser(t, db, "GONE@example.com")
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			mustCreateUser(t, db, "here@example.com")
			before := len(events(t, db, ""))
			err := db.DeleteUser(context.Background(), "user_nope", &store.OutMail{To: "x@example.com", Template: "t"})
			if !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if n := len(events(t, db, "")); n != before {
				t.Fatalf("events %d -> %d", before, n)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 0 {
				t.Fatalf("mail queued for a failed delete: %d", n)
			}
		})
	})
}

func TestDB_SetBanned(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "bad@example.com")
			s1 := mustCreateSession(t, db, clock, u.ID)
			s2 := mustCreateSession(t, db, clock, u.ID)
			mustCommitToken(t, db, "tok1", s1.ID)
			clock.Advance(time.Second)

			got, err := db.SetBanned(ctx, u.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Banned || !got.UpdatedAt.Equal(ms(clock.Now())) {
				t.Fatalf("SetBanned = %+v", got)
			}
			if live, _ := db.ListSessions(ctx, u.ID); len(live) != 0 {
				t.Fatalf("sessions after ban = %d", len(live))
			}
			if _, found, _ := db.FindToken(ctx, "tok1"); found {
				t.Fatal("cookie token survived the ban")
			}
			ended := events(t, db, core.EventSessionEnded)
			if got, want := eventIDs(t, ended), sorted([]string{s1.ID, s2.ID}); !equalStrings(got, want) {
				t.Fatalf("session.ended ids = %v, want %v", got, want)
			}
			if d := eventData(t, ended[0]); d["reason"] != "banned" {
				t.Fatalf("reason = %v", d["reason"])
			}
			if evs := events(t, db, core.EventUserUpdated); len(evs) != 1 || eventData(t, evs[0])["banned"] != true {
				t.Fatalf("user.updated events = %+v", evs)
			}

			// Unbanning ends nothing.
			s3 := mustCreateSession(t, db, clock, u.ID)
			got, err = db.SetBanned(ctx, u.ID, false)
			if err != nil || got.Banned {
				t.Fatalf("unban = %+v, %v", got, err)
			}
			if s, _ := db.Session(ctx, s3.ID); s.EndedAt != nil {
				t.Fatal("unban ended a session")
			}
			if n := len(events(t, db, core.EventSessionEnded)); n != 2 {
				t.Fatalf("session.ended events = %d, want 2", n)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if _, err := db.SetBanned(context.Background(), "user_nope", true); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if n := len(events(t, db, "")); n != 0 {
				t.Fatalf("events = %d", n)
			}
		})
	})
}

func TestDB_PasswordHash(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			u, err := db.CreateUser(context.Background(), store.NewUser{Email: "np@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{u.ID, "user_nope"} {
				if _, err := db.PasswordHash(context.Background(), id); !errors.Is(err, core.ErrNotFound) {
					t.Errorf("PasswordHash(%s) err = %v, want ErrNotFound", id, err)
				}
			}
		})
	})
}

func TestDB_RehashPassword(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "re@example.com")
			if err := db.RehashPassword(ctx, u.ID, testHash, "stronger"); err != nil {
				t.Fatal(err)
			}
			if h, _ := db.PasswordHash(ctx, u.ID); h != "stronger" {
				t.Fatalf("hash = %q", h)
			}
		})

		t.Run("StaleOldHash", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "re@example.com")
			// A concurrent password change won: the rehash of the old one is dropped.
			if _, err := db.ChangePassword(ctx, u.ID, "changed", "", nil); err != nil {
				t.Fatal(err)
			}
			if err := db.RehashPassword(ctx, u.ID, testHash, "rehashed-old"); err != nil {
				t.Fatal(err)
			}
			if h, _ := db.PasswordHash(ctx, u.ID); h != "changed" {
				t.Fatalf("hash = %q, want the changed one", h)
			}
		})

		t.Run("NoPassword", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			u, err := db.CreateUser(ctx, store.NewUser{Email: "np@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.RehashPassword(ctx, u.ID, "", "x"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.PasswordHash(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("rehash created a password: %v", err)
			}
		})
	})
}

func TestDB_ChangePassword(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "cp@example.com")
			other := mustCreateUser(t, db, "other@example.com")
			keep := mustCreateSession(t, db, clock, u.ID)
			s2 := mustCreateSession(t, db, clock, u.ID)
			s3 := mustCreateSession(t, db, clock, u.ID)
			otherSess := mustCreateSession(t, db, clock, other.ID)
			mustCommitToken(t, db, "keepTok", keep.ID)
			mustCommitToken(t, db, "s2Tok", s2.ID)
			for range 2 {
				if ok, _, err := db.ReserveAttempt(ctx, u.ID, fixedLock(5, time.Minute)); err != nil || !ok {
					t.Fatalf("ReserveAttempt = %v, %v", ok, err)
				}
			}

			ended, err := db.ChangePassword(ctx, u.ID, "newhash", keep.ID, &store.OutMail{To: u.Email, Template: "password_changed"})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sorted(ended), sorted([]string{s2.ID, s3.ID}); !equalStrings(got, want) {
				t.Fatalf("ended = %v, want %v", got, want)
			}
			if h, _ := db.PasswordHash(ctx, u.ID); h != "newhash" {
				t.Fatalf("hash = %q", h)
			}
			if n, _ := db.FailedAttempts(ctx, u.ID); n != 0 {
				t.Fatalf("failed attempts = %d, want 0", n)
			}
			if _, _, err := db.SessionByToken(ctx, "keepTok"); err != nil {
				t.Fatalf("kept session: %v", err)
			}
			if _, found, _ := db.FindToken(ctx, "s2Tok"); found {
				t.Fatal("ended session's cookie token survived")
			}
			live, _ := db.ListSessions(ctx, u.ID)
			if len(live) != 1 || live[0].ID != keep.ID {
				t.Fatalf("live sessions = %+v", live)
			}
			if s, _ := db.Session(ctx, otherSess.ID); s.EndedAt != nil {
				t.Fatal("other user's session ended")
			}
			if got := eventIDs(t, events(t, db, core.EventSessionEnded)); !equalStrings(got, sorted(ended)) {
				t.Fatalf("session.ended ids = %v", got)
			}
			if evs := events(t, db, core.EventUserUpdated); len(evs) != 1 {
				t.Fatalf("user.updated events = %d", len(evs))
			}
			mail, _ := db.ListMail(ctx, 10)
			if len(mail) != 1 || mail[0].To != u.Email || mail[0].Template != "password_changed" {
				t.Fatalf("mail = %+v", mail)
			}
		})

		t.Run("OKEndsAllAndUnlocks", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u, err := db.CreateUser(ctx, store.NewUser{Email: "np@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			s1 := mustCreateSession(t, db, clock, u.ID)
			for range 3 {
				db.ReserveAttempt(ctx, u.ID, fixedLock(3, time.Hour))
			}
			if ok, _, _ := db.ReserveAttempt(ctx, u.ID, fixedLock(3, time.Hour)); ok {
				t.Fatal("not locked")
			}
			ended, err := db.ChangePassword(ctx, u.ID, "first", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ended) != 1 || ended[0] != s1.ID {
				t.Fatalf("ended = %v", ended)
			}
			if got, _ := db.User(ctx, u.ID); !got.HasPassword {
				t.Fatal("user without password did not get one")
			}
			if ok, _, err := db.ReserveAttempt(ctx, u.ID, fixedLock(3, time.Hour)); err != nil || !ok {
				t.Fatalf("still locked after password change: %v, %v", ok, err)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 0 {
				t.Fatalf("mail rows = %d", n)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			_, err := db.ChangePassword(context.Background(), "user_nope", "h", "", &store.OutMail{To: "x@example.com", Template: "t"})
			if !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if n := countRows(t, db, "auth_passwords", ""); n != 0 {
				t.Fatalf("passwords = %d", n)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 0 {
				t.Fatalf("mail rows = %d", n)
			}
			if n := countRows(t, db, "auth_events", ""); n != 0 {
				t.Fatalf("events = %d", n)
			}
		})
	})
}

func TestDB_ReserveAttempt(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		const limit, lockFor = 3, 15 * time.Minute

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "try@example.com")

			for i := 1; i <= limit; i++ {
				ok, until, err := db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor))
				if err != nil || !ok || !until.IsZero() {
					t.Fatalf("attempt %d = %v, %v, %v", i, ok, until, err)
				}
				if n, _ := db.FailedAttempts(ctx, u.ID); n != i {
					t.Fatalf("after attempt %d count = %d", i, n)
				}
			}
			wantUntil := ms(clock.Now().Add(lockFor))

			// Locked: refused, with the lock's end, and the count does not move.
			for range 3 {
				ok, until, err := db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor))
				if err != nil || ok || !until.Equal(wantUntil) {
					t.Fatalf("locked attempt = %v, %v, %v; want false, %v", ok, until, err, wantUntil)
				}
			}
			if n, _ := db.FailedAttempts(ctx, u.ID); n != limit {
				t.Fatalf("count while locked = %d", n)
			}

			clock.Advance(lockFor - time.Millisecond)
			if ok, _, _ := db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor)); ok {
				t.Fatal("granted before the lock ended")
			}

			clock.Advance(time.Millisecond)
			ok, _, err := db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor))
			if err != nil || !ok {
				t.Fatalf("after lock = %v, %v", ok, err)
			}
			if n, _ := db.FailedAttempts(ctx, u.ID); n != 1 {
				t.Fatalf("count after lock = %d, want 1", n)
			}
			// And the next lock comes after limit attempts again.
			for i := 2; i <= limit; i++ {
				if ok, _, _ := db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor)); !ok {
					t.Fatalf("attempt %d refused", i)
				}
			}
			if ok, until, _ := db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor)); ok || !until.Equal(ms(clock.Now().Add(lockFor))) {
				t.Fatalf("second lock = %v, %v", ok, until)
			}
		})

		t.Run("ResetAttempts", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "try@example.com")
			db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor))
			db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor))
			if err := db.ResetAttempts(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if n, _ := db.FailedAttempts(ctx, u.ID); n != 0 {
				t.Fatalf("count = %d", n)
			}
			// Reset also lifts a lock.
			for range limit + 1 {
				db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor))
			}
			if err := db.ResetAttempts(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if ok, _, err := db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor)); err != nil || !ok {
				t.Fatalf("after reset = %v, %v", ok, err)
			}
			if n, _ := db.FailedAttempts(ctx, u.ID); n != 1 {
				t.Fatalf("count = %d, want 1", n)
			}
			// Unknown users are not an error.
			if err := db.ResetAttempts(ctx, "user_nope"); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ok, _, err := db.ReserveAttempt(context.Background(), "user_nope", fixedLock(limit, lockFor))
			if ok || !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("= %v, %v; want ErrNotFound", ok, err)
			}
		})

		t.Run("Concurrent", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "race@example.com")
			for range limit - 1 {
				if ok, _, err := db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor)); !ok || err != nil {
					t.Fatal(ok, err)
				}
			}
			res := runConcurrently(50, func(int) (bool, time.Time, error) {
				return db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor))
			})
			granted := 0
			for _, r := range res {
				assertNoLockError(t, r.err)
				switch {
				case r.err != nil:
					t.Errorf("ReserveAttempt: %v", r.err)
				case r.ok:
					granted++
				case !r.until.Equal(ms(clock.Now().Add(lockFor))):
					t.Errorf("refused with lockedUntil %v", r.until)
				}
			}
			if granted != 1 {
				t.Fatalf("granted %d attempts at count limit-1, want exactly 1", granted)
			}
			if n, _ := db.FailedAttempts(ctx, u.ID); n != limit {
				t.Fatalf("count = %d, want %d", n, limit)
			}
		})

		t.Run("ConcurrentFromZero", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "race@example.com")
			const limit = 5
			res := runConcurrently(50, func(int) (bool, time.Time, error) {
				return db.ReserveAttempt(ctx, u.ID, fixedLock(limit, lockFor))
			})
			granted := 0
			for _, r := range res {
				if r.err != nil {
					t.Errorf("ReserveAttempt: %v", r.err)
				}
				if r.ok {
					granted++
				}
			}
			if granted != limit {
				t.Fatalf("granted %d of 50 concurrent attempts, want %d", granted, limit)
			}
		})
	})
}

type attemptResult struct {
	ok    bool
	until time.Time
	err   error
}

// runConcurrently calls fn n times at once (released together) and returns
// the results in call order.
func runConcurrently(n int, fn func(i int) (bool, time.Time, error)) []attemptResult {
	out := make([]attemptResult, n)
	errs := runAll(n, func(i int) error {
		var err error
		out[i].ok, out[i].until, err = fn(i)
		return err
	})
	for i := range out {
		out[i].err = errs[i]
	}
	return out
}

// fixedLock is account's lockout rule with every lock lasting lockFor and
// failures counting for a day.
func fixedLock(limit int, lockFor time.Duration) core.LockoutRule {
	return account.Lockout{Threshold: limit, Window: 24 * time.Hour, FirstLock: lockFor, MaxLock: lockFor}.Reserve
}

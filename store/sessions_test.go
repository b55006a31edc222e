package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

func TestDB_CreateSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "s@example.com")
			exp := clock.Now().Add(30 * 24 * time.Hour).Add(123456 * time.Nanosecond)
			s, err := db.CreateSession(ctx, core.Session{UserID: u.ID, AuthMethod: "password", UserAgent: "Firefox", IP: "203.0.113.9", ExpiresAt: exp})
			if err != nil {
				t.Fatal(err)
			}
			if s.ID == "" || s.UserID != u.ID || s.AuthMethod != "password" || s.UserAgent != "Firefox" || s.IP != "203.0.113.9" || s.EndedAt != nil {
				t.Fatalf("CreateSession = %+v", s)
			}
			if now := ms(clock.Now()); !s.CreatedAt.Equal(now) || !s.LastActiveAt.Equal(now) || !s.ExpiresAt.Equal(ms(exp)) {
				t.Fatalf("times = %v %v %v", s.CreatedAt, s.LastActiveAt, s.ExpiresAt)
			}
			got, err := db.Session(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != s.ID || got.UserID != s.UserID || got.AuthMethod != s.AuthMethod || got.UserAgent != s.UserAgent ||
				got.IP != s.IP || !got.CreatedAt.Equal(s.CreatedAt) || !got.LastActiveAt.Equal(s.LastActiveAt) ||
				!got.ExpiresAt.Equal(s.ExpiresAt) || got.EndedAt != nil {
				t.Fatalf("Session = %+v, want %+v", got, s)
			}
			evs := events(t, db, core.EventSessionCreated)
			if len(evs) != 1 {
				t.Fatalf("session.created events = %d", len(evs))
			}
			if d := eventData(t, evs[0]); d["id"] != s.ID || d["user_id"] != u.ID || d["auth_method"] != "password" {
				t.Fatalf("session.created data = %s", evs[0].Data)
			}
		})

		t.Run("OKGivenID", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			u := mustCreateUser(t, db, "s@example.com")
			s, err := db.CreateSession(context.Background(), core.Session{ID: "sess_given", UserID: u.ID, AuthMethod: "reset", ExpiresAt: clock.Now().Add(time.Hour)})
			if err != nil || s.ID != "sess_given" {
				t.Fatalf("CreateSession = %+v, %v", s, err)
			}
		})

		t.Run("ErrUnknownUser", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			if _, err := db.CreateSession(context.Background(), core.Session{UserID: "user_nope", AuthMethod: "password", ExpiresAt: clock.Now().Add(time.Hour)}); err == nil {
				t.Fatal("session for an unknown user created")
			}
			if n := countRows(t, db, "auth_sessions", ""); n != 0 {
				t.Fatalf("sessions = %d", n)
			}
			if n := len(events(t, db, "")); n != 0 {
				t.Fatalf("events = %d", n)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if _, err := db.Session(context.Background(), "sess_nope"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
	})
}

func TestDB_CookieTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			if err := db.CommitToken(ctx, "h1", []byte("one"), time.Now().Add(time.Hour), ""); err != nil {
				t.Fatal(err)
			}
			b, found, err := db.FindToken(ctx, "h1")
			if err != nil || !found || string(b) != "one" {
				t.Fatalf("FindToken = %q, %v, %v", b, found, err)
			}
			// Committing again replaces the data.
			if err := db.CommitToken(ctx, "h1", []byte("two"), time.Now().Add(time.Hour), ""); err != nil {
				t.Fatal(err)
			}
			if b, _, _ := db.FindToken(ctx, "h1"); string(b) != "two" {
				t.Fatalf("data = %q", b)
			}
			if n := countRows(t, db, "auth_session_tokens", ""); n != 1 {
				t.Fatalf("rows = %d", n)
			}
			if err := db.DeleteToken(ctx, "h1"); err != nil {
				t.Fatal(err)
			}
			if _, found, err := db.FindToken(ctx, "h1"); found || err != nil {
				t.Fatalf("after delete found=%v err=%v", found, err)
			}
		})

		t.Run("NotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			if b, found, err := db.FindToken(ctx, "nope"); b != nil || found || err != nil {
				t.Fatalf("FindToken = %q, %v, %v", b, found, err)
			}
			// Deleting an unknown token is not an error.
			if err := db.DeleteToken(ctx, "nope"); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("Expired", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			// Cookie-token expiry is wall-clock time, as scs computes it.
			if err := db.CommitToken(ctx, "old", []byte("x"), time.Now().Add(-time.Second), ""); err != nil {
				t.Fatal(err)
			}
			if _, found, err := db.FindToken(ctx, "old"); found || err != nil {
				t.Fatalf("expired token found=%v err=%v", found, err)
			}
		})

		t.Run("ErrUnknownSession", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if err := db.CommitToken(context.Background(), "h", []byte("x"), time.Now().Add(time.Hour), "sess_nope"); err == nil {
				t.Fatal("token signed in as an unknown session stored")
			}
		})
	})
}

func TestDB_SessionByToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "who@example.com")
			s := mustCreateSession(t, db, clock, u.ID)
			mustCommitToken(t, db, "tok", s.ID)
			gotS, gotU, err := db.SessionByToken(ctx, "tok")
			if err != nil {
				t.Fatal(err)
			}
			if gotS.ID != s.ID || gotS.UserID != u.ID || !gotS.ExpiresAt.Equal(s.ExpiresAt) || gotS.EndedAt != nil {
				t.Fatalf("session = %+v", gotS)
			}
			if gotU.ID != u.ID || gotU.Email != u.Email || !gotU.HasPassword {
				t.Fatalf("user = %+v", gotU)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "who@example.com")
			ended := mustCreateSession(t, db, clock, u.ID)
			if err := db.EndSession(ctx, ended.ID, "signed_out"); err != nil {
				t.Fatal(err)
			}
			live := mustCreateSession(t, db, clock, u.ID)
			// A token committed as an ended session (e.g. by a racing request).
			mustCommitToken(t, db, "endedTok", ended.ID)
			// A signed-out token.
			mustCommitToken(t, db, "anonTok", "")
			// An expired token of a live session.
			if err := db.CommitToken(ctx, "expiredTok", []byte("x"), time.Now().Add(-time.Millisecond), live.ID); err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{"unknownTok", "endedTok", "anonTok", "expiredTok"} {
				if _, _, err := db.SessionByToken(ctx, tok); !errors.Is(err, core.ErrNotFound) {
					t.Errorf("SessionByToken(%s) err = %v, want ErrNotFound", tok, err)
				}
			}
		})
	})
}

func TestDB_EndSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "end@example.com")
			s := mustCreateSession(t, db, clock, u.ID)
			other := mustCreateSession(t, db, clock, u.ID)
			mustCommitToken(t, db, "a", s.ID)
			mustCommitToken(t, db, "b", s.ID)
			mustCommitToken(t, db, "c", other.ID)
			clock.Advance(time.Minute)

			if err := db.EndSession(ctx, s.ID, "signed_out"); err != nil {
				t.Fatal(err)
			}
			got, err := db.Session(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.EndedAt == nil || !got.EndedAt.Equal(ms(clock.Now())) {
				t.Fatalf("EndedAt = %v, want %v", got.EndedAt, clock.Now())
			}
			for _, tok := range []string{"a", "b"} {
				if _, found, _ := db.FindToken(ctx, tok); found {
					t.Errorf("token %s of the ended session survived", tok)
				}
			}
			if _, found, _ := db.FindToken(ctx, "c"); !found {
				t.Error("token of another session deleted")
			}
			evs := events(t, db, core.EventSessionEnded)
			if len(evs) != 1 {
				t.Fatalf("session.ended events = %d", len(evs))
			}
			if d := eventData(t, evs[0]); d["id"] != s.ID || d["user_id"] != u.ID || d["reason"] != "signed_out" {
				t.Fatalf("session.ended data = %s", evs[0].Data)
			}

			// Ending it again is a no-op: no new event, EndedAt unchanged.
			clock.Advance(time.Minute)
			if err := db.EndSession(ctx, s.ID, "revoked"); err != nil {
				t.Fatalf("second EndSession: %v", err)
			}
			if n := len(events(t, db, core.EventSessionEnded)); n != 1 {
				t.Fatalf("session.ended events after second end = %d", n)
			}
			if again, _ := db.Session(ctx, s.ID); !again.EndedAt.Equal(*got.EndedAt) {
				t.Fatalf("EndedAt moved to %v", again.EndedAt)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if err := db.EndSession(context.Background(), "sess_nope", "x"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if n := len(events(t, db, "")); n != 0 {
				t.Fatalf("events = %d", n)
			}
		})
	})
}

func TestDB_EndUserSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "many@example.com")
			other := mustCreateUser(t, db, "other@example.com")
			keep := mustCreateSession(t, db, clock, u.ID)
			s2 := mustCreateSession(t, db, clock, u.ID)
			s3 := mustCreateSession(t, db, clock, u.ID)
			already := mustCreateSession(t, db, clock, u.ID)
			if err := db.EndSession(ctx, already.ID, "signed_out"); err != nil {
				t.Fatal(err)
			}
			otherSess := mustCreateSession(t, db, clock, other.ID)

			ended, err := db.EndUserSessions(ctx, u.ID, keep.ID, "revoke_all")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sorted(ended), sorted([]string{s2.ID, s3.ID}); !equalStrings(got, want) {
				t.Fatalf("ended = %v, want %v", got, want)
			}
			live, _ := db.ListSessions(ctx, u.ID)
			if len(live) != 1 || live[0].ID != keep.ID {
				t.Fatalf("live = %+v", live)
			}
			if s, _ := db.Session(ctx, otherSess.ID); s.EndedAt != nil {
				t.Fatal("other user's session ended")
			}
			if n := len(events(t, db, core.EventSessionEnded)); n != 3 { // already + s2 + s3
				t.Fatalf("session.ended events = %d, want 3", n)
			}

			// Without an exception every live session ends.
			ended, err = db.EndUserSessions(ctx, u.ID, "", "revoke_all")
			if err != nil || len(ended) != 1 || ended[0] != keep.ID {
				t.Fatalf("ended = %v, %v", ended, err)
			}
			// Nothing left: nothing ended, no event.
			ended, err = db.EndUserSessions(ctx, u.ID, "", "revoke_all")
			if err != nil || len(ended) != 0 {
				t.Fatalf("ended = %v, %v", ended, err)
			}
			if n := len(events(t, db, core.EventSessionEnded)); n != 4 {
				t.Fatalf("session.ended events = %d, want 4", n)
			}
		})
	})
}

func TestDB_ListSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "list@example.com")
			other := mustCreateUser(t, db, "other@example.com")
			older := mustCreateSession(t, db, clock, u.ID)
			clock.Advance(time.Second)
			newer := mustCreateSession(t, db, clock, u.ID)
			ended := mustCreateSession(t, db, clock, u.ID)
			if err := db.EndSession(ctx, ended.ID, "x"); err != nil {
				t.Fatal(err)
			}
			short, err := db.CreateSession(ctx, core.Session{UserID: u.ID, AuthMethod: "password", ExpiresAt: clock.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			mustCreateSession(t, db, clock, other.ID)

			got, err := db.ListSessions(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			ids := func(ss []core.Session) []string {
				var out []string
				for _, s := range ss {
					out = append(out, s.ID)
				}
				return out
			}
			// Most recently active first; the ended one is left out.
			if len(got) != 3 || got[2].ID != older.ID {
				t.Fatalf("ListSessions = %v", ids(got))
			}

			// Past its absolute lifetime the short session is left out too.
			clock.Advance(2 * time.Hour)
			got, _ = db.ListSessions(ctx, u.ID)
			if want := []string{newer.ID, older.ID}; !equalStrings(ids(got), want) {
				t.Fatalf("ListSessions = %v, want %v (short %s)", ids(got), want, short.ID)
			}

			// Activity reorders.
			if err := db.TouchSession(ctx, older.ID, clock.Now()); err != nil {
				t.Fatal(err)
			}
			got, _ = db.ListSessions(ctx, u.ID)
			if want := []string{older.ID, newer.ID}; !equalStrings(ids(got), want) {
				t.Fatalf("ListSessions after touch = %v, want %v", ids(got), want)
			}
		})

		t.Run("Empty", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			got, err := db.ListSessions(context.Background(), "user_nope")
			if err != nil || len(got) != 0 {
				t.Fatalf("ListSessions = %v, %v", got, err)
			}
		})
	})
}

func TestDB_TouchSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "touch@example.com")
			s := mustCreateSession(t, db, clock, u.ID)

			later := clock.Now().Add(10 * time.Minute)
			if err := db.TouchSession(ctx, s.ID, later); err != nil {
				t.Fatal(err)
			}
			if got, _ := db.Session(ctx, s.ID); !got.LastActiveAt.Equal(ms(later)) {
				t.Fatalf("LastActiveAt = %v, want %v", got.LastActiveAt, later)
			}
			// Never backwards (a slow request finishing late).
			if err := db.TouchSession(ctx, s.ID, clock.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if got, _ := db.Session(ctx, s.ID); !got.LastActiveAt.Equal(ms(later)) {
				t.Fatalf("LastActiveAt moved back to %v", got.LastActiveAt)
			}
			// Unknown ids are ignored.
			if err := db.TouchSession(ctx, "sess_nope", later); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestDB_Prune(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			const keep = 24 * time.Hour
			u := mustCreateUser(t, db, "prune@example.com")

			// Sessions, created at epoch.
			endedLongAgo := mustCreateSession(t, db, clock, u.ID)
			if err := db.EndSession(ctx, endedLongAgo.ID, "x"); err != nil {
				t.Fatal(err)
			}
			expiredLongAgo, err := db.CreateSession(ctx, core.Session{UserID: u.ID, AuthMethod: "password", ExpiresAt: clock.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			mustCommitToken(t, db, "tokOfExpired", expiredLongAgo.ID)
			clock.Advance(keep + 2*time.Hour) // now = epoch + 26h
			endedRecently := mustCreateSession(t, db, clock, u.ID)
			if err := db.EndSession(ctx, endedRecently.ID, "x"); err != nil {
				t.Fatal(err)
			}
			live := mustCreateSession(t, db, clock, u.ID)

			// Cookie tokens (wall clock).
			mustCommitToken(t, db, "liveTok", live.ID)
			if err := db.CommitToken(ctx, "deadTok", []byte("x"), time.Now().Add(-time.Second), ""); err != nil {
				t.Fatal(err)
			}

			// Sign-ups.
			for _, s := range []store.Signup{
				{ID: "su_dead", Email: "a@example.com", PasswordHash: "h", CodeHash: "c", CodeExpiresAt: clock.Now(), ExpiresAt: clock.Now().Add(-time.Millisecond)},
				{ID: "su_live", Email: "b@example.com", PasswordHash: "h", CodeHash: "c", CodeExpiresAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)},
			} {
				if err := db.CreateSignup(ctx, s, nil); err != nil {
					t.Fatal(err)
				}
			}

			// One-time tokens: kept for keep after expiry.
			for _, tk := range []struct {
				hash string
				exp  time.Time
			}{
				{"t_old", clock.Now().Add(-keep - time.Minute)},
				{"t_recent", clock.Now().Add(-time.Minute)},
				{"t_live", clock.Now().Add(time.Hour)},
			} {
				if err := db.CreateToken(ctx, store.Token{Hash: tk.hash, Purpose: store.PurposeReset, UserID: u.ID, ExpiresAt: tk.exp}, 100, nil); err != nil {
					t.Fatal(err)
				}
			}

			if err := db.Prune(ctx, keep); err != nil {
				t.Fatal(err)
			}

			for id, want := range map[string]bool{
				endedLongAgo.ID: false, expiredLongAgo.ID: false, endedRecently.ID: true, live.ID: true,
			} {
				_, err := db.Session(ctx, id)
				if got := err == nil; got != want {
					t.Errorf("session %s kept=%v, want %v (err %v)", id, got, want, err)
				}
			}
			for tok, want := range map[string]bool{"liveTok": true, "deadTok": false, "tokOfExpired": false} {
				if got := countRows(t, db, "auth_session_tokens", "token_hash = $1", tok) == 1; got != want {
					t.Errorf("cookie token %s kept=%v, want %v", tok, got, want)
				}
			}
			for id, want := range map[string]bool{"su_dead": false, "su_live": true} {
				if got := countRows(t, db, "auth_signups", "id = $1", id) == 1; got != want {
					t.Errorf("signup %s kept=%v, want %v", id, got, want)
				}
			}
			for hash, want := range map[string]bool{"t_old": false, "t_recent": true, "t_live": true} {
				if got := countRows(t, db, "auth_tokens", "token_hash = $1", hash) == 1; got != want {
					t.Errorf("token %s kept=%v, want %v", hash, got, want)
				}
			}
			if _, _, err := db.SessionByToken(ctx, "liveTok"); err != nil {
				t.Fatalf("live session after prune: %v", err)
			}
			if _, err := db.User(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		})
	})
}

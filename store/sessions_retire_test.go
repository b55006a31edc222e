package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// tokenExpiry reads a cookie token's stored expiry.
func tokenExpiry(t testing.TB, db *store.DB, hash string) time.Time {
	t.Helper()
	var v int64
	if err := db.SQL().QueryRow(`SELECT expiry FROM auth_session_tokens WHERE token_hash = $1`, hash).Scan(&v); err != nil {
		t.Fatalf("expiry of %s: %v", hash, err)
	}
	return time.UnixMilli(v).UTC()
}

func TestDB_RetireToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("UsableUntilGraceEnds", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "grace@example.com")
			s := mustCreateSession(t, db, clock, u.ID)
			mustCommitToken(t, db, "old", s.ID)
			until := time.Now().Add(30 * time.Second)
			if err := db.RetireToken(ctx, "old", until); err != nil {
				t.Fatal(err)
			}
			if got := tokenExpiry(t, db, "old"); !got.Equal(ms(until)) {
				t.Fatalf("expiry after retiring = %v, want %v", got, ms(until))
			}
			if got, _, err := db.SessionByToken(ctx, "old"); err != nil || got.ID != s.ID {
				t.Fatalf("SessionByToken in the grace period = %+v, %v", got, err)
			}
			// A request under way with the old token commits its data: the
			// token keeps its short life.
			if err := db.CommitToken(ctx, "old", []byte("late"), time.Now().Add(24*time.Hour), s.ID); err != nil {
				t.Fatal(err)
			}
			if got := tokenExpiry(t, db, "old"); !got.Equal(ms(until)) {
				t.Fatalf("a commit moved a retired token's expiry to %v, want %v", got, ms(until))
			}
			if b, found, _ := db.FindToken(ctx, "old"); !found || string(b) != "late" {
				t.Fatalf("FindToken = %q, %v", b, found)
			}
		})

		t.Run("DeadOnceGraceEnded", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "ended@example.com")
			s := mustCreateSession(t, db, clock, u.ID)
			mustCommitToken(t, db, "old", s.ID)
			if err := db.RetireToken(ctx, "old", time.Now().Add(-time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if _, found, err := db.FindToken(ctx, "old"); found || err != nil {
				t.Fatalf("FindToken after the grace period: found=%v err=%v", found, err)
			}
			if _, _, err := db.SessionByToken(ctx, "old"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("SessionByToken after the grace period: %v, want ErrNotFound", err)
			}
			if _, _, _, err := db.SessionByTokenWithOrg(ctx, "old"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("SessionByTokenWithOrg after the grace period: %v, want ErrNotFound", err)
			}
		})

		t.Run("NeverLengthens", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ctx := context.Background()
			soon := time.Now().Add(5 * time.Second)
			if err := db.CommitToken(ctx, "short", []byte("x"), soon, ""); err != nil {
				t.Fatal(err)
			}
			if err := db.RetireToken(ctx, "short", time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if got := tokenExpiry(t, db, "short"); !got.Equal(ms(soon)) {
				t.Fatalf("expiry = %v, want %v", got, ms(soon))
			}
		})

		t.Run("SignOutEndsItAtOnce", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "out@example.com")
			s := mustCreateSession(t, db, clock, u.ID)
			mustCommitToken(t, db, "old", s.ID)
			mustCommitToken(t, db, "new", s.ID)
			if err := db.RetireToken(ctx, "old", time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := db.EndSession(ctx, s.ID, "signed_out"); err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{"old", "new"} {
				if _, found, _ := db.FindToken(ctx, tok); found {
					t.Errorf("token %s survived the sign-out", tok)
				}
			}
		})

		t.Run("DeleteTokenAndRetiredEndsTheGrace", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			u := mustCreateUser(t, db, "strict@example.com")
			s := mustCreateSession(t, db, clock, u.ID)
			other := mustCreateSession(t, db, clock, u.ID)
			mustCommitToken(t, db, "retired", s.ID)
			mustCommitToken(t, db, "current", s.ID)
			mustCommitToken(t, db, "otherRetired", other.ID)
			mustCommitToken(t, db, "anon", "")
			graceEnd := time.Now().Add(30 * time.Second)
			for _, tok := range []string{"retired", "otherRetired"} {
				if err := db.RetireToken(ctx, tok, graceEnd); err != nil {
					t.Fatal(err)
				}
			}
			sid, err := db.DeleteTokenAndRetired(ctx, "current", graceEnd)
			if err != nil || sid != s.ID {
				t.Fatalf("DeleteTokenAndRetired = %q, %v; want %q", sid, err, s.ID)
			}
			for tok, want := range map[string]bool{"current": false, "retired": false, "otherRetired": true, "anon": true} {
				if _, found, _ := db.FindToken(ctx, tok); found != want {
					t.Errorf("token %s found = %v, want %v", tok, found, want)
				}
			}
			// A signed-out or unknown token: nothing else goes.
			if sid, err := db.DeleteTokenAndRetired(ctx, "anon", graceEnd); err != nil || sid != "" {
				t.Fatalf("DeleteTokenAndRetired(anon) = %q, %v", sid, err)
			}
			if sid, err := db.DeleteTokenAndRetired(ctx, "nope", graceEnd); err != nil || sid != "" {
				t.Fatalf("DeleteTokenAndRetired(nope) = %q, %v", sid, err)
			}
			if _, found, _ := db.FindToken(ctx, "otherRetired"); !found {
				t.Error("another session's retired token was deleted")
			}
		})

		t.Run("UnknownIsNotAnError", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			if err := db.RetireToken(context.Background(), "nope", time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		})
	})
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// emailVariants returns n distinct spellings of email (ASCII letters, '@'
// and '.') that are the same address once case-folded and NFKC-normalised:
// each character is lower case, upper case, fullwidth lower or fullwidth
// upper, chosen by the digits of the variant's index.
func emailVariants(tb testing.TB, email string, n int) []string {
	tb.Helper()
	forms := func(r rune) []rune {
		switch {
		case r >= 'a' && r <= 'z':
			return []rune{r, r - 'a' + 'A', r - 'a' + 'ａ', r - 'a' + 'Ａ'}
		case r == '@':
			return []rune{'@', '＠'}
		case r == '.':
			return []rune{'.', '．'}
		}
		return []rune{r}
	}
	seen := map[string]bool{}
	var out []string
	for i := 0; len(out) < n; i++ {
		k := i
		var b []rune
		for _, r := range email {
			f := forms(r)
			b = append(b, f[k%len(f)])
			k /= len(f)
		}
		if k != 0 {
			tb.Fatalf("%q has fewer than %d variants", email, n)
		}
		// Not checked against store.EmailKey on purpose: that is what the
		// tests using these variants are testing.
		v := string(b)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// TestConcurrency_CreateUser is SECURITY T52: many sign-ups of one address
// in different spellings at the same moment create exactly one account, and
// every other caller gets a clean ErrConflict, never a lock error.
func TestConcurrency_CreateUser(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Run("OneWinnerRestErrConflict", func(t *testing.T) {
			db, _ := mustOpen(t)
			ctx := context.Background()
			emails := emailVariants(t, "ann@x.io", 100)

			users := make([]core.User, len(emails))
			errs := runAll(len(emails), func(i int) error {
				var err error
				users[i], err = db.CreateUser(ctx, store.NewUser{Email: emails[i], PasswordHash: fmt.Sprint("hash-", i)})
				return err
			})

			winner := -1
			for i, err := range errs {
				switch {
				case err == nil:
					if winner >= 0 {
						t.Errorf("both %q and %q were created", emails[winner], emails[i])
					}
					winner = i
				case errors.Is(err, core.ErrConflict):
				default:
					assertNoLockError(t, err)
					t.Errorf("CreateUser(%q): unexpected error %v", emails[i], err)
				}
			}
			if winner < 0 {
				t.Fatal("no CreateUser succeeded")
			}
			if n := countRows(t, db, "auth_users", ""); n != 1 {
				t.Fatalf("users = %d, want 1", n)
			}
			if n := countRows(t, db, "auth_passwords", ""); n != 1 {
				t.Fatalf("passwords = %d, want 1", n)
			}
			evs := events(t, db, core.EventUserCreated)
			if len(evs) != 1 || eventData(t, evs[0])["id"] != users[winner].ID {
				t.Fatalf("user.created events = %d", len(evs))
			}
			got, err := db.UserByEmail(ctx, "ANN@X.IO")
			if err != nil || got.ID != users[winner].ID || got.Email != emails[winner] {
				t.Fatalf("UserByEmail = %+v, %v", got, err)
			}
			if h, _ := db.PasswordHash(ctx, got.ID); h != fmt.Sprint("hash-", winner) {
				t.Fatalf("password hash = %q, want the winner's", h)
			}
		})
	})
}

// TestConcurrency_CompleteSignup: many pending sign-ups of one address
// (in different spellings) completed at the same moment make one user, one
// session, and no lock errors.
func TestConcurrency_CompleteSignup(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Run("OneUser", func(t *testing.T) {
			db, clock := mustOpen(t)
			emails := emailVariants(t, "ann@x.io", 100)
			for i, email := range emails {
				mustCreateSignup(t, db, newSignup(clock, fmt.Sprint("su_", i), email))
			}

			errs := runAll(len(emails), func(i int) error {
				_, _, err := completeSignup(db, clock, fmt.Sprint("su_", i), rightCode)
				return err
			})

			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, core.ErrNotFound), errors.Is(err, core.ErrConflict):
					// The winner removed this sign-up, or took its address.
				default:
					assertNoLockError(t, err)
					t.Errorf("CompleteSignup(%q): unexpected error %v", emails[i], err)
				}
			}
			if ok != 1 {
				t.Fatalf("%d sign-ups completed, want exactly 1", ok)
			}
			for table, want := range map[string]int{
				"auth_users": 1, "auth_passwords": 1, "auth_sessions": 1, "auth_signups": 0,
			} {
				if n := countRows(t, db, table, ""); n != want {
					t.Errorf("%s rows = %d, want %d", table, n, want)
				}
			}
			if n := len(events(t, db, core.EventUserCreated)); n != 1 {
				t.Errorf("user.created events = %d, want 1", n)
			}
			if n := len(events(t, db, core.EventSessionCreated)); n != 1 {
				t.Errorf("session.created events = %d, want 1", n)
			}
		})
	})
}

// TestConcurrency_ReadThenWrite: transactions that read before they write
// (EndSession, ResetPassword) run side by side without a lock error. With
// deferred transactions SQLite would refuse the upgrade to a write lock
// (SQLITE_BUSY, no busy-timeout retry); the store's immediate transactions
// queue them instead.
func TestConcurrency_ReadThenWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			db, clock := mustOpen(t)
			ctx := context.Background()
			const n = 50
			sessions := make([]core.Session, n)
			users := make([]core.User, n)
			for i := range n {
				users[i] = mustCreateUser(t, db, fmt.Sprintf("rw%d@example.com", i))
				sessions[i] = mustCreateSession(t, db, clock, users[i].ID)
				if err := db.CreateToken(ctx, resetToken(clock, fmt.Sprint("r", i), users[i].ID), 10, nil); err != nil {
					t.Fatal(err)
				}
			}
			errs := runAll(2*n, func(i int) error {
				if i < n {
					return db.EndSession(ctx, sessions[i].ID, "signed_out")
				}
				_, err := db.ResetPassword(ctx, fmt.Sprint("r", i-n), "new", nil)
				return err
			})
			for i, err := range errs {
				if err != nil {
					assertNoLockError(t, err)
					t.Errorf("call %d: %v", i, err)
				}
			}
			if got := countRows(t, db, "auth_sessions", "ended_at IS NULL"); got != 0 {
				t.Fatalf("live sessions = %d", got)
			}
			if got := countRows(t, db, "auth_passwords", "hash = 'new'"); got != n {
				t.Fatalf("reset passwords = %d, want %d", got, n)
			}
		})
	})
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// seedUsers inserts n users in one transaction (the triggers add their
// email identifiers), created one second apart from start: user i is
// "user<i>@example.com", named "Person <i>", with id "user_seed<i, 8 digits>".
func seedUsers(tb testing.TB, db *store.DB, n int, start time.Time) {
	tb.Helper()
	seedUsersAs(tb, db, n, start, func(i int) string { return fmt.Sprintf("user%d@example.com", i) })
}

// seedUsersAs is seedUsers with user i's email from email(i).
func seedUsersAs(tb testing.TB, db *store.DB, n int, start time.Time, email func(int) string) {
	tb.Helper()
	ctx := context.Background()
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO auth_users (id, email, email_key, email_verified, name, created_at, updated_at)
		VALUES ($1, $2, $2, $3, $4, $5, $5)`)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		email := email(i)
		at := start.Add(time.Duration(i) * time.Second).UnixMilli()
		if _, err := st.ExecContext(ctx, fmt.Sprintf("user_seed%08d", i), email, i%3 != 0, fmt.Sprintf("Person %d", i), at); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

func TestDB_ListUsers(t *testing.T) {
	t.Parallel()
	db, clock := mustOpen(t)
	ctx := context.Background()
	seedUsers(t, db, 250, clock.Now().Add(-time.Hour))

	t.Run("PagesCoverEveryUserOnce", func(t *testing.T) {
		for _, sort := range []string{core.SortCreatedDesc, core.SortCreatedAsc, core.SortEmailAsc, core.SortEmailDesc} {
			seen := map[string]bool{}
			q := core.UserQuery{Sort: sort, Limit: 40}
			var prev *core.UserSummary
			for pages := 0; ; pages++ {
				page, err := db.ListUsers(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", sort, err)
				}
				for _, u := range page.Users {
					if seen[u.ID] {
						t.Fatalf("%s: %s listed twice", sort, u.ID)
					}
					seen[u.ID] = true
					if prev != nil && sort == core.SortCreatedDesc && u.CreatedAt.After(prev.CreatedAt) {
						t.Fatalf("%s: out of order", sort)
					}
					if prev != nil && sort == core.SortEmailAsc && u.Email < prev.Email {
						t.Fatalf("%s: %s after %s", sort, u.Email, prev.Email)
					}
					prev = &u
				}
				if page.Next == nil {
					break
				}
				q.After = page.Next
			}
			if len(seen) != 250 {
				t.Fatalf("%s: listed %d users, want 250", sort, len(seen))
			}
		}
	})

	t.Run("Search", func(t *testing.T) {
		for _, c := range []struct {
			search string
			want   int
		}{
			{"USER12", 11},           // user12, user120..user129 by email, any case
			{"person 24", 11},        // by name prefix: 24, 240..249
			{"user_seed0000010", 10}, // by id prefix: 100..109
			{"nobody", 0},
		} {
			page, err := db.ListUsers(ctx, core.UserQuery{Search: c.search, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Users) != c.want {
				t.Errorf("search %q: %d users, want %d", c.search, len(page.Users), c.want)
			}
		}
	})

	t.Run("Filters", func(t *testing.T) {
		id := "user_seed00000007"
		if _, err := db.SetBanned(ctx, id, true); err != nil {
			t.Fatal(err)
		}
		if err := db.LockUser(ctx, "user_seed00000008", clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		check := func(q core.UserQuery, want int) {
			t.Helper()
			q.Limit = 500
			page, err := db.ListUsers(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Users) != want {
				t.Errorf("%+v: %d users, want %d", q, len(page.Users), want)
			}
		}
		check(core.UserQuery{Banned: true}, 1)
		check(core.UserQuery{Locked: true}, 1)
		check(core.UserQuery{Unverified: true}, 84) // i%3 == 0 for i < 250
		check(core.UserQuery{HasMFA: true}, 0)
		check(core.UserQuery{HasPasskey: true}, 0)
		check(core.UserQuery{Admin: true}, 0)
		if err := db.UnlockUser(ctx, "user_seed00000008"); err != nil {
			t.Fatal(err)
		}
		check(core.UserQuery{Locked: true}, 0)
	})

	t.Run("ErrInvalidInput", func(t *testing.T) {
		_, err := db.ListUsers(ctx, core.UserQuery{Sort: "sideways"})
		if !errors.Is(err, core.ErrInvalidInput) {
			t.Errorf("bad sort: %v", err)
		}
		_, err = db.ListUsers(ctx, core.UserQuery{After: &core.UserCursor{Key: "x", ID: "y"}})
		if !errors.Is(err, core.ErrInvalidInput) {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func TestDB_SetAdmin(t *testing.T) {
	t.Parallel()
	db, _ := mustOpen(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, store.NewUser{Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAdmin(ctx, u.ID, true, true); err != nil {
		t.Fatal(err)
	}
	if on, _ := db.IsAdmin(ctx, u.ID); !on {
		t.Fatal("not an admin after SetAdmin")
	}
	if err := db.SetAdmin(ctx, u.ID, false, true); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("revoking the last admin: %v, want ErrLastAdmin", err)
	}
	if err := db.SetAdmin(ctx, "user_nobody", true, true); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestDB_WithAudit(t *testing.T) {
	t.Parallel()
	db, _ := mustOpen(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, store.NewUser{Email: "b@example.com"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("WrittenWithTheChange", func(t *testing.T) {
		actx := db.WithAudit(core.WithClient(ctx, core.Client{IP: "192.0.2.1", UserAgent: "test"}),
			core.AuditEntry{ActorID: "user_admin", Action: core.AuditUserBanned, TargetID: u.ID, TargetEmail: u.Email}, false)
		if _, err := db.SetBanned(actx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		// A second transaction with the same context writes no second entry.
		if _, err := db.SetBanned(actx, u.ID, true); err != nil {
			t.Fatal(err)
		}
		log, err := db.AuditLog(ctx, u.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 1 || log[0].Action != core.AuditUserBanned || log[0].IP != "192.0.2.1" || log[0].ActorID != "user_admin" {
			t.Fatalf("audit log = %+v", log)
		}
	})

	t.Run("NotWrittenWhenTheChangeFails", func(t *testing.T) {
		actx := db.WithAudit(ctx, core.AuditEntry{Action: core.AuditUserBanned, TargetID: "user_nobody"}, false)
		if _, err := db.SetBanned(actx, "user_nobody", true); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("ban unknown: %v", err)
		}
		if store.AuditWritten(actx) {
			t.Fatal("audit written for a failed change")
		}
		log, _ := db.AuditLog(ctx, "user_nobody", 0, 10)
		if len(log) != 0 {
			t.Fatalf("audit log = %+v", log)
		}
	})

	t.Run("UserUpdatedEvent", func(t *testing.T) {
		actx := db.WithAudit(ctx, core.AuditEntry{Action: core.AuditMFAReset, TargetID: u.ID}, true)
		if err := db.DisableMFA(actx, u.ID, nil); err != nil {
			t.Fatal(err)
		}
		evs, err := db.Events(ctx, core.EventUserUpdated, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 3 { // two bans, one reset
			t.Fatalf("%d user.updated events, want 3", len(evs))
		}
	})
}

// BenchmarkListUsersHalves measures searches that half of 100,000 users
// match, all of them at one end of the order: the older half's emails
// start with "old", the newer half's with "new".
func BenchmarkListUsersHalves(b *testing.B) {
	db, clock := mustOpen(b)
	ctx := context.Background()
	const n = 100_000
	seedUsersAs(b, db, n, clock.Now().Add(-n*time.Second), func(i int) string {
		if i < n/2 {
			return fmt.Sprintf("old%d@example.com", i)
		}
		return fmt.Sprintf("new%d@example.com", i)
	})
	for _, c := range []struct {
		name string
		q    core.UserQuery
	}{
		{"Near", core.UserQuery{Search: "new"}},
		{"Far", core.UserQuery{Search: "old"}},
		{"FarOldestFirst", core.UserQuery{Search: "new", Sort: core.SortCreatedAsc}},
		{"FarUnverified", core.UserQuery{Search: "old", Unverified: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.q.Limit = 50
			page, err := db.ListUsers(ctx, c.q)
			if err != nil || len(page.Users) != 50 || !strings.HasPrefix(page.Users[0].Email, c.q.Search) {
				b.Fatalf("%d users, %v", len(page.Users), err)
			}
			for b.Loop() {
				if _, err := db.ListUsers(ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListUsers measures the users table at 100,000 users: the first
// page, a page deep in the table, a search and a filter.
func BenchmarkListUsers(b *testing.B) {
	db, clock := mustOpen(b)
	ctx := context.Background()
	const n = 100_000
	seedUsers(b, db, n, clock.Now().Add(-n*time.Second))
	deep, err := db.ListUsers(ctx, core.UserQuery{Limit: 50, After: &core.UserCursor{
		Key: fmt.Sprint(clock.Now().Add(-n / 2 * time.Second).UnixMilli()), ID: "user_seed99999999"}})
	if err != nil || len(deep.Users) != 50 {
		b.Fatalf("deep page: %d users, %v", len(deep.Users), err)
	}
	for _, c := range []struct {
		name string
		q    core.UserQuery
	}{
		{"FirstPage", core.UserQuery{}},
		{"DeepPage", core.UserQuery{After: deep.Next}},
		{"ByEmail", core.UserQuery{Sort: core.SortEmailAsc}},
		{"SearchEmail", core.UserQuery{Search: "user4242"}},
		// A search that 11% of users match, far along the order (user1,
		// user10-19, ..., user10000-19999, newest first), near its start
		// (oldest first), and at its start (user9...).
		{"SearchBroad", core.UserQuery{Search: "user1"}},
		{"SearchBroadOldest", core.UserQuery{Search: "user1", Sort: core.SortCreatedAsc}},
		{"SearchBroadByEmail", core.UserQuery{Search: "user1", Sort: core.SortEmailDesc}},
		{"SearchBroadNear", core.UserQuery{Search: "user9"}},
		// Every user matches.
		{"SearchAll", core.UserQuery{Search: "user"}},
		{"SearchAllDeep", core.UserQuery{Search: "user", After: deep.Next}},
		{"SearchName", core.UserQuery{Search: "person 777"}},
		{"SearchNone", core.UserQuery{Search: "nobody"}},
		{"Unverified", core.UserQuery{Unverified: true}},
		{"Banned", core.UserQuery{Banned: true}},
		{"Locked", core.UserQuery{Locked: true}},
		{"HasMFA", core.UserQuery{HasMFA: true}},
		{"UnverifiedSearch", core.UserQuery{Unverified: true, Search: "user9"}},
		{"UnverifiedSearchFar", core.UserQuery{Unverified: true, Search: "user1"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.q.Limit = 50
			for b.Loop() {
				if _, err := db.ListUsers(ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

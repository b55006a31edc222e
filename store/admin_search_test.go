package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// TestDB_ListUsersEveryPlan lists a table of seeded users through every
// way ListUsers reads a page (a small set driving, the next users of the
// order tested one by one, the search's terms driving, a whole walk of
// the order), by lowering the sizes that choose between them, and checks
// every page of every query and order against the users computed here.
func TestDB_ListUsersEveryPlan(t *testing.T) { forEachBackend(t, listUsersEveryPlan) }

func listUsersEveryPlan(t *testing.T) {
	t.Parallel()
	db, clock := mustOpen(t)
	ctx := context.Background()
	const n = 300
	start := clock.Now().Add(-time.Hour)
	seedUsers(t, db, n, start)
	banned := map[int]bool{5: true, 150: true, 299: true}
	for i := range banned {
		if _, err := db.SetBanned(ctx, fmt.Sprintf("user_seed%08d", i), true); err != nil {
			t.Fatal(err)
		}
	}

	type seeded struct {
		i                    int
		id, email, name      string
		verified, userBanned bool
	}
	var all []seeded
	for i := range n {
		all = append(all, seeded{i, fmt.Sprintf("user_seed%08d", i), fmt.Sprintf("user%d@example.com", i),
			fmt.Sprintf("person %d", i), i%3 != 0, banned[i]})
	}
	want := func(q core.UserQuery) []string {
		var got []seeded
		for _, u := range all {
			s := strings.ToLower(strings.TrimSpace(q.Search))
			if s != "" && !strings.HasPrefix(u.email, s) && !strings.HasPrefix(u.name, s) && !strings.HasPrefix(u.id, q.Search) {
				continue
			}
			if (q.Unverified && u.verified) || (q.Banned && !u.userBanned) {
				continue
			}
			got = append(got, u)
		}
		sort.Slice(got, func(a, b int) bool {
			switch q.Sort {
			case core.SortCreatedAsc:
				return got[a].i < got[b].i
			case core.SortEmailAsc:
				return got[a].email < got[b].email
			case core.SortEmailDesc:
				return got[a].email > got[b].email
			}
			return got[a].i > got[b].i
		})
		ids := []string{}
		for _, u := range got {
			ids = append(ids, u.id)
		}
		return ids
	}
	list := func(db *store.DB, q core.UserQuery) []string {
		ids := []string{}
		q.Limit = 7
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatalf("%+v: pages never end", q)
			}
			page, err := db.ListUsers(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			for _, u := range page.Users {
				ids = append(ids, u.ID)
			}
			if page.Next == nil {
				return ids
			}
			q.After = page.Next
		}
	}

	var queries []core.UserQuery
	for _, search := range []string{"", "user1", "USER2", "user29", "user", "person 1", "user_seed000001", "nobody"} {
		for _, sortBy := range []string{core.SortCreatedDesc, core.SortCreatedAsc, core.SortEmailAsc, core.SortEmailDesc} {
			for _, f := range []core.UserQuery{{}, {Unverified: true}, {Banned: true}} {
				f.Search, f.Sort = search, sortBy
				queries = append(queries, f)
			}
		}
	}
	for _, limits := range []struct {
		name               string
		drive, keyed, walk int
	}{
		{"Usual", 0, 0, 0},
		// user1 and USER2 (111 matches each) are read from the search's
		// terms; user29 (11) too, and user with a filter (each user twice:
		// email and id); banned users drive.
		{"Terms", 5, 700, 20},
		// user1 and USER2 are now too common for the terms: the whole
		// order is walked.
		{"Walk", 5, 100, 20},
	} {
		t.Run(limits.name, func(t *testing.T) {
			if limits.drive > 0 {
				store.SetUserPlanLimits(db, limits.drive, limits.keyed, limits.walk)
			}
			for _, q := range queries {
				if got, w := list(db, q), want(q); !slices.Equal(got, w) {
					t.Errorf("%+v: %d users %.3q..., want %d %.3q...", q, len(got), got, len(w), w)
				}
			}
			// A cursor past every match (as a client may send) is an
			// empty page.
			oldest := &core.UserCursor{Key: fmt.Sprint(start.UnixMilli()), ID: "user_seed00000000"}
			page, err := db.ListUsers(ctx, core.UserQuery{Search: "user2", After: oldest})
			if err != nil || len(page.Users) != 0 || page.Next != nil {
				t.Errorf("past every match: %d users, next %v, %v", len(page.Users), page.Next, err)
			}
		})
	}
}

// TestDB_UserSearchInStep changes a user's name, addresses, primary email
// and account, and after each change checks that the search's terms are
// exactly those of the user's current values, and that searches find them.
func TestDB_UserSearchInStep(t *testing.T) { forEachBackend(t, userSearchInStep) }

func userSearchInStep(t *testing.T) {
	t.Parallel()
	db, _ := mustOpen(t)
	ctx := context.Background()
	terms := func() []string {
		t.Helper()
		rows, err := db.SQL().QueryContext(ctx, `SELECT term || ' ' || user_id || ' ' || source || ' ' || created_at || ' ' || email_key
			FROM auth_user_search ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	wantTerms := func() []string {
		t.Helper()
		rows, err := db.SQL().QueryContext(ctx, `SELECT x FROM (
			SELECT 'i' || id || ' ' || id || ' id ' || created_at || ' ' || email_key AS x FROM auth_users
			UNION ALL SELECT 'n' || lower(name) || ' ' || id || ' name ' || created_at || ' ' || email_key FROM auth_users WHERE name <> ''
			UNION ALL SELECT substr(i.kind, 1, 1) || i.value_key || ' ' || u.id || ' ' || i.id || ' ' || u.created_at || ' ' || u.email_key
				FROM auth_identifiers i JOIN auth_users u ON u.id = i.user_id WHERE i.kind IN ('email', 'phone')) AS want ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	found := func(search string) int {
		t.Helper()
		page, err := db.ListUsers(ctx, core.UserQuery{Search: search})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Users)
	}
	check := func(step string, searches map[string]int) {
		t.Helper()
		if got, want := terms(), wantTerms(); !slices.Equal(got, want) {
			t.Errorf("%s: terms\n%q\nwant\n%q", step, got, want)
		}
		for s, want := range searches {
			if got := found(s); got != want {
				t.Errorf("%s: search %q found %d users, want %d", step, s, got, want)
			}
		}
	}

	u, err := db.CreateUser(ctx, store.NewUser{Email: "Ann@Example.com", Name: "Ann Smith"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.CreateUser(ctx, store.NewUser{Email: "zed@example.com", Name: "Zed"})
	if err != nil {
		t.Fatal(err)
	}
	check("created", map[string]int{"ann@": 1, "ann smith": 1, "zed": 1, u.ID: 1})

	now := time.Now().UnixMilli()
	for _, a := range []struct{ id, kind, value, key string }{
		{"idn_second", "email", "Second@Example.org", store.EmailKey("Second@Example.org")},
		{"idn_phone", "phone", "+15551234567", "+15551234567"},
	} {
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO auth_identifiers (id, user_id, kind, value, value_key, is_primary, verified_at, created_at)
			VALUES ($1, $2, $3, $4, $5, 0, $6, $6)`, a.id, u.ID, a.kind, a.value, a.key, now); err != nil {
			t.Fatal(err)
		}
	}
	check("addresses added", map[string]int{"second@": 1, "+1 555 123": 1, "ann@": 1})

	name := "Beth Jones"
	if _, err := db.UpdateUser(ctx, u.ID, store.UserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	check("renamed", map[string]int{"ann smith": 0, "beth": 1})

	if _, err := db.SetPrimaryIdentifier(ctx, u.ID, "idn_second", nil); err != nil {
		t.Fatal(err)
	}
	check("primary changed", map[string]int{"second@": 1, "ann@": 1})
	page, err := db.ListUsers(ctx, core.UserQuery{Search: "beth", Sort: core.SortEmailAsc})
	if err != nil || len(page.Users) != 1 || page.Users[0].Email != "Second@Example.org" {
		t.Errorf("primary changed: %+v, %v", page.Users, err)
	}

	if _, err := db.RemoveIdentifier(ctx, u.ID, "idn_phone", nil); err != nil {
		t.Fatal(err)
	}
	check("phone removed", map[string]int{"+1555": 0, "beth": 1})

	if err := db.DeleteUser(ctx, u.ID, nil); err != nil {
		t.Fatal(err)
	}
	check("deleted", map[string]int{"beth": 0, "second@": 0, "zed": 1})
	for _, term := range terms() {
		if !strings.Contains(term, other.ID) {
			t.Errorf("deleted: term %q is left", term)
		}
	}
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/pgtest"
	"github.com/embedauth/auth/postgres"
	"github.com/embedauth/auth/store"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

func TestCopyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, clock := mustOpenPath(t, filepath.Join(t.TempDir(), "auth.db"))
	ann := mustCreateUser(t, src, "ann@example.com")
	bob := mustCreateUser(t, src, "bob@example.com")
	sess := mustCreateSession(t, src, clock, ann.ID)
	mustCommitToken(t, src, "tok-ann", sess.ID)
	org := mustCreateOrg(t, src, ann, "acme")
	mustAddMember(t, src, org.ID, bob, "org:member")
	mustEndpoint(t, src, core.EventUserCreated)
	mustEnqueue(t, src, clock, 3)
	if _, err := src.SetUserImage(ctx, bob.ID, "image/png", []byte{0x89, 'P', 'N', 'G', 0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := src.RotateSigningKey(ctx, signingKey("k1", clock.Now()), clock.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}

	dst, err := store.Open(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	dst.Now = clock.Now
	report, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{Finish: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, c := range report {
		rows[c.Table] = c.Rows
		if n := countRows(t, src, c.Table, ""); n != c.Rows || c.Inserted != n || c.Updated+c.Deleted != 0 || countRows(t, dst, c.Table, "") != n || len(c.Checksum) != 64 {
			t.Errorf("%s: %d rows copied (checksum %q); source has %d", c.Table, c.Rows, c.Checksum, n)
		}
	}
	for table, min := range map[string]int{"auth_users": 2, "auth_identifiers": 2, "auth_sessions": 1, "auth_session_tokens": 1,
		"auth_organizations": 1, "auth_org_memberships": 2, "auth_mail_outbox": 3, "auth_events": 1, "auth_user_images": 1,
		"auth_webhook_endpoints": 1, "auth_user_search": 4} {
		if rows[table] < min {
			t.Errorf("%s: %d rows copied, want at least %d", table, rows[table], min)
		}
	}
	if got, want := evTypes(events(t, dst, "")), evTypes(events(t, src, "")); !equalStrings(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	// The copy is a working database: lookups, the cookie's session, new
	// rows (ids continue after the copied ones), events in their order.
	if u, err := dst.UserByEmail(ctx, "ANN@example.com"); err != nil || u.ID != ann.ID {
		t.Fatalf("user by email = %+v, %v", u, err)
	}
	if s, u, err := dst.SessionByToken(ctx, "tok-ann"); err != nil || s.ID != sess.ID || u.ID != ann.ID {
		t.Fatalf("session by token = %+v, %+v, %v", s, u, err)
	}
	if err := dst.EnqueueMail(ctx, store.OutMail{To: "new@example.com", Template: "t"}); err != nil {
		t.Fatal(err)
	}
	carol := mustCreateUser(t, dst, "carol@example.com") // triggers work again
	if n := countRows(t, dst, "auth_identifiers", "user_id = $1", carol.ID); n != 1 {
		t.Fatalf("new user has %d identifiers", n)
	}

	// A target with rows is refused, and left as it was.
	if _, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("second copy: %v", err)
	}
	if n := countRows(t, dst, "auth_users", ""); n != 3 {
		t.Fatalf("users after a refused copy = %d", n)
	}
}

// evTypes lists the types and ids of events in their order.
func evTypes(evs []core.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type+" "+e.ID)
	}
	return out
}

// TestCopyDatabase_Again copies a database, changes it, and copies it
// again: only the differences are written, in an order the constraints
// accept, and the target opens for apps only once finished.
func TestCopyDatabase_Again(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, clock := mustOpenPath(t, filepath.Join(t.TempDir(), "auth.db"))
	ann := mustCreateUser(t, src, "ann@example.com")
	bob := mustCreateUser(t, src, "bob@example.com")
	dave := mustCreateUser(t, src, "dave@example.com")
	annSess := mustCreateSession(t, src, clock, ann.ID)
	mustCommitToken(t, src, "tok-ann", annSess.ID)
	daveSess := mustCreateSession(t, src, clock, dave.ID)
	mustCommitToken(t, src, "tok-dave", daveSess.ID)
	org := mustCreateOrg(t, src, ann, "acme")
	mustAddMember(t, src, org.ID, dave, "org:member")

	url := pgtest.URL(t)
	dst, err := store.OpenCopyTarget(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	dst.Now = clock.Now
	if _, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	// Unfinished: apps may not open it.
	if db, err := store.OpenPostgres(ctx, url); !errors.Is(err, store.ErrUnfinishedCopy) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("OpenPostgres of an unfinished copy: %v", err)
	}
	poolCfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	pgpool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pgpool.Close()
	pool := stdlib.OpenDBFromPool(pgpool)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := store.OpenDB(pool); !errors.Is(err, store.ErrUnfinishedCopy) {
		t.Fatalf("OpenDB of an unfinished copy: %v", err)
	}

	// Changes on the source meanwhile. Bob moves to a new address and
	// Ann takes his old one as her primary: Ann's row (the older) takes
	// an email_key that Bob's row holds until its own update.
	if _, err := verify(t, src, bob, "email", "bob@new.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.SetPrimaryIdentifier(ctx, bob.ID, identifierID(t, src, bob.ID, "bob@new.example"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := src.RemoveIdentifier(ctx, bob.ID, identifierID(t, src, bob.ID, "bob@example.com"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := verify(t, src, ann, "email", "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.SetPrimaryIdentifier(ctx, ann.ID, identifierID(t, src, ann.ID, "bob@example.com"), nil); err != nil {
		t.Fatal(err)
	}
	if err := src.DeleteUser(ctx, dave.ID, nil); err != nil { // and his session, token, membership
		t.Fatal(err)
	}
	carol := mustCreateUser(t, src, "carol@example.com")
	carolSess := mustCreateSession(t, src, clock, carol.ID)
	mustCommitToken(t, src, "tok-carol", carolSess.ID)
	if err := src.EndSession(ctx, annSess.ID, "sign_out"); err != nil {
		t.Fatal(err)
	}
	// And a row changed on the target behind the copy's back is put back.
	if _, err := pool.ExecContext(ctx, `UPDATE auth_organizations SET name = 'tampered'`); err != nil {
		t.Fatal(err)
	}

	report, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string][3]int{}
	for _, c := range report {
		changed[c.Table] = [3]int{c.Inserted, c.Updated, c.Deleted}
		if n := countRows(t, src, c.Table, ""); n != c.Rows || countRows(t, dst, c.Table, "") != n {
			t.Errorf("%s: %d rows after the second copy; source has %d", c.Table, c.Rows, n)
		}
	}
	for table, want := range map[string][3]int{
		"auth_users":          {1, 2, 1}, // carol; ann and bob's addresses; dave
		"auth_identifiers":    {3, 1, 2}, // carol, bob's new, ann's second; ann's old primary; bob's old, dave's
		"auth_organizations":  {0, 1, 0}, // the tampered name
		"auth_session_tokens": {1, 0, 2}, // carol's; ann's (signed out) and dave's
	} {
		if changed[table] != want {
			t.Errorf("%s: inserted, updated, deleted = %v, want %v", table, changed[table], want)
		}
	}
	if c := changed["auth_sessions"]; c[0] != 1 || c[1] < 1 || c[2] != 1 {
		t.Errorf("auth_sessions: inserted, updated, deleted = %v, want carol's added, ann's ended, dave's gone", c)
	}

	// A copy with no change in between writes nothing.
	report, err = postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{Finish: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range report {
		if c.Inserted+c.Updated+c.Deleted != 0 {
			t.Errorf("%s: a copy with nothing new wrote %d/%d/%d", c.Table, c.Inserted, c.Updated, c.Deleted)
		}
	}
	// Finished: apps open it, and it is the source's data.
	app, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatalf("OpenPostgres of a finished copy: %v", err)
	}
	defer app.Close()
	if u, err := app.UserByEmail(ctx, "bob@example.com"); err != nil || u.ID != ann.ID {
		t.Fatalf("bob@example.com is %+v, %v; want ann", u, err)
	}
	if u, err := app.UserByEmail(ctx, "bob@new.example"); err != nil || u.ID != bob.ID {
		t.Fatalf("bob@new.example is %+v, %v; want bob", u, err)
	}
	if _, err := app.UserByEmail(ctx, "dave@example.com"); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("dave after his deletion: %v", err)
	}
	if _, _, err := app.SessionByToken(ctx, "tok-carol"); err != nil {
		t.Fatalf("carol's session: %v", err)
	}
	if _, _, err := app.SessionByToken(ctx, "tok-ann"); err == nil {
		t.Fatal("ann's ended session still signs in")
	}
	if o, err := app.Org(ctx, org.ID); err != nil || o.Name == "tampered" {
		t.Fatalf("org = %+v, %v", o, err)
	}
	// Later copies into a finished database are refused.
	if _, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{}); err == nil || !strings.Contains(err.Error(), "unfinished copy") {
		t.Fatalf("copy into a finished database: %v", err)
	}
}

// TestCopyDatabase_MovedToken: a cookie token moved to another session
// whose first session is then deleted. On the target the deletion takes
// the token with it (ON DELETE CASCADE); the next copy writes it back.
func TestCopyDatabase_MovedToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, clock := mustOpenPath(t, filepath.Join(t.TempDir(), "auth.db"))
	ann := mustCreateUser(t, src, "ann@example.com")
	bob := mustCreateUser(t, src, "bob@example.com")
	annSess := mustCreateSession(t, src, clock, ann.ID)
	bobSess := mustCreateSession(t, src, clock, bob.ID)
	mustCommitToken(t, src, "tok", annSess.ID)
	dst, err := store.OpenCopyTarget(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	// The browser's token now holds Bob's session (as leaving a banned
	// account does), and Ann is deleted with her session.
	mustCommitToken(t, src, "tok", bobSess.ID)
	if err := src.DeleteUser(ctx, ann.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{Finish: true}); err != nil {
		t.Fatalf("copy after the token moved: %v", err)
	}
	if s, u, err := dst.SessionByToken(ctx, "tok"); err != nil || s.ID != bobSess.ID || u.ID != bob.ID {
		t.Fatalf("the moved token on the copy: %+v %+v %v", s, u, err)
	}
}

// identifierID returns the id of u's identifier with value.
func identifierID(t *testing.T, db *store.DB, userID, value string) string {
	t.Helper()
	ids, err := db.Identifiers(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id.Value == value {
			return id.ID
		}
	}
	t.Fatalf("%s has no identifier %s", userID, value)
	return ""
}

// BenchmarkCopyDatabase measures a move's two steps on a database of
// 100,000 users (and their search rows, about 400,000 rows in all): the
// first copy, made while the app serves, and a later one after 100 users
// changed, which is what the app's stop lasts.
func BenchmarkCopyDatabase(b *testing.B) {
	ctx := context.Background()
	src, clock := mustOpenPath(b, filepath.Join(b.TempDir(), "auth.db"))
	const n = 100_000
	seedUsers(b, src, n, clock.Now().Add(-n*time.Second))
	copyOnce := func(b *testing.B, dst *store.DB) int {
		report, err := postgres.CopyDatabase(ctx, src, dst, postgres.CopyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for _, c := range report {
			rows += c.Rows
		}
		return rows
	}
	b.Run("first", func(b *testing.B) {
		rows := 0
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dst, err := store.OpenCopyTarget(ctx, pgtest.URL(b))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			rows = copyOnce(b, dst)
			b.StopTimer()
			dst.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(rows), "rows")
	})
	b.Run("after-100-changes", func(b *testing.B) {
		dst, err := store.OpenCopyTarget(ctx, pgtest.URL(b))
		if err != nil {
			b.Fatal(err)
		}
		defer dst.Close()
		copyOnce(b, dst)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			for j := range 100 {
				id := fmt.Sprintf("user_seed%08d", (i*100+j)*997%n)
				name := fmt.Sprintf("Renamed %d", i)
				if _, err := src.UpdateUser(ctx, id, store.UserUpdate{Name: &name}); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			copyOnce(b, dst)
		}
	})
}

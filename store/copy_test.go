package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/pgtest"
	"github.com/embedauth/auth/store"
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
	report, err := store.CopyDatabase(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, c := range report {
		rows[c.Table] = c.Rows
		if n := countRows(t, src, c.Table, ""); n != c.Rows || countRows(t, dst, c.Table, "") != n || len(c.Checksum) != 64 {
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
	if _, err := store.CopyDatabase(ctx, src, dst); err == nil || !strings.Contains(err.Error(), "empty") {
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

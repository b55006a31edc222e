package signup_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/signup"
	"github.com/embedauth/auth/store"
)

var _ signup.Store = (*store.DB)(nil)

func mustOpen(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "auth.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpen(t)
	gate := signup.New(db, signup.Config{
		Defaults: core.SignUpSettings{
			Allowlist: []string{"friend@mailinator.com", "partner.example"},
			Blocklist: []string{"spam.example", "mallory@example.com"},
		},
		Disposable: signup.NewDomainSet(signup.DisposableDomains()),
	})
	cases := []struct {
		email string
		want  error
	}{
		{"ada@example.com", nil},
		{"mallory@example.com", signup.ErrEmailBlocked},
		{"Mallory@Example.COM", signup.ErrEmailBlocked},
		{"x@spam.example", signup.ErrEmailBlocked},
		{"x@mx.spam.example", signup.ErrEmailBlocked},
		{"x@mailinator.com", signup.ErrEmailDisposable},
		{"x@eu.mailinator.com", signup.ErrEmailDisposable},
		{"x@YOPMAIL.com", signup.ErrEmailDisposable},
		{"friend@mailinator.com", nil}, // allowlisted address beats the disposable list
		{"x@partner.example", nil},
		{"", nil},
	}
	for _, c := range cases {
		if err := gate.Check(ctx, c.email); !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Errorf("Check(%q) = %v, want %v", c.email, err, c.want)
		}
	}
}

func TestCheck_Modes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpen(t)
	gate := signup.New(db, signup.Config{Defaults: core.SignUpSettings{Mode: core.SignUpRestricted, Allowlist: []string{"corp.example"}}})
	if err := gate.Check(ctx, "ada@example.com"); !errors.Is(err, signup.ErrRestricted) {
		t.Fatalf("restricted, not invited: %v", err)
	}
	if err := gate.Check(ctx, ""); !errors.Is(err, signup.ErrRestricted) {
		t.Fatalf("restricted, no address: %v", err)
	}
	if err := gate.Check(ctx, "bob@corp.example"); err != nil {
		t.Fatalf("restricted, allowlisted: %v", err)
	}
	if err := db.InviteToSignUp(ctx, "Ada@example.com", time.Now().Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if err := gate.Check(ctx, "ada@EXAMPLE.com"); err != nil {
		t.Fatalf("restricted, invited: %v", err)
	}
	// Saved settings replace the configured ones.
	if _, err := db.PutSignUpSettings(ctx, core.SignUpSettings{Mode: core.SignUpWaitlist}); err != nil {
		t.Fatal(err)
	}
	if err := gate.Check(ctx, "bob@corp.example"); !errors.Is(err, signup.ErrWaitlist) {
		t.Fatalf("waitlist, allowlist no longer saved: %v", err)
	}
	if err := gate.Check(ctx, "ada@example.com"); err != nil {
		t.Fatalf("waitlist, invited: %v", err)
	}
	if _, err := db.PutSignUpSettings(ctx, core.SignUpSettings{Mode: core.SignUpPublic}); err != nil {
		t.Fatal(err)
	}
	if err := gate.Check(ctx, "eve@example.com"); err != nil {
		t.Fatalf("public: %v", err)
	}
}

func TestCheck_ExpiredInvitation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpen(t)
	gate := signup.New(db, signup.Config{Defaults: core.SignUpSettings{Mode: core.SignUpRestricted}})
	if err := db.InviteToSignUp(ctx, "ada@example.com", time.Now().Add(-time.Second), nil); err != nil {
		t.Fatal(err)
	}
	if err := gate.Check(ctx, "ada@example.com"); !errors.Is(err, signup.ErrRestricted) {
		t.Fatalf("expired invitation: %v", err)
	}
}

func TestWaitlist_ApproveInvites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpen(t)
	gate := signup.New(db, signup.Config{Defaults: core.SignUpSettings{Mode: core.SignUpWaitlist}})
	for range 2 { // joining twice keeps one entry
		if err := db.JoinWaitlist(ctx, "ada@example.com", "Ada"); err != nil {
			t.Fatal(err)
		}
	}
	list, err := db.Waitlist(ctx, core.WaitlistPending, 100)
	if err != nil || len(list) != 1 {
		t.Fatalf("waitlist = %v, %v", list, err)
	}
	mailed := 0
	e, err := db.DecideWaitlist(ctx, list[0].ID, true, time.Now().Add(time.Hour), func(e core.WaitlistEntry) (*store.OutMail, error) {
		mailed++
		return &store.OutMail{To: e.Email, Template: "signup_invitation", Body: []byte("x")}, nil
	})
	if err != nil || e.Status != core.WaitlistApproved || mailed != 1 {
		t.Fatalf("approve = %+v, %v, mailed %d", e, err, mailed)
	}
	if err := gate.Check(ctx, "ada@example.com"); err != nil {
		t.Fatalf("approved address: %v", err)
	}
	if _, err := db.DecideWaitlist(ctx, list[0].ID, false, time.Time{}, nil); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("deciding twice: %v", err)
	}
	if _, err := db.DecideWaitlist(ctx, "wait_nope", true, time.Time{}, nil); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("unknown entry: %v", err)
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	s, err := signup.Clean(core.SignUpSettings{Allowlist: []string{" Example.COM ", "example.com", "", "ada@x.example"}})
	if err != nil || s.Mode != core.SignUpPublic || len(s.Allowlist) != 2 || s.Allowlist[0] != "example.com" {
		t.Fatalf("Clean = %+v, %v", s, err)
	}
	for _, bad := range []core.SignUpSettings{
		{Mode: "closed"},
		{Blocklist: []string{"not a domain"}},
		{Blocklist: []string{"localhost"}},
		{Allowlist: []string{"a@b@c.example"}},
	} {
		if _, err := signup.Clean(bad); !errors.Is(err, core.ErrInvalidInput) {
			t.Errorf("Clean(%+v) = %v, want invalid input", bad, err)
		}
	}
}

func TestDisposableDomains(t *testing.T) {
	t.Parallel()
	list := signup.DisposableDomains()
	if len(list) < 300 {
		t.Fatalf("%d disposable domains shipped", len(list))
	}
	set := signup.NewDomainSet(list)
	for _, d := range []string{"mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com", "temp-mail.org"} {
		if !set.Contains(d) {
			t.Errorf("%s missing", d)
		}
	}
	if set.Contains("gmail.com") || set.Contains("com") {
		t.Error("an ordinary domain is taken for disposable")
	}
}

package orgs_test

// The rules of package orgs, over the real store on a temporary SQLite
// file with a fake clock: every rule, and every refusal, by outcome.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/store"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is a Service over a fresh store.
type env struct {
	t     testing.TB
	db    *store.DB
	svc   *orgs.Service[*store.OutMail]
	clock *clock
	// tokens and codes are the secrets the last compose calls saw.
	tokens map[string]string // email -> invitation token
	codes  map[string]string // domain id -> code
}

func newEnv(t testing.TB, edit ...func(*orgs.Config)) *env {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{now: time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)}
	db.Now = c.Now
	roles, err := orgs.NewRoles([]core.Role{{Key: "org:manager", Name: "Manager", Permissions: []string{orgs.PermMembersRead, orgs.PermMembersManage}}},
		[]core.Permission{{Key: "org:invoices:write", Name: "Write invoices"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := orgs.Config{Now: c.Now, EmailKey: store.EmailKey, CodeKey: []byte("the orgs tests' code key, 32 b..")}
	for _, e := range edit {
		e(&cfg)
	}
	return &env{t: t, db: db, svc: orgs.New[*store.OutMail](db, roles, cfg), clock: c, tokens: map[string]string{}, codes: map[string]string{}}
}

func (e *env) user(email string) core.User {
	e.t.Helper()
	u, err := e.db.CreateUser(context.Background(), store.NewUser{Email: email, EmailVerified: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) org(admin core.User, slug string) core.Org {
	e.t.Helper()
	o, _, err := e.svc.Create(context.Background(), admin, orgs.OrgInput{Name: "Org " + slug, Slug: "team-" + slug})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) composeInvite(inv core.Invitation, org core.Org, token string) (*store.OutMail, error) {
	e.tokens[inv.Email] = token
	return &store.OutMail{To: inv.Email, Template: "org_invitation", Body: []byte("sealed")}, nil
}

func (e *env) composeCode(d core.Domain, org core.Org, code string) (*store.OutMail, error) {
	e.codes[d.ID] = code
	return &store.OutMail{To: "code", Template: "org_domain_code", Body: []byte("sealed")}, nil
}

func (e *env) invite(inviter core.User, orgID, email, role string) (core.Invitation, error) {
	return e.svc.Invite(context.Background(), inviter, orgID, orgs.InviteInput{Email: email, Role: role}, e.composeInvite)
}

// join adds a member through an accepted invitation.
func (e *env) join(admin core.User, orgID, email, role string) core.User {
	e.t.Helper()
	u := e.user(email)
	if _, err := e.invite(admin, orgID, email, role); err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.svc.Accept(context.Background(), u, orgs.HashToken(e.tokens[email])); err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) events(typ string) int {
	e.t.Helper()
	evs, err := e.db.Events(context.Background(), typ, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(evs)
}

// wantRefusal fails unless err is an *core.Error with code (and wraps
// kind).
func wantRefusal(t testing.TB, err error, kind error, code string) {
	t.Helper()
	var oe *core.Error
	if !errors.As(err, &oe) || oe.Code != code || !errors.Is(err, kind) || oe.Message == "" {
		t.Fatalf("err = %v, want refusal %s (%v)", err, code, kind)
	}
}

var ctx = context.Background()

func TestService_Create(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o, m, err := e.svc.Create(ctx, ann, orgs.OrgInput{Name: "  Acme, Inc.  ", LogoURL: "https://cdn.example.com/a.png"})
		if err != nil {
			t.Fatal(err)
		}
		if o.Name != "Acme, Inc." || o.Slug != "acme-inc" || o.CreatedBy != ann.ID || o.LogoURL != "https://cdn.example.com/a.png" {
			t.Fatalf("org = %+v", o)
		}
		if m.Role != core.RoleAdmin || m.UserID != ann.ID || m.OrgID != o.ID {
			t.Fatalf("membership = %+v", m)
		}
		if e.events(core.EventOrganizationCreated) != 1 || e.events(core.EventOrganizationMembershipCreated) != 1 {
			t.Fatal("events missing")
		}
	})

	t.Run("DerivedSlugMadeUnique", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		a, _, _ := e.svc.Create(ctx, ann, orgs.OrgInput{Name: "Acme"})
		b, _, err := e.svc.Create(ctx, ann, orgs.OrgInput{Name: "ACME"})
		if err != nil || a.Slug != "acme" || !strings.HasPrefix(b.Slug, "acme-") {
			t.Fatalf("slugs %q, %q, err %v", a.Slug, b.Slug, err)
		}
		c, _, err := e.svc.Create(ctx, ann, orgs.OrgInput{Name: "日本"})
		if err != nil || !strings.HasPrefix(c.Slug, "org-") {
			t.Fatalf("slug of a name without ASCII letters: %q, %v", c.Slug, err)
		}
	})

	t.Run("ErrSlugTaken", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		e.org(ann, "acme")
		_, _, err := e.svc.Create(ctx, ann, orgs.OrgInput{Name: "Other", Slug: "team-acme"})
		wantRefusal(t, err, core.ErrConflict, "slug_taken")
		if e.events(core.EventOrganizationCreated) != 1 {
			t.Fatal("an event was written for the refused org")
		}
	})

	t.Run("ErrBadInput", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		for _, tc := range []struct {
			in    orgs.OrgInput
			code  string
			field string
		}{
			{orgs.OrgInput{Name: ""}, "name_required", "name"},
			{orgs.OrgInput{Name: "   "}, "name_required", "name"},
			{orgs.OrgInput{Name: strings.Repeat("n", 101)}, "invalid_name", "name"},
			{orgs.OrgInput{Name: strings.Repeat("é", 101)}, "invalid_name", "name"},
			{orgs.OrgInput{Name: "a\x00b"}, "invalid_name", "name"},
			{orgs.OrgInput{Name: "a\u202eb"}, "invalid_name", "name"},
			{orgs.OrgInput{Name: "ok", Slug: "A"}, "invalid_slug", "slug"},
			{orgs.OrgInput{Name: "ok", Slug: "Acme"}, "invalid_slug", "slug"},
			{orgs.OrgInput{Name: "ok", Slug: "-acme"}, "invalid_slug", "slug"},
			{orgs.OrgInput{Name: "ok", Slug: "acme--inc"}, "invalid_slug", "slug"},
			{orgs.OrgInput{Name: "ok", Slug: "acme_inc"}, "invalid_slug", "slug"},
			{orgs.OrgInput{Name: "ok", Slug: strings.Repeat("a", 51)}, "invalid_slug", "slug"},
			{orgs.OrgInput{Name: "ok", LogoURL: "javascript:alert(1)"}, "invalid_logo_url", "logo_url"},
			{orgs.OrgInput{Name: "ok", LogoURL: "http://cdn.example.com/a.png"}, "invalid_logo_url", "logo_url"},
			{orgs.OrgInput{Name: "ok", LogoURL: "https://user@cdn.example.com/a.png"}, "invalid_logo_url", "logo_url"},
			{orgs.OrgInput{Name: "ok", LogoURL: "https://cdn.example.com/" + strings.Repeat("a", 2048)}, "invalid_logo_url", "logo_url"},
			{orgs.OrgInput{Name: "ok", LogoURL: "/relative.png"}, "invalid_logo_url", "logo_url"},
		} {
			_, _, err := e.svc.Create(ctx, ann, tc.in)
			wantRefusal(t, err, core.ErrInvalidInput, tc.code)
			var oe *core.Error
			if errors.As(err, &oe); oe.Field != tc.field {
				t.Errorf("%+v: field %q, want %q", tc.in, oe.Field, tc.field)
			}
		}
		if n := e.events(""); n != 1 { // user.created
			t.Fatalf("events = %d", n)
		}
	})

	t.Run("ErrLimitReached", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *orgs.Config) { c.MaxOrgsPerUser = 2 })
		ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
		e.org(ann, "a1")
		a2 := e.org(ann, "a2")
		_, _, err := e.svc.Create(ctx, ann, orgs.OrgInput{Name: "Third"})
		wantRefusal(t, err, core.ErrLimitReached, "org_limit_reached")
		e.org(bob, "b1") // the limit is per user
		// Deleting one makes room again.
		if _, err := e.svc.Delete(ctx, ann.ID, a2.ID); err != nil {
			t.Fatal(err)
		}
		e.org(ann, "a3")
	})
}

func TestService_AccessHidesOtherOrganizations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
	a := e.org(ann, "a")
	for _, id := range []string{a.ID, "org_unknown", "", strings.Repeat("x", 300)} {
		_, err := e.svc.Access(ctx, bob.ID, id)
		wantRefusal(t, err, core.ErrNotFound, "org_not_found")
	}
	acc, err := e.svc.Access(ctx, ann.ID, a.ID)
	if err != nil || !acc.Can(orgs.PermProfileDelete) || !acc.Can("org:anything:else") || acc.Membership.Role != core.RoleAdmin {
		t.Fatalf("admin access = %+v, %v", acc, err)
	}
}

func TestService_UpdateAndDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	a := e.org(ann, "a")
	e.org(ann, "taken")
	bob := e.join(ann, a.ID, "bob@example.com", core.RoleMember)

	name, slug, logo := "Renamed", "renamed", "https://cdn.example.com/x.png"
	o, err := e.svc.Update(ctx, ann.ID, a.ID, orgs.OrgUpdate{Name: &name, Slug: &slug, LogoURL: &logo})
	if err != nil || o.Name != name || o.Slug != slug || o.LogoURL != logo {
		t.Fatalf("Update = %+v, %v", o, err)
	}
	if e.events(core.EventOrganizationUpdated) != 1 {
		t.Fatal("no organization.updated")
	}
	_, err = e.svc.Update(ctx, bob.ID, a.ID, orgs.OrgUpdate{Name: &name})
	wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")
	taken := "team-taken"
	_, err = e.svc.Update(ctx, ann.ID, a.ID, orgs.OrgUpdate{Slug: &taken})
	wantRefusal(t, err, core.ErrConflict, "slug_taken")
	empty := ""
	_, err = e.svc.Update(ctx, ann.ID, a.ID, orgs.OrgUpdate{Name: &empty})
	wantRefusal(t, err, core.ErrInvalidInput, "name_required")

	_, err = e.svc.Delete(ctx, bob.ID, a.ID)
	wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")
	if _, err := e.svc.Delete(ctx, ann.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if e.events(core.EventOrganizationDeleted) != 1 {
		t.Fatal("no organization.deleted")
	}
	_, err = e.svc.Access(ctx, bob.ID, a.ID)
	wantRefusal(t, err, core.ErrNotFound, "org_not_found")
	if list, _ := e.svc.List(ctx, bob.ID); len(list) != 0 {
		t.Fatalf("bob's orgs after delete: %+v", list)
	}
}

func TestService_SetActive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
	a, b := e.org(ann, "a"), e.org(bob, "b")
	sess, err := e.db.CreateSession(ctx, core.Session{UserID: ann.ID, AuthMethod: "password", ExpiresAt: e.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	bobSess, _ := e.db.CreateSession(ctx, core.Session{UserID: bob.ID, AuthMethod: "password", ExpiresAt: e.clock.Now().Add(time.Hour)})
	if acc, err := e.svc.SetActive(ctx, ann.ID, sess.ID, a.ID); err != nil || acc.Org.ID != a.ID {
		t.Fatalf("SetActive = %+v, %v", acc, err)
	}
	_, err = e.svc.SetActive(ctx, ann.ID, sess.ID, b.ID)
	wantRefusal(t, err, core.ErrNotFound, "org_not_found")
	// Another user's device session.
	_, err = e.svc.SetActive(ctx, ann.ID, bobSess.ID, "")
	wantRefusal(t, err, core.ErrNotFound, "org_not_found")
	if _, err := e.svc.SetActive(ctx, ann.ID, sess.ID, ""); err != nil {
		t.Fatal(err)
	}
}

func TestService_Members(t *testing.T) {
	t.Parallel()

	setup := func(t *testing.T) (*env, core.Org, core.User, core.User, core.User) {
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		mgr := e.join(ann, o.ID, "mgr@example.com", "org:manager")
		bob := e.join(ann, o.ID, "bob@example.com", core.RoleMember)
		return e, o, ann, mgr, bob
	}

	t.Run("ListNeedsRead", func(t *testing.T) {
		t.Parallel()
		e, o, _, _, bob := setup(t)
		list, err := e.svc.Members(ctx, bob.ID, o.ID)
		if err != nil || len(list) != 3 || list[0].Email+list[1].Email+list[2].Email == "" {
			t.Fatalf("Members = %+v, %v", list, err)
		}
		stranger := e.user("x@example.com")
		_, err = e.svc.Members(ctx, stranger.ID, o.ID)
		wantRefusal(t, err, core.ErrNotFound, "org_not_found")
	})

	t.Run("SetRole", func(t *testing.T) {
		t.Parallel()
		e, o, ann, mgr, bob := setup(t)
		m, err := e.svc.SetRole(ctx, ann.ID, o.ID, bob.ID, "org:manager")
		if err != nil || m.Role != "org:manager" {
			t.Fatalf("SetRole = %+v, %v", m, err)
		}
		_, err = e.svc.SetRole(ctx, ann.ID, o.ID, bob.ID, "org:owner")
		wantRefusal(t, err, core.ErrInvalidInput, "unknown_role")
		_, err = e.svc.SetRole(ctx, ann.ID, o.ID, "user_nope", core.RoleMember)
		wantRefusal(t, err, core.ErrNotFound, "member_not_found")
		// A manager may not make anyone admin, nor change an admin.
		_, err = e.svc.SetRole(ctx, mgr.ID, o.ID, bob.ID, core.RoleAdmin)
		wantRefusal(t, err, orgs.ErrForbidden, "role_escalation")
		_, err = e.svc.SetRole(ctx, mgr.ID, o.ID, ann.ID, core.RoleMember)
		wantRefusal(t, err, orgs.ErrForbidden, "role_escalation")
		// nor promote themselves.
		_, err = e.svc.SetRole(ctx, mgr.ID, o.ID, mgr.ID, core.RoleAdmin)
		wantRefusal(t, err, orgs.ErrForbidden, "role_escalation")
		// A member manages nobody.
		_, err = e.svc.SetRole(ctx, bob.ID, o.ID, bob.ID, core.RoleAdmin)
		if err == nil {
			t.Fatal("bob changed a role")
		}
		// The last admin stays.
		_, err = e.svc.SetRole(ctx, ann.ID, o.ID, ann.ID, core.RoleMember)
		wantRefusal(t, err, core.ErrLastAdmin, "last_admin")
		if n := e.events(core.EventOrganizationMembershipUpdated); n != 1 {
			t.Fatalf("membership.updated = %d", n)
		}
	})

	t.Run("RemoveAndLeave", func(t *testing.T) {
		t.Parallel()
		e, o, ann, mgr, bob := setup(t)
		_, err := e.svc.Remove(ctx, mgr.ID, o.ID, ann.ID)
		wantRefusal(t, err, orgs.ErrForbidden, "role_escalation")
		_, err = e.svc.Remove(ctx, bob.ID, o.ID, mgr.ID)
		wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")
		if _, err := e.svc.Remove(ctx, mgr.ID, o.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Access(ctx, bob.ID, o.ID)
		wantRefusal(t, err, core.ErrNotFound, "org_not_found")
		_, err = e.svc.Remove(ctx, ann.ID, o.ID, bob.ID)
		wantRefusal(t, err, core.ErrNotFound, "member_not_found")
		_, err = e.svc.Leave(ctx, ann.ID, o.ID)
		wantRefusal(t, err, core.ErrLastAdmin, "last_admin")
		_, err = e.svc.Remove(ctx, ann.ID, o.ID, ann.ID)
		wantRefusal(t, err, core.ErrLastAdmin, "last_admin")
		if _, err := e.svc.Leave(ctx, mgr.ID, o.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.events(core.EventOrganizationMembershipDeleted); n != 2 {
			t.Fatalf("membership.deleted = %d", n)
		}
	})
}

func TestService_Invitations(t *testing.T) {
	t.Parallel()

	t.Run("AcceptOnce", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		inv, err := e.invite(ann, o.ID, "Bob@Example.com", "")
		if err != nil || inv.Role != core.RoleMember || inv.Status != core.InvitationPending || inv.InviterID != ann.ID {
			t.Fatalf("Invite = %+v, %v", inv, err)
		}
		if !inv.ExpiresAt.Equal(e.clock.Now().Add(7 * 24 * time.Hour)) {
			t.Errorf("expires %v", inv.ExpiresAt)
		}
		token := e.tokens["Bob@Example.com"]
		if len(token) < 40 || inv.TokenHash != orgs.HashToken(token) || strings.Contains(inv.TokenHash, token) {
			t.Fatalf("token %q, hash %q", token, inv.TokenHash)
		}
		var n int
		e.db.SQL().QueryRow(`SELECT COUNT(*) FROM auth_org_invitations WHERE token_hash = ?`, token).Scan(&n)
		if n != 0 {
			t.Fatal("the token is stored in plain text")
		}
		var mails int
		e.db.SQL().QueryRow(`SELECT COUNT(*) FROM auth_mail_outbox WHERE template = 'org_invitation'`).Scan(&mails)
		if mails != 1 {
			t.Fatalf("queued mails = %d", mails)
		}
		// Any case or Unicode form of the address is the same address.
		bob := e.user("bob@EXAMPLE.com")
		acc, m, err := e.svc.Accept(ctx, bob, orgs.HashToken(token))
		if err != nil || m.Role != core.RoleMember || acc.Status != core.InvitationAccepted || acc.AcceptedBy != bob.ID {
			t.Fatalf("Accept = %+v, %+v, %v", acc, m, err)
		}
		_, _, err = e.svc.Accept(ctx, bob, orgs.HashToken(token))
		wantRefusal(t, err, core.ErrUsed, "invitation_used")
		if e.events(core.EventOrganizationInvitationAccepted) != 1 || e.events(core.EventOrganizationInvitationCreated) != 1 {
			t.Fatal("invitation events")
		}
	})

	t.Run("AnotherAddressIsNotFound", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		e.invite(ann, o.ID, "bob@example.com", core.RoleAdmin)
		eve := e.user("eve@example.com")
		_, _, err := e.svc.Accept(ctx, eve, orgs.HashToken(e.tokens["bob@example.com"]))
		wantRefusal(t, err, core.ErrNotFound, "invitation_not_found")
		_, err = e.svc.Access(ctx, eve.ID, o.ID)
		wantRefusal(t, err, core.ErrNotFound, "org_not_found")
		// The invitation still works for bob.
		bob := e.user("bob@example.com")
		if _, _, err := e.svc.Accept(ctx, bob, orgs.HashToken(e.tokens["bob@example.com"])); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ErrExpiredAndRevoked", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *orgs.Config) { c.InvitationTTL = time.Hour })
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		e.invite(ann, o.ID, "old@example.com", "")
		inv, _ := e.invite(ann, o.ID, "gone@example.com", "")
		if _, err := e.svc.Revoke(ctx, ann.ID, o.ID, inv.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Revoke(ctx, ann.ID, o.ID, inv.ID)
		wantRefusal(t, err, core.ErrUsed, "invitation_revoked")
		gone := e.user("gone@example.com")
		_, _, err = e.svc.Accept(ctx, gone, orgs.HashToken(e.tokens["gone@example.com"]))
		wantRefusal(t, err, core.ErrUsed, "invitation_revoked")

		e.clock.Advance(time.Hour - time.Millisecond)
		old := e.user("old@example.com")
		e.clock.Advance(time.Millisecond)
		_, _, err = e.svc.Accept(ctx, old, orgs.HashToken(e.tokens["old@example.com"]))
		wantRefusal(t, err, core.ErrExpired, "invitation_expired")
		list, _ := e.svc.Invitations(ctx, ann.ID, o.ID)
		statuses := map[string]string{}
		for _, i := range list {
			statuses[i.Email] = i.Status
		}
		if statuses["old@example.com"] != core.InvitationExpired || statuses["gone@example.com"] != core.InvitationRevoked {
			t.Fatalf("statuses = %v", statuses)
		}
		// An expired invitation no longer blocks a new one.
		if _, err := e.invite(ann, o.ID, "old@example.com", ""); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.Accept(ctx, old, orgs.HashToken("forged"))
		wantRefusal(t, err, core.ErrNotFound, "invitation_not_found")
		if e.events(core.EventOrganizationInvitationRevoked) != 1 {
			t.Fatal("no invitation.revoked")
		}
	})

	t.Run("Refusals", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *orgs.Config) { c.MaxMembers = 4 })
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		mgr := e.join(ann, o.ID, "mgr@example.com", "org:manager")
		bob := e.join(ann, o.ID, "bob@example.com", core.RoleMember)

		_, err := e.invite(mgr, o.ID, "x@example.com", core.RoleAdmin)
		wantRefusal(t, err, orgs.ErrForbidden, "role_escalation")
		_, err = e.invite(bob, o.ID, "x@example.com", core.RoleMember)
		wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")
		_, err = e.invite(ann, o.ID, "x@example.com", "org:owner")
		wantRefusal(t, err, core.ErrInvalidInput, "unknown_role")
		_, err = e.invite(ann, o.ID, "not-an-email", "")
		wantRefusal(t, err, core.ErrInvalidInput, "invalid_email")
		_, err = e.invite(ann, o.ID, "BOB@example.com", "")
		wantRefusal(t, err, core.ErrAlreadyMember, "already_member")
		if _, err := e.invite(mgr, o.ID, "x@example.com", "org:manager"); err != nil {
			t.Fatal(err)
		}
		_, err = e.invite(ann, o.ID, "X@example.com", "")
		wantRefusal(t, err, core.ErrAlreadyInvited, "already_invited")
		// Three members and one pending invitation: full.
		_, err = e.invite(ann, o.ID, "y@example.com", "")
		wantRefusal(t, err, core.ErrLimitReached, "member_limit_reached")
		stranger := e.user("s@example.com")
		_, err = e.invite(stranger, o.ID, "y@example.com", "")
		wantRefusal(t, err, core.ErrNotFound, "org_not_found")
		_, err = e.svc.Invitations(ctx, bob.ID, o.ID)
		wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")
		if n := e.events(core.EventOrganizationInvitationCreated); n != 3 {
			t.Fatalf("invitation.created = %d", n)
		}
		// A member who joins another way first does not use the invitation.
		x := e.user("x@example.com")
		if _, err := e.svc.Remove(ctx, ann.ID, o.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Accept(ctx, x, orgs.HashToken(e.tokens["x@example.com"])); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("RevokeIsScopedToTheOrganization", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
		a, b := e.org(ann, "a"), e.org(bob, "b")
		inv, _ := e.invite(ann, a.ID, "x@example.com", "")
		_, err := e.svc.Revoke(ctx, bob.ID, b.ID, inv.ID)
		wantRefusal(t, err, core.ErrNotFound, "invitation_not_found")
	})
}

func TestService_ConcurrentAcceptUsesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	e.invite(ann, o.ID, "bob@example.com", "")
	bob := e.user("bob@example.com")
	hash := orgs.HashToken(e.tokens["bob@example.com"])
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, errs[i] = e.svc.Accept(ctx, bob, hash) }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, core.ErrUsed), errors.Is(err, core.ErrAlreadyMember):
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if ok != 1 || e.events(core.EventOrganizationMembershipCreated) != 2 {
		t.Fatalf("%d accepts succeeded", ok)
	}
}

func TestService_Roles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	mgr := e.join(ann, o.ID, "mgr@example.com", "org:manager")
	bob := e.join(ann, o.ID, "bob@example.com", core.RoleMember)

	p, err := e.svc.CreatePermission(ctx, ann.ID, o.ID, core.Permission{Key: "org:reports:read", Name: "Read reports"})
	if err != nil || p.Source != core.SourceCustom {
		t.Fatalf("CreatePermission = %+v, %v", p, err)
	}
	for _, tc := range []struct {
		p    core.Permission
		kind error
		code string
	}{
		{core.Permission{Key: "org:reports:read", Name: "Again"}, core.ErrConflict, "permission_exists"},
		{core.Permission{Key: "org:invoices:write", Name: "Configured"}, core.ErrConflict, "permission_exists"},
		{core.Permission{Key: "org:sys_profile:x", Name: "System"}, core.ErrInvalidInput, "reserved_permission_key"},
		{core.Permission{Key: "reports:read", Name: "No prefix"}, core.ErrInvalidInput, "invalid_permission_key"},
		{core.Permission{Key: "org:Reports:read", Name: "Upper"}, core.ErrInvalidInput, "invalid_permission_key"},
		{core.Permission{Key: "org:a:b", Name: ""}, core.ErrInvalidInput, "invalid_name"},
		{core.Permission{Key: "org:a:b", Name: "ok", Description: strings.Repeat("d", 301)}, core.ErrInvalidInput, "invalid_description"},
	} {
		_, err := e.svc.CreatePermission(ctx, ann.ID, o.ID, tc.p)
		wantRefusal(t, err, tc.kind, tc.code)
	}
	_, err = e.svc.CreatePermission(ctx, mgr.ID, o.ID, core.Permission{Key: "org:a:b", Name: "A"})
	wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")

	r, err := e.svc.CreateRole(ctx, ann.ID, o.ID, core.Role{Key: "org:analyst", Name: "Analyst",
		Permissions: []string{"org:reports:read", "org:invoices:write", "org:reports:read"}})
	if err != nil || len(r.Permissions) != 2 {
		t.Fatalf("CreateRole = %+v, %v", r, err)
	}
	for _, tc := range []struct {
		r    core.Role
		kind error
		code string
	}{
		{core.Role{Key: "org:analyst", Name: "Again"}, core.ErrConflict, "role_exists"},
		{core.Role{Key: "org:manager", Name: "Configured"}, core.ErrConflict, "role_exists"},
		{core.Role{Key: core.RoleAdmin, Name: "System"}, core.ErrConflict, "role_exists"},
		{core.Role{Key: "analyst", Name: "No prefix"}, core.ErrInvalidInput, "invalid_role_key"},
		{core.Role{Key: "org:a:b", Name: "Colon"}, core.ErrInvalidInput, "invalid_role_key"},
		{core.Role{Key: "org:x", Name: ""}, core.ErrInvalidInput, "invalid_name"},
		{core.Role{Key: "org:x", Name: "X", Permissions: []string{"org:nope:x"}}, core.ErrInvalidInput, "unknown_permission"},
	} {
		_, err := e.svc.CreateRole(ctx, ann.ID, o.ID, tc.r)
		wantRefusal(t, err, tc.kind, tc.code)
	}
	// A manager may not create a role with permissions they lack.
	_, err = e.svc.CreateRole(ctx, mgr.ID, o.ID, core.Role{Key: "org:x", Name: "X"})
	wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")

	// Giving the role to bob grants its permissions.
	if _, err := e.svc.SetRole(ctx, ann.ID, o.ID, bob.ID, "org:analyst"); err != nil {
		t.Fatal(err)
	}
	acc, _ := e.svc.Access(ctx, bob.ID, o.ID)
	if !acc.Can("org:reports:read") || acc.Can(orgs.PermMembersRead) {
		t.Fatalf("bob's permissions = %v", acc.Permissions.Keys())
	}
	perms := []string{orgs.PermMembersRead}
	if _, err := e.svc.UpdateRole(ctx, ann.ID, o.ID, "org:analyst", orgs.RoleUpdate{Permissions: &perms}); err != nil {
		t.Fatal(err)
	}
	acc, _ = e.svc.Access(ctx, bob.ID, o.ID)
	if acc.Can("org:reports:read") || !acc.Can(orgs.PermMembersRead) {
		t.Fatalf("bob's permissions after update = %v", acc.Permissions.Keys())
	}
	_, err = e.svc.UpdateRole(ctx, ann.ID, o.ID, "org:manager", orgs.RoleUpdate{Permissions: &perms})
	wantRefusal(t, err, core.ErrNotFound, "role_not_found")
	bad := []string{"org:nope:x"}
	_, err = e.svc.UpdateRole(ctx, ann.ID, o.ID, "org:analyst", orgs.RoleUpdate{Permissions: &bad})
	wantRefusal(t, err, core.ErrInvalidInput, "unknown_permission")

	err = e.svc.DeleteRole(ctx, ann.ID, o.ID, "org:analyst")
	wantRefusal(t, err, core.ErrConflict, "role_in_use")
	e.svc.SetRole(ctx, ann.ID, o.ID, bob.ID, core.RoleMember)
	if err := e.svc.DeleteRole(ctx, ann.ID, o.ID, "org:analyst"); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, e.svc.DeleteRole(ctx, ann.ID, o.ID, "org:analyst"), core.ErrNotFound, "role_not_found")

	// Deleting a permission takes it out of roles.
	e.svc.CreateRole(ctx, ann.ID, o.ID, core.Role{Key: "org:reader", Name: "Reader", Permissions: []string{"org:reports:read"}})
	changed, err := e.svc.DeletePermission(ctx, ann.ID, o.ID, "org:reports:read")
	if err != nil || len(changed) != 1 || changed[0] != "org:reader" {
		t.Fatalf("DeletePermission = %v, %v", changed, err)
	}
	c, _ := e.svc.Catalog(ctx, bob.ID, o.ID)
	for _, r := range c.Roles {
		if r.Key == "org:reader" && len(r.Permissions) != 0 {
			t.Fatalf("org:reader kept %v", r.Permissions)
		}
	}
	_, err = e.svc.DeletePermission(ctx, ann.ID, o.ID, "org:reports:read")
	wantRefusal(t, err, core.ErrNotFound, "permission_not_found")
	_, err = e.svc.DeletePermission(ctx, mgr.ID, o.ID, "org:reports:read")
	wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")

	// Another organization does not see this one's roles.
	other := e.org(ann, "b")
	_, err = e.svc.SetRole(ctx, ann.ID, other.ID, ann.ID, "org:reader")
	wantRefusal(t, err, core.ErrInvalidInput, "unknown_role")
}

func TestNewRoles(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		r, err := orgs.NewRoles([]core.Role{
			{Key: "org:billing", Name: "Billing", Permissions: []string{"org:invoices:read"}},
			{Key: core.RoleMember, Name: "Member", Permissions: []string{"org:invoices:read"}},
		}, []core.Permission{{Key: "org:invoices:read", Name: "Read invoices"}})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, role := range r.List() {
			keys = append(keys, role.Key)
		}
		if strings.Join(keys, ",") != "org:admin,org:billing,org:member" {
			t.Fatalf("roles %v", keys)
		}
		member, _ := r.Set(core.RoleMember)
		if !member.Has("org:invoices:read") || member.Has(orgs.PermMembersRead) {
			t.Fatalf("redefined member = %v", member.Keys())
		}
		admin, _ := r.Set(core.RoleAdmin)
		if !admin.All() || !admin.Covers(member) || member.Covers(admin) {
			t.Fatal("admin covers everything")
		}
	})
	t.Run("ErrEveryProblem", func(t *testing.T) {
		t.Parallel()
		_, err := orgs.NewRoles([]core.Role{
			{Key: core.RoleAdmin, Name: "Owner"},
			{Key: "billing", Name: "Billing"},
			{Key: "org:x", Name: "X", Permissions: []string{"org:undefined:perm"}},
			{Key: "org:y", Name: "Y"}, {Key: "org:y", Name: "Y again"},
		}, []core.Permission{{Key: "org:sys_x:y", Name: "S"}, {Key: "bad", Name: "B"}, {Key: "org:a:b", Name: "A"}, {Key: "org:a:b", Name: "A"}})
		if err == nil {
			t.Fatal("accepted")
		}
		for _, want := range []string{"org:admin cannot be redefined", `role "billing"`, `"org:undefined:perm" is not defined`,
			`role "org:y" is defined twice`, `permission "org:sys_x:y"`, `permission "bad"`, `permission "org:a:b" is defined twice`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
	})
}

func TestPermissionSet(t *testing.T) {
	t.Parallel()
	var zero orgs.PermissionSet
	a := orgs.NewPermissionSet("org:a:read", "org:a:write")
	b := orgs.NewPermissionSet("org:a:read")
	if zero.Has("org:a:read") || !a.Has("org:a:write") || a.Has("org:b:read") {
		t.Fatal("Has")
	}
	if !a.Covers(b) || b.Covers(a) || !a.Covers(zero) || zero.Covers(b) || b.Covers(orgs.AllPermissions()) || !orgs.AllPermissions().Covers(a) {
		t.Fatal("Covers")
	}
	if strings.Join(a.Keys(), ",") != "org:a:read,org:a:write" {
		t.Fatalf("Keys = %v", a.Keys())
	}
}

func TestService_Domains(t *testing.T) {
	t.Parallel()

	t.Run("AddRefusals", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		bob := e.join(ann, o.ID, "bob@example.com", core.RoleMember)
		for _, tc := range []struct{ name, code string }{
			{"gmail.com", "public_domain"},
			{"GMAIL.COM", "public_domain"},
			{"mail.yahoo.co.uk", "public_domain"},
			{"outlook.com.", "public_domain"},
			{"", "invalid_domain"},
			{"localhost", "invalid_domain"},
			{"https://example.com", "invalid_domain"},
			{"ann@example.com", "invalid_domain"},
			{"exa mple.com", "invalid_domain"},
			{"-x.example.com", "invalid_domain"},
			{"example.123", "invalid_domain"},
			{strings.Repeat("a", 64) + ".com", "invalid_domain"},
		} {
			_, err := e.svc.AddDomain(ctx, ann.ID, o.ID, tc.name, "")
			wantRefusal(t, err, core.ErrInvalidInput, tc.code)
		}
		_, err := e.svc.AddDomain(ctx, ann.ID, o.ID, "example.com", "sometimes")
		wantRefusal(t, err, core.ErrInvalidInput, "invalid_enrollment_mode")
		_, err = e.svc.AddDomain(ctx, bob.ID, o.ID, "example.com", "")
		wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")
		d, err := e.svc.AddDomain(ctx, ann.ID, o.ID, "Example.COM", "")
		if err != nil || d.Name != "example.com" || d.EnrollmentMode != core.EnrollmentManual || d.Verified {
			t.Fatalf("AddDomain = %+v, %v", d, err)
		}
		_, err = e.svc.AddDomain(ctx, ann.ID, o.ID, "example.com", "")
		wantRefusal(t, err, core.ErrConflict, "domain_taken")
	})

	t.Run("Verify", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		d, _ := e.svc.AddDomain(ctx, ann.ID, o.ID, "acme.test", core.EnrollmentAutoInvite)
		_, err := e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, "123456")
		wantRefusal(t, err, core.ErrInvalidInput, "code_required")
		_, err = e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@other.test", e.composeCode)
		wantRefusal(t, err, core.ErrInvalidInput, "email_not_in_domain")
		_, err = e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@sub.acme.test", e.composeCode)
		wantRefusal(t, err, core.ErrInvalidInput, "email_not_in_domain")
		if _, err := e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@acme.test", e.composeCode); err != nil {
			t.Fatal(err)
		}
		first := e.codes[d.ID]
		if _, err := e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@acme.test", e.composeCode); err != nil {
			t.Fatal(err)
		}
		code := e.codes[d.ID]
		_, err = e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, "12a456")
		wantRefusal(t, err, core.ErrInvalidInput, "invalid_code")
		if first != code {
			_, err = e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, first)
			wantRefusal(t, err, core.ErrInvalidCode, "incorrect_code")
		}
		e.clock.Advance(10 * time.Minute)
		_, err = e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, code)
		wantRefusal(t, err, core.ErrInvalidCode, "code_expired")
		e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@acme.test", e.composeCode)
		got, err := e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, e.codes[d.ID])
		if err != nil || !got.Verified || got.VerifiedAt == nil || got.CodeHash != "" {
			t.Fatalf("VerifyDomain = %+v, %v", got, err)
		}
		_, err = e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, e.codes[d.ID])
		wantRefusal(t, err, core.ErrConflict, "domain_already_verified")
		_, err = e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@acme.test", e.composeCode)
		wantRefusal(t, err, core.ErrConflict, "domain_already_verified")

		// Another organization can no longer claim it.
		bob := e.user("bob@example.com")
		b := e.org(bob, "b")
		_, err = e.svc.AddDomain(ctx, bob.ID, b.ID, "acme.test", "")
		wantRefusal(t, err, core.ErrConflict, "domain_taken")
	})

	t.Run("FirstToVerifyWins", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
		a, b := e.org(ann, "a"), e.org(bob, "b")
		da, _ := e.svc.AddDomain(ctx, ann.ID, a.ID, "shared.test", "")
		db, err := e.svc.AddDomain(ctx, bob.ID, b.ID, "shared.test", "")
		if err != nil {
			t.Fatal(err)
		}
		e.svc.SendDomainCode(ctx, ann.ID, a.ID, da.ID, "x@shared.test", e.composeCode)
		e.svc.SendDomainCode(ctx, bob.ID, b.ID, db.ID, "y@shared.test", e.composeCode)
		if _, err := e.svc.VerifyDomain(ctx, ann.ID, a.ID, da.ID, e.codes[da.ID]); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.VerifyDomain(ctx, bob.ID, b.ID, db.ID, e.codes[db.ID])
		wantRefusal(t, err, core.ErrConflict, "domain_taken")
	})

	t.Run("ErrTooManyAttemptsAndCodes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		d, _ := e.svc.AddDomain(ctx, ann.ID, o.ID, "acme.test", "")
		e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@acme.test", e.composeCode)
		wrong := "000000"
		if e.codes[d.ID] == wrong {
			wrong = "000001"
		}
		for range orgs.MaxCodeAttempts {
			_, err := e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, wrong)
			wantRefusal(t, err, core.ErrInvalidCode, "incorrect_code")
		}
		// Locked: even the right code fails, and a new code does not unlock.
		_, err := e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, e.codes[d.ID])
		wantRefusal(t, err, core.ErrLocked, "too_many_attempts")
		e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@acme.test", e.composeCode)
		_, err = e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, e.codes[d.ID])
		wantRefusal(t, err, core.ErrLocked, "too_many_attempts")
		for range orgs.MaxCodeSends - 2 {
			if _, err := e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@acme.test", e.composeCode); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "it@acme.test", e.composeCode)
		wantRefusal(t, err, core.ErrRateLimited, "too_many_codes")
		// Removing and adding again starts over.
		if err := e.svc.RemoveDomain(ctx, ann.ID, o.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		d2, _ := e.svc.AddDomain(ctx, ann.ID, o.ID, "acme.test", "")
		e.svc.SendDomainCode(ctx, ann.ID, o.ID, d2.ID, "it@acme.test", e.composeCode)
		if _, err := e.svc.VerifyDomain(ctx, ann.ID, o.ID, d2.ID, e.codes[d2.ID]); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ScopedToTheOrganization", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
		a, b := e.org(ann, "a"), e.org(bob, "b")
		d, _ := e.svc.AddDomain(ctx, ann.ID, a.ID, "acme.test", "")
		_, err := e.svc.SetDomainMode(ctx, bob.ID, b.ID, d.ID, core.EnrollmentAutoInvite)
		wantRefusal(t, err, core.ErrNotFound, "domain_not_found")
		wantRefusal(t, e.svc.RemoveDomain(ctx, bob.ID, b.ID, d.ID), core.ErrNotFound, "domain_not_found")
		_, err = e.svc.SendDomainCode(ctx, bob.ID, b.ID, d.ID, "x@acme.test", e.composeCode)
		wantRefusal(t, err, core.ErrNotFound, "domain_not_found")
		_, err = e.svc.VerifyDomain(ctx, bob.ID, b.ID, d.ID, "123456")
		wantRefusal(t, err, core.ErrNotFound, "domain_not_found")
	})
}

// verifiedDomain adds and verifies a domain with mode.
func (e *env) verifiedDomain(admin core.User, orgID, name, mode string) core.Domain {
	e.t.Helper()
	d, err := e.svc.AddDomain(ctx, admin.ID, orgID, name, mode)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.SendDomainCode(ctx, admin.ID, orgID, d.ID, "it@"+name, e.composeCode); err != nil {
		e.t.Fatal(err)
	}
	if d, err = e.svc.VerifyDomain(ctx, admin.ID, orgID, d.ID, e.codes[d.ID]); err != nil {
		e.t.Fatal(err)
	}
	return d
}

func TestService_JoinByDomain(t *testing.T) {
	t.Parallel()

	t.Run("AutomaticInvitation", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		e.verifiedDomain(ann, o.ID, "acme.test", core.EnrollmentAutoInvite)
		carl := e.user("carl@ACME.test")
		s, err := e.svc.Suggestions(ctx, carl)
		if err != nil || len(s) != 1 || s[0].Org.ID != o.ID || s[0].EnrollmentMode != core.EnrollmentAutoInvite {
			t.Fatalf("Suggestions = %+v, %v", s, err)
		}
		m, req, err := e.svc.Join(ctx, carl, o.ID)
		if err != nil || req != nil || m == nil || m.Role != core.RoleMember {
			t.Fatalf("Join = %+v, %+v, %v", m, req, err)
		}
		if s, _ := e.svc.Suggestions(ctx, carl); len(s) != 0 {
			t.Fatalf("a member is still offered to join: %+v", s)
		}
		_, _, err = e.svc.Join(ctx, carl, o.ID)
		wantRefusal(t, err, core.ErrAlreadyMember, "already_member")
	})

	t.Run("AutomaticSuggestion", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		e.verifiedDomain(ann, o.ID, "acme.test", core.EnrollmentAutoSuggest)
		carl, dora := e.user("carl@acme.test"), e.user("dora@acme.test")
		_, req, err := e.svc.Join(ctx, carl, o.ID)
		if err != nil || req == nil || req.Status != core.RequestPending {
			t.Fatalf("Join = %+v, %v", req, err)
		}
		_, _, err = e.svc.Join(ctx, carl, o.ID)
		wantRefusal(t, err, core.ErrConflict, "request_pending")
		if s, _ := e.svc.Suggestions(ctx, carl); len(s) != 1 || !s[0].Requested {
			t.Fatalf("Suggestions after asking = %+v", s)
		}
		_, reqD, _ := e.svc.Join(ctx, dora, o.ID)
		list, err := e.svc.Requests(ctx, ann.ID, o.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("Requests = %+v, %v", list, err)
		}
		_, m, err := e.svc.DecideRequest(ctx, ann.ID, o.ID, req.ID, true)
		if err != nil || m == nil || m.UserID != carl.ID {
			t.Fatalf("accept = %+v, %v", m, err)
		}
		r, m, err := e.svc.DecideRequest(ctx, ann.ID, o.ID, reqD.ID, false)
		if err != nil || m != nil || r.Status != core.RequestRejected {
			t.Fatalf("reject = %+v, %+v, %v", r, m, err)
		}
		_, _, err = e.svc.DecideRequest(ctx, ann.ID, o.ID, reqD.ID, true)
		wantRefusal(t, err, core.ErrNotFound, "request_not_found")
		_, _, err = e.svc.DecideRequest(ctx, carl.ID, o.ID, reqD.ID, true)
		wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")
		if _, err := e.svc.Access(ctx, dora.ID, o.ID); err == nil {
			t.Fatal("a rejected user joined")
		}
	})

	t.Run("NotEligible", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		e.verifiedDomain(ann, o.ID, "acme.test", core.EnrollmentManual)
		m, _ := e.svc.AddDomain(ctx, ann.ID, o.ID, "unverified.test", core.EnrollmentAutoInvite)
		_ = m
		for _, u := range []core.User{
			e.user("manual@acme.test"),
			e.user("x@unverified.test"),
			e.user("x@elsewhere.test"),
		} {
			if s, _ := e.svc.Suggestions(ctx, u); len(s) != 0 {
				t.Errorf("%s gets suggestions %+v", u.Email, s)
			}
			_, _, err := e.svc.Join(ctx, u, o.ID)
			wantRefusal(t, err, orgs.ErrForbidden, "not_eligible")
		}
		// An unverified email does not count.
		e.svc.SetDomainMode(ctx, ann.ID, o.ID, mustDomainID(t, e, ann, o.ID, "acme.test"), core.EnrollmentAutoInvite)
		unverified, err := e.db.CreateUser(ctx, store.NewUser{Email: "unverified@acme.test"})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.Join(ctx, unverified, o.ID)
		wantRefusal(t, err, orgs.ErrForbidden, "not_eligible")
	})

	t.Run("MemberLimit", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *orgs.Config) { c.MaxMembers = 1 })
		ann := e.user("ann@example.com")
		o := e.org(ann, "a")
		e.verifiedDomain(ann, o.ID, "acme.test", core.EnrollmentAutoInvite)
		_, _, err := e.svc.Join(ctx, e.user("carl@acme.test"), o.ID)
		wantRefusal(t, err, core.ErrLimitReached, "member_limit_reached")
	})
}

func mustDomainID(t *testing.T, e *env, admin core.User, orgID, name string) string {
	t.Helper()
	list, err := e.svc.Domains(ctx, admin.ID, orgID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		if d.Name == name {
			return d.ID
		}
	}
	t.Fatalf("no domain %s", name)
	return ""
}

func TestValidation(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{"Acme, Inc.": "acme-inc", "  --Hello   World--  ": "hello-world", "Ünïcode 42": "n-code-42", "": ""} {
		if got := orgs.Slugify(name); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", name, got, want)
		}
	}
	if got := orgs.Slugify(strings.Repeat("ab ", 40)); len(got) > orgs.MaxSlugLength || strings.HasSuffix(got, "-") {
		t.Errorf("long slug %q", got)
	}
	for d, public := range map[string]bool{"gmail.com": true, "mail.gmail.com": true, "acme.com": false, "gmail.com.evil.test": false} {
		if orgs.IsPublicDomain(d) != public {
			t.Errorf("IsPublicDomain(%q) != %v", d, public)
		}
	}
	if _, err := orgs.CleanLogoURL("http://localhost:8080/logo.png"); err == nil {
		t.Errorf("an http logo on localhost is accepted")
	}
	if got := fmt.Sprint(orgs.EmailDomain("Ann@Example.COM")); got != "example.com" {
		t.Errorf("EmailDomain = %q", got)
	}
}

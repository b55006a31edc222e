package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
	"github.com/embedauth/auth/store"
)

// mustCreateOrg creates an organization with creator as its admin.
func mustCreateOrg(tb testing.TB, db *store.DB, creator core.User, slug string) core.Org {
	tb.Helper()
	o, _, err := db.CreateOrg(context.Background(), core.Org{Name: "Org " + slug, Slug: slug, CreatedBy: creator.ID}, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

func mustAddMember(tb testing.TB, db *store.DB, orgID string, u core.User, role string) {
	tb.Helper()
	if _, err := db.AddMember(context.Background(), core.Membership{OrgID: orgID, UserID: u.ID, Role: role}, 0); err != nil {
		tb.Fatal(err)
	}
}

func TestDB_CreateOrg(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		t.Run("OK", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ann := mustCreateUser(t, db, "ann@example.com")
			o, m, err := db.CreateOrg(context.Background(), core.Org{Name: "Acme", Slug: "acme", CreatedBy: ann.ID}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if o.ID == "" || !o.CreatedAt.Equal(ms(clock.Now())) || m.Role != core.RoleAdmin || m.OrgID != o.ID || m.UserID != ann.ID {
				t.Fatalf("CreateOrg = %+v, %+v", o, m)
			}
			got, err := db.Org(context.Background(), o.ID)
			if err != nil || got != o {
				t.Fatalf("Org = %+v, %v; want %+v", got, err, o)
			}
			if bySlug, _ := db.OrgBySlug(context.Background(), "acme"); bySlug.ID != o.ID {
				t.Fatal("OrgBySlug")
			}
			evs := events(t, db, core.EventOrganizationCreated)
			if len(evs) != 1 || eventData(t, evs[0])["slug"] != "acme" {
				t.Fatalf("organization.created = %v", evs)
			}
			if evs := events(t, db, core.EventOrganizationMembershipCreated); len(evs) != 1 || eventData(t, evs[0])["role"] != core.RoleAdmin {
				t.Fatalf("organization.membership.created = %v", evs)
			}
		})

		t.Run("ErrConflictWritesNothing", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ann := mustCreateUser(t, db, "ann@example.com")
			mustCreateOrg(t, db, ann, "acme")
			if _, _, err := db.CreateOrg(context.Background(), core.Org{Name: "Other", Slug: "acme", CreatedBy: ann.ID}, 0); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			if n := countRows(t, db, "auth_org_memberships", ""); n != 1 {
				t.Fatalf("memberships = %d", n)
			}
			if n := len(events(t, db, core.EventOrganizationCreated)); n != 1 {
				t.Fatalf("organization.created = %d", n)
			}
		})

		t.Run("ErrLimitReached", func(t *testing.T) {
			t.Parallel()
			db, _ := mustOpen(t)
			ann := mustCreateUser(t, db, "ann@example.com")
			// Concurrent creators cannot pass the limit.
			errs := runAll(10, func(i int) error {
				_, _, err := db.CreateOrg(context.Background(), core.Org{Name: "O", Slug: fmt.Sprint("o-", i), CreatedBy: ann.ID}, 3)
				return err
			})
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, core.ErrLimitReached):
				default:
					assertNoLockError(t, err)
					t.Errorf("unexpected %v", err)
				}
			}
			if ok != 3 || countRows(t, db, "auth_organizations", "") != 3 {
				t.Fatalf("%d created, want 3", ok)
			}
		})
	})
}

// TestDB_LastAdminUnderConcurrency: two admins demoting (or removing) each
// other at the same moment leave exactly one admin.
func TestDB_LastAdminUnderConcurrency(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		for _, op := range []string{"demote", "remove"} {
			t.Run(op, func(t *testing.T) {
				t.Parallel()
				db, _ := mustOpen(t)
				ctx := context.Background()
				ann, bob := mustCreateUser(t, db, "ann@example.com"), mustCreateUser(t, db, "bob@example.com")
				o := mustCreateOrg(t, db, ann, "acme")
				mustAddMember(t, db, o.ID, bob, core.RoleAdmin)
				users := []core.User{ann, bob}
				errs := runAll(2, func(i int) error {
					var err error
					if op == "demote" {
						_, err = db.SetMemberRole(ctx, o.ID, users[i].ID, core.RoleMember)
					} else {
						_, err = db.RemoveMember(ctx, o.ID, users[i].ID)
					}
					return err
				})
				failed := 0
				for _, err := range errs {
					if err != nil {
						if !errors.Is(err, core.ErrLastAdmin) {
							t.Fatalf("unexpected %v", err)
						}
						failed++
					}
				}
				if failed != 1 || countRows(t, db, "auth_org_memberships", "role = $1", core.RoleAdmin) != 1 {
					t.Fatalf("failed = %d; admins = %d", failed, countRows(t, db, "auth_org_memberships", "role = $1", core.RoleAdmin))
				}
			})
		}
	})
}

func TestDB_Invitations(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()

		newInv := func(clock *fakeClock, orgID, email, hash string) core.Invitation {
			return core.Invitation{OrgID: orgID, Email: email, Role: core.RoleMember, TokenHash: hash, ExpiresAt: clock.Now().Add(time.Hour)}
		}

		t.Run("CreateQueuesMailAndEventTogether", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ann := mustCreateUser(t, db, "ann@example.com")
			o := mustCreateOrg(t, db, ann, "acme")
			inv, err := db.CreateInvitation(ctx, newInv(clock, o.ID, "bob@example.com", "h1"), 0, 0, &store.OutMail{To: "bob@example.com", Template: "org_invitation", Body: []byte("x")})
			if err != nil || inv.Status != core.InvitationPending {
				t.Fatalf("CreateInvitation = %+v, %v", inv, err)
			}
			got, err := db.InvitationByToken(ctx, "h1")
			if err != nil || got.ID != inv.ID || got.Email != "bob@example.com" {
				t.Fatalf("InvitationByToken = %+v, %v", got, err)
			}
			evs := events(t, db, core.EventOrganizationInvitationCreated)
			if len(evs) != 1 || eventData(t, evs[0])["token_hash"] != nil {
				t.Fatalf("invitation.created = %v (the hash must not be in it)", evs)
			}
			// A refused invitation queues no mail and writes no event.
			if _, err := db.CreateInvitation(ctx, newInv(clock, o.ID, "BOB@example.com", "h2"), 0, 0, &store.OutMail{To: "x", Template: "t", Body: []byte("x")}); !errors.Is(err, core.ErrAlreadyInvited) {
				t.Fatalf("err = %v, want ErrAlreadyInvited", err)
			}
			if _, err := db.CreateInvitation(ctx, newInv(clock, o.ID, "ann@EXAMPLE.com", "h3"), 0, 0, nil); !errors.Is(err, core.ErrAlreadyMember) {
				t.Fatalf("err = %v, want ErrAlreadyMember", err)
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 1 {
				t.Fatalf("mails = %d", n)
			}
			if n := len(events(t, db, core.EventOrganizationInvitationCreated)); n != 1 {
				t.Fatalf("events = %d", n)
			}
		})

		t.Run("AcceptOnceUnderConcurrency", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ann := mustCreateUser(t, db, "ann@example.com")
			o := mustCreateOrg(t, db, ann, "acme")
			inv, _ := db.CreateInvitation(ctx, newInv(clock, o.ID, "x@example.com", "h"), 0, 0, nil)
			users := make([]core.User, 20)
			for i := range users {
				users[i] = mustCreateUser(t, db, fmt.Sprintf("u%d@example.com", i))
			}
			errs := runAll(len(users), func(i int) error {
				_, _, err := db.AcceptInvitation(ctx, inv.ID, users[i].ID, 0)
				return err
			})
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !errors.Is(err, core.ErrUsed) {
					assertNoLockError(t, err)
					t.Errorf("unexpected %v", err)
				}
			}
			if ok != 1 || countRows(t, db, "auth_org_memberships", "") != 2 {
				t.Fatalf("%d accepted", ok)
			}
			if n := len(events(t, db, core.EventOrganizationInvitationAccepted)); n != 1 {
				t.Fatalf("invitation.accepted = %d", n)
			}
		})

		t.Run("ExpiredAndRevoked", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ann, bob := mustCreateUser(t, db, "ann@example.com"), mustCreateUser(t, db, "bob@example.com")
			o := mustCreateOrg(t, db, ann, "acme")
			a, _ := db.CreateInvitation(ctx, newInv(clock, o.ID, "bob@example.com", "ha"), 0, 0, nil)
			b, _ := db.CreateInvitation(ctx, newInv(clock, o.ID, "carl@example.com", "hb"), 0, 0, nil)
			if _, err := db.RevokeInvitation(ctx, o.ID, b.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := db.RevokeInvitation(ctx, o.ID, b.ID); !errors.Is(err, core.ErrUsed) {
				t.Fatalf("second revoke: %v", err)
			}
			if _, _, err := db.AcceptInvitation(ctx, b.ID, bob.ID, 0); !errors.Is(err, core.ErrUsed) {
				t.Fatalf("accept revoked: %v", err)
			}
			clock.Advance(time.Hour)
			if _, _, err := db.AcceptInvitation(ctx, a.ID, bob.ID, 0); !errors.Is(err, core.ErrExpired) {
				t.Fatalf("accept expired: %v", err)
			}
			if _, err := db.RevokeInvitation(ctx, o.ID, a.ID); !errors.Is(err, core.ErrExpired) {
				t.Fatalf("revoke expired: %v", err)
			}
			other := mustCreateOrg(t, db, ann, "other")
			if _, err := db.Invitation(ctx, other.ID, a.ID); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("invitation of another org: %v", err)
			}
		})

		t.Run("ErrRateLimited", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ann := mustCreateUser(t, db, "ann@example.com")
			o := mustCreateOrg(t, db, ann, "acme")
			for i := range 3 {
				_, err := db.CreateInvitation(ctx, newInv(clock, o.ID, fmt.Sprintf("x%d@example.com", i), fmt.Sprint("h", i)), 0, 2, &store.OutMail{To: "x", Template: "t", Body: []byte("x")})
				if want := i < 2; (err == nil) != want {
					t.Fatalf("invitation %d: %v", i, err)
				} else if !want && !errors.Is(err, core.ErrRateLimited) {
					t.Fatalf("third invitation: %v, want ErrRateLimited", err)
				}
			}
			if n := countRows(t, db, "auth_mail_outbox", ""); n != 2 {
				t.Fatalf("mails = %d", n)
			}
			clock.Advance(time.Hour)
			if _, err := db.CreateInvitation(ctx, newInv(clock, o.ID, "y@example.com", "hy"), 0, 2, nil); err != nil {
				t.Fatalf("an hour later: %v", err)
			}
		})

		t.Run("SeatsUnderConcurrency", func(t *testing.T) {
			t.Parallel()
			db, clock := mustOpen(t)
			ctx := context.Background()
			ann := mustCreateUser(t, db, "ann@example.com")
			o := mustCreateOrg(t, db, ann, "acme")
			errs := runAll(10, func(i int) error {
				_, err := db.CreateInvitation(ctx, newInv(clock, o.ID, fmt.Sprintf("x%d@example.com", i), fmt.Sprint("h", i)), 3, 0, nil)
				return err
			})
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !errors.Is(err, core.ErrLimitReached) {
					t.Errorf("unexpected %v", err)
				}
			}
			if ok != 2 {
				t.Fatalf("%d invitations with 1 member and a limit of 3", ok)
			}
		})
	})
}

func TestDB_SessionByTokenWithOrg(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		ann, bob := mustCreateUser(t, db, "ann@example.com"), mustCreateUser(t, db, "bob@example.com")
		o := mustCreateOrg(t, db, ann, "acme")
		mustAddMember(t, db, o.ID, bob, "org:analyst")
		if err := db.CreateOrgRole(ctx, o.ID, core.Role{Key: "org:analyst", Name: "Analyst", Permissions: []string{"org:reports:read", "org:reports:write"}}); err != nil {
			t.Fatal(err)
		}
		annSess := mustCreateSession(t, db, clock, ann.ID)
		bobSess := mustCreateSession(t, db, clock, bob.ID)
		mustCommitToken(t, db, "annTok", annSess.ID)
		mustCommitToken(t, db, "bobTok", bobSess.ID)

		s, u, so, err := db.SessionByTokenWithOrg(ctx, "annTok")
		if err != nil || s.ID != annSess.ID || u.ID != ann.ID || so != nil {
			t.Fatalf("no active org: %+v %+v %+v %v", s, u, so, err)
		}
		if err := db.SetActiveOrg(ctx, annSess.ID, ann.ID, o.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.SetActiveOrg(ctx, bobSess.ID, ann.ID, o.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("another user's session: %v", err)
		}
		_, _, so, _ = db.SessionByTokenWithOrg(ctx, "annTok")
		if so == nil || so.Org != o || so.Role != core.RoleAdmin || so.Custom {
			t.Fatalf("ann's org = %+v, want %+v", so, o)
		}
		if err := db.SetActiveOrg(ctx, bobSess.ID, bob.ID, o.ID); err != nil {
			t.Fatal(err)
		}
		_, _, so, _ = db.SessionByTokenWithOrg(ctx, "bobTok")
		if so == nil || so.Role != "org:analyst" || !so.Custom || len(so.CustomPermissions) != 2 {
			t.Fatalf("bob's org = %+v", so)
		}
		if isPostgres(t) {
			return // the plan below is SQLite's
		}
		// The read is one indexed lookup: its plan searches by the primary
		// keys and unique indexes only.
		rows, err := db.SQL().Query(`EXPLAIN QUERY PLAN SELECT s.id, m.role, r.permissions, o.name FROM auth_session_tokens t
		JOIN auth_sessions s ON s.id = t.session_id JOIN auth_users u ON u.id = s.user_id
		LEFT JOIN auth_org_memberships m ON m.org_id = s.active_org_id AND m.user_id = s.user_id
		LEFT JOIN auth_organizations o ON o.id = m.org_id
		LEFT JOIN auth_org_roles r ON r.org_id = m.org_id AND r.key = m.role
		WHERE t.token_hash = 'x' AND t.expiry > 0 AND s.ended_at IS NULL`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			if len(detail) >= 4 && detail[:4] == "SCAN" {
				t.Errorf("plan scans a table: %s", detail)
			}
		}
		rows.Close()

		// Removal ends the org of bob's session at once and for good.
		if _, err := db.RemoveMember(ctx, o.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, so, _ = db.SessionByTokenWithOrg(ctx, "bobTok"); so != nil {
			t.Fatalf("removed member still has %+v", so)
		}
		mustAddMember(t, db, o.ID, bob, core.RoleMember)
		if _, _, so, _ = db.SessionByTokenWithOrg(ctx, "bobTok"); so != nil {
			t.Fatalf("rejoining brought the old active org back: %+v", so)
		}
		// Deleting the organization clears ann's.
		if err := db.DeleteOrg(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, so, _ = db.SessionByTokenWithOrg(ctx, "annTok"); so != nil {
			t.Fatalf("deleted org still active: %+v", so)
		}
		for _, table := range []string{"auth_org_memberships", "auth_org_roles", "auth_org_invitations", "auth_org_domains"} {
			if n := countRows(t, db, table, ""); n != 0 {
				t.Errorf("%s rows after delete = %d", table, n)
			}
		}
		if n := len(events(t, db, core.EventOrganizationDeleted)); n != 1 {
			t.Fatalf("organization.deleted = %d", n)
		}
		if err := db.EndSession(ctx, annSess.ID, "signed_out"); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := db.SessionByTokenWithOrg(ctx, "annTok"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("ended session: %v", err)
		}
	})
}

func TestDB_Domains(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		ann, bob := mustCreateUser(t, db, "ann@example.com"), mustCreateUser(t, db, "bob@example.com")
		a, b := mustCreateOrg(t, db, ann, "a-org"), mustCreateOrg(t, db, bob, "b-org")
		da, err := db.CreateDomain(ctx, core.Domain{OrgID: a.ID, Name: "shared.test", EnrollmentMode: core.EnrollmentManual})
		if err != nil {
			t.Fatal(err)
		}
		db2, err := db.CreateDomain(ctx, core.Domain{OrgID: b.ID, Name: "shared.test", EnrollmentMode: core.EnrollmentManual})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateDomain(ctx, core.Domain{OrgID: a.ID, Name: "shared.test", EnrollmentMode: core.EnrollmentManual}); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("same domain twice in one org: %v", err)
		}
		p := testCodes(clock)
		p.MaxSends = 2
		var code string
		for i := range 2 {
			c, reissue := p.Reissue(da.ID)
			if err := db.SetDomainCode(ctx, a.ID, da.ID, "x@shared.test", reissue, nil); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
			code = c
		}
		if d, _ := db.Domain(ctx, a.ID, da.ID); d.AffiliationEmail != "x@shared.test" || d.CodeHash != p.Hash(da.ID, code) || d.CodeSends != 2 {
			t.Fatalf("after two sends: %+v", d)
		}
		_, reissue := p.Reissue(da.ID)
		if err := db.SetDomainCode(ctx, a.ID, da.ID, "x@shared.test", reissue, nil); !errors.Is(err, core.ErrRateLimited) {
			t.Fatalf("third send: %v", err)
		}
		// A wrong code is counted, and the code is still the last one sent.
		if _, err := db.VerifyDomain(ctx, a.ID, da.ID, p.Check(da.ID, otherThan(code))); !errors.Is(err, onetime.ErrIncorrect) {
			t.Fatalf("wrong code: %v", err)
		}
		if d, _ := db.Domain(ctx, a.ID, da.ID); d.CodeAttempts != 1 || d.Verified {
			t.Fatalf("after a wrong code: %+v", d)
		}
		if _, err := db.VerifyDomain(ctx, a.ID, da.ID, p.Check(da.ID, code)); err != nil {
			t.Fatal(err)
		}
		if d, _ := db.Domain(ctx, a.ID, da.ID); !d.Verified || d.CodeHash != "" || d.CodeAttempts != 0 || d.CodeSends != 0 {
			t.Fatalf("verified: %+v", d)
		}
		if err := db.SetDomainCode(ctx, a.ID, da.ID, "x@shared.test", reissue, nil); !errors.Is(err, core.ErrUsed) {
			t.Fatalf("a code for a verified domain: %v", err)
		}
		codeB, reissueB := p.Reissue(db2.ID)
		if err := db.SetDomainCode(ctx, b.ID, db2.ID, "y@shared.test", reissueB, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VerifyDomain(ctx, b.ID, db2.ID, p.Check(db2.ID, codeB)); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("second org verifying: %v", err)
		}
		if d, _ := db.Domain(ctx, b.ID, db2.ID); d.Verified || d.CodeHash != p.Hash(db2.ID, codeB) {
			t.Fatalf("the refused verification wrote %+v", d)
		}
		if list, _ := db.VerifiedDomains(ctx, "shared.test"); len(list) != 1 || list[0].OrgID != a.ID {
			t.Fatalf("VerifiedDomains = %+v", list)
		}
		if _, err := db.Domain(ctx, b.ID, da.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("a domain of another org: %v", err)
		}
		if err := db.DeleteDomain(ctx, b.ID, da.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("delete a domain of another org: %v", err)
		}
	})
}

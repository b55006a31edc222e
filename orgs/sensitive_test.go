package orgs_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/orgs"
)

// requireMFA turns on the organization's two-step verification
// requirement.
func (e *env) requireMFA(admin core.User, orgID string) {
	e.t.Helper()
	on := true
	if _, err := e.svc.Update(ctx, admin.ID, orgID, orgs.OrgUpdate{RequireMFA: &on}); err != nil {
		e.t.Fatal(err)
	}
}

// activeOrg is the id of the organization a device session has active
// ("" for none).
func (e *env) activeOrg(sessionID string) string {
	e.t.Helper()
	_, _, so, err := e.db.LiveSessionWithOrg(ctx, sessionID)
	if err != nil {
		e.t.Fatal(err)
	}
	if so == nil {
		return ""
	}
	return so.Org.ID
}

func TestService_Enter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	open, vault := e.org(ann, "open"), e.org(ann, "vault")
	e.requireMFA(ann, vault.ID)
	sess, err := e.db.CreateSession(ctx, core.Session{UserID: ann.ID, AuthMethod: "password", ExpiresAt: e.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	if acc, err := e.svc.Enter(ctx, ann, sess.ID, open.ID); err != nil || acc.Org.ID != open.ID {
		t.Fatalf("Enter open = %+v, %v", acc, err)
	}
	t.Run("RequiredWithoutMFA", func(t *testing.T) {
		_, err := e.svc.Enter(ctx, ann, sess.ID, vault.ID)
		wantRefusal(t, err, orgs.ErrMFARequired, "mfa_enrollment_required")
		if !errors.Is(err, core.ErrForbidden) {
			t.Fatalf("err = %v, want a forbidden refusal", err)
		}
		var ce *core.Error
		errors.As(err, &ce)
		if !strings.HasPrefix(ce.Message, "Org vault requires two-step verification.") {
			t.Fatalf("message = %q, want it to name the organization", ce.Message)
		}
		if got := e.activeOrg(sess.ID); got != open.ID {
			t.Fatalf("active org after refusal = %q, want %q unchanged", got, open.ID)
		}
	})
	t.Run("RequiredWithMFA", func(t *testing.T) {
		withMFA := ann
		withMFA.TwoFactorEnabled = true
		if acc, err := e.svc.Enter(ctx, withMFA, sess.ID, vault.ID); err != nil || acc.Org.ID != vault.ID {
			t.Fatalf("Enter vault with MFA = %+v, %v", acc, err)
		}
	})
	t.Run("None", func(t *testing.T) {
		if _, err := e.svc.Enter(ctx, ann, sess.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := e.activeOrg(sess.ID); got != "" {
			t.Fatalf("active org = %q, want none", got)
		}
	})
	t.Run("NotAMember", func(t *testing.T) {
		bob := e.user("bob@example.com")
		_, err := e.svc.Enter(ctx, bob, sess.ID, open.ID)
		wantRefusal(t, err, core.ErrNotFound, "org_not_found")
	})
	t.Run("SetActiveLeavesTheRequirementToTheCaller", func(t *testing.T) {
		if _, err := e.svc.SetActive(ctx, ann.ID, sess.ID, vault.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestService_CheckUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	bob := e.join(ann, o.ID, "bob@example.com", core.RoleMember)
	annMFA := ann
	annMFA.TwoFactorEnabled = true
	on, off, name := true, false, "Renamed"

	for _, tc := range []struct {
		name      string
		user      core.User
		up        orgs.OrgUpdate
		sensitive bool
		kind      error
		code      string
	}{
		{"NameOnly", bob, orgs.OrgUpdate{Name: &name}, false, nil, ""},
		{"OnWithMFA", annMFA, orgs.OrgUpdate{RequireMFA: &on}, true, nil, ""},
		{"OffWithoutMFA", ann, orgs.OrgUpdate{RequireMFA: &off}, true, nil, ""},
		{"OnWithoutMFA", ann, orgs.OrgUpdate{Name: &name, RequireMFA: &on}, true, orgs.ErrForbidden, "mfa_enrollment_required"},
		{"NotAllowed", bob, orgs.OrgUpdate{RequireMFA: &off}, true, orgs.ErrForbidden, "permission_denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sensitive, err := e.svc.CheckUpdate(ctx, tc.user, o.ID, tc.up)
			if sensitive != tc.sensitive {
				t.Fatalf("sensitive = %v, want %v", sensitive, tc.sensitive)
			}
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRefusal(t, err, tc.kind, tc.code)
			if errors.Is(err, orgs.ErrMFARequired) {
				t.Fatal("refusal says the organization cannot be entered")
			}
		})
	}
	// The check writes nothing.
	if got, _ := e.svc.Access(ctx, ann.ID, o.ID); got.Org.Name == name || got.Org.RequireMFA {
		t.Fatalf("org changed by checks: %+v", got.Org)
	}
}

func TestService_CheckDeleteAndSetRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	mgr := e.join(ann, o.ID, "mgr@example.com", "org:manager")
	bob := e.join(ann, o.ID, "bob@example.com", core.RoleMember)
	eve := e.user("eve@example.com")

	if org, err := e.svc.CheckDelete(ctx, ann.ID, o.ID); err != nil || org.ID != o.ID || org.Slug != o.Slug {
		t.Fatalf("CheckDelete = %+v, %v", org, err)
	}
	_, err := e.svc.CheckDelete(ctx, mgr.ID, o.ID)
	wantRefusal(t, err, orgs.ErrForbidden, "permission_denied")
	_, err = e.svc.CheckDelete(ctx, eve.ID, o.ID)
	wantRefusal(t, err, core.ErrNotFound, "org_not_found")

	if err := e.svc.CheckSetRole(ctx, mgr.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, e.svc.CheckSetRole(ctx, bob.ID, o.ID), orgs.ErrForbidden, "permission_denied")
	wantRefusal(t, e.svc.CheckSetRole(ctx, eve.ID, o.ID), core.ErrNotFound, "org_not_found")
	if _, err := e.svc.Access(ctx, ann.ID, o.ID); err != nil {
		t.Fatalf("the organization is gone after a check: %v", err)
	}
}

func TestPermissionDenied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	bob := e.join(ann, o.ID, "bob@example.com", core.RoleMember)
	_, err := e.svc.Require(ctx, bob.ID, o.ID, orgs.PermProfileManage)
	if !errors.Is(err, orgs.PermissionDenied()) {
		t.Fatalf("Require's refusal %v is not PermissionDenied", err)
	}
	wantRefusal(t, orgs.PermissionDenied(), orgs.ErrForbidden, "permission_denied")
}

package orgs_test

import (
	"slices"
	"testing"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/orgs"
)

func TestService_CanGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	mgr := e.join(ann, o.ID, "mgr@example.com", "org:manager")
	if _, err := e.svc.CreateRole(ctx, ann.ID, o.ID, core.Role{Key: "org:biller", Name: "Biller", Permissions: []string{"org:invoices:write"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateRole(ctx, ann.ID, o.ID, core.Role{Key: "org:reader", Name: "Reader", Permissions: []string{orgs.PermMembersRead}}); err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.Catalog(ctx, ann.ID, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := e.svc.Access(ctx, ann.ID, o.ID)
	manager, _ := e.svc.Access(ctx, mgr.ID, o.ID)
	for _, tc := range []struct {
		name string
		acc  orgs.Access
		role string
		want bool
	}{
		{"AdminGrantsAdmin", admin, core.RoleAdmin, true},
		{"AdminGrantsCustom", admin, "org:biller", true},
		{"ManagerGrantsMember", manager, core.RoleMember, true},
		{"ManagerGrantsOwnRole", manager, "org:manager", true},
		{"ManagerGrantsCoveredCustom", manager, "org:reader", true},
		{"ManagerNotAdmin", manager, core.RoleAdmin, false},
		{"ManagerNotUncoveredCustom", manager, "org:biller", false},
		{"UnknownRoleAllowsNothing", manager, "org:gone", true},
	} {
		if got := e.svc.CanGrant(tc.acc, c, tc.role); got != tc.want {
			t.Errorf("%s: CanGrant(%s) = %v, want %v", tc.name, tc.role, got, tc.want)
		}
	}
}

func TestService_PermissionKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	bob := e.join(ann, o.ID, "bob@example.com", core.RoleMember)
	if _, err := e.svc.CreatePermission(ctx, ann.ID, o.ID, core.Permission{Key: "org:reports:read", Name: "Read reports"}); err != nil {
		t.Fatal(err)
	}
	admin, _ := e.svc.Access(ctx, ann.ID, o.ID)
	keys, err := e.svc.PermissionKeys(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{orgs.PermProfileDelete, "org:invoices:write", "org:reports:read"} {
		if !slices.Contains(keys, want) {
			t.Errorf("admin's keys %v lack %s", keys, want)
		}
	}
	member, _ := e.svc.Access(ctx, bob.ID, o.ID)
	keys, err = e.svc.PermissionKeys(ctx, member)
	if err != nil || !slices.Equal(keys, []string{orgs.PermMembersRead}) {
		t.Fatalf("member's keys = %v, %v", keys, err)
	}
}

func TestService_RoleNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	if _, err := e.svc.CreateRole(ctx, ann.ID, o.ID, core.Role{Key: "org:reader", Name: "Reader"}); err != nil {
		t.Fatal(err)
	}
	names, err := e.svc.RoleNames(ctx, o.ID)
	if err != nil || names[core.RoleAdmin] != "Admin" || names["org:manager"] != "Manager" || names["org:reader"] != "Reader" {
		t.Fatalf("RoleNames = %v, %v", names, err)
	}
	names, err = e.svc.RoleNames(ctx, "")
	if _, custom := names["org:reader"]; err != nil || custom || names[core.RoleMember] != "Member" {
		t.Fatalf("RoleNames without an organization = %v, %v", names, err)
	}
	names, _ = e.svc.RoleNames(ctx, e.org(ann, "b").ID)
	if _, leaked := names["org:reader"]; leaked {
		t.Fatal("another organization's role is named")
	}
}

func TestRoles_Keys(t *testing.T) {
	t.Parallel()
	roles, err := orgs.NewRoles(nil, []core.Permission{{Key: "org:invoices:write", Name: "Write invoices"}})
	if err != nil {
		t.Fatal(err)
	}
	all := roles.Keys(orgs.AllPermissions())
	if len(all) != len(roles.Permissions()) || !slices.IsSorted(all) || !slices.Contains(all, "org:invoices:write") {
		t.Fatalf("admin's keys = %v", all)
	}
	member, _ := roles.Set(core.RoleMember)
	if got := roles.Keys(member); !slices.Equal(got, []string{orgs.PermMembersRead}) {
		t.Fatalf("member's keys = %v", got)
	}
}

func TestRoles_CanBeDefault(t *testing.T) {
	t.Parallel()
	roles, err := orgs.NewRoles([]core.Role{{Key: "org:guest", Name: "Guest"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{core.RoleMember: true, "org:guest": true, core.RoleAdmin: false, "org:nobody": false, "": false} {
		if got := roles.CanBeDefault(key); got != want {
			t.Errorf("CanBeDefault(%q) = %v, want %v", key, got, want)
		}
	}
}

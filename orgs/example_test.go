package orgs_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/orgs"
	"github.com/embedauth/auth/store"
)

// An app's roles: a billing role that may read and write invoices.
func ExampleNewRoles() {
	roles, err := orgs.NewRoles(
		[]core.Role{{Key: "org:billing", Name: "Billing", Permissions: []string{"org:invoices:read", "org:invoices:write"}}},
		[]core.Permission{{Key: "org:invoices:read", Name: "Read invoices"}, {Key: "org:invoices:write", Name: "Write invoices"}},
	)
	if err != nil {
		log.Fatal(err)
	}
	billing, _ := roles.Set("org:billing")
	member, _ := roles.Set(core.RoleMember)
	admin, _ := roles.Set(core.RoleAdmin)
	fmt.Println(billing.Has("org:invoices:write"), member.Has("org:invoices:write"), admin.Has("org:invoices:write"))
	// A member who may only read members cannot grant billing.
	fmt.Println(member.Covers(billing), admin.Covers(billing))
	// Output:
	// true false true
	// false true
}

// Creating an organization and inviting someone, over the SQLite store.
// The invitation's mail is queued in the same transaction as the
// invitation; here it carries only the link.
func ExampleService_Invite() {
	dir, _ := os.MkdirTemp("", "orgs-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "app.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	roles, _ := orgs.NewRoles(nil, nil)
	svc := orgs.New[*store.OutMail](db, roles, orgs.Config{EmailKey: store.EmailKey})

	ann, _ := db.CreateUser(ctx, store.NewUser{Email: "ann@example.com", EmailVerified: true})
	org, _, err := svc.Create(ctx, ann, orgs.OrgInput{Name: "Acme, Inc."})
	if err != nil {
		log.Fatal(err)
	}
	var token string
	inv, err := svc.Invite(ctx, ann, org.ID, orgs.InviteInput{Email: "bob@example.com"},
		func(inv core.Invitation, org core.Org, t string) (*store.OutMail, error) {
			token = t
			link := "https://example.com/auth/orgs/invitation?token=" + t
			return &store.OutMail{To: inv.Email, Template: "org_invitation", Body: []byte(link)}, nil
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(org.Slug, inv.Email, inv.Role, inv.Status)

	// Only bob can accept it, once. To anyone else it is an unknown
	// invitation.
	eve, _ := db.CreateUser(ctx, store.NewUser{Email: "eve@example.com", EmailVerified: true})
	_, _, err = svc.Accept(ctx, eve, orgs.HashToken(token))
	fmt.Println(err)
	bob, _ := db.CreateUser(ctx, store.NewUser{Email: "bob@example.com", EmailVerified: true})
	_, m, _ := svc.Accept(ctx, bob, orgs.HashToken(token))
	fmt.Println(m.Role)
	_, _, err = svc.Accept(ctx, bob, orgs.HashToken(token))
	fmt.Println(err)
	// Output:
	// acme-inc bob@example.com org:member pending
	// invitation_not_found: That invitation does not exist.
	// org:member
	// invitation_used: This invitation has already been used.
}

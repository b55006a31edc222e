package auth_test

import (
	"fmt"
	"net/http"

	auth "github.com/embedauth/auth"
)

// Roles and permissions of the app's own, and a handler that checks them
// in the request's active organization.
func ExampleHas() {
	cfg := auth.Config{
		Organizations: auth.OrganizationsConfig{
			Permissions: []auth.OrgPermission{{Key: "org:invoices:write", Name: "Write invoices"}},
			Roles:       []auth.OrgRole{{Key: "org:billing", Name: "Billing", Permissions: []string{"org:invoices:write"}}},
		},
	}
	_ = cfg // pass to auth.New

	invoices := func(w http.ResponseWriter, r *http.Request) {
		org, role, ok := auth.OrgFrom(r.Context())
		if !ok {
			http.Error(w, "choose an organization", http.StatusForbidden)
			return
		}
		if !auth.Has(r.Context(), "org:invoices:write") { // admins and billing
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "invoices of %s (you are %s)", org.Name, role)
	}
	_ = invoices // or guard it: a.RequirePermission("org:invoices:write", http.HandlerFunc(invoices))
}

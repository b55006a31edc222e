package orgs_test

import (
	"testing"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// The code's mail goes to the address as checked: compose gets it, and a
// code typed with spaces around it verifies.
func TestService_DomainCodeAddressAndSpaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.com")
	o := e.org(ann, "a")
	d, err := e.svc.AddDomain(ctx, ann.ID, o.ID, "acme.test", "")
	if err != nil {
		t.Fatal(err)
	}
	var to, code string
	_, err = e.svc.SendDomainCode(ctx, ann.ID, o.ID, d.ID, "  it@acme.test \n", func(d core.Domain, _ core.Org, c string) (*store.OutMail, error) {
		to, code = d.AffiliationEmail, c
		return &store.OutMail{To: d.AffiliationEmail, Template: "org_domain_code", Body: []byte("sealed")}, nil
	})
	if err != nil || to != "it@acme.test" {
		t.Fatalf("compose saw address %q (%v), want it@acme.test", to, err)
	}
	v, err := e.svc.VerifyDomain(ctx, ann.ID, o.ID, d.ID, " "+code+"\t")
	if err != nil || !v.Verified {
		t.Fatalf("VerifyDomain with spaces = %+v, %v", v, err)
	}
}

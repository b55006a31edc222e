package orgs_test

import (
	"testing"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/orgs"
)

// TestCleanLogoURL_HTTPSOnPublicNamesOnly: a logo is an https URL on a
// domain name; plain http (localhost included) and hosts that make
// members' browsers reach into their own machine or network are refused.
func TestCleanLogoURL_HTTPSOnPublicNamesOnly(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{
		"https://cdn.example.com/logo.png",
		"https://CDN.Example.COM./logo.png?v=2",
		"https://cdn.example.com:8443/a.svg",
		"https://cdn.acme-oa.test/l.png",
		"https://xn--bcher-kva.example/logo.png",
		"https://logo.xn--p1ai/logo.png",
		"",
	} {
		if got, err := orgs.CleanLogoURL(ok); err != nil || got != ok {
			t.Errorf("CleanLogoURL(%q) = %q, %v; want it accepted", ok, got, err)
		}
	}
	for _, bad := range []string{
		"http://127.0.0.1:22/",
		"http://localhost:8080/logo.png",
		"http://cdn.example.com/logo.png",
		"https://127.0.0.1:22/",
		"https://127.1/",
		"https://2130706433/",
		"https://0x7f000001/",
		"https://0x7f.0.0.1/",
		"https://10.0.0.1/logo.png",
		"https://169.254.169.254/latest",
		"https://[::1]/logo.png",
		"https://[::ffff:127.0.0.1]/logo.png",
		"https://localhost/logo.png",
		"https://localhost./logo.png",
		"https://printer.localhost/logo.png",
		"https://intranet/logo.png",
		"https://%31%32%37.0.0.1/logo.png",
		"https://１２７.０.０.１/logo.png",
		"https://bücher.example/logo.png",
		"https://user@cdn.example.com/a.png",
		"javascript:alert(1)",
		"data:image/png;base64,AAAA",
		"//cdn.example.com/logo.png",
		"/relative.png",
	} {
		got, err := orgs.CleanLogoURL(bad)
		wantRefusal(t, err, core.ErrInvalidInput, "invalid_logo_url")
		if got != "" {
			t.Errorf("CleanLogoURL(%q) returned %q with its refusal", bad, got)
		}
	}
}

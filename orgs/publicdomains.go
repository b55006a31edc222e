package orgs

import (
	_ "embed"
	"strings"
	"sync"
)

// public_domains.txt lists mail domains anyone can get an address at, one
// per line. An organization cannot claim them: a verified address there
// says nothing about belonging to a company.
//
//go:embed public_domains.txt
var publicDomainsTxt string

// publicDomains returns the parsed list, parsed at its first use (not at
// the start of every app); it never changes.
var publicDomains = sync.OnceValue(func() map[string]bool { return parseDomainList(publicDomainsTxt) })

func parseDomainList(text string) map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}

// IsPublicDomain reports whether domain (lower case) is a public mail
// provider, such as gmail.com, or a subdomain of one.
func IsPublicDomain(domain string) bool {
	m := publicDomains()
	for d := domain; d != ""; {
		if m[d] {
			return true
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok {
			break
		}
		d = rest
	}
	return false
}

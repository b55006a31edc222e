package signup

import (
	"bufio"
	_ "embed"
	"strings"
)

//go:embed disposable_domains.txt
var disposableList string

// DisposableDomains returns the disposable-email domains shipped with the
// package, in the order of its list.
func DisposableDomains() []string { return ParseDomains(disposableList) }

// ParseDomains reads one domain or address a line; blank lines and lines
// starting with # are skipped, and entries are lower-cased.
func ParseDomains(text string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.ToLower(strings.TrimSpace(sc.Text()))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}

// DomainSet is a set of domains that also matches their subdomains.
type DomainSet map[string]struct{}

// NewDomainSet returns the set of domains, lower-cased, without a
// leading "@" or ".".
func NewDomainSet(domains ...[]string) DomainSet {
	s := DomainSet{}
	for _, list := range domains {
		for _, d := range list {
			d = strings.Trim(strings.ToLower(strings.TrimSpace(d)), "@.")
			if d != "" {
				s[d] = struct{}{}
			}
		}
	}
	return s
}

// Contains reports whether domain or one of its parent domains is in s.
func (s DomainSet) Contains(domain string) bool {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	for domain != "" {
		if _, ok := s[domain]; ok {
			return true
		}
		_, rest, found := strings.Cut(domain, ".")
		if !found {
			return false
		}
		domain = rest
	}
	return false
}

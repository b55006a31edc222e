package web

import (
	"fmt"
	"slices"
	"time"

	"github.com/embedauth/auth/token"
)

// maxSessionTokenLifetime bounds Tokens.SessionTokenLifetime.
const maxSessionTokenLifetime = 10 * time.Minute

// tokenDefaults fills the token settings and reports every problem,
// templates included.
func (s *settings) tokenDefaults() []error {
	var errs []error
	t := &s.Tokens
	t.Templates = slices.Clone(t.Templates)
	if t.Algorithm == "" {
		t.Algorithm = token.ES256
	}
	if t.Algorithm != token.ES256 && t.Algorithm != token.RS256 && t.Algorithm != token.EdDSA {
		errs = append(errs, fmt.Errorf("Tokens.Algorithm %q is not one of ES256, RS256, EdDSA", t.Algorithm))
	}
	if t.SessionTokenLifetime == 0 {
		t.SessionTokenLifetime = token.DefaultSessionLifetime
	}
	if t.SessionTokenLifetime < time.Second || t.SessionTokenLifetime > maxSessionTokenLifetime {
		errs = append(errs, fmt.Errorf("Tokens.SessionTokenLifetime %v is not between 1s and %v", t.SessionTokenLifetime, maxSessionTokenLifetime))
	}
	seen := map[string]bool{}
	for _, tpl := range t.Templates {
		if _, err := token.Compile(tpl); err != nil {
			errs = append(errs, fmt.Errorf("Tokens.Templates: %w", err))
		}
		if seen[tpl.Name] {
			errs = append(errs, fmt.Errorf("Tokens.Templates: the name %q is used twice", tpl.Name))
		}
		seen[tpl.Name] = true
	}
	return errs
}

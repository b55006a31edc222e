package web

import (
	"fmt"
	"slices"
	"time"

	"github.com/embedauth/auth/token"
)

// TokensConfig configures the JWTs embedauth mints: session tokens for the
// app's own API (GET Path+"/api/token", accepted as "Authorization:
// Bearer" by Middleware) and JWT templates for other services. The zero
// value works.
type TokensConfig struct {
	// Algorithm is the algorithm of the signing keys: token.ES256
	// (default), token.RS256 or token.EdDSA. A key is generated on first
	// start; when the current key has another algorithm, New rotates to a
	// new key of this one.
	Algorithm string
	// SessionTokenLifetime is how long a session token lives. Default 60 s,
	// at most 10 minutes: a revoked session's tokens are refused by other
	// services only when they expire.
	SessionTokenLifetime time.Duration
	// Templates are named JWT templates for other services, minted by
	// GET Path+"/api/token?template=NAME". Administrators may store more
	// through the API, under other names. A template with a problem (an
	// unknown shortcode, a registered claim, a short secret) makes New fail.
	Templates []JWTTemplate
}

// JWTTemplate describes a JWT for another service: see [token.Template].
type JWTTemplate = token.Template

// JWTClaimsInput is what a template's Func computes claims from: the
// user, the session and its active organization.
type JWTClaimsInput = token.Input

// TokenClaims are the claims of a verified token.
type TokenClaims = token.Claims

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

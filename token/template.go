package token

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/embedauth/auth/core"
)

// Template describes a JWT for another service (Supabase, Convex, Hasura
// and the like), minted by GET /auth/api/token?template=NAME.
type Template struct {
	// Name identifies the template: 1 to 64 letters, digits, "-" or "_".
	Name string
	// Claims are the token's own claims. Any string in them may hold
	// shortcodes such as "{{user.email}}", replaced when a token is minted
	// (see the package documentation for the list). A string that is
	// exactly one shortcode takes the value's type (a bool, a number, an
	// object); otherwise the values are written into the string. The
	// registered claims iss, sub, aud, exp, nbf, iat, jti, sid and azp are
	// set by embedauth and may not appear here.
	Claims map[string]any
	// Lifetime is how long tokens live: 1 s to 24 h, default 60 s.
	Lifetime time.Duration
	// Issuer becomes "iss". Default embedauth's issuer (BaseURL + Path).
	Issuer string
	// Audience becomes "aud" when not empty.
	Audience []string
	// Algorithm is empty (sign with embedauth's signing key, verifiable
	// with the JWKS) or HS256 (sign with Secret, which the other service
	// shares).
	Algorithm string
	// Secret is the HS256 key, at least 32 bytes; only with HS256.
	Secret []byte
	// Func, when set, adds claims computed in Go, for conditional claims
	// that shortcodes cannot express. Its claims override Claims; it may
	// not set registered claims. Only templates in Config have one.
	Func ClaimsFunc
}

// ClaimsFunc computes claims for a token from typed input.
type ClaimsFunc func(ctx context.Context, in Input) (map[string]any, error)

// Input is what a template's claims are made from.
type Input struct {
	User    core.User
	Session core.Session
	// Org is the session's active organization, nil when none.
	Org *Org
}

// registeredClaims are set by embedauth; templates may not set them.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "azp", "act"}

// MaxTemplateLifetime bounds a template's Lifetime.
const MaxTemplateLifetime = 24 * time.Hour

var templateName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Shortcodes returns the shortcodes a template's claims may use. Metadata
// shortcodes may go deeper, as in "{{user.public_metadata.plan.tier}}".
// Private metadata is never available: tokens reach the browser.
func Shortcodes() []string { return slices.Clone(shortcodes) }

var shortcodes = []string{
	"user.id", "user.email", "user.email_verified", "user.name", "user.created_at", "user.updated_at",
	"user.public_metadata", "user.unsafe_metadata",
	"session.id", "session.auth_method", "session.created_at",
	"org.id", "org.slug", "org.role", "org.permissions",
}

// CompiledTemplate is a checked Template, ready to mint tokens. It is
// immutable and safe for concurrent use.
type CompiledTemplate struct {
	t         Template
	claims    any             // the claims with shortcode strings compiled
	rawClaims json.RawMessage // the claims as given, as JSON
	hmac      jose.Signer
}

// Compile checks t and prepares it. Every problem (a bad name or lifetime,
// a registered claim, an unknown shortcode, a secret without HS256) is
// reported at once, naming the template and the claim.
func Compile(t Template) (*CompiledTemplate, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("template %q: "+format, append([]any{t.Name}, args...)...))
	}
	if !templateName.MatchString(t.Name) {
		bad("the name must be 1 to 64 letters, digits, '-' or '_'")
	}
	switch {
	case t.Lifetime == 0:
		t.Lifetime = 60 * time.Second
	case t.Lifetime < time.Second || t.Lifetime > MaxTemplateLifetime:
		bad("lifetime %v is not between 1s and 24h", t.Lifetime)
	}
	switch t.Algorithm {
	case "":
		if len(t.Secret) > 0 {
			bad("a secret needs algorithm HS256")
		}
	case HS256:
		if len(t.Secret) < 32 {
			bad("the HS256 secret must be at least 32 bytes")
		}
	default:
		bad("algorithm %q: leave it empty to sign with the signing key, or set HS256 with a secret", t.Algorithm)
	}
	if len(t.Issuer) > 512 {
		bad("the issuer is longer than 512 bytes")
	}
	for _, a := range t.Audience {
		if a == "" || len(a) > 512 {
			bad("an audience is empty or longer than 512 bytes")
		}
	}
	// Normalise the claims to what JSON gives, so Go values of any type
	// (a []string, a struct) are checked and copied the same way.
	var claims any = map[string]any{}
	rawClaims := json.RawMessage("{}")
	if len(t.Claims) > 0 {
		b, err := json.Marshal(t.Claims)
		rawClaims = b
		if err != nil {
			bad("the claims are not JSON: %v", err)
		} else {
			if len(b) > 8<<10 {
				bad("the claims are larger than 8 KB")
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&claims); err != nil {
				bad("the claims are not JSON: %v", err)
			}
		}
	}
	if m, ok := claims.(map[string]any); ok {
		for _, name := range slices.Sorted(maps.Keys(m)) {
			if slices.Contains(registeredClaims, name) {
				bad("claim %q is a registered claim that embedauth sets", name)
			}
		}
		c, err := compileValue(m, "")
		if err != nil {
			errs = append(errs, fmt.Errorf("template %q: %w", t.Name, err))
		}
		claims = c
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ct := &CompiledTemplate{t: t, claims: claims, rawClaims: rawClaims}
	ct.t.Claims = nil
	ct.t.Audience = slices.Clone(t.Audience)
	ct.t.Secret = slices.Clone(t.Secret)
	if t.Algorithm == HS256 {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: ct.t.Secret}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			return nil, fmt.Errorf("template %q: %w", t.Name, err)
		}
		ct.hmac = s
	}
	return ct, nil
}

// Name returns the template's name.
func (c *CompiledTemplate) Name() string { return c.t.Name }

// Lifetime returns the lifetime of its tokens.
func (c *CompiledTemplate) Lifetime() time.Duration { return c.t.Lifetime }

// ClaimsJSON returns the template's claims as given, as JSON, shortcodes
// unresolved.
func (c *CompiledTemplate) ClaimsJSON() json.RawMessage { return slices.Clone(c.rawClaims) }

// Template returns the template as given, without Claims (which were
// compiled) and with Secret.
func (c *CompiledTemplate) Template() Template {
	t := c.t
	t.Audience = slices.Clone(t.Audience)
	t.Secret = slices.Clone(t.Secret)
	return t
}

// templateString is a string with shortcodes: literal text and shortcode
// paths alternate in parts, starting with text.
type templateString struct {
	parts []string
}

var errShortcode = errors.New("unknown shortcode")

// compileValue replaces strings holding shortcodes by *templateString.
func compileValue(v any, at string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		var errs []error
		for _, k := range slices.Sorted(maps.Keys(v)) {
			c, err := compileValue(v[k], join(at, k))
			errs = append(errs, err)
			out[k] = c
		}
		return out, errors.Join(errs...)
	case []any:
		out := make([]any, len(v))
		var errs []error
		for i, x := range v {
			c, err := compileValue(x, fmt.Sprintf("%s[%d]", at, i))
			errs = append(errs, err)
			out[i] = c
		}
		return out, errors.Join(errs...)
	case string:
		if !strings.Contains(v, "{{") && !strings.Contains(v, "}}") {
			return v, nil
		}
		ts, err := parseTemplateString(v)
		if err != nil {
			return nil, fmt.Errorf("claim %q: %w", at, err)
		}
		return ts, nil
	}
	return v, nil
}

func join(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

func parseTemplateString(s string) (*templateString, error) {
	ts := &templateString{}
	rest := s
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if strings.Contains(rest, "}}") {
				return nil, fmt.Errorf("%q has \"}}\" without \"{{\"", s)
			}
			ts.parts = append(ts.parts, rest)
			return ts, nil
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("%q has \"{{\" without \"}}\"", s)
		}
		if strings.Contains(rest[:open], "}}") {
			return nil, fmt.Errorf("%q has \"}}\" without \"{{\"", s)
		}
		path := strings.TrimSpace(rest[open+2 : open+end])
		if !knownShortcode(path) {
			return nil, fmt.Errorf("%w {{%s}}; known: %s, and paths under user.public_metadata and user.unsafe_metadata",
				errShortcode, path, strings.Join(shortcodes, ", "))
		}
		ts.parts = append(ts.parts, rest[:open], path)
		rest = rest[open+end+2:]
	}
}

func knownShortcode(path string) bool {
	if slices.Contains(shortcodes, path) {
		return true
	}
	for _, prefix := range []string{"user.public_metadata.", "user.unsafe_metadata."} {
		if sub, ok := strings.CutPrefix(path, prefix); ok {
			return !slices.Contains(strings.Split(sub, "."), "")
		}
	}
	return false
}

// resolve returns a shortcode's value for in.
func resolve(path string, in Input) any {
	u, s := in.User, in.Session
	switch path {
	case "user.id":
		return u.ID
	case "user.email":
		return u.Email
	case "user.email_verified":
		return u.EmailVerified
	case "user.name":
		return u.Name
	case "user.created_at":
		return u.CreatedAt.Unix()
	case "user.updated_at":
		return u.UpdatedAt.Unix()
	case "session.id":
		return s.ID
	case "session.auth_method":
		return s.AuthMethod
	case "session.created_at":
		return s.CreatedAt.Unix()
	case "org.id", "org.slug", "org.role", "org.permissions":
		if in.Org == nil {
			return nil
		}
		switch path {
		case "org.id":
			return in.Org.ID
		case "org.slug":
			return in.Org.Slug
		case "org.role":
			return in.Org.Role
		}
		if in.Org.Permissions == nil {
			return []string{}
		}
		return in.Org.Permissions
	}
	var meta json.RawMessage
	var sub string
	switch {
	case strings.HasPrefix(path, "user.public_metadata"):
		meta, sub = u.PublicMetadata, strings.TrimPrefix(path, "user.public_metadata")
	case strings.HasPrefix(path, "user.unsafe_metadata"):
		meta, sub = u.UnsafeMetadata, strings.TrimPrefix(path, "user.unsafe_metadata")
	default:
		return nil
	}
	var v any = map[string]any{}
	if len(meta) > 0 {
		dec := json.NewDecoder(bytes.NewReader(meta))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return nil
		}
	}
	for _, key := range strings.Split(strings.TrimPrefix(sub, "."), ".") {
		if key == "" {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

func (ts *templateString) render(in Input) (any, error) {
	if len(ts.parts) == 3 && ts.parts[0] == "" && ts.parts[2] == "" {
		return resolve(ts.parts[1], in), nil // exactly one shortcode: keep the type
	}
	var sb strings.Builder
	for i, p := range ts.parts {
		if i%2 == 0 {
			sb.WriteString(p)
			continue
		}
		switch v := resolve(p, in).(type) {
		case nil:
		case string:
			sb.WriteString(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			sb.Write(b)
		}
	}
	return sb.String(), nil
}

func renderValue(v any, in Input) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			r, err := renderValue(x, in)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			r, err := renderValue(x, in)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case *templateString:
		return v.render(in)
	}
	return v, nil
}

// Claims returns the template's claims for in: its shortcodes resolved and
// Func's claims added, without the registered claims.
func (c *CompiledTemplate) Claims(ctx context.Context, in Input) (map[string]any, error) {
	r, err := renderValue(c.claims, in)
	if err != nil {
		return nil, fmt.Errorf("token: template %q: %w", c.t.Name, err)
	}
	out, _ := r.(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	if c.t.Func != nil {
		extra, err := c.t.Func(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("token: template %q: %w", c.t.Name, err)
		}
		for k, v := range extra {
			if slices.Contains(registeredClaims, k) {
				return nil, fmt.Errorf("token: template %q: its Func set the registered claim %q", c.t.Name, k)
			}
			out[k] = v
		}
	}
	return out, nil
}

// Sign mints a token from the template for in at now: its claims plus
// iss (the template's, else issuer), sub (the user), aud, iat, nbf, exp
// and a random jti; azp when authorizedParty is set. Templates without
// an algorithm are signed with keys' current key, HS256 ones with their
// secret.
func (c *CompiledTemplate) Sign(ctx context.Context, keys *Keys, in Input, issuer, authorizedParty string, now time.Time) (string, time.Time, error) {
	claims, err := c.Claims(ctx, in)
	if err != nil {
		return "", time.Time{}, err
	}
	iat := now.Truncate(time.Second)
	exp := iat.Add(c.t.Lifetime)
	if c.t.Issuer != "" {
		issuer = c.t.Issuer
	}
	claims["iss"] = issuer
	claims["sub"] = in.User.ID
	claims["iat"] = iat.Unix()
	claims["nbf"] = iat.Add(-notBeforeSkew).Unix()
	claims["exp"] = exp.Unix()
	claims["jti"] = core.NewID("jwt")
	if in.Session.ActorID != "" { // an impersonation: RFC 8693 "act"
		claims["act"] = Actor{Subject: in.Session.ActorID}
	}
	if authorizedParty != "" {
		claims["azp"] = authorizedParty
	}
	switch len(c.t.Audience) {
	case 0:
	case 1:
		claims["aud"] = c.t.Audience[0]
	default:
		claims["aud"] = c.t.Audience
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token: template %q: %w", c.t.Name, err)
	}
	if c.hmac == nil {
		tok, err := keys.sign(ctx, payload)
		return tok, exp, err
	}
	jws, err := c.hmac.Sign(payload)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token: template %q: %w", c.t.Name, err)
	}
	tok, err := jws.CompactSerialize()
	return tok, exp, err
}

// NewSecret returns 32 random bytes, for an HS256 template.
func NewSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

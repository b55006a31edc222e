package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Errors of [Verify]. Every error it returns wraps exactly one of them.
var (
	// ErrMalformed means the token is not a compact JWS with a JSON
	// header and claims, or is longer than MaxTokenSize.
	ErrMalformed = errors.New("malformed token")
	// ErrAlgorithm means the "alg" header is not allowed, or is not the
	// algorithm of the key the token names.
	ErrAlgorithm = errors.New("algorithm not allowed")
	// ErrHeader means a header names a key source embedauth never trusts
	// ("jku", "jwk", "x5u", "x5c") or has no "kid".
	ErrHeader = errors.New("header not allowed")
	// ErrType means the "typ" header is not the expected one.
	ErrType = errors.New("wrong token type")
	// ErrUnknownKey means no key with the token's "kid" is known.
	ErrUnknownKey = errors.New("unknown key")
	// ErrSignature means the signature does not verify.
	ErrSignature = errors.New("invalid signature")
	// ErrExpired means "exp" has passed (or is missing).
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid means "nbf" or "iat" is in the future.
	ErrNotYetValid = errors.New("token not yet valid")
	// ErrIssuer means "iss" is not the expected issuer.
	ErrIssuer = errors.New("wrong issuer")
	// ErrAudience means "aud" does not hold the expected audience, or the
	// token has an audience and none was expected.
	ErrAudience = errors.New("wrong audience")
)

// MaxTokenSize bounds the tokens Verify reads; longer input is refused
// before any parsing.
const MaxTokenSize = 16 << 10

// KeySource finds verification keys by id. [*Keys] (an embedauth's own
// keys) and [*RemoteKeySet] (a JWKS fetched by URL) are KeySources.
type KeySource interface {
	// VerificationKey returns the public key with id kid and the one
	// algorithm it verifies, or an error wrapping ErrUnknownKey.
	VerificationKey(ctx context.Context, kid string) (key crypto.PublicKey, alg string, err error)
}

// VerifyOptions say what [Verify] accepts.
type VerifyOptions struct {
	// Keys finds the key named by the token's "kid". Required. Keys come
	// only from here: "jku", "jwk", "x5u" and "x5c" headers are refused.
	Keys KeySource
	// Issuer is the exact "iss" required, such as
	// "https://example.com/auth". Required.
	Issuer string
	// Audience, when set, must be one of the token's "aud" values. When
	// empty, a token that has an audience is refused: it was made for
	// someone else (a JWT template's service).
	Audience string
	// Algorithms is the "alg" allowlist. Default ES256, RS256 and EdDSA.
	// "none" and HS256 are never accepted: KeySources hold public keys.
	Algorithms []string
	// Type is the required "typ" header. Default "JWT".
	Type string
	// Leeway is the clock skew allowed on exp, nbf and iat. Default 5 s;
	// negative means none.
	Leeway time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Verify checks a token and returns its claims: the size and shape, the
// header (allowed "alg" matching the key's own algorithm, "typ", a "kid"
// and no key-carrying headers), the signature with the key from
// opts.Keys, then "exp" (required), "nbf", "iat", "iss" and "aud".
//
// It is what a separate Go service imports to accept embedauth's tokens:
//
//	keys := token.NewRemoteKeySet("https://example.com/auth/.well-known/jwks.json", nil)
//	claims, err := token.Verify(ctx, raw, token.VerifyOptions{Keys: keys, Issuer: "https://example.com/auth"})
func Verify(ctx context.Context, raw string, opts VerifyOptions) (*Claims, error) {
	if opts.Keys == nil || opts.Issuer == "" {
		return nil, errors.New("token: verify: VerifyOptions.Keys and Issuer are required")
	}
	// Refuse oversize and misshapen input before any decoding (a megabyte
	// of dots costs one bounded scan).
	if raw == "" || len(raw) > MaxTokenSize || strings.Count(raw, ".") != 2 || raw[0] == '.' || strings.Contains(raw, "..") {
		return nil, fmt.Errorf("token: %w", ErrMalformed)
	}
	algs := opts.Algorithms
	if len(algs) == 0 {
		algs = keyAlgorithms
	}
	allowed := make([]jose.SignatureAlgorithm, 0, len(algs))
	for _, a := range algs {
		if validKeyAlgorithm(a) {
			allowed = append(allowed, jose.SignatureAlgorithm(a))
		}
	}
	if len(allowed) == 0 {
		return nil, fmt.Errorf("token: verify: no allowed algorithm in %v: %w", algs, ErrAlgorithm)
	}
	jws, err := jose.ParseSignedCompact(raw, allowed)
	if err != nil {
		var algErr *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &algErr) {
			return nil, fmt.Errorf("token: %w", ErrAlgorithm)
		}
		return nil, fmt.Errorf("token: %w", ErrMalformed)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("token: %w", ErrMalformed)
	}
	h := jws.Signatures[0].Header
	if err := checkHeader(h, opts.Type); err != nil {
		return nil, err
	}
	key, keyAlg, err := opts.Keys.VerificationKey(ctx, h.KeyID)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return nil, fmt.Errorf("token: %w", ErrUnknownKey)
		}
		return nil, fmt.Errorf("token: verification key: %w", err)
	}
	if keyAlg != h.Algorithm || keyAlgorithm(key) != keyAlg {
		return nil, fmt.Errorf("token: %w", ErrAlgorithm)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("token: %w", ErrSignature)
	}
	var w wireClaims
	if err := json.Unmarshal(payload, &w); err != nil {
		return nil, fmt.Errorf("token: claims: %w", ErrMalformed)
	}
	if err := checkClaims(&w, opts); err != nil {
		return nil, err
	}
	return w.claims(payload), nil
}

// checkHeader refuses headers that would let the token choose its own key,
// a missing kid, and the wrong typ.
func checkHeader(h jose.Header, typ string) error {
	if h.JSONWebKey != nil {
		return fmt.Errorf("token: jwk: %w", ErrHeader)
	}
	// An x5c header is parsed by go-jose, not left in ExtraHeaders; an
	// empty root pool makes any chain fail fast.
	if _, err := h.Certificates(x509.VerifyOptions{Roots: x509.NewCertPool()}); !errors.Is(err, jose.ErrMissingX5cHeader) {
		return fmt.Errorf("token: x5c: %w", ErrHeader)
	}
	for _, name := range []jose.HeaderKey{"jku", "x5u", "x5c", "jwk", "b64"} {
		if _, ok := h.ExtraHeaders[name]; ok {
			return fmt.Errorf("token: %s: %w", name, ErrHeader)
		}
	}
	if h.KeyID == "" {
		return fmt.Errorf("token: no kid: %w", ErrHeader)
	}
	if typ == "" {
		typ = "JWT"
	}
	got, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !strings.EqualFold(got, typ) && !strings.EqualFold(got, "application/"+typ) {
		return fmt.Errorf("token: typ %q: %w", got, ErrType)
	}
	return nil
}

func checkClaims(w *wireClaims, opts VerifyOptions) error {
	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	leeway := opts.Leeway
	switch {
	case leeway == 0:
		leeway = 5 * time.Second
	case leeway < 0:
		leeway = 0
	}
	if !w.Expiry.set || !now.Before(w.Expiry.t.Add(leeway)) {
		return fmt.Errorf("token: %w", ErrExpired)
	}
	if w.NotBefore.set && now.Add(leeway).Before(w.NotBefore.t) {
		return fmt.Errorf("token: nbf: %w", ErrNotYetValid)
	}
	if w.IssuedAt.set && now.Add(leeway).Before(w.IssuedAt.t) {
		return fmt.Errorf("token: iat: %w", ErrNotYetValid)
	}
	if w.Issuer != opts.Issuer {
		return fmt.Errorf("token: %w", ErrIssuer)
	}
	switch {
	case opts.Audience == "" && len(w.Audience) > 0:
		return fmt.Errorf("token: unexpected audience: %w", ErrAudience)
	case opts.Audience != "" && !slices.Contains(w.Audience, opts.Audience):
		return fmt.Errorf("token: %w", ErrAudience)
	}
	return nil
}

// keyAlgorithm is the one algorithm a public key verifies.
func keyAlgorithm(key crypto.PublicKey) string {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return ES256
		}
	case *rsa.PublicKey:
		if k.N.BitLen() >= 2048 {
			return RS256
		}
	case ed25519.PublicKey:
		return EdDSA
	}
	return ""
}

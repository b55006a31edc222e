package token_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/embedauth/auth/token"
)

// staticKeys is a KeySource over keys the test holds.
type staticKeys map[string]struct {
	pub crypto.PublicKey
	alg string
}

func (s staticKeys) VerificationKey(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	k, ok := s[kid]
	if !ok {
		return nil, "", token.ErrUnknownKey
	}
	return k.pub, k.alg, nil
}

// forge signs claims with key under alg, with the given extra headers
// (and "typ": "JWT" unless typ is set in them).
func forge(tb testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any, headers map[jose.HeaderKey]any, embedJWK bool) string {
	tb.Helper()
	opts := &jose.SignerOptions{EmbedJWK: embedJWK, ExtraHeaders: map[jose.HeaderKey]any{"typ": "JWT"}}
	for k, v := range headers {
		if v == nil {
			delete(opts.ExtraHeaders, k)
			continue
		}
		opts.ExtraHeaders[k] = v
	}
	sk := jose.SigningKey{Algorithm: alg, Key: key}
	if kid != "" && !embedJWK {
		sk.Key = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	signer, err := jose.NewSigner(sk, opts)
	if err != nil {
		tb.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// rawToken assembles a token from a header, claims and signature by hand.
func rawToken(header, claims map[string]any, sig []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func hs256(key []byte, header, claims map[string]any) string {
	t := rawToken(header, claims, nil)
	signingInput := t[:strings.LastIndex(t, ".")]
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// TestT42_ForgedAndMalformedTokensRejected covers every forged token of
// SECURITY.md T42 against Verify, each with the error that names it.
func TestT42_ForgedAndMalformedTokensRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys := staticKeys{
		"ec": {ec.Public(), token.ES256},
		"rs": {rs.Public(), token.RS256},
		"ed": {ed.Public(), token.EdDSA},
	}
	opts := token.VerifyOptions{Keys: keys, Issuer: issuer, Now: func() time.Time { return now }}
	good := func() map[string]any {
		return map[string]any{"iss": issuer, "sub": "user_1", "sid": "sess_1", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	}
	with := func(k string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(rs.Public()))})
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(ec.Public()))})
	rsaJWK, _ := json.Marshal(jose.JSONWebKey{Key: rs.Public()})

	// The real thing passes, with each algorithm.
	for kid, key := range map[string]any{"ec": ec, "rs": rs, "ed": ed} {
		alg := jose.SignatureAlgorithm(keys[kid].alg)
		if _, err := token.Verify(ctx, forge(t, alg, key, kid, good(), nil, false), opts); err != nil {
			t.Fatalf("a valid %s token: %v", alg, err)
		}
	}

	tests := []struct {
		name string
		tok  string
		opts func(*token.VerifyOptions)
		want error
	}{
		{"alg none", rawToken(map[string]any{"alg": "none", "typ": "JWT", "kid": "ec"}, good(), nil), nil, token.ErrAlgorithm},
		{"alg None", rawToken(map[string]any{"alg": "None", "typ": "JWT", "kid": "ec"}, good(), nil), nil, token.ErrAlgorithm},
		{"HS256 keyed with the RSA public key (PEM)", hs256(rsaPEM, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "rs"}, good()), nil, token.ErrAlgorithm},
		{"HS256 keyed with the RSA public key (JWK)", hs256(rsaJWK, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "rs"}, good()), nil, token.ErrAlgorithm},
		{"HS256 keyed with the EC public key", hs256(ecPEM, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "ec"}, good()), nil, token.ErrAlgorithm},
		{"HS256 even when allowed by the caller", hs256(rsaPEM, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "rs"}, good()),
			func(o *token.VerifyOptions) { o.Algorithms = []string{"HS256", "RS256"} }, token.ErrAlgorithm},
		{"RS256 header on the EC key", forge(t, jose.RS256, rs, "ec", good(), nil, false), nil, token.ErrAlgorithm},
		{"ES256 header on the RSA key's kid", forge(t, jose.ES256, attacker, "rs", good(), nil, false), nil, token.ErrAlgorithm},
		{"algorithm outside the allowlist", forge(t, jose.RS256, rs, "rs", good(), nil, false),
			func(o *token.VerifyOptions) { o.Algorithms = []string{"ES256"} }, token.ErrAlgorithm},
		{"unknown kid", forge(t, jose.ES256, attacker, "attacker", good(), nil, false), nil, token.ErrUnknownKey},
		{"no kid", forge(t, jose.ES256, ec, "", good(), nil, false), nil, token.ErrHeader},
		{"attacker jku", forge(t, jose.ES256, attacker, "ec", good(), map[jose.HeaderKey]any{"jku": "https://evil.example/jwks.json"}, false), nil, token.ErrHeader},
		{"attacker x5u", forge(t, jose.ES256, attacker, "ec", good(), map[jose.HeaderKey]any{"x5u": "https://evil.example/cert.pem"}, false), nil, token.ErrHeader},
		{"attacker jwk", forge(t, jose.ES256, attacker, "", good(), nil, true), nil, token.ErrHeader},
		{"attacker jwk with our kid", rawToken(map[string]any{"alg": "ES256", "typ": "JWT", "kid": "ec",
			"jwk": json.RawMessage(must(json.Marshal(jose.JSONWebKey{Key: attacker.Public()})))}, good(), make([]byte, 64)), nil, token.ErrHeader},
		{"signed by the attacker with our kid", forge(t, jose.ES256, attacker, "ec", good(), nil, false), nil, token.ErrSignature},
		{"tampered claims", tamper(forge(t, jose.ES256, ec, "ec", good(), nil, false), with("sub", "user_admin")), nil, token.ErrSignature},
		{"expired", forge(t, jose.ES256, ec, "ec", with("exp", now.Add(-time.Minute).Unix()), nil, false), nil, token.ErrExpired},
		{"no exp", forge(t, jose.ES256, ec, "ec", with("exp", nil), nil, false), nil, token.ErrExpired},
		{"future nbf", forge(t, jose.ES256, ec, "ec", with("nbf", now.Add(time.Minute).Unix()), nil, false), nil, token.ErrNotYetValid},
		{"future iat", forge(t, jose.ES256, ec, "ec", with("iat", now.Add(time.Minute).Unix()), nil, false), nil, token.ErrNotYetValid},
		{"wrong iss", forge(t, jose.ES256, ec, "ec", with("iss", "https://evil.example"), nil, false), nil, token.ErrIssuer},
		{"no iss", forge(t, jose.ES256, ec, "ec", with("iss", nil), nil, false), nil, token.ErrIssuer},
		{"wrong aud", forge(t, jose.ES256, ec, "ec", with("aud", "other-service"), nil, false),
			func(o *token.VerifyOptions) { o.Audience = "my-service" }, token.ErrAudience},
		{"no aud when one is required", forge(t, jose.ES256, ec, "ec", good(), nil, false),
			func(o *token.VerifyOptions) { o.Audience = "my-service" }, token.ErrAudience},
		{"an audience where none is expected", forge(t, jose.ES256, ec, "ec", with("aud", []string{"hasura"}), nil, false), nil, token.ErrAudience},
		{"wrong typ", forge(t, jose.ES256, ec, "ec", good(), map[jose.HeaderKey]any{"typ": "at+jwt"}, false), nil, token.ErrType},
		{"no typ", forge(t, jose.ES256, ec, "ec", good(), map[jose.HeaderKey]any{"typ": nil}, false), nil, token.ErrType},
		{"a time claim that is a string", forge(t, jose.ES256, ec, "ec", with("exp", "tomorrow"), nil, false), nil, token.ErrMalformed},
		{"a huge exp", forge(t, jose.ES256, ec, "ec", with("exp", 1e300), nil, false), nil, token.ErrMalformed},
		{"claims not an object", rawToken(map[string]any{"alg": "ES256", "typ": "JWT", "kid": "ec"}, nil, make([]byte, 64)), nil, token.ErrSignature},
		{"two dots only", "..", nil, token.ErrMalformed},
		{"four parts", forge(t, jose.ES256, ec, "ec", good(), nil, false) + ".x", nil, token.ErrMalformed},
		{"bad base64", "!!!.???.***", nil, token.ErrMalformed},
		{"header not JSON", "bm90LWpzb24.e30.", nil, token.ErrMalformed},
		{"empty", "", nil, token.ErrMalformed},
		{"1 MB of dots", strings.Repeat(".", 1<<20), nil, token.ErrMalformed},
		{"1 MB of base64", strings.Repeat("A", 1<<20) + ".e30.", nil, token.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := opts
			if tt.opts != nil {
				tt.opts(&o)
			}
			claims, err := token.Verify(ctx, tt.tok, o)
			if !errors.Is(err, tt.want) || claims != nil {
				t.Fatalf("Verify = %v, %v; want %v", claims, err, tt.want)
			}
		})
	}
}

// countingKeys is a KeySource that counts its lookups: Verify looks a
// key up only after it has parsed the header.
type countingKeys struct {
	staticKeys
	lookups atomic.Int64
}

func (c *countingKeys) VerificationKey(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	c.lookups.Add(1)
	return c.staticKeys.VerificationKey(ctx, kid)
}

// TestT42_OversizeRefusedBeforeParsing checks that long input is refused
// by its size before it is parsed, rather than timing the refusal (which
// flakes on a loaded machine): a token valid in every other way is
// accepted at MaxTokenSize bytes and refused one padding byte longer as
// malformed, without its key being looked up, as are the megabytes of
// dots and base64.
func TestT42_OversizeRefusedBeforeParsing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys := &countingKeys{staticKeys: staticKeys{"ec": {ec.Public(), token.ES256}}}
	opts := token.VerifyOptions{Keys: keys, Issuer: issuer, Now: func() time.Time { return now }}
	padded := func(n int) string {
		return forge(t, jose.ES256, ec, "ec", map[string]any{"iss": issuer, "sub": "user_1", "exp": now.Add(time.Minute).Unix(),
			"pad": strings.Repeat("x", n)}, nil, false)
	}
	// The longest padding that fits (an ES256 signature has a fixed size,
	// so the length depends on the padding only).
	lo, hi := 0, token.MaxTokenSize
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if len(padded(mid)) <= token.MaxTokenSize {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	fits, over := padded(lo), padded(lo+1)
	if len(fits) > token.MaxTokenSize || len(over) <= token.MaxTokenSize {
		t.Fatalf("padding: %d and %d bytes around the limit %d", len(fits), len(over), token.MaxTokenSize)
	}
	if _, err := token.Verify(ctx, fits, opts); err != nil || keys.lookups.Load() != 1 {
		t.Fatalf("a valid %d-byte token: %v after %d key lookups, want accepted after 1", len(fits), err, keys.lookups.Load())
	}
	for name, tok := range map[string]string{
		"valid but one byte over": over,
		"1 MB of dots":            strings.Repeat(".", 1<<20),
		"1 MB of base64":          strings.Repeat("A", 1<<20) + ".e30.",
	} {
		keys.lookups.Store(0)
		if c, err := token.Verify(ctx, tok, opts); !errors.Is(err, token.ErrMalformed) || c != nil {
			t.Errorf("%s (%d bytes): accepted %v, error %v; want ErrMalformed", name, len(tok), c != nil, err)
		}
		if n := keys.lookups.Load(); n != 0 {
			t.Errorf("%s: %d key lookups; the size should refuse it before the header is read", name, n)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// tamper replaces a token's claims, keeping its header and signature.
func tamper(tok string, claims map[string]any) string {
	parts := strings.Split(tok, ".")
	c, _ := json.Marshal(claims)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(c) + "." + parts[2]
}

func TestVerify_OptionsRequired(t *testing.T) {
	t.Parallel()
	if _, err := token.Verify(context.Background(), "a.b.c", token.VerifyOptions{}); err == nil {
		t.Fatal("Verify without Keys and Issuer accepted the call")
	}
}

func TestVerify_AudienceAndLeeway(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys := staticKeys{"ec": {ec.Public(), token.ES256}}
	claims := map[string]any{"iss": issuer, "sub": "u", "aud": []string{"a", "b"}, "exp": now.Unix()}
	tok := forge(t, jose.ES256, ec, "ec", claims, nil, false)
	opts := token.VerifyOptions{Keys: keys, Issuer: issuer, Audience: "b", Now: func() time.Time { return now.Add(4 * time.Second) }}
	c, err := token.Verify(ctx, tok, opts)
	if err != nil || fmt.Sprint(c.Audience) != "[a b]" {
		t.Fatalf("within the default 5 s leeway: %v, %v", c, err)
	}
	opts.Leeway = -1
	if _, err := token.Verify(ctx, tok, opts); !errors.Is(err, token.ErrExpired) {
		t.Fatalf("without leeway: %v, want ErrExpired", err)
	}
}

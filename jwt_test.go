package auth_test

// Session tokens, Bearer authentication in the middleware, JWT templates,
// the JWKS and signing-key rotation, through a real Auth over HTTP.

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
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/internal/secretbox"
	"github.com/embedauth/auth/token"
)

// adminEnv is an Auth whose admins are the users named admin@...; its
// webhooks may reach 127.0.0.1.
func adminEnv(t testing.TB, opts ...authtest.Option) *authtest.Env {
	t.Helper()
	return authtest.New(t, append([]authtest.Option{func(c *auth.Config) {
		c.IsAdmin = func(u auth.User) bool { return strings.HasPrefix(u.Email, "admin@") }
		c.Webhooks.AllowedNetworks = []string{"127.0.0.1"}
	}}, opts...)...)
}

// jwtSignIn signs a new client in as email and returns it.
func jwtSignIn(t testing.TB, env *authtest.Env, email string) (*flClient, flMe) {
	t.Helper()
	c := flNew(t, env)
	pw := authtest.Password()
	env.CreateUser(t, email, pw)
	return c, c.signIn(email, pw)
}

type jwtTokenBody struct {
	Object    string    `json:"object"`
	JWT       string    `json:"jwt"`
	ExpiresAt time.Time `json:"expires_at"`
}

// jwtMint gets a token from GET /auth/api/token (with query q).
func jwtMint(t testing.TB, c *flClient, q string) string {
	t.Helper()
	var b jwtTokenBody
	c.get("/auth/api/token" + q).want(http.StatusOK).decode(&b)
	if b.Object != "token" || strings.Count(b.JWT, ".") != 2 {
		t.Fatalf("token answer %+v", b)
	}
	return b.JWT
}

// jwtClaims decodes a token's claims without verifying it.
func jwtClaims(t testing.TB, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// bearer calls the app's protected route "/" (authtest's RequireUser
// handler answers "user:ID") with only a bearer token.
func bearer(t testing.TB, env *authtest.Env, tok string) *flResp {
	t.Helper()
	return flNew(t, env).do(http.MethodGet, "/", "", nil, "Authorization", "Bearer "+tok, "Accept", "application/json")
}

func TestJWT_SessionTokenAndBearer(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c, me := jwtSignIn(t, env, "ann@example.com")
	now := env.Clock.Now()
	r := c.get("/auth/api/token").want(http.StatusOK)
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token answer Cache-Control %q, want no-store", cc)
	}
	var body jwtTokenBody
	r.decode(&body)
	claims := jwtClaims(t, body.JWT)
	iat := int64(claims["iat"].(float64))
	if claims["sub"] != me.User.ID || claims["sid"] != me.Session.ID || claims["iss"] != env.URL+"/auth" || claims["azp"] != env.URL ||
		iat != now.Unix() || int64(claims["exp"].(float64)) != iat+60 || int64(claims["nbf"].(float64)) > iat {
		t.Fatalf("claims = %v", claims)
	}
	if _, ok := claims["org_id"]; ok {
		t.Errorf("org claims without an active organization: %v", claims)
	}
	if !body.ExpiresAt.Equal(time.Unix(iat+60, 0)) {
		t.Errorf("expires_at %v", body.ExpiresAt)
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(body.JWT, ".")[0])
	var h map[string]any
	json.Unmarshal(header, &h)
	if h["alg"] != "ES256" || h["typ"] != "JWT" || h["kid"] == "" {
		t.Fatalf("header = %v", h)
	}

	// The bearer token authenticates the app's routes, without a cookie.
	bearer(t, env, body.JWT).want(http.StatusOK).contains("user:" + me.User.ID)
	// ... within its life (and the verifier's 5 s leeway) only.
	env.Clock.Advance(64 * time.Second)
	bearer(t, env, body.JWT).want(http.StatusOK)
	env.Clock.Advance(2 * time.Second)
	bearer(t, env, body.JWT).wantError(http.StatusUnauthorized, "unauthenticated")
	// A cookie is refreshed at will for a new token.
	fresh := jwtMint(t, c, "")
	bearer(t, env, fresh).want(http.StatusOK)

	// embedauth's own routes use the cookie only: a bearer token neither
	// mints tokens nor reads or changes the account.
	for _, path := range []string{"/auth/api/token", "/auth/api/me", "/auth/api/sessions"} {
		flNew(t, env).do(http.MethodGet, path, "", nil, "Authorization", "Bearer "+fresh).wantError(http.StatusUnauthorized, "unauthenticated")
	}
	flNew(t, env).get("/auth/api/token").wantError(http.StatusUnauthorized, "unauthenticated")

	// Other Go services verify it against the JWKS by URL.
	keys := token.NewRemoteKeySet(env.URL+"/auth/.well-known/jwks.json", &token.RemoteKeySetOptions{Now: env.Clock.Now})
	vc, err := token.Verify(context.Background(), fresh, token.VerifyOptions{Keys: keys, Issuer: env.URL + "/auth", Now: env.Clock.Now})
	if err != nil || vc.Subject != me.User.ID || vc.SessionID != me.Session.ID {
		t.Fatalf("token.Verify with the remote JWKS: %+v, %v", vc, err)
	}
}

// jwtVerifyIndependently checks tok against the JWKS served over HTTP
// without the token package: with go-jose, as another Go service would,
// and with the standard library's crypto from the key's JSON members (so
// a fault shared by go-jose's signer and verifier would show too). It
// returns the protected header and the verified claims.
func jwtVerifyIndependently(t testing.TB, env *authtest.Env, tok string) (header, claims map[string]any) {
	t.Helper()
	res, err := http.Get(env.URL + "/auth/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("JWKS: %d, %v", res.StatusCode, err)
	}

	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		t.Fatalf("go-jose parse: %v", err)
	}
	keys := set.Key(jws.Signatures[0].Protected.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS, want 1", jws.Signatures[0].Protected.KeyID, len(keys))
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("go-jose verify: %v", err)
	}

	parts := strings.Split(tok, ".")
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	sig, err2 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, json.Unmarshal(hb, &header), json.Unmarshal(payload, &claims)); err != nil {
		t.Fatalf("token %q: %v", tok, err)
	}
	var raw struct {
		Keys []struct{ Kty, Crv, X, Y, N, E, Kid, Alg, Use string }
	}
	if err := json.Unmarshal(jwks, &raw); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(raw.Keys, func(k struct{ Kty, Crv, X, Y, N, E, Kid, Alg, Use string }) bool { return k.Kid == header["kid"] })
	if i < 0 {
		t.Fatalf("kid %v not in the JWKS", header["kid"])
	}
	k := raw.Keys[i]
	if k.Alg != header["alg"] || k.Use != "sig" {
		t.Fatalf("JWKS key alg %q use %q, token alg %v", k.Alg, k.Use, header["alg"])
	}
	b64 := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWKS member %q: %v", s, err)
		}
		return b
	}
	input := []byte(parts[0] + "." + parts[1])
	digest := sha256.Sum256(input)
	ok := false
	switch {
	case k.Alg == "ES256" && k.Kty == "EC" && k.Crv == "P-256" && len(sig) == 64:
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, b64(k.X)...), b64(k.Y)...))
		if err != nil {
			t.Fatal(err)
		}
		ok = ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case k.Alg == "EdDSA" && k.Kty == "OKP" && k.Crv == "Ed25519":
		ok = ed25519.Verify(ed25519.PublicKey(b64(k.X)), input, sig)
	case k.Alg == "RS256" && k.Kty == "RSA":
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(b64(k.N)), E: int(new(big.Int).SetBytes(b64(k.E)).Int64())}
		ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	default:
		t.Fatalf("JWKS key %+v for a %d-byte signature", k, len(sig))
	}
	if !ok {
		t.Fatalf("the %s signature does not verify with the standard library", k.Alg)
	}
	return header, claims
}

// TestJWT_SessionTokenVerifiesIndependently checks a session token as a
// service that does not use this module would: signature against the
// JWKS over HTTP, then exactly the header and the claims it must carry.
func TestJWT_SessionTokenVerifiesIndependently(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c, me := jwtSignIn(t, env, "ann@example.com")
	now := env.Clock.Now().Unix()
	header, claims := jwtVerifyIndependently(t, env, jwtMint(t, c, ""))
	kid, _ := header["kid"].(string)
	if !strings.HasPrefix(kid, "key_") || !reflect.DeepEqual(header, map[string]any{"alg": "ES256", "kid": kid, "typ": "JWT"}) {
		t.Errorf("header %v, want exactly alg ES256, typ JWT and the key's kid", header)
	}
	want := map[string]any{
		"iss": env.URL + "/auth", "sub": me.User.ID, "sid": me.Session.ID, "azp": env.URL,
		"iat": float64(now), "nbf": float64(now - 5), "exp": float64(now + 60),
	}
	if !reflect.DeepEqual(claims, want) {
		t.Errorf("claims\n got %v\nwant %v", claims, want)
	}
}

func TestJWT_BearerContext(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c, me := jwtSignIn(t, env, "ctx@example.com")
	tok := jwtMint(t, c, "")
	var got struct {
		user, session, sub string
		claimsOK           bool
	}
	h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		s, _ := auth.SessionFrom(r.Context())
		tc, ok := auth.TokenClaimsFrom(r.Context())
		got.user, got.session, got.claimsOK = u.Email, s.ID, ok
		if ok {
			got.sub = tc.Subject
		}
	}))
	req := httptest.NewRequest("GET", "/api/orders", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got.user != "ctx@example.com" || got.session != me.Session.ID || !got.claimsOK || got.sub != me.User.ID {
		t.Fatalf("context = %+v", got)
	}
	// A cookie request has no token claims.
	req = httptest.NewRequest("GET", "/api/orders", nil)
	req.Header.Set("Cookie", "embedauth_session="+c.sessionCookie())
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got.user != "ctx@example.com" || got.claimsOK {
		t.Fatalf("cookie context = %+v", got)
	}
}

// TestJWT_RevokedSessionTokensRefused checks the revocation guarantee: in
// the process that revokes, at once; in another process on the same
// database, within SessionCacheTTL; and for bans too.
func TestJWT_RevokedSessionTokensRefused(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	c, me := jwtSignIn(t, env, "rev@example.com")
	tok := jwtMint(t, c, "")
	// A second process on the same file, with the same clock.
	b, err := auth.New(auth.Config{DatabasePath: env.DatabasePath, BaseURL: env.URL, Mailer: env.Mail, Now: env.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	appB := b.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	callB := func() int {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		rec := httptest.NewRecorder()
		appB.ServeHTTP(rec, req)
		return rec.Code
	}
	bearer(t, env, tok).want(http.StatusOK)
	if code := callB(); code != http.StatusOK {
		t.Fatalf("process B: %d", code)
	}
	if err := env.Auth.RevokeSession(context.Background(), me.Session.ID); err != nil {
		t.Fatal(err)
	}
	bearer(t, env, tok).wantError(http.StatusUnauthorized, "unauthenticated") // this process: at once
	if code := callB(); code != http.StatusOK {
		t.Fatalf("process B right after the revocation: %d (it may serve its cache for SessionCacheTTL)", code)
	}
	env.Clock.Advance(31 * time.Second) // past SessionCacheTTL, well within the token's life
	if code := callB(); code != http.StatusUnauthorized {
		t.Fatalf("process B after SessionCacheTTL: %d, want 401", code)
	}

	// Bans act at once too.
	c2, me2 := jwtSignIn(t, env, "ban@example.com")
	tok2 := jwtMint(t, c2, "")
	bearer(t, env, tok2).want(http.StatusOK)
	if _, err := env.Auth.BanUser(context.Background(), me2.User.ID); err != nil {
		t.Fatal(err)
	}
	bearer(t, env, tok2).wantError(http.StatusUnauthorized, "unauthenticated")
}

// jwtOwnSigner returns a signer with env's current signing key, read from
// the database and opened with its key file: to make tokens that carry a
// valid signature but wrong claims or headers.
func jwtOwnSigner(t testing.TB, env *authtest.Env, headers map[jose.HeaderKey]any) (sign func(claims map[string]any) string, kid string) {
	t.Helper()
	key, _, err := secretbox.LoadOrCreateKeyFile(env.DatabasePath + ".key")
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secretbox.New(key)
	var sealed []byte
	if err := env.Auth.Store().SQL().QueryRow(`SELECT id, private_key FROM auth_jwt_keys WHERE retired_at IS NULL`).Scan(&kid, &sealed); err != nil {
		t.Fatal(err)
	}
	der, err := box.Open(sealed)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	opts := &jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{"typ": "JWT"}}
	for k, v := range headers {
		opts.ExtraHeaders[k] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return func(claims map[string]any) string {
		b, _ := json.Marshal(claims)
		jws, err := signer.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return s
	}, kid
}

// TestT42_ForgedTokensRejectedByMiddleware sends every forged token of
// SECURITY.md T42 to the app through a.Middleware: each is a signed-out
// request (401 from RequireUser), never a 500, and the megabyte of dots is
// refused fast.
func TestT42_ForgedTokensRejectedByMiddleware(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) {
		c.Tokens.Templates = []auth.JWTTemplate{
			{Name: "hasura", Audience: []string{"hasura"}, Claims: map[string]any{"role": "user"}},
			{Name: "noaud", Claims: map[string]any{"role": "user"}},
			{Name: "evil-iss", Issuer: "https://evil.example", Claims: map[string]any{"x": 1}},
		}
	})
	c, me := jwtSignIn(t, env, "victim@example.com")
	good := jwtMint(t, c, "")
	bearer(t, env, good).want(http.StatusOK)
	now := env.Clock.Now()
	claims := func(mod map[string]any) map[string]any {
		m := map[string]any{"iss": env.URL + "/auth", "sub": me.User.ID, "sid": me.Session.ID, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix()}
		for k, v := range mod {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	own, kid := jwtOwnSigner(t, env, nil)
	if !slices.Contains([]string{kid}, jwtHeader(t, good)["kid"].(string)) {
		t.Fatalf("the key read from the database is not the signing key")
	}
	bearer(t, env, own(claims(nil))).want(http.StatusOK) // the test's signer is right

	// The public key, as an attacker gets it from the JWKS.
	var set jose.JSONWebKeySet
	flNew(t, env).get("/auth/.well-known/jwks.json").want(http.StatusOK).decode(&set)
	pub := set.Key(kid)[0]
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustDER(t, pub.Key)})
	pubJSON, _ := json.Marshal(pub)
	hs := func(key []byte) string {
		h, _ := json.Marshal(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid})
		p, _ := json.Marshal(claims(nil))
		in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	none := func() string {
		h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT", "kid": kid})
		p, _ := json.Marshal(claims(nil))
		return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p) + "."
	}
	attacker, _ := jwtAttackerSigner(t, false, nil)
	jku, _ := jwtAttackerSigner(t, false, map[jose.HeaderKey]any{"jku": env.URL + "/evil/jwks.json"})
	embedded, _ := jwtAttackerSigner(t, true, nil)
	withTyp, _ := jwtOwnSigner(t, env, map[jose.HeaderKey]any{"typ": "at+jwt"})

	forged := map[string]string{
		"alg none":                      none(),
		"HS256 with the public key PEM": hs(pubPEM),
		"HS256 with the public key JWK": hs(pubJSON),
		"unknown kid":                   attacker(claims(nil)),
		"attacker jku":                  jku(claims(nil)),
		"attacker jwk":                  embedded(claims(nil)),
		"expired":                       own(claims(map[string]any{"exp": now.Add(-time.Minute).Unix()})),
		"future nbf":                    own(claims(map[string]any{"nbf": now.Add(time.Minute).Unix()})),
		"wrong iss":                     own(claims(map[string]any{"iss": "https://evil.example"})),
		"an audience":                   own(claims(map[string]any{"aud": "hasura"})),
		"wrong typ":                     withTyp(claims(nil)),
		"no sid":                        own(claims(map[string]any{"sid": nil})),
		"sid of another user's session": own(claims(map[string]any{"sub": "user_someone_else"})),
		"unknown session":               own(claims(map[string]any{"sid": "sess_unknown"})),
		"template token with audience":  jwtMint(t, c, "?template=hasura"),
		"template token without aud":    jwtMint(t, c, "?template=noaud"),
		"template token with other iss": jwtMint(t, c, "?template=evil-iss"),
		"100 KB of dots":                strings.Repeat(".", 100<<10),
		"tampered":                      jwtTamper(good, "sub", "user_admin"),
		"garbage":                       "not-a-jwt",
	}
	for name, tok := range forged {
		t.Run(name, func(t *testing.T) {
			bearer(t, env, tok).wantError(http.StatusUnauthorized, "unauthenticated")
		})
	}

	// Long input is refused by its size before it is parsed (checked by
	// where the limit falls, not by a wall-clock limit that flakes on a
	// loaded machine): a token valid in every other way signs in at
	// token.MaxTokenSize bytes and not one padding byte longer, and a
	// megabyte of dots straight into the middleware signs nobody in.
	signedIn := func(tok string) bool {
		var ok bool
		h := env.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, ok = auth.UserFrom(r.Context())
		}))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("a %d-byte token: status %d", len(tok), rec.Code)
		}
		return ok
	}
	padded := func(n int) string { return own(claims(map[string]any{"pad": strings.Repeat("x", n)})) }
	lo, hi := 0, token.MaxTokenSize // the longest padding that fits; an ES256 signature has a fixed size
	for lo < hi {
		if mid := (lo + hi + 1) / 2; len(padded(mid)) <= token.MaxTokenSize {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if fits := padded(lo); len(fits) > token.MaxTokenSize || !signedIn(fits) {
		t.Errorf("a valid %d-byte token (limit %d) did not sign in", len(fits), token.MaxTokenSize)
	}
	if over := padded(lo + 1); len(over) <= token.MaxTokenSize || signedIn(over) {
		t.Errorf("a valid %d-byte token (limit %d) signed in", len(over), token.MaxTokenSize)
	}
	if signedIn(strings.Repeat(".", 1<<20)) {
		t.Error("signed in by a megabyte of dots")
	}
}

func jwtHeader(t testing.TB, tok string) map[string]any {
	t.Helper()
	b, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var h map[string]any
	json.Unmarshal(b, &h)
	return h
}

func jwtTamper(tok, claim string, v any) string {
	parts := strings.Split(tok, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var m map[string]any
	json.Unmarshal(b, &m)
	m[claim] = v
	b, _ = json.Marshal(m)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
}

func mustDER(t testing.TB, pub any) []byte {
	t.Helper()
	b, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwtAttackerSigner signs with a key of the attacker's own.
func jwtAttackerSigner(t testing.TB, embed bool, headers map[jose.HeaderKey]any) (func(map[string]any) string, string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	opts := &jose.SignerOptions{EmbedJWK: embed, ExtraHeaders: map[jose.HeaderKey]any{"typ": "JWT"}}
	for k, v := range headers {
		opts.ExtraHeaders[k] = v
	}
	var key any = jose.JSONWebKey{Key: priv, KeyID: "key_attacker"}
	if embed {
		key = priv
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return func(claims map[string]any) string {
		b, _ := json.Marshal(claims)
		jws, _ := signer.Sign(b)
		s, _ := jws.CompactSerialize()
		return s
	}, "key_attacker"
}

func TestJWT_JWKSAndDiscovery(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	r := flNew(t, env).get("/auth/.well-known/jwks.json").want(http.StatusOK)
	if cc := r.header.Get("Cache-Control"); cc != "public, max-age=300" || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("JWKS headers: Cache-Control %q, CORS %q", cc, r.header.Get("Access-Control-Allow-Origin"))
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	r.decode(&set)
	if len(set.Keys) != 1 || set.Keys[0]["kty"] != "EC" || set.Keys[0]["alg"] != "ES256" || set.Keys[0]["use"] != "sig" || set.Keys[0]["d"] != nil {
		t.Fatalf("JWKS = %v", set)
	}
	var oidc map[string]any
	flNew(t, env).get("/auth/.well-known/openid-configuration").want(http.StatusOK).decode(&oidc)
	if oidc["issuer"] != env.URL+"/auth" || oidc["jwks_uri"] != env.URL+"/auth/.well-known/jwks.json" {
		t.Fatalf("openid-configuration = %v", oidc)
	}
}

// TestT43_RotatedKeyStaysInJWKSWhileItsTokensLive rotates through the API:
// the old key stays published while tokens it signed can be valid, those
// tokens keep working, and then it leaves the JWKS.
func TestT43_RotatedKeyStaysInJWKSWhileItsTokensLive(t *testing.T) {
	t.Parallel()
	env := adminEnv(t)
	admin, _ := jwtSignIn(t, env, "admin@example.com")
	user, _ := jwtSignIn(t, env, "user@example.com")
	old := jwtMint(t, user, "")
	oldKid := jwtHeader(t, old)["kid"].(string)

	user.postJSON("/auth/api/jwt-keys/rotate", map[string]string{}).wantError(http.StatusForbidden, "admin_required")
	var rotated struct{ ID, Algorithm string }
	admin.postJSON("/auth/api/jwt-keys/rotate", map[string]string{"algorithm": "EdDSA"}).want(http.StatusOK).decode(&rotated)
	if rotated.ID == "" || rotated.ID == oldKid || rotated.Algorithm != "EdDSA" {
		t.Fatalf("rotate = %+v", rotated)
	}
	admin.postJSON("/auth/api/jwt-keys/rotate", map[string]string{"algorithm": "HS256"}).wantError(http.StatusUnprocessableEntity, "invalid_algorithm")
	kids := func() []string {
		var set jose.JSONWebKeySet
		flNew(t, env).get("/auth/.well-known/jwks.json").want(http.StatusOK).decode(&set)
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.KeyID)
		}
		slices.Sort(out)
		return out
	}
	if got := kids(); !slices.Equal(got, slices.Sorted(slices.Values([]string{oldKid, rotated.ID}))) {
		t.Fatalf("JWKS after rotation = %v", got)
	}
	fresh := jwtMint(t, user, "")
	if h, _ := jwtVerifyIndependently(t, env, fresh); h["kid"] != rotated.ID || h["alg"] != "EdDSA" {
		t.Fatalf("new tokens signed with %v", h)
	}
	if h, _ := jwtVerifyIndependently(t, env, old); h["kid"] != oldKid || h["alg"] != "ES256" {
		t.Fatalf("the old token's header %v", h)
	}
	bearer(t, env, old).want(http.StatusOK)
	bearer(t, env, fresh).want(http.StatusOK)
	var keys struct {
		Keys []struct {
			ID        string     `json:"id"`
			Current   bool       `json:"current"`
			ExpiresAt *time.Time `json:"expires_at"`
		} `json:"keys"`
	}
	admin.get("/auth/api/jwt-keys").want(http.StatusOK).decode(&keys)
	if len(keys.Keys) != 2 || !keys.Keys[0].Current || keys.Keys[1].Current || keys.Keys[1].ExpiresAt == nil {
		t.Fatalf("keys = %+v", keys)
	}
	// The old key is published until its last token (60 s) has expired,
	// plus a 5-minute margin; then it is gone.
	exp := time.Unix(int64(jwtClaims(t, old)["exp"].(float64)), 0)
	if keys.Keys[1].ExpiresAt.Before(exp) {
		t.Fatalf("old key leaves the JWKS at %v, before its token expires at %v", keys.Keys[1].ExpiresAt, exp)
	}
	env.Clock.Advance(5*time.Minute + 59*time.Second)
	if got := kids(); !slices.Contains(got, oldKid) {
		t.Fatal("the old key left too early")
	}
	env.Clock.Advance(2 * time.Second)
	if got := kids(); !slices.Equal(got, []string{rotated.ID}) {
		t.Fatalf("JWKS after the margin = %v, want only %s", got, rotated.ID)
	}
}

// TestJWT_RotateSigningKeyCLI rotates with the package-level function on
// the database file while an Auth runs on it: the Auth serves the new key
// after its reload interval.
func TestJWT_RotateSigningKeyCLI(t *testing.T) {
	t.Parallel()
	env := authtest.New(t)
	kid, err := auth.RotateSigningKey(context.Background(), auth.Config{DatabasePath: env.DatabasePath, BaseURL: env.URL, Mailer: env.Mail, Now: env.Clock.Now}, "RS256")
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(31 * time.Second)
	c, _ := jwtSignIn(t, env, "cli@example.com")
	if h, _ := jwtVerifyIndependently(t, env, jwtMint(t, c, "")); h["kid"] != kid || h["alg"] != "RS256" {
		t.Fatalf("after the CLI rotation, tokens are signed with %v, want %s", h, kid)
	}
}

func TestJWT_Templates(t *testing.T) {
	t.Parallel()
	env := adminEnv(t, func(c *auth.Config) {
		c.Tokens.Templates = []auth.JWTTemplate{{
			Name: "supabase", Algorithm: token.HS256, Secret: []byte(strings.Repeat("s", 32)), Audience: []string{"authenticated"},
			Claims: map[string]any{"email": "{{user.email}}", "role": "authenticated"},
			Func: func(ctx context.Context, in auth.JWTClaimsInput) (map[string]any, error) {
				if strings.HasPrefix(in.User.Email, "admin@") {
					return map[string]any{"role": "service_admin"}, nil
				}
				return nil, nil
			},
		}}
	})
	admin, ame := jwtSignIn(t, env, "admin@example.com")
	user, ume := jwtSignIn(t, env, "user@example.com")

	// The Config template, with its Go claims function.
	tok := jwtMint(t, user, "?template=supabase")
	claims := jwtClaims(t, tok)
	if claims["sub"] != ume.User.ID || claims["email"] != "user@example.com" || claims["role"] != "authenticated" || claims["aud"] != "authenticated" {
		t.Fatalf("supabase claims = %v", claims)
	}
	if jwtClaims(t, jwtMint(t, admin, "?template=supabase"))["role"] != "service_admin" {
		t.Fatal("the template's Func did not run")
	}
	user.get("/auth/api/token?template=nope").wantError(http.StatusNotFound, "template_not_found")

	// Stored templates, by API, for admins only.
	def := map[string]any{"claims": map[string]any{"https://hasura.io/jwt/claims": map[string]any{
		"x-hasura-user-id": "{{user.id}}", "x-hasura-default-role": "user", "x-hasura-allowed-roles": []string{"user"}}},
		"lifetime": 300, "audience": []string{"hasura"}}
	user.sendJSON(http.MethodPut, "/auth/api/jwt-templates/hasura", def).wantError(http.StatusForbidden, "admin_required")
	flNew(t, env).sendJSON(http.MethodPut, "/auth/api/jwt-templates/hasura", def).wantError(http.StatusUnauthorized, "unauthenticated")
	admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/hasura", def).want(http.StatusCreated)
	admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/hasura", def).want(http.StatusOK)
	tok = jwtMint(t, user, "?template=hasura")
	_, claims = jwtVerifyIndependently(t, env, tok)
	hasura, _ := claims["https://hasura.io/jwt/claims"].(map[string]any)
	if hasura["x-hasura-user-id"] != ume.User.ID || claims["aud"] != "hasura" || int64(claims["exp"].(float64))-int64(claims["iat"].(float64)) != 300 {
		t.Fatalf("hasura claims = %v", claims)
	}
	// It verifies with the JWKS, for the service with that audience.
	keys := token.NewRemoteKeySet(env.URL+"/auth/.well-known/jwks.json", nil)
	if _, err := token.Verify(context.Background(), tok, token.VerifyOptions{Keys: keys, Issuer: env.URL + "/auth", Audience: "hasura", Now: env.Clock.Now}); err != nil {
		t.Fatalf("hasura token: %v", err)
	}
	_ = ame

	// Bad templates are refused with what is wrong.
	r := admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/bad", map[string]any{"claims": map[string]any{"phone": "{{user.phone}}", "sub": "x"}})
	r.wantError(http.StatusUnprocessableEntity, "invalid_template")
	if msg := r.errorBody().Message; !strings.Contains(msg, "{{user.phone}}") || !strings.Contains(msg, `"sub"`) {
		t.Fatalf("message %q does not name the problems", msg)
	}
	admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/bad", map[string]any{"algorithm": "HS256"}).wantError(http.StatusUnprocessableEntity, "invalid_template")
	admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/supabase", def).wantError(http.StatusConflict, "template_in_config")
	admin.sendJSON(http.MethodDelete, "/auth/api/jwt-templates/supabase", nil).wantError(http.StatusConflict, "template_in_config")

	// An HS256 stored template keeps its secret across updates.
	secret := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/convex", map[string]any{"algorithm": "HS256", "secret": secret}).want(http.StatusCreated)
	admin.sendJSON(http.MethodPut, "/auth/api/jwt-templates/convex", map[string]any{"algorithm": "HS256", "lifetime": 120}).want(http.StatusOK)
	tok = jwtMint(t, user, "?template=convex")
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify([]byte(strings.Repeat("k", 32))); err != nil {
		t.Fatalf("the stored HS256 template lost its secret: %v", err)
	}

	var list struct {
		Templates []struct {
			Name      string `json:"name"`
			Source    string `json:"source"`
			HasSecret bool   `json:"has_secret"`
			HasFunc   bool   `json:"has_func"`
		} `json:"templates"`
	}
	admin.get("/auth/api/jwt-templates").want(http.StatusOK).decode(&list)
	if len(list.Templates) != 3 || list.Templates[0].Name != "supabase" || list.Templates[0].Source != "config" || !list.Templates[0].HasFunc ||
		list.Templates[1].Name != "convex" || !list.Templates[1].HasSecret || list.Templates[2].Name != "hasura" {
		t.Fatalf("templates = %+v", list)
	}
	if strings.Contains(string(admin.get("/auth/api/jwt-templates").body), secret) {
		t.Fatal("the list shows a secret")
	}
	admin.sendJSON(http.MethodDelete, "/auth/api/jwt-templates/hasura", nil).want(http.StatusOK)
	admin.sendJSON(http.MethodDelete, "/auth/api/jwt-templates/hasura", nil).wantError(http.StatusNotFound, "template_not_found")
	user.get("/auth/api/token?template=hasura").wantError(http.StatusNotFound, "template_not_found")
}

// TestJWT_BadConfigFailsAtStart: templates referring to unknown claims,
// registered claims and bad settings stop New with a message that names
// them.
func TestJWT_BadConfigFailsAtStart(t *testing.T) {
	t.Parallel()
	_, err := auth.New(auth.Config{DatabasePath: t.TempDir() + "/a.db", Tokens: auth.TokensConfig{
		Algorithm:            "HS512",
		SessionTokenLifetime: time.Hour,
		Templates: []auth.JWTTemplate{
			{Name: "a", Claims: map[string]any{"phone": "{{user.phone_number}}"}},
			{Name: "a", Claims: map[string]any{"iss": "me"}},
		},
	}, Webhooks: auth.WebhooksConfig{AllowedNetworks: []string{"localhost"}}})
	if err == nil {
		t.Fatal("New accepted the configuration")
	}
	for _, want := range []string{`"HS512"`, "SessionTokenLifetime 1h0m0s", "{{user.phone_number}}", `claim "iss" is a registered claim`, `"a" is used twice`, `"localhost" is not a CIDR`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestJWT_ActiveOrgClaims: with an active organization, session tokens
// carry it (through the tokenOrg seam filled by organizations) and
// templates read it.
func TestJWT_ActiveOrgClaims(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) {
		c.Tokens.Templates = []auth.JWTTemplate{{Name: "orgs", Claims: map[string]any{"org": "{{org.slug}}", "role": "{{org.role}}"}}}
	})
	c, _ := jwtSignIn(t, env, "owner@example.com")
	if claims := jwtClaims(t, jwtMint(t, c, "")); claims["org_id"] != nil {
		t.Fatalf("org claims without an organization: %v", claims)
	}
	var created struct {
		Org struct{ ID string } `json:"organization"`
	}
	c.postJSON("/auth/api/orgs", map[string]string{"name": "Acme", "slug": "acme"}).want(http.StatusCreated).decode(&created)
	if created.Org.ID == "" {
		t.Fatal("no organization id")
	}
	c.postJSON("/auth/api/orgs/active", map[string]string{"org_id": created.Org.ID}).want(http.StatusOK)
	claims := jwtClaims(t, jwtMint(t, c, ""))
	perms, _ := claims["org_permissions"].([]any)
	if claims["org_id"] != created.Org.ID || claims["org_slug"] != "acme" || claims["org_role"] != "org:admin" || len(perms) == 0 {
		t.Fatalf("session token claims = %v", claims)
	}
	if tc := jwtClaims(t, jwtMint(t, c, "?template=orgs")); tc["org"] != "acme" || tc["role"] != "org:admin" {
		t.Fatalf("template claims = %v", tc)
	}
}

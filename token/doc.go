// Package token mints and verifies the JWTs embedauth gives out: session
// tokens for an app's own API, and tokens from JWT templates for other
// services (Supabase, Convex, Hasura and the like).
//
// # Signing keys
//
// [Keys] holds the signing keys. The first is generated on first start
// (ES256 by default; RS256 and EdDSA may be chosen) and stored through a
// [Store], its private key sealed by a [Sealer] (embedauth's AES-256-GCM
// box under Config.EncryptionKey), so the database file alone does not give
// it away. [Keys.Rotate] makes a new key the signing key; the old one stops
// signing at once, its private key is dropped, and its public key stays in
// the JWKS until every token it signed has expired. Processes sharing the
// database read the keys again every 30 seconds and whenever a token names
// a key they do not know.
//
// # Session tokens
//
// [Keys.SignSession] mints the token of GET /auth/api/token: a short-lived
// (60 s) JWT with sub (the user), sid (the session), iat, nbf, exp, iss
// (BaseURL + Path), azp (the front end's origin) and, when the session has
// an active organization, org_id, org_slug, org_role and org_permissions.
// Its header has typ "JWT" and the kid of the key that signed it.
//
// # Templates
//
// A [Template] names the claims of a token for another service. Its
// claims are JSON values in which strings may hold shortcodes, resolved
// for the user and session the token is minted for:
//
//	user.id  user.email  user.email_verified  user.name  user.created_at  user.updated_at
//	user.public_metadata[.path]  user.unsafe_metadata[.path]
//	session.id  session.auth_method  session.created_at
//	org.id  org.slug  org.role  org.permissions
//
// A string that is exactly one shortcode takes the value's JSON type; a
// string mixing text and shortcodes becomes a string. Private metadata is
// never available (tokens reach the browser). The registered claims (iss,
// sub, aud, exp, nbf, iat, jti, sid, azp) are set by embedauth; a template
// may set the issuer and audience and the lifetime (up to 24 hours), and
// may add claims computed in Go by a typed [ClaimsFunc]. [Compile] checks a
// template and reports every problem at once, so a template that refers to
// an unknown claim fails when the app starts, not when a token is minted.
// A template is signed with the signing key (verifiable with the JWKS) or,
// with Algorithm HS256, with a secret of its own that the other service
// shares.
//
// # Verification
//
// [Verify] is what a separate Go service imports to accept embedauth's
// tokens. With a [RemoteKeySet] it fetches the JWKS by URL and caches it,
// fetching again when a token names an unknown key, at most once per
// 10 seconds. It refuses, before checking any signature, tokens longer
// than [MaxTokenSize] or not of three parts; then algorithms outside the
// allowlist (never "none" or HS256: key sources hold public keys, and a
// key verifies only its own algorithm, so an HMAC made with a public key
// fails), headers that carry or point to keys ("jwk", "jku", "x5u", "x5c"),
// a missing kid and the wrong typ; then the signature; then a missing or
// past exp, a future nbf or iat, the wrong iss, and an aud that is not the
// one expected (a token with an audience is refused when none is expected:
// it was made for another service).
//
// Tokens verified this way are valid until they expire, whatever happens
// to their session meanwhile: their short lifetime is the bound. Inside
// the app, auth.Middleware also checks the session (see the auth package).
package token

package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embedauth/auth/token"
)

// Bearer session tokens in Middleware and RequireUser.
//
// A request without a signed-in cookie may carry "Authorization: Bearer
// <session token>" (from GET Path+"/api/token"). The token is verified
// locally against the signing keys (no network, no database), and the
// verification is cached until the token expires, so a client that reuses
// its token for a minute costs one signature check.
// Its session is then resolved by id exactly as a cookie's is: from the
// same session cache (Config.SessionCacheTTL) or with one indexed read.
// So a bearer request costs the database no more than a cookie request.
//
// Revocation guarantee: once a session is revoked (or its user banned or
// deleted, or it ends), Middleware refuses its bearer tokens at once in
// the process that made the change, and in other processes sharing the
// database within SessionCacheTTL (default 30 s) - in every case no later
// than the token's own expiry (Tokens.SessionTokenLifetime, default 60 s).
// Services that verify tokens with token.Verify alone, without the
// database, accept them until they expire: the short lifetime is their
// bound.
//
// Embedauth's own routes under Path (the JSON API, GET /api/token itself)
// use the cookie only: a leaked token can neither mint new tokens nor act
// on the account.

// verifiedCache remembers verified bearer tokens until they expire, keyed
// by the whole token (Go's map hash is seeded per process, and a hit
// compares every byte), so a request with a token seen before costs no
// signature check.
type verifiedCache struct {
	max int

	mu      sync.RWMutex
	entries map[string]*verifiedToken
}

// verifiedToken is a token that passed token.Verify.
type verifiedToken struct {
	claims   *token.Claims
	sid      []byte // the session id, the session cache's key
	validEnd time.Time
	validBeg time.Time
	// derived is the request state last built from this token and the
	// cached session it was built on, reused while that stays the same.
	derived atomic.Pointer[derivedState]
}

type derivedState struct{ base, st *authState }

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{max: max, entries: map[string]*verifiedToken{}}
}

// leeway matches token.Verify's default.
const bearerLeeway = 5 * time.Second

func (c *verifiedCache) get(raw string, now time.Time) *verifiedToken {
	c.mu.RLock()
	vt := c.entries[raw]
	c.mu.RUnlock()
	if vt == nil || !now.Before(vt.validEnd) || now.Before(vt.validBeg) {
		return nil
	}
	return vt
}

func (c *verifiedCache) put(raw string, vt *verifiedToken, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.validEnd) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[strings.Clone(raw)] = vt
}

func (c *verifiedCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	v := r.Header["Authorization"]
	if len(v) == 0 || len(v[0]) < 7 || !strings.EqualFold(v[0][:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(v[0][7:])
}

// bearer resolves a request's bearer session token: nil when there is
// none or it is not valid (Middleware never rejects a request), an error
// only for a system fault.
func (a *Server) bearer(r *http.Request) (*authState, error) {
	if st := stateFrom(r.Context()); st != nil && st.bearer != nil {
		return st, nil
	}
	raw := bearerToken(r)
	if raw == "" || len(raw) > token.MaxTokenSize {
		return nil, nil
	}
	now := a.s.Now()
	vt := a.jwt.verified.get(raw, now)
	if vt == nil {
		claims, err := token.Verify(r.Context(), raw, a.jwt.verify)
		if err != nil {
			if isTokenError(err) {
				return nil, nil
			}
			return nil, err
		}
		if claims.SessionID == "" {
			return nil, nil // a template's token, not a session token
		}
		vt = &verifiedToken{claims: claims, sid: []byte(claims.SessionID),
			validEnd: claims.Expiry.Add(bearerLeeway), validBeg: claims.NotBefore.Add(-bearerLeeway)}
		a.jwt.verified.put(raw, vt, now)
	}
	base, gen := a.cache.getGen(vt.sid, now)
	if base == nil {
		var err error
		if base, err = a.bearerSession(r.Context(), vt.claims.SessionID); base == nil || err != nil {
			return nil, err
		}
		// Not cached if a revocation happened during the read.
		a.cache.putIfGen(base, now, gen)
	}
	if base.user.Banned || base.user.ID != vt.claims.Subject || !base.session.Active(now, a.s.SessionIdleTimeout) {
		return nil, nil
	}
	if d := vt.derived.Load(); d != nil && d.base == base {
		return d.st, nil
	}
	st := &authState{user: base.user, session: base.session, hash: base.hash, org: base.org, bearer: vt.claims}
	vt.derived.Store(&derivedState{base: base, st: st})
	return st, nil
}

// isTokenError reports whether err says the token is bad (rather than
// that verifying it failed).
func isTokenError(err error) bool {
	for _, e := range []error{token.ErrMalformed, token.ErrAlgorithm, token.ErrHeader, token.ErrType, token.ErrUnknownKey,
		token.ErrSignature, token.ErrExpired, token.ErrNotYetValid, token.ErrIssuer, token.ErrAudience} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// TokenClaimsFrom returns the claims of the bearer token a request was
// authenticated with; ok is false for cookie sessions and signed-out
// requests. The claims are shared between requests with the same token:
// do not change them.
func TokenClaimsFrom(ctx context.Context) (*TokenClaims, bool) {
	st := stateFrom(ctx)
	if st == nil || st.bearer == nil {
		return nil, false
	}
	return st.bearer, true
}

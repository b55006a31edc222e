package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/embedauth/auth/core"
)

// Keys of the browser-session data kept by scs.
const (
	keySessionID  = "sid"    // the active device session
	keySessionIDs = "sids"   // all signed-in device sessions (multi mode), comma-separated
	keySignup     = "signup" // the pending sign-up being verified
	keyReset      = "reset"  // the hash of a reset token taken off the URL
	keyNotice     = "notice" // a one-time message for the next page
)

// touchInterval is how stale a session's last-active time may get before a
// request writes it again; it keeps the hot path free of writes.
const touchInterval = time.Minute

func (a *Server) newSessionManager() *scs.SessionManager {
	sm := scs.New()
	sm.Store = scsStore{a}
	sm.Codec = jsonCodec{}
	sm.Lifetime = a.s.SessionLifetime
	sm.IdleTimeout = 0 // idle time is ours: scs would rewrite the row on every request
	sm.HashTokenInStore = true
	sm.Cookie = scs.SessionCookie{
		Name:     a.s.cookieName,
		HttpOnly: true,
		Path:     "/",
		SameSite: http.SameSiteLaxMode,
		Secure:   a.s.secure,
		Persist:  true,
	}
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) { a.adapter.Write(w, r, err) }
	return sm
}

// tokenHashTo writes into buf how scs (HashTokenInStore) and the store key
// a cookie token: base64url(SHA-256(token)), without allocating.
func tokenHashTo(buf *[43]byte, token string) []byte {
	var sum [sha256.Size]byte
	if len(token) <= 128 {
		var tb [128]byte // cookie tokens are 43 bytes; this keeps them off the heap
		n := copy(tb[:], token)
		sum = sha256.Sum256(tb[:n])
	} else {
		sum = sha256.Sum256([]byte(token))
	}
	base64.RawURLEncoding.Encode(buf[:], sum[:])
	return buf[:]
}

// scsStore keeps scs data in auth_session_tokens, recording which device
// session each cookie is signed in as, so Middleware can go from cookie to
// user in one read.
type scsStore struct{ a *Server }

func (s scsStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}
func (s scsStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}
func (s scsStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

func (s scsStore) FindCtx(ctx context.Context, hash string) ([]byte, bool, error) {
	return s.a.db.FindToken(ctx, hash)
}

func (s scsStore) CommitCtx(ctx context.Context, hash string, b []byte, expiry time.Time) error {
	_, values, err := jsonCodec{}.Decode(b)
	if err != nil {
		return err
	}
	sid, _ := values[keySessionID].(string)
	if rn, _ := ctx.Value(renewalKey{}).(*renewal); rn != nil && rn.old != "" {
		old := rn.old
		rn.old = ""
		prev, err := s.a.db.ReplaceToken(ctx, old, time.Now().Add(rotationGrace), hash, b, expiry, sid)
		s.a.forgotToken(old, prev)
		return err
	}
	return s.a.db.CommitToken(ctx, hash, b, expiry, sid)
}

// renewal carries, through one request, the cookie token a sign-in's
// renewal replaces (renewSignInToken): the old token is deleted in the
// transaction that stores the new one (scsStore.CommitCtx), one write
// instead of two. A request whose browser session is not saved deletes it
// at its end (finishRenewal).
type renewal struct{ old string }

type renewalKey struct{}

// deferDeleteKey marks the context of a renewal whose old token's delete
// waits for the new token's commit.
type deferDeleteKey struct{}

// withRenewal gives r a renewal, for renewSignInToken.
func withRenewal(r *http.Request) (*http.Request, *renewal) {
	rn := &renewal{}
	return r.WithContext(context.WithValue(r.Context(), renewalKey{}, rn)), rn
}

// finishRenewal deletes the old token of a renewal whose new token was
// never committed.
func (a *Server) finishRenewal(ctx context.Context, rn *renewal) {
	if rn.old == "" {
		return
	}
	old := rn.old
	rn.old = ""
	sid, err := a.db.DeleteTokenAndRetired(context.WithoutCancel(ctx), old, time.Now().Add(rotationGrace))
	a.forgotToken(old, sid)
	if err != nil {
		a.s.Logger.Error("delete replaced cookie token", "err", err)
	}
}

// renewSignInToken gives the browser a new cookie token at a sign-in, as
// scs RenewToken does, the old token deleted with the new one's commit.
func (a *Server) renewSignInToken(ctx context.Context) error {
	if rn, _ := ctx.Value(renewalKey{}).(*renewal); rn == nil || rn.old != "" {
		return a.sm.RenewToken(ctx)
	}
	return a.sm.RenewToken(context.WithValue(ctx, deferDeleteKey{}, true))
}

// forgotToken forgets a deleted cookie token, and the session it was
// signed in as (sid, if any), in the session cache. Forgotten after the
// delete, so that a lookup that read the rows before it cannot cache them
// after (see sessionCache.gen).
func (a *Server) forgotToken(hash, sid string) {
	a.cache.forgetToken(hash)
	if sid != "" {
		a.cache.forgetSessions(sid)
	}
}

// DeleteCtx forgets a cookie token: at sign-out (scs Destroy) and when a
// new token replaces it (scs RenewToken). A token replaced by
// renewTokenWithGrace is retired instead: it keeps working for
// rotationGrace. Any other rotation also ends the grace of the tokens
// retired from the same session, so that what it guards (a
// reverification, a changed factor or password) is never lent to them.
func (s scsStore) DeleteCtx(ctx context.Context, hash string) error {
	// Cookie-token expiry is wall-clock time, as scs computes it.
	graceEnd := time.Now().Add(rotationGrace)
	if graced, _ := ctx.Value(rotationGraceKey{}).(bool); graced {
		if s.a.cache.retire(hash, graceEnd) {
			return s.a.db.RetireToken(ctx, hash, graceEnd)
		}
	}
	if deferred, _ := ctx.Value(deferDeleteKey{}).(bool); deferred {
		if rn, _ := ctx.Value(renewalKey{}).(*renewal); rn != nil && rn.old == "" {
			rn.old = hash // deleted by CommitCtx, or finishRenewal
			return nil
		}
	}
	sid, err := s.a.db.DeleteTokenAndRetired(ctx, hash, graceEnd)
	s.a.forgotToken(hash, sid)
	return err
}

// rotationGrace is how long a cookie token replaced by
// renewTokenWithGrace keeps working. A browser sends several requests at
// once (a page and its fetches, or a few tabs); those that left with the
// old cookie before the answer carrying the new one arrived must not be
// answered 401. Thirty seconds covers requests in flight and nothing more.
const rotationGrace = 30 * time.Second

type rotationGraceKey struct{}

// renewTokenWithGrace gives the browser a new cookie token and leaves the
// old one working for rotationGrace, for the same device session only.
//
// It is for rotations that do not change who the session is signed in as
// or what it has proved: switching the active organization. The old token
// then gains nothing: it stays signed in as the same device session, whose
// active organization lives on the session row, so the old and the new
// token see the same organization, and a holder of the old token could
// have switched organizations with it anyway. Each of its effects ends at
// once as before: signing out, revoking the session, a ban or a password
// reset end the session, which deletes every token signed in as it,
// retired or not.
//
// Every other rotation uses sm.RenewToken and deletes the old token at
// once: at sign-in the old token may have been planted (it is signed out,
// or signed in as another account), and at a reverification, or a change
// of factors or password, what changed is recorded on the session or the
// user, so a grace would lend it to a token that was not there to give
// it. Those rotations also end the grace of tokens retired earlier from
// the same session (scsStore.DeleteCtx).
func (a *Server) renewTokenWithGrace(ctx context.Context) error {
	return a.sm.RenewToken(context.WithValue(ctx, rotationGraceKey{}, true))
}

// jsonCodec stores scs data as JSON; we keep only strings in it.
type jsonCodec struct{}

type codecData struct {
	Deadline time.Time      `json:"d"`
	Values   map[string]any `json:"v"`
}

func (jsonCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	return json.Marshal(codecData{deadline, values})
}

func (jsonCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	var d codecData
	if err := json.Unmarshal(b, &d); err != nil {
		return time.Time{}, nil, err
	}
	if d.Values == nil {
		d.Values = map[string]any{}
	}
	return d.Deadline, d.Values, nil
}

// authState is what Middleware puts in the request context.
type authState struct {
	user    core.User
	session core.Session
	hash    string       // the cookie token's hash
	org     *orgState    // the active organization, if any (org.go)
	bearer  *TokenClaims // set when a bearer token authenticated the request (bearer.go)
	me      *meJSON      // GET /api/me's answer, encoded once, for states the cache holds
}

type stateKey struct{}

// UserFrom returns the signed-in user of a request that passed through
// [Auth.Middleware], [Auth.RequireUser] or [Auth.Handler].
func UserFrom(ctx context.Context) (User, bool) {
	st, ok := ctx.Value(stateKey{}).(*authState)
	if !ok {
		return User{}, false
	}
	return st.user, true
}

// SessionFrom returns the device session of a signed-in request.
func SessionFrom(ctx context.Context) (Session, bool) {
	st, ok := ctx.Value(stateKey{}).(*authState)
	if !ok {
		return Session{}, false
	}
	return st.session, true
}

func stateFrom(ctx context.Context) *authState {
	st, _ := ctx.Value(stateKey{}).(*authState)
	return st
}

// sessionCache remembers recent cookie-to-session lookups so that most
// requests cost no database read. Every change that could make an entry
// wrong (sign-out, revoke, ban, user update, password change) removes it
// at once; ttl bounds staleness against writers in other processes.
type sessionCache struct {
	ttl time.Duration
	max int

	mu      sync.RWMutex
	entries map[string]*cacheEntry
	// retired holds the tokens replaced by renewTokenWithGrace with the
	// end of their grace (wall-clock time): their entries must not
	// outlive it, whatever ttl allows.
	retired map[string]time.Time
	wall    func() time.Time // the wall clock token expiry is measured on; time.Now
	// gen counts invalidations. A lookup that missed puts its result only
	// if no invalidation happened since it started, so a read racing with
	// a revocation or a membership change cannot cache the state from
	// before it.
	gen uint64

	// notify, when set, tells the other instances sharing the database
	// about each invalidation (cachesync.go); they drop the same entries.
	notify func(msg string)
}

type cacheEntry struct {
	st     *authState
	loaded time.Time
	until  time.Time // when set, the end of a retired token's grace (wall clock)
}

func newSessionCache(ttl time.Duration) *sessionCache {
	return &sessionCache{ttl: ttl, max: 50_000, entries: map[string]*cacheEntry{},
		retired: map[string]time.Time{}, wall: time.Now}
}

// getGen returns the cached state of a token's hash, and the count of
// invalidations so far, for putIfGen.
func (c *sessionCache) getGen(hash []byte, now time.Time) (*authState, uint64) {
	if c.ttl < 0 {
		return nil, 0
	}
	c.mu.RLock()
	e := c.entries[string(hash)] // no allocation for a map index
	gen := c.gen
	c.mu.RUnlock()
	if e == nil || now.Sub(e.loaded) >= c.ttl || now.Before(e.loaded) {
		return nil, gen
	}
	if !e.until.IsZero() && !c.wall().Before(e.until) {
		return nil, gen
	}
	return e.st, gen
}

// putIfGen caches st unless an invalidation happened since getGen
// returned gen.
func (c *sessionCache) putIfGen(st *authState, now time.Time, gen uint64) {
	if c.ttl < 0 {
		return
	}
	c.mu.Lock()
	if c.gen != gen {
		c.mu.Unlock()
		return
	}
	e := &cacheEntry{st: st, loaded: now}
	if until, ok := c.retired[st.hash]; ok {
		if !c.wall().Before(until) {
			delete(c.retired, st.hash)
			c.mu.Unlock()
			return
		}
		e.until = until
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[st.hash] = e
	c.mu.Unlock()
}

// retire forgets a token's entry and bounds the entries it gets again by
// until, the end of its grace. It reports false, and retires nothing, when
// too many tokens are already in their grace: the caller then deletes the
// token at once.
func (c *sessionCache) retire(hash string, until time.Time) bool {
	if c.ttl < 0 {
		return true // nothing is cached
	}
	c.publish("t", hash)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, hash)
	if len(c.retired) >= 1024 {
		now := c.wall()
		for h, u := range c.retired {
			if !now.Before(u) {
				delete(c.retired, h)
			}
		}
		if len(c.retired) >= c.max {
			return false
		}
	}
	c.retired[hash] = until
	return true
}

func (c *sessionCache) forgetToken(hash string) {
	c.dropToken(hash)
	c.publish("t", hash)
}

func (c *sessionCache) dropToken(hash string) {
	c.mu.Lock()
	c.gen++
	delete(c.entries, hash)
	c.mu.Unlock()
}

// forgetWhere drops the matching entries of this process only.
func (c *sessionCache) forgetWhere(match func(*authState) bool) {
	c.mu.Lock()
	c.gen++
	for k, e := range c.entries {
		if match(e.st) {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
}

func (c *sessionCache) forgetUser(userID string) {
	c.dropUser(userID)
	c.publish("u", userID)
}

func (c *sessionCache) dropUser(userID string) {
	c.forgetWhere(func(st *authState) bool { return st.user.ID == userID })
}

// forgetOrg drops the entries whose active organization is orgID.
func (c *sessionCache) forgetOrg(orgID string) {
	c.dropOrg(orgID)
	c.publish("o", orgID)
}

func (c *sessionCache) dropOrg(orgID string) {
	c.forgetWhere(func(st *authState) bool { return st.org != nil && st.org.org.ID == orgID })
}

func (c *sessionCache) forgetSessions(ids ...string) {
	c.dropSessions(ids...)
	for _, id := range ids {
		c.publish("s", id)
	}
}

func (c *sessionCache) dropSessions(ids ...string) {
	c.forgetWhere(func(st *authState) bool {
		for _, id := range ids {
			if st.session.ID == id {
				return true
			}
		}
		return false
	})
}

// cookieValue finds the session cookie without parsing every cookie.
func cookieValue(r *http.Request, name string) string {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			if k, v, ok := strings.Cut(part, "="); ok && k == name {
				return strings.Trim(v, `"`)
			}
		}
	}
	return ""
}

// lookup resolves the request's signed-in session: from the context when a
// middleware already did, else from the cache, else with one indexed read.
func (a *Server) lookup(r *http.Request) (*authState, error) {
	if st := stateFrom(r.Context()); st != nil && st.bearer == nil {
		return st, nil
	}
	token := cookieValue(r, a.s.cookieName)
	if token == "" || len(token) > 128 {
		return nil, nil
	}
	var buf [43]byte
	hashBytes := tokenHashTo(&buf, token)
	now := a.s.Now()
	st, gen := a.cache.getGen(hashBytes, now)
	if st == nil {
		hash := string(hashBytes)
		sess, user, org, err := a.db.SessionByTokenWithOrg(r.Context(), hash)
		if err != nil {
			if errorsIsNotFound(err) {
				return nil, nil
			}
			return nil, err
		}
		st = &authState{user: user, session: sess, hash: hash, org: a.orgState(org), me: &meJSON{}}
		a.cache.putIfGen(st, now, gen)
	}
	if st.user.Banned {
		if a.s.SessionMode == SessionMulti && !leftBanned(r.Context()) {
			switched, err := a.leaveBannedAccount(r.Context(), token, st.session.ID)
			if err != nil {
				return nil, err
			}
			if switched {
				a.cache.forgetToken(st.hash)
				return a.lookup(r.WithContext(context.WithValue(r.Context(), leftBannedKey{}, true)))
			}
		}
		return nil, nil
	}
	if !st.session.Active(now, a.s.SessionIdleTimeout) {
		a.cache.forgetToken(st.hash)
		if st.session.ActorSessionID != "" && !leftBanned(r.Context()) {
			// An impersonation past its time: the browser goes back to
			// the administrator's own session (impersonation.go).
			back, err := a.returnFromImpersonation(r.Context(), token, st.session)
			if err != nil {
				return nil, err
			}
			if back {
				return a.lookup(r.WithContext(context.WithValue(r.Context(), leftBannedKey{}, true)))
			}
		}
		reason := "idle_timeout"
		if !now.Before(st.session.ExpiresAt) {
			reason = "expired"
		}
		if err := a.db.EndSession(r.Context(), st.session.ID, reason); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if now.Sub(st.session.LastActiveAt) >= touchInterval {
		if err := a.db.TouchSession(r.Context(), st.session.ID, now); err != nil {
			return nil, err
		}
		fresh := *st
		fresh.session.LastActiveAt = now.UTC()
		fresh.me = &meJSON{}
		st = &fresh
		a.cache.putIfGen(st, now, gen)
	}
	return st, nil
}

type leftBannedKey struct{}

// leftBanned reports whether this request already moved its browser off a
// banned account (it does so once).
func leftBanned(ctx context.Context) bool {
	v, _ := ctx.Value(leftBannedKey{}).(bool)
	return v
}

// leaveBannedAccount drops the banned account's session bannedID from the
// browser whose cookie token is token (multi-session mode) and makes the
// browser's newest other live account active, reporting whether there was
// one. The cookie token stays: it was already signed in as that account,
// so it gains nothing. With no other account, nothing changes and the
// browser is simply signed out, as in single-session mode.
func (a *Server) leaveBannedAccount(ctx context.Context, token, bannedID string) (bool, error) {
	ctx, err := a.sm.Load(ctx, token)
	if err != nil {
		return false, err
	}
	if a.sm.Token(ctx) != token || a.sm.GetString(ctx, keySessionID) != bannedID {
		return false, nil // the request already moved to another token or account
	}
	var rest []string
	for _, id := range splitIDs(a.sm.GetString(ctx, keySessionIDs)) {
		if id == bannedID {
			continue
		}
		s, u, _, err := a.db.LiveSessionWithOrg(ctx, id)
		if err != nil {
			if errorsIsNotFound(err) {
				continue
			}
			return false, err
		}
		if !u.Banned && s.Active(a.s.Now(), a.s.SessionIdleTimeout) {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return false, nil
	}
	a.sm.Put(ctx, keySessionID, rest[len(rest)-1])
	a.sm.Put(ctx, keySessionIDs, strings.Join(rest, ","))
	if _, _, err := a.sm.Commit(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// Middleware puts the signed-in user and session, if any, in the request
// context for [UserFrom] and [SessionFrom]. It never rejects a request for
// being signed out; use [Auth.RequireUser] for that. Most requests cost no
// database read (see Config.SessionCacheTTL) and at most one.
func (a *Server) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := a.lookup(r)
		if st == nil && err == nil {
			st, err = a.bearer(r) // no cookie session: an Authorization: Bearer session token
		}
		if err != nil {
			a.adapter.Write(w, r, err)
			return
		}
		if st != nil && !a.mustEnrol(st) { // MFARequired: signed out until enrolled
			r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		}
		next.ServeHTTP(w, r)
	})
}

// RequireUser lets signed-in requests through to next. Others are
// redirected to the sign-in page (browsers, with redirect_url set to come
// back) or answered 401 with a JSON error (API clients). Answers it lets
// through are marked Cache-Control: no-store.
func (a *Server) RequireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, err := a.lookup(r)
		if st == nil && err == nil {
			st, err = a.bearer(r) // no cookie session: an Authorization: Bearer session token
		}
		if err != nil {
			a.adapter.Write(w, r, err)
			return
		}
		if st == nil {
			a.unauthenticated(w, r)
			return
		}
		if a.mustEnrol(st) {
			a.enrolmentRequired(w, r)
			return
		}
		if stateFrom(r.Context()) == nil {
			r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		}
		w.Header()["Cache-Control"] = noStoreValue
		next.ServeHTTP(w, r)
	})
}

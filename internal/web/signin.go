package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/password"
	"github.com/embedauth/auth/store"
)

var errInvalidCredentials = &core.Error{Kind: core.ErrUnauthenticated, Code: "invalid_credentials",
	Message: "That email and password don't match an account.", Err: core.ErrInvalidCredentials}

// rateLimited answers a client over its per-IP limit.
func rateLimited(l interface {
	Allow(string) (bool, time.Duration)
}, key string) error {
	if ok, retry := l.Allow(key); !ok {
		return &core.Error{Kind: core.ErrRateLimited, Code: "rate_limited",
			Message: "Too many requests from your network. Wait a minute and try again.", RetryAfter: retry}
	}
	return nil
}

// hashError maps the hasher's busy signal to a 429.
func hashError(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return &core.Error{Kind: core.ErrRateLimited, Code: "busy",
			Message: "We're handling a lot of sign-ins right now. Try again in a moment.", RetryAfter: time.Second, Err: err}
	}
	return err
}

// lockedError answers a sign-in to a locked account.
func lockedError(retry time.Duration) error {
	return &core.Error{Kind: core.ErrRateLimited, Code: "too_many_attempts",
		Message:    "Too many failed attempts. Try again later, or reset your password.",
		RetryAfter: retry, Err: core.ErrLocked}
}

// checkPassword verifies a user's password: the attempt is counted first,
// so parallel guesses cannot pass the lockout threshold, and exactly one
// hash runs. An unknown user costs the same hash.
func (a *Server) checkPassword(ctx context.Context, user *core.User, pw string) error {
	if err := a.verifyPassword(ctx, user, pw); err != nil {
		return err
	}
	return a.db.ResetAttempts(ctx, user.ID)
}

// verifyPassword is checkPassword without clearing the attempt it counted
// when the password is right: the caller clears it, with
// [store.DB.ResetAttempts] or in the transaction that creates the session.
func (a *Server) verifyPassword(ctx context.Context, user *core.User, pw string) error {
	if utf8.RuneCountInString(pw) > a.s.PasswordMaxLength {
		return errInvalidCredentials
	}
	if user == nil {
		// Run the statements a known user's attempt runs (they match no
		// row), so the database work does not tell the two apart.
		if _, _, err := a.db.ReserveAttempt(ctx, "", a.s.LockoutThreshold, a.s.LockoutDuration); err != nil && !errors.Is(err, core.ErrNotFound) {
			return err
		}
		if err := a.hasher.Dummy(ctx, pw); err != nil {
			return hashError(err)
		}
		a.logFailure(ctx, "", "password", core.SecurityFailureWrongPassword) // the statement a known user's failure runs; it writes nothing
		return errInvalidCredentials
	}
	ok, until, err := a.db.ReserveAttempt(ctx, user.ID, a.s.LockoutThreshold, a.s.LockoutDuration)
	if err != nil {
		return err
	}
	if !ok {
		a.logLocked(ctx, user.ID, "password")
		return lockedError(until.Sub(a.s.Now()))
	}
	hash, err := a.db.PasswordHash(ctx, user.ID)
	if errors.Is(err, core.ErrNotFound) {
		if err := a.hasher.Dummy(ctx, pw); err != nil {
			return hashError(err)
		}
		a.logFailure(ctx, user.ID, "password", core.SecurityFailureWrongPassword)
		return errInvalidCredentials
	}
	if err != nil {
		return err
	}
	match, rehash, err := a.hasher.Verify(ctx, pw, hash)
	if err != nil {
		return hashError(err)
	}
	if !match {
		a.logFailure(ctx, user.ID, "password", core.SecurityFailureWrongPassword)
		return errInvalidCredentials
	}
	if rehash {
		if h, err := a.hasher.Hash(ctx, pw); err == nil {
			if err := a.db.RehashPassword(ctx, user.ID, hash, h); err != nil {
				a.s.Logger.Error("embedauth: rehash password", "err", err)
			}
		}
	}
	return nil
}

// passwordSignIn checks an email and password and signs the browser in.
func (a *Server) passwordSignIn(w http.ResponseWriter, r *http.Request, email, pw string) (*authState, error) {
	if !a.enabled(MethodPassword) {
		return nil, errMethodDisabled
	}
	if err := rateLimited(a.limits.signIn, a.s.ClientIP(r)); err != nil {
		return nil, err
	}
	email, err := cleanEmail(email)
	if err != nil {
		return nil, err
	}
	if pw == "" {
		return nil, httpx.FieldError("password", "password_required", "Enter your password.")
	}
	ctx := r.Context()
	var userp *core.User
	user, err := a.db.UserByEmail(ctx, email)
	switch {
	case err == nil:
		userp = &user
	case !errors.Is(err, core.ErrNotFound):
		return nil, err
	default:
		// An address without an account locks like one with an account,
		// so lockout does not tell them apart.
		if ok, retry := a.limits.unknownEmail.Allow(store.EmailKey(email)); !ok {
			return nil, lockedError(retry)
		}
	}
	if err := a.verifyPassword(ctx, userp, pw); err != nil {
		return nil, err
	}
	// The attempt verifyPassword counted is cleared in the transaction that
	// creates the session, or here when the sign-in stops short of one.
	cleared := false
	defer func() {
		if !cleared {
			if err := a.db.ResetAttempts(ctx, user.ID); err != nil {
				a.s.Logger.Error("embedauth: reset failed attempts", "err", err)
			}
		}
	}()
	if user.Banned {
		return nil, &core.Error{Kind: core.ErrForbidden, Code: "user_banned", Message: "This account has been disabled.", Err: core.ErrBanned}
	}
	if err := a.requireSecondFactor(r, user, "password"); err != nil {
		return nil, err // errFactorTwoRequired: no session until the second factor (mfa.go)
	}
	sess, err := a.deviceSession(r, user, "password", nil, false, true) // errDeviceVerificationRequired for a new device (device.go)
	if err != nil {
		return nil, err
	}
	cleared = true
	return a.attachSession(r, user, sess)
}

// newSession describes the device a request comes from.
func (a *Server) newSession(r *http.Request, userID, method string) core.Session {
	ua := r.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	if !utf8.ValidString(ua) {
		ua = strings.ToValidUTF8(ua, "")
	}
	return core.Session{UserID: userID, AuthMethod: method, UserAgent: ua, IP: a.s.ClientIP(r),
		ExpiresAt: a.s.Now().Add(a.s.SessionLifetime)}
}

// attachSession signs this browser in as sess with a fresh cookie token:
// whatever token the browser had (perhaps planted) is deleted.
func (a *Server) attachSession(r *http.Request, user core.User, sess core.Session) (*authState, error) {
	ctx := r.Context()
	prev := a.sm.GetString(ctx, keySessionID)
	ids := splitIDs(a.sm.GetString(ctx, keySessionIDs))
	if a.s.SessionMode == SessionSingle && prev != "" && prev != sess.ID {
		if err := a.db.EndSession(ctx, prev, "signed_in_again"); err != nil && !errors.Is(err, core.ErrNotFound) {
			return nil, err
		}
		a.cache.forgetSessions(prev)
		ids = nil
	}
	if err := a.sm.RenewToken(ctx); err != nil {
		return nil, err
	}
	a.sm.Remove(ctx, keySignup)
	a.sm.Remove(ctx, keyReset)
	a.sm.Remove(ctx, keyFactorTwo) // a sign-in waiting for its second factor (mfa.go)
	a.sm.Put(ctx, keySessionID, sess.ID)
	a.linkPendingSocial(r, user) // an identity waiting for this account (social.go)
	if a.s.SessionMode == SessionMulti {
		if !slices.Contains(ids, sess.ID) {
			ids = append(ids, sess.ID)
		}
		a.sm.Put(ctx, keySessionIDs, strings.Join(ids, ","))
	}
	return &authState{user: user, session: sess}, nil
}

func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// signOut ends the browser's active session. In multi-session mode the
// browser switches to another of its accounts, if any.
func (a *Server) signOut(r *http.Request) error {
	ctx := r.Context()
	sid := a.sm.GetString(ctx, keySessionID)
	if sid != "" {
		if err := a.db.EndSession(ctx, sid, "signed_out"); err != nil && !errors.Is(err, core.ErrNotFound) {
			return err
		}
		a.cache.forgetSessions(sid)
	}
	return a.keepLiveAccounts(r)
}

// keepLiveAccounts drops ended sessions from this browser after a sign-out
// or reset. In multi-session mode a remaining account becomes active (with
// a new cookie token); with none left, the browser session is destroyed.
func (a *Server) keepLiveAccounts(r *http.Request) error {
	ctx := r.Context()
	if a.s.SessionMode == SessionMulti {
		var rest []string
		for _, id := range splitIDs(a.sm.GetString(ctx, keySessionIDs)) {
			if s, err := a.db.Session(ctx, id); err == nil && s.Active(a.s.Now(), a.s.SessionIdleTimeout) {
				rest = append(rest, id)
			}
		}
		if len(rest) > 0 {
			if err := a.sm.RenewToken(ctx); err != nil {
				return err
			}
			a.sm.Put(ctx, keySessionID, rest[len(rest)-1])
			a.sm.Put(ctx, keySessionIDs, strings.Join(rest, ","))
			return nil
		}
	}
	return a.sm.Destroy(ctx)
}

// switchSession makes another signed-in account of this browser active
// (multi-session mode).
func (a *Server) switchSession(r *http.Request, id string) error {
	ctx := r.Context()
	if a.s.SessionMode != SessionMulti || !slices.Contains(splitIDs(a.sm.GetString(ctx, keySessionIDs)), id) {
		return httpx.Errorf(http.StatusNotFound, "session_not_found", "That account is not signed in on this browser.")
	}
	s, err := a.db.Session(ctx, id)
	if err != nil || !s.Active(a.s.Now(), a.s.SessionIdleTimeout) {
		return httpx.Errorf(http.StatusNotFound, "session_not_found", "That account is no longer signed in. Sign in again.")
	}
	if err := a.sm.RenewToken(ctx); err != nil {
		return err
	}
	a.sm.Put(ctx, keySessionID, id)
	return nil
}

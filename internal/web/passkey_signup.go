package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/passkey"
	"github.com/embedauth/auth/store"
)

// A passkey-only sign-up reuses the pending sign-up of a password sign-up
// (store.Signup, without a password hash), its code mail, its attempt and
// resend caps. It is kept under its own browser-session key, so the
// password flow's verify step never sees it: only this flow can complete
// it, and only with a passkey. Its steps: email, code, passkey.

// passkeySignUp starts a passkey sign-up. Like signUp, it answers the same
// whether or not the address has an account: a taken one gets a notice to
// its owner instead of a code.
func (a *Server) passkeySignUp(r *http.Request, rawEmail, rawName string) (string, error) {
	if err := rateLimited(a.limits.signUp, a.s.ClientIP(r)); err != nil {
		return "", err
	}
	email, err := core.CleanEmail(rawEmail)
	if err != nil {
		return "", err
	}
	name, err := core.CleanName(rawName)
	if err != nil {
		return "", err
	}
	ctx := r.Context()
	existing, err := a.db.UserByEmail(ctx, email)
	exists := err == nil
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return "", err
	}
	id := core.NewID("signup")
	code, c := a.signupCodes().Issue(id)
	m, err := a.signupMail(email, code, exists, existing.Name)
	if err != nil {
		return "", err
	}
	err = a.db.CreatePasskeySignup(ctx, store.Signup{
		ID: id, Email: email, Name: name, CodeHash: c.Hash,
		CodeExpiresAt: c.ExpiresAt, ExpiresAt: a.s.Now().Add(signupLifetime),
	}, passkey.NewUserHandle(), m)
	if err != nil {
		return "", err
	}
	a.dispatcher.Wake()
	a.sm.Put(ctx, keyPasskeySignup, id)
	return email, nil
}

// pendingPasskeySignup returns the browser's pending passkey sign-up.
func (a *Server) pendingPasskeySignup(ctx context.Context) (store.PasskeySignup, error) {
	id := a.sm.GetString(ctx, keyPasskeySignup)
	if id == "" {
		return store.PasskeySignup{}, errSignupGone
	}
	ps, err := a.db.PasskeySignup(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		a.sm.Remove(ctx, keyPasskeySignup)
		return ps, errSignupGone
	}
	return ps, err
}

// verifyPasskeySignup checks the code of the browser's pending passkey
// sign-up; the next step creates the passkey. A sign-up verified already
// (a form sent twice) goes on to that step too.
func (a *Server) verifyPasskeySignup(r *http.Request, rawCode string) error {
	ctx := r.Context()
	id := a.sm.GetString(ctx, keyPasskeySignup)
	if id == "" {
		return errSignupGone
	}
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	code, err := cleanCode(rawCode)
	if err != nil {
		return err
	}
	err = a.db.VerifyPasskeySignup(ctx, id, a.signupCodes().Check(id, code))
	switch {
	case errors.Is(err, core.ErrNotFound):
		a.sm.Remove(ctx, keyPasskeySignup)
		return errSignupGone
	case errors.Is(err, core.ErrUsed):
		return nil
	}
	return err
}

// resendPasskeySignup mails a new code; the old one stops working and the
// count of wrong codes carries on.
func (a *Server) resendPasskeySignup(r *http.Request) error {
	ctx := r.Context()
	if err := rateLimited(a.limits.codes, a.s.ClientIP(r)); err != nil {
		return err
	}
	ps, err := a.pendingPasskeySignup(ctx)
	if err != nil {
		return err
	}
	if ps.VerifiedAt != nil {
		return errSignupVerified
	}
	return a.mailSignupCode(ctx, ps.Signup)
}

var errSignupVerified = httpx.Errorf(http.StatusConflict, "already_verified", "Your email is verified already. Create your passkey.")

var errEmailNotVerified = httpx.Errorf(http.StatusConflict, "email_not_verified", "Enter the code we emailed you first.")

// passkeySignUpBegin starts creating the new user's passkey, once their
// email is verified.
func (a *Server) passkeySignUpBegin(r *http.Request) (json.RawMessage, error) {
	ctx := r.Context()
	ps, err := a.pendingPasskeySignup(ctx)
	if err != nil {
		return nil, err
	}
	if ps.VerifiedAt == nil {
		return nil, errEmailNotVerified
	}
	if err := a.limitBegin(r); err != nil {
		return nil, err
	}
	c := passkey.Ceremony{Flow: passkey.FlowSignUp, Subject: ps.ID, Binding: a.passkeyBinding(ctx)}
	display := ps.Name
	if display == "" {
		display = ps.Email
	}
	return a.pk.svc.BeginRegistration(ctx, c, passkey.Account{Name: ps.Email, DisplayName: display, UserHandle: ps.UserHandle})
}

// passkeySignUpFinish verifies the passkey and creates the user with it,
// signed in: user, passkey and session commit together.
func (a *Server) passkeySignUpFinish(r *http.Request, body []byte) (*authState, error) {
	ctx := r.Context()
	ps, err := a.pendingPasskeySignup(ctx)
	if err != nil {
		return nil, err
	}
	if ps.VerifiedAt == nil {
		return nil, errEmailNotVerified
	}
	reg, err := a.pk.svc.FinishRegistration(ctx, passkey.Ceremony{Flow: passkey.FlowSignUp, Subject: ps.ID, Binding: a.existingBinding(ctx)}, body)
	if err != nil {
		return nil, err
	}
	p := reg.Passkey
	if p.Name == "" {
		p.Name = describeDevice(r.UserAgent())
	}
	user, _, sess, err := a.db.CompletePasskeySignup(ctx, ps.ID, p, a.newSession(r, "", "passkey"))
	switch {
	case errors.Is(err, core.ErrNotFound):
		a.sm.Remove(ctx, keyPasskeySignup)
		return nil, errSignupGone
	case errors.Is(err, core.ErrConflict):
		if _, perr := a.db.PasskeyByCredentialID(ctx, p.CredentialID); perr == nil {
			return nil, passkey.Refuse(passkey.ErrCredentialExists, false)
		}
		a.sm.Remove(ctx, keyPasskeySignup)
		return nil, httpx.Errorf(http.StatusConflict, "email_taken", "An account with this email already exists. Sign in instead.")
	case err != nil:
		return nil, err
	}
	a.sm.Remove(ctx, keyPasskeySignup)
	if sess, err = a.deviceSession(r, user, sess.AuthMethod, &sess, true, false); err != nil { // remembers this device (device.go)
		return nil, err
	}
	return a.attachSession(r, user, sess)
}

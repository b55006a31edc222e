package passkey

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/embedauth/auth/core"
)

// decoySubject marks a challenge answered by BeginDecoyLogin: no
// credential can finish it.
const decoySubject = "-"

// Assertion is a verified use of a passkey.
type Assertion struct {
	UserID string
	// Passkey is the passkey used, with its new counter, backup state and
	// last use.
	Passkey core.Passkey
	// UserVerified reports whether the authenticator verified the user.
	UserVerified bool
}

// BeginLogin starts an assertion and returns the options for the browser
// as {"publicKey": PublicKeyCredentialRequestOptionsJSON}. With an empty
// Subject (FlowSignIn only) it is username-less: the browser offers every
// passkey it holds for the site, in a button's dialog or the email field's
// autofill (conditional mediation, chosen by the client). With a Subject
// only that user's passkeys are allowed; a user without passkeys is
// ErrNoPasskeys (see BeginDecoyLogin for sign-in).
func (s *Service) BeginLogin(ctx context.Context, c Ceremony) (json.RawMessage, error) {
	switch c.Flow {
	case FlowSignIn, FlowSecondFactor, FlowReauth:
	default:
		return nil, fmt.Errorf("passkey: begin login: flow %q is not an assertion", c.Flow)
	}
	if c.Binding == "" || (c.Subject == "" && c.Flow != FlowSignIn) {
		return nil, errors.New("passkey: begin login: the ceremony needs a binding, and a subject outside sign-in")
	}
	var (
		assertion *protocol.CredentialAssertion
		sd        *webauthn.SessionData
		err       error
	)
	if c.Subject == "" {
		assertion, sd, err = s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(s.uv))
	} else {
		var u *user
		if u, err = s.loadUser(ctx, c.Subject); err != nil {
			return nil, fmt.Errorf("passkey: begin login: %w", err)
		}
		if len(u.creds) == 0 {
			return nil, Refuse(fmt.Errorf("passkey: begin login: %w", ErrNoPasskeys), true)
		}
		assertion, sd, err = s.wa.BeginLogin(u, webauthn.WithUserVerification(s.uv))
	}
	if err != nil {
		return nil, fmt.Errorf("passkey: begin login: %w", err)
	}
	if err := s.storeChallenge(ctx, c, sd, nil); err != nil {
		return nil, fmt.Errorf("passkey: begin login: %w", err)
	}
	return options(assertion.Response)
}

// BeginDecoyLogin answers a username-first sign-in for an address with no
// account, or an account without passkeys, in the shape BeginLogin gives
// one with a passkey: allowCredentials holds one credential id derived
// from seed (the address) with the decoy key, stable per address. The
// ceremony can never finish (ErrUnknownCredential), and the answer does
// not tell whether the address has an account.
func (s *Service) BeginDecoyLogin(ctx context.Context, c Ceremony, seed string) (json.RawMessage, error) {
	if c.Flow != FlowSignIn || c.Binding == "" {
		return nil, errors.New("passkey: begin decoy login: only a sign-in with a binding")
	}
	m := hmac.New(sha256.New, s.decoyKey)
	m.Write([]byte("decoy credential id\x00" + seed))
	id := m.Sum(nil)[:16]
	desc := []protocol.CredentialDescriptor{{Type: protocol.PublicKeyCredentialType, CredentialID: id,
		Transport: []protocol.AuthenticatorTransport{protocol.Internal, protocol.Hybrid}}}
	assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(s.uv), webauthn.WithAllowedCredentials(desc))
	if err != nil {
		return nil, fmt.Errorf("passkey: begin decoy login: %w", err)
	}
	c.Subject = decoySubject
	if err := s.storeChallenge(ctx, c, sd, nil); err != nil {
		return nil, fmt.Errorf("passkey: begin decoy login: %w", err)
	}
	return options(assertion.Response)
}

// loadUser returns a user's handle and passkeys for the library.
func (s *Service) loadUser(ctx context.Context, userID string) (*user, error) {
	passkeys, err := s.store.UserPasskeys(ctx, userID)
	if err != nil {
		return nil, err
	}
	u := &user{}
	for _, p := range passkeys {
		u.creds = append(u.creds, credential(p))
	}
	if len(passkeys) == 0 {
		return u, nil
	}
	if u.handle, err = s.store.PasskeyUserHandle(ctx, userID); err != nil {
		return nil, err
	}
	return u, nil
}

// FinishLogin verifies an AuthenticationResponseJSON against the
// challenge it answers, which must have been begun for c, and records the
// use. Every failure is one of the package's errors; a counter that went
// backwards is a *SignCountError (ErrSignCountRegressed), returned only
// for an otherwise valid assertion, so the caller may warn the owner.
func (s *Service) FinishLogin(ctx context.Context, c Ceremony, body []byte) (Assertion, error) {
	a, err := s.finishLogin(ctx, c, body)
	if err != nil {
		return Assertion{}, Refuse(fmt.Errorf("passkey: finish login: %w", err), true)
	}
	return a, nil
}

func (s *Service) finishLogin(ctx context.Context, c Ceremony, body []byte) (Assertion, error) {
	switch c.Flow {
	case FlowSignIn, FlowSecondFactor, FlowReauth:
	default:
		return Assertion{}, ErrChallengeMismatch
	}
	p, err := safely(parseAssertion, body)
	if err != nil {
		return Assertion{}, err
	}
	ch, sd, err := s.useChallenge(ctx, c, p.Response.CollectedClientData.Challenge)
	if err != nil {
		return Assertion{}, err
	}
	authData := p.Response.AuthenticatorData
	if err := s.checkClientData(p.Response.CollectedClientData, authData, protocol.AssertCeremony); err != nil {
		return Assertion{}, err
	}
	if ch.Subject == decoySubject {
		return Assertion{}, ErrUnknownCredential
	}
	stored, err := s.store.PasskeyByCredentialID(ctx, p.RawID)
	if errors.Is(err, core.ErrNotFound) {
		return Assertion{}, ErrUnknownCredential
	}
	if err != nil {
		return Assertion{}, err
	}
	discoverable := ch.Subject == ""
	if !discoverable && stored.UserID != ch.Subject {
		return Assertion{}, ErrCredentialNotAllowed
	}
	// The user handle is not signed (w3c/webauthn#1909): it must name the
	// credential's owner, whatever the client claims.
	handle := p.Response.UserHandle
	if discoverable && len(handle) == 0 {
		return Assertion{}, ErrUserHandleMissing
	}
	u, err := s.loadUser(ctx, stored.UserID)
	if err != nil {
		return Assertion{}, err
	}
	if len(handle) > 0 && !bytes.Equal(handle, u.handle) {
		return Assertion{}, ErrUserHandleMismatch
	}
	// The library would refuse a flipped BE before we learn the signature
	// is good; let it pass here and refuse it below, by name.
	assertedBE := authData.Flags.HasBackupEligible()
	for i := range u.creds {
		if bytes.Equal(u.creds[i].ID, stored.CredentialID) {
			u.creds[i].Flags.BackupEligible = assertedBE
		}
	}
	var cred *webauthn.Credential
	if discoverable {
		_, cred, err = s.wa.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return u, nil }, sd, p)
	} else {
		cred, err = s.wa.ValidateLogin(u, sd, p)
	}
	if err != nil {
		return Assertion{}, wrap(ErrVerificationFailed, err)
	}
	// From here on the signature is known to be good.
	if assertedBE != stored.BackupEligible {
		return Assertion{}, ErrBackupEligibilityChanged
	}
	if cred.Authenticator.CloneWarning {
		return Assertion{}, &SignCountError{Passkey: stored, Observed: authData.Counter}
	}
	switch err := s.store.RecordPasskeyUse(ctx, stored.ID, authData.Counter, authData.Flags.HasBackupState()); {
	case errors.Is(err, core.ErrConflict):
		// A concurrent sign-in stored a counter at least as high.
		return Assertion{}, &SignCountError{Passkey: stored, Observed: authData.Counter}
	case errors.Is(err, core.ErrNotFound):
		return Assertion{}, ErrUnknownCredential // deleted meanwhile
	case err != nil:
		return Assertion{}, err
	}
	used := s.now().UTC().Truncate(time.Millisecond)
	stored.SignCount = authData.Counter
	stored.BackupState = authData.Flags.HasBackupState()
	stored.LastUsedAt = &used
	return Assertion{UserID: stored.UserID, Passkey: stored, UserVerified: authData.Flags.HasUserVerified()}, nil
}

package passkey

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/embedauth/auth/core"
)

// Account describes whom a passkey is created for, as the authenticator
// shows it.
type Account struct {
	// Name is the account name, normally the email address.
	Name string
	// DisplayName is the person's name; Name when empty.
	DisplayName string
	// UserHandle is the handle a FlowSignUp registration is for (see
	// [NewUserHandle]). FlowRegister ignores it and uses the user's stored
	// handle, creating it on first use.
	UserHandle []byte
}

// Registration is a verified new passkey that is not stored yet: the
// caller stores it, for FlowSignUp in the same transaction as the new user
// and UserHandle.
type Registration struct {
	// Passkey has UserID set to the Subject for FlowRegister and empty for
	// FlowSignUp, and Name set to the authenticator's name when its AAGUID
	// is known (else empty, for the caller to default).
	Passkey    core.Passkey
	UserHandle []byte
}

// knownTransports are the transport hints worth keeping from a client.
var knownTransports = []string{"usb", "nfc", "ble", "smart-card", "hybrid", "internal"}

// BeginRegistration starts creating a passkey for FlowRegister or
// FlowSignUp and returns the options for the browser as
// {"publicKey": PublicKeyCredentialCreationOptionsJSON}. The user's
// existing passkeys are listed in excludeCredentials, so an authenticator
// that already holds one refuses to make another.
func (s *Service) BeginRegistration(ctx context.Context, c Ceremony, acct Account) (json.RawMessage, error) {
	if c.Subject == "" || c.Binding == "" {
		return nil, errors.New("passkey: begin registration: the ceremony needs a subject and a binding")
	}
	var handle []byte
	var exclude []protocol.CredentialDescriptor
	switch c.Flow {
	case FlowRegister:
		var err error
		if handle, err = s.store.EnsurePasskeyUserHandle(ctx, c.Subject, newHandle()); err != nil {
			return nil, fmt.Errorf("passkey: begin registration: %w", err)
		}
		existing, err := s.store.UserPasskeys(ctx, c.Subject)
		if err != nil {
			return nil, fmt.Errorf("passkey: begin registration: %w", err)
		}
		for _, p := range existing {
			cred := credential(p)
			exclude = append(exclude, cred.Descriptor())
		}
	case FlowSignUp:
		if len(acct.UserHandle) == 0 || len(acct.UserHandle) > 64 {
			return nil, errors.New("passkey: begin registration: a sign-up needs a user handle of 1 to 64 bytes")
		}
		handle = acct.UserHandle
	default:
		return nil, fmt.Errorf("passkey: begin registration: flow %q creates no passkey", c.Flow)
	}
	display := acct.DisplayName
	if display == "" {
		display = acct.Name
	}
	u := &user{handle: handle, name: acct.Name, displayName: display}
	creation, sd, err := s.wa.BeginRegistration(u,
		webauthn.WithExclusions(exclude),
		func(o *protocol.PublicKeyCredentialCreationOptions) error {
			o.Extensions.CredProps = true // tells whether the passkey is discoverable
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("passkey: begin registration: %w", err)
	}
	if err := s.storeChallenge(ctx, c, sd, handle); err != nil {
		return nil, fmt.Errorf("passkey: begin registration: %w", err)
	}
	return options(creation.Response)
}

// FinishRegistration verifies a RegistrationResponseJSON against the
// challenge it answers, which must have been begun for c, and returns the
// new passkey, unsaved. Every failure is one of the package's errors.
func (s *Service) FinishRegistration(ctx context.Context, c Ceremony, body []byte) (Registration, error) {
	reg, err := s.finishRegistration(ctx, c, body)
	if err != nil {
		return Registration{}, Refuse(fmt.Errorf("passkey: finish registration: %w", err), false)
	}
	return reg, nil
}

func (s *Service) finishRegistration(ctx context.Context, c Ceremony, body []byte) (Registration, error) {
	if c.Flow != FlowRegister && c.Flow != FlowSignUp {
		return Registration{}, ErrChallengeMismatch
	}
	p, err := safely(parseRegistration, body)
	if err != nil {
		return Registration{}, err
	}
	ch, sd, err := s.useChallenge(ctx, c, p.Response.CollectedClientData.Challenge)
	if err != nil {
		return Registration{}, err
	}
	authData := p.Response.AttestationObject.AuthData
	if err := s.checkClientData(p.Response.CollectedClientData, authData, protocol.CreateCeremony); err != nil {
		return Registration{}, err
	}
	if !bytes.Equal(authData.AttData.CredentialID, p.RawID) {
		return Registration{}, wrap(ErrVerificationFailed, errors.New("credential id differs from the attested one"))
	}
	switch _, err := s.store.PasskeyByCredentialID(ctx, p.RawID); {
	case err == nil:
		return Registration{}, ErrCredentialExists
	case !errors.Is(err, core.ErrNotFound):
		return Registration{}, err
	}
	cred, err := s.wa.CreateCredential(&user{handle: ch.UserHandle}, sd, p)
	if err != nil {
		return Registration{}, wrap(ErrVerificationFailed, err)
	}
	var transports []string
	for _, t := range cred.Transport {
		if ts := string(t); slices.Contains(knownTransports, ts) && !slices.Contains(transports, ts) {
			transports = append(transports, ts)
		}
	}
	pk := core.Passkey{
		CredentialID:      cred.ID,
		PublicKey:         cred.PublicKey,
		AAGUID:            cred.Authenticator.AAGUID,
		SignCount:         cred.Authenticator.SignCount,
		Transports:        transports,
		AttestationFormat: cred.AttestationFormat,
		BackupEligible:    cred.Flags.BackupEligible,
		BackupState:       cred.Flags.BackupState,
		Name:              AuthenticatorName(cred.Authenticator.AAGUID),
	}
	if c.Flow == FlowRegister {
		pk.UserID = ch.Subject
	}
	return Registration{Passkey: pk, UserHandle: ch.UserHandle}, nil
}

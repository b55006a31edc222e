package passkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/embedauth/auth/core"
)

// Store is the storage the service needs. Not found is [core.ErrNotFound];
// other errors are system faults. *store.DB implements it.
type Store interface {
	// PasskeyUserHandle returns the user's WebAuthn user handle.
	PasskeyUserHandle(ctx context.Context, userID string) ([]byte, error)
	// EnsurePasskeyUserHandle returns the user's handle, storing candidate
	// first when they have none; concurrent callers agree on one.
	EnsurePasskeyUserHandle(ctx context.Context, userID string, candidate []byte) ([]byte, error)
	// UserIDByPasskeyHandle returns the id of the user with a handle.
	UserIDByPasskeyHandle(ctx context.Context, handle []byte) (string, error)
	// UserPasskeys returns a user's passkeys.
	UserPasskeys(ctx context.Context, userID string) ([]core.Passkey, error)
	// PasskeyByCredentialID returns the passkey with a credential id,
	// whoever owns it.
	PasskeyByCredentialID(ctx context.Context, credentialID []byte) (core.Passkey, error)
	// CreatePasskeyChallenge stores a ceremony in progress.
	CreatePasskeyChallenge(ctx context.Context, c core.PasskeyChallenge) error
	// UsePasskeyChallenge marks a challenge used and returns it, at most
	// once: then [core.ErrUsed]; past its expiry [core.ErrExpired].
	UsePasskeyChallenge(ctx context.Context, challenge string) (core.PasskeyChallenge, error)
	// RecordPasskeyUse stores the counter, backup state and time of a
	// verified use; [core.ErrConflict] when the stored counter is already
	// at least signCount (and not both 0).
	RecordPasskeyUse(ctx context.Context, id string, signCount uint32, backupState bool) error
}

// UserVerification says whether ceremonies require the authenticator to
// verify the user (PIN or biometrics), not just their presence.
type UserVerification int

const (
	// VerificationRequired refuses ceremonies without user verification
	// (the default): a passkey alone is then a multi-factor sign-in.
	VerificationRequired UserVerification = iota
	// VerificationPreferred asks for it but accepts presence alone, so
	// security keys without a PIN work.
	VerificationPreferred
)

// Attestation is the attestation conveyance a registration asks for.
type Attestation int

const (
	// AttestationNone asks for no attestation statement (the default):
	// the authenticator's make and model are not needed to trust a passkey.
	AttestationNone Attestation = iota
	// AttestationIndirect lets the client anonymise the statement.
	AttestationIndirect
	// AttestationDirect asks for the authenticator's own statement. It is
	// verified for integrity (the go-webauthn formats: packed, tpm,
	// android-key, android-safetynet, fido-u2f, apple) and its format is
	// recorded on the passkey; it is not checked against a trust store.
	AttestationDirect
)

// Flow names what a ceremony is for. A challenge issued for one flow is
// refused by every other.
type Flow string

// The flows.
const (
	// FlowSignIn signs a user in: username-less (discoverable, Subject
	// empty) or for one account (Subject is the user id).
	FlowSignIn Flow = "sign_in"
	// FlowRegister adds a passkey to the signed-in user (Subject).
	FlowRegister Flow = "register"
	// FlowSignUp creates the first passkey of a new user, for a pending
	// sign-up (Subject is its id).
	FlowSignUp Flow = "sign_up"
	// FlowSecondFactor proves a passkey of a user (Subject) who already
	// gave a first factor.
	FlowSecondFactor Flow = "second_factor"
	// FlowReauth proves a passkey of the signed-in user (Subject) again
	// before a sensitive change.
	FlowReauth Flow = "reauth"
)

// Ceremony is what a challenge is bound to. The same values must be given
// to Begin and Finish.
type Ceremony struct {
	Flow Flow
	// Subject is the user id, or the pending sign-up id for FlowSignUp.
	// At Finish of FlowSignIn it may be left empty: the challenge says
	// whose it was.
	Subject string
	// Binding is an opaque random value kept in the browser session that
	// began the ceremony, so another browser cannot finish it.
	Binding string
}

// Config configures a [Service]. RPID and Origins are required.
type Config struct {
	// RPID is the relying party id: the registrable domain the passkeys
	// belong to, such as "example.com". It cannot be an IP address.
	RPID string
	// RPName is shown by browsers when a passkey is created.
	RPName string
	// Origins are the exact origins ("https://app.example.com") ceremonies
	// may come from. Each host must be RPID or a subdomain of it. The
	// origin a browser reports is checked against this list only.
	Origins []string
	// UserVerification defaults to VerificationRequired.
	UserVerification UserVerification
	// Attestation defaults to AttestationNone.
	Attestation Attestation
	// ChallengeTTL is how long a ceremony may take. Default 5 minutes.
	ChallengeTTL time.Duration
	// DecoyKey (at least 16 bytes) derives the credential ids offered to a
	// username-first sign-in for an address without passkeys, so they are
	// stable per address. Required.
	DecoyKey []byte
	// Now is the clock for challenge expiry. Default time.Now.
	Now func() time.Time
}

// Service runs WebAuthn ceremonies and enforces what the WebAuthn library
// leaves to its caller (see the package documentation). It is safe for
// concurrent use.
type Service struct {
	store    Store
	wa       *webauthn.WebAuthn
	rpID     string
	rpIDHash [32]byte
	origins  map[string]bool
	uv       protocol.UserVerificationRequirement
	ttl      time.Duration
	decoyKey []byte
	now      func() time.Time
}

// New checks cfg and returns a Service over store. It keeps copies of
// cfg's slices.
func New(store Store, cfg Config) (*Service, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("store is nil"))
	}
	rpID := strings.ToLower(strings.TrimSpace(cfg.RPID))
	if err := validRPID(rpID); err != nil {
		errs = append(errs, err)
	}
	origins := map[string]bool{}
	var list []string
	for _, o := range cfg.Origins {
		n, err := normalOrigin(o)
		if err == nil {
			err = originUnderRPID(n, rpID)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !origins[n] {
			origins[n] = true
			list = append(list, n)
		}
	}
	if len(cfg.Origins) == 0 {
		errs = append(errs, errors.New("at least one origin is required"))
	}
	if len(cfg.DecoyKey) < 16 {
		errs = append(errs, errors.New("DecoyKey must be at least 16 bytes"))
	}
	uv := protocol.VerificationRequired
	switch cfg.UserVerification {
	case VerificationRequired:
	case VerificationPreferred:
		uv = protocol.VerificationPreferred
	default:
		errs = append(errs, fmt.Errorf("unknown UserVerification %d", cfg.UserVerification))
	}
	conveyance := protocol.PreferNoAttestation
	switch cfg.Attestation {
	case AttestationNone:
	case AttestationIndirect:
		conveyance = protocol.PreferIndirectAttestation
	case AttestationDirect:
		conveyance = protocol.PreferDirectAttestation
	default:
		errs = append(errs, fmt.Errorf("unknown Attestation %d", cfg.Attestation))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("passkey: config: %w", err)
	}
	ttl := cfg.ChallengeTTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	name := cfg.RPName
	if name == "" {
		name = rpID
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  rpID,
		RPDisplayName:         name,
		RPOrigins:             list,
		AttestationPreference: conveyance,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   uv,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: ttl, TimeoutUVD: ttl},
			Registration: webauthn.TimeoutConfig{Timeout: ttl, TimeoutUVD: ttl},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: config: %w", err)
	}
	return &Service{
		store: store, wa: wa, rpID: rpID, rpIDHash: sha256.Sum256([]byte(rpID)), origins: origins, uv: uv,
		ttl: ttl, decoyKey: append([]byte(nil), cfg.DecoyKey...), now: now,
	}, nil
}

// RPID returns the relying party id.
func (s *Service) RPID() string { return s.rpID }

// validRPID accepts a domain name (not an IP address): WebAuthn clients
// refuse IP addresses as relying party ids.
func validRPID(id string) error {
	if id == "" {
		return errors.New("RPID is required")
	}
	if strings.Trim(id, "0123456789.") == "" || strings.Contains(id, ":") {
		return fmt.Errorf("RPID %q is an IP address; WebAuthn needs a domain name (use localhost, not 127.0.0.1)", id)
	}
	if err := protocol.ValidateRPID(id); err != nil {
		return fmt.Errorf("RPID %q: %w", id, err)
	}
	return nil
}

// normalOrigin returns scheme://host[:port] in lower case, or an error for
// anything that is not such an origin.
func normalOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("origin %q is not like https://app.example.com", o)
	}
	if u.Scheme == "http" && u.Hostname() != "localhost" && !strings.HasSuffix(u.Hostname(), ".localhost") {
		return "", fmt.Errorf("origin %q must use https (plain http only for localhost)", o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// originUnderRPID checks that the origin's host is the RP ID or a
// subdomain of it, as browsers require.
func originUnderRPID(origin, rpID string) error {
	u, _ := url.Parse(origin)
	host := u.Hostname()
	if host == rpID || strings.HasSuffix(host, "."+rpID) {
		return nil
	}
	return fmt.Errorf("origin %q is not on %q or a subdomain of it", origin, rpID)
}

// originAllowed reports whether a client-reported origin is on the list.
func (s *Service) originAllowed(origin string) bool {
	n, err := normalOrigin(origin)
	return err == nil && s.origins[n] && n == origin
}

// newHandle returns a fresh random user handle.
func newHandle() []byte {
	b := make([]byte, HandleSize)
	rand.Read(b)
	return b
}

// HandleSize is the length of the WebAuthn user handles the service makes.
const HandleSize = 32

// NewUserHandle returns a random user handle for a user who does not
// exist yet (a pending sign-up).
func NewUserHandle() []byte { return newHandle() }

// storeChallenge keeps a begun ceremony.
func (s *Service) storeChallenge(ctx context.Context, c Ceremony, sd *webauthn.SessionData, handle []byte) error {
	b, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	return s.store.CreatePasskeyChallenge(ctx, core.PasskeyChallenge{
		Challenge: sd.Challenge, Flow: string(c.Flow), Subject: c.Subject, Binding: c.Binding,
		UserHandle: handle, Session: b, ExpiresAt: s.now().Add(s.ttl),
	})
}

// useChallenge takes the challenge a response answers, once, and checks
// that it was issued for this ceremony.
func (s *Service) useChallenge(ctx context.Context, c Ceremony, challenge string) (core.PasskeyChallenge, webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if challenge == "" || len(challenge) > 256 {
		return core.PasskeyChallenge{}, sd, ErrChallengeUnknown
	}
	ch, err := s.store.UsePasskeyChallenge(ctx, challenge)
	switch {
	case errors.Is(err, core.ErrNotFound):
		return ch, sd, ErrChallengeUnknown
	case errors.Is(err, core.ErrUsed):
		return ch, sd, ErrChallengeUsed
	case errors.Is(err, core.ErrExpired):
		return ch, sd, ErrChallengeExpired
	case err != nil:
		return ch, sd, err
	}
	if ch.Flow != string(c.Flow) || (c.Subject != "" && ch.Subject != c.Subject) ||
		subtle.ConstantTimeCompare([]byte(ch.Binding), []byte(c.Binding)) != 1 || c.Binding == "" {
		return ch, sd, ErrChallengeMismatch
	}
	if err := json.Unmarshal(ch.Session, &sd); err != nil {
		return ch, sd, fmt.Errorf("stored session data: %w", err)
	}
	return ch, sd, nil
}

// checkClientData applies the checks of the client data and
// authenticator data that need no key, each with its own error. The
// library repeats them; doing them first names the failure.
func (s *Service) checkClientData(cd protocol.CollectedClientData, ad protocol.AuthenticatorData, ceremony protocol.CeremonyType) error {
	switch {
	case cd.Type != ceremony:
		return ErrWrongCeremony
	case !s.originAllowed(cd.Origin), cd.CrossOrigin, cd.TopOrigin != "":
		return ErrOriginNotAllowed
	case subtle.ConstantTimeCompare(ad.RPIDHash, s.rpIDHash[:]) != 1:
		return ErrRPIDMismatch
	case !ad.Flags.HasUserPresent():
		return ErrUserNotPresent
	case s.uv == protocol.VerificationRequired && !ad.Flags.HasUserVerified():
		return ErrUserNotVerified
	case ad.Flags.HasBackupState() && !ad.Flags.HasBackupEligible():
		return ErrBackupStateWithoutEligibility
	}
	return nil
}

// options marshals ceremony options as {"publicKey": {...}}, the shape
// PublicKeyCredential.parseCreationOptionsFromJSON and
// parseRequestOptionsFromJSON take the inner object of.
func options(publicKey any) (json.RawMessage, error) {
	return json.Marshal(struct {
		PublicKey any `json:"publicKey"`
	}{publicKey})
}

// user adapts a user handle and passkeys to webauthn.User.
type user struct {
	handle      []byte
	name        string
	displayName string
	creds       []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.handle }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.displayName }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// credential converts a stored passkey for the library.
func credential(p core.Passkey) webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(p.Transports))
	for i, t := range p.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:                p.CredentialID,
		PublicKey:         p.PublicKey,
		AttestationFormat: p.AttestationFormat,
		Transport:         transports,
		Flags: webauthn.CredentialFlags{
			UserPresent: true, BackupEligible: p.BackupEligible, BackupState: p.BackupState,
		},
		Authenticator: webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount},
	}
}

package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/embedauth/auth/passkey"
)

// PasskeyConfig configures passkeys (WebAuthn). The zero value turns them
// on for BaseURL, with user verification required and no attestation.
type PasskeyConfig struct {
	// Mode is PasskeysOptional (default), PasskeysRequired or
	// PasskeysDisabled.
	Mode PasskeyMode
	// UserVerification is PasskeyUVRequired (default: the authenticator
	// checks a PIN or biometrics, so a passkey alone is a multi-factor
	// sign-in) or PasskeyUVPreferred (security keys without a PIN work
	// too).
	UserVerification PasskeyUserVerification
	// Attestation is PasskeyAttestationNone (default: registrations ask
	// for no attestation statement), PasskeyAttestationIndirect or
	// PasskeyAttestationDirect (the authenticator's statement is verified
	// and its format recorded; it is not checked against a trust store).
	Attestation PasskeyAttestation
	// RPID is the WebAuthn relying party id, the domain passkeys belong
	// to. Default: the host of BaseURL. Set the parent domain, such as
	// "example.com", when the app runs on a subdomain and passkeys should
	// work across its siblings. It cannot be an IP address.
	RPID string
	// Origins are the exact origins ceremonies may come from, each on RPID
	// or a subdomain of it. Default: the BaseURL origin. The origin a
	// browser reports is checked against this list only, never against a
	// request's Host.
	Origins []string
}

// PasskeyMode turns passkeys on or off.
type PasskeyMode int

const (
	// PasskeysOptional lets users add passkeys and sign in with them (the
	// default).
	PasskeysOptional PasskeyMode = iota
	// PasskeysRequired is PasskeysOptional, and after each sign-in users
	// without a passkey are asked to add one.
	PasskeysRequired
	// PasskeysDisabled hides every passkey page, button and script, and
	// answers the passkey API with 404.
	PasskeysDisabled
)

// PasskeyAttestation is the attestation conveyance registrations ask for.
type PasskeyAttestation int

const (
	// PasskeyAttestationNone asks for no attestation (the default).
	PasskeyAttestationNone PasskeyAttestation = iota
	// PasskeyAttestationIndirect lets the browser anonymise the statement.
	PasskeyAttestationIndirect
	// PasskeyAttestationDirect asks for the authenticator's own statement.
	PasskeyAttestationDirect
)

// PasskeyUserVerification says whether ceremonies require user
// verification.
type PasskeyUserVerification int

const (
	// PasskeyUVRequired refuses passkeys that did not verify the user (the
	// default).
	PasskeyUVRequired PasskeyUserVerification = iota
	// PasskeyUVPreferred asks for user verification but accepts presence.
	PasskeyUVPreferred
)

// passkeySettings is PasskeyConfig with defaults applied.
type passkeySettings struct {
	on      bool
	service passkey.Config // without DecoyKey and Now, set at New
}

// checkPasskeys derives the passkey settings from s and reports what is
// wrong with them. With the default Mode and no explicit RPID, a BaseURL
// on an IP address (which WebAuthn refuses) turns passkeys off with a
// warning at New instead of failing.
func (s *settings) checkPasskeys() []error {
	c := s.Passkeys
	c.Origins = append([]string(nil), c.Origins...)
	var errs []error
	switch c.Mode {
	case PasskeysOptional, PasskeysRequired:
	case PasskeysDisabled:
		return nil
	default:
		return []error{fmt.Errorf("Passkeys.Mode %d is unknown", c.Mode)}
	}
	uv := passkey.VerificationRequired
	switch c.UserVerification {
	case PasskeyUVRequired:
	case PasskeyUVPreferred:
		uv = passkey.VerificationPreferred
	default:
		errs = append(errs, fmt.Errorf("Passkeys.UserVerification %d is unknown", c.UserVerification))
	}
	att := passkey.AttestationNone
	switch c.Attestation {
	case PasskeyAttestationNone:
	case PasskeyAttestationIndirect:
		att = passkey.AttestationIndirect
	case PasskeyAttestationDirect:
		att = passkey.AttestationDirect
	default:
		errs = append(errs, fmt.Errorf("Passkeys.Attestation %d is unknown", c.Attestation))
	}
	if s.base == nil {
		return errs // BaseURL is reported already
	}
	rpID := strings.ToLower(c.RPID)
	if rpID == "" {
		rpID = s.base.Hostname()
		if c.Mode == PasskeysOptional && isIPHost(rpID) {
			return errs // off, with a warning at New
		}
	}
	if len(c.Origins) == 0 {
		c.Origins = []string{s.origin}
	}
	cfg := passkey.Config{RPID: rpID, RPName: s.AppName, Origins: c.Origins, UserVerification: uv, Attestation: att}
	// Validate now, so New reports it with the other problems.
	probe := cfg
	probe.DecoyKey = bytes.Repeat([]byte{1}, 32)
	if _, err := passkey.New(nopPasskeyStore{}, probe); err != nil {
		errs = append(errs, fmt.Errorf("Passkeys.RPID/Origins: %w", errors.Unwrap(err)))
	}
	s.pk = passkeySettings{on: true, service: cfg}
	return errs
}

func isIPHost(host string) bool {
	u := url.URL{Host: host}
	h := u.Hostname()
	return strings.Trim(h, "0123456789.") == "" || strings.Contains(h, ":")
}

// nopPasskeyStore lets checkPasskeys validate a passkey.Config.
type nopPasskeyStore struct{ passkey.Store }

package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/embedauth/auth/passkey"
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

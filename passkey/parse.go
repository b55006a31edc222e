package passkey

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
)

// MaxResponseSize bounds the JSON of a registration or authentication
// response. Real ones are a few kilobytes.
const MaxResponseSize = 64 << 10

// MaxCredentialIDLength is the longest credential id accepted (WebAuthn L3
// §7.1 step 25).
const MaxCredentialIDLength = 1023

// parseRegistration parses a RegistrationResponseJSON (what
// PublicKeyCredential.toJSON() gives after navigator.credentials.create).
func parseRegistration(body []byte) (p *protocol.ParsedCredentialCreationData, err error) {
	if len(body) > MaxResponseSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(body))
	}
	if idTooLong(body) {
		return nil, ErrCredentialIDTooLong
	}
	p, err = protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return nil, wrap(ErrMalformed, err)
	}
	if len(p.RawID) > MaxCredentialIDLength {
		return nil, ErrCredentialIDTooLong
	}
	return p, nil
}

// parseAssertion parses an AuthenticationResponseJSON (what
// PublicKeyCredential.toJSON() gives after navigator.credentials.get).
func parseAssertion(body []byte) (p *protocol.ParsedCredentialAssertionData, err error) {
	if len(body) > MaxResponseSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(body))
	}
	if idTooLong(body) {
		return nil, ErrCredentialIDTooLong
	}
	p, err = protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return nil, wrap(ErrMalformed, err)
	}
	if len(p.RawID) > MaxCredentialIDLength {
		return nil, ErrCredentialIDTooLong
	}
	return p, nil
}

// idTooLong reports whether the response's credential id is longer than
// MaxCredentialIDLength, before the decoders refuse it for a vaguer reason.
func idTooLong(body []byte) bool {
	var ids struct {
		ID    string `json:"id"`
		RawID string `json:"rawId"`
	}
	if json.Unmarshal(body, &ids) != nil {
		return false
	}
	return base64.RawURLEncoding.DecodedLen(max(len(ids.ID), len(ids.RawID))) > MaxCredentialIDLength
}

// safely runs a parser and turns a panic of the decoding libraries into
// ErrMalformed: hostile input must get a clean refusal. The fuzz tests
// call the parsers directly, so a panic is still found and fixed.
func safely[T any](parse func([]byte) (T, error), body []byte) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
		}
	}()
	return parse(body)
}

// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers the options a relying party sends with the JSON a browser's
// PublicKeyCredential.toJSON() gives, signing with real P-256 keys. Options
// bend any part of a response, to craft what no browser would send: a
// replayed or foreign challenge, another origin or RP ID, missing UP or UV
// flags, a flipped backup-eligible flag, a counter that goes backwards, a
// foreign user handle or an over-long credential id.
//
//	a := passkeytest.New("https://example.com")
//	reg, cred, err := a.Create(creationOptionsJSON)      // POST reg to the finish endpoint
//	resp, err := a.Get(requestOptionsJSON)                // a valid assertion
//	resp, err = a.Get(requestOptionsJSON, passkeytest.WithSignCount(0)) // a cloned key
package passkeytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
)

// ErrExcluded is what Create returns when the authenticator already holds
// one of the options' excludeCredentials, as a browser's InvalidStateError.
var ErrExcluded = errors.New("passkeytest: the authenticator already holds an excluded credential")

// ErrNoCredential is what Get returns when no held credential fits.
var ErrNoCredential = errors.New("passkeytest: no credential for these options")

// Credential is a key pair the authenticator holds.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	RPID       string
	UserHandle []byte
	// SignCount is the last counter sent; the next assertion sends one more.
	SignCount      uint32
	BackupEligible bool
	BackupState    bool
}

// Authenticator is a software authenticator. It is safe for concurrent use.
type Authenticator struct {
	// Origin is written into every client data. New sets it.
	Origin string
	// AAGUID identifies the model; all zero by default.
	AAGUID [16]byte
	// BackupEligible and BackupState are the flags of credentials Create
	// makes (a synced passkey has both).
	BackupEligible bool
	BackupState    bool
	// Transports are reported at registration. Default ["internal"].
	Transports []string

	mu    sync.Mutex
	creds []*Credential
}

// New returns an authenticator that reports origin, an origin such as
// "http://localhost:8080".
func New(origin string) *Authenticator {
	return &Authenticator{Origin: origin, Transports: []string{"internal"}}
}

// Credentials returns the credentials held, oldest first.
func (a *Authenticator) Credentials() []*Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*Credential(nil), a.creds...)
}

// Option bends one part of a response.
type Option func(*tweaks)

type tweaks struct {
	origin, typ, challenge, rpID *string
	noUP, noUV, crossOrigin      bool
	be, bs                       *bool
	signCount                    *uint32
	userHandle                   *[]byte
	credentialID                 []byte
	credential                   *Credential
	badSignature                 bool
	keep                         bool
}

// WithOrigin writes origin into the client data instead of a.Origin.
func WithOrigin(origin string) Option { return func(t *tweaks) { t.origin = &origin } }

// WithType writes typ ("webauthn.get", "webauthn.create", ...) into the
// client data.
func WithType(typ string) Option { return func(t *tweaks) { t.typ = &typ } }

// WithChallenge answers challenge (base64url) instead of the options' one.
func WithChallenge(challenge string) Option { return func(t *tweaks) { t.challenge = &challenge } }

// WithRPID computes the rpIdHash over id instead of the options' RP ID.
func WithRPID(id string) Option { return func(t *tweaks) { t.rpID = &id } }

// WithoutUserPresence clears the UP flag.
func WithoutUserPresence() Option { return func(t *tweaks) { t.noUP = true } }

// WithoutUserVerification clears the UV flag.
func WithoutUserVerification() Option { return func(t *tweaks) { t.noUV = true } }

// WithCrossOrigin marks the client data crossOrigin.
func WithCrossOrigin() Option { return func(t *tweaks) { t.crossOrigin = true } }

// WithFlags sets the BE and BS flags of this response.
func WithFlags(backupEligible, backupState bool) Option {
	return func(t *tweaks) { t.be, t.bs = &backupEligible, &backupState }
}

// WithSignCount sends n as the signature counter (and keeps it as the
// credential's last).
func WithSignCount(n uint32) Option { return func(t *tweaks) { t.signCount = &n } }

// WithUserHandle sends h as the assertion's user handle (nil sends none).
func WithUserHandle(h []byte) Option { return func(t *tweaks) { t.userHandle = &h } }

// WithCredentialID makes Create use id as the new credential's id, or Get
// answer with id (signing with the chosen credential's key).
func WithCredentialID(id []byte) Option { return func(t *tweaks) { t.credentialID = id } }

// WithCredential makes Get sign with c, whatever the options allow.
func WithCredential(c *Credential) Option { return func(t *tweaks) { t.credential = c } }

// WithBadSignature corrupts the signature.
func WithBadSignature() Option { return func(t *tweaks) { t.badSignature = true } }

// WithoutKeeping makes Create not keep the new credential.
func WithoutKeeping() Option { return func(t *tweaks) { t.keep = false } }

// creationOptions is the part of PublicKeyCredentialCreationOptionsJSON
// the authenticator reads.
type creationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	ExcludeCredentials []struct {
		ID string `json:"id"`
	} `json:"excludeCredentials"`
	Extensions struct {
		CredProps bool `json:"credProps"`
	} `json:"extensions"`
}

// requestOptions is the part of PublicKeyCredentialRequestOptionsJSON the
// authenticator reads.
type requestOptions struct {
	Challenge        string `json:"challenge"`
	RPID             string `json:"rpId"`
	AllowCredentials []struct {
		ID string `json:"id"`
	} `json:"allowCredentials"`
}

// inner accepts {"publicKey": {...}} or the inner object.
func inner(options []byte, v any) error {
	var wrapped struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &wrapped); err == nil && len(wrapped.PublicKey) > 0 {
		options = wrapped.PublicKey
	}
	if err := json.Unmarshal(options, v); err != nil {
		return fmt.Errorf("passkeytest: options: %w", err)
	}
	return nil
}

var b64 = base64.RawURLEncoding

// Create answers creation options (as the JSON the relying party sent)
// with a RegistrationResponseJSON, and keeps the new credential unless
// WithoutKeeping is given.
func (a *Authenticator) Create(options []byte, opts ...Option) ([]byte, *Credential, error) {
	t := tweaks{keep: true}
	for _, o := range opts {
		o(&t)
	}
	var o creationOptions
	if err := inner(options, &o); err != nil {
		return nil, nil, err
	}
	rpID := o.RP.ID
	if rpID == "" {
		u, err := url.Parse(a.Origin)
		if err != nil {
			return nil, nil, err
		}
		rpID = u.Hostname()
	}
	handle, err := b64.DecodeString(o.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("passkeytest: user.id: %w", err)
	}
	a.mu.Lock()
	for _, ex := range o.ExcludeCredentials {
		id, _ := b64.DecodeString(ex.ID)
		for _, c := range a.creds {
			if c.RPID == rpID && bytes.Equal(c.ID, id) {
				a.mu.Unlock()
				return nil, nil, ErrExcluded
			}
		}
	}
	a.mu.Unlock()

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	id := t.credentialID
	if id == nil {
		id = make([]byte, 32)
		rand.Read(id)
	}
	cred := &Credential{ID: id, Key: key, RPID: rpID, UserHandle: handle, BackupEligible: a.BackupEligible, BackupState: a.BackupState}
	if t.signCount != nil {
		cred.SignCount = *t.signCount
	}

	cdj := a.clientData(&t, "webauthn.create", o.Challenge)
	flags := a.flags(&t, cred) | 0x40 // AT: attested credential data
	authData := authenticatorData(hashRPID(&t, rpID), flags, cred.SignCount)
	authData = append(authData, a.AAGUID[:]...)
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(id)))
	authData = append(authData, id...)
	authData = append(authData, coseKey(&key.PublicKey)...)

	var att cbor
	att.mapHeader(3)
	att.text("fmt")
	att.text("none")
	att.text("attStmt")
	att.mapHeader(0)
	att.text("authData")
	att.bytes(authData)

	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	ext := map[string]any{}
	if o.Extensions.CredProps {
		ext["credProps"] = map[string]bool{"rk": true}
	}
	resp := map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": ext,
		"response": map[string]any{
			"clientDataJSON":     b64.EncodeToString(cdj),
			"attestationObject":  b64.EncodeToString(att.buf),
			"authenticatorData":  b64.EncodeToString(authData),
			"publicKey":          b64.EncodeToString(spki),
			"publicKeyAlgorithm": -7,
			"transports":         a.Transports,
		},
	}
	body, err := json.Marshal(resp)
	if err != nil {
		return nil, nil, err
	}
	if t.keep {
		a.mu.Lock()
		a.creds = append(a.creds, cred)
		a.mu.Unlock()
	}
	return body, cred, nil
}

// Get answers request options (as the JSON the relying party sent) with an
// AuthenticationResponseJSON from the first held credential the options
// allow (any for the RP ID when they list none), or from WithCredential's.
func (a *Authenticator) Get(options []byte, opts ...Option) ([]byte, error) {
	var t tweaks
	for _, o := range opts {
		o(&t)
	}
	var o requestOptions
	if err := inner(options, &o); err != nil {
		return nil, err
	}
	rpID := o.RPID
	if rpID == "" {
		u, err := url.Parse(a.Origin)
		if err != nil {
			return nil, err
		}
		rpID = u.Hostname()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cred := t.credential
	if cred == nil {
	find:
		for _, c := range a.creds {
			if c.RPID != rpID {
				continue
			}
			if len(o.AllowCredentials) == 0 {
				cred = c
				break
			}
			for _, allowed := range o.AllowCredentials {
				if id, _ := b64.DecodeString(allowed.ID); bytes.Equal(id, c.ID) {
					cred = c
					break find
				}
			}
		}
	}
	if cred == nil {
		return nil, ErrNoCredential
	}
	if t.signCount != nil {
		cred.SignCount = *t.signCount
	} else {
		cred.SignCount++
	}
	cdj := a.clientData(&t, "webauthn.get", o.Challenge)
	authData := authenticatorData(hashRPID(&t, rpID), a.flags(&t, cred), cred.SignCount)
	cdHash := sha256.Sum256(cdj)
	digest := sha256.Sum256(append(append([]byte(nil), authData...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, cred.Key, digest[:])
	if err != nil {
		return nil, err
	}
	if t.badSignature {
		sig[len(sig)-1] ^= 0xff
	}
	id := cred.ID
	if t.credentialID != nil {
		id = t.credentialID
	}
	handle := cred.UserHandle
	if t.userHandle != nil {
		handle = *t.userHandle
	}
	response := map[string]any{
		"clientDataJSON":    b64.EncodeToString(cdj),
		"authenticatorData": b64.EncodeToString(authData),
		"signature":         b64.EncodeToString(sig),
	}
	if len(handle) > 0 {
		response["userHandle"] = b64.EncodeToString(handle)
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{}, "response": response,
	})
}

func (a *Authenticator) clientData(t *tweaks, typ, challenge string) []byte {
	origin := a.Origin
	if t.origin != nil {
		origin = *t.origin
	}
	if t.typ != nil {
		typ = *t.typ
	}
	if t.challenge != nil {
		challenge = *t.challenge
	}
	b, _ := json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{typ, challenge, origin, t.crossOrigin})
	return b
}

func (a *Authenticator) flags(t *tweaks, c *Credential) byte {
	var f byte = 0x01 | 0x04 // UP, UV
	if t.noUP {
		f &^= 0x01
	}
	if t.noUV {
		f &^= 0x04
	}
	be, bs := c.BackupEligible, c.BackupState
	if t.be != nil {
		be, bs = *t.be, *t.bs
	}
	if be {
		f |= 0x08
	}
	if bs {
		f |= 0x10
	}
	return f
}

func hashRPID(t *tweaks, rpID string) []byte {
	if t.rpID != nil {
		rpID = *t.rpID
	}
	h := sha256.Sum256([]byte(rpID))
	return h[:]
}

func authenticatorData(rpIDHash []byte, flags byte, count uint32) []byte {
	b := append([]byte(nil), rpIDHash...)
	b = append(b, flags)
	return binary.BigEndian.AppendUint32(b, count)
}

// coseKey encodes an EC2 P-256 public key for ES256 as a COSE_Key.
func coseKey(pub *ecdsa.PublicKey) []byte {
	raw, _ := pub.Bytes() // 0x04 || X || Y
	var c cbor
	c.mapHeader(5)
	c.int(1) // kty
	c.int(2) // EC2
	c.int(3) // alg
	c.int(-7)
	c.int(-1) // crv
	c.int(1)  // P-256
	c.int(-2) // x
	c.bytes(raw[1:33])
	c.int(-3) // y
	c.bytes(raw[33:65])
	return c.buf
}

// cbor writes the few CBOR items attestation objects and COSE keys need.
type cbor struct{ buf []byte }

func (c *cbor) head(major byte, n uint64) {
	switch {
	case n < 24:
		c.buf = append(c.buf, major<<5|byte(n))
	case n < 1<<8:
		c.buf = append(c.buf, major<<5|24, byte(n))
	case n < 1<<16:
		c.buf = binary.BigEndian.AppendUint16(append(c.buf, major<<5|25), uint16(n))
	default:
		c.buf = binary.BigEndian.AppendUint32(append(c.buf, major<<5|26), uint32(n))
	}
}

func (c *cbor) int(v int64) {
	if v >= 0 {
		c.head(0, uint64(v))
	} else {
		c.head(1, uint64(-1-v))
	}
}
func (c *cbor) bytes(b []byte)  { c.head(2, uint64(len(b))); c.buf = append(c.buf, b...) }
func (c *cbor) text(s string)   { c.head(3, uint64(len(s))); c.buf = append(c.buf, s...) }
func (c *cbor) mapHeader(n int) { c.head(5, uint64(n)) }

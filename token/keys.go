package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/embedauth/auth/core"
)

// Signature algorithms (the JWS "alg" header).
const (
	// ES256 is ECDSA on P-256 with SHA-256: the default for signing keys.
	ES256 = "ES256"
	// RS256 is RSASSA-PKCS1-v1_5 with SHA-256, on 2048-bit keys.
	RS256 = "RS256"
	// EdDSA is Ed25519.
	EdDSA = "EdDSA"
	// HS256 is HMAC-SHA256 with a shared secret: only for templates that
	// set their own secret, never for the signing keys or the JWKS.
	HS256 = "HS256"
)

// keyAlgorithms are the algorithms a signing key may use, and the default
// allowlist of [Verify].
var keyAlgorithms = []string{ES256, RS256, EdDSA}

func validKeyAlgorithm(alg string) bool {
	return alg == ES256 || alg == RS256 || alg == EdDSA
}

// Sealer encrypts private keys and secrets at rest. embedauth passes its
// AES-256-GCM box keyed with Config.EncryptionKey.
type Sealer interface {
	Seal(plaintext []byte) []byte
	Open(sealed []byte) ([]byte, error)
}

// StoredKey is a signing key as storage keeps it.
type StoredKey struct {
	// ID is the key id, the "kid" of the tokens it signs.
	ID        string
	Algorithm string
	// Public is the public key as a JWK (JSON).
	Public []byte
	// Private is the sealed PKCS #8 private key; nil once the key is
	// retired, since it never signs again.
	Private   []byte
	CreatedAt time.Time
	// RetiredAt is when a newer key took over signing (nil for the
	// current key).
	RetiredAt *time.Time
	// ExpiresAt is when a retired key leaves the JWKS: every token it
	// signed has expired by then.
	ExpiresAt *time.Time
}

// Store is what [Keys] needs from storage.
type Store interface {
	// SigningKeys returns the keys whose ExpiresAt is unset or after now,
	// newest first.
	SigningKeys(ctx context.Context, now time.Time) ([]StoredKey, error)
	// InsertFirstSigningKey stores k when no current (unretired) key
	// exists, in one transaction, and reports whether it did.
	InsertFirstSigningKey(ctx context.Context, k StoredKey) (bool, error)
	// RotateSigningKey, in one transaction, retires every current key
	// (RetiredAt now, ExpiresAt now+keep, private key dropped) and stores
	// k as the current one.
	RotateSigningKey(ctx context.Context, k StoredKey, now time.Time, keep time.Duration) error
}

// KeysOptions configure [NewKeys].
type KeysOptions struct {
	// Algorithm is the algorithm of new keys: ES256 (default), RS256 or
	// EdDSA. When the current key uses another one, NewKeys rotates to a
	// new key of this algorithm.
	Algorithm string
	// Keep is how long a key retired by that rotation stays in the JWKS:
	// at least the longest token lifetime. Default 10 minutes.
	Keep time.Duration
	// Reload is how often the keys are read again from storage, so that a
	// rotation by another process (or the CLI) is seen. Default 30 s.
	Reload time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Keys holds the signing keys: the current one signs, every key not yet
// expired verifies and is published in the JWKS. It reads them from a
// [Store] (private keys sealed with a [Sealer]) and caches them, reading
// again every KeysOptions.Reload and when a token names an unknown key.
// It is safe for concurrent use.
type Keys struct {
	store  Store
	sealer Sealer
	opts   KeysOptions

	mu       sync.RWMutex
	current  *signingKey
	public   map[string]publicKey
	jwks     []byte
	loadedAt time.Time
	// nextExpiry is when the first published key expires: the keys are
	// read again then, so it leaves the JWKS on time.
	nextExpiry time.Time
	// lastMiss is when an unknown kid last made Keys read storage, so a
	// flood of forged kids costs at most one read per second.
	lastMiss time.Time
}

type signingKey struct {
	id, alg string
	signer  jose.Signer
}

type publicKey struct {
	key crypto.PublicKey
	alg string
}

// NewKeys loads the signing keys, creating the first one when storage has
// none (several processes starting at once create exactly one), and rotates
// when the current key's algorithm is not opts.Algorithm.
func NewKeys(ctx context.Context, store Store, sealer Sealer, opts KeysOptions) (*Keys, error) {
	if opts.Algorithm == "" {
		opts.Algorithm = ES256
	}
	if !validKeyAlgorithm(opts.Algorithm) {
		return nil, fmt.Errorf("token: signing algorithm %q is not one of ES256, RS256, EdDSA", opts.Algorithm)
	}
	if opts.Keep <= 0 {
		opts.Keep = 10 * time.Minute
	}
	if opts.Reload <= 0 {
		opts.Reload = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	k := &Keys{store: store, sealer: sealer, opts: opts}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	if k.current == nil {
		sk, err := k.generate(opts.Algorithm)
		if err != nil {
			return nil, err
		}
		if _, err := store.InsertFirstSigningKey(ctx, sk); err != nil {
			return nil, fmt.Errorf("token: store the first signing key: %w", err)
		}
		if err := k.reload(ctx); err != nil {
			return nil, err
		}
		if k.current == nil {
			return nil, errors.New("token: no signing key after creating one")
		}
	}
	if k.current.alg != opts.Algorithm {
		if _, err := k.Rotate(ctx, opts.Algorithm, opts.Keep); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// generate makes a new key pair of alg, sealed for storage.
func (k *Keys) generate(alg string) (StoredKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("algorithm %q is not one of ES256, RS256, EdDSA", alg)
	}
	if err != nil {
		return StoredKey{}, fmt.Errorf("token: generate key: %w", err)
	}
	id := core.NewID("key")
	pub, err := jose.JSONWebKey{Key: priv.Public(), KeyID: id, Algorithm: alg, Use: "sig"}.MarshalJSON()
	if err != nil {
		return StoredKey{}, fmt.Errorf("token: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return StoredKey{}, fmt.Errorf("token: generate key: %w", err)
	}
	return StoredKey{ID: id, Algorithm: alg, Public: pub, Private: k.sealer.Seal(der), CreatedAt: k.opts.Now()}, nil
}

// Rotate makes a new key of alg (empty: the configured algorithm) the
// signing key. The keys it replaces stop signing at once and stay in the
// JWKS for keep, which must cover the longest token lifetime. It returns
// the new key's id.
func (k *Keys) Rotate(ctx context.Context, alg string, keep time.Duration) (string, error) {
	if alg == "" {
		alg = k.opts.Algorithm
	}
	if !validKeyAlgorithm(alg) {
		return "", fmt.Errorf("token: rotate: algorithm %q is not one of ES256, RS256, EdDSA: %w", alg, core.ErrInvalidInput)
	}
	if keep <= 0 {
		keep = k.opts.Keep
	}
	sk, err := k.generate(alg)
	if err != nil {
		return "", err
	}
	if err := k.store.RotateSigningKey(ctx, sk, k.opts.Now(), keep); err != nil {
		return "", fmt.Errorf("token: rotate: %w", err)
	}
	if err := k.reload(ctx); err != nil {
		return "", err
	}
	return sk.ID, nil
}

// Reload reads the keys from storage now, for a process told that another
// one rotated them (see [Keys.Rotate]); otherwise they are read again
// every KeysOptions.Reload.
func (k *Keys) Reload(ctx context.Context) error { return k.reload(ctx) }

// reload reads the keys from storage and rebuilds the signer and the JWKS.
func (k *Keys) reload(ctx context.Context) error {
	now := k.opts.Now()
	stored, err := k.store.SigningKeys(ctx, now)
	if err != nil {
		return fmt.Errorf("token: load signing keys: %w", err)
	}
	public := make(map[string]publicKey, len(stored))
	var set jose.JSONWebKeySet
	var current *signingKey
	var nextExpiry time.Time
	for _, s := range stored {
		if s.ExpiresAt != nil && (nextExpiry.IsZero() || s.ExpiresAt.Before(nextExpiry)) {
			nextExpiry = *s.ExpiresAt
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(s.Public); err != nil || !jwk.IsPublic() || jwk.KeyID != s.ID {
			return fmt.Errorf("token: signing key %s: bad public key", s.ID)
		}
		public[s.ID] = publicKey{key: jwk.Key, alg: s.Algorithm}
		set.Keys = append(set.Keys, jwk)
		if s.RetiredAt != nil || s.Private == nil || current != nil {
			continue
		}
		der, err := k.sealer.Open(s.Private)
		if err != nil {
			return fmt.Errorf("token: signing key %s: %w", s.ID, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return fmt.Errorf("token: signing key %s: %w", s.ID, err)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(s.Algorithm),
			Key: jose.JSONWebKey{Key: priv, KeyID: s.ID}}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			return fmt.Errorf("token: signing key %s: %w", s.ID, err)
		}
		current = &signingKey{id: s.ID, alg: s.Algorithm, signer: signer}
	}
	if set.Keys == nil {
		set.Keys = []jose.JSONWebKey{}
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return fmt.Errorf("token: jwks: %w", err)
	}
	k.mu.Lock()
	k.current, k.public, k.jwks, k.loadedAt, k.nextExpiry = current, public, jwks, now, nextExpiry
	k.mu.Unlock()
	return nil
}

// fresh reloads when the cache is older than Reload.
func (k *Keys) fresh(ctx context.Context) error {
	now := k.opts.Now()
	k.mu.RLock()
	stale := now.Sub(k.loadedAt) >= k.opts.Reload || (!k.nextExpiry.IsZero() && !now.Before(k.nextExpiry))
	k.mu.RUnlock()
	if !stale {
		return nil
	}
	return k.reload(ctx)
}

// JWKS returns the public keys as a JSON Web Key Set.
func (k *Keys) JWKS(ctx context.Context) ([]byte, error) {
	if err := k.fresh(ctx); err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.jwks, nil
}

// Current returns the id and algorithm of the signing key.
func (k *Keys) Current(ctx context.Context) (id, alg string, err error) {
	if err := k.fresh(ctx); err != nil {
		return "", "", err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.current == nil {
		return "", "", errors.New("token: no signing key")
	}
	return k.current.id, k.current.alg, nil
}

// sign signs payload with the current key.
func (k *Keys) sign(ctx context.Context, payload []byte) (string, error) {
	if err := k.fresh(ctx); err != nil {
		return "", err
	}
	k.mu.RLock()
	cur := k.current
	k.mu.RUnlock()
	if cur == nil {
		return "", errors.New("token: no signing key")
	}
	jws, err := cur.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return jws.CompactSerialize()
}

// VerificationKey returns the public key with id kid, reading storage
// again (at most once a second) when the id is unknown. It makes Keys a
// [KeySource] for [Verify].
func (k *Keys) VerificationKey(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	k.mu.RLock()
	pk, ok := k.public[kid]
	k.mu.RUnlock()
	if ok {
		return pk.key, pk.alg, nil
	}
	now := k.opts.Now()
	k.mu.Lock()
	retry := now.Sub(k.lastMiss) >= time.Second || now.Before(k.lastMiss)
	if retry {
		k.lastMiss = now
	}
	k.mu.Unlock()
	if retry {
		if err := k.reload(ctx); err != nil {
			return nil, "", err
		}
		k.mu.RLock()
		pk, ok = k.public[kid]
		k.mu.RUnlock()
		if ok {
			return pk.key, pk.alg, nil
		}
	}
	return nil, "", ErrUnknownKey
}

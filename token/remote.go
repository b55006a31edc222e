package token

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// RemoteKeySetOptions configure a [RemoteKeySet]. The zero value is
// ready to use.
type RemoteKeySetOptions struct {
	// Client fetches the JWKS. Default: a client with a 10 s timeout.
	Client *http.Client
	// MaxAge is how long fetched keys are used before they are fetched
	// again. Default 1 hour.
	MaxAge time.Duration
	// MinRefresh is the least time between two fetches, whatever the
	// tokens ask for: a token with an unknown "kid" makes the set fetch
	// again at most this often, so forged kids cannot flood the issuer.
	// Default 10 s.
	MinRefresh time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// RemoteKeySet is a [KeySource] that fetches a JSON Web Key Set by URL
// and caches it: it fetches on first use, after MaxAge, and when a token
// names a key it does not know (rate-limited by MinRefresh). Only public
// asymmetric signing keys are kept (never "oct" keys, so a token cannot
// pass an HMAC made with a public key). It is safe for concurrent use;
// share one per issuer.
type RemoteKeySet struct {
	url  string
	opts RemoteKeySetOptions

	mu        sync.Mutex
	keys      map[string]publicKey
	fetchedAt time.Time // of the last successful fetch
	triedAt   time.Time // of the last attempt
	inflight  chan struct{}
	lastErr   error
}

// NewRemoteKeySet returns a key set read from url, such as
// "https://example.com/auth/.well-known/jwks.json". opts may be nil.
func NewRemoteKeySet(url string, opts *RemoteKeySetOptions) *RemoteKeySet {
	var o RemoteKeySetOptions
	if opts != nil {
		o = *opts
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.MaxAge <= 0 {
		o.MaxAge = time.Hour
	}
	if o.MinRefresh <= 0 {
		o.MinRefresh = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &RemoteKeySet{url: url, opts: o}
}

// VerificationKey returns the key with id kid, fetching the set when it is
// stale or does not have it (at most once per MinRefresh).
func (s *RemoteKeySet) VerificationKey(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	for attempt := 0; ; attempt++ {
		now := s.opts.Now()
		s.mu.Lock()
		pk, known := s.keys[kid]
		stale := s.keys == nil || now.Sub(s.fetchedAt) >= s.opts.MaxAge
		if known && !stale {
			s.mu.Unlock()
			return pk.key, pk.alg, nil
		}
		mayFetch := now.Sub(s.triedAt) >= s.opts.MinRefresh || now.Before(s.triedAt)
		if attempt > 0 || (!mayFetch && s.inflight == nil) {
			err := s.lastErr
			s.mu.Unlock()
			if known {
				return pk.key, pk.alg, nil // stale, but the refresh failed or is rate-limited
			}
			if err != nil && s.keys == nil {
				return nil, "", fmt.Errorf("token: jwks %s: %w", s.url, err)
			}
			return nil, "", ErrUnknownKey
		}
		wait := s.inflight
		if wait == nil {
			wait = make(chan struct{})
			s.inflight = wait
			s.triedAt = now
			s.mu.Unlock()
			keys, err := s.fetch(ctx)
			s.mu.Lock()
			if err == nil {
				s.keys, s.fetchedAt = keys, s.opts.Now()
			}
			s.lastErr = err
			s.inflight = nil
			close(wait)
			s.mu.Unlock()
			continue
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
	}
}

// fetch reads and parses the JWKS.
func (s *RemoteKeySet) fetch(ctx context.Context) (map[string]publicKey, error) {
	// The fetch outlives a caller that gives up: others may be waiting.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(body) > 1<<20 {
		return nil, errors.New("larger than 1 MB")
	}
	return parseJWKS(body)
}

// parseJWKS reads a JSON Web Key Set, keeping the public signing keys
// that have a "kid": EC P-256 (ES256), RSA of 2048 bits or more (RS256)
// and Ed25519 (EdDSA). A key whose "alg" is set to another algorithm, or
// whose "use" is not "sig", is skipped; so are private and symmetric keys.
func parseJWKS(body []byte) (map[string]publicKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	out := map[string]publicKey{}
	for _, r := range raw.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(r); err != nil || !jwk.IsPublic() || jwk.KeyID == "" {
			continue
		}
		if jwk.Use != "" && jwk.Use != "sig" {
			continue
		}
		alg := keyAlgorithm(jwk.Key)
		if alg == "" || (jwk.Algorithm != "" && jwk.Algorithm != alg) {
			continue
		}
		out[jwk.KeyID] = publicKey{key: jwk.Key, alg: alg}
	}
	return out, nil
}

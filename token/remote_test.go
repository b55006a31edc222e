package token_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/embedauth/auth/token"
)

// jwksServer serves a JWKS that the test changes, counting fetches.
type jwksServer struct {
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	extra   []json.RawMessage
	fetches atomic.Int64
	*httptest.Server
}

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		var list []json.RawMessage
		for _, k := range s.keys {
			b, _ := json.Marshal(k)
			list = append(list, b)
		}
		list = append(list, s.extra...)
		json.NewEncoder(w).Encode(map[string]any{"keys": list})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) add(k jose.JSONWebKey) {
	s.mu.Lock()
	s.keys = append(s.keys, k)
	s.mu.Unlock()
}

func TestRemoteKeySet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClock()
	srv := newJWKSServer(t)
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv.add(jose.JSONWebKey{Key: k1.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"})
	// Keys that must never be used: symmetric, private, wrong use, wrong alg.
	srv.extra = append(srv.extra,
		json.RawMessage(`{"kty":"oct","kid":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}`),
		must(json.Marshal(jose.JSONWebKey{Key: k2, KeyID: "private", Algorithm: "ES256"})),
		must(json.Marshal(jose.JSONWebKey{Key: k2.Public(), KeyID: "enc", Use: "enc"})),
		must(json.Marshal(jose.JSONWebKey{Key: k2.Public(), KeyID: "wrongalg", Algorithm: "ES384"})),
	)
	set := token.NewRemoteKeySet(srv.URL, &token.RemoteKeySetOptions{Now: c.Now, MinRefresh: 10 * time.Second})
	opts := token.VerifyOptions{Keys: set, Issuer: issuer, Now: c.Now}
	claims := map[string]any{"iss": issuer, "sub": "u", "exp": c.Now().Add(time.Minute).Unix()}

	if _, err := token.Verify(ctx, forge(t, jose.ES256, k1, "k1", claims, nil, false), opts); err != nil {
		t.Fatalf("known key: %v", err)
	}
	if _, err := token.Verify(ctx, forge(t, jose.ES256, k1, "k1", claims, nil, false), opts); err != nil || srv.fetches.Load() != 1 {
		t.Fatalf("second verify: %v, %d fetches; want 1 (cached)", err, srv.fetches.Load())
	}
	for _, kid := range []string{"oct", "private", "enc", "wrongalg"} {
		if _, _, err := set.VerificationKey(ctx, kid); !errors.Is(err, token.ErrUnknownKey) {
			t.Errorf("key %q was accepted: %v", kid, err)
		}
	}
	// The JWKS gains a key; a token with it makes the set fetch again, but
	// only once per MinRefresh however many unknown kids arrive.
	fetches := srv.fetches.Load()
	c.Advance(11 * time.Second)
	srv.add(jose.JSONWebKey{Key: k2.Public(), KeyID: "k2", Algorithm: "ES256"})
	if _, err := token.Verify(ctx, forge(t, jose.ES256, k2, "k2", claims, nil, false), opts); err != nil {
		t.Fatalf("rotated-in key: %v", err)
	}
	for i := range 50 {
		kid := "forged-" + string(rune('a'+i%26))
		if _, err := token.Verify(ctx, forge(t, jose.ES256, k2, kid, claims, nil, false), opts); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("forged kid: %v", err)
		}
	}
	if got := srv.fetches.Load() - fetches; got != 1 {
		t.Fatalf("%d fetches for one new key and 50 forged kids, want 1", got)
	}
	// After MaxAge (1 hour) the set is fetched again on use.
	c.Advance(time.Hour)
	if _, _, err := set.VerificationKey(ctx, "k1"); err != nil || srv.fetches.Load()-fetches != 2 {
		t.Fatalf("after MaxAge: %v, %d fetches", err, srv.fetches.Load()-fetches)
	}
	// An unreachable JWKS: known keys keep working until they go stale.
	srv.Close()
	c.Advance(11 * time.Second)
	if _, _, err := set.VerificationKey(ctx, "k1"); err != nil {
		t.Fatalf("known key with the server down: %v", err)
	}
}

func TestRemoteKeySet_ConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv.add(jose.JSONWebKey{Key: k.Public(), KeyID: "k", Algorithm: "ES256"})
	set := token.NewRemoteKeySet(srv.URL, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := set.VerificationKey(context.Background(), "k"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for 20 concurrent first uses, want 1", n)
	}
}

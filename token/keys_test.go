package token_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/internal/secretbox"
	"github.com/embedauth/auth/token"
)

// memStore is a token.Store in memory.
type memStore struct {
	mu   sync.Mutex
	keys []token.StoredKey
}

func (m *memStore) SigningKeys(ctx context.Context, now time.Time) ([]token.StoredKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []token.StoredKey
	for i := len(m.keys) - 1; i >= 0; i-- {
		if k := m.keys[i]; k.ExpiresAt == nil || k.ExpiresAt.After(now) {
			out = append(out, k)
		}
	}
	return out, nil
}

func (m *memStore) InsertFirstSigningKey(ctx context.Context, k token.StoredKey) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.keys {
		if c.RetiredAt == nil {
			return false, nil
		}
	}
	m.keys = append(m.keys, k)
	return true, nil
}

func (m *memStore) RotateSigningKey(ctx context.Context, k token.StoredKey, now time.Time, keep time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.keys {
		if m.keys[i].RetiredAt == nil {
			exp := now.Add(keep)
			m.keys[i].RetiredAt, m.keys[i].ExpiresAt, m.keys[i].Private = &now, &exp, nil
		}
	}
	m.keys = append(m.keys, k)
	return nil
}

// clock is a fake clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newBox(tb testing.TB) *secretbox.Box {
	tb.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	b, err := secretbox.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustKeys(tb testing.TB, st token.Store, box token.Sealer, c *clock, alg string) *token.Keys {
	tb.Helper()
	k, err := token.NewKeys(context.Background(), st, box, token.KeysOptions{Algorithm: alg, Now: c.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

const issuer = "https://example.com/auth"

func sessionToken(tb testing.TB, k *token.Keys, c *clock) string {
	tb.Helper()
	tok, _, err := k.SignSession(context.Background(), token.Session{Issuer: issuer, UserID: "user_1", SessionID: "sess_1",
		AuthorizedParty: "https://example.com", IssuedAt: c.Now()})
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func jwksKIDs(tb testing.TB, k *token.Keys) []string {
	tb.Helper()
	b, err := k.JWKS(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, key := range set.Keys {
		if _, ok := key["d"]; ok {
			tb.Fatalf("the JWKS holds a private key: %s", b)
		}
		out = append(out, key["kid"].(string))
	}
	slices.Sort(out)
	return out
}

func TestKeys_EveryAlgorithmSignsAndVerifies(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{token.ES256, token.RS256, token.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			k := mustKeys(t, &memStore{}, newBox(t), c, alg)
			_, got, err := k.Current(context.Background())
			if err != nil || got != alg {
				t.Fatalf("Current = %q, %v", got, err)
			}
			claims, err := token.Verify(context.Background(), sessionToken(t, k, c), token.VerifyOptions{Keys: k, Issuer: issuer, Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			if claims.Subject != "user_1" || claims.SessionID != "sess_1" || claims.AuthorizedParty != "https://example.com" ||
				!claims.Expiry.Equal(c.Now().Add(time.Minute)) || !claims.IssuedAt.Equal(c.Now()) || claims.Org != nil {
				t.Fatalf("claims = %+v", claims)
			}
		})
	}
}

func TestKeys_FirstStartSharesOneKey(t *testing.T) {
	t.Parallel()
	st, box, c := &memStore{}, newBox(t), newClock()
	a := mustKeys(t, st, box, c, token.ES256)
	b := mustKeys(t, st, box, c, token.ES256)
	ida, _, _ := a.Current(context.Background())
	idb, _, _ := b.Current(context.Background())
	if ida != idb || len(st.keys) != 1 {
		t.Fatalf("two starts made keys %s and %s (%d stored)", ida, idb, len(st.keys))
	}
	// Private keys are sealed at rest.
	if bytes.Contains(st.keys[0].Private, []byte("PRIVATE")) || len(st.keys[0].Private) < 100 {
		t.Fatalf("stored private key looks unsealed")
	}
	if _, err := newBox(t).Open(st.keys[0].Private); err == nil {
		t.Fatal("another key opened the sealed private key")
	}
	// A changed algorithm rotates at start.
	r := mustKeys(t, st, box, c, token.EdDSA)
	if _, alg, _ := r.Current(context.Background()); alg != token.EdDSA || len(st.keys) != 2 {
		t.Fatalf("after an algorithm change: %s, %d keys", alg, len(st.keys))
	}
}

// TestT43_RotatedKeyStaysInJWKSUntilItsTokensExpire rotates the signing
// key: a token signed before still verifies, its key is published until
// keep has passed and not after, and the new key signs.
func TestT43_RotatedKeyStaysInJWKSUntilItsTokensExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, c := &memStore{}, newClock()
	k, err := token.NewKeys(ctx, st, newBox(t), token.KeysOptions{Now: c.Now, Reload: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	old, _, _ := k.Current(ctx)
	before := sessionToken(t, k, c) // lives 60 s
	keep := 60*time.Second + 5*time.Minute
	kid, err := k.Rotate(ctx, "", keep)
	if err != nil {
		t.Fatal(err)
	}
	opts := token.VerifyOptions{Keys: k, Issuer: issuer, Now: c.Now}
	if _, err := token.Verify(ctx, before, opts); err != nil {
		t.Fatalf("a token signed before the rotation: %v", err)
	}
	after := sessionToken(t, k, c)
	if !slices.Equal(jwksKIDs(t, k), slices.Sorted(slices.Values([]string{old, kid}))) {
		t.Fatalf("JWKS = %v, want both keys", jwksKIDs(t, k))
	}
	c.Advance(keep - time.Second)
	if !slices.Contains(jwksKIDs(t, k), old) {
		t.Fatal("the old key left the JWKS before its tokens could have expired")
	}
	c.Advance(2 * time.Second)
	if got := jwksKIDs(t, k); !slices.Equal(got, []string{kid}) {
		t.Fatalf("JWKS after keep = %v, want only the new key %s", got, kid)
	}
	opts.Now = func() time.Time { return c.Now().Add(-keep) } // a verifier whose clock says the token is fresh
	if _, err := token.Verify(ctx, before, opts); !errors.Is(err, token.ErrUnknownKey) {
		t.Fatalf("old key after expiry: %v, want ErrUnknownKey", err)
	}
	if _, err := token.Verify(ctx, after, opts); err != nil {
		t.Fatalf("a token of the new key: %v", err)
	}
	if _, err := k.Rotate(ctx, "HS256", keep); err == nil {
		t.Fatal("rotated to HS256")
	}
}

func TestKeys_ReloadSeesAnotherProcessRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, box, c := &memStore{}, newBox(t), newClock()
	a, _ := token.NewKeys(ctx, st, box, token.KeysOptions{Now: c.Now, Reload: 30 * time.Second})
	b, _ := token.NewKeys(ctx, st, box, token.KeysOptions{Now: c.Now})
	kid, err := b.Rotate(ctx, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A token of the new key verifies at once with a's keys: an unknown
	// kid makes them read storage.
	if _, err := token.Verify(ctx, sessionToken(t, b, c), token.VerifyOptions{Keys: a, Issuer: issuer, Now: c.Now}); err != nil {
		t.Fatalf("new key's token with the other process's keys: %v", err)
	}
	c.Advance(31 * time.Second)
	if cur, _, _ := a.Current(ctx); cur != kid {
		t.Fatalf("after Reload, a signs with %s, want %s", cur, kid)
	}
}

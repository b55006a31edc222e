package web

import (
	"strconv"
	"testing"
	"time"
)

// TestSessionCache_RetiredTokenNotCachedPastGrace: a token in its grace
// period after a rotation may be cached, but never past the grace's end,
// however long the cache's ttl.
func TestSessionCache_RetiredTokenNotCachedPastGrace(t *testing.T) {
	t.Parallel()
	wall := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c := newSessionCache(time.Hour)
	c.wall = func() time.Time { return wall }
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // the server's clock, for ttl
	st := &authState{hash: "old"}

	_, gen := c.getGen([]byte("old"), now)
	c.putIfGen(st, now, gen)
	if !c.retire("old", wall.Add(rotationGrace)) {
		t.Fatal("retire refused with an empty cache")
	}
	if got, _ := c.getGen([]byte("old"), now); got != nil {
		t.Fatal("retiring left the token's entry cached")
	}

	_, gen = c.getGen([]byte("old"), now)
	c.putIfGen(st, now, gen)
	if got, _ := c.getGen([]byte("old"), now); got != st {
		t.Fatal("a token in its grace is not cached")
	}
	wall = wall.Add(rotationGrace)
	if got, _ := c.getGen([]byte("old"), now); got != nil {
		t.Fatal("a retired token's entry outlived its grace")
	}
	_, gen = c.getGen([]byte("old"), now)
	c.putIfGen(st, now, gen)
	if got, _ := c.getGen([]byte("old"), now); got != nil {
		t.Fatal("a retired token was cached after its grace")
	}

	// Other tokens are cached for ttl as before.
	other := &authState{hash: "other"}
	_, gen = c.getGen([]byte("other"), now)
	c.putIfGen(other, now, gen)
	wall = wall.Add(24 * time.Hour)
	if got, _ := c.getGen([]byte("other"), now.Add(time.Hour-time.Second)); got != other {
		t.Fatal("an ordinary entry did not last its ttl")
	}
}

// TestSessionCache_RetireRefusedWhenFull: with too many tokens in their
// grace, retire refuses, and the caller deletes the token at once.
func TestSessionCache_RetireRefusedWhenFull(t *testing.T) {
	t.Parallel()
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newSessionCache(time.Minute)
	c.max = 2000
	c.wall = func() time.Time { return wall }
	for i := range c.max {
		if !c.retire(strconv.Itoa(i), wall.Add(rotationGrace)) {
			t.Fatalf("retire %d refused below the limit", i)
		}
	}
	if c.retire("one-too-many", wall.Add(rotationGrace)) {
		t.Fatal("retire accepted past the limit")
	}
	// Once their grace is over, they make room again.
	wall = wall.Add(rotationGrace)
	if !c.retire("later", wall.Add(rotationGrace)) {
		t.Fatal("expired retirements were not swept")
	}
	if len(c.retired) != 1 {
		t.Fatalf("retired holds %d tokens, want 1", len(c.retired))
	}
}

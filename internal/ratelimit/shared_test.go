package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/internal/ratelimit"
)

// counter is a ratelimit.Counter in memory, as two processes would share
// one database.
type counter struct {
	mu     sync.Mutex
	counts map[string]int
	fail   bool
}

func (c *counter) HitLimit(_ context.Context, key string, start time.Time, max int) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return false, errors.New("database down")
	}
	k := key + "@" + start.UTC().Format(time.RFC3339Nano)
	if c.counts[k] >= max {
		return false, nil
	}
	c.counts[k]++
	return true, nil
}

func TestLimiter_Shared(t *testing.T) {
	t.Parallel()
	clk := newClock() // 12:00:00
	clk.Advance(20 * time.Second)
	shared := &counter{counts: map[string]int{}}
	a := ratelimit.New(3, time.Minute, clk.Now).Shared("sign_in", shared)
	b := ratelimit.New(3, time.Minute, clk.Now).Shared("sign_in", shared)

	// Two limiters on one counter share the limit.
	for i, l := range []*ratelimit.Limiter{a, b, a} {
		if ok, _ := l.Allow("192.0.2.1"); !ok {
			t.Fatalf("event %d refused", i+1)
		}
	}
	ok, retry := b.Allow("192.0.2.1")
	if ok || retry != 40*time.Second {
		t.Fatalf("4th event: ok=%v retry=%v, want refused until the window ends in 40s", ok, retry)
	}
	if ok, _ := a.Allow("192.0.2.2"); !ok {
		t.Fatal("another key refused")
	}
	// Windows start on the minute: a new one starts at 12:01.
	clk.Advance(40 * time.Second)
	if ok, _ := b.Allow("192.0.2.1"); !ok {
		t.Fatal("refused in the next window")
	}
	// A failing counter leaves the limit to memory, per limiter.
	shared.fail = true
	for i := range 3 {
		if ok, _ := a.Allow("192.0.2.3"); !ok {
			t.Fatalf("event %d refused while the counter fails", i+1)
		}
	}
	if ok, _ := a.Allow("192.0.2.3"); ok {
		t.Fatal("in-memory fallback did not limit")
	}
}

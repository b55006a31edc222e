package ratelimit_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/embedauth/auth/internal/ratelimit"
)

// clock is a fake now func that only moves when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step is one call to Allow after advancing the clock by advance.
type step struct {
	advance time.Duration
	key     string
	ok      bool
	retry   time.Duration
}

func run(t *testing.T, l *ratelimit.Limiter, c *clock, steps []step) {
	t.Helper()
	for i, s := range steps {
		c.Advance(s.advance)
		ok, retry := l.Allow(s.key)
		if ok != s.ok || retry != s.retry {
			t.Fatalf("step %d: Allow(%q) = %v, %v; want %v, %v", i, s.key, ok, retry, s.ok, s.retry)
		}
	}
}

func TestAllow(t *testing.T) {
	t.Parallel()
	const per = time.Minute
	tests := []struct {
		name  string
		max   int
		steps []step
	}{
		{"max per window", 3, []step{
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", false, per},
			{0, "a", false, per},
		}},
		{"retryAfter is the rest of the window", 2, []step{
			{0, "a", true, 0},
			{20 * time.Second, "a", true, 0},
			{5 * time.Second, "a", false, 35 * time.Second},
			{34 * time.Second, "a", false, time.Second},
			{time.Second - time.Nanosecond, "a", false, time.Nanosecond},
		}},
		{"new window after per", 1, []step{
			{0, "a", true, 0},
			{per - time.Nanosecond, "a", false, time.Nanosecond},
			{time.Nanosecond, "a", true, 0},
			{0, "a", false, per},
			{per + time.Hour, "a", true, 0},
		}},
		{"the window starts at the first event, not at the last", 2, []step{
			{0, "a", true, 0},
			{50 * time.Second, "a", true, 0},
			{10 * time.Second, "a", true, 0}, // new window starting here
			{0, "a", true, 0},
			{0, "a", false, per},
		}},
		{"refused events do not extend the window", 1, []step{
			{0, "a", true, 0},
			{30 * time.Second, "a", false, 30 * time.Second},
			{29 * time.Second, "a", false, time.Second},
			{time.Second, "a", true, 0},
		}},
		{"independent keys", 2, []step{
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", false, per},
			{10 * time.Second, "b", true, 0},
			{0, "b", true, 0},
			{0, "b", false, per},
			{0, "a", false, 50 * time.Second},
			{0, "", true, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			run(t, ratelimit.New(tt.max, per, c.Now), c, tt.steps)
		})
	}
}

func TestAllowEverything(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		l    *ratelimit.Limiter
	}{
		{"nil limiter", nil},
		{"max zero", ratelimit.New(0, time.Hour, nil)},
		{"max negative", ratelimit.New(-1, time.Hour, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i := range 1000 {
				if ok, retry := tt.l.Allow("a"); !ok || retry != 0 {
					t.Fatalf("call %d: Allow = %v, %v", i, ok, retry)
				}
			}
		})
	}
}

func TestNilNow(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(1, time.Hour, nil)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("first event refused")
	}
	ok, retry := l.Allow("a")
	if ok || retry <= 0 || retry > time.Hour {
		t.Fatalf("second event: %v, %v", ok, retry)
	}
}

func TestKeyCap(t *testing.T) {
	t.Parallel()
	const per = time.Minute
	c := newClock()
	l := ratelimit.New(2, per, c.Now)
	ratelimit.SetMaxKeys(l, 3)
	run(t, l, c, []step{
		{0, "a", true, 0},
		{30 * time.Second, "b", true, 0},
		{0, "c", true, 0},
		// Full, and no window has ended: a new key is refused for a window.
		{0, "d", false, per},
		{0, "e", false, per},
		// Known keys still count as usual.
		{0, "a", true, 0},
		{0, "a", false, 30 * time.Second},
		{0, "b", true, 0},
	})
	if n := ratelimit.Keys(l); n != 3 {
		t.Fatalf("holds %d keys, want 3", n)
	}
	// a's window ends; b's and c's do not. Sweeping frees one place.
	run(t, l, c, []step{
		{30 * time.Second, "d", true, 0},
		{0, "e", false, per},
		{0, "d", true, 0},
		{0, "d", false, per},
	})
	if n := ratelimit.Keys(l); n != 3 {
		t.Fatalf("holds %d keys, want 3", n)
	}
	// Every window has ended: new keys are admitted and old ones forgotten.
	run(t, l, c, []step{
		{per, "e", true, 0},
		{0, "f", true, 0},
		{0, "g", true, 0},
		{0, "h", false, per},
	})
	if n := ratelimit.Keys(l); n != 3 {
		t.Fatalf("holds %d keys, want 3", n)
	}
}

func TestKeyCapExpiredKeyReuse(t *testing.T) {
	t.Parallel()
	// A known key whose window ended starts a new window even when the
	// limiter is full: it takes no new place.
	c := newClock()
	l := ratelimit.New(1, time.Minute, c.Now)
	ratelimit.SetMaxKeys(l, 2)
	run(t, l, c, []step{
		{0, "a", true, 0},
		{30 * time.Second, "b", true, 0},
		{30 * time.Second, "a", true, 0},
		{0, "c", false, time.Minute},
	})
}

func TestConcurrentOneKey(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(10, time.Hour, nil)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			if ok, _ := l.Allow("shared"); ok {
				allowed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Fatalf("%d events allowed, want exactly 10", n)
	}
}

func TestConcurrentManyKeys(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(3, time.Hour, nil)
	keys := []string{"a", "b", "c", "d", "e"}
	counts := make([]atomic.Int64, len(keys))
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			k := i % len(keys)
			if ok, _ := l.Allow(keys[k]); ok {
				counts[k].Add(1)
			}
		})
	}
	wg.Wait()
	for i := range counts {
		if n := counts[i].Load(); n != 3 {
			t.Errorf("key %q: %d events allowed, want 3", keys[i], n)
		}
	}
}

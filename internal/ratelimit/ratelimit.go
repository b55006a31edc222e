// Package ratelimit counts requests per key in fixed windows, in memory.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter allows at most Max events per key in each Window. It keeps at
// most maxKeys keys; when full it forgets windows that have ended, and if
// none have, it refuses new keys rather than grow without bound.
type Limiter struct {
	max     int
	window  time.Duration
	now     func() time.Time
	maxKeys int

	failOpen bool

	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

// New returns a Limiter. now may be nil (time.Now).
func New(max int, per time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{max: max, window: per, now: now, maxKeys: 100_000, windows: make(map[string]*window)}
}

// FailOpen makes a full Limiter admit new keys uncounted instead of
// refusing them, for limits whose refusal itself would leak something.
func (l *Limiter) FailOpen() *Limiter {
	l.failOpen = true
	return l
}

// Allow counts one event for key and reports whether it is within the
// limit; when it is not, retryAfter says when the window ends.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil || l.max <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= l.window {
		if w == nil && len(l.windows) >= l.maxKeys {
			l.sweep(now)
			if len(l.windows) >= l.maxKeys {
				return l.failOpen, l.window
			}
		}
		w = &window{start: now}
		l.windows[key] = w
	}
	if w.count >= l.max {
		return false, w.start.Add(l.window).Sub(now)
	}
	w.count++
	return true, 0
}

func (l *Limiter) sweep(now time.Time) {
	for k, w := range l.windows {
		if now.Sub(w.start) >= l.window {
			delete(l.windows, k)
		}
	}
}

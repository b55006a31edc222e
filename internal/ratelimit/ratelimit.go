// Package ratelimit counts requests per key in fixed windows, in memory or,
// for processes that share a database, in a [Counter] they share.
package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Counter counts events in fixed windows in a store several processes
// share (the database, on PostgreSQL).
type Counter interface {
	// HitLimit counts one event for key in the window that starts at
	// start, unless max events are counted there already; it reports
	// whether it counted this one.
	HitLimit(ctx context.Context, key string, start time.Time, max int) (bool, error)
}

// sharedTimeout bounds how long Allow waits for a shared Counter before it
// counts in memory instead.
const sharedTimeout = 2 * time.Second

// Limiter allows at most Max events per key in each Window. It keeps at
// most maxKeys keys; when full it forgets windows that have ended, and if
// none have, it refuses new keys rather than grow without bound.
type Limiter struct {
	max     int
	window  time.Duration
	now     func() time.Time
	maxKeys int

	failOpen bool

	shared     Counter
	sharedName string

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

// Shared makes l count in c, under keys prefixed by name, so that every
// process sharing c shares the limit. Its windows then start at multiples
// of the window length (Unix time). When c fails, l counts in memory.
func (l *Limiter) Shared(name string, c Counter) *Limiter {
	l.shared, l.sharedName = c, name
	return l
}

// Allow counts one event for key and reports whether it is within the
// limit; when it is not, retryAfter says when the window ends.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil || l.max <= 0 {
		return true, 0
	}
	now := l.now()
	if l.shared != nil {
		start := time.UnixMilli(now.UnixMilli() - now.UnixMilli()%l.window.Milliseconds())
		ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
		ok, err := l.shared.HitLimit(ctx, "rl:"+l.sharedName+":"+key, start, l.max)
		cancel()
		if err == nil {
			if ok {
				return true, 0
			}
			return false, start.Add(l.window).Sub(now)
		}
	}
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

package ratelimit

// SetMaxKeys lowers the key cap so tests can fill it cheaply.
func SetMaxKeys(l *Limiter, n int) { l.maxKeys = n }

// Keys returns the number of keys the limiter holds.
func Keys(l *Limiter) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.windows)
}

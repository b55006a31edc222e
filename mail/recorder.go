package mail

import (
	"context"
	"slices"
	"sync"
)

// recorder keeps messages in memory for Capture and SMSCapture: add
// records one, all copies them, and wait hands each matching message out
// once, blocking until one arrives. The zero value is ready to use.
type recorder[T any] struct {
	mu       sync.Mutex
	msgs     []T
	returned []bool
	arrived  chan struct{} // closed and replaced on every add
}

func (r *recorder[T]) add(ctx context.Context, m T) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	r.returned = append(r.returned, false)
	if r.arrived != nil {
		close(r.arrived)
		r.arrived = nil
	}
	return nil
}

func (r *recorder[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// wait returns the oldest message that match accepts and wait has not
// returned before, or ctx's error once ctx ends.
func (r *recorder[T]) wait(ctx context.Context, match func(T) bool) (T, error) {
	for {
		r.mu.Lock()
		for i, m := range r.msgs {
			if !r.returned[i] && match(m) {
				r.returned[i] = true
				r.mu.Unlock()
				return m, nil
			}
		}
		if r.arrived == nil {
			r.arrived = make(chan struct{})
		}
		arrived := r.arrived
		r.mu.Unlock()
		select {
		case <-arrived:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

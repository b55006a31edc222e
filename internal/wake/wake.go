// Package wake runs background delivery loops: a round of work, again at
// once while there is more, otherwise after a poll interval or a wake-up.
package wake

import (
	"context"
	"sync"
	"time"
)

// Signal is a wake-up that never blocks its sender: wake-ups that arrive
// while the loop is busy collapse into one. The zero value is ready.
type Signal struct {
	once sync.Once
	ch   chan struct{}
}

func (s *Signal) c() chan struct{} {
	s.once.Do(func() { s.ch = make(chan struct{}, 1) })
	return s.ch
}

// Wake asks the loop waiting on s to run a round now.
func (s *Signal) Wake() {
	select {
	case s.c() <- struct{}{}:
	default:
	}
}

// Loop is one background loop's settings.
type Loop struct {
	// Signal wakes the loop before Poll has passed.
	Signal *Signal
	// Poll is the longest wait between rounds.
	Poll time.Duration
	// WaitFirst makes the loop wait (Poll or a wake-up) before its first
	// round.
	WaitFirst bool
	// Round does one round of work and reports whether more is due right
	// now; an error is passed to OnError and ends the burst of rounds.
	Round func(ctx context.Context) (more bool, err error)
	// OnError, if set, receives the errors of Round.
	OnError func(error)
	// Idle, if set, runs each time the loop is about to wait.
	Idle func()
}

// Run runs l until ctx ends.
func (l Loop) Run(ctx context.Context) {
	timer := time.NewTimer(l.Poll)
	defer timer.Stop()
	wait := func() bool {
		if l.Idle != nil {
			l.Idle()
		}
		timer.Reset(l.Poll)
		select {
		case <-ctx.Done():
			return false
		case <-l.Signal.c():
		case <-timer.C:
		}
		return true
	}
	if l.WaitFirst && !wait() {
		return
	}
	for {
		more, err := l.Round(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if l.OnError != nil {
				l.OnError(err)
			}
			more = false
		}
		if !more && !wait() {
			return
		}
	}
}

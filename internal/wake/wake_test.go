package wake

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A wake-up runs a round at once; rounds repeat while there is more; an
// error ends the burst and is reported; Run returns when ctx ends.
func TestLoop(t *testing.T) {
	var s Signal
	rounds := make(chan int, 16)
	var n atomic.Int32
	var errs atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Loop{Signal: &s, Poll: time.Hour, WaitFirst: true,
			Round: func(context.Context) (bool, error) {
				k := int(n.Add(1))
				rounds <- k
				switch k {
				case 1, 2:
					return true, nil // more: the next round follows at once
				case 3:
					return true, errors.New("outbox down") // an error ends the burst
				}
				return false, nil
			},
			OnError: func(error) { errs.Add(1) },
		}.Run(ctx)
	}()
	if k := n.Load(); k != 0 {
		t.Fatalf("round %d ran before any wake-up", k)
	}
	s.Wake()
	s.Wake() // collapses into the first
	for want := 1; want <= 3; want++ {
		if k := <-rounds; k != want {
			t.Fatalf("round %d, want %d", k, want)
		}
	}
	s.Wake()
	if k := <-rounds; k != 4 {
		t.Fatalf("round %d after the second wake-up", k)
	}
	if errs.Load() != 1 { // reported before the loop waited again
		t.Fatalf("%d errors reported", errs.Load())
	}
	cancel()
	<-done
}

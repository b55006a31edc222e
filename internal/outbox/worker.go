package outbox

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// recordTimeout bounds Record and Release, which run even after the
// Worker's context has ended so that a delivered message is recorded.
const recordTimeout = 10 * time.Second

// Worker delivers one [Kind]'s outbox, in rounds: a round leases the due
// jobs and delivers them; another follows at once while there may be
// more, otherwise Run waits for Poll or a wake-up.
//
// A message is recorded delivered only after Deliver said so; a failed
// attempt is recorded with its retry time from Schedule, or given up (kept
// as failed) once the schedule is spent. Run and Flush may be used at the
// same time: rounds in one process take turns, and the outbox's leases keep
// several processes from delivering a message twice. Set the fields before
// the first Run or Flush and do not change them afterwards.
type Worker[J, R any] struct {
	// Kind is what the worker delivers.
	Kind Kind[J, R]
	// Name names the outbox in logs ("mail").
	Name string
	// Schedule decides the retry of a failed attempt.
	Schedule Schedule
	// Lease is how long Due reserves jobs; it must exceed AttemptTimeout.
	Lease time.Duration
	// AttemptTimeout is the longest one attempt takes: a job is started
	// only while this much of its lease is left, so a slow round never
	// overruns its lease. The rest wait for the next round.
	AttemptTimeout time.Duration
	// Concurrency is how many jobs are delivered at once; default 1: one
	// after another, in the order Due returned them.
	Concurrency int
	// Poll is the longest wait between rounds in Run; default 1 s.
	Poll time.Duration
	// WaitFirst makes Run wait (Poll or a wake-up) before its first round.
	WaitFirst bool
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives delivery logs; default slog.Default().
	Logger *slog.Logger

	mu   sync.Mutex // one round at a time
	wake signal
	tick <-chan time.Time // replaces the Poll timer in tests
}

// Wake asks Run to start a round now. It never blocks: wake-ups that
// arrive while a round runs collapse into one. Call it after committing a
// transaction that queued work.
func (w *Worker[J, R]) Wake() { w.wake.wake() }

func (w *Worker[J, R]) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker[J, R]) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}

// Run delivers until ctx ends: whenever Wake is called, every Poll, and at
// once when it starts unless WaitFirst. Errors are logged, never fatal.
func (w *Worker[J, R]) Run(ctx context.Context) {
	poll := w.Poll
	if poll <= 0 {
		poll = time.Second
	}
	timer := time.NewTimer(poll)
	defer timer.Stop()
	seen := map[int64]bool{} // jobs handled since Run last waited
	wait := func() bool {
		clear(seen)
		tick := w.tick
		if tick == nil {
			timer.Reset(poll)
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return false
		case <-w.wake.c():
		case <-tick:
		}
		return true
	}
	if w.WaitFirst && !wait() {
		return
	}
	for {
		_, more, err := w.round(ctx, seen)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.logger().Error(w.Name+" outbox: round failed", "err", err)
			more = false
		}
		if !more && !wait() {
			return
		}
	}
}

// Flush delivers everything due now, synchronously, round after round
// until nothing is left to attempt, and returns how many messages were
// delivered. Failed attempts are recorded and scheduled as in Run; they
// are not errors. err reports outbox errors or ctx ending. With a fake
// clock, Flush is how a test drives delivery.
func (w *Worker[J, R]) Flush(ctx context.Context) (delivered int, err error) {
	seen := map[int64]bool{}
	for {
		n, more, err := w.round(ctx, seen)
		delivered += n
		if err != nil || !more {
			return delivered, err
		}
	}
}

// round leases the due jobs and delivers them. seen holds the keys of the
// jobs handled since the caller last waited (see Keyer). more reports
// whether another round may find more right now.
func (w *Worker[J, R]) round(ctx context.Context, seen map[int64]bool) (delivered int, more bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	leasedAt := w.now()
	jobs, more, err := w.Kind.Due(ctx, leasedAt, w.Lease)
	if err != nil {
		return 0, false, err
	}
	if k, ok := w.Kind.(Keyer[J]); ok {
		fresh := make([]J, 0, len(jobs))
		for _, j := range jobs {
			if key := k.Key(j); !seen[key] {
				seen[key] = true
				fresh = append(fresh, j)
			}
		}
		if len(fresh) == 0 {
			more = false // only repeats: the outbox has nothing new
		}
		jobs = fresh
	}

	startBy := leasedAt.Add(w.Lease - w.AttemptTimeout)
	sem := make(chan struct{}, max(w.Concurrency, 1))
	batch, _ := w.Kind.(BatchRecorder[J, R])
	var (
		mu        sync.Mutex // guards delivered, errs and done
		errs      []error
		wg        sync.WaitGroup
		unstarted []J
		done      []J // delivered, for batch
	)
	for i, job := range jobs {
		sem <- struct{}{} // with Concurrency 1: the previous job is done and recorded
		mu.Lock()
		failed := len(errs) > 0
		mu.Unlock()
		if failed || ctx.Err() != nil || w.now().After(startBy) {
			if !failed && ctx.Err() == nil {
				w.logger().Warn(w.Name+" outbox: lease running out; leaving the rest for the next round",
					"remaining", len(jobs)-i)
			}
			<-sem
			unstarted = jobs[i:]
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			n, ok, err := w.deliver(ctx, job, startBy, batch != nil)
			mu.Lock()
			defer mu.Unlock()
			delivered += n
			if ok {
				done = append(done, job)
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if len(done) > 0 {
		rctx, cancel := recordContext(ctx)
		err := batch.RecordDelivered(rctx, w.now(), done)
		cancel()
		if err != nil {
			w.logger().Error(w.Name+" outbox: cannot record deliveries; they may be attempted again", "err", err, "jobs", len(done))
			errs = append(errs, err)
		} else {
			w.logger().Debug(w.Name+" outbox: delivered", "jobs", len(done))
		}
	}

	if len(unstarted) > 0 {
		released := false
		if r, ok := w.Kind.(Releaser[J]); ok {
			rctx, cancel := recordContext(ctx)
			err := r.Release(rctx, w.now(), unstarted)
			cancel()
			if err != nil {
				errs = append(errs, err)
			}
			released = err == nil
		}
		// Released jobs are due again at once; another round takes them,
		// unless this one could start nothing, which the next one would
		// repeat.
		more = more && released && len(unstarted) < len(jobs)
	}
	if err := errors.Join(errs...); err != nil {
		return delivered, false, err
	}
	if err := ctx.Err(); err != nil {
		return delivered, false, err
	}
	return delivered, more, nil
}

// deliver hands one job to the Kind, decides the retry of a failed
// attempt, and records the result. err is Record's. With batch, a
// delivered job is not recorded but reported (ok) for the round's
// RecordDelivered.
func (w *Worker[J, R]) deliver(ctx context.Context, job J, startBy time.Time, batch bool) (delivered int, ok bool, err error) {
	r := w.Kind.Deliver(ctx, job, startBy)
	if r.Interrupted {
		return r.Delivered, false, nil
	}
	if batch && r.Failed == nil {
		return r.Delivered, true, nil
	}
	log := w.logger().With(w.Kind.Attrs(job)...)
	if f := r.Failed; f != nil {
		if f.Final {
			f.RetryAt, f.GiveUp = f.At, true
		} else {
			f.RetryAt, f.GiveUp = w.Schedule.Next(f.Attempts, f.At, f.NotBefore)
		}
		if f.GiveUp {
			log.Error(w.Name+" outbox: delivery failed; giving up, kept as failed", "err", f.Err)
		} else {
			log.Warn(w.Name+" outbox: delivery failed; will retry", "err", f.Err, "retry_at", f.RetryAt)
		}
	}
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err := w.Kind.Record(rctx, w.now(), job, r); err != nil {
		log.Error(w.Name+" outbox: cannot record the outcome; it may be attempted again", "err", err)
		return r.Delivered, false, err
	}
	if r.Delivered > 0 {
		log.Debug(w.Name+" outbox: delivered", "messages", r.Delivered)
	}
	return r.Delivered, false, nil
}

// recordContext is the context of Record and Release: ctx's values
// without its end, and a timeout of its own.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// signal is a wake-up that never blocks its sender. The zero value is
// ready.
type signal struct {
	once sync.Once
	ch   chan struct{}
}

func (s *signal) c() chan struct{} {
	s.once.Do(func() { s.ch = make(chan struct{}, 1) })
	return s.ch
}

func (s *signal) wake() {
	select {
	case s.c() <- struct{}{}:
	default:
	}
}

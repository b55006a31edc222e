package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// job is what fakeKind leases: a row's id and attempt count.
type job struct {
	id       int64
	attempts int
}

// row is one message in fakeKind's table.
type row struct {
	id         int64
	attempts   int
	nextAt     time.Time
	leaseUntil time.Time
	status     string // "queued", "sent", "failed"
	lastErr    string
	sentAt     time.Time
}

// errFinal makes fakeKind's attempt a Final failure.
var errFinal = errors.New("cannot be delivered")

// fakeKind is an in-memory outbox that behaves like the database tables:
// leases, retry times, and failed messages kept.
type fakeKind struct {
	clock *clock
	limit int
	// attempt delivers one job; nil means success.
	attempt func(ctx context.Context, j job) error
	// notBefore is the Retry-After of every failure.
	notBefore time.Duration
	// recordErr, when set, fails Record for that job.
	recordErr map[int64]error
	// ignoreLeases makes Due hand out every queued row, leased or not
	// (a broken outbox).
	ignoreLeases bool

	mu       sync.Mutex
	rows     []*row
	attempts []int64 // ids, in the order attempted
	released []int64
}

func (k *fakeKind) add(n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for range n {
		k.rows = append(k.rows, &row{id: int64(len(k.rows) + 1), nextAt: k.clock.Now(), status: "queued"})
	}
}

func (k *fakeKind) row(id int64) row {
	k.mu.Lock()
	defer k.mu.Unlock()
	return *k.rows[id-1]
}

func (k *fakeKind) attempted() []int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.attempts)
}

func (k *fakeKind) Due(_ context.Context, now time.Time, lease time.Duration) ([]job, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	limit := k.limit
	if limit == 0 {
		limit = 10
	}
	var out []job
	for _, r := range k.rows {
		if len(out) == limit {
			break
		}
		if r.status == "queued" && !r.nextAt.After(now) && (k.ignoreLeases || !r.leaseUntil.After(now)) {
			r.leaseUntil = now.Add(lease)
			out = append(out, job{r.id, r.attempts})
		}
	}
	return out, len(out) == limit, nil
}

func (k *fakeKind) Deliver(ctx context.Context, j job, _ time.Time) Result[string] {
	k.mu.Lock()
	k.attempts = append(k.attempts, j.id)
	k.mu.Unlock()
	var err error
	if k.attempt != nil {
		err = k.attempt(ctx, j)
	}
	switch {
	case err == nil:
		return Result[string]{Delivered: 1, Detail: "ok"}
	case ctx.Err() != nil:
		return Result[string]{Interrupted: true}
	}
	return Result[string]{Detail: "failed", Failed: &Failure{
		Attempts: j.attempts + 1, At: k.clock.Now(), Err: err, Final: errors.Is(err, errFinal), NotBefore: k.notBefore,
	}}
}

func (k *fakeKind) Record(_ context.Context, now time.Time, j job, r Result[string]) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.recordErr[j.id]; err != nil {
		return err
	}
	x := k.rows[j.id-1]
	x.leaseUntil = time.Time{}
	if f := r.Failed; f != nil {
		x.attempts, x.nextAt, x.lastErr = f.Attempts, f.RetryAt, f.Err.Error()
		if f.GiveUp {
			x.status = "failed"
		}
		return nil
	}
	x.status, x.sentAt = "sent", now
	return nil
}

func (k *fakeKind) Attrs(j job) []any { return []any{"id", j.id} }

// releasingKind is a fakeKind that hands unstarted jobs back.
type releasingKind struct{ *fakeKind }

func (k releasingKind) Release(_ context.Context, _ time.Time, jobs []job) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, j := range jobs {
		k.rows[j.id-1].leaseUntil = time.Time{}
		k.released = append(k.released, j.id)
	}
	return nil
}

// keyedKind is a fakeKind whose jobs have keys.
type keyedKind struct{ *fakeKind }

func (keyedKind) Key(j job) int64 { return j.id }

// newWorker returns a Worker over kind with a 5-minute lease and
// 30-second attempts, its logs in the returned buffer.
func newWorker(c *clock, kind Kind[job, string]) (*Worker[job, string], *logBuffer) {
	var logs logBuffer
	return &Worker[job, string]{
		Kind: kind, Name: "test", Schedule: Schedule{10 * time.Second, time.Minute},
		Lease: 5 * time.Minute, AttemptTimeout: 30 * time.Second,
		Poll: time.Hour, Now: c.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}, &logs
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func flush(t *testing.T, w *Worker[job, string]) int {
	t.Helper()
	n, err := w.Flush(context.Background())
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return n
}

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := Schedule{10 * time.Second, time.Minute}
	for _, tt := range []struct {
		attempts  int
		notBefore time.Duration
		wait      time.Duration
		giveUp    bool
	}{
		{1, 0, 10 * time.Second, false},
		{2, 0, time.Minute, false},
		{3, 0, 0, true},                      // the attempt after the last delay was the final one
		{1, time.Hour, time.Hour, false},     // Retry-After asks for longer
		{2, time.Second, time.Minute, false}, // never sooner than the schedule
		{3, time.Hour, 0, true},              // nor past its end
		{0, 0, 10 * time.Second, false},      // a count below 1 is the first attempt
		{100, 0, 0, true},
	} {
		next, giveUp := s.Next(tt.attempts, at, tt.notBefore)
		if giveUp != tt.giveUp || next.Sub(at) != tt.wait {
			t.Errorf("Next(%d, at, %v) = at+%v, %v; want at+%v, %v", tt.attempts, tt.notBefore, next.Sub(at), giveUp, tt.wait, tt.giveUp)
		}
	}
	if _, giveUp := Schedule(nil).Next(1, at, 0); !giveUp {
		t.Error("an empty schedule retried")
	}
}

func TestWorkerDeliversEverythingDue(t *testing.T) {
	t.Parallel()
	c := newClock()
	k := &fakeKind{clock: c}
	w, _ := newWorker(c, k)
	k.add(25) // three batches of ten
	if n := flush(t, w); n != 25 {
		t.Fatalf("Flush delivered %d, want 25", n)
	}
	for id := int64(1); id <= 25; id++ {
		if r := k.row(id); r.status != "sent" || !r.sentAt.Equal(c.Now()) {
			t.Fatalf("row %d: %+v", id, r)
		}
	}
	if got := k.attempted(); len(got) != 25 || !slices.IsSorted(got) {
		t.Errorf("attempted %v, want 1…25 in order", got)
	}
	if n := flush(t, w); n != 0 {
		t.Errorf("second Flush delivered %d", n)
	}
}

func TestWorkerRetriesOnSchedule(t *testing.T) {
	t.Parallel()
	t.Run("GivesUpAfterTheLastDelay", func(t *testing.T) {
		c := newClock()
		k := &fakeKind{clock: c, attempt: func(context.Context, job) error { return errors.New("receiver down") }}
		w, logs := newWorker(c, k)
		k.add(1)
		for i, delay := range w.Schedule {
			flush(t, w)
			r := k.row(1)
			if r.status != "queued" || r.attempts != i+1 || !r.nextAt.Equal(c.Now().Add(delay)) || r.lastErr != "receiver down" {
				t.Fatalf("after attempt %d: %+v", i+1, r)
			}
			c.Advance(delay - time.Second)
			if flush(t, w); len(k.attempted()) != i+1 {
				t.Fatalf("attempt %d retried before its delay", i+1)
			}
			c.Advance(time.Second)
		}
		flush(t, w)
		if r := k.row(1); r.status != "failed" || r.attempts != 3 || !r.nextAt.Equal(c.Now()) {
			t.Fatalf("after the last attempt: %+v", r)
		}
		if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "giving up") {
			t.Errorf("giving up was not logged as an error:\n%s", logs)
		}
		c.Advance(30 * 24 * time.Hour)
		if flush(t, w); len(k.attempted()) != 3 {
			t.Errorf("a failed message was attempted again: %v", k.attempted())
		}
	})
	t.Run("NotBeforeIsHonoured", func(t *testing.T) {
		c := newClock()
		k := &fakeKind{clock: c, notBefore: time.Hour, attempt: func(context.Context, job) error { return errors.New("429") }}
		w, _ := newWorker(c, k)
		k.add(1)
		flush(t, w)
		if r := k.row(1); !r.nextAt.Equal(c.Now().Add(time.Hour)) {
			t.Fatalf("retry at %v, want an hour later", r.nextAt.Sub(c.Now()))
		}
	})
	t.Run("FinalGivesUpAtOnce", func(t *testing.T) {
		c := newClock()
		k := &fakeKind{clock: c, attempt: func(context.Context, job) error { return errFinal }}
		w, _ := newWorker(c, k)
		k.add(1)
		flush(t, w)
		if r := k.row(1); r.status != "failed" || r.attempts != 1 {
			t.Fatalf("after a final failure: %+v", r)
		}
	})
}

func TestWorkerLeases(t *testing.T) {
	t.Parallel()
	t.Run("NoTwoWorkersDeliverOneMessage", func(t *testing.T) {
		c := newClock()
		entered, release := make(chan struct{}), make(chan struct{})
		var first atomic.Bool
		k := &fakeKind{clock: c, attempt: func(context.Context, job) error {
			if first.CompareAndSwap(false, true) {
				close(entered)
				<-release // worker A holds the lease
			}
			return nil
		}}
		a, _ := newWorker(c, k)
		b, _ := newWorker(c, k)
		k.add(1)
		done := make(chan int)
		go func() {
			n, _ := a.Flush(context.Background())
			done <- n
		}()
		<-entered
		if n := flush(t, b); n != 0 {
			t.Fatal("B delivered a message leased by A")
		}
		c.Advance(time.Minute)
		if n := flush(t, b); n != 0 {
			t.Fatal("B delivered a message leased by A")
		}
		close(release)
		if n := <-done; n != 1 {
			t.Fatalf("A delivered %d", n)
		}
		c.Advance(time.Hour)
		flush(t, a)
		flush(t, b)
		if got := k.attempted(); len(got) != 1 {
			t.Fatalf("attempted %v, want once", got)
		}
	})
	t.Run("AnUnrecordedAttemptWaitsForTheLease", func(t *testing.T) {
		c := newClock()
		ctx, cancel := context.WithCancel(context.Background())
		k := &fakeKind{clock: c, attempt: func(actx context.Context, j job) error {
			if j.id == 1 && ctx.Err() == nil {
				cancel() // the app stops during the attempt
				<-actx.Done()
				return actx.Err()
			}
			return nil
		}}
		w, _ := newWorker(c, k)
		k.add(1)
		if _, err := w.Flush(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Flush = %v, want context.Canceled", err)
		}
		if r := k.row(1); r.status != "queued" || r.attempts != 0 {
			t.Fatalf("an interrupted attempt was recorded: %+v", r)
		}
		c.Advance(w.Lease - time.Second)
		if n := flush(t, w); n != 0 {
			t.Fatal("delivered again before the lease ended")
		}
		c.Advance(time.Second)
		if n := flush(t, w); n != 1 {
			t.Fatal("not delivered once the lease ended")
		}
	})
}

// A job starts only while AttemptTimeout of its lease is left; the rest
// are released at once by a Releaser, or wait for the lease to end.
func TestWorkerLeaseRunningShort(t *testing.T) {
	t.Parallel()
	for _, releasing := range []bool{false, true} {
		t.Run(fmt.Sprint("Releaser=", releasing), func(t *testing.T) {
			c := newClock()
			k := &fakeKind{clock: c}
			k.attempt = func(_ context.Context, j job) error {
				if j.id == 1 {
					c.Advance(4*time.Minute + 31*time.Second) // a slow attempt: 29 s of the lease left
				}
				return nil
			}
			var kind Kind[job, string] = k
			if releasing {
				kind = releasingKind{k}
			}
			w, logs := newWorker(c, kind)
			k.limit = 3 // a full batch: more may be due
			k.add(3)
			n := flush(t, w)
			if !strings.Contains(logs.String(), "lease running out") {
				t.Errorf("not logged:\n%s", logs)
			}
			if releasing {
				// Released, they are due again at once, and the next
				// round of the same Flush takes them.
				if !slices.Equal(k.released, []int64{2, 3}) || n != 3 {
					t.Fatalf("released %v, delivered %d; want [2 3] released, then all 3 delivered", k.released, n)
				}
				return
			}
			if n != 1 {
				t.Fatalf("Flush delivered %d, want only the first", n)
			}
			if n := flush(t, w); n != 0 {
				t.Fatal("jobs left on their lease were delivered before it ended")
			}
			c.Advance(30 * time.Second)
			if n := flush(t, w); n != 2 {
				t.Fatalf("after the lease: delivered %d, want 2", n)
			}
		})
	}
}

// A Keyer's jobs are handled once per burst even when a broken outbox
// hands them out again, so Flush ends.
func TestWorkerKeyerSkipsRepeats(t *testing.T) {
	t.Parallel()
	c := newClock()
	k := &fakeKind{clock: c, ignoreLeases: true, attempt: func(context.Context, job) error { return errors.New("down") }}
	w, _ := newWorker(c, keyedKind{k})
	w.Schedule = Schedule{0} // due again at once: only the keys stop a second attempt
	k.add(10)                // a full batch, so the worker asks again
	if n := flush(t, w); n != 0 {
		t.Fatalf("delivered %d", n)
	}
	got := k.attempted()
	slices.Sort(got)
	if len(got) != 10 || len(slices.Compact(got)) != 10 {
		t.Fatalf("attempted %v, want each of 10 once", k.attempted())
	}
}

// A failed Record ends the round: what was not started is released, and
// Flush reports the error.
func TestWorkerRecordErrorStopsTheRound(t *testing.T) {
	t.Parallel()
	c := newClock()
	diskFull := errors.New("disk full")
	k := &fakeKind{clock: c, recordErr: map[int64]error{2: diskFull}}
	w, logs := newWorker(c, releasingKind{k})
	k.add(4)
	n, err := w.Flush(context.Background())
	if !errors.Is(err, diskFull) || n != 2 {
		t.Fatalf("Flush = %d, %v; want 2 delivered and the Record error", n, err)
	}
	if got := k.attempted(); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("attempted %v, want [1 2]", got)
	}
	if !slices.Equal(k.released, []int64{3, 4}) {
		t.Errorf("released %v, want [3 4]", k.released)
	}
	if !strings.Contains(logs.String(), "cannot record") {
		t.Errorf("not logged:\n%s", logs)
	}
}

func TestWorkerConcurrency(t *testing.T) {
	t.Parallel()
	t.Run("Parallel", func(t *testing.T) {
		c := newClock()
		var wg sync.WaitGroup
		wg.Add(3)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		k := &fakeKind{clock: c, attempt: func(context.Context, job) error {
			wg.Done()
			waited := make(chan struct{})
			go func() { wg.Wait(); close(waited) }()
			select {
			case <-waited: // all three are in flight at once
				return nil
			case <-ctx.Done():
				return errors.New("jobs not delivered at the same time")
			}
		}}
		w, _ := newWorker(c, k)
		w.Concurrency = 3
		k.add(3)
		if n := flush(t, w); n != 3 {
			t.Fatalf("delivered %d, want 3", n)
		}
	})
	t.Run("OneAtATimeInOrder", func(t *testing.T) {
		c := newClock()
		var inFlight, most atomic.Int32
		k := &fakeKind{clock: c, attempt: func(context.Context, job) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			return nil
		}}
		w, _ := newWorker(c, k)
		k.add(10)
		flush(t, w)
		if most.Load() != 1 || !slices.Equal(k.attempted(), []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
			t.Fatalf("at most %d at once, order %v", most.Load(), k.attempted())
		}
	})
}

// scriptKind leases nothing; its Due reports each round and answers from
// a script, to drive Run's rounds.
type scriptKind struct {
	rounds chan int
	n      atomic.Int32
	answer func(round int) (more bool, err error)
}

func (k *scriptKind) Due(context.Context, time.Time, time.Duration) ([]job, bool, error) {
	n := int(k.n.Add(1))
	k.rounds <- n
	more, err := k.answer(n)
	return nil, more, err
}
func (*scriptKind) Deliver(context.Context, job, time.Time) Result[string]       { return Result[string]{} }
func (*scriptKind) Record(context.Context, time.Time, job, Result[string]) error { return nil }
func (*scriptKind) Attrs(job) []any                                              { return nil }

// A wake-up runs a round at once; rounds repeat while there is more; an
// error ends the burst and is logged; Poll runs a round; Run returns when
// ctx ends.
func TestWorkerRun(t *testing.T) {
	t.Parallel()
	k := &scriptKind{rounds: make(chan int, 16), answer: func(n int) (bool, error) {
		switch n {
		case 1, 2:
			return true, nil // more: the next round follows at once
		case 3:
			return true, errors.New("outbox down") // an error ends the burst
		}
		return false, nil
	}}
	tick := make(chan time.Time)
	w, logs := newWorker(newClock(), k)
	w.WaitFirst = true
	w.tick = tick
	w.Wake() // before Run: must not block
	w.Wake() // collapses into the first
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	for want := 1; want <= 3; want++ {
		if n := <-k.rounds; n != want {
			t.Fatalf("round %d, want %d", n, want)
		}
	}
	w.Wake()
	if n := <-k.rounds; n != 4 {
		t.Fatalf("round %d after the second wake-up", n)
	}
	if !strings.Contains(logs.String(), "outbox down") { // logged before the worker waited again
		t.Fatalf("the error was not logged:\n%s", logs)
	}
	tick <- time.Time{} // Poll has passed
	if n := <-k.rounds; n != 5 {
		t.Fatalf("round %d after Poll", n)
	}
	cancel()
	<-done
	if n := k.n.Load(); n != 5 {
		t.Errorf("%d rounds, want 5", n)
	}
}

// Without WaitFirst, Run starts with a round, and delivers what is due;
// it stops at once when ctx ends, even while it waits.
func TestWorkerRunDeliversAndStops(t *testing.T) {
	t.Parallel()
	c := newClock()
	delivered := make(chan int64, 10)
	k := &fakeKind{clock: c, attempt: func(_ context.Context, j job) error {
		delivered <- j.id
		return nil
	}}
	w, _ := newWorker(c, k)
	w.tick = make(chan time.Time) // never: only wake-ups
	k.add(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	if id := <-delivered; id != 1 {
		t.Fatalf("delivered %d first", id)
	}
	k.add(1)
	w.Wake()
	if id := <-delivered; id != 2 {
		t.Fatalf("delivered %d after the wake-up", id)
	}
	cancel()
	<-done
	if _, err := w.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush after ctx ended = %v", err)
	}
}

// batchKind is a fakeKind that records a round's deliveries together.
type batchKind struct {
	*fakeKind
	batches [][]int64
	fail    error
}

func (k *batchKind) RecordDelivered(_ context.Context, now time.Time, jobs []job) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	var ids []int64
	for _, j := range jobs {
		x := k.rows[j.id-1]
		x.leaseUntil, x.status, x.sentAt = time.Time{}, "sent", now
		ids = append(ids, j.id)
	}
	k.batches = append(k.batches, ids)
	return nil
}

func TestWorkerBatchRecorder(t *testing.T) {
	t.Parallel()
	c := newClock()
	fk := &fakeKind{clock: c, limit: 4, attempt: func(_ context.Context, j job) error {
		if j.id == 2 {
			return errors.New("refused")
		}
		return nil
	}}
	fk.add(6)
	k := &batchKind{fakeKind: fk}
	w, _ := newWorker(c, k)
	n, err := w.Flush(context.Background())
	if err != nil || n != 5 {
		t.Fatalf("Flush: %d, %v; want 5 delivered", n, err)
	}
	// One write per round for the delivered; the failure on its own, at once.
	if want := [][]int64{{1, 3, 4}, {5, 6}}; fmt.Sprint(k.batches) != fmt.Sprint(want) {
		t.Errorf("batches %v, want %v", k.batches, want)
	}
	if r := fk.row(2); r.status != "queued" || r.attempts != 1 || r.lastErr != "refused" {
		t.Errorf("failed row %+v", r)
	}
	for _, id := range []int64{1, 3, 4, 5, 6} {
		if r := fk.row(id); r.status != "sent" {
			t.Errorf("row %d: %s", id, r.status)
		}
	}

	// When the batch cannot be recorded, the round fails and the jobs stay
	// leased, to be delivered again when their lease ends.
	fk2 := &fakeKind{clock: c}
	fk2.add(2)
	k2 := &batchKind{fakeKind: fk2, fail: errors.New("disk full")}
	w2, _ := newWorker(c, k2)
	if _, err := w2.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Flush: %v, want the record error", err)
	}
	if r := fk2.row(1); r.status != "queued" || !r.leaseUntil.After(c.Now()) {
		t.Errorf("unrecorded row %+v", r)
	}
}

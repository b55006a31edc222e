// Package outbox delivers durable outboxes in the background: mail, text
// messages and webhooks are written to storage in the same transaction as
// the change that causes them, and a [Worker] delivers them afterwards.
//
// The Worker owns what every outbox needs: rounds of work (again at once
// while there is more, otherwise after a poll interval or a wake-up),
// leasing the due rows so that two workers never deliver one at the same
// time, handing each leased job to its [Kind], scheduling the retry of a
// failed attempt from the kind's [Schedule], recording the outcome even
// while shutting down, Flush for tests, and stopping when its context
// ends. A Kind holds only what differs: which rows are due, how one is
// delivered, and how its outcome is stored.
package outbox

import (
	"context"
	"time"
)

// Kind is one sort of outbox as a [Worker] sees it. J is a job: what one
// lease hands out and Deliver works through (one mail; one endpoint's
// queue of webhook messages). R is the kind's own account of a delivery,
// passed from Deliver to Record.
type Kind[J, R any] interface {
	// Due leases the jobs due at now until now+lease, oldest first, so
	// that no other worker takes them. more reports whether more may be
	// due right now (the batch was full), so that another round follows
	// at once.
	Due(ctx context.Context, now time.Time, lease time.Duration) (jobs []J, more bool, err error)
	// Deliver makes the attempts of job. An attempt may start only until
	// startBy, so that it ends before the job's lease does; the Worker
	// checks this before it calls Deliver, so a kind whose job is a single
	// attempt may ignore it.
	Deliver(ctx context.Context, job J, startBy time.Time) Result[R]
	// Record stores what Deliver did, with Result.Failed's retry decided.
	// Its ctx is not the Worker's: it lasts a little longer, so that an
	// attempt made just before shutdown is recorded.
	Record(ctx context.Context, now time.Time, job J, r Result[R]) error
	// Attrs are the log attributes that name job.
	Attrs(job J) []any
}

// Releaser is a [Kind] that can hand leased jobs back before their lease
// ends. The Worker releases the jobs it leased but did not start (it is
// stopping, too little of the lease is left, or recording failed); a kind
// that is not a Releaser has them tried again when their lease ends.
type Releaser[J any] interface {
	Release(ctx context.Context, now time.Time, jobs []J) error
}

// BatchRecorder is a [Kind] that records delivered jobs together: the
// Worker records the jobs of a round that were delivered (no Failed, not
// Interrupted) in one RecordDelivered at the end of the round, instead of
// one Record each; failed attempts are still recorded one by one, at once.
// A process that stops between a delivery and the end of its round has the
// round's delivered jobs tried again when their lease ends, as it has the
// one job whose Record did not run.
type BatchRecorder[J, R any] interface {
	RecordDelivered(ctx context.Context, now time.Time, jobs []J) error
}

// Keyer is a [Kind] whose jobs have keys. A job whose key the Worker has
// already handled since it last waited is skipped: a guard against an
// outbox that hands a job out again before its lease ends, which would
// otherwise deliver it twice and keep Flush from ever returning.
type Keyer[J any] interface {
	Key(job J) int64
}

// Result is what Deliver did with one job.
type Result[R any] struct {
	// Delivered counts the messages delivered.
	Delivered int
	// Failed is set when the job's last attempt failed.
	Failed *Failure
	// Interrupted reports that the Worker's context ended during an
	// attempt, which then says nothing about the message: nothing is
	// recorded, and the job is tried again when its lease ends.
	Interrupted bool
	// Detail is the kind's own account of the attempts, for Record.
	Detail R
}

// Failure is a failed attempt. Deliver fills in what happened; the Worker
// then decides RetryAt and GiveUp from its [Schedule].
type Failure struct {
	// Attempts is the failed message's attempt count, this one included.
	Attempts int
	// At is when the attempt was made; the retry delay counts from it.
	At time.Time
	// Err says why it failed.
	Err error
	// Final gives the message up at once, whatever the schedule says,
	// because no retry can help (a mail that cannot be opened).
	Final bool
	// NotBefore is the shortest wait before the next attempt that the
	// receiver asked for (an HTTP Retry-After); the schedule's delay is
	// used when it is longer.
	NotBefore time.Duration

	// RetryAt is when to try again; it is At when GiveUp.
	RetryAt time.Time
	// GiveUp marks the message failed for good: the schedule is spent
	// (or the failure is Final). It is kept for inspection, not deleted.
	GiveUp bool
}

// Schedule is a retry schedule: the delays after the first, second, …
// failed attempt. The attempt after the last delay is the final one, so a
// message is attempted at most len(s)+1 times; an empty schedule never
// retries.
type Schedule []time.Duration

// Next returns when to make the next attempt of a message whose attempts-th
// attempt failed at at: the schedule's delay later, or notBefore later when
// that is longer. giveUp reports that the schedule is spent; next is then at.
func (s Schedule) Next(attempts int, at time.Time, notBefore time.Duration) (next time.Time, giveUp bool) {
	if attempts > len(s) {
		return at, true
	}
	return at.Add(max(s[max(attempts, 1)-1], notBefore)), false
}

package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/embedauth/auth/internal/outbox"
)

// Envelope is one queued mail as the outbox returns it. Body is opaque
// (sealed) bytes that Dispatcher.Open turns back into a Message.
type Envelope struct {
	// ID identifies the mail in the outbox.
	ID int64
	// To is the recipient, kept in clear for inspection and logs.
	To string
	// Body is the sealed message.
	Body []byte
	// Attempts is the number of delivery attempts made so far.
	Attempts int
}

// Outbox is what the Dispatcher needs from storage.
type Outbox interface {
	// DueMail returns up to limit mails whose next attempt is at or before
	// now, oldest first, and leases them until now+lease so that a second
	// dispatcher does not send them at the same time.
	DueMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Envelope, error)
	// MailSent records that mail id was delivered.
	MailSent(ctx context.Context, id int64, now time.Time) error
	// MailFailed records a failed attempt: attempts is the number of
	// attempts made so far, including this one, and retryAt the time of the
	// next one. giveUp marks it failed for good (kept for inspection, not
	// deleted).
	MailFailed(ctx context.Context, id int64, attempts int, retryAt time.Time, lastErr string, giveUp bool) error
}

// BatchOutbox is an [Outbox] that records several deliveries in one write:
// the Dispatcher then marks the mails a round sent together.
type BatchOutbox interface {
	Outbox
	// MailsSent records that the mails ids were delivered.
	MailsSent(ctx context.Context, ids []int64, now time.Time) error
}

// DefaultBackoff is the retry schedule used when Dispatcher.Backoff is empty.
var DefaultBackoff = []time.Duration{
	10 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 6 * time.Hour, 12 * time.Hour,
}

const (
	// sendTimeout bounds each Send.
	sendTimeout = 30 * time.Second
	// batchSize is the limit passed to Outbox.DueMail.
	batchSize = 10
	// lease is how long DueMail reserves a batch. A mail is only sent while
	// at least sendTimeout of its lease is left, so a slow batch never
	// overruns its lease; the rest is left for the next round.
	lease = 5 * time.Minute
	// maxErrLen bounds the lastErr stored in the outbox.
	maxErrLen = 2000
)

// Dispatcher delivers mail from an Outbox through a Sender, with retries.
// Outbox, Sender and Open are required; the other fields have defaults.
// A Dispatcher never drops mail silently: a mail is marked sent only after
// Send succeeded, a failed attempt is recorded with its error, and a mail
// that runs out of retries (or cannot be opened) is marked failed for good
// and logged at level Error. Each Send gets a 30-second timeout.
//
// Run and Flush may be used at the same time, and by several processes
// sharing one outbox: the outbox's leases keep them from sending a mail
// twice. Do not change the fields once Run, Flush or Wake has been called.
type Dispatcher struct {
	// Outbox is the storage of queued mail.
	Outbox Outbox
	// Sender delivers messages.
	Sender Sender
	// Open turns an Envelope's Body back into a Message.
	Open func(body []byte) (Message, error)
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Logger receives delivery logs; default slog.Default().
	Logger *slog.Logger
	// Backoff holds the delays after attempt 1, 2, …; if empty,
	// DefaultBackoff (10s, 1m, 5m, 30m, 2h, 6h, 12h). The attempt after the
	// last delay is the final one: if it fails, the mail is given up.
	Backoff []time.Duration
	// Poll is how often Run looks for due mail without a Wake; default 5s.
	Poll time.Duration
	// Name names this outbox in logs; default "mail". A Dispatcher that
	// delivers text messages through an adapted Sender is named "sms".
	Name string

	once   sync.Once
	worker *outbox.Worker[Envelope, struct{}]
}

// work returns the outbox worker, built from the fields on first use.
func (d *Dispatcher) work() *outbox.Worker[Envelope, struct{}] {
	d.once.Do(func() {
		backoff := d.Backoff
		if len(backoff) == 0 {
			backoff = DefaultBackoff
		}
		poll := d.Poll
		if poll <= 0 {
			poll = 5 * time.Second
		}
		name := d.Name
		if name == "" {
			name = "mail"
		}
		var kind outbox.Kind[Envelope, struct{}] = mailKind{d}
		if b, ok := d.Outbox.(BatchOutbox); ok {
			kind = batchMailKind{mailKind{d}, b}
		}
		d.worker = &outbox.Worker[Envelope, struct{}]{
			Kind: kind, Name: name, Schedule: backoff,
			Lease: lease, AttemptTimeout: sendTimeout, Poll: poll,
			Now: d.Now, Logger: d.Logger,
		}
	})
	return d.worker
}

// Wake asks Run to look for due mail now. It never blocks; call it after
// committing a transaction that queued mail.
func (d *Dispatcher) Wake() { d.work().Wake() }

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) check() error {
	var errs []error
	if d.Outbox == nil {
		errs = append(errs, errors.New("mail: Dispatcher.Outbox is nil"))
	}
	if d.Sender == nil {
		errs = append(errs, errors.New("mail: Dispatcher.Sender is nil"))
	}
	if d.Open == nil {
		errs = append(errs, errors.New("mail: Dispatcher.Open is nil"))
	}
	return errors.Join(errs...)
}

// Run delivers due mail until ctx ends: at once, whenever Wake is called,
// and every Poll otherwise. Errors are logged, never fatal.
func (d *Dispatcher) Run(ctx context.Context) {
	if err := d.check(); err != nil {
		log := d.Logger
		if log == nil {
			log = slog.Default()
		}
		log.Error(d.work().Name+" dispatcher misconfigured; nothing will be sent", "err", err)
		<-ctx.Done()
		return
	}
	d.work().Run(ctx)
}

// Flush delivers everything due now, synchronously, and returns how many
// mails were sent. Failed attempts are recorded as in Run and are not
// errors; err reports outbox errors, a misconfigured Dispatcher, or ctx
// ending.
func (d *Dispatcher) Flush(ctx context.Context) (sent int, err error) {
	if err := d.check(); err != nil {
		return 0, err
	}
	return d.work().Flush(ctx)
}

// mailKind plugs a Dispatcher into the outbox worker: a job is one mail.
type mailKind struct{ d *Dispatcher }

var (
	_ outbox.Kind[Envelope, struct{}] = mailKind{}
	_ outbox.Keyer[Envelope]          = mailKind{}
)

func (k mailKind) Due(ctx context.Context, now time.Time, lease time.Duration) ([]Envelope, bool, error) {
	envs, err := k.d.Outbox.DueMail(ctx, now, lease, batchSize)
	if err != nil {
		return nil, false, fmt.Errorf("mail: outbox DueMail: %w", err)
	}
	return envs, len(envs) >= batchSize, nil // a full batch: there may be more due right now
}

func (mailKind) Key(env Envelope) int64 { return env.ID }

func (mailKind) Attrs(env Envelope) []any {
	return []any{"mail_id", env.ID, "to", env.To, "attempt", env.Attempts + 1}
}

// Deliver makes one attempt at env. The worker has checked the lease.
func (k mailKind) Deliver(ctx context.Context, env Envelope, _ time.Time) outbox.Result[struct{}] {
	failed := func(err error, final bool) outbox.Result[struct{}] {
		return outbox.Result[struct{}]{Failed: &outbox.Failure{Attempts: env.Attempts + 1, At: k.d.now(), Err: err, Final: final}}
	}
	m, err := k.d.open(env)
	if err != nil {
		return failed(fmt.Errorf("cannot open queued mail: %w", err), true)
	}
	if err := k.d.send(ctx, m); err != nil {
		if ctx.Err() != nil {
			// Shutting down: this attempt says nothing about the mail. Its
			// lease runs out and it is tried again then.
			return outbox.Result[struct{}]{Interrupted: true}
		}
		return failed(err, false)
	}
	return outbox.Result[struct{}]{Delivered: 1}
}

func (k mailKind) Record(ctx context.Context, now time.Time, env Envelope, r outbox.Result[struct{}]) error {
	if f := r.Failed; f != nil {
		if err := k.d.Outbox.MailFailed(ctx, env.ID, f.Attempts, f.RetryAt, clip(f.Err.Error()), f.GiveUp); err != nil {
			return fmt.Errorf("mail: outbox MailFailed(%d): %w", env.ID, err)
		}
		return nil
	}
	if err := k.d.Outbox.MailSent(ctx, env.ID, now); err != nil {
		return fmt.Errorf("mail: outbox MailSent(%d): %w", env.ID, err)
	}
	return nil
}

// batchMailKind is mailKind over a BatchOutbox: a round's deliveries are
// recorded in one write.
type batchMailKind struct {
	mailKind
	out BatchOutbox
}

var _ outbox.BatchRecorder[Envelope, struct{}] = batchMailKind{}

func (k batchMailKind) RecordDelivered(ctx context.Context, now time.Time, envs []Envelope) error {
	ids := make([]int64, len(envs))
	for i, env := range envs {
		ids[i] = env.ID
	}
	if err := k.out.MailsSent(ctx, ids, now); err != nil {
		return fmt.Errorf("mail: outbox MailsSent(%d mails): %w", len(ids), err)
	}
	return nil
}

// open opens env's body and checks it against the envelope.
func (d *Dispatcher) open(env Envelope) (m Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in Open: %v", r)
		}
	}()
	m, err = d.Open(env.Body)
	if err != nil {
		return Message{}, err
	}
	if m.To == "" {
		m.To = env.To
	}
	if env.To != "" && !strings.EqualFold(bareAddress(m.To), bareAddress(env.To)) {
		return Message{}, fmt.Errorf("sealed recipient %q does not match envelope recipient %q", m.To, env.To)
	}
	return m, nil
}

// send calls Sender.Send with a timeout, turning a panic into an error.
func (d *Dispatcher) send(ctx context.Context, m Message) (err error) {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in Send: %v", r)
		}
	}()
	return d.Sender.Send(ctx, m)
}

func clip(s string) string {
	if len(s) <= maxErrLen {
		return s
	}
	return strings.ToValidUTF8(s[:maxErrLen], "") + "…"
}

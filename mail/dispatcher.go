package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/embedauth/auth/internal/wake"
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
	// recordTimeout bounds the MailSent/MailFailed calls, which run even if
	// the caller's context has ended so that a delivered mail is recorded.
	recordTimeout = 10 * time.Second
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
// twice. Do not change the fields once Run or Flush has been called.
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

	wake wake.Signal
}

// Wake asks Run to look for due mail now. It never blocks; call it after
// committing a transaction that queued mail.
func (d *Dispatcher) Wake() { d.wake.Wake() }

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

func (d *Dispatcher) backoff() []time.Duration {
	if len(d.Backoff) > 0 {
		return d.Backoff
	}
	return DefaultBackoff
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
	log := d.logger()
	if err := d.check(); err != nil {
		log.Error("mail dispatcher misconfigured; no mail will be sent", "err", err)
		<-ctx.Done()
		return
	}
	poll := d.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	seen := map[int64]bool{} // mails handled since Run last waited
	wake.Loop{Signal: &d.wake, Poll: poll,
		Round: func(ctx context.Context) (bool, error) {
			_, more, err := d.batch(ctx, seen) // a full batch: there may be more due right now
			return more, err
		},
		OnError: func(err error) { log.Error("mail dispatcher: outbox error", "err", err) },
		Idle:    func() { clear(seen) },
	}.Run(ctx)
}

// Flush delivers everything due now, synchronously, and returns how many
// mails were sent. Failed attempts are recorded as in Run and are not
// errors; err reports outbox errors, a misconfigured Dispatcher, or ctx
// ending.
func (d *Dispatcher) Flush(ctx context.Context) (sent int, err error) {
	if err := d.check(); err != nil {
		return 0, err
	}
	seen := map[int64]bool{}
	for {
		n, more, err := d.batch(ctx, seen)
		sent += n
		if err != nil || !more {
			return sent, err
		}
	}
}

// batch leases and delivers one batch of due mail. seen collects the IDs
// handled so far; a mail in it is skipped (guarding against an outbox that
// hands out a mail again before its lease ends). more reports whether the
// batch was full and held something new, i.e. whether more may be due.
func (d *Dispatcher) batch(ctx context.Context, seen map[int64]bool) (sent int, more bool, err error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	leasedAt := d.now()
	envs, err := d.Outbox.DueMail(ctx, leasedAt, lease, batchSize)
	if err != nil {
		return 0, false, fmt.Errorf("mail: outbox DueMail: %w", err)
	}
	fresh := 0
	for i, env := range envs {
		if seen[env.ID] {
			continue
		}
		seen[env.ID] = true
		fresh++
		if err := ctx.Err(); err != nil {
			return sent, false, err
		}
		if d.now().Add(sendTimeout).After(leasedAt.Add(lease)) {
			// Too little of the lease is left to finish a Send; the rest
			// of the batch goes back to the outbox when the lease ends.
			d.logger().Warn("mail dispatcher: lease running out; leaving mail for the next round",
				"remaining", len(envs)-i)
			return sent, false, nil
		}
		ok, err := d.deliver(ctx, env)
		if ok {
			sent++
		}
		if err != nil {
			return sent, false, err
		}
	}
	return sent, fresh > 0 && len(envs) >= batchSize, nil
}

// deliver makes one attempt at env and records its outcome. err is an
// outbox error or ctx's error.
func (d *Dispatcher) deliver(ctx context.Context, env Envelope) (sent bool, err error) {
	log := d.logger().With("mail_id", env.ID, "to", env.To, "attempt", env.Attempts+1)
	record := func(f func(context.Context) error) error {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
		return f(rctx)
	}

	m, openErr := d.open(env)
	if openErr != nil {
		log.Error("mail dispatcher: cannot open queued mail; giving up on it", "err", openErr)
		now := d.now()
		if err := record(func(c context.Context) error {
			return d.Outbox.MailFailed(c, env.ID, env.Attempts+1, now, clip("open: "+openErr.Error()), true)
		}); err != nil {
			log.Error("mail dispatcher: cannot record failed mail", "err", err)
			return false, fmt.Errorf("mail: outbox MailFailed(%d): %w", env.ID, err)
		}
		return false, nil
	}

	sendErr := d.send(ctx, m)
	if sendErr != nil && ctx.Err() != nil {
		// Shutting down: this attempt says nothing about the mail. Its
		// lease runs out and it is tried again then.
		return false, ctx.Err()
	}
	now := d.now()
	if sendErr == nil {
		if err := record(func(c context.Context) error { return d.Outbox.MailSent(c, env.ID, now) }); err != nil {
			log.Error("mail dispatcher: mail sent but not recorded; it may be sent again", "err", err)
			return true, fmt.Errorf("mail: outbox MailSent(%d): %w", env.ID, err)
		}
		log.Debug("mail sent")
		return true, nil
	}

	attempts := env.Attempts + 1
	backoff := d.backoff()
	giveUp := attempts > len(backoff)
	retryAt := now
	if !giveUp {
		retryAt = now.Add(backoff[attempts-1])
	}
	if giveUp {
		log.Error("mail dispatcher: delivery failed; giving up, mail kept as failed", "err", sendErr)
	} else {
		log.Warn("mail dispatcher: delivery failed; will retry", "err", sendErr, "retry_at", retryAt)
	}
	if err := record(func(c context.Context) error {
		return d.Outbox.MailFailed(c, env.ID, attempts, retryAt, clip(sendErr.Error()), giveUp)
	}); err != nil {
		log.Error("mail dispatcher: cannot record failed attempt", "err", err)
		return false, fmt.Errorf("mail: outbox MailFailed(%d): %w", env.ID, err)
	}
	return false, nil
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

package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/embedauth/auth/internal/outbox"
)

// DefaultSchedule is Svix's retry schedule: the delays after the first,
// second, ... failed attempt. The first attempt is immediate; a message
// whose attempt after the last delay fails is given up (8 attempts over
// about 27.6 hours).
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

const (
	// DefaultTimeout bounds each delivery request.
	DefaultTimeout = 15 * time.Second
	// DefaultDisableAfter is how long an endpoint may fail without a
	// success before it is disabled.
	DefaultDisableAfter = 5 * 24 * time.Hour
	// lease is how long a batch of messages is reserved for one
	// dispatcher. A message is sent only while at least the request
	// timeout is left of its lease; the rest go back to the outbox.
	lease = 2 * time.Minute
	// maxRetryAfter caps how far a Retry-After header pushes a retry.
	maxRetryAfter = 24 * time.Hour
	// maxResponse is how much of a response body the log keeps.
	maxResponse = 4 << 10
)

// Endpoint is an endpoint as the dispatcher sees it.
type Endpoint struct {
	ID  string
	URL string
	// Keys sign each message: the current secret's first, then, during
	// the 24 hours after a rotation, the previous one.
	Keys [][]byte
	// FailingSince is when the current run of failed attempts began; nil
	// when the last attempt succeeded.
	FailingSince *time.Time
}

// Message is one event to deliver to one endpoint.
type Message struct {
	// ID identifies the message in the outbox.
	ID int64
	// EventID is the webhook-id: the same on every attempt and for every
	// endpoint, so receivers dedupe by it.
	EventID   string
	EventType string
	EventData json.RawMessage
	EventAt   time.Time
	// Attempts is how many attempts were made so far.
	Attempts int
}

// Batch is the due messages of one endpoint, oldest first.
type Batch struct {
	Endpoint Endpoint
	Messages []Message
}

// Attempt is one delivery attempt, for the delivery log.
type Attempt struct {
	MessageID int64
	// Number counts the message's attempts from 1.
	Number   int
	At       time.Time
	Duration time.Duration
	// StatusCode is the response's status, 0 when there was none.
	StatusCode int
	// Response is the start (4 KB) of the response body.
	Response string
	// Error says why the attempt failed, empty when it succeeded.
	Error     string
	Delivered bool
}

// Retry schedules the message whose attempt failed.
type Retry struct {
	MessageID int64
	// Attempts is the message's attempt count, this one included.
	Attempts int
	// At is when to try again; ignored when GiveUp.
	At time.Time
	// GiveUp marks the message failed for good: the schedule is spent.
	GiveUp bool
}

// Outcome is what one round did for one endpoint, recorded at once.
type Outcome struct {
	EndpointID string
	Attempts   []Attempt
	// Retry is set when the last attempt failed.
	Retry *Retry
	// Release lists leased messages that were not attempted; they are due
	// again at once (after the failed one, in order).
	Release []int64
	// FailingSince is the endpoint's new failure streak start (nil: its
	// last attempt succeeded).
	FailingSince *time.Time
	// Disable, when not empty, disables the endpoint with this reason:
	// "gone" (it answered 410) or "failing" (DisableAfter of failures).
	Disable string
}

// Outbox is what the Dispatcher needs from storage.
type Outbox interface {
	// FanOut turns up to limit new events of the events outbox, oldest
	// first, into one pending message per enabled endpoint subscribed to
	// each (due at now), and marks those events handed over, in one
	// transaction. It returns how many events it took.
	FanOut(ctx context.Context, now time.Time, limit int) (int, error)
	// DueBatches leases, for each enabled endpoint whose oldest pending
	// message is due at now, up to perEndpoint of its oldest pending
	// messages until now+lease, so no other dispatcher takes them.
	DueBatches(ctx context.Context, now time.Time, lease time.Duration, perEndpoint int) ([]Batch, error)
	// Record stores an Outcome in one transaction.
	Record(ctx context.Context, now time.Time, o Outcome) error
}

// Dispatcher delivers the events outbox to webhook endpoints. Outbox and
// Client are required. Messages to one endpoint are delivered in order:
// a message is attempted only once every older message to that endpoint
// was delivered or given up, so a receiver that fails blocks its own
// queue (and no other). Delivery is at least once: a message is marked
// delivered only after a 2xx answer was received, so a crash between the
// answer and the record sends it again, with the same webhook-id.
//
// Run and Flush may be used at the same time, and by several processes
// sharing one outbox: leases keep them from sending a message twice at
// once, and within one process rounds take turns. Do not change the
// fields once Run, Flush or Wake has been called.
type Dispatcher struct {
	Outbox Outbox
	// Client sends the requests; use Guard.Client. Its timeout bounds
	// each request (DefaultTimeout is 15 s).
	Client *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives delivery logs; default slog.Default().
	Logger *slog.Logger
	// Schedule holds the delays after failed attempts; default
	// DefaultSchedule.
	Schedule []time.Duration
	// DisableAfter disables an endpoint failing this long with no success;
	// default DefaultDisableAfter (5 days).
	DisableAfter time.Duration
	// Poll is how often Run looks for new events without a Wake; default
	// 1 s.
	Poll time.Duration
	// PerEndpoint is how many messages one round sends to one endpoint;
	// default 100.
	PerEndpoint int
	// Concurrency is how many endpoints are delivered to at once; default 16.
	Concurrency int
	// UserAgent is sent with every request; default "embedauth-webhooks".
	UserAgent string

	once   sync.Once
	worker *outbox.Worker[Batch, Outcome]
}

// work returns the outbox worker, built from the fields on first use.
func (d *Dispatcher) work() *outbox.Worker[Batch, Outcome] {
	d.once.Do(func() {
		schedule := d.Schedule
		if len(schedule) == 0 {
			schedule = DefaultSchedule
		}
		poll := d.Poll
		if poll <= 0 {
			poll = time.Second
		}
		workers := d.Concurrency
		if workers <= 0 {
			workers = 16
		}
		d.worker = &outbox.Worker[Batch, Outcome]{
			Kind: webhookKind{d}, Name: "webhook", Schedule: schedule,
			Lease: lease, AttemptTimeout: d.timeout(), Concurrency: workers,
			Poll: poll, WaitFirst: true, Now: d.Now, Logger: d.Logger,
		}
	})
	return d.worker
}

// Wake asks Run to look for new events now. It never blocks.
func (d *Dispatcher) Wake() { d.work().Wake() }

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

// timeout bounds one request: the Client's timeout, or DefaultTimeout.
func (d *Dispatcher) timeout() time.Duration {
	if d.Client != nil && d.Client.Timeout > 0 {
		return d.Client.Timeout
	}
	return DefaultTimeout
}

func (d *Dispatcher) check() error {
	var errs []error
	if d.Outbox == nil {
		errs = append(errs, errors.New("webhook: Dispatcher.Outbox is nil"))
	}
	if d.Client == nil {
		errs = append(errs, errors.New("webhook: Dispatcher.Client is nil"))
	}
	return errors.Join(errs...)
}

// Run delivers until ctx ends: whenever Wake is called, and every Poll
// (the first time one Poll after it starts). Errors are logged, never
// fatal.
func (d *Dispatcher) Run(ctx context.Context) {
	if err := d.check(); err != nil {
		d.logger().Error("webhook dispatcher misconfigured; no webhooks will be sent", "err", err)
		<-ctx.Done()
		return
	}
	d.work().Run(ctx)
}

// Flush delivers everything due now, synchronously, round after round
// until nothing is left to attempt, and returns how many messages were
// delivered. Failed attempts are recorded and scheduled as in Run; they
// are not errors. err reports outbox errors, a misconfigured Dispatcher,
// or ctx ending. With a fake clock, Flush is how a test drives delivery.
func (d *Dispatcher) Flush(ctx context.Context) (delivered int, err error) {
	if err := d.check(); err != nil {
		return 0, err
	}
	return d.work().Flush(ctx)
}

// webhookKind plugs a Dispatcher into the outbox worker: a job is one
// endpoint's batch of due messages, delivered in order.
type webhookKind struct{ d *Dispatcher }

var (
	_ outbox.Kind[Batch, Outcome] = webhookKind{}
	_ outbox.Releaser[Batch]      = webhookKind{}
)

// Due fans new events out to their endpoints, then leases the due
// batches.
func (k webhookKind) Due(ctx context.Context, now time.Time, lease time.Duration) ([]Batch, bool, error) {
	fanned, err := k.d.Outbox.FanOut(ctx, now, 500)
	if err != nil {
		return nil, false, fmt.Errorf("webhook: outbox FanOut: %w", err)
	}
	per := k.d.PerEndpoint
	if per <= 0 {
		per = 100
	}
	batches, err := k.d.Outbox.DueBatches(ctx, now, lease, per)
	if err != nil {
		return nil, false, fmt.Errorf("webhook: outbox DueBatches: %w", err)
	}
	// Anything done may have left more: events past FanOut's limit,
	// messages past PerEndpoint, or messages behind a delivered one.
	return batches, fanned > 0 || len(batches) > 0, nil
}

func (webhookKind) Attrs(b Batch) []any { return []any{"endpoint", b.Endpoint.ID} }

// Deliver sends one endpoint's batch in order, stopping at the first
// failure; the messages after it are released, to wait behind it.
func (k webhookKind) Deliver(ctx context.Context, b Batch, startBy time.Time) outbox.Result[Outcome] {
	d := k.d
	var r outbox.Result[Outcome]
	o := &r.Detail
	*o = Outcome{EndpointID: b.Endpoint.ID, FailingSince: b.Endpoint.FailingSince}
	release := func(from int) {
		for _, m := range b.Messages[from:] {
			o.Release = append(o.Release, m.ID)
		}
	}
	for i, m := range b.Messages {
		if ctx.Err() != nil || d.now().After(startBy) {
			release(i)
			return r
		}
		a, retryAfter, gone := d.attempt(ctx, b.Endpoint, m, d.timeout())
		if !a.Delivered && ctx.Err() != nil {
			// Stopping: this attempt says nothing about the receiver.
			release(i)
			return r
		}
		o.Attempts = append(o.Attempts, a)
		if a.Delivered {
			r.Delivered++
			o.FailingSince = nil
			continue
		}
		// The worker decides the retry (At, GiveUp) from the schedule.
		o.Retry = &Retry{MessageID: m.ID, Attempts: m.Attempts + 1}
		r.Failed = &outbox.Failure{Attempts: m.Attempts + 1, At: a.At, Err: errors.New(a.Error),
			NotBefore: min(retryAfter, maxRetryAfter)}
		if o.FailingSince == nil {
			at := a.At
			o.FailingSince = &at
		}
		switch {
		case gone:
			o.Disable = "gone"
		case a.At.Sub(*o.FailingSince) >= d.disableAfter():
			o.Disable = "failing"
		}
		if o.Disable != "" {
			d.logger().Warn("webhook dispatcher: endpoint disabled", "endpoint", b.Endpoint.ID, "reason", o.Disable)
		}
		release(i + 1)
		return r
	}
	return r
}

// Record stores the endpoint's Outcome, with the retry the worker decided.
func (k webhookKind) Record(ctx context.Context, now time.Time, b Batch, r outbox.Result[Outcome]) error {
	o := r.Detail
	if f := r.Failed; f != nil && o.Retry != nil {
		retry := *o.Retry
		retry.At, retry.GiveUp = f.RetryAt, f.GiveUp
		o.Retry = &retry
	}
	if err := k.d.Outbox.Record(ctx, now, o); err != nil {
		return fmt.Errorf("webhook: outbox Record(%s): %w", b.Endpoint.ID, err)
	}
	return nil
}

// Release hands back batches the worker leased but did not start, so they
// are due again at once instead of when their lease ends.
func (k webhookKind) Release(ctx context.Context, now time.Time, batches []Batch) error {
	var errs []error
	for _, b := range batches {
		o := Outcome{EndpointID: b.Endpoint.ID, FailingSince: b.Endpoint.FailingSince}
		for _, m := range b.Messages {
			o.Release = append(o.Release, m.ID)
		}
		if err := k.d.Outbox.Record(ctx, now, o); err != nil {
			errs = append(errs, fmt.Errorf("webhook: outbox Record(%s): %w", b.Endpoint.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (d *Dispatcher) disableAfter() time.Duration {
	if d.DisableAfter > 0 {
		return d.DisableAfter
	}
	return DefaultDisableAfter
}

// attempt makes one request. It reports the Retry-After the receiver
// asked for and whether it answered 410 Gone.
func (d *Dispatcher) attempt(ctx context.Context, ep Endpoint, m Message, timeout time.Duration) (a Attempt, retryAfter time.Duration, gone bool) {
	now := d.now()
	a = Attempt{MessageID: m.ID, Number: m.Attempts + 1, At: now}
	body, err := Body(m.EventType, m.EventAt, m.EventData)
	if err != nil {
		a.Error = "payload: " + err.Error()
		return a, 0, false
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return a, 0, false
	}
	ua := d.UserAgent
	if ua == "" {
		ua = "embedauth-webhooks"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	req.Header.Set(HeaderID, m.EventID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, SignatureHeader(ep.Keys, m.EventID, now, body))
	start := time.Now()
	resp, err := d.Client.Do(req)
	if err != nil {
		a.Duration = time.Since(start)
		a.Error = clip(err.Error(), 1000)
		return a, 0, false
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	a.Duration = time.Since(start)
	a.StatusCode = resp.StatusCode
	a.Response = strings.ToValidUTF8(string(head), "")
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		a.Delivered = true
		return a, 0, false
	}
	a.Error = "status " + resp.Status
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		a.Error += " (redirects are not followed: update the endpoint URL)"
	}
	return a, parseRetryAfter(resp.Header.Get("Retry-After"), now), resp.StatusCode == http.StatusGone
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
		return time.Duration(min(n, int(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

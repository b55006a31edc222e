package mail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/internal/smtptest"
	"github.com/embedauth/auth/mail"
)

// fakeOutbox is an in-memory mail.Outbox that behaves like the database
// table: leases, retry times, and failed mail kept for inspection.
type fakeOutbox struct {
	mu     sync.Mutex
	rows   []*outboxRow
	nextID int64
	calls  []string // DueMail/MailSent/MailFailed log
}

type outboxRow struct {
	env        mail.Envelope
	nextAt     time.Time
	leaseUntil time.Time
	status     string // "queued", "sent", "failed"
	lastErr    string
	sentAt     time.Time
}

func (o *fakeOutbox) add(t *testing.T, now time.Time, m mail.Message) int64 {
	t.Helper()
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return o.addRaw(now, m.To, body)
}

func (o *fakeOutbox) addRaw(now time.Time, to string, body []byte) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nextID++
	o.rows = append(o.rows, &outboxRow{
		env:    mail.Envelope{ID: o.nextID, To: to, Body: body},
		nextAt: now, status: "queued",
	})
	return o.nextID
}

func (o *fakeOutbox) row(id int64) outboxRow {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.rows {
		if r.env.ID == id {
			return *r
		}
	}
	panic("no row")
}

func (o *fakeOutbox) DueMail(_ context.Context, now time.Time, lease time.Duration, limit int) ([]mail.Envelope, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, "DueMail")
	var out []mail.Envelope
	for _, r := range o.rows { // rows are in insertion order: oldest first
		if len(out) == limit {
			break
		}
		if r.status == "queued" && !r.nextAt.After(now) && !r.leaseUntil.After(now) {
			r.leaseUntil = now.Add(lease)
			out = append(out, r.env)
		}
	}
	return out, nil
}

func (o *fakeOutbox) MailSent(_ context.Context, id int64, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, fmt.Sprint("MailSent ", id))
	for _, r := range o.rows {
		if r.env.ID == id {
			r.status, r.sentAt, r.leaseUntil = "sent", now, time.Time{}
			return nil
		}
	}
	return errors.New("no such mail")
}

func (o *fakeOutbox) MailFailed(_ context.Context, id int64, attempts int, retryAt time.Time, lastErr string, giveUp bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, fmt.Sprint("MailFailed ", id, " ", attempts, " ", giveUp))
	for _, r := range o.rows {
		if r.env.ID == id {
			r.env.Attempts, r.nextAt, r.lastErr, r.leaseUntil = attempts, retryAt, lastErr, time.Time{}
			if giveUp {
				r.status = "failed"
			}
			return nil
		}
	}
	return errors.New("no such mail")
}

func openJSON(body []byte) (mail.Message, error) {
	var m mail.Message
	err := json.Unmarshal(body, &m)
	return m, err
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testLogger returns a logger that writes into a buffer, and the buffer.
func testLogger() (*slog.Logger, *syncBuffer) {
	var buf syncBuffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func flush(t *testing.T, d *mail.Dispatcher) int {
	t.Helper()
	n, err := d.Flush(context.Background())
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return n
}

func TestDispatcherDelivers(t *testing.T) {
	srv := smtptest.Start(t)
	clock := newClock()
	box := &fakeOutbox{}
	log, _ := testLogger()
	d := &mail.Dispatcher{Outbox: box, Sender: newTestSender(t, srv), Open: openJSON, Now: clock.Now, Logger: log}

	var ids []int64
	for i := range 13 { // more than one batch
		ids = append(ids, box.add(t, clock.Now(), mail.Message{
			To: fmt.Sprintf("user%d@example.com", i), Subject: fmt.Sprint("Mail ", i), Text: "text", HTML: "<p>html</p>",
		}))
	}
	if n := flush(t, d); n != 13 {
		t.Fatalf("Flush sent %d, want 13", n)
	}
	for i, id := range ids {
		m := srv.Wait(t, fmt.Sprintf("user%d@example.com", i), time.Second)
		if m.Subject != fmt.Sprint("Mail ", i) || m.Text != "text" || m.HTML != "<p>html</p>" {
			t.Errorf("mail %d arrived as %+v", i, m)
		}
		if r := box.row(id); r.status != "sent" || !r.sentAt.Equal(clock.Now()) {
			t.Errorf("mail %d: status %q sentAt %v", i, r.status, r.sentAt)
		}
	}
	if n := flush(t, d); n != 0 {
		t.Errorf("second Flush sent %d", n)
	}
	if n := len(srv.Messages()); n != 13 {
		t.Errorf("server got %d mails, want 13", n)
	}
}

func TestDispatcherRetriesOnBackoffSchedule(t *testing.T) {
	srv := smtptest.Start(t)
	clock := newClock()
	box := &fakeOutbox{}
	log, _ := testLogger()
	d := &mail.Dispatcher{Outbox: box, Sender: newTestSender(t, srv), Open: openJSON, Now: clock.Now, Logger: log}
	id := box.add(t, clock.Now(), mail.Message{To: "a@example.com", Subject: "retry me", Text: "t"})

	srv.FailNext(2)
	if n := flush(t, d); n != 0 {
		t.Fatalf("sent %d despite 451", n)
	}
	r := box.row(id)
	if r.status != "queued" || r.env.Attempts != 1 || !r.nextAt.Equal(clock.Now().Add(10*time.Second)) || !strings.Contains(r.lastErr, "451") {
		t.Fatalf("after attempt 1: %+v", r)
	}

	clock.Advance(9 * time.Second)
	if n := flush(t, d); n != 0 {
		t.Fatal("retried before the backoff ended")
	}
	clock.Advance(time.Second) // 10s after attempt 1
	if n := flush(t, d); n != 0 {
		t.Fatal("second 451 not reported")
	}
	r = box.row(id)
	if r.env.Attempts != 2 || !r.nextAt.Equal(clock.Now().Add(time.Minute)) {
		t.Fatalf("after attempt 2: attempts %d nextAt %v (now %v)", r.env.Attempts, r.nextAt, clock.Now())
	}

	clock.Advance(59 * time.Second)
	if n := flush(t, d); n != 0 {
		t.Fatal("retried before the backoff ended")
	}
	clock.Advance(time.Second)
	if n := flush(t, d); n != 1 {
		t.Fatal("third attempt did not send")
	}
	m := srv.Wait(t, "a@example.com", time.Second)
	if m.Subject != "retry me" {
		t.Errorf("Subject %q", m.Subject)
	}
	if r := box.row(id); r.status != "sent" {
		t.Errorf("status %q", r.status)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server got %d mails, want 1", n)
	}
}

func TestDispatcherGivesUpAfterLastBackoff(t *testing.T) {
	clock := newClock()
	box := &fakeOutbox{}
	log, logs := testLogger()
	sends := 0
	failing := mail.SenderFunc(func(ctx context.Context, m mail.Message) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("Send without a deadline")
		}
		sends++
		return fmt.Errorf("mailbox unavailable (try %d)", sends)
	})
	d := &mail.Dispatcher{Outbox: box, Sender: failing, Open: openJSON, Now: clock.Now, Logger: log}
	id := box.add(t, clock.Now(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})

	// Walk the default schedule: each failed attempt schedules the next one
	// after the next delay; the attempt after the last delay gives up.
	for i, delay := range mail.DefaultBackoff {
		if n := flush(t, d); n != 0 {
			t.Fatal("sent")
		}
		r := box.row(id)
		if r.status != "queued" || r.env.Attempts != i+1 || !r.nextAt.Equal(clock.Now().Add(delay)) {
			t.Fatalf("after attempt %d: %+v", i+1, r)
		}
		clock.Advance(delay - time.Second)
		if flush(t, d); sends != i+1 {
			t.Fatalf("attempt %d retried early", i+1)
		}
		clock.Advance(time.Second)
	}
	flush(t, d)
	r := box.row(id)
	want := len(mail.DefaultBackoff) + 1
	if r.status != "failed" || r.env.Attempts != want || sends != want || !strings.Contains(r.lastErr, fmt.Sprint("try ", want)) {
		t.Fatalf("after the last attempt: %+v, %d sends", r, sends)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "giving up") {
		t.Errorf("giving up was not logged as an error:\n%s", logs)
	}

	// The failed mail stays recorded and is not tried again.
	clock.Advance(30 * 24 * time.Hour)
	flush(t, d)
	if sends != want {
		t.Errorf("failed mail sent again")
	}
	if r := box.row(id); r.status != "failed" || r.lastErr == "" {
		t.Errorf("failed mail not kept: %+v", r)
	}
}

func TestDispatcherCustomBackoff(t *testing.T) {
	clock := newClock()
	box := &fakeOutbox{}
	log, _ := testLogger()
	d := &mail.Dispatcher{
		Outbox: box, Open: openJSON, Now: clock.Now, Logger: log,
		Sender:  mail.SenderFunc(func(context.Context, mail.Message) error { return errors.New("down") }),
		Backoff: []time.Duration{time.Second},
	}
	id := box.add(t, clock.Now(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
	flush(t, d)
	if r := box.row(id); r.status != "queued" || !r.nextAt.Equal(clock.Now().Add(time.Second)) {
		t.Fatalf("after attempt 1: %+v", r)
	}
	clock.Advance(time.Second)
	flush(t, d)
	if r := box.row(id); r.status != "failed" || r.env.Attempts != 2 || r.lastErr != "down" {
		t.Fatalf("after attempt 2: %+v", r)
	}
}

func TestDispatcherOpenErrorGivesUpAtOnce(t *testing.T) {
	clock := newClock()
	box := &fakeOutbox{}
	log, logs := testLogger()
	var capture mail.Capture
	d := &mail.Dispatcher{Outbox: box, Sender: &capture, Open: openJSON, Now: clock.Now, Logger: log}
	bad := box.addRaw(clock.Now(), "a@example.com", []byte("not json"))
	mismatch := box.addRaw(clock.Now(), "a@example.com", []byte(`{"To":"b@example.com","Text":"t"}`))
	noTo := box.addRaw(clock.Now(), "c@example.com", []byte(`{"Subject":"s","Text":"t"}`))

	if n := flush(t, d); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	for _, id := range []int64{bad, mismatch} {
		if r := box.row(id); r.status != "failed" || r.env.Attempts != 1 || r.lastErr == "" {
			t.Errorf("mail %d that cannot be opened: %+v", id, r)
		}
	}
	if r := box.row(noTo); r.status != "sent" {
		t.Errorf("mail without To in body: %+v", r)
	}
	if m := capture.Messages(); len(m) != 1 || m[0].To != "c@example.com" {
		t.Errorf("captured %+v", m)
	}
	if !strings.Contains(logs.String(), "cannot open") {
		t.Errorf("open error not logged:\n%s", logs)
	}
}

func TestDispatcherShutdownIsNotAFailedAttempt(t *testing.T) {
	clock := newClock()
	box := &fakeOutbox{}
	log, _ := testLogger()
	ctx, cancel := context.WithCancel(context.Background())
	d := &mail.Dispatcher{Outbox: box, Open: openJSON, Now: clock.Now, Logger: log,
		Sender: mail.SenderFunc(func(sctx context.Context, _ mail.Message) error {
			cancel() // the app shuts down while the mail is being sent
			<-sctx.Done()
			return sctx.Err()
		}),
	}
	id := box.add(t, clock.Now(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
	if _, err := d.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush = %v, want context.Canceled", err)
	}
	if r := box.row(id); r.status != "queued" || r.env.Attempts != 0 {
		t.Fatalf("interrupted attempt was recorded: %+v", r)
	}
}

func TestDispatcherNeverSendsLeasedMailTwice(t *testing.T) {
	clock := newClock()
	box := &fakeOutbox{}
	log, _ := testLogger()
	id := box.add(t, clock.Now(), mail.Message{To: "a@example.com", Subject: "once", Text: "t"})

	// Dispatcher A's Send blocks until released, holding the lease.
	entered, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var sentBy []string
	sender := func(name string, block bool) mail.Sender {
		return mail.SenderFunc(func(ctx context.Context, m mail.Message) error {
			if block {
				close(entered)
				<-release
			}
			mu.Lock()
			sentBy = append(sentBy, name)
			mu.Unlock()
			return nil
		})
	}
	a := &mail.Dispatcher{Outbox: box, Sender: sender("A", true), Open: openJSON, Now: clock.Now, Logger: log}
	b := &mail.Dispatcher{Outbox: box, Sender: sender("B", false), Open: openJSON, Now: clock.Now, Logger: log}

	done := make(chan int)
	go func() {
		n, _ := a.Flush(context.Background())
		done <- n
	}()
	<-entered
	// While A holds the lease, B finds nothing, even a little later.
	if n := flush(t, b); n != 0 {
		t.Fatal("B sent a mail leased by A")
	}
	clock.Advance(time.Minute)
	if n := flush(t, b); n != 0 {
		t.Fatal("B sent a mail leased by A")
	}
	close(release)
	if n := <-done; n != 1 {
		t.Fatalf("A sent %d", n)
	}
	// Once sent, nobody sends it again, even after the lease would have ended.
	clock.Advance(time.Hour)
	flush(t, a)
	flush(t, b)
	if !slices.Equal(sentBy, []string{"A"}) {
		t.Fatalf("sent by %v, want [A]", sentBy)
	}
	if r := box.row(id); r.status != "sent" {
		t.Errorf("status %q", r.status)
	}
}

func TestDispatcherConcurrentFlushesSendEachMailOnce(t *testing.T) {
	clock := newClock()
	box := &fakeOutbox{}
	log, _ := testLogger()
	var capture mail.Capture
	const mails = 50
	for i := range mails {
		box.add(t, clock.Now(), mail.Message{To: fmt.Sprintf("u%d@example.com", i), Subject: "s", Text: "t"})
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Go(func() {
			d := &mail.Dispatcher{Outbox: box, Sender: &capture, Open: openJSON, Now: clock.Now, Logger: log}
			n, err := d.Flush(context.Background())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if got := len(capture.Messages()); got != mails || total != mails {
		t.Fatalf("captured %d, Flush counted %d, want %d", got, total, mails)
	}
	seen := map[string]bool{}
	for _, m := range capture.Messages() {
		if seen[m.To] {
			t.Errorf("%s got two mails", m.To)
		}
		seen[m.To] = true
	}
}

func TestDispatcherRunWakes(t *testing.T) {
	box := &fakeOutbox{}
	log, _ := testLogger()
	var capture mail.Capture
	d := &mail.Dispatcher{Outbox: box, Sender: &capture, Open: openJSON, Logger: log, Poll: time.Hour}
	d.Wake() // before Run: must not block
	d.Wake()

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.Run(ctx)
	}()

	for i := range 3 {
		to := fmt.Sprintf("run%d@example.com", i)
		box.add(t, time.Now(), mail.Message{To: to, Subject: "s", Text: "t"})
		d.Wake()
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		m, err := capture.Wait(wctx, to)
		wcancel()
		if err != nil || m.To != to {
			t.Fatalf("Run did not deliver after Wake: %+v, %v", m, err)
		}
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx ended")
	}
}

func TestDispatcherRunPolls(t *testing.T) {
	box := &fakeOutbox{}
	log, _ := testLogger()
	var capture mail.Capture
	d := &mail.Dispatcher{Outbox: box, Sender: &capture, Open: openJSON, Logger: log, Poll: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go d.Run(ctx)
	box.add(t, time.Now(), mail.Message{To: "poll@example.com", Subject: "s", Text: "t"})
	if _, err := capture.Wait(ctx, "poll@example.com"); err != nil {
		t.Fatalf("Run did not poll: %v", err)
	}
}

func TestDispatcherMisconfigured(t *testing.T) {
	var d mail.Dispatcher
	_, err := d.Flush(context.Background())
	for _, want := range []string{"Outbox", "Sender", "Open"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Flush on an empty Dispatcher: %v (want mention of %s)", err, want)
		}
	}
}

package mail_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/mail"
)

func TestCaptureWait(t *testing.T) {
	var c mail.Capture
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// A message sent before Wait is found.
	if err := c.Send(ctx, mail.Message{To: "Alice <Alice@Example.com>", Subject: "1"}); err != nil {
		t.Fatal(err)
	}
	m, err := c.Wait(ctx, "alice@example.com")
	if err != nil || m.Subject != "1" {
		t.Fatalf("Wait = %+v, %v", m, err)
	}

	// Wait blocks until a new message to the same address arrives; messages
	// to others do not wake it up for good.
	var wg sync.WaitGroup
	wg.Add(1)
	var got mail.Message
	var waitErr error
	go func() {
		defer wg.Done()
		got, waitErr = c.Wait(ctx, "alice@example.com")
	}()
	_ = c.Send(ctx, mail.Message{To: "bob@example.com", Subject: "bob"})
	_ = c.Send(ctx, mail.Message{To: "alice@example.com", Subject: "2"})
	wg.Wait()
	if waitErr != nil || got.Subject != "2" {
		t.Fatalf("Wait = %+v, %v", got, waitErr)
	}

	// Nothing new: Wait returns when ctx ends.
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	if _, err := c.Wait(short, "alice@example.com"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with nothing new = %v", err)
	}

	if n := len(c.Messages()); n != 3 {
		t.Errorf("Messages() has %d, want 3", n)
	}
	if m, err := c.Wait(ctx, "bob@example.com"); err != nil || m.Subject != "bob" {
		t.Errorf("Wait(bob) = %+v, %v", m, err)
	}
}

func TestDiscardAndSenderFunc(t *testing.T) {
	if err := (mail.Discard{}).Send(context.Background(), mail.Message{To: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	var called mail.Message
	var s mail.Sender = mail.SenderFunc(func(_ context.Context, m mail.Message) error { called = m; return nil })
	_ = s.Send(context.Background(), mail.Message{Subject: "x"})
	if called.Subject != "x" {
		t.Fatal("SenderFunc not called")
	}
}

package mail

import (
	"context"
	"net/mail"
	"strings"
)

// Message is one rendered e-mail.
type Message struct {
	// To is the recipient, either a bare address or "Name <address>".
	To string
	// Subject is the subject line, without line breaks.
	Subject string
	// Text is the plain-text body.
	Text string
	// HTML is the HTML body.
	HTML string
}

// Sender delivers a message. Implementations must be safe for concurrent use.
type Sender interface {
	// Send delivers m, or returns an error if it could not. A nil error
	// means the message was handed over (to a mail server, a log, a test
	// recorder, …). Send must honour ctx.
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to the [Sender] interface.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f(ctx, m).
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Discard is a Sender that accepts every message without delivering it
// (the dev outbox keeps its copy in the database).
type Discard struct{}

// Send returns nil, or ctx's error if ctx has already ended.
func (Discard) Send(ctx context.Context, _ Message) error { return ctx.Err() }

// Capture is an in-memory Sender for tests: it records every message, and
// Wait blocks until a message arrives. The zero value is ready to use; a
// Capture must not be copied after first use. It is safe for concurrent use.
type Capture struct {
	rec recorder[Message]
}

var (
	_ Sender = (*Capture)(nil)
	_ Sender = Discard{}
	_ Sender = SenderFunc(nil)
)

// Send records m. It fails only if ctx has already ended.
func (c *Capture) Send(ctx context.Context, m Message) error { return c.rec.add(ctx, m) }

// Messages returns a copy of every message sent so far, oldest first.
func (c *Capture) Messages() []Message { return c.rec.all() }

// Wait returns the oldest message to `to` that Wait has not returned
// before, blocking until one is sent or ctx ends (then it returns ctx's
// error). Addresses are compared case-insensitively, and "Name <address>"
// matches "address".
func (c *Capture) Wait(ctx context.Context, to string) (Message, error) {
	want := bareAddress(to)
	return c.rec.wait(ctx, func(m Message) bool { return strings.EqualFold(bareAddress(m.To), want) })
}

// bareAddress returns the address part of "Name <address>", or s trimmed if
// it does not parse.
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	return s
}

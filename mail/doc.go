// Package mail renders and delivers the e-mails an auth flow sends:
// verification codes, password resets and account notices.
//
// The pieces are:
//
//   - [Templates] renders a named message ("verify_email", "reset_password",
//     …) into a [Message] with a subject, a plain-text body and an HTML body.
//     The templates are embedded; an application may replace any of them
//     with its own files.
//   - [Sender] delivers a Message. [SMTPSender] talks to a real SMTP server
//     (via github.com/wneessen/go-mail); [Discard], [Capture] and
//     [SenderFunc] serve development and tests.
//   - [Dispatcher] delivers mail from a durable outbox. Mail is written to
//     the outbox in the same database transaction as the change that causes
//     it; the dispatcher sends it afterwards, retries failures on a backoff
//     schedule, and records mail it gives up on instead of dropping it.
package mail

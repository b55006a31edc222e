// Package mail renders and delivers the e-mails an auth flow sends:
// verification codes, password resets and account notices.
//
// The pieces are:
//
//   - [Templates] renders a named message ("verify_email", "reset_password",
//     …) into a [Message] with a subject, a plain-text body and an HTML body.
//     The templates are embedded; an application may replace any of them
//     with its own files. Their text is English, translated into
//     [Data].Lang by the func "t" ({{t "Your sign-in code is %v." .Code}})
//     from the message catalogs [NewLocalizedTemplates] is given;
//     "duration" and "when" write durations and times the language's way.
//   - [Sender] delivers a Message. [SMTPSender] talks to a real SMTP server
//     (via github.com/wneessen/go-mail); [Discard], [Capture] and
//     [SenderFunc] serve development and tests.
//   - [Dispatcher] delivers mail from a durable outbox. Mail is written to
//     the outbox in the same database transaction as the change that causes
//     it; the dispatcher sends it afterwards, retries failures on a backoff
//     schedule, and records mail it gives up on instead of dropping it.
package mail

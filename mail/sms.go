package mail

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/embedauth/auth/internal/i18n"
)

// SMS is one text message.
type SMS struct {
	// To is the recipient's number in E.164 form, such as "+14155550123".
	To string
	// Body is the text.
	Body string
}

// SMSSender delivers text messages. Implementations must be safe for
// concurrent use. embedauth ships two: [DevSMS], which keeps messages in
// the dev outbox, and [TwilioSender], a client of the Twilio Messages API
// (and of the providers that copy it).
type SMSSender interface {
	// SendSMS delivers m, or returns an error if it could not; it must
	// honour ctx. A nil error means the provider accepted the message.
	SendSMS(ctx context.Context, m SMS) error
}

// SMSSenderFunc adapts a function to [SMSSender].
type SMSSenderFunc func(ctx context.Context, m SMS) error

// SendSMS calls f(ctx, m).
func (f SMSSenderFunc) SendSMS(ctx context.Context, m SMS) error { return f(ctx, m) }

// DevSMS is the development SMSSender: it sends nothing, and embedauth
// keeps each message's text in its outbox, shown at /auth/dev/mail beside
// the mail, so a developer can sign in with SMS codes without a provider.
type DevSMS struct{}

// SendSMS returns nil, or ctx's error if ctx has already ended.
func (DevSMS) SendSMS(ctx context.Context, _ SMS) error { return ctx.Err() }

// SMSCapture records text messages in memory, for tests. The zero value
// is ready to use; it must not be copied after first use.
type SMSCapture struct {
	rec recorder[SMS]
}

var (
	_ SMSSender = DevSMS{}
	_ SMSSender = (*SMSCapture)(nil)
	_ SMSSender = SMSSenderFunc(nil)
	_ SMSSender = (*TwilioSender)(nil)
)

// SendSMS records m.
func (c *SMSCapture) SendSMS(ctx context.Context, m SMS) error { return c.rec.add(ctx, m) }

// Messages returns every message recorded so far, oldest first.
func (c *SMSCapture) Messages() []SMS { return c.rec.all() }

// Wait returns the oldest message to `to` that Wait has not returned yet,
// blocking until one arrives or ctx ends.
func (c *SMSCapture) Wait(ctx context.Context, to string) (SMS, error) {
	return c.rec.wait(ctx, func(m SMS) bool { return m.To == to })
}

// DefaultSMSTemplate is the text of a one-time code message, its sentence
// translated into the message's language. The last line is the
// origin-bound form ("@host #code") that lets phones offer the code to the
// right site only.
const DefaultSMSTemplate = "{{t \"%v is your %v code. It expires in %v. Don't share it.\" .Code .AppName (duration .ExpiresIn)}}\n\n@{{.Host}} #{{.Code}}"

// SMSData is what an SMS template sees.
type SMSData struct {
	// AppName is the app's name.
	AppName string
	// Host is the host of the app's origin, such as "example.com".
	Host string
	// Code is the one-time code.
	Code string
	// ExpiresIn is how long the code works; print it with the func
	// "duration" ("10 minutes").
	ExpiresIn time.Duration
	// Lang is the BCP 47 tag of the message's language; "" is the default.
	Lang string
}

// SMSTemplate renders text messages from a text/template, in each
// language of its catalogs (the funcs "t" and "duration" are the
// language's).
type SMSTemplate struct {
	src   string
	cat   *i18n.Catalogs
	mu    sync.Mutex
	parse map[string]*texttemplate.Template
}

// NewSMSTemplate parses src (empty: [DefaultSMSTemplate]) and renders it
// once with sample data, so a broken template fails at start-up.
func NewSMSTemplate(src string) (*SMSTemplate, error) {
	cat, err := i18n.New(i18n.Options{})
	if err != nil {
		return nil, err
	}
	return NewLocalizedSMSTemplate(src, cat)
}

// NewLocalizedSMSTemplate is NewSMSTemplate with the message catalogs the
// texts are translated with.
func NewLocalizedSMSTemplate(src string, cat *i18n.Catalogs) (*SMSTemplate, error) {
	if strings.TrimSpace(src) == "" {
		// Known good (this package's tests render it in every
		// language): it is parsed at its first text, not at start.
		return &SMSTemplate{src: DefaultSMSTemplate, cat: cat, parse: map[string]*texttemplate.Template{}}, nil
	}
	st := &SMSTemplate{src: src, cat: cat, parse: map[string]*texttemplate.Template{}}
	body, err := st.Render(SMSData{AppName: "Example", Host: "example.com", Code: "123456", ExpiresIn: 10 * time.Minute})
	if err != nil {
		return nil, err
	}
	if !strings.Contains(body, "123456") {
		return nil, fmt.Errorf("mail: sms template does not print {{.Code}}")
	}
	return st, nil
}

// template returns the template parsed for language l.
func (s *SMSTemplate) template(l *i18n.Locale) (*texttemplate.Template, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.parse[l.Tag()]; ok {
		return t, nil
	}
	f := localeFuncs(l)
	t, err := texttemplate.New("sms").Funcs(f).Option("missingkey=error").Parse(s.src)
	if err != nil {
		return nil, fmt.Errorf("mail: sms template: %w", err)
	}
	s.parse[l.Tag()] = t
	return t, nil
}

// Render returns the message text for data, in data.Lang.
func (s *SMSTemplate) Render(data SMSData) (string, error) {
	l := s.cat.Lookup(data.Lang)
	if l == nil {
		l = s.cat.Default()
	}
	t, err := s.template(l)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("mail: render sms: %w", err)
	}
	return strings.TrimSpace(buf.String()), nil
}

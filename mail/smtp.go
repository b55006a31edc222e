package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLSMode says how SMTPSender secures its connection to the server.
type TLSMode int

const (
	// TLSMandatory connects in plain text and requires STARTTLS; it fails if
	// the server does not offer it. This is the zero value and the default.
	TLSMandatory TLSMode = iota
	// TLSOpportunistic uses STARTTLS if the server offers it and continues
	// unencrypted otherwise.
	TLSOpportunistic
	// TLSNone never encrypts. Use it only for a server on the loopback
	// interface or in tests; NewSMTPSender rejects it together with
	// credentials for any other host.
	TLSNone
	// TLSImplicit connects with TLS from the first byte (SMTPS, usually on
	// port 465).
	TLSImplicit
)

// String returns the constant's name.
func (m TLSMode) String() string {
	switch m {
	case TLSMandatory:
		return "TLSMandatory"
	case TLSOpportunistic:
		return "TLSOpportunistic"
	case TLSNone:
		return "TLSNone"
	case TLSImplicit:
		return "TLSImplicit"
	default:
		return fmt.Sprintf("TLSMode(%d)", int(m))
	}
}

// SMTPConfig configures an [SMTPSender].
type SMTPConfig struct {
	// Host is the SMTP server's host name or IP address. Required.
	Host string
	// Port is the server's port. Default 587, or 465 with TLSImplicit.
	Port int
	// Username and Password are the SMTP AUTH credentials; leave both empty
	// for a server that needs no authentication. The best mechanism the
	// server offers is used (SCRAM, CRAM-MD5, then PLAIN or LOGIN, which
	// are only used over TLS or to localhost).
	Username, Password string
	// From is the sender, e.g. "App <no-reply@example.com>". Required.
	From string
	// TLS selects how the connection is secured. Default TLSMandatory.
	TLS TLSMode
	// Timeout bounds connecting and each SMTP command. Default 15s.
	Timeout time.Duration
}

// SMTPSender is a [Sender] that delivers through an SMTP server. Each Send
// opens its own connection, so an SMTPSender is safe for concurrent use.
type SMTPSender struct {
	cfg     SMTPConfig
	from    *mail.Address
	domain  string         // of From, for Message-IDs
	rootCAs *x509.CertPool // nil: the system's; set by tests
}

var _ Sender = (*SMTPSender)(nil)

// NewSMTPSender validates cfg (reporting all problems at once via
// errors.Join), fills in defaults and returns a Sender built on go-mail.
// It does not connect to the server.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	var errs []error
	cfg.Host = strings.TrimSpace(cfg.Host)
	if cfg.Host == "" {
		errs = append(errs, errors.New("mail: SMTPConfig.Host is required"))
	}
	switch {
	case cfg.Port == 0 && cfg.TLS == TLSImplicit:
		cfg.Port = 465
	case cfg.Port == 0:
		cfg.Port = 587
	case cfg.Port < 0 || cfg.Port > 65535:
		errs = append(errs, fmt.Errorf("mail: SMTPConfig.Port %d is out of range 1-65535", cfg.Port))
	}
	var from *mail.Address
	if strings.TrimSpace(cfg.From) == "" {
		errs = append(errs, errors.New(`mail: SMTPConfig.From is required (e.g. "App <no-reply@example.com>")`))
	} else if a, err := mail.ParseAddress(cfg.From); err != nil {
		errs = append(errs, fmt.Errorf("mail: SMTPConfig.From %q is not a valid address: %w", cfg.From, err))
	} else {
		from = a
	}
	if cfg.TLS < TLSMandatory || cfg.TLS > TLSImplicit {
		errs = append(errs, fmt.Errorf("mail: SMTPConfig.TLS has unknown value %d", int(cfg.TLS)))
	}
	if cfg.Username == "" && cfg.Password != "" {
		errs = append(errs, errors.New("mail: SMTPConfig.Password is set but Username is empty"))
	}
	if cfg.Username != "" && cfg.Password == "" {
		errs = append(errs, errors.New("mail: SMTPConfig.Username is set but Password is empty"))
	}
	if cfg.TLS == TLSNone && cfg.Username != "" && cfg.Host != "" && !isLoopback(cfg.Host) {
		errs = append(errs, fmt.Errorf("mail: SMTPConfig.TLS is TLSNone, which would send the password in clear text to %s; use TLSMandatory or TLSImplicit", cfg.Host))
	}
	switch {
	case cfg.Timeout == 0:
		cfg.Timeout = 15 * time.Second
	case cfg.Timeout < 0:
		errs = append(errs, fmt.Errorf("mail: SMTPConfig.Timeout %v is negative", cfg.Timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	domain := "localhost"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 && i < len(from.Address)-1 {
		domain = from.Address[i+1:]
	}
	return &SMTPSender{cfg: cfg, from: from, domain: domain}, nil
}

// isLoopback reports whether host names the local machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Send delivers m as a multipart/alternative message (plain text and HTML;
// a single part if one of them is empty). It opens a fresh connection,
// and aborts it as soon as ctx ends.
func (s *SMTPSender) Send(ctx context.Context, m Message) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := s.build(m)
	if err != nil {
		return err
	}

	// Our own dialer lets us close the raw connection when ctx ends, which
	// interrupts whatever SMTP command is in flight. go-mail itself only
	// uses ctx for dialing.
	var stop func() bool
	defer func() {
		if stop != nil {
			stop()
		}
		if err != nil && ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
	}()
	tlsConfig := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: s.rootCAs}
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		stop = context.AfterFunc(ctx, func() { _ = raw.Close() })
		if s.cfg.TLS != TLSImplicit {
			return raw, nil
		}
		conn := tls.Client(raw, tlsConfig)
		if err := conn.HandshakeContext(dctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return conn, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(tlsConfig),
	}
	switch s.cfg.TLS {
	case TLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSImplicit:
		// The dialer does the TLS handshake; WithSSL stops go-mail from
		// also trying STARTTLS.
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(
				gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
				gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password),
		)
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send to %s via %s:%d: %w", m.To, s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}

// build turns m into a go-mail message.
func (s *SMTPSender) build(m Message) (*gomail.Msg, error) {
	if strings.TrimSpace(m.To) == "" {
		return nil, errors.New("mail: message has no recipient")
	}
	if m.Text == "" && m.HTML == "" {
		return nil, fmt.Errorf("mail: message to %s has no body", m.To)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fmt.Errorf("mail: subject of message to %s contains a line break", m.To)
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(s.from.Name, s.from.Address); err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", s.cfg.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(messageID() + "@" + s.domain)
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

func messageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/embedauth/auth/internal/smtptest"
	"github.com/embedauth/auth/mail"
)

func newTestSender(t *testing.T, srv *smtptest.Server, mutate ...func(*mail.SMTPConfig)) *mail.SMTPSender {
	t.Helper()
	cfg := mail.SMTPConfig{
		Host:    srv.Host(),
		Port:    srv.Port(),
		From:    "Acme <no-reply@acme.test>",
		TLS:     mail.TLSNone,
		Timeout: 5 * time.Second,
	}
	for _, f := range mutate {
		f(&cfg)
	}
	s, err := mail.NewSMTPSender(cfg)
	if err != nil {
		t.Fatalf("NewSMTPSender: %v", err)
	}
	return s
}

func TestSMTPSenderDelivers(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSender(t, srv)

	msg := mail.Message{
		To:      "Jörg Müller <Joerg@Example.com>",
		Subject: "Grüße, Jörg — dein Code ✓",
		Text:    "Hallo Jörg,\n\nDein Code ist 123456. Sehr lange Zeile " + strings.Repeat("äöü ", 40) + "\n",
		HTML:    "<p>Hallo Jörg,</p><p>Dein Code ist <b>123456</b>.</p>",
	}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Wait(t, "joerg@example.com", 5*time.Second)

	if len(got.To) != 1 || !strings.EqualFold(got.To[0], "joerg@example.com") {
		t.Errorf("envelope To = %q", got.To)
	}
	if got.From != "no-reply@acme.test" {
		t.Errorf("envelope From = %q", got.From)
	}
	if got.Subject != msg.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, msg.Subject)
	}
	if got.Text != msg.Text {
		t.Errorf("Text = %q, want %q", got.Text, msg.Text)
	}
	if got.HTML != msg.HTML {
		t.Errorf("HTML = %q, want %q", got.HTML, msg.HTML)
	}
	to, err := netmail.ParseAddress(got.Header.Get("To"))
	if err != nil || to.Name != "Jörg Müller" {
		t.Errorf("To header %q: name %v, err %v", got.Header.Get("To"), to, err)
	}
	from, err := netmail.ParseAddress(got.Header.Get("From"))
	if err != nil || from.Name != "Acme" || from.Address != "no-reply@acme.test" {
		t.Errorf("From header %q: %v, err %v", got.Header.Get("From"), from, err)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	if id := got.Header.Get("Message-Id"); !strings.HasSuffix(id, "@acme.test>") {
		t.Errorf("Message-ID = %q", id)
	}
	if got.Header.Get("Date") == "" {
		t.Error("no Date header")
	}
}

func TestSMTPSenderRenderedMessage(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSender(t, srv)
	tpl, err := mail.NewTemplates(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tpl.Render(mail.MsgVerifyEmail, "zoë@example.com", mail.Data{
		Brand:     mail.Brand{AppName: "Café Ünïcode"},
		Code:      "654321",
		ExpiresIn: 15 * time.Minute,
		Name:      "Zoë",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Wait(t, "ZOË@example.com", 5*time.Second)
	if got.Subject != "654321 is your Café Ünïcode verification code" {
		t.Errorf("Subject = %q", got.Subject)
	}
	if got.Text != m.Text || got.HTML != m.HTML {
		t.Errorf("bodies changed in transit:\ntext %q\nwant %q", got.Text, m.Text)
	}
	if !strings.Contains(got.Text, "Hi Zoë,") || !strings.Contains(got.HTML, "Hi Zoë,") {
		t.Errorf("name missing:\n%s", got.Text)
	}
}

func TestSMTPSenderAuth(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSender(t, srv, func(c *mail.SMTPConfig) {
		c.Username, c.Password = "user", "secret"
	})
	if err := s.Send(context.Background(), mail.Message{To: "a@example.com", Subject: "hi", Text: "hello"}); err != nil {
		t.Fatalf("Send with auth: %v", err)
	}
	got := srv.Wait(t, "a@example.com", 5*time.Second)
	if strings.TrimRight(got.Text, "\n") != "hello" || got.HTML != "" { // a single-part body ends with a line break
		t.Errorf("text-only message: Text %q HTML %q", got.Text, got.HTML)
	}
}

func TestSMTPSenderTemporaryFailure(t *testing.T) {
	srv := smtptest.Start(t)
	s := newTestSender(t, srv)
	srv.FailNext(1)
	m := mail.Message{To: "a@example.com", Subject: "s", Text: "t", HTML: "<p>t</p>"}
	err := s.Send(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("Send with FailNext = %v, want a 451 error", err)
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("second Send: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server has %d messages, want 1", n)
	}
}

func TestSMTPSenderMandatoryTLSRefusesPlainServer(t *testing.T) {
	srv := smtptest.Start(t) // offers no STARTTLS
	s := newTestSender(t, srv, func(c *mail.SMTPConfig) { c.TLS = mail.TLSMandatory })
	err := s.Send(context.Background(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send = %v, want STARTTLS error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("message delivered without TLS")
	}
}

func TestSMTPSenderHonoursContext(t *testing.T) {
	// A server that accepts connections and never says anything.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	s, err := mail.NewSMTPSender(mail.SMTPConfig{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		From: "a@acme.test", TLS: mail.TLSNone, Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, mail.Message{To: "b@example.com", Subject: "s", Text: "t"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v after its context ended", d)
	}
}

func TestNewSMTPSenderReportsAllProblems(t *testing.T) {
	_, err := mail.NewSMTPSender(mail.SMTPConfig{Port: 70000, Password: "x", TLS: mail.TLSMode(9), Timeout: -time.Second})
	if err == nil {
		t.Fatal("NewSMTPSender accepted an empty config")
	}
	for _, want := range []string{"Host", "From", "Port", "TLS", "Username", "Timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 6 {
		t.Errorf("want 6 joined errors, got:\n%v", err)
	}

	_, err = mail.NewSMTPSender(mail.SMTPConfig{Host: "smtp.example.com", From: "not an address"})
	if err == nil || !strings.Contains(err.Error(), "From") {
		t.Errorf("bad From: %v", err)
	}
	_, err = mail.NewSMTPSender(mail.SMTPConfig{Host: "smtp.example.com", From: "a@example.com", TLS: mail.TLSNone, Username: "u", Password: "p"})
	if err == nil || !strings.Contains(err.Error(), "clear text") {
		t.Errorf("TLSNone with credentials to a remote host: %v", err)
	}
	for _, cfg := range []mail.SMTPConfig{
		{Host: "smtp.example.com", From: "App <no-reply@example.com>"},
		{Host: "smtp.example.com", From: "no-reply@example.com", TLS: mail.TLSImplicit, Username: "u", Password: "p"},
		{Host: "localhost", From: "no-reply@example.com", TLS: mail.TLSNone, Username: "u", Password: "p"},
	} {
		if _, err := mail.NewSMTPSender(cfg); err != nil {
			t.Errorf("NewSMTPSender(%+v): %v", cfg, err)
		}
	}
}

func TestSMTPSenderImplicitTLSHandshakes(t *testing.T) {
	// An SMTPS server whose certificate is not trusted: the sender must
	// start with a TLS handshake and refuse the certificate.
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	certs := ts.TLS.Certificates
	ts.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: certs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	s, err := mail.NewSMTPSender(mail.SMTPConfig{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		From: "a@acme.test", TLS: mail.TLSImplicit, Username: "u", Password: "p",
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), mail.Message{To: "b@example.com", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Send = %v, want a certificate error", err)
	}
}

package mail_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/embedauth/auth/mail"
)

// tlsServer is a minimal SMTP server with a self-signed certificate that
// requires AUTH PLAIN (offered only over TLS) with user/secret.
type tlsServer struct {
	port int
	pool *x509.CertPool
	got  chan string // raw DATA of each accepted message
}

func startTLSServer(t *testing.T, implicit bool) *tlsServer {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS() // only for its certificate, valid for 127.0.0.1
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	cfg := &tls.Config{Certificates: ts.TLS.Certificates}
	ts.Close()

	s := &tlsServer{pool: pool, got: make(chan string, 10)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &tlsSession{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = cfg
	srv.ErrorLog = nopLogger{}
	var ln net.Listener
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = ln.Addr().(*net.TCPAddr).Port
	if implicit {
		ln = tls.NewListener(ln, cfg)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

type tlsSession struct {
	s    *tlsServer
	auth bool
}

func (*tlsSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (se *tlsSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "user" || pass != "secret" {
			return errors.New("bad credentials")
		}
		se.auth = true
		return nil
	}), nil
}
func (se *tlsSession) Mail(string, *smtp.MailOptions) error {
	if !se.auth {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (*tlsSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (se *tlsSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	se.s.got <- string(b)
	return err
}
func (*tlsSession) Reset()        {}
func (*tlsSession) Logout() error { return nil }

func TestSMTPSenderOverTLS(t *testing.T) {
	for _, mode := range []mail.TLSMode{mail.TLSMandatory, mail.TLSOpportunistic, mail.TLSImplicit} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := startTLSServer(t, mode == mail.TLSImplicit)
			s, err := mail.NewSMTPSender(mail.SMTPConfig{
				Host: "127.0.0.1", Port: srv.port, TLS: mode,
				Username: "user", Password: "secret", From: "Acme <no-reply@acme.test>",
			})
			if err != nil {
				t.Fatal(err)
			}
			mail.SetRootCAs(s, srv.pool)
			err = s.Send(context.Background(), mail.Message{To: "a@example.com", Subject: "over TLS", Text: "t", HTML: "<p>t</p>"})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			select {
			case raw := <-srv.got:
				if !strings.Contains(raw, "Subject: over TLS") {
					t.Errorf("received:\n%s", raw)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("nothing received")
			}

			// Wrong password: the error says so.
			bad, _ := mail.NewSMTPSender(mail.SMTPConfig{
				Host: "127.0.0.1", Port: srv.port, TLS: mode,
				Username: "user", Password: "wrong", From: "no-reply@acme.test",
			})
			mail.SetRootCAs(bad, srv.pool)
			err = bad.Send(context.Background(), mail.Message{To: "a@example.com", Subject: "s", Text: "t"})
			if err == nil || !strings.Contains(err.Error(), "AUTH") {
				t.Errorf("Send with a wrong password = %v", err)
			}
		})
	}
}

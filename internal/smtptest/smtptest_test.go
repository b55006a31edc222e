package smtptest_test

import (
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/internal/smtptest"
)

const multipartMail = "From: App <app@example.com>\r\n" +
	"To: Bob <bob@example.com>\r\n" +
	"Subject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?= =?UTF-8?b?4pyT?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"BOUND\"\r\n" +
	"\r\n" +
	"--BOUND\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Hall=C3=B6 Bob, a long line that is wrapped =\r\n" +
	"here.\r\n" +
	"--BOUND\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+SGFsbMO2\r\n" +
	"IEJvYjwvcD4=\r\n" +
	"--BOUND--\r\n"

func send(t *testing.T, s *smtptest.Server, from string, to []string, msg string) error {
	t.Helper()
	return smtp.SendMail(s.Addr(), nil, from, to, []byte(msg))
}

func TestReceiveAndDecode(t *testing.T) {
	s := smtptest.Start(t)
	if s.Host() != "127.0.0.1" || s.Port() == 0 || s.Addr() != fmt.Sprintf("127.0.0.1:%d", s.Port()) {
		t.Fatalf("Addr %q Host %q Port %d", s.Addr(), s.Host(), s.Port())
	}
	if err := send(t, s, "app@example.com", []string{"Bob@Example.com", "carol@example.com"}, multipartMail); err != nil {
		t.Fatal(err)
	}
	m := s.Wait(t, "bob@EXAMPLE.com", 5*time.Second)
	if m.From != "app@example.com" || len(m.To) != 2 {
		t.Errorf("envelope From %q To %q", m.From, m.To)
	}
	if m.Subject != "Grüße✓" {
		t.Errorf("Subject %q", m.Subject)
	}
	if m.Text != "Hallö Bob, a long line that is wrapped here." { // the last CRLF belongs to the boundary
		t.Errorf("Text %q", m.Text)
	}
	if m.HTML != "<p>Hallö Bob</p>" {
		t.Errorf("HTML %q", m.HTML)
	}
	if m.Header.Get("From") != "App <app@example.com>" || len(m.Raw) == 0 {
		t.Errorf("Header From %q, Raw %d bytes", m.Header.Get("From"), len(m.Raw))
	}
	// The same message can be waited for by its other recipient, once.
	if m2 := s.Wait(t, "carol@example.com", time.Second); m2.Subject != m.Subject {
		t.Errorf("carol: %q", m2.Subject)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("Messages() = %d", n)
	}
}

func TestPlainMessage(t *testing.T) {
	s := smtptest.Start(t)
	msg := "Subject: plain\r\n\r\nJust text.\r\n"
	if err := send(t, s, "a@example.com", []string{"b@example.com"}, msg); err != nil {
		t.Fatal(err)
	}
	m := s.Wait(t, "Bob <b@example.com>", 5*time.Second)
	if m.Subject != "plain" || m.Text != "Just text.\n" || m.HTML != "" {
		t.Errorf("%+v", m)
	}
}

func TestWaitBlocksUntilArrival(t *testing.T) {
	s := smtptest.Start(t)
	go func() {
		time.Sleep(50 * time.Millisecond) // let Wait block first
		_ = smtp.SendMail(s.Addr(), nil, "a@example.com", []string{"late@example.com"}, []byte("Subject: 1\r\n\r\nx\r\n"))
		_ = smtp.SendMail(s.Addr(), nil, "a@example.com", []string{"late@example.com"}, []byte("Subject: 2\r\n\r\nx\r\n"))
	}()
	first := s.Wait(t, "late@example.com", 5*time.Second)
	second := s.Wait(t, "late@example.com", 5*time.Second)
	if first.Subject != "1" || second.Subject != "2" {
		t.Errorf("got %q then %q", first.Subject, second.Subject)
	}
}

func TestFailNext(t *testing.T) {
	s := smtptest.Start(t)
	s.FailNext(2)
	for i := range 2 {
		err := send(t, s, "a@example.com", []string{"b@example.com"}, "Subject: x\r\n\r\nx\r\n")
		var perr *textproto.Error
		if !errors.As(err, &perr) || perr.Code != 451 {
			t.Fatalf("delivery %d: %v, want 451", i+1, err)
		}
	}
	if err := send(t, s, "a@example.com", []string{"b@example.com"}, "Subject: x\r\n\r\nx\r\n"); err != nil {
		t.Fatalf("third delivery: %v", err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("Messages() = %d, want 1", n)
	}
}

// recordingTB captures a Fatalf instead of failing the real test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	failed string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.failed = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func TestWaitTimeoutFailsTest(t *testing.T) {
	s := smtptest.Start(t)
	_ = send(t, s, "a@example.com", []string{"other@example.com"}, "Subject: x\r\n\r\nx\r\n")
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		s.Wait(rec, "nobody@example.com", 100*time.Millisecond)
	}()
	<-done
	if rec.failed == "" || !strings.Contains(rec.failed, "nobody@example.com") || !strings.Contains(rec.failed, "other@example.com") {
		t.Errorf("Wait did not fail usefully: %q", rec.failed)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 5*time.Second {
		t.Errorf("Wait took %v", d)
	}
}

// Package smtptest runs a real SMTP server on the loopback interface for
// tests. It records every message it accepts, decodes the bodies, and can be
// told to reject deliveries with a temporary error to exercise retries.
//
//	srv := smtptest.Start(t)
//	// ... point the code under test at srv.Host(), srv.Port() without TLS ...
//	m := srv.Wait(t, "alice@example.com", 5*time.Second)
//	if !strings.Contains(m.Text, "123456") { ... }
package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message received by the Server.
type Mail struct {
	// From is the envelope sender (MAIL FROM). The From header, with its
	// display name, is in Header.
	From string
	// To holds the envelope recipients (RCPT TO).
	To []string
	// Subject is the decoded Subject header (RFC 2047 words decoded).
	Subject string
	// Text is the decoded text/plain part, with CRLF line ends turned into LF.
	Text string
	// HTML is the decoded text/html part, with CRLF line ends turned into LF.
	HTML string
	// Header holds the parsed top-level headers, undecoded.
	Header mail.Header
	// Raw is the message exactly as it was received in the DATA command.
	Raw []byte
}

// Server is a running SMTP server listening on 127.0.0.1. It accepts any
// sender, any recipient and any PLAIN credentials, and needs no TLS. It is
// safe for concurrent use.
type Server struct {
	srv  *smtp.Server
	ln   net.Listener
	done chan struct{} // closed when Serve returns

	mu       sync.Mutex
	msgs     []Mail
	returned []map[string]bool // returned[i][addr]: Wait(addr) handed out msgs[i]
	arrived  chan struct{}     // closed and replaced whenever a message arrives
	failNext int
	closed   bool
	tb       testing.TB
}

// Start starts a server on 127.0.0.1 with a free port and registers
// t.Cleanup to close it.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{
		ln:      ln,
		done:    make(chan struct{}),
		arrived: make(chan struct{}),
		tb:      t,
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 32 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = log.New(logWriter{s}, "", 0)
	s.srv = srv

	go func() {
		defer close(s.done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(s.close)
	return s
}

func (s *Server) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	_ = s.srv.Close()
	<-s.done
}

// Addr returns the server's address as "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host returns the host the server listens on, "127.0.0.1".
func (s *Server) Host() string {
	host, _, _ := net.SplitHostPort(s.Addr())
	return host
}

// Port returns the TCP port the server listens on.
func (s *Server) Port() int {
	_, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	return p
}

// Messages returns a copy of every message received so far, oldest first.
func (s *Server) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Mail, len(s.msgs))
	copy(out, s.msgs)
	return out
}

// Wait returns the oldest message with `to` among its envelope recipients
// (compared case-insensitively; "Name <address>" is accepted) that Wait has
// not returned before for that recipient; a message to two recipients can
// be waited for by each of them. If none
// arrives within timeout it fails the test with t.Fatalf, so it must be
// called from the test's goroutine.
func (s *Server) Wait(t testing.TB, to string, timeout time.Duration) Mail {
	t.Helper()
	want := strings.ToLower(bareAddress(to))
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		for i, m := range s.msgs {
			if s.returned[i][want] || !hasRecipient(m.To, want) {
				continue
			}
			s.returned[i][want] = true
			s.mu.Unlock()
			return m
		}
		arrived := s.arrived
		var got []string
		for _, m := range s.msgs {
			got = append(got, strings.Join(m.To, ","))
		}
		s.mu.Unlock()

		select {
		case <-arrived:
		case <-timer.C:
			t.Fatalf("smtptest: no new message to %q within %v (received so far, by recipient: %q)", to, timeout, got)
			return Mail{}
		}
	}
}

// FailNext makes the next n deliveries fail with "451 4.3.0" (a temporary
// error) after the message data has been read. n <= 0 turns failing off.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.failNext = max(n, 0)
	s.mu.Unlock()
}

// bareAddress returns the address in "Name <address>", or s trimmed.
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	return s
}

func hasRecipient(rcpts []string, to string) bool {
	for _, r := range rcpts {
		if strings.EqualFold(r, to) {
			return true
		}
	}
	return false
}

// deliver records a received message, or returns the injected failure.
func (s *Server) deliver(from string, to []string, raw []byte) error {
	s.mu.Lock()
	if s.failNext > 0 {
		s.failNext--
		s.mu.Unlock()
		return &smtp.SMTPError{
			Code:         451,
			EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message:      "smtptest: temporary failure requested by FailNext",
		}
	}
	s.mu.Unlock()

	m, err := parse(raw)
	if err != nil {
		s.logf("smtptest: cannot parse message from %s: %v", from, err)
		return &smtp.SMTPError{
			Code:         554,
			EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message:      "smtptest: malformed message: " + err.Error(),
		}
	}
	m.From = from
	m.To = to

	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.returned = append(s.returned, map[string]bool{})
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()
	return nil
}

func (s *Server) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.tb.Logf(format, args...)
	}
}

// logWriter sends go-smtp's internal error log to the test log while the
// test runs (and drops it afterwards, when t.Logf would panic).
type logWriter struct{ s *Server }

func (w logWriter) Write(p []byte) (int, error) {
	w.s.logf("smtptest: %s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// parse decodes a raw RFC 5322 message.
func parse(raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, err
	}
	m := Mail{Header: msg.Header, Raw: raw}
	dec := new(mime.WordDecoder)
	if subj := msg.Header.Get("Subject"); subj != "" {
		if m.Subject, err = dec.DecodeHeader(subj); err != nil {
			return Mail{}, fmt.Errorf("subject: %w", err)
		}
	}
	if err := walk(msg.Header, msg.Body, &m); err != nil {
		return Mail{}, err
	}
	return m, nil
}

// header is the small part of a header map that walk needs.
type header interface{ Get(string) string }

// walk decodes one MIME entity into m, recursing into multipart entities.
// The first text/plain and the first text/html part that are not
// attachments win.
func walk(h header, body io.Reader, m *Mail) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mediatype, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content-type %q: %w", ct, err)
	}
	if strings.HasPrefix(mediatype, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return fmt.Errorf("%s without boundary", mediatype)
		}
		mr := multipart.NewReader(body, boundary)
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mediatype, err)
			}
			if err := walk(p.Header, p, m); err != nil {
				return err
			}
		}
	}
	if disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); disp == "attachment" {
		return nil
	}
	if mediatype != "text/plain" && mediatype != "text/html" {
		return nil
	}
	content, err := decode(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return fmt.Errorf("%s: %w", mediatype, err)
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return fmt.Errorf("%s: unsupported charset %q", mediatype, cs)
	}
	text := strings.ReplaceAll(string(content), "\r\n", "\n")
	switch {
	case mediatype == "text/plain" && m.Text == "":
		m.Text = text
	case mediatype == "text/html" && m.HTML == "":
		m.HTML = text
	}
	return nil
}

func decode(cte string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return io.ReadAll(r)
	case "quoted-printable":
		return io.ReadAll(quotedprintable.NewReader(r))
	case "base64":
		return io.ReadAll(base64.NewDecoder(base64.StdEncoding, &stripSpace{r: r}))
	default:
		return nil, fmt.Errorf("unsupported Content-Transfer-Encoding %q", cte)
	}
}

// stripSpace drops the line breaks and other white space that base64 bodies
// contain.
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, b := range p[:n] {
			switch b {
			case ' ', '\t', '\r', '\n':
			default:
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// backend hands out sessions that deliver to the Server.
type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s}, nil
}

type session struct {
	s    *Server
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (*session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (*session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, _ string) error { return nil }), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.from = from
	se.to = nil
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return se.s.deliver(se.from, append([]string(nil), se.to...), raw)
}

func (se *session) Reset() {
	se.from = ""
	se.to = nil
}

func (*session) Logout() error { return nil }

package mail_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/mail"
)

func TestTwilioSender(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*http.Request
	var forms []map[string][]string
	status := http.StatusCreated
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got = append(got, r)
		forms = append(forms, r.PostForm)
		st := status
		mu.Unlock()
		w.WriteHeader(st)
		switch st {
		case http.StatusCreated:
			w.Write([]byte(`{"sid":"SM1","status":"queued"}`))
		case http.StatusBadRequest:
			w.Write([]byte(`{"code":21211,"message":"The 'To' number is not a valid phone number.","status":400}`))
		default:
			w.Write([]byte(`oops`))
		}
	}))
	defer srv.Close()

	s, err := mail.NewTwilioSender(mail.TwilioConfig{BaseURL: srv.URL + "/", AccountSID: "AC1", Password: "tok", From: "+15005550006"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendSMS(context.Background(), mail.SMS{To: "+14155550123", Body: "123456 is your code"}); err != nil {
		t.Fatal(err)
	}
	r := got[0]
	user, pass, _ := r.BasicAuth()
	if r.URL.Path != "/2010-04-01/Accounts/AC1/Messages.json" || user != "AC1" || pass != "tok" ||
		forms[0]["To"][0] != "+14155550123" || forms[0]["From"][0] != "+15005550006" || forms[0]["Body"][0] != "123456 is your code" {
		t.Errorf("request %s %v %q:%q", r.URL.Path, forms[0], user, pass)
	}

	mu.Lock()
	status = http.StatusBadRequest
	mu.Unlock()
	err = s.SendSMS(context.Background(), mail.SMS{To: "+1", Body: "x"})
	var te *mail.TwilioError
	if !errors.As(err, &te) || te.Code != 21211 || te.Temporary() {
		t.Errorf("400: %v", err)
	}
	mu.Lock()
	status = http.StatusServiceUnavailable
	mu.Unlock()
	err = s.SendSMS(context.Background(), mail.SMS{To: "+14155550123", Body: "x"})
	if !errors.As(err, &te) || !te.Temporary() {
		t.Errorf("503: %v", err)
	}

	ms, _ := mail.NewTwilioSender(mail.TwilioConfig{BaseURL: srv.URL, AccountSID: "AC1", Username: "SK9", Password: "sec", MessagingServiceSID: "MG1"})
	mu.Lock()
	status = http.StatusCreated
	mu.Unlock()
	if err := ms.SendSMS(context.Background(), mail.SMS{To: "+14155550123", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if u, _, _ := got[3].BasicAuth(); u != "SK9" || forms[3]["MessagingServiceSid"][0] != "MG1" || len(forms[3]["From"]) != 0 {
		t.Errorf("messaging service request: %q %v", u, forms[3])
	}

	if _, err := mail.NewTwilioSender(mail.TwilioConfig{BaseURL: "ftp://x"}); err == nil ||
		!strings.Contains(err.Error(), "AccountSID") || !strings.Contains(err.Error(), "From") || !strings.Contains(err.Error(), "BaseURL") {
		t.Errorf("config errors: %v", err)
	}
}

func TestSMSTemplate(t *testing.T) {
	t.Parallel()
	tpl, err := mail.NewSMSTemplate("")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := tpl.Render(mail.SMSData{AppName: "Acme", Host: "acme.test", Code: "424242", ExpiresIn: 10 * time.Minute})
	if got != "424242 is your Acme code. It expires in 10 minutes. Don't share it.\n\n@acme.test #424242" {
		t.Errorf("default template: %q", got)
	}
	// The default template is parsed at its first text, so it is checked
	// here: in every language it prints the code.
	for _, lang := range []string{"en", "de", "fr", "es", "pt-BR", "ja", "ar"} {
		got, err := tpl.Render(mail.SMSData{AppName: "Acme", Host: "acme.test", Code: "424242", ExpiresIn: 10 * time.Minute, Lang: lang})
		if err != nil || !strings.Contains(got, "424242") {
			t.Errorf("default template in %s: %q, %v", lang, got, err)
		}
	}
	custom, err := mail.NewSMSTemplate("{{.AppName}}: {{.Code}} ({{duration .ExpiresIn}})")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := custom.Render(mail.SMSData{AppName: "A", Code: "1", ExpiresIn: time.Minute}); got != "A: 1 (1 minute)" {
		t.Errorf("custom: %q", got)
	}
	for _, bad := range []string{"{{.Code", "{{.Nope}}", "no code here"} {
		if _, err := mail.NewSMSTemplate(bad); err == nil {
			t.Errorf("template %q accepted", bad)
		}
	}
}

func TestSMSCaptureAndDev(t *testing.T) {
	t.Parallel()
	var c mail.SMSCapture
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go c.SendSMS(ctx, mail.SMS{To: "+1", Body: "hi"})
	m, err := c.Wait(ctx, "+1")
	if err != nil || m.Body != "hi" || len(c.Messages()) != 1 {
		t.Errorf("%+v %v", m, err)
	}
	if err := (mail.DevSMS{}).SendSMS(ctx, m); err != nil {
		t.Error(err)
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, err := c.Wait(done, "+2"); err == nil {
		t.Error("Wait on an ended context returned")
	}
}

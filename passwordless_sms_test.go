package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
)

// twilioServer is a local HTTP server that speaks the Twilio Messages API.
type twilioServer struct {
	*httptest.Server
	mu       sync.Mutex
	msgs     []url.Values
	failNext int
	hits     chan struct{} // one per request, answered or failed
}

func startTwilio(t testing.TB) *twilioServer {
	s := &twilioServer{hits: make(chan struct{}, 1000)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/AC123/Messages.json" {
			http.NotFound(w, r)
			return
		}
		if !ok || user != "AC123" || pass != "secret-token" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":20003,"message":"Authenticate","status":401}`)
			return
		}
		r.ParseForm()
		s.mu.Lock()
		defer s.mu.Unlock()
		defer func() { s.hits <- struct{}{} }()
		if s.failNext > 0 {
			s.failNext--
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"code":20500,"message":"Internal Server Error","status":503}`)
			return
		}
		s.msgs = append(s.msgs, r.PostForm)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":"SM%d","status":"queued","to":%q}`, len(s.msgs), r.PostForm.Get("To"))
	}))
	t.Cleanup(s.Close)
	return s
}

// waitHits waits for n more requests, flushing the SMS outbox meanwhile.
func (s *twilioServer) waitHits(t testing.TB, env *authtest.Env, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for range n {
		env.Auth.FlushSMS(context.Background())
		select {
		case <-s.hits:
		case <-timeout:
			t.Fatalf("the provider got no request")
		}
	}
}

// smsRecorded waits until the newest text's outbox row records its
// attempt (the dispatcher writes it just after the provider answers) and
// returns the outbox.
func smsRecorded(t testing.TB, env *authtest.Env, attempt int) []store.QueuedMail {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for range 2000 {
		list, err := env.Auth.Store().ListSMS(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if list[0].Attempts >= attempt {
			return list
		}
		<-tick.C
	}
	t.Fatalf("attempt %d was never recorded", attempt)
	return nil
}

func (s *twilioServer) messages() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

func twilioOption(t testing.TB, s *twilioServer) authtest.Option {
	sender, err := mail.NewTwilioSender(mail.TwilioConfig{BaseURL: s.URL, AccountSID: "AC123", Password: "secret-token", From: "+15005550006"})
	if err != nil {
		t.Fatal(err)
	}
	return func(c *auth.Config) {
		c.Methods = []auth.Method{auth.MethodPassword, auth.MethodEmailCode, auth.MethodMagicLink, auth.MethodSMSCode}
		c.SMS = sender
	}
}

// TestPasswordless_SMSSignInThroughTwilioAPI signs in with a code texted
// through a local server that speaks the Twilio Messages API.
func TestPasswordless_SMSSignInThroughTwilioAPI(t *testing.T) {
	t.Parallel()
	tw := startTwilio(t)
	env := authtest.New(t, twilioOption(t, tw))
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-up/sms", map[string]string{"phone": "+1 (415) 555-0123", "name": "Pat"}).want(http.StatusAccepted)
	tw.waitHits(t, env, 1)
	msgs := tw.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages at the provider", len(msgs))
	}
	m := msgs[0]
	if m.Get("To") != "+14155550123" || m.Get("From") != "+15005550006" {
		t.Errorf("message %v", m)
	}
	body := m.Get("Body")
	if !strings.Contains(body, "Test App") || !strings.Contains(body, "expires in 10 minutes") || !strings.Contains(body, "@localhost #") {
		t.Errorf("body %q", body)
	}
	code := pwSMSRE.FindStringSubmatch(body)[1]
	var in pwSignedIn
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).want(http.StatusOK).decode(&in)
	if in.Session.AuthMethod != "sms_code" || in.User.Name != "Pat" {
		t.Errorf("%+v %+v", in.User, in.Session)
	}
	// Sign in again by SMS: the same user.
	c2 := flNew(t, env)
	c2.postJSON("/auth/api/sign-in/sms", map[string]string{"phone": "+14155550123"}).want(http.StatusAccepted)
	tw.waitHits(t, env, 1)
	code = pwSMSRE.FindStringSubmatch(tw.messages()[1].Get("Body"))[1]
	var again pwSignedIn
	c2.postJSON("/auth/api/code/verify", map[string]string{"code": code}).want(http.StatusOK).decode(&again)
	if again.User.ID != in.User.ID {
		t.Errorf("SMS sign-in found %s, want %s", again.User.ID, in.User.ID)
	}
}

// TestPasswordless_SMSRetriesThenGivesUp: a provider error is retried on
// the backoff schedule, a bounded number of times.
func TestPasswordless_SMSRetriesThenGivesUp(t *testing.T) {
	t.Parallel()
	tw := startTwilio(t)
	env := authtest.New(t, twilioOption(t, tw), secQuietLog, func(c *auth.Config) { c.Passwordless.SMSRetries = 2 })
	tw.mu.Lock()
	tw.failNext = 1
	tw.mu.Unlock()
	flNew(t, env).postJSON("/auth/api/sign-in/sms", map[string]string{"phone": "+14155550100"}).want(http.StatusAccepted)
	ctx := context.Background()
	tw.waitHits(t, env, 1) // fails: 503
	if n := len(tw.messages()); n != 0 {
		t.Fatalf("%d delivered", n)
	}
	smsRecorded(t, env, 1)
	env.Clock.Advance(6 * time.Second)
	tw.waitHits(t, env, 1) // the retry succeeds
	if n := len(tw.messages()); n != 1 {
		t.Fatalf("%d delivered after the retry, want 1", n)
	}

	// A provider that keeps failing: 1 attempt + 2 retries, then given up.
	tw.mu.Lock()
	tw.failNext = 100
	tw.mu.Unlock()
	flNew(t, env).postJSON("/auth/api/sign-in/sms", map[string]string{"phone": "+14155550101"}).want(http.StatusAccepted)
	var list []store.QueuedMail
	for attempt := 1; attempt <= 3; attempt++ {
		tw.waitHits(t, env, 1)
		list = smsRecorded(t, env, attempt)
		env.Clock.Advance(time.Minute) // past each retry delay (5 s, 30 s)
	}
	env.Auth.FlushSMS(ctx)
	if list[0].Status != "failed" || list[0].Attempts != 3 {
		t.Errorf("status %q after %d attempts, want failed after 3", list[0].Status, list[0].Attempts)
	}
	tw.mu.Lock()
	left := tw.failNext
	tw.mu.Unlock()
	if left != 100-3 {
		t.Errorf("the provider was called %d times, want 3", 100-left)
	}
}

// TestT19_SMSSendCapsHold: 50 sends to one number, or sends to 1,000
// numbers, are capped (per number, per IP, per day overall).
func TestT19_SMSSendCapsHold(t *testing.T) {
	t.Parallel()
	send := func(env *authtest.Env, phone, ip string) int {
		body, _ := json.Marshal(map[string]string{"phone": phone})
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/auth/api/sign-in/sms", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-IP", ip)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	count := func(statuses []int) (ok, capped int) {
		for _, s := range statuses {
			switch s {
			case http.StatusAccepted:
				ok++
			case http.StatusTooManyRequests:
				capped++
			default:
				t.Fatalf("status %d", s)
			}
		}
		return
	}
	t.Run("50 to one number", func(t *testing.T) {
		t.Parallel()
		env, _ := pwEnv(t, secIPFromHeader)
		var st []int
		for i := range 50 {
			st = append(st, send(env, "+14155550000", fmt.Sprintf("198.51.100.%d", i)))
		}
		if ok, capped := count(st); ok != 10 || capped != 40 {
			t.Errorf("%d sent, %d capped; want 10 per number per day", ok, capped)
		}
		env.Clock.Advance(24 * time.Hour)
		if s := send(env, "+14155550000", "198.51.100.1"); s != http.StatusAccepted {
			t.Errorf("the next day: %d", s)
		}
	})
	t.Run("1000 numbers from one IP", func(t *testing.T) {
		t.Parallel()
		env, _ := pwEnv(t, secIPFromHeader)
		var st []int
		for i := range 1000 {
			st = append(st, send(env, fmt.Sprintf("+1415556%04d", i), "203.0.113.9"))
		}
		if ok, capped := count(st); ok != 20 || capped != 980 {
			t.Errorf("%d sent, %d capped; want 20 per IP per day", ok, capped)
		}
	})
	t.Run("1000 numbers from 1000 IPs", func(t *testing.T) {
		t.Parallel()
		env, _ := pwEnv(t, secIPFromHeader, func(c *auth.Config) { c.Passwordless.SMSPerDay = 100 })
		var st []int
		for i := range 1000 {
			st = append(st, send(env, fmt.Sprintf("+1415557%04d", i), fmt.Sprintf("10.%d.%d.1", i/256, i%256)))
		}
		if ok, capped := count(st); ok != 100 || capped != 900 {
			t.Errorf("%d sent, %d capped; want 100 per day in all", ok, capped)
		}
		list, _ := env.Auth.Store().ListSMS(context.Background(), 2000)
		if len(list) != 100 {
			t.Errorf("%d texts queued, want 100", len(list))
		}
	})
	t.Run("email per address", func(t *testing.T) {
		t.Parallel()
		env, _ := pwEnv(t)
		var st []int
		for range 15 {
			st = append(st, flNew(t, env).postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "zed@example.com"}).status)
		}
		if ok, capped := count(st); ok != 10 || capped != 5 {
			t.Errorf("%d sent, %d capped; want 10 per address per hour", ok, capped)
		}
	})
}

package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/store"
)

// pwEnv is an env with every method on and SMS captured.
func pwEnv(t testing.TB, opts ...authtest.Option) (*authtest.Env, *mail.SMSCapture) {
	t.Helper()
	sms := &mail.SMSCapture{}
	all := append([]authtest.Option{func(c *auth.Config) {
		c.Methods = []auth.Method{auth.MethodPassword, auth.MethodEmailCode, auth.MethodMagicLink, auth.MethodSMSCode}
		c.SMS = sms
	}}, opts...)
	return authtest.New(t, all...), sms
}

var (
	pwCodeRE = regexp.MustCompile(`(?:Your sign-in code is|Your code to create your account is|Your code to add this address to your account is|Your code to confirm it's you before a change to your account is) (\d{6,8})\.`)
	pwSMSRE  = regexp.MustCompile(`^(\d{6,8}) is your `)
)

// pwMailCode waits for the next mail to `to` and returns its code.
func pwMailCode(t testing.TB, env *authtest.Env, to string) string {
	t.Helper()
	m := flWaitMail(t, env, to)
	match := pwCodeRE.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("mail %q to %s has no code:\n%s", m.Subject, to, m.Text)
	}
	if !strings.Contains(m.Text, "expires in") {
		t.Errorf("mail does not say how long the code is valid:\n%s", m.Text)
	}
	return match[1]
}

// pwSMSCode waits for the next text to `to` and returns its code.
func pwSMSCode(t testing.TB, env *authtest.Env, sms *mail.SMSCapture, to string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go env.Auth.FlushSMS(ctx)
	m, err := sms.Wait(ctx, to)
	if err != nil {
		t.Fatalf("no text to %s: %v", to, err)
	}
	match := pwSMSRE.FindStringSubmatch(m.Body)
	if match == nil {
		t.Fatalf("text to %s has no code: %q", to, m.Body)
	}
	return match[1]
}

// pwLink waits for the next mail to `to` and returns its magic link's token.
func pwLink(t testing.TB, env *authtest.Env, to string) string {
	t.Helper()
	m := flWaitMail(t, env, to)
	link := regexp.MustCompile(regexp.QuoteMeta(env.URL) + `/auth/magic-link\?token=[A-Za-z0-9_-]{43}`).FindString(m.Text)
	if link == "" {
		t.Fatalf("mail %q has no magic link on %s:\n%s", m.Subject, env.URL, m.Text)
	}
	if !strings.Contains(m.Text, "expires in 15 minutes") {
		t.Errorf("magic link mail does not say it expires in 15 minutes:\n%s", m.Text)
	}
	u, _ := url.Parse(link)
	return u.Query().Get("token")
}

// pwCrossDevice lets magic links complete on another device, with the
// match code the asking browser shows.
func pwCrossDevice(c *auth.Config) { c.Passwordless.CrossDeviceLinks = true }

// pwAskLink asks for a magic link to email from c (API) and returns the
// match code the answer carries ("" for same-device links).
func pwAskLink(c *flClient, email string) string {
	c.t.Helper()
	var sent struct {
		MatchCode string `json:"match_code"`
	}
	c.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": email}).want(http.StatusAccepted).decode(&sent)
	return sent.MatchCode
}

// pwOtherMatch returns a match code that is not code.
func pwOtherMatch(code string) string {
	return fmt.Sprintf("%02d", (int(code[0]-'0')*10+int(code[1]-'0')+1)%100)
}

type pwSignedIn struct {
	User        flUser    `json:"user"`
	Session     flSession `json:"session"`
	RedirectURL string    `json:"redirect_url"`
}

func pwOtherCode(code string) string {
	if code[0] == '9' {
		return "1" + code[1:]
	}
	return string(code[0]+1) + code[1:]
}

func TestPasswordless_EmailCodeSignIn(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	u := env.CreateUser(t, "ann@example.com", authtest.Password())
	c := flNew(t, env)
	var sent struct {
		Status, Channel, To string
		ExpiresIn           int `json:"expires_in"`
	}
	c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ann@example.com", "redirect_url": "/dashboard"}).
		want(http.StatusAccepted).decode(&sent)
	if sent.Status != "sent" || sent.Channel != "email" || sent.To != "a***@example.com" || sent.ExpiresIn != 600 {
		t.Errorf("answer %+v", sent)
	}
	code := pwMailCode(t, env, "ann@example.com")
	c.postJSON("/auth/api/code/verify", map[string]string{"code": pwOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code").wantField("code")
	var in pwSignedIn
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).want(http.StatusOK).decode(&in)
	if !in.User.HasPassword {
		t.Error("a code sign-in to a verified account removed its password")
	}
	if in.User.ID != u.ID || in.Session.AuthMethod != "email_code" || in.RedirectURL != "/dashboard" {
		t.Errorf("signed in as %+v / %+v, redirect %q", in.User, in.Session, in.RedirectURL)
	}
	if me := c.me(); me.User.ID != u.ID {
		t.Errorf("me = %s", me.User.ID)
	}
	// The code is used: a second try finds no flow.
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).wantError(http.StatusGone, "flow_expired")
}

func TestPasswordless_EmailCodeSignUp(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-up/email-code", map[string]string{"email": "Neo@Example.com", "name": "Neo"}).want(http.StatusAccepted)
	m := flWaitMail(t, env, "Neo@Example.com")
	if !strings.Contains(m.Subject, "code") || !strings.Contains(m.Text, "create your account") {
		t.Errorf("sign-up mail %q:\n%s", m.Subject, m.Text)
	}
	code := pwCodeRE.FindStringSubmatch(m.Text)[1]
	var in pwSignedIn
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).want(http.StatusOK).decode(&in)
	if in.User.Email != "Neo@Example.com" || !in.User.EmailVerified || in.User.HasPassword || in.User.Name != "Neo" {
		t.Errorf("new user %+v", in.User)
	}
	evs, _ := env.Auth.Store().Events(context.Background(), core.EventUserCreated, 10)
	if len(evs) != 1 {
		t.Errorf("%d user.created events, want 1", len(evs))
	}
	// Signing in again with a code finds the same user.
	c2 := flNew(t, env)
	c2.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "neo@example.com"}).want(http.StatusAccepted)
	c2.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "neo@example.com")}).want(http.StatusOK).decode(&in)
	if n, _ := env.Auth.Store().CountUsers(context.Background()); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
}

// TestT17_CodeExpiryAndFlowBinding: a code works at 9:59 and fails at
// 10:01; a code of flow A fails in flow B.
func TestT17_CodeExpiryAndFlowBinding(t *testing.T) {
	t.Parallel()
	t.Run("9:59 works", func(t *testing.T) {
		t.Parallel()
		env, _ := pwEnv(t)
		env.CreateUser(t, "ben@example.com", authtest.Password())
		c := flNew(t, env)
		c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ben@example.com"}).want(http.StatusAccepted)
		code := pwMailCode(t, env, "ben@example.com")
		env.Clock.Advance(9*time.Minute + 59*time.Second)
		c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).want(http.StatusOK)
	})
	t.Run("10:01 fails", func(t *testing.T) {
		t.Parallel()
		env, _ := pwEnv(t)
		env.CreateUser(t, "ben@example.com", authtest.Password())
		c := flNew(t, env)
		c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ben@example.com"}).want(http.StatusAccepted)
		code := pwMailCode(t, env, "ben@example.com")
		env.Clock.Advance(10*time.Minute + time.Second)
		c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).wantError(http.StatusUnprocessableEntity, "code_expired")
		// A new code in the same flow works.
		c.postJSON("/auth/api/code/resend", map[string]any{}).want(http.StatusAccepted)
		c.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "ben@example.com")}).want(http.StatusOK)
	})
	t.Run("flow A code fails in flow B", func(t *testing.T) {
		t.Parallel()
		env, _ := pwEnv(t)
		env.CreateUser(t, "ben@example.com", authtest.Password())
		a, b := flNew(t, env), flNew(t, env)
		a.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ben@example.com"}).want(http.StatusAccepted)
		codeA := pwMailCode(t, env, "ben@example.com")
		b.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "ben@example.com"}).want(http.StatusAccepted)
		codeB := pwMailCode(t, env, "ben@example.com")
		if codeA == codeB {
			t.Skip("the two codes happen to be equal (1 in a million)")
		}
		b.postJSON("/auth/api/code/verify", map[string]string{"code": codeA}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
		a.postJSON("/auth/api/code/verify", map[string]string{"code": codeB}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
		b.postJSON("/auth/api/code/verify", map[string]string{"code": codeB}).want(http.StatusOK)
		a.postJSON("/auth/api/code/verify", map[string]string{"code": codeA}).want(http.StatusOK)
	})
}

// TestT18_WrongCodesLockTheAddressAcrossResends: 1,000 wrong codes; the
// address locks at the configured threshold (default 100), resends
// neither reset the count nor leave an old code valid, and the correct
// code fails once locked.
func TestT18_WrongCodesLockTheAddressAcrossResends(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t, func(c *auth.Config) {
		c.Passwordless.EmailsPerAddressPerHour = -1
		c.Passwordless.MaxSendsPerFlow = 1000
		c.LockoutThreshold = 100
	})
	env.CreateUser(t, "cat@example.com", authtest.Password())
	db := env.Auth.Store()
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "cat@example.com"}).want(http.StatusAccepted)
	code := pwMailCode(t, env, "cat@example.com")
	wrong, locked, onCode := 0, 0, 0
	old := ""
	for i := range 1000 {
		if onCode == 5 && locked == 0 { // this code had its 5 attempts: ask for a new one
			c.postJSON("/auth/api/code/resend", map[string]any{}).want(http.StatusAccepted)
			old, code, onCode = code, pwMailCode(t, env, "cat@example.com"), 0
		}
		guess := pwOtherCode(code)
		if onCode == 0 && old != "" && old != code {
			guess = old // the previous code no longer works
		}
		onCode++
		r := c.postJSON("/auth/api/code/verify", map[string]string{"code": guess})
		switch r.status {
		case http.StatusUnprocessableEntity:
			wrong++
		case http.StatusTooManyRequests:
			if e := r.errorBody(); e.Code != "too_many_attempts" {
				t.Fatalf("attempt %d: %+v", i, e)
			}
			locked++
		default:
			t.Fatalf("attempt %d: status %d %s", i, r.status, r.body)
		}
	}
	if wrong != 99 || locked != 901 {
		t.Errorf("%d wrong answers and %d locked answers; want 99 and 901 (the 100th failure locks)", wrong, locked)
	}
	if n, _ := db.ChallengeFailures(context.Background(), "email", store.EmailKey("cat@example.com")); n != 100 {
		t.Errorf("failure count %d, want 100", n)
	}
	// The right code fails while locked, even in a new flow.
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).wantError(http.StatusTooManyRequests, "too_many_attempts")
	c2 := flNew(t, env)
	c2.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "cat@example.com"}).want(http.StatusAccepted)
	c2.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "cat@example.com")}).
		wantError(http.StatusTooManyRequests, "too_many_attempts")
	// After the lock ends, a correct code works and clears the count.
	env.Clock.Advance(time.Hour + time.Minute)
	c3 := flNew(t, env)
	c3.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "cat@example.com"}).want(http.StatusAccepted)
	c3.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "cat@example.com")}).want(http.StatusOK)
	if n, _ := db.ChallengeFailures(context.Background(), "email", store.EmailKey("cat@example.com")); n != 0 {
		t.Errorf("failure count %d after a success, want 0", n)
	}
}

// TestPasswordless_CodeAttemptsPerCode: one code allows 5 wrong entries;
// then even it fails until a new code is sent, and the count of the
// address carries on.
func TestPasswordless_CodeAttemptsPerCode(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	env.CreateUser(t, "dan@example.com", authtest.Password())
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "dan@example.com"}).want(http.StatusAccepted)
	code := pwMailCode(t, env, "dan@example.com")
	for range 5 {
		c.postJSON("/auth/api/code/verify", map[string]string{"code": pwOtherCode(code)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
	}
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).wantError(http.StatusTooManyRequests, "code_exhausted")
	c.postJSON("/auth/api/code/resend", map[string]any{}).want(http.StatusAccepted)
	code = pwMailCode(t, env, "dan@example.com")
	if n, _ := env.Auth.Store().ChallengeFailures(context.Background(), "email", "dan@example.com"); n != 5 {
		t.Errorf("failures %d after a resend, want 5 (not reset)", n)
	}
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).want(http.StatusOK)
}

// TestT15_MagicLinkReplayAndDoubleClick: a used link fails; of 20
// concurrent confirmations exactly one signs in: 20 clicks in the browser
// that asked (same-device links, the default), or 20 browsers entering
// the match code (cross-device links).
func TestT15_MagicLinkReplayAndDoubleClick(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"SameDevice", "CrossDevice"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var opts []authtest.Option
			if mode == "CrossDevice" {
				opts = append(opts, pwCrossDevice)
			}
			env, _ := pwEnv(t, opts...)
			u := env.CreateUser(t, "eve@example.com", authtest.Password())
			asking := flNew(t, env)
			match := pwAskLink(asking, "eve@example.com")
			token := pwLink(t, env, "eve@example.com")
			const n = 20
			clients := make([]*flClient, n)
			for i := range clients {
				clients[i] = asking
				if mode == "CrossDevice" {
					clients[i] = flNew(t, env)
				}
			}
			statuses := make([]int, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					statuses[i] = clients[i].postForm("/auth/magic-link", url.Values{"token": {token}, "match_code": {match}}).status
				}()
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, s := range statuses {
				switch s {
				case http.StatusSeeOther:
					ok++
				case http.StatusGone:
				default:
					t.Errorf("status %d", s)
				}
			}
			if ok != 1 {
				t.Errorf("%d confirmations signed in, want exactly 1 (%v)", ok, statuses)
			}
			sessions, _ := env.Auth.ListSessions(context.Background(), u.ID)
			if len(sessions) != 1 {
				t.Errorf("%d sessions, want 1", len(sessions))
			}
			// Replaying it later fails, on the page and in the API.
			flNew(t, env).postJSON("/auth/api/magic-link/verify", map[string]string{"token": token, "match_code": match}).wantError(http.StatusGone, "link_used")
			flNew(t, env).get("/auth/magic-link?token=" + token).want(http.StatusGone).alert()
			asking.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}).wantError(http.StatusGone, "link_used")
		})
	}
}

// TestT16_ScannerGETAndHEADDoNotUseTheLink: only the POST from the
// confirmation page uses a link, whether a scanner's GET finds the page
// refusing another browser (same-device links, the default) or asking it
// for the match code (cross-device links).
func TestT16_ScannerGETAndHEADDoNotUseTheLink(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"SameDevice", "CrossDevice"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var opts []authtest.Option
			status, page := http.StatusForbidden, "only in the browser where you asked"
			if mode == "CrossDevice" {
				opts = append(opts, pwCrossDevice)
				status, page = http.StatusOK, `name="match_code"`
			}
			env, _ := pwEnv(t, opts...)
			env.CreateUser(t, "fay@example.com", authtest.Password())
			asking := flNew(t, env)
			var sent struct {
				MatchCode string `json:"match_code"`
			}
			asking.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "fay@example.com", "redirect_url": "/notes"}).want(http.StatusAccepted).decode(&sent)
			token := pwLink(t, env, "fay@example.com")
			scanner := flNew(t, env)
			for range 3 {
				scanner.get("/auth/magic-link?token=" + token).want(status).contains(page)
				scanner.do(http.MethodHead, "/auth/magic-link?token="+token, "", nil).want(status)
			}
			// The link still works: only this POST uses it.
			confirming := asking
			if mode == "CrossDevice" {
				confirming = flNew(t, env)
			}
			confirming.get("/auth/magic-link?token="+token).want(http.StatusOK).contains("Continue as", "f***@example.com")
			r := confirming.postForm("/auth/magic-link", url.Values{"token": {token}, "match_code": {sent.MatchCode}}).want(http.StatusSeeOther)
			if r.location() != "/notes" {
				t.Errorf("redirect %q, want the one chosen when the link was asked for (/notes)", r.location())
			}
		})
	}
}

func TestPasswordless_MagicLinkSignUpAndWrongToken(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-up/magic-link", map[string]string{"email": "gus@example.com", "name": "Gus"}).want(http.StatusAccepted)
	m := flWaitMail(t, env, "gus@example.com")
	if !strings.Contains(m.Subject, "Finish creating") {
		t.Errorf("subject %q", m.Subject)
	}
	token := regexp.MustCompile(`token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(m.Text)[1]
	for _, bad := range []string{"", "short", strings.Repeat("A", 43), token + "x", strings.Repeat("a", 5000)} {
		flNew(t, env).postJSON("/auth/api/magic-link/verify", map[string]string{"token": bad}).wantError(http.StatusBadRequest, "link_invalid")
	}
	var in pwSignedIn
	c.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}).want(http.StatusOK).decode(&in)
	if in.User.Email != "gus@example.com" || in.User.Name != "Gus" || in.Session.AuthMethod != "magic_link" {
		t.Errorf("signed in %+v %+v", in.User, in.Session)
	}
	// The asking browser used it itself: its status is completed.
	var st struct{ Status string }
	c.get("/auth/api/magic-link/status").decode(&st)
	if st.Status != "" && st.Status != "completed" {
		t.Errorf("status %q", st.Status)
	}
}

func TestPasswordless_MagicLinkExpiresAfter15Minutes(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	env.CreateUser(t, "hal@example.com", authtest.Password())
	flNew(t, env).postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "hal@example.com"}).want(http.StatusAccepted)
	token := pwLink(t, env, "hal@example.com")
	env.Clock.Advance(15*time.Minute + time.Second)
	flNew(t, env).get("/auth/magic-link?token=" + token).want(http.StatusGone)
	flNew(t, env).postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}).wantError(http.StatusGone, "link_expired")
}

// TestPasswordless_MagicLinkOtherDeviceThenWaitingTabContinues: with
// cross-device links, a link used in another browser with the match code
// the asking browser shows lets the asking browser continue, once.
func TestPasswordless_MagicLinkOtherDeviceThenWaitingTabContinues(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t, pwCrossDevice)
	u := env.CreateUser(t, "ida@example.com", authtest.Password())
	laptop, phone := flNew(t, env), flNew(t, env)
	var sent struct {
		MatchCode string `json:"match_code"`
	}
	laptop.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "ida@example.com", "redirect_url": "/inbox"}).want(http.StatusAccepted).decode(&sent)
	if !regexp.MustCompile(`^\d\d$`).MatchString(sent.MatchCode) {
		t.Fatalf("match code %q, want 2 digits", sent.MatchCode)
	}
	token := pwLink(t, env, "ida@example.com")
	var st struct {
		Status    string
		MatchCode string `json:"match_code"`
	}
	laptop.get("/auth/api/magic-link/status").want(http.StatusOK).decode(&st)
	if st.Status != "pending" || st.MatchCode != sent.MatchCode {
		t.Fatalf("status %+v, want pending with the match code %s", st, sent.MatchCode)
	}
	page := laptop.get("/auth/magic-link/sent").want(http.StatusOK).contains(`id="match-code"`, sent.MatchCode)
	if page.header.Get("Refresh") == "" {
		t.Error("the waiting page does not refresh itself")
	}
	laptop.postJSON("/auth/api/magic-link/continue", map[string]any{}).wantError(http.StatusConflict, "link_pending")
	phone.get("/auth/magic-link?token="+token).want(http.StatusOK).contains("requested from another browser", `name="match_code"`).notContains(`id="match-code"`)
	phone.postForm("/auth/magic-link", url.Values{"token": {token}, "match_code": {sent.MatchCode}}).want(http.StatusSeeOther)
	st.Status, st.MatchCode = "", ""
	laptop.get("/auth/api/magic-link/status").want(http.StatusOK).decode(&st)
	if st.Status != "completed_elsewhere" || st.MatchCode != "" {
		t.Fatalf("status %+v, want completed_elsewhere without the match code", st)
	}
	laptop.get("/auth/magic-link/sent").want(http.StatusOK).contains("Continue here")
	r := laptop.postForm("/auth/magic-link/continue", nil).want(http.StatusSeeOther)
	if r.location() != "/inbox" {
		t.Errorf("continue went to %q", r.location())
	}
	if me := laptop.me(); me.User.ID != u.ID {
		t.Errorf("laptop signed in as %s", me.User.ID)
	}
	if me := phone.me(); me.User.ID != u.ID {
		t.Errorf("phone signed in as %s", me.User.ID)
	}
	// Only once.
	laptop.postJSON("/auth/api/magic-link/continue", map[string]any{}).wantError(http.StatusGone, "flow_expired")
}

// TestPasswordless_SameDeviceLinkRefusesOtherBrowser: by default a link
// opened in another browser is refused and stays usable.
func TestPasswordless_SameDeviceLinkRefusesOtherBrowser(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	u := env.CreateUser(t, "jo@example.com", authtest.Password())
	mine, other := flNew(t, env), flNew(t, env)
	mine.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "jo@example.com"}).want(http.StatusAccepted)
	token := pwLink(t, env, "jo@example.com")
	other.get("/auth/magic-link?token=" + token).want(http.StatusForbidden).contains("only in the browser where you asked")
	other.postForm("/auth/magic-link", url.Values{"token": {token}}).want(http.StatusForbidden)
	other.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}).wantError(http.StatusForbidden, "other_device")
	other.get("/auth/api/me").want(http.StatusUnauthorized)
	var in pwSignedIn
	mine.postJSON("/auth/api/magic-link/verify", map[string]string{"token": token}).want(http.StatusOK).decode(&in)
	if in.User.ID != u.ID {
		t.Errorf("signed in as %s", in.User.ID)
	}
}

// TestPreHijack_FirstProvenSignInRemovesPasswordAndSessions closes
// account pre-hijacking (SECURITY.md known class 1).
func TestPreHijack_FirstProvenSignInRemovesPasswordAndSessions(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"email_code", "magic_link"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			env, _ := pwEnv(t)
			ctx := context.Background()
			pw := authtest.Password()
			// The attacker got an unverified account for the victim's address
			// (here through the admin API) and a session on it.
			victim, err := env.Auth.CreateUser(ctx, auth.CreateUserParams{Email: "kim@example.com", Password: pw})
			if err != nil {
				t.Fatal(err)
			}
			attacker := flNew(t, env)
			attacker.signIn("kim@example.com", pw)
			// The victim signs in with a code or link to their address.
			v := flNew(t, env)
			var in pwSignedIn
			if method == "email_code" {
				v.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "kim@example.com"}).want(http.StatusAccepted)
				v.postJSON("/auth/api/code/verify", map[string]string{"code": pwMailCode(t, env, "kim@example.com")}).want(http.StatusOK).decode(&in)
			} else {
				v.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "kim@example.com"}).want(http.StatusAccepted)
				v.postJSON("/auth/api/magic-link/verify", map[string]string{"token": pwLink(t, env, "kim@example.com")}).want(http.StatusOK).decode(&in)
			}
			if in.User.ID != victim.ID || !in.User.EmailVerified || in.User.HasPassword {
				t.Errorf("after the first proven sign-in: %+v", in.User)
			}
			attacker.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
			flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "kim@example.com", "password": pw}).want(http.StatusUnauthorized)
			v.me()
		})
	}
}

func TestPasswordless_BadInput(t *testing.T) {
	t.Parallel()
	env, _ := pwEnv(t)
	env.CreateUser(t, "lea@example.com", authtest.Password())
	c := flNew(t, env)
	for _, email := range []string{"", "lea", "lea@", "@example.com", "lea@example", "le a@example.com", "lea@@example.com", strings.Repeat("a", 250) + "@example.com"} {
		r := c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": email}).want(http.StatusUnprocessableEntity)
		if e := r.errorBody(); e.Field != "email" || (e.Code != "invalid_email" && e.Code != "email_required") {
			t.Errorf("email %q: %+v", email, e)
		}
	}
	for _, phone := range []string{"", "12345678", "+1", "+0123456789", "+1 415 555 012a", "+1234567890123456", "++14155550123", "+1 415 555 0123 ext 5"} {
		r := c.postJSON("/auth/api/sign-in/sms", map[string]string{"phone": phone}).want(http.StatusUnprocessableEntity)
		if e := r.errorBody(); e.Field != "phone" || (e.Code != "invalid_phone" && e.Code != "phone_required") {
			t.Errorf("phone %q: %+v", phone, e)
		}
	}
	c.postJSON("/auth/api/sign-in/email-code", map[string]string{"email": "lea@example.com"}).want(http.StatusAccepted)
	code := pwMailCode(t, env, "lea@example.com")
	for _, bad := range []string{"", "12345", "1234567", "12 34 56", "abcdef", "12345a", "１２３４５６", strings.Repeat("1", 100)} {
		r := c.postJSON("/auth/api/code/verify", map[string]string{"code": bad}).wantError(http.StatusUnprocessableEntity, "invalid_code")
		if !strings.Contains(r.errorBody().Message, "6-digit") {
			t.Errorf("code %q: message %q", bad, r.errorBody().Message)
		}
	}
	// Malformed codes cost no attempt.
	if n, _ := env.Auth.Store().ChallengeFailures(context.Background(), "email", "lea@example.com"); n != 0 {
		t.Errorf("malformed codes counted %d failures", n)
	}
	c.postJSON("/auth/api/sign-in/email-code", `{"email":"`+strings.Repeat("x", 70<<10)+`"}`).wantError(http.StatusRequestEntityTooLarge, "request_too_large")
	c.postJSON("/auth/api/code/verify", `{"code":"`+strings.Repeat("1", 70<<10)+`"}`).wantError(http.StatusRequestEntityTooLarge, "request_too_large")
	c.postJSON("/auth/api/sign-in/email-code", `{"email":"lea@example.com","name":"x"}`).wantError(http.StatusBadRequest, "unknown_field")
	flNew(t, env).postJSON("/auth/api/code/verify", map[string]string{"code": code}).wantError(http.StatusGone, "flow_expired")
	c.postJSON("/auth/api/code/verify", map[string]string{"code": " " + code + "\n"}).want(http.StatusOK)
}

func TestPasswordless_MethodsConfig(t *testing.T) {
	t.Parallel()
	env := authtest.New(t, func(c *auth.Config) { c.Methods = []auth.Method{auth.MethodEmailCode} })
	c := flNew(t, env)
	page := c.get("/auth/sign-in").want(http.StatusOK)
	page.notContains(`name="password"`, "/auth/sign-in/magic-link", "/auth/sign-in/phone").contains("/auth/sign-in/email-code")
	c.get("/auth/sign-up").want(http.StatusOK).notContains(`name="password"`, "magic-link").contains("/auth/sign-up/email-code")
	c.postJSON("/auth/api/sign-in", map[string]string{"email": "a@example.com", "password": "x"}).wantError(http.StatusNotFound, "method_disabled")
	c.postJSON("/auth/api/sign-up", map[string]string{"email": "a@example.com", "password": authtest.Password()}).wantError(http.StatusNotFound, "method_disabled")
	c.postJSON("/auth/api/sign-in/magic-link", map[string]string{"email": "a@example.com"}).wantError(http.StatusNotFound, "method_disabled")
	c.postJSON("/auth/api/sign-in/sms", map[string]string{"phone": "+14155550123"}).wantError(http.StatusNotFound, "method_disabled")
	c.get("/auth/sign-in/phone").want(http.StatusNotFound)
	var m struct {
		Methods    []string
		CodeLength int `json:"code_length"`
	}
	c.get("/auth/api/methods").want(http.StatusOK).decode(&m)
	if fmt.Sprint(m.Methods) != "[email_code]" || m.CodeLength != 6 {
		t.Errorf("methods %+v", m)
	}

	all, _ := pwEnv(t)
	p := flNew(t, all).get("/auth/sign-in").want(http.StatusOK)
	p.contains(`name="password"`, "/auth/sign-in/email-code", "/auth/sign-in/magic-link", "/auth/sign-in/phone")
	flNew(t, all).get("/auth/sign-up").want(http.StatusOK).contains(`name="password"`, "/auth/sign-up/email-code", "/auth/sign-up/magic-link", "/auth/sign-up/phone")

	if _, err := auth.New(auth.Config{DatabasePath: t.TempDir() + "/x.db", Methods: []auth.Method{"carrier-pigeon"}}); err == nil {
		t.Error("an unknown method was accepted")
	}
	dev := false
	if _, err := auth.New(auth.Config{DatabasePath: t.TempDir() + "/x.db", DevMode: &dev, Mailer: &mail.Capture{},
		BaseURL: "https://example.com", Methods: []auth.Method{auth.MethodSMSCode}}); err == nil || !strings.Contains(err.Error(), "SMS") {
		t.Errorf("SMS codes without an SMS sender outside dev mode: %v", err)
	}
	if _, err := auth.New(auth.Config{DatabasePath: t.TempDir() + "/x.db", Passwordless: auth.PasswordlessConfig{CodeLength: 7}}); err == nil {
		t.Error("a 7-digit code length was accepted")
	}
}

func TestPasswordless_EightDigitCodes(t *testing.T) {
	t.Parallel()
	env, sms := pwEnv(t, func(c *auth.Config) { c.Passwordless.CodeLength = 8 })
	c := flNew(t, env)
	c.postJSON("/auth/api/sign-up/sms", map[string]string{"phone": "+44 20 7946 0958", "name": "Max"}).want(http.StatusAccepted)
	code := pwSMSCode(t, env, sms, "+442079460958")
	if len(code) != 8 {
		t.Fatalf("code %q is not 8 digits", code)
	}
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code[:6]}).wantError(http.StatusUnprocessableEntity, "invalid_code")
	var in pwSignedIn
	c.postJSON("/auth/api/code/verify", map[string]string{"code": code}).want(http.StatusOK).decode(&in)
	if in.User.Name != "Max" || in.User.Email != "" || in.Session.AuthMethod != "sms_code" {
		t.Errorf("phone sign-up %+v %+v", in.User, in.Session)
	}
	var ids struct{ Identifiers []core.Identifier }
	c.get("/auth/api/me/identifiers").want(http.StatusOK).decode(&ids)
	if len(ids.Identifiers) != 1 || ids.Identifiers[0].Value != "+442079460958" || !ids.Identifiers[0].Primary || !ids.Identifiers[0].Verified {
		t.Errorf("identifiers %+v", ids.Identifiers)
	}
}

package auth_test

// HTTP scenarios for every flow, through both the HTML form pages and the
// JSON API under /auth/api/, against a real Auth from authtest. Helpers
// shared by api_test.go and openapi_test.go are at the end of this file;
// their names start with "fl" so they do not collide with other test files
// of this package.

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	auth "github.com/embedauth/auth"
	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/mail"
)

// ---------------------------------------------------------------------------
// Sign-up and email verification

func TestFlowSignUp_VerifyJSON(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		c := flNew(t, env)
		pw := authtest.Password()

		r := c.postJSON("/auth/api/sign-up", map[string]string{"email": "ann@example.com", "password": pw, "name": "Ann Lee"}).want(http.StatusAccepted)
		var started struct{ Status, Email string }
		r.decode(&started)
		if started.Status != "verification_required" || started.Email != "a***@example.com" {
			t.Fatalf("sign-up answer = %+v", started)
		}
		if _, err := env.Auth.GetUserByEmail(context.Background(), "ann@example.com"); err == nil {
			t.Fatal("a user exists before the email was verified")
		}

		code := flVerificationCode(t, env, "ann@example.com")
		r = c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).want(http.StatusOK)
		var me flMe
		r.decode(&me)
		if me.User.Email != "ann@example.com" || me.User.Name != "Ann Lee" || !me.User.EmailVerified || !me.User.HasPassword {
			t.Fatalf("verify answered user %+v", me.User)
		}
		if me.Session.ID == "" || me.Session.UserID != me.User.ID || me.Session.AuthMethod != "password" {
			t.Fatalf("verify answered session %+v", me.Session)
		}

		var got flMe
		c.get("/auth/api/me").want(http.StatusOK).decode(&got)
		if got.User.ID != me.User.ID || got.Session.ID != me.Session.ID {
			t.Fatalf("/api/me = %+v, want the new user and session", got)
		}
		// The password chosen at sign-up works.
		flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "ann@example.com", "password": pw}).want(http.StatusOK)
	})
}

func TestFlowSignUp_VerifyForm(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		c := flNew(t, env)

		c.get("/auth/sign-up").want(http.StatusOK).contains(`action="/auth/sign-up"`)
		r := c.postForm("/auth/sign-up?redirect_url=%2Fapp%2Fdashboard", url.Values{
			"email": {"bob@example.com"}, "password": {authtest.Password()}, "name": {"Bob"},
		}).want(http.StatusSeeOther)
		if loc := r.location(); loc != "/auth/verify?redirect_url=%2Fapp%2Fdashboard" {
			t.Fatalf("sign-up redirects to %q", loc)
		}
		page := c.get(r.location()).want(http.StatusOK)
		// The address just typed is shown whole, so a typo can be seen.
		page.contains("bob@example.com", "expires in 10 minutes", `name="redirect_url" value="/app/dashboard"`).notContains("b***@example.com")

		code := flVerificationCode(t, env, "bob@example.com")
		r = c.postForm("/auth/verify", url.Values{"code": {code}, "redirect_url": {"/app/dashboard"}}).want(http.StatusSeeOther)
		if loc := r.location(); loc != "/app/dashboard" {
			t.Fatalf("verify redirects to %q, want the redirect_url", loc)
		}
		var me flMe
		c.get("/auth/api/me").want(http.StatusOK).decode(&me)
		if me.User.Email != "bob@example.com" || !me.User.EmailVerified {
			t.Fatalf("/api/me = %+v", me.User)
		}
		// The app behind RequireUser now lets this browser in.
		c.get("/app/dashboard").want(http.StatusOK).contains("user:" + me.User.ID)
	})
}

func TestFlowSignUp_WrongCode(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		for _, mode := range []string{"json", "form"} {
			t.Run(mode, func(t *testing.T) {
				t.Parallel()
				email := mode + "@example.com"
				c := flNew(t, env)
				flStartSignUp(c, email, authtest.Password())
				code := flVerificationCode(t, env, email)
				wrong := flOtherCode(code)
				if mode == "json" {
					r := c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": wrong})
					r.wantError(http.StatusUnprocessableEntity, "incorrect_code")
					if r.errorBody().Field != "code" {
						t.Errorf("field = %q, want code", r.errorBody().Field)
					}
				} else {
					c.postForm("/auth/verify", url.Values{"code": {wrong}}).want(http.StatusUnprocessableEntity).fieldError("code")
				}
				c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
				// The right code still works after a wrong one.
				c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).want(http.StatusOK)
			})
		}
	})
}

func TestFlowSignUp_TooManyWrongCodes(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		c := flNew(t, env)
		flStartSignUp(c, "eve@example.com", authtest.Password())
		code := flVerificationCode(t, env, "eve@example.com")
		wrong := flOtherCode(code)
		for range 5 {
			c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": wrong}).
				wantError(http.StatusUnprocessableEntity, "incorrect_code")
		}
		c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).wantError(http.StatusTooManyRequests, "too_many_attempts")
		// The form says the same, as a page.
		c.postForm("/auth/verify", url.Values{"code": {code}}).want(http.StatusTooManyRequests).alert()
		if _, err := env.Auth.GetUserByEmail(context.Background(), "eve@example.com"); err == nil {
			t.Fatal("a locked sign-up created a user")
		}
	})
}

func TestFlowSignUp_CodeExpired(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		c := flNew(t, env)
		flStartSignUp(c, "old@example.com", authtest.Password())
		code := flVerificationCode(t, env, "old@example.com")

		env.Clock.Advance(10*time.Minute + time.Second)
		c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": code}).wantError(http.StatusUnprocessableEntity, "code_expired")
		c.postForm("/auth/verify", url.Values{"code": {code}}).want(http.StatusUnprocessableEntity).fieldError("code")

		// A new code is valid for another 10 minutes.
		c.postJSON("/auth/api/sign-up/resend", map[string]any{}).want(http.StatusAccepted)
		fresh := flVerificationCode(t, env, "old@example.com")
		env.Clock.Advance(9*time.Minute + 59*time.Second)
		c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": fresh}).want(http.StatusOK)
	})
}

func TestFlowSignUp_Resend(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)

		t.Run("NewCodeWorksOldFails", func(t *testing.T) {
			t.Parallel()
			c := flNew(t, env)
			flStartSignUp(c, "re1@example.com", authtest.Password())
			old := flVerificationCode(t, env, "re1@example.com")
			var sent struct{ Status string }
			c.postJSON("/auth/api/sign-up/resend", map[string]any{}).want(http.StatusAccepted).decode(&sent)
			if sent.Status != "code_sent" {
				t.Fatalf("resend status = %q", sent.Status)
			}
			fresh := flVerificationCode(t, env, "re1@example.com")
			if fresh == old {
				t.Skip("the new code happens to equal the old one (1 in a million)")
			}
			c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": old}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
			c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": fresh}).want(http.StatusOK)
		})

		t.Run("Form", func(t *testing.T) {
			t.Parallel()
			c := flNew(t, env)
			c.postForm("/auth/sign-up", url.Values{"email": {"re2@example.com"}, "password": {authtest.Password()}}).want(http.StatusSeeOther)
			old := flVerificationCode(t, env, "re2@example.com")
			r := c.postForm("/auth/verify/resend", url.Values{}).want(http.StatusSeeOther)
			if r.location() != "/auth/verify" {
				t.Fatalf("resend redirects to %q", r.location())
			}
			c.get("/auth/verify").want(http.StatusOK).notice()
			fresh := flVerificationCode(t, env, "re2@example.com")
			if fresh == old {
				t.Skip("the new code happens to equal the old one")
			}
			c.postForm("/auth/verify", url.Values{"code": {old}}).want(http.StatusUnprocessableEntity)
			c.postForm("/auth/verify", url.Values{"code": {fresh}}).want(http.StatusSeeOther)
			c.get("/auth/api/me").want(http.StatusOK)
		})

		t.Run("AttemptsNotReset", func(t *testing.T) {
			t.Parallel()
			c := flNew(t, env)
			flStartSignUp(c, "re3@example.com", authtest.Password())
			old := flVerificationCode(t, env, "re3@example.com")
			wrong := flOtherCode(old)
			for range 3 {
				c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": wrong}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
			}
			c.postJSON("/auth/api/sign-up/resend", map[string]any{}).want(http.StatusAccepted)
			fresh := flVerificationCode(t, env, "re3@example.com")
			for range 2 {
				c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": flOtherCode(fresh)}).wantError(http.StatusUnprocessableEntity, "incorrect_code")
			}
			// 5 wrong codes in all, across the resend: even the new code is refused.
			c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": fresh}).wantError(http.StatusTooManyRequests, "too_many_attempts")
		})

		t.Run("TooManyCodes", func(t *testing.T) {
			t.Parallel()
			c := flNew(t, env)
			flStartSignUp(c, "re4@example.com", authtest.Password())
			codes := []string{flVerificationCode(t, env, "re4@example.com")}
			// At most 5 codes are mailed per sign-up: the first and 4 resends.
			for range 4 {
				c.postJSON("/auth/api/sign-up/resend", map[string]any{}).want(http.StatusAccepted)
				codes = append(codes, flVerificationCode(t, env, "re4@example.com"))
			}
			c.postJSON("/auth/api/sign-up/resend", map[string]any{}).wantError(http.StatusTooManyRequests, "too_many_codes")
			c.postJSON("/auth/api/sign-up/resend", map[string]any{}).wantError(http.StatusTooManyRequests, "too_many_codes")
			c.postForm("/auth/verify/resend", url.Values{}).want(http.StatusTooManyRequests).alert()
			if n := len(flMailTo(env, "re4@example.com")); n != 5 {
				t.Errorf("%d codes were mailed, want 5", n)
			}
			// The last code sent still works.
			c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": codes[len(codes)-1]}).want(http.StatusOK)
		})
	})
}

func TestFlowSignUp_NoPendingSignUp(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		c := flNew(t, env)

		c.postJSON("/auth/api/sign-up/verify", map[string]string{"code": "123456"}).wantError(http.StatusGone, "signup_expired")
		c.postJSON("/auth/api/sign-up/resend", map[string]any{}).wantError(http.StatusGone, "signup_expired")

		for _, path := range []string{"/auth/verify", "/auth/verify/resend"} {
			r := c.postForm(path, url.Values{"code": {"123456"}}).want(http.StatusSeeOther)
			if r.location() != "/auth/sign-up" {
				t.Errorf("POST %s without a sign-up redirects to %q, want /auth/sign-up", path, r.location())
			}
		}
		c.get("/auth/sign-up").want(http.StatusOK).notice()
		r := c.get("/auth/verify").want(http.StatusSeeOther)
		if r.location() != "/auth/sign-up" {
			t.Errorf("GET /auth/verify without a sign-up redirects to %q", r.location())
		}
	})
}

// A sign-up with a taken address answers exactly like a new one and mails
// the owner instead of sending a code (SECURITY.md T9).
func TestFlowSignUp_ExistingEmailSameAnswer(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		env.CreateUser(t, "taken@example.com", authtest.Password())

		taken := flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "taken@example.com", "password": authtest.Password()}).want(http.StatusAccepted)
		fresh := flNew(t, env).postJSON("/auth/api/sign-up", map[string]string{"email": "tfresh@example.com", "password": authtest.Password()}).want(http.StatusAccepted)
		if strings.Replace(string(fresh.body), "t***@example.com", "", 1) != strings.Replace(string(taken.body), "t***@example.com", "", 1) {
			t.Errorf("answers differ:\n%s\n%s", taken.body, fresh.body)
		}
		m := flWaitMail(t, env, "taken@example.com")
		if !strings.Contains(m.Subject, "already exists") || regexp.MustCompile(`\b\d{6}\b`).MatchString(m.Text) {
			t.Errorf("the owner got %q:\n%s", m.Subject, m.Text)
		}
	})
}

// ---------------------------------------------------------------------------
// Sign-in and sign-out

func TestFlowSignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		pw := authtest.Password()
		u := env.CreateUser(t, "sig@example.com", pw)

		t.Run("JSON", func(t *testing.T) {
			t.Parallel()
			c := flNew(t, env)
			var me flMe
			c.postJSON("/auth/api/sign-in", map[string]string{"email": "SIG@example.com", "password": pw}).want(http.StatusOK).decode(&me)
			if me.User.ID != u.ID || me.Session.AuthMethod != "password" || me.Session.UserID != u.ID {
				t.Fatalf("sign-in answered %+v", me)
			}
			c.get("/auth/api/me").want(http.StatusOK)
		})
		t.Run("Form", func(t *testing.T) {
			t.Parallel()
			c := flNew(t, env)
			c.get("/auth/sign-in?redirect_url=%2Fapp%2Fx").want(http.StatusOK).contains(`name="redirect_url" value="/app/x"`)
			r := c.postForm("/auth/sign-in", url.Values{"email": {"sig@example.com"}, "password": {pw}, "redirect_url": {"/app/x"}}).want(http.StatusSeeOther)
			if r.location() != "/app/x" {
				t.Fatalf("sign-in redirects to %q", r.location())
			}
			var me flMe
			c.get("/auth/api/me").want(http.StatusOK).decode(&me)
			if me.User.ID != u.ID {
				t.Fatalf("signed in as %s, want %s", me.User.ID, u.ID)
			}
			// Signed in, the sign-in page sends the browser on.
			if r := c.get("/auth/sign-in").want(http.StatusSeeOther); r.location() != "/" {
				t.Errorf("sign-in page when signed in redirects to %q", r.location())
			}
		})
		t.Run("FormUnsafeRedirect", func(t *testing.T) {
			t.Parallel()
			c := flNew(t, env)
			r := c.postForm("/auth/sign-in", url.Values{"email": {"sig@example.com"}, "password": {pw}, "redirect_url": {"//evil.example/x"}}).want(http.StatusSeeOther)
			if r.location() != "/" {
				t.Fatalf("sign-in redirects to %q, want /", r.location())
			}
		})
	})
}

func TestFlowSignIn_WrongPasswordLikeUnknownEmail(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		env.CreateUser(t, "known@example.com", authtest.Password())

		wrong := flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "known@example.com", "password": "not-the-password-at-all"})
		unknown := flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "nobody@example.com", "password": "not-the-password-at-all"})
		wrong.wantError(http.StatusUnauthorized, "invalid_credentials")
		unknown.wantError(http.StatusUnauthorized, "invalid_credentials")
		if !bytes.Equal(wrong.body, unknown.body) {
			t.Errorf("bodies differ:\nknown:   %s\nunknown: %s", wrong.body, unknown.body)
		}
		if len(wrong.cookies) != 0 || len(unknown.cookies) != 0 {
			t.Errorf("failed sign-ins set cookies: %v / %v", wrong.cookies, unknown.cookies)
		}

		fw := flNew(t, env).postForm("/auth/sign-in", url.Values{"email": {"known@example.com"}, "password": {"not-the-password-at-all"}})
		fu := flNew(t, env).postForm("/auth/sign-in", url.Values{"email": {"nobody@example.com"}, "password": {"not-the-password-at-all"}})
		fw.want(http.StatusUnauthorized).alert()
		fu.want(http.StatusUnauthorized)
		if strings.Replace(string(fw.body), "known@", "", -1) != strings.Replace(string(fu.body), "nobody@", "", -1) {
			t.Errorf("form pages differ beyond the echoed email")
		}
	})
}

func TestFlowSignOut(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		for _, mode := range []string{"json", "form"} {
			t.Run(mode, func(t *testing.T) {
				t.Parallel()
				c := flNew(t, env)
				env.SignIn(t, c.hc, mode+"-out@example.com")
				old := c.sessionCookie()
				var me flMe
				c.get("/auth/api/me").want(http.StatusOK).decode(&me)

				if mode == "json" {
					var st struct{ Status string }
					c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK).decode(&st)
					if st.Status != "signed_out" {
						t.Errorf("status = %q", st.Status)
					}
				} else {
					r := c.postForm("/auth/sign-out", url.Values{}).want(http.StatusSeeOther)
					if r.location() != "/" {
						t.Errorf("sign-out redirects to %q", r.location())
					}
				}
				c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
				// The old cookie, replayed, is dead on the server.
				c.withCookie(old).get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
				s, err := env.Auth.Store().Session(context.Background(), me.Session.ID)
				if err != nil || s.EndedAt == nil {
					t.Errorf("session after sign-out: %+v, %v; want ended", s, err)
				}
			})
		}
	})
}

func TestFlowSignOut_GETOnlyShowsPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		c := flNew(t, env)
		env.SignIn(t, c.hc, "stay@example.com")
		c.get("/auth/sign-out").want(http.StatusOK).contains(`method="post" action="/auth/sign-out"`)
		c.get("/auth/api/me").want(http.StatusOK)
		// Other methods than POST do not sign out either.
		c.do(http.MethodHead, "/auth/sign-out", "", nil)
		c.get("/auth/api/sign-out").want(http.StatusNotFound)
		c.get("/auth/api/me").want(http.StatusOK)
	})
}

// ---------------------------------------------------------------------------
// Forgot and reset password

func TestFlowPasswordReset_Form(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		oldPW, newPW := authtest.Password(), authtest.Password()
		env.CreateUser(t, "rita@example.com", oldPW)
		other := flNew(t, env)
		env.SignInWithPassword(t, other.hc, "rita@example.com", oldPW)

		c := flNew(t, env)
		c.get("/auth/forgot").want(http.StatusOK)
		sent := c.postForm("/auth/forgot", url.Values{"email": {"rita@example.com"}}).want(http.StatusOK).notContains(`action="/auth/forgot"`)
		if unknown := flNew(t, env).postForm("/auth/forgot", url.Values{"email": {"nobody@example.com"}}).want(http.StatusOK); !bytes.Equal(unknown.body, sent.body) {
			t.Error("forgot answers a known and an unknown address differently")
		}
		// Asking for a link changes nothing (SECURITY.md T13).
		flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "rita@example.com", "password": oldPW}).want(http.StatusOK)

		link := flResetLink(t, env, "rita@example.com")
		r := c.get(strings.TrimPrefix(link, env.URL)).want(http.StatusSeeOther)
		if r.location() != "/auth/reset" {
			t.Fatalf("GET reset link redirects to %q, want /auth/reset without the token", r.location())
		}
		c.get("/auth/reset").want(http.StatusOK).contains(`action="/auth/reset"`, `name="password"`)

		// A password the policy refuses names the field and keeps the form.
		c.postForm("/auth/reset", url.Values{"password": {"short"}}).want(http.StatusUnprocessableEntity).fieldError("password")

		r = c.postForm("/auth/reset", url.Values{"password": {newPW}}).want(http.StatusSeeOther)
		if r.location() != "/auth/sign-in" {
			t.Fatalf("reset redirects to %q", r.location())
		}
		c.get("/auth/sign-in").want(http.StatusOK).notice()
		c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
		other.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")

		flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "rita@example.com", "password": oldPW}).wantError(http.StatusUnauthorized, "invalid_credentials")
		flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": "rita@example.com", "password": newPW}).want(http.StatusOK)
		if m := flWaitMail(t, env, "rita@example.com"); !strings.Contains(m.Subject, "password was changed") {
			t.Errorf("mail after reset: %q", m.Subject)
		}

		// The link is spent.
		c2 := flNew(t, env)
		c2.get(strings.TrimPrefix(link, env.URL)).want(http.StatusSeeOther)
		c2.get("/auth/reset").want(http.StatusGone).alert().notContains(`name="password"`)
	})
}

func TestFlowPasswordReset_JSON(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		oldPW, newPW := authtest.Password(), authtest.Password()
		env.CreateUser(t, "jo@example.com", oldPW)

		c := flNew(t, env)
		var st struct{ Status, Message string }
		c.postJSON("/auth/api/password/forgot", map[string]string{"email": "jo@example.com"}).want(http.StatusAccepted).decode(&st)
		if st.Status != "sent_if_exists" {
			t.Fatalf("forgot answered %+v", st)
		}
		// Unknown address: the same answer, and no mail.
		unknown := c.postJSON("/auth/api/password/forgot", map[string]string{"email": "nobody@example.com"}).want(http.StatusAccepted)
		known := c.postJSON("/auth/api/password/forgot", map[string]string{"email": "jo@example.com"}).want(http.StatusAccepted)
		if !bytes.Equal(unknown.body, known.body) {
			t.Errorf("forgot answers differ: %s / %s", known.body, unknown.body)
		}

		token := flResetToken(t, flResetLink(t, env, "jo@example.com"))
		c.postJSON("/auth/api/password/reset", map[string]string{"token": token, "password": "short"}).
			wantError(http.StatusUnprocessableEntity, "password_too_short").wantField("password")
		c.postJSON("/auth/api/password/reset", map[string]string{"token": token, "password": newPW}).want(http.StatusOK).decode(&st)
		if st.Status != "password_reset" {
			t.Fatalf("reset answered %+v", st)
		}
		c.postJSON("/auth/api/sign-in", map[string]string{"email": "jo@example.com", "password": oldPW}).wantError(http.StatusUnauthorized, "invalid_credentials")
		c.postJSON("/auth/api/sign-in", map[string]string{"email": "jo@example.com", "password": newPW}).want(http.StatusOK)
		for _, m := range flMailTo(env, "nobody@example.com") {
			t.Errorf("mail sent to an unknown address: %q", m.Subject)
		}
	})
}

func TestFlowPasswordReset_TokenErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		cases := []struct {
			name   string
			setup  func(t *testing.T, token string) string // returns the token to use
			status int
			code   string
		}{
			{"Forged", func(t *testing.T, token string) string {
				return "AAAA" + token[4:]
			}, http.StatusBadRequest, "token_invalid"},
			{"Used", func(t *testing.T, token string) string {
				flNew(t, env).postJSON("/auth/api/password/reset", map[string]string{"token": token, "password": authtest.Password()}).want(http.StatusOK)
				return token
			}, http.StatusGone, "token_used"},
			{"Expired", func(t *testing.T, token string) string {
				env.Clock.Advance(30*time.Minute + time.Second)
				return token
			}, http.StatusGone, "token_expired"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// Not parallel: Expired moves the shared clock.
				email := strings.ToLower(tc.name) + "@example.com"
				pw := authtest.Password()
				env.CreateUser(t, email, pw)
				flNew(t, env).postJSON("/auth/api/password/forgot", map[string]string{"email": email}).want(http.StatusAccepted)
				token := tc.setup(t, flResetToken(t, flResetLink(t, env, email)))

				flNew(t, env).postJSON("/auth/api/password/reset", map[string]string{"token": token, "password": authtest.Password()}).
					wantError(tc.status, tc.code)
				c := flNew(t, env)
				c.get("/auth/reset?token=" + url.QueryEscape(token)).want(http.StatusSeeOther)
				c.get("/auth/reset").want(tc.status).alert().notContains(`name="password"`)
				c.postForm("/auth/reset", url.Values{"password": {authtest.Password()}}).want(tc.status).alert()
				if tc.name != "Used" {
					// Nothing changed: the old password still works.
					flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": email, "password": pw}).want(http.StatusOK)
				}
			})
		}
		t.Run("NoToken", func(t *testing.T) {
			c := flNew(t, env)
			c.get("/auth/reset").want(http.StatusBadRequest).alert()
			c.postForm("/auth/reset", url.Values{"password": {authtest.Password()}}).want(http.StatusBadRequest)
			c.postJSON("/auth/api/password/reset", map[string]string{"token": "", "password": authtest.Password()}).wantError(http.StatusBadRequest, "token_invalid")
			c.postJSON("/auth/api/password/reset", map[string]string{"token": strings.Repeat("x", 500), "password": authtest.Password()}).wantError(http.StatusBadRequest, "token_invalid")
		})
	})
}

// ---------------------------------------------------------------------------
// Change password

func TestFlowChangePassword(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		for _, mode := range []string{"json", "form"} {
			t.Run(mode, func(t *testing.T) {
				t.Parallel()
				email := mode + "-cp@example.com"
				oldPW, newPW := authtest.Password(), authtest.Password()
				env.CreateUser(t, email, oldPW)
				c, other := flNew(t, env), flNew(t, env)
				env.SignInWithPassword(t, c.hc, email, oldPW)
				env.SignInWithPassword(t, other.hc, email, oldPW)

				change := func(current, next string) *flResp {
					if mode == "json" {
						return c.postJSON("/auth/api/password/change", map[string]string{"current_password": current, "new_password": next})
					}
					return c.postForm("/auth/profile/password", url.Values{"current_password": {current}, "new_password": {next}})
				}
				failed := func(r *flResp, code, field string) {
					t.Helper()
					if mode == "json" {
						r.wantError(http.StatusUnprocessableEntity, code).wantField(field)
					} else {
						r.want(http.StatusUnprocessableEntity).fieldError(field)
					}
				}
				failed(change("", newPW), "password_required", "current_password")
				failed(change("wrong-password-here", newPW), "incorrect_password", "current_password")
				failed(change(oldPW, "short"), "password_too_short", "new_password")
				failed(change(oldPW, "password12345678"), "password_common", "new_password")
				failed(change(oldPW, email), "password_contains_personal_info", "new_password")
				other.get("/auth/api/me").want(http.StatusOK) // nothing happened yet

				r := change(oldPW, newPW)
				if mode == "json" {
					var st struct{ Status string }
					r.want(http.StatusOK).decode(&st)
					if st.Status != "password_changed" {
						t.Errorf("status = %q", st.Status)
					}
				} else {
					if r.want(http.StatusSeeOther).location() != "/auth/profile?tab=security" {
						t.Errorf("redirect to %q", r.location())
					}
					c.get("/auth/profile?tab=security").want(http.StatusOK).notice()
				}
				c.get("/auth/api/me").want(http.StatusOK)
				other.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")

				m := flWaitMail(t, env, email)
				if !strings.Contains(m.Subject, "password was changed") {
					t.Errorf("mail: %q", m.Subject)
				}
				flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": email, "password": oldPW}).wantError(http.StatusUnauthorized, "invalid_credentials")
				flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": email, "password": newPW}).want(http.StatusOK)
			})
		}
	})
}

// ---------------------------------------------------------------------------
// Sessions

func TestFlowSessions_ListAndRevoke(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		pw := authtest.Password()
		env.CreateUser(t, "dev@example.com", pw)
		laptop, phone := flNew(t, env), flNew(t, env)
		laptop.userAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
		phone.userAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"
		laptopMe := laptop.signIn("dev@example.com", pw)
		phoneMe := phone.signIn("dev@example.com", pw)

		var list flSessions
		laptop.get("/auth/api/sessions").want(http.StatusOK).decode(&list)
		if len(list.Sessions) != 2 {
			t.Fatalf("sessions = %+v, want 2", list.Sessions)
		}
		byID := map[string]flSession{}
		for _, s := range list.Sessions {
			byID[s.ID] = s
		}
		if s := byID[laptopMe.Session.ID]; !s.Current || s.Device != "Chrome on macOS" || s.IP != "127.0.0.1" {
			t.Errorf("laptop session = %+v, want current Chrome on macOS", s)
		}
		if s := byID[phoneMe.Session.ID]; s.Current || s.Device != "Safari on iOS" {
			t.Errorf("phone session = %+v, want not current, Safari on iOS", s)
		}

		var st struct{ Status string }
		laptop.do(http.MethodDelete, "/auth/api/sessions/"+phoneMe.Session.ID, "", nil).want(http.StatusOK).decode(&st)
		if st.Status != "revoked" {
			t.Errorf("status = %q", st.Status)
		}
		phone.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
		laptop.get("/auth/api/me").want(http.StatusOK)
		laptop.get("/auth/api/sessions").want(http.StatusOK).decode(&list)
		if len(list.Sessions) != 1 || list.Sessions[0].ID != laptopMe.Session.ID {
			t.Errorf("sessions after revoke = %+v", list.Sessions)
		}
		// Revoking it again, or an unknown id, is 404.
		laptop.do(http.MethodDelete, "/auth/api/sessions/"+phoneMe.Session.ID, "", nil).wantError(http.StatusNotFound, "session_not_found")
		laptop.do(http.MethodDelete, "/auth/api/sessions/sess_nope", "", nil).wantError(http.StatusNotFound, "session_not_found")
	})
}

func TestFlowSessions_OtherUsersSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		mallory, victim := flNew(t, env), flNew(t, env)
		env.SignIn(t, mallory.hc, "mallory@example.com")
		env.SignIn(t, victim.hc, "victim@example.com")
		var vm flMe
		victim.get("/auth/api/me").want(http.StatusOK).decode(&vm)

		unknown := mallory.do(http.MethodDelete, "/auth/api/sessions/sess_doesnotexist", "", nil).wantError(http.StatusNotFound, "session_not_found")
		theirs := mallory.do(http.MethodDelete, "/auth/api/sessions/"+vm.Session.ID, "", nil).wantError(http.StatusNotFound, "session_not_found")
		if !bytes.Equal(unknown.body, theirs.body) {
			t.Errorf("another user's session id is answered differently from an unknown one:\n%s\n%s", theirs.body, unknown.body)
		}
		mallory.postForm("/auth/profile/sessions/revoke", url.Values{"session_id": {vm.Session.ID}}).want(http.StatusNotFound)
		victim.get("/auth/api/me").want(http.StatusOK)
		// Nor can a switch adopt it.
		mallory.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": vm.Session.ID}).wantError(http.StatusNotFound, "session_not_found")
		var mm flMe
		mallory.get("/auth/api/me").want(http.StatusOK).decode(&mm)
		if mm.User.Email != "mallory@example.com" {
			t.Errorf("mallory is now %s", mm.User.Email)
		}
	})
}

func TestFlowSessions_RevokeOthers(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		pw := authtest.Password()
		env.CreateUser(t, "many@example.com", pw)
		clients := []*flClient{flNew(t, env), flNew(t, env), flNew(t, env)}
		for _, c := range clients {
			c.signIn("many@example.com", pw)
		}
		var res struct {
			Status string
			Ended  int
		}
		clients[0].postJSON("/auth/api/sessions/revoke-others", nil).want(http.StatusOK).decode(&res)
		if res.Status != "revoked" || res.Ended != 2 {
			t.Errorf("revoke-others = %+v, want 2 ended", res)
		}
		clients[0].get("/auth/api/me").want(http.StatusOK)
		for _, c := range clients[1:] {
			c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
		}
	})
}

func TestFlowProfilePage_Devices(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		pw := authtest.Password()
		env.CreateUser(t, "pat@example.com", pw)
		c, phone, tablet := flNew(t, env), flNew(t, env), flNew(t, env)
		c.userAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
		phone.userAgent = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
		c.signIn("pat@example.com", pw)
		pm := phone.signIn("pat@example.com", pw)
		tablet.signIn("pat@example.com", pw)

		page := c.get("/auth/profile?tab=devices").want(http.StatusOK)
		page.contains("pat@example.com", "Firefox on Linux", "This device", "Chrome on Android",
			`name="session_id" value="`+pm.Session.ID+`"`, `action="/auth/profile/sessions/revoke-others"`)
		if n := strings.Count(string(page.body), `action="/auth/profile/sessions/revoke"`); n != 2 {
			t.Errorf("%d revoke buttons, want 2 (not for this device)", n)
		}

		// Revoke one device from the page.
		r := c.postForm("/auth/profile/sessions/revoke", url.Values{"session_id": {pm.Session.ID}}).want(http.StatusSeeOther)
		if r.location() != "/auth/profile?tab=devices" {
			t.Errorf("redirect to %q", r.location())
		}
		phone.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
		c.get("/auth/profile?tab=devices").want(http.StatusOK).notice().notContains(pm.Session.ID)
		// An id that is not there re-renders the page with the error.
		c.postForm("/auth/profile/sessions/revoke", url.Values{"session_id": {pm.Session.ID}}).want(http.StatusNotFound).alert()

		// Sign out every other device.
		c.postForm("/auth/profile/sessions/revoke-others", url.Values{}).want(http.StatusSeeOther)
		tablet.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
		c.get("/auth/profile?tab=devices").want(http.StatusOK).notice()

		// Change the name.
		c.postForm("/auth/profile/name", url.Values{"name": {"Pat Doe"}}).want(http.StatusSeeOther)
		c.get("/auth/profile").want(http.StatusOK).notice().contains(`value="Pat Doe"`)
		c.postForm("/auth/profile/name", url.Values{"name": {strings.Repeat("n", 101)}}).want(http.StatusUnprocessableEntity).fieldError("name")
		var me flMe
		c.get("/auth/api/me").want(http.StatusOK).decode(&me)
		if me.User.Name != "Pat Doe" {
			t.Errorf("name = %q", me.User.Name)
		}
	})
}

// ---------------------------------------------------------------------------
// The user: update and delete

func TestFlowMe_Update(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		c := flNew(t, env)
		env.SignIn(t, c.hc, "meta@example.com")

		var got struct{ User flUser }
		c.patchJSON("/auth/api/me", `{"name":"  Meta Person ","unsafe_metadata":{"theme":"dark","n":3}}`).want(http.StatusOK).decode(&got)
		if got.User.Name != "Meta Person" || flCompactJSON(got.User.UnsafeMetadata) != `{"n":3,"theme":"dark"}` {
			t.Fatalf("PATCH answered %+v (%s)", got.User, got.User.UnsafeMetadata)
		}
		var me flMe
		c.get("/auth/api/me").want(http.StatusOK).decode(&me)
		if me.User.Name != "Meta Person" || flCompactJSON(me.User.UnsafeMetadata) != `{"n":3,"theme":"dark"}` {
			t.Fatalf("/api/me after PATCH: %+v (%s)", me.User, me.User.UnsafeMetadata)
		}
		// Only the fields sent change.
		c.patchJSON("/auth/api/me", `{"name":"Other"}`).want(http.StatusOK).decode(&got)
		if got.User.Name != "Other" || flCompactJSON(got.User.UnsafeMetadata) != `{"n":3,"theme":"dark"}` {
			t.Fatalf("PATCH name only: %+v (%s)", got.User, got.User.UnsafeMetadata)
		}

		bad := []struct {
			name, body string
			status     int
			code       string
		}{
			{"MetadataString", `{"unsafe_metadata":"x"}`, 422, "invalid_metadata"},
			{"MetadataArray", `{"unsafe_metadata":[1,2]}`, 422, "invalid_metadata"},
			{"MetadataNull", `{"unsafe_metadata":null}`, 422, "invalid_metadata"},
			{"MetadataNumber", `{"unsafe_metadata":1}`, 422, "invalid_metadata"},
			{"MetadataTooLarge", `{"unsafe_metadata":{"k":"` + strings.Repeat("x", 9000) + `"}}`, 422, "metadata_too_large"},
			{"NameTooLong", `{"name":"` + strings.Repeat("n", 101) + `"}`, 422, "invalid_name"},
			{"NameControl", `{"name":"a\u0000b"}`, 422, "invalid_name"},
			{"NameWrongType", `{"name":5}`, 400, "invalid_request"},
			{"PublicMetadata", `{"public_metadata":{"role":"admin"}}`, 400, "unknown_field"},
			{"PrivateMetadata", `{"private_metadata":{"x":1}}`, 400, "unknown_field"},
			{"Email", `{"email":"new@example.com"}`, 400, "unknown_field"},
		}
		for _, b := range bad {
			t.Run(b.name, func(t *testing.T) {
				c.as(t).patchJSON("/auth/api/me", b.body).wantError(b.status, b.code)
			})
		}
		c.get("/auth/api/me").want(http.StatusOK).decode(&me)
		if me.User.Name != "Other" || flCompactJSON(me.User.UnsafeMetadata) != `{"n":3,"theme":"dark"}` || flCompactJSON(me.User.PublicMetadata) != `{}` {
			t.Fatalf("refused PATCHes changed the user: %+v", me.User)
		}
	})
}

func TestFlowMe_Delete(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		for _, mode := range []string{"json", "form"} {
			t.Run(mode, func(t *testing.T) {
				t.Parallel()
				email := mode + "-del@example.com"
				pw := authtest.Password()
				u := env.CreateUser(t, email, pw)
				c, other := flNew(t, env), flNew(t, env)
				env.SignInWithPassword(t, c.hc, email, pw)
				env.SignInWithPassword(t, other.hc, email, pw)
				old := c.sessionCookie()

				env.Clock.Advance(auth.DefaultReverificationAge + time.Second) // past the sign-in's proof
				if mode == "json" {
					c.deleteJSON("/auth/api/me", map[string]string{"password": "wrong-password-here"}).
						wantError(http.StatusUnprocessableEntity, "incorrect_password").wantField("password")
					c.deleteJSON("/auth/api/me", map[string]string{}).wantError(http.StatusUnprocessableEntity, "password_required")
					c.get("/auth/api/me").want(http.StatusOK)
					var st struct{ Status string }
					c.deleteJSON("/auth/api/me", map[string]string{"password": pw}).want(http.StatusOK).decode(&st)
					if st.Status != "deleted" {
						t.Errorf("status = %q", st.Status)
					}
				} else {
					c.postForm("/auth/profile/delete", url.Values{"password": {pw}, "confirm": {"delete"}}).
						want(http.StatusUnprocessableEntity).fieldError("confirm")
					c.postForm("/auth/profile/delete", url.Values{"password": {"wrong-password-here"}, "confirm": {"DELETE"}}).
						want(http.StatusUnprocessableEntity).fieldError("delete_password")
					c.get("/auth/api/me").want(http.StatusOK)
					r := c.postForm("/auth/profile/delete", url.Values{"password": {pw}, "confirm": {"DELETE"}}).want(http.StatusSeeOther)
					if r.location() != "/" {
						t.Errorf("redirect to %q", r.location())
					}
				}
				if _, err := env.Auth.GetUser(context.Background(), u.ID); err == nil {
					t.Fatal("the user still exists")
				}
				c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
				c.withCookie(old).get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
				other.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
				m := flWaitMail(t, env, email)
				if !strings.Contains(m.Subject, "account was deleted") {
					t.Errorf("mail: %q", m.Subject)
				}
				flNew(t, env).postJSON("/auth/api/sign-in", map[string]string{"email": email, "password": pw}).wantError(http.StatusUnauthorized, "invalid_credentials")
			})
		}
	})
}

// ---------------------------------------------------------------------------
// Signed out

func TestFlowProfile_RequiresSignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		c := flNew(t, env)
		r := c.get("/auth/profile").want(http.StatusSeeOther)
		if r.location() != "/auth/sign-in?redirect_url=%2Fauth%2Fprofile" {
			t.Fatalf("redirect to %q", r.location())
		}
		// An API client asking for the page gets the JSON answer.
		c.do(http.MethodGet, "/auth/profile", "", nil, "Accept", "application/json").wantError(http.StatusUnauthorized, "unauthenticated")
		for _, path := range []string{"/auth/profile/name", "/auth/profile/password", "/auth/profile/sessions/revoke",
			"/auth/profile/sessions/revoke-others", "/auth/profile/delete"} {
			c.postForm(path, url.Values{"name": {"x"}}).wantError(http.StatusUnauthorized, "unauthenticated")
		}
		// After signing in, the redirect_url brings the browser back.
		pw := authtest.Password()
		env.CreateUser(t, "back@example.com", pw)
		r = c.postForm("/auth/sign-in", url.Values{"email": {"back@example.com"}, "password": {pw}, "redirect_url": {"/auth/profile"}}).want(http.StatusSeeOther)
		if r.location() != "/auth/profile" {
			t.Fatalf("after sign-in: %q", r.location())
		}
		c.get("/auth/profile").want(http.StatusOK)
	})
}

func TestFlowAPI_RequiresSignIn(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		c := flNew(t, env)
		for _, rt := range []struct{ method, path, body string }{
			{"GET", "/auth/api/me", ""},
			{"PATCH", "/auth/api/me", `{"name":"x"}`},
			{"DELETE", "/auth/api/me", `{"password":"x"}`},
			{"GET", "/auth/api/sessions", ""},
			{"DELETE", "/auth/api/sessions/sess_x", ""},
			{"POST", "/auth/api/sessions/revoke-others", ""},
			{"POST", "/auth/api/password/change", `{"current_password":"a","new_password":"b"}`},
		} {
			var body io.Reader
			if rt.body != "" {
				body = strings.NewReader(rt.body)
			}
			r := c.do(rt.method, rt.path, "application/json", body).wantError(http.StatusUnauthorized, "unauthenticated")
			var raw map[string]map[string]any
			r.decode(&raw)
			if raw["error"]["message"] == "" || len(raw) != 1 {
				t.Errorf("%s %s: body %s", rt.method, rt.path, r.body)
			}
		}
		// A switch with nothing to switch to is a 404, not a 401.
		c.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": "sess_x"}).wantError(http.StatusNotFound, "session_not_found")
		// Signing out while signed out is fine.
		c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
	})
}

// ---------------------------------------------------------------------------
// Multi-session mode

func TestFlowMultiSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t, func(c *auth.Config) { c.SessionMode = auth.SessionMulti })
		pwA, pwB := authtest.Password(), authtest.Password()
		env.CreateUser(t, "a@example.com", pwA)
		env.CreateUser(t, "b@example.com", pwB)
		c := flNew(t, env)
		a := c.signIn("a@example.com", pwA)
		b := c.signIn("b@example.com", pwB)

		ctx := context.Background()
		for _, id := range []string{a.Session.ID, b.Session.ID} {
			if s, err := env.Auth.Store().Session(ctx, id); err != nil || s.EndedAt != nil {
				t.Fatalf("session %s: %+v, %v; want live", id, s, err)
			}
		}
		if got := c.me(); got.User.Email != "b@example.com" {
			t.Fatalf("active user = %s, want b", got.User.Email)
		}
		// The profile lists both accounts in this browser, with a switch to A.
		c.get("/auth/profile").want(http.StatusOK).contains("a@example.com", "b@example.com",
			`action="/auth/sessions/switch"`, `name="session_id" value="`+a.Session.ID+`"`)

		var st struct{ Status string }
		c.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": a.Session.ID}).want(http.StatusOK).decode(&st)
		if st.Status != "switched" {
			t.Errorf("switch status = %q", st.Status)
		}
		if got := c.me(); got.User.Email != "a@example.com" || got.Session.ID != a.Session.ID {
			t.Fatalf("after switch: %s, want a", got.User.Email)
		}
		// The form switches back.
		r := c.postForm("/auth/sessions/switch", url.Values{"session_id": {b.Session.ID}, "redirect_url": {"/app"}}).want(http.StatusSeeOther)
		if r.location() != "/app" {
			t.Errorf("switch form redirects to %q", r.location())
		}
		if got := c.me(); got.User.Email != "b@example.com" {
			t.Fatalf("after form switch: %s", got.User.Email)
		}
		c.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": a.Session.ID}).want(http.StatusOK)

		// Signing out of A leaves B signed in and active.
		c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
		if s, _ := env.Auth.Store().Session(ctx, a.Session.ID); s.EndedAt == nil {
			t.Error("A's session did not end")
		}
		if got := c.me(); got.User.Email != "b@example.com" || got.Session.ID != b.Session.ID {
			t.Fatalf("after signing out of A: %s, want b", got.User.Email)
		}
		c.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": a.Session.ID}).wantError(http.StatusNotFound, "session_not_found")
		// Signing out of B too leaves no one.
		c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
		c.get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
		if s, _ := env.Auth.Store().Session(ctx, b.Session.ID); s.EndedAt == nil {
			t.Error("B's session did not end")
		}
	})
}

// Deleting the active account of a multi-session browser signs it out of
// that account only, as signing out does: the others stay usable, not
// orphaned (live on the server but unreachable from the browser).
func TestFlowMultiSession_DeleteKeepsOtherAccounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t, func(c *auth.Config) { c.SessionMode = auth.SessionMulti })
		pwA, pwB := authtest.Password(), authtest.Password()
		env.CreateUser(t, "da@example.com", pwA)
		env.CreateUser(t, "db@example.com", pwB)
		for _, mode := range []string{"json", "form"} {
			t.Run(mode, func(t *testing.T) {
				c := flNew(t, env)
				b := c.signIn("db@example.com", pwB)
				if mode == "json" {
					c.signIn("da@example.com", pwA)
					c.deleteJSON("/auth/api/me", map[string]string{"password": pwA}).want(http.StatusOK)
				} else {
					env.CreateUser(t, "dc@example.com", pwA)
					c.signIn("dc@example.com", pwA)
					c.postForm("/auth/profile/delete", url.Values{"password": {pwA}, "confirm": {"DELETE"}}).want(http.StatusSeeOther)
				}
				if got := c.me(); got.User.Email != "db@example.com" || got.Session.ID != b.Session.ID {
					t.Fatalf("after deleting the active account: %s, want db", got.User.Email)
				}
				c.postJSON("/auth/api/sign-out", nil).want(http.StatusOK)
			})
		}
	})
}

func TestFlowSingleSession_SignInAgainEndsPrevious(t *testing.T) {
	forEachEngine(t, func(t *testing.T) {
		t.Parallel()
		env := engineEnv(t)
		pwA, pwB := authtest.Password(), authtest.Password()
		env.CreateUser(t, "sa@example.com", pwA)
		env.CreateUser(t, "sb@example.com", pwB)
		c := flNew(t, env)
		a := c.signIn("sa@example.com", pwA)
		oldA := c.sessionCookie()
		b := c.signIn("sb@example.com", pwB)
		if got := c.me(); got.User.Email != "sb@example.com" {
			t.Fatalf("active user = %s", got.User.Email)
		}
		if s, _ := env.Auth.Store().Session(context.Background(), a.Session.ID); s.EndedAt == nil {
			t.Error("A's session is still live after B signed in on the same browser")
		}
		c.withCookie(oldA).get("/auth/api/me").wantError(http.StatusUnauthorized, "unauthenticated")
		c.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": a.Session.ID}).wantError(http.StatusNotFound, "session_not_found")
		c.postJSON("/auth/api/sessions/switch", map[string]string{"session_id": b.Session.ID}).wantError(http.StatusNotFound, "session_not_found")
	})
}

// ===========================================================================
// Helpers shared by flows_test.go, api_test.go and openapi_test.go.

// flUser and flSession mirror the JSON of core.User and core.Session.
type flUser struct {
	ID             string          `json:"id"`
	Email          string          `json:"email"`
	EmailVerified  bool            `json:"email_verified"`
	Name           string          `json:"name"`
	Banned         bool            `json:"banned"`
	HasPassword    bool            `json:"has_password"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	UnsafeMetadata json.RawMessage `json:"unsafe_metadata"`
}

type flSession struct {
	ID           string     `json:"id"`
	UserID       string     `json:"user_id"`
	AuthMethod   string     `json:"auth_method"`
	UserAgent    string     `json:"user_agent"`
	IP           string     `json:"ip"`
	CreatedAt    time.Time  `json:"created_at"`
	LastActiveAt time.Time  `json:"last_active_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	EndedAt      *time.Time `json:"ended_at"`
	Device       string     `json:"device"`
	Current      bool       `json:"current"`
}

type flMe struct {
	User    flUser    `json:"user"`
	Session flSession `json:"session"`
}

type flSessions struct {
	Sessions []flSession `json:"sessions"`
}

type flErrorBody struct {
	Code, Message, Field string
}

// flClient is one browser or API client of env, with its own cookie jar.
type flClient struct {
	t         testing.TB
	env       *authtest.Env
	hc        *http.Client
	userAgent string
	cookie    string // when set, sent instead of the jar's cookies
}

func flNew(t testing.TB, env *authtest.Env) *flClient {
	return &flClient{t: t, env: env, hc: env.Client()}
}

// withCookie returns a client without a jar that sends the session cookie
// value v, to replay an old cookie.
func (c *flClient) withCookie(v string) *flClient {
	hc := *c.hc
	hc.Jar = nil
	return &flClient{t: c.t, env: c.env, hc: &hc, userAgent: c.userAgent, cookie: v}
}

// as returns c reporting to t, for use inside a subtest.
func (c *flClient) as(t testing.TB) *flClient {
	cc := *c
	cc.t = t
	return &cc
}

// sessionCookie returns the value of the session cookie in the jar.
func (c *flClient) sessionCookie() string {
	c.t.Helper()
	u, _ := url.Parse(c.env.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == "embedauth_session" {
			return ck.Value
		}
	}
	c.t.Fatal("no session cookie in the jar")
	return ""
}

// do sends a request to env.URL+path; hdr holds header name/value pairs.
func (c *flClient) do(method, path, contentType string, body io.Reader, hdr ...string) *flResp {
	c.t.Helper()
	req, err := http.NewRequest(method, c.env.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", "embedauth_session="+c.cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &flResp{t: c.t, what: method + " " + path, status: resp.StatusCode, header: resp.Header, body: b, cookies: resp.Cookies()}
}

func (c *flClient) get(path string) *flResp {
	c.t.Helper()
	return c.do(http.MethodGet, path, "", nil)
}

// sendJSON sends body as JSON: a string or []byte as is, nil as no body,
// anything else marshalled.
func (c *flClient) sendJSON(method, path string, body any) *flResp {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	return c.do(method, path, "application/json", r)
}

func (c *flClient) postJSON(path string, body any) *flResp {
	c.t.Helper()
	return c.sendJSON(http.MethodPost, path, body)
}

func (c *flClient) patchJSON(path string, body any) *flResp {
	c.t.Helper()
	return c.sendJSON(http.MethodPatch, path, body)
}

func (c *flClient) deleteJSON(path string, body any) *flResp {
	c.t.Helper()
	return c.sendJSON(http.MethodDelete, path, body)
}

func (c *flClient) postForm(path string, v url.Values) *flResp {
	c.t.Helper()
	return c.do(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
}

// signIn signs in through the JSON API and returns the answer.
func (c *flClient) signIn(email, pw string) flMe {
	c.t.Helper()
	var me flMe
	c.postJSON("/auth/api/sign-in", map[string]string{"email": email, "password": pw}).want(http.StatusOK).decode(&me)
	return me
}

// me returns GET /auth/api/me, which must succeed.
func (c *flClient) me() flMe {
	c.t.Helper()
	var me flMe
	c.get("/auth/api/me").want(http.StatusOK).decode(&me)
	return me
}

// flResp is a response read whole.
type flResp struct {
	t       testing.TB
	what    string
	status  int
	header  http.Header
	body    []byte
	cookies []*http.Cookie
}

func (r *flResp) want(status int) *flResp {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%s: status %d, want %d; body: %.600s", r.what, r.status, status, r.body)
	}
	return r
}

// errorBody decodes the JSON error answer.
func (r *flResp) errorBody() flErrorBody {
	r.t.Helper()
	var b struct{ Error flErrorBody }
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || json.Unmarshal(r.body, &b) != nil {
		r.t.Fatalf("%s: not a JSON error (Content-Type %q): %.600s", r.what, r.header.Get("Content-Type"), r.body)
	}
	return b.Error
}

// wantError checks a JSON error answer's status and code.
func (r *flResp) wantError(status int, code string) *flResp {
	r.t.Helper()
	r.want(status)
	if e := r.errorBody(); e.Code != code || e.Message == "" {
		r.t.Fatalf("%s: error %+v, want code %q with a message", r.what, e, code)
	}
	return r
}

func (r *flResp) wantField(field string) *flResp {
	r.t.Helper()
	if f := r.errorBody().Field; f != field {
		r.t.Fatalf("%s: error field %q, want %q", r.what, f, field)
	}
	return r
}

func (r *flResp) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("%s: decode %.300s: %v", r.what, r.body, err)
	}
}

// text is the body with HTML entities decoded.
func (r *flResp) text() string { return html.UnescapeString(string(r.body)) }

func (r *flResp) contains(subs ...string) *flResp {
	r.t.Helper()
	text := r.text()
	for _, s := range subs {
		if !strings.Contains(text, s) {
			r.t.Fatalf("%s: body lacks %q:\n%.3000s", r.what, s, text)
		}
	}
	return r
}

func (r *flResp) notContains(subs ...string) *flResp {
	r.t.Helper()
	for _, s := range subs {
		if strings.Contains(r.text(), s) {
			r.t.Fatalf("%s: body has %q", r.what, s)
		}
	}
	return r
}

func (r *flResp) location() string { return r.header.Get("Location") }

// fieldError checks that a form page marks the input with id field as
// invalid and shows a message under it.
func (r *flResp) fieldError(field string) *flResp {
	r.t.Helper()
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(field) + `-error"[^>]*>([^<]+)<`)
	if m := re.FindSubmatch(r.body); m == nil || len(strings.TrimSpace(string(m[1]))) == 0 ||
		!regexp.MustCompile(`id="`+regexp.QuoteMeta(field)+`"[^>]*aria-invalid="true"`).Match(r.body) {
		r.t.Fatalf("%s: no error shown for field %q:\n%.3000s", r.what, field, r.body)
	}
	r.wantHTML()
	return r
}

// alert checks that a page shows an error message about the whole form.
func (r *flResp) alert() *flResp {
	r.t.Helper()
	if m := regexp.MustCompile(`role="alert"[^>]*>([^<]+)<`).FindSubmatch(r.body); m == nil || len(strings.TrimSpace(string(m[1]))) == 0 {
		r.t.Fatalf("%s: no error message shown:\n%.3000s", r.what, r.body)
	}
	r.wantHTML()
	return r
}

// notice checks that a page shows a one-time informational message.
func (r *flResp) notice() *flResp {
	r.t.Helper()
	if m := regexp.MustCompile(`role="status"[^>]*>([^<]+)<`).FindSubmatch(r.body); m == nil || len(strings.TrimSpace(string(m[1]))) == 0 {
		r.t.Fatalf("%s: no notice shown:\n%.3000s", r.what, r.body)
	}
	r.wantHTML()
	return r
}

func (r *flResp) wantHTML() {
	r.t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		r.t.Fatalf("%s: Content-Type %q, want a page", r.what, ct)
	}
}

// flStartSignUp starts a sign-up through the JSON API.
func flStartSignUp(c *flClient, email, pw string) {
	c.t.Helper()
	c.postJSON("/auth/api/sign-up", map[string]string{"email": email, "password": pw}).want(http.StatusAccepted)
}

// flWaitMail returns the next captured message to `to`.
func flWaitMail(t testing.TB, env *authtest.Env, to string) mail.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := env.Mail.Wait(ctx, to)
	if err != nil {
		t.Fatalf("no mail to %s: %v", to, err)
	}
	return m
}

// flMailTo returns every message captured so far for `to`, after letting
// the dispatcher deliver what is queued.
func flMailTo(env *authtest.Env, to string) []mail.Message {
	env.Auth.FlushMail(context.Background())
	var out []mail.Message
	for _, m := range env.Mail.Messages() {
		if strings.Contains(strings.ToLower(m.To), strings.ToLower(to)) {
			out = append(out, m)
		}
	}
	return out
}

var flCodePattern = regexp.MustCompile(`Your verification code is (\d{6})\.`)

// flVerificationCode waits for the next verification mail to `to` and
// returns its code, checking what the mail says.
func flVerificationCode(t testing.TB, env *authtest.Env, to string) string {
	t.Helper()
	m := flWaitMail(t, env, to)
	match := flCodePattern.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("mail to %s has no 6-digit code:\n%s", to, m.Text)
	}
	code := match[1]
	if !strings.Contains(m.Text, "expires in 10 minutes") {
		t.Errorf("verification mail does not say it expires in 10 minutes:\n%s", m.Text)
	}
	if !strings.Contains(m.Subject, code) || !strings.Contains(m.HTML, code) {
		t.Errorf("code %s missing from subject %q or HTML", code, m.Subject)
	}
	return code
}

// flOtherCode returns a 6-digit code different from code.
func flOtherCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// flResetLink waits for the reset mail to `to` and returns its link, which
// must be built on env.URL.
func flResetLink(t testing.TB, env *authtest.Env, to string) string {
	t.Helper()
	m := flWaitMail(t, env, to)
	link := regexp.MustCompile(regexp.QuoteMeta(env.URL) + `/auth/reset\?token=[A-Za-z0-9_-]+`).FindString(m.Text)
	if link == "" {
		t.Fatalf("reset mail has no link on %s:\n%s", env.URL, m.Text)
	}
	if !strings.Contains(m.Text, "expires in 30 minutes") {
		t.Errorf("reset mail does not say the link expires in 30 minutes:\n%s", m.Text)
	}
	return link
}

func flResetToken(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("bad reset link %q", link)
	}
	return u.Query().Get("token")
}

// flCompactJSON re-encodes JSON with sorted keys and no spaces.
func flCompactJSON(b json.RawMessage) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "invalid: " + string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

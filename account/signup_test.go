package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// signupMails renders the mail of sign-ups and keeps what it was given:
// the last code, and the owners of taken addresses.
type signupMails struct {
	code   string
	owners []core.User
	sent   int
}

func (m *signupMails) render(email, code string, owner *core.User) (*store.OutMail, error) {
	m.sent++
	m.code = code
	if owner != nil {
		m.owners = append(m.owners, *owner)
		return &store.OutMail{To: email, Template: "signup_existing_account"}, nil
	}
	return &store.OutMail{To: email, Template: "verify_email"}, nil
}

// wrong returns a well-formed code that is not code.
func wrong(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

const newPassword = "a long enough new password"

func newPasskey(credID ...byte) core.Passkey {
	return core.Passkey{CredentialID: credID, PublicKey: []byte("cose key"), AAGUID: make([]byte, 16), AttestationFormat: "none", Name: "Phone"}
}

func signupSession() core.Session {
	return core.Session{AuthMethod: "email_code", ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func TestSignup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("RightCode", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var m signupMails
		su, err := e.svc.StartSignup(ctx, " New@Example.com ", " Grace ", newPassword, m.render)
		if err != nil {
			t.Fatal(err)
		}
		if su.Email != "New@Example.com" || m.sent != 1 || len(m.code) != account.SignupCodeDigits || len(m.owners) != 0 {
			t.Fatalf("StartSignup = %+v; mails %+v", su, m)
		}
		if _, err := e.db.UserByEmail(ctx, "new@example.com"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("a user exists before the code was entered: %v", err)
		}
		u, sess, err := e.svc.CompleteSignup(ctx, su.ID, m.code[:3]+" "+m.code[3:], signupSession())
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "New@Example.com" || u.Name != "Grace" || !u.EmailVerified || sess.ID == "" || sess.UserID != u.ID {
			t.Fatalf("CompleteSignup = %+v, %+v", u, sess)
		}
		if _, err := e.svc.SignIn(ctx, "new@example.com", newPassword); err != nil {
			t.Fatalf("the sign-up's password: %v", err)
		}
		_, _, err = e.svc.CompleteSignup(ctx, su.ID, m.code, signupSession())
		wantCode(t, err, "signup_expired")
	})

	t.Run("BadInput", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var m signupMails
		_, err := e.svc.StartSignup(ctx, "not an email", "", newPassword, m.render)
		wantCode(t, err, "invalid_email")
		_, err = e.svc.StartSignup(ctx, "new@example.com", "", "short", m.render)
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Field != "password" {
			t.Errorf("a short password = %v, want a refusal of the password field", err)
		}
		if m.sent != 0 {
			t.Errorf("%d mails for refused sign-ups", m.sent)
		}
	})

	t.Run("WrongCode", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var m signupMails
		su, err := e.svc.StartSignup(ctx, "new@example.com", "", newPassword, m.render)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.CompleteSignup(ctx, su.ID, "12345", signupSession())
		if err == nil {
			t.Fatal("a malformed code was accepted")
		}
		for i := 1; i <= account.MaxSignupFailures; i++ {
			_, _, err := e.svc.CompleteSignup(ctx, su.ID, wrong(m.code), signupSession())
			wantCode(t, err, "incorrect_code")
			if p, _ := e.svc.PendingSignup(ctx, su.ID); p.Attempts != i {
				t.Fatalf("after %d wrong codes, %d counted", i, p.Attempts)
			}
		}
		// The sign-up is over: even the right code no longer works.
		_, _, err = e.svc.CompleteSignup(ctx, su.ID, m.code, signupSession())
		wantCode(t, err, "too_many_attempts")
		if _, err := e.db.UserByEmail(ctx, "new@example.com"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("a locked sign-up created its user: %v", err)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var m signupMails
		su, err := e.svc.StartSignup(ctx, "new@example.com", "", newPassword, m.render)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(10 * time.Minute) // VerificationCodeTTL
		_, _, err = e.svc.CompleteSignup(ctx, su.ID, m.code, signupSession())
		wantCode(t, err, "code_expired")
		// A new code has a lifetime of its own.
		if err := e.svc.ResendSignupCode(ctx, su.ID, m.render); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.CompleteSignup(ctx, su.ID, m.code, signupSession()); err != nil {
			t.Fatalf("the new code: %v", err)
		}
	})

	t.Run("Forgotten", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var m signupMails
		su, err := e.svc.StartSignup(ctx, "new@example.com", "", newPassword, m.render)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(account.SignupLifetime)
		_, err = e.svc.PendingSignup(ctx, su.ID)
		wantCode(t, err, "signup_expired")
		wantCode(t, e.svc.ResendSignupCode(ctx, su.ID, m.render), "signup_expired")
		_, _, err = e.svc.CompleteSignup(ctx, su.ID, m.code, signupSession())
		wantCode(t, err, "signup_expired")
	})

	t.Run("ResendCap", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var m signupMails
		su, err := e.svc.StartSignup(ctx, "new@example.com", "", newPassword, m.render)
		if err != nil {
			t.Fatal(err)
		}
		first := m.code
		for i := 1; i < account.MaxSignupSends; i++ {
			if err := e.svc.ResendSignupCode(ctx, su.ID, m.render); err != nil {
				t.Fatalf("resend %d: %v", i, err)
			}
		}
		last := m.code
		wantCode(t, e.svc.ResendSignupCode(ctx, su.ID, m.render), "too_many_codes")
		if first != last {
			// The first code stopped working when the next was sent.
			_, _, err := e.svc.CompleteSignup(ctx, su.ID, first, signupSession())
			wantCode(t, err, "incorrect_code")
		}
		if _, _, err := e.svc.CompleteSignup(ctx, su.ID, last, signupSession()); err != nil {
			t.Fatalf("the last code sent: %v", err)
		}
	})

	t.Run("ResendKeepsWrongCodes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var m signupMails
		su, err := e.svc.StartSignup(ctx, "new@example.com", "", newPassword, m.render)
		if err != nil {
			t.Fatal(err)
		}
		for range account.MaxSignupFailures - 1 {
			e.svc.CompleteSignup(ctx, su.ID, wrong(m.code), signupSession())
		}
		if err := e.svc.ResendSignupCode(ctx, su.ID, m.render); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.CompleteSignup(ctx, su.ID, wrong(m.code), signupSession())
		wantCode(t, err, "incorrect_code")
		_, _, err = e.svc.CompleteSignup(ctx, su.ID, m.code, signupSession())
		wantCode(t, err, "too_many_attempts")
	})

	t.Run("ExistingAddress", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var fresh, taken signupMails
		before := e.hasher.Count()
		if _, err := e.svc.StartSignup(ctx, "new@example.com", "", newPassword, fresh.render); err != nil {
			t.Fatal(err)
		}
		forNew := e.hasher.Count() - before
		before = e.hasher.Count()
		su, err := e.svc.StartSignup(ctx, "ADA@example.com", "Someone", newPassword, taken.render)
		if err != nil {
			t.Fatalf("a taken address is refused (%v): the answer tells it has an account", err)
		}
		if forTaken := e.hasher.Count() - before; forTaken != forNew {
			t.Errorf("a taken address costs %d hashes, a new one %d", forTaken, forNew)
		}
		if taken.sent != 1 || len(taken.owners) != 1 || taken.owners[0].ID != e.user.ID {
			t.Fatalf("the owner was not told: %+v", taken)
		}
		if len(fresh.owners) != 0 {
			t.Errorf("a new address was told it has an account: %+v", fresh.owners)
		}
		_, _, err = e.svc.CompleteSignup(ctx, su.ID, taken.code, signupSession())
		wantCode(t, err, "email_taken")
		if _, err := e.svc.SignIn(ctx, "ada@example.com", e.pw); err != nil {
			t.Errorf("the owner's password after a sign-up of their address: %v", err)
		}
	})
}

func TestPasskeySignup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	var m signupMails
	su, err := e.svc.StartPasskeySignup(ctx, "new@example.com", "Grace", []byte("handle"), m.render)
	if err != nil {
		t.Fatal(err)
	}
	// The password flow cannot complete it.
	if _, _, err := e.svc.CompleteSignup(ctx, su.ID, m.code, signupSession()); err == nil {
		t.Fatal("a passkey sign-up was completed without a passkey")
	}
	_, err = e.svc.VerifiedPasskeySignup(ctx, su.ID)
	wantCode(t, err, "email_not_verified")
	wantCode(t, e.svc.VerifyPasskeySignup(ctx, su.ID, wrong(m.code)), "incorrect_code")
	if err := e.svc.ResendPasskeySignupCode(ctx, su.ID, m.render); err != nil {
		t.Fatal(err)
	}
	if ps, _ := e.svc.PendingPasskeySignup(ctx, su.ID); ps.Attempts != 1 || ps.Sends != 2 {
		t.Errorf("after a resend: %d wrong codes, %d sent; want 1, 2", ps.Attempts, ps.Sends)
	}
	if err := e.svc.VerifyPasskeySignup(ctx, su.ID, m.code); err != nil {
		t.Fatal(err)
	}
	// A form sent twice goes on to the passkey too.
	if err := e.svc.VerifyPasskeySignup(ctx, su.ID, m.code); err != nil {
		t.Errorf("verified twice: %v", err)
	}
	wantCode(t, e.svc.ResendPasskeySignupCode(ctx, su.ID, m.render), "already_verified")
	ps, err := e.svc.VerifiedPasskeySignup(ctx, su.ID)
	if err != nil || ps.Email != "new@example.com" || string(ps.UserHandle) != "handle" {
		t.Fatalf("VerifiedPasskeySignup = %+v, %v", ps, err)
	}

	// The passkey completes it; a second sign-up of the address, or one
	// with the same passkey, cannot.
	registered := core.Refuse(core.ErrConflict, "passkey_exists", "This passkey is already registered.")
	pk := newPasskey(1, 2, 3)
	u, sess, err := e.svc.CompletePasskeySignup(ctx, su.ID, pk, signupSession(), registered)
	if err != nil || u.Email != "new@example.com" || !u.EmailVerified || sess.UserID != u.ID {
		t.Fatalf("CompletePasskeySignup = %+v, %+v, %v", u, sess, err)
	}
	_, _, err = e.svc.CompletePasskeySignup(ctx, su.ID, newPasskey(4), signupSession(), registered)
	wantCode(t, err, "signup_expired")
	verified := func(email string) string {
		su, err := e.svc.StartPasskeySignup(ctx, email, "", []byte(email), m.render)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.VerifyPasskeySignup(ctx, su.ID, m.code); err != nil {
			t.Fatal(err)
		}
		return su.ID
	}
	_, _, err = e.svc.CompletePasskeySignup(ctx, verified("another@example.com"), pk, signupSession(), registered)
	if err != registered {
		t.Errorf("the same passkey again = %v, want the passkey rules' refusal", err)
	}
	_, _, err = e.svc.CompletePasskeySignup(ctx, verified("NEW@example.com"), newPasskey(5), signupSession(), registered)
	wantCode(t, err, "email_taken")

	// A password sign-up is no passkey sign-up.
	pw, err := e.svc.StartSignup(ctx, "other@example.com", "", newPassword, m.render)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.PendingPasskeySignup(ctx, pw.ID)
	wantCode(t, err, "signup_expired")
	wantCode(t, e.svc.VerifyPasskeySignup(ctx, pw.ID, m.code), "signup_expired")
}

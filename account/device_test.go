package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
)

// deviceMails renders the messages of new-device sign-ins and keeps what
// it was given: the notices, and the last code.
type deviceMails struct {
	notices int
	codes   int
	code    string
	limits  []core.SendLimit
}

func (m *deviceMails) messages() account.DeviceMessages {
	return account.DeviceMessages{
		Notice: func(user core.User, method string) (*core.Outgoing, error) {
			m.notices++
			return &core.Outgoing{Channel: core.IdentifierEmail, To: user.Email, Template: "new_device_sign_in"}, nil
		},
		Code: func(user core.User, method, code string) (*core.Outgoing, []core.SendLimit, error) {
			m.codes++
			m.code = code
			return &core.Outgoing{Channel: core.IdentifierEmail, To: user.Email, Template: "device_verification_code"}, m.limits, nil
		},
	}
}

func (e *env) arrival(device string) account.Arrival {
	return account.Arrival{User: e.user, DeviceHash: device, Session: core.Session{UserID: e.user.ID, AuthMethod: "password",
		UserAgent: "Firefox", IP: "203.0.113.9", ExpiresAt: e.clock.Now().Add(time.Hour)}}
}

func verifyNewDevices(c *account.Config) { c.VerifyNewDevices = true }

func TestAdmitDevice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("UnknownThenKnown", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		var m deviceMails
		adm, err := e.svc.AdmitDevice(ctx, e.arrival("laptop"), m.messages())
		if err != nil || adm.Session.ID == "" || adm.Challenge != "" || !adm.Queued || m.notices != 1 {
			t.Fatalf("an unknown device: %+v, %v (notices %d)", adm, err, m.notices)
		}
		adm, err = e.svc.AdmitDevice(ctx, e.arrival("laptop"), m.messages())
		if err != nil || adm.Session.ID == "" || adm.Queued || m.notices != 1 {
			t.Fatalf("a known device: %+v, %v (notices %d)", adm, err, m.notices)
		}
		log, _, _ := e.svc.SecurityLog(ctx, e.user.ID, 0, 10)
		if len(log) != 2 || log[1].Detail != "new_device" || log[0].Detail != "" || log[0].IP != "203.0.113.9" {
			t.Errorf("security log = %+v", log)
		}
	})

	t.Run("NoticesDisabled", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *account.Config) { c.DisableNewDeviceEmails = true })
		var m deviceMails
		adm, err := e.svc.AdmitDevice(ctx, e.arrival("laptop"), m.messages())
		if err != nil || adm.Session.ID == "" || adm.Queued || m.notices != 0 {
			t.Fatalf("%+v, %v (notices %d)", adm, err, m.notices)
		}
	})

	t.Run("VerifyNewDevices", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, verifyNewDevices)
		var m deviceMails
		adm, err := e.svc.AdmitDevice(ctx, e.arrival("laptop"), m.messages())
		if err != nil || adm.Session.ID != "" || adm.Challenge == "" || !adm.Queued || m.codes != 1 || m.notices != 0 {
			t.Fatalf("an unknown device: %+v, %v (mails %+v)", adm, err, m)
		}
		if list, _ := e.db.ListSessions(ctx, e.user.ID); len(list) != 0 {
			t.Errorf("a held sign-in has %d sessions", len(list))
		}
		c, u, err := e.svc.PendingDevice(ctx, adm.Challenge)
		if err != nil || u.ID != e.user.ID || c.DeviceHash != "laptop" || c.Method != "password" {
			t.Fatalf("PendingDevice = %+v, %+v, %v", c, u, err)
		}
		// A session a flow created already is ended while the device waits.
		created, err := e.db.CreateSession(ctx, core.Session{UserID: e.user.ID, AuthMethod: "magic_link", ExpiresAt: e.clock.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		in := e.arrival("phone")
		in.Session, in.Created = created, true
		if adm, err = e.svc.AdmitDevice(ctx, in, m.messages()); err != nil || adm.Challenge == "" || adm.Session.ID != "" {
			t.Fatalf("a created session on an unknown device: %+v, %v", adm, err)
		}
		if s, err := e.db.Session(ctx, created.ID); err != nil || s.EndedAt == nil {
			t.Errorf("the created session = %+v, %v; want it ended", s, err)
		}
	})

	t.Run("SignUpIsTrusted", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, verifyNewDevices)
		var m deviceMails
		in := e.arrival("laptop")
		in.SignUp = true
		adm, err := e.svc.AdmitDevice(ctx, in, m.messages())
		if err != nil || adm.Session.ID == "" || adm.Challenge != "" || m.notices+m.codes != 0 {
			t.Fatalf("the sign-up's device: %+v, %v (mails %+v)", adm, err, m)
		}
		// The device is known from then on.
		if adm, err := e.svc.AdmitDevice(ctx, e.arrival("laptop"), m.messages()); err != nil || adm.Challenge != "" {
			t.Fatalf("the sign-up's device later: %+v, %v", adm, err)
		}
		log, _, _ := e.svc.SecurityLog(ctx, e.user.ID, 0, 10)
		if len(log) != 2 || log[1].Detail != "sign_up" {
			t.Errorf("security log = %+v", log)
		}
	})
}

// holdSignIn holds a sign-in of e's user from an unknown device and
// returns its challenge.
func holdSignIn(t *testing.T, e *env, m *deviceMails) core.DeviceChallenge {
	t.Helper()
	adm, err := e.svc.AdmitDevice(context.Background(), e.arrival("laptop"), m.messages())
	if err != nil || adm.Challenge == "" {
		t.Fatalf("AdmitDevice = %+v, %v", adm, err)
	}
	c, _, err := e.svc.PendingDevice(context.Background(), adm.Challenge)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyDevice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sess := func(e *env) core.Session {
		return core.Session{UserID: e.user.ID, AuthMethod: "password", UserAgent: "Firefox", IP: "203.0.113.9", ExpiresAt: e.clock.Now().Add(time.Hour)}
	}

	t.Run("RightCode", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, verifyNewDevices)
		var m deviceMails
		c := holdSignIn(t, e, &m)
		_, err := e.svc.VerifyDevice(ctx, c, e.user, "  ", sess(e), m.messages())
		wantCode(t, err, "code_required")
		s, err := e.svc.VerifyDevice(ctx, c, e.user, m.code[:3]+" "+m.code[3:], sess(e), m.messages())
		if err != nil || s.ID == "" || m.notices != 1 {
			t.Fatalf("VerifyDevice = %+v, %v (notices %d)", s, err, m.notices)
		}
		// The device is known now, and the challenge used.
		if adm, err := e.svc.AdmitDevice(ctx, e.arrival("laptop"), m.messages()); err != nil || adm.Challenge != "" {
			t.Errorf("the verified device later: %+v, %v", adm, err)
		}
		_, _, err = e.svc.PendingDevice(ctx, c.ID)
		wantCode(t, err, "device_verification_not_started")
		_, err = e.svc.VerifyDevice(ctx, c, e.user, m.code, sess(e), m.messages())
		wantCode(t, err, "device_verification_expired")
	})

	t.Run("Expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, verifyNewDevices)
		var m deviceMails
		c := holdSignIn(t, e, &m)
		e.clock.Add(account.DeviceCodeTTL)
		_, err := e.svc.VerifyDevice(ctx, c, e.user, m.code, sess(e), m.messages())
		wantCode(t, err, "device_verification_expired")
		if !errors.Is(err, account.ErrDeviceVerificationExpired) {
			t.Errorf("%v is not ErrDeviceVerificationExpired", err)
		}
		_, _, err = e.svc.PendingDevice(ctx, c.ID)
		wantCode(t, err, "device_verification_not_started")
	})

	t.Run("LockedAfterWrongCodes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, verifyNewDevices)
		var m deviceMails
		c := holdSignIn(t, e, &m)
		for i := 1; i < account.MaxDeviceCodeFailures; i++ {
			_, err := e.svc.VerifyDevice(ctx, c, e.user, wrong(m.code), sess(e), m.messages())
			wantCode(t, err, "incorrect_code")
		}
		_, err := e.svc.VerifyDevice(ctx, c, e.user, wrong(m.code), sess(e), m.messages())
		wantCode(t, err, "incorrect_code") // the lock is told from the next try on
		_, err = e.svc.VerifyDevice(ctx, c, e.user, m.code, sess(e), m.messages())
		wantCode(t, err, "device_verification_expired")
		if err.(*core.Error).Message != account.ErrDeviceVerificationLocked.Message {
			t.Errorf("message %q, want the lock's", err.(*core.Error).Message)
		}
		log, _, _ := e.svc.SecurityLog(ctx, e.user.ID, 0, 20)
		wrongCodes := 0
		for _, ev := range log {
			if ev.Detail == core.SecurityFailureWrongDeviceCode {
				wrongCodes++
			}
		}
		if wrongCodes != account.MaxDeviceCodeFailures {
			t.Errorf("%d wrong codes logged, want %d", wrongCodes, account.MaxDeviceCodeFailures)
		}
	})

	t.Run("ResendKeepsWrongCodes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, verifyNewDevices)
		var m deviceMails
		c := holdSignIn(t, e, &m)
		first := m.code
		for range 2 {
			e.svc.VerifyDevice(ctx, c, e.user, wrong(m.code), sess(e), m.messages())
		}
		if err := e.svc.ResendDeviceCode(ctx, c, e.user, m.messages()); err != nil {
			t.Fatal(err)
		}
		if first != m.code {
			// The earlier code stopped working (and counts as wrong).
			_, err := e.svc.VerifyDevice(ctx, c, e.user, first, sess(e), m.messages())
			wantCode(t, err, "incorrect_code")
		} else {
			e.svc.VerifyDevice(ctx, c, e.user, wrong(m.code), sess(e), m.messages())
		}
		if p, _, _ := e.svc.PendingDevice(ctx, c.ID); p.Attempts != 3 {
			t.Fatalf("%d wrong codes counted after a resend, want 3", p.Attempts)
		}
		for range account.MaxDeviceCodeFailures - 3 {
			e.svc.VerifyDevice(ctx, c, e.user, wrong(m.code), sess(e), m.messages())
		}
		_, err := e.svc.VerifyDevice(ctx, c, e.user, m.code, sess(e), m.messages())
		wantCode(t, err, "device_verification_expired")
	})

	t.Run("ResendCapped", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, verifyNewDevices)
		m := deviceMails{limits: []core.SendLimit{{Key: "email:to:ada", Max: 2, Window: time.Hour}}}
		c := holdSignIn(t, e, &m)
		if err := e.svc.ResendDeviceCode(ctx, c, e.user, m.messages()); err != nil {
			t.Fatal(err)
		}
		last := m.code
		wantCode(t, e.svc.ResendDeviceCode(ctx, c, e.user, m.messages()), "too_many_messages")
		// A capped sign-in is not held at all.
		_, err := e.svc.AdmitDevice(ctx, e.arrival("phone"), m.messages())
		wantCode(t, err, "too_many_messages")
		// The refused send changed nothing: the last code sent works.
		if _, err := e.svc.VerifyDevice(ctx, c, e.user, last, sess(e), m.messages()); err != nil {
			t.Fatalf("the last code sent: %v", err)
		}
		wantCode(t, e.svc.ResendDeviceCode(ctx, c, e.user, m.messages()), "device_verification_not_started")
	})

	t.Run("BannedUser", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, verifyNewDevices)
		var m deviceMails
		c := holdSignIn(t, e, &m)
		if _, err := e.db.SetBanned(ctx, e.user.ID, true); err != nil {
			t.Fatal(err)
		}
		_, _, err := e.svc.PendingDevice(ctx, c.ID)
		wantCode(t, err, "user_banned")
		_, _, err = e.svc.PendingDevice(ctx, "dvc_unknown")
		wantCode(t, err, "device_verification_not_started")
	})
}

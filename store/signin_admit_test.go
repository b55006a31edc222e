package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/store"
)

// admitAll records every sign-in's device from device, with a notice
// rendered by notice when the device is new.
func admitAll(device string, notice func() (*core.Outgoing, error)) core.DeviceAdmit {
	return func(user core.User, sess core.Session, signedUp bool) *core.DeviceSignIn {
		d := &core.DeviceSignIn{UserID: user.ID, DeviceHash: device, Method: sess.AuthMethod, UserAgent: sess.UserAgent, IP: sess.IP}
		if signedUp {
			d.Detail = "sign_up"
		} else {
			d.Notice = notice
		}
		return d
	}
}

// signInRows counts what a sign-in writes: sessions, known devices,
// security log entries and queued mails.
func signInRows(t *testing.T, db *store.DB) [4]int {
	t.Helper()
	var n [4]int
	for i, table := range []string{"auth_sessions", "auth_known_devices", "auth_security_log", "auth_mail_outbox"} {
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n[i]); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// TestConsumeChallengeAdmitsDevice: a code sign-in given Admit records
// the device, the security log entry and the new-device notice in the
// transaction that uses the code and creates the session; a failure there
// leaves neither the session nor the used code.
func TestConsumeChallengeAdmitsDevice(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		db, _ := mustOpen(t)
		u, err := db.CreateUser(ctx, store.NewUser{Email: "eve@example.com", EmailVerified: true})
		if err != nil {
			t.Fatal(err)
		}
		mail := func() (*core.Outgoing, error) {
			return &core.Outgoing{Channel: core.IdentifierEmail, To: u.Email, Template: "new_device_sign_in", Body: []byte("sealed")}, nil
		}
		start := signInRows(t, db)

		// A failure after the session is created (here, rendering the
		// notice) writes nothing, and the code can still be used.
		c := newChallenge(db, core.ChallengeEmailCode, u.Email)
		if err := db.CreateChallenge(ctx, c, nil, nil); err != nil {
			t.Fatal(err)
		}
		broken := errors.New("render failed")
		a := attempt(db, c, c.SecretHash)
		a.Admit = admitAll("dev1", func() (*core.Outgoing, error) { return nil, broken })
		if _, err := db.ConsumeChallenge(ctx, a); !errors.Is(err, broken) {
			t.Fatalf("failing notice: %v, want the render error", err)
		}
		if got := signInRows(t, db); got != start {
			t.Fatalf("after the failure: sessions, devices, log, mail %v, want %v", got, start)
		}
		if known, _ := db.KnownDevice(ctx, u.ID, "dev1"); known {
			t.Fatal("the failed sign-in remembered its device")
		}

		// The same code then signs in, with everything in one go.
		a.Admit = admitAll("dev1", mail)
		done, err := db.ConsumeChallenge(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if !done.Admitted || !done.NewDevice || done.Session.ID == "" {
			t.Fatalf("completion: admitted %v, new device %v, session %q", done.Admitted, done.NewDevice, done.Session.ID)
		}
		want := [4]int{start[0] + 1, start[1] + 1, start[2] + 1, start[3] + 1}
		if got := signInRows(t, db); got != want {
			t.Fatalf("after the sign-in: %v, want %v", got, want)
		}
		var detail string
		db.SQL().QueryRow(`SELECT detail FROM auth_security_log WHERE user_id = $1`, u.ID).Scan(&detail)
		if detail != "new_device" {
			t.Errorf("log detail %q", detail)
		}

		// A known device: logged, no notice (not even rendered).
		c2 := newChallenge(db, core.ChallengeEmailCode, u.Email)
		db.CreateChallenge(ctx, c2, nil, nil)
		a2 := attempt(db, c2, c2.SecretHash)
		a2.Admit = admitAll("dev1", func() (*core.Outgoing, error) { t.Error("notice rendered for a known device"); return mail() })
		done, err = db.ConsumeChallenge(ctx, a2)
		if err != nil || !done.Admitted || done.NewDevice {
			t.Fatalf("known device: %+v %v", done, err)
		}
		want = [4]int{want[0] + 1, want[1], want[2] + 1, want[3]}
		if got := signInRows(t, db); got != want {
			t.Fatalf("after the known device: %v, want %v", got, want)
		}

		// Admit declining (a second factor comes first): the session only.
		c3 := newChallenge(db, core.ChallengeEmailCode, u.Email)
		db.CreateChallenge(ctx, c3, nil, nil)
		a3 := attempt(db, c3, c3.SecretHash)
		a3.Admit = func(core.User, core.Session, bool) *core.DeviceSignIn { return nil }
		done, err = db.ConsumeChallenge(ctx, a3)
		if err != nil || done.Admitted || done.Session.ID == "" {
			t.Fatalf("declined: %+v %v", done, err)
		}
		want[0]++
		if got := signInRows(t, db); got != want {
			t.Fatalf("after the declined admission: %v, want %v", got, want)
		}
	})
}

// TestConsumeChallengeAdmitConcurrent: concurrent uses of one code with
// Admit make one session, one device, one log entry and one notice.
func TestConsumeChallengeAdmitConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		db, _ := mustOpen(t)
		u, err := db.CreateUser(ctx, store.NewUser{Email: "fay@example.com", EmailVerified: true})
		if err != nil {
			t.Fatal(err)
		}
		start := signInRows(t, db)
		c := newChallenge(db, core.ChallengeEmailCode, u.Email)
		db.CreateChallenge(ctx, c, nil, nil)
		var wg sync.WaitGroup
		var ok atomic.Int32
		for range 8 {
			wg.Go(func() {
				a := attempt(db, c, c.SecretHash)
				a.Admit = admitAll("dev", func() (*core.Outgoing, error) {
					return &core.Outgoing{Channel: core.IdentifierEmail, To: u.Email, Template: "new_device_sign_in", Body: []byte("x")}, nil
				})
				if _, err := db.ConsumeChallenge(ctx, a); err == nil {
					ok.Add(1)
				} else if !errors.Is(err, core.ErrUsed) {
					t.Errorf("use: %v", err)
				}
			})
		}
		wg.Wait()
		want := [4]int{start[0] + 1, start[1] + 1, start[2] + 1, start[3] + 1}
		if got := signInRows(t, db); ok.Load() != 1 || got != want {
			t.Fatalf("%d uses succeeded, rows %v; want 1 and %v", ok.Load(), got, want)
		}
	})
}

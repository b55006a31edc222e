package mfa_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/authtest"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/mfa"
	"github.com/embedauth/auth/store"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

var _ mfa.Store = (*store.DB)(nil)

type fixture struct {
	db    *store.DB
	svc   *mfa.Service
	clock *authtest.Clock
	user  string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := authtest.NewClock(time.Date(2026, 5, 1, 12, 0, 10, 0, time.UTC))
	db.Now = clock.Now
	u, err := db.CreateUser(context.Background(), store.NewUser{Email: "ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := mfa.New(db, mfa.Config{Key: bytes.Repeat([]byte{7}, 32), Now: clock.Now, MaxFailures: 5, LockFor: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, svc: svc, clock: clock, user: u.ID}
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol enrols the fixture's user and returns the secret and backup codes;
// the clock moves past the enrolment step.
func (f *fixture) enrol(t *testing.T) (string, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := f.svc.BeginTOTP(ctx, f.user, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := f.svc.ConfirmTOTP(ctx, f.user, code(t, e.Secret, f.clock.Now()), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second)
	return e.Secret, codes
}

func TestT20_TOTPNeverAcceptedTwice(t *testing.T) {
	f := setup(t)
	secret, _ := f.enrol(t)
	ctx := context.Background()
	c := code(t, secret, f.clock.Now())
	if err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, c); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, c); !errors.Is(err, core.ErrInvalidCode) {
		t.Fatalf("second use: %v, want invalid code", err)
	}

	// Parallel: ten requests with one fresh code, exactly one succeeds.
	f.clock.Advance(30 * time.Second)
	c = code(t, secret, f.clock.Now())
	var ok, bad int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, c)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, core.ErrInvalidCode) || errors.Is(err, core.ErrLocked):
				bad++
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d parallel successes, want 1", ok)
	}
}

func TestT21_TOTPDriftWindow(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		shift int
		ok    bool
	}{{"t-2", -2, false}, {"t-1", -1, true}, {"t", 0, true}, {"t+1", 1, true}, {"t+2", 2, false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			secret, _ := f.enrol(t)
			f.clock.Advance(5 * time.Minute)
			c := code(t, secret, f.clock.Now().Add(time.Duration(tc.shift)*30*time.Second))
			err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, c)
			if tc.ok != (err == nil) {
				t.Fatalf("shift %d: err %v, want ok=%v", tc.shift, err, tc.ok)
			}
		})
	}
	t.Run("step at or before last accepted", func(t *testing.T) {
		f := setup(t)
		secret, _ := f.enrol(t)
		now := f.clock.Now()
		// Accept the t+1 code; then t and t-1 (both ≤ the last step) fail.
		if err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, code(t, secret, now.Add(30*time.Second))); err != nil {
			t.Fatal(err)
		}
		for _, d := range []time.Duration{0, -30 * time.Second} {
			if err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, code(t, secret, now.Add(d))); !errors.Is(err, core.ErrInvalidCode) {
				t.Fatalf("earlier step %v: %v", d, err)
			}
		}
	})
}

func TestT22_FailuresCountedPerAccount(t *testing.T) {
	f := setup(t)
	secret, _ := f.enrol(t)
	ctx := context.Background()
	for i := range 5 {
		if err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, "000000"); err == nil || errors.Is(err, core.ErrLocked) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Locked: even the right code fails, and the count is in the database.
	err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, code(t, secret, f.clock.Now()))
	var le *mfa.LockedError
	if !errors.As(err, &le) || !errors.Is(err, core.ErrLocked) {
		t.Fatalf("locked: %v", err)
	}
	if n, _ := f.db.MFAFailures(ctx, f.user); n != 5 {
		t.Fatalf("stored failures %d, want 5", n)
	}
	// A new service (a restart) sees the same lock.
	svc2, err := mfa.New(f.db, mfa.Config{Key: bytes.Repeat([]byte{7}, 32), Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc2.Verify(ctx, f.user, mfa.MethodTOTP, code(t, secret, f.clock.Now())); !errors.Is(err, core.ErrLocked) {
		t.Fatalf("after restart: %v", err)
	}
	f.clock.Advance(16 * time.Minute)
	if err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, code(t, secret, f.clock.Now())); err != nil {
		t.Fatalf("after lock: %v", err)
	}
	if n, _ := f.db.MFAFailures(ctx, f.user); n != 0 {
		t.Fatalf("failures after success %d", n)
	}
}

func TestT23_EnrolmentNeedsValidCode(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.svc.ConfirmTOTP(ctx, f.user, "123456", nil); !errors.Is(err, mfa.ErrNoPending) {
		t.Fatalf("confirm without pending: %v", err)
	}
	e, err := f.svc.BeginTOTP(ctx, f.user, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	if err != nil || len(raw)*8 < 160 {
		t.Fatalf("secret %q: %d bits, %v", e.Secret, len(raw)*8, err)
	}
	if !strings.HasPrefix(e.URL, "otpauth://totp/") || !strings.Contains(e.URL, "secret="+e.Secret) {
		t.Fatalf("url %q", e.URL)
	}
	// Sealed at rest: the stored bytes contain neither the secret nor its raw form.
	sealed, _, err := f.db.PendingTOTP(ctx, f.user)
	if err != nil || bytes.Contains(sealed, []byte(e.Secret)) || bytes.Contains(sealed, raw) {
		t.Fatalf("pending secret stored in clear (%v)", err)
	}
	if on, _ := f.svc.Enabled(ctx, f.user); on {
		t.Fatal("enabled before confirmation")
	}
	wrong := code(t, e.Secret, f.clock.Now().Add(-2*time.Minute))
	if _, err := f.svc.ConfirmTOTP(ctx, f.user, wrong, nil); !errors.Is(err, core.ErrInvalidCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if on, _ := f.svc.Enabled(ctx, f.user); on {
		t.Fatal("enabled by a wrong code")
	}
	codes, err := f.svc.ConfirmTOTP(ctx, f.user, code(t, e.Secret, f.clock.Now()), nil)
	if err != nil || len(codes) != 10 {
		t.Fatalf("confirm: %v, %d codes", err, len(codes))
	}
	if on, _ := f.svc.Enabled(ctx, f.user); !on {
		t.Fatal("not enabled")
	}
	sealed, _, err = f.db.TOTPSecret(ctx, f.user)
	if err != nil || bytes.Contains(sealed, []byte(e.Secret)) || bytes.Contains(sealed, raw) {
		t.Fatalf("secret stored in clear (%v)", err)
	}
	// The enrolment code cannot be replayed at sign-in.
	if err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, code(t, e.Secret, f.clock.Now())); !errors.Is(err, core.ErrInvalidCode) {
		t.Fatalf("enrolment code replayed: %v", err)
	}
	// A second confirmation has no pending secret.
	if _, err := f.svc.ConfirmTOTP(ctx, f.user, code(t, e.Secret, f.clock.Now()), nil); !errors.Is(err, mfa.ErrNoPending) {
		t.Fatalf("second confirm: %v", err)
	}
	// Disable removes TOTP and backup codes.
	if err := f.svc.Disable(ctx, f.user, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.svc.Status(ctx, f.user); st.TOTP || st.BackupCodesLeft != 0 {
		t.Fatalf("after disable: %+v", st)
	}
}

func TestPendingEnrolmentExpires(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	e, err := f.svc.BeginTOTP(ctx, f.user, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(16 * time.Minute)
	if _, err := f.svc.ConfirmTOTP(ctx, f.user, code(t, e.Secret, f.clock.Now()), nil); !errors.Is(err, mfa.ErrNoPending) {
		t.Fatalf("expired pending: %v", err)
	}
}

func TestT24_BackupCodeSingleUse(t *testing.T) {
	f := setup(t)
	_, codes := f.enrol(t)
	ctx := context.Background()
	for _, c := range codes {
		if len(strings.ReplaceAll(c, "-", "")) != 10 {
			t.Fatalf("code %q", c)
		}
	}
	var ok int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			err := f.svc.Verify(ctx, f.user, mfa.MethodBackup, codes[0])
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if !errors.Is(err, core.ErrInvalidCode) && !errors.Is(err, core.ErrLocked) {
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d successes of one backup code, want 1", ok)
	}
	f.clock.Advance(time.Hour) // past any lock from the losers
	// Accepted in upper case and without the hyphen.
	if err := f.svc.Verify(ctx, f.user, mfa.MethodBackup, strings.ToUpper(strings.ReplaceAll(codes[1], "-", ""))); err != nil {
		t.Fatalf("normalised code: %v", err)
	}
	if st, _ := f.svc.Status(ctx, f.user); st.BackupCodesLeft != 8 {
		t.Fatalf("left %d", st.BackupCodesLeft)
	}
	fresh, err := f.svc.RegenerateBackupCodes(ctx, f.user, nil)
	if err != nil || len(fresh) != 10 {
		t.Fatal(err)
	}
	if err := f.svc.Verify(ctx, f.user, mfa.MethodBackup, codes[2]); !errors.Is(err, core.ErrInvalidCode) {
		t.Fatalf("old set still works: %v", err)
	}
	if err := f.svc.Verify(ctx, f.user, mfa.MethodBackup, fresh[0]); err != nil {
		t.Fatalf("new code: %v", err)
	}
}

func TestBadCodes(t *testing.T) {
	f := setup(t)
	secret, _ := f.enrol(t)
	ctx := context.Background()
	good := code(t, secret, f.clock.Now())
	for _, c := range []string{"", "12345", "1234567", "12a456", "١٢٣٤٥٦", "123 45", "-12345", good + "0"} {
		if err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, c); !errors.Is(err, mfa.ErrMalformed) {
			t.Errorf("%q: %v, want malformed", c, err)
		}
		f.db.ResetMFAAttempts(ctx, f.user)
	}
	for _, c := range []string{"", "abcd", "abcde-fghij-k", "abcde-fghi!", "ooooo-ooooo"} {
		if err := f.svc.Verify(ctx, f.user, mfa.MethodBackup, c); !errors.Is(err, mfa.ErrMalformed) {
			t.Errorf("backup %q: %v, want malformed", c, err)
		}
		f.db.ResetMFAAttempts(ctx, f.user)
	}
	stale := code(t, secret, f.clock.Now().Add(-5*time.Minute))
	if err := f.svc.Verify(ctx, f.user, mfa.MethodTOTP, stale); !errors.Is(err, core.ErrInvalidCode) {
		t.Errorf("stale: %v", err)
	}
	if err := f.svc.Verify(ctx, f.user, "sms", "123456"); !errors.Is(err, core.ErrInvalidInput) {
		t.Errorf("unknown method: %v", err)
	}
	// A user without TOTP.
	u, _ := f.db.CreateUser(ctx, store.NewUser{Email: "bob@example.com"})
	if err := f.svc.Verify(ctx, u.ID, mfa.MethodTOTP, good); !errors.Is(err, mfa.ErrNotEnrolled) {
		t.Errorf("not enrolled: %v", err)
	}
	if _, err := mfa.New(f.db, mfa.Config{Key: []byte("short")}); err == nil {
		t.Error("short key accepted")
	}
}

// acceptingStore is a store whose AdvanceTOTPStep accepts any step, as a
// store without the conditional update would: it isolates the service's
// own check against the last accepted step. advanced records the steps
// the service asked to record.
type acceptingStore struct {
	*store.DB
	advanced []int64
}

func (s *acceptingStore) AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	s.advanced = append(s.advanced, step)
	if _, err := s.DB.AdvanceTOTPStep(ctx, userID, step); err != nil {
		return false, err
	}
	return true, nil
}

// TestT20_ServiceRefusesStepAtOrBeforeLastAccepted checks the service's
// own replay check: with a store that would record any step, a code of
// the last accepted step or an earlier one is still refused, and never
// reaches the store.
func TestT20_ServiceRefusesStepAtOrBeforeLastAccepted(t *testing.T) {
	f := setup(t)
	secret, _ := f.enrol(t)
	ctx := context.Background()
	st := &acceptingStore{DB: f.db}
	svc, err := mfa.New(st, mfa.Config{Key: bytes.Repeat([]byte{7}, 32), Now: f.clock.Now, MaxFailures: 100, LockFor: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	enrolStep := now.Add(-30*time.Second).Unix() / mfa.Period
	// The enrolment code, one step back and inside the drift window.
	if err := svc.Verify(ctx, f.user, mfa.MethodTOTP, code(t, secret, now.Add(-30*time.Second))); !errors.Is(err, core.ErrInvalidCode) {
		t.Fatalf("enrolment step %d replayed: %v, want invalid code", enrolStep, err)
	}
	next := now.Add(30 * time.Second)
	if err := svc.Verify(ctx, f.user, mfa.MethodTOTP, code(t, secret, next)); err != nil {
		t.Fatalf("t+1: %v", err)
	}
	for _, at := range []time.Time{next, now, now.Add(-30 * time.Second)} {
		if err := svc.Verify(ctx, f.user, mfa.MethodTOTP, code(t, secret, at)); !errors.Is(err, core.ErrInvalidCode) {
			t.Errorf("step %d after step %d was accepted: %v, want invalid code", at.Unix()/mfa.Period, next.Unix()/mfa.Period, err)
		}
	}
	if want := []int64{next.Unix() / mfa.Period}; !slices.Equal(st.advanced, want) {
		t.Errorf("steps sent to the store %v, want only %v", st.advanced, want)
	}
}

package store_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
)

func TestDB_MFATOTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, _ := mustOpen(t)
		ctx := context.Background()
		u := mustCreateUser(t, db, "mfa@example.com")
		if _, _, err := db.PendingTOTP(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("pending before put: %v", err)
		}
		if _, _, err := db.TOTPSecret(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("secret before enrolment: %v", err)
		}
		if err := db.PutPendingTOTP(ctx, u.ID, []byte("sealed-1")); err != nil {
			t.Fatal(err)
		}
		if err := db.PutPendingTOTP(ctx, u.ID, []byte("sealed-2")); err != nil {
			t.Fatal(err)
		}
		// Activating a replaced pending secret fails.
		if err := db.ActivateTOTP(ctx, u.ID, []byte("sealed-1"), 10, nil, nil); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("activate stale pending: %v", err)
		}
		if err := db.ActivateTOTP(ctx, u.ID, []byte("sealed-2"), 10, [][]byte{[]byte("h1"), []byte("h2")}, nil); err != nil {
			t.Fatal(err)
		}
		sealed, step, err := db.TOTPSecret(ctx, u.ID)
		if err != nil || !bytes.Equal(sealed, []byte("sealed-2")) || step != 10 {
			t.Fatalf("secret %q step %d: %v", sealed, step, err)
		}
		if _, _, err := db.PendingTOTP(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("pending after activation: %v", err)
		}
		for _, tc := range []struct {
			step int64
			ok   bool
		}{{10, false}, {9, false}, {11, true}, {11, false}, {13, true}} {
			ok, err := db.AdvanceTOTPStep(ctx, u.ID, tc.step)
			if err != nil || ok != tc.ok {
				t.Fatalf("advance to %d: %v %v, want %v", tc.step, ok, err, tc.ok)
			}
		}
		// Parallel advances to one step: exactly one wins.
		var wins int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				ok, err := db.AdvanceTOTPStep(ctx, u.ID, 20)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins++
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d parallel advances won", wins)
		}
		if n, _ := db.BackupCodesLeft(ctx, u.ID); n != 2 {
			t.Fatalf("backup codes %d", n)
		}
		if err := db.DisableMFA(ctx, u.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.TOTPSecret(ctx, u.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("secret after disable: %v", err)
		}
		if n, _ := db.BackupCodesLeft(ctx, u.ID); n != 0 {
			t.Fatalf("backup codes after disable %d", n)
		}
		if ok, _ := db.AdvanceTOTPStep(ctx, u.ID, 100); ok {
			t.Fatal("advanced a disabled secret")
		}
	})
}

func TestDB_BackupCodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, _ := mustOpen(t)
		ctx := context.Background()
		u := mustCreateUser(t, db, "codes@example.com")
		other := mustCreateUser(t, db, "other@example.com")
		if err := db.ReplaceBackupCodes(ctx, u.ID, [][]byte{[]byte("a"), []byte("b")}, nil); err != nil {
			t.Fatal(err)
		}
		if ok, _ := db.UseBackupCode(ctx, other.ID, []byte("a")); ok {
			t.Fatal("another user's code worked")
		}
		var wins int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				ok, err := db.UseBackupCode(ctx, u.ID, []byte("a"))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins++
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d parallel uses won", wins)
		}
		if err := db.ReplaceBackupCodes(ctx, u.ID, [][]byte{[]byte("c")}, nil); err != nil {
			t.Fatal(err)
		}
		if ok, _ := db.UseBackupCode(ctx, u.ID, []byte("b")); ok {
			t.Fatal("a replaced code worked")
		}
		if ok, _ := db.UseBackupCode(ctx, u.ID, []byte("c")); !ok {
			t.Fatal("the new code failed")
		}
	})
}

func TestDB_MFAAttempts(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		u := mustCreateUser(t, db, "att@example.com")
		for i := range 3 {
			if ok, _, err := db.ReserveMFAAttempt(ctx, u.ID, 3, time.Hour); err != nil || !ok {
				t.Fatalf("attempt %d: %v %v", i, ok, err)
			}
		}
		ok, until, err := db.ReserveMFAAttempt(ctx, u.ID, 3, time.Hour)
		if err != nil || ok || until.IsZero() {
			t.Fatalf("locked attempt: %v %v %v", ok, until, err)
		}
		if n, _ := db.MFAFailures(ctx, u.ID); n != 3 {
			t.Fatalf("failures %d", n)
		}
		clock.Advance(time.Hour + time.Second)
		if ok, _, err := db.ReserveMFAAttempt(ctx, u.ID, 3, time.Hour); err != nil || !ok {
			t.Fatalf("after lock: %v %v", ok, err)
		}
		if err := db.ResetMFAAttempts(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.MFAFailures(ctx, u.ID); n != 0 {
			t.Fatalf("failures after reset %d", n)
		}
	})
}

func TestDB_Reverified(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		t.Parallel()
		db, clock := mustOpen(t)
		ctx := context.Background()
		u := mustCreateUser(t, db, "rv@example.com")
		s := mustCreateSession(t, db, clock, u.ID)
		if _, err := db.ReverifiedAt(ctx, s.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("before: %v", err)
		}
		if err := db.SetReverified(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		if err := db.SetReverified(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		at, err := db.ReverifiedAt(ctx, s.ID)
		if err != nil || !at.Equal(clock.Now().Truncate(time.Millisecond)) {
			t.Fatalf("at %v (now %v): %v", at, clock.Now(), err)
		}
	})
}

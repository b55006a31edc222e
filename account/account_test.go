package account_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/password"
	"github.com/embedauth/auth/store"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// unknown counts failures per key and refuses from the limit on, as the
// HTTP layer's in-memory limiter does.
type unknown struct {
	mu    sync.Mutex
	n     map[string]int
	limit int
}

func (u *unknown) Allow(key string) (bool, time.Duration) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n[key]++
	if u.n[key] > u.limit {
		return false, time.Hour
	}
	return true, 0
}

type env struct {
	db     *store.DB
	clock  *clock
	hasher *password.Hasher
	svc    *account.Service[*store.OutMail]
	user   core.User
	pw     string
}

const threshold = 5

// codeKey keys the tests' one-time codes.
var codeKey = []byte("0123456789abcdef0123456789abcdef")

// newEnv returns a Service on a fresh database with one user, Ada; with
// (if given) changes its configuration.
func newEnv(t *testing.T, with ...func(*account.Config)) *env {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	db.Now = c.Now
	hasher := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1}, 4, time.Second)
	cfg := account.Config{
		Now: c.Now, Hasher: hasher, Policy: password.Policy{MinLength: 15}, AppName: "Example",
		LockoutThreshold: threshold, LockoutDuration: time.Hour,
		UnknownEmail: &unknown{n: map[string]int{}, limit: threshold}, EmailKey: store.EmailKey,
		ResetTokenTTL: 30 * time.Minute, SecurityLogRetention: 90 * 24 * time.Hour, DeviceLifetime: 400 * 24 * time.Hour,
		CodeKey: codeKey, VerificationCodeTTL: 10 * time.Minute,
	}
	for _, f := range with {
		f(&cfg)
	}
	svc := account.New[*store.OutMail](db, cfg)
	pw := "correct horse battery staple"
	hash, err := hasher.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(context.Background(), store.NewUser{Email: "ada@example.com", Name: "Ada", EmailVerified: true, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, clock: c, hasher: hasher, svc: svc, user: u, pw: pw}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("err = %v, want a refusal %q", err, code)
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		u, err := e.svc.SignIn(ctx, "  ADA@example.com ", e.pw)
		if err != nil || u.ID != e.user.ID {
			t.Fatalf("SignIn = %v, %v", u.ID, err)
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		_, err := e.svc.SignIn(ctx, "ada@example.com", "not the password at all")
		wantCode(t, err, "invalid_credentials")
	})
	t.Run("UnknownEmailSameAnswer", func(t *testing.T) {
		_, err := e.svc.SignIn(ctx, "nobody@example.com", "not the password at all")
		wantCode(t, err, "invalid_credentials")
	})
	t.Run("BadInput", func(t *testing.T) {
		_, err := e.svc.SignIn(ctx, "not an email", e.pw)
		wantCode(t, err, "invalid_email")
		_, err = e.svc.SignIn(ctx, "ada@example.com", "")
		wantCode(t, err, "password_required")
	})
}

// TestLockout: the threshold's failures lock the account, the right
// password is refused while locked, the lock ends after its duration, and
// a right password clears the count.
func TestLockout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < threshold; i++ {
		_, err := e.svc.SignIn(ctx, "ada@example.com", "wrong password number one")
		wantCode(t, err, "invalid_credentials")
	}
	_, err := e.svc.SignIn(ctx, "ada@example.com", e.pw)
	wantCode(t, err, "too_many_attempts")
	if !errors.Is(err, core.ErrLocked) {
		t.Error("lockout does not wrap core.ErrLocked")
	}
	log, _, err := e.svc.SecurityLog(ctx, e.user.ID, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var failed, locked int
	for _, ev := range log {
		switch ev.Kind {
		case core.SecuritySignInFailed:
			failed++
		case core.SecuritySignInLocked:
			locked++
		}
	}
	if failed != threshold || locked != 1 {
		t.Errorf("security log: %d failures, %d locked; want %d, 1", failed, locked, threshold)
	}

	e.clock.Add(time.Hour + time.Second)
	u, err := e.svc.SignIn(ctx, "ada@example.com", e.pw)
	if err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	if err := e.svc.ClearAttempts(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.db.FailedAttempts(ctx, u.ID); n != 0 {
		t.Errorf("%d failed attempts after a sign-in", n)
	}
}

// TestLockoutParallel: at threshold-1 failures, parallel guesses get one
// more evaluated, not one each.
func TestLockoutParallel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < threshold-1; i++ {
		e.svc.SignIn(ctx, "ada@example.com", "wrong password number one")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wrong := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.SignIn(ctx, "ada@example.com", "wrong password number two")
			var ce *core.Error
			if errors.As(err, &ce) && ce.Code == "invalid_credentials" {
				mu.Lock()
				wrong++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wrong != 1 {
		t.Errorf("%d guesses evaluated past the threshold, want 1", wrong)
	}
}

func TestUnknownEmailLocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < threshold; i++ {
		_, err := e.svc.SignIn(ctx, "nobody@example.com", "wrong password number one")
		wantCode(t, err, "invalid_credentials")
	}
	_, err := e.svc.SignIn(ctx, "nobody@example.com", "wrong password number one")
	wantCode(t, err, "too_many_attempts")
}

func TestBannedUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.db.SetBanned(ctx, e.user.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.SignIn(ctx, "ada@example.com", e.pw)
	wantCode(t, err, "user_banned")
	if _, err := e.svc.SignIn(ctx, "ada@example.com", "wrong password number one"); !errors.Is(err, core.ErrInvalidCredentials) {
		t.Errorf("a wrong password of a banned user = %v, want invalid credentials (no hint it is banned)", err)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	var token string
	request := func(email string) bool {
		sent, err := e.svc.RequestReset(ctx, email, func(u core.User, tok string) (*store.OutMail, error) {
			token = tok
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return sent
	}
	if request("nobody@example.com") {
		t.Fatal("a reset was sent for an unknown address")
	}
	if !request("ada@example.com") {
		t.Fatal("no reset sent")
	}
	hash := account.ResetTokenHash(token)
	if err := e.svc.CheckResetToken(ctx, hash); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	// Requesting changes nothing: the old password still works.
	if _, err := e.svc.SignIn(ctx, "ada@example.com", e.pw); err != nil {
		t.Fatalf("old password after a reset request: %v", err)
	}
	noticed := false
	notice := func(core.User) (*store.OutMail, error) { noticed = true; return nil, nil }
	_, err := e.svc.ResetPassword(ctx, hash, "short", notice)
	wantCode(t, err, password.CodeTooShort)
	_, err = e.svc.ResetPassword(ctx, account.ResetTokenHash("forged"), "a new and long enough password", notice)
	wantCode(t, err, "token_invalid")
	if _, err := e.svc.ResetPassword(ctx, hash, "a new and long enough password", notice); err != nil || !noticed {
		t.Fatalf("ResetPassword = %v (noticed %v)", err, noticed)
	}
	_, err = e.svc.ResetPassword(ctx, hash, "yet another long enough password", notice)
	wantCode(t, err, "token_used")
	if _, err := e.svc.SignIn(ctx, "ada@example.com", "a new and long enough password"); err != nil {
		t.Fatalf("new password: %v", err)
	}

	// A link expires.
	request("ada@example.com")
	hash = account.ResetTokenHash(token)
	e.clock.Add(30*time.Minute + time.Second)
	_, err = e.svc.ResetPassword(ctx, hash, "a third long enough password", notice)
	wantCode(t, err, "token_expired")

	// At most MaxResetsPerHour links an hour.
	e.clock.Add(time.Hour)
	sent := 0
	for i := 0; i < account.MaxResetsPerHour+3; i++ {
		if request("ada@example.com") {
			sent++
		}
	}
	if sent != account.MaxResetsPerHour {
		t.Errorf("%d links sent in an hour, want %d", sent, account.MaxResetsPerHour)
	}
}

func TestProfileChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.ChangePassword(ctx, e.user, "ada@example.com", "", nil); err == nil {
		t.Error("the email was accepted as the new password")
	}
	if _, err := e.svc.ChangePassword(ctx, e.user, "another long enough password", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SignIn(ctx, "ada@example.com", "another long enough password"); err != nil {
		t.Fatalf("changed password: %v", err)
	}
	_, err := e.svc.Rename(ctx, e.user.ID, "bad\x00name")
	wantCode(t, err, "invalid_name")
	u, err := e.svc.Rename(ctx, e.user.ID, "  Ada Lovelace ")
	if err != nil || u.Name != "Ada Lovelace" {
		t.Fatalf("Rename = %q, %v", u.Name, err)
	}

	// The sole admin of an organization cannot delete their account.
	if _, _, err := e.db.CreateOrg(ctx, core.Org{Name: "Acme", Slug: "acme", CreatedBy: e.user.ID}, 10); err != nil {
		t.Fatal(err)
	}
	err = e.svc.Delete(ctx, e.user, func() (*store.OutMail, error) { return nil, nil })
	wantCode(t, err, "last_admin")
	if _, err := e.db.User(ctx, e.user.ID); err != nil {
		t.Fatalf("the refused deletion deleted: %v", err)
	}
}

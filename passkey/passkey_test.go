package passkey_test

// Unit tests of the service over a real SQLite store, with the software
// authenticator of package passkeytest: every failure has its own error.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/passkey"
	"github.com/embedauth/auth/passkey/passkeytest"
	"github.com/embedauth/auth/store"
)

const (
	origin  = "https://example.com"
	rpID    = "example.com"
	binding = "binding-of-this-browser"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is a service over a fresh store.
type env struct {
	t     *testing.T
	svc   *passkey.Service
	db    *store.DB
	clock *clock
	ctx   context.Context
	cfg   passkey.Config
}

func newEnv(t *testing.T, change ...func(*passkey.Config)) *env {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{now: time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)}
	db.Now = c.Now
	cfg := passkey.Config{RPID: rpID, RPName: "Example", Origins: []string{origin}, DecoyKey: bytes.Repeat([]byte{7}, 32), Now: c.Now}
	for _, f := range change {
		f(&cfg)
	}
	svc, err := passkey.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, svc: svc, db: db, clock: c, ctx: context.Background(), cfg: cfg}
}

func (e *env) user(email string) core.User {
	e.t.Helper()
	u, err := e.db.CreateUser(e.ctx, store.NewUser{Email: email, EmailVerified: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// register gives user a passkey held by a, stored like the root does.
func (e *env) register(u core.User, a *passkeytest.Authenticator) core.Passkey {
	e.t.Helper()
	c := passkey.Ceremony{Flow: passkey.FlowRegister, Subject: u.ID, Binding: binding}
	opts, err := e.svc.BeginRegistration(e.ctx, c, passkey.Account{Name: u.Email})
	if err != nil {
		e.t.Fatal(err)
	}
	resp, _, err := a.Create(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	reg, err := e.svc.FinishRegistration(e.ctx, c, resp)
	if err != nil {
		e.t.Fatalf("finish registration: %v", err)
	}
	reg.Passkey.Name = "Test key"
	p, err := e.db.AddPasskey(e.ctx, reg.Passkey, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// signIn begins a ceremony and answers it with a and opts.
func (e *env) signIn(c passkey.Ceremony, a *passkeytest.Authenticator, opts ...passkeytest.Option) (passkey.Assertion, error) {
	e.t.Helper()
	options, err := e.svc.BeginLogin(e.ctx, c)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := a.Get(options, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.svc.FinishLogin(e.ctx, passkey.Ceremony{Flow: c.Flow, Binding: c.Binding}, resp)
}

func signInFlow() passkey.Ceremony {
	return passkey.Ceremony{Flow: passkey.FlowSignIn, Binding: binding}
}

func TestRegisterAndSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("ann@example.com")
	a := passkeytest.New(origin)
	a.BackupEligible, a.BackupState = true, true
	p := e.register(u, a)
	if p.UserID != u.ID || len(p.CredentialID) != 32 || !p.BackupEligible || !p.BackupState || p.SignCount != 0 {
		t.Fatalf("registered %+v", p)
	}
	if !slicesEqual(p.Transports, []string{"internal"}) || p.AttestationFormat != "none" {
		t.Errorf("transports %v, format %q", p.Transports, p.AttestationFormat)
	}

	t.Run("Discoverable", func(t *testing.T) {
		got, err := e.signIn(signInFlow(), a)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != u.ID || got.Passkey.ID != p.ID || got.Passkey.SignCount != 1 || !got.UserVerified || got.Passkey.LastUsedAt == nil {
			t.Fatalf("assertion %+v", got)
		}
	})
	t.Run("UsernameFirst", func(t *testing.T) {
		options, err := e.svc.BeginLogin(e.ctx, passkey.Ceremony{Flow: passkey.FlowSignIn, Subject: u.ID, Binding: binding})
		if err != nil {
			t.Fatal(err)
		}
		var o struct {
			PublicKey struct {
				AllowCredentials []struct{ ID string }
				UserVerification string
				RPID             string `json:"rpId"`
				Timeout          int
			}
		}
		json.Unmarshal(options, &o)
		if len(o.PublicKey.AllowCredentials) != 1 || o.PublicKey.AllowCredentials[0].ID != base64.RawURLEncoding.EncodeToString(p.CredentialID) {
			t.Fatalf("allowCredentials = %+v", o.PublicKey.AllowCredentials)
		}
		if o.PublicKey.UserVerification != "required" || o.PublicKey.RPID != rpID || o.PublicKey.Timeout != 300000 {
			t.Errorf("options %s", options)
		}
		resp, err := a.Get(options)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.FinishLogin(e.ctx, signInFlow(), resp)
		if err != nil || got.UserID != u.ID || got.Passkey.SignCount != 2 {
			t.Fatalf("username-first: %+v, %v", got, err)
		}
	})
	t.Run("SecondFactor", func(t *testing.T) {
		c := passkey.Ceremony{Flow: passkey.FlowSecondFactor, Subject: u.ID, Binding: binding}
		options, err := e.svc.BeginLogin(e.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := a.Get(options)
		got, err := e.svc.FinishLogin(e.ctx, c, resp)
		if err != nil || got.UserID != u.ID {
			t.Fatalf("second factor: %+v, %v", got, err)
		}
	})
	stored, err := e.db.UserPasskeys(e.ctx, u.ID)
	if err != nil || len(stored) != 1 || stored[0].SignCount != 3 || stored[0].LastUsedAt == nil {
		t.Fatalf("stored after sign-ins: %+v, %v", stored, err)
	}
}

func TestUserHandleIsRandomPerUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	handleOf := func(u core.User) []byte {
		opts, err := e.svc.BeginRegistration(e.ctx, passkey.Ceremony{Flow: passkey.FlowRegister, Subject: u.ID, Binding: binding},
			passkey.Account{Name: u.Email})
		if err != nil {
			t.Fatal(err)
		}
		var o struct {
			PublicKey struct{ User struct{ ID, Name string } }
		}
		json.Unmarshal(opts, &o)
		h, err := base64.RawURLEncoding.DecodeString(o.PublicKey.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.PublicKey.User.Name != u.Email {
			t.Errorf("user.name = %q", o.PublicKey.User.Name)
		}
		return h
	}
	a, b := e.user("a@example.com"), e.user("b@example.com")
	ha, hb := handleOf(a), handleOf(b)
	if len(ha) != 32 || len(hb) != 32 || bytes.Equal(ha, hb) {
		t.Fatalf("handles %x, %x: want 32 random bytes each", ha, hb)
	}
	if bytes.Contains(ha, []byte("a@example.com")) || bytes.Contains(ha, []byte(a.ID)) {
		t.Fatal("the handle holds the email or the user id")
	}
	if again := handleOf(a); !bytes.Equal(again, ha) {
		t.Fatal("a user's handle changed between ceremonies")
	}
}

func TestSignUpRegistrationIsUnsaved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	handle := passkey.NewUserHandle()
	c := passkey.Ceremony{Flow: passkey.FlowSignUp, Subject: "signup_x", Binding: binding}
	opts, err := e.svc.BeginRegistration(e.ctx, c, passkey.Account{Name: "new@example.com", UserHandle: handle})
	if err != nil {
		t.Fatal(err)
	}
	a := passkeytest.New(origin)
	a.AAGUID = [16]byte{0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21, 0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4}
	resp, _, _ := a.Create(opts)
	reg, err := e.svc.FinishRegistration(e.ctx, c, resp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reg.UserHandle, handle) || reg.Passkey.UserID != "" || reg.Passkey.Name != "Google Password Manager" {
		t.Fatalf("registration %+v", reg)
	}
	if !bytes.Equal(a.Credentials()[0].UserHandle, handle) {
		t.Fatal("the authenticator got another handle")
	}
	if _, err := e.db.PasskeyByCredentialID(e.ctx, reg.Passkey.CredentialID); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("a sign-up registration was stored: %v", err)
	}
}

// TestLoginFailures covers every way an assertion is refused, each with
// its own error (SECURITY.md T26-T32).
func TestLoginFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
	annKey, bobKey := passkeytest.New(origin), passkeytest.New(origin)
	annPK := e.register(ann, annKey)
	e.register(bob, bobKey)
	bobHandle, err := e.db.PasskeyUserHandle(e.ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	annFirst := passkey.Ceremony{Flow: passkey.FlowSignIn, Subject: ann.ID, Binding: binding}

	for _, tc := range []struct {
		name  string
		begin passkey.Ceremony
		opts  []passkeytest.Option
		with  *passkeytest.Authenticator
		want  error
	}{
		{"ForeignOrigin", signInFlow(), []passkeytest.Option{passkeytest.WithOrigin("https://evil.example")}, annKey, passkey.ErrOriginNotAllowed},
		{"SiblingSubdomain", signInFlow(), []passkeytest.Option{passkeytest.WithOrigin("https://other.example.com")}, annKey, passkey.ErrOriginNotAllowed},
		{"PlainHTTP", signInFlow(), []passkeytest.Option{passkeytest.WithOrigin("http://example.com")}, annKey, passkey.ErrOriginNotAllowed},
		{"OriginWithPath", signInFlow(), []passkeytest.Option{passkeytest.WithOrigin("https://example.com/x")}, annKey, passkey.ErrOriginNotAllowed},
		{"CrossOrigin", signInFlow(), []passkeytest.Option{passkeytest.WithCrossOrigin()}, annKey, passkey.ErrOriginNotAllowed},
		{"CreateType", signInFlow(), []passkeytest.Option{passkeytest.WithType("webauthn.create")}, annKey, passkey.ErrWrongCeremony},
		{"ForeignRPIDHash", signInFlow(), []passkeytest.Option{passkeytest.WithRPID("evil.example")}, annKey, passkey.ErrRPIDMismatch},
		{"NoUserPresence", signInFlow(), []passkeytest.Option{passkeytest.WithoutUserPresence()}, annKey, passkey.ErrUserNotPresent},
		{"NoUserVerification", signInFlow(), []passkeytest.Option{passkeytest.WithoutUserVerification()}, annKey, passkey.ErrUserNotVerified},
		{"BackupStateWithoutEligibility", signInFlow(), []passkeytest.Option{passkeytest.WithFlags(false, true)}, annKey, passkey.ErrBackupStateWithoutEligibility},
		{"BackupEligibilityFlipped", signInFlow(), []passkeytest.Option{passkeytest.WithFlags(true, false)}, annKey, passkey.ErrBackupEligibilityChanged},
		{"UnknownCredential", signInFlow(), []passkeytest.Option{passkeytest.WithCredentialID([]byte("no-such-credential-id"))}, annKey, passkey.ErrUnknownCredential},
		{"CredentialIDTooLong", signInFlow(), []passkeytest.Option{passkeytest.WithCredentialID(make([]byte, 1024))}, annKey, passkey.ErrCredentialIDTooLong},
		{"OtherUsersCredential", annFirst, []passkeytest.Option{passkeytest.WithCredential(bobKey.Credentials()[0])}, bobKey, passkey.ErrCredentialNotAllowed},
		{"ForeignUserHandle", signInFlow(), []passkeytest.Option{passkeytest.WithUserHandle(bobHandle)}, annKey, passkey.ErrUserHandleMismatch},
		{"ForeignUserHandleUsernameFirst", annFirst, []passkeytest.Option{passkeytest.WithUserHandle(bobHandle)}, annKey, passkey.ErrUserHandleMismatch},
		{"NoUserHandle", signInFlow(), []passkeytest.Option{passkeytest.WithUserHandle(nil)}, annKey, passkey.ErrUserHandleMissing},
		{"BadSignature", signInFlow(), []passkeytest.Option{passkeytest.WithBadSignature()}, annKey, passkey.ErrVerificationFailed},
		{"UnknownChallenge", signInFlow(), []passkeytest.Option{passkeytest.WithChallenge(base64.RawURLEncoding.EncodeToString(make([]byte, 32)))}, annKey, passkey.ErrChallengeUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.signIn(tc.begin, tc.with, tc.opts...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v (assertion %+v)", err, tc.want, got)
			}
			for _, other := range allErrors {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("err %v also matches %v", err, other)
				}
			}
		})
	}
	// A username-less sign-in with no user handle is still fine for a
	// username-first ceremony, where the account is known.
	if _, err := e.signIn(annFirst, annKey, passkeytest.WithUserHandle(nil)); err != nil {
		t.Errorf("username-first without user handle: %v", err)
	}
	// None of the refusals touched the stored counter past what the
	// successful sign-in above stored.
	if p, _ := e.db.PasskeyByCredentialID(e.ctx, annPK.CredentialID); p.SignCount == 0 {
		t.Errorf("counter not stored: %+v", p)
	}
}

var allErrors = []error{
	passkey.ErrMalformed, passkey.ErrCredentialIDTooLong, passkey.ErrChallengeUnknown, passkey.ErrChallengeUsed,
	passkey.ErrChallengeExpired, passkey.ErrChallengeMismatch, passkey.ErrWrongCeremony, passkey.ErrOriginNotAllowed,
	passkey.ErrRPIDMismatch, passkey.ErrUserNotPresent, passkey.ErrUserNotVerified, passkey.ErrBackupStateWithoutEligibility,
	passkey.ErrBackupEligibilityChanged, passkey.ErrUnknownCredential, passkey.ErrCredentialNotAllowed,
	passkey.ErrUserHandleMissing, passkey.ErrUserHandleMismatch, passkey.ErrSignCountRegressed, passkey.ErrCredentialExists,
	passkey.ErrNoPasskeys, passkey.ErrVerificationFailed,
}

func TestChallengeSingleUseAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("ann@example.com")
	a := passkeytest.New(origin)
	e.register(u, a)

	t.Run("Replay", func(t *testing.T) {
		options, _ := e.svc.BeginLogin(e.ctx, signInFlow())
		resp, _ := a.Get(options)
		if _, err := e.svc.FinishLogin(e.ctx, signInFlow(), resp); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.FinishLogin(e.ctx, signInFlow(), resp); !errors.Is(err, passkey.ErrChallengeUsed) {
			t.Fatalf("replay: %v, want ErrChallengeUsed", err)
		}
	})
	t.Run("ReusedChallengeFreshSignature", func(t *testing.T) {
		options, _ := e.svc.BeginLogin(e.ctx, signInFlow())
		first, _ := a.Get(options)
		second, _ := a.Get(options) // a new, higher counter over the same challenge
		if _, err := e.svc.FinishLogin(e.ctx, signInFlow(), first); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.FinishLogin(e.ctx, signInFlow(), second); !errors.Is(err, passkey.ErrChallengeUsed) {
			t.Fatalf("second answer to one challenge: %v, want ErrChallengeUsed", err)
		}
	})
	for _, tc := range []struct {
		name string
		c    passkey.Ceremony
	}{
		{"Discoverable", signInFlow()},
		{"UsernameFirst", passkey.Ceremony{Flow: passkey.FlowSignIn, Subject: u.ID, Binding: binding}},
		{"SecondFactor", passkey.Ceremony{Flow: passkey.FlowSecondFactor, Subject: u.ID, Binding: binding}},
	} {
		t.Run("Expired"+tc.name, func(t *testing.T) {
			options, err := e.svc.BeginLogin(e.ctx, tc.c)
			if err != nil {
				t.Fatal(err)
			}
			resp, _ := a.Get(options)
			e.clock.Advance(5*time.Minute + time.Second)
			if _, err := e.svc.FinishLogin(e.ctx, tc.c, resp); !errors.Is(err, passkey.ErrChallengeExpired) {
				t.Fatalf("after 5m1s: %v, want ErrChallengeExpired", err)
			}
		})
	}
	t.Run("JustInTime", func(t *testing.T) {
		options, _ := e.svc.BeginLogin(e.ctx, signInFlow())
		resp, _ := a.Get(options)
		e.clock.Advance(5*time.Minute - time.Second)
		if _, err := e.svc.FinishLogin(e.ctx, signInFlow(), resp); err != nil {
			t.Fatalf("after 4m59s: %v", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		options, _ := e.svc.BeginLogin(e.ctx, signInFlow())
		resp, _ := a.Get(options)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.svc.FinishLogin(e.ctx, signInFlow(), resp); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("%d of 8 concurrent finishes of one assertion succeeded, want 1", ok)
		}
	})
}

func TestChallengeBoundToCeremony(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
	a := passkeytest.New(origin)
	e.register(ann, a)
	e.register(bob, passkeytest.New(origin))
	for _, tc := range []struct {
		name          string
		begin, finish passkey.Ceremony
	}{
		{"OtherFlow", signInFlow(), passkey.Ceremony{Flow: passkey.FlowReauth, Subject: ann.ID, Binding: binding}},
		{"SecondFactorAsSignIn", passkey.Ceremony{Flow: passkey.FlowSecondFactor, Subject: ann.ID, Binding: binding}, signInFlow()},
		{"OtherBrowser", signInFlow(), passkey.Ceremony{Flow: passkey.FlowSignIn, Binding: "another browser"}},
		{"NoBinding", signInFlow(), passkey.Ceremony{Flow: passkey.FlowSignIn}},
		{"OtherUser", passkey.Ceremony{Flow: passkey.FlowSecondFactor, Subject: ann.ID, Binding: binding},
			passkey.Ceremony{Flow: passkey.FlowSecondFactor, Subject: bob.ID, Binding: binding}},
		{"RegistrationFlow", signInFlow(), passkey.Ceremony{Flow: passkey.FlowRegister, Subject: ann.ID, Binding: binding}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			options, err := e.svc.BeginLogin(e.ctx, tc.begin)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := a.Get(options)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.FinishLogin(e.ctx, tc.finish, resp); !errors.Is(err, passkey.ErrChallengeMismatch) {
				t.Fatalf("err = %v, want ErrChallengeMismatch", err)
			}
		})
	}
	t.Run("RegistrationChallengeForSignIn", func(t *testing.T) {
		c := passkey.Ceremony{Flow: passkey.FlowRegister, Subject: ann.ID, Binding: binding}
		opts, _ := e.svc.BeginRegistration(e.ctx, c, passkey.Account{Name: ann.Email})
		var o struct{ PublicKey struct{ Challenge string } }
		json.Unmarshal(opts, &o)
		resp, _ := a.Get([]byte(`{"publicKey":{"challenge":"` + o.PublicKey.Challenge + `","rpId":"example.com"}}`))
		if _, err := e.svc.FinishLogin(e.ctx, signInFlow(), resp); !errors.Is(err, passkey.ErrChallengeMismatch) {
			t.Fatalf("err = %v, want ErrChallengeMismatch", err)
		}
	})
}

func TestSignCountRegression(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("ann@example.com")
	a := passkeytest.New(origin)
	p := e.register(u, a)
	for range 3 {
		if _, err := e.signIn(signInFlow(), a); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []uint32{0, 2, 3} {
		_, err := e.signIn(signInFlow(), a, passkeytest.WithSignCount(n))
		var sce *passkey.SignCountError
		if !errors.Is(err, passkey.ErrSignCountRegressed) || !errors.As(err, &sce) {
			t.Fatalf("counter %d after 3: %v, want a SignCountError", n, err)
		}
		if sce.Observed != n || sce.Passkey.ID != p.ID || sce.Passkey.SignCount != 3 || sce.Passkey.UserID != u.ID {
			t.Errorf("SignCountError %+v", sce)
		}
	}
	stored, _ := e.db.PasskeyByCredentialID(e.ctx, p.CredentialID)
	if stored.SignCount != 3 {
		t.Fatalf("a refused counter was stored: %d", stored.SignCount)
	}
	// The real authenticator, further ahead, still works.
	if _, err := e.signIn(signInFlow(), a, passkeytest.WithSignCount(10)); err != nil {
		t.Fatal(err)
	}
	// A clone with the forged signature is not reported as a clone.
	if _, err := e.signIn(signInFlow(), a, passkeytest.WithSignCount(1), passkeytest.WithBadSignature()); !errors.Is(err, passkey.ErrVerificationFailed) {
		t.Fatalf("bad signature and low counter: %v, want ErrVerificationFailed", err)
	}
	// Authenticators without a counter always send 0, which is fine.
	b := passkeytest.New(origin)
	u2 := e.user("zero@example.com")
	e.register(u2, b)
	for range 2 {
		if _, err := e.signIn(signInFlow(), b, passkeytest.WithSignCount(0)); err != nil {
			t.Fatalf("counter-less authenticator: %v", err)
		}
	}
}

// recordingStore stores what the service asks it to, but answers every
// RecordPasskeyUse with success, as a store without the conditional
// counter update would: it isolates the service's own enforcement of the
// library's CloneWarning. recorded holds the counters it was given.
type recordingStore struct {
	*store.DB
	mu       sync.Mutex
	recorded []uint32
}

func (s *recordingStore) RecordPasskeyUse(ctx context.Context, id string, signCount uint32, backupState bool) error {
	s.mu.Lock()
	s.recorded = append(s.recorded, signCount)
	s.mu.Unlock()
	if err := s.DB.RecordPasskeyUse(ctx, id, signCount, backupState); err != nil && !errors.Is(err, core.ErrConflict) {
		return err
	}
	return nil
}

// TestSignCountRegression_RefusedBeforeTheStore checks that the service
// itself refuses a counter that did not grow (go-webauthn only sets
// CloneWarning): with a store that would accept any counter, the drop is
// still a SignCountError and never reaches the store.
func TestSignCountRegression_RefusedBeforeTheStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	st := &recordingStore{DB: e.db}
	svc, err := passkey.New(st, e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	u := e.user("ann@example.com")
	a := passkeytest.New(origin)
	p := e.register(u, a)
	for range 3 {
		if _, err := e.signIn(signInFlow(), a); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []uint32{0, 2, 3} {
		_, err := e.signIn(signInFlow(), a, passkeytest.WithSignCount(n))
		var sce *passkey.SignCountError
		if !errors.As(err, &sce) || !errors.Is(err, passkey.ErrSignCountRegressed) {
			t.Fatalf("counter %d after 3: %v, want a SignCountError", n, err)
		}
		if sce.Observed != n || sce.Passkey.ID != p.ID || sce.Passkey.SignCount != 3 {
			t.Errorf("SignCountError %+v", sce)
		}
	}
	if want := []uint32{1, 2, 3}; !slices.Equal(st.recorded, want) {
		t.Errorf("counters sent to the store %v, want only %v", st.recorded, want)
	}
	if stored, _ := e.db.PasskeyByCredentialID(e.ctx, p.CredentialID); stored.SignCount != 3 {
		t.Errorf("stored counter %d, want 3", stored.SignCount)
	}
}

func TestDecoyLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("ann@example.com")
	a := passkeytest.New(origin)
	e.register(u, a)
	opts, err := e.svc.BeginDecoyLogin(e.ctx, signInFlow(), "nobody@example.com")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := e.svc.BeginDecoyLogin(e.ctx, signInFlow(), "nobody@example.com")
	var o1, o2 struct {
		PublicKey struct {
			AllowCredentials []struct{ ID string }
		}
	}
	json.Unmarshal(opts, &o1)
	json.Unmarshal(again, &o2)
	if len(o1.PublicKey.AllowCredentials) != 1 || o1.PublicKey.AllowCredentials[0].ID != o2.PublicKey.AllowCredentials[0].ID {
		t.Fatalf("decoy allowCredentials not one stable id: %s / %s", opts, again)
	}
	// Even a real passkey cannot finish a decoy ceremony.
	resp, _ := a.Get(opts, passkeytest.WithCredential(a.Credentials()[0]))
	if _, err := e.svc.FinishLogin(e.ctx, signInFlow(), resp); !errors.Is(err, passkey.ErrUnknownCredential) {
		t.Fatalf("decoy finish: %v, want ErrUnknownCredential", err)
	}
	// A user without passkeys cannot begin a ceremony for one account.
	v := e.user("nokeys@example.com")
	if _, err := e.svc.BeginLogin(e.ctx, passkey.Ceremony{Flow: passkey.FlowSecondFactor, Subject: v.ID, Binding: binding}); !errors.Is(err, passkey.ErrNoPasskeys) {
		t.Fatalf("begin for a user without passkeys: %v", err)
	}
}

func TestRegistrationFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann, bob := e.user("ann@example.com"), e.user("bob@example.com")
	annKey := passkeytest.New(origin)
	e.register(ann, annKey)
	reg := func(u core.User) passkey.Ceremony {
		return passkey.Ceremony{Flow: passkey.FlowRegister, Subject: u.ID, Binding: binding}
	}
	for _, tc := range []struct {
		name   string
		finish func(c passkey.Ceremony) passkey.Ceremony
		opts   []passkeytest.Option
		key    func() *passkeytest.Authenticator
		want   error
	}{
		{"ForeignOrigin", nil, []passkeytest.Option{passkeytest.WithOrigin("https://evil.example")}, nil, passkey.ErrOriginNotAllowed},
		{"ForeignRPIDHash", nil, []passkeytest.Option{passkeytest.WithRPID("evil.example")}, nil, passkey.ErrRPIDMismatch},
		{"GetType", nil, []passkeytest.Option{passkeytest.WithType("webauthn.get")}, nil, passkey.ErrWrongCeremony},
		{"NoUserPresence", nil, []passkeytest.Option{passkeytest.WithoutUserPresence()}, nil, passkey.ErrUserNotPresent},
		{"NoUserVerification", nil, []passkeytest.Option{passkeytest.WithoutUserVerification()}, nil, passkey.ErrUserNotVerified},
		{"BackupStateWithoutEligibility", nil, []passkeytest.Option{passkeytest.WithFlags(false, true)}, nil, passkey.ErrBackupStateWithoutEligibility},
		{"CredentialIDTooLong", nil, []passkeytest.Option{passkeytest.WithCredentialID(make([]byte, 1024))}, nil, passkey.ErrCredentialIDTooLong},
		{"CredentialOfAnotherUser", nil, []passkeytest.Option{passkeytest.WithCredentialID(annKey.Credentials()[0].ID)}, nil, passkey.ErrCredentialExists},
		{"OtherBrowser", func(c passkey.Ceremony) passkey.Ceremony { c.Binding = "x"; return c }, nil, nil, passkey.ErrChallengeMismatch},
		{"OtherUser", func(c passkey.Ceremony) passkey.Ceremony { c.Subject = ann.ID; return c }, nil, nil, passkey.ErrChallengeMismatch},
		{"SignUpFlow", func(c passkey.Ceremony) passkey.Ceremony { c.Flow = passkey.FlowSignUp; return c }, nil, nil, passkey.ErrChallengeMismatch},
		{"SignInFlow", func(c passkey.Ceremony) passkey.Ceremony { c.Flow = passkey.FlowSignIn; return c }, nil, nil, passkey.ErrChallengeMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := reg(bob)
			opts, err := e.svc.BeginRegistration(e.ctx, c, passkey.Account{Name: bob.Email})
			if err != nil {
				t.Fatal(err)
			}
			resp, _, err := passkeytest.New(origin).Create(opts, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if tc.finish != nil {
				c = tc.finish(c)
			}
			if _, err := e.svc.FinishRegistration(e.ctx, c, resp); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("ReplayAndExpiry", func(t *testing.T) {
		c := reg(bob)
		opts, _ := e.svc.BeginRegistration(e.ctx, c, passkey.Account{Name: bob.Email})
		resp, _, _ := passkeytest.New(origin).Create(opts)
		if _, err := e.svc.FinishRegistration(e.ctx, c, resp); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.FinishRegistration(e.ctx, c, resp); !errors.Is(err, passkey.ErrChallengeUsed) {
			t.Fatalf("replay: %v", err)
		}
		opts, _ = e.svc.BeginRegistration(e.ctx, c, passkey.Account{Name: bob.Email})
		resp, _, _ = passkeytest.New(origin).Create(opts)
		e.clock.Advance(5*time.Minute + time.Second)
		if _, err := e.svc.FinishRegistration(e.ctx, c, resp); !errors.Is(err, passkey.ErrChallengeExpired) {
			t.Fatalf("expired: %v", err)
		}
	})
	t.Run("ExcludeCredentials", func(t *testing.T) {
		opts, _ := e.svc.BeginRegistration(e.ctx, reg(ann), passkey.Account{Name: ann.Email})
		if _, _, err := annKey.Create(opts); !errors.Is(err, passkeytest.ErrExcluded) {
			t.Fatalf("the same authenticator registered twice: %v", err)
		}
	})
	t.Run("SameCredentialTwice", func(t *testing.T) {
		// An authenticator that ignores excludeCredentials.
		opts, _ := e.svc.BeginRegistration(e.ctx, reg(ann), passkey.Account{Name: ann.Email})
		resp, _, _ := passkeytest.New(origin).Create(opts, passkeytest.WithCredentialID(annKey.Credentials()[0].ID))
		if _, err := e.svc.FinishRegistration(e.ctx, reg(ann), resp); !errors.Is(err, passkey.ErrCredentialExists) {
			t.Fatalf("err = %v, want ErrCredentialExists", err)
		}
	})
}

func TestMalformedResponses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("ann@example.com")
	a := passkeytest.New(origin)
	e.register(u, a)
	opts, _ := e.svc.BeginRegistration(e.ctx, passkey.Ceremony{Flow: passkey.FlowRegister, Subject: u.ID, Binding: binding}, passkey.Account{Name: u.Email})
	regResp, _, _ := passkeytest.New(origin).Create(opts)
	loginOpts, _ := e.svc.BeginLogin(e.ctx, signInFlow())
	loginResp, _ := a.Get(loginOpts)

	truncate := func(resp []byte, field string, keep int) []byte {
		var m map[string]any
		json.Unmarshal(resp, &m)
		r := m["response"].(map[string]any)
		raw, _ := base64.RawURLEncoding.DecodeString(r[field].(string))
		r[field] = base64.RawURLEncoding.EncodeToString(raw[:keep])
		b, _ := json.Marshal(m)
		return b
	}
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"Empty", nil},
		{"NotJSON", []byte("hello")},
		{"Array", []byte("[]")},
		{"NoID", []byte(`{"type":"public-key","response":{}}`)},
		{"BadBase64ID", []byte(`{"id":"!!!","rawId":"!!!","type":"public-key","response":{}}`)},
		{"PaddedBase64", []byte(strings.Replace(string(regResp), `"id":"`, `"id":"AA==`, 1))},
		{"TruncatedAttestation", truncate(regResp, "attestationObject", 40)},
		{"TruncatedAuthenticatorData", truncate(loginResp, "authenticatorData", 20)},
		{"Huge", append(append([]byte(`{"id":"`), bytes.Repeat([]byte("A"), passkey.MaxResponseSize)...), `"}`...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.FinishRegistration(e.ctx, passkey.Ceremony{Flow: passkey.FlowRegister, Subject: u.ID, Binding: binding}, tc.body)
			if !errors.Is(err, passkey.ErrMalformed) {
				t.Errorf("registration: %v, want ErrMalformed", err)
			}
			_, err = e.svc.FinishLogin(e.ctx, signInFlow(), tc.body)
			if !errors.Is(err, passkey.ErrMalformed) && tc.name != "TruncatedAttestation" {
				t.Errorf("login: %v, want ErrMalformed", err)
			}
		})
	}
}

func TestUserVerificationPreferred(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *passkey.Config) { c.UserVerification = passkey.VerificationPreferred })
	u := e.user("ann@example.com")
	c := passkey.Ceremony{Flow: passkey.FlowRegister, Subject: u.ID, Binding: binding}
	opts, _ := e.svc.BeginRegistration(e.ctx, c, passkey.Account{Name: u.Email})
	if !strings.Contains(string(opts), `"userVerification":"preferred"`) {
		t.Errorf("options %s", opts)
	}
	a := passkeytest.New(origin)
	resp, _, _ := a.Create(opts, passkeytest.WithoutUserVerification())
	reg, err := e.svc.FinishRegistration(e.ctx, c, resp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.AddPasskey(e.ctx, reg.Passkey, nil); err != nil {
		t.Fatal(err)
	}
	got, err := e.signIn(signInFlow(), a, passkeytest.WithoutUserVerification())
	if err != nil || got.UserVerified {
		t.Fatalf("UV=0 with preferred: %+v, %v", got, err)
	}
	if _, err := e.signIn(signInFlow(), a, passkeytest.WithoutUserPresence()); !errors.Is(err, passkey.ErrUserNotPresent) {
		t.Fatalf("UP=0 with preferred: %v", err)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := make([]byte, 32)
	rand.Read(key)
	for _, tc := range []struct {
		name    string
		cfg     passkey.Config
		wantErr string
	}{
		{"OK", passkey.Config{RPID: "example.com", Origins: []string{"https://example.com", "https://app.example.com"}, DecoyKey: key}, ""},
		{"Localhost", passkey.Config{RPID: "localhost", Origins: []string{"http://localhost:8080"}, DecoyKey: key}, ""},
		{"IPAddress", passkey.Config{RPID: "127.0.0.1", Origins: []string{"http://127.0.0.1:8080"}, DecoyKey: key}, "IP address"},
		{"NoRPID", passkey.Config{Origins: []string{"https://example.com"}, DecoyKey: key}, "RPID is required"},
		{"NoOrigins", passkey.Config{RPID: "example.com", DecoyKey: key}, "at least one origin"},
		{"ForeignOrigin", passkey.Config{RPID: "example.com", Origins: []string{"https://example.org"}, DecoyKey: key}, "not on"},
		{"SuffixTrick", passkey.Config{RPID: "example.com", Origins: []string{"https://evilexample.com"}, DecoyKey: key}, "not on"},
		{"PlainHTTP", passkey.Config{RPID: "example.com", Origins: []string{"http://example.com"}, DecoyKey: key}, "https"},
		{"OriginWithPath", passkey.Config{RPID: "example.com", Origins: []string{"https://example.com/app"}, DecoyKey: key}, "not like"},
		{"ShortDecoyKey", passkey.Config{RPID: "example.com", Origins: []string{"https://example.com"}, DecoyKey: key[:8]}, "DecoyKey"},
		{"UnknownUV", passkey.Config{RPID: "example.com", Origins: []string{"https://example.com"}, DecoyKey: key, UserVerification: 9}, "UserVerification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			origins := append([]string(nil), cfg.Origins...)
			_, err := passkey.New(db, cfg)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("New: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("New: %v, want an error about %q", err, tc.wantErr)
			}
			if !slicesEqual(cfg.Origins, origins) {
				t.Error("New changed the caller's Origins")
			}
		})
	}
}

func TestAuthenticatorName(t *testing.T) {
	t.Parallel()
	gpm := []byte{0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21, 0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4}
	if got := passkey.AuthenticatorName(gpm); got != "Google Password Manager" {
		t.Errorf("GPM = %q", got)
	}
	for _, id := range [][]byte{nil, make([]byte, 16), gpm[:15]} {
		if got := passkey.AuthenticatorName(id); got != "" {
			t.Errorf("AuthenticatorName(%x) = %q, want empty", id, got)
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The attestation conveyance reaches the browser's options, and a
// registration still verifies (the software authenticator answers "none",
// which every conveyance accepts).
func TestAttestationConveyance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		att  passkey.Attestation
		want string
	}{
		{passkey.AttestationNone, `"attestation":"none"`},
		{passkey.AttestationIndirect, `"attestation":"indirect"`},
		{passkey.AttestationDirect, `"attestation":"direct"`},
	} {
		e := newEnv(t, func(c *passkey.Config) { c.Attestation = tc.att })
		u := e.user("ann@example.com")
		c := passkey.Ceremony{Flow: passkey.FlowRegister, Subject: u.ID, Binding: binding}
		opts, err := e.svc.BeginRegistration(e.ctx, c, passkey.Account{Name: u.Email})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(opts), tc.want) {
			t.Errorf("attestation %d: options %s lack %s", tc.att, opts, tc.want)
		}
		resp, _, err := passkeytest.New(origin).Create(opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.FinishRegistration(e.ctx, c, resp); err != nil {
			t.Errorf("attestation %d: %v", tc.att, err)
		}
	}
	if _, err := passkey.New(nil, passkey.Config{RPID: rpID, Origins: []string{origin}, Attestation: 9, DecoyKey: make([]byte, 32)}); err == nil {
		t.Error("an unknown attestation was accepted")
	}
}

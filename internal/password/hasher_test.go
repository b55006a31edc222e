package password_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/embedauth/auth/internal/password"
)

// cheap keeps tests fast; DefaultParams is exercised once.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newCheap() *password.Hasher { return password.NewHasher(cheap, 0, 0) }

func TestHashDefaultParamsFormat(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(password.DefaultParams, 0, 0)
	enc, err := h.Hash(t.Context(), "a long enough passphrase")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(enc, prefix) {
		t.Fatalf("Hash = %q, want prefix %q", enc, prefix)
	}
	fields := strings.Split(strings.TrimPrefix(enc, prefix), "$")
	if len(fields) != 2 || len(fields[0]) != 22 || len(fields[1]) != 43 {
		t.Fatalf("salt/hash fields %q: want 22 and 43 base64 characters (16 and 32 bytes, unpadded)", fields)
	}
	if h.Count() != 1 {
		t.Errorf("Count = %d, want 1", h.Count())
	}
	if got := h.Params(); got != password.DefaultParams {
		t.Errorf("Params = %+v, want %+v", got, password.DefaultParams)
	}
}

// Hashes made by the reference argon2 CLI (phc-winner-argon2, as packaged
// by Debian), e.g. echo -n password | argon2 somesalt -id -t 2 -m 6 -p 1 -l 32 -e.
func TestReferenceVectors(t *testing.T) {
	t.Parallel()
	tests := []struct{ password, encoded string }{
		{"password", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
		{"correct horse battery staple", "$argon2id$v=19$m=128,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$2aIMhlbOJO/azL2yWmrfhQ"},
		// NFC input to the CLI; NFD input here must verify after normalisation.
		{norm.NFD.String("Ångström"), "$argon2id$v=19$m=16,t=1,p=1$c29tZXNhbHQ$3ADl5JJUnNBEluUHqaekUrHKy8RTy6iWe/gMd4lFjFw"},
	}
	h := newCheap()
	for _, tt := range tests {
		t.Run(tt.encoded, func(t *testing.T) {
			t.Parallel()
			ok, _, err := h.Verify(t.Context(), tt.password, tt.encoded)
			if err != nil || !ok {
				t.Fatalf("Verify(%q) = %v, %v; want true, nil", tt.password, ok, err)
			}
			ok, _, err = h.Verify(t.Context(), tt.password+"x", tt.encoded)
			if err != nil || ok {
				t.Fatalf("Verify(wrong) = %v, %v; want false, nil", ok, err)
			}
			p, salt, key, err := password.ParsePHC(tt.encoded)
			if err != nil {
				t.Fatal(err)
			}
			if got := password.EncodePHC(p, salt, key); got != tt.encoded {
				t.Errorf("re-encoded = %q", got)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("0123456789", 10) // 100 characters
	nfc := norm.NFC.String("ÅngströmÅngström1")
	nfd := norm.NFD.String(nfc)
	if nfc == nfd {
		t.Fatal("NFC and NFD forms are equal; test is broken")
	}
	tests := []struct {
		name, hashed, tried string
		want                bool
	}{
		{"same", "correct horse", "correct horse", true},
		{"wrong", "correct horse", "correct horsf", false},
		{"case matters", "correct horse", "Correct horse", false},
		{"empty vs non-empty", "", "x", false},
		{"empty", "", "", true},
		{"100 chars", long, long, true},
		{"first 72 of 100 chars", long, long[:72], false},
		{"first 99 of 100 chars", long, long[:99], false},
		{"NFC hashed, NFC tried", nfc, nfc, true},
		{"NFC hashed, NFD tried", nfc, nfd, true},
		{"NFD hashed, NFC tried", nfd, nfc, true},
		{"NFD hashed, NFD tried", nfd, nfd, true},
		{"NFKC: fullwidth", "ｐａｓｓ", "pass", true},
		{"NFKC: ligature", "ﬁsh", "fish", true},
		{"emoji", "🦊🌵🎻", "🦊🌵🎻", true},
	}
	h := newCheap()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc, err := h.Hash(t.Context(), tt.hashed)
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := h.Verify(t.Context(), tt.tried, enc)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want || rehash {
				t.Errorf("Verify = %v, %v; want %v, false", ok, rehash, tt.want)
			}
		})
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	t.Parallel()
	h := newCheap()
	seen := map[string]bool{}
	for range 5 {
		enc, err := h.Hash(t.Context(), "same password every time")
		if err != nil {
			t.Fatal(err)
		}
		_, salt, _, err := password.ParsePHC(enc)
		if err != nil {
			t.Fatal(err)
		}
		if seen[string(salt)] {
			t.Fatalf("salt repeated in %q", enc)
		}
		seen[string(salt)] = true
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	base := cheap
	with := func(f func(*password.Params)) password.Params {
		p := base
		f(&p)
		return p
	}
	tests := []struct {
		name   string
		stored password.Params // params the hash was made with
		now    password.Params // params of the verifying Hasher
		want   bool
	}{
		{"same", base, base, false},
		{"memory raised", base, with(func(p *password.Params) { p.Memory *= 2 }), true},
		{"time raised", base, with(func(p *password.Params) { p.Time++ }), true},
		{"threads raised", base, with(func(p *password.Params) { p.Threads++ }), true},
		{"key length raised", base, with(func(p *password.Params) { p.KeyLen = 64 }), true},
		{"salt length raised", base, with(func(p *password.Params) { p.SaltLen = 32 }), true},
		{"memory lowered", with(func(p *password.Params) { p.Memory *= 2 }), base, false},
		{"time lowered", with(func(p *password.Params) { p.Time++ }), base, false},
		{"threads lowered", with(func(p *password.Params) { p.Threads++ }), base, false},
		{"key length lowered", with(func(p *password.Params) { p.KeyLen = 64 }), base, false},
		{"all lowered", password.Params{Memory: 128, Time: 2, Threads: 2, SaltLen: 32, KeyLen: 64}, base, false},
		{"one raised, others lowered", password.Params{Memory: 32, Time: 2, Threads: 2, SaltLen: 32, KeyLen: 64}, base, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc, err := password.NewHasher(tt.stored, 0, 0).Hash(t.Context(), "pw")
			if err != nil {
				t.Fatal(err)
			}
			h := password.NewHasher(tt.now, 0, 0)
			ok, rehash, err := h.Verify(t.Context(), "pw", enc)
			if err != nil || !ok || rehash != tt.want {
				t.Fatalf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.want)
			}
			// A wrong password never asks for a rehash.
			ok, rehash, err = h.Verify(t.Context(), "wrong", enc)
			if err != nil || ok || rehash {
				t.Fatalf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

// validEnc is a well-formed cheap hash of "password" (see TestReferenceVectors).
const validEnc = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"

var malformed = []struct{ name, enc string }{
	{"empty", ""},
	{"plain text", "password"},
	{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZ"}, // truncated; whole bcrypt hashes verify (bcrypt_test.go)
	{"argon2i", "$argon2i$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"argon2d", "$argon2d$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"upper-case algorithm", "$ARGON2ID$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"no version", "$argon2id$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"version 16", "$argon2id$v=16$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"leading space", " " + validEnc},
	{"trailing newline", validEnc + "\n"},
	{"trailing dollar", validEnc + "$"},
	{"extra field", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI$eA"},
	{"missing hash", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ"},
	{"empty hash", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$"},
	{"params reordered", "$argon2id$v=19$t=2,m=64,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"params with spaces", "$argon2id$v=19$m=64, t=2, p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"keyid param", "$argon2id$v=19$m=64,t=2,p=1,keyid=AA$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"missing param", "$argon2id$v=19$m=64,t=2$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"leading zero", "$argon2id$v=19$m=064,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"plus sign", "$argon2id$v=19$m=+64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"negative", "$argon2id$v=19$m=64,t=-2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"hex", "$argon2id$v=19$m=0x40,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"memory over 4 GiB", "$argon2id$v=19$m=4194305,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"memory overflows uint32", "$argon2id$v=19$m=4294967296,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"memory huge", "$argon2id$v=19$m=99999999999999999999,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"memory below 8 per lane", "$argon2id$v=19$m=8,t=2,p=2$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"memory zero", "$argon2id$v=19$m=0,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"time over 100", "$argon2id$v=19$m=64,t=101,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"time zero", "$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"threads zero", "$argon2id$v=19$m=64,t=2,p=0$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"threads 256", "$argon2id$v=19$m=4096,t=2,p=256$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"padded salt", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ=$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"padded hash", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI="},
	{"URL alphabet", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSS_"},
	{"non-zero trailing bits", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHR$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"newline inside salt", "$argon2id$v=19$m=64,t=2,p=1$c29tZX\nNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"impossible base64 length", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQx5$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"salt of 4 bytes", "$argon2id$v=19$m=64,t=2,p=1$c2FsdA$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI"},
	{"hash of 8 bytes", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0"},
	{"hash of 2 KiB", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$" + strings.Repeat("AAAA", 683)},
	{"non-ASCII", "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSÍ"},
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	h := newCheap()
	for _, tt := range malformed {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(t.Context(), "password", tt.enc)
			if !errors.Is(err, password.ErrInvalidHash) || ok || rehash {
				t.Fatalf("Verify(%q) = %v, %v, %v; want false, false, ErrInvalidHash", tt.enc, ok, rehash, err)
			}
		})
	}
	if n := h.Count(); n != 0 {
		t.Errorf("Count = %d after malformed hashes, want 0 (nothing should be computed)", n)
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	// At the limits: parsed (but not run).
	for _, enc := range []string{
		"$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
		"$argon2id$v=19$m=64,t=100,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
		"$argon2id$v=19$m=2040,t=1,p=255$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
	} {
		if _, _, _, err := password.ParsePHC(enc); err != nil {
			t.Errorf("ParsePHC(%q): %v", enc, err)
		}
	}
}

func TestNewHasherDefaultsAndPanics(t *testing.T) {
	t.Parallel()
	if got := password.NewHasher(password.Params{}, 0, 0).Params(); got != password.DefaultParams {
		t.Errorf("NewHasher(Params{}).Params() = %+v, want DefaultParams", got)
	}
	if got := password.NewHasher(password.Params{Memory: 64}, 0, 0).Params(); got.Memory != 64 || got.Time != 2 || got.KeyLen != 32 {
		t.Errorf("partial Params not defaulted: %+v", got)
	}
	for _, p := range []password.Params{
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
		{Memory: 64, Time: 101, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 5 * 1024 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHasher(%+v) did not panic", p)
				}
			}()
			password.NewHasher(p, 0, 0)
		}()
	}
}

func TestBusy(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(cheap, 1, 50*time.Millisecond)
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	password.SetTestHook(h, func() {
		once.Do(func() {
			close(entered)
			<-release // hold the only slot until the test lets go
		})
	})
	first := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "first")
		first <- err
	}()
	<-entered
	if n := h.InFlight(); n != 1 {
		t.Errorf("InFlight = %d while one hash holds the slot, want 1", n)
	}

	if _, err := h.Hash(t.Context(), "second"); !errors.Is(err, password.ErrBusy) {
		t.Errorf("Hash while busy: err = %v, want ErrBusy", err)
	}
	if ok, _, err := h.Verify(t.Context(), "password", validEnc); !errors.Is(err, password.ErrBusy) || ok {
		t.Errorf("Verify while busy = %v, %v; want false, ErrBusy", ok, err)
	}
	if err := h.Dummy(t.Context(), "x"); !errors.Is(err, password.ErrBusy) {
		t.Errorf("Dummy while busy: err = %v, want ErrBusy", err)
	}

	// A cancelled context wins over waiting (before or during the wait).
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.Hash(ctx, "third"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with cancelled ctx: err = %v, want context.Canceled", err)
	}
	slow := password.NewHasher(cheap, 1, time.Hour)
	held := make(chan struct{})
	password.SetTestHook(slow, func() {
		close(held)
		<-release
	})
	slowDone := make(chan error, 1)
	go func() { slowDone <- slow.Dummy(context.Background(), "hold") }()
	<-held
	ctx, cancel = context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := slow.Dummy(ctx, "waiting"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dummy whose ctx expires while waiting: err = %v, want context.DeadlineExceeded", err)
	}

	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first Hash: %v", err)
	}
	if err := <-slowDone; err != nil {
		t.Fatalf("holding Dummy: %v", err)
	}
	if n := h.Count(); n != 1 {
		t.Errorf("Count = %d, want 1 (refused calls compute nothing)", n)
	}
	if n := h.InFlight(); n != 0 {
		t.Errorf("InFlight = %d after release, want 0", n)
	}
	if _, err := h.Hash(t.Context(), "again"); err != nil {
		t.Errorf("Hash after release: %v", err)
	}
}

func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	const limit = 2
	h := password.NewHasher(cheap, limit, time.Minute)
	var peak atomic.Int64
	password.SetTestHook(h, func() {
		n := int64(h.InFlight())
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
	})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "pw"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p < 1 || p > limit {
		t.Errorf("peak InFlight = %d, want 1..%d", p, limit)
	}
	if n := h.Count(); n != 16 {
		t.Errorf("Count = %d, want 16", n)
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	stored, err := newCheap().Hash(t.Context(), "right")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		op   func(context.Context, *password.Hasher) error
		want int64
	}{
		{"Hash", func(ctx context.Context, h *password.Hasher) error {
			_, err := h.Hash(ctx, "pw")
			return err
		}, 1},
		{"Verify right", func(ctx context.Context, h *password.Hasher) error {
			_, _, err := h.Verify(ctx, "right", stored)
			return err
		}, 1},
		{"Verify wrong", func(ctx context.Context, h *password.Hasher) error {
			_, _, err := h.Verify(ctx, "wrong", stored)
			return err
		}, 1},
		{"Verify stronger stored hash", func(ctx context.Context, h *password.Hasher) error {
			_, _, err := h.Verify(ctx, "password", "$argon2id$v=19$m=128,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$2aIMhlbOJO/azL2yWmrfhQ")
			return err
		}, 1},
		{"Dummy", func(ctx context.Context, h *password.Hasher) error { return h.Dummy(ctx, "pw") }, 1},
		{"Verify malformed", func(ctx context.Context, h *password.Hasher) error {
			if _, _, err := h.Verify(ctx, "pw", "nope"); err == nil {
				return errors.New("no error for malformed hash")
			}
			return nil
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCheap()
			for i := range int64(3) {
				if err := tt.op(t.Context(), h); err != nil {
					t.Fatal(err)
				}
				if got, want := h.Count(), (i+1)*tt.want; got != want {
					t.Fatalf("after %d calls Count = %d, want %d", i+1, got, want)
				}
			}
		})
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add(validEnc)
	f.Add("$argon2id$v=19$m=128,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$2aIMhlbOJO/azL2yWmrfhQ")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI")
	for _, tt := range malformed {
		f.Add(tt.enc)
	}
	h := newCheap()
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := password.ParsePHC(s)
		if err != nil {
			if !errors.Is(err, password.ErrInvalidHash) {
				t.Fatalf("ParsePHC(%q): error %v does not wrap ErrInvalidHash", s, err)
			}
			return
		}
		// Strict parsing: one spelling per hash.
		if got := password.EncodePHC(p, salt, key); got != s {
			t.Fatalf("ParsePHC accepted non-canonical %q (canonical %q)", s, got)
		}
		if int(p.SaltLen) != len(salt) || int(p.KeyLen) != len(key) {
			t.Fatalf("lengths %+v vs %d, %d", p, len(salt), len(key))
		}
		if p.Memory <= 1024 && p.Time <= 3 {
			if _, _, err := h.Verify(context.Background(), "pw", s); err != nil {
				t.Fatalf("Verify(%q) after successful parse: %v", s, err)
			}
		}
	})
}

package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB; default 19*1024
	Time    uint32 // iterations; default 2
	Threads uint8  // default 1
	SaltLen uint32 // bytes; default 16
	KeyLen  uint32 // bytes; default 32
}

// DefaultParams are the OWASP minimum argon2id parameters: 19 MiB, 2
// iterations, 1 lane, a 16-byte salt and a 32-byte key.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// ErrBusy is returned when a caller waited the Hasher's full wait time
// without getting a slot to compute a hash.
var ErrBusy = &core.Error{Kind: core.ErrRateLimited, Code: "busy",
	Message: "We're handling a lot of sign-ins right now. Try again in a moment.", RetryAfter: time.Second}

// ErrInvalidHash is wrapped by the errors returned for an encoded hash that
// is malformed, uses an unsupported algorithm or version, or has parameters
// out of range.
var ErrInvalidHash = errors.New("password: invalid password hash")

// defaultWait is how long a caller waits for a slot when NewHasher is
// given wait <= 0.
const defaultWait = 2 * time.Second

// Hasher hashes and verifies passwords with argon2id
// (internal/argon2, a pooled copy of golang.org/x/crypto/argon2), bounding how many computations run at once.
// A Hasher is safe for concurrent use.
type Hasher struct {
	p        Params
	sem      chan struct{}
	wait     time.Duration
	inFlight atomic.Int64
	count    atomic.Int64

	// testHook, when set (only by tests, before use), runs while a slot is
	// held, just before the argon2 computation.
	testHook func()
}

// NewHasher returns a Hasher that hashes with p. A zero field of p takes
// its value from DefaultParams. At most concurrency hashes run at once
// (concurrency <= 0 means runtime.GOMAXPROCS(0)); a caller waits at most
// wait for a slot before getting ErrBusy (wait <= 0 means 2s).
//
// NewHasher panics if p is outside the range that Verify accepts in a
// stored hash (for example a salt shorter than 8 bytes, a key shorter than
// 16 bytes, or more than 4 GiB of memory), since hashes made with it could
// never be verified.
func NewHasher(p Params, concurrency int, wait time.Duration) *Hasher {
	if p.Memory == 0 {
		p.Memory = DefaultParams.Memory
	}
	if p.Time == 0 {
		p.Time = DefaultParams.Time
	}
	if p.Threads == 0 {
		p.Threads = DefaultParams.Threads
	}
	if p.SaltLen == 0 {
		p.SaltLen = DefaultParams.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = DefaultParams.KeyLen
	}
	if err := checkParams(p); err != nil {
		panic(fmt.Sprintf("password.NewHasher: %v", err))
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	if wait <= 0 {
		wait = defaultWait
	}
	return &Hasher{p: p, sem: make(chan struct{}, concurrency), wait: wait}
}

// Params returns the parameters h hashes with (after defaults are applied).
func (h *Hasher) Params() Params { return h.p }

// Hash normalises password to NFKC and returns its argon2id hash as a PHC
// string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, salt and hash in
// standard base64 without padding. It returns ErrBusy or ctx's error if no
// slot could be had. A started computation is not interrupted by ctx.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key, err := h.compute(ctx, password, salt, h.p.Time, h.p.Memory, h.p.Threads, h.p.KeyLen)
	if err != nil {
		return "", err
	}
	return encodePHC(h.p, salt, key), nil
}

// Verify normalises password to NFKC, hashes it with the parameters and
// salt stored in encoded, and compares the result in constant time.
//
// ok is false, with a nil error, when the password is wrong. needsRehash is
// true when ok is true and encoded was made with weaker parameters than
// h's (lower memory, iterations, lanes, key length or salt length), so the
// caller should store a fresh Hash of the password. err is non-nil only
// for a fault: a malformed or unsupported encoded hash (wrapping
// ErrInvalidHash), ErrBusy, or ctx's error.
//
// A bcrypt hash ($2a$, $2b$ or $2y$, as imported from another system) is
// verified too, under the same concurrency bound, and always needs a
// rehash: the caller replaces it with argon2id at the first sign-in.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	if IsBcrypt(encoded) {
		ok, err := h.verifyBcrypt(ctx, password, encoded)
		return ok, ok, err
	}
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.compute(ctx, password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, weaker(p, h.p), nil
}

// Dummy normalises password and runs one hash with h's parameters and a
// random salt, and discards it, so that a sign-in for an unknown account
// costs as much time as one for a known account. It is bounded by the same
// semaphore as Hash and Verify and returns ErrBusy or ctx's error if no slot
// could be had.
func (h *Hasher) Dummy(ctx context.Context, password string) error {
	salt := make([]byte, h.p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("password: reading salt: %w", err)
	}
	_, err := h.compute(ctx, password, salt, h.p.Time, h.p.Memory, h.p.Threads, h.p.KeyLen)
	return err
}

// InFlight reports how many argon2 computations are running now.
func (h *Hasher) InFlight() int { return int(h.inFlight.Load()) }

// Count reports how many argon2 computations h has run in total.
func (h *Hasher) Count() int64 { return h.count.Load() }

// compute normalises password and runs argon2id while holding a slot.
// Everything else (parsing, salt generation, encoding, comparison) happens
// outside the slot.
func (h *Hasher) compute(ctx context.Context, password string, salt []byte, t, m uint32, threads uint8, keyLen uint32) ([]byte, error) {
	pw := []byte(Normalize(password))
	defer clear(pw)
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-h.sem }()
	h.inFlight.Add(1)
	defer h.inFlight.Add(-1)
	if h.testHook != nil {
		h.testHook()
	}
	h.count.Add(1)
	return argon2.IDKey(pw, salt, t, m, threads, keyLen), nil
}

// acquire takes a slot of the semaphore, waiting at most h.wait.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(h.wait)
	defer timer.Stop()
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-timer.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

// weaker reports whether stored has any cost parameter below want.
func weaker(stored, want Params) bool {
	return stored.Memory < want.Memory ||
		stored.Time < want.Time ||
		stored.Threads < want.Threads ||
		stored.KeyLen < want.KeyLen ||
		stored.SaltLen < want.SaltLen
}

package passwordless

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/embedauth/auth/core"
)

// Store is what a [Service] needs from storage. *store.DB implements it.
// Every method is one transaction; "not found" is [core.ErrNotFound].
type Store interface {
	// CreateChallenge stores a new flow, counts its message against
	// limits ([core.ErrRateLimited] when one is reached, storing nothing)
	// and queues out (nil: send nothing) in the same transaction.
	CreateChallenge(ctx context.Context, c core.Challenge, limits []core.SendLimit, out *core.Outgoing) error
	// ReplaceChallengeSecret gives a live, unused flow a new secret (the
	// old one stops working), keeps the address's failure count, allows at
	// most maxSends secrets per flow and counts and queues like
	// CreateChallenge.
	ReplaceChallengeSecret(ctx context.Context, id, secretHash string, expires time.Time, maxSends int,
		limits []core.SendLimit, out *core.Outgoing) (core.Challenge, error)
	// Challenge returns a flow by id.
	Challenge(ctx context.Context, id string) (core.Challenge, error)
	// ChallengeBySecret returns the flow whose current secret has this hash.
	ChallengeBySecret(ctx context.Context, secretHash string) (core.Challenge, error)
	// ConsumeChallenge uses a challenge once and completes its purpose,
	// counting a wrong secret against the flow and the address; see
	// store.DB.ConsumeChallenge for the exact rules.
	ConsumeChallenge(ctx context.Context, a core.ChallengeAttempt) (core.Completion, error)
	// ClaimChallengeSession signs in, once, the browser that asked for a
	// magic link used in another browser.
	ClaimChallengeSession(ctx context.Context, flowID string, sess core.Session) (core.Completion, error)
}

// Errors of malformed input, before anything is looked up.
var (
	// ErrMalformedCode means a code is not CodeLength digits.
	ErrMalformedCode = errors.New("passwordless: malformed code")
	// ErrMalformedPhone means a phone number is not in international
	// (E.164) form.
	ErrMalformedPhone = errors.New("passwordless: malformed phone number")
	// ErrMalformedToken means a link token cannot be one we issued.
	ErrMalformedToken = errors.New("passwordless: malformed link token")
)

// Config sets the rules of a [Service]. Zero fields get the defaults
// given.
type Config struct {
	// Key keys the code hashes (at least 32 bytes), so that the database
	// alone cannot be brute-forced for a code. Required.
	Key []byte
	// CodeLength is 6 or 8 digits. Default 6.
	CodeLength int
	// CodeTTL is how long a code works. Default 10 minutes.
	CodeTTL time.Duration
	// LinkTTL is how long a magic link works. Default 15 minutes.
	LinkTTL time.Duration
	// FlowTTL is how long a flow may be resent. Default 1 hour.
	FlowTTL time.Duration
	// MaxAttempts is the number of wrong entries one code allows. Default 5.
	MaxAttempts int
	// MaxFailures is the number of consecutive wrong codes an address
	// allows, across codes and flows, before it is locked for LockFor.
	// Defaults 100 and 1 hour.
	MaxFailures int
	LockFor     time.Duration
	// MaxSends is the number of codes or links one flow may send. Default 5.
	MaxSends int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Service issues and verifies one-time codes and magic links. It is safe
// for concurrent use.
type Service struct {
	store Store
	cfg   Config
}

// New returns a Service over store.
func New(store Store, cfg Config) (*Service, error) {
	if len(cfg.Key) < 32 {
		return nil, errors.New("passwordless: Key must be at least 32 bytes")
	}
	cfg.Key = append([]byte(nil), cfg.Key...)
	if cfg.CodeLength == 0 {
		cfg.CodeLength = 6
	}
	if cfg.CodeLength != 6 && cfg.CodeLength != 8 {
		return nil, fmt.Errorf("passwordless: CodeLength %d must be 6 or 8", cfg.CodeLength)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.CodeTTL, 10*time.Minute)
	def(&cfg.LinkTTL, 15*time.Minute)
	def(&cfg.FlowTTL, time.Hour)
	def(&cfg.LockFor, time.Hour)
	if cfg.FlowTTL < cfg.CodeTTL || cfg.FlowTTL < cfg.LinkTTL {
		cfg.FlowTTL = max(cfg.CodeTTL, cfg.LinkTTL)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 100
	}
	if cfg.MaxSends <= 0 {
		cfg.MaxSends = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: store, cfg: cfg}, nil
}

// Config returns the rules in force, defaults filled in (Key omitted).
func (s *Service) Config() Config {
	c := s.cfg
	c.Key = nil
	return c
}

// Request starts a flow.
type Request struct {
	// Kind is core.ChallengeEmailCode, core.ChallengeSMSCode or
	// core.ChallengeMagicLink.
	Kind string
	// Purpose is core.PurposeSignIn, core.PurposeVerify or
	// core.PurposeReverify.
	Purpose string
	// Address is a checked email address, or a phone number from
	// [NormalizePhone]; AddressKey is how the store compares it.
	Address, AddressKey string
	// UserID is the user adding the address (PurposeVerify) or proving
	// it again (PurposeReverify).
	UserID string
	// Name is the new user's name if the flow signs up.
	Name string
	// RedirectURL is where the browser goes when the flow completes; the
	// caller checks it against its allowlist.
	RedirectURL string
	// AllowSignUp lets a sign-in create the user.
	AllowSignUp bool
	// SameDevice binds a magic link to the browser that asked.
	SameDevice bool
	// Requester describes the asking device, for the link's confirmation.
	Requester string
	// Limits cap the message sends (per address, per client, overall).
	Limits []core.SendLimit
}

// Secret is a freshly issued code or link token, for the message only:
// it is never stored.
type Secret struct {
	// Challenge is the flow the secret belongs to.
	Challenge core.Challenge
	// Code is the one-time code (code kinds).
	Code string
	// Token is the magic link's token (ChallengeMagicLink), to put in the
	// link's URL.
	Token string
	// ExpiresIn is how long the code or link works.
	ExpiresIn time.Duration
}

// Render turns a secret into the message to queue with it, or nil to
// send nothing (the flow is stored all the same, so the answer and the
// work do not depend on it).
type Render func(Secret) (*core.Outgoing, error)

func (s *Service) ttl(kind string) time.Duration {
	if kind == core.ChallengeMagicLink {
		return s.cfg.LinkTTL
	}
	return s.cfg.CodeTTL
}

// newSecret draws a code or token and its hash for flow id.
func (s *Service) newSecret(kind, id string) (secret Secret, hash string) {
	if kind == core.ChallengeMagicLink {
		secret.Token = newToken()
		return secret, s.tokenHash(secret.Token)
	}
	secret.Code = newCode(s.cfg.CodeLength)
	return secret, s.codeHash(id, secret.Code)
}

// Start begins a flow: it draws a code or link token, stores its hash
// and queues the message render makes from it, in one transaction. A send
// cap that is reached is [core.ErrRateLimited].
func (s *Service) Start(ctx context.Context, req Request, render Render) (core.Challenge, error) {
	switch req.Kind {
	case core.ChallengeEmailCode, core.ChallengeSMSCode, core.ChallengeMagicLink:
	default:
		return core.Challenge{}, fmt.Errorf("passwordless: unknown kind %q", req.Kind)
	}
	channel := core.IdentifierEmail
	if req.Kind == core.ChallengeSMSCode {
		channel = core.IdentifierPhone
	}
	now := s.cfg.Now()
	c := core.Challenge{
		ID: core.NewID("flow"), Kind: req.Kind, Purpose: req.Purpose, Channel: channel, Address: req.Address,
		AddressKey: req.AddressKey, UserID: req.UserID, Name: req.Name, RedirectURL: req.RedirectURL,
		AllowSignUp: req.AllowSignUp && req.Purpose == core.PurposeSignIn, SameDevice: req.SameDevice && req.Kind == core.ChallengeMagicLink,
		Requester: req.Requester, Sends: 1, CreatedAt: now, ExpiresAt: now.Add(s.ttl(req.Kind)), FlowExpiresAt: now.Add(s.cfg.FlowTTL),
	}
	secret, hash := s.newSecret(req.Kind, c.ID)
	c.SecretHash = hash
	secret.Challenge, secret.ExpiresIn = c, s.ttl(req.Kind)
	out, err := render(secret)
	if err != nil {
		return core.Challenge{}, fmt.Errorf("passwordless: start: %w", err)
	}
	if err := s.store.CreateChallenge(ctx, c, req.Limits, out); err != nil {
		return core.Challenge{}, fmt.Errorf("passwordless: start: %w", err)
	}
	return c, nil
}

// Resend issues a new code or link in flow id: the previous one stops
// working at once, and the address's count of wrong codes carries on. At
// most Config.MaxSends per flow ([core.ErrRateLimited]); an ended or used
// flow is [core.ErrNotFound].
func (s *Service) Resend(ctx context.Context, id string, limits []core.SendLimit, render Render) (core.Challenge, error) {
	c, err := s.store.Challenge(ctx, id)
	if err != nil {
		return core.Challenge{}, fmt.Errorf("passwordless: resend: %w", err)
	}
	if c.ConsumedAt != nil || !s.cfg.Now().Before(c.FlowExpiresAt) {
		return core.Challenge{}, fmt.Errorf("passwordless: resend: %w", core.ErrNotFound)
	}
	secret, hash := s.newSecret(c.Kind, c.ID)
	c.SecretHash, c.ExpiresAt = hash, s.cfg.Now().Add(s.ttl(c.Kind))
	secret.Challenge, secret.ExpiresIn = c, s.ttl(c.Kind)
	out, err := render(secret)
	if err != nil {
		return core.Challenge{}, fmt.Errorf("passwordless: resend: %w", err)
	}
	c, err = s.store.ReplaceChallengeSecret(ctx, id, hash, c.ExpiresAt, s.cfg.MaxSends, limits, out)
	if err != nil {
		return core.Challenge{}, fmt.Errorf("passwordless: resend: %w", err)
	}
	return c, nil
}

// VerifyCode checks code against flow id and, when it matches, uses the
// flow and completes its purpose, creating sess (if not nil) for the
// proven user in the same transaction. A malformed code is
// [ErrMalformedCode] and counts nothing; a wrong one is
// [core.ErrInvalidCode]; see [Store].ConsumeChallenge for the rest.
func (s *Service) VerifyCode(ctx context.Context, id, code string, sess *core.Session) (core.Completion, error) {
	return s.VerifyCodeNotify(ctx, id, code, sess, nil)
}

// VerifyCodeNotify is [Service.VerifyCode] that also queues notice (if
// not nil) in the same transaction when the code matches.
func (s *Service) VerifyCodeNotify(ctx context.Context, id, code string, sess *core.Session, notice *core.Outgoing) (core.Completion, error) {
	code, err := CleanCode(code, s.cfg.CodeLength)
	if err != nil {
		return core.Completion{}, err
	}
	done, err := s.store.ConsumeChallenge(ctx, core.ChallengeAttempt{
		FlowID: id, SecretHash: s.codeHash(id, code), MaxAttempts: s.cfg.MaxAttempts,
		MaxFailures: s.cfg.MaxFailures, LockFor: s.cfg.LockFor, Session: sess, Notice: notice,
	})
	if err != nil {
		return core.Completion{}, fmt.Errorf("passwordless: verify code: %w", err)
	}
	return done, nil
}

// Link returns the flow of a magic link token without using it, for the
// page that asks to confirm: [core.ErrNotFound], [core.ErrUsed] or
// [core.ErrExpired] when it cannot be used.
func (s *Service) Link(ctx context.Context, token string) (core.Challenge, error) {
	if !wellFormedToken(token) {
		return core.Challenge{}, ErrMalformedToken
	}
	c, err := s.store.ChallengeBySecret(ctx, s.tokenHash(token))
	switch {
	case err != nil:
		return c, fmt.Errorf("passwordless: link: %w", err)
	case c.Kind != core.ChallengeMagicLink:
		return c, fmt.Errorf("passwordless: link: %w", core.ErrNotFound)
	case c.ConsumedAt != nil:
		return c, fmt.Errorf("passwordless: link: %w", core.ErrUsed)
	case !s.cfg.Now().Before(c.ExpiresAt):
		return c, fmt.Errorf("passwordless: link: %w", core.ErrExpired)
	}
	return c, nil
}

// VerifyLink uses a magic link once and completes its purpose, creating
// sess (if not nil) in the same transaction. deviceFlowID is the flow the
// presenting browser started, if any: a same-device link opened elsewhere
// is [core.ErrWrongDevice] and stays usable.
func (s *Service) VerifyLink(ctx context.Context, token, deviceFlowID string, sess *core.Session) (core.Completion, error) {
	if !wellFormedToken(token) {
		return core.Completion{}, ErrMalformedToken
	}
	done, err := s.store.ConsumeChallenge(ctx, core.ChallengeAttempt{
		Kind: core.ChallengeMagicLink, SecretHash: s.tokenHash(token), DeviceFlowID: deviceFlowID, Session: sess,
	})
	if err != nil {
		return core.Completion{}, fmt.Errorf("passwordless: verify link: %w", err)
	}
	return done, nil
}

// Status is where a flow stands, for a browser waiting on a magic link.
type Status string

// Flow statuses.
const (
	StatusPending   Status = "pending"   // sent, not used yet
	StatusCompleted Status = "completed" // used in this browser, or claimed by it
	StatusElsewhere Status = "completed_elsewhere"
	StatusExpired   Status = "expired"
)

// Status reports where flow id stands: StatusElsewhere means its link was
// used in another browser and [Service.ClaimWaiting] can sign this one in.
func (s *Service) Status(ctx context.Context, id string) (Status, core.Challenge, error) {
	c, err := s.store.Challenge(ctx, id)
	if err != nil {
		return "", c, fmt.Errorf("passwordless: status: %w", err)
	}
	now := s.cfg.Now()
	switch {
	case c.ConsumedAt != nil && c.WaiterClaimed:
		return StatusCompleted, c, nil
	case c.ConsumedAt != nil && now.Before(c.FlowExpiresAt) && c.Purpose == core.PurposeSignIn:
		return StatusElsewhere, c, nil
	case c.ConsumedAt != nil, !now.Before(c.ExpiresAt):
		return StatusExpired, c, nil
	}
	return StatusPending, c, nil
}

// ClaimWaiting signs in the browser that asked for a magic link, after
// the link was used in another browser: once per flow, creating sess.
func (s *Service) ClaimWaiting(ctx context.Context, id string, sess core.Session) (core.Completion, error) {
	done, err := s.store.ClaimChallengeSession(ctx, id, sess)
	if err != nil {
		return core.Completion{}, fmt.Errorf("passwordless: claim: %w", err)
	}
	return done, nil
}

// codeHash binds a code to its flow and keys it, so a code from one flow
// fails in another and the stored hash cannot be brute-forced alone.
func (s *Service) codeHash(flowID, code string) string {
	m := hmac.New(sha256.New, s.cfg.Key)
	m.Write([]byte("code\x00"))
	m.Write([]byte(flowID))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Service) tokenHash(token string) string {
	m := hmac.New(sha256.New, s.cfg.Key)
	m.Write([]byte("link\x00"))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// newCode returns n uniformly random decimal digits from the CSPRNG.
func newCode(n int) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return fmt.Sprintf("%0*d", n, v)
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func wellFormedToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil
}

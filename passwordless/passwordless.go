package passwordless

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/onetime"
)

// Store is what a [Service] needs from storage. *store.DB implements it.
// Every method is one transaction; "not found" is [core.ErrNotFound].
type Store interface {
	// CreateChallenge stores a new flow, counts its message against
	// limits ([core.ErrRateLimited] when one is reached, storing nothing)
	// and queues out (nil: send nothing) in the same transaction.
	CreateChallenge(ctx context.Context, c core.Challenge, limits []core.SendLimit, out *core.Outgoing) error
	// ReplaceChallengeSecret applies rule, which gives a flow a new secret,
	// to the flow and its code state, writes back what the rule returns
	// and, when it allows it, counts and queues like CreateChallenge.
	ReplaceChallengeSecret(ctx context.Context, id string, rule core.ChallengeRule,
		limits []core.SendLimit, out *core.Outgoing) (core.Challenge, error)
	// Challenge returns a flow by id.
	Challenge(ctx context.Context, id string) (core.Challenge, error)
	// ChallengeBySecret returns the flow whose current secret has this hash.
	ChallengeBySecret(ctx context.Context, secretHash string) (core.Challenge, error)
	// ConsumeChallenge applies the attempt's rule to a challenge and its
	// code state, writes back what the rule returns and, when it accepts
	// the code, completes the challenge's purpose; see
	// store.DB.ConsumeChallenge.
	ConsumeChallenge(ctx context.Context, a core.ChallengeAttempt) (core.Completion, error)
	// ClaimChallengeSession signs in, once, the browser that asked for a
	// magic link used in another browser.
	ClaimChallengeSession(ctx context.Context, flowID string, sess core.Session) (core.Completion, error)
}

// Errors of malformed input, before anything is looked up.
var (
	// ErrMalformedCode means a code is not CodeLength digits.
	ErrMalformedCode = onetime.ErrMalformedCode
	// ErrMalformedPhone means a phone number is not in international
	// (E.164) form.
	ErrMalformedPhone = errors.New("passwordless: malformed phone number")
	// ErrMalformedToken means a link token cannot be one we issued.
	ErrMalformedToken = onetime.ErrMalformedToken
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
	// codes and links are the one-time-code rules of the two kinds of
	// secret.
	codes, links onetime.Policy
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
	codes := onetime.Policy{Key: cfg.Key, Binding: "code\x00", Digits: cfg.CodeLength, TTL: cfg.CodeTTL,
		MaxAttempts: cfg.MaxAttempts, MaxFailures: cfg.MaxFailures, LockFor: cfg.LockFor, MaxSends: cfg.MaxSends,
		LockedMessage: "Too many wrong codes for this address. Try again later.", Now: cfg.Now}
	// A link is found by its token, so there is no wrong one to count; the
	// address's lock holds for links too, and a used link clears it.
	links := codes
	links.Binding, links.Digits, links.TTL, links.MaxAttempts = "link", 0, cfg.LinkTTL, 0
	return &Service{store: store, cfg: cfg, codes: codes, links: links}, nil
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

// policy returns the rules of a kind of secret.
func (s *Service) policy(kind string) onetime.Policy {
	if kind == core.ChallengeMagicLink {
		return s.links
	}
	return s.codes
}

// secret is what a Render gets for a secret just issued.
func (s *Service) secret(c core.Challenge, value string) Secret {
	p := s.policy(c.Kind)
	sec := Secret{Challenge: c, ExpiresIn: p.TTL}
	if p.Digits == 0 {
		sec.Token = value
	} else {
		sec.Code = value
	}
	return sec
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
		Requester: req.Requester, CreatedAt: now, FlowExpiresAt: now.Add(s.cfg.FlowTTL),
	}
	value, code := s.policy(req.Kind).Issue(c.ID)
	c.SecretHash, c.ExpiresAt, c.Sends = code.Hash, code.ExpiresAt, code.Sends
	out, err := render(s.secret(c, value))
	if err != nil {
		return core.Challenge{}, fmt.Errorf("passwordless: start: %w", err)
	}
	if err := s.store.CreateChallenge(ctx, c, req.Limits, out); err != nil {
		return core.Challenge{}, sendRefusal(fmt.Errorf("passwordless: start: %w", err))
	}
	return c, nil
}

// Resend issues a new code or link in flow id: the previous one stops
// working at once, and the address's count of wrong codes carries on. At
// most Config.MaxSends per flow ([core.ErrRateLimited]); an ended or used
// flow is [core.ErrNotFound].
func (s *Service) Resend(ctx context.Context, id string, limits []core.SendLimit, render Render) (core.Challenge, error) {
	c, err := s.store.Challenge(ctx, id)
	if err == nil && s.over(c) {
		err = core.ErrNotFound // checked again when the new secret is stored
	}
	if err != nil {
		return core.Challenge{}, sendRefusal(fmt.Errorf("passwordless: resend: %w", err))
	}
	value, reissue := s.policy(c.Kind).Reissue(c.ID)
	out, err := render(s.secret(c, value))
	if err != nil {
		return core.Challenge{}, fmt.Errorf("passwordless: resend: %w", err)
	}
	c, err = s.store.ReplaceChallengeSecret(ctx, id, func(c core.Challenge, code core.OneTimeCode) (core.OneTimeCode, error) {
		if s.over(c) {
			return code, core.ErrNotFound
		}
		return reissue(code)
	}, limits, out)
	if err != nil {
		return core.Challenge{}, sendRefusal(fmt.Errorf("passwordless: resend: %w", err))
	}
	return c, nil
}

// over reports whether flow c is over: used, or past its FlowTTL, so no
// secret can be sent in it any more.
func (s *Service) over(c core.Challenge) bool {
	return c.ConsumedAt != nil || !s.cfg.Now().Before(c.FlowExpiresAt)
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
	code, err := onetime.CleanCode(code, s.cfg.CodeLength)
	if err != nil {
		return core.Completion{}, err
	}
	check := s.codes.Check(id, code)
	done, err := s.store.ConsumeChallenge(ctx, core.ChallengeAttempt{FlowID: id, Session: sess, Notice: notice,
		Rule: func(c core.Challenge, code core.OneTimeCode) (core.OneTimeCode, error) {
			if c.Kind == core.ChallengeMagicLink {
				return code, core.ErrNotFound // a link is not entered as a code
			}
			return check(code)
		}})
	if err != nil {
		return core.Completion{}, codeRefusal(fmt.Errorf("passwordless: verify code: %w", err))
	}
	return done, nil
}

// Link returns the flow of a magic link token without using it, for the
// page that asks to confirm: [core.ErrNotFound], [core.ErrUsed] or
// [core.ErrExpired] when it cannot be used.
func (s *Service) Link(ctx context.Context, token string) (core.Challenge, error) {
	c, err := s.link(ctx, token)
	return c, linkRefusal(err)
}

func (s *Service) link(ctx context.Context, token string) (core.Challenge, error) {
	if !onetime.ValidToken(token) {
		return core.Challenge{}, ErrMalformedToken
	}
	c, err := s.store.ChallengeBySecret(ctx, s.links.Hash("", token))
	switch {
	case err != nil:
		return c, fmt.Errorf("passwordless: link: %w", err)
	case c.Kind != core.ChallengeMagicLink:
		return c, fmt.Errorf("passwordless: link: %w", core.ErrNotFound)
	case c.ConsumedAt != nil:
		return c, fmt.Errorf("passwordless: link: %w", core.ErrUsed)
	case onetime.Expired(c.ExpiresAt, s.cfg.Now()):
		return c, fmt.Errorf("passwordless: link: %w", onetime.ErrExpired)
	}
	return c, nil
}

// VerifyLink uses a magic link once and completes its purpose, creating
// sess (if not nil) in the same transaction. deviceFlowID is the flow the
// presenting browser started, if any: a same-device link opened elsewhere
// is [core.ErrWrongDevice] and stays usable.
func (s *Service) VerifyLink(ctx context.Context, token, deviceFlowID string, sess *core.Session) (core.Completion, error) {
	if !onetime.ValidToken(token) {
		return core.Completion{}, linkRefusal(ErrMalformedToken)
	}
	hash := s.links.Hash("", token)
	done, err := s.store.ConsumeChallenge(ctx, core.ChallengeAttempt{SecretHash: hash, DeviceFlowID: deviceFlowID, Session: sess,
		Rule: func(c core.Challenge, code core.OneTimeCode) (core.OneTimeCode, error) {
			now := s.cfg.Now()
			if c.Kind != core.ChallengeMagicLink {
				return code, core.ErrNotFound
			}
			if err := s.links.Usable(code, now); err != nil {
				return code, err
			}
			if c.SameDevice && deviceFlowID != c.ID {
				return code, core.ErrWrongDevice
			}
			return s.links.Decide(code, hash, now)
		}})
	if err != nil {
		return core.Completion{}, linkRefusal(fmt.Errorf("passwordless: verify link: %w", err))
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
	case c.ConsumedAt != nil, onetime.Expired(c.ExpiresAt, now):
		return StatusExpired, c, nil
	}
	return StatusPending, c, nil
}

// ClaimWaiting signs in the browser that asked for a magic link, after
// the link was used in another browser: once per flow, creating sess.
func (s *Service) ClaimWaiting(ctx context.Context, id string, sess core.Session) (core.Completion, error) {
	done, err := s.store.ClaimChallengeSession(ctx, id, sess)
	if err != nil {
		return core.Completion{}, codeRefusal(fmt.Errorf("passwordless: claim: %w", err))
	}
	return done, nil
}

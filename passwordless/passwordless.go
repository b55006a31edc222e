package passwordless

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
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
	// MaxMatchAttempts is the number of wrong match codes (see
	// [Request].CrossDevice) a magic-link flow allows, across its links;
	// the one that reaches it ends the flow. Default 3.
	MaxMatchAttempts int
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
	if cfg.MaxMatchAttempts <= 0 {
		cfg.MaxMatchAttempts = 3
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
	// CrossDevice lets a magic link complete in another browser than the
	// one that asked, which can then sign in too: the flow gets a
	// MatchCode of MatchCodeDigits digits for the asking browser to show,
	// and the other browser must present it ([Service.VerifyLink]). Off,
	// the link works only in the browser that asked.
	CrossDevice bool
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
		AllowSignUp: req.AllowSignUp && req.Purpose == core.PurposeSignIn, SameDevice: !req.CrossDevice && req.Kind == core.ChallengeMagicLink,
		Requester: req.Requester, CreatedAt: now, FlowExpiresAt: now.Add(s.cfg.FlowTTL),
	}
	if req.CrossDevice && req.Kind == core.ChallengeMagicLink {
		c.MatchCode = onetime.NewCode(MatchCodeDigits)
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
		next, err := reissue(code)
		if c.Kind == core.ChallengeMagicLink {
			// A link's attempts are wrong match codes, counted per flow: a
			// new link buys no more guesses.
			next.Attempts = code.Attempts
		}
		return next, err
	}, limits, out)
	if err != nil {
		return core.Challenge{}, sendRefusal(fmt.Errorf("passwordless: resend: %w", err))
	}
	return c, nil
}

// over reports whether flow c is over: used, past its FlowTTL, or ended
// by wrong match codes, so no secret can be sent in it any more.
func (s *Service) over(c core.Challenge) bool {
	return c.ConsumedAt != nil || !s.cfg.Now().Before(c.FlowExpiresAt) || s.matchSpent(c)
}

// matchSpent reports whether magic-link flow c had its
// Config.MaxMatchAttempts wrong match codes, which ends it.
func (s *Service) matchSpent(c core.Challenge) bool {
	return c.Kind == core.ChallengeMagicLink && c.MatchCode != "" && c.Attempts >= s.cfg.MaxMatchAttempts
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
	return s.verifyCode(ctx, core.ChallengeAttempt{FlowID: id, Session: sess, Notice: notice}, code)
}

// VerifyCodeAdmit is [Service.VerifyCode] for a sign-in that records its
// device with sess, in the same transaction, when admit returns the
// record (see [core.DeviceAdmit]; Completion.Admitted reports it).
func (s *Service) VerifyCodeAdmit(ctx context.Context, id, code string, sess *core.Session, admit core.DeviceAdmit) (core.Completion, error) {
	return s.verifyCode(ctx, core.ChallengeAttempt{FlowID: id, Session: sess, Admit: admit}, code)
}

// verifyCode uses flow a.FlowID with code, a code flow's code only.
func (s *Service) verifyCode(ctx context.Context, a core.ChallengeAttempt, code string) (core.Completion, error) {
	code, err := onetime.CleanCode(code, s.cfg.CodeLength)
	if err != nil {
		return core.Completion{}, err
	}
	check := s.codes.Check(a.FlowID, code)
	a.Rule = func(c core.Challenge, code core.OneTimeCode) (core.OneTimeCode, error) {
		if c.Kind == core.ChallengeMagicLink {
			return code, core.ErrNotFound // a link is not entered as a code
		}
		return check(code)
	}
	done, err := s.store.ConsumeChallenge(ctx, a)
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
	case s.matchSpent(c):
		return c, fmt.Errorf("passwordless: link: %w", ErrLinkCancelled)
	case onetime.Expired(c.ExpiresAt, s.cfg.Now()):
		return c, fmt.Errorf("passwordless: link: %w", onetime.ErrExpired)
	}
	return c, nil
}

// MatchCodeDigits is the length of a cross-device link's match code.
const MatchCodeDigits = 2

// VerifyLink uses a magic link once and completes its purpose, creating
// sess (if not nil) in the same transaction. deviceFlowID is the flow the
// presenting browser started, if any; matchCode is what the person there
// entered, if anything.
//
// In the browser that asked for it a link needs nothing more. Elsewhere a
// same-device link is [core.ErrWrongDevice] and stays usable, and a
// cross-device link needs its flow's match code: none (or a malformed
// one) is [ErrMatchCodeRequired] and counts nothing; a wrong one is
// [ErrMatchCodeIncorrect] and counts an attempt, and the
// Config.MaxMatchAttempts-th wrong one ends the flow ([ErrLinkCancelled]).
// Either way the link is not used.
func (s *Service) VerifyLink(ctx context.Context, token, deviceFlowID, matchCode string, sess *core.Session) (core.Completion, error) {
	if !onetime.ValidToken(token) {
		return core.Completion{}, linkRefusal(ErrMalformedToken)
	}
	hash := s.links.Hash("", token)
	matchCode = strings.TrimSpace(matchCode)
	done, err := s.store.ConsumeChallenge(ctx, core.ChallengeAttempt{SecretHash: hash, DeviceFlowID: deviceFlowID, Session: sess,
		Rule: func(c core.Challenge, code core.OneTimeCode) (core.OneTimeCode, error) {
			now := s.cfg.Now()
			if c.Kind != core.ChallengeMagicLink {
				return code, core.ErrNotFound
			}
			if code.UsedAt == nil && s.matchSpent(c) {
				return code, ErrLinkCancelled
			}
			if err := s.links.Usable(code, now); err != nil {
				return code, err
			}
			if deviceFlowID != c.ID {
				if next, err := s.checkMatch(c, code, matchCode, now); err != nil {
					return next, err
				}
			}
			return s.links.Decide(code, hash, now)
		}})
	if err != nil {
		return core.Completion{}, linkRefusal(fmt.Errorf("passwordless: verify link: %w", err))
	}
	return done, nil
}

// checkMatch decides whether a link of flow c, with code state code, may
// be used in a browser other than the one that asked, given the match
// code entered there: nil, or the refusal with the state to write back.
func (s *Service) checkMatch(c core.Challenge, code core.OneTimeCode, entered string, now time.Time) (core.OneTimeCode, error) {
	if c.SameDevice || c.MatchCode == "" {
		return code, core.ErrWrongDevice
	}
	if len(entered) != MatchCodeDigits || strings.Trim(entered, "0123456789") != "" {
		return code, ErrMatchCodeRequired
	}
	if subtle.ConstantTimeCompare([]byte(entered), []byte(c.MatchCode)) == 1 {
		return code, nil
	}
	code.Attempts++
	if code.Attempts >= s.cfg.MaxMatchAttempts {
		code.ExpiresAt = now // the link dies with the flow
		return code, ErrLinkCancelled
	}
	return code, ErrMatchCodeIncorrect
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
// used in another browser, with the flow's match code, and
// [Service.ClaimWaiting] can sign this one in. A flow ended by wrong match
// codes is StatusExpired.
func (s *Service) Status(ctx context.Context, id string) (Status, core.Challenge, error) {
	c, err := s.store.Challenge(ctx, id)
	if err != nil {
		return "", c, fmt.Errorf("passwordless: status: %w", err)
	}
	now := s.cfg.Now()
	switch {
	case c.ConsumedAt != nil && c.WaiterClaimed:
		return StatusCompleted, c, nil
	case c.ConsumedAt != nil && now.Before(c.FlowExpiresAt) && c.Purpose == core.PurposeSignIn && c.MatchCode != "":
		return StatusElsewhere, c, nil
	case c.ConsumedAt != nil, onetime.Expired(c.ExpiresAt, now), s.matchSpent(c):
		return StatusExpired, c, nil
	}
	return StatusPending, c, nil
}

// ClaimWaiting signs in the browser that asked for a magic link, after
// the link was used in another browser with the flow's match code: once
// per flow, creating sess. A flow whose link was not used yet is
// [core.ErrNotFound]; one that cannot be claimed (claimed already,
// same-device, or ended by wrong match codes) is [core.ErrUsed].
func (s *Service) ClaimWaiting(ctx context.Context, id string, sess core.Session) (core.Completion, error) {
	c, err := s.store.Challenge(ctx, id)
	switch {
	case err != nil:
		return core.Completion{}, codeRefusal(fmt.Errorf("passwordless: claim: %w", err))
	case c.Kind != core.ChallengeMagicLink:
		return core.Completion{}, codeRefusal(fmt.Errorf("passwordless: claim: %w", core.ErrNotFound))
	case c.ConsumedAt != nil && !c.WaiterClaimed && c.MatchCode == "",
		s.matchSpent(c):
		// Used elsewhere without a match code (a flow from before match
		// codes), or ended by wrong ones: whoever asked proved nothing.
		return core.Completion{}, codeRefusal(fmt.Errorf("passwordless: claim: %w", core.ErrUsed))
	}
	done, err := s.store.ClaimChallengeSession(ctx, id, sess)
	if err != nil {
		return core.Completion{}, codeRefusal(fmt.Errorf("passwordless: claim: %w", err))
	}
	return done, nil
}

package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/embedauth/auth/account"
	"github.com/embedauth/auth/admin"
	"github.com/embedauth/auth/core"
	"github.com/embedauth/auth/internal/httpx"
	"github.com/embedauth/auth/internal/i18n"
	"github.com/embedauth/auth/internal/password"
	"github.com/embedauth/auth/internal/ratelimit"
	"github.com/embedauth/auth/internal/secretbox"
	"github.com/embedauth/auth/mail"
	"github.com/embedauth/auth/mfa"
	"github.com/embedauth/auth/store"
	"github.com/embedauth/auth/ui"
)

// User is an account. See [core.User].
type User = core.User

// Session is one signed-in device. See [core.Session].
type Session = core.Session

// Auth is a running embedauth: its store, its HTTP handler and its
// middleware. Create one with [New] and Close it on shutdown.
type Server struct {
	s          *settings
	db         *store.DB
	hasher     *password.Hasher
	policy     password.Policy
	ui         *ui.UI
	mailTpl    *mail.Templates
	msgs       *i18n.Catalogs // the message catalogs (language.go)
	box        *secretbox.Box
	codeKey    []byte
	sm         *scs.SessionManager
	cache      *sessionCache
	dispatcher *mail.Dispatcher
	adapter    *httpx.Adapter
	handler    http.Handler
	limits     struct{ signIn, signUp, codes, reset *ratelimit.Limiter }
	orgs       *orgService                      // organizations, roles, invitations, domains (org_config.go)
	pwl        *pwlState                        // magic links, email and SMS codes (passwordless.go)
	jwt        *jwtState                        // signing keys, session tokens, JWT templates (tokens.go)
	hooks      *webhookState                    // webhook endpoints and their dispatcher (webhooks.go)
	pk         *passkeys                        // WebAuthn passkeys, nil when off (passkey.go)
	mfa        *mfa.Service                     // TOTP and backup codes (mfa.go)
	account    *account.Service[*store.OutMail] // password accounts and the security log
	social     *socialState                     // OAuth 2.0 and OpenID Connect sign-in (social.go)
	gate       *gateState                       // who may sign up, bot protection (gate.go)
	adm        *admin.Service[*store.OutMail]   // user administration (admin_users.go)

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	offline bool // opened by OpenOffline: no background work
}

var _ account.Store[*store.OutMail] = (*store.DB)(nil)

// New opens (creating and migrating) the database, parses every template
// and starts the mail dispatcher. It reports every configuration problem at
// once.
func New(cfg Config) (*Server, error) { return open(cfg, true) }

// OpenOffline opens the database as [New] does, for a tool such as the
// command-line tool: it starts no background work, so it neither delivers
// the app's queued mail and webhooks (its own changes' events wait for
// the app's dispatcher) nor prunes.
func OpenOffline(cfg Config) (*Server, error) { return open(cfg, false) }

func open(cfg Config, background bool) (*Server, error) {
	s, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	a := &Server{s: s, offline: !background}
	switch {
	case s.DB != nil:
		a.db, err = store.OpenDB(s.DB)
	case s.DatabaseURL != "":
		a.db, err = store.OpenPostgres(context.Background(), s.DatabaseURL)
	default:
		a.db, err = store.Open(s.DatabasePath)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	a.db.Now = s.Now
	if err := a.init(); err != nil {
		a.db.Close()
		return nil, err
	}
	return a, nil
}

func (a *Server) init() error {
	s := a.s
	key := s.EncryptionKey
	if key == nil {
		path := s.DatabasePath + ".key"
		k, created, err := secretbox.LoadOrCreateKeyFile(path)
		if err != nil {
			return fmt.Errorf("auth: encryption key: %w", err)
		}
		if created && !s.dev {
			s.Logger.Warn("embedauth: created an encryption key beside the database; keep it secret and back it up, or set Config.EncryptionKey", "path", path)
		}
		key = k
	}
	box, err := secretbox.New(key)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	a.box = box
	a.codeKey = hmacKey(key, "embedauth code v1")
	if err := a.initMFA(key); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	a.hasher = password.NewHasher(s.PasswordHashing, s.PasswordHashConcurrency, s.PasswordHashWait)
	a.policy = password.Policy{MinLength: s.PasswordMinLength, MaxLength: s.PasswordMaxLength}
	a.msgs, err = i18n.New(i18n.Options{Default: s.DefaultLanguage, Overrides: s.Translations})
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	a.ui, err = ui.NewLocalized(s.Templates, ui.Theme{PrimaryColor: s.Appearance.PrimaryColor, Radius: s.Appearance.Radius, FontFamily: s.Appearance.FontFamily}, a.msgs)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	a.mailTpl, err = mail.NewLocalizedTemplates(s.MailTemplates, a.msgs)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	var sender mail.Sender = mail.Discard{}
	switch {
	case s.Mailer != nil:
		sender = s.Mailer
	case s.SMTP != nil:
		smtp, err := mail.NewSMTPSender(*s.SMTP)
		if err != nil {
			return fmt.Errorf("auth: %w", err)
		}
		sender = smtp
	}
	a.cache = newSessionCache(s.SessionCacheTTL)
	a.sm = a.newSessionManager()
	a.adapter = &httpx.Adapter{Logger: s.Logger, Page: a.errorPage, Translate: a.translateError}
	a.limits.signIn = a.limiter("sign_in", s.RateLimits.SignIn, time.Minute)
	a.limits.signUp = a.limiter("sign_up", s.RateLimits.SignUp, time.Minute)
	a.limits.codes = a.limiter("codes", s.RateLimits.Codes, time.Minute)
	a.limits.reset = a.limiter("reset", s.RateLimits.Reset, time.Minute)
	a.initGate()
	a.account = account.New[*store.OutMail](a.db, account.Config{
		Now: s.Now, Logger: s.Logger, Hasher: a.hasher, Policy: a.policy, AppName: s.AppName,
		LockoutThreshold: s.LockoutThreshold, LockoutDuration: s.LockoutDuration,
		EmailKey:      store.EmailKey, // addresses without an account lock by the accounts' rule
		ResetTokenTTL: s.ResetTokenTTL, SecurityLogRetention: s.SecurityLogRetention, DeviceLifetime: deviceCookieLifetime,
		CodeKey: a.codeKey, VerificationCodeTTL: s.VerificationCodeTTL, VerifyNewDevices: s.VerifyNewDevices, DisableNewDeviceEmails: s.DisableNewDeviceEmails,
	})
	a.adm = admin.New[*store.OutMail](a.db, s.Now)
	a.dispatcher = &mail.Dispatcher{
		Outbox: mailOutbox(a.db, s.dev),
		Sender: sender,
		Open:   a.openMail,
		Now:    s.Now,
		Logger: s.Logger,
	}
	if err := a.initPasswordless(); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if err := a.initOrgs(); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if err := a.initTokens(); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if err := a.initWebhooks(); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if err := a.initPasskeys(); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if err := a.initSocial(); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	a.handler = a.routes()

	ctx, cancel := context.WithCancel(context.Background())
	if a.offline {
		a.cancel = cancel
		return nil
	}
	a.cancel = cancel
	a.wg.Add(2)
	go func() { defer a.wg.Done(); a.dispatcher.Run(ctx) }()
	go func() { defer a.wg.Done(); a.pruneLoop(ctx) }()
	a.startCacheSync(ctx)
	a.startPasswordless(ctx)
	a.startWebhooks(ctx)
	return nil
}

// Close stops the background work, waits for it, and closes the database
// (unless the app passed its own pool).
func (a *Server) Close() error {
	a.cancel()
	a.wg.Wait()
	return a.db.Close()
}

// Handler serves every embedauth page and the JSON API. Mount it at
// Config.Path with a trailing slash: mux.Handle("/auth/", a.Handler()).
func (a *Server) Handler() http.Handler { return a.handler }

// Store returns the underlying store, for administration and tests.
func (a *Server) Store() *store.DB { return a.db }

// FlushMail delivers every queued message that is due now and returns how
// many were sent. The dispatcher does this on its own; tests and shutdown
// hooks call it to wait for delivery.
func (a *Server) FlushMail(ctx context.Context) (int, error) { return a.dispatcher.Flush(ctx) }

func (a *Server) pruneLoop(ctx context.Context) {
	hourly(ctx, func() {
		if err := a.db.Prune(ctx, 7*24*time.Hour); err != nil && ctx.Err() == nil {
			a.s.Logger.Error("embedauth: prune", "err", err)
		}
		a.housekeepSecurity(ctx) // security log and known devices (security_log.go)
	})
}

// firstHousekeeping is how long after start the hourly housekeeping
// (deleting rows past their retention) first runs: not during the start,
// which its queries would slow down. Expired codes, flows and sessions
// are refused when read whether or not they were deleted yet.
const firstHousekeeping = time.Minute

// hourly runs fn firstHousekeeping after it is called, then every hour,
// until ctx ends.
func hourly(ctx context.Context, fn func()) {
	t := time.NewTimer(firstHousekeeping)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fn()
		t.Reset(time.Hour)
	}
}

// go runs fn in the background, tracked so Close waits for it.
func (a *Server) goBackground(fn func(ctx context.Context)) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		fn(ctx)
	}()
}

// newMail renders a message and seals it for the outbox.
func (a *Server) newMail(template, to string, data mail.Data) (*store.OutMail, error) {
	data.Brand = mail.Brand{AppName: a.s.AppName, LogoURL: a.s.Appearance.LogoURL, Color: a.s.Appearance.PrimaryColor, BaseURL: a.s.origin}
	if data.Time.IsZero() {
		data.Time = a.s.Now()
	}
	m, err := a.mailTpl.Render(template, to, data)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &store.OutMail{To: to, Template: template, Body: a.box.Seal(b)}, nil
}

func (a *Server) openMail(body []byte) (mail.Message, error) {
	var m mail.Message
	b, err := a.box.Open(body)
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(b, &m)
}

// hmacKey derives a purpose-bound key from the encryption key.
func hmacKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// outbox adapts one of the store's message outboxes (mail, or text
// messages) to mail.Outbox.
type outbox struct {
	due      func(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.DueEnvelope, error)
	sent     func(ctx context.Context, id int64, now time.Time, keepBody bool) error
	sentAll  func(ctx context.Context, ids []int64, now time.Time, keepBody bool) error
	failed   func(ctx context.Context, id int64, attempts int, retryAt time.Time, lastErr string, giveUp bool) error
	keepBody bool
}

// mailOutbox and smsOutbox are the store's two message outboxes.
func mailOutbox(db *store.DB, keepBody bool) outbox {
	return outbox{due: db.DueMail, sent: db.MailSent, sentAll: db.MailSentAll, failed: db.MailFailed, keepBody: keepBody}
}

func smsOutbox(db *store.DB, keepBody bool) outbox {
	return outbox{due: db.DueSMS, sent: db.SMSSent, sentAll: db.SMSSentAll, failed: db.SMSFailed, keepBody: keepBody}
}

func (o outbox) DueMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]mail.Envelope, error) {
	due, err := o.due(ctx, now, lease, limit)
	if err != nil {
		return nil, err
	}
	out := make([]mail.Envelope, len(due))
	for i, d := range due {
		out[i] = mail.Envelope{ID: d.ID, To: d.To, Body: d.Body, Attempts: d.Attempts}
	}
	return out, nil
}

func (o outbox) MailSent(ctx context.Context, id int64, now time.Time) error {
	return o.sent(ctx, id, now, o.keepBody)
}

func (o outbox) MailsSent(ctx context.Context, ids []int64, now time.Time) error {
	return o.sentAll(ctx, ids, now, o.keepBody)
}

func (o outbox) MailFailed(ctx context.Context, id int64, attempts int, retryAt time.Time, lastErr string, giveUp bool) error {
	return o.failed(ctx, id, attempts, retryAt, lastErr, giveUp)
}

// limiter returns a per-IP limit of max events per window. On PostgreSQL,
// whose database several instances share, the counts are kept in the
// database so the instances share the limit; on SQLite they are kept in
// memory (one process), which costs no write per request.
func (a *Server) limiter(name string, max int, window time.Duration) *ratelimit.Limiter {
	l := ratelimit.New(max, window, a.s.Now)
	if a.db.Engine() == store.Postgres {
		l.Shared(name, a.db)
	}
	return l
}

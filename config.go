package auth

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/embedauth/auth/internal/password"
	"github.com/embedauth/auth/mail"
)

// Config configures an [Auth]. The zero value is a working, secure
// development setup: an SQLite file embedauth.db in the working directory,
// BaseURL http://localhost:8080, mail captured in the dev outbox at
// /auth/dev/mail. Every field's comment gives its default. [New] never
// changes the caller's Config.
type Config struct {
	// DatabasePath is the SQLite file, created and migrated on first start.
	// Default "embedauth.db". Ignored when DB is set.
	DatabasePath string
	// DB is a pool the app opened itself with store.DSN, to keep its own
	// tables in the same file. The app closes it.
	DB *sql.DB

	// BaseURL is the app's public origin, such as "https://example.com".
	// Every link in mail and every redirect is built from it, never from a
	// request's Host. It must be https unless its host is localhost.
	// Default "http://localhost:8080".
	BaseURL string
	// Path is where Handler is mounted. Default "/auth".
	Path string
	// AllowedRedirectOrigins are other origins (scheme://host[:port]) that
	// redirect_url may point to. The BaseURL origin is always allowed.
	AllowedRedirectOrigins []string

	// AppName is shown on pages and in mail. Default "embedauth".
	AppName string
	// Appearance themes the pages and mail.
	Appearance Appearance
	// Templates overrides page templates by file name (see package ui).
	Templates fs.FS

	// DevMode shows the dev outbox at Path+"/dev/mail" (to loopback clients
	// only) and keeps mail bodies there. Default: on exactly when BaseURL's
	// host is localhost.
	DevMode *bool
	// SMTP sends mail through an SMTP server. Default: none, so mail goes to
	// the dev outbox in dev mode; outside dev mode one of SMTP or Mailer is
	// required.
	SMTP *mail.SMTPConfig
	// Mailer sends mail through any Sender; it takes precedence over SMTP.
	Mailer mail.Sender
	// MailTemplates overrides mail templates by file name (see package mail).
	MailTemplates fs.FS

	// EncryptionKey (32 bytes) seals mail bodies and other secrets at rest.
	// Keep it outside the database file. Default: read from, or created at,
	// DatabasePath+".key" with a warning outside dev mode. Required with DB.
	EncryptionKey []byte

	// PasswordMinLength is the shortest password accepted, in characters.
	// Default 15 (NIST SP 800-63B-4); it cannot be set below 8.
	PasswordMinLength int
	// PasswordMaxLength is the longest, in characters. Default 1024.
	PasswordMaxLength int
	// PasswordHashing sets the argon2id cost. Default m=19 MiB, t=2, p=1.
	PasswordHashing Argon2Params
	// PasswordHashConcurrency bounds the hashes running at once. Default
	// GOMAXPROCS. A request that waits longer than PasswordHashWait for a
	// slot gets 429 with Retry-After. Default wait 2 s.
	PasswordHashConcurrency int
	PasswordHashWait        time.Duration

	// SessionMode is SessionSingle (default) or SessionMulti.
	SessionMode SessionMode
	// SessionIdleTimeout ends a session after this long without a request.
	// Default 7 days.
	SessionIdleTimeout time.Duration
	// SessionLifetime ends a session this long after sign-in, whatever its
	// activity. Default 30 days.
	SessionLifetime time.Duration
	// SessionCacheTTL bounds how long Middleware trusts its in-process cache
	// of a session. Revocations in this process take effect at once; this
	// bounds how late another process sharing the file sees them. Default
	// 30 s; negative disables the cache.
	SessionCacheTTL time.Duration

	// LockoutThreshold is how many consecutive failed sign-ins lock an
	// account for LockoutDuration. Defaults 100 and 1 hour. A locked account
	// can still reset its password.
	LockoutThreshold int
	LockoutDuration  time.Duration
	// VerificationCodeTTL is how long an email verification code is valid.
	// Default 10 minutes.
	VerificationCodeTTL time.Duration
	// ResetTokenTTL is how long a password reset link is valid. Default 30
	// minutes.
	ResetTokenTTL time.Duration
	// SecurityLogRetention is how long entries of a user's security log
	// (sign-ins, failures, factor changes, revocations) are kept. Default
	// 90 days.
	SecurityLogRetention time.Duration
	// DisableNewDeviceEmails stops the mail a user gets when their account
	// signs in from a device it has not used before. Default false: the
	// mail is sent.
	DisableNewDeviceEmails bool
	// VerifyNewDevices holds a sign-in from a device the account has not
	// used before, after every other factor, until the user enters a
	// 6-digit code mailed to their primary email (texted to the primary
	// phone of an account without an email). Default false.
	VerifyNewDevices bool
	// RateLimits caps requests per client IP per minute.
	RateLimits RateLimits
	// ClientIP returns the client's address for rate limits and the session
	// list. Default: the host of r.RemoteAddr. Behind a proxy, supply one
	// that reads the header your proxy sets.
	ClientIP func(r *http.Request) string

	// Methods are the ways to sign in and sign up that pages and the API
	// offer, in the order pages show them. Default DefaultMethods
	// (password, passkey, email code, magic link).
	Methods []Method
	// Passwordless sets the rules of magic links and one-time codes.
	Passwordless PasswordlessConfig
	// SMS sends the text messages of MethodSMSCode (mail.TwilioSender, or
	// any mail.SMSSender). Default: in dev mode, the dev outbox.
	SMS mail.SMSSender

	// Organizations configures teams with roles and permissions,
	// invitations and verified domains.
	Organizations OrganizationsConfig

	// Passkeys configures WebAuthn passkeys: on by default for BaseURL
	// (see PasskeyConfig).
	Passkeys PasskeyConfig

	// Social lists the OAuth 2.0 and OpenID Connect providers people can
	// sign in, sign up and connect their account with ("Continue with
	// Google"). Default none.
	Social []SocialProvider
	// SocialLinking decides whether a provider identity whose verified
	// email belongs to an existing account joins it by itself
	// (SocialLinkVerifiedEmail) or only once the person has signed in to
	// that account and connected the provider from the profile
	// (SocialLinkAfterSignIn, the default).
	SocialLinking SocialLinking
	// StoreProviderTokens keeps each provider's access and refresh tokens,
	// sealed with EncryptionKey, so the app can call the provider's API for
	// the user with [Auth.ProviderToken]. Default false: tokens are used
	// once to read the profile and dropped.
	StoreProviderTokens bool

	// Tokens configures the JWTs of GET Path+"/api/token" (session tokens,
	// accepted by Middleware as "Authorization: Bearer", and JWT templates
	// for other services) and their signing keys.
	Tokens TokensConfig
	// Webhooks configures the delivery of events to webhook endpoints.
	Webhooks WebhooksConfig
	// MFA configures two-step verification (who must use it) and
	// reverification before sensitive changes.
	MFA MFAConfig
	// IsAdmin reports whether a signed-in user administers this app: may
	// manage webhook endpoints, JWT templates and signing keys through the
	// API and the admin pages (Path+"/admin/webhooks"). Default nil: nobody,
	// so the admin pages answer 404 and the admin API 403.
	IsAdmin func(User) bool

	// Logger receives errors and warnings. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Argon2Params are argon2id costs: Memory in KiB, Time iterations, Threads.
type Argon2Params = password.Params

// SessionMode chooses how many accounts one browser may be signed in to.
type SessionMode int

const (
	// SessionSingle allows one account per browser (the default).
	SessionSingle SessionMode = iota
	// SessionMulti allows several accounts signed in at once in one browser,
	// with one active and the others a switch away.
	SessionMulti
)

// RateLimits caps requests per client IP per minute, per group of
// endpoints. Zero means the default; negative disables the limit.
type RateLimits struct {
	SignIn int // default 30
	SignUp int // default 10
	Codes  int // verification code attempts and resends; default 30
	Reset  int // forgot-password requests; default 10
}

// Appearance themes pages and mail with CSS colors and a logo.
type Appearance struct {
	// PrimaryColor is the color of buttons and links: "#rgb", "#rrggbb"
	// or "rgb(r, g, b)". Default "#4f46e5". Links, focus rings and button
	// labels use shades of it that meet WCAG AA contrast in light and dark
	// mode.
	PrimaryColor string
	// Radius is the corner radius of cards and inputs. Default "10px".
	Radius string
	// FontFamily is the font stack. Default the system UI stack.
	FontFamily string
	// LogoURL is shown above forms and in mail. Default none.
	LogoURL string
}

// settings is Config with defaults applied and derived values computed.
type settings struct {
	Config
	base       *url.URL
	origin     string
	dev        bool
	secure     bool // cookies need Secure
	cookieName string
	redirects  map[string]bool
	pk         passkeySettings
}

func (c Config) settings() (*settings, error) {
	s := &settings{Config: c}
	s.AllowedRedirectOrigins = append([]string(nil), c.AllowedRedirectOrigins...)
	var errs []error
	if s.DatabasePath == "" && s.DB == nil {
		s.DatabasePath = "embedauth.db"
	}
	if s.BaseURL == "" {
		s.BaseURL = "http://localhost:8080"
	}
	u, err := url.Parse(s.BaseURL)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("BaseURL: %w", err))
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.User != nil, u.RawQuery != "", u.Fragment != "":
		errs = append(errs, fmt.Errorf("BaseURL %q must be an origin like https://example.com", s.BaseURL))
	case u.Scheme == "http" && !isLocalhost(u.Hostname()):
		errs = append(errs, fmt.Errorf("BaseURL %q must use https (plain http only for localhost)", s.BaseURL))
	default:
		s.base = &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}
		s.origin = s.base.String()
		s.secure = u.Scheme == "https"
	}
	if s.Path == "" {
		s.Path = "/auth"
	}
	s.Path = "/" + strings.Trim(s.Path, "/")
	if s.Path == "/" {
		errs = append(errs, errors.New("the mount Path must not be the root"))
	}
	s.redirects = map[string]bool{}
	for _, o := range s.AllowedRedirectOrigins {
		ou, err := url.Parse(o)
		if err != nil || (ou.Scheme != "https" && ou.Scheme != "http") || ou.Host == "" || (ou.Path != "" && ou.Path != "/") {
			errs = append(errs, fmt.Errorf("AllowedRedirectOrigins: %q is not an origin like https://app.example.com", o))
			continue
		}
		s.redirects[ou.Scheme+"://"+strings.ToLower(ou.Host)] = true
	}
	if s.AppName == "" {
		s.AppName = "embedauth"
	}
	if s.DevMode != nil {
		s.dev = *s.DevMode
	} else if s.base != nil {
		s.dev = isLocalhost(s.base.Hostname())
	}
	if s.Mailer == nil && s.SMTP == nil && !s.dev {
		errs = append(errs, errors.New("SMTP or Mailer is required outside dev mode (mail would go nowhere)"))
	}
	if s.DB != nil && s.EncryptionKey == nil {
		errs = append(errs, errors.New("EncryptionKey is required when DB is set"))
	}
	if s.EncryptionKey != nil && len(s.EncryptionKey) != 32 {
		errs = append(errs, fmt.Errorf("EncryptionKey must be 32 bytes, got %d", len(s.EncryptionKey)))
	}
	if s.PasswordMinLength == 0 {
		s.PasswordMinLength = 15
	}
	if s.PasswordMinLength < 8 {
		errs = append(errs, fmt.Errorf("PasswordMinLength %d is below 8", s.PasswordMinLength))
	}
	if s.PasswordMaxLength == 0 {
		s.PasswordMaxLength = 1024
	}
	if s.PasswordMaxLength < 64 || s.PasswordMaxLength < s.PasswordMinLength {
		errs = append(errs, fmt.Errorf("PasswordMaxLength %d must be at least 64 and at least PasswordMinLength", s.PasswordMaxLength))
	}
	if s.PasswordHashing == (Argon2Params{}) {
		s.PasswordHashing = password.DefaultParams
	}
	if s.PasswordHashWait == 0 {
		s.PasswordHashWait = 2 * time.Second
	}
	if s.SessionMode != SessionSingle && s.SessionMode != SessionMulti {
		errs = append(errs, fmt.Errorf("SessionMode %d is unknown", s.SessionMode))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&s.SessionIdleTimeout, 7*24*time.Hour)
	def(&s.SessionLifetime, 30*24*time.Hour)
	def(&s.SessionCacheTTL, 30*time.Second)
	def(&s.LockoutDuration, time.Hour)
	def(&s.VerificationCodeTTL, 10*time.Minute)
	def(&s.ResetTokenTTL, 30*time.Minute)
	def(&s.SecurityLogRetention, 90*24*time.Hour)
	if s.SecurityLogRetention < 0 {
		errs = append(errs, fmt.Errorf("SecurityLogRetention %v must not be negative", s.SecurityLogRetention))
	}
	if s.LockoutThreshold == 0 {
		s.LockoutThreshold = 100
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	defInt(&s.RateLimits.SignIn, 30)
	defInt(&s.RateLimits.SignUp, 10)
	defInt(&s.RateLimits.Codes, 30)
	defInt(&s.RateLimits.Reset, 10)
	if s.ClientIP == nil {
		s.ClientIP = remoteIP
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Appearance.PrimaryColor == "" {
		s.Appearance.PrimaryColor = "#4f46e5"
	}
	if s.Appearance.Radius == "" {
		s.Appearance.Radius = "10px"
	}
	if s.Appearance.FontFamily == "" {
		s.Appearance.FontFamily = `system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif`
	}
	s.cookieName = "__Host-embedauth_session"
	if !s.secure {
		s.cookieName = "embedauth_session"
	}
	errs = append(errs, s.passwordlessDefaults()...)
	errs = append(errs, s.Organizations.configErrors()...)
	errs = append(errs, s.tokenDefaults()...)
	errs = append(errs, s.webhookDefaults()...)
	errs = append(errs, s.checkPasskeys()...)
	errs = append(errs, s.mfaDefaults()...)
	errs = append(errs, s.checkSocial()...)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("auth: invalid config: %w", err)
	}
	return s, nil
}

func isLocalhost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

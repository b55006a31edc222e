package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/embedauth/auth/internal/password"
	"github.com/embedauth/auth/store"
)

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

func resolve(c Config) (*settings, error) {
	s := &settings{Config: c}
	s.AllowedRedirectOrigins = append([]string(nil), c.AllowedRedirectOrigins...)
	var errs []error
	if s.DatabasePath == "" && s.DB == nil && s.DatabaseURL == "" {
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
	if s.DatabaseURL != "" {
		switch {
		case s.DB != nil:
			errs = append(errs, errors.New("set DB or DatabaseURL, not both"))
		case !store.IsPostgresURL(s.DatabaseURL):
			errs = append(errs, errors.New(`DatabaseURL must be a PostgreSQL URL ("postgres://..."); an SQLite file goes in DatabasePath`))
		case !store.PostgresLinked():
			errs = append(errs, errors.New(`DatabaseURL needs PostgreSQL linked into the program: add import _ "github.com/embedauth/auth/postgres"`))
		case s.EncryptionKey == nil:
			errs = append(errs, errors.New("EncryptionKey is required when DatabaseURL is set (every instance needs the same key)"))
		}
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
		s.LockoutThreshold = 10
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
	errs = append(errs, orgConfigErrors(s.Organizations)...)
	errs = append(errs, s.tokenDefaults()...)
	errs = append(errs, s.webhookDefaults()...)
	errs = append(errs, s.checkPasskeys()...)
	errs = append(errs, s.mfaDefaults()...)
	errs = append(errs, s.checkSocial()...)
	errs = append(errs, s.gateDefaults()...)
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
